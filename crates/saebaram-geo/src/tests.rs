//! Unit tests on the embedded layers.

use super::*;

fn geo() -> &'static Geo {
    Geo::embedded()
}

fn nk(province: &str) -> Region {
    Region::NorthKorea {
        province: Some(province.to_string()),
    }
}

#[test]
fn embedded_layers_parse() {
    let g = Geo::try_embedded().map_err(|e| e.to_string());
    let g = g.as_ref().map_err(String::clone);
    assert!(g.is_ok(), "{g:?}");
    assert_eq!(geo().provinces().len(), 11);
    assert_eq!(geo().cities().len(), 125);
    assert_eq!(geo().nk_cities().count(), 28);
    for layer in Layer::ALL {
        let text = layer_geojson(layer);
        assert!(text.contains("FeatureCollection"), "{layer:?}");
    }
}

#[test]
fn known_points() {
    let g = geo();
    assert_eq!(g.classify(39.02, 125.75), nk("P'yŏngyang"), "Pyongyang");
    assert_eq!(g.classify(37.57, 126.98), Region::SouthKorea, "Seoul");
    assert!(g.classify(37.97, 126.55).is_north(), "Kaesong");
    assert_eq!(g.classify(37.7, 126.2), Region::Sea, "west of Ganghwa");
    assert_eq!(g.classify(40.12, 124.38), Region::China, "Dandong");
    assert_eq!(g.classify(43.12, 131.9), Region::Russia, "Vladivostok");
    assert_eq!(g.classify(33.59, 130.40), Region::Japan, "Fukuoka");
    assert_eq!(g.classify(35.18, 129.07), Region::SouthKorea, "Busan");
    assert_eq!(g.classify(41.78, 129.79), nk("Hamgyŏng-bukto"), "Chongjin");
    assert_eq!(g.classify(40.09, 124.42), nk("P'yŏngan-bukto"), "Sinuiju");
    assert_eq!(g.classify(38.04, 125.71), nk("Hwanghae-namdo"), "Haeju");
    assert_eq!(g.classify(39.16, 127.43), nk("Kangwŏn-do"), "Wonsan");
    assert_eq!(g.classify(37.0, 124.0), Region::Sea, "Yellow Sea");
    assert_eq!(g.classify(38.5, 131.0), Region::Sea, "East Sea");
}

#[test]
fn dmz_points() {
    let g = geo();
    // On the MDL near Cheorwon (between the two edges of the DMZ).
    assert_eq!(g.classify(38.3, 127.5), Region::Dmz);
    // Panmunjom (Joint Security Area), on the MDL.
    assert_eq!(g.classify(37.956, 126.677), Region::Dmz);
    // The sides of the MDL, about 1 km either way of it east of Panmunjom.
    assert_eq!(
        g.country_code(38.3, 127.5)
            .map(|c| c == "PRK" || c == "KOR"),
        Some(true)
    );
    assert_eq!(g.country_code(37.57, 126.98), Some("KOR"));
    assert_eq!(g.country_code(37.0, 124.0), None);
    // Well south and north of it.
    assert_eq!(g.classify(38.1, 127.5), Region::SouthKorea);
    assert!(g.classify(38.5, 127.5).is_north());
}

#[test]
fn outside_the_map_and_bad_numbers() {
    let g = geo();
    assert_eq!(g.classify(f64::NAN, 126.0), Region::OutsideMap);
    assert_eq!(g.classify(37.0, f64::INFINITY), Region::OutsideMap);
    assert_eq!(g.classify(35.0, 136.0), Region::OutsideMap);
    assert_eq!(g.classify(-95.0, 126.0), Region::OutsideMap);
    assert!(g.try_classify(f64::NAN, 126.0).is_err());
    assert!(g.try_classify(91.0, 126.0).is_err());
    assert!(g.try_classify(37.0, 181.0).is_err());
    assert_eq!(g.try_classify(35.0, 136.0).ok(), Some(Region::OutsideMap));
    assert!(!g.is_land(f64::NAN, f64::NAN));
    assert!(g.nearest_nk_city(f64::NAN, 126.0).is_none());
    // Found by fuzzing: a huge finite latitude gave a NaN distance.
    assert!(g.nearest_nk_city(f64::MAX, 126.0).is_none());
    assert!(g.nearest_nk_city(38.0, 540.0).is_none());
    assert!(
        g.nearest_nk_city(-90.0, -180.0)
            .is_some_and(|(_, d)| d.is_finite())
    );
}

