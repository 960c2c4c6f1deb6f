//! The HTML map in a real browser: headless Chromium driven by chromedriver over WebDriver
//! (`support/webdriver.rs`, a small HTTP client; no browser automation crate needed).
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (CI installs them from
//! `.ci/apt.d/map.txt`). Without them these tests FAIL with that instruction: a map that
//! was never opened in a browser is not tested.
//!
//! Screenshots are saved under `target/tmp/map-e2e/` as artifacts.

#[path = "support/webdriver.rs"]
mod webdriver;
#[path = "../../saebaram-drift/tests/support/write_nc.rs"]
mod write_nc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use webdriver::Driver;

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------- the browser (tests/support/webdriver.rs) and the map's own checks ----------

trait MapDriver {
    fn open(&self, page: &Path) -> String;
    fn screenshot(&self, name: &str) -> PathBuf;
    fn assert_offline_and_clean(&self, url: &str);
}

impl MapDriver for Driver {
    fn open(&self, page: &Path) -> String {
        let url = format!("file://{}", page.canonicalize().unwrap().display());
        // Reading a log empties it: what is left after this belongs to our page.
        self.log("browser");
        self.log("performance");
        self.goto(&url);
        self.wait_for(
            "window.saebaramMap && window.saebaramMap.readyMs",
            Duration::from_secs(30),
            "the page never became ready",
        );
        url
    }

    fn screenshot(&self, name: &str) -> PathBuf {
        self.screenshot_to(&artifacts().join(name))
    }

    /// Fails on any console error and on any request but the page itself.
    fn assert_offline_and_clean(&self, url: &str) {
        let console = self.log("browser");
        let errors: Vec<_> = console.iter().filter(|e| e["level"] == "SEVERE").collect();
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        // Every request that our document made, or that left the machine from anywhere.
        let mut requests = Vec::new();
        for entry in self.log("performance") {
            let Ok(m) = serde_json::from_str::<Value>(entry["message"].as_str().unwrap_or(""))
            else {
                continue;
            };
            if m["message"]["method"] == "Network.requestWillBeSent" {
                let p = &m["message"]["params"];
                let req = p["request"]["url"].as_str().unwrap_or("").to_owned();
                let ours = p["documentURL"].as_str() == Some(url);
                let remote = !(req.starts_with("chrome:")
                    || req.starts_with("file:")
                    || req.starts_with("data:"));
                if (ours && req != url && !req.starts_with("data:")) || remote {
                    requests.push(req);
                }
            }
        }
        assert!(requests.is_empty(), "the page made requests: {requests:?}");
        let resources =
            self.js("return performance.getEntriesByType('resource').map(e => e.name);");
        assert_eq!(resources, json!([]), "resources loaded by the page");
    }
}

// ---------- pages ----------

fn base_map() -> saebaram_map::BaseMap {
    use saebaram_geo::{Layer, layer_geojson};
    let l = |layer| Some(serde_json::from_str(layer_geojson(layer)).unwrap());
    saebaram_map::BaseMap {
        countries: l(Layer::Countries),
        provinces: l(Layer::Provinces),
        dmz: l(Layer::Dmz),
        borders: l(Layer::Borders),
        coastline: l(Layer::Coastline),
        cities: l(Layer::Cities),
        ..Default::default()
    }
}

/// A plan in the `plan --json` shape with varied windows (members differ per window so that
/// clicking a bar provably changes the drawn landings).
fn synthetic_plan(windows: usize) -> Value {
    let ws: Vec<Value> = (0..windows)
        .map(|i| {
            let members = 40 + i;
            let landings: Vec<Value> = (0..members)
                .map(|m| {
                    let a = m as f64 * 2.399 + i as f64;
                    let r = 0.05 + 0.25 * ((m as f64 * 0.37).sin().abs());
                    let cls = ["north_korea", "south_korea", "dmz", "sea", "china"][m % 5];
                    json!({"lat": 38.2 + r * a.cos(), "lon": 126.9 + r * a.sin(), "class": cls, "payload": 1.0})
                })
                .collect();
            let tracks: Vec<Value> = (0..3)
                .map(|k| json!([[37.76, 126.78, 0.0], [38.0, 126.8 + k as f64 * 0.05, 8000.0], [38.2, 126.9, 0.0]]))
                .collect();
            json!({"launch_time": format!("2019-06-05T{:02}:00:00Z", i % 24),
                   "p_north": 0.2, "p_south": 0.2, "p_dmz": 0.2, "p_sea": 0.2, "p_other": 0.2,
                   "p_target": (i as f64 * 0.7).sin().abs() * 0.5,
                   "median_distance_km": 12.5, "p90_distance_km": 30.0,
                   "landings": landings, "tracks": tracks})
        })
        .collect();
    json!({"forecast": {"source": "test </script> source", "credit": "test credit", "run_time": "2019-06-05T00:00:00Z", "steady_sample": true},
           "site": {"name": "Paju", "lat": 37.76, "lon": 126.78},
           "target": {"label": "Kaesong", "lat": 37.97, "lon": 126.55, "radius_km": 20},
           "members": 40, "seed": 7, "windows": ws, "best": 2, "warnings": ["a warning"]})
}

fn synthetic_prediction() -> Value {
    let pts = |from: (f64, f64), to: (f64, f64), n: usize| -> Vec<Value> {
        (0..=n)
            .map(|k| {
                let t = k as f64 / n as f64;
                json!({"lat": from.0 + (to.0 - from.0) * t, "lon": from.1 + (to.1 - from.1) * t, "alt": 1000.0 * k as f64, "time": "2019-06-05T12:00:00Z"})
            })
            .collect()
    };
    json!({"forecast": {"source": "JMA", "credit": "Japan Meteorological Agency"},
           "launch": {"lat": 37.76, "lon": 126.78, "alt": 20.0, "time": "2019-06-05T12:00:00Z"},
           "stages": [{"name": "ascent", "points": pts((37.76, 126.78), (38.1, 127.1), 30)},
                      {"name": "float", "points": pts((38.1, 127.1), (38.6, 127.6), 30)},
                      {"name": "descent", "points": pts((38.6, 127.6), (38.7, 127.7), 10)}],
           "events": [{"kind": "burst", "lat": 38.6, "lon": 127.6, "alt": 9000.0, "time": "2019-06-05T14:00:00Z"}],
           "landing": {"lat": 38.7, "lon": 127.7, "time": "2019-06-05T14:30:00Z", "outcome": "north_korea",
                       "region": {"class": "north_korea", "province": "Kangwŏn-do"}},
           "warnings": []})
}

fn write_page(name: &str, html: &str) -> PathBuf {
    let path = artifacts().join(name);
    saebaram_map::write_atomically(&path, html).unwrap();
    path
}

#[test]
fn plan_map_works_offline_in_chromium() {
    let plan = synthetic_plan(30);
    let html = saebaram_map::plan_page(&plan, &base_map(), saebaram_map::Lang::En).unwrap();
    let page = write_page("plan-synthetic.html", &html);
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["bars"], 30, "{c}");
    assert_eq!(c["selected"], 2, "starts on the best window: {c}");
    assert_eq!(c["landings"], 42, "one marker per member of window 2: {c}");
    assert_eq!(c["tracks"], 3, "{c}");
    assert!(
        c["contours50"].as_u64().unwrap() >= 1 && c["contours90"].as_u64().unwrap() >= 1,
        "{c}"
    );
    assert!(c["densityCells"].as_u64().unwrap() > 0, "{c}");
    assert_eq!(c["provinces"], 11, "{c}");
    assert!(c["cities"].as_u64().unwrap() > 0, "{c}");
    assert!(
        c["canvases"].as_u64().unwrap() >= 2,
        "base map canvases: {c}"
    );
    assert_eq!(
        d.js("return document.querySelectorAll('.leaflet-container').length;"),
        1
    );
    let credits =
        d.js("return document.querySelector('.leaflet-control-attribution').textContent;");
    let credits = credits.as_str().unwrap();
    assert!(
        credits.contains("Natural Earth")
            && credits.contains("test credit")
            && credits.contains("Leaflet"),
        "{credits}"
    );
    assert!(
        d.js("return document.querySelector('.leaflet-control-scale-line').textContent;")
            .as_str()
            .unwrap()
            .contains("km")
    );
    let banner = d.js("return document.querySelector('.sb-banner').textContent;");
    assert!(banner.as_str().unwrap().contains("NOT today"), "{banner}");
    // Choosing a bar shows that window's landings and probabilities.
    d.click(".sb-bar:nth-child(11)");
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["selected"], 10, "{c}");
    assert_eq!(c["landings"], 50, "{c}");
    let panel = d.js("return document.getElementById('sb-panel').textContent;");
    assert!(panel.as_str().unwrap().contains("11/30"), "{panel}");
    d.screenshot("plan-synthetic.png");
    d.assert_offline_and_clean(&url);
}

