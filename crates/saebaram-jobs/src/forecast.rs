//! Forecasts as a person names them (a file or directory, a cached run by name or
//! `latest`, or nothing: the embedded 2019 sample), and the forecast jobs: `info`,
//! `sample`, `list` the cache, `import` GRIB2 files into it, `fetch` a run (the download
//! itself is `saebaram_forecast::fetch`, the only code that opens a socket).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use saebaram_forecast::fetch::{self, Model};
use saebaram_forecast::terrain::TerrainInfo;
use saebaram_forecast::time::{format_rfc3339, format_run};
use saebaram_forecast::{
    Coverage, Derivation, FieldInfo, Forecast, ForecastInfo, Grid, MemberInfo, OpenOptions, Region,
    SourceKind, WindField, cache,
};
use serde::{Deserialize, Serialize};

use crate::progress::{Event, Progress, Stage, Unit, Warning, check};
use crate::{Env, Error};

/// Opens the forecast a person named: an existing path (GRIB2 file or directory, cache
/// file, tawhiri dataset; GRIB2 cropped to `region`), else a run in the cache by its name
/// (`gfs-2026112900`, `2026112900`) or `latest`; `None` is the embedded sample.
pub fn open(name: Option<&str>, region: Region, env: &Env) -> Result<Forecast, Error> {
    let Some(name) = name else {
        return Forecast::embedded().map_err(|source| Error::Forecast {
            context: "cannot decode the built-in forecast sample".into(),
            source,
        });
    };
    let path = Path::new(name);
    if path.exists() {
        return Forecast::open_with(path, &OpenOptions { region }).map_err(|source| {
            Error::Forecast {
                context: format!("cannot use forecast {name}"),
                source,
            }
        });
    }
    let dir = env.forecast_cache(None)?;
    let p = find_cached(&dir, name)?;
    Forecast::open(&p).map_err(|source| Error::Forecast {
        context: format!("cannot use cached forecast {}", p.display()),
        source,
    })
}

/// The cache file of a run named `name` (or `latest`) in `dir`.
fn find_cached(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    let entries = cache::list(dir).map_err(|source| Error::Forecast {
        context: format!("cannot list the cache {}", dir.display()),
        source,
    })?;
    let stem = |p: &Path| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string()
    };
    let found = if name == "latest" {
        entries
            .iter()
            .filter_map(|e| e.header.as_ref().ok().map(|h| (h.run_unix_s, &e.path)))
            .max_by_key(|(run, _)| *run)
            .map(|(_, p)| p.clone())
    } else {
        let matching: Vec<&PathBuf> = entries
            .iter()
            .map(|e| &e.path)
            .filter(|p| stem(p) == name || stem(p).ends_with(&format!("-{name}")))
            .collect();
        if matching.len() > 1 {
            return Err(Error::ForecastAmbiguous {
                name: name.to_string(),
                dir: dir.to_path_buf(),
                candidates: matching.iter().map(|p| stem(p)).collect(),
            });
        }
        matching.first().map(|p| (*p).clone())
    };
    found.ok_or_else(|| Error::ForecastNotFound {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        runs: entries.len(),
    })
}

/// The `forecast` object of a plan or a prediction: which forecast the flights flew in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSummary {
    /// Its source (`GFS`, `JMA (centre 34, rjtd)`).
    pub source: String,
    /// The credit line to show with any result.
    pub credit: String,
    /// The file, directory or dataset it came from.
    pub origin: String,
    /// Run time, RFC 3339.
    pub run_time: String,
    /// True for the embedded sample or any one-time forecast held steady.
    pub steady_sample: bool,
    /// First valid time.
    pub valid_from: Option<String>,
    /// Last valid time.
    pub valid_to: Option<String>,
    /// The perturbation numbers of an ensemble forecast's members, in the order flights
    /// cycle through them (empty: a deterministic forecast).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<u32>,
}

impl ForecastSummary {
    /// The summary of `f`.
    pub fn of(f: &Forecast) -> ForecastSummary {
        let info = f.info();
        ForecastSummary {
            source: info.source.clone(),
            credit: info.credit.clone(),
            origin: info.origin.clone(),
            run_time: format_rfc3339(info.run_unix_s),
            steady_sample: info.is_embedded_sample() || info.is_steady(),
            valid_from: info.valid_unix_s.first().map(|t| format_rfc3339(*t)),
            valid_to: info.valid_unix_s.last().map(|t| format_rfc3339(*t)),
            members: info.members.iter().map(|m| m.number).collect(),
        }
    }
}