#[test]
fn classification_never_panics_on_a_sweep() {
    // Every 0.013 degree across the map and beyond its edges, plus special values.
    let g = geo();
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        -0.0,
        32.0,
        45.0,
        120.0,
        135.0,
    ];
    for &a in &specials {
        for &b in &specials {
            let _ = g.classify(a, b);
            let _ = g.is_land(a, b);
            let _ = g.nearest_nk_city(a, b);
            let _ = Target::north().score(g, a, b);
        }
    }
    let mut lat = 31.5;
    let mut n = 0;
    while lat < 45.5 {
        let mut lon = 119.5;
        while lon < 135.5 {
            let r = g.classify(lat, lon);
            assert_eq!(r != Region::OutsideMap, in_extent(lat, lon));
            n += 1;
            lon += 0.13;
        }
        lat += 0.013;
    }
    assert!(n > 100_000);
}

/// The index must agree with `geo`'s `Contains` (a plain implementation of the same
/// polygons) away from edges, where the two may legitimately differ by rounding.
#[test]
fn index_agrees_with_geo_contains() {
    use geo::{Contains, Coord};
    let g = geo();
    let mut polys = Vec::new();
    for f in features(Layer::Countries).unwrap_or_default() {
        let code = f
            .property("ADM0_A3")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let geom = f.geometry.as_ref().map(geo::Geometry::<f64>::try_from);
        if let Some(Ok(geom)) = geom {
            polys.push((code, geom));
        }
    }
    assert_eq!(polys.len(), 5);
    // A deterministic pseudo-random walk over the map (no RNG dependency needed).
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut checked = 0;
    for _ in 0..4000 {
        let lat = 32.0 + 13.0 * next();
        let lon = 120.0 + 15.0 * next();
        let p = Coord { x: lon, y: lat };
        let expected = polys
            .iter()
            .find(|(_, geom)| geom.contains(&p))
            .map(|(c, _)| c.as_str());
        let got = match g.classify(lat, lon) {
            Region::NorthKorea { .. } => Some("PRK"),
            Region::SouthKorea => Some("KOR"),
            Region::China => Some("CHN"),
            Region::Russia => Some("RUS"),
            Region::Japan => Some("JPN"),
            Region::Dmz => continue,
            Region::Sea => None,
            Region::OutsideMap => unreachable!("inside the extent"),
        };
        assert_eq!(got, expected, "at {lat},{lon}");
        checked += 1;
    }
    assert!(checked > 3900);
}

#[test]
fn provinces_cover_north_korea() {
    let g = geo();
    // The largest place of each province lies in it (Natural Earth's own ADM1NAME).
    for (lat, lon, prov) in [
        (39.91, 127.55, "Hamgyŏng-namdo"), // Hamhung
        (40.97, 126.60, "Chagang-do"),     // Kanggye
        (41.39, 128.19, "Ryanggang"),      // Hyesan
        (38.51, 125.76, "Hwanghae-bukto"), // Sariwon
        (39.42, 125.94, "P'yŏngan-namdo"), // Sunchon
        (42.34, 130.40, "Rason"),          // Sonbong
    ] {
        assert_eq!(g.classify(lat, lon), nk(prov), "{prov}");
    }
    let p = g.find_province("pyongyang");
    assert_eq!(p.map(|p| p.name.as_str()), Some("P'yŏngyang"));
    for q in [
        "P'yŏngan-bukto",
        "north pyongan",
        "평안북도",
        "PYONGAN-BUKDO",
    ] {
        assert_eq!(
            g.find_province(q).map(|p| p.code.as_str()),
            Some("PRK-3312"),
            "{q}"
        );
    }
    assert!(g.find_province("seoul").is_none());
    assert!(g.find_province("").is_none());
}

