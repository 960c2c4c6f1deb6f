//! Tests across modules: decoding the shipped files against ecCodes reference values,
//! interpolation, the cache round trip, tawhiri datasets.

use std::path::PathBuf;

use crate::cube::Grid;
use crate::region::Region;
use crate::{Axis, Forecast, WindField, cache, tawhiri};

const PAJU: (f64, f64) = (37.8, 126.75);

/// A file of the repository's wind test data (`testdata/wind`, see its SOURCES.md).
fn testdata(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/wind/")).join(name)
}

/// Zero-based offsets of every section 4 in a GRIB2 file.
pub(crate) fn section4_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut msg = 0;
    while msg + 16 <= bytes.len() && &bytes[msg..msg + 4] == b"GRIB" {
        let total = u64::from_be_bytes(bytes[msg + 8..msg + 16].try_into().unwrap()) as usize;
        let mut pos = msg + 16;
        while pos + 5 <= msg + total {
            if &bytes[pos..pos + 4] == b"7777" {
                break;
            }
            let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            if bytes[pos + 4] == 4 {
                out.push(pos);
            }
            pos += len;
        }
        msg += total;
    }
    out
}

/// The embedded file with every field's forecast time set to `hours`.
fn meps_at_step(hours: u32) -> Vec<u8> {
    let mut b = crate::forecast::EMBEDDED_GRIB2.to_vec();
    for s in section4_offsets(&b) {
        b[s + 17] = 1; // unit: hour
        b[s + 18..s + 22].copy_from_slice(&hours.to_be_bytes());
    }
    b
}

#[test]
fn embedded_matches_eccodes_at_reference_points() {
    let f = Forecast::embedded().expect("embedded sample decodes");
    assert!(f.info().is_embedded_sample());
    assert_eq!(f.info().levels_hpa, vec![975.0, 950.0, 925.0, 850.0, 300.0]);
    // (lat, lon, u850, v850) from ecCodes at the grid points (data/SOURCES.md).
    for (lat, lon, u, v) in [
        (37.8, 126.75, 2.416, -0.080),
        (37.6, 126.75, 1.440, 0.608),
        (37.8, 126.5, 2.190, 1.014),
        (38.1, 127.125, 4.182, -3.908),
        (38.2, 127.25, 4.408, -4.908),
        (39.0, 125.75, 7.979, 0.780),
    ] {
        let s = f.sample_level(0.0, lat, lon, 850.0).expect("850 hPa");
        assert!(
            (s.u_m_s - u).abs() < 1e-3,
            "u850 at {lat},{lon}: {} vs {u}",
            s.u_m_s
        );
        assert!(
            (s.v_m_s - v).abs() < 1e-3,
            "v850 at {lat},{lon}: {} vs {v}",
            s.v_m_s
        );
        // 850 hPa height was derived from gh500 and the temperatures: plausible for June.
        assert!(
            (1350.0..1650.0).contains(&s.height_m),
            "gh850 {}",
            s.height_m
        );
        assert!(s.temperature_k.is_some());
    }
    let s = f.sample_level(0.0, 37.6, 127.0, 975.0).expect("975");
    assert!(
        (s.u_m_s - 0.220).abs() < 1e-3 && (s.v_m_s + 0.313).abs() < 1e-3,
        "{s:?}"
    );
    // The derivation is reported.
    assert!(
        f.info()
            .derived
            .iter()
            .any(|d| d.level_hpa == Some(850.0) && d.note.contains("hypsometric"))
    );
    assert!(
        f.info()
            .derived
            .iter()
            .all(|d| d.level_hpa != Some(300.0) || !d.note.contains("hypsometric"))
    );
    assert!(
        f.info()
            .derived
            .iter()
            .any(|d| d.level_hpa == Some(300.0) && d.note.contains("thickness"))
    );
    // 300 hPa temperature from the 500-300 hPa thickness: a plausible June value (-40 C).
    let t300 = f
        .sample_level(0.0, PAJU.0, PAJU.1, 300.0)
        .expect("300")
        .temperature_k;
    assert!(
        t300.is_some_and(|t| (225.0..245.0).contains(&t)),
        "{t300:?}"
    );
    // Mid-troposphere density now comes from temperatures, not the ISA.
    let mid = f.sample_alt(0.0, PAJU.0, PAJU.1, 5000.0).expect("5 km");
    assert!(mid.temperature_k.is_some());
    assert_eq!(f.info().inventory.len(), 20);
}

