//! Benchmarks of issue 16's ensemble cube: opening a 51-member, 5-day, 3-hourly cube over
//! Korea from the cache (the issue: "must open in milliseconds"), and one lookup per member
//! ("its lookups stay as fast as today's per member"), next to the same lookup in a
//! one-member cube of the same shape.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_forecast::{Forecast, WindField, cache};

#[path = "support/synthetic.rs"]
mod synthetic;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    // 41 steps: +0..+120 h every 3 h, as GEFS and ECMWF ENS publish them.
    let path = synthetic::ensemble(51, 41, 3)
        .write_cache(dir.path())
        .expect("cache");
    let bytes = std::fs::metadata(&path).expect("size").len();
    eprintln!("51-member cache file: {:.0} MB", bytes as f64 / 1e6);
    c.bench_function("ensemble_open_51_members_5day_3h_0p5_korea_mmap", |b| {
        b.iter(|| {
            let f = cache::open(black_box(&path), false).expect("open");
            assert_eq!(f.member_count(), 51);
            black_box(f)
        })
    });
    let mut g = c.benchmark_group("verified");
    g.sample_size(10);
    g.bench_function("ensemble_open_51_members_5day_3h_0p5_korea_verified", |b| {
        b.iter(|| {
            let f = Forecast::open(black_box(&path)).expect("open");
            assert_eq!(f.member_count(), 51);
            black_box(f)
        })
    });
    g.finish();
    let f = cache::open(&path, false).expect("open");
    let members = f.members().expect("members");
    let one_dir = tempfile::tempdir().expect("tmp");
    let one_path = synthetic::ensemble(1, 41, 3)
        .write_cache(one_dir.path())
        .expect("cache");
    let one = cache::open(&one_path, false).expect("open");
    let track = synthetic::track(synthetic::T0);
    let mut n = 0usize;
    c.bench_function("ensemble_lookup_per_member_51_track", |b| {
        b.iter(|| {
            n = (n + 1) & 1023;
            let (t, lat, lon, alt) = track[n];
            let m = &members[n % 51];
            black_box(
                m.wind(black_box(t), black_box(lat), black_box(lon), black_box(alt))
                    .expect("inside"),
            )
        })
    });
    let mut n = 0usize;
    c.bench_function("ensemble_lookup_one_member_cube_track", |b| {
        b.iter(|| {
            n = (n + 1) & 1023;
            let (t, lat, lon, alt) = track[n];
            black_box(
                one.wind(black_box(t), black_box(lat), black_box(lon), black_box(alt))
                    .expect("inside"),
            )
        })
    });
}

criterion_group!(ensemble_benches, benches);
criterion_main!(ensemble_benches);
