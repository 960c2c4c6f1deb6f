//! The ground flights end on: the user's DEM (SRTM `.hgt` tiles), else the forecast's
//! model terrain, else sea level; land or sea from the embedded Natural Earth map. This is
//! where the terrain sources and the map meet the flight crate's [`Surface`] (which knows
//! neither), and where the report says which source each landing stood on.

use std::path::{Path, PathBuf};

use saebaram_flight::{Outcome, Surface, WindowRun};
use saebaram_forecast::{Forecast, Terrain, WindField};
use saebaram_geo::{Geo, Region};
use saebaram_terrain::{Area, Dem, Elevation};
use serde::Serialize;

use crate::Error;
use crate::progress::{Fallback, Warning, warning_texts};

/// Which source gave the ground height at a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroundSource {
    /// The user's elevation model.
    Dem,
    /// The forecast's model orography.
    Model,
    /// Nothing known: mean sea level.
    SeaLevel,
}

/// The ground: DEM > model terrain > sea level, and land or sea from the map.
pub(crate) struct Ground<'a> {
    geo: &'static Geo,
    dem: Option<Dem>,
    model: Option<&'a Terrain>,
    model_summary: String,
}

/// The ground under one landing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroundAt {
    /// Where the height came from.
    pub source: GroundSource,
    /// Ground height, m above sea level, to 0.1 m.
    pub height_m: f64,
}

/// The DEM part of [`TerrainReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemReport {
    /// The tile directory.
    pub dir: PathBuf,
    /// Tiles in it.
    pub tiles: usize,
    /// Tiles inside the forecast's area.
    pub tiles_in_area: usize,
    /// Tiles lookups wanted and the directory lacks.
    pub missing_tiles_used: Vec<String>,
    /// Tiles whose void cells lookups met.
    pub void_tiles_used: Vec<String>,
    /// Whether a lookup fell outside the forecast's area.
    pub outside_area_used: bool,
}

/// How many main landings (ground or sea) stood on each source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LandingSources {
    /// On the DEM.
    pub dem: u64,
    /// On the model terrain.
    pub model: u64,
    /// At sea level.
    pub sea_level: u64,
}

/// The `terrain` object of a report: what the flights ended on and where it fell back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TerrainReport {
    /// The best source available.
    pub used: GroundSource,
    /// What is used, best first (`SRTM DEM DIR (N tile(s) ...), then ..., then sea level`).
    pub description: String,
    /// The DEM, if one was given.
    pub dem: Option<DemReport>,
    /// The model terrain's summary, if the forecast has one.
    pub model: Option<String>,
    /// Where a promised DEM was not used (missing tiles, voids); English texts in JSON.
    #[serde(serialize_with = "warning_texts")]
    pub warnings: Vec<Warning>,
    /// Plans only: main landings per source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landings: Option<LandingSources>,
}

/// The area a forecast covers, for the DEM's lookup table.
fn forecast_area(forecast: &Forecast) -> Area {
    let c = forecast.coverage();
    if c.lon_max >= c.lon_min {
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
    }
}

