//! Offline HTML maps for saebaram: one self-contained page per plan, prediction or sea drift.
//!
//! Owns: the self-contained HTML page (map library and data embedded), its layers and its languages.
//! Must not know: how flights are computed; the network (the page never loads anything).
//!
//! # What a page is
//!
//! [`plan_page`] and [`prediction_page`] turn the JSON that `saebaram plan --json` and
//! `saebaram predict --json` print into one HTML document that opens from `file://` with no
//! network at all:
//!
//! - **Leaflet** (from the npm registry, version pinned by `web/package-lock.json`) and its
//!   BSD-2-Clause licence text are inlined. `build.rs` reads them from `web/node_modules`
//!   after `npm ci --prefix crates/saebaram-map/web`; the build stops with that instruction
//!   when they are missing or do not match the lockfile.
//! - Our own front end (`web/src/app.js`, `web/src/app.css`) is plain, dependency-free
//!   JavaScript and CSS included as it is: there is no bundler step to reproduce.
//! - All data is one JSON document in `<script type="application/json">`, with every `<`
//!   written as `\u003c` so that no `</script>` or `<!--` can end or alter the element.
//! - A `Content-Security-Policy` of `default-src 'none'` (inline script and style, `data:`
//!   images only) makes the browser itself refuse any request the page might try.
//! - No tiles: the base map is the Natural Earth vector layers handed in as [`BaseMap`].
//!
//! # Why Leaflet comes from `node_modules` and is not committed
//!
//! The project takes third-party code only through its package manager with a lockfile. A
//! `cargo build` therefore needs one `npm ci` first (the CI does it in
//! `.ci/setup.d/50-map.sh`); after that everything is offline. We considered committing a
//! built bundle (no npm for users) and fetching at build time (needs the network every
//! build); both break a rule, so the lockfile plus `npm ci` is the honest middle.
//!
//! # What is computed here rather than in the page
//!
//! The page data is a compact model of the plan ([`page_data`] is not public; see
//! `docs/map.md`): coordinates rounded (landings 4 decimals, about 11 m; tracks 3, about
//! 110 m), at most [`MAX_TRACKS_PER_WINDOW`] member tracks per window with at most
//! [`MAX_TRACK_POINTS`] points each, and the 50 % and 90 % highest-density contours of the
//! leaflet density grid, smoothed by two passes of a 3x3 binomial kernel (in [`contour`]). This keeps a 120-window, 200-member plan well under
//! 5 MB and lets the page draw a window in milliseconds.
//!
//! Hand-written parts: the density contours (a grid-edge tracer of 100 lines; contour crates
//! work on continuous fields and would smooth the cells the ensemble actually produced) and
//! the HTML escaping of a few strings (three replacements).
#![deny(missing_docs)]

pub mod contour;
mod page_data;

use std::path::Path;

use serde_json::Value;

/// Leaflet's minified code, from `node_modules` (see `build.rs` for the checked changes).
const LEAFLET_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/leaflet.js"));
/// Leaflet's stylesheet with its images inlined as `data:` URIs.
const LEAFLET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/leaflet.css"));
/// Leaflet's licence text, shown in the page's "About" panel and kept in a comment.
const LEAFLET_LICENSE: &str = include_str!(concat!(env!("OUT_DIR"), "/leaflet-LICENSE.txt"));
/// The Leaflet version pinned by `web/package-lock.json`.
pub const LEAFLET_VERSION: &str = include_str!(concat!(env!("OUT_DIR"), "/leaflet-version.txt"));
/// Our front end.
const APP_JS: &str = include_str!("../web/src/app.js");
/// Our styles.
const APP_CSS: &str = include_str!("../web/src/app.css");

pub use page_data::{MAX_TRACK_POINTS, MAX_TRACKS_PER_WINDOW};

/// The credit line for the base map.
pub const BASE_MAP_CREDIT: &str = "Natural Earth (public domain)";

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 한국어.
    Ko,
    /// English.
    #[default]
    En,
}

impl Lang {
    /// The BCP 47 tag used in `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }
}

