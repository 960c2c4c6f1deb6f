//! The offline HTML map of a plan, a prediction or a sea drift: the report (the `--json` value) plus
//! the embedded Natural Earth layers of `saebaram-geo`, with Korean and English names, drawn
//! by `saebaram-map`.

use std::path::Path;
use std::sync::OnceLock;

use saebaram_geo::Layer;
pub use saebaram_map::Lang;
use saebaram_map::{BaseMap, MapError};
use serde_json::Value;

use crate::Error;
use crate::plan::PlanReport;
use crate::predict::PredictReport;

fn map_error(context: &str) -> impl FnOnce(MapError) -> Error + '_ {
    move |source| Error::Map {
        context: context.to_string(),
        source,
    }
}

fn json_error(what: &str, e: serde_json::Error) -> Error {
    Error::Map {
        context: what.to_string(),
        source: MapError::Input {
            what: what.to_string(),
            problem: e.to_string(),
        },
    }
}

/// The page of a plan. A plan whose windows were all skipped has nothing to draw.
pub fn plan_html(report: &PlanReport, lang: Lang) -> Result<String, Error> {
    if report.windows.is_empty() {
        return Err(Error::NothingToDraw);
    }
    let value =
        serde_json::to_value(report).map_err(|e| json_error("cannot draw the plan's map", e))?;
    plan_html_from_value(&value, lang)
}

/// The page of a plan from its JSON value (when the face has it already).
pub fn plan_html_from_value(plan: &Value, lang: Lang) -> Result<String, Error> {
    saebaram_map::plan_page(plan, base_map()?, lang)
        .map_err(map_error("cannot draw the plan's map"))
}

/// The page of one prediction.
pub fn prediction_html(report: &PredictReport, lang: Lang) -> Result<String, Error> {
    let value = serde_json::to_value(report)
        .map_err(|e| json_error("cannot draw the prediction's map", e))?;
    saebaram_map::prediction_page(&value, base_map()?, lang)
        .map_err(map_error("cannot draw the prediction's map"))
}

/// The page of a sea drift (`drift --html`).
pub fn drift_html(report: &crate::drift::DriftReport, lang: Lang) -> Result<String, Error> {
    if report.windows.is_empty() {
        return Err(Error::NothingToDraw);
    }
    let value =
        serde_json::to_value(report).map_err(|e| json_error("cannot draw the drift's map", e))?;
    saebaram_map::drift_page(&value, base_map()?, lang)
        .map_err(map_error("cannot draw the drift's map"))
}

/// Writes a page (temporary file, then rename).
pub fn write_html(path: &Path, html: &str) -> Result<(), Error> {
    saebaram_map::write_atomically(path, html).map_err(map_error("cannot write the HTML map"))
}

fn layer(l: Layer) -> Result<Value, Error> {
    serde_json::from_str(saebaram_geo::layer_geojson(l)).map_err(|e| {
        json_error(
            &format!("embedded map layer {} is not valid JSON", l.file_name()),
            e,
        )
    })
}

/// The embedded layers, with `name_ko`/`name_en` added to cities and provinces where the
/// geo crate knows them. Built once per process.
pub fn base_map() -> Result<&'static BaseMap, Error> {
    static BASE: OnceLock<BaseMap> = OnceLock::new();
    if let Some(base) = BASE.get() {
        return Ok(base);
    }
    let base = build_base_map()?;
    Ok(BASE.get_or_init(|| base))
}

fn build_base_map() -> Result<BaseMap, Error> {
    let geo = saebaram_geo::Geo::try_embedded()?;
    let mut cities = layer(Layer::Cities)?;
    // The GeoNames places label both Koreas (438 of them, from Munsan to Seoul); Natural
    // Earth's cities stay for the neighbours (China, Russia, Japan).
    if let Some(Value::Array(fs)) = cities.get_mut("features") {
        fs.retain(|f| !matches!(prop(f, "ADM0_A3").as_deref(), Some("KOR" | "PRK")));
    }
    for f in features(&mut cities) {
        let name = prop(f, "NAME");
        if let Some(ko) = name
            .as_deref()
            .and_then(|n| geo.find_city(n))
            .and_then(|c| c.name_ko)
        {
            set_prop(f, "name_ko", ko);
        }
    }
    let mut provinces = layer(Layer::Provinces)?;
    for f in features(&mut provinces) {
        if let Some(p) = prop(f, "name")
            .as_deref()
            .and_then(|n| geo.find_province(n))
        {
            set_prop(f, "name_ko", p.name_ko);
            set_prop(f, "name_en", p.name_en);
        }
    }
    Ok(BaseMap {
        countries: Some(layer(Layer::Countries)?),
        provinces: Some(provinces),
        dmz: Some(layer(Layer::Dmz)?),
        borders: Some(layer(Layer::Borders)?),
        coastline: Some(layer(Layer::Coastline)?),
        cities: Some(cities),
        places: Some(places(geo)),
    })
}

/// The GeoNames places with their populated discs, in the shape `BaseMap::places` documents.
fn places(geo: &saebaram_geo::Geo) -> Value {
    Value::Array(
        geo.places()
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name, "name_ko": p.name_ko, "country": p.country,
                    "lat": p.lat, "lon": p.lon, "population": p.population,
                    "radius_km": p.populated_radius_km(),
                })
            })
            .collect(),
    )
}

fn features(fc: &mut Value) -> impl Iterator<Item = &mut Value> {
    fc.get_mut("features")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn prop(f: &Value, key: &str) -> Option<String> {
    f.get("properties")?.get(key)?.as_str().map(str::to_owned)
}

fn set_prop(f: &mut Value, key: &str, value: &str) {
    if let Some(Value::Object(p)) = f.get_mut("properties") {
        p.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_map_has_every_layer_with_korean_names() {
        let base = base_map().unwrap();
        let places = base.places.as_ref().unwrap().as_array().unwrap();
        let pyongyang = places.iter().find(|p| p["name"] == "Pyongyang").unwrap();
        assert_eq!(pyongyang["name_ko"], "평양");
        let provinces = base.provinces.as_ref().unwrap();
        assert!(
            provinces["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["properties"]["name_ko"].is_string())
        );
        assert!(base.countries.is_some() && base.dmz.is_some() && base.borders.is_some());
    }

    #[test]
    fn base_map_labels_korea_with_geonames_places_and_neighbours_with_natural_earth() {
        let base = base_map().unwrap();
        let places = base.places.as_ref().unwrap().as_array().unwrap();
        let geo = saebaram_geo::Geo::embedded();
        assert_eq!(places.len(), geo.places().len());
        let munsan = places
            .iter()
            .find(|p| p["name"] == "Munsan")
            .expect("Munsan, the border town Natural Earth lacks");
        assert_eq!(munsan["name_ko"], "문산");
        assert_eq!(munsan["country"], "KOR");
        assert_eq!(munsan["radius_km"], 5.0);
        let seoul = places.iter().find(|p| p["name"] == "Seoul").unwrap();
        assert!(seoul["radius_km"].as_f64().unwrap() > 30.0, "{seoul}");
        let cities = base.cities.as_ref().unwrap()["features"]
            .as_array()
            .unwrap();
        assert!(
            cities
                .iter()
                .all(|f| { !matches!(f["properties"]["ADM0_A3"].as_str(), Some("KOR" | "PRK")) })
        );
        assert!(cities.iter().any(|f| f["properties"]["NAME"] == "Dandong"));
    }
}
