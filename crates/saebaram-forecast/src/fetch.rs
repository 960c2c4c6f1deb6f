//! Fetching forecast subsets over HTTP: NOAA GFS through the NOMADS grib filter
//! (server-side crop), falling back to byte ranges from the `.idx` inventory on the open-data
//! mirrors; ECMWF open data through its `.index` JSON lines. With [`Request::terrain`] the
//! model terrain comes along: the filter's `lev_surface` (HGT:surface), the `.idx` record
//! `HGT:surface`, or the `.index` line `param=z, levtype=sfc` when it lists one.
//!
//! The library never reads the clock or the environment: the caller passes "now" for
//! `latest`, the base URLs, and where to put files. Progress goes to a callback.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::error::{ForecastError, Result};
use crate::forecast::Forecast;
use crate::region::Region;
use crate::time;

/// Which model to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// NOAA GFS 0.25 degree (hourly to +120 h, then 3-hourly).
    Gfs,
    /// ECMWF IFS open data 0.25 degree (3-hourly to +144 h, then 6-hourly).
    Ecmwf,
    /// NOAA GEFS 0.5 degree ensemble: control `gec00` and perturbed `gep01`..`gep30`, one file
    /// per member and step (`pgrb2a`, and `pgrb2b` for the levels `a` lacks); 3-hourly to
    /// +240 h, then 6-hourly to +384 h.
    Gefs,
    /// ECMWF open-data ensemble (`enfo`, 0.25 degree): control `cf` and perturbed `pf`
    /// 1..50 in one file per step; 3-hourly to +144 h, then 6-hourly to +360 h (00/12Z).
    EcmwfEns,
}

impl Model {
    /// `gfs` or `ecmwf`.
    pub fn name(self) -> &'static str {
        match self {
            Model::Gfs => "gfs",
            Model::Ecmwf => "ecmwf",
            Model::Gefs => "gefs",
            Model::EcmwfEns => "ecmwf-ens",
        }
    }
    /// The highest perturbation number of an ensemble (members are 0..=this; 0 is the
    /// control); `None` for a deterministic model.
    pub fn max_member(self) -> Option<u32> {
        match self {
            Model::Gfs | Model::Ecmwf => None,
            Model::Gefs => Some(30),
            Model::EcmwfEns => Some(50),
        }
    }
    /// Pressure levels (hPa) fetched by default: what the model has from 1000 to 100 hPa.
    pub fn default_levels(self) -> Vec<f64> {
        match self {
            Model::Gfs => vec![
                1000.0, 975.0, 950.0, 925.0, 900.0, 850.0, 800.0, 750.0, 700.0, 650.0, 600.0,
                550.0, 500.0, 450.0, 400.0, 350.0, 300.0, 250.0, 200.0, 150.0, 100.0,
            ],
            Model::Ecmwf | Model::EcmwfEns => vec![
                1000.0, 925.0, 850.0, 700.0, 600.0, 500.0, 400.0, 300.0, 250.0, 200.0, 150.0, 100.0,
            ],
            // The levels of the smaller `pgrb2a` files; others come from `pgrb2b`.
            Model::Gefs => vec![
                1000.0, 925.0, 850.0, 700.0, 500.0, 400.0, 300.0, 250.0, 200.0, 100.0,
            ],
        }
    }
    /// True if the model publishes this step (hours after the run) for a run at `run_hour`.
    pub fn has_step(self, run_hour: u32, h: u32) -> bool {
        match self {
            Model::Gfs => h <= 120 || (h <= 384 && h.is_multiple_of(3)),
            Model::Ecmwf => {
                let long = run_hour.is_multiple_of(12);
                (h.is_multiple_of(3) && h <= if long { 144 } else { 90 })
                    || (long && h.is_multiple_of(6) && h <= 240)
            }
            Model::Gefs => (h.is_multiple_of(3) && h <= 240) || (h.is_multiple_of(6) && h <= 384),
            Model::EcmwfEns => {
                let long = run_hour.is_multiple_of(12);
                (h.is_multiple_of(3) && h <= 144) || (long && h.is_multiple_of(6) && h <= 360)
            }
        }
    }
}

/// Base URLs (configurable so that tests can point at a local server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The NOMADS grib-filter CGI for GFS 0.25 hourly (empty: skip the filter).
    pub gfs_filter: String,
    /// GFS mirrors holding `gfs.YYYYMMDD/HH/atmos/...` with `.idx` files, tried in order.
    pub gfs_mirrors: Vec<String>,
    /// ECMWF open-data roots holding `YYYYMMDD/HHz/ifs/0p25/oper/...` (and `enfo/` for the
    /// ensemble), tried in order.
    pub ecmwf_roots: Vec<String>,
    /// GEFS mirrors holding `gefs.YYYYMMDD/HH/atmos/pgrb2ap5/...` with `.idx` files, tried
    /// in order.
    pub gefs_mirrors: Vec<String>,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            gfs_filter: "https://nomads.ncep.noaa.gov/cgi-bin/filter_gfs_0p25_1hr.pl".into(),
            gfs_mirrors: vec![
                "https://noaa-gfs-bdp-pds.s3.amazonaws.com".into(),
                "https://storage.googleapis.com/global-forecast-system".into(),
                "https://nomads.ncep.noaa.gov/pub/data/nccf/com/gfs/prod".into(),
            ],
            ecmwf_roots: vec![
                "https://data.ecmwf.int/forecasts".into(),
                "https://ecmwf-forecasts.s3.eu-central-1.amazonaws.com".into(),
                "https://storage.googleapis.com/ecmwf-open-data".into(),
            ],
            gefs_mirrors: vec![
                "https://noaa-gefs-pds.s3.amazonaws.com".into(),
                "https://storage.googleapis.com/gfs-ensemble-forecast-system".into(),
                "https://nomads.ncep.noaa.gov/pub/data/nccf/com/gens/prod".into(),
            ],
        }
    }
}

