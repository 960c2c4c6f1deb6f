//! Tiles written by the tests: planes (which bilinear interpolation reproduces exactly),
//! a peak, voids, missing neighbours, and every kind of bad file.

use std::path::Path;

use super::*;

const KOREA: Area = Area {
    lat_min: 32.0,
    lat_max: 45.0,
    lon_min: 120.0,
    lon_max: 135.0,
};

/// Writes a 3" tile whose sample (row, col) is `f(row, col)`.
fn write_tile(dir: &Path, name: &str, n: usize, f: impl Fn(usize, usize) -> i16) {
    let mut b = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            b.extend_from_slice(&f(r, c).to_be_bytes());
        }
    }
    std::fs::write(dir.join(name), b).expect("write tile");
}

fn metres(e: Elevation) -> f64 {
    match e {
        Elevation::Metres(h) => h,
        other => panic!("{other:?}"),
    }
}

#[test]
fn tile_names_parse_and_print() {
    assert_eq!(
        TileId::parse("N37E126.hgt"),
        Some(TileId { lat: 37, lon: 126 })
    );
    assert_eq!(
        TileId::parse("s01w072.HGT"),
        Some(TileId { lat: -1, lon: -72 })
    );
    assert_eq!(
        TileId::parse("N37E126.Hgt"),
        Some(TileId { lat: 37, lon: 126 })
    );
    assert_eq!(TileId::parse("N37E126"), Some(TileId { lat: 37, lon: 126 }));
    assert_eq!(
        TileId::parse("N37E126.SRTMGL1.hgt"),
        Some(TileId { lat: 37, lon: 126 })
    );
    assert_eq!(
        TileId::parse("S10W072.SRTMGL3.HGT"),
        Some(TileId { lat: -10, lon: -72 })
    );
    for bad in [
        "N37E126x.hgt",
        "X37E126.hgt",
        "N37Q126.hgt",
        "N3E126.hgt",
        "N90E000.hgt",
        "N00E180.hgt",
        "N37E12a.hgt",
        "",
        ".hgt",
        "N37E126 (1).hgt",
        "N37E126.txt",
        "N37E126.hgt.bak",
    ] {
        assert_eq!(TileId::parse(bad), None, "{bad}");
    }
    assert_eq!(TileId { lat: -1, lon: -72 }.to_string(), "S01W072");
    assert_eq!(TileId { lat: 37, lon: 126 }.to_string(), "N37E126");
}

#[test]
fn a_plane_comes_back_exactly_at_samples_and_between() {
    let dir = tempfile::tempdir().expect("tmp");
    // h = row + column: rises 1 m per sample southwards and 1 m per sample eastwards.
    write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, |r, c| (r + c) as i16);
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    assert_eq!(dem.tiles().len(), 1);
    assert_eq!(dem.tiles_in_area(), 1);
    assert_eq!(dem.samples_at(37.5, 126.5), Some(SAMPLES_3));
    // North-west corner: row 0, column 0.
    assert!(metres(dem.elevation(38.0 - 1e-12, 126.0)).abs() < 1e-6);
    // A sample: row 600 (37.5N), column 300 (126.25E).
    let h = metres(dem.elevation(37.5, 126.25));
    assert!((h - 900.0).abs() < 1e-6, "{h}");
    // Between samples: a quarter sample south and a half sample east of (600, 300).
    let h = metres(dem.elevation(37.5 - 0.25 / 1200.0, 126.25 + 0.5 / 1200.0));
    assert!((h - 900.75).abs() < 1e-6, "{h}");
    // South-east corner: row 1200, column 1200 (37N, 127E is the next tile's, so stop short).
    let h = metres(dem.elevation(37.0, 127.0 - 1e-12));
    assert!((h - 2400.0).abs() < 1e-6, "{h}");
    assert!(dem.fallbacks().is_empty());
}