#[test]
fn embedded_is_steady_and_fails_closed_outside() {
    let f = Forecast::embedded().expect("decodes");
    let c = f.coverage();
    assert!(c.steady);
    assert!(
        c.lat_min <= 32.0 && c.lat_max >= 45.0 && c.lon_min <= 120.0 && c.lon_max >= 135.0,
        "{c:?}"
    );
    assert!(c.alt_max_m > 9000.0 && c.alt_max_m < 10_500.0, "{c:?}");
    // Steady: any time gives the same wind.
    let a = f.wind(0.0, PAJU.0, PAJU.1, 3000.0).expect("inside");
    let b = f.wind(2.0e9, PAJU.0, PAJU.1, 3000.0).expect("inside");
    assert_eq!(a, b);
    assert_eq!(
        f.wind(0.0, PAJU.0, PAJU.1, 12_000.0).unwrap_err().axis,
        Axis::Altitude
    );
    assert_eq!(
        f.wind(0.0, 50.0, PAJU.1, 1000.0).unwrap_err().axis,
        Axis::Latitude
    );
    assert_eq!(
        f.wind(0.0, PAJU.0, 140.0, 1000.0).unwrap_err().axis,
        Axis::Longitude
    );
    assert_eq!(
        f.wind(0.0, f64::NAN, PAJU.1, 1000.0).unwrap_err().axis,
        Axis::Latitude
    );
    assert_eq!(
        f.wind(0.0, PAJU.0, PAJU.1, f64::NAN).unwrap_err().axis,
        Axis::Altitude
    );
}

#[test]
fn vertical_interpolation_is_linear_in_height_and_holds_below() {
    let f = Forecast::embedded().expect("decodes");
    let l925 = f.sample_level(0.0, PAJU.0, PAJU.1, 925.0).expect("925");
    let l850 = f.sample_level(0.0, PAJU.0, PAJU.1, 850.0).expect("850");
    let mid = 0.5 * (l925.height_m + l850.height_m);
    let s = f.sample_alt(0.0, PAJU.0, PAJU.1, mid).expect("between");
    assert!((s.u_m_s - 0.5 * (l925.u_m_s + l850.u_m_s)).abs() < 1e-9);
    assert!((s.v_m_s - 0.5 * (l925.v_m_s + l850.v_m_s)).abs() < 1e-9);
    assert!(s.pressure_hpa < 925.0 && s.pressure_hpa > 850.0);
    // At a level's own height the level's wind comes back.
    let at = f
        .sample_alt(0.0, PAJU.0, PAJU.1, l850.height_m)
        .expect("at 850");
    assert!((at.u_m_s - l850.u_m_s).abs() < 1e-6);
    // Below the lowest level the lowest wind is held; density keeps rising.
    let l975 = f.sample_level(0.0, PAJU.0, PAJU.1, 975.0).expect("975");
    let ground = f.sample_alt(0.0, PAJU.0, PAJU.1, 0.0).expect("ground");
    assert!(ground.below_lowest_level);
    assert_eq!((ground.u_m_s, ground.v_m_s), (l975.u_m_s, l975.v_m_s));
    assert!(ground.density_kg_m3 > l975.density_kg_m3 && ground.density_kg_m3 < 1.3);
    assert!(ground.pressure_hpa > 975.0 && ground.pressure_hpa < 1030.0);
    // Density from T and p at 850 hPa: p/(R T).
    let rho = 85_000.0 / (crate::isa::R_DRY * l850.temperature_k.expect("t850"));
    assert!((l850.density_kg_m3 - rho).abs() < 1e-9);
}

#[test]
fn gfs_global_file_matches_eccodes() {
    let path = testdata("ncep_gfs_2p5deg_20111008T00Z_f072.grib2");
    let f = Forecast::open(&path).expect("GFS decodes");
    assert_eq!(f.info().levels_hpa.len(), 26);
    assert_eq!(f.info().run_name(), "2011100800");
    assert_eq!(f.info().steps_h(), vec![72.0]);
    assert!(
        f.info()
            .derived
            .iter()
            .all(|d| !d.note.contains("hypsometric"))
    );
    for (lat, lon, u, v, gh) in [
        (37.5, 127.5, -2.76, 0.19, 1549.304),
        (40.0, 125.0, -2.17, -0.49, 1551.71),
    ] {
        let s = f.sample_level(0.0, lat, lon, 850.0).expect("850");
        assert!((s.u_m_s - u).abs() < 5e-3, "u {} vs {u}", s.u_m_s);
        assert!((s.v_m_s - v).abs() < 5e-3, "v {} vs {v}", s.v_m_s);
        assert!((s.height_m - gh).abs() < 5e-3, "gh {} vs {gh}", s.height_m);
    }
    // 26 levels up to 10 hPa: about 30 km.
    assert!(f.coverage().alt_max_m > 29_000.0);
}

#[test]
fn a_region_the_grid_misses_is_an_error() {
    let r = Region::new(-10.0, 0.0, 120.0, 135.0).expect("region");
    let e = Forecast::from_grib2_bytes(crate::forecast::EMBEDDED_GRIB2, "meps", r).unwrap_err();
    assert!(e.to_string().contains("does not cover"), "{e}");
}