/// What to fetch.
#[derive(Debug, Clone)]
pub struct Request {
    /// The model.
    pub model: Model,
    /// The run, seconds since the epoch (a multiple of 6 h).
    pub run_unix_s: i64,
    /// Forecast steps, hours after the run.
    pub hours: Vec<u32>,
    /// Region (the NOMADS filter crops on the server; other sources are cropped on decode).
    pub region: Region,
    /// Pressure levels, hPa.
    pub levels_hpa: Vec<f64>,
    /// Ensemble members to fetch (perturbation numbers, 0 = control) for [`Model::Gefs`] and
    /// [`Model::EcmwfEns`]; ignored (may be empty) for deterministic models.
    pub members: Vec<u32>,
    /// Also fetch the model terrain where the source has it: GFS `HGT:surface`, ECMWF
    /// surface geopotential `z` (when its `.index` lists one). One field per step, the
    /// decoder keeps the earliest.
    pub terrain: bool,
    /// Where downloaded step files are staged (kept between attempts: fetching resumes).
    pub staging_dir: PathBuf,
    /// At most this many downloads at once.
    pub concurrency: usize,
    /// Attempts per request (>= 1), with exponential backoff from `backoff`.
    pub attempts: u32,
    /// First backoff delay.
    pub backoff: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Progress reports.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A step file is complete (`done` of `total`, `bytes` downloaded for it; `resumed`:
    /// it was already staged).
    StepDone {
        /// Files complete (a step, or one member of a step for an ensemble).
        done: usize,
        /// Files in all.
        total: usize,
        /// Forecast hour.
        hour: u32,
        /// The ensemble member of this file (`None`: a deterministic model).
        member: Option<u32>,
        /// Bytes of the step file.
        bytes: u64,
        /// True if it was already on disk from an earlier attempt.
        resumed: bool,
        /// Which way it came: "filter", "idx ranges", "index ranges", "staged".
        via: &'static str,
    },
    /// A request failed and will be retried.
    Retry {
        /// The URL.
        url: String,
        /// Attempt number that failed.
        attempt: u32,
        /// Why.
        error: String,
    },
}

/// One record of a wgrib2 `.idx` inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxRecord {
    /// Message number as written (`7` or `7.2`).
    pub number: String,
    /// Byte offset of the message.
    pub offset: u64,
    /// Variable, e.g. `UGRD`.
    pub var: String,
    /// Level, e.g. `850 mb`.
    pub level: String,
}

/// Parses a wgrib2 `.idx` file: `num:offset:d=YYYYMMDDHH:VAR:LEVEL:FCST:[extra]`, one record
/// a line, trailing colon optional, `N.M` sub-records sharing their message's offset.
pub fn parse_idx(text: &str) -> std::result::Result<Vec<IdxRecord>, String> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 5 {
            return Err(format!("line {}: {line:?} has fewer than 5 fields", k + 1));
        }
        let number = f[0].trim();
        if number.is_empty()
            || !number
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(format!("line {}: bad message number {number:?}", k + 1));
        }
        let offset = f[1]
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("line {}: bad byte offset {:?}", k + 1, f[1]))?;
        // Records are in file order: a decreasing offset is not an inventory of this file
        // (and would make open-ended ranges in the middle).
        if let Some(prev) = out.last().map(|r: &IdxRecord| r.offset)
            && offset < prev
        {
            return Err(format!(
                "line {}: byte offset {offset} is before the previous record's {prev}",
                k + 1
            ));
        }
        out.push(IdxRecord {
            number: number.to_string(),
            offset,
            var: f[3].trim().to_string(),
            level: f[4].trim().to_string(),
        });
    }
    Ok(out)
}

/// Byte ranges (inclusive start, inclusive end or `None` = to the end of the file) covering
/// the records for which `want` is true. A record spans from its offset to the next
/// *distinct* offset minus one (sub-records `N.M` share an offset); the last is open-ended.
/// Adjacent ranges are merged into one request.
pub fn idx_ranges(
    records: &[IdxRecord],
    want: impl Fn(&IdxRecord) -> bool,
) -> Vec<(u64, Option<u64>)> {
    let mut ranges: Vec<(u64, Option<u64>)> = Vec::new();
    for (k, r) in records.iter().enumerate() {
        if !want(r) {
            continue;
        }
        let end = records[k + 1..]
            .iter()
            .map(|n| n.offset)
            .find(|&o| o > r.offset)
            .map(|o| o - 1);
        if let Some(last) = ranges.last_mut() {
            // Same message again (U and V sub-records), or the very next one: extend.
            // An open-ended range already covers everything after its start (found by the
            // `fetch_index` fuzz target: a wanted message followed by a last message with
            // sub-records gave the last message twice).
            if last.0 == r.offset || last.1.is_none_or(|e| e + 1 >= r.offset) {
                last.1 = match (last.1, end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                continue;
            }
        }
        ranges.push((r.offset, end));
    }
    ranges
}

/// One line of an ECMWF `.index` file (only the keys we use).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EcmwfIndexLine {
    /// Parameter short name (`u`, `v`, `gh`, `t`, ...).
    pub param: String,
    /// Level type (`pl` for pressure levels).
    pub levtype: String,
    /// Level (hPa) for pressure-level fields.
    #[serde(default)]
    pub levelist: Option<String>,
    /// Byte offset of the message.
    #[serde(rename = "_offset")]
    pub offset: u64,
    /// Length of the message in bytes.
    #[serde(rename = "_length")]
    pub length: u64,
    /// `cf` (control), `pf` (perturbed), `fc` (deterministic), ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Perturbation number of a `pf` line (a string or a number in the JSON).
    #[serde(default, deserialize_with = "number_or_string")]
    pub number: Option<u32>,
}

impl EcmwfIndexLine {
    /// The ensemble member of the line: its `number`, or 0 for the control (`cf`).
    pub fn member(&self) -> Option<u32> {
        self.number
            .or_else(|| (self.kind.as_deref() == Some("cf")).then_some(0))
    }
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum N {
        Number(u32),
        Text(String),
    }
    match Option::<N>::deserialize(d)? {
        None => Ok(None),
        Some(N::Number(n)) => Ok(Some(n)),
        Some(N::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("bad member number {t:?}"))),
    }
}

/// Parses an ECMWF `.index` file (one JSON object a line).
pub fn parse_ecmwf_index(text: &str) -> std::result::Result<Vec<EcmwfIndexLine>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(k, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", k + 1)))
        .collect()
}

fn level_key(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p}")
    }
}

/// The NOMADS grib-filter URL for one GFS step; `terrain` adds the surface level
/// (`HGT:surface`, the model orography; the filter also returns the other selected variables
/// on it, TMP:surface, which the decoder lists and skips).
pub fn gfs_filter_url(
    filter: &str,
    run_unix_s: i64,
    hour: u32,
    levels: &[f64],
    region: &Region,
    terrain: bool,
) -> String {
    let run = time::format_run(run_unix_s);
    let (day, hh) = run.split_at(8);
    let mut u =
        format!("{filter}?dir=%2Fgfs.{day}%2F{hh}%2Fatmos&file=gfs.t{hh}z.pgrb2.0p25.f{hour:03}");
    for v in ["UGRD", "VGRD", "HGT", "TMP"] {
        u.push_str(&format!("&var_{v}=on"));
    }
    for p in levels {
        u.push_str(&format!("&lev_{}_mb=on", level_key(*p)));
    }
    if terrain {
        u.push_str("&lev_surface=on");
    }
    // One grid cell of margin so that the crop on decode always has the box's edges.
    u.push_str(&format!(
        "&subregion=&leftlon={}&rightlon={}&toplat={}&bottomlat={}",
        region.lon_min - 0.25,
        region.lon_max + 0.25,
        (region.lat_max + 0.25).min(90.0),
        (region.lat_min - 0.25).max(-90.0)
    ));
    u
}