#[test]
fn prediction_map_works_offline_in_chromium_in_korean() {
    let html =
        saebaram_map::prediction_page(&synthetic_prediction(), &base_map(), saebaram_map::Lang::Ko)
            .unwrap();
    let page = write_page("prediction-synthetic.html", &html);
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["stages"], 3, "{c}");
    assert_eq!(c["events"], 1, "{c}");
    assert_eq!(
        d.js("return document.querySelectorAll('path.sb-landing-final').length;"),
        1
    );
    assert_eq!(d.js("return document.documentElement.lang;"), "ko");
    let panel = d.js("return document.getElementById('sb-panel').textContent;");
    assert!(panel.as_str().unwrap().contains("북한"), "{panel}");
    d.screenshot("prediction-synthetic-ko.png");
    d.assert_offline_and_clean(&url);

    // The checks above can fail: a page that tries to load something is caught.
    let leaky = artifacts().join("leaky.html");
    std::fs::write(
        &leaky,
        "<!DOCTYPE html><html><body><img src=\"http://127.0.0.1:9/x.png\">\
        <script>window.saebaramMap = {readyMs: 1};</script></body></html>",
    )
    .unwrap();
    let url = d.open(&leaky);
    std::thread::sleep(Duration::from_millis(300));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        d.assert_offline_and_clean(&url)
    }));
    assert!(
        caught.is_err(),
        "a page loading http://127.0.0.1:9/x.png passed the offline check"
    );
}

