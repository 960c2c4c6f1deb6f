//! The ground flights end on, end to end through the binary: SRTM tiles written by the test
//! (`--terrain`), the forecast's model terrain, sea level, and every way a DEM can be wrong.
//!
//! The forecast is generated: a steady 5 m/s west wind over 36..40N, 125..129E with a flat
//! 50 m model terrain, written as a cache file, so that a P0 flight from (37.5N, 127.05E)
//! lands a few km east, on land (east of Seoul), inside tile N37E127.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use saebaram_forecast::{Forecast, Grid, Terrain};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_saebaram");
const RUN: i64 = 1_559_692_800; // 2019-06-05 00Z
const MODEL_M: f32 = 50.0;

/// The generated forecast as a cache file in `dir`; with or without model terrain.
fn forecast(dir: &Path, terrain: bool) -> PathBuf {
    let grid = Grid {
        lat0: 36.0,
        dlat: 0.5,
        nlat: 9,
        lon0: 125.0,
        dlon: 0.5,
        nlon: 9,
    };
    let mut values = Vec::new();
    for _ in 0..grid.nlat * grid.nlon {
        for (h, t) in [
            (100.0f32, 288.0f32),
            (1500.0, 279.0),
            (5600.0, 252.0),
            (11800.0, 218.0),
        ] {
            values.extend([5.0, 0.0, h, t]);
        }
    }
    let name = if terrain { "gen-terrain" } else { "gen-flat" };
    let mut f = Forecast::from_values(
        name,
        RUN,
        vec![RUN],
        vec![1000.0, 850.0, 500.0, 200.0],
        grid,
        values,
    )
    .expect("cube");
    if terrain {
        let t = Terrain::new(grid, vec![MODEL_M; grid.nlat * grid.nlon]).expect("terrain");
        f = f.with_terrain(t, "generated flat 50 m").expect("same grid");
    }
    let sub = dir.join(name);
    f.write_cache(&sub).expect("cache")
}

/// Writes a 3" tile whose sample (row, col) is `f(row, col)`.
fn tile(dir: &Path, name: &str, f: impl Fn(usize, usize) -> i16) {
    let n = 1201;
    let mut b = Vec::with_capacity(n * n * 2);
    for r in 0..n {
        for c in 0..n {
            b.extend_from_slice(&f(r, c).to_be_bytes());
        }
    }
    std::fs::create_dir_all(dir).expect("dir");
    std::fs::write(dir.join(name), b).expect("tile");
}

/// Ground rising 1 m per sample eastwards from 200 m: 200 + (lon - 127) * 1200 in N37E127.
fn slope(dir: &Path) {
    tile(dir, "N37E127.hgt", |_, c| 200 + c as i16);
}

fn run(args: &[&str], env_dem: Option<&Path>) -> Output {
    let mut c = Command::new(BIN);
    c.env_remove("SAEBARAM_TERRAIN_DIR");
    if let Some(d) = env_dem {
        c.env("SAEBARAM_TERRAIN_DIR", d);
    }
    c.args(args).output().expect("binary runs")
}

fn predict(fc: &Path, extra: &[&str], env_dem: Option<&Path>) -> Output {
    let mut a = vec![
        "predict",
        "--forecast",
        fc.to_str().expect("utf8"),
        "--lat",
        "37.5",
        "--lon",
        "127.05",
        "--profile",
        "standard",
        "--ascent",
        "5",
        "--burst",
        "3000",
        "--descent",
        "5",
    ];
    a.extend_from_slice(extra);
    run(&a, env_dem)
}

fn json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A clean failure: exit 2, `error:` naming every `what`, no panic.
fn assert_fails(o: &Output, what: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("error:") && !err.contains("panicked"), "{err}");
    for w in what {
        assert!(err.contains(w), "missing {w:?} in: {err}");
    }
}

