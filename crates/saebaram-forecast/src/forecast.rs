//! [`Forecast`]: a wind cube plus what it is (source, credit, run, inventory, what was
//! derived), opened from whatever the user has.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cube::{Cube, Grid, Sample};
use crate::error::{ForecastError, Result};
use crate::grib2::{Assembly, Derivation, FieldInfo};
use crate::region::Region;
use crate::terrain::{Terrain, TerrainInfo};
use crate::{Coverage, OutOfDomain, Wind, WindField, cache, tawhiri, time};

/// The embedded sample's bytes: JMA MEPS analysis of 2019-06-05 00Z (see `data/SOURCES.md`).
pub static EMBEDDED_GRIB2: &[u8] =
    include_bytes!("../data/jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2");
/// The name the embedded sample goes by in messages.
pub const EMBEDDED_NAME: &str = "embedded sample jma_meps_rjp_pall_20190605T00Z_f000_sub20.grib2";
/// One line for users of the embedded sample.
pub const EMBEDDED_CAVEAT: &str = "using the built-in JMA MEPS sample of 2019-06-05 00:00 UTC: a 2019 sample, NOT today's \
weather; one analysis time, so the wind is held steady at every hour. Fetch a real forecast with `saebaram forecast fetch gfs`.";

/// Where a forecast came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The sample built into the binary.
    Embedded,
    /// One GRIB2 file or a directory of them.
    Grib2,
    /// A saebaram cache file.
    Cache,
    /// A tawhiri dataset file.
    Tawhiri,
}

/// Everything known about a forecast besides its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastInfo {
    /// What kind of input it was read from.
    pub kind: SourceKind,
    /// The model, e.g. `JMA (centre 34)`, `NCEP GFS (centre 7)`.
    pub source: String,
    /// The credit line its licence asks for.
    pub credit: String,
    /// The file(s) or dataset it was read from.
    pub origin: String,
    /// Model run (reference time), seconds since the epoch.
    pub run_unix_s: i64,
    /// Valid times, seconds since the epoch.
    pub valid_unix_s: Vec<i64>,
    /// Pressure levels with winds, hPa, bottom up.
    pub levels_hpa: Vec<f64>,
    /// The grid after cropping.
    pub grid: Grid,
    /// The region it was cropped to (`None` for a tawhiri dataset: global).
    pub region: Option<Region>,
    /// True when the cube holds temperatures (density from T and p); false: ISA density.
    pub has_temperature: bool,
    /// Highest altitude the data reach everywhere, metres.
    pub alt_max_m: f64,
    /// Heights and densities that were derived, level by level.
    pub derived: Vec<Derivation>,
    /// Every field of the input (GRIB2 only), used or not.
    pub inventory: Vec<FieldInfo>,
    /// True for the built-in 2019 sample.
    pub embedded_sample: bool,
    /// The model terrain the forecast carries (`None`: none; the ground is then sea level
    /// unless the caller has an elevation model). Absent in caches of format version 1.
    #[serde(default)]
    pub terrain: Option<TerrainInfo>,
    /// Why a terrain field of the input was not used (another grid, missing points, ...).
    #[serde(default)]
    pub terrain_notes: Vec<String>,
}

impl ForecastInfo {
    /// True for the built-in 2019 sample (callers must say so to their users).
    pub fn is_embedded_sample(&self) -> bool {
        self.embedded_sample
    }
    /// True if there is one valid time only: the field is then steady (valid at any time).
    pub fn is_steady(&self) -> bool {
        self.valid_unix_s.len() == 1
    }
    /// Forecast steps, hours after the run.
    pub fn steps_h(&self) -> Vec<f64> {
        self.valid_unix_s
            .iter()
            .map(|t| (t - self.run_unix_s) as f64 / 3600.0)
            .collect()
    }
    /// The run as `YYYYMMDDHH`.
    pub fn run_name(&self) -> String {
        time::format_run(self.run_unix_s)
    }
    /// One line on the terrain: `model orography at 0.25°, smoothed (...)` or
    /// `none, sea level`.
    pub fn terrain_summary(&self) -> String {
        match &self.terrain {
            Some(t) => t.describe(&self.grid),
            None => "none, sea level".into(),
        }
    }
}