/// The note flights in `f` deserve: the embedded 2019 sample, or one time held steady.
pub(crate) fn steady_warning(f: &Forecast) -> Option<crate::Warning> {
    let info = f.info();
    if info.is_embedded_sample() {
        Some(crate::Warning::EmbeddedSampleFlight {
            source: info.source.clone(),
            run_time: format_rfc3339(info.run_unix_s),
        })
    } else if info.is_steady() {
        Some(crate::Warning::SteadyForecast)
    } else {
        None
    }
}

fn embedded_caveat(name: Option<&str>, progress: &dyn Progress) {
    if name.is_none() {
        progress.event(Event::Warning {
            warning: Warning::EmbeddedSample,
        });
    }
}

/// Which forecast to describe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InfoRequest {
    /// A path or cached run (default: the embedded sample).
    pub forecast: Option<String>,
    /// Where GRIB2 input is cropped to.
    pub region: Region,
}

impl Default for InfoRequest {
    fn default() -> Self {
        InfoRequest {
            forecast: None,
            region: Region::KOREA,
        }
    }
}

/// A forecast's inventory: the `forecast info --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct InfoReport {
    /// Where it came from.
    pub forecast: String,
    /// GRIB2, cache, tawhiri, embedded.
    pub kind: SourceKind,
    /// Its source.
    pub source: String,
    /// Its credit line.
    pub credit: String,
    /// The built-in 2019 sample (not today's weather).
    pub embedded_sample: bool,
    /// Run time, RFC 3339.
    pub run: String,
    /// `gfs-2026112900`.
    pub run_name: String,
    /// One time, held steady.
    pub steady: bool,
    /// Forecast steps, hours after the run.
    pub steps_h: Vec<f64>,
    /// Valid times, RFC 3339.
    pub valid_times: Vec<String>,
    /// Pressure levels, hPa.
    pub levels_hpa: Vec<f64>,
    /// The grid.
    pub grid: Grid,
    /// The region GRIB2 was cropped to.
    pub region: Option<Region>,
    /// Whether it was cropped (a global dataset is not).
    pub region_covered: bool,
    /// Times, area and heights covered.
    pub coverage: Coverage,
    /// Whether it has temperatures.
    pub has_temperature: bool,
    /// The lowest height of the top level, m.
    pub alt_max_m: f64,
    /// Its model terrain.
    pub terrain: Option<TerrainInfo>,
    /// One line about the terrain.
    pub terrain_summary: String,
    /// Why a terrain field was not used.
    pub terrain_notes: Vec<String>,
    /// What was derived, level by level.
    pub derived: Vec<Derivation>,
    /// Every GRIB2 field, used or not.
    pub fields: Vec<FieldInfo>,
    /// An ensemble forecast's members (perturbation number and kind), in order; empty for
    /// a deterministic forecast.
    pub members: Vec<MemberInfo>,
    /// How many forecasts the ensemble has, as the GRIB2 says (more than `members` when a
    /// subset was kept).
    pub ensemble_size: Option<u32>,
    /// The whole description, for faces that render more.
    #[serde(skip)]
    pub info: ForecastInfo,
}

/// Describes a forecast.
pub fn info(req: InfoRequest, env: &Env, progress: &dyn Progress) -> Result<InfoReport, Error> {
    embedded_caveat(req.forecast.as_deref(), progress);
    let f = open(req.forecast.as_deref(), req.region, env)?;
    let i = f.info();
    Ok(InfoReport {
        forecast: i.origin.clone(),
        kind: i.kind,
        source: i.source.clone(),
        credit: i.credit.clone(),
        embedded_sample: i.is_embedded_sample(),
        run: format_rfc3339(i.run_unix_s),
        run_name: i.run_name(),
        steady: i.is_steady(),
        steps_h: i.steps_h(),
        valid_times: i.valid_unix_s.iter().map(|t| format_rfc3339(*t)).collect(),
        levels_hpa: i.levels_hpa.clone(),
        grid: i.grid,
        region: i.region,
        region_covered: i.region.is_some(),
        coverage: f.coverage(),
        has_temperature: i.has_temperature,
        alt_max_m: i.alt_max_m,
        terrain: i.terrain.clone(),
        terrain_summary: i.terrain_summary(),
        terrain_notes: i.terrain_notes.clone(),
        derived: i.derived.clone(),
        fields: i.inventory.clone(),
        members: i.members.clone(),
        ensemble_size: i.ensemble_size,
        info: i.clone(),
    })
}