#[test]
fn truncated_and_corrupt_grib2_are_errors() {
    let b = crate::forecast::EMBEDDED_GRIB2;
    for cut in [10, 100, 1000, b.len() / 2, b.len() - 5] {
        let e = Forecast::from_grib2_bytes(&b[..cut], "cut.grib2", Region::KOREA).unwrap_err();
        assert!(e.to_string().starts_with("cut.grib2: "), "{e}");
    }
    let mut bad = b.to_vec();
    bad[7] = 1;
    let e = Forecast::from_grib2_bytes(&bad, "g1.grib", Region::KOREA).unwrap_err();
    assert!(e.to_string().contains("edition 1"), "{e}");
}

#[test]
fn u_without_v_is_an_error() {
    let mut b = crate::forecast::EMBEDDED_GRIB2.to_vec();
    // Field 12 (0-based 11) is v850: make it vertical velocity.
    let s = section4_offsets(&b)[11];
    assert_eq!((b[s + 9], b[s + 10]), (2, 3));
    b[s + 10] = 8;
    let e = Forecast::from_grib2_bytes(&b, "nov.grib2", Region::KOREA)
        .unwrap_err()
        .to_string();
    assert!(e.contains("u 850 hPa") && e.contains("U without V"), "{e}");
}

#[test]
fn several_steps_make_a_strict_time_axis() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("f000.grib2"), meps_at_step(0)).expect("write");
    std::fs::write(dir.path().join("f003.grib2"), meps_at_step(3)).expect("write");
    std::fs::write(dir.path().join("README"), "not grib").expect("write");
    let f = Forecast::open(dir.path()).expect("directory of steps");
    assert_eq!(f.info().steps_h(), vec![0.0, 3.0]);
    let c = f.coverage();
    assert!(!c.steady);
    let t0 = f.info().run_unix_s as f64;
    assert_eq!(
        (c.time_start_unix_s, c.time_end_unix_s),
        (t0, t0 + 10_800.0)
    );
    let e = Forecast::embedded().expect("decodes");
    let a = e.wind(0.0, PAJU.0, PAJU.1, 2000.0).expect("in");
    let b = f.wind(t0 + 5000.0, PAJU.0, PAJU.1, 2000.0).expect("in");
    // Two identical steps mix back to the same wind, to the f32 rounding of the interpolation
    // (it is done in f32, the precision the values are stored in).
    assert!((a.u_m_s - b.u_m_s).abs() < 1e-5 && (a.v_m_s - b.v_m_s).abs() < 1e-5);
    assert_eq!(
        f.wind(t0 - 1.0, PAJU.0, PAJU.1, 2000.0).unwrap_err().axis,
        Axis::Time
    );
    assert_eq!(
        f.wind(t0 + 10_801.0, PAJU.0, PAJU.1, 2000.0)
            .unwrap_err()
            .axis,
        Axis::Time
    );
    // A step missing a level is an error naming it.
    let mut short = meps_at_step(6);
    let s = section4_offsets(&short)[10]; // u850
    short[s + 10] = 8;
    let s = section4_offsets(&short)[11]; // v850
    short[s + 10] = 8;
    std::fs::write(dir.path().join("f006.grib2"), short).expect("write");
    let err = Forecast::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("850 hPa step +6 h") && err.contains("missing level"),
        "{err}"
    );
}

#[test]
fn linear_in_time_between_steps() {
    let grid = Grid {
        lat0: 30.0,
        dlat: 1.0,
        nlat: 3,
        lon0: 120.0,
        dlon: 1.0,
        nlon: 3,
    };
    let levels = vec![1000.0, 500.0];
    let mut values = Vec::new();
    for t in 0..2 {
        for _ in 0..9 {
            for (l, h) in [(0, 100.0), (1, 5500.0)] {
                values.extend([10.0 * t as f32 + l as f32, -1.0, h, f32::NAN]);
            }
        }
    }
    let f =
        Forecast::from_values("synthetic", 0, vec![0, 3600], levels, grid, values).expect("cube");
    let w = f.wind(900.0, 31.0, 121.0, 100.0).expect("in");
    assert!((w.u_m_s - 2.5).abs() < 1e-9);
    let w = f.wind(1800.0, 31.0, 121.0, 2800.0).expect("in");
    assert!((w.u_m_s - 5.5).abs() < 1e-9);
    assert!((w.density_kg_m3 - crate::isa::density_kg_m3(2800.0)).abs() < 1e-12);
}

