//! From the `plan --json` / `predict --json` values to the compact model the page draws.
//!
//! Required: what the map cannot be drawn without (each window's launch time and landing
//! coordinates; a prediction's stage points). Optional fields may be missing or `null`: the
//! page then shows "—" rather than a made-up value. Present but wrong values (a latitude of
//! 123, a probability of 1.7) are errors naming the field: a wrong map is worse than none.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::contour::{self, Cell};
use crate::{BASE_MAP_CREDIT, BaseMap, Lang, MapError};

/// At most this many member tracks per launch window are drawn (the first ones, which are
/// as random a sample as any: members are independent draws).
pub const MAX_TRACKS_PER_WINDOW: usize = 12;
/// Tracks longer than this are thinned to about this many points (first and last kept).
pub const MAX_TRACK_POINTS: usize = 64;
/// A prediction's stages keep up to this many points each.
const MAX_STAGE_POINTS: usize = 2000;
/// Grid used for the density when a window has no `leaflet_density`: 0.05° (about 5 km).
const FALLBACK_CELL_DEG: f64 = 0.05;
/// Density grid of a sea drift's bottle ends: 0.01° (about 1 km).
const DRIFT_CELL_DEG: f64 = 0.01;

/// Outcome classes in the page's order; anything else is drawn as "other".
const CLASSES: [&str; 5] = ["north_korea", "south_korea", "dmz", "sea", "other"];

fn class_code(class: &str) -> u64 {
    CLASSES.iter().position(|c| *c == class).unwrap_or(4) as u64
}

fn bad(what: impl Into<String>, problem: impl Into<String>) -> MapError {
    MapError::Input {
        what: what.into(),
        problem: problem.into(),
    }
}

fn round(x: f64, decimals: i32) -> Value {
    let f = 10f64.powi(decimals);
    json!((x * f).round() / f)
}

fn num(v: &Value, what: &str) -> Result<Option<f64>, MapError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(bad(what, "not a finite number")),
        },
        _ => Err(bad(what, format!("expected a number, found {v}"))),
    }
}

fn req_num(obj: &Value, key: &str, at: &str) -> Result<f64, MapError> {
    let what = format!("{at}.{key}");
    num(obj.get(key).unwrap_or(&Value::Null), &what)?.ok_or_else(|| bad(what, "missing"))
}

fn lat_lon(obj: &Value, at: &str) -> Result<(f64, f64), MapError> {
    let lat = req_num(obj, "lat", at)?;
    let lon = req_num(obj, "lon", at)?;
    check_lat_lon(lat, lon, at)?;
    Ok((lat, lon))
}

fn check_lat_lon(lat: f64, lon: f64, at: &str) -> Result<(), MapError> {
    if !(-90.0..=90.0).contains(&lat) {
        return Err(bad(format!("{at}.lat"), format!("{lat} is not a latitude")));
    }
    if !(-180.0..=360.0).contains(&lon) {
        return Err(bad(
            format!("{at}.lon"),
            format!("{lon} is not a longitude"),
        ));
    }
    Ok(())
}

fn text(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(n)) => Value::String(n.to_string()),
        Some(Value::Bool(b)) => Value::String(b.to_string()),
        _ => Value::Null,
    }
}

fn probability(w: &Value, key: &str, at: &str) -> Result<Value, MapError> {
    let what = format!("{at}.{key}");
    match num(w.get(key).unwrap_or(&Value::Null), &what)? {
        None => Ok(Value::Null),
        Some(p) if (-1e-9..=1.0 + 1e-9).contains(&p) => Ok(round(p.clamp(0.0, 1.0), 4)),
        Some(p) => Err(bad(what, format!("{p} is not a probability (0..1)"))),
    }
}

fn distance(w: &Value, key: &str, at: &str) -> Result<Value, MapError> {
    let what = format!("{at}.{key}");
    match num(w.get(key).unwrap_or(&Value::Null), &what)? {
        None => Ok(Value::Null),
        Some(d) if d >= 0.0 => Ok(round(d, 1)),
        Some(d) => Err(bad(what, format!("{d} is a negative distance"))),
    }
}

fn forecast(v: &Value) -> Value {
    let f = v.get("forecast").unwrap_or(&Value::Null);
    json!({
        "source": text(f.get("source")),
        "credit": text(f.get("credit")),
        "run_time": text(f.get("run_time")),
        "steady_sample": f.get("steady_sample").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// Scalars of the profile (one level deep) as `[key, text]` rows for the summary panel.
fn profile_rows(v: &Value) -> Value {
    let mut rows = Vec::new();
    if let Some(Value::Object(p)) = v.get("profile") {
        for (k, val) in p {
            match val {
                Value::Object(inner) => {
                    for (k2, v2) in inner {
                        let t = text(Some(v2));
                        if !t.is_null() {
                            rows.push(json!([format!("{k}.{k2}"), t]));
                        }
                    }
                }
                other => {
                    let t = text(Some(other));
                    if !t.is_null() {
                        rows.push(json!([k, t]));
                    }
                }
            }
            if rows.len() >= 24 {
                break;
            }
        }
    }
    Value::Array(rows)
}

fn warnings(v: &Value) -> Value {
    let list = v.get("warnings").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|w| match w {
                Value::String(s) => Some(Value::String(s.clone())),
                Value::Object(o) => o
                    .get("message")
                    .or_else(|| o.get("text"))
                    .and_then(Value::as_str)
                    .map(|s| Value::String(s.to_owned())),
                _ => None,
            })
            .collect::<Vec<_>>()
    });
    Value::Array(list.unwrap_or_default())
}

/// The warnings as codes with their fields (`warning_codes` of `plan --json`), in the order of
/// `warnings`, so the page can word them in its language; `Null` when the plan has none or
/// they do not match the texts one for one (the page then shows the English texts).
fn warning_codes(v: &Value) -> Value {
    let texts = v
        .get("warnings")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    match v.get("warning_codes").and_then(Value::as_array) {
        Some(codes)
            if codes.len() == texts
                && codes
                    .iter()
                    .all(|c| c.get("code").is_some_and(Value::is_string)) =>
        {
            Value::Array(codes.clone())
        }
        _ => Value::Null,
    }
}

fn base_layers(base: &BaseMap) -> Result<Value, MapError> {
    let mut out = Map::new();
    for (name, layer) in [
        ("countries", &base.countries),
        ("provinces", &base.provinces),
        ("dmz", &base.dmz),
        ("borders", &base.borders),
        ("coastline", &base.coastline),
        ("cities", &base.cities),
    ] {
        if let Some(fc) = layer {
            out.insert(name.to_owned(), compact_layer(name, fc)?);
        }
    }
    if let Some(places) = &base.places {
        out.insert("places".to_owned(), places_layer(places)?);
    }
    Ok(Value::Object(out))
}

/// The GeoNames places, column by column (438 places: about 20 kB): positions delta-coded
/// in thousandths of a degree like the tracks, English and Korean names (`""`: none),
/// population (`null`: unknown), populated radius in km (0.1), and `cc`, one letter per place
/// (`K` South Korea, `P` North Korea).
fn places_layer(list: &Value) -> Result<Value, MapError> {
    let err = |problem: String| MapError::BaseLayer {
        layer: "places",
        problem,
    };
    let arr = list
        .as_array()
        .ok_or_else(|| err("not an array of places".to_owned()))?;
    let (mut pts, mut en, mut ko, mut pop, mut r) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut cc = String::with_capacity(arr.len());
    for (i, p) in arr.iter().enumerate() {
        let at = format!("places[{i}]");
        pts.push(lat_lon(p, &at).map_err(|e| err(e.to_string()))?);
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| err(format!("{at}.name: missing or empty")))?;
        en.push(json!(name));
        ko.push(json!(
            p.get("name_ko").and_then(Value::as_str).unwrap_or("")
        ));
        let people = num(
            p.get("population").unwrap_or(&Value::Null),
            &format!("{at}.population"),
        )
        .map_err(|e| err(e.to_string()))?;
        pop.push(people.map_or(Value::Null, |n| json!(n.max(0.0).round() as u64)));
        let radius = req_num(p, "radius_km", &at).map_err(|e| err(e.to_string()))?;
        if radius <= 0.0 {
            return Err(err(format!("{at}.radius_km: {radius} is not a radius")));
        }
        r.push(round(radius, 1));
        cc.push(match p.get("country").and_then(Value::as_str) {
            Some("KOR" | "KR") => 'K',
            Some("PRK" | "KP") => 'P',
            other => {
                return Err(err(format!(
                    "{at}.country: {other:?} is neither KOR nor PRK"
                )));
            }
        });
    }
    Ok(json!({"ll": delta_track(&pts), "en": en, "ko": ko, "pop": pop, "r": r, "cc": cc}))
}

