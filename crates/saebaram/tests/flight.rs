//! `saebaram predict` and `saebaram plan` run as a user would, on the embedded forecast.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn saebaram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn saebaram_threads(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("the binary runs")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn is_rfc3339(s: &Value) -> bool {
    s.as_str()
        .is_some_and(|s| s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T')
}

#[test]
fn predict_standard_flies_tawhiris_profile_on_the_embedded_forecast() {
    let out = saebaram(&[
        "predict",
        "--lat",
        "37.89",
        "--lon",
        "126.74",
        "--profile",
        "standard",
        "--ascent",
        "5",
        "--burst",
        "8000",
        "--descent",
        "5",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json_of(&out);
    assert!(stderr(&out).contains("NOT today's weather"));
    assert_eq!(v["forecast"]["steady_sample"], true);
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(
        stages
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["ascent", "descent"]
    );
    let burst = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "burst")
        .unwrap();
    assert!((burst["alt"].as_f64().unwrap() - 8000.0).abs() < 0.5);
    // 8 km at 5 m/s: 1,600 s after launch.
    assert!(
        burst["time"]
            .as_str()
            .unwrap()
            .starts_with("2019-06-05T00:26:40"),
        "{burst}"
    );
    for p in stages[0]["points"].as_array().unwrap() {
        assert!(
            is_rfc3339(&p["time"])
                && p["lat"].is_f64()
                && p["lon"].is_f64()
                && p["alt"].is_number()
        );
    }
    let landing = &v["landing"];
    assert!(
        landing["outcome"] == "ground" || landing["outcome"] == "sea",
        "{landing}"
    );
    assert!(is_rfc3339(&landing["time"]));
    assert!(landing["region"]["class"].is_string());
    // Landed where the last descent point is.
    let last = stages[1]["points"].as_array().unwrap().last().unwrap();
    assert_eq!(last["lat"], landing["lat"]);
}

#[test]
fn predict_a_vented_tube_floats_releases_leaflets_and_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("f.geojson");
    let k = dir.path().join("f.kml");
    let c = dir.path().join("f.csv");
    let out = saebaram(&[
        "predict",
        "--site",
        "gimpo",
        "--preset",
        "slack-tube",
        "--leak",
        "0.1",
        "--timer",
        "2",
        "--json",
        "--geojson",
        g.to_str().unwrap(),
        "--kml",
        k.to_str().unwrap(),
        "--csv",
        c.to_str().unwrap(),
    ]);
    let v = json_of(&out);
    let names: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.starts_with(&["ascent", "float"]) && names.contains(&"leaflets"),
        "{names:?}"
    );
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["float_start", "release"]);
    assert_eq!(v["landing"]["payload"], "leaflets");
    assert_eq!(v["events"][1]["time"], "2019-06-05T02:00:00Z");
    let geo: Value = serde_json::from_str(&std::fs::read_to_string(&g).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    assert!(geo["features"].as_array().unwrap().len() >= names.len());
    let kml = std::fs::read_to_string(&k).unwrap();
    assert!(
        kml.contains("<kml") && kml.contains("<LineString>") && kml.trim_end().ends_with("</kml>")
    );
    let csv = std::fs::read_to_string(&c).unwrap();
    assert!(csv.starts_with("stage,time,lat,lon,alt_m\nascent,2019-06-05T00:00:00Z,"));
    // Only the three outputs: no temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn predict_reports_a_flight_that_leaves_the_forecast_with_exit_1() {
    // The embedded sample stops near 9.5 km: a 30 km burst leaves it through the top.
    let out = saebaram(&["predict", "--site", "paju", "--burst", "30000", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v["landing"]["outcome"], "left_domain");
}

fn assert_bad(args: &[&str], needle: &str) {
    let out = saebaram(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    assert_bad(&["predict", "--site", "atlantis"], "atlantis");
    assert_bad(
        &["predict", "--lat", "10", "--lon", "100"],
        "outside the forecast",
    );
    assert_bad(
        &["predict", "--site", "paju", "--ascent", "-5"],
        "ascent rate",
    );
    assert_bad(
        &["predict", "--site", "paju", "--descent", "0"],
        "descent rate",
    );
    assert_bad(
        &["predict", "--site", "paju", "--preset", "zeppelin"],
        "unknown preset `zeppelin`",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "ffnk-tube",
            "--fill",
            "10",
        ],
        "kg: this balloon will not rise",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "slack-tube",
            "--timer",
            "30",
        ],
        "after the flight ends",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "slack-tube",
            "--timer",
            "soon",
        ],
        "--timer",
    );
    assert_bad(
        &["predict", "--site", "paju", "--time", "yesterday"],
        "not a UTC time",
    );
    assert_bad(
        &["predict", "--site", "paju", "--leaflets", "0.6"],
        "balloon profiles",
    );
    assert_bad(&["plan", "--members", "0"], "members = 0");
    assert_bad(&["plan", "--site", "atlantis"], "atlantis");
    assert_bad(&["plan", "--every", "0h"], "--every");
    assert_bad(&["plan", "--target", "province:narnia"], "narnia");
    assert_bad(
        &[
            "plan",
            "--from",
            "2019-06-06T00:00Z",
            "--to",
            "2019-06-05T00:00Z",
        ],
        "before --from",
    );
}