#[test]
fn cache_round_trips_bit_for_bit() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = Forecast::open(&testdata("ncep_gfs_2p5deg_20111008T00Z_f072.grib2")).expect("GFS");
    let path = f.write_cache(dir.path()).expect("cache written");
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some("gfs-2011100800.swc")
    );
    let g = cache::open(&path, true).expect("cache opens");
    let a: &[u32] = bytemuck::cast_slice(f.cube().values());
    let b: &[u32] = bytemuck::cast_slice(g.cube().values());
    assert_eq!(a, b);
    let mut expect = f.info().clone();
    expect.kind = crate::SourceKind::Cache;
    expect.origin = path.display().to_string();
    assert_eq!(g.info(), &expect);
    assert_eq!(
        f.wind(0.0, 38.0, 127.0, 5000.0),
        g.wind(0.0, 38.0, 127.0, 5000.0)
    );
    // The terrain section comes back bit for bit, and so does its description.
    let (ta, tb) = (
        f.terrain().expect("GFS orography"),
        g.terrain().expect("cached orography"),
    );
    let a: &[u32] = bytemuck::cast_slice(ta.values());
    let b: &[u32] = bytemuck::cast_slice(tb.values());
    assert_eq!(a, b);
    assert_eq!(ta.grid(), tb.grid());
    assert!(g.info().terrain.is_some());
    assert_eq!(
        f.terrain_m(38.3, 126.9).map(f64::to_bits),
        g.terrain_m(38.3, 126.9).map(f64::to_bits)
    );
    // Opening via Forecast::open sniffs the magic.
    assert!(Forecast::open(&path).is_ok());
    let listed = cache::list(dir.path()).expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].header.is_ok());
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);

    // Damage: truncation, a flipped body byte, a flipped header byte, another version.
    let bytes = std::fs::read(&path).expect("read");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("size mismatch", bytes[..bytes.len() - 4].to_vec()),
        ("body checksum", {
            let mut b = bytes.clone();
            let n = cache::read_header(&path).expect("header").body_offset as usize + 10;
            b[n] ^= 1;
            b
        }),
        ("terrain checksum", {
            let mut b = bytes.clone();
            let n = b.len() - 10;
            b[n] ^= 1;
            b
        }),
        ("header checksum", {
            let mut b = bytes.clone();
            b[60] ^= 1;
            b
        }),
        ("version 9", {
            let mut b = bytes.clone();
            b[8] = 9;
            b
        }),
        ("truncated", bytes[..20].to_vec()),
    ];
    for (what, b) in cases {
        let p = dir.path().join("bad.swc");
        std::fs::write(&p, b).expect("write");
        let e = cache::open(&p, true).unwrap_err().to_string();
        assert!(e.contains(what) && e.contains("bad.swc"), "{what}: {e}");
    }
}

fn small_tawhiri(dir: &std::path::Path) -> (std::path::PathBuf, tawhiri::Shape) {
    let shape = tawhiri::Shape {
        hours: 3,
        step_h: 3,
        levels_hpa: vec![1000.0, 850.0, 500.0],
        nlat: 5,
        nlon: 8,
    };
    // Values: height = 100, 1500, 5500 m; u = hour + lat row / 10; v = lon column.
    let mut v = Vec::new();
    for h in 0..3 {
        for l in 0..3 {
            for var in 0..3 {
                for j in 0..5 {
                    for i in 0..8 {
                        v.push(match var {
                            0 => [100.0, 1500.0, 5500.0][l],
                            1 => h as f32 + j as f32 / 10.0,
                            _ => i as f32,
                        });
                    }
                }
            }
        }
    }
    let path = dir.join("2024010206");
    let bytes: Vec<u8> = v.iter().flat_map(|x: &f32| x.to_le_bytes()).collect();
    std::fs::write(&path, bytes).expect("write");
    (path, shape)
}

#[test]
fn tawhiri_small_dataset_reads_in_place() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, shape) = small_tawhiri(dir.path());
    let f = tawhiri::open_with_shape(&path, &shape).expect("opens");
    assert_eq!(f.info().run_name(), "2024010206");
    assert_eq!(f.info().steps_h(), vec![0.0, 3.0, 6.0]);
    // Grid: -90..90 every 45 degrees, 0..315E every 45 degrees.
    let t0 = f.info().run_unix_s as f64;
    let w = f.wind(t0 + 3.0 * 3600.0, 0.0, 90.0, 1500.0).expect("in");
    assert!(
        (w.u_m_s - 1.2).abs() < 1e-6 && (w.v_m_s - 2.0).abs() < 1e-6,
        "{w:?}"
    );
    // Longitude wraps: 337.5E (= -22.5) is between column 7 (315E) and column 0.
    let w = f.wind(t0, 0.0, -22.5, 1500.0).expect("wraps");
    assert!((w.v_m_s - 3.5).abs() < 1e-6, "{w:?}");
    // Time between hours, heights between levels.
    let w = f.wind(t0 + 1.5 * 3600.0, 45.0, 0.0, 3500.0).expect("in");
    // Half way between hour 0 and 3 at row 3 (45N): 0.5 + 0.3.
    assert!((w.u_m_s - 0.8).abs() < 1e-6, "{w:?}");
    assert_eq!(
        f.wind(t0 + 7.0 * 3600.0, 0.0, 0.0, 1000.0)
            .unwrap_err()
            .axis,
        Axis::Time
    );
    assert_eq!(
        f.wind(t0, 0.0, 0.0, 6000.0).unwrap_err().axis,
        Axis::Altitude
    );
    assert!((f.coverage().alt_max_m - 5500.0).abs() < 1e-9);
    // Not cacheable (used in place).
    assert!(f.write_cache(dir.path()).is_err());
}

