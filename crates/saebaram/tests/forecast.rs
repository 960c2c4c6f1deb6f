//! `saebaram forecast` end to end: the real binary on the shipped GRIB2 files, the
//! embedded sample, the cache, and every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_saebaram");

/// The embedded JMA MEPS sample, as a file.
fn meps() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../saebaram-forecast/data/jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2"
    ))
}

/// The GFS 2.5° sample of the repository's test data (`testdata/wind/SOURCES.md`).
fn gfs() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/wind/ncep_gfs_2p5deg_20111008T00Z_f072.grib2"
    ))
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

// ---------------------------------------------------------------------------------------
// fetch, against HTTP servers started by the test (never the internet)

mod http {
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// What the server saw: (path, Range header, status, query string).
    pub type Log = Arc<Mutex<Vec<(String, Option<String>, u16)>>>;
    /// The query strings the server saw, in order.
    pub type Queries = Arc<Mutex<Vec<String>>>;

    /// A tiny HTTP/1.1 server: GET of fixed paths (query ignored), `Range: bytes=a-b` and
    /// `bytes=a-` honoured unless `honor_range` is false. Returns the base URL and a log of
    /// (path, range header, status).
    pub fn serve(files: HashMap<String, Vec<u8>>, honor_range: bool) -> (String, Log) {
        let (base, log, _) = serve_with_queries(files, honor_range);
        (base, log)
    }

    /// [`serve`], also returning the query strings of the requests.
    pub fn serve_with_queries(
        files: HashMap<String, Vec<u8>>,
        honor_range: bool,
    ) -> (String, Log, Queries) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let queries: Queries = Arc::new(Mutex::new(Vec::new()));
        let queries2 = queries.clone();
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let files = Arc::new(files);
        let log2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let files = files.clone();
                let log = log2.clone();
                let queries = queries2.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut first = String::new();
                    if reader.read_line(&mut first).is_err() {
                        return;
                    }
                    let mut range = None;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':')
                            && k.eq_ignore_ascii_case("range")
                        {
                            range = Some(v.trim().to_string());
                        }
                    }
                    let target = first.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let path = target.split('?').next().unwrap_or("/").to_string();
                    if let Some((_, q)) = target.split_once('?') {
                        queries.lock().expect("queries").push(q.to_string());
                    }
                    let (status, body): (u16, Vec<u8>) = match files.get(&path) {
                        None => (404, b"not found".to_vec()),
                        Some(data) => match (&range, honor_range) {
                            (Some(r), true) => {
                                let spec = r.trim_start_matches("bytes=");
                                let (a, b) = spec.split_once('-').unwrap_or(("0", ""));
                                let a: usize = a.parse().unwrap_or(0);
                                let b: usize = if b.is_empty() {
                                    data.len() - 1
                                } else {
                                    b.parse().unwrap_or(0).min(data.len() - 1)
                                };
                                (206, data[a..=b].to_vec())
                            }
                            _ => (200, data.clone()),
                        },
                    };
                    log.lock().expect("log").push((path, range, status));
                    let reason = match status {
                        200 => "OK",
                        206 => "Partial Content",
                        _ => "Not Found",
                    };
                    let head = format!(
                        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&body);
                });
            }
        });
        (base, log, queries)
    }
}

/// (offset, length, [(name, level hPa, first surface type)]) of one GRIB2 message.
type Message = (usize, usize, Vec<(String, Option<f64>, u8)>);

/// Every GRIB2 message of a file.
fn messages(bytes: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut msg = 0;
    while msg + 16 <= bytes.len() && &bytes[msg..msg + 4] == b"GRIB" {
        let total = u64::from_be_bytes(bytes[msg + 8..msg + 16].try_into().unwrap()) as usize;
        let disc = bytes[msg + 6];
        let mut fields = Vec::new();
        let mut pos = msg + 16;
        while pos + 5 <= msg + total && &bytes[pos..pos + 4] != b"7777" {
            let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
            if bytes[pos + 4] == 4 {
                let s = &bytes[pos..pos + len];
                let name = match (disc, s[9], s[10]) {
                    (0, 2, 2) => "UGRD".to_string(),
                    (0, 2, 3) => "VGRD".to_string(),
                    (0, 3, 5) => "HGT".to_string(),
                    (0, 0, 0) => "TMP".to_string(),
                    (d, c, n) => format!("VAR{d}_{c}_{n}"),
                };
                let level = (s[22] == 100)
                    .then(|| u32::from_be_bytes(s[24..28].try_into().unwrap()) as f64 / 100.0);
                fields.push((name, level, s[22]));
            }
            pos += len;
        }
        out.push((msg, total, fields));
        msg += total;
    }
    out
}

