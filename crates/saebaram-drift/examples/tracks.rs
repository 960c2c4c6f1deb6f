//! Deterministic tracks for comparing with a peer (bench/drift/opendrift_peer.sh): no
//! jitter, no current error, one windage, open sea (no coastline: the peer runs without
//! stranding too), RK4 or Euler.
//!
//!     tracks CURRENTS WIND|- T0_UNIX_S HOURS WINDAGE STEP_S SCHEME N_COPIES LON,LAT...
//!
//! Prints one JSON object: every particle's positions each hour, its end, and the
//! particle-steps per second of the timed loop (`N_COPIES` copies of every point, in
//! parallel with rayon, so a speed run can use many particles).

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use saebaram_drift::{
    Config, Forcing, OpenSea, Params, Scheme, VectorField, drift, read_currents, read_wind,
};

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
        .map(|&(lon, lat)| drift(&forcing, &OpenSea, &params, &config, t0, lon, lat))
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