#[test]
fn cities_and_distances() {
    let g = geo();
    let py = g
        .find_city("pyongyang")
        .map(|c| (c.name.as_str(), c.pop_max));
    assert_eq!(py, Some(("Pyongyang", 3_300_000)));
    assert_eq!(
        g.find_city("평양").map(|c| c.name.as_str()),
        Some("Pyongyang")
    );
    assert_eq!(
        g.find_city("Hyesan").map(|c| c.name.as_str()),
        Some("Hyeson")
    );
    assert_eq!(
        g.find_city("seoul").map(|c| c.country.as_str()),
        Some("KOR")
    );
    // Seoul to Pyongyang is about 195 km great-circle.
    let d = distance_km(37.5663, 126.9997, 39.0194, 125.7547);
    assert!((d - 195.0).abs() < 5.0, "{d}");
    // From Imjingak the nearest North Korean place is Kaesong, about 21 km.
    let (city, d) = g
        .nearest_nk_city(37.889, 126.740)
        .unwrap_or_else(|| unreachable!());
    assert_eq!(city.name, "Kaesong");
    assert!((15.0..25.0).contains(&d), "{d}");
}

#[test]
fn sites_are_in_the_south_on_land() {
    let g = geo();
    assert_eq!(sites().len(), 7);
    for s in sites() {
        assert_eq!(g.classify(s.lat, s.lon), Region::SouthKorea, "{}", s.name);
    }
}

#[test]
fn launch_points() {
    let p = LaunchPoint::parse("paju").map_err(|e| e.to_string());
    assert_eq!(p.as_ref().map(|p| p.site), Ok(Some("Paju")));
    for q in [
        "PAJU",
        "Imjingak",
        "임진각",
        " 파주 ",
        "baengnyeong-do",
        "백령도",
        "Gimpo",
    ] {
        assert!(LaunchPoint::parse(q).is_ok(), "{q}");
    }
    let p = LaunchPoint::parse("37.5, 126.9").map_err(|e| e.to_string());
    assert_eq!(
        p.as_ref().map(|p| (p.lat, p.lon, p.site)),
        Ok((37.5, 126.9, None))
    );

    let e = LaunchPoint::parse("Busan")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown launch site \"Busan\""), "{e}");
    assert!(
        e.contains("Paju (파주)") && e.contains("Baengnyeong"),
        "{e}"
    );
    for bad in [
        "37.5",
        "37.5,",
        "abc,126",
        "37.5,126.9,3",
        "95,126",
        "37,200",
        "NaN,126",
        "inf,126",
    ] {
        let e = LaunchPoint::parse(bad).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("bad coordinate"), "{bad}: {e}");
    }
    let e = LaunchPoint::parse("95,126")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("latitude 95 is outside -90..90"), "{e}");
}