#[test]
fn tawhiri_wrong_size_or_name_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let (path, _) = small_tawhiri(dir.path());
    // Real shape: the small file is far too short.
    let e = Forecast::open(&path).unwrap_err().to_string();
    assert!(
        e.contains("2024010206") && e.contains("9528667200 bytes"),
        "{e}"
    );
    let other = dir.path().join("notarun");
    std::fs::copy(&path, &other).expect("copy");
    let e = tawhiri::open(&other).unwrap_err().to_string();
    assert!(e.contains("not a run time"), "{e}");
}

#[test]
fn impossible_section_lengths_are_errors_not_panics() {
    // Found by fuzzing: grib 0.20.2 panics ("capacity overflow") on a huge section length.
    let mut b = crate::forecast::EMBEDDED_GRIB2.to_vec();
    let s = section4_offsets(&b)[3];
    b[s..s + 4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    let e = Forecast::from_grib2_bytes(&b, "huge.grib2", Region::KOREA)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("huge.grib2") && e.contains("impossible length"),
        "{e}"
    );
    let mut b = crate::forecast::EMBEDDED_GRIB2.to_vec();
    b[8..16].copy_from_slice(&u64::MAX.to_be_bytes());
    let e = Forecast::from_grib2_bytes(&b, "total.grib2", Region::KOREA)
        .unwrap_err()
        .to_string();
    assert!(e.contains("claims"), "{e}");
}

/// Orography of the shipped GFS 2.5° file at grid points, from ecCodes 2.50 (Python
/// `eccodes`, `codes_get_values` of the `orog` field, message 180): (lat, lon, metres).
const GFS_OROG_ECCODES: [(f64, f64, f64); 8] = [
    (37.5, 127.5, 200.93),
    (40.0, 125.0, 246.87),
    (42.5, 127.5, 654.54),
    (35.0, 127.5, 228.15),
    (45.0, 120.0, 854.20),
    (32.5, 125.0, 1.09),
    (40.0, 130.0, -3.61),
    (37.5, 125.0, -2.70),
];

#[test]
fn gfs_orography_matches_eccodes_and_interpolates_bilinearly() {
    let f = Forecast::open(&testdata("ncep_gfs_2p5deg_20111008T00Z_f072.grib2")).expect("GFS");
    let t = f.terrain().expect("the GFS file has orog");
    assert_eq!(t.grid(), f.cube().grid());
    for (lat, lon, want) in GFS_OROG_ECCODES {
        let got = f.terrain_m(lat, lon).expect("inside");
        assert!(
            (got - want).abs() < 5e-3,
            "orog at {lat},{lon}: {got} vs ecCodes {want}"
        );
    }
    // Half way between 37.5/40N and 125/127.5E: the mean of the four ecCodes values.
    let mid = f.terrain_m(38.75, 126.25).expect("inside");
    let want = (-2.70 + 200.93 + 246.87 + 287.52) / 4.0;
    assert!((mid - want).abs() < 5e-3, "{mid} vs {want}");
    // A quarter of the way: weights 9/16, 3/16, 3/16, 1/16 from the south-west corner.
    let q = f.terrain_m(38.125, 125.625).expect("inside");
    let want = (9.0 * -2.70 + 3.0 * 200.93 + 3.0 * 246.87 + 287.52) / 16.0;
    assert!((q - want).abs() < 5e-3, "{q} vs {want}");
    assert_eq!(f.terrain_m(20.0, 126.0), None);
    let info = f.info().terrain.as_ref().expect("described");
    assert!(info.field.starts_with("orog surface"), "{info:?}");
    assert!(
        f.info()
            .terrain_summary()
            .starts_with("model orography at 2.5°, smoothed"),
        "{}",
        f.info().terrain_summary()
    );
    assert!(f.info().terrain_notes.is_empty());
    let orog: Vec<_> = f
        .info()
        .inventory
        .iter()
        .filter(|i| i.name == "orog")
        .collect();
    assert!(orog.len() == 1 && orog[0].used, "{orog:?}");
}

#[test]
fn the_embedded_sample_has_no_terrain() {
    let f = Forecast::embedded().expect("decodes");
    assert!(f.terrain().is_none() && f.info().terrain.is_none());
    assert_eq!(f.info().terrain_summary(), "none, sea level");
    assert_eq!(f.terrain_m(PAJU.0, PAJU.1), None);
}

/// The GRIB2 messages of a file as byte ranges.
fn grib_messages(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut msg = 0;
    while msg + 16 <= bytes.len() && &bytes[msg..msg + 4] == b"GRIB" {
        let total = u64::from_be_bytes(bytes[msg + 8..msg + 16].try_into().unwrap()) as usize;
        out.push(msg..msg + total);
        msg += total;
    }
    out
}

