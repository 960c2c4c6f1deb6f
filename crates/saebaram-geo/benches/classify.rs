//! Points classified per second: the embedded index against a plain `geo::Contains` scan
//! of the same country polygons (what one would write without an index); and the heavy-fall
//! flag's lookup of the 438 GeoNames places' populated discs through their grid index, against
//! a scan of every place.
//!
//! The points are the same pseudo-random set as `bench/geo/peer_shapely.py` uses (an
//! MMIX linear congruential generator, seed 1), over where landings fall: lat 36.5-42.5N,
//! lon 124-130.5E.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Contains, Coord};
use saebaram_geo::{Geo, Layer, Region, RegionClass, layer_geojson};

const N: usize = 100_000;

/// MMIX LCG; the top 53 bits as a float in [0, 1).
fn points(n: usize) -> Vec<(f64, f64)> {
    let mut s: u64 = 1;
    let mut next = || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let lat = 36.5 + 6.0 * next();
            let lon = 124.0 + 6.5 * next();
            (lat, lon)
        })
        .collect()
}

fn countries() -> Vec<geo::Geometry<f64>> {
    let fc: geojson::FeatureCollection = layer_geojson(Layer::Countries)
        .parse::<geojson::GeoJson>()
        .ok()
        .and_then(|g| g.try_into().ok())
        .unwrap_or_else(|| panic!("countries layer"));
    fc.features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .filter_map(|g| geo::Geometry::<f64>::try_from(g).ok())
        .collect()
}

fn bench(c: &mut Criterion) {
    let geo = Geo::embedded();
    let pts = points(N);
    // The class counts, to compare with the peer's on the same points.
    let mut counts = std::collections::BTreeMap::new();
    for &(lat, lon) in &pts {
        let key = match geo.classify(lat, lon) {
            Region::NorthKorea { .. } => "PRK",
            Region::SouthKorea => "KOR",
            Region::China => "CHN",
            Region::Russia => "RUS",
            Region::Japan => "JPN",
            Region::Dmz => "DMZ",
            Region::Sea => "sea",
            Region::OutsideMap => "outside",
        };
        *counts.entry(key).or_insert(0usize) += 1;
    }
    eprintln!("saebaram counts on the {N} points: {counts:?}");
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("saebaram_classify_100k", |b| {
        b.iter(|| {
            let mut north = 0usize;
            for &(lat, lon) in &pts {
                if matches!(geo.classify(lat, lon), Region::NorthKorea { .. }) {
                    north += 1;
                }
            }
            black_box(north)
        })
    });
    g.bench_function("saebaram_class_of_100k", |b| {
        b.iter(|| {
            pts.iter()
                .filter(|&&(lat, lon)| geo.class_of(lat, lon) == RegionClass::NorthKorea)
                .count()
        })
    });
    // The heavy-fall flag's work: where each landing is, and which South Korean place's
    // populated disc holds it (438 places, through the disc index).
    let expected_in_discs = pts
        .iter()
        .filter(|&&(lat, lon)| geo.populated_rok_place(lat, lon).is_some())
        .count();
    eprintln!("{expected_in_discs} of the {N} points are inside a South Korean populated disc");
    g.bench_function("saebaram_landing_place_100k", |b| {
        b.iter(|| {
            let mut north = 0usize;
            let mut populated = 0usize;
            for &(lat, lon) in &pts {
                let (class, place) = geo.landing_place(lat, lon);
                north += usize::from(class == RegionClass::NorthKorea);
                populated += usize::from(place.is_some());
            }
            assert_eq!(populated, expected_in_discs);
            black_box(north)
        })
    });
    // Everything a plan asks of the map per landing: the class with the province (the
    // statistics) and the populated place (the flag).
    g.bench_function("saebaram_classify_and_landing_place_100k", |b| {
        b.iter(|| {
            let mut north = 0usize;
            let mut populated = 0usize;
            for &(lat, lon) in &pts {
                if matches!(geo.classify(lat, lon), Region::NorthKorea { .. }) {
                    north += 1;
                }
                populated += usize::from(geo.landing_place(lat, lon).1.is_some());
            }
            assert_eq!(populated, expected_in_discs);
            black_box(north)
        })
    });
    g.bench_function("saebaram_is_land_100k", |b| {
        b.iter(|| {
            pts.iter()
                .filter(|&&(lat, lon)| geo.is_land(lat, lon))
                .count()
        })
    });
    // The plain approach: test each country polygon in turn with geo's Contains.
    let polys = countries();
    let few = &pts[..2_000];
    g.throughput(Throughput::Elements(few.len() as u64));
    g.bench_function("geo_contains_scan_2k", |b| {
        b.iter(|| {
            few.iter()
                .filter(|&&(lat, lon)| {
                    let p = Coord { x: lon, y: lat };
                    polys.iter().any(|poly| poly.contains(&p))
                })
                .count()
        })
    });
    // Without the disc index: every place's distance for every point.
    g.bench_function("place_discs_scan_2k", |b| {
        b.iter(|| {
            few.iter()
                .filter(|&&(lat, lon)| {
                    geo.class_of(lat, lon) == RegionClass::SouthKorea
                        && geo.places().iter().any(|p| {
                            p.is_south_korean()
                                && saebaram_geo::distance_km(lat, lon, p.lat, p.lon)
                                    <= p.populated_radius_km()
                        })
                })
                .count()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.bench_function("parse_and_index_embedded_layers", |b| {
        b.iter(|| Geo::parse_embedded().map(|g| black_box(g.cities().len())))
    });
    g.bench_function("nearest_nk_city", |b| {
        b.iter(|| black_box(geo.nearest_nk_city(black_box(38.5), black_box(126.5))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
