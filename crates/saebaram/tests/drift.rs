//! `saebaram drift` run as a user would, on current and wind files written here (NetCDF-3 by
//! the pure-Rust `netcdf3` crate; NetCDF-4 by netCDF4-python from `.ci/pip.d/drift.txt`).

#[path = "../../saebaram-drift/tests/support/write_nc.rs"]
mod write_nc;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use write_nc::{Field, lonlat_field, write};

// 2026-12-05T00:00Z in hours since 1970.
const START_H: f64 = 499_008.0;
const START_S: f64 = START_H * 3600.0;

fn saebaram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn currents(dir: &Path, name: &str, u: f64, v: f64, hours: usize) -> PathBuf {
    let path = dir.join(name);
    write(&path, &lonlat_field(START_H, hours), |_, _, _| Some((u, v)));
    path
}

fn at(h: f64) -> String {
    format!("@{}", (START_S + h * 3600.0) as i64)
}

fn json_of(out: &Output) -> Value {
    let (stdout, stderr) = text(out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn without_currents_it_explains_how_to_get_them_in_korean_first() {
    let out = saebaram(&["drift", "--site", "seokmo"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    let ko = stderr.find("해류 파일이 없습니다").expect(&stderr);
    let en = stderr.find("copernicusmarine subset").expect(&stderr);
    assert!(ko < en, "{stderr}");
    assert!(
        stderr.contains("cmems_mod_glo_phy_anfc_merged-uv_PT1H-i") && stderr.contains("KHOA"),
        "{stderr}"
    );
}

#[test]
fn a_northward_current_carries_gyodong_bottles_to_the_north_coast() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "cur.nc", 0.0, 0.3, 30);
    let geojson = dir.path().join("ends.geojson");
    let html = dir.path().join("drift.html");
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--site",
        "gyodong",
        "--from",
        &at(1.0),
        "--to",
        &at(3.0),
        "--every",
        "1h",
        "-n",
        "40",
        "--limit",
        "12h",
        "--json",
        "--geojson",
        geojson.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--lang",
        "ko",
    ]);
    let report = json_of(&out);
    assert_eq!(out.status.code(), Some(0));
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    for w in windows {
        assert!(w["p_north"].as_f64().unwrap() > 0.9, "{w}");
        // About 5 km at 0.3 m/s: between 3 and 7 hours.
        let h = w["median_hours_to_north"].as_f64().unwrap();
        assert!((3.0..7.0).contains(&h), "{h}");
        assert_eq!(w["ends"].as_array().unwrap().len(), 40);
        assert!(
            w["north_by_province"][0]["province"]
                .as_str()
                .unwrap()
                .contains("Hwanghae"),
            "{w}"
        );
    }
    assert_eq!(report["stokes"], "absent");
    assert_eq!(report["currents"]["u_variable"], "uo");
    let g: Value = serde_json::from_slice(&std::fs::read(&geojson).unwrap()).unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    assert!(g["features"].as_array().unwrap().len() >= 120);

    // The offline map: the page's data names the site in Korean, has the three throw
    // windows with their 40 bottle ends each, all in the North (class 0), and the best.
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<html lang=\"ko\">"));
    let start = page
        .find("<script type=\"application/json\" id=\"saebaram-data\">")
        .expect("page data");
    let body = &page[start..];
    let data: Value =
        serde_json::from_str(&body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()])
            .unwrap();
    assert_eq!(data["drift"], true);
    assert_eq!(data["site"]["name"], "교동도 북쪽 해안");
    assert_eq!(data["members"], 40);
    let windows = data["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    for w in windows {
        assert_eq!(w["n"][0], 40, "{}", w["n"]);
        assert!(w["pt"].as_f64().unwrap() > 0.9);
        assert!(w["hn"].as_f64().unwrap() > 3.0);
        assert!(w["prov"][0][0].as_str().unwrap().contains("Hwanghae"));
    }
    assert!(data["best"].is_u64());
    assert_eq!(
        data["forecast"]["source"], "cur.nc",
        "file names only, never the user's folders"
    );
}