/// A wgrib2-style .idx for `bytes` (sub-records N.M; every third line without the trailing colon).
fn make_idx(bytes: &[u8], date: &str) -> String {
    let mut s = String::new();
    let mut line = 0;
    for (k, (off, _, fields)) in messages(bytes).iter().enumerate() {
        for (m, (name, level, surface)) in fields.iter().enumerate() {
            let num = if fields.len() > 1 {
                format!("{}.{}", k + 1, m + 1)
            } else {
                format!("{}", k + 1)
            };
            let lev = match (level, surface) {
                (Some(p), _) => format!("{p} mb"),
                (None, 1) => "surface".to_string(),
                (None, t) => format!("level type {t}"),
            };
            line += 1;
            let colon = if line % 3 == 0 { "" } else { ":" };
            s.push_str(&format!(
                "{num}:{off}:d={date}:{name}:{lev}:72 hour fcst{colon}\n"
            ));
        }
    }
    s
}

/// An ECMWF-style .index (one JSON line per field; U and V of one message share a range).
fn make_index(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (off, len, fields) in messages(bytes) {
        for (name, level, surface) in fields {
            let param = match (name.as_str(), level, surface) {
                ("UGRD", ..) => "u",
                ("VGRD", ..) => "v",
                // ECMWF's terrain is the surface geopotential `z`; this file's is orography
                // (metres). The decoder reads the GRIB2 code, not the index's name.
                ("HGT", None, 1) => "z",
                ("HGT", ..) => "gh",
                ("TMP", ..) => "t",
                _ => "other",
            };
            let lev = level.map_or(String::new(), |p| format!(", \"levelist\": \"{p}\""));
            let levtype = if level.is_some() { "pl" } else { "sfc" };
            s.push_str(&format!(
                "{{\"param\": \"{param}\", \"levtype\": \"{levtype}\"{lev}, \"step\": \"72\", \"_offset\": {off}, \"_length\": {len}}}\n"
            ));
        }
    }
    s
}

const GFS_PATH: &str = "/gfs.20111008/00/atmos/gfs.t00z.pgrb2.0p25.f072";
const ECMWF_PATH: &str = "/ecmwf/20111008/00z/ifs/0p25/oper/20111008000000-72h-oper-fc";

fn gfs_files() -> std::collections::HashMap<String, Vec<u8>> {
    let bytes = std::fs::read(gfs()).expect("GFS");
    let mut files = std::collections::HashMap::new();
    files.insert(
        format!("{GFS_PATH}.idx"),
        make_idx(&bytes, "2011100800").into_bytes(),
    );
    files.insert(GFS_PATH.to_string(), bytes);
    files
}

fn fetch_args<'a>(cache: &'a str, base: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "forecast",
        "fetch",
        "--run",
        "2011100800",
        "--hours",
        "72",
        "--levels",
        "1000,850,700,500,300",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend([
        "--cache-dir".into(),
        cache.into(),
        "--attempts".into(),
        "1".into(),
    ]);
    v.extend([
        "--gfs-filter".into(),
        format!("{base}/cgi-bin/filter_gfs_0p25_1hr.pl"),
        "--gfs-mirror".into(),
        base.to_string(),
    ]);
    v.extend(["--ecmwf-root".into(), format!("{base}/ecmwf")]);
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn sample_850(cache: &Path, name: &str) -> Value {
    stdout_json(&run(
        cache,
        &[
            "forecast", "sample", "-f", name, "--lat", "37.5", "--lon", "127.5", "--level", "850",
            "--json",
        ],
    ))
}

#[test]
fn fetch_gfs_falls_back_to_idx_byte_ranges_when_the_filter_fails() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (base, log) = http::serve(gfs_files(), true);
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs", "--json"]))
        .output()
        .expect("runs");
    let j = stdout_json(&o);
    assert_eq!(j["run_name"], "2011100800");
    assert_eq!(j["levels_hpa"].as_array().map(Vec::len), Some(5));
    let v = sample_850(tmp.path(), "gfs-2011100800");
    assert!(
        (num(&v, "u") + 2.76).abs() < 5e-3 && (num(&v, "v") - 0.19).abs() < 5e-3,
        "{v}"
    );
    let log = log.lock().expect("log").clone();
    assert!(
        log.iter()
            .any(|(p, _, s)| p.starts_with("/cgi-bin/") && *s == 404),
        "{log:?}"
    );
    let ranged: Vec<_> = log
        .iter()
        .filter(|(p, r, _)| p == GFS_PATH && r.is_some())
        .collect();
    assert!(
        !ranged.is_empty() && ranged.iter().all(|(_, _, s)| *s == 206),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|(p, r, _)| p == GFS_PATH && r.is_none()),
        "never a whole-file download: {log:?}"
    );
    // The staging directory is gone after success; only the cache file remains.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"gfs-2011100800.swc".to_string()),
        "{names:?}"
    );
}