#[test]
fn targets_parse() {
    let t = |s: &str| Target::parse(s).map_err(|e| e.to_string());
    assert_eq!(t("north"), Ok(Target::north()));
    assert_eq!(t("NK"), Ok(Target::north()));
    let p = t("province:pyongyang");
    assert_eq!(
        p.as_ref().map(|t| t.kind.clone()),
        Ok(TargetKind::Province {
            name: "P'yŏngyang".into()
        })
    );
    assert_eq!(t("province:P'yŏngyang"), p);
    assert_eq!(t("province:평양"), p);
    match t("city:Pyongyang:30km").map(|t| t.kind) {
        Ok(TargetKind::City {
            name, radius_km, ..
        }) => {
            assert_eq!(name, "Pyongyang");
            assert_eq!(radius_km, 30.0);
        }
        other => panic!("{other:?}"),
    }
    match t("37.5,126.9:20km").map(|t| t.kind) {
        Ok(TargetKind::Point {
            lat,
            lon,
            radius_km,
        }) => assert_eq!((lat, lon, radius_km), (37.5, 126.9, 20.0)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t("north:pop=40km").map(|t| t.weighting),
        Ok(Weighting::Population { reach_km: 40.0 })
    );
    assert_eq!(
        t("city:pyongyang:pop").map(|t| t.weighting),
        Ok(Weighting::Population {
            reach_km: target::DEFAULT_REACH_KM
        })
    );
    for (bad, needle) in [
        ("", "empty"),
        ("south", "expected north"),
        ("province:", "unknown province"),
        ("province:tokyo", "P'yŏngyang"),
        ("city:Atlantis:10km", "unknown place"),
        ("city:Pyongyang:-3km", "more than 0"),
        ("city:Pyongyang:abc", "not a distance"),
        ("95,126:10km", "latitude 95"),
        ("north:pop=0", "more than 0"),
        ("37.5,126.9:10:20", "expected LAT,LON"),
        (
            "pyongyang",
            "did you mean province:pyongyang or city:Pyongyang:25km?",
        ),
        ("Hamhung", "did you mean city:Hamhung:25km?"),
    ] {
        let e = t(bad).map(|_| ()).unwrap_err();
        assert!(e.contains("bad target") && e.contains(needle), "{bad}: {e}");
    }
}

#[test]
fn targets_score() {
    let g = geo();
    let north = Target::north();
    assert_eq!(north.score(g, 39.02, 125.75), 1.0);
    assert_eq!(north.score(g, 37.57, 126.98), 0.0);
    assert_eq!(north.score(g, 38.3, 127.5), 0.0, "DMZ is not the North");
    assert_eq!(north.score(g, f64::NAN, 125.75), 0.0);

    let prov = Target::parse("province:pyongyang").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(prov.score(g, 39.02, 125.75), 1.0);
    assert_eq!(prov.score(g, 39.91, 127.55), 0.0, "Hamhung");

    let city = Target::parse("city:Pyongyang:30km").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(city.score(g, 39.0194, 125.7547), 1.0);
    // Nampo is about 35 km from Pyongyang.
    assert_eq!(city.score(g, 38.7669, 125.4524), 0.0);

    let pop = Target::parse("north:pop").unwrap_or_else(|e| panic!("{e}"));
    let at_py = pop.score(g, 39.0194, 125.7547);
    assert!((0.99..=1.0).contains(&at_py), "{at_py}");
    let remote = pop.score(g, 41.0, 129.0);
    assert!((0.0..0.05).contains(&remote), "{remote}");
    let sariwon_10km = pop.score(g, 38.507 + 0.09, 125.762);
    assert!(sariwon_10km > 0.0 && sariwon_10km < at_py, "{sariwon_10km}");
    assert_eq!(
        pop.score(g, 37.57, 126.98),
        0.0,
        "Seoul is not in the target"
    );
    assert!(pop.label().contains("population-weighted"));
    assert_eq!(city.label(), "Pyongyang ≤ 30 km");
    // Korean labels, for pages read in Korean.
    assert_eq!(city.label_ko(), "평양 30 km 이내");
    assert_eq!(pop.label_ko(), "북한, 인구 가중 (25 km 범위)");
    let province = Target::parse("province:Hwanghae-namdo").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(province.label_ko(), "황해남도");
}

#[test]
fn most_grid_cells_answer_directly() {
    let g = geo();
    // Cells that an edge touches need the slower ray test; keep them a minority.
    assert!(
        g.admin0.mixed_fraction() < 0.15,
        "{}",
        g.admin0.mixed_fraction()
    );
    assert!(g.province_index.mixed_fraction() < 0.25);
}

/// Property: for any pair of f64 bit patterns (NaN payloads, infinities, subnormals,
/// huge values) classification, distances and scoring return without panicking, and a
/// non-finite or off-map point is `OutsideMap`, never land or sea.
#[test]
fn any_bit_pattern_is_handled() {
    let g = geo();
    let target = Target::parse("city:Pyongyang:30km:pop").unwrap_or_else(|e| panic!("{e}"));
    let mut s: u64 = 0x0123_4567_89AB_CDEF;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    for i in 0..200_000 {
        let (lat, lon) = if i % 2 == 0 {
            (f64::from_bits(next()), f64::from_bits(next()))
        } else {
            // Near the map, where the index does real work.
            let u = (next() >> 11) as f64 / (1u64 << 53) as f64;
            let v = (next() >> 11) as f64 / (1u64 << 53) as f64;
            (31.0 + 15.0 * u, 119.0 + 17.0 * v)
        };
        let r = g.classify(lat, lon);
        let class = serde_json::to_value(g.class_of(lat, lon)).ok();
        let full = serde_json::to_value(&r).ok();
        assert_eq!(
            class.as_ref(),
            full.as_ref().map(|v| &v["class"]),
            "{lat},{lon}"
        );
        assert_eq!(
            g.is_sea(lat, lon),
            match r {
                Region::OutsideMap => None,
                Region::Sea => Some(true),
                _ => Some(false),
            }
        );
        if !in_extent(lat, lon) {
            assert_eq!(r, Region::OutsideMap, "{lat},{lon}");
            assert!(!g.is_land(lat, lon));
        }
        if !lat.is_finite() || !lon.is_finite() {
            assert!(g.try_classify(lat, lon).is_err());
            assert!(g.nearest_nk_city(lat, lon).is_none());
        }
        if let Some((_, d)) = g.nearest_nk_city(lat, lon) {
            assert!(d.is_finite() && d >= 0.0, "{lat},{lon}: {d}");
        }
        let score = target.score(g, lat, lon);
        assert!((0.0..=1.0).contains(&score), "{lat},{lon}: {score}");
    }
}

/// Property: any text given as a site, a coordinate or a target gives a value or an
/// error, never a panic (the CLI passes user text straight in).
#[test]
fn any_text_parses_or_errors() {
    let pieces = [
        "",
        ":",
        ",",
        "north",
        "province",
        "city",
        "pop",
        "pop=",
        "km",
        "30km",
        "-1",
        "1e400",
        "NaN",
        "inf",
        "39.0",
        "125.7",
        "평양",
        "P'yŏngyang",
        "\u{0}",
        "::",
        ",,",
        " ",
        "ŏ",
        "pyongyang",
        "Paju",
        "=",
        "1e-320",
        "0x10",
        "+",
        "-",
    ];
    let mut s: u64 = 42;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s as usize
    };
    for _ in 0..20_000 {
        let n = next() % 6;
        let text: String = (0..n).map(|_| pieces[next() % pieces.len()]).collect();
        let _ = LaunchPoint::parse(&text);
        if let Ok(t) = Target::parse(&text) {
            let _ = t.label();
            let sc = t.score(geo(), 39.0, 125.7);
            assert!((0.0..=1.0).contains(&sc), "{text}: {sc}");
        }
    }
}