/// A window's South Korean places at risk of a heavy intact fall, each `[lat, lon, radius
/// km, share of members, English name, Korean name]`, names as indices into `labels` (-1:
/// no Korean name).
fn risk_places(w: &Value, at: &str, labels: &mut Vec<String>) -> Result<Value, MapError> {
    let Some(list) = w.get("heavy_places_at_risk").filter(|v| !v.is_null()) else {
        return Ok(json!([]));
    };
    let at = format!("{at}.heavy_places_at_risk");
    let list = list.as_array().ok_or_else(|| bad(&at, "not an array"))?;
    let mut out = Vec::with_capacity(list.len());
    for (k, p) in list.iter().enumerate() {
        let here = format!("{at}[{k}]");
        let (lat, lon) = lat_lon(p, &here)?;
        let radius = req_num(p, "radius_km", &here)?;
        if radius <= 0.0 {
            return Err(bad(
                format!("{here}.radius_km"),
                format!("{radius} is not a radius"),
            ));
        }
        let share = probability(p, "p", &here)?;
        if share.is_null() {
            return Err(bad(format!("{here}.p"), "missing"));
        }
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("{here}.name"), "missing or not a string"))?;
        let ko = match p.get("name_ko").and_then(Value::as_str) {
            Some(k) if !k.is_empty() => json!(label_index(labels, k)),
            _ => json!(-1),
        };
        out.push(json!([
            round(lat, 3),
            round(lon, 3),
            round(radius, 1),
            share,
            label_index(labels, name),
            ko
        ]));
    }
    Ok(Value::Array(out))
}

/// Where a prediction's heavy fall lands: the South Korean place of that name (GeoNames,
/// from the base map) nearest the landing, as `(lat, lon)`.
fn place_centre(base: &BaseMap, name: &str, near: (f64, f64)) -> Option<(f64, f64)> {
    let places = base.places.as_ref()?.as_array()?;
    places
        .iter()
        .filter(|p| {
            p.get("name").and_then(Value::as_str) == Some(name)
                && matches!(p.get("country").and_then(Value::as_str), Some("KOR" | "KR"))
        })
        .filter_map(|p| Some((p.get("lat")?.as_f64()?, p.get("lon")?.as_f64()?)))
        .min_by(|a, b| {
            let d = |q: &(f64, f64)| (q.0 - near.0).powi(2) + (q.1 - near.1).powi(2);
            d(a).total_cmp(&d(b))
        })
}

/// Properties the page uses; everything else is dropped to keep the file small.
const KEEP_PROPS: [&str; 14] = [
    "NAME",
    "NAME_EN",
    "NAME_KO",
    "name",
    "name_en",
    "name_ko",
    "ADM0_A3",
    "adm0_a3",
    "kind",
    "SCALERANK",
    "scalerank",
    "POP_MAX",
    "pop_max",
    "capital",
];

fn compact_layer(layer: &'static str, fc: &Value) -> Result<Value, MapError> {
    let err = |p: &str| MapError::BaseLayer {
        layer,
        problem: p.to_owned(),
    };
    if fc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(err("not a GeoJSON FeatureCollection"));
    }
    let features = fc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err("no `features` array"))?;
    let mut out = Vec::with_capacity(features.len());
    for f in features {
        let Some(geometry) = f.get("geometry").filter(|g| g.is_object()) else {
            continue;
        };
        let mut props = Map::new();
        if let Some(Value::Object(p)) = f.get("properties") {
            for k in KEEP_PROPS {
                if let Some(v) = p.get(k).filter(|v| !v.is_null()) {
                    props.insert(k.to_owned(), v.clone());
                }
            }
        }
        out.push(
            json!({"type": "Feature", "properties": props, "geometry": round_coords(&simplify_geometry(geometry))}),
        );
    }
    Ok(json!({"type": "FeatureCollection", "features": out}))
}

/// Lines and rings of the base map are thinned with Douglas–Peucker at this tolerance
/// (degrees; about 90 m, under a pixel up to zoom 10). It halves the base map's points and
/// its drawing time; Natural Earth 1:10m is not more precise than that anyway.
const SIMPLIFY_DEG: f64 = 0.0008;

fn simplify_geometry(g: &Value) -> Value {
    let depth = match g.get("type").and_then(Value::as_str) {
        Some("LineString") => 1,
        Some("MultiLineString" | "Polygon") => 2,
        Some("MultiPolygon") => 3,
        _ => return g.clone(),
    };
    let mut out = g.clone();
    if let Some(c) = out.get_mut("coordinates") {
        simplify_nested(c, depth);
    }
    out
}

fn simplify_nested(v: &mut Value, depth: u32) {
    let Value::Array(items) = v else { return };
    if depth > 1 {
        for item in items {
            simplify_nested(item, depth - 1);
        }
        return;
    }
    let pts: Option<Vec<(f64, f64)>> = items
        .iter()
        .map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .collect();
    let Some(pts) = pts else { return };
    let closed = pts.len() > 3 && pts.first() == pts.last();
    let keep = douglas_peucker(&pts, SIMPLIFY_DEG);
    // A ring must keep at least 4 positions (3 corners and the closing one).
    if closed && keep.len() < 4 {
        return;
    }
    *items = keep.into_iter().map(|i| items[i].clone()).collect();
}

/// Indices of the points Douglas–Peucker keeps (first and last always), iteratively.
fn douglas_peucker(pts: &[(f64, f64)], tol: f64) -> Vec<usize> {
    let n = pts.len();
    if n < 3 {
        return (0..n).collect();
    }
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut stack = vec![(0usize, n - 1)];
    while let Some((a, b)) = stack.pop() {
        let (ax, ay) = pts[a];
        let (bx, by) = pts[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len = (dx * dx + dy * dy).sqrt();
        let mut best = (0.0, a);
        for (i, &(px, py)) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = if len == 0.0 {
                ((px - ax).powi(2) + (py - ay).powi(2)).sqrt()
            } else {
                ((px - ax) * dy - (py - ay) * dx).abs() / len
            };
            if d > best.0 {
                best = (d, i);
            }
        }
        if best.0 > tol {
            keep[best.1] = true;
            stack.push((a, best.1));
            stack.push((best.1, b));
        }
    }
    (0..n).filter(|&i| keep[i]).collect()
}

fn round_coords(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map_or(v.clone(), |x| round(x, 4)),
        Value::Array(a) => Value::Array(a.iter().map(round_coords).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, val)| (k.clone(), round_coords(val)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn site(v: &Value) -> Result<Value, MapError> {
    match v.get("site") {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(s) => {
            let (lat, lon) = lat_lon(s, "site")?;
            Ok(json!({"name": text(s.get("name")), "lat": round(lat, 4), "lon": round(lon, 4)}))
        }
    }
}

/// The sites of a multi-site plan (`sites`, more than one), and each window's index into
/// them (`windows[i].site` names its site). A window naming no site of the list is an error:
/// its landings would be drawn from the wrong place. A single-site plan gives `Null` and no
/// indexes.
fn sites(v: &Value, windows: &[Value]) -> Result<(Value, Vec<Option<usize>>), MapError> {
    let list = match v.get("sites").and_then(Value::as_array) {
        Some(list) if list.len() > 1 => list,
        _ => return Ok((Value::Null, vec![None; windows.len()])),
    };
    let mut out = Vec::with_capacity(list.len());
    for (k, s) in list.iter().enumerate() {
        let (lat, lon) = lat_lon(s, &format!("sites[{k}]"))?;
        let name = s
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("sites[{k}].name"), "missing or not a string"))?;
        out.push(json!({"name": name, "lat": round(lat, 4), "lon": round(lon, 4)}));
    }
    let index = windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let name = w.get("site").and_then(Value::as_str).ok_or_else(|| {
                bad(
                    format!("windows[{i}].site"),
                    "missing or not a string in a plan of several sites",
                )
            })?;
            out.iter()
                .position(|s| s["name"] == name)
                .map(Some)
                .ok_or_else(|| {
                    bad(
                        format!("windows[{i}].site"),
                        format!("{name:?} is not one of the plan's sites"),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Value::Array(out), index))
}

fn target(v: &Value) -> Result<Value, MapError> {
    let Some(t) = v.get("target").filter(|t| t.is_object()) else {
        return Ok(Value::Null);
    };
    let mut out = Map::new();
    out.insert(
        "label".into(),
        text(t.get("label").or_else(|| t.get("name"))),
    );
    if let Some(ko) = t.get("label_ko").and_then(Value::as_str) {
        out.insert("label_ko".into(), Value::String(ko.to_owned()));
    }
    if t.get("lat").is_some() || t.get("lon").is_some() {
        let (lat, lon) = lat_lon(t, "target")?;
        out.insert("lat".into(), round(lat, 4));
        out.insert("lon".into(), round(lon, 4));
    }
    if let Some(r) = num(
        t.get("radius_km").unwrap_or(&Value::Null),
        "target.radius_km",
    )? {
        if r <= 0.0 {
            return Err(bad(
                "target.radius_km",
                format!("{r} is not a positive radius"),
            ));
        }
        out.insert("radius_km".into(), round(r, 3));
    }
    if t.get("kind").and_then(Value::as_str) == Some("province")
        && let Some(name) = t.get("name").and_then(Value::as_str)
    {
        out.insert("province".into(), Value::String(name.to_owned()));
    }
    for key in ["province", "region", "kind", "class"] {
        if let Some(s) = t.get(key).and_then(Value::as_str) {
            out.insert(key.into(), Value::String(s.to_owned()));
        }
    }
    if let Some(g) = t.get("geometry").filter(|g| g.is_object()) {
        out.insert("geometry".into(), round_coords(g));
    }
    Ok(Value::Object(out))
}

/// The class of a landing: a string, or an object with `class` (a serialised region).
fn landing_class(l: &Value) -> &str {
    // `outcome` ("ground", "sea", ...) is only a fallback: `region.class` says where.
    for key in ["class", "region", "outcome"] {
        match l.get(key) {
            Some(Value::String(s)) => return s,
            Some(Value::Object(o)) => {
                if let Some(s) = o.get("class").and_then(Value::as_str) {
                    return s;
                }
            }
            _ => {}
        }
    }
    "other"
}

fn thin<T: Clone>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let step = (points.len() - 1) as f64 / (max - 1) as f64;
    (0..max)
        .map(|i| points[((i as f64 * step).round() as usize).min(points.len() - 1)].clone())
        .collect()
}

