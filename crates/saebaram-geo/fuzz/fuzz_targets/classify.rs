//! Any pair of f64 bit patterns: classification, distances, scores and the populated-place
//! lookups never panic; the class, the full region, the sea test and the landing's place
//! agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_geo::{Geo, Region, RegionClass, Target, distance_km, in_extent};

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
    // The heavy-fall lookup: one classification, a South Korean place only on South Korean
    // land, inside its disc, and the same answer as the convenience form.
    let (c, place) = geo.landing_place(lat, lon);
    assert_eq!(c, class);
    if let Some((i, d)) = place {
        assert_eq!(class, RegionClass::SouthKorea);
        let p = &geo.places()[i];
        assert!(p.is_south_korean());
        assert!(d <= p.populated_radius_km());
        assert!((distance_km(lat, lon, p.lat, p.lon) - d).abs() < 1e-9);
    }
    assert_eq!(geo.populated_rok_place(lat, lon).map(|r| r.0), place.map(|r| r.0));
    if let Some((i, _, d)) = geo.populated_place(lat, lon) {
        assert!(d <= geo.places()[i].populated_radius_km());
    }
});
