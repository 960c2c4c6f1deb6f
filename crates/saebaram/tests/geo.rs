//! `saebaram sites`, run as a user would: the table, `--json`, one site or point, bad input.

use std::process::{Command, Output};

fn saebaram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run saebaram: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

/// The launch areas the issue names, in both languages.
const SITES: [(&str, &str); 7] = [
    ("Paju", "파주"),
    ("Gimpo", "김포"),
    ("Ganghwa", "강화"),
    ("Yeoncheon", "연천"),
    ("Pocheon", "포천"),
    ("Cheorwon", "철원"),
    ("Baengnyeong", "백령도"),
];

#[test]
fn table_lists_every_site_in_both_languages() {
    let o = saebaram(&["sites"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for (en, ko) in SITES {
        let line = text
            .lines()
            .find(|l| l.starts_with(en))
            .unwrap_or_else(|| panic!("no line for {en} in\n{text}"));
        assert!(line.contains(ko), "{line}");
        assert!(line.contains('N') && line.contains('E'), "{line}");
    }
    assert!(text.contains("Natural Earth"), "the data credit is shown");
}

#[test]
fn json_has_every_site_on_south_korean_land_near_the_border() {
    let o = saebaram(&["sites", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let rows = v.as_array().unwrap_or_else(|| panic!("not an array: {v}"));
    assert_eq!(rows.len(), SITES.len());
    for (row, (en, ko)) in rows.iter().zip(SITES) {
        assert_eq!(row["name"], en);
        assert_eq!(row["name_ko"], ko);
        let lat = row["lat"].as_f64().unwrap_or(f64::NAN);
        let lon = row["lon"].as_f64().unwrap_or(f64::NAN);
        // South of the Military Demarcation Line's northernmost point, west of the East Sea.
        assert!(
            (37.5..38.4).contains(&lat) && (124.5..127.6).contains(&lon),
            "{row}"
        );
        assert_eq!(row["region"]["class"], "south_korea", "{row}");
        assert!(row["note"].as_str().is_some_and(|n| !n.is_empty()), "{row}");
        // Every launch area is within 80 km of a North Korean town.
        let d = row["nearest_nk_city"]["distance_km"]
            .as_f64()
            .unwrap_or(f64::NAN);
        assert!(d > 0.0 && d < 80.0, "{row}");
    }
    // Imjingak is at about 37.889N 126.740E; Kaesong about 20 km north-west of it.
    let paju = &rows[0];
    assert!((paju["lat"].as_f64().unwrap_or(0.0) - 37.889).abs() < 0.01);
    assert!((paju["lon"].as_f64().unwrap_or(0.0) - 126.740).abs() < 0.01);
    assert_eq!(paju["nearest_nk_city"]["name"], "Kaesong");
}

#[test]
fn one_site_by_any_name() {
    for name in ["paju", "IMJINGAK", "임진각", "파주"] {
        let o = saebaram(&["sites", name, "--json"]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let v = json(&o);
        assert_eq!(v["site"]["name"], "Paju", "{name}");
        assert_eq!(v["region"]["class"], "south_korea");
    }
}

#[test]
fn points_are_classified() {
    let cases = [
        ("39.02,125.75", "north_korea"), // Pyongyang
        ("37.57,126.98", "south_korea"), // Seoul
        ("37.97,126.55", "north_korea"), // Kaesong
        ("37.7,126.2", "sea"),           // west of Ganghwa
        ("38.3,127.5", "dmz"),           // on the MDL north of Cheorwon
        ("40.12,124.38", "china"),       // Dandong
        ("43.12,131.9", "russia"),       // Vladivostok
        ("35.0,137.0", "outside_map"),   // Honshu, off the embedded map
    ];
    for (point, class) in cases {
        let o = saebaram(&["sites", point, "--json"]);
        assert!(o.status.success(), "{point}: {}", stderr(&o));
        let v = json(&o);
        assert_eq!(v["region"]["class"], class, "{point}: {v}");
    }
    let o = saebaram(&["sites", "39.02,125.75", "--json"]);
    let v = json(&o);
    assert_eq!(v["region"]["province"], "P'yŏngyang");
    assert_eq!(v["nearest_nk_city"]["name"], "Pyongyang");

    let o = saebaram(&["sites", "39.02,125.75"]);
    let text = stdout(&o);
    assert!(text.contains("North Korea (P'yŏngyang)"), "{text}");
    assert!(text.contains("Pyongyang 평양"), "{text}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let o = saebaram(&["sites", "Busan"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("unknown launch site \"Busan\""), "{err}");
    for (en, ko) in SITES {
        assert!(
            err.contains(en) && err.contains(ko),
            "the error lists {en}: {err}"
        );
    }
    assert!(o.stdout.is_empty());

    for (bad, needle) in [
        ("95,126", "latitude 95 is outside -90..90"),
        ("37.5,200", "longitude 200 is outside -180..180"),
        ("37.5", "expected LAT,LON"),
        ("37.5,abc", "longitude \"abc\" is not a decimal number"),
        ("NaN,126", "not a finite number"),
        ("-95,126", "latitude -95"),
    ] {
        let o = saebaram(&["sites", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = stderr(&o);
        assert!(err.contains(needle), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{bad}: {err}");
        assert!(o.stdout.is_empty(), "{bad}");
    }
}