/// The GFS file's orography message alone, and the offset of its section 4.
fn gfs_orog_message() -> (Vec<u8>, usize) {
    let bytes = std::fs::read(testdata("ncep_gfs_2p5deg_20111008T00Z_f072.grib2")).expect("GFS");
    for m in grib_messages(&bytes) {
        let one = bytes[m].to_vec();
        if let Some(&s) = section4_offsets(&one).first() {
            // Category 3, number 5, first surface type 1 (ground): orog.
            if one[6] == 0 && one[s + 9] == 3 && one[s + 10] == 5 && one[s + 22] == 1 {
                return (one, s);
            }
        }
    }
    panic!("no orog message in the GFS file");
}

#[test]
fn surface_geopotential_is_divided_by_g0() {
    // The GFS orog message relabelled as geopotential (0.3.4): its values (ecCodes' orog
    // numbers, now read as m²/s²) must come out divided by g0.
    let (mut orog, s) = gfs_orog_message();
    orog[s + 10] = 4;
    let dir = tempfile::tempdir().expect("tmp");
    let winds = dir.path().join("a-winds.grib2");
    std::fs::copy(testdata("ncep_gfs_2p5deg_20111008T00Z_f072.grib2"), &winds).expect("copy");
    // Strip the real orog from the winds file so that only the relabelled z is terrain.
    let bytes = std::fs::read(&winds).expect("read");
    let (real, _) = gfs_orog_message();
    let at = bytes
        .windows(real.len())
        .position(|w| w == real.as_slice())
        .expect("orog message in the file");
    let mut stripped = bytes[..at].to_vec();
    stripped.extend_from_slice(&bytes[at + real.len()..]);
    std::fs::write(&winds, stripped).expect("write");
    std::fs::write(dir.path().join("b-z.grib2"), &orog).expect("write");
    let f = Forecast::open(dir.path()).expect("opens");
    let info = f.info().terrain.as_ref().expect("z is terrain");
    assert!(
        info.field.starts_with("z surface") && info.conversion.contains("9.80665"),
        "{info:?}"
    );
    for (lat, lon, v) in GFS_OROG_ECCODES {
        let got = f.terrain_m(lat, lon).expect("inside");
        assert!((got - v / crate::isa::G0).abs() < 1e-3, "{got} vs {v}/g0");
    }
}

#[test]
fn terrain_on_another_grid_is_not_used_and_says_why() {
    // MEPS winds (0.125° x 0.1°) with the GFS 2.5° orography beside them.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("a.grib2"), crate::forecast::EMBEDDED_GRIB2).expect("write");
    std::fs::write(dir.path().join("b.grib2"), gfs_orog_message().0).expect("write");
    let f = Forecast::open(dir.path()).expect("the winds are fine");
    assert!(f.terrain().is_none());
    assert_eq!(f.info().terrain_summary(), "none, sea level");
    let notes = &f.info().terrain_notes;
    assert!(
        notes.len() == 1 && notes[0].contains("another grid") && notes[0].contains("b.grib2"),
        "{notes:?}"
    );
}

#[test]
fn a_version_1_cache_file_still_opens() {
    // Written by the version 1 writer (saebaram before terrain, commit 344c3cf) from a
    // generated 2-time, 3-level, 3x4 cube: u = 1 + row + level, v = column - 2,
    // gh = 100/1500/5600 m (+1 m at the second time), t = 288/280/250 K.
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/cache-v1.swc"
    ));
    let bytes = std::fs::read(&path).expect("fixture");
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 1);
    let f = cache::open(&path, true).expect("a version 1 file opens");
    assert!(f.terrain().is_none());
    assert_eq!(f.info().terrain_summary(), "none, sea level");
    assert!(f.info().terrain_notes.is_empty());
    assert_eq!(f.info().source, "synthetic v1");
    assert_eq!(f.info().levels_hpa, vec![1000.0, 850.0, 500.0]);
    let t0 = f.info().run_unix_s as f64;
    let s = f.sample_alt(t0, 37.5, 127.0, 1500.0).expect("inside");
    assert!(
        (s.u_m_s - 3.0).abs() < 1e-9 && (s.v_m_s - 0.0).abs() < 1e-9,
        "{s:?}"
    );
    assert!(Forecast::open(&path).is_ok());
    // Rewritten, it becomes version 3 and reads back the same.
    let dir = tempfile::tempdir().expect("tmp");
    let p2 = f.write_cache(dir.path()).expect("rewrite");
    let b2 = std::fs::read(&p2).expect("read");
    assert_eq!(u32::from_le_bytes(b2[8..12].try_into().unwrap()), 3);
    let g = cache::open(&p2, true).expect("opens");
    let a: &[u32] = bytemuck::cast_slice(f.cube().values());
    let b: &[u32] = bytemuck::cast_slice(g.cube().values());
    assert_eq!(a, b);
    assert!(g.terrain().is_none());
}