const SMALL_PLAN: &[&str] = &[
    "plan",
    "--site",
    "paju",
    "--members",
    "12",
    "--particles",
    "4",
    "--from",
    "2019-06-05T00:00Z",
    "--to",
    "2019-06-05T02:00Z",
    "--every",
    "1h",
    "--seed",
    "7",
    "--json",
];

#[test]
fn plan_json_follows_the_contract() {
    let v = json_of(&saebaram(SMALL_PLAN));
    assert_eq!(v["members"], 12);
    assert_eq!(v["seed"], 7);
    assert_eq!(v["site"]["name"], "Paju");
    assert!(v["target"]["label"].is_string());
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    // Every window of the sample drops heavy loads on towns in more than 1 % of members:
    // none is recommended, and the plan's answer is no.
    assert!(v["best"].is_null(), "{}", v["best"]);
    assert_eq!(v["max_heavy_risk"], 0.01);
    assert_eq!(v["safe_windows"], 0);
    let best = windows.iter().position(|w| w["rank"] == 1).unwrap();
    assert!(windows.iter().all(|w| w["over_heavy_risk_limit"] == true));
    for w in windows {
        assert!(is_rfc3339(&w["launch_time"]));
        let total: f64 = ["p_north", "p_south", "p_dmz", "p_sea", "p_other"]
            .iter()
            .map(|k| w[k].as_f64().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        assert!(w["p_target"].as_f64().unwrap() <= w["p_north"].as_f64().unwrap() + 1e-9);
        assert!(
            w["p90_distance_km"].as_f64().unwrap() >= w["median_distance_km"].as_f64().unwrap()
        );
        let landings = w["landings"].as_array().unwrap();
        assert!(landings.len() >= 12, "one per member per payload class");
        assert!(
            landings
                .iter()
                .all(|l| l["lat"].is_f64() && l["class"].is_string() && l["payload"].is_string())
        );
        let tracks = w["tracks"].as_array().unwrap();
        assert!(!tracks.is_empty() && tracks.len() <= 10);
        assert_eq!(tracks[0][0].as_array().unwrap().len(), 3);
        assert!(w["leaflet_density"]["cell_deg"].is_f64());
    }
    assert!(
        windows[best]["p_target"].as_f64()
            >= windows
                .iter()
                .map(|w| w["p_target"].as_f64())
                .min_by(|a, b| a.partial_cmp(b).unwrap())
                .unwrap()
    );
}

#[test]
fn plan_is_identical_on_one_and_two_threads() {
    let one = saebaram_threads(SMALL_PLAN, "1");
    let two = saebaram_threads(SMALL_PLAN, "2");
    assert_eq!(one.status.code(), two.status.code());
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout, "same seed, different thread counts");
    let mut other = SMALL_PLAN.to_vec();
    let n = other.len();
    other[n - 2] = "8";
    assert_ne!(
        saebaram(&other).stdout,
        one.stdout,
        "a different seed changes the draws"
    );
}

#[test]
fn plan_prints_a_ranked_table_and_writes_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("plan.geojson");
    let mut args = SMALL_PLAN[..SMALL_PLAN.len() - 1].to_vec();
    args.extend(["--geojson", g.to_str().unwrap()]);
    let out = saebaram(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("rank") && text.contains("P(North)") && text.contains("2019-06-05T0"),
        "{text}"
    );
    assert!(text.contains("held steady"));
    let geo: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&g)).unwrap()).unwrap();
    assert!(
        geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["geometry"]["type"] == "Point")
    );
}