#[test]
fn fetch_gfs_uses_the_grib_filter_when_it_answers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut files = std::collections::HashMap::new();
    files.insert(
        "/cgi-bin/filter_gfs_0p25_1hr.pl".to_string(),
        std::fs::read(gfs()).expect("GFS"),
    );
    let (base, log) = http::serve(files, true);
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs"]))
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("fetched gfs 2011100800"));
    assert_eq!(log.lock().expect("log").len(), 1);
    let v = sample_850(tmp.path(), "latest");
    assert!((num(&v, "u") + 2.76).abs() < 5e-3, "{v}");
}

#[test]
fn fetch_ecmwf_reads_the_index_json_lines() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bytes = std::fs::read(gfs()).expect("GFS");
    let mut files = std::collections::HashMap::new();
    files.insert(
        format!("{ECMWF_PATH}.index"),
        make_index(&bytes).into_bytes(),
    );
    files.insert(format!("{ECMWF_PATH}.grib2"), bytes);
    let (base, log) = http::serve(files, true);
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["ecmwf", "--json"]))
        .output()
        .expect("runs");
    let j = stdout_json(&o);
    // The sample file is NCEP's: the cache is named after the centre in the data.
    let file = j["cache_file"].as_str().expect("path").to_string();
    let v = sample_850(tmp.path(), &file);
    assert!((num(&v, "u") + 2.76).abs() < 5e-3, "{v}");
    assert!(
        log.lock()
            .expect("log")
            .iter()
            .filter(|(_, r, _)| r.is_some())
            .all(|(_, _, s)| *s == 206)
    );
}

#[test]
fn fetch_refuses_a_server_that_ignores_range() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (base, log) = http::serve(gfs_files(), false);
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs"]))
        .output()
        .expect("runs");
    assert_fails(&o, &["ignored Range", "HTTP 200", GFS_PATH]);
    assert!(!tmp.path().join("gfs-2011100800.swc").exists());
    // It stopped at the first ranged answer that was not 206.
    let whole = log
        .lock()
        .expect("log")
        .iter()
        .filter(|(p, r, s)| p == GFS_PATH && r.is_some() && *s == 200)
        .count();
    assert_eq!(whole, 1);
}

#[test]
fn fetch_offline_says_so_and_resumes_from_staged_steps() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs"]))
        .output()
        .expect("runs");
    assert_fails(&o, &["offline", "gfs 2011100800"]);
    assert!(!tmp.path().join("gfs-2011100800.swc").exists());
    // A step staged by an earlier, interrupted fetch is reused without the network.
    let staging = tmp.path().join(".staging/gfs-2011100800");
    std::fs::create_dir_all(&staging).expect("dir");
    std::fs::copy(gfs(), staging.join("f072.grib2")).expect("copy");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs"]))
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(tmp.path().join("gfs-2011100800.swc").exists());
    assert!(!staging.exists());
}

/// The byte range of the GFS file's orography message (HGT on the ground surface).
fn gfs_orog_range() -> std::ops::Range<usize> {
    let bytes = std::fs::read(gfs()).expect("GFS");
    messages(&bytes)
        .into_iter()
        .find(|(_, _, f)| f.iter().any(|(n, _, s)| n == "HGT" && *s == 1))
        .map(|(off, len, _)| off..off + len)
        .expect("orog message")
}

/// True if a logged `Range: bytes=a-b` (or `a-`) covers byte `at`.
fn range_covers(range: &str, at: usize) -> bool {
    let spec = range.trim_start_matches("bytes=");
    let (a, b) = spec.split_once('-').unwrap_or(("0", ""));
    let a: usize = a.parse().unwrap_or(usize::MAX);
    let b: usize = b.parse().unwrap_or(usize::MAX);
    a <= at && at <= b
}

fn info_json(cache: &Path, name: &str) -> Value {
    stdout_json(&run(cache, &["forecast", "info", name, "--json"]))
}

#[test]
fn fetch_gfs_idx_ranges_bring_the_hgt_surface_record_as_terrain() {
    let orog = gfs_orog_range();
    for no_terrain in [false, true] {
        let tmp = tempfile::tempdir().expect("tmp");
        let (base, log) = http::serve(gfs_files(), true);
        let cache = tmp.path().to_str().expect("utf8");
        let mut extra = vec!["gfs", "--json"];
        if no_terrain {
            extra.push("--no-terrain");
        }
        let j = stdout_json(
            &Command::new(BIN)
                .args(fetch_args(cache, &base, &extra))
                .output()
                .expect("runs"),
        );
        let asked = log
            .lock()
            .expect("log")
            .iter()
            .filter(|(p, _, _)| p == GFS_PATH)
            .filter_map(|(_, r, _)| r.clone())
            .any(|r| range_covers(&r, orog.start));
        let i = info_json(tmp.path(), "gfs-2011100800");
        if no_terrain {
            assert!(!asked, "--no-terrain still asked for the orography");
            assert!(j["terrain"].is_null(), "{j}");
            assert_eq!(i["terrain_summary"], "none, sea level");
        } else {
            assert!(asked, "the HGT:surface record was not requested");
            assert!(
                j["terrain_summary"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("model orography at 2.5°, smoothed")),
                "{j}"
            );
            // Through the cache: the ecCodes orography at 37.5N 127.5E (200.93 m).
            let t = &i["terrain"];
            assert!(
                t["field"]
                    .as_str()
                    .is_some_and(|f| f.starts_with("orog surface")),
                "{t}"
            );
            // The Korea crop's extremes are ecCodes' orography at 45N 120E and 42.5N 132.5E.
            assert!((num(t, "max_m") - 854.20).abs() < 5e-3, "{t}");
            assert!((num(t, "min_m") + 16.23).abs() < 5e-3, "{t}");
        }
    }
}