#[test]
fn a_descending_flight_lands_on_the_dem_then_the_model_terrain_then_sea_level() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fc = forecast(tmp.path(), true);
    let dem = tmp.path().join("srtm");
    slope(&dem);

    // Model terrain only: the ground is the flat 50 m.
    let m = json(&predict(&fc, &["--json"], None));
    let l = &m["landing"];
    assert_eq!(l["outcome"], "ground", "{l}");
    assert!((num(&l["alt"]) - f64::from(MODEL_M)).abs() < 0.1, "{l}");
    assert_eq!(l["ground"]["source"], "model");
    assert_eq!(m["terrain"]["used"], "model");
    assert!(m["terrain"]["dem"].is_null());

    // The DEM: it lands where its altitude meets the slope under it.
    let d = json(&predict(
        &fc,
        &["--json", "--terrain", dem.to_str().expect("utf8")],
        None,
    ));
    let l = &d["landing"];
    let (lat, lon, alt) = (num(&l["lat"]), num(&l["lon"]), num(&l["alt"]));
    assert!(
        (37.0..38.0).contains(&lat) && (127.0..128.0).contains(&lon),
        "{l}"
    );
    let ground = 200.0 + (lon - 127.0) * 1200.0;
    assert!(
        (alt - ground).abs() < 0.2,
        "landed at {alt} m, ground {ground} m"
    );
    assert!(
        alt > 250.0,
        "the slope is well above the model's 50 m: {alt}"
    );
    assert_eq!(l["ground"]["source"], "dem");
    assert!((num(&l["ground"]["height_m"]) - ground).abs() < 0.2, "{l}");
    // Higher ground ends the fall earlier: nearer the launch, downwind.
    assert!(
        lon < num(&m["landing"]["lon"]),
        "{lon} vs {}",
        m["landing"]["lon"]
    );
    let t = &d["terrain"];
    assert_eq!(t["used"], "dem");
    assert_eq!(t["dem"]["tiles_in_area"], 1);
    assert_eq!(t["dem"]["missing_tiles_used"], serde_json::json!([]));
    assert_eq!(t["warnings"], serde_json::json!([]));
    // The launch stands on the DEM (no --alt, no site elevation).
    assert!(
        (num(&d["launch"]["alt"]) - 260.0).abs() < 0.5,
        "{}",
        d["launch"]
    );

    // The same DEM from $SAEBARAM_TERRAIN_DIR.
    let e = json(&predict(&fc, &["--json"], Some(&dem)));
    assert_eq!(e["landing"], d["landing"]);

    // Human output names the terrain.
    let o = predict(&fc, &["--terrain", dem.to_str().expect("utf8")], None);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Terrain: SRTM DEM") && text.contains("then model orography"),
        "{text}"
    );

    // No terrain at all (a forecast without it, no DEM): sea level, and it says so.
    let flat = forecast(tmp.path(), false);
    let s = json(&predict(&flat, &["--json"], None));
    assert!(num(&s["landing"]["alt"]).abs() < 0.1, "{}", s["landing"]);
    assert_eq!(s["landing"]["ground"]["source"], "sea_level");
    assert_eq!(s["terrain"]["used"], "sea_level");
}

#[test]
fn a_missing_tile_falls_back_and_says_so() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fc = forecast(tmp.path(), true);
    // A tile north of the flight only: the landing's N37E127 is missing.
    let dem = tmp.path().join("srtm");
    tile(&dem, "N38E127.hgt", |_, _| 900);
    let o = predict(
        &fc,
        &["--json", "--terrain", dem.to_str().expect("utf8")],
        None,
    );
    let v = json(&o);
    let l = &v["landing"];
    assert_eq!(l["ground"]["source"], "model", "{l}");
    assert!((num(&l["alt"]) - f64::from(MODEL_M)).abs() < 0.1, "{l}");
    assert_eq!(
        v["terrain"]["dem"]["missing_tiles_used"],
        serde_json::json!(["N37E127"])
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: 지형 자료에 없는 곳이 있어")
            && err.contains("terrain: no DEM tile N37E127.hgt")
            && err.contains("model orography"),
        "{err}"
    );
    // Human output: the warning is in the summary.
    let o = predict(&fc, &["--terrain", dem.to_str().expect("utf8")], None);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("no DEM tile N37E127.hgt"), "{text}");

    // Without model terrain the fallback is sea level, in capitals.
    let flat = forecast(tmp.path(), false);
    let o = predict(
        &flat,
        &["--json", "--terrain", dem.to_str().expect("utf8")],
        None,
    );
    let v = json(&o);
    assert_eq!(v["landing"]["ground"]["source"], "sea_level");
    assert!(num(&v["landing"]["alt"]).abs() < 0.1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("SEA LEVEL"));
}

