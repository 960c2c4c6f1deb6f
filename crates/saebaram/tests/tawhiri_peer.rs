//! P0 against the real tawhiri (the CUSF predictor, 0.2.0 from PyPI): its own dataset
//! reader, Cython interpolator and solver and its `standard_profile` fly the same flights as
//! `saebaram predict --profile standard` on the same tawhiri dataset, and the landings must
//! agree within 100 m and 5 s (issue #3 asked for 1 km; issue 15: the tolerance follows what
//! is observed, under 20 m).
//!
//! The dataset has tawhiri's full shape (9.5 GB) but is sparse: `tests/data/tawhiri/
//! tawhiri_peer.py make` writes only a box around Korea (30-46N, 118-138E) at every level of
//! the hours the flights use ([`hours_used`]: 14 of the 65), about 0.18 GB on disk (all 65
//! hours took 0.85 GB, too much for a CI machine), in a temporary directory removed at the end.
//!
//! Tawhiri's ground is terrain from ruaumoko; here both sides end at sea level (the driver
//! gives tawhiri's own elevation termination a sea-level "elevation dataset"; a tawhiri
//! dataset holds no orography, so `predict` lands at sea level too).
//!
//! Measured: landings 7-19 m and under 1 s apart, almost all of it from where tawhiri puts
//! the burst. Against tawhiri's own RK4 at a 1 s step, our burst points are 0.2-1.7 m off
//! and tawhiri's (60 s step) 4-17.5 m: its bisection stops 0.78 m above the burst altitude
//! (0.16 s more ascent in a 40 m/s wind, ~6 m) and places the point on the straight chord
//! of a step curving in the jet's shear (~7-10 m); ours is on the step's Hermite cubic.
//! The descent adds 1-2 m (below the 1000 hPa height, ~110 m, tawhiri extrapolates the wind
//! and we hold it; its landing point is on a chord too).
//!
//! Needs tawhiri in its venv: `bash .ci/setup.d/60-tawhiri.sh` (CI sources it). Without it
//! this test FAILS with that instruction: a peer that was never run is not a comparison.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_saebaram");
const DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tawhiri/tawhiri_peer.py"
);
/// tawhiri's dataset size: (65, 47, 3, 361, 720) f32.
const DATASET_BYTES: u64 = 9_528_667_200;
/// The dataset's run, as its file name and in seconds since the epoch.
const RUN: &str = "2025030106";
const RUN_UNIX_S: i64 = 1_740_808_800;

/// Launches: hours after the run (on and between the 3-hourly steps, up to the last one),
/// latitude, longitude, burst altitude. 5 m/s up, 5 m/s (sea-level) down.
const FLIGHTS: &[(f64, f64, f64, f64)] = &[
    (0.0, 37.89, 126.74, 10_000.0),
    (37.5, 37.5, 124.6, 10_000.0),
    (100.25, 38.6, 128.3, 10_000.0),
    (150.0, 36.2, 126.1, 10_000.0),
    (188.1, 39.0, 125.2, 10_000.0),
    (72.0, 37.6, 124.4, 30_000.0),
];

/// The dataset's hour indices (3 hours apart) that the flights can touch: from the step at
/// or before launch to the step at or after landing. A flight lasts at most
/// 2 x burst / 5 m/s (the descent is 5 m/s at sea level and faster above).
fn hours_used() -> Vec<usize> {
    let mut hours: Vec<usize> = FLIGHTS
        .iter()
        .flat_map(|&(h, _, _, burst)| {
            let end_h = h + 2.0 * burst / 5.0 / 3600.0;
            let first = (h / 3.0).floor() as usize;
            let last = ((end_h / 3.0).ceil() as usize).min(64);
            first..=last
        })
        .collect();
    hours.sort_unstable();
    hours.dedup();
    hours
}

fn tawhiri_python() -> PathBuf {
    let venv = std::env::var_os("SAEBARAM_TAWHIRI_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/peers/tawhiri-venv")
        });
    let python = venv.join("bin/python");
    let ok = Command::new(&python)
        .args([
            "-c",
            "import tawhiri.solver, tawhiri.models, tawhiri.dataset",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "tawhiri is not installed in {}: run `bash .ci/setup.d/60-tawhiri.sh` (CI sources it). \
         P0 is compared with the real tawhiri; this test does not pass without it.",
        venv.display()
    );
    python
}