#[test]
fn fetch_gfs_filter_asks_for_the_surface_level() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut files = std::collections::HashMap::new();
    files.insert(
        "/cgi-bin/filter_gfs_0p25_1hr.pl".to_string(),
        std::fs::read(gfs()).expect("GFS"),
    );
    let (base, _, queries) = http::serve_with_queries(files, true);
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs"]))
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("terrain: model orography at 2.5°"), "{out}");
    let q = queries.lock().expect("queries").clone();
    assert!(
        q.len() == 1 && q[0].contains("var_HGT=on") && q[0].contains("lev_surface=on"),
        "{q:?}"
    );
    // --no-terrain: not asked for, and not kept although this filter sends it anyway.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut files = std::collections::HashMap::new();
    files.insert(
        "/cgi-bin/filter_gfs_0p25_1hr.pl".to_string(),
        std::fs::read(gfs()).expect("GFS"),
    );
    let (base, _, queries) = http::serve_with_queries(files, true);
    let cache = tmp.path().to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(fetch_args(cache, &base, &["gfs", "--no-terrain"]))
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!queries.lock().expect("queries")[0].contains("lev_surface"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("terrain: none, sea level (--no-terrain)"));
    assert_eq!(
        info_json(tmp.path(), "latest")["terrain_summary"],
        "none, sea level"
    );
}

#[test]
fn fetch_ecmwf_takes_surface_z_when_the_index_lists_it() {
    let orog = gfs_orog_range();
    let bytes = std::fs::read(gfs()).expect("GFS");
    for listed in [true, false] {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut index = make_index(&bytes);
        if !listed {
            index = index
                .lines()
                .filter(|l| !l.contains("\"param\": \"z\""))
                .map(|l| format!("{l}\n"))
                .collect();
        }
        let mut files = std::collections::HashMap::new();
        files.insert(format!("{ECMWF_PATH}.index"), index.into_bytes());
        files.insert(format!("{ECMWF_PATH}.grib2"), bytes.clone());
        let (base, log) = http::serve(files, true);
        let cache = tmp.path().to_str().expect("utf8");
        let j = stdout_json(
            &Command::new(BIN)
                .args(fetch_args(cache, &base, &["ecmwf", "--json"]))
                .output()
                .expect("runs"),
        );
        let asked = log
            .lock()
            .expect("log")
            .iter()
            .filter_map(|(_, r, _)| r.clone())
            .any(|r| range_covers(&r, orog.start));
        assert_eq!(asked, listed);
        assert_eq!(j["terrain"].is_object(), listed, "{j}");
        if !listed {
            assert_eq!(j["terrain_summary"], "none, sea level");
        }
    }
}

// Forecast ensembles: GRIB2 product template 4.1 written by ecCodes from the GFS sample.