/// A point given as `[lat, lon, ...]` or `{"lat", "lon", ...}`.
fn point(p: &Value, at: &str) -> Result<(f64, f64), MapError> {
    match p {
        Value::Array(a) => {
            let lat = num(a.first().unwrap_or(&Value::Null), &format!("{at}[0]"))?;
            let lon = num(a.get(1).unwrap_or(&Value::Null), &format!("{at}[1]"))?;
            match (lat, lon) {
                (Some(lat), Some(lon)) => {
                    check_lat_lon(lat, lon, at)?;
                    Ok((lat, lon))
                }
                _ => Err(bad(at, "expected [lat, lon, ...]")),
            }
        }
        Value::Object(_) => lat_lon(p, at),
        _ => Err(bad(at, "expected a point")),
    }
}

fn flat(points: &[(f64, f64)], decimals: i32) -> Value {
    Value::Array(
        points
            .iter()
            .flat_map(|&(a, b)| [round(a, decimals), round(b, decimals)])
            .collect(),
    )
}

fn density_cells(
    w: &Value,
    landings: &[(f64, f64, f64)],
    at: &str,
) -> Result<(f64, Vec<Cell>), MapError> {
    if let Some(d) = w.get("leaflet_density").filter(|d| !d.is_null()) {
        let what = format!("{at}.leaflet_density.cell_deg");
        let cell = num(d.get("cell_deg").unwrap_or(&Value::Null), &what)?
            .ok_or_else(|| bad(&what, "missing"))?;
        if !(cell > 0.0 && cell <= 5.0) {
            return Err(bad(what, format!("{cell} is not a usable cell size")));
        }
        let list = d.get("cells").and_then(Value::as_array).ok_or_else(|| {
            bad(
                format!("{at}.leaflet_density.cells"),
                "missing or not an array",
            )
        })?;
        let mut cells = Vec::with_capacity(list.len());
        for (i, c) in list.iter().enumerate() {
            let here = format!("{at}.leaflet_density.cells[{i}]");
            let (lat, lon) = point(c, &here)?;
            let mass = num(c.get(2).unwrap_or(&Value::Null), &format!("{here}[2]"))?
                .ok_or_else(|| bad(&here, "expected [lat, lon, fraction]"))?;
            if mass < 0.0 {
                return Err(bad(here, "negative fraction"));
            }
            // Works for corner or centre coordinates of a grid aligned on multiples of the
            // cell size: both fall in the same cell.
            let row = (lat / cell + 1e-6).floor() as i64;
            let col = (lon / cell + 1e-6).floor() as i64;
            cells.push(Cell { row, col, mass });
        }
        return Ok((cell, cells));
    }
    // No density given: count the landings' payloads on a fixed grid.
    let cell = FALLBACK_CELL_DEG;
    let mut grid: BTreeMap<(i64, i64), f64> = BTreeMap::new();
    for &(lat, lon, payload) in landings {
        let key = ((lat / cell).floor() as i64, (lon / cell).floor() as i64);
        *grid.entry(key).or_default() += payload;
    }
    Ok((
        cell,
        grid.into_iter()
            .map(|((row, col), mass)| Cell { row, col, mass })
            .collect(),
    ))
}

/// The rings of the `level` contour, chain-coded: `[row, col, "NESW…"]`, the first corner
/// in grid units (multiply by the cell size for degrees) and one letter per unit edge
/// (N = row + 1, S = row - 1, E = col + 1, W = col - 1). A ring of 700 corners costs about
/// 710 bytes instead of 10 kB of coordinates.
fn contour_rings(cells: &[Cell], level: f64) -> Value {
    let set = contour::region(cells, level);
    let rings = contour::outline(&set);
    Value::Array(
        rings
            .iter()
            .filter_map(|r| {
                let (&(row, col), rest) = r.split_first()?;
                let mut code = String::with_capacity(rest.len());
                let mut at = (row, col);
                for &p in rest {
                    code.push(match (p.0 - at.0, p.1 - at.1) {
                        (1, 0) => 'N',
                        (-1, 0) => 'S',
                        (0, 1) => 'E',
                        _ => 'W',
                    });
                    at = p;
                }
                Some(json!([row, col, code]))
            })
            .collect(),
    )
}

/// A track as integers in thousandths of a degree (about 110 m): the first point, then
/// differences, `[lat0, lon0, dlat1, dlon1, …]`.
fn delta_track(points: &[(f64, f64)]) -> Value {
    let mut out = Vec::with_capacity(points.len() * 2);
    let mut prev = (0i64, 0i64);
    for &(lat, lon) in points {
        let p = ((lat * 1000.0).round() as i64, (lon * 1000.0).round() as i64);
        out.push(json!(p.0 - prev.0));
        out.push(json!(p.1 - prev.1));
        prev = p;
    }
    Value::Array(out)
}

/// Index of a short label in the page's shared label list (payload kinds, outcomes).
fn label_index(labels: &mut Vec<String>, label: &str) -> usize {
    match labels.iter().position(|l| l == label) {
        Some(i) => i,
        None => {
            labels.push(label.to_owned());
            labels.len() - 1
        }
    }
}

fn window(w: &Value, i: usize, labels: &mut Vec<String>) -> Result<Value, MapError> {
    let at = format!("windows[{i}]");
    let time = w
        .get("launch_time")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{at}.launch_time"), "missing or not a string"))?;
    let list = w
        .get("landings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(format!("{at}.landings"), "missing or not an array"))?;
    let mut land = Vec::with_capacity(list.len() * 3);
    let mut landings = Vec::with_capacity(list.len());
    let mut counts = [0u64; 5];
    let mut kinds = Vec::new();
    let mut outcomes = Vec::new();
    for (j, l) in list.iter().enumerate() {
        let here = format!("{at}.landings[{j}]");
        let (lat, lon) = lat_lon(l, &here)?;
        // `payload` is either what landed ("envelope", "leaflets") or a weight.
        let payload = match l.get("payload") {
            Some(Value::String(kind)) => {
                kinds.push(json!(label_index(labels, kind)));
                1.0
            }
            Some(other) => num(other, &format!("{here}.payload"))?.unwrap_or(1.0),
            None => 1.0,
        };
        let code = class_code(landing_class(l));
        counts[code as usize] += 1;
        if let Some(o) = l.get("outcome").and_then(Value::as_str) {
            outcomes.push(json!(label_index(labels, o)));
        }
        land.extend([round(lat, 4), round(lon, 4), json!(code)]);
        landings.push((lat, lon, payload.max(0.0)));
    }
    let land_len = land.len();
    let risk = risk_places(w, &at, labels)?;
    let heavy = probability(w, "p_heavy_over_populated_rok", &at)?;
    let over = match w.get("over_heavy_risk_limit") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(bad(
                format!("{at}.over_heavy_risk_limit"),
                format!("expected true or false, found {other}"),
            ));
        }
    };
    let (cell, cells) = density_cells(w, &landings, &at)?;
    let mut tracks = Vec::new();
    if let Some(ts) = w.get("tracks").and_then(Value::as_array) {
        for (k, t) in ts.iter().take(MAX_TRACKS_PER_WINDOW).enumerate() {
            let here = format!("{at}.tracks[{k}]");
            let pts = t
                .as_array()
                .ok_or_else(|| bad(&here, "not an array of points"))?;
            let pts = pts
                .iter()
                .enumerate()
                .map(|(n, p)| point(p, &format!("{here}[{n}]")))
                .collect::<Result<Vec<_>, _>>()?;
            tracks.push(delta_track(&thin(&pts, MAX_TRACK_POINTS)));
        }
    }
    let smoothed = contour::smooth(&contour::smooth(&cells));
    // The heat layer only shows each cell relative to the densest: 1..=99 per cent of it,
    // rows and columns relative to the window's first cell.
    let max = cells.iter().map(|c| c.mass).fold(0.0, f64::max);
    let (r0, c0) = cells.first().map_or((0, 0), |c| (c.row, c.col));
    let dens: Vec<Value> = cells
        .iter()
        .filter(|c| c.mass > 0.0 && max > 0.0)
        .flat_map(|c| {
            let q = (99.0 * c.mass / max).ceil().clamp(1.0, 99.0) as u64;
            [json!(c.row - r0), json!(c.col - c0), json!(q)]
        })
        .collect();
    let mut out = json!({
        "t": time,
        "p": [
            probability(w, "p_north", &at)?,
            probability(w, "p_south", &at)?,
            probability(w, "p_dmz", &at)?,
            probability(w, "p_sea", &at)?,
            probability(w, "p_other", &at)?,
        ],
        "pt": probability(w, "p_target", &at)?,
        "med": distance(w, "median_distance_km", &at)?,
        "p90": distance(w, "p90_distance_km", &at)?,
        "pf": probability(w, "p_failed", &at)?,
        "pu": probability(w, "p_unresolved", &at)?,
        "n": counts,
        "land": land,
        // Per landing, indices into `labels` (empty when the plan does not say).
        "pk": if kinds.len() * 3 == land_len { Value::Array(kinds) } else { json!([]) },
        "oc": if outcomes.len() * 3 == land_len { Value::Array(outcomes) } else { json!([]) },
        "dens": {"cell": cell, "r0": r0, "c0": c0, "cells": dens},
        "c50": contour_rings(&smoothed, 0.5),
        "c90": contour_rings(&smoothed, 0.9),
        "tracks": tracks,
    });
    // Heavy-fall risk, only where there is some (most windows of a safe plan have none):
    // `ph` the share of members with a heavy intact fall on a populated South Korean place,
    // `risk` those places, `over` set when the window is over the plan's limit (RISK).
    if let Value::Object(o) = &mut out {
        if !heavy.is_null() && heavy != json!(0.0) {
            o.insert("ph".to_owned(), heavy);
        }
        if risk.as_array().is_some_and(|r| !r.is_empty()) {
            o.insert("risk".to_owned(), risk);
        }
        if over {
            o.insert("over".to_owned(), json!(1));
        }
    }
    Ok(out)
}