fn place(name: &str) -> &'static Place {
    match geo().find_place(name) {
        PlaceLookup::One(p) => p,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn geonames_places_load_with_their_corrections() {
    let g = geo();
    assert_eq!(g.places().len(), 438);
    assert_eq!(
        g.places().iter().filter(|p| p.is_south_korean()).count(),
        311
    );
    assert_eq!(
        g.places().iter().filter(|p| p.is_north_korean()).count(),
        127
    );
    // 0 in the file is "size unknown", never "empty".
    assert_eq!(
        g.places().iter().filter(|p| p.population.is_none()).count(),
        165
    );
    assert_eq!(place("Paju").population, None);
    assert_eq!(place("Munsan").population, Some(43_208));
    // Corrected Korean names: Seoul is 서울 (GeoNames gives the colonial-era 경성), Munsan
    // gets the 문산 GeoNames lacks.
    assert_eq!(place("Seoul").name_ko.as_deref(), Some("서울"));
    assert_eq!(place("Munsan").name_ko.as_deref(), Some("문산"));
    assert_eq!(place("Hŭngnam").name_ko.as_deref(), Some("흥남"));
}

#[test]
fn populated_radius_scales_with_population() {
    // sqrt(10 349 312 / (π · 3000)) = 33.1 km.
    let r = |name: &str| place(name).populated_radius_km();
    assert!((r("Seoul") - 33.14).abs() < 0.05, "{}", r("Seoul"));
    assert!((r("Goyang") - 10.61).abs() < 0.05, "{}", r("Goyang"));
    // Towns under 236,000 people get the 5 km floor; so do places of unknown size.
    assert_eq!(r("Munsan"), POPULATED_MIN_RADIUS_KM);
    assert_eq!(r("Paju"), POPULATED_UNKNOWN_RADIUS_KM);
    assert_eq!(POPULATED_UNKNOWN_RADIUS_KM, 5.0);
}

#[test]
fn a_place_of_unknown_population_gets_its_minimum_disc() {
    let g = geo();
    // Seoseok, a township in Gangwon: population 0 in GeoNames, no other place within
    // 11 km. 4.5 km from it (on land, any side) is inside its 5 km disc, 5.5 km is outside
    // every disc.
    let p = place("Seoseok");
    assert_eq!(p.population, None);
    for (dlat, dlon) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
        let at = |km: f64| {
            (
                p.lat + dlat * km / 111.195,
                p.lon + dlon * km / (111.195 * p.lat.to_radians().cos()),
            )
        };
        let (lat, lon) = at(4.5);
        let (_, q, d) = g.populated_rok_place(lat, lon).unwrap();
        assert_eq!(q.name, "Seoseok");
        assert!((d - 4.5).abs() < 0.05, "{d}");
        let (lat, lon) = at(5.5);
        assert!(g.populated_rok_place(lat, lon).is_none());
    }
}