/// How to open a forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenOptions {
    /// Region GRIB2 input is cropped to (cache files and tawhiri datasets are used as they are).
    pub region: Region,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            region: Region::KOREA,
        }
    }
}

/// A forecast: its cube, its model terrain if any, and its description. Implements
/// [`WindField`].
pub struct Forecast {
    pub(crate) cube: Cube,
    pub(crate) info: ForecastInfo,
    pub(crate) terrain: Option<Terrain>,
}

impl std::fmt::Debug for Forecast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forecast")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

pub(crate) fn source_of(centre: Option<u16>) -> (String, String) {
    match centre {
        Some(34) => (
            "JMA (centre 34, rjtd)".into(),
            "Source: Japan Meteorological Agency".into(),
        ),
        Some(7) => (
            "NOAA NCEP GFS (centre 7, kwbc)".into(),
            "NOAA/NCEP GFS, public domain".into(),
        ),
        Some(98) => ("ECMWF (centre 98)".into(), "© ECMWF, CC BY 4.0".into()),
        Some(c) => (
            format!("GRIB2 centre {c}"),
            format!("data of GRIB2 originating centre {c}: check its licence"),
        ),
        None => ("unknown".into(), "unknown source: check its licence".into()),
    }
}

impl Forecast {
    /// The JMA MEPS sample of 2019-06-05 00Z built into the binary, cropped to the Korea box.
    /// A single time: its coverage is `steady`. Not today's weather: tell the user
    /// ([`EMBEDDED_CAVEAT`]).
    pub fn embedded() -> Result<Forecast> {
        let mut f = Self::from_grib2_bytes(EMBEDDED_GRIB2, EMBEDDED_NAME, Region::KOREA)?;
        f.info.kind = SourceKind::Embedded;
        f.info.embedded_sample = true;
        Ok(f)
    }

    /// A forecast from the bytes of one GRIB2 file; `label` names it in messages.
    pub fn from_grib2_bytes(bytes: &[u8], label: &str, region: Region) -> Result<Forecast> {
        let mut a = Assembly::new(label, region);
        a.add(bytes, label)?;
        Self::from_assembly(a, label.to_string(), region)
    }

    /// A forecast from several GRIB2 files (e.g. one per step) of one run.
    pub fn from_grib2_files(files: &[PathBuf], region: Region) -> Result<Forecast> {
        let origin = files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut a = Assembly::new(origin.clone(), region);
        for p in files {
            let bytes =
                std::fs::read(p).map_err(|e| ForecastError::io(p.display(), "cannot read", e))?;
            a.add(&bytes, &p.display().to_string())?;
        }
        Self::from_assembly(a, origin, region)
    }

    fn from_assembly(a: Assembly, origin: String, region: Region) -> Result<Forecast> {
        let built = a.finish()?;
        let (source, credit) = source_of(built.centre);
        let info = ForecastInfo {
            kind: SourceKind::Grib2,
            source,
            credit,
            origin,
            run_unix_s: built.run_unix_s,
            valid_unix_s: built.cube.times().to_vec(),
            levels_hpa: built.cube.levels_hpa().to_vec(),
            grid: built.cube.grid(),
            region: Some(region),
            has_temperature: built
                .derived
                .iter()
                .all(|d| !d.note.starts_with("no temperature")),
            alt_max_m: built.cube.alt_max_m(),
            derived: built.derived,
            inventory: built.inventory,
            embedded_sample: false,
            terrain: built.terrain.as_ref().map(|t| t.1.clone()),
            terrain_notes: built.terrain_notes,
        };
        Ok(Forecast {
            cube: built.cube,
            info,
            terrain: built.terrain.map(|t| t.0),
        })
    }