// ---------- the real commands ----------

fn saebaram(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
        .args(args)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run saebaram")
}

const SMALL_PLAN: [&str; 8] = [
    "plan",
    "--members",
    "16",
    "--from",
    "2019-06-05T00:00Z",
    "--to",
    "2019-06-05T05:00Z",
    "--json",
];

#[test]
fn real_plan_html_opens_offline_and_matches_the_json() {
    let page = artifacts().join("plan-real.html");
    let out = saebaram(&[&SMALL_PLAN[..], &["--html", page.to_str().unwrap()]].concat());
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan --json output");
    let windows = plan["windows"].as_array().unwrap();
    // When no window is within --max-heavy-risk (the built-in sample from Paju drops
    // heavy loads on towns in every window) there is no best: the map opens on the first.
    let best = plan["best"].as_u64().unwrap_or(0) as usize;
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 5_000_000);
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["bars"], windows.len(), "one bar per window: {c}");
    assert_eq!(c["selected"], best, "{c}");
    assert_eq!(
        c["landings"],
        windows[best]["landings"].as_array().unwrap().len(),
        "{c}"
    );
    // Another window: its own landings.
    let other = (best + 1) % windows.len();
    d.click(&format!(".sb-bar:nth-child({})", other + 1));
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["selected"], other, "{c}");
    assert_eq!(
        c["landings"],
        windows[other]["landings"].as_array().unwrap().len(),
        "{c}"
    );
    d.screenshot("plan-real.png");
    d.assert_offline_and_clean(&url);
}