#[test]
fn populated_rok_places() {
    let g = geo();
    // Central Goyang is inside Seoul's disc too, but deeper inside Goyang's.
    let (i, p, d) = g.populated_rok_place(37.65639, 126.835).unwrap();
    assert_eq!(p.name, "Goyang-si");
    assert_eq!(g.places()[i].name, "Goyang-si");
    assert!(d < 0.1);
    // Between Imjingak (the Paju launch site) and Munsan, 3 km from Munsan: a border town
    // the Natural Earth layer did not list.
    let (_, p, d) = g.populated_rok_place(37.875, 126.757).unwrap();
    assert_eq!(p.name, "Munsan");
    assert!((2.5..3.5).contains(&d), "{d}");
    // Pyongyang, the sea off Incheon, the DMZ, NaN: never.
    assert!(g.populated_rok_place(39.02, 125.75).is_none());
    assert!(g.populated_rok_place(37.40, 126.30).is_none());
    assert_eq!(g.class_of(38.3, 127.5), RegionClass::Dmz);
    assert!(g.populated_rok_place(38.3, 127.5).is_none());
    assert!(g.populated_rok_place(f64::NAN, 127.0).is_none());
    // Pyongyang is inside its own disc (either Korea).
    assert_eq!(
        g.populated_place(39.02, 125.75)
            .map(|(_, p, _)| p.name.as_str()),
        Some("Pyongyang")
    );
}

#[test]
fn the_disc_index_agrees_with_a_scan_of_every_place() {
    let g = geo();
    let scan = |lat: f64, lon: f64| {
        g.places()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    i,
                    distance_km(lat, lon, p.lat, p.lon) / p.populated_radius_km(),
                )
            })
            .filter(|&(_, q)| q <= 1.0)
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(i, _)| i)
    };
    let mut s: u64 = 7;
    let mut next = || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut inside = 0;
    for _ in 0..20_000 {
        let lat = 32.5 + 11.0 * next();
        let lon = 123.5 + 8.0 * next();
        let want = scan(lat, lon);
        assert_eq!(
            g.populated_place(lat, lon).map(|r| r.0),
            want,
            "{lat} {lon}"
        );
        inside += usize::from(want.is_some());
    }
    assert!(inside > 500, "{inside}");
}

#[test]
fn places_resolve_by_korean_and_english_names() {
    for (q, name) in [
        ("Haeju", "Haeju"),
        ("해주", "Haeju"),
        ("HAEJU", "Haeju"),
        ("kaesong", "Kaesŏng"),
        ("Kaesŏng", "Kaesŏng"),
        ("개성", "Kaesŏng"),
        ("Pyongyang", "Pyongyang"),
        ("평양", "Pyongyang"),
        ("서울", "Seoul"),
        ("munsan", "Munsan"),
        ("문산", "Munsan"),
        ("Goyang", "Goyang-si"),
        ("고양시", "Goyang-si"),
        ("강화", "Ganghwa-gun"),
        ("nampo", "Namp’o"),
        ("순천/KP", "Sunch’ŏn"),
        ("순천/남한", "Suncheon"),
        ("1840862", "Munsan"),
    ] {
        assert_eq!(place(q).name, name, "{q}");
    }
}