#[test]
fn plan_reports_heavy_intact_falls_per_window() {
    // The sealed tube with a sack bursts before its timer: the sack falls whole with it.
    let mut args = SMALL_PLAN.to_vec();
    args.extend(["--preset", "sack"]);
    let v = json_of(&saebaram(&args));
    let def = &v["heavy_fall_definition"];
    assert_eq!(def["released_min_fall_m_s"], 10.0);
    assert_eq!(def["populated_min_radius_km"], 5.0);
    assert!(v["warnings"].is_array());
    let mut any_heavy = false;
    for w in v["windows"].as_array().unwrap() {
        let p = |k: &str| w[k].as_f64().unwrap();
        assert!(p("p_heavy_over_populated_rok") <= p("p_heavy_rok") + 1e-9);
        assert!(p("p_heavy_rok") <= p("p_heavy") + 1e-9);
        let heavy = w["heavy_landings"].as_array().unwrap();
        any_heavy |= !heavy.is_empty();
        for l in heavy {
            assert!(l["why"] == "tied" || l["why"] == "fast", "{l}");
            assert!(l["mass_kg"].as_f64().unwrap() >= 1.0);
        }
        // Each place at risk has a share no larger than the flag.
        for place in w["heavy_places_at_risk"].as_array().unwrap() {
            assert!(place["name"].is_string() && place["radius_km"].as_f64().unwrap() >= 5.0);
            assert!(place["p"].as_f64().unwrap() <= p("p_heavy_over_populated_rok") + 1e-9);
        }
        if p("p_heavy_over_populated_rok") > 0.0 {
            assert!(!w["heavy_places_at_risk"].as_array().unwrap().is_empty());
        }
    }
    assert!(any_heavy, "a sack preset drops sacks");
    // The slack tube of SMALL_PLAN: members whose timer failed or who sank before it fired
    // come down with their 10 kg of leaflets, some on towns east of Paju (which towns
    // depends on the 12 members' draws): the best window says so in the table, the JSON
    // and the GeoJSON, naming the same place.
    // With the limit at 100 % every window is within it and the best one is named.
    let lax = with(&["--max-heavy-risk", "100"]);
    let v = json_of(&saebaram(&lax));
    let best = &v["windows"][v["best"].as_u64().unwrap() as usize];
    assert!(best["p_heavy_over_populated_rok"].as_f64().unwrap() > 0.0);
    let first_place = best["heavy_places_at_risk"][0]["name"]
        .as_str()
        .expect("a place at risk")
        .to_string();
    let warning = v["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("heavy intact load") && warning.contains(&first_place),
        "{warning}"
    );
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("plan.geojson");
    let mut args: Vec<&str> = lax.iter().copied().filter(|a| *a != "--json").collect();
    args.extend(["--geojson", g.to_str().unwrap()]);
    let out = saebaram(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("P(heavy town)"), "{text}");
    assert!(text.contains("% !\n"), "{text}");
    // Korean first (the app's words), the English under it.
    assert!(
        text.contains(
            "WARNING: 경고: 가장 좋은 시각에 띄우면 남한 주택가에 짐이 통째로 떨어질 수 있습니다"
        ) && text.contains("\n         the best-ranked window drops a heavy intact load"),
        "{text}"
    );
    let geo: Value = serde_json::from_str(&std::fs::read_to_string(&g).unwrap()).unwrap();
    assert!(geo["features"].as_array().unwrap().iter().any(|f| {
        f["properties"]["heavy_intact"] == true
            && f["properties"]["populated_place"] == first_place.as_str()
    }));
    // Leaflets released on time are not heavy: a leaflet preset with a perfect timer and no
    // leak has none.
    let mut args = SMALL_PLAN.to_vec();
    args.extend([
        "--preset",
        "slack-tube",
        "--timer",
        "0.5",
        "--timer-fail",
        "0",
        "--leak",
        "0.05",
    ]);
    let v = json_of(&saebaram(&args));
    for w in v["windows"].as_array().unwrap() {
        assert_eq!(w["p_heavy"], 0.0, "{}", w["heavy_landings"]);
    }
}

