//! `saebaram forecast fetch`: download a run for the region into the cache.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use saebaram_forecast::Region;
use saebaram_jobs::forecast::{FetchModel, FetchRequest};
use saebaram_jobs::{Event, Progress, parse};

use crate::output::Status;

/// Arguments of `saebaram forecast fetch`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram forecast fetch gfs                                  # latest GFS run, +0..+120 h hourly, Korea box
  saebaram forecast fetch gfs --run 2026112900 --hours 0-48
  saebaram forecast fetch ecmwf --hours 0-144/6 --levels 1000,925,850,700,500,300,250,200
  saebaram forecast fetch gefs --hours 0-120/6 --members 0-10     # control + 10 GEFS members
  saebaram forecast fetch ecmwf-ens --hours 0-72/6 --members all  # control + 50 ECMWF members

GFS comes through the NOMADS grib filter (cropped on the server), else as byte ranges read
from the .idx inventory on the open-data mirrors; ECMWF open data through its .index files
(whole global fields: about 30 MB per step). Ensembles: GEFS 0.5° (gec00 + gep01-30, one file per
member, byte ranges from each .idx; about 10-16 MB per member and step) and ECMWF ENS (cf +
pf 1-50 in one file per step, byte ranges from its .index; about 30-48 MB per member and
step; sizes and times on slow links in docs/forecast.md): the cache keeps every member; --members picks a subset. The model terrain comes too unless --no-terrain:
GFS HGT:surface, ECMWF surface geopotential z when its .index lists it; flights then end on
it where no DEM is given (predict/plan --terrain). Interrupted fetches resume where they stopped.
Base URLs can be changed with --gfs-filter/--gfs-mirror/--ecmwf-root or the environment
variables SAEBARAM_GFS_FILTER, SAEBARAM_GFS_MIRRORS, SAEBARAM_GEFS_MIRRORS, SAEBARAM_ECMWF_ROOTS
(comma-separated).")]
pub struct FetchArgs {
    /// The model: `gfs` (NOAA, public domain), `ecmwf` (IFS open data, CC BY 4.0), or the
    /// ensembles `gefs` (NOAA, 31 members) and `ecmwf-ens` (ECMWF, 51 members).
    #[arg(value_parser = ["gfs", "ecmwf", "gefs", "ecmwf-ens"])]
    pub model: String,
    /// The run: `latest` or YYYYMMDDHH (HH = 00, 06, 12 or 18).
    #[arg(long, default_value = "latest")]
    pub run: String,
    /// Forecast hours: `0-120` (every published step), `0-48/3` (every 3 h), or `0,6,12`.
    #[arg(long, default_value = "0-120")]
    pub hours: String,
    /// Region to keep: LAT_MIN,LAT_MAX,LON_MIN,LON_MAX or `korea`.
    #[arg(long, default_value = "korea", value_parser = Region::parse, allow_hyphen_values = true)]
    pub region: Region,
    /// Pressure levels, hPa, comma-separated (default: the model's levels from 1000 to 100 hPa).
    #[arg(long, value_delimiter = ',')]
    pub levels: Option<Vec<f64>>,
    /// Do not fetch the model terrain (GFS HGT:surface, ECMWF surface z); flights then end at
    /// sea level unless a DEM is given.
    #[arg(long)]
    pub no_terrain: bool,
    /// Downloads at once (1-8).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Attempts per request (retries back off exponentially from 1 s).
    #[arg(long, default_value_t = 4)]
    pub attempts: u32,
    /// Cache directory (default: $SAEBARAM_CACHE_DIR or the XDG cache directory).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// NOMADS grib-filter CGI URL for GFS ("" to skip the filter).
    #[arg(long)]
    pub gfs_filter: Option<String>,
    /// GFS mirror root (repeatable), holding gfs.YYYYMMDD/HH/atmos/.
    #[arg(long)]
    pub gfs_mirror: Vec<String>,
    /// ECMWF open-data root (repeatable), holding YYYYMMDD/HHz/ifs/0p25/oper/ (and enfo/).
    #[arg(long)]
    pub ecmwf_root: Vec<String>,
    /// GEFS mirror root (repeatable), holding gefs.YYYYMMDD/HH/atmos/pgrb2ap5/.
    #[arg(long)]
    pub gefs_mirror: Vec<String>,
    /// Ensemble members to fetch (gefs, ecmwf-ens): `all` (default), `0-10`, `0,3,5`;
    /// 0 is the control.
    #[arg(long)]
    pub members: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `saebaram forecast fetch`.
pub fn run(a: FetchArgs, env: &saebaram_jobs::Env) -> anyhow::Result<Status> {
    let request = FetchRequest {
        model: match a.model.as_str() {
            "gfs" => FetchModel::Gfs,
            "gefs" => FetchModel::Gefs,
            "ecmwf-ens" => FetchModel::EcmwfEns,
            _ => FetchModel::Ecmwf,
        },
        run_unix_s: parse::run(&a.run)?,
        hours: a.hours.clone(),
        region: a.region,
        levels_hpa: a.levels.clone(),
        terrain: !a.no_terrain,
        concurrency: a.concurrency,
        attempts: a.attempts,
        cache_dir: a.cache_dir.clone(),
        gfs_filter: a.gfs_filter.clone(),
        gfs_mirrors: a.gfs_mirror.clone(),
        ecmwf_roots: a.ecmwf_root.clone(),
        gefs_mirrors: a.gefs_mirror.clone(),
        members: a.members.clone(),
    };
    let bar = Bar::new(&a.model);
    let report = saebaram_jobs::forecast::fetch(request, env, &bar)?;
    bar.bar.finish_and_clear();
    if a.json {
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Status::Done);
    }
    println!(
        "fetched {} {}: {} steps (+{}..+{} h), {} levels, {} -> {}",
        report.model,
        report.run_name,
        report.steps_h.len(),
        report.hours.first().copied().unwrap_or(0),
        report.hours.last().copied().unwrap_or(0),
        report.levels_hpa.len(),
        report.grid,
        report.cache_file.display()
    );
    let why = if !report.terrain_requested {
        " (--no-terrain)"
    } else if report.terrain.is_none() {
        " (the source offered no terrain field)"
    } else {
        ""
    };
    if let (Some(first), Some(last)) = (report.members.first(), report.members.last()) {
        println!(
            "members: {} ({first}-{last}; 0 = control)",
            report.members.len()
        );
    }
    println!("terrain: {}{why}", report.terrain_summary);
    for n in &report.terrain_notes {
        println!("  note: {n}");
    }
    println!(
        "use it: saebaram forecast sample -f {} --lat 37.8 --lon 126.75 --alt 3000",
        report.run_name
    );
    println!("credit: {}", report.credit);
    Ok(Status::Done)
}

/// The download's bar: steps done, the last step's size and route, retries above it.
struct Bar {
    bar: ProgressBar,
    model: String,
}

impl Bar {
    fn new(model: &str) -> Bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} files {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar {
            bar,
            model: model.to_string(),
        }
    }
}

impl Progress for Bar {
    fn event(&self, event: Event) {
        match event {
            Event::StageStarted { total, .. } => {
                self.bar.set_length(total.unwrap_or(0));
                self.bar.set_prefix(self.model.clone());
            }
            Event::Step { done, .. } => self.bar.set_position(done),
            Event::ForecastStep { hour, bytes, via } => self
                .bar
                .set_message(format!("+{hour} h {:.1} MB via {via}", bytes as f64 / 1e6)),
            Event::Retry {
                url,
                attempt,
                error,
            } => self
                .bar
                .println(format!("retrying ({attempt}) {url}: {error}")),
            Event::Warning { warning } => self.bar.println(format!("note: {warning}")),
            _ => {}
        }
    }
}