/// The path of a GFS step file below a mirror root (add `.idx` for its inventory).
pub fn gfs_file_path(run_unix_s: i64, hour: u32) -> String {
    let run = time::format_run(run_unix_s);
    let (day, hh) = run.split_at(8);
    format!("gfs.{day}/{hh}/atmos/gfs.t{hh}z.pgrb2.0p25.f{hour:03}")
}

/// The path of an ECMWF IFS step file below an open-data root (`.index` beside it).
pub fn ecmwf_file_path(run_unix_s: i64, hour: u32) -> String {
    let run = time::format_run(run_unix_s);
    let (day, hh) = run.split_at(8);
    format!("{day}/{hh}z/ifs/0p25/oper/{run}0000-{hour}h-oper-fc.grib2")
}

/// The path of an ECMWF ensemble step file (every member in one file) below an open-data
/// root (`.index` beside it).
pub fn ecmwf_ens_file_path(run_unix_s: i64, hour: u32) -> String {
    let run = time::format_run(run_unix_s);
    let (day, hh) = run.split_at(8);
    format!("{day}/{hh}z/ifs/0p25/enfo/{run}0000-{hour}h-enfo-ef.grib2")
}

/// The path of one GEFS member's step file below a mirror root (add `.idx` for its
/// inventory): `part` is `'a'` (`pgrb2a`, the common levels) or `'b'` (`pgrb2b`, the rest).
/// Member 0 is the control `gec00`, others `gepNN`.
pub fn gefs_file_path(run_unix_s: i64, hour: u32, member: u32, part: char) -> String {
    let run = time::format_run(run_unix_s);
    let (day, hh) = run.split_at(8);
    let name = if member == 0 {
        "gec00".to_string()
    } else {
        format!("gep{member:02}")
    };
    format!("gefs.{day}/{hh}/atmos/pgrb2{part}p5/{name}.t{hh}z.pgrb2{part}.0p50.f{hour:03}")
}

/// Checks that `bytes` are whole GRIB2 messages, one after the other (a download cut short,
/// or a range that is not a message, fails here before anything is staged). Returns the
/// number of messages.
pub fn check_grib2_messages(bytes: &[u8]) -> std::result::Result<usize, String> {
    let mut pos = 0usize;
    let mut n = 0usize;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if rest.len() < 16 || &rest[..4] != b"GRIB" {
            return Err(format!(
                "GRIB2 메시지가 아닙니다 (byte {pos}: not the start of a GRIB2 message)"
            ));
        }
        if rest[7] != 2 {
            return Err(format!(
                "GRIB2가 아닙니다 (byte {pos}: GRIB edition {}, want 2)",
                rest[7]
            ));
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&rest[8..16]);
        let len = u64::from_be_bytes(len8);
        if len < 20 || len > rest.len() as u64 {
            return Err(format!(
                "GRIB2 메시지가 잘렸습니다 (message {} at byte {pos} is truncated: {} of {len} bytes)",
                n + 1,
                rest.len()
            ));
        }
        let len = len as usize;
        if &rest[len - 4..len] != b"7777" {
            return Err(format!(
                "GRIB2 메시지의 끝이 없습니다 (message {} at byte {pos} does not end in 7777)",
                n + 1
            ));
        }
        pos += len;
        n += 1;
    }
    if n == 0 {
        return Err("받은 데이터가 비어 있습니다 (no GRIB2 message)".into());
    }
    Ok(n)
}

struct Http {
    agent: ureq::Agent,
    attempts: u32,
    backoff: Duration,
}

enum Got {
    Body(Vec<u8>),
    Status(u16),
}

const MAX_BODY: u64 = 2 << 30;

impl Http {
    fn new(req: &Request) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(req.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("saebaram/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Http {
            agent,
            attempts: req.attempts.max(1),
            backoff: req.backoff,
        }
    }

    /// GET with retries on network errors and 5xx/429. `range`: `(start, end)` inclusive;
    /// then anything but 206 is an error (never accept a whole file for a range).
    fn get(
        &self,
        url: &str,
        range: Option<(u64, Option<u64>)>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Got> {
        let mut delay = self.backoff;
        let mut last_err = String::new();
        for attempt in 1..=self.attempts {
            let mut rq = self.agent.get(url);
            if let Some((a, b)) = range {
                rq = rq.header(
                    "Range",
                    &match b {
                        Some(b) => format!("bytes={a}-{b}"),
                        None => format!("bytes={a}-"),
                    },
                );
            }
            match rq.call() {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let retryable = status == 429 || status >= 500;
                    if !retryable {
                        if let Some((a, b)) = range {
                            if status != 206 {
                                if status == 200 {
                                    return Err(ForecastError::Fetch {
                                        url: url.to_string(),
                                        detail: format!(
                                            "asked for bytes {a}-{}, got HTTP 200 (the server or a proxy ignored Range): \
                                             refusing to download the whole file",
                                            b.map_or(String::new(), |b| b.to_string())
                                        ),
                                    });
                                }
                                return Ok(Got::Status(status));
                            }
                        } else if status != 200 {
                            return Ok(Got::Status(status));
                        }
                        let body = resp.body_mut().with_config().limit(MAX_BODY).read_to_vec();
                        match body {
                            Ok(body) => match range {
                                Some((a, Some(b))) if body.len() as u64 != b - a + 1 => {
                                    last_err = format!(
                                        "range {a}-{b}: got {} bytes, want {}",
                                        body.len(),
                                        b - a + 1
                                    );
                                }
                                _ => return Ok(Got::Body(body)),
                            },
                            Err(e) => last_err = format!("reading the body: {e}"),
                        }
                    } else {
                        last_err = format!("HTTP {status}");
                    }
                }
                Err(e) => last_err = describe_net_error(&e),
            }
            if attempt < self.attempts {
                progress(Progress::Retry {
                    url: url.into(),
                    attempt,
                    error: last_err.clone(),
                });
                std::thread::sleep(delay);
                delay *= 2;
            }
        }
        Err(ForecastError::Fetch {
            url: url.to_string(),
            detail: format!("failed after {} attempt(s): {last_err}", self.attempts),
        })
    }
}

