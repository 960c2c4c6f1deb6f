//! The cost of one DEM lookup (called at every integrator step): a point inside a 3" tile,
//! a point whose tile is missing.

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_terrain::{Area, Dem, SAMPLES_3};
use std::hint::black_box;

fn lookups(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    for name in ["N37E126.hgt", "N38E126.hgt", "N37E127.hgt", "N38E127.hgt"] {
        let mut b = Vec::with_capacity(SAMPLES_3 * SAMPLES_3 * 2);
        for r in 0..SAMPLES_3 {
            for col in 0..SAMPLES_3 {
                b.extend_from_slice(&(((r * 7 + col * 3) % 2000) as i16).to_be_bytes());
            }
        }
        std::fs::write(dir.path().join(name), b).expect("write");
    }
    let area = Area {
        lat_min: 32.0,
        lat_max: 45.0,
        lon_min: 120.0,
        lon_max: 135.0,
    };
    let dem = Dem::open(dir.path(), area).expect("opens");
    // A descending payload: points that move a little each step (warm cache lines), and
    // scattered points (every lookup a new page).
    let walk: Vec<(f64, f64)> = (0..4096)
        .map(|k| {
            let s = k as f64 * 0.0003;
            (37.2 + s * 0.31, 126.4 + s * 0.47)
        })
        .collect();
    let scatter: Vec<(f64, f64)> = (0..4096u64)
        .map(|k| {
            let h = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            (
                37.0 + (h >> 40) as f64 / (1u64 << 24) as f64 * 2.0,
                126.0 + (h & 0xff_ffff) as f64 / (1u64 << 24) as f64 * 2.0,
            )
        })
        .collect();
    let mut g = c.benchmark_group("dem");
    g.bench_function("elevation_walk", |b| {
        let mut k = 0;
        b.iter(|| {
            let (lat, lon) = walk[k & 4095];
            k += 1;
            black_box(dem.elevation(black_box(lat), black_box(lon)))
        })
    });
    g.bench_function("elevation_scatter", |b| {
        let mut k = 0;
        b.iter(|| {
            let (lat, lon) = scatter[k & 4095];
            k += 1;
            black_box(dem.elevation(black_box(lat), black_box(lon)))
        })
    });
    g.bench_function("elevation_missing_tile", |b| {
        b.iter(|| black_box(dem.elevation(black_box(40.5), black_box(128.5))))
    });
    g.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