#[test]
fn a_peak_between_samples_is_bilinear() {
    let dir = tempfile::tempdir().expect("tmp");
    // One sample at 2000 m in a flat 100 m tile: row 100, column 200.
    write_tile(dir.path(), "N40E127.hgt", SAMPLES_3, |r, c| {
        if (r, c) == (100, 200) { 2000 } else { 100 }
    });
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    let lat = 41.0 - 100.0 / 1200.0;
    let lon = 127.0 + 200.0 / 1200.0;
    assert!((metres(dem.elevation(lat, lon)) - 2000.0).abs() < 1e-6);
    // Half a sample east: half way down the slope.
    let h = metres(dem.elevation(lat, lon + 0.5 / 1200.0));
    assert!((h - 1050.0).abs() < 1e-6, "{h}");
    // A quarter sample south and east: weight 9/16 on the peak.
    let h = metres(dem.elevation(lat - 0.25 / 1200.0, lon + 0.25 / 1200.0));
    assert!((h - (100.0 + 1900.0 * 9.0 / 16.0)).abs() < 1e-6, "{h}");
}

#[test]
fn one_arc_second_tiles_are_read_at_their_own_spacing() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("N38E125.hgt");
    let f = std::fs::File::create(&path).expect("create");
    f.set_len((SAMPLES_1 * SAMPLES_1 * 2) as u64).expect("size");
    drop(f);
    // Sample (1800, 2700) = 1234 m: 38.5N, 125.75E.
    let mut b = std::fs::read(&path).expect("read");
    let o = 2 * (1800 * SAMPLES_1 + 2700);
    b[o..o + 2].copy_from_slice(&1234i16.to_be_bytes());
    std::fs::write(&path, b).expect("write");
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    assert_eq!(dem.samples_at(38.2, 125.1), Some(SAMPLES_1));
    assert!((metres(dem.elevation(38.5, 125.75)) - 1234.0).abs() < 1e-6);
    let h = metres(dem.elevation(38.5, 125.75 + 0.5 / 3600.0));
    assert!((h - 617.0).abs() < 1e-6, "{h}");
}

#[test]
fn neighbouring_tiles_meet_at_their_shared_edge() {
    let dir = tempfile::tempdir().expect("tmp");
    // Heights: 1000 m per degree north of 36N, continuous across 37N.
    let lat_plane = |tile_lat: f64| {
        move |r: usize, _c: usize| ((tile_lat + 1.0 - r as f64 / 1200.0 - 36.0) * 1000.0) as i16
    };
    write_tile(dir.path(), "N36E126.hgt", SAMPLES_3, lat_plane(36.0));
    write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, lat_plane(37.0));
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    for lat in [36.9999, 37.0, 37.0001] {
        let h = metres(dem.elevation(lat, 126.3));
        assert!((h - (lat - 36.0) * 1000.0).abs() < 0.5, "{lat}: {h}");
    }
}

#[test]
fn voids_are_left_out_and_an_all_void_cell_falls_back() {
    let dir = tempfile::tempdir().expect("tmp");
    // Rows 10..=11 x columns 10..=11: one void at (10, 10); rows 20..=21 x 20..=21: all void.
    write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, |r, c| match (r, c) {
        (10, 10) => VOID,
        (20..=21, 20..=21) => VOID,
        (30, 30) => 30_000, // no SRTM sample is that high: treated as a void
        _ => 100 + r as i16,
    });
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    let at = |r: f64, c: f64| dem.elevation(38.0 - r / 1200.0, 126.0 + c / 1200.0);
    // Centre of the cell with one void: the three others (110, 111, 111) equally weighted.
    let h = metres(at(10.5, 10.5));
    assert!((h - (110.0 + 111.0 + 111.0) / 3.0).abs() < 1e-6, "{h}");
    // Exactly on the void sample its weight is everything: the neighbours have none...
    // so just off it the valid corners still answer.
    assert!(matches!(at(10.01, 10.01), Elevation::Metres(_)));
    assert!(dem.fallbacks().is_empty());
    // Inside the all-void block.
    assert_eq!(at(20.5, 20.5), Elevation::Void);
    let h = metres(at(30.5, 30.5));
    assert!((h - (130.0 + 131.0 + 131.0) / 3.0).abs() < 1e-6, "{h}");
    let fb = dem.fallbacks();
    assert_eq!(fb.void_tiles, vec![TileId { lat: 37, lon: 126 }]);
    assert!(fb.missing_tiles.is_empty() && !fb.outside_area);
}