fn describe_net_error(e: &ureq::Error) -> String {
    match e {
        ureq::Error::HostNotFound => "host not found: is this machine offline? (DNS failed)".into(),
        ureq::Error::ConnectionFailed => {
            "connection failed: is this machine offline, or the server down?".into()
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused: is this machine offline, or the server down?".into()
        }
        ureq::Error::Timeout(t) => format!("timed out ({t}): slow or no network"),
        other => other.to_string(),
    }
}

/// ECMWF ensemble `.index` files already read, by URL (one file per step holds every member:
/// it is read once, not once per member).
type IndexCache = Mutex<std::collections::HashMap<String, std::sync::Arc<Vec<EcmwfIndexLine>>>>;

/// True for an error that another mirror cannot mend (a proxy stripping `Range` would strip
/// it for every mirror).
fn is_fatal(e: &ForecastError) -> bool {
    matches!(e, ForecastError::Fetch { .. }) && e.to_string().contains("ignored Range")
}

/// Fetches one step (of one member, for an ensemble) into `dest` (written atomically).
/// Returns (bytes, via).
#[allow(clippy::too_many_arguments)]
fn fetch_step(
    http: &Http,
    req: &Request,
    ep: &Endpoints,
    hour: u32,
    member: Option<u32>,
    dest: &Path,
    progress: &(dyn Fn(Progress) + Sync),
    index_cache: &IndexCache,
) -> Result<(u64, &'static str)> {
    let mut notes: Vec<String> = Vec::new();
    let (data, via) = match req.model {
        Model::Gfs => 'found: {
            if !ep.gfs_filter.is_empty() {
                let url = gfs_filter_url(
                    &ep.gfs_filter,
                    req.run_unix_s,
                    hour,
                    &req.levels_hpa,
                    &req.region,
                    req.terrain,
                );
                match http.get(&url, None, progress) {
                    Ok(Got::Body(b)) if b.starts_with(b"GRIB") => break 'found (b, "filter"),
                    Ok(Got::Body(_)) => notes.push(format!("{url}: answer is not GRIB2")),
                    Ok(Got::Status(s)) => notes.push(format!("{url}: HTTP {s}")),
                    Err(e) => notes.push(e.to_string()),
                }
            }
            let path = gfs_file_path(req.run_unix_s, hour);
            for mirror in &ep.gfs_mirrors {
                let base = format!("{}/{path}", mirror.trim_end_matches('/'));
                match gfs_by_ranges(http, req, &base, progress) {
                    Ok(b) => break 'found (b, "idx ranges"),
                    Err(e @ ForecastError::Fetch { .. })
                        if e.to_string().contains("ignored Range") =>
                    {
                        return Err(e);
                    }
                    Err(e) => notes.push(e.to_string()),
                }
            }
            return Err(ForecastError::Fetch {
                url: format!("GFS {} +{hour} h", time::format_run(req.run_unix_s)),
                detail: format!("no source had it:\n  {}", notes.join("\n  ")),
            });
        }
        Model::Ecmwf => 'found: {
            let path = ecmwf_file_path(req.run_unix_s, hour);
            for root in &ep.ecmwf_roots {
                let base = format!("{}/{path}", root.trim_end_matches('/'));
                match ecmwf_by_ranges(http, req, &base, progress) {
                    Ok(b) => break 'found (b, "index ranges"),
                    Err(e @ ForecastError::Fetch { .. })
                        if e.to_string().contains("ignored Range") =>
                    {
                        return Err(e);
                    }
                    Err(e) => notes.push(e.to_string()),
                }
            }
            return Err(ForecastError::Fetch {
                url: format!("ECMWF {} +{hour} h", time::format_run(req.run_unix_s)),
                detail: format!("no source had it:\n  {}", notes.join("\n  ")),
            });
        }
        Model::Gefs => 'found: {
            let m = member.unwrap_or(0);
            for mirror in &ep.gefs_mirrors {
                match gefs_by_ranges(http, req, mirror.trim_end_matches('/'), hour, m, progress) {
                    Ok(b) => break 'found (b, "idx ranges"),
                    Err(e) if is_fatal(&e) => return Err(e),
                    Err(e) => notes.push(e.to_string()),
                }
            }
            return Err(ForecastError::Fetch {
                url: format!(
                    "GEFS {} +{hour} h member {m}",
                    time::format_run(req.run_unix_s)
                ),
                detail: format!(
                    "어느 서버에도 없습니다 (no source had it):\n  {}",
                    notes.join("\n  ")
                ),
            });
        }
        Model::EcmwfEns => 'found: {
            let m = member.unwrap_or(0);
            let path = ecmwf_ens_file_path(req.run_unix_s, hour);
            for root in &ep.ecmwf_roots {
                let base = format!("{}/{path}", root.trim_end_matches('/'));
                match ecmwf_ens_by_ranges(http, req, &base, m, progress, index_cache) {
                    Ok(b) => break 'found (b, "index ranges"),
                    Err(e) if is_fatal(&e) => return Err(e),
                    Err(e) => notes.push(e.to_string()),
                }
            }
            return Err(ForecastError::Fetch {
                url: format!(
                    "ECMWF ENS {} +{hour} h member {m}",
                    time::format_run(req.run_unix_s)
                ),
                detail: format!(
                    "어느 서버에도 없습니다 (no source had it):\n  {}",
                    notes.join("\n  ")
                ),
            });
        }
    };
    saebaram_atomic::write(dest, &data)?;
    Ok((data.len() as u64, via))
}

fn get_text(http: &Http, url: &str, progress: &(dyn Fn(Progress) + Sync)) -> Result<String> {
    match http.get(url, None, progress)? {
        Got::Body(b) => String::from_utf8(b).map_err(|_| ForecastError::Fetch {
            url: url.into(),
            detail: "not text".into(),
        }),
        Got::Status(s) => Err(ForecastError::Fetch {
            url: url.into(),
            detail: format!("HTTP {s} (not published yet?)"),
        }),
    }
}

fn get_ranges(
    http: &Http,
    url: &str,
    ranges: &[(u64, Option<u64>)],
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for &r in ranges {
        match http.get(url, Some(r), progress)? {
            Got::Body(b) => {
                // A range that is not whole GRIB2 messages (an index that does not match
                // the file, a body cut short) is refused before anything is staged.
                check_grib2_messages(&b).map_err(|e| ForecastError::Fetch {
                    url: url.into(),
                    detail: format!(
                        "bytes {}-{}: {e}; 색인이 파일과 맞지 않거나 내려받기가 끊겼습니다 (the index does not match the file, or the download was cut short)",
                        r.0,
                        r.1.map_or(String::new(), |b| b.to_string())
                    ),
                })?;
                out.extend(b)
            }
            Got::Status(s) => {
                return Err(ForecastError::Fetch {
                    url: url.into(),
                    detail: format!("range request answered HTTP {s}, not 206"),
                });
            }
        }
    }
    Ok(out)
}