#[test]
fn predict_flags_a_heavy_intact_fall_on_its_landing() {
    let out = saebaram(&[
        "predict",
        "--site",
        "paju",
        "--preset",
        "ffnk-tube",
        "--json",
    ]);
    let v = json_of(&out);
    let l = &v["landing"];
    assert_eq!(l["payload"], "envelope");
    assert_eq!(l["heavy_intact"]["why"], "tied");
    assert!((l["heavy_intact"]["mass_kg"].as_f64().unwrap() - 13.0).abs() < 1e-9);
    let in_rok = l["region"]["class"] == "south_korea" && l["outcome"] == "ground";
    assert_eq!(l["heavy_in_rok"], in_rok);
    assert_eq!(
        l["heavy_over_populated_rok"],
        l["populated_place"].is_object()
    );
    // Released leaflets never are.
    let v = json_of(&saebaram(&[
        "predict",
        "--site",
        "gimpo",
        "--preset",
        "slack-tube",
        "--leak",
        "0.1",
        "--timer",
        "2",
        "--json",
    ]));
    assert_eq!(v["landing"]["payload"], "leaflets");
    assert!(v["landing"]["heavy_intact"].is_null());
    assert_eq!(v["landing"]["heavy_over_populated_rok"], false);
    // The text says so when the fall is in South Korea.
    let out = saebaram(&["predict", "--site", "paju", "--preset", "ffnk-tube"]);
    let text = String::from_utf8_lossy(&out.stdout);
    if in_rok {
        assert!(text.contains("heavy intact fall"), "{text}");
    }
}

#[test]
fn superheat_is_a_flag_for_vented_balloons_with_a_checked_range() {
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "slack-tube",
            "--superheat",
            "25",
        ],
        "superheat (K) must be between 0 and 20, got 25",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "slack-tube",
            "--superheat",
            "-1",
        ],
        "superheat (K) must be between 0 and 20, got -1",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "slack-tube",
            "--superheat",
            "NaN",
        ],
        "superheat (K)",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "slack-tube",
            "--superheat",
            "warm",
        ],
        "--superheat",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--preset",
            "ffnk-tube",
            "--superheat",
            "5",
        ],
        "vented envelopes",
    );
    assert_bad(
        &[
            "predict",
            "--site",
            "paju",
            "--profile",
            "standard",
            "--superheat",
            "5",
        ],
        "--superheat is for balloon profiles",
    );
    assert_bad(&["plan", "--superheat", "30"], "superheat (K)");
    // Default: not in the profile; given: shown, and the flight runs.
    let v = json_of(&saebaram(&[
        "predict",
        "--site",
        "paju",
        "--preset",
        "slack-tube",
        "--json",
    ]));
    assert!(v["profile"]["carrier"].get("superheat_k").is_none());
    let v = json_of(&saebaram(&[
        "predict",
        "--site",
        "paju",
        "--preset",
        "slack-tube",
        "--superheat",
        "8",
        "--time",
        "2019-06-05T02:00Z",
        "--json",
    ]));
    assert_eq!(v["profile"]["carrier"]["superheat_k"], 8.0);
    let help = String::from_utf8_lossy(&saebaram(&["predict", "--help"]).stdout).into_owned();
    assert!(help.contains("--superheat"), "{help}");
}

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = SMALL_PLAN.to_vec();
    args.extend_from_slice(extra);
    args
}

