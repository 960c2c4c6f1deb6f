//! Runs one of the bench workloads N times, for instruction counts under callgrind:
//! `valgrind --tool=callgrind --toggle-collect='*run_p0*' target/release/examples/flight_cost
//! p0 1000`, divided by 1000, is the instructions per P0 flight; for the others,
//! `... member 1001` minus `... member 1`, divided by 1000.

use saebaram_flight::*;
use saebaram_forecast::Forecast;

const GFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
);

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "p0".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let (f, burst) = match Forecast::open(std::path::Path::new(GFS)) {
        Ok(f) => (f, 10_000.0),
        Err(_) => (Forecast::embedded().expect("embedded forecast"), 9_000.0),
    };
    let t0 = f.info().run_unix_s as f64;
    let launch = Point {
        t_unix_s: t0,
        lat: 37.89,
        lon: 126.74,
        alt_m: 15.0,
    };
    let mut sink = 0.0;
    match what.as_str() {
        "p0" => {
            let mut p = Profile::preset("standard").expect("preset");
            p.carrier = Carrier::Standard(Standard {
                ascent_m_s: 5.0,
                burst_alt_m: burst,
                descent_m_s: 5.0,
            });
            sink += run_p0(&f, &p, launch, n);
        }
        "member" => {
            // One ensemble member of the P1 + timer + 500-leaflet ensemble (n members).
            let mut p = Profile::preset("ffnk-tube").expect("preset");
            p.release = Release::Timer {
                stages: vec![TimerStage {
                    after_h: 0.25,
                    fraction: 1.0,
                }],
                jitter: 0.1,
                p_fail: 0.1,
            };
            let spec = EnsembleSpec::new(n as u32, 1, t0);
            let r = run_window(&f, &FlatEarth, &p, &spec, 0, launch).expect("runs");
            sink += r.leaflets_total as f64;
        }
        "sweep" => {
            // n launch windows x 200 members of P1 + timer + bundle fall.
            let mut p = Profile::preset("sack").expect("preset");
            p.release = Release::Timer {
                stages: vec![TimerStage {
                    after_h: 0.25,
                    fraction: 1.0,
                }],
                jitter: 0.1,
                p_fail: 0.1,
            };
            let spec = EnsembleSpec::new(200, 1, t0);
            let launches: Vec<Point> = (0..n)
                .map(|i| Point {
                    t_unix_s: t0 + i as f64 * 3600.0,
                    ..launch
                })
                .collect();
            let runs = run_windows(&f, &FlatEarth, &p, &spec, &launches, &|| {}).expect("runs");
            sink += runs.len() as f64;
        }
        other => panic!("unknown workload {other}: p0, member or sweep"),
    }
    println!("{sink}");
}

/// The P0 flights alone in a function, so that callgrind can count only them
/// (`--toggle-collect='*run_p0*'`).
#[inline(never)]
fn run_p0(f: &Forecast, p: &Profile, launch: Point, n: usize) -> f64 {
    let mut sink = 0.0;
    for _ in 0..n {
        let c = flight::fly_carrier(f, &FlatEarth, p, &Draw::nominal(p, launch), None, false)
            .expect("flies");
        sink += c.landing.map_or(0.0, |l| l.point.lat);
    }
    sink
}