fn gfs_by_ranges(
    http: &Http,
    req: &Request,
    base: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<u8>> {
    let idx_url = format!("{base}.idx");
    let text = get_text(http, &idx_url, progress)?;
    let records = parse_idx(&text).map_err(|e| ForecastError::Fetch {
        url: idx_url.clone(),
        detail: e,
    })?;
    let levels: Vec<String> = req
        .levels_hpa
        .iter()
        .map(|p| format!("{} mb", level_key(*p)))
        .collect();
    let want = |r: &IdxRecord| {
        (matches!(r.var.as_str(), "UGRD" | "VGRD" | "HGT" | "TMP") && levels.contains(&r.level))
            || (req.terrain && r.var == "HGT" && r.level == "surface")
    };
    let ranges = idx_ranges(&records, want);
    if ranges.is_empty() {
        return Err(ForecastError::Fetch {
            url: idx_url,
            detail: "lists none of the wanted fields".into(),
        });
    }
    get_ranges(http, base, &ranges, progress)
}

fn ecmwf_by_ranges(
    http: &Http,
    req: &Request,
    base: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<u8>> {
    let index_url = format!("{}.index", base.trim_end_matches(".grib2"));
    let text = get_text(http, &index_url, progress)?;
    let lines = parse_ecmwf_index(&text).map_err(|e| ForecastError::Fetch {
        url: index_url.clone(),
        detail: e,
    })?;
    let levels: Vec<String> = req.levels_hpa.iter().map(|p| level_key(*p)).collect();
    let merged = merge_index_ranges(lines.iter().filter(|l| {
        (l.levtype == "pl"
            && matches!(l.param.as_str(), "u" | "v" | "gh" | "t")
            && l.levelist.as_ref().is_some_and(|v| levels.contains(v)))
            || (req.terrain && l.levtype == "sfc" && l.param == "z")
    }));
    if merged.is_empty() {
        return Err(ForecastError::Fetch {
            url: index_url,
            detail: "lists none of the wanted fields".into(),
        });
    }
    get_ranges(http, base, &merged, progress)
}

/// The byte ranges (inclusive) of these `.index` lines, sorted, touching ranges merged into
/// one request.
pub fn merge_index_ranges<'a>(
    lines: impl Iterator<Item = &'a EcmwfIndexLine>,
) -> Vec<(u64, Option<u64>)> {
    let mut ranges: Vec<(u64, Option<u64>)> = lines
        .filter(|l| l.length > 0)
        .map(|l| (l.offset, Some(l.offset.saturating_add(l.length - 1))))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u64, Option<u64>)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            // Touching or overlapping (two fields of one message listed twice): extend.
            Some((_, Some(e))) if r.0 <= e.saturating_add(1) => *e = (*e).max(r.1.unwrap_or(*e)),
            _ => merged.push(r),
        }
    }
    merged
}