/// One point to sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRequest {
    /// A path or cached run (default: the embedded sample).
    pub forecast: Option<String>,
    /// Where GRIB2 input is cropped to.
    pub region: Region,
    /// Latitude.
    pub lat: f64,
    /// Longitude (-180..180 or 0..360).
    pub lon: f64,
    /// A pressure level the forecast holds, hPa.
    pub level_hpa: Option<f64>,
    /// Or an altitude, m.
    pub alt_m: Option<f64>,
    /// Valid time, UNIX s (default: the first).
    pub time_unix_s: Option<i64>,
}

/// The forecast at one point: the `forecast sample --json` schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleReport {
    /// East wind, m/s.
    pub u: f64,
    /// North wind, m/s.
    pub v: f64,
    /// Height, m.
    pub height_m: f64,
    /// Pressure, hPa.
    pub pressure_hpa: f64,
    /// Temperature, K, when the forecast has it.
    pub temperature_k: Option<f64>,
    /// Air density, kg/m³.
    pub density_kg_m3: f64,
    /// Wind speed, m/s.
    pub speed_m_s: f64,
    /// Where the wind blows from, degrees clockwise from north.
    pub from_deg: f64,
    /// Below the lowest level: its wind is held.
    pub below_lowest_level: bool,
    /// Latitude.
    pub lat: f64,
    /// Longitude (-180..180).
    pub lon: f64,
    /// The level asked for.
    pub level_hpa: Option<f64>,
    /// The altitude asked for.
    pub alt_m: Option<f64>,
    /// Valid time, RFC 3339.
    pub time: String,
    /// Which forecast.
    pub forecast: String,
    /// Its run, RFC 3339.
    pub run: String,
    /// One time held steady.
    pub steady: bool,
    /// The built-in sample.
    pub embedded_sample: bool,
    /// Credit line.
    pub credit: String,
    /// Its source.
    #[serde(skip)]
    pub source: String,
    /// Its lowest level, hPa.
    #[serde(skip)]
    pub lowest_level_hpa: f64,
}

/// Samples a forecast at one point.
pub fn sample(
    req: SampleRequest,
    env: &Env,
    progress: &dyn Progress,
) -> Result<SampleReport, Error> {
    embedded_caveat(req.forecast.as_deref(), progress);
    let f = open(req.forecast.as_deref(), req.region, env)?;
    let i = f.info();
    let t = req
        .time_unix_s
        .or_else(|| i.valid_unix_s.first().copied())
        .unwrap_or(i.run_unix_s);
    let lon = if req.lon > 180.0 {
        req.lon - 360.0
    } else {
        req.lon
    };
    let s = match (req.level_hpa, req.alt_m) {
        (Some(p), _) => f
            .sample_level(t as f64, req.lat, lon, p)
            .map_err(Error::ForecastQuery)?,
        (None, Some(alt)) => f
            .sample_alt(t as f64, req.lat, lon, alt)
            .map_err(|source| Error::OutsideForecast {
                context: format!("forecast {}", i.origin),
                source,
            })?,
        (None, None) => {
            return Err(Error::invalid(
                "level_hpa",
                "give --level HPA or --alt METRES",
            ));
        }
    };
    let speed = s.u_m_s.hypot(s.v_m_s);
    // Meteorological direction: where the wind blows from, degrees clockwise from north.
    let from_deg = (270.0 - s.v_m_s.atan2(s.u_m_s).to_degrees()).rem_euclid(360.0);
    Ok(SampleReport {
        u: s.u_m_s,
        v: s.v_m_s,
        height_m: s.height_m,
        pressure_hpa: s.pressure_hpa,
        temperature_k: s.temperature_k,
        density_kg_m3: s.density_kg_m3,
        speed_m_s: speed,
        from_deg,
        below_lowest_level: s.below_lowest_level,
        lat: req.lat,
        lon,
        level_hpa: req.level_hpa,
        alt_m: req.alt_m,
        time: format_rfc3339(t),
        forecast: i.origin.clone(),
        run: format_rfc3339(i.run_unix_s),
        steady: i.is_steady(),
        embedded_sample: i.is_embedded_sample(),
        credit: i.credit.clone(),
        source: i.source.clone(),
        lowest_level_hpa: i.levels_hpa.first().copied().unwrap_or(f64::NAN),
    })
}

