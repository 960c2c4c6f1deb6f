//! Criterion benches of the three workloads, on a real forecast: the NCEP GFS 2.5°
//! sample of `testdata/wind` (it reaches 30 km, so a 10 km burst stays inside); without it
//! the bench stops rather than measure another forecast.

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_flight::*;

#[path = "support/workloads.rs"]
mod workloads;
use workloads::{bundle, field, hourly_launches, leaflets, p0, paju};

fn benches(c: &mut Criterion) {
    let (f, t0, burst) = field();
    let p0 = p0(burst);
    let launch = paju(t0);
    c.bench_function("p0_one_flight", |b| {
        b.iter(|| {
            let draw = Draw::nominal(&p0, launch);
            flight::fly_carrier(&f, &FlatEarth, &p0, &draw, None, false).expect("flies")
        })
    });
    c.bench_function("p0_predict_with_track", |b| {
        b.iter(|| predict(&f, &FlatEarth, &p0, launch).expect("flies"))
    });

    let leaflets = leaflets();
    let spec = EnsembleSpec::new(200, 1, t0);
    let mut g = c.benchmark_group("ensemble");
    g.sample_size(10);
    g.bench_function("p1_timer_leaflets_200x500", |b| {
        b.iter(|| run_window(&f, &FlatEarth, &leaflets, &spec, 0, launch).expect("runs"))
    });
    let bundle = bundle();
    let launches = hourly_launches(t0, 120);
    g.bench_function("sweep_120x200_p1_timer_bundle", |b| {
        b.iter(|| run_windows(&f, &FlatEarth, &bundle, &spec, &launches, &|| {}).expect("runs"))
    });
    g.finish();
}

criterion_group!(flight_benches, benches);
criterion_main!(flight_benches);