    /// A forecast from values already laid out as the cache body:
    /// `values[(((time * nlat + lat) * nlon + lon) * levels + level) * 4 + var]` with var
    /// 0=u, 1=v (m/s), 2=geopotential height (m), 3=temperature (K, NaN if unknown); rows
    /// south to north, columns west to east, levels bottom up (pressure decreasing). For
    /// generated fields (benchmarks, tests) and tools that decode elsewhere.
    pub fn from_values(
        source: &str,
        run_unix_s: i64,
        valid_unix_s: Vec<i64>,
        levels_hpa: Vec<f64>,
        grid: Grid,
        values: Vec<f32>,
    ) -> Result<Forecast> {
        let has_temperature = values.chunks_exact(4).any(|c| c[3].is_finite());
        let cube = Cube::from_native(valid_unix_s, levels_hpa, grid, values).map_err(|detail| {
            ForecastError::Cube {
                file: source.to_string(),
                field: "values".into(),
                detail,
            }
        })?;
        let info = ForecastInfo {
            kind: SourceKind::Grib2,
            source: source.to_string(),
            credit: String::new(),
            origin: source.to_string(),
            run_unix_s,
            valid_unix_s: cube.times().to_vec(),
            levels_hpa: cube.levels_hpa().to_vec(),
            grid,
            region: None,
            has_temperature,
            alt_max_m: cube.alt_max_m(),
            derived: Vec::new(),
            inventory: Vec::new(),
            embedded_sample: false,
            terrain: None,
            terrain_notes: Vec::new(),
        };
        Ok(Forecast {
            cube,
            info,
            terrain: None,
        })
    }

    /// This forecast with a model terrain on its grid (generated fields, tests); `field`
    /// says where it came from.
    pub fn with_terrain(mut self, terrain: Terrain, field: &str) -> Result<Forecast> {
        if terrain.grid() != self.cube.grid() {
            return Err(ForecastError::Cube {
                file: self.info.origin.clone(),
                field: "terrain".into(),
                detail: format!(
                    "terrain grid {} differs from the wind grid {}",
                    terrain.grid(),
                    self.cube.grid()
                ),
            });
        }
        let (min_m, max_m) = terrain.range_m();
        self.info.terrain = Some(TerrainInfo {
            field: field.to_string(),
            conversion: "metres as given".into(),
            step_h: None,
            min_m,
            max_m,
        });
        self.terrain = Some(terrain);
        Ok(self)
    }

    /// Opens a GRIB2 file, a directory of GRIB2 files, a cache file or a tawhiri dataset
    /// (file named `YYYYMMDDHH`), cropping GRIB2 input to the Korea box.
    pub fn open(path: &Path) -> Result<Forecast> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// [`Forecast::open`] with options.
    pub fn open_with(path: &Path, opts: &OpenOptions) -> Result<Forecast> {
        let meta = std::fs::metadata(path)
            .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            let rd = std::fs::read_dir(path)
                .map_err(|e| ForecastError::io(path.display(), "cannot list", e))?;
            for entry in rd {
                let entry =
                    entry.map_err(|e| ForecastError::io(path.display(), "cannot list", e))?;
                let p = entry.path();
                if p.is_file() && sniff(&p)? == Sniff::Grib {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(ForecastError::Grib {
                    file: path.display().to_string(),
                    field: "directory".into(),
                    detail: "holds no GRIB2 file".into(),
                });
            }
            return Self::from_grib2_files(&files, opts.region);
        }
        match sniff(path)? {
            Sniff::Grib => Self::from_grib2_files(&[path.to_path_buf()], opts.region),
            Sniff::Cache => cache::open(path, true),
            Sniff::Other => {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if time::parse_run(name).is_some() {
                    tawhiri::open(path)
                } else {
                    Err(ForecastError::Grib {
                        file: path.display().to_string(),
                        field: "file type".into(),
                        detail: "neither GRIB2 (no \"GRIB\" at the start), a saebaram cache file, nor a tawhiri dataset \
                                 (a file named YYYYMMDDHH)"
                            .into(),
                    })
                }
            }
        }
    }

    /// What this forecast is.
    pub fn info(&self) -> &ForecastInfo {
        &self.info
    }

    /// The wind cube.
    pub fn cube(&self) -> &Cube {
        &self.cube
    }