#[test]
fn real_multi_site_plan_html_marks_each_windows_site() {
    let page = artifacts().join("plan-sites.html");
    let out = saebaram(
        &[
            &SMALL_PLAN[..],
            &["--site", "paju,gimpo", "--html", page.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan --json output");
    let windows = plan["windows"].as_array().unwrap();
    let site_of = |i: usize| windows[i]["site"].as_str().unwrap().to_owned();
    let first = plan["best"].as_u64().unwrap_or(0) as usize;
    let other = (0..windows.len())
        .find(|&i| site_of(i) != site_of(first))
        .expect("windows from both sites");
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["siteMarkers"], 2, "a marker per site: {c}");
    let now = |c: &Value| c["siteNow"].as_str().unwrap_or_default().to_owned();
    assert!(now(&c).contains(&site_of(first)), "{c}");
    d.click(&format!(".sb-bar:nth-child({})", other + 1));
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["selected"], other, "{c}");
    assert!(
        now(&c).contains(&site_of(other)),
        "the new window's site is named: {c}"
    );
    let panel = d.js("return document.getElementById('sb-panel').textContent;");
    assert!(
        panel.as_str().unwrap().contains(&site_of(other)),
        "the panel names the window's site: {panel}"
    );
    d.screenshot("plan-sites.png");
    d.assert_offline_and_clean(&url);
}

/// The page's rounding and formatting of a share, as `pct1` in app.js: `12.5 %`.
fn pct1(p: f64) -> String {
    let p = (p * 1e4).round() / 1e4;
    format!("{:.1} %", (p * 1000.0).round() / 10.0)
}

/// Hovers a landing inside the first risk disc and clicks a spot of the disc with no landing,
/// through synthetic mouse events sent to whatever element is on top at those points. Returns how many landings
/// lie inside, the landing's "lat, lon" text, the tooltip shown and the popup opened.
const HOVER_IN_DISC: &str = r#"
var m = window.saebaramMap.map, discs = [], lands = [];
m.closePopup();
m.eachLayer(function (l) {
  var c = (l.options && l.options.className) || '';
  if (c.indexOf('sb-risk-disc') >= 0) discs.push(l);
  else if (c.indexOf('sb-landing ') === 0) lands.push(l);
});
var disc = discs[0];
var inside = lands.filter(function (l) {
  return m.distance(l.getLatLng(), disc.getLatLng()) < disc.getRadius() * 0.9;
});
if (!inside.length) return { inside: 0, discs: discs.length, lands: lands.length };
var ll = inside[0].getLatLng();
m.setView(ll, 12, { animate: false });
// Each event goes to the element the browser finds at that point, as a real mouse's does.
var fire = function (type, latlng) {
  var p = m.latLngToContainerPoint(latlng), r = m.getContainer().getBoundingClientRect();
  var x = r.left + p.x, y = r.top + p.y;
  document.elementFromPoint(x, y).dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true,
    view: window, clientX: x, clientY: y }));
};
fire('mousemove', ll);
var tips = Array.from(document.querySelectorAll('.leaflet-tooltip:not(.sb-risk-tip)')).map(function (e) { return e.textContent; });
var at = ll.lat.toFixed(3) + ', ' + ll.lng.toFixed(3);
fire('mousemove', m.containerPointToLatLng([5, 5]));
// A spot of the disc at least 20 px from every landing.
var spot = null, c = m.latLngToContainerPoint(disc.getLatLng()), rPx = Math.abs(m.latLngToContainerPoint(disc.getBounds().getNorthEast()).x - c.x);
for (var a = 0; a < 24 && !spot; a++) for (var f = 0.2; f < 0.9 && !spot; f += 0.2) {
  var q = L.point(c.x + Math.cos(a * Math.PI / 12) * rPx * f, c.y + Math.sin(a * Math.PI / 12) * rPx * f);
  var size = m.getSize();
  if (q.x < 10 || q.y < 10 || q.x > size.x - 10 || q.y > size.y - 10) continue;
  if (lands.every(function (l) { return m.latLngToContainerPoint(l.getLatLng()).distanceTo(q) > 20; })) spot = q;
}
if (!spot) { m.setView(disc.getLatLng(), 10, { animate: false }); return { inside: inside.length, at: at, tooltip: tips.join(' | '), popup: null, spot: false }; }
fire('click', m.containerPointToLatLng(spot));
var pop = document.querySelector('.sb-risk-popup .leaflet-popup-content');
return { inside: inside.length, at: at, tooltip: tips.join(' | '), popup: pop && pop.textContent };
"#;

