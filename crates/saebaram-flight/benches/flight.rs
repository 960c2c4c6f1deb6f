//! Criterion benches of the three workloads, on a real forecast: the NCEP GFS 2.5°
//! sample from `../shared/data/wind` (it reaches 30 km, so a 10 km burst stays inside), or the
//! embedded JMA sample with a 9 km burst when the shared data are absent.

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_flight::*;
use saebaram_forecast::Forecast;

const GFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
);

fn field() -> (Forecast, f64, f64) {
    match Forecast::open(std::path::Path::new(GFS)) {
        Ok(f) => {
            let t = f.info().run_unix_s as f64;
            (f, t, 10_000.0)
        }
        Err(_) => {
            let f = Forecast::embedded().expect("embedded forecast");
            let t = f.info().run_unix_s as f64;
            (f, t, 9_000.0)
        }
    }
}

fn paju(t: f64) -> Point {
    Point {
        t_unix_s: t,
        lat: 37.89,
        lon: 126.74,
        alt_m: 15.0,
    }
}

/// P1 sealed tube whose timer fires during the ascent (15 min), so that the leaflets or the
/// bundle really fall: with the 3 h timer of `ffnk-tube` the tube bursts first.
fn p1_timer(payload: Payload) -> Profile {
    let mut p = Profile::preset("ffnk-tube").expect("preset");
    p.release = Release::Timer {
        stages: vec![TimerStage {
            after_h: 0.25,
            fraction: 1.0,
        }],
        jitter: 0.1,
        p_fail: 0.1,
    };
    p.payload = payload;
    p
}

fn benches(c: &mut Criterion) {
    let (f, t0, burst) = field();
    let mut p0 = Profile::preset("standard").expect("preset");
    p0.carrier = Carrier::Standard(Standard {
        ascent_m_s: 5.0,
        burst_alt_m: burst,
        descent_m_s: 5.0,
    });
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

    let leaflets = p1_timer(Payload::vinyl_leaflets());
    let spec = EnsembleSpec::new(200, 1, t0);
    let mut g = c.benchmark_group("ensemble");
    g.sample_size(10);
    g.bench_function("p1_timer_leaflets_200x500", |b| {
        b.iter(|| run_window(&f, &FlatEarth, &leaflets, &spec, 0, launch).expect("runs"))
    });
    let bundle = p1_timer(Payload::Bundle { v0_m_s: 12.0 });
    let launches: Vec<Point> = (0..120).map(|i| paju(t0 + i as f64 * 3600.0)).collect();
    g.bench_function("sweep_120x200_p1_timer_bundle", |b| {
        b.iter(|| run_windows(&f, &FlatEarth, &bundle, &spec, &launches, &|| {}).expect("runs"))
    });
    g.finish();
}

criterion_group!(flight_benches, benches);
criterion_main!(flight_benches);