/// `make_ensemble.py` (ecCodes' Python bindings, `.ci/pip.d/forecast.txt`) with `args`,
/// writing `out`.
fn make_ensemble(out: &Path, args: &[&str]) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/forecast/make_ensemble.py"
    );
    let ok = Command::new("python3")
        .args(["-c", "import eccodes"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the ensemble tests need ecCodes' Python bindings: pip install eccodes (.ci/pip.d/forecast.txt)"
    );
    let o = Command::new("python3")
        .arg(script)
        .arg(gfs())
        .arg(out)
        .args(args)
        .output()
        .expect("run make_ensemble.py");
    assert!(
        o.status.success(),
        "make_ensemble.py {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn ensemble_members_decode_and_a_plan_follows_the_north_blowing_member() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let file = dir.path().join("ens5.grib2");
    // Five members over 18 h; member 2's winds blow north, the others' south.
    make_ensemble(
        &file,
        &[
            "--members",
            "5",
            "--north",
            "2",
            "--steps",
            "72,75,78,81,84,87,90",
        ],
    );
    let f = file.to_str().unwrap();
    let v = stdout_json(&run(&cache, &["forecast", "info", f, "--json"]));
    let numbers: Vec<u64> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, vec![0, 1, 2, 3, 4]);
    assert_eq!(v["members"][0]["kind"], "control");
    assert_eq!(v["members"][3]["kind"], "perturbed");
    assert_eq!(v["ensemble_size"], 5);
    assert_eq!(v["steps_h"].as_array().unwrap().len(), 7);
    assert!(
        v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|fi| fi["member"] == 4 && fi["used"] == true)
    );
    let text = run(&cache, &["forecast", "info", f]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("members   5 (0-4) of an ensemble of 5"),
        "{text}"
    );
    assert!(text.contains("control (member 0)"), "{text}");
    // The ensemble's members each fly 40 of the 200 Monte-Carlo members; the first
    // launch window starts one hour after the first step, so that the ±30 min launch
    // jitter stays inside the forecast.
    let o = run(
        &cache,
        &[
            "plan",
            "--forecast",
            f,
            "--site",
            "paju",
            "--members",
            "200",
            "--particles",
            "10",
            "--from",
            "2011-10-11T01:00Z",
            "--to",
            "2011-10-11T03:00Z",
            "--every",
            "1h",
            "--seed",
            "3",
            "--json",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).expect("plan JSON");
    assert_eq!(v["forecast"]["members"], serde_json::json!([0, 1, 2, 3, 4]));
    assert_eq!(
        v["forecast_members_flown"],
        serde_json::json!([0, 1, 2, 3, 4])
    );
    // The synthetic wind error is the sub-grid part only.
    assert_eq!(num(&v["ensemble"]["noise"], "growth_m_s_per_day"), 0.0);
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    for w in windows {
        // One member in five blows north: P(North) close to 1/5 (the north member's
        // balloons nearly all cross; a few leak and land short).
        let p = num(w, "p_north");
        assert!((0.15..=0.21).contains(&p), "P(North) {p} in {w}");
        let by = w["by_forecast_member"].as_array().unwrap();
        assert_eq!(by.len(), 5);
        for m in by {
            assert_eq!(m["flights"], 40);
            let pm = num(m, "p_north");
            if m["member"] == 2 {
                assert!(pm >= 0.75, "{m}");
            } else {
                assert_eq!(pm, 0.0, "{m}");
            }
        }
    }
    // `forecast import` carries every member to the cache (format 3), and a plan on the
    // cached run is the plan on the GRIB2 file, number for number.
    let imported = run(&cache, &["forecast", "import", f]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let cached = stdout_json(&run(&cache, &["forecast", "info", "latest", "--json"]));
    assert_eq!(cached["members"], v_info_members(f, &cache));
    let args = [
        "plan",
        "--forecast",
        "latest",
        "--site",
        "paju",
        "--members",
        "200",
        "--particles",
        "10",
        "--from",
        "2011-10-11T01:00Z",
        "--to",
        "2011-10-11T03:00Z",
        "--every",
        "1h",
        "--seed",
        "3",
        "--json",
    ];
    let o = run(&cache, &args);
    let from_cache: Value = serde_json::from_slice(&o.stdout).expect("plan JSON");
    for (a, b) in windows
        .iter()
        .zip(from_cache["windows"].as_array().unwrap())
    {
        for k in [
            "p_north",
            "p_south",
            "p_sea",
            "landings",
            "by_forecast_member",
        ] {
            assert_eq!(a[k], b[k], "{k}");
        }
    }
    let table = run(
        &cache,
        &[
            "plan",
            "--forecast",
            f,
            "--members",
            "50",
            "--particles",
            "5",
            "--from",
            "2011-10-11T01:00Z",
            "--to",
            "2011-10-11T02:00Z",
            "--max-heavy-risk",
            "100",
        ],
    );
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("Forecast ensemble: 5 members (0-4), flown in turn"),
        "{table}"
    );
    assert!(
        table.contains("P(North) per forecast member: 0 0%, 1 0%, 2 "),
        "{table}"
    );
}

/// The `members` of `forecast info --json` on `forecast`.
fn v_info_members(forecast: &str, cache: &Path) -> Value {
    stdout_json(&run(cache, &["forecast", "info", forecast, "--json"]))["members"].clone()
}

#[test]
fn bad_ensembles_fail_naming_the_file_and_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let info = |p: &Path| run(&cache, &["forecast", "info", p.to_str().unwrap()]);
    // A member missing at one step, one file per member as GEFS ships them.
    let split = dir.path().join("split");
    make_ensemble(
        &split,
        &[
            "--members",
            "3",
            "--steps",
            "72,75",
            "--drop",
            "1:75",
            "--per-member",
        ],
    );
    assert_fails(
        &info(&split),
        &[
            "member-01.grib2",
            "member 1",
            "missing at step +75 h",
            "every member must cover the same steps",
        ],
    );
    // A member on another grid.
    let grid = dir.path().join("grid.grib2");
    make_ensemble(&grid, &["--members", "3", "--shift-grid", "2"]);
    assert_fails(
        &info(&grid),
        &[
            "grid.grib2",
            "member 2",
            "differs from the grid of earlier fields",
        ],
    );
    // A member without one level.
    let level = dir.path().join("level.grib2");
    make_ensemble(&level, &["--members", "3", "--drop-level", "1:850"]);
    assert_fails(
        &info(&level),
        &[
            "level.grib2",
            "member 1",
            "has no u at 850 hPa",
            "same levels",
        ],
    );
    // Members and a deterministic run in one input.
    let mixed = dir.path().join("mixed.grib2");
    make_ensemble(&mixed, &["--members", "3", "--mixed"]);
    assert_fails(
        &info(&mixed),
        &["mixed.grib2", "control (member 0)", "never a mix"],
    );
    // The plan refuses it too, before flying anything.
    let o = run(
        &cache,
        &[
            "plan",
            "--forecast",
            mixed.to_str().unwrap(),
            "--members",
            "4",
        ],
    );
    assert_fails(&o, &["mixed.grib2", "never a mix"]);
}

