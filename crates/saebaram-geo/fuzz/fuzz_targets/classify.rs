//! Any pair of f64 bit patterns: classification, distances and scores never panic, and
//! the class, the full region and the sea test agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_geo::{Geo, Region, RegionClass, Target, in_extent};

fuzz_target!(|data: [u8; 16]| {
    let (a, b) = data.split_at(8);
    let lat = f64::from_le_bytes(a.try_into().unwrap_or([0; 8]));
    let lon = f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    let geo = Geo::embedded();
    let region = geo.classify(lat, lon);
    let class = geo.class_of(lat, lon);
    assert_eq!(region == Region::OutsideMap, class == RegionClass::OutsideMap);
    assert_eq!(region == Region::OutsideMap, !in_extent(lat, lon));
    assert_eq!(geo.is_sea(lat, lon), match class {
        RegionClass::OutsideMap => None,
        RegionClass::Sea => Some(true),
        _ => Some(false),
    });
    if let Some((_, d)) = geo.nearest_nk_city(lat, lon) {
        assert!(d.is_finite() && d >= 0.0);
    }
    let s = Target::north().score(geo, lat, lon);
    assert!((0.0..=1.0).contains(&s));
});