#[test]
fn a_version_2_cache_file_still_opens() {
    // Written by the version 2 writer (saebaram before ensembles, commit 3b74b8b) from a
    // generated 2-time, 3-level, 3x4 cube with terrain: u = 1 + row + level, v = column - 2,
    // gh = 100/1500/5600 m (+1 m at the second time), t = 288/280/250 K, terrain 10 m per
    // point in row order.
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/cache-v2.swc"
    ));
    let bytes = std::fs::read(&path).expect("fixture");
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 2);
    let f = cache::open(&path, true).expect("a version 2 file opens");
    assert!(!f.is_ensemble());
    assert_eq!(f.member_count(), 1);
    assert_eq!(f.info().source, "synthetic v2");
    assert!((f.terrain_m(37.5, 126.5).expect("terrain") - 50.0).abs() < 1e-4);
    let t0 = f.info().run_unix_s as f64;
    let s = f.sample_alt(t0, 37.5, 127.0, 1500.0).expect("inside");
    assert!(
        (s.u_m_s - 3.0).abs() < 1e-9 && (s.v_m_s - 0.0).abs() < 1e-9,
        "{s:?}"
    );
    let m = f.member(0).expect("its one member");
    assert_eq!(m.number(), 0);
    assert_eq!(
        m.wind(t0, 37.5, 127.0, 1500.0),
        f.wind(t0, 37.5, 127.0, 1500.0)
    );
    // Damage in its body is found at open, as before.
    let dir = tempfile::tempdir().expect("tmp");
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 4 * 12 - 20] ^= 1;
    let p = dir.path().join("bad.swc");
    std::fs::write(&p, &bad).expect("write");
    let e = cache::open(&p, true).unwrap_err().to_string();
    assert!(e.contains("bad.swc") && e.contains("checksum"), "{e}");
}

/// A small ensemble: member k has u = k + level, v = -k, on a 2-time, 2-level, 3x3 grid.
fn small_ensemble(numbers: &[u32]) -> Forecast {
    let grid = Grid {
        lat0: 37.0,
        dlat: 0.5,
        nlat: 3,
        lon0: 126.0,
        dlon: 0.5,
        nlon: 3,
    };
    let members = numbers
        .iter()
        .map(|&k| {
            let mut values = Vec::new();
            for _ in 0..2 * 9 {
                for (l, h) in [(0, 100.0f32), (1, 5500.0)] {
                    values.extend([k as f32 + l as f32, -(k as f32), h, 280.0 - l as f32 * 30.0]);
                }
            }
            let kind = if k == 0 {
                crate::MemberKind::Control
            } else {
                crate::MemberKind::Perturbed
            };
            (Some(crate::MemberInfo { number: k, kind }), values)
        })
        .collect();
    Forecast::from_member_values(
        "synthetic ensemble",
        0,
        vec![0, 3 * 3600],
        vec![1000.0, 500.0],
        grid,
        members,
    )
    .expect("ensemble")
}

#[test]
fn cache_round_trips_every_member() {
    let f = small_ensemble(&[0, 1, 2, 3]);
    assert!(f.is_ensemble());
    assert_eq!(f.member_count(), 4);
    let dir = tempfile::tempdir().expect("tmp");
    let p = f.write_cache(dir.path()).expect("write");
    let bytes = std::fs::read(&p).expect("read");
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 3);
    let g = cache::open(&p, true).expect("opens");
    assert_eq!(g.info().members, f.info().members);
    assert_eq!(g.member_count(), 4);
    for k in 0..4 {
        let (a, b) = (f.member(k).expect("member"), g.member(k).expect("member"));
        assert_eq!(a.number(), k as u32);
        assert_eq!(b.number(), k as u32);
        let wa = a.wind(1800.0, 37.5, 126.5, 100.0).expect("inside");
        assert_eq!(wa, b.wind(1800.0, 37.5, 126.5, 100.0).expect("inside"));
        assert!((wa.u_m_s - k as f64).abs() < 1e-6 && (wa.v_m_s + k as f64).abs() < 1e-6);
        let x: &[u32] = bytemuck::cast_slice(a.cube().values());
        let y: &[u32] = bytemuck::cast_slice(b.cube().values());
        assert_eq!(x, y);
    }
    // The forecast itself is its first member.
    assert_eq!(
        g.wind(0.0, 37.2, 126.2, 3000.0),
        g.member(0).expect("m0").wind(0.0, 37.2, 126.2, 3000.0)
    );
    // A subset keeps those members, in the order asked.
    let s = g.select_members(&[3, 1]).expect("subset");
    assert_eq!(s.member_count(), 2);
    assert_eq!(s.member(0).expect("m").number(), 3);
    assert_eq!(s.member(1).expect("m").number(), 1);
    assert_eq!(s.info().members.len(), 2);
    let e = s.select_members(&[0]).unwrap_err().to_string();
    assert!(e.contains("no member 0") && e.contains("1,3"), "{e}");
}

