//! `--html FILE` for `plan` and `predict`: the offline HTML map. Owned by the map work;
//! `plan` and `predict` only flatten [`HtmlArgs`] and call the writers with the same JSON
//! value they print for `--json`.
//!
//! This layer reads the locale (for the default language) and hands the embedded Natural
//! Earth layers of `saebaram-geo`, with Korean and English names added, to `saebaram-map`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use saebaram_geo::Layer;
use serde_json::Value;

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 한국어.
    Ko,
    /// English.
    En,
}

/// Flags shared by `plan` and `predict` for the HTML map.
#[derive(Debug, Clone, clap::Args)]
pub struct HtmlArgs {
    /// Write a self-contained offline HTML map (no network needed to open it).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Language of the map page (default: from the locale, English otherwise).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// Writes the map of a plan, from the value `plan --json` prints.
pub fn write_plan_html(path: &Path, plan: &Value, lang: Option<Lang>) -> anyhow::Result<()> {
    let base = base_map()?;
    let page = saebaram_map::plan_page(plan, &base, page_lang(lang))
        .context("cannot draw the plan's map")?;
    saebaram_map::write_atomically(path, &page).context("cannot write the HTML map")?;
    Ok(())
}

/// Writes the map of one prediction, from the value `predict --json` prints.
pub fn write_prediction_html(
    path: &Path,
    prediction: &Value,
    lang: Option<Lang>,
) -> anyhow::Result<()> {
    let base = base_map()?;
    let page = saebaram_map::prediction_page(prediction, &base, page_lang(lang))
        .context("cannot draw the prediction's map")?;
    saebaram_map::write_atomically(path, &page).context("cannot write the HTML map")?;
    Ok(())
}

/// `--lang`, else the locale (`LC_ALL`, then `LC_MESSAGES`, then `LANG`), else English.
fn page_lang(lang: Option<Lang>) -> saebaram_map::Lang {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let locale = env("LC_ALL")
        .or_else(|| env("LC_MESSAGES"))
        .or_else(|| env("LANG"));
    resolve_lang(lang, locale.as_deref())
}

fn resolve_lang(lang: Option<Lang>, locale: Option<&str>) -> saebaram_map::Lang {
    match lang {
        Some(Lang::Ko) => saebaram_map::Lang::Ko,
        Some(Lang::En) => saebaram_map::Lang::En,
        None if locale.is_some_and(|l| l.to_ascii_lowercase().starts_with("ko")) => {
            saebaram_map::Lang::Ko
        }
        None => saebaram_map::Lang::En,
    }
}

fn layer(l: Layer) -> anyhow::Result<Value> {
    serde_json::from_str(saebaram_geo::layer_geojson(l))
        .with_context(|| format!("embedded map layer {} is not valid JSON", l.file_name()))
}

/// The embedded layers, with `name_ko`/`name_en` added to cities and provinces where the
/// geo crate knows them.
fn base_map() -> anyhow::Result<saebaram_map::BaseMap> {
    let geo = saebaram_geo::Geo::try_embedded().context("embedded map layers are broken")?;
    let mut cities = layer(Layer::Cities)?;
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
    Ok(saebaram_map::BaseMap {
        countries: Some(layer(Layer::Countries)?),
        provinces: Some(provinces),
        dmz: Some(layer(Layer::Dmz)?),
        borders: Some(layer(Layer::Borders)?),
        coastline: Some(layer(Layer::Coastline)?),
        cities: Some(cities),
    })
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
    fn language_comes_from_flag_then_locale() {
        use saebaram_map::Lang as L;
        assert_eq!(resolve_lang(Some(Lang::En), Some("ko_KR.UTF-8")), L::En);
        assert_eq!(resolve_lang(Some(Lang::Ko), None), L::Ko);
        assert_eq!(resolve_lang(None, Some("ko_KR.UTF-8")), L::Ko);
        assert_eq!(resolve_lang(None, Some("en_US.UTF-8")), L::En);
        assert_eq!(resolve_lang(None, Some("C")), L::En);
        assert_eq!(resolve_lang(None, None), L::En);
    }

    #[test]
    fn base_map_has_every_layer_with_korean_names() {
        let base = base_map().unwrap();
        let cities = base.cities.unwrap();
        let pyongyang = cities["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["NAME"] == "Pyongyang")
            .unwrap();
        assert!(
            pyongyang["properties"]["name_ko"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        let provinces = base.provinces.unwrap();
        assert!(
            provinces["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["properties"]["name_ko"].is_string())
        );
        assert!(base.countries.is_some() && base.dmz.is_some() && base.borders.is_some());
    }
}
