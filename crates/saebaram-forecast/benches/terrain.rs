//! The cost of one model-terrain lookup (called at every integrator step when no DEM covers
//! the point): a 0.25° Korea grid, points along a descent and scattered.

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_forecast::{Grid, Terrain};
use std::hint::black_box;

fn lookups(c: &mut Criterion) {
    // The Korea box plus the fetch margin at 0.25°: 53 x 61 points.
    let grid = Grid {
        lat0: 31.75,
        dlat: 0.25,
        nlat: 53,
        lon0: 119.75,
        dlon: 0.25,
        nlon: 61,
    };
    let values: Vec<f32> = (0..grid.nlat * grid.nlon)
        .map(|k| ((k * 37) % 2500) as f32)
        .collect();
    let t = Terrain::new(grid, values).expect("terrain");
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
                32.0 + (h >> 40) as f64 / (1u64 << 24) as f64 * 13.0,
                120.0 + (h & 0xff_ffff) as f64 / (1u64 << 24) as f64 * 15.0,
            )
        })
        .collect();
    let mut g = c.benchmark_group("model_terrain");
    g.bench_function("terrain_m_walk", |b| {
        let mut k = 0;
        b.iter(|| {
            let (lat, lon) = walk[k & 4095];
            k += 1;
            black_box(t.terrain_m(black_box(lat), black_box(lon)))
        })
    });
    g.bench_function("terrain_m_scatter", |b| {
        let mut k = 0;
        b.iter(|| {
            let (lat, lon) = scatter[k & 4095];
            k += 1;
            black_box(t.terrain_m(black_box(lat), black_box(lon)))
        })
    });
    g.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
