//! `saebaram forecast` end to end: the real binary on the shipped GRIB2 files, the
//! embedded sample, the cache, and every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_saebaram");

fn shared(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/wind/"
    ))
    .join(name)
}

fn meps() -> PathBuf {
    shared("jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2")
}

fn gfs() -> PathBuf {
    shared("ncep_gfs_2p5deg_20111008T00Z_f072.grib2")
}

/// Runs the binary with an isolated cache directory.
fn run(cache: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env("SAEBARAM_CACHE_DIR", cache)
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout_json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// A clean failure: exit 2, `error:` naming `what`, no panic.
fn assert_fails(o: &Output, what: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("error:"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in what {
        assert!(err.contains(w), "missing {w:?} in: {err}");
    }
}

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"))
}

/// Zero-based offsets of every section 4 in a GRIB2 file.
fn section4_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut msg = 0;
    while msg + 16 <= bytes.len() && &bytes[msg..msg + 4] == b"GRIB" {
        let total = u64::from_be_bytes(bytes[msg + 8..msg + 16].try_into().unwrap()) as usize;
        let mut pos = msg + 16;
        while pos + 5 <= msg + total && &bytes[pos..pos + 4] != b"7777" {
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

/// The MEPS file with every forecast time set to `hours`.
fn meps_step(hours: u32) -> Vec<u8> {
    let mut b = std::fs::read(meps()).expect("MEPS");
    for s in section4_offsets(&b) {
        b[s + 17] = 1;
        b[s + 18..s + 22].copy_from_slice(&hours.to_be_bytes());
    }
    b
}

#[test]
fn embedded_sample_gives_the_eccodes_reference_wind_at_paju_and_says_it_is_2019() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = run(
        tmp.path(),
        &[
            "forecast", "sample", "--lat", "37.8", "--lon", "126.75", "--level", "850", "--json",
        ],
    );
    let v = stdout_json(&o);
    assert!((num(&v, "u") - 2.416).abs() < 1e-3, "{v}");
    assert!((num(&v, "v") + 0.080).abs() < 1e-3, "{v}");
    assert!(num(&v, "height_m") > 1300.0 && num(&v, "height_m") < 1700.0);
    assert_eq!(v["embedded_sample"], true);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("2019 sample") && err.contains("NOT today's weather"),
        "{err}"
    );
}

#[test]
fn meps_file_matches_eccodes_reference_values() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = meps();
    let f = f.to_str().expect("utf8");
    for (lat, lon, u, v) in [
        ("37.6", "126.75", 1.440, 0.608),
        ("38.2", "127.25", 4.408, -4.908),
        ("39.0", "125.75", 7.979, 0.780),
    ] {
        let o = run(
            tmp.path(),
            &[
                "forecast", "sample", "-f", f, "--lat", lat, "--lon", lon, "--level", "850",
                "--json",
            ],
        );
        let j = stdout_json(&o);
        assert!(
            (num(&j, "u") - u).abs() < 1e-3 && (num(&j, "v") - v).abs() < 1e-3,
            "{lat},{lon}: {j}"
        );
        assert_eq!(j["embedded_sample"], false);
        assert!(!String::from_utf8_lossy(&o.stderr).contains("2019 sample"));
    }
}

#[test]
fn gfs_file_matches_eccodes_reference_values() {
    let tmp = tempfile::tempdir().expect("tmp");
    let f = gfs();
    let f = f.to_str().expect("utf8");
    for (lat, lon, u, v, gh) in [
        ("37.5", "127.5", -2.76, 0.19, 1549.304),
        ("40", "125", -2.17, -0.49, 1551.71),
    ] {
        let o = run(
            tmp.path(),
            &[
                "forecast", "sample", "-f", f, "--lat", lat, "--lon", lon, "--level", "850",
                "--json",
            ],
        );
        let j = stdout_json(&o);
        assert!(
            (num(&j, "u") - u).abs() < 5e-3 && (num(&j, "v") - v).abs() < 5e-3,
            "{j}"
        );
        assert!((num(&j, "height_m") - gh).abs() < 1e-2, "{j}");
    }
    // Between levels by altitude; 0..360 longitudes accepted.
    let o = run(
        tmp.path(),
        &[
            "forecast", "sample", "-f", f, "--lat", "37.5", "--lon", "127.5", "--alt", "10000",
            "--json",
        ],
    );
    let j = stdout_json(&o);
    assert!(
        num(&j, "pressure_hpa") < 300.0 && num(&j, "pressure_hpa") > 250.0,
        "{j}"
    );
}

