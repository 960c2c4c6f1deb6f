//! Any text as a launch site, a coordinate, a target or a place name: a value or an error,
//! never a panic; a parsed target scores in [0, 1] and has a label; a place lookup answers
//! with places whose names it can explain (one, several for a shared name, at most five
//! suggestions), and a city target built from a single place lands on that place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_geo::{Geo, LaunchPoint, PlaceLookup, Target, TargetKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let geo = Geo::embedded();
    if let Ok(p) = LaunchPoint::parse(text) {
        assert!(p.lat.is_finite() && p.lon.is_finite());
        assert!((-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon));
        let _ = p.label();
    }
    match geo.find_place(text) {
        PlaceLookup::One(p) => {
            assert!(p.populated_radius_km() >= 5.0);
            // Its id names it again.
            assert_eq!(
                geo.find_place(&p.geonameid.to_string()),
                PlaceLookup::One(p)
            );
        }
        PlaceLookup::Ambiguous(all) => {
            assert!(all.len() >= 2);
            for w in all.windows(2) {
                assert!(w[0].population >= w[1].population);
            }
        }
        PlaceLookup::Unknown(close) => assert!(close.len() <= 5),
    }
    for t in [text.to_string(), format!("city:{text}"), format!("city:{text}:20km")] {
        if let Ok(t) = Target::parse(&t) {
            let _ = t.label();
            for (lat, lon) in [(39.02, 125.75), (37.57, 126.98), (38.3, 127.5)] {
                let s = t.score(geo, lat, lon);
                assert!((0.0..=1.0).contains(&s));
            }
            if let TargetKind::City { lat, lon, .. } = t.kind {
                assert!(t.hits(geo, lat, lon));
            }
        }
    }
});