/// Which cache to list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListRequest {
    /// The cache (default: the face's).
    pub cache_dir: Option<PathBuf>,
}

/// A readable cached run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CachedRun {
    /// The cache file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Its source.
    pub source: String,
    /// Run time, RFC 3339.
    pub run: String,
    /// `gfs-2026112900`.
    pub run_name: String,
    /// Steps, hours.
    pub steps_h: Vec<f64>,
    /// Levels, hPa.
    pub levels_hpa: Vec<f64>,
    /// The grid.
    pub grid: Grid,
    /// Its region.
    pub region: Option<Region>,
    /// Always `None` (the JSON keeps `error: null`).
    pub error: Option<String>,
}

/// A cache file that cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnreadableRun {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Why.
    pub error: String,
}

/// One file of the cache.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CacheEntry {
    /// A run.
    Run(Box<CachedRun>),
    /// A damaged or foreign file.
    Unreadable(UnreadableRun),
}

/// The cache: the `forecast list --json` schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListReport {
    /// The directory.
    pub cache_dir: PathBuf,
    /// Its runs, by file name.
    pub runs: Vec<CacheEntry>,
}

/// Lists the cached runs.
pub fn list(req: ListRequest, env: &Env) -> Result<ListReport, Error> {
    let dir = env.forecast_cache(req.cache_dir.as_deref())?;
    let entries = cache::list(&dir).map_err(|source| Error::Forecast {
        context: format!("cannot list the cache {}", dir.display()),
        source,
    })?;
    let runs = entries
        .into_iter()
        .map(|e| match e.header {
            Ok(h) => CacheEntry::Run(Box::new(CachedRun {
                path: e.path,
                bytes: e.bytes,
                source: h.source.clone(),
                run: format_rfc3339(h.run_unix_s),
                run_name: h.run_name(),
                steps_h: h.steps_h(),
                levels_hpa: h.levels_hpa.clone(),
                grid: h.grid,
                region: h.region,
                error: None,
            })),
            Err(error) => CacheEntry::Unreadable(UnreadableRun {
                path: e.path,
                bytes: e.bytes,
                error,
            }),
        })
        .collect();
    Ok(ListReport {
        cache_dir: dir,
        runs,
    })
}

/// GRIB2 files of one run to put in the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// Files, or directories of them (their files, sorted by name).
    pub files: Vec<PathBuf>,
    /// Where they are cropped to.
    pub region: Region,
    /// The cache (default: the face's).
    pub cache_dir: Option<PathBuf>,
}

/// What was imported: the `forecast import --json` schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    /// The new cache file.
    pub cache_file: PathBuf,
    /// `gfs-2026112900`.
    pub run: String,
    /// Valid times in it.
    #[serde(skip)]
    pub steps: usize,
    /// Levels in it.
    #[serde(skip)]
    pub levels: usize,
}