#[test]
fn a_missing_tile_is_no_tile_and_is_remembered() {
    let dir = tempfile::tempdir().expect("tmp");
    write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, |_, _| 50);
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    assert_eq!(dem.elevation(38.5, 126.5), Elevation::NoTile);
    assert_eq!(dem.elevation(38.7, 126.1), Elevation::NoTile);
    assert_eq!(dem.elevation(37.5, 127.5), Elevation::NoTile);
    assert_eq!(dem.elevation(50.0, 126.5), Elevation::NoTile);
    assert_eq!(dem.elevation(f64::NAN, 126.5), Elevation::NoTile);
    let fb = dem.fallbacks();
    assert_eq!(
        fb.missing_tiles,
        vec![TileId { lat: 37, lon: 127 }, TileId { lat: 38, lon: 126 }]
    );
    assert!(fb.outside_area);
    // 13 x 15 cells of the Korea box (32..=44 x 120..=134), one of them present.
    assert_eq!(dem.missing_in_area().len(), 13 * 15 - 1);
    // A tile outside the area is listed but not mapped.
    write_tile(dir.path(), "N50E010.hgt", SAMPLES_3, |_, _| 0);
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    assert_eq!((dem.tiles().len(), dem.tiles_in_area()), (2, 1));
}

#[test]
fn bad_files_are_errors_naming_them() {
    let check = |setup: &dyn Fn(&Path), want: &[&str]| {
        let dir = tempfile::tempdir().expect("tmp");
        write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, |_, _| 1);
        setup(dir.path());
        let e = Dem::open(dir.path(), KOREA).unwrap_err().to_string();
        for w in want {
            assert!(e.contains(w), "missing {w:?} in {e}");
        }
    };
    check(
        &|d| std::fs::write(d.join("N38E126.hgt"), vec![0u8; 1000]).expect("w"),
        &["N38E126.hgt", "1000 bytes", "2884802"],
    );
    check(
        &|d| std::fs::write(d.join("N38E126.hgt"), vec![0u8; 2_884_801]).expect("w"),
        &["N38E126.hgt", "truncated"],
    );
    check(
        &|d| std::fs::write(d.join("tile.hgt"), vec![0u8; 2_884_802]).expect("w"),
        &["tile.hgt", "not an SRTM tile name"],
    );
    check(
        &|d| std::fs::write(d.join("n37e126.HGT"), vec![0u8; 2_884_802]).expect("w"),
        &["n37e126.HGT", "N37E126", "second file"],
    );
    check(
        &|d| std::fs::write(d.join("N39E127.hgt.zip"), b"PK").expect("w"),
        &["N39E127.hgt.zip", "unpack"],
    );
    // A compressed copy beside its unpacked tile is fine (NASA's names too); other files are
    // ignored.
    let dir = tempfile::tempdir().expect("tmp");
    write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, |_, _| 1);
    write_tile(dir.path(), "N38E126.SRTMGL3.hgt", SAMPLES_3, |_, _| 2);
    std::fs::write(dir.path().join("N37E126.hgt.zip"), b"PK").expect("w");
    std::fs::write(dir.path().join("N38E126.SRTMGL3.hgt.zip"), b"PK").expect("w");
    std::fs::write(dir.path().join("README.txt"), b"tiles").expect("w");
    std::fs::create_dir(dir.path().join("N39E126.hgt")).expect("a directory named like a tile");
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    assert_eq!(dem.elevation(38.5, 126.5), Elevation::Metres(2.0));
    // No tile at all, and no directory.
    let empty = tempfile::tempdir().expect("tmp");
    let e = Dem::open(empty.path(), KOREA).unwrap_err().to_string();
    assert!(e.contains("no SRTM .hgt tile"), "{e}");
    let e = Dem::open(&empty.path().join("nope"), KOREA)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope") && e.contains("cannot list"), "{e}");
}

#[test]
fn lookups_from_many_threads_report_the_same_fallbacks() {
    let dir = tempfile::tempdir().expect("tmp");
    write_tile(dir.path(), "N37E126.hgt", SAMPLES_3, |_, _| 7);
    let dem = Dem::open(dir.path(), KOREA).expect("opens");
    std::thread::scope(|s| {
        for k in 0..4 {
            let dem = &dem;
            s.spawn(move || {
                for q in 0..10_000 {
                    let lat = 36.0 + ((q * 7 + k) % 300) as f64 / 100.0;
                    let _ = dem.elevation(lat, 126.5);
                }
            });
        }
    });
    assert_eq!(
        dem.fallbacks().missing_tiles,
        vec![TileId { lat: 36, lon: 126 }, TileId { lat: 38, lon: 126 }]
    );
}