    /// The model terrain, if the forecast carries one.
    pub fn terrain(&self) -> Option<&Terrain> {
        self.terrain.as_ref()
    }

    /// Model terrain height at a point, bilinear, metres above mean sea level (as the model
    /// has it: smoothed, and possibly below 0 over the sea); `None` without terrain or
    /// outside the grid.
    pub fn terrain_m(&self, lat: f64, lon: f64) -> Option<f64> {
        self.terrain.as_ref()?.terrain_m(lat, lon)
    }

    /// Interpolated values at an altitude (metres above mean sea level).
    pub fn sample_alt(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        alt_m: f64,
    ) -> Result<Sample, OutOfDomain> {
        self.cube.sample_alt(t_unix_s, lat, lon, alt_m)
    }

    /// Interpolated values on a pressure level the forecast holds (hPa).
    pub fn sample_level(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        level_hpa: f64,
    ) -> Result<Sample> {
        let idx = self.cube.levels_hpa().iter().position(|p| (p - level_hpa).abs() < 1e-6).ok_or_else(|| {
            ForecastError::Query {
                file: self.info.origin.clone(),
                detail: format!(
                    "no winds on {level_hpa} hPa; levels with winds: {} hPa (use --alt for heights in between)",
                    self.cube.levels_hpa().iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                ),
            }
        })?;
        self.cube
            .sample_level(t_unix_s, lat, lon, idx)
            .map_err(|e| ForecastError::Query {
                file: self.info.origin.clone(),
                detail: e.to_string(),
            })
    }

    /// The cache file name of this run: `<source>-<YYYYMMDDHH>.swc`.
    pub fn cache_file_name(&self) -> String {
        let slug: String = self
            .info
            .source
            .split_whitespace()
            .take(if self.info.source.starts_with("NOAA") {
                3
            } else {
                1
            })
            .last()
            .unwrap_or("forecast")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("{slug}-{}.swc", self.info.run_name())
    }

    /// Writes this forecast into `dir` (created if needed) as a cache file, atomically;
    /// returns its path.
    pub fn write_cache(&self, dir: &Path) -> Result<PathBuf> {
        let path = dir.join(self.cache_file_name());
        cache::write(self, &path)?;
        Ok(path)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Sniff {
    Grib,
    Cache,
    Other,
}

fn sniff(path: &Path) -> Result<Sniff> {
    use std::io::Read;
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path)
        .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ForecastError::io(path.display(), "cannot read", e)),
        }
    }
    Ok(if head.starts_with(b"GRIB") {
        Sniff::Grib
    } else if head == *cache::MAGIC {
        Sniff::Cache
    } else {
        Sniff::Other
    })
}

impl WindField for Forecast {
    #[inline]
    fn wind(&self, t_unix_s: f64, lat: f64, lon: f64, alt_m: f64) -> Result<Wind, OutOfDomain> {
        self.cube.wind_at(t_unix_s, lat, lon, alt_m)
    }

    #[inline]
    fn wind_uv(
        &self,
        t_unix_s: f64,
        lat: f64,
        lon: f64,
        alt_m: f64,
    ) -> Result<(f64, f64), OutOfDomain> {
        self.cube.wind_uv_at(t_unix_s, lat, lon, alt_m)
    }

    fn coverage(&self) -> Coverage {
        let g = self.cube.grid();
        let times = self.cube.times();
        let (t0, t1) = (
            times.first().copied().unwrap_or(0) as f64,
            times.last().copied().unwrap_or(0) as f64,
        );
        let norm = |x: f64| (x + 180.0).rem_euclid(360.0) - 180.0;
        let (lon_min, lon_max) = if g.wraps() {
            (-180.0, 180.0)
        } else {
            (norm(g.lon0), norm(g.lon_max()))
        };
        Coverage {
            time_start_unix_s: t0,
            time_end_unix_s: t1,
            steady: times.len() == 1,
            lat_min: g.lat0,
            lat_max: g.lat_max(),
            lon_min,
            lon_max,
            alt_max_m: self.cube.alt_max_m(),
        }
    }
}
