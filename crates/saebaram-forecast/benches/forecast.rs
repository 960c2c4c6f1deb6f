//! Benchmarks: one 4-D lookup from a cached cube (goal <= 50 ns), opening a 5-day hourly
//! 0.25-degree Korea cube from the cache (goal <= 20 ms), decoding the shipped GRIB2 files
//! (compared with ecCodes by `bench/forecast/eccodes_decode.py`).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_forecast::{Forecast, Grid, Region, WindField, cache, forecast::EMBEDDED_GRIB2};

/// GFS-like levels, hPa, and standard heights, m.
const LEVELS: [(f64, f32); 20] = [
    (1000.0, 110.0),
    (975.0, 320.0),
    (950.0, 540.0),
    (925.0, 760.0),
    (900.0, 990.0),
    (850.0, 1460.0),
    (800.0, 1950.0),
    (750.0, 2470.0),
    (700.0, 3010.0),
    (650.0, 3590.0),
    (600.0, 4210.0),
    (550.0, 4870.0),
    (500.0, 5570.0),
    (450.0, 6330.0),
    (400.0, 7180.0),
    (350.0, 8110.0),
    (300.0, 9160.0),
    (250.0, 10_360.0),
    (200.0, 11_790.0),
    (150.0, 13_610.0),
];

/// A realistic-size cube: 121 hourly steps (5 days), 0.25 degree over 32-45N 120-135E
/// (53 x 61 points), 20 levels, u/v/gh/t: 125 MB.
fn five_day_cube() -> Forecast {
    let grid = Grid {
        lat0: 32.0,
        dlat: 0.25,
        nlat: 53,
        lon0: 120.0,
        dlon: 0.25,
        nlon: 61,
    };
    let nt = 121;
    let mut values = Vec::with_capacity(nt * grid.nlat * grid.nlon * LEVELS.len() * 4);
    for t in 0..nt {
        for j in 0..grid.nlat {
            for i in 0..grid.nlon {
                for (k, (_, h)) in LEVELS.iter().enumerate() {
                    let phase = (t as f32 * 0.1 + j as f32 * 0.05 + i as f32 * 0.03).sin();
                    values.extend([
                        5.0 + k as f32 * 1.5 + 3.0 * phase,
                        -2.0 + 2.0 * phase,
                        h + 20.0 * phase,
                        288.0 - 0.0065 * h,
                    ]);
                }
            }
        }
    }
    let times = (0..nt as i64).map(|k| 1_764_374_400 + k * 3600).collect();
    Forecast::from_values(
        "bench",
        1_764_374_400,
        times,
        LEVELS.iter().map(|l| l.0).collect(),
        grid,
        values,
    )
    .expect("valid cube")
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let path: PathBuf = five_day_cube().write_cache(dir.path()).expect("cache");

    c.bench_function("cache_open_5day_hourly_0p25_korea_mmap", |b| {
        b.iter(|| black_box(cache::open(black_box(&path), false).expect("open")))
    });
    let mut g = c.benchmark_group("slow");
    g.sample_size(10);
    g.bench_function("cache_open_5day_hourly_0p25_korea_verified", |b| {
        b.iter(|| black_box(cache::open(black_box(&path), true).expect("open")))
    });
    g.finish();

    let f = cache::open(&path, false).expect("open");
    let owned = five_day_cube();
    let t0 = 1_764_374_400.0;
    // Scattered: consecutive calls far apart in time, space and altitude (cache-hostile).
    let scattered: Vec<(f64, f64, f64, f64)> = (0..1024)
        .map(|k| {
            let k = k as f64;
            (
                t0 + 60.0 * k * 7.3 % 400_000.0,
                33.0 + (k * 0.37) % 11.0,
                121.0 + (k * 0.61) % 13.0,
                50.0 + (k * 131.0) % 13_000.0,
            )
        })
        .collect();
    // A balloon's track: 60 s steps, 5 m/s up, ~15 m/s east (what the integrator asks).
    let track: Vec<(f64, f64, f64, f64)> = (0..1024)
        .map(|k| {
            let k = k as f64;
            (
                t0 + 3600.0 + 60.0 * k,
                37.8 + 0.0005 * k,
                126.75 + 0.005 * k,
                10.0 + 300.0 * (k % 40.0),
            )
        })
        .collect();
    for (name, field, pts) in [
        ("lookup_4d_cached_cube_track", &f, &track),
        ("lookup_4d_cached_cube_scattered", &f, &scattered),
        ("lookup_4d_in_memory_cube_track", &owned, &track),
    ] {
        let mut n = 0usize;
        c.bench_function(name, |b| {
            b.iter(|| {
                n = (n + 1) & 1023;
                let (t, lat, lon, alt) = pts[n];
                black_box(
                    field
                        .wind(black_box(t), black_box(lat), black_box(lon), black_box(alt))
                        .expect("inside"),
                )
            })
        });
    }

    let gfs = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
    ))
    .ok();
    let mut g = c.benchmark_group("decode");
    g.sample_size(20);
    g.bench_function("decode_meps_20_fields_to_korea_cube", |b| {
        b.iter(|| {
            black_box(
                Forecast::from_grib2_bytes(black_box(EMBEDDED_GRIB2), "meps", Region::KOREA)
                    .expect("decodes"),
            )
        })
    });
    if let Some(gfs) = gfs {
        g.bench_function("decode_gfs_2p5_to_korea_cube", |b| {
            b.iter(|| {
                black_box(
                    Forecast::from_grib2_bytes(black_box(&gfs), "gfs", Region::KOREA)
                        .expect("decodes"),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(forecast, benches);
criterion_main!(forecast);