/// Decodes GRIB2 files into the cache as one run.
pub fn import(
    req: ImportRequest,
    env: &Env,
    progress: &dyn Progress,
) -> Result<ImportReport, Error> {
    let mut files = Vec::new();
    for p in &req.files {
        if p.is_dir() {
            let rd = std::fs::read_dir(p)
                .map_err(|e| Error::io(format!("cannot list {}", p.display()), p, e))?;
            let mut inside: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    check(progress)?;
    progress.event(Event::StageStarted {
        stage: Stage::Decoding,
        total: Some(files.len() as u64),
        unit: Unit::Steps,
    });
    let f = Forecast::from_grib2_files(&files, req.region).map_err(|source| Error::Forecast {
        context: "cannot import".into(),
        source,
    })?;
    progress.event(Event::StageFinished {
        stage: Stage::Decoding,
    });
    check(progress)?;
    let dir = env.forecast_cache(req.cache_dir.as_deref())?;
    let path = write_cache(&f, &dir)?;
    Ok(ImportReport {
        cache_file: path,
        run: f.info().run_name(),
        steps: f.info().valid_unix_s.len(),
        levels: f.info().levels_hpa.len(),
    })
}

fn write_cache(f: &Forecast, dir: &Path) -> Result<PathBuf, Error> {
    f.write_cache(dir).map_err(|source| Error::Forecast {
        context: "cannot write the cache".into(),
        source,
    })
}

/// A model to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchModel {
    /// NOAA GFS 0.25° (public domain).
    Gfs,
    /// ECMWF IFS open data (CC BY 4.0).
    Ecmwf,
    /// NOAA GEFS 0.5° ensemble, control and 30 perturbed members (public domain).
    Gefs,
    /// ECMWF open-data ensemble, control and 50 perturbed members (CC BY 4.0).
    EcmwfEns,
}

/// A run to download into the cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FetchRequest {
    /// The model.
    pub model: FetchModel,
    /// The run, UNIX s (a 00/06/12/18 UTC run); `None`: the latest that answers.
    pub run_unix_s: Option<i64>,
    /// Forecast hours: `0-120`, `0-48/3`, `0,6,12`.
    pub hours: String,
    /// Region to keep.
    pub region: Region,
    /// Pressure levels, hPa (default: the model's from 1000 to 100 hPa).
    pub levels_hpa: Option<Vec<f64>>,
    /// Also fetch the model terrain.
    pub terrain: bool,
    /// Downloads at once (1-8).
    pub concurrency: usize,
    /// Attempts per request.
    pub attempts: u32,
    /// The cache (default: the face's).
    pub cache_dir: Option<PathBuf>,
    /// The NOMADS grib-filter URL (`""` skips the filter; default: the face's).
    pub gfs_filter: Option<String>,
    /// GFS mirror roots (default: the face's).
    pub gfs_mirrors: Vec<String>,
    /// ECMWF open-data roots (default: the face's).
    pub ecmwf_roots: Vec<String>,
    /// GEFS mirror roots (default: the face's).
    pub gefs_mirrors: Vec<String>,
    /// Ensemble members: `all`, `0-10`, `0,3,5` (0 is the control); `None`: all. Only for
    /// `gefs` and `ecmwf_ens`.
    pub members: Option<String>,
}

impl Default for FetchRequest {
    fn default() -> Self {
        FetchRequest {
            model: FetchModel::Gfs,
            run_unix_s: None,
            hours: "0-120".into(),
            region: Region::KOREA,
            levels_hpa: None,
            terrain: true,
            concurrency: 4,
            attempts: 4,
            cache_dir: None,
            gfs_filter: None,
            gfs_mirrors: Vec::new(),
            ecmwf_roots: Vec::new(),
            gefs_mirrors: Vec::new(),
            members: None,
        }
    }
}

/// What was fetched: the `forecast fetch --json` schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchReport {
    /// The new cache file.
    pub cache_file: PathBuf,
    /// `gfs` or `ecmwf`.
    pub model: &'static str,
    /// Run time, RFC 3339.
    pub run: String,
    /// `gfs-2026112900`.
    pub run_name: String,
    /// Steps, hours.
    pub steps_h: Vec<f64>,
    /// Levels, hPa.
    pub levels_hpa: Vec<f64>,
    /// The grid.
    pub grid: Grid,
    /// Credit line.
    pub credit: String,
    /// The model terrain, if it came.
    pub terrain: Option<TerrainInfo>,
    /// One line about it.
    pub terrain_summary: String,
    /// Why a terrain field was not used.
    pub terrain_notes: Vec<String>,
    /// The ensemble members in the cache (perturbation numbers, 0 = control); empty for a
    /// deterministic model.
    pub members: Vec<u32>,
    /// Forecast hours asked for.
    #[serde(skip)]
    pub hours: Vec<u32>,
    /// Whether the terrain was asked for.
    #[serde(skip)]
    pub terrain_requested: bool,
}