#[test]
fn prefilter_lists_what_it_skips_and_changes_no_flown_window() {
    // The embedded sample's layer-mean wind over Paju blows from the WNW, towards the ESE
    // and away from the North: every window is skipped, listed, and none is ranked.
    let out = saebaram(&with(&["--prefilter"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json_of(&out);
    assert!(v["windows"].as_array().unwrap().is_empty());
    assert!(v["best"].is_null());
    let skipped = v["skipped_windows"].as_array().unwrap();
    assert_eq!(skipped.len(), 3);
    for s in skipped {
        assert!(is_rfc3339(&s["launch_time"]));
        assert_eq!(s["prefilter"]["passed"], false);
        assert_eq!(s["prefilter"]["layer_top_m"], 5000.0);
        let reason = s["prefilter"]["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("skipped: layer-mean wind") && reason.contains("(WNW)"),
            "{reason}"
        );
        assert!(s["prefilter"]["mean_wind"]["speed_m_s"].as_f64().unwrap() > 1.0);
    }
    let text = saebaram(
        &with(&["--prefilter"])[..SMALL_PLAN.len() + 1]
            .iter()
            .copied()
            .filter(|a| *a != "--json")
            .collect::<Vec<_>>(),
    );
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("pre-filter: 3 of 3 windows skipped"),
        "{text}"
    );
    assert!(text.contains("no window was flown"), "{text}");
    // The map needs a window: refused with a message, not a broken page.
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("p.html");
    let out = saebaram(&with(&["--prefilter", "--html", html.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("skipped by --prefilter"),
        "{}",
        stderr(&out)
    );
    assert!(!html.exists());

    // Off the Ongjin coast the same wind blows into the North: nothing is skipped, and
    // every window has the same members and numbers as without the pre-filter.
    let ongjin = |extra: &[&'static str]| {
        let args: Vec<&str> = with(extra)
            .into_iter()
            .map(|a| if a == "paju" { "38.6,124.9" } else { a })
            .collect();
        json_of(&saebaram(&args))
    };
    let plain = ongjin(&[]);
    let v = ongjin(&["--prefilter"]);
    assert!(v["skipped_windows"].as_array().unwrap().is_empty());
    let (a, b) = (
        v["windows"].as_array().unwrap(),
        plain["windows"].as_array().unwrap(),
    );
    assert_eq!(a.len(), 3);
    for (w, p) in a.iter().zip(b) {
        assert_eq!(w["prefilter"]["passed"], true);
        assert!(
            w["prefilter"]["reason"]
                .as_str()
                .unwrap()
                .contains("km downwind")
        );
        assert!(p.get("prefilter").is_none());
        for k in [
            "launch_time",
            "rank",
            "p_north",
            "p_target",
            "landings",
            "p_heavy",
        ] {
            assert_eq!(w[k], p[k], "{k}");
        }
    }
    assert!(plain["skipped_windows"].as_array().unwrap().is_empty());
}

#[test]
fn plan_ranks_windows_within_the_heavy_risk_limit_before_riskier_ones() {
    // Aiming at Seoul's 40 km from Paju: the members that reach it are the ones that drop
    // their leaflets' sack on Seoul when the timer fails, so the window with the highest
    // P(target) is also the riskiest.
    let base = [
        "plan",
        "--site",
        "paju",
        "--members",
        "20",
        "--particles",
        "4",
        "--from",
        "2019-06-05T00:00Z",
        "--to",
        "2019-06-05T05:00Z",
        "--every",
        "1h",
        "--seed",
        "7",
        "--target",
        "city:Seoul:40km",
        "--json",
    ];
    let run = |limit: &str| {
        let mut a = base.to_vec();
        a.extend(["--max-heavy-risk", limit]);
        json_of(&saebaram(&a))
    };
    let lax = run("100");
    let strict = run("10");
    let p = |w: &Value, k: &str| w[k].as_f64().unwrap();
    let lax_best = &lax["windows"][lax["best"].as_u64().unwrap() as usize];
    assert!(
        p(lax_best, "p_heavy_over_populated_rok") > 0.10,
        "the premise: the most likely window is over 10 %: {}",
        lax_best["p_heavy_over_populated_rok"]
    );
    let windows = strict["windows"].as_array().unwrap();
    let best = &windows[strict["best"].as_u64().unwrap() as usize];
    assert_eq!(best["rank"], 1);
    assert!(p(best, "p_heavy_over_populated_rok") <= 0.10);
    assert_eq!(best["over_heavy_risk_limit"], false);
    assert!(
        p(best, "p_target") < p(lax_best, "p_target"),
        "a safer, less likely window is recommended"
    );
    let risky = windows
        .iter()
        .find(|w| w["launch_time"] == lax_best["launch_time"])
        .unwrap();
    assert_eq!(risky["over_heavy_risk_limit"], true);
    assert!(!risky["heavy_places_at_risk"].as_array().unwrap().is_empty());
    // Every window within the limit ranks before every window over it.
    let worst_safe = windows
        .iter()
        .filter(|w| w["over_heavy_risk_limit"] == false)
        .map(|w| w["rank"].as_u64().unwrap())
        .max()
        .unwrap();
    let first_risky = windows
        .iter()
        .filter(|w| w["over_heavy_risk_limit"] == true)
        .map(|w| w["rank"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(worst_safe < first_risky);
    assert_eq!(
        strict["safe_windows"].as_u64().unwrap() as usize,
        windows
            .iter()
            .filter(|w| w["over_heavy_risk_limit"] == false)
            .count()
    );
    // The table marks it.
    let table: Vec<&str> = base
        .iter()
        .copied()
        .filter(|a| *a != "--json")
        .chain(["--max-heavy-risk", "10"])
        .collect();
    let out = saebaram(&table);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" RISK\n"), "{text}");
    assert!(text.contains("RISK over --max-heavy-risk (10 %)"), "{text}");
    // With the default 1 % no window of this sample is safe: said, and exit 1.
    let table: Vec<&str> = base.iter().copied().filter(|a| *a != "--json").collect();
    let out = saebaram(&table);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("WARNING: 경고: 추천 시각이 없습니다")
            && text.contains("\n         no launch window is safe"),
        "{text}"
    );
}

#[test]
fn the_paju_sealed_tube_names_munsan_as_the_town_at_risk() {
    // The case: FFNK's sealed tube bursts near 4 km 18 minutes out and its 13 kg
    // come down 7.4 km from the launch, 3 km from Munsan (43,208 people), a border town
    // Natural Earth does not list.
    let out = saebaram(&[
        "predict",
        "--site",
        "paju",
        "--preset",
        "ffnk-tube",
        "--json",
    ]);
    let v = json_of(&out);
    let l = &v["landing"];
    assert_eq!(l["heavy_over_populated_rok"], true, "{l}");
    let place = &l["populated_place"];
    assert!(
        place["name"] == "Munsan" || place["name"] == "Paju",
        "{place}"
    );
    assert_eq!(place["name_ko"], "문산");
    assert_eq!(place["population"], 43208);
    assert!(place["distance_km"].as_f64().unwrap() <= place["radius_km"].as_f64().unwrap());
    let out = saebaram(&["predict", "--site", "paju", "--preset", "ffnk-tube"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("heavy intact fall over a populated place in South Korea")
            && text.contains("Munsan (문산)")
            && text.contains("GeoNames"),
        "{text}"
    );
}

#[test]
fn plan_refuses_a_bad_heavy_risk_limit_and_an_ambiguous_target() {
    for bad in ["-1", "101", "lots"] {
        assert_bad(&with(&["--max-heavy-risk", bad]), "--max-heavy-risk");
    }
    assert_bad(&with(&["--target", "city:Gwangju:20km"]), "names 2 places");
    assert_bad(
        &with(&["--target", "city:Munsn:20km"]),
        "did you mean Munsan",
    );
    // Korean and English names of the same place give the same target.
    let en = json_of(&saebaram(&with(&["--target", "city:Haeju:20km"])));
    let ko = json_of(&saebaram(&with(&["--target", "city:해주:20km"])));
    assert_eq!(en["target"]["geonameid"], ko["target"]["geonameid"]);
    assert_eq!(en["target"]["label"], ko["target"]["label"]);
    assert_eq!(en["windows"], ko["windows"]);
}

/// SMALL_PLAN from `site` instead of Paju.
fn from_site(site: &str) -> Vec<&str> {
    let mut args: Vec<&str> = SMALL_PLAN.to_vec();
    let at = args
        .iter()
        .position(|a| *a == "--site")
        .expect("SMALL_PLAN has --site");
    args[at + 1] = site;
    args
}

#[test]
fn plan_ranks_several_sites_together_as_each_alone_would_fly() {
    let multi = json_of(&saebaram(&from_site("paju,gimpo,baengnyeong")));
    let names: Vec<&str> = multi["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Paju", "Gimpo", "Baengnyeong"]);
    let windows = multi["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 9);
    let mut ranks: Vec<u64> = windows
        .iter()
        .map(|w| w["rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=9).collect::<Vec<u64>>());
    for site in ["gimpo", "baengnyeong"] {
        let alone = json_of(&saebaram(&from_site(site)));
        let name = alone["site"]["name"].as_str().unwrap();
        let mine: Vec<&Value> = windows.iter().filter(|w| w["site"] == name).collect();
        let theirs = alone["windows"].as_array().unwrap();
        assert_eq!(mine.len(), theirs.len());
        for (a, b) in mine.iter().zip(theirs) {
            for k in [
                "launch_time",
                "p_north",
                "p_south",
                "p_sea",
                "p_target",
                "landings",
            ] {
                assert_eq!(a[k], b[k], "{name} {k}");
            }
        }
    }
    // The table shows the site of each window.
    let mut args: Vec<&str> = from_site("paju,gimpo,baengnyeong")
        .into_iter()
        .filter(|a| *a != "--json")
        .collect();
    args.extend(["--top", "9"]);
    let text = String::from_utf8_lossy(&saebaram(&args).stdout).to_string();
    assert!(text.contains("rank  site "), "{text}");
    assert!(text.contains("Baengnyeong 2019-06-05T0"), "{text}");
}

#[test]
fn plan_without_arguments_compares_the_built_in_sites_on_the_one_time_sample() {
    let out = saebaram(&["plan", "--members", "20", "--particles", "4"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Comparing launch sites: the forecast has one time, held steady"),
        "{text}"
    );
    for site in [
        "Paju",
        "Gimpo",
        "Ganghwa",
        "Yeoncheon",
        "Pocheon",
        "Cheorwon",
        "Baengnyeong",
    ] {
        let rows = text
            .lines()
            .filter(|l| l.contains(&format!(" {site} ")) && l.contains("2019-06-05T00:00:00Z"))
            .count();
        assert!(rows >= 1, "{site} in {text}");
    }
    let v = json_of(&saebaram(&[
        "plan",
        "--members",
        "20",
        "--particles",
        "4",
        "--json",
    ]));
    assert_eq!(v["sites"].as_array().unwrap().len(), 7);
    assert_eq!(v["windows"].as_array().unwrap().len(), 7);
    assert!(v["site_comparison"].as_str().unwrap().contains("one time"));
}

#[test]
fn plan_target_with_every_site_answers_where_and_when_to_reach_it() {
    // "Where and when to reach Haeju": on the sample only Baengnyeong's leaflets get there.
    let mut args = from_site("all");
    args.extend(["--target", "city:Haeju:80km"]);
    let v = json_of(&saebaram(&args));
    assert_eq!(v["sites"].as_array().unwrap().len(), 7);
    assert_eq!(v["target"]["name"], "Haeju");
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 7 * 3);
    let mut ranks: Vec<u64> = windows
        .iter()
        .map(|w| w["rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=21).collect::<Vec<u64>>());
    let p = |w: &Value| w["p_target"].as_f64().unwrap();
    let best = &windows[v["best"].as_u64().unwrap() as usize];
    assert_eq!(best["rank"], 1);
    assert_eq!(best["site"], "Baengnyeong", "{best}");
    let top = windows.iter().map(p).fold(0.0, f64::max);
    assert!(top > 0.3 && p(best) == top, "best {} of {top}", p(best));
    // Within the heavy-risk limit, a higher rank never has a lower P(target).
    let mut safe: Vec<&Value> = windows
        .iter()
        .filter(|w| w["over_heavy_risk_limit"] == false)
        .collect();
    safe.sort_by_key(|w| w["rank"].as_u64().unwrap());
    assert!(safe.windows(2).all(|w| p(w[0]) >= p(w[1])), "{safe:?}");
    // The same seed gives each site's windows as that site alone.
    let mut alone_args = from_site("baengnyeong");
    alone_args.extend(["--target", "city:Haeju:80km"]);
    let alone = json_of(&saebaram(&alone_args));
    let mine: Vec<f64> = windows
        .iter()
        .filter(|w| w["site"] == "Baengnyeong")
        .map(p)
        .collect();
    let theirs: Vec<f64> = alone["windows"].as_array().unwrap().iter().map(p).collect();
    assert_eq!(mine, theirs);
    // The table names the site of the best window first.
    let mut text_args: Vec<&str> = args.into_iter().filter(|a| *a != "--json").collect();
    text_args.extend(["--top", "3"]);
    let out = saebaram(&text_args);
    let text = String::from_utf8_lossy(&out.stdout);
    let first_row = text
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap_or_else(|| panic!("no rank 1 row in {text}"));
    assert!(first_row.contains("Baengnyeong"), "{text}");
    assert!(text.contains("target Haeju"), "{text}");
}
