//! Any text as a launch site, a coordinate or a target: a value or an error, never a panic;
//! a parsed target scores in [0, 1] and has a label.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_geo::{Geo, LaunchPoint, Target};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = LaunchPoint::parse(text) {
        assert!(p.lat.is_finite() && p.lon.is_finite());
        assert!((-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon));
        let _ = p.label();
    }
    if let Ok(t) = Target::parse(text) {
        let _ = t.label();
        let geo = Geo::embedded();
        for (lat, lon) in [(39.02, 125.75), (37.57, 126.98), (38.3, 127.5)] {
            let s = t.score(geo, lat, lon);
            assert!((0.0..=1.0).contains(&s));
        }
    }
});