/// The page model of a plan.
pub(crate) fn plan(v: &Value, base: &BaseMap, lang: Lang) -> Result<Value, MapError> {
    if !v.is_object() {
        return Err(bad("plan", "not a JSON object"));
    }
    let ws = v
        .get("windows")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("windows", "missing or not an array"))?;
    if ws.is_empty() {
        return Err(bad(
            "windows",
            "the plan has no launch windows: nothing to map",
        ));
    }
    let mut labels = Vec::new();
    let (sites, site_of) = sites(v, ws)?;
    let mut windows = ws
        .iter()
        .enumerate()
        .map(|(i, w)| window(w, i, &mut labels))
        .collect::<Result<Vec<_>, _>>()?;
    // `si`: the window's site among `sites`, on plans of several sites only.
    for (w, si) in windows.iter_mut().zip(site_of) {
        if let (Value::Object(o), Some(si)) = (w, si) {
            o.insert("si".to_owned(), json!(si));
        }
    }
    let best = match v.get("best") {
        None | Some(Value::Null) => Value::Null,
        Some(b) => match b.as_u64() {
            Some(i) if (i as usize) < windows.len() => json!(i),
            _ => return Err(bad("best", format!("{b} is not the index of a window"))),
        },
    };
    Ok(json!({
        "kind": "plan",
        "lang": lang.tag(),
        "base_credit": BASE_MAP_CREDIT,
        "leaflet_version": crate::LEAFLET_VERSION.trim(),
        "forecast": forecast(v),
        "base": base_layers(base)?,
        "site": site(v)?,
        "sites": sites,
        "target": target(v)?,
        "members": v.get("members").and_then(Value::as_u64),
        "seed": v.get("seed").and_then(Value::as_u64),
        "profile": profile_rows(v),
        "windows": windows,
        "labels": labels,
        "best": best,
        "warnings": warnings(v),
        "warn": warning_codes(v),
    }))
}

/// The class of a bottle's end on the map: where it stranded (`region` of `drift --json`),
/// `sea` while afloat or stopped by the forcing, `other` for any other country.
fn bottle_class(region: &str) -> &'static str {
    match region {
        "north_korea" => "north_korea",
        "south_korea" => "south_korea",
        "dmz" => "dmz",
        "sea" => "sea",
        _ => "other",
    }
}

/// The last component of a path given in the JSON: a page is shared, the user's folders stay
/// out of it.
fn file_name(v: Option<&Value>) -> Option<String> {
    let path = v?.as_str()?;
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    Some(name.to_owned())
}

/// The page model of a sea drift (`drift --json`): drawn as a plan whose windows are throw
/// times, whose landings are where the bottles ended and whose target is the North's coast;
/// `drift` set tells the page to word it for bottles, and each window carries the median
/// hours to the North's coast (`hn`), the share per North Korean province (`prov`) and per
/// nearest North Korean town (`town`, the county's stand-in).
pub(crate) fn drift(v: &Value, base: &BaseMap, lang: Lang) -> Result<Value, MapError> {
    if !v.is_object() {
        return Err(bad("drift", "not a JSON object"));
    }
    let ws = v
        .get("windows")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("windows", "missing or not an array"))?;
    if ws.is_empty() {
        return Err(bad(
            "windows",
            "the drift has no throw windows: nothing to map",
        ));
    }
    let mut labels = Vec::new();
    let mut windows = Vec::with_capacity(ws.len());
    for (i, w) in ws.iter().enumerate() {
        let at = format!("windows[{i}]");
        let time = w
            .get("throw_time")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("{at}.throw_time"), "missing or not a string"))?;
        let ends = w
            .get("ends")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("{at}.ends"), "missing or not an array"))?;
        let n = ends.len().max(1) as f64;
        let mut landings = Vec::with_capacity(ends.len());
        let mut dmz = 0usize;
        for (j, e) in ends.iter().enumerate() {
            let here = format!("{at}.ends[{j}]");
            let (lat, lon) = lat_lon(e, &here)?;
            let region = e.get("region").and_then(Value::as_str).unwrap_or("sea");
            let class = bottle_class(region);
            dmz += usize::from(class == "dmz");
            landings.push(
                json!({"lat": lat, "lon": lon, "class": class, "outcome": text(e.get("end"))}),
            );
        }
        let p = |key: &str| probability(w, key, &at);
        let share = |key: &str| num(w.get(key).unwrap_or(&Value::Null), &format!("{at}.{key}"));
        let p_dmz = dmz as f64 / n;
        let p_other = (share("p_other_land")?.unwrap_or(0.0) - p_dmz).max(0.0);
        let p_sea = share("p_afloat")?.unwrap_or(0.0) + share("p_forcing_stop")?.unwrap_or(0.0);
        // Bottle ends lie within a few km of each other: a 0.01° (about 1 km) density grid
        // instead of the balloon's 0.05°.
        let mut grid: BTreeMap<(i64, i64), f64> = BTreeMap::new();
        for l in &landings {
            let (lat, lon) = (
                l["lat"].as_f64().unwrap_or(0.0),
                l["lon"].as_f64().unwrap_or(0.0),
            );
            *grid
                .entry((
                    (lat / DRIFT_CELL_DEG).floor() as i64,
                    (lon / DRIFT_CELL_DEG).floor() as i64,
                ))
                .or_default() += 1.0 / n;
        }
        let density: Vec<Value> = grid
            .into_iter()
            .map(|((row, col), p)| {
                json!([
                    (row as f64 + 0.5) * DRIFT_CELL_DEG,
                    (col as f64 + 0.5) * DRIFT_CELL_DEG,
                    p
                ])
            })
            .collect();
        let shaped = json!({
            "leaflet_density": {"cell_deg": DRIFT_CELL_DEG, "cells": density},
            "launch_time": time,
            "landings": landings,
            "p_north": p("p_north")?,
            "p_south": p("p_south")?,
            "p_dmz": p_dmz,
            "p_sea": p_sea.min(1.0),
            "p_other": p_other.min(1.0),
            "p_target": p("p_north")?,
            "p_unresolved": p("p_forcing_stop")?,
            "tracks": w.get("tracks").cloned().unwrap_or(Value::Null),
        });
        let mut out = window(&shaped, i, &mut labels)?;
        let hours = num(
            w.get("median_hours_to_north").unwrap_or(&Value::Null),
            &format!("{at}.median_hours_to_north"),
        )?;
        let mut provinces = Vec::new();
        if let Some(list) = w.get("north_by_province").and_then(Value::as_array) {
            for (k, pr) in list.iter().enumerate() {
                let here = format!("{at}.north_by_province[{k}]");
                let name = pr
                    .get("province")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("{here}.province"), "missing or not a string"))?;
                let label = match pr.get("province_ko").and_then(Value::as_str) {
                    Some(ko) if !ko.is_empty() => format!("{ko} {name}"),
                    _ => name.to_owned(),
                };
                provinces.push(json!([label, probability(pr, "p", &here)?]));
            }
        }
        // The nearest town of each stranding in the North (its county, roughly): Korean
        // name first where known, as the users read it (`옹진 Ongjin`).
        let mut towns = Vec::new();
        if let Some(list) = w.get("north_by_town").and_then(Value::as_array) {
            for (k, t) in list.iter().enumerate() {
                let here = format!("{at}.north_by_town[{k}]");
                let name = t
                    .get("town")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("{here}.town"), "missing or not a string"))?;
                let label = match t.get("town_ko").and_then(Value::as_str) {
                    Some(ko) if !ko.is_empty() => format!("{ko} {name}"),
                    _ => name.to_owned(),
                };
                towns.push(json!([label, probability(t, "p", &here)?]));
            }
        }
        if let Value::Object(o) = &mut out {
            o.insert("hn".to_owned(), hours.map_or(Value::Null, |h| round(h, 1)));
            o.insert("prov".to_owned(), Value::Array(provinces));
            o.insert("town".to_owned(), Value::Array(towns));
        }
        windows.push(out);
    }
    // The best window is the first of `order` when some of its bottles reach the North.
    let best = match v
        .get("order")
        .and_then(Value::as_array)
        .and_then(|o| o.first())
    {
        None => Value::Null,
        Some(b) => match b.as_u64() {
            Some(i) if (i as usize) < windows.len() => {
                let reaches = windows[i as usize]["pt"].as_f64().is_some_and(|p| p > 0.0);
                if reaches { json!(i) } else { Value::Null }
            }
            _ => return Err(bad("order[0]", format!("{b} is not the index of a window"))),
        },
    };
    let site = match v.get("site") {
        None | Some(Value::Null) => Value::Null,
        Some(s) => {
            let (lat, lon) = lat_lon(s, "site")?;
            let name = match lang {
                Lang::Ko => s.get("name_ko").or_else(|| s.get("name")),
                Lang::En => s.get("name"),
            };
            json!({"name": text(name), "lat": round(lat, 4), "lon": round(lon, 4)})
        }
    };
    let currents = file_name(v.get("currents").and_then(|c| c.get("path")));
    let wind = file_name(v.get("wind").and_then(|c| c.get("path")));
    let source = match (currents, wind) {
        (Some(c), Some(w)) => Value::String(format!("{c} + {w}")),
        (Some(c), None) => Value::String(c),
        _ => Value::Null,
    };
    let spec = v.get("spec").unwrap_or(&Value::Null);
    let spread = spec.get("spread").unwrap_or(&Value::Null);
    let config = spec.get("config").unwrap_or(&Value::Null);
    let mut profile = Vec::new();
    let mut row = |key: &str, value: Value| {
        if !value.is_null() {
            profile.push(json!([key, value]));
        }
    };
    let pct = |x: Option<f64>| {
        x.map_or(Value::Null, |x| {
            Value::String(format!("{}", (x * 1000.0).round() / 10.0))
        })
    };
    if let (Value::String(a), Value::String(b)) = (
        pct(spread.get("windage_min").and_then(Value::as_f64)),
        pct(spread.get("windage_max").and_then(Value::as_f64)),
    ) {
        row("windage %", json!(format!("{a}-{b}")));
    }
    row("scheme", text(config.get("scheme")));
    row("step_s", text(config.get("step_s")));
    row("limit_h", text(v.get("limit_h")));
    row("stokes", text(v.get("stokes_note")));
    row("coastline", text(v.get("coastline")));
    Ok(json!({
        "kind": "plan",
        "drift": true,
        "lang": lang.tag(),
        "base_credit": BASE_MAP_CREDIT,
        "leaflet_version": crate::LEAFLET_VERSION.trim(),
        "forecast": {"source": source, "credit": null, "run_time": null, "steady_sample": false},
        "base": base_layers(base)?,
        "site": site,
        "sites": null,
        "target": null,
        "members": spec.get("n_members").and_then(Value::as_u64),
        "seed": spec.get("seed").and_then(Value::as_u64),
        "profile": profile,
        "windows": windows,
        "labels": labels,
        "best": best,
        "warnings": warnings(&json!({"warnings": v.get("notes").cloned().unwrap_or(Value::Null)})),
    }))
}

