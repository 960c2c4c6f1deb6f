//! Benchmarks: one 4-D lookup from a cached cube (goal <= 50 ns), opening a 5-day hourly
//! 0.25-degree Korea cube from the cache (goal <= 20 ms), decoding the shipped GRIB2 files
//! (compared with ecCodes by `bench/forecast/eccodes_decode.py`).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use saebaram_forecast::{Forecast, Region, WindField, cache, forecast::EMBEDDED_GRIB2};

#[path = "support/synthetic.rs"]
mod synthetic;
use synthetic::{five_day_cube, scattered, track};

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let path: PathBuf = five_day_cube().write_cache(dir.path()).expect("cache");

    c.bench_function("cache_open_5day_hourly_0p25_korea_mmap", |b| {
        b.iter(|| black_box(cache::open(black_box(&path), false).expect("open")))
    });
    // The path the product takes (`Forecast::open` sniffs the file, maps it and checks the
    // body's BLAKE3), and the floor under it: BLAKE3 of the whole file's bytes in memory
    // (body, header and padding: 125 MB).
    c.bench_function("cache_open_5day_hourly_0p25_korea_verified", |b| {
        b.iter(|| {
            let f = Forecast::open(black_box(&path)).expect("open");
            assert_eq!(f.info().valid_unix_s.len(), 121, "the whole 5-day cube");
            black_box(f)
        })
    });
    let body: Vec<u8> = std::fs::read(&path).expect("read the cache");
    assert!(body.len() > 120_000_000, "{} bytes", body.len());
    let want = blake3::hash(&body);
    c.bench_function("cache_body_blake3_in_memory_125mb", |b| {
        b.iter(|| assert_eq!(blake3::hash(black_box(&body)), want))
    });

    let f = cache::open(&path, false).expect("open");
    let owned = five_day_cube();
    let (scattered, track) = (scattered(synthetic::T0), track(synthetic::T0));
    // With density (what every profile but P0 asks for) and the wind alone (P0).
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
        let mut n = 0usize;
        c.bench_function(&name.replace("lookup_4d", "lookup_4d_uv"), |b| {
            b.iter(|| {
                n = (n + 1) & 1023;
                let (t, lat, lon, alt) = pts[n];
                black_box(
                    field
                        .wind_uv(black_box(t), black_box(lat), black_box(lon), black_box(alt))
                        .expect("inside"),
                )
            })
        });
    }

    let gfs_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
    );
    let gfs = std::fs::read(gfs_path).unwrap_or_else(|err| panic!("`{gfs_path}`: {err}"));
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
    g.bench_function("decode_gfs_2p5_to_korea_cube", |b| {
        b.iter(|| {
            black_box(
                Forecast::from_grib2_bytes(black_box(&gfs), "gfs", Region::KOREA).expect("decodes"),
            )
        })
    });
    g.finish();
}

criterion_group!(forecast, benches);
criterion_main!(forecast);