// Ensemble fetch: GEFS (one file per member, pgrb2a + pgrb2b) and ECMWF ENS (every member in
// one file per step), against HTTP servers started by the test.

const GEFS_DIR: &str = "/gefs/gefs.20111008/00/atmos";
const ENS_PATH: &str = "/ecmwf/20111008/00z/ifs/0p25/enfo/20111008000000-72h-enfo-ef";

/// The perturbation number of each message's first field (template 4.1/4.11), or `None`.
fn message_members(bytes: &[u8]) -> Vec<Option<u32>> {
    section4_offsets(bytes)
        .into_iter()
        .map(|pos| {
            let s = &bytes[pos..];
            let template = u16::from_be_bytes([s[7], s[8]]);
            matches!(template, 1 | 11).then(|| s[35] as u32)
        })
        .collect()
}

/// The bytes of the messages of `bytes` for which `keep(level hPa)` holds.
fn split_by_level(bytes: &[u8], keep: impl Fn(Option<f64>) -> bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (off, len, fields) in messages(bytes) {
        if keep(fields.first().and_then(|f| f.1)) {
            out.extend_from_slice(&bytes[off..off + len]);
        }
    }
    out
}

/// GEFS-shaped files for `members` ensemble members at +72 h: levels 1000-400 hPa in
/// `pgrb2a`, 300 hPa in `pgrb2b`, each with its `.idx`.
fn gefs_files(dir: &Path, members: u32) -> std::collections::HashMap<String, Vec<u8>> {
    let out = dir.join("gefs-members");
    make_ensemble(
        &out,
        &[
            "--members",
            &members.to_string(),
            "--steps",
            "72",
            "--per-member",
        ],
    );
    let mut files = std::collections::HashMap::new();
    for m in 0..members {
        let bytes = std::fs::read(out.join(format!("member-{m:02}.grib2"))).expect("member");
        let name = if m == 0 {
            "gec00".to_string()
        } else {
            format!("gep{m:02}")
        };
        let a = split_by_level(&bytes, |l| l != Some(300.0));
        let b = split_by_level(&bytes, |l| l == Some(300.0));
        for (part, data) in [('a', a), ('b', b)] {
            let path = format!("{GEFS_DIR}/pgrb2{part}p5/{name}.t00z.pgrb2{part}.0p50.f072");
            files.insert(
                format!("{path}.idx"),
                make_idx(&data, "2011100800").into_bytes(),
            );
            files.insert(path, data);
        }
    }
    files
}

fn gefs_path(member: &str, part: char) -> String {
    format!("{GEFS_DIR}/pgrb2{part}p5/{member}.t00z.pgrb2{part}.0p50.f072")
}

/// An ECMWF ENS `.index`: `type` cf/pf and `number` (a string, as ECMWF writes it) per line.
fn make_ens_index(bytes: &[u8]) -> String {
    let plain = make_index(bytes);
    plain
        .lines()
        .zip(message_members(bytes))
        .map(|(line, member)| {
            let m = member.expect("ensemble field");
            let extra = if m == 0 {
                "\"type\": \"cf\"".to_string()
            } else {
                format!("\"type\": \"pf\", \"number\": \"{m}\"")
            };
            format!("{{{extra}, {}\n", &line[1..])
        })
        .collect()
}

fn ens_files(dir: &Path, members: u32) -> std::collections::HashMap<String, Vec<u8>> {
    let file = dir.join("ens.grib2");
    make_ensemble(&file, &["--members", &members.to_string(), "--steps", "72"]);
    let bytes = std::fs::read(&file).expect("ens");
    let mut files = std::collections::HashMap::new();
    files.insert(
        format!("{ENS_PATH}.index"),
        make_ens_index(&bytes).into_bytes(),
    );
    files.insert(format!("{ENS_PATH}.grib2"), bytes);
    files
}

fn ens_fetch_args(cache: &str, base: &str, extra: &[&str]) -> Vec<String> {
    let mut v = fetch_args(cache, base, extra);
    v.extend(["--gefs-mirror".into(), format!("{base}/gefs")]);
    v
}