fn ok(what: &str, o: Output) -> Output {
    assert!(
        o.status.success(),
        "{what} failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Great-circle distance on tawhiri's sphere (6,371,009 m), metres.
fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_009.0 * a.sqrt().asin()
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ`.
fn unix_s(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| -> i64 { s[r].parse().expect(s) };
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

#[test]
fn p0_lands_within_100_m_of_tawhiri_on_a_tawhiri_dataset() {
    let python = tawhiri_python();
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = dir.path().join(RUN);

    ok(
        "tawhiri_peer.py make",
        Command::new(&python)
            .args([DRIVER, "make"])
            .arg(&dataset)
            .arg(
                hours_used()
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .output()
            .expect("run the driver"),
    );
    let meta = std::fs::metadata(&dataset).expect("dataset written");
    assert_eq!(meta.len(), DATASET_BYTES);
    let on_disk = meta.blocks() * 512;
    // CI machines have little disk: no test may need more than about 300 MB.
    assert!(
        on_disk < 250 << 20,
        "the dataset should be sparse, but takes {on_disk} bytes on disk"
    );
    assert_eq!(RUN_UNIX_S, unix_s("2025-03-01T06:00:00Z"));

    let flights = dir.path().join("flights.txt");
    let lines: String = FLIGHTS
        .iter()
        .map(|(h, lat, lon, burst)| {
            let t = RUN_UNIX_S as f64 + h * 3600.0;
            format!("{t} {lat} {lon} 5 {burst} 5\n")
        })
        .collect();
    std::fs::write(&flights, lines).expect("write flights");

    let out = ok(
        "tawhiri_peer.py predict",
        Command::new(&python)
            .args([DRIVER, "predict"])
            .arg(&dataset)
            .arg(&flights)
            .output()
            .expect("run the driver"),
    );
    let theirs: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("driver prints JSON lines"))
        .collect();
    assert_eq!(theirs.len(), FLIGHTS.len());

    let mut report = String::new();
    let mut failures = Vec::new();
    for (&(h, lat, lon, burst), theirs) in FLIGHTS.iter().zip(&theirs) {
        let t = RUN_UNIX_S + (h * 3600.0) as i64;
        let out = ok(
            "saebaram predict",
            Command::new(BIN)
                .env("SAEBARAM_CACHE_DIR", dir.path())
                .args(["predict", "--forecast"])
                .arg(&dataset)
                .args(["--lat", &lat.to_string(), "--lon", &lon.to_string()])
                .args(["--alt", "0", "--time", &format!("@{t}")])
                .args(["--profile", "standard", "--ascent", "5", "--descent", "5"])
                .args(["--burst", &burst.to_string(), "--json"])
                .output()
                .expect("the binary runs"),
        );
        let ours: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
        let fc = &ours["forecast"];
        assert!(
            fc["source"].as_str().is_some_and(|s| s.contains("tawhiri"))
                && fc["run_time"] == "2025-03-01T06:00:00Z",
            "{fc}"
        );
        let land = &ours["landing"];
        assert!(
            land["outcome"] == "ground" || land["outcome"] == "sea",
            "{land}"
        );
        let burst_ev = ours["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["kind"] == "burst")
            .expect("a burst event");

        let f = |v: &Value| v.as_f64().expect("a number");
        let (tl, tb) = (&theirs["landing"], &theirs["burst"]);
        assert_eq!(theirs["inside_box"], true, "left the written box: {theirs}");
        let d_land = distance_m(
            f(&land["lat"]),
            f(&land["lon"]),
            f(&tl["lat"]),
            f(&tl["lon"]),
        );
        let d_burst = distance_m(
            f(&burst_ev["lat"]),
            f(&burst_ev["lon"]),
            f(&tb["lat"]),
            f(&tb["lon"]),
        );
        // Our times are printed to the second.
        let dt_land = unix_s(land["time"].as_str().expect("time")) as f64 - f(&tl["t"]);
        let dt_burst = unix_s(burst_ev["time"].as_str().expect("time")) as f64 - f(&tb["t"]);
        let drift_km = distance_m(lat, lon, f(&tl["lat"]), f(&tl["lon"])) / 1000.0;
        report.push_str(&format!(
            "launch +{h:>6.2} h {lat:.2}N {lon:.2}E burst {burst:>5} m: drift {drift_km:5.1} km, \
             landing {d_land:6.1} m / {dt_land:+5.1} s apart, burst {d_burst:6.1} m / {dt_burst:+5.1} s\n"
        ));
        // The flights must go somewhere for the comparison to mean anything.
        assert!(drift_km > 20.0, "{report}");
        if !(d_land <= 100.0 && dt_land.abs() <= 5.0 && d_burst <= 100.0 && dt_burst.abs() <= 5.0) {
            failures.push(h);
        }
    }
    eprintln!("saebaram P0 vs tawhiri 0.2.0:\n{report}");
    assert!(
        failures.is_empty(),
        "landings or bursts more than 100 m or 5 s from tawhiri's for launches at +{failures:?} h:\n{report}"
    );
}
