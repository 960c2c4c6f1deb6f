//! Bytes -> GRIB2 decoding -> wind cube (and model terrain) -> a few lookups: must never
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_forecast::{Forecast, Region, WindField};

fuzz_target!(
    init: {
        // libfuzzer-sys's panic hook aborts on every panic, even one the decoder catches:
        // `grib2` wraps the `grib` crate in `catch_unwind` (a panic in its 5.3 decoder becomes
        // an error naming the file). A silent hook instead, so only a panic that escapes
        // saebaram counts: libfuzzer-sys still aborts on it, and saves the input.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        if let Ok(f) = Forecast::from_grib2_bytes(data, "fuzz", Region::KOREA) {
            for (lat, lon, alt) in [(37.8, 126.75, 0.0), (40.0, 125.0, 5000.0), (32.0, 120.0, 9000.0)] {
                let _ = f.wind(0.0, lat, lon, alt);
                let _ = f.terrain_m(lat, lon);
            }
        }
    }
);
