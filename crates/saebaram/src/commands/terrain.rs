//! The ground flights end on, for `predict` and `plan`: the user's DEM (`--terrain DIR`,
//! SRTM `.hgt` tiles, or `$SAEBARAM_TERRAIN_DIR`), else the forecast's model terrain, else
//! sea level; land or sea from the embedded Natural Earth map. This adapter is where the
//! terrain sources and the map meet the flight crate's `Surface` (which knows neither).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use saebaram_flight::{Outcome, Prediction, Surface, WindowRun};
use saebaram_forecast::{Forecast, Terrain, WindField};
use saebaram_geo::Geo;
use saebaram_terrain::{Area, Dem, Elevation};
use serde_json::{Value, json};

/// Which source gave the ground height at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The user's elevation model.
    Dem,
    /// The forecast's model orography.
    Model,
    /// Nothing known: mean sea level.
    SeaLevel,
}

impl Source {
    /// `dem`, `model`, `sea_level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Dem => "dem",
            Source::Model => "model",
            Source::SeaLevel => "sea_level",
        }
    }
}

/// The ground: DEM > model terrain > sea level, and land or sea from the map.
pub struct Ground<'a> {
    map: super::predict::GeoSurface,
    dem: Option<Dem>,
    model: Option<&'a Terrain>,
    model_summary: String,
}