/// `0-120` (every published step), `0-48/3`, `0,6,12`: the steps `model` publishes for a
/// run at `run_hour` UTC.
pub fn parse_hours(text: &str, model: Model, run_hour: u32) -> Result<Vec<u32>, Error> {
    let bad = |message: String| Error::invalid("hours", message);
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                Some(
                    st.parse::<u32>()
                        .ok()
                        .filter(|&x| x > 0)
                        .ok_or_else(|| bad(format!("--hours {text:?}: bad step {st:?}")))?,
                ),
            ),
            None => (part, None),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (range.parse::<u32>(), range.parse::<u32>()),
        };
        let (Ok(a), Ok(b)) = (a, b) else {
            return Err(bad(format!(
                "--hours {text:?}: want e.g. 0-120, 0-48/3 or 0,6,12"
            )));
        };
        if a > b || b > 384 {
            return Err(bad(format!(
                "--hours {text:?}: want 0 <= FROM <= TO <= 384"
            )));
        }
        let explicit = step.is_some() || a == b;
        for h in (a..=b).step_by(step.unwrap_or(1) as usize) {
            if model.has_step(run_hour, h) {
                out.push(h);
            } else if explicit {
                return Err(bad(format!(
                    "--hours {text:?}: {} does not publish +{h} h for a {run_hour:02}Z run",
                    model.name()
                )));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err(bad(format!(
            "--hours {text:?} selects no step {} publishes",
            model.name()
        )));
    }
    Ok(out)
}

/// `all`, `0-10`, `0,3,5`, `0-4,20`: the ensemble members of `model` (0 = control), sorted.
pub fn parse_members(text: &str, model: Model) -> Result<Vec<u32>, Error> {
    let Some(max) = model.max_member() else {
        return Err(Error::invalid(
            "members",
            format!(
                "--members: {}은(는) 앙상블 예보가 아닙니다 ({} is not an ensemble; use gefs or ecmwf-ens)",
                model.name(),
                model.name()
            ),
        ));
    };
    let bad = |why: String| {
        Error::invalid(
            "members",
            format!("--members {text:?}: 멤버 번호가 잘못되었습니다 ({why})"),
        )
    };
    if text.trim() == "all" {
        return Ok((0..=max).collect());
    }
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (part.parse::<u32>(), part.parse::<u32>()),
        };
        let (Ok(a), Ok(b)) = (a, b) else {
            return Err(bad("want all, 0-10 or 0,3,5".into()));
        };
        if a > b || b > max {
            return Err(bad(format!(
                "{} has members 0 (control) to {max}",
                model.name()
            )));
        }
        out.extend(a..=b);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Downloads a run into the cache, one progress step per step file; a cancelled fetch
