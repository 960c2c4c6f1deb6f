//! Bytes -> cache file -> open (verified) -> a wind and a terrain lookup: must never panic.
//! Seed it with cache files with and without the (version 2) terrain section.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_forecast::{WindField, cache};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile_dir() else { return };
    let path = dir.join("fuzz.swc");
    if std::fs::write(&path, data).is_ok() {
        if let Ok(f) = cache::open(&path, true) {
            let _ = f.wind(0.0, 37.8, 126.75, 1000.0);
            let _ = f.terrain_m(37.8, 126.75);
        }
        let _ = cache::read_header(&path);
    }
});

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("saebaram-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