#[test]
fn the_table_is_korean_first_and_says_stokes_and_the_coastline() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "cur.nc", 0.0, 0.3, 30);
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--site",
        "교동도",
        "--from",
        &at(1.0),
        "--to",
        &at(2.0),
        "-n",
        "20",
        "--limit",
        "12h",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("해류 표류 예측"), "{stdout}");
    assert!(stdout.contains("추천 시각: 12-05 10:"), "{stdout}");
    assert!(
        stdout.contains("스토크스") && stdout.contains("Natural Earth"),
        "{stdout}"
    );
    assert!(stdout.contains("no --wind file"), "{stdout}");
}

#[test]
fn a_southward_current_reaches_no_north_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "cur.nc", 0.0, -0.3, 30);
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--site",
        "gyodong",
        "--from",
        &at(1.0),
        "--to",
        &at(2.0),
        "-n",
        "20",
        "--limit",
        "12h",
        "--json",
    ]);
    let report = json_of(&out);
    assert_eq!(out.status.code(), Some(1));
    for w in report["windows"].as_array().unwrap() {
        assert_eq!(w["p_north"].as_f64(), Some(0.0));
        // Gyodong's own north shore is 1 km south: they strand in the South.
        assert!(w["p_south"].as_f64().unwrap() > 0.9, "{w}");
    }
}

#[test]
fn wind_adds_windage() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "cur.nc", 0.0, 0.0, 30);
    let wind = dir.path().join("wind.nc");
    let field = Field {
        u_name: "u10",
        v_name: "v10",
        standard_names: None,
        ..lonlat_field(START_H, 30)
    };
    write(&wind, &field, |_, _, _| Some((0.0, 10.0)));
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--wind",
        wind.to_str().unwrap(),
        "--site",
        "gyodong",
        "--from",
        &at(1.0),
        "--to",
        &at(1.0),
        "-n",
        "20",
        "--limit",
        "12h",
        "--windage",
        "2",
        "--json",
    ]);
    let report = json_of(&out);
    assert_eq!(report["wind"]["u_variable"], "u10");
    // 2 % of 10 m/s north: 0.2 m/s, plus the ±0.05 m/s current error; ~5 km takes ~7 h.
    let w = &report["windows"][0];
    assert!(w["p_north"].as_f64().unwrap() > 0.7, "{w}");
    for e in w["ends"].as_array().unwrap() {
        assert_eq!(e["windage"].as_f64(), Some(0.02));
    }
}

#[test]
fn grib2_10_m_wind_moves_every_bottle_by_the_same_windage() {
    // Still water and the GFS sample's 10 m wind (one time, held steady; 2.5° grid): with
    // and without it, the same seed draws the same throws and current errors, so the
    // difference between the two runs' ends is the windage alone, the same for every bottle
    // (a uniform wind over the few km they cover), about 3 % of the wind for 12 h.
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "still.nc", 0.0, 0.0, 30);
    let grib = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
    );
    let run = |wind: Option<&str>| {
        let mut args = vec![
            "drift",
            "--currents",
            cur.to_str().unwrap(),
            "--site",
            "seokmo",
            "-n",
            "12",
            "--limit",
            "12h",
            "--windage",
            "3",
            "--json",
        ];
        let from = at(1.0);
        args.extend(["--from", &from, "--to", &from]);
        if let Some(w) = wind {
            args.extend(["--wind", w]);
        }
        json_of(&saebaram(&args))
    };
    let with = run(Some(grib));
    let without = run(None);
    assert_eq!(with["wind"]["u_variable"], "UGRD 10 m above ground (GRIB2)");
    assert_eq!(with["wind"]["n_times"], 1);
    let ends = |r: &Value| -> Vec<(f64, f64, String)> {
        r["windows"][0]["ends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["lat"].as_f64().unwrap(),
                    e["lon"].as_f64().unwrap(),
                    e["end"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let shifts: Vec<(f64, f64)> = ends(&with)
        .iter()
        .zip(ends(&without))
        .filter(|(a, b)| a.2 == "afloat" && b.2 == "afloat")
        .map(|(a, b)| {
            (
                (a.0 - b.0) * 111.2,
                (a.1 - b.1) * 111.2 * 37.7f64.to_radians().cos(),
            )
        })
        .collect();
    assert!(shifts.len() >= 8, "{shifts:?}");
    let (n0, e0) = shifts[0];
    let km = n0.hypot(e0);
    // 3 % of a wind of a few m/s for 12 h: a few km.
    assert!(km > 1.0 && km < 40.0, "{km} km");
    for (n, e) in &shifts {
        assert!(
            (n - n0).hypot(e - e0) < 0.05 * km + 0.02,
            "{n} {e} vs {n0} {e0}"
        );
    }
}

#[test]
fn a_file_starting_grib_that_is_not_grib2_is_named_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "cur.nc", 0.0, 0.3, 30);
    let bad = dir.path().join("wind.grib2");
    std::fs::write(&bad, b"GRIB\0\0\0\x01 an edition-1 header and nothing more").unwrap();
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--wind",
        bad.to_str().unwrap(),
        "--site",
        "gyodong",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("wind.grib2") && stderr.contains("GRIB2"),
        "{stderr}"
    );
}