/// The `(variable, level)` pairs of `needed` that `has` does not list, as `u 850` text.
fn missing_fields(
    levels: &[String],
    vars: &[&str],
    has: impl Fn(&str, &str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    for level in levels {
        for var in vars {
            if !has(var, level) {
                out.push(format!("{var} {level}"));
            }
        }
    }
    out
}

fn fetch_idx(
    http: &Http,
    url: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<IdxRecord>> {
    let text = get_text(http, url, progress)?;
    let records = parse_idx(&text).map_err(|e| ForecastError::Fetch {
        url: url.into(),
        detail: format!("색인 파일(.idx)을 읽을 수 없습니다 (bad .idx inventory): {e}"),
    })?;
    if records.is_empty() {
        return Err(ForecastError::Fetch {
            url: url.into(),
            detail: "색인 파일(.idx)이 비어 있습니다 (empty .idx inventory)".into(),
        });
    }
    Ok(records)
}

/// One GEFS member's step: the wanted levels from `pgrb2a`, and from `pgrb2b` those that
/// `a` lacks. Every level must have UGRD, VGRD and HGT; TMP comes where listed.
fn gefs_by_ranges(
    http: &Http,
    req: &Request,
    root: &str,
    hour: u32,
    member: u32,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Vec<u8>> {
    let levels: Vec<String> = req
        .levels_hpa
        .iter()
        .map(|p| format!("{} mb", level_key(*p)))
        .collect();
    let has = |recs: &[IdxRecord], var: &str, level: &str| {
        recs.iter().any(|r| r.var == var && r.level == level)
    };
    let a = format!(
        "{root}/{}",
        gefs_file_path(req.run_unix_s, hour, member, 'a')
    );
    let a_idx = format!("{a}.idx");
    let ra = fetch_idx(http, &a_idx, progress)?;
    let in_a = |r: &IdxRecord| {
        (matches!(r.var.as_str(), "UGRD" | "VGRD" | "HGT" | "TMP") && levels.contains(&r.level))
            || (req.terrain && r.var == "HGT" && r.level == "surface")
    };
    let missing: Vec<(String, String)> = levels
        .iter()
        .flat_map(|l| ["UGRD", "VGRD", "HGT"].map(|v| (v.to_string(), l.clone())))
        .filter(|(v, l)| !has(&ra, v, l))
        .collect();
    let a_ranges = idx_ranges(&ra, in_a);
    let mut out = if a_ranges.is_empty() {
        Vec::new()
    } else {
        get_ranges(http, &a, &a_ranges, progress)?
    };
    if !missing.is_empty() {
        let b = format!(
            "{root}/{}",
            gefs_file_path(req.run_unix_s, hour, member, 'b')
        );
        let b_idx = format!("{b}.idx");
        let rb = fetch_idx(http, &b_idx, progress).map_err(|e| ForecastError::Fetch {
            url: b_idx.clone(),
            detail: format!(
                "{a_idx} 에 없는 필드를 찾을 수 없습니다 (member {member}: {} not in pgrb2a, and pgrb2b failed: {e})",
                missing
                    .iter()
                    .map(|(v, l)| format!("{v} {l}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
        let still = missing_fields(&levels, &["UGRD", "VGRD", "HGT"], |v, l| {
            has(&ra, v, l) || has(&rb, v, l)
        });
        if !still.is_empty() {
            return Err(ForecastError::Fetch {
                url: b_idx,
                detail: format!(
                    "필요한 필드가 색인에 없습니다 (member {member}: neither this index nor {a_idx} lists {})",
                    still.join(", ")
                ),
            });
        }
        let in_b = |r: &IdxRecord| {
            let wanted_here = missing.iter().any(|(v, l)| *v == r.var && *l == r.level);
            let tmp = r.var == "TMP" && levels.contains(&r.level) && !has(&ra, "TMP", &r.level);
            wanted_here || tmp
        };
        out.extend(get_ranges(http, &b, &idx_ranges(&rb, in_b), progress)?);
    }
    Ok(out)
}

/// One ECMWF ensemble member's step from the step's file of every member.
fn ecmwf_ens_by_ranges(
    http: &Http,
    req: &Request,
    base: &str,
    member: u32,
    progress: &(dyn Fn(Progress) + Sync),
    cache: &IndexCache,
) -> Result<Vec<u8>> {
    let index_url = format!("{}.index", base.trim_end_matches(".grib2"));
    let lines = {
        let mut map = cache.lock().map_err(|_| ForecastError::Fetch {
            url: index_url.clone(),
            detail: "another download failed while reading this index".into(),
        })?;
        match map.get(&index_url) {
            Some(l) => l.clone(),
            None => {
                let text = get_text(http, &index_url, progress)?;
                let lines = parse_ecmwf_index(&text).map_err(|e| ForecastError::Fetch {
                    url: index_url.clone(),
                    detail: format!("색인 파일(.index)을 읽을 수 없습니다 (bad .index file): {e}"),
                })?;
                let lines = std::sync::Arc::new(lines);
                map.insert(index_url.clone(), lines.clone());
                lines
            }
        }
    };
    let mine: Vec<&EcmwfIndexLine> = lines
        .iter()
        .filter(|l| l.member() == Some(member))
        .collect();
    if mine.is_empty() {
        let mut listed: Vec<u32> = lines.iter().filter_map(EcmwfIndexLine::member).collect();
        listed.sort_unstable();
        listed.dedup();
        return Err(ForecastError::Fetch {
            url: index_url,
            detail: format!(
                "앙상블 멤버 {member}이(가) 색인에 없습니다 (the index lists no member {member}; it lists {})",
                if listed.is_empty() {
                    "no ensemble member: is this a deterministic (oper) index?".to_string()
                } else {
                    format!(
                        "{} member(s), {}..{}",
                        listed.len(),
                        listed[0],
                        listed[listed.len() - 1]
                    )
                }
            ),
        });
    }
    let levels: Vec<String> = req.levels_hpa.iter().map(|p| level_key(*p)).collect();
    let still = missing_fields(&levels, &["u", "v", "gh"], |p, l| {
        mine.iter()
            .any(|x| x.levtype == "pl" && x.param == p && x.levelist.as_deref() == Some(l))
    });
    if !still.is_empty() {
        return Err(ForecastError::Fetch {
            url: index_url,
            detail: format!(
                "필요한 필드가 색인에 없습니다 (member {member}: the index lists no {} hPa)",
                still.join(" hPa, ")
            ),
        });
    }
    let merged = merge_index_ranges(mine.into_iter().filter(|l| {
        (l.levtype == "pl"
            && matches!(l.param.as_str(), "u" | "v" | "gh" | "t")
            && l.levelist.as_ref().is_some_and(|v| levels.contains(v)))
            || (req.terrain && l.levtype == "sfc" && l.param == "z")
    }));
    get_ranges(http, base, &merged, progress)
}

/// Runs the newest first that `latest` may mean at `now_unix_s`: the last four 6-hourly
/// runs at least 4 hours old (GFS) or 8 hours old (ECMWF).
pub fn latest_candidates(model: Model, now_unix_s: i64) -> Vec<i64> {
    let delay = match model {
        Model::Gfs => 4 * 3600,
        Model::Ecmwf | Model::EcmwfEns => 8 * 3600,
        Model::Gefs => 6 * 3600,
    };
    let newest = (now_unix_s - delay).div_euclid(6 * 3600) * 6 * 3600;
    (0..4).map(|k| newest - k * 6 * 3600).collect()
}

/// True if the run's last requested step is published (its inventory answers 200).
pub fn run_available(req: &Request, ep: &Endpoints) -> bool {
    let http = Http::new(&Request {
        attempts: 1,
        ..req.clone()
    });
    let Some(&last) = req.hours.iter().max() else {
        return false;
    };
    let quiet = |_: Progress| {};
    let urls: Vec<String> = match req.model {
        Model::Gfs => ep
            .gfs_mirrors
            .iter()
            .map(|m| {
                format!(
                    "{}/{}.idx",
                    m.trim_end_matches('/'),
                    gfs_file_path(req.run_unix_s, last)
                )
            })
            .collect(),
        Model::Gefs => ep
            .gefs_mirrors
            .iter()
            .map(|m| {
                format!(
                    "{}/{}.idx",
                    m.trim_end_matches('/'),
                    gefs_file_path(
                        req.run_unix_s,
                        last,
                        req.members.first().copied().unwrap_or(0),
                        'a'
                    )
                )
            })
            .collect(),
        Model::EcmwfEns => ep
            .ecmwf_roots
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r.trim_end_matches('/'),
                    ecmwf_ens_file_path(req.run_unix_s, last).replace(".grib2", ".index")
                )
            })
            .collect(),
        Model::Ecmwf => ep
            .ecmwf_roots
            .iter()
            .map(|r| {
                format!(
                    "{}/{}",
                    r.trim_end_matches('/'),
                    ecmwf_file_path(req.run_unix_s, last).replace(".grib2", ".index")
                )
            })
            .collect(),
    };
    urls.iter()
        .any(|u| matches!(http.get(u, None, &quiet), Ok(Got::Body(_))))
}

/// Downloads every step of `req` into `req.staging_dir` (skipping steps already staged:
/// resumable), at most `req.concurrency` at once, then decodes them into one forecast.
pub fn fetch(
    req: &Request,
    ep: &Endpoints,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Forecast> {
    fetch_cancellable(req, ep, progress, &|| false)?.ok_or_else(|| ForecastError::Fetch {
        url: req.model.name().into(),
        detail: "stopped before every step was downloaded".into(),
    })
}

/// [`fetch`] that stops starting downloads once `cancelled()` says so (polled before each
/// step file; a step already downloading finishes) and then returns `Ok(None)`. The staged
/// steps stay in `req.staging_dir`, so fetching the same run again resumes.
pub fn fetch_cancellable(
    req: &Request,
    ep: &Endpoints,
    progress: &(dyn Fn(Progress) + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Forecast>> {
    let run_hour = (req.run_unix_s.rem_euclid(86_400) / 3600) as u32;
    if req.run_unix_s.rem_euclid(6 * 3600) != 0 {
        return Err(ForecastError::Fetch {
            url: req.model.name().into(),
            detail: format!(
                "run {} is not a 00/06/12/18 UTC run",
                time::format_run(req.run_unix_s)
            ),
        });
    }
    if let Some(h) = req
        .hours
        .iter()
        .find(|&&h| !req.model.has_step(run_hour, h))
    {
        return Err(ForecastError::Fetch {
            url: req.model.name().into(),
            detail: format!(
                "{} does not publish step +{h} h for a {run_hour:02}Z run",
                req.model.name()
            ),
        });
    }
    if req.hours.is_empty() || req.levels_hpa.len() < 2 {
        return Err(ForecastError::Fetch {
            url: req.model.name().into(),
            detail: "need at least one step and two levels".into(),
        });
    }
    let members: Vec<Option<u32>> = match req.model.max_member() {
        None if req.members.iter().any(|&m| m != 0) => {
            return Err(ForecastError::Fetch {
                url: req.model.name().into(),
                detail: format!(
                    "{}은(는) 앙상블 예보가 아닙니다 (not an ensemble: members work with gefs and ecmwf-ens)",
                    req.model.name()
                ),
            });
        }
        None => vec![None],
        Some(max) => {
            let mut seen = std::collections::BTreeSet::new();
            if req.members.is_empty() {
                return Err(ForecastError::Fetch {
                    url: req.model.name().into(),
                    detail: "앙상블 멤버를 하나 이상 고르십시오 (no ensemble member selected)"
                        .into(),
                });
            }
            for &m in &req.members {
                if m > max || !seen.insert(m) {
                    return Err(ForecastError::Fetch {
                        url: req.model.name().into(),
                        detail: format!(
                            "앙상블 멤버 번호가 잘못되었습니다 (member {m}: {} has members 0..={max}, each once)",
                            req.model.name()
                        ),
                    });
                }
            }
            req.members.iter().map(|&m| Some(m)).collect()
        }
    };
    std::fs::create_dir_all(&req.staging_dir)
        .map_err(|e| ForecastError::io(req.staging_dir.display(), "cannot create directory", e))?;
    let http = Http::new(req);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let first_error: Mutex<Option<ForecastError>> = Mutex::new(None);
    let index_cache: IndexCache = Mutex::new(std::collections::HashMap::new());
    // Step-major: the members of one step come together (one ECMWF index read serves them).
    let jobs: Vec<(u32, Option<u32>)> = req
        .hours
        .iter()
        .flat_map(|&h| members.iter().map(move |&m| (h, m)))
        .collect();
    let total = jobs.len();
    let file_of = |h: u32, m: Option<u32>| match m {
        None => req.staging_dir.join(format!("f{h:03}.grib2")),
        Some(m) => req.staging_dir.join(format!("f{h:03}-m{m:02}.grib2")),
    };
    std::thread::scope(|s| {
        for _ in 0..req.concurrency.clamp(1, 8).min(total) {
            s.spawn(|| {
                loop {
                    if first_error.lock().map(|e| e.is_some()).unwrap_or(true) || cancelled() {
                        return;
                    }
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(hour, member)) = jobs.get(k) else {
                        return;
                    };
                    let dest = file_of(hour, member);
                    let result = match std::fs::metadata(&dest) {
                        Ok(m) if m.len() > 0 => Ok((m.len(), "staged", true)),
                        _ => {
                            fetch_step(&http, req, ep, hour, member, &dest, progress, &index_cache)
                                .map(|(b, via)| (b, via, false))
                        }
                    };
                    match result {
                        Ok((bytes, via, resumed)) => {
                            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
                            progress(Progress::StepDone {
                                done: d,
                                total,
                                hour,
                                member,
                                bytes,
                                resumed,
                                via,
                            });
                        }
                        Err(e) => {
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    if done.load(Ordering::SeqCst) < total {
        // Only a cancellation leaves steps undone without an error.
        return Ok(None);
    }
    let files: Vec<PathBuf> = jobs.iter().map(|&(h, m)| file_of(h, m)).collect();
    let mut f = Forecast::from_grib2_files(&files, req.region)?;
    if req.model.max_member().is_some() {
        // Each file must hold the member it was fetched as: a mirror serving another
        // member's file under this name would otherwise mix silently.
        let mut got: Vec<u32> = f.info.members.iter().map(|m| m.number).collect();
        let mut want = req.members.clone();
        got.sort_unstable();
        want.sort_unstable();
        if got != want {
            // The staged files are wrong: the next fetch starts afresh.
            let _ = std::fs::remove_dir_all(&req.staging_dir);
            return Err(ForecastError::Fetch {
                url: req.staging_dir.display().to_string(),
                detail: format!(
                    "받은 파일의 앙상블 멤버가 요청과 다릅니다 (the files hold members {got:?}, asked for {want:?})"
                ),
            });
        }
    }
    if !req.terrain {
        // Asked not to: a source that sent terrain anyway (a filter ignoring the level
        // selection, a resumed staging) does not bring it in.
        f.terrain = None;
        f.info.terrain = None;
        f.info.terrain_notes.clear();
    }
    f.info.origin = format!(
        "{} {} fetched",
        req.model.name(),
        time::format_run(req.run_unix_s)
    );
    Ok(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_parsing_handles_submessages_missing_colons_and_the_open_end() {
        let text = "1:0:d=2023013112:PRMSL:mean sea level:1 hour fcst:\n\
                    2:100:d=2023013112:UGRD:850 mb:1 hour fcst:\n\
                    3.1:250:d=2023013112:UGRD:500 mb:1 hour fcst:\n\
                    3.2:250:d=2023013112:VGRD:500 mb:1 hour fcst:\n\
                    4:400:d=2023013112:VGRD:850 mb:1 hour fcst\n\
                    5:550:d=2023013112:TMP:2 m above ground:1 hour fcst:\n\
                    6:700:d=2023013112:HGT:850 mb:anl:ens mean\n";
        let r = parse_idx(text).expect("parses");
        assert_eq!(r.len(), 7);
        assert_eq!(r[2].number, "3.1");
        assert_eq!(r[4].level, "850 mb");
        assert_eq!(r[6].var, "HGT");
        let want = |r: &IdxRecord| r.level == "850 mb" || r.var == "VGRD" && r.level == "500 mb";
        // UGRD 850 = 100..249; VGRD 500 shares message 3 = 250..399 and touches VGRD 850
        // (400..549): one merged range 100..549; HGT 850 is last: open-ended.
        assert_eq!(idx_ranges(&r, want), vec![(100, Some(549)), (700, None)]);
        // Only the sub-record 3.2: its range runs to the next distinct offset.
        assert_eq!(
            idx_ranges(&r, |r| r.number == "3.2"),
            vec![(250, Some(399))]
        );
        assert!(parse_idx("1:abc:d=x:UGRD:850 mb:").is_err());
        assert!(parse_idx("x:0:d=x:UGRD:850 mb:").is_err());
        assert!(parse_idx("1:0:d").is_err());
        assert!(
            parse_idx("1:100:d=x:UGRD:850 mb:\n2:50:d=x:VGRD:850 mb:")
                .unwrap_err()
                .contains("before the previous")
        );
    }

    #[test]
    fn idx_ranges_do_not_repeat_a_last_message_with_sub_records_fuzz_regression() {
        let r =
            parse_idx("1:0:d=x:UGRD:850 mb:\n2:100:d=x:UGRD:700 mb:\n2.2:100:d=x:VGRD:700 mb:\n")
                .expect("parses");
        assert_eq!(idx_ranges(&r, |_| true), vec![(0, None)]);
        assert_eq!(idx_ranges(&r, |r| r.level == "700 mb"), vec![(100, None)]);
    }

    #[test]
    fn ensemble_index_lines_carry_their_member() {
        let text = concat!(
            r#"{"type": "cf", "param": "u", "levtype": "pl", "levelist": "850", "_offset": 0, "_length": 10}"#,
            "\n",
            r#"{"type": "pf", "number": "7", "param": "u", "levtype": "pl", "levelist": "850", "_offset": 10, "_length": 10}"#,
            "\n",
            r#"{"type": "pf", "number": 8, "param": "v", "levtype": "pl", "levelist": "850", "_offset": 20, "_length": 10}"#,
            "\n",
            r#"{"type": "fc", "param": "v", "levtype": "pl", "levelist": "850", "_offset": 30, "_length": 10}"#,
        );
        let lines = parse_ecmwf_index(text).expect("parses");
        let members: Vec<Option<u32>> = lines.iter().map(EcmwfIndexLine::member).collect();
        assert_eq!(members, vec![Some(0), Some(7), Some(8), None]);
        assert!(
            parse_ecmwf_index(
                r#"{"number": "x", "param": "u", "levtype": "pl", "_offset": 0, "_length": 1}"#
            )
            .is_err()
        );
        // Touching ranges of one member become one request.
        assert_eq!(merge_index_ranges(lines[1..3].iter()), vec![(10, Some(29))]);
    }

    #[test]
    fn whole_grib2_messages_pass_and_cut_ones_fail() {
        let mut msg = b"GRIB\0\0\0\x02".to_vec();
        msg.extend(20u64.to_be_bytes());
        msg.extend(b"7777");
        assert_eq!(msg.len(), 20);
        let two = [msg.clone(), msg.clone()].concat();
        assert_eq!(check_grib2_messages(&two), Ok(2));
        assert!(
            check_grib2_messages(&two[..38])
                .unwrap_err()
                .contains("잘렸습니다")
        );
        assert!(
            check_grib2_messages(&two[1..])
                .unwrap_err()
                .contains("byte 0")
        );
        assert!(check_grib2_messages(b"").is_err());
        let mut ed1 = msg.clone();
        ed1[7] = 1;
        assert!(
            check_grib2_messages(&ed1)
                .unwrap_err()
                .contains("edition 1")
        );
    }

    #[test]
    fn gefs_paths_and_steps() {
        assert_eq!(
            gefs_file_path(1_318_032_000, 72, 0, 'a'),
            "gefs.20111008/00/atmos/pgrb2ap5/gec00.t00z.pgrb2a.0p50.f072"
        );
        assert_eq!(
            gefs_file_path(1_318_032_000, 6, 30, 'b'),
            "gefs.20111008/00/atmos/pgrb2bp5/gep30.t00z.pgrb2b.0p50.f006"
        );
        assert_eq!(
            ecmwf_ens_file_path(1_318_032_000, 72),
            "20111008/00z/ifs/0p25/enfo/20111008000000-72h-enfo-ef.grib2"
        );
        assert!(Model::Gefs.has_step(0, 240) && !Model::Gefs.has_step(0, 243));
        assert!(Model::Gefs.has_step(6, 246) && !Model::Gefs.has_step(0, 4));
        assert!(Model::EcmwfEns.has_step(0, 360) && !Model::EcmwfEns.has_step(6, 150));
        assert_eq!(Model::Gefs.max_member(), Some(30));
        assert_eq!(Model::EcmwfEns.max_member(), Some(50));
        assert_eq!(Model::Gfs.max_member(), None);
    }

    #[test]
    fn ecmwf_index_lines_parse() {
        let text = r#"{"domain": "g", "date": "20240201", "time": "0000", "param": "u", "levtype": "pl", "levelist": "850", "step": "3", "_offset": 665525, "_length": 100000}
{"param": "2t", "levtype": "sfc", "_offset": 0, "_length": 10}
"#;
        let l = parse_ecmwf_index(text).expect("parses");
        assert_eq!(l[0].levelist.as_deref(), Some("850"));
        assert_eq!((l[0].offset, l[0].length), (665_525, 100_000));
        assert_eq!(l[1].levelist, None);
        assert!(parse_ecmwf_index("{not json").is_err());
    }

    #[test]
    fn urls_and_steps() {
        let run = crate::time::parse_run("2026112906").expect("run");
        let u = gfs_filter_url(
            "https://x/f.pl",
            run,
            3,
            &[850.0, 500.0],
            &Region::KOREA,
            false,
        );
        assert!(!u.contains("lev_surface"));
        let with = gfs_filter_url(
            "https://x/f.pl",
            run,
            3,
            &[850.0, 500.0],
            &Region::KOREA,
            true,
        );
        assert!(with.contains("&var_HGT=on") && with.contains("&lev_surface=on"));
        assert!(u.starts_with(
            "https://x/f.pl?dir=%2Fgfs.20261129%2F06%2Fatmos&file=gfs.t06z.pgrb2.0p25.f003"
        ));
        assert!(
            u.contains("&lev_850_mb=on&lev_500_mb=on")
                && u.contains("&var_UGRD=on")
                && u.contains("leftlon=119.75")
        );
        assert_eq!(
            gfs_file_path(run, 120),
            "gfs.20261129/06/atmos/gfs.t06z.pgrb2.0p25.f120"
        );
        assert_eq!(
            ecmwf_file_path(run, 6),
            "20261129/06z/ifs/0p25/oper/20261129060000-6h-oper-fc.grib2"
        );
        assert!(
            Model::Gfs.has_step(0, 7)
                && !Model::Gfs.has_step(0, 121)
                && Model::Gfs.has_step(0, 123)
        );
        assert!(
            Model::Ecmwf.has_step(0, 144)
                && !Model::Ecmwf.has_step(0, 145)
                && Model::Ecmwf.has_step(0, 150)
        );
        assert!(!Model::Ecmwf.has_step(6, 96));
        let now = crate::time::parse_utc("2026-11-29T09:30Z").expect("now");
        assert_eq!(
            latest_candidates(Model::Gfs, now)[0],
            crate::time::parse_run("2026112900").expect("run")
        );
    }
}
