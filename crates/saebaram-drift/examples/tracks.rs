//! Deterministic tracks for comparing with a peer (bench/drift/opendrift_peer.sh): no
//! jitter, no current error, one windage, open sea (no coastline: the peer runs without
//! stranding too), RK4 or Euler.
//!
//!     tracks CURRENTS WIND|- T0_UNIX_S HOURS WINDAGE STEP_S SCHEME N_COPIES LON,LAT...
//!
//! SCHEME `opendrift` re-implements OpenDrift 1.14's own stepping from its description in
//! `opendrift/models/physics_methods.py` (not its code) to show where the tracks differ:
//! the third RK4 stage moves half a step but is sampled a whole step later, and the windage
//! term is a forward-Euler step on the wind at the step's start, outside the RK4.
//!
//! Prints one JSON object: every particle's positions each hour, its end, and the
//! particle-steps per second of the timed loop (`N_COPIES` copies of every point, in
//! parallel with rayon, so a speed run can use many particles).

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use saebaram_drift::{
    Config, End, Forcing, OpenSea, Params, Sample, Scheme, Track, TrackPoint, VectorField, drift,
    read_currents, read_wind,
};

/// OpenDrift's stepping (see the module doc) on the WGS 84 ellipsoid; stops at the first miss.
fn opendrift_like(
    f: &Forcing<'_>,
    windage: f64,
    step_s: f64,
    hours: f64,
    t0: f64,
    lon: f64,
    lat: f64,
) -> Track {
    // OpenDrift moves along WGS 84 geodesics (pyproj `Geod.fwd`); over one step that is
    // the ellipsoid's meridional (M) and prime-vertical (N) radii of curvature.
    let go = |lon: f64, lat: f64, u: f64, v: f64, h: f64| {
        let (a, f) = (6_378_137.0, 1.0 / 298.257_223_563);
        let e2 = f * (2.0 - f);
        let s2 = lat.to_radians().sin().powi(2);
        let m = a * (1.0 - e2) / (1.0 - e2 * s2).powf(1.5);
        let n = a / (1.0 - e2 * s2).sqrt();
        let lat2 = lat + (v * h / m).to_degrees();
        let lon2 = lon + (u * h / (n * lat.to_radians().cos())).to_degrees();
        (lon2, lat2)
    };
    let cur = |t: f64, lon: f64, lat: f64| match f.currents.sample(t, lon, lat) {
        Sample::Value(u, v) => Some((u, v)),
        _ => None,
    };
    let (mut t, mut x, mut y) = (t0, lon, lat);
    let mut points = vec![TrackPoint {
        t_s: t,
        lon: x,
        lat: y,
    }];
    let n = (hours * 3600.0 / step_s).round() as u64;
    let per_hour = (3600.0 / step_s).round().max(1.0) as u64;
    let mut steps = 0;
    let mut end = End::Afloat;
    for _ in 0..n {
        let h = step_s;
        let next = (|| {
            let k1 = cur(t, x, y)?;
            let (mx, my) = go(x, y, k1.0, k1.1, h / 2.0);
            let k2 = cur(t + h / 2.0, mx, my)?;
            let (x2, y2) = go(x, y, k2.0, k2.1, h / 2.0);
            let k3 = cur(t + h / 2.0, x2, y2)?;
            let (x3, y3) = go(x, y, k3.0, k3.1, h / 2.0); // half a step: OpenDrift's variant
            let k4 = cur(t + h, x3, y3)?;
            let mut u = (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0) / 6.0;
            let mut v = (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1) / 6.0;
            if let Some(w) = f.wind {
                let Sample::Value(wu, wv) = w.sample(t, x, y) else {
                    return None;
                };
                u += windage * wu;
                v += windage * wv;
            }
            Some(go(x, y, u, v, h))
        })();
        let Some((nx, ny)) = next else {
            end = End::LeftArea {
                forcing: saebaram_drift::Which::Currents,
            };
            break;
        };
        (t, x, y) = (t + h, nx, ny);
        steps += 1;
        if steps % per_hour == 0 {
            points.push(TrackPoint {
                t_s: t,
                lon: x,
                lat: y,
            });
        }
    }
    let end_point = TrackPoint {
        t_s: t,
        lon: x,
        lat: y,
    };
    Track {
        points,
        end_point,
        end,
        steps,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 10 {
        eprintln!(
            "usage: tracks CURRENTS WIND|- T0 HOURS WINDAGE STEP_S rk4|euler N_COPIES LON,LAT..."
        );
        std::process::exit(2);
    }
    let num = |i: usize| args[i].parse::<f64>().expect("a number");
    let (currents, _, stokes) = read_currents(Path::new(&args[1])).expect("currents");
    let wind = (args[2] != "-").then(|| read_wind(Path::new(&args[2])).expect("wind"));
    let calm = VectorField::uniform(0.0, 0.0);
    let forcing = Forcing {
        currents: &currents.field,
        stokes: stokes.as_ref().map(|s| &s.field),
        wind: Some(wind.as_ref().map_or(&calm, |w| &w.field)),
    };
    let (t0, hours, windage, step_s) = (num(3), num(4), num(5), num(6));
    let opendrift = args[7] == "opendrift";
    let scheme = if args[7] == "euler" {
        Scheme::Euler
    } else {
        Scheme::Rk4
    };
    let copies = args[8].parse::<usize>().expect("copies");
    let points: Vec<(f64, f64)> = args[9..]
        .iter()
        .map(|p| {
            let (lon, lat) = p.split_once(',').expect("LON,LAT");
            (lon.parse().expect("lon"), lat.parse().expect("lat"))
        })
        .collect();
    let config = Config {
        step_s,
        duration_s: hours * 3600.0,
        scheme,
        record_every_s: 3600.0,
    };
    let params = Params {
        windage,
        current_error_m_s: (0.0, 0.0),
    };
    let all: Vec<(f64, f64)> = (0..copies).flat_map(|_| points.iter().copied()).collect();
    let start = Instant::now();
    let tracks: Vec<_> = all
        .par_iter()
        .map(|&(lon, lat)| {
            if opendrift {
                opendrift_like(&forcing, windage, step_s, hours, t0, lon, lat)
            } else {
                drift(&forcing, &OpenSea, &params, &config, t0, lon, lat)
            }
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let steps: u64 = tracks.iter().map(|t| t.steps).sum();
    let shown: Vec<_> = tracks.iter().take(points.len()).collect();
    let out = serde_json::json!({
        "particles": all.len(),
        "steps": steps,
        "seconds": seconds,
        "particle_steps_per_s": steps as f64 / seconds,
        "threads": rayon::current_num_threads(),
        "tracks": shown,
    });
    println!("{out}");
}