#[test]
fn forcing_that_misses_the_hours_or_the_site_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "short.nc", 0.0, 0.3, 6);
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--site",
        "gyodong",
        "--from",
        &at(-3.0),
        "--to",
        &at(2.0),
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("short.nc") && stderr.contains("not the throws"),
        "{stderr}"
    );
    assert!(stderr.contains("포함하지 않습니다"), "{stderr}");
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--site",
        "baengnyeong",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("short.nc") && stderr.contains("not the throw site"),
        "{stderr}"
    );
}

#[test]
fn a_bad_file_is_named_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.nc");
    std::fs::write(&bad, b"CDF\x01 but nothing else").unwrap();
    let out = saebaram(&["drift", "--currents", bad.to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("broken.nc") && stderr.contains("Caused by"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn same_seed_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let cur = currents(dir.path(), "cur.nc", 0.1, 0.3, 30);
    let args = |seed: &'static str| {
        vec![
            "drift".to_string(),
            "--currents".into(),
            cur.to_str().unwrap().into(),
            "--site".into(),
            "seokmo".into(),
            "--from".into(),
            at(1.0),
            "--to".into(),
            at(4.0),
            "-n".into(),
            "30".into(),
            "--seed".into(),
            seed.into(),
            "--json".into(),
        ]
    };
    let run = |seed, threads: &str| {
        Command::new(env!("CARGO_BIN_EXE_saebaram"))
            .args(args(seed))
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap()
            .stdout
    };
    let a = run("5", "1");
    assert!(!a.is_empty());
    assert_eq!(a, run("5", "2"));
    assert_ne!(a, run("6", "2"));
}

#[test]
fn netcdf4_cmems_like_currents_include_stokes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmems.nc");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../saebaram-drift/tests/data/make_forcing.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(&path)
        .arg("currents")
        .arg(START_H.to_string())
        .arg("30")
        .status()
        .expect("python3 runs (the CI venv of .ci/pip.d puts it on PATH)");
    assert!(
        status.success(),
        "make_forcing.py failed: is netCDF4 installed (.ci/pip.d/drift.txt)?"
    );
    let out = saebaram(&[
        "drift",
        "--currents",
        path.to_str().unwrap(),
        "--site",
        "gyodong",
        "--from",
        &at(1.0),
        "--to",
        &at(2.0),
        "-n",
        "20",
        "--limit",
        "12h",
        "--json",
    ]);
    let report = json_of(&out);
    assert_eq!(report["stokes"], "in_currents");
    assert_eq!(report["currents"]["u_variable"], "utotal");
    // v = 0.3 m/s north everywhere at sea: as the netcdf3 file above.
    assert!(
        report["windows"][0]["p_north"].as_f64().unwrap() > 0.9,
        "{}",
        report["windows"][0]
    );
}