#[test]
fn real_plan_html_shows_the_towns_at_risk_and_the_place_labels() {
    // From Paju on the built-in sample every window drops heavy loads on towns in more
    // than 1 % of members (tests/flight.rs): no best window, all marked RISK, the map
    // opens on the first and draws its towns at risk.
    let page = artifacts().join("plan-risk.html");
    let out = saebaram(
        &[
            &SMALL_PLAN[..],
            &[
                "--site",
                "paju",
                "--lang",
                "ko",
                "--html",
                page.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan --json output");
    assert_eq!(plan["site"]["name"], "Paju");
    let windows = plan["windows"].as_array().unwrap();
    let first = &windows[0];
    let at_risk = first["heavy_places_at_risk"].as_array().unwrap();
    assert!(
        !at_risk.is_empty(),
        "the sample from Paju should put towns at risk in the first window: {first}"
    );
    let over = windows
        .iter()
        .filter(|w| w["over_heavy_risk_limit"] == true)
        .count();
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["selected"], 0, "{c}");
    assert_eq!(
        c["riskDiscs"],
        at_risk.len(),
        "one disc per town at risk: {c}"
    );
    assert_eq!(
        c["riskBars"], over,
        "RISK windows marked in the timeline: {c}"
    );
    // Each disc's popup: Korean first, both names, the share of members.
    let popups = c["risk"].as_array().unwrap();
    for (place, popup) in at_risk.iter().zip(popups) {
        let popup = popup.as_str().unwrap();
        let name = place["name"].as_str().unwrap();
        let names = match place["name_ko"].as_str() {
            Some(ko) => format!("{ko} / {name}"),
            None => name.to_owned(),
        };
        let expected = format!(
            "무거운 짐이 떨어질 확률 {} \u{2014} {}",
            pct1(place["p"].as_f64().unwrap()),
            names
        );
        assert!(popup.contains(&expected), "{expected:?} in {popup:?}");
        assert!(
            popup.contains("Chance of a heavy load falling intact"),
            "{popup}"
        );
    }
    // The plan's warning that no window is safe, in Korean first, the English beside it.
    assert_eq!(plan["warning_codes"][0]["code"], "no_safe_window", "{plan}");
    let header = d.js("return document.querySelector('.sb-sub').textContent;");
    assert!(
        header.as_str().unwrap().contains("목표 지역: 북한"),
        "{header}"
    );
    let banner = d.js("return document.querySelector('.sb-banner').textContent;");
    let banner = banner.as_str().unwrap();
    assert!(
        banner.contains("추천 시각이 없습니다") && banner.contains("no launch window is safe"),
        "{banner}"
    );
    // The panel lists them; choosing one opens its popup on the map.
    let panel = d.js("return document.querySelector('.sb-risk').textContent;");
    assert!(panel.as_str().unwrap().contains("낙하 위험"), "{panel}");
    d.click("[data-risk=\"0\"]");
    let shown = d.wait_for(
        "document.querySelector('.sb-risk-popup .leaflet-popup-content') && document.querySelector('.sb-risk-popup .leaflet-popup-content').textContent",
        Duration::from_secs(5),
        "the popup of the first town at risk never opened",
    );
    let first_name = at_risk[0]["name"].as_str().unwrap();
    assert!(
        shown.as_str().unwrap().contains("무거운 짐이 떨어질 확률")
            && shown.as_str().unwrap().contains(first_name),
        "{shown}"
    );
    d.screenshot("plan-risk-ko.png");
    // A landing inside a disc keeps its own tooltip; a click elsewhere in the disc opens the
    // disc's popup (a disc drawn above the landings used to take their hover).
    let hit = d.js(HOVER_IN_DISC);
    assert!(
        hit["inside"].as_u64().unwrap_or(0) > 0,
        "no landing inside the first disc: {hit}"
    );
    assert!(
        hit["tooltip"]
            .as_str()
            .is_some_and(|t| t.contains(hit["at"].as_str().unwrap())),
        "hovering a landing inside a disc showed no landing tooltip: {hit}"
    );
    assert!(
        hit["popup"]
            .as_str()
            .is_some_and(|t| t.contains("무거운 짐이 떨어질 확률")),
        "a click in the disc away from the landings opened no popup: {hit}"
    );
    // Place labels: all 438 GeoNames places are there; big ones show from far out, a small
    // town such as Munsan (43,208) only close in, Korean name first.
    assert_eq!(c["placesTotal"], 438, "{c}");
    d.js("window.saebaramMap.map.setView([37.5, 127.0], 6, {animate: false}); return 1;");
    let far =
        d.js("return Array.from(document.querySelectorAll('.sb-place')).map(e => e.textContent);");
    let far: Vec<&str> = far
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        far.iter()
            .any(|t| t.starts_with("서울") && t.contains("Seoul")),
        "{far:?}"
    );
    assert!(!far.iter().any(|t| t.starts_with("문산")), "{far:?}");
    d.js("window.saebaramMap.map.setView([37.86, 126.79], 10, {animate: false}); return 1;");
    let near =
        d.js("return Array.from(document.querySelectorAll('.sb-place')).map(e => e.textContent);");
    let near: Vec<&str> = near
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        near.iter()
            .any(|t| t.starts_with("문산") && t.contains("Munsan")),
        "{near:?}"
    );
    assert!(
        near.len() > far.len(),
        "{} near, {} far",
        near.len(),
        far.len()
    );
    d.screenshot("plan-risk-places-ko.png");
    d.assert_offline_and_clean(&url);
}