fn cache_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn fetch_gefs_takes_the_chosen_members_by_byte_ranges_from_pgrb2a_and_pgrb2b() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (base, log) = http::serve(gefs_files(tmp.path(), 3), true);
    let cache = tmp.path().join("cache");
    let cache_s = cache.to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(ens_fetch_args(
            cache_s,
            &base,
            &["gefs", "--members", "0,2", "--no-terrain", "--json"],
        ))
        .output()
        .expect("runs");
    let j = stdout_json(&o);
    assert_eq!(j["model"], "gefs");
    assert_eq!(j["members"], serde_json::json!([0, 2]), "{j}");
    assert_eq!(j["levels_hpa"].as_array().map(Vec::len), Some(5), "{j}");
    let file = j["cache_file"].as_str().expect("path").to_string();
    let info = stdout_json(&run(&cache, &["forecast", "info", &file, "--json"]));
    let numbers: Vec<u64> = info["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["number"].as_u64().expect("number"))
        .collect();
    assert_eq!(numbers, vec![0, 2]);
    let log = log.lock().expect("log").clone();
    // Member 1 was not asked for, so never touched; the others' data came as ranges only.
    assert!(!log.iter().any(|(p, _, _)| p.contains("gep01")), "{log:?}");
    for m in ["gec00", "gep02"] {
        for part in ['a', 'b'] {
            let path = gefs_path(m, part);
            let ranged: Vec<_> = log.iter().filter(|(p, _, _)| *p == path).collect();
            assert!(
                !ranged.is_empty() && ranged.iter().all(|(_, r, s)| r.is_some() && *s == 206),
                "{path}: {log:?}"
            );
        }
    }
    // Only the cache file is left: the staging directory is gone.
    assert_eq!(
        cache_names(&cache),
        vec![file.rsplit('/').next().unwrap().to_string()]
    );
}

#[test]
fn fetch_ecmwf_ens_reads_each_member_from_one_index_and_resumes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (base, log) = http::serve(ens_files(tmp.path(), 4), true);
    let cache = tmp.path().join("cache");
    let cache_s = cache.to_str().expect("utf8");
    let o = Command::new(BIN)
        .args(ens_fetch_args(
            cache_s,
            &base,
            &["ecmwf-ens", "--members", "1-3", "--no-terrain", "--json"],
        ))
        .output()
        .expect("runs");
    let j = stdout_json(&o);
    assert_eq!(j["model"], "ecmwf-ens");
    assert_eq!(j["members"], serde_json::json!([1, 2, 3]), "{j}");
    let log = log.lock().expect("log").clone();
    let index_reads = log.iter().filter(|(p, _, _)| p.ends_with(".index")).count();
    assert_eq!(
        index_reads, 1,
        "one index read serves every member: {log:?}"
    );
    assert!(
        log.iter()
            .filter(|(p, _, _)| p.ends_with(".grib2"))
            .all(|(_, r, s)| r.is_some() && *s == 206),
        "{log:?}"
    );
    // Resumable: a staged member is reused; only the missing ones are fetched.
    let (base2, log2) = http::serve(ens_files(tmp.path(), 4), true);
    let staging = cache.join(".staging").join("ecmwf-ens-2011100800");
    std::fs::create_dir_all(&staging).expect("staging");
    let bytes = std::fs::read(tmp.path().join("ens.grib2")).expect("ens");
    // Member 1 is staged as if an earlier, interrupted fetch had got it.
    let member1 = split_by_member(&bytes, 1);
    std::fs::write(staging.join("f072-m01.grib2"), member1).expect("stage");
    let o = Command::new(BIN)
        .args(ens_fetch_args(
            cache_s,
            &base2,
            &["ecmwf-ens", "--members", "0,1", "--no-terrain", "--json"],
        ))
        .output()
        .expect("runs");
    let j = stdout_json(&o);
    assert_eq!(j["members"], serde_json::json!([0, 1]), "{j}");
    let ranges = log2
        .lock()
        .expect("log")
        .iter()
        .filter(|(p, r, _)| p.ends_with(".grib2") && r.is_some())
        .count();
    // Member 0 alone came over the network; member 1 was taken from the staging.
    assert!(ranges >= 1, "member 0 was fetched");
    let member1_off = messages(&bytes)
        .into_iter()
        .zip(message_members(&bytes))
        .find(|(_, m)| *m == Some(1))
        .map(|((off, _, _), _)| off)
        .expect("member 1");
    assert!(
        !log2
            .lock()
            .expect("log")
            .iter()
            .filter_map(|(_, r, _)| r.clone())
            .any(|r| range_covers(&r, member1_off)),
        "the staged member 1 was not fetched again"
    );
    assert!(
        !staging.exists(),
        "the staging directory is gone after success"
    );
}

