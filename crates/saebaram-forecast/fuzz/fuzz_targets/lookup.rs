//! Damaged values -> wind lookups, in both layouts the lookup reads (ours, through a cache
//! file opened without checking its body's hash; tawhiri's, through a small dataset of the
//! same layout): any heights (NaN, decreasing, huge), any query point. Must never panic and
//! never read outside the data (the lookup's reads are unchecked after one bounds check per
//! column group; AddressSanitizer, cargo fuzz's default, catches a stray one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_forecast::tawhiri::{Shape, open_with_shape};
use saebaram_forecast::{Forecast, Grid, WindField, cache};

fn f32_at(data: &[u8], i: usize) -> f32 {
    let b = |k: usize| {
        data.get((4 * i + k) % data.len().max(1))
            .copied()
            .unwrap_or(0)
    };
    f32::from_le_bytes([b(0), b(1), b(2), b(3)])
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let nt = 1 + usize::from(data[0] % 3);
    let nl = 2 + usize::from(data[1] % 4);
    let nlat = 2 + usize::from(data[2] % 3);
    let nlon = 2 + usize::from(data[3] % 3);
    let wraps = data[4] & 1 == 1;
    let body = &data[8..];
    let Ok(dir) = tempdir() else { return };
    // Queries: the corners and middle of the grid, and a few points from the bytes.
    let mut queries = vec![
        (0.0, 37.0, 127.0, 500.0),
        (1800.0, 37.5, 127.5, 3000.0),
        (3600.0, 38.0, 128.0, 9000.0),
    ];
    for k in 0..4 {
        queries.push((
            f64::from(f32_at(body, 4 * k)),
            f64::from(f32_at(body, 4 * k + 1)),
            f64::from(f32_at(body, 4 * k + 2)),
            f64::from(f32_at(body, 4 * k + 3)),
        ));
    }

    // Our layout: a valid cube written to the cache, its body then overwritten.
    let levels: Vec<f64> = (0..nl).map(|k| 1000.0 - 150.0 * k as f64).collect();
    let grid = Grid {
        lat0: 37.0,
        dlat: 0.5,
        nlat,
        lon0: 127.0,
        dlon: if wraps { 360.0 / nlon as f64 } else { 0.5 },
        nlon,
    };
    let times: Vec<i64> = (0..nt as i64).map(|k| k * 3600).collect();
    let mut values = Vec::with_capacity(nt * nlat * nlon * nl * 4);
    for _ in 0..nt * nlat * nlon {
        for k in 0..nl {
            values.extend([1.0, 2.0, 100.0 + 1500.0 * k as f32, 280.0]);
        }
    }
    if let Ok(f) = Forecast::from_values("fuzz", 0, times, levels, grid, values) {
        if let Ok(path) = f.write_cache(&dir) {
            if let Ok(mut bytes) = std::fs::read(&path) {
                let n = body.len().min(bytes.len());
                let start = bytes.len() - n;
                bytes[start..].copy_from_slice(&body[..n]);
                if std::fs::write(&path, &bytes).is_ok() {
                    if let Ok(c) = cache::open(&path, false) {
                        for &(t, lat, lon, alt) in &queries {
                            let _ = c.wind(t, lat, lon, alt);
                            let _ = c.wind_uv(t, lat, lon, alt);
                            let _ = c.sample_alt(t, lat, lon, alt);
                        }
                    }
                }
            }
        }
    }

    // Tawhiri's layout: (hours, levels, 3, nlat, nlon) from -90 and 0E, filled with the bytes.
    let shape = Shape {
        hours: nt,
        step_h: 3,
        levels_hpa: (0..nl).map(|k| 1000.0 - 150.0 * k as f64).collect(),
        nlat,
        nlon,
    };
    if let Some(n) = shape.values() {
        let bytes: Vec<u8> = (0..n).flat_map(|i| f32_at(body, i).to_le_bytes()).collect();
        let path = dir.join("2025030100");
        if std::fs::write(&path, &bytes).is_ok() {
            if let Ok(f) = open_with_shape(&path, &shape) {
                for &(t, lat, lon, alt) in &queries {
                    let t = t + 1_740_787_200.0;
                    let _ = f.wind(t, lat, lon, alt);
                    let _ = f.wind_uv(t, lat, lon, alt);
                }
            }
        }
    }
});

fn tempdir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("saebaram-fuzz-lookup-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