/// The DEM directory: `--terrain DIR`, else `$SAEBARAM_TERRAIN_DIR` (the default for every
/// run: the command line has no configuration file), else none.
pub fn terrain_dir(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf).or_else(|| {
        std::env::var_os("SAEBARAM_TERRAIN_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    })
}

impl<'a> Ground<'a> {
    /// The ground for flights in `forecast`, with the DEM in `dem_dir` if given. A DEM
    /// directory that cannot be read, holds a bad tile, or has no tile in the forecast's
    /// area is an error: a DEM was promised.
    pub fn new(
        geo: &'static Geo,
        forecast: &'a Forecast,
        dem_dir: Option<&Path>,
    ) -> anyhow::Result<Ground<'a>> {
        let c = forecast.coverage();
        let area = if c.lon_max >= c.lon_min {
            Area {
                lat_min: c.lat_min,
                lat_max: c.lat_max,
                lon_min: c.lon_min,
                lon_max: c.lon_max,
            }
        } else {
            // Across the antimeridian: the whole globe (the table is then 180 x 360 cells).
            Area {
                lat_min: -90.0,
                lat_max: 90.0,
                lon_min: -180.0,
                lon_max: 180.0,
            }
        };
        let dem = match dem_dir {
            None => None,
            Some(dir) => {
                let dem = Dem::open(dir, area)
                    .with_context(|| format!("--terrain {}: cannot use this DEM", dir.display()))?;
                if dem.tiles_in_area() == 0 {
                    bail!(
                        "--terrain {}: none of its {} tile(s) ({}) lies in the forecast's area {:.2}..{:.2}N {:.2}..{:.2}E",
                        dir.display(),
                        dem.tiles().len(),
                        dem.tiles()
                            .iter()
                            .take(5)
                            .map(|t| t.id.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        area.lat_min,
                        area.lat_max,
                        area.lon_min,
                        area.lon_max
                    );
                }
                Some(dem)
            }
        };
        Ok(Ground {
            map: super::predict::GeoSurface(geo),
            dem,
            model: forecast.terrain(),
            model_summary: forecast.info().terrain_summary(),
        })
    }

    /// Ground height and its source. Model orography below 0 m (spectral ripples over the
    /// sea) is taken as sea level: the sea surface is never below it.
    #[inline]
    pub fn lookup(&self, lat: f64, lon: f64) -> (f64, Source) {
        if let Some(dem) = &self.dem
            && let Elevation::Metres(h) = dem.elevation(lat, lon)
        {
            return (h, Source::Dem);
        }
        if let Some(h) = self.model.and_then(|m| m.terrain_m(lat, lon)) {
            return (h.max(0.0), Source::Model);
        }
        (0.0, Source::SeaLevel)
    }

    /// What is used, best first: `SRTM DEM DIR (N tiles), then model orography ..., then
    /// sea level`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(dem) = &self.dem {
            parts.push(format!(
                "SRTM DEM {} ({} tile(s) in the forecast area)",
                dem.dir().display(),
                dem.tiles_in_area()
            ));
        }
        if self.model.is_some() {
            parts.push(self.model_summary.clone());
        }
        parts.push("sea level".into());
        parts.join(", then ")
    }

    /// Lines to tell the user where a promised DEM was not used (missing tiles, voids).
    pub fn warnings(&self) -> Vec<String> {
        let Some(dem) = &self.dem else {
            return Vec::new();
        };
        let fb = dem.fallbacks();
        let next = if self.model.is_some() {
            "the model orography (smoothed)"
        } else {
            "SEA LEVEL (this forecast has no model terrain)"
        };
        let mut out = Vec::new();
        if !fb.missing_tiles.is_empty() {
            out.push(format!(
                "terrain: no DEM tile {} in {}: the ground there came from {next}. Add the tile(s) for a real launch.",
                fb.missing_tiles
                    .iter()
                    .map(|t| format!("{t}.hgt"))
                    .collect::<Vec<_>>()
                    .join(", "),
                dem.dir().display()
            ));
        }
        if !fb.void_tiles.is_empty() {
            out.push(format!(
                "terrain: void (no-data) cells in DEM tile(s) {}: the ground there came from {next}",
                fb.void_tiles
                    .iter()
                    .map(|t| format!("{t}.hgt"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if fb.outside_area {
            out.push(format!(
                "terrain: a point outside the forecast area was asked for: the ground there came from {next}"
            ));
        }
        out
    }

    /// The `terrain` object of the JSON output: what was used and where it fell back.
    pub fn json(&self) -> Value {
        let used = if self.dem.is_some() {
            "dem"
        } else if self.model.is_some() {
            "model"
        } else {
            "sea_level"
        };
        let dem = self.dem.as_ref().map(|d| {
            let fb = d.fallbacks();
            let names = |v: &[saebaram_terrain::TileId]| {
                v.iter().map(ToString::to_string).collect::<Vec<_>>()
            };
            json!({
                "dir": d.dir(),
                "tiles": d.tiles().len(),
                "tiles_in_area": d.tiles_in_area(),
                "missing_tiles_used": names(&fb.missing_tiles),
                "void_tiles_used": names(&fb.void_tiles),
                "outside_area_used": fb.outside_area,
            })
        });
        json!({
            "used": used,
            "description": self.describe(),
            "dem": dem,
            "model": self.model.map(|_| self.model_summary.clone()),
            "warnings": self.warnings(),
        })
    }

    /// `{"source", "height_m"}` of the ground under a landing.
    pub fn at_json(&self, lat: f64, lon: f64) -> Value {
        let (h, s) = self.lookup(lat, lon);
        json!({"source": s.as_str(), "height_m": (h * 10.0).round() / 10.0})
    }

    /// How many main landings (ground or sea) of a plan's windows stood on each source.
    pub fn landing_sources(&self, runs: &[WindowRun]) -> Value {
        let mut n = [0u64; 3];
        for m in runs.iter().flat_map(|r| &r.members) {
            if let Some(l) = m
                .landings
                .get(m.primary)
                .filter(|l| l.outcome <= Outcome::Sea)
            {
                n[self.lookup(l.point.lat, l.point.lon).1 as usize] += 1;
            }
        }
        json!({"dem": n[0], "model": n[1], "sea_level": n[2]})
    }

    /// Adds `terrain` (what was used, where it fell back) to `predict`'s JSON, and `ground`
    /// (source and height) to each landing. Call after the flight.
    pub fn annotate_prediction(&self, value: &mut Value, pred: &Prediction) {
        for (i, l) in pred.landings.iter().enumerate() {
            let g = self.at_json(l.point.lat, l.point.lon);
            if let Some(v) = value["landings"].get_mut(i) {
                v["ground"] = g.clone();
            }
            if i == pred.primary && value["landing"].is_object() {
                value["landing"]["ground"] = g;
            }
        }
        value["terrain"] = self.json();
    }

    /// `plan`'s JSON with `terrain` (what was used, where it fell back, and how many main
    /// landings stood on each source). Call after the flights.
    pub fn annotate_plan(&self, mut value: Value, runs: &[WindowRun]) -> Value {
        value["terrain"] = self.json();
        value["terrain"]["landings"] = self.landing_sources(runs);
        value
    }

    /// One line for the human output: `Terrain  ...` plus warnings.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Terrain: {}", self.describe());
        for w in self.warnings() {
            let _ = writeln!(s, "warning: {w}");
        }
        s
    }
}

impl Surface for Ground<'_> {
    #[inline]
    fn ground_m(&self, lat: f64, lon: f64) -> f64 {
        self.lookup(lat, lon).0
    }

    fn is_sea(&self, lat: f64, lon: f64) -> Option<bool> {
        self.map.is_sea(lat, lon)
    }
}
