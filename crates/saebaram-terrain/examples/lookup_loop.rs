//! 20 million DEM lookups along a descent-like walk, for `perf stat` (instructions and
//! cycles per lookup do not depend on how busy the machine is).

use saebaram_terrain::{Area, Dem, Elevation, SAMPLES_3};

fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut b = Vec::with_capacity(SAMPLES_3 * SAMPLES_3 * 2);
    for r in 0..SAMPLES_3 {
        for c in 0..SAMPLES_3 {
            b.extend_from_slice(&(((r * 7 + c * 3) % 2000) as i16).to_be_bytes());
        }
    }
    std::fs::write(dir.path().join("N37E126.hgt"), b).expect("write");
    let area = Area {
        lat_min: 32.0,
        lat_max: 45.0,
        lon_min: 120.0,
        lon_max: 135.0,
    };
    let dem = Dem::open(dir.path(), area).expect("opens");
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000_000);
    let mut sum = 0.0;
    for k in 0..n {
        let s = (k % 4096) as f64 * 0.0003;
        if let Elevation::Metres(h) = dem.elevation(37.2 + s * 0.31, 126.4 + s * 0.47) {
            sum += h;
        }
    }
    println!("{sum}");
}