/// The page model of one prediction.
pub(crate) fn prediction(v: &Value, base: &BaseMap, lang: Lang) -> Result<Value, MapError> {
    if !v.is_object() {
        return Err(bad("prediction", "not a JSON object"));
    }
    let stages_in = v
        .get("stages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("stages", "missing or not an array"))?;
    let mut stages = Vec::with_capacity(stages_in.len());
    for (i, s) in stages_in.iter().enumerate() {
        let at = format!("stages[{i}]");
        let pts = s
            .get("points")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("{at}.points"), "missing or not an array"))?;
        let mut ll = Vec::with_capacity(pts.len());
        let mut alt_max = f64::NEG_INFINITY;
        for (n, p) in pts.iter().enumerate() {
            let here = format!("{at}.points[{n}]");
            ll.push(point(p, &here)?);
            if let Some(a) = num(p.get("alt").unwrap_or(&Value::Null), &format!("{here}.alt"))? {
                alt_max = alt_max.max(a);
            }
        }
        stages.push(json!({
            "name": text(s.get("name")),
            "pts": flat(&thin(&ll, MAX_STAGE_POINTS), 4),
            "alt_max": if alt_max.is_finite() { round(alt_max, 0) } else { Value::Null },
            "start": text(pts.first().and_then(|p| p.get("time"))),
            "end": text(pts.last().and_then(|p| p.get("time"))),
        }));
    }
    if stages
        .iter()
        .all(|s| s["pts"].as_array().is_none_or(Vec::is_empty))
    {
        return Err(bad(
            "stages",
            "the prediction has no track points: nothing to map",
        ));
    }
    let mut events = Vec::new();
    if let Some(es) = v.get("events").and_then(Value::as_array) {
        for (i, e) in es.iter().enumerate() {
            let at = format!("events[{i}]");
            let (lat, lon) = lat_lon(e, &at)?;
            events.push(json!({
                "kind": text(e.get("kind")),
                "lat": round(lat, 4), "lon": round(lon, 4),
                "alt": num(e.get("alt").unwrap_or(&Value::Null), &format!("{at}.alt"))?.map(|a| a.round()),
                "time": text(e.get("time")),
            }));
        }
    }
    let launch = match v.get("launch").filter(|l| !l.is_null()) {
        None => Value::Null,
        Some(l) => {
            let (lat, lon) = lat_lon(l, "launch")?;
            json!({"lat": round(lat, 4), "lon": round(lon, 4),
                   "alt": num(l.get("alt").unwrap_or(&Value::Null), "launch.alt")?.map(|a| a.round()),
                   "time": text(l.get("time"))})
        }
    };
    let landing_of = |l: &Value, at: &str| -> Result<Value, MapError> {
        let (lat, lon) = lat_lon(l, at)?;
        let region = l.get("region").unwrap_or(&Value::Null);
        let alt = num(l.get("alt").unwrap_or(&Value::Null), &format!("{at}.alt"))?;
        let dist = num(
            l.get("distance_km").unwrap_or(&Value::Null),
            &format!("{at}.distance_km"),
        )?;
        let city = l.get("nearest_nk_city").unwrap_or(&Value::Null);
        // A heavy intact fall in a populated South Korean place: the place's disc.
        let heavy_place = l
            .get("populated_place")
            .filter(|p| p.is_object() && l.get("heavy_over_populated_rok") == Some(&json!(true)));
        let risk = match heavy_place {
            None => Value::Null,
            Some(p) => {
                let here = format!("{at}.populated_place");
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("{here}.name"), "missing or not a string"))?;
                let radius = req_num(p, "radius_km", &here)?;
                let people = num(
                    p.get("population").unwrap_or(&Value::Null),
                    &format!("{here}.population"),
                )?;
                // The place's own centre (predict JSON since it carries one); a file from
                // before that names the place only, found among the map's places.
                let centre = match (
                    p.get("lat").and_then(Value::as_f64),
                    p.get("lon").and_then(Value::as_f64),
                ) {
                    (Some(plat), Some(plon)) => Some((plat, plon)),
                    _ => place_centre(base, name, (lat, lon)),
                };
                json!({"en": name, "ko": text(p.get("name_ko")),
                       "pop": people.map(|n| n.round() as u64),
                       "r": round(radius, 1),
                       "lat": centre.map(|c| round(c.0, 3)), "lon": centre.map(|c| round(c.1, 3))})
            }
        };
        Ok(json!({"lat": round(lat, 4), "lon": round(lon, 4),
               "risk": risk,
               "alt": alt.map(f64::round),
               "time": text(l.get("time")),
               "outcome": text(l.get("outcome")),
               "payload": text(l.get("payload")),
               "cls": class_code(landing_class(l)),
               "class": text(region.get("class").or_else(|| l.get("class"))),
               "province": text(region.get("province")),
               "distance_km": dist.map(|d| (d * 10.0).round() / 10.0),
               "nk_city": text(city.get("name")),
               "nk_city_km": text(city.get("distance_km"))}))
    };
    let landing = match v.get("landing").filter(|l| !l.is_null()) {
        None => Value::Null,
        Some(l) => landing_of(l, "landing")?,
    };
    let mut landings = Vec::new();
    if let Some(ls) = v.get("landings").and_then(Value::as_array) {
        for (i, l) in ls.iter().enumerate() {
            landings.push(landing_of(l, &format!("landings[{i}]"))?);
        }
    }
    Ok(json!({
        "kind": "prediction",
        "lang": lang.tag(),
        "base_credit": BASE_MAP_CREDIT,
        "leaflet_version": crate::LEAFLET_VERSION.trim(),
        "forecast": forecast(v),
        "base": base_layers(base)?,
        "launch": launch,
        "stages": stages,
        "events": events,
        "landing": landing,
        "landings": landings,
        "profile": profile_rows(v),
        "warnings": warnings(v),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_json(windows: usize, members: usize) -> Value {
        let ws: Vec<Value> = (0..windows)
            .map(|i| {
                let landings: Vec<Value> = (0..members)
                    .map(|m| {
                        json!({"lat": 38.0 + m as f64 * 0.01, "lon": 126.0 + i as f64 * 0.01,
                               "class": if m % 2 == 0 { "north_korea" } else { "sea" }, "payload": 1.0})
                    })
                    .collect();
                json!({"launch_time": format!("2019-06-05T{:02}:00:00Z", i % 24),
                       "p_north": 0.5, "p_sea": 0.5, "p_target": 0.1,
                       "landings": landings,
                       "tracks": [[[37.7, 126.7, 0.0], [38.0, 126.5, 9000.0]]]})
            })
            .collect();
        json!({"windows": ws, "best": 0, "members": members})
    }

    /// A `drift --json` of two windows: the first all afloat, the second with two of four
    /// bottles stranded in Hwanghae-namdo, one in the DMZ and one stopped by the forcing.
    fn drift_json() -> Value {
        let end = |lat: f64, lon: f64, end: &str, region: &str| {
            json!({"lat": lat, "lon": lon, "hours": 5.0, "end": end, "region": region,
                   "province": null, "windage": 0.02})
        };
        json!({
            "site": {"name": "gyodong", "name_ko": "교동도 북쪽 해안", "lat": 37.815, "lon": 126.27},
            "currents": {"path": "/home/someone/secret/cur.nc"},
            "wind": {"path": "C:\\Users\\x\\wind.nc"},
            "stokes_note": "left out",
            "coastline": "Natural Earth",
            "spec": {"seed": 7, "n_members": 4, "spread": {"windage_min": 0.01, "windage_max": 0.03},
                     "config": {"step_s": 900.0, "scheme": "rk4"}},
            "limit_h": 24.0,
            "windows": [
                {"throw_time": "2026-12-05T01:00:00Z", "p_north": 0.0, "p_south": 0.0,
                 "p_other_land": 0.0, "p_afloat": 1.0, "p_forcing_stop": 0.0,
                 "north_by_province": [], "median_hours_to_north": null,
                 "ends": (0..4).map(|_| end(37.7, 126.0, "afloat", "sea")).collect::<Vec<_>>(),
                 "tracks": [[[37.815, 126.27], [37.7, 126.0]]]},
                {"throw_time": "2026-12-05T02:00:00Z", "p_north": 0.5, "p_south": 0.0,
                 "p_other_land": 0.25, "p_afloat": 0.0, "p_forcing_stop": 0.25,
                 "north_by_province": [{"province": "Hwanghae-namdo", "province_ko": "황해남도", "p": 0.5}],
                 "north_by_town": [{"town": "Ongjin", "town_ko": "옹진", "p": 0.25},
                                   {"town": "Yŏnan-ŭp", "town_ko": null, "p": 0.25}],
                 "median_hours_to_north": 4.25,
                 "ends": [end(37.9, 126.2, "stranded", "north_korea"), end(37.9, 126.21, "stranded", "north_korea"),
                          end(37.85, 126.5, "stranded", "dmz"),
                          {"lat": 37.8, "lon": 126.3, "hours": 2.0, "end": "forcing_land", "forcing": "currents",
                           "region": "sea", "province": null, "windage": 0.01}],
                 "tracks": []}
            ],
            "order": [1, 0],
            "notes": ["the currents file has one time"]
        })
    }

    #[test]
    fn a_drift_is_drawn_as_throw_windows_of_bottle_ends() {
        let d = drift(&drift_json(), &BaseMap::default(), Lang::Ko).unwrap();
        assert_eq!(d["kind"], "plan");
        assert_eq!(d["drift"], true);
        assert_eq!(d["site"]["name"], "교동도 북쪽 해안");
        assert_eq!(d["best"], 1);
        assert_eq!(d["members"], 4);
        assert_eq!(d["forecast"]["source"], "cur.nc + wind.nc");
        assert_eq!(d["warnings"][0], "the currents file has one time");
        let w = &d["windows"][1];
        // north, south, DMZ, sea (afloat or stopped), other.
        assert_eq!(w["n"], json!([2, 0, 1, 1, 0]));
        assert_eq!(w["p"], json!([0.5, 0.0, 0.25, 0.25, 0.0]));
        assert_eq!(w["pt"], 0.5);
        assert_eq!(w["pu"], 0.25);
        assert_eq!(w["hn"], 4.3);
        assert_eq!(w["prov"], json!([["황해남도 Hwanghae-namdo", 0.5]]));
        assert_eq!(
            w["town"],
            json!([["옹진 Ongjin", 0.25], ["Yŏnan-ŭp", 0.25]])
        );
        assert_eq!(d["windows"][0]["n"], json!([0, 0, 0, 4, 0]));
        assert_eq!(d["windows"][0]["tracks"].as_array().unwrap().len(), 1);
        assert_eq!(d["windows"][0]["dens"]["cell"], 0.01);
        // Ends say how each bottle ended, through the page's labels.
        let labels = d["labels"].as_array().unwrap();
        let oc = w["oc"].as_array().unwrap();
        assert_eq!(labels[oc[3].as_u64().unwrap() as usize], "forcing_land");
        // No window reaching the North: no best.
        let mut none = drift_json();
        none["order"] = json!([0, 1]);
        assert_eq!(
            drift(&none, &BaseMap::default(), Lang::En).unwrap()["best"],
            Value::Null
        );
    }

    #[test]
    fn a_bad_drift_names_the_field() {
        let mut d = drift_json();
        d["windows"][1]["ends"][2]["lat"] = json!(123.0);
        let err = drift(&d, &BaseMap::default(), Lang::En)
            .unwrap_err()
            .to_string();
        assert!(err.contains("windows[1].ends[2].lat"), "{err}");
        let mut d = drift_json();
        d["windows"][0]["throw_time"] = Value::Null;
        let err = drift(&d, &BaseMap::default(), Lang::En)
            .unwrap_err()
            .to_string();
        assert!(err.contains("windows[0].throw_time"), "{err}");
        let err = drift(&json!({"windows": []}), &BaseMap::default(), Lang::En)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no throw windows"), "{err}");
        let mut d = drift_json();
        d["order"] = json!([5]);
        assert!(drift(&d, &BaseMap::default(), Lang::En).is_err());
    }

    #[test]
    fn landings_keep_count_and_class() {
        let d = plan(&plan_json(2, 5), &BaseMap::default(), Lang::En).unwrap();
        let w = &d["windows"][1];
        assert_eq!(w["land"].as_array().unwrap().len(), 15);
        assert_eq!(w["n"][0], 3);
        assert_eq!(w["n"][3], 2);
        assert_eq!(w["p"][2], Value::Null, "missing p_dmz stays unknown");
        assert_eq!(w["tracks"].as_array().unwrap().len(), 1);
        assert!(!w["c50"].as_array().unwrap().is_empty());
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "plan"),
            (json!({}), "windows"),
            (json!({"windows": []}), "windows"),
            (
                json!({"windows": [{"landings": []}]}),
                "windows[0].launch_time",
            ),
            (
                json!({"windows": [{"launch_time": "x"}]}),
                "windows[0].landings",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": [{"lat": 123, "lon": 1}]}]}),
                "windows[0].landings[0].lat",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": [{"lat": 1}]}]}),
                "windows[0].landings[0].lon",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": [], "p_target": 1.7}]}),
                "windows[0].p_target",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": [], "p_north": "high"}]}),
                "windows[0].p_north",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": []}], "best": 3}),
                "best",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": [], "tracks": [[[1, 500]]]}]}),
                "windows[0].tracks[0][0]",
            ),
            (
                json!({"windows": [{"launch_time": "x", "landings": [], "leaflet_density": {"cells": []}}]}),
                "cell_deg",
            ),
            (
                json!({"site": {"lat": 37}, "windows": [{"launch_time": "x", "landings": []}]}),
                "site.lon",
            ),
        ];
        for (input, field) in cases {
            let e = plan(&input, &BaseMap::default(), Lang::En).unwrap_err();
            assert!(e.to_string().contains(field), "{input} -> {e}");
        }
    }

    #[test]
    fn payload_kinds_and_outcomes_become_labels() {
        let v = json!({"windows": [{"launch_time": "x", "landings": [
            {"lat": 38.0, "lon": 126.0, "class": "north_korea", "payload": "envelope", "outcome": "ground"},
            {"lat": 38.1, "lon": 126.1, "class": "left_domain", "payload": "leaflets", "outcome": "left_domain"},
            {"lat": 38.2, "lon": 126.2, "class": "sea", "payload": "envelope", "outcome": "sea"}]}],
            "target": {"kind": "province", "name": "Kangwŏn-do", "label": "Kangwŏn-do province"}});
        let d = plan(&v, &BaseMap::default(), Lang::En).unwrap();
        let labels: Vec<&str> = d["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let w = &d["windows"][0];
        let name = |k: &str, i: usize| labels[w[k][i].as_u64().unwrap() as usize];
        assert_eq!(
            (name("pk", 0), name("pk", 1), name("pk", 2)),
            ("envelope", "leaflets", "envelope")
        );
        assert_eq!((name("oc", 0), name("oc", 1)), ("ground", "left_domain"));
        assert_eq!(w["land"][5], 4, "left_domain is drawn as other");
        assert_eq!(d["target"]["province"], "Kangwŏn-do");
    }

    #[test]
    fn tracks_are_sampled_and_thinned() {
        let long: Vec<Value> = (0..1000)
            .map(|i| json!([37.0 + i as f64 * 1e-3, 126.0, 0.0]))
            .collect();
        let tracks: Vec<Value> = (0..40).map(|_| Value::Array(long.clone())).collect();
        let v = json!({"windows": [{"launch_time": "x", "landings": [], "tracks": tracks}]});
        let d = plan(&v, &BaseMap::default(), Lang::En).unwrap();
        let ts = d["windows"][0]["tracks"].as_array().unwrap();
        assert_eq!(ts.len(), MAX_TRACKS_PER_WINDOW);
        let t0 = ts[0].as_array().unwrap();
        assert_eq!(t0.len(), 2 * MAX_TRACK_POINTS);
        // Delta-coded thousandths of a degree: the sum of the latitudes is the last one.
        assert_eq!(t0[0], json!(37000));
        assert_eq!(t0[1], json!(126000));
        let last_lat: i64 = t0.iter().step_by(2).map(|v| v.as_i64().unwrap()).sum();
        assert_eq!(last_lat, 37999);
    }

    #[test]
    fn given_density_is_used_and_contoured() {
        let v = json!({"windows": [{"launch_time": "x", "landings": [],
            "leaflet_density": {"cell_deg": 0.1, "cells": [[38.0, 126.0, 0.6], [38.1, 126.0, 0.3], [39.0, 127.0, 0.1]]}}]});
        let d = plan(&v, &BaseMap::default(), Lang::En).unwrap();
        let w = &d["windows"][0];
        assert_eq!(w["dens"]["cell"], 0.1);
        let cells = w["dens"]["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 9);
        // Relative to the first cell (row 380, col 1260), per cent of the densest.
        assert_eq!(
            (w["dens"]["r0"].as_i64(), w["dens"]["c0"].as_i64()),
            (Some(380), Some(1260))
        );
        assert_eq!(cells[..3], [json!(0), json!(0), json!(99)]);
        assert_eq!(cells[3..6], [json!(1), json!(0), json!(50)]);
        assert_eq!(cells[6..9], [json!(10), json!(10), json!(17)]);
        // Contours are of the smoothed density: the 50 % area is around the densest cell,
        // the 90 % area one connected block around the two dense cells, not the far one.
        // Decode the chain code as the page does; latitudes in degrees.
        let ring_lats = |k: &str| -> Vec<f64> {
            let mut lats = Vec::new();
            for r in w[k].as_array().unwrap() {
                let mut row = r[0].as_i64().unwrap();
                lats.push(row as f64 * 0.1);
                for ch in r[2].as_str().unwrap().chars() {
                    row += match ch {
                        'N' => 1,
                        'S' => -1,
                        _ => 0,
                    };
                    lats.push(row as f64 * 0.1);
                }
                assert_eq!(
                    r[2].as_str().unwrap().matches('N').count(),
                    r[2].as_str().unwrap().matches('S').count(),
                    "ring closes"
                );
            }
            lats.iter().map(|l| (l * 1e6).round() / 1e6).collect()
        };
        assert_eq!(w["c50"].as_array().unwrap().len(), 1, "{}", w["c50"]);
        assert!(
            ring_lats("c50")
                .iter()
                .all(|&l| (37.85..=38.25).contains(&l)),
            "{:?}",
            ring_lats("c50")
        );
        // The 90 % area covers the near pair of cells (38.0-38.2); the far cell's 10 %,
        // smoothed, may add a small ring of its own.
        let c90 = ring_lats("c90");
        assert!(c90.contains(&37.9) && c90.contains(&38.3), "{c90:?}");
    }

    #[test]
    fn base_layers_are_checked_and_trimmed() {
        let base = BaseMap {
            countries: Some(json!({"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"ADM0_A3": "PRK", "POP_EST": 1, "NAME_KO": "북한"},
                 "geometry": {"type": "Point", "coordinates": [126.123456, 38.987654]}}]})),
            ..BaseMap::default()
        };
        let d = plan(&plan_json(1, 1), &base, Lang::Ko).unwrap();
        let f = &d["base"]["countries"]["features"][0];
        assert_eq!(
            f["properties"],
            json!({"ADM0_A3": "PRK", "NAME_KO": "북한"})
        );
        assert_eq!(f["geometry"]["coordinates"], json!([126.1235, 38.9877]));
        let bad_base = BaseMap {
            dmz: Some(json!({"type": "Feature"})),
            ..BaseMap::default()
        };
        let e = plan(&plan_json(1, 1), &bad_base, Lang::Ko).unwrap_err();
        assert!(e.to_string().contains("dmz"), "{e}");
    }

    #[test]
    fn base_lines_are_thinned_but_keep_shape_and_rings() {
        // A straight line with tiny wiggles loses its inner points; a real corner stays.
        let line: Vec<Value> = (0..=100)
            .map(|i| {
                json!([
                    126.0 + i as f64 * 0.01,
                    38.0 + if i % 2 == 0 { 0.0 } else { 0.0001 }
                ])
            })
            .chain([json!([127.0, 39.0])])
            .collect();
        let g = simplify_geometry(&json!({"type": "LineString", "coordinates": line}));
        let c = g["coordinates"].as_array().unwrap();
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[2], json!([127.0, 39.0]));
        // A tiny closed ring keeps at least 4 positions.
        let ring = json!({"type": "Polygon", "coordinates": [[[126.0, 38.0], [126.0001, 38.0], [126.0001, 38.0001], [126.0, 38.0]]]});
        assert_eq!(
            simplify_geometry(&ring)["coordinates"][0]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(douglas_peucker(&[(0.0, 0.0), (1.0, 1.0)], 0.1), vec![0, 1]);
    }

    #[test]
    fn prediction_needs_points_and_checks_them() {
        let ok = json!({"stages": [{"name": "ascent", "points": [{"lat": 37.7, "lon": 126.7, "alt": 10.0}, {"lat": 38.0, "lon": 127.0, "alt": 9000.0}]}],
                        "landings": [{"lat": 38.5, "lon": 127.5, "outcome": "ground", "payload": "leaflets", "region": {"class": "south_korea"}}],
                        "events": [{"kind": "burst", "lat": 38.0, "lon": 127.0, "alt": 9000}],
                        "landing": {"lat": 38.5, "lon": 127.5, "region": {"class": "north_korea", "province": "Kangwŏn-do"}}});
        let d = prediction(&ok, &BaseMap::default(), Lang::En).unwrap();
        assert_eq!(d["stages"][0]["alt_max"], 9000.0);
        assert_eq!(d["landing"]["cls"], 0);
        assert_eq!(d["landing"]["province"], "Kangwŏn-do");
        assert_eq!(d["landings"][0]["cls"], 1, "region.class wins over outcome");
        let e = prediction(&json!({"stages": []}), &BaseMap::default(), Lang::En).unwrap_err();
        assert!(e.to_string().contains("no track points"), "{e}");
        let e = prediction(
            &json!({"stages": [{"points": [{"lat": 1, "lon": 999}]}]}),
            &BaseMap::default(),
            Lang::En,
        )
        .unwrap_err();
        assert!(e.to_string().contains("stages[0].points[0].lon"), "{e}");
    }

    fn places() -> Value {
        json!([
            {"name": "Seoul", "name_ko": "서울", "country": "KOR", "lat": 37.566, "lon": 126.9784,
             "population": 10349312, "radius_km": 33.14},
            {"name": "Munsan", "name_ko": "문산", "country": "KOR", "lat": 37.85944, "lon": 126.785,
             "population": 43208, "radius_km": 5.0},
            {"name": "Munsan", "country": "KOR", "lat": 35.0, "lon": 128.0,
             "population": null, "radius_km": 5.0},
            {"name": "Kaesŏng", "name_ko": "개성", "country": "PRK", "lat": 37.97, "lon": 126.55,
             "population": 338155, "radius_km": 6.0}
        ])
    }

    #[test]
    fn places_are_stored_by_column_and_delta_coded() {
        let base = BaseMap {
            places: Some(places()),
            ..BaseMap::default()
        };
        let d = plan(&plan_json(1, 1), &base, Lang::Ko).unwrap();
        let p = &d["base"]["places"];
        assert_eq!(p["en"], json!(["Seoul", "Munsan", "Munsan", "Kaesŏng"]));
        assert_eq!(p["ko"], json!(["서울", "문산", "", "개성"]));
        assert_eq!(p["pop"], json!([10349312, 43208, null, 338155]));
        assert_eq!(p["r"], json!([33.1, 5.0, 5.0, 6.0]));
        assert_eq!(p["cc"], "KKKP");
        // First point in thousandths of a degree, then differences.
        assert_eq!(
            p["ll"].as_array().unwrap()[..4],
            [json!(37566), json!(126978), json!(293), json!(-193)]
        );
        for (bad_place, field) in [
            (
                json!({"name": "X", "country": "KOR", "lat": 95.0, "lon": 126.0, "radius_km": 5.0}),
                "places[0].lat",
            ),
            (
                json!({"name": "X", "country": "JPN", "lat": 35.0, "lon": 126.0, "radius_km": 5.0}),
                "places[0].country",
            ),
            (
                json!({"name": "X", "country": "KOR", "lat": 35.0, "lon": 126.0, "radius_km": 0.0}),
                "places[0].radius_km",
            ),
            (
                json!({"country": "KOR", "lat": 35.0, "lon": 126.0, "radius_km": 5.0}),
                "places[0].name",
            ),
        ] {
            let base = BaseMap {
                places: Some(json!([bad_place])),
                ..BaseMap::default()
            };
            let e = plan(&plan_json(1, 1), &base, Lang::En).unwrap_err();
            assert!(e.to_string().contains(field), "{field}: {e}");
            assert!(e.to_string().contains("places"), "{e}");
        }
    }

    #[test]
    fn windows_carry_their_places_at_risk_and_the_risk_mark() {
        let mut v = plan_json(2, 4);
        v["windows"][0]["heavy_places_at_risk"] = json!([
            {"name": "Munsan", "name_ko": "문산", "geonameid": 1837217, "population": 43208,
             "lat": 37.85944, "lon": 126.785, "radius_km": 5.0, "p": 0.125},
            {"name": "Beobwon", "geonameid": 1, "population": null,
             "lat": 37.84, "lon": 126.87, "radius_km": 5.0, "p": 0.0625}
        ]);
        v["windows"][0]["p_heavy_over_populated_rok"] = json!(0.1875);
        v["windows"][0]["over_heavy_risk_limit"] = json!(true);
        v["windows"][1]["heavy_places_at_risk"] = json!([]);
        v["windows"][1]["p_heavy_over_populated_rok"] = json!(0.0);
        v["windows"][1]["over_heavy_risk_limit"] = json!(false);
        let d = plan(&v, &BaseMap::default(), Lang::Ko).unwrap();
        let w = &d["windows"][0];
        let labels = d["labels"].as_array().unwrap();
        let risk = w["risk"].as_array().unwrap();
        assert_eq!(risk.len(), 2);
        assert_eq!(
            risk[0].as_array().unwrap()[..4],
            [json!(37.859), json!(126.785), json!(5.0), json!(0.125)]
        );
        assert_eq!(labels[risk[0][4].as_u64().unwrap() as usize], "Munsan");
        assert_eq!(labels[risk[0][5].as_u64().unwrap() as usize], "문산");
        assert_eq!(risk[1][5], -1, "no Korean name");
        assert_eq!(w["ph"], 0.1875);
        assert_eq!(w["over"], 1);
        // A window without risk carries none of it.
        let w1 = d["windows"][1].as_object().unwrap();
        assert!(!w1.contains_key("risk") && !w1.contains_key("ph") && !w1.contains_key("over"));
        // Bad values name the field.
        let mut bad_v = v.clone();
        bad_v["windows"][0]["heavy_places_at_risk"][1]["p"] = json!(1.5);
        let e = plan(&bad_v, &BaseMap::default(), Lang::En).unwrap_err();
        assert!(
            e.to_string()
                .contains("windows[0].heavy_places_at_risk[1].p"),
            "{e}"
        );
        let mut bad_v = v.clone();
        bad_v["windows"][0]["heavy_places_at_risk"][0]["lon"] = json!(500.0);
        let e = plan(&bad_v, &BaseMap::default(), Lang::En).unwrap_err();
        assert!(
            e.to_string()
                .contains("windows[0].heavy_places_at_risk[0].lon"),
            "{e}"
        );
        let mut bad_v = v;
        bad_v["windows"][1]["over_heavy_risk_limit"] = json!("yes");
        let e = plan(&bad_v, &BaseMap::default(), Lang::En).unwrap_err();
        assert!(
            e.to_string().contains("windows[1].over_heavy_risk_limit"),
            "{e}"
        );
    }

    #[test]
    fn warnings_keep_their_codes_only_when_they_match_the_texts() {
        let w = json!({"launch_time": "2019-06-05T00:00:00Z", "landings": []});
        let mut v = json!({"windows": [w], "warnings": ["no launch window is safe: ..."],
                           "warning_codes": [{"code": "no_safe_window", "max_heavy_risk": 0.01, "lowest": 0.062}]});
        let d = plan(&v, &BaseMap::default(), Lang::Ko).unwrap();
        assert_eq!(d["warn"][0]["code"], "no_safe_window");
        assert_eq!(d["warnings"][0], "no launch window is safe: ...");
        v["warning_codes"] = json!([]);
        assert!(plan(&v, &BaseMap::default(), Lang::Ko).unwrap()["warn"].is_null());
    }

    #[test]
    fn a_plan_of_several_sites_gives_each_window_its_site() {
        let w = |site: &str| json!({"launch_time": "2019-06-05T00:00:00Z", "landings": [], "site": site});
        let paju = json!({"name": "Paju", "lat": 37.889, "lon": 126.74});
        let gimpo = json!({"name": "Gimpo", "lat": 37.713, "lon": 126.555});
        let v = json!({"site": paju, "sites": [paju, gimpo],
                       "windows": [w("Paju"), w("Gimpo"), w("Gimpo")]});
        let d = plan(&v, &BaseMap::default(), Lang::Ko).unwrap();
        assert_eq!(d["sites"].as_array().unwrap().len(), 2);
        assert_eq!(d["sites"][1]["name"], "Gimpo");
        let si: Vec<_> = d["windows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["si"].clone())
            .collect();
        assert_eq!(si, vec![json!(0), json!(1), json!(1)]);
        // One site: no list, no indexes.
        let one = json!({"site": paju, "sites": [paju], "windows": [w("Paju")]});
        let d = plan(&one, &BaseMap::default(), Lang::Ko).unwrap();
        assert!(d["sites"].is_null() && d["windows"][0].get("si").is_none());
        // A window from a site the plan does not list is refused, naming it.
        let bad =
            json!({"site": paju, "sites": [paju, gimpo], "windows": [w("Paju"), w("Ganghwa")]});
        let e = plan(&bad, &BaseMap::default(), Lang::Ko)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("windows[1].site") && e.contains("Ganghwa"),
            "{e}"
        );
    }

    #[test]
    fn a_predicted_heavy_fall_finds_its_place_disc() {
        let base = BaseMap {
            places: Some(places()),
            ..BaseMap::default()
        };
        let v = json!({"stages": [{"name": "ascent", "points": [{"lat": 37.76, "lon": 126.78}, {"lat": 37.83, "lon": 126.80}]}],
                       "landing": {"lat": 37.83, "lon": 126.80, "region": {"class": "south_korea"},
                                   "heavy_over_populated_rok": true,
                                   "populated_place": {"name": "Munsan", "name_ko": "문산", "population": 43208,
                                                       "distance_km": 3.2, "radius_km": 5.0}}});
        let d = prediction(&v, &base, Lang::Ko).unwrap();
        let r = &d["landing"]["risk"];
        // Of the two places named Munsan, the one whose disc holds the landing.
        assert_eq!(
            (r["lat"].clone(), r["lon"].clone()),
            (json!(37.859), json!(126.785))
        );
        assert_eq!(r["ko"], "문산");
        assert_eq!(r["pop"], 43208);
        assert_eq!(r["r"], 5.0);
        // Not a heavy fall: no disc.
        let mut light = v.clone();
        light["landing"]["heavy_over_populated_rok"] = json!(false);
        assert!(prediction(&light, &base, Lang::Ko).unwrap()["landing"]["risk"].is_null());
        // Without the places the disc has no centre, but the place is still named.
        let d = prediction(&v, &BaseMap::default(), Lang::Ko).unwrap();
        assert!(d["landing"]["risk"]["lat"].is_null());
        assert_eq!(d["landing"]["risk"]["en"], "Munsan");
        // A prediction that carries the place's centre (as `predict --json` does) is drawn
        // there, whatever the map's places hold.
        let mut own = v.clone();
        own["landing"]["populated_place"]["geonameid"] = json!(1_841_066);
        own["landing"]["populated_place"]["lat"] = json!(37.8601);
        own["landing"]["populated_place"]["lon"] = json!(126.7842);
        for b in [&base, &BaseMap::default()] {
            let r = &prediction(&own, b, Lang::Ko).unwrap()["landing"]["risk"];
            assert_eq!(
                (r["lat"].clone(), r["lon"].clone()),
                (json!(37.86), json!(126.784))
            );
        }
    }
}