/// The vector layers of the base map, each a GeoJSON `FeatureCollection` (WGS84 lon/lat).
///
/// Any layer may be missing; the page draws what it gets. Only the properties the page uses
/// are kept (names in English and Korean, country codes, kinds, ranks).
#[derive(Debug, Clone, Default)]
pub struct BaseMap {
    /// Country polygons (`ADM0_A3` tells PRK and KOR apart).
    pub countries: Option<Value>,
    /// North Korean provinces.
    pub provinces: Option<Value>,
    /// The two halves of the Korean Demilitarized Zone.
    pub dmz: Option<Value>,
    /// Land borders, with `kind` = `nk_sk_mdl_approx` for the Military Demarcation Line.
    pub borders: Option<Value>,
    /// The coastline.
    pub coastline: Option<Value>,
    /// Populated places, with names in English and Korean where known (Natural Earth; the
    /// jobs crate keeps only those outside Korea once `places` covers both Koreas).
    pub cities: Option<Value>,
    /// The GeoNames places of both Koreas: a JSON array of objects with `name`, `name_ko`
    /// (optional), `country` (`KOR` or `PRK`), `lat`, `lon`, `population` (`null`: unknown)
    /// and `radius_km` (its populated disc). Labelled Korean name first, the populous ones
    /// from lower zooms.
    pub places: Option<Value>,
}

