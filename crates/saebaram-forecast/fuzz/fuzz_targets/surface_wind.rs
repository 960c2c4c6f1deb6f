//! Bytes -> the 10 m wind of a GRIB2 file (`surface_wind_10m`, sea drift's windage input):
//! must never panic, and what it returns must hold together.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_forecast::{Region, surface_wind_10m};

fuzz_target!(
    init: {
        // As grib_to_cube: a panic the decoder catches is not a finding.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        if let Ok(w) = surface_wind_10m(&[(data, "fuzz")], &Region::KOREA) {
            let n = w.grid.nlat * w.grid.nlon * w.times_unix_s.len();
            assert_eq!(w.u.len(), n);
            assert_eq!(w.v.len(), n);
            assert!(w.times_unix_s.windows(2).all(|t| t[0] < t[1]));
        }
    }
);