#[test]
fn real_predict_html_shows_the_town_a_heavy_load_falls_on() {
    // The issue's case: FFNK's sealed tube from Paju drops 13 kg on Munsan (tests/flight.rs).
    let page = artifacts().join("predict-risk.html");
    let out = saebaram(&[
        "predict",
        "--site",
        "paju",
        "--preset",
        "ffnk-tube",
        "--json",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pred: Value = serde_json::from_slice(&out.stdout).expect("predict --json output");
    let place = &pred["landing"]["populated_place"];
    assert_eq!(pred["landing"]["heavy_over_populated_rok"], true, "{pred}");
    // The place is identified, not only named (two South Korean places are called Munsan).
    assert!(
        place["geonameid"].as_u64().is_some_and(|id| id > 0),
        "{place}"
    );
    assert!(place["lat"].is_f64() && place["lon"].is_f64(), "{place}");
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["riskDiscs"], 1, "{c}");
    let popup = c["risk"][0].as_str().unwrap();
    let expected = format!(
        "무거운 짐이 통째로 떨어짐 \u{2014} {} / {}",
        place["name_ko"].as_str().unwrap(),
        place["name"].as_str().unwrap()
    );
    assert!(popup.contains(&expected), "{expected:?} in {popup:?}");
    d.click("[data-risk=\"0\"]");
    d.wait_for(
        "document.querySelector('.sb-risk-popup .leaflet-popup-content')",
        Duration::from_secs(5),
        "the popup of the town never opened",
    );
    d.screenshot("predict-risk.png");
    d.assert_offline_and_clean(&url);
}

#[test]
fn real_predict_html_opens_offline_in_korean() {
    let page = artifacts().join("predict-real.html");
    let out = saebaram(&[
        "predict",
        "--site",
        "paju",
        "--json",
        "--lang",
        "ko",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pred: Value = serde_json::from_slice(&out.stdout).expect("predict --json output");
    let stages = pred["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["points"].as_array().unwrap().is_empty())
        .count();
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["stages"], stages, "{c}");
    assert_eq!(
        c["events"],
        pred["events"].as_array().map_or(0, Vec::len),
        "{c}"
    );
    assert_eq!(d.js("return document.documentElement.lang;"), "ko");
    d.screenshot("predict-real-ko.png");
    d.assert_offline_and_clean(&url);
}

#[test]
fn real_drift_html_opens_offline_in_korean_and_matches_the_json() {
    // A north-westward current off Gyodong: bottles strand on Hwanghae-namdo's coast.
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("cur.nc");
    // 2026-12-05T00:00Z in hours since 1970.
    let start_h = 499_008.0;
    write_nc::write(&cur, &write_nc::lonlat_field(start_h, 30), |_, _, _| {
        Some((-0.15, 0.3))
    });
    let at = |h: f64| format!("@{}", ((start_h + h) * 3600.0) as i64);
    let page = artifacts().join("drift-real.html");
    let out = saebaram(&[
        "drift",
        "--currents",
        cur.to_str().unwrap(),
        "--site",
        "gyodong",
        "--from",
        &at(1.0),
        "--to",
        &at(4.0),
        "--every",
        "1h",
        "-n",
        "30",
        "--json",
        "--lang",
        "ko",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("drift --json output");
    let best = report["order"][0].as_u64().unwrap();
    let d = Driver::start();
    let url = d.open(&page);
    let c = d.js("return window.saebaramMap.counts();");
    assert_eq!(c["bars"], 4, "{c}");
    assert_eq!(c["selected"], best, "starts on the best throw window: {c}");
    assert_eq!(c["landings"], 30, "one marker per bottle: {c}");
    assert_eq!(d.js("return document.documentElement.lang;"), "ko");
    let header = d.js("return document.querySelector('.sb-header').textContent;");
    assert!(
        header.as_str().unwrap().contains("바다로 띄운 병"),
        "{header}"
    );
    let panel = d.js("return document.getElementById('sb-panel').textContent;");
    let panel = panel.as_str().unwrap();
    assert!(
        panel.contains("북한 해안에 닿을 확률") && panel.contains("교동도"),
        "{panel}"
    );
    let town = report["windows"][best as usize]["north_by_town"][0]["town"]
        .as_str()
        .unwrap();
    assert!(
        panel.contains(town),
        "the nearest town {town} is in the panel: {panel}"
    );
    d.screenshot("drift-real-ko.png");
    d.assert_offline_and_clean(&url);
}

#[test]
fn html_into_a_missing_directory_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("no-such-dir").join("plan.html");
    let out = saebaram(&[&SMALL_PLAN[..], &["--html", page.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plan.html") && err.contains("error"), "{err}");
    assert!(!page.exists());
}

#[test]
fn html_over_an_existing_file_replaces_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("map.html");
    std::fs::write(&page, "old").unwrap();
    let out = saebaram(&[
        "predict",
        "--site",
        "paju",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(html.contains("<html lang=\"en\">"), "LANG=C gives English");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}