/// Why a page could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    /// The plan or prediction JSON lacks something the map needs, or has a bad value.
    #[error("{what}: {problem}")]
    Input {
        /// Where in the JSON (e.g. `windows[3].landings[17].lat`).
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// A base-map layer is not a GeoJSON `FeatureCollection`.
    #[error("base map layer {layer}: {problem}")]
    BaseLayer {
        /// Which layer.
        layer: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The page could not be written.
    #[error(transparent)]
    Write(#[from] saebaram_atomic::Error),
}

/// Makes the page of a plan from the value `saebaram plan --json` prints.
pub fn plan_page(plan: &Value, base: &BaseMap, lang: Lang) -> Result<String, MapError> {
    let data = page_data::plan(plan, base, lang)?;
    Ok(assemble(&data, lang, "saebaram plan"))
}

/// Makes the page of one prediction from the value `saebaram predict --json` prints.
pub fn prediction_page(prediction: &Value, base: &BaseMap, lang: Lang) -> Result<String, MapError> {
    let data = page_data::prediction(prediction, base, lang)?;
    Ok(assemble(&data, lang, "saebaram predict"))
}

/// Makes the page of a sea drift from the value `saebaram drift --json` prints: the throw
/// windows on the timeline, each window's bottle ends coloured by where they stranded and
/// up to twelve of its tracks.
pub fn drift_page(drift: &Value, base: &BaseMap, lang: Lang) -> Result<String, MapError> {
    let data = page_data::drift(drift, base, lang)?;
    Ok(assemble(&data, lang, "saebaram drift"))
}

/// Writes `contents` to `path` through a temporary file in the same directory and a rename,
/// so that no half-written page is ever visible.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), MapError> {
    // 0644: a map is meant to be opened and shared like any document.
    Ok(saebaram_atomic::write(path, contents.as_bytes())?)
}

/// Serialises the page data for a `<script type="application/json">` element: every `<`
/// becomes `\u003c` (valid JSON, same value), so neither `</script>` nor `<!--` can appear.
fn json_for_script(data: &Value) -> String {
    // Serialising a `Value` cannot fail (its keys are strings).
    let text = serde_json::to_string(data).unwrap_or_else(|_| "null".to_owned());
    text.replace('<', "\\u003c")
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn assemble(data: &Value, lang: Lang, title: &str) -> String {
    let json = json_for_script(data);
    let licence = escape_html(LEAFLET_LICENSE);
    // An HTML comment may not contain `--`; the licence text has none, but be sure.
    let licence_comment = LEAFLET_LICENSE.replace("--", "- -");
    let mut html = String::with_capacity(
        json.len() + LEAFLET_JS.len() + LEAFLET_CSS.len() + APP_JS.len() + APP_CSS.len() + 8192,
    );
    html.push_str("<!DOCTYPE html>\n<html lang=\"");
    html.push_str(lang.tag());
    html.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    html.push_str("<meta name=\"generator\" content=\"saebaram\">\n<title>");
    html.push_str(&escape_html(title));
    html.push_str("</title>\n<!--\nThis page embeds Leaflet ");
    html.push_str(LEAFLET_VERSION.trim());
    html.push_str(":\n");
    html.push_str(&licence_comment);
    html.push_str("\n-->\n<style>\n");
    html.push_str(LEAFLET_CSS);
    html.push_str("\n</style>\n<style>\n");
    html.push_str(APP_CSS);
    html.push_str("\n</style>\n</head>\n<body>\n");
    html.push_str(
        "<noscript>This map needs JavaScript. / 이 지도는 자바스크립트가 필요합니다.</noscript>\n",
    );
    html.push_str("<div id=\"app\"></div>\n<template id=\"leaflet-licence\">");
    html.push_str(&licence);
    html.push_str("</template>\n<script type=\"application/json\" id=\"saebaram-data\">");
    html.push_str(&json);
    html.push_str("</script>\n<script>\n");
    html.push_str(LEAFLET_JS);
    html.push_str("\n</script>\n<script>\n");
    html.push_str(APP_JS);
    html.push_str("\n</script>\n</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tiny_plan() -> Value {
        json!({
            "forecast": {"source": "Japan Meteorological Agency </script><!-- x", "credit": "JMA", "run_time": "2019-06-05T00:00:00Z"},
            "site": {"name": "Paju", "lat": 37.76, "lon": 126.78},
            "target": {"label": "Pyongyang"},
            "members": 2,
            "seed": 1,
            "windows": [{
                "launch_time": "2019-06-05T12:00:00Z",
                "p_north": 0.5, "p_south": 0.5, "p_dmz": 0.0, "p_sea": 0.0, "p_other": 0.0,
                "p_target": 0.25,
                "landings": [
                    {"lat": 38.5, "lon": 126.5, "class": "north_korea", "payload": 1.0},
                    {"lat": 37.5, "lon": 127.0, "class": "south_korea", "payload": 1.0}
                ]
            }],
            "best": 0
        })
    }

    #[test]
    fn script_json_cannot_close_its_element() {
        let page = plan_page(&tiny_plan(), &BaseMap::default(), Lang::En).unwrap();
        let start = page.find("id=\"saebaram-data\">").unwrap();
        let end = page[start..].find("</script>").unwrap() + start;
        let json = &page[start + "id=\"saebaram-data\">".len()..end];
        assert!(!json.contains('<'), "raw < inside the data element");
        let back: Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            back["forecast"]["source"],
            "Japan Meteorological Agency </script><!-- x"
        );
    }

    #[test]
    fn page_names_nothing_remote() {
        let page = plan_page(&tiny_plan(), &BaseMap::default(), Lang::Ko).unwrap();
        let lower = page.to_ascii_lowercase();
        let mut found = Vec::new();
        let mut rest = lower.as_str();
        while let Some(i) = rest.find("://") {
            let s = rest[..i]
                .rfind(|c: char| !c.is_ascii_alphanumeric())
                .map_or(0, |j| j + 1);
            let url: String = rest[s..]
                .chars()
                .take_while(|c| !matches!(c, '"' | '\'' | ')' | ' '))
                .collect();
            found.push(url);
            rest = &rest[i + 3..];
        }
        // The SVG namespace is an identifier passed to createElementNS, never fetched.
        assert!(
            found.iter().all(|u| u == "http://www.w3.org/2000/svg"),
            "{found:?}"
        );
        assert!(!lower.contains("sourcemappingurl"));
        assert!(!lower.contains("@import"));
        assert!(lower.contains("content-security-policy"));
        assert!(lower.contains("default-src 'none'"));
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"ko\">"));
    }

    #[test]
    fn licence_is_kept_in_the_page() {
        let page = plan_page(&tiny_plan(), &BaseMap::default(), Lang::En).unwrap();
        assert!(page.contains("BSD 2-Clause License"));
        assert!(page.contains("Copyright (c) 2010-2023, Volodymyr Agafonkin"));
        assert!(page.contains(&format!("Leaflet {}", LEAFLET_VERSION.trim())));
    }

    #[test]
    fn embedded_code_cannot_break_out_of_its_elements() {
        for (name, text, closer) in [
            ("app.js", APP_JS, "</script"),
            ("leaflet.js", LEAFLET_JS, "</script"),
            ("app.css", APP_CSS, "</style"),
            ("leaflet.css", LEAFLET_CSS, "</style"),
        ] {
            let lower = text.to_ascii_lowercase();
            assert!(!lower.contains(closer), "{name} contains {closer}");
            assert!(!lower.contains("<!--"), "{name} contains <!--");
        }
        assert!(
            !LEAFLET_CSS.contains("url(images/"),
            "leaflet.css images not inlined"
        );
    }

    #[test]
    fn html_escape_covers_markup() {
        assert_eq!(
            escape_html("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.html");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new page").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new page");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn atomic_write_into_missing_directory_fails_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/map.html");
        let e = write_atomically(&path, "x").unwrap_err();
        assert!(e.to_string().contains("map.html"), "{e}");
        assert!(!path.exists());
    }
}