/// keeps its staged steps (the next fetch of the run resumes) and writes no cache file.
pub fn fetch(req: FetchRequest, env: &Env, progress: &dyn Progress) -> Result<FetchReport, Error> {
    let model = match req.model {
        FetchModel::Gfs => Model::Gfs,
        FetchModel::Ecmwf => Model::Ecmwf,
        FetchModel::Gefs => Model::Gefs,
        FetchModel::EcmwfEns => Model::EcmwfEns,
    };
    let members = match (&req.members, model.max_member()) {
        (Some(text), _) => parse_members(text, model)?,
        (None, Some(max)) => (0..=max).collect(),
        (None, None) => Vec::new(),
    };
    let mut ep = env.fetch_endpoints.clone();
    if let Some(f) = &req.gfs_filter {
        ep.gfs_filter = f.clone();
    }
    if !req.gfs_mirrors.is_empty() {
        ep.gfs_mirrors = req.gfs_mirrors.clone();
    }
    if !req.ecmwf_roots.is_empty() {
        ep.ecmwf_roots = req.ecmwf_roots.clone();
    }
    if !req.gefs_mirrors.is_empty() {
        ep.gefs_mirrors = req.gefs_mirrors.clone();
    }
    let cache = env.forecast_cache(req.cache_dir.as_deref())?;
    let levels = req
        .levels_hpa
        .clone()
        .unwrap_or_else(|| model.default_levels());
    if levels.len() < 2 || levels.iter().any(|p| !(*p > 0.0 && *p <= 1100.0)) {
        return Err(Error::invalid(
            "levels_hpa",
            "--levels: want at least two pressure levels in hPa, e.g. 1000,850,700,500",
        ));
    }
    let make = |run: i64| -> Result<fetch::Request, Error> {
        let run_hour = (run.rem_euclid(86_400) / 3600) as u32;
        Ok(fetch::Request {
            model,
            run_unix_s: run,
            hours: parse_hours(&req.hours, model, run_hour)?,
            region: req.region,
            levels_hpa: levels.clone(),
            members: members.clone(),
            terrain: req.terrain,
            staging_dir: cache.join(".staging").join(format!(
                "{}-{}",
                model.name(),
                format_run(run)
            )),
            concurrency: req.concurrency,
            attempts: req.attempts.max(1),
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(120),
        })
    };
    let request = match req.run_unix_s {
        Some(run) => make(run)?,
        None => {
            let candidates = fetch::latest_candidates(model, env.now_unix_s());
            let mut found = None;
            for run in &candidates {
                check(progress)?;
                let r = make(*run)?;
                if fetch::run_available(&r, &ep) {
                    found = Some(r);
                    break;
                }
            }
            found.ok_or_else(|| Error::NoRunAvailable {
                model: model.name(),
                candidates: candidates.iter().map(|r| format_run(*r)).collect(),
            })?
        }
    };
    let total = Some((request.hours.len() * members.len().max(1)) as u64);
    progress.event(Event::StageStarted {
        stage: Stage::Fetching,
        total,
        unit: Unit::Steps,
    });
    // Events are sent under one lock so that `done` only grows.
    let lock = Mutex::new(());
    let on_progress = |p: fetch::Progress| {
        let _order = lock.lock();
        match p {
            fetch::Progress::StepDone {
                done,
                hour,
                bytes,
                via,
                ..
            } => {
                progress.event(Event::ForecastStep {
                    hour,
                    bytes,
                    via: via.to_string(),
                });
                progress.event(Event::Step {
                    stage: Stage::Fetching,
                    done: done as u64,
                    total,
                    unit: Unit::Steps,
                });
            }
            fetch::Progress::Retry {
                url,
                attempt,
                error,
            } => progress.event(Event::Retry {
                url,
                attempt,
                error,
            }),
        }
    };
    let fetched = fetch::fetch_cancellable(&request, &ep, &on_progress, &|| progress.cancelled())
        .map_err(|source| Error::Forecast {
        context: format!(
            "cannot fetch {} {} (steps already downloaded are kept in {} and reused next time)",
            model.name(),
            format_run(request.run_unix_s),
            request.staging_dir.display()
        ),
        source,
    })?;
    let Some(f) = fetched else {
        return Err(Error::Cancelled);
    };
    progress.event(Event::StageFinished {
        stage: Stage::Fetching,
    });
    let path = write_cache(&f, &cache)?;
    // The staged steps are in the cache now; a failure to remove them only costs disk.
    let _ = std::fs::remove_dir_all(&request.staging_dir);
    // And the staging parent, when no other run is staged there (fails harmlessly if one is).
    let _ = std::fs::remove_dir(cache.join(".staging"));
    let i = f.info();
    Ok(FetchReport {
        cache_file: path,
        model: model.name(),
        run: format_rfc3339(i.run_unix_s),
        run_name: i.run_name(),
        steps_h: i.steps_h(),
        levels_hpa: i.levels_hpa.clone(),
        grid: i.grid,
        credit: i.credit.clone(),
        terrain: i.terrain.clone(),
        terrain_summary: i.terrain_summary(),
        terrain_notes: i.terrain_notes.clone(),
        members: i.members.iter().map(|m| m.number).collect(),
        hours: request.hours,
        terrain_requested: req.terrain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_name_is_the_embedded_sample_and_says_so() {
        let env = Env::fixed(0, 0);
        let f = open(None, Region::KOREA, &env).unwrap();
        let s = ForecastSummary::of(&f);
        assert!(s.steady_sample);
        assert!(
            s.credit.contains("Japan Meteorological Agency"),
            "{}",
            s.credit
        );
        assert!(matches!(
            steady_warning(&f),
            Some(crate::Warning::EmbeddedSampleFlight { .. })
        ));
    }

    #[test]
    fn an_unknown_name_searches_the_cache_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::fixed(0, 0);
        env.forecast_cache_dir = Some(dir.path().to_path_buf());
        let e = open(Some("gfs-2026112900"), Region::KOREA, &env).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ForecastNotFound);
        assert!(e.to_string().contains("0 run(s) there"), "{e}");
        let no_cache = Env::fixed(0, 0);
        assert_eq!(
            open(Some("latest"), Region::KOREA, &no_cache)
                .unwrap_err()
                .kind(),
            crate::ErrorKind::NoCacheDir
        );
    }
}