#[test]
fn a_damaged_member_is_found_when_it_is_used_and_named() {
    let f = small_ensemble(&[0, 1, 2]);
    let dir = tempfile::tempdir().expect("tmp");
    let p = f.write_cache(dir.path()).expect("write");
    let mut bytes = std::fs::read(&p).expect("read");
    // The last value of the body is member 2's.
    let n = bytes.len();
    bytes[n - 2] ^= 0x40;
    std::fs::write(&p, &bytes).expect("write");
    let g = cache::open(&p, true).expect("member 0 is fine: opens");
    assert!(g.member(0).is_ok() && g.member(1).is_ok());
    let e = g.member(2).unwrap_err().to_string();
    assert!(
        e.contains(&p.display().to_string()) && e.contains("member 2") && e.contains("checksum"),
        "{e}"
    );
    assert!(g.members().is_err());
    // Without verification nothing is hashed (forecast list).
    assert!(cache::open(&p, false).expect("opens").member(2).is_ok());
}

#[test]
fn members_must_be_all_numbered_and_distinct() {
    let grid = Grid {
        lat0: 37.0,
        dlat: 1.0,
        nlat: 2,
        lon0: 126.0,
        dlon: 1.0,
        nlon: 2,
    };
    let values = || {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.extend([1.0, 1.0, 100.0, 280.0, 1.0, 1.0, 5000.0, 250.0]);
        }
        v
    };
    let m = |n| {
        Some(crate::MemberInfo {
            number: n,
            kind: crate::MemberKind::Perturbed,
        })
    };
    let make = |members| {
        Forecast::from_member_values("gen", 0, vec![0], vec![1000.0, 500.0], grid, members)
    };
    let e = make(vec![(m(1), values()), (None, values())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("mix"), "{e}");
    let e = make(vec![(m(1), values()), (m(1), values())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("member 1") && e.contains("twice"), "{e}");
    assert!(make(vec![(m(1), values()), (m(2), values())]).is_ok());
}

#[test]
fn member_numbers_parse_and_print() {
    use crate::forecast::{describe_numbers, parse_numbers};
    assert_eq!(parse_numbers("0-3,7"), Ok(Some(vec![0, 1, 2, 3, 7])));
    assert_eq!(parse_numbers("all"), Ok(None));
    assert!(parse_numbers("3-1").is_err() && parse_numbers("x").is_err());
    assert_eq!(describe_numbers(&[5, 0, 1, 2, 9, 8]), "0-2,5,8-9");
}

#[test]
fn generated_terrain_round_trips_through_the_cache() {
    let grid = Grid {
        lat0: 37.0,
        dlat: 0.5,
        nlat: 3,
        lon0: 126.0,
        dlon: 0.5,
        nlon: 4,
    };
    let mut values = Vec::new();
    for _ in 0..12 {
        for (h, tk) in [(100.0f32, 288.0f32), (1500.0, 280.0)] {
            values.extend([1.0, 2.0, h, tk]);
        }
    }
    let f =
        Forecast::from_values("gen", 0, vec![0], vec![1000.0, 850.0], grid, values).expect("cube");
    let heights: Vec<f32> = (0..12).map(|k| 10.0 * k as f32).collect();
    let terrain = crate::Terrain::new(grid, heights).expect("terrain");
    let f = f.with_terrain(terrain, "generated").expect("same grid");
    assert!((f.terrain_m(37.5, 126.5).expect("inside") - 50.0).abs() < 1e-9);
    let dir = tempfile::tempdir().expect("tmp");
    let p = f.write_cache(dir.path()).expect("write");
    let g = cache::open(&p, false).expect("open");
    assert_eq!(g.terrain(), f.terrain());
    assert_eq!(g.info().terrain, f.info().terrain);
    // A terrain on another grid is refused.
    let other = Grid { nlon: 3, ..grid };
    let t = crate::Terrain::new(other, vec![0.0; 9]).expect("terrain");
    assert!(g.with_terrain(t, "x").is_err());
}

#[test]
fn a_corrupt_grid_size_is_an_error_not_an_allocation() {
    // Found by fuzzing grib_to_cube: Nj of one message's section 3 grown to 50,331,721 made
    // the decoder allocate 29 GB. Section 3's own point count contradicts it.
    let mut b = std::fs::read(testdata("ncep_gfs_2p5deg_20111008T00Z_f072.grib2")).expect("GFS");
    let msg = grib_messages(&b)[1].clone();
    let mut pos = msg.start + 16;
    let sec3 = loop {
        let len = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
        if b[pos + 4] == 3 {
            break pos;
        }
        pos += len;
    };
    b[sec3 + 34..sec3 + 38].copy_from_slice(&50_331_721u32.to_be_bytes());
    let e = Forecast::from_grib2_bytes(&b, "nj.grib2", Region::KOREA)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nj.grib2") && e.contains("section 3 says"),
        "{e}"
    );
}
