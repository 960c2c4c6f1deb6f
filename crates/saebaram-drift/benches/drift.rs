//! 10,000 bottles drifting 48 h at 15-minute RK4 steps with 2 % windage, on forcing shaped
//! like OpenDrift's test files (bench/drift): currents on NorKyst-800's polar-stereographic
//! grid (301 x 201 cells of 800 m, hourly) and wind on an AROME-like Lambert grid
//! (81 x 151 cells of 2.5 km, hourly), both projected so every lookup goes through the
//! projection's lookup table. The fields are synthetic (a tidal current turning every
//! 12.42 h over a steady drift, a veering wind) so the bench needs no file.
//!
//!     cargo bench -p saebaram-drift --bench drift

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use saebaram_drift::{
    Axis, Config, Forcing, Grid, Horizontal, OpenSea, Params, Projection, VectorField, drift,
};

const NORKYST: &str =
    "+proj=stere +lat_0=90 +lon_0=70 +k_0=0.9330127018922193 +x_0=0 +y_0=0 +R=6371000 +units=m";
const AROME: &str = "+proj=lcc +lon_0=15 +lat_0=63 +lat_1=63 +lat_2=63 +R=6.371e+06 +units=m";
const T0: f64 = 1_447_632_000.0;

fn field(
    def: &str,
    nx: usize,
    ny: usize,
    cell: f64,
    f: impl Fn(f64, usize, usize) -> (f32, f32),
) -> VectorField {
    let proj = Projection::from_proj4(def, 1.0).unwrap();
    let (cx, cy) = proj.forward_exact(4.5, 60.6).unwrap();
    let axis = |c: f64, n: usize| {
        Axis::new(
            (0..n)
                .map(|i| c + cell * (i as f64 - (n - 1) as f64 / 2.0))
                .collect(),
        )
        .unwrap()
    };
    let mut grid = Grid {
        x: axis(cx, nx),
        y: axis(cy, ny),
        horizontal: Horizontal::Projected(Box::new(proj)),
    };
    grid.tabulate().expect("a lookup table");
    let times: Vec<f64> = (0..=49).map(|h| T0 + 3600.0 * f64::from(h)).collect();
    let (mut u, mut v) = (Vec::new(), Vec::new());
    for &t in &times {
        for iy in 0..ny {
            for ix in 0..nx {
                let (a, b) = f(t - T0, ix, iy);
                u.push(a);
                v.push(b);
            }
        }
    }
    VectorField::new(grid, times, u, v).unwrap()
}

fn bench(c: &mut Criterion) {
    let tide = 2.0 * std::f64::consts::PI / (12.42 * 3600.0);
    let currents = field(NORKYST, 301, 201, 800.0, |t, ix, iy| {
        let phase = tide * t + 0.02 * ix as f64 - 0.015 * iy as f64;
        (
            (0.05 + 0.4 * phase.cos()) as f32,
            (0.02 + 0.3 * phase.sin()) as f32,
        )
    });
    let wind = field(AROME, 81, 151, 2500.0, |t, ix, iy| {
        let turn = t / 86_400.0 + 0.01 * (ix + iy) as f64;
        ((8.0 * turn.cos()) as f32, (8.0 * turn.sin() + 2.0) as f32)
    });
    let forcing = Forcing {
        currents: &currents,
        stokes: None,
        wind: Some(&wind),
    };
    let params = Params {
        windage: 0.02,
        current_error_m_s: (0.0, 0.0),
    };
    let config = Config::default();
    // 100 x 100 throw points over 0.6° x 0.3° round the grids' centre.
    let points: Vec<(f64, f64)> = (0..10_000)
        .map(|k| {
            (
                4.2 + 0.006 * (k % 100) as f64,
                60.45 + 0.003 * (k / 100) as f64,
            )
        })
        .collect();
    let run = || -> u64 {
        points
            .par_iter()
            .map(|&(lon, lat)| drift(&forcing, &OpenSea, &params, &config, T0, lon, lat).steps)
            .sum()
    };
    let steps = run();
    assert!(
        steps > 9 * 192_000 / 10,
        "most bottles drift the whole 48 h: {steps}"
    );
    let mut group = c.benchmark_group("drift");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(8));
    group.throughput(Throughput::Elements(steps));
    group.bench_function("10k_bottles_48h_rk4_15min_wind", |b| {
        b.iter(|| black_box(run()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