#[test]
fn info_lists_both_shipped_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = run(
        tmp.path(),
        &["forecast", "info", meps().to_str().expect("utf8"), "--json"],
    );
    let j = stdout_json(&o);
    assert_eq!(j["fields"].as_array().map(Vec::len), Some(20));
    assert_eq!(j["steady"], true);
    assert_eq!(j["levels_hpa"].as_array().map(Vec::len), Some(5));
    assert!(j["derived"].as_array().is_some_and(|d| d.iter().any(|x| {
        x["note"]
            .as_str()
            .is_some_and(|n| n.contains("hypsometric"))
    })));
    let o = run(
        tmp.path(),
        &["forecast", "info", gfs().to_str().expect("utf8")],
    );
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("fields (344")
            && text.contains("2011-10-08T00:00:00Z")
            && text.contains("+72 h"),
        "{text}"
    );
    // The embedded default, in text.
    let o = run(tmp.path(), &["forecast", "info"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("BUILT-IN 2019 SAMPLE"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("2019 sample"));
}

#[test]
fn import_list_and_use_a_cached_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = run(tmp.path(), &["forecast", "list", "--json"]);
    assert_eq!(stdout_json(&o)["runs"].as_array().map(Vec::len), Some(0));
    let o = run(
        tmp.path(),
        &["forecast", "import", gfs().to_str().expect("utf8")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(tmp.path(), &["forecast", "list", "--json"]);
    let runs = stdout_json(&o)["runs"].clone();
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
    assert_eq!(runs[0]["run_name"], "2011100800");
    let direct = stdout_json(&run(
        tmp.path(),
        &[
            "forecast",
            "sample",
            "-f",
            gfs().to_str().expect("utf8"),
            "--lat",
            "38",
            "--lon",
            "127",
            "--alt",
            "4321",
            "--json",
        ],
    ));
    for name in ["gfs-2011100800", "2011100800", "latest"] {
        let o = run(
            tmp.path(),
            &[
                "forecast", "sample", "-f", name, "--lat", "38", "--lon", "127", "--alt", "4321",
                "--json",
            ],
        );
        let j = stdout_json(&o);
        assert_eq!(j["u"], direct["u"], "{name}");
        assert_eq!(j["density_kg_m3"], direct["density_kg_m3"], "{name}");
    }
    let o = run(tmp.path(), &["forecast", "info", "nosuchrun"]);
    assert_fails(&o, &["nosuchrun", "no such file"]);
}

#[test]
fn several_step_files_are_strict_in_time() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).expect("dir");
    std::fs::write(dir.join("f000.grib2"), meps_step(0)).expect("write");
    std::fs::write(dir.join("f006.grib2"), meps_step(6)).expect("write");
    let d = dir.to_str().expect("utf8");
    let o = run(
        tmp.path(),
        &[
            "forecast",
            "sample",
            "-f",
            d,
            "--lat",
            "38",
            "--lon",
            "127",
            "--alt",
            "2000",
            "--time",
            "2019-06-05T03:00Z",
            "--json",
        ],
    );
    assert_eq!(stdout_json(&o)["steady"], false);
    let o = run(
        tmp.path(),
        &[
            "forecast",
            "sample",
            "-f",
            d,
            "--lat",
            "38",
            "--lon",
            "127",
            "--alt",
            "2000",
            "--time",
            "2019-06-05T07:00Z",
        ],
    );
    assert_fails(&o, &["outside the forecast", "Time"]);
    let o = run(
        tmp.path(),
        &[
            "forecast",
            "sample",
            "-f",
            d,
            "--lat",
            "38",
            "--lon",
            "127",
            "--alt",
            "2000",
            "--time",
            "yesterday",
        ],
    );
    assert_fails(&o, &["--time"]);
}