impl<'a> Ground<'a> {
    /// The ground for flights in `forecast`, with the DEM in `dem_dir` if given. A DEM
    /// directory that cannot be read, holds a bad tile, or has no tile in the forecast's
    /// area is an error: a DEM was promised.
    pub(crate) fn new(
        geo: &'static Geo,
        forecast: &'a Forecast,
        dem_dir: Option<&Path>,
    ) -> Result<Ground<'a>, Error> {
        let area = forecast_area(forecast);
        let dem = match dem_dir {
            None => None,
            Some(dir) => {
                let dem = Dem::open(dir, area).map_err(|source| Error::Terrain {
                    context: format!("--terrain {}: cannot use this DEM", dir.display()),
                    source,
                })?;
                if dem.tiles_in_area() == 0 {
                    return Err(Error::DemOutsideForecast {
                        dir: dir.to_path_buf(),
                        tiles: dem.tiles().len(),
                        examples: dem
                            .tiles()
                            .iter()
                            .take(5)
                            .map(|t| t.id.to_string())
                            .collect(),
                        area: [area.lat_min, area.lat_max, area.lon_min, area.lon_max],
                    });
                }
                Some(dem)
            }
        };
        Ok(Ground {
            geo,
            dem,
            model: forecast.terrain(),
            model_summary: forecast.info().terrain_summary(),
        })
    }

    /// Ground height and its source. Model orography below 0 m (spectral ripples over the
    /// sea) is taken as sea level: the sea surface is never below it.
    #[inline]
    pub(crate) fn lookup(&self, lat: f64, lon: f64) -> (f64, GroundSource) {
        if let Some(dem) = &self.dem
            && let Elevation::Metres(h) = dem.elevation(lat, lon)
        {
            return (h, GroundSource::Dem);
        }
        if let Some(h) = self.model.and_then(|m| m.terrain_m(lat, lon)) {
            return (h.max(0.0), GroundSource::Model);
        }
        (0.0, GroundSource::SeaLevel)
    }

    /// The ground under a landing, to 0.1 m.
    pub(crate) fn at(&self, lat: f64, lon: f64) -> GroundAt {
        let (h, source) = self.lookup(lat, lon);
        GroundAt {
            source,
            height_m: (h * 10.0).round() / 10.0,
        }
    }

    fn describe(&self) -> String {
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

    fn warnings(&self) -> Vec<Warning> {
        let Some(dem) = &self.dem else {
            return Vec::new();
        };
        let fb = dem.fallbacks();
        let fallback = if self.model.is_some() {
            Fallback::ModelOrography
        } else {
            Fallback::SeaLevel
        };
        let names = |v: &[saebaram_terrain::TileId]| v.iter().map(ToString::to_string).collect();
        let mut out = Vec::new();
        if !fb.missing_tiles.is_empty() {
            out.push(Warning::TerrainMissingTiles {
                tiles: names(&fb.missing_tiles),
                dir: dem.dir().to_path_buf(),
                fallback,
            });
        }
        if !fb.void_tiles.is_empty() {
            out.push(Warning::TerrainVoidTiles {
                tiles: names(&fb.void_tiles),
                fallback,
            });
        }
        if fb.outside_area {
            out.push(Warning::TerrainOutsideArea { fallback });
        }
        out
    }

    /// What was used and where it fell back. Call after the flights: the DEM's fallbacks
    /// are recorded as lookups meet them.
    pub(crate) fn report(&self) -> TerrainReport {
        let used = if self.dem.is_some() {
            GroundSource::Dem
        } else if self.model.is_some() {
            GroundSource::Model
        } else {
            GroundSource::SeaLevel
        };
        let dem = self.dem.as_ref().map(|d| {
            let fb = d.fallbacks();
            let names =
                |v: &[saebaram_terrain::TileId]| v.iter().map(ToString::to_string).collect();
            DemReport {
                dir: d.dir().to_path_buf(),
                tiles: d.tiles().len(),
                tiles_in_area: d.tiles_in_area(),
                missing_tiles_used: names(&fb.missing_tiles),
                void_tiles_used: names(&fb.void_tiles),
                outside_area_used: fb.outside_area,
            }
        });
        TerrainReport {
            used,
            description: self.describe(),
            dem,
            model: self.model.map(|_| self.model_summary.clone()),
            warnings: self.warnings(),
            landings: None,
        }
    }

    /// How many main landings (ground or sea) of a plan's windows stood on each source.
    pub(crate) fn landing_sources(&self, runs: &[WindowRun]) -> LandingSources {
        let mut n = LandingSources::default();
        for m in runs.iter().flat_map(|r| &r.members) {
            if let Some(l) = m
                .landings
                .get(m.primary)
                .filter(|l| l.outcome <= Outcome::Sea)
            {
                match self.lookup(l.point.lat, l.point.lon).1 {
                    GroundSource::Dem => n.dem += 1,
                    GroundSource::Model => n.model += 1,
                    GroundSource::SeaLevel => n.sea_level += 1,
                }
            }
        }
        n
    }
}

impl Surface for Ground<'_> {
    #[inline]
    fn ground_m(&self, lat: f64, lon: f64) -> f64 {
        self.lookup(lat, lon).0
    }

    fn is_sea(&self, lat: f64, lon: f64) -> Option<bool> {
        match self.geo.classify(lat, lon) {
            Region::OutsideMap => None,
            Region::Sea => Some(true),
            _ => Some(false),
        }
    }
}

/// The DEM directory of a request: its own, else the face's default.
pub(crate) fn dem_dir<'a>(request: Option<&'a Path>, env: &'a crate::Env) -> Option<&'a Path> {
    request.or(env.terrain_dir.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_sample_has_no_terrain_so_flights_end_at_sea_level() {
        let f = Forecast::embedded().unwrap();
        let g = Ground::new(Geo::embedded(), &f, None).unwrap();
        assert_eq!(g.lookup(37.9, 126.7), (0.0, GroundSource::SeaLevel));
        let r = g.report();
        assert_eq!(r.used, GroundSource::SeaLevel);
        assert_eq!(r.description, "sea level");
        assert!(r.warnings.is_empty());
        assert_eq!(g.is_sea(37.9, 126.7), Some(false));
        assert_eq!(g.is_sea(37.0, 124.0), Some(true));
        assert_eq!(g.is_sea(10.0, 10.0), None);
    }

    #[test]
    fn a_dem_directory_without_tiles_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = Forecast::embedded().unwrap();
        let e = Ground::new(Geo::embedded(), &f, Some(dir.path()))
            .err()
            .expect("an empty DEM directory is refused");
        assert!(
            matches!(
                e.kind(),
                crate::ErrorKind::Terrain | crate::ErrorKind::DemOutsideForecast
            ),
            "{e}"
        );
        assert!(
            e.to_string().contains(&dir.path().display().to_string()),
            "{e}"
        );
    }
}