#[cfg(test)]
mod job_tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn info_of_the_embedded_sample_says_so() {
        let seen = Mutex::new(Vec::new());
        let sink = |e: Event| seen.lock().unwrap().push(e);
        let r = info(InfoRequest::default(), &Env::fixed(0, 0), &sink).unwrap();
        assert!(r.embedded_sample && r.steady);
        assert_eq!(r.valid_times.len(), 1);
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("info").is_none());
        assert_eq!(v["forecast"], r.info.origin.as_str());
        assert!(seen.lock().unwrap().contains(&Event::Warning {
            warning: Warning::EmbeddedSample
        }));
    }

    #[test]
    fn sample_at_a_level_and_an_altitude() {
        let env = Env::fixed(0, 0);
        let at = |level_hpa, alt_m| {
            sample(
                SampleRequest {
                    forecast: None,
                    region: Region::KOREA,
                    lat: 37.8,
                    lon: 126.75,
                    level_hpa,
                    alt_m,
                    time_unix_s: None,
                },
                &env,
                &Silent,
            )
        };
        let s = at(Some(850.0), None).unwrap();
        assert!((s.speed_m_s - s.u.hypot(s.v)).abs() < 1e-12);
        assert!((0.0..360.0).contains(&s.from_deg));
        assert!(at(None, Some(3000.0)).unwrap().height_m > 2900.0);
        assert_eq!(
            at(Some(123.0), None).unwrap_err().kind(),
            crate::ErrorKind::ForecastQuery
        );
        assert_eq!(at(None, None).unwrap_err().field(), Some("level_hpa"));
    }

    #[test]
    fn import_and_list_round_trip_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::fixed(0, 0);
        env.forecast_cache_dir = Some(dir.path().join("cache"));
        assert!(list(ListRequest::default(), &env).unwrap().runs.is_empty());
        let bad = dir.path().join("not.grib2");
        std::fs::write(&bad, b"not a forecast").unwrap();
        let e = import(
            ImportRequest {
                files: vec![bad],
                region: Region::KOREA,
                cache_dir: None,
            },
            &env,
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Forecast);
        assert_eq!(e.to_string(), "cannot import");
        assert!(list(ListRequest::default(), &env).unwrap().runs.is_empty());
    }

    #[test]
    fn hours_expand_to_published_steps() {
        assert_eq!(
            parse_hours("0-5", Model::Gfs, 0).unwrap(),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            parse_hours("118-126", Model::Gfs, 0).unwrap(),
            vec![118, 119, 120, 123, 126]
        );
        assert_eq!(
            parse_hours("0-12", Model::Ecmwf, 0).unwrap(),
            vec![0, 3, 6, 9, 12]
        );
        assert_eq!(
            parse_hours("0-12/6,3", Model::Gfs, 0).unwrap(),
            vec![0, 3, 6, 12]
        );
        assert_eq!(
            parse_hours("7", Model::Ecmwf, 0).unwrap_err().field(),
            Some("hours")
        );
        assert!(parse_hours("5-1", Model::Gfs, 0).is_err());
        assert!(parse_hours("x", Model::Gfs, 0).is_err());
    }

    #[test]
    fn fetch_checks_its_request_before_any_network() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::fixed(1_700_000_000, 0);
        env.forecast_cache_dir = Some(dir.path().to_path_buf());
        let req = FetchRequest {
            levels_hpa: Some(vec![850.0]),
            ..FetchRequest::default()
        };
        assert_eq!(
            fetch(req, &env, &Silent).unwrap_err().field(),
            Some("levels_hpa")
        );
        let req = FetchRequest {
            run_unix_s: Some(1_699_920_000),
            hours: "7/0".into(),
            ..FetchRequest::default()
        };
        assert_eq!(
            fetch(req, &env, &Silent).unwrap_err().field(),
            Some("hours")
        );
    }

    #[test]
    fn a_cancelled_fetch_downloads_nothing_and_writes_no_cache_file() {
        struct Stop;
        impl Progress for Stop {
            fn event(&self, _: Event) {}
            fn cancelled(&self) -> bool {
                true
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::fixed(1_700_000_000, 0);
        env.forecast_cache_dir = Some(dir.path().to_path_buf());
        // Unroutable servers: any download attempt would fail, not cancel.
        let req = FetchRequest {
            run_unix_s: Some(1_699_920_000),
            hours: "0-3".into(),
            gfs_filter: Some(String::new()),
            gfs_mirrors: vec!["http://127.0.0.1:9".into()],
            ..FetchRequest::default()
        };
        assert_eq!(
            fetch(req, &env, &Stop).unwrap_err().kind(),
            crate::ErrorKind::Cancelled
        );
        assert!(list(ListRequest::default(), &env).unwrap().runs.is_empty());
    }
}