#[test]
fn bad_input_fails_cleanly_naming_file_and_field() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(meps()).expect("MEPS");
    let p = |n: &str| tmp.path().join(n);

    std::fs::write(p("truncated.grib2"), &bytes[..bytes.len() / 3]).expect("write");
    assert_fails(
        &run(
            tmp.path(),
            &[
                "forecast",
                "info",
                p("truncated.grib2").to_str().expect("utf8"),
            ],
        ),
        &["truncated.grib2"],
    );

    let mut corrupt = bytes.clone();
    for b in corrupt.iter_mut().skip(200).step_by(7).take(5000) {
        *b = !*b;
    }
    std::fs::write(p("corrupt.grib2"), &corrupt).expect("write");
    assert_fails(
        &run(
            tmp.path(),
            &[
                "forecast",
                "info",
                p("corrupt.grib2").to_str().expect("utf8"),
            ],
        ),
        &["corrupt.grib2"],
    );

    std::fs::write(p("notgrib.bin"), b"hello, this is not a forecast").expect("write");
    assert_fails(
        &run(
            tmp.path(),
            &["forecast", "info", p("notgrib.bin").to_str().expect("utf8")],
        ),
        &["notgrib.bin", "GRIB2"],
    );

    let mut nov = bytes.clone();
    let s = section4_offsets(&nov)[11];
    nov[s + 10] = 8; // v850 -> w850
    std::fs::write(p("nov.grib2"), &nov).expect("write");
    assert_fails(
        &run(
            tmp.path(),
            &["forecast", "info", p("nov.grib2").to_str().expect("utf8")],
        ),
        &["nov.grib2", "u 850 hPa", "U without V"],
    );

    let m = meps();
    let m = m.to_str().expect("utf8");
    assert_fails(
        &run(
            tmp.path(),
            &["forecast", "info", m, "--region", "-10,0,120,135"],
        ),
        &["does not cover", "-10..0N"],
    );
    assert_fails(
        &run(
            tmp.path(),
            &["forecast", "info", m, "--region", "45,32,120,135"],
        ),
        &["invalid region"],
    );

    std::fs::write(p("2024010100"), vec![0u8; 4096]).expect("write");
    assert_fails(
        &run(
            tmp.path(),
            &["forecast", "info", p("2024010100").to_str().expect("utf8")],
        ),
        &["2024010100", "tawhiri", "9528667200"],
    );

    // Queries the forecast cannot answer.
    assert_fails(
        &run(
            tmp.path(),
            &[
                "forecast", "sample", "--lat", "37.8", "--lon", "126.75", "--level", "500",
            ],
        ),
        &["500 hPa", "975, 950, 925, 850, 300"],
    );
    assert_fails(
        &run(
            tmp.path(),
            &[
                "forecast", "sample", "--lat", "37.8", "--lon", "126.75", "--alt", "15000",
            ],
        ),
        &["outside the forecast", "Altitude"],
    );
    assert_fails(
        &run(
            tmp.path(),
            &[
                "forecast", "sample", "--lat", "10", "--lon", "126.75", "--alt", "1000",
            ],
        ),
        &["outside the forecast", "Latitude"],
    );

    // A failed import leaves the cache untouched.
    let cache = tmp.path().join("cache");
    std::fs::create_dir(&cache).expect("dir");
    let o = Command::new(BIN)
        .env("SAEBARAM_CACHE_DIR", &cache)
        .args(["forecast", "import", p("nov.grib2").to_str().expect("utf8")])
        .output()
        .expect("runs");
    assert_fails(&o, &["nov.grib2"]);
    assert_eq!(std::fs::read_dir(&cache).expect("dir").count(), 0);

    // A damaged cache file is reported by name, and `list` shows it as unreadable.
    std::fs::write(
        cache.join("gfs-2011100800.swc"),
        b"SAEBWIND\x01\x00\x00\x00garbage",
    )
    .expect("write");
    assert_fails(
        &Command::new(BIN)
            .env("SAEBARAM_CACHE_DIR", &cache)
            .args(["forecast", "info", "gfs-2011100800"])
            .output()
            .expect("runs"),
        &["gfs-2011100800.swc", "cache"],
    );
    let o = Command::new(BIN)
        .env("SAEBARAM_CACHE_DIR", &cache)
        .args(["forecast", "list"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("UNREADABLE"));
}
