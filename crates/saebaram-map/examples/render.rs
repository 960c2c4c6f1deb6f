//! Renders a plan or prediction JSON file to an HTML page, with the base map read from a
//! directory of Natural Earth GeoJSON files (the layout of `crates/saebaram-geo/data`). For looking at
//! pages and for `bench/map`; users run `saebaram plan --html` instead.
//!
//! usage: render plan|prediction IN.json OUT.html [ko|en] [GEO_DIR]

use std::path::Path;

use saebaram_map::{BaseMap, Lang};

/// A layer of the base map; a missing or broken file is an error, never an empty layer.
fn layer(dir: &Path, name: &str) -> Result<Option<serde_json::Value>, Box<dyn std::error::Error>> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    let value = serde_json::from_str(&text).map_err(|e| format!("`{}`: {e}", path.display()))?;
    Ok(Some(value))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: render plan|prediction IN.json OUT.html [ko|en] [GEO_DIR]".into());
    }
    let input: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&args[2])?)?;
    let lang = if args.get(4).map(String::as_str) == Some("ko") {
        Lang::Ko
    } else {
        Lang::En
    };
    let base = match args.get(5) {
        Some(d) => {
            let d = Path::new(d);
            BaseMap {
                countries: layer(d, "admin0_korea_region.geojson")?,
                provinces: layer(d, "nk_admin1_provinces.geojson")?,
                dmz: layer(d, "korean_dmz.geojson")?,
                borders: layer(d, "nk_land_borders.geojson")?,
                coastline: layer(d, "coastline_korea_region.geojson")?,
                cities: layer(d, "populated_places_korea_region.geojson")?,
                places: None,
            }
        }
        None => BaseMap::default(),
    };
    let page = if args[1] == "plan" {
        saebaram_map::plan_page(&input, &base, lang)?
    } else {
        saebaram_map::prediction_page(&input, &base, lang)?
    };
    saebaram_map::write_atomically(Path::new(&args[3]), &page)?;
    Ok(())
}