/// The messages of `bytes` whose perturbation number is `member`, on the fetched levels.
fn split_by_member(bytes: &[u8], member: u32) -> Vec<u8> {
    let members = message_members(bytes);
    let mut out = Vec::new();
    for ((off, len, fields), m) in messages(bytes).into_iter().zip(members) {
        // The levels `fetch_args` asks for, as a fetch would have staged them.
        let level = fields.first().and_then(|f| f.1).unwrap_or(0.0);
        if m == Some(member) && [1000.0, 850.0, 700.0, 500.0, 300.0].contains(&level) {
            out.extend_from_slice(&bytes[off..off + len]);
        }
    }
    out
}

#[test]
fn ensemble_fetch_failures_name_the_url_and_leave_no_cache() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = gefs_files(tmp.path(), 2);
    let idx = format!("{}.idx", gefs_path("gep01", 'a'));
    // (what is served, extra args, what the error must say)
    type Case = (
        &'static str,
        std::collections::HashMap<String, Vec<u8>>,
        Vec<&'static str>,
        Vec<String>,
    );
    let mut cases: Vec<Case> = Vec::new();
    // 1. a member the server does not have: 404 on its inventory.
    cases.push((
        "missing member",
        good.clone(),
        vec!["gefs", "--members", "0-2"],
        vec![
            "예보를 내려받지 못했습니다".into(),
            "member 2".into(),
            "gep02".into(),
            "HTTP 404".into(),
        ],
    ));
    // 2. an inventory that is not one.
    let mut bad = good.clone();
    bad.insert(idx.clone(), b"<html>rate limited</html>\n".to_vec());
    cases.push((
        "bad idx",
        bad,
        vec!["gefs", "--members", "0,1"],
        vec!["색인 파일(.idx)을 읽을 수 없습니다".into(), idx.clone()],
    ));
    // 3. a file cut short: the last record's open-ended range comes back truncated.
    let mut cut = good.clone();
    let a1 = gefs_path("gep01", 'a');
    let b1 = gefs_path("gep01", 'b');
    let data = cut.get_mut(&b1).expect("b file");
    data.truncate(data.len() - 100);
    cases.push((
        "truncated",
        cut,
        vec!["gefs", "--members", "0,1"],
        vec!["GRIB2 메시지가 잘렸습니다".into(), b1.clone()],
    ));
    // 4. an inventory whose offsets do not match the file.
    let mut shifted = good.clone();
    let text = String::from_utf8(shifted[&idx].clone()).expect("utf8");
    let moved: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(3, ':').collect();
            let off: u64 = f[1].parse().expect("offset");
            format!("{}:{}:{}\n", f[0], off + 8, f[2])
        })
        .collect();
    shifted.insert(idx.clone(), moved.into_bytes());
    cases.push((
        "index does not match",
        shifted,
        vec!["gefs", "--members", "0,1"],
        vec!["색인이 파일과 맞지 않거나".into(), a1.clone()],
    ));
    // 5. a level no file has (250 hPa): the wrong fields are named.
    cases.push((
        "wrong field",
        good.clone(),
        vec!["gefs", "--members", "0", "--levels", "1000,850,250"],
        vec![
            "필요한 필드가 색인에 없습니다".into(),
            "UGRD 250 mb".into(),
            "pgrb2b".into(),
        ],
    ));
    // 6. ECMWF ENS: a member the index does not list (only one, so the message does not
    // depend on which of the members fetched in parallel fails first).
    cases.push((
        "ens member missing",
        ens_files(tmp.path(), 2),
        vec!["ecmwf-ens", "--members", "0-2"],
        vec![
            "앙상블 멤버 2이(가) 색인에 없습니다".into(),
            format!("{ENS_PATH}.index"),
        ],
    ));
    // 7. members of a deterministic model.
    cases.push((
        "members of gfs",
        good.clone(),
        vec!["gfs", "--members", "0-3"],
        vec!["앙상블 예보가 아닙니다".into()],
    ));
    for (name, files, extra, want) in cases {
        let (base, _log) = http::serve(files, true);
        let cache = tmp.path().join(format!("cache-{}", name.replace(' ', "-")));
        let mut extra = extra;
        extra.push("--no-terrain");
        let o = Command::new(BIN)
            .args(ens_fetch_args(cache.to_str().expect("utf8"), &base, &extra))
            .output()
            .expect("runs");
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        assert_eq!(o.status.code(), Some(2), "{name}: {o:?}");
        assert_fails(&o, &want);
        // Nothing half-written: no cache file, no temporary file; only whole staged members.
        let names = cache_names(&cache);
        assert!(names.iter().all(|n| n == ".staging"), "{name}: {names:?}");
        for dir in cache_names(&cache.join(".staging")) {
            for f in cache_names(&cache.join(".staging").join(&dir)) {
                assert!(f.ends_with(".grib2") && f.starts_with('f'), "{name}: {f}");
            }
        }
    }
}
