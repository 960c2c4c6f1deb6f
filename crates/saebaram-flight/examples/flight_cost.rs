//! Runs one of the bench workloads N times, for instruction counts under callgrind:
//! `valgrind --tool=callgrind --toggle-collect='*run_p0*' target/release/examples/flight_cost
//! p0 1000`, divided by 1000, is the instructions per P0 flight; for the others,
//! `... member 1001` minus `... member 1`, divided by 1000. The workloads are the criterion
//! benches' own (`benches/support/workloads.rs`).

use saebaram_flight::*;
use saebaram_forecast::Forecast;

#[path = "../benches/support/workloads.rs"]
mod workloads;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "p0".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let (f, t0, burst) = workloads::field();
    let launch = workloads::paju(t0);
    let sink = match what.as_str() {
        "p0" => run_p0(&f, &workloads::p0(burst), launch, n),
        "member" => {
            // n members of the P1 + timer + 500-leaflet ensemble.
            let spec = EnsembleSpec::new(n as u32, 1, t0);
            let r =
                run_window(&f, &FlatEarth, &workloads::leaflets(), &spec, 0, launch).expect("runs");
            r.leaflets_total as f64
        }
        "sweep" => {
            // n launch windows x 200 members of P1 + timer + bundle fall.
            let spec = EnsembleSpec::new(200, 1, t0);
            let launches = workloads::hourly_launches(t0, n);
            let runs = run_windows(
                &f,
                &FlatEarth,
                &workloads::bundle(),
                &spec,
                &launches,
                &|| {},
            )
            .expect("runs");
            runs.len() as f64
        }
        other => panic!("unknown workload {other}: p0, member or sweep"),
    };
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