#[test]
fn void_samples_under_the_landing_fall_back_too() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fc = forecast(tmp.path(), true);
    let dem = tmp.path().join("srtm");
    // The eastern half of the tile is void.
    tile(
        &dem,
        "N37E127.hgt",
        |_, c| if c >= 60 { -32768 } else { 400 },
    );
    let o = predict(
        &fc,
        &["--json", "--terrain", dem.to_str().expect("utf8")],
        None,
    );
    let v = json(&o);
    assert_eq!(
        v["landing"]["ground"]["source"], "model",
        "{}",
        v["landing"]
    );
    assert_eq!(
        v["terrain"]["dem"]["void_tiles_used"],
        serde_json::json!(["N37E127"])
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("void"));
}

#[test]
fn a_bad_dem_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fc = forecast(tmp.path(), true);
    type Setup = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Setup, Vec<&str>)> = vec![
        (
            "short",
            Box::new(|d: &Path| std::fs::write(d.join("N37E126.hgt"), vec![0u8; 4096]).expect("w")),
            vec!["N37E126.hgt", "4096 bytes", "--terrain"],
        ),
        (
            "name",
            Box::new(|d: &Path| {
                std::fs::write(d.join("korea.hgt"), vec![0u8; 2_884_802]).expect("w")
            }),
            vec!["korea.hgt", "not an SRTM tile name"],
        ),
        (
            "zip",
            Box::new(|d: &Path| std::fs::write(d.join("N37E126.hgt.zip"), b"PK").expect("w")),
            vec!["N37E126.hgt.zip", "unpack"],
        ),
        (
            "empty",
            Box::new(|d: &Path| std::fs::write(d.join("notes.txt"), b"-").expect("w")),
            vec!["no SRTM .hgt tile"],
        ),
        (
            "elsewhere",
            Box::new(|d: &Path| tile(d, "N50E010.hgt", |_, _| 1)),
            vec!["none of its 1 tile(s)", "N50E010"],
        ),
    ];
    for (what, setup, want) in cases {
        let dir = tmp.path().join(what);
        std::fs::create_dir_all(&dir).expect("dir");
        setup(&dir);
        let o = predict(&fc, &["--terrain", dir.to_str().expect("utf8")], None);
        assert_fails(&o, &want);
    }
    let o = predict(&fc, &["--terrain", "/nonexistent-terrain-dir"], None);
    assert_fails(&o, &["nonexistent-terrain-dir"]);
}

#[test]
fn plan_counts_landings_per_terrain_source() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fc = forecast(tmp.path(), true);
    let dem = tmp.path().join("srtm");
    slope(&dem);
    let o = run(
        &[
            "plan",
            "--forecast",
            fc.to_str().expect("utf8"),
            "--site",
            "37.5,127.05",
            "--profile",
            "standard",
            "--ascent",
            "5",
            "--burst",
            "3000",
            "--descent",
            "5",
            "--members",
            "12",
            "--from",
            "2019-06-05T00:00Z",
            "--to",
            "2019-06-05T00:00Z",
            "--terrain",
            dem.to_str().expect("utf8"),
            "--json",
        ],
        None,
    );
    // Exit 1 is "no window reaches the target" (the generated wind blows east, in the South).
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let t = &v["terrain"];
    assert_eq!(t["used"], "dem", "{t}");
    let n = &t["landings"];
    let total = num(&n["dem"]) + num(&n["model"]) + num(&n["sea_level"]);
    assert_eq!(total, 12.0, "{n}");
    assert!(num(&n["dem"]) >= 10.0, "{n}");
}

#[test]
fn forecast_info_shows_the_terrain() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fc = forecast(tmp.path(), true);
    let o = run(&["forecast", "info", fc.to_str().expect("utf8")], None);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("terrain   model orography at 0.5°, smoothed (50..50 m)")
            && text.contains("from generated flat 50 m, metres as given"),
        "{text}"
    );
    let flat = forecast(tmp.path(), false);
    let o = run(
        &["forecast", "info", flat.to_str().expect("utf8"), "--json"],
        None,
    );
    let v = json(&o);
    assert_eq!(v["terrain_summary"], "none, sea level");
    assert!(v["terrain"].is_null());
    // A version 1 cache file (no terrain section) still opens.
    let v1 = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../saebaram-forecast/testdata/cache-v1.swc"
    ));
    let o = run(&["forecast", "info", v1.to_str().expect("utf8")], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("terrain   none, sea level"));
}