#[test]
fn a_shared_name_is_ambiguous_never_a_guess() {
    let g = geo();
    for q in ["Gwangju", "광주", "순천", "Yeosu"] {
        match g.find_place(q) {
            PlaceLookup::Ambiguous(all) => {
                assert!(all.len() >= 2, "{q}");
                // Most populous first.
                assert!(all[0].population >= all[1].population, "{q}");
            }
            other => panic!("{q}: {other:?}"),
        }
    }
}

#[test]
fn unknown_names_come_with_close_spellings() {
    let g = geo();
    let close = |q: &str| match g.find_place(q) {
        PlaceLookup::Unknown(c) => c.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        other => panic!("{q}: {other:?}"),
    };
    assert!(close("Haeuj").contains(&"Haeju".to_string()));
    assert!(close("Kaesang").contains(&"Kaesŏng".to_string()));
    assert!(close("해쥬").contains(&"Haeju".to_string()));
    assert!(close("Munsa").contains(&"Munsan".to_string()));
    assert!(close("zzzzzzzz").is_empty());
    assert!(close("").is_empty());
    assert!(close("99999999").is_empty());
    assert!(close("Haeju/JP").is_empty() || close("Haeju/JP").len() <= 5);
}

#[test]
fn north_along_a_bearing() {
    let g = geo();
    // From Imjingak, due north crosses the DMZ into the North within 20 km.
    let d = g.north_along(37.889, 126.740, 0.0, 500.0).unwrap();
    assert!(d > 2.0 && d < 20.0, "{d}");
    // South, or east to the East Sea and Japan: never.
    assert!(g.north_along(37.889, 126.740, 180.0, 500.0).is_none());
    assert!(g.north_along(37.889, 126.740, 95.0, 500.0).is_none());
    // Too short a walk, or a non-finite bearing.
    assert!(g.north_along(37.889, 126.740, 0.0, 1.0).is_none());
    assert!(g.north_along(37.889, 126.740, f64::NAN, 500.0).is_none());
}

#[test]
fn city_targets_by_korean_or_english_name() {
    let t = |s: &str| Target::parse(s).map_err(|e| e.to_string());
    let kind = |s: &str| match t(s).map(|t| t.kind) {
        Ok(TargetKind::City {
            name,
            name_ko,
            geonameid,
            radius_km,
            ..
        }) => (name, name_ko, geonameid, radius_km),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        kind("city:Haeju:20km"),
        ("Haeju".into(), Some("해주".into()), Some(1877615), 20.0)
    );
    assert_eq!(kind("city:해주:20km"), kind("city:Haeju:20km"));
    assert_eq!(kind("CITY:haeju:20"), kind("city:Haeju:20km"));
    assert_eq!(kind("city:개성").0, "Kaesŏng");
    assert_eq!(kind("city:Kaesong:15km").0, "Kaesŏng");
    assert_eq!(kind("city:순천/KP").2, Some(1869012));
    assert_eq!(kind("city:1841810:10km").0, "Gwangju");
    // Natural Earth still answers for places abroad and for its own spellings.
    assert_eq!(kind("city:Dandong").2, None);
    assert_eq!(kind("city:Kimchaek").0, "Kimchaek");
}

#[test]
fn an_ambiguous_city_target_lists_every_place_and_how_to_name_it() {
    let e = Target::parse("city:Gwangju:20km")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"Gwangju\" names 2 places; say which"), "{e}");
    assert!(
        e.contains("city:1841811") && e.contains("city:1841810"),
        "{e}"
    );
    assert!(e.contains("1,401,235 people"), "{e}");
    let e = Target::parse("city:순천")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("KP") && e.contains("KR"), "{e}");
}

#[test]
fn an_unknown_city_target_suggests_near_matches() {
    let e = Target::parse("city:Haeuj:20km")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown place \"Haeuj\""), "{e}");
    assert!(e.contains("did you mean Haeju 해주, KP"), "{e}");
    assert!(e.contains("(city:1877615)"), "{e}");
    let e = Target::parse("city:Qwxzrtp")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no place of that name or close to it"), "{e}");
    let e = Target::parse("city:123456789")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown place \"123456789\""), "{e}");
}
