//! `saebaram forecast fetch`: download a run for the region into the cache.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use saebaram_forecast::fetch::{self, Endpoints, Model, Progress, Request};
use saebaram_forecast::{Region, time};
use serde_json::json;

use crate::output::Status;

/// Arguments of `saebaram forecast fetch`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram forecast fetch gfs                                  # latest GFS run, +0..+120 h hourly, Korea box
  saebaram forecast fetch gfs --run 2026112900 --hours 0-48
  saebaram forecast fetch ecmwf --hours 0-144/6 --levels 1000,925,850,700,500,300,250,200

GFS comes through the NOMADS grib filter (cropped on the server), else as byte ranges read
from the .idx inventory on the open-data mirrors; ECMWF open data through its .index files
(whole global fields: about 30 MB per step). The model terrain comes too unless --no-terrain:
GFS HGT:surface, ECMWF surface geopotential z when its .index lists it; flights then end on
it where no DEM is given (predict/plan --terrain). Interrupted fetches resume where they stopped.
Base URLs can be changed with --gfs-filter/--gfs-mirror/--ecmwf-root or the environment
variables SAEBARAM_GFS_FILTER, SAEBARAM_GFS_MIRRORS, SAEBARAM_ECMWF_ROOTS (comma-separated).")]
pub struct FetchArgs {
    /// The model: `gfs` (NOAA, public domain) or `ecmwf` (IFS open data, CC BY 4.0).
    #[arg(value_parser = ["gfs", "ecmwf"])]
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
    /// ECMWF open-data root (repeatable), holding YYYYMMDD/HHz/ifs/0p25/oper/.
    #[arg(long)]
    pub ecmwf_root: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_hours(s: &str, model: Model, run_hour: u32) -> anyhow::Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                Some(
                    st.parse::<u32>()
                        .ok()
                        .filter(|&x| x > 0)
                        .with_context(|| format!("--hours {s:?}: bad step {st:?}"))?,
                ),
            ),
            None => (part, None),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (range.parse::<u32>(), range.parse::<u32>()),
        };
        let (Ok(a), Ok(b)) = (a, b) else {
            bail!("--hours {s:?}: want e.g. 0-120, 0-48/3 or 0,6,12")
        };
        if a > b || b > 384 {
            bail!("--hours {s:?}: want 0 <= FROM <= TO <= 384");
        }
        let explicit = step.is_some() || a == b;
        for h in (a..=b).step_by(step.unwrap_or(1) as usize) {
            if model.has_step(run_hour, h) {
                out.push(h);
            } else if explicit {
                bail!(
                    "--hours {s:?}: {} does not publish +{h} h for a {run_hour:02}Z run",
                    model.name()
                );
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        bail!("--hours {s:?} selects no step {} publishes", model.name());
    }
    Ok(out)
}

fn endpoints(a: &FetchArgs) -> Endpoints {
    let mut ep = Endpoints::default();
    let env_list = |k: &str| -> Option<Vec<String>> {
        std::env::var(k)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
    };
    if let Some(f) = a
        .gfs_filter
        .clone()
        .or_else(|| std::env::var("SAEBARAM_GFS_FILTER").ok())
    {
        ep.gfs_filter = f;
    }
    if !a.gfs_mirror.is_empty() {
        ep.gfs_mirrors = a.gfs_mirror.clone();
    } else if let Some(m) = env_list("SAEBARAM_GFS_MIRRORS") {
        ep.gfs_mirrors = m;
    }
    if !a.ecmwf_root.is_empty() {
        ep.ecmwf_roots = a.ecmwf_root.clone();
    } else if let Some(r) = env_list("SAEBARAM_ECMWF_ROOTS") {
        ep.ecmwf_roots = r;
    }
    ep
}

/// Runs `saebaram forecast fetch`.
pub fn run(a: FetchArgs, env: &saebaram_jobs::Env) -> anyhow::Result<Status> {
    let model = if a.model == "gfs" {
        Model::Gfs
    } else {
        Model::Ecmwf
    };
    let ep = endpoints(&a);
    let cache = super::cache_dir(a.cache_dir.as_deref(), env)?;
    let levels = a.levels.clone().unwrap_or_else(|| model.default_levels());
    if levels.len() < 2 || levels.iter().any(|p| !(*p > 0.0 && *p <= 1100.0)) {
        bail!("--levels: want at least two pressure levels in hPa, e.g. 1000,850,700,500");
    }
    let make = |run: i64| -> anyhow::Result<Request> {
        let run_hour = (run.rem_euclid(86_400) / 3600) as u32;
        Ok(Request {
            model,
            run_unix_s: run,
            hours: parse_hours(&a.hours, model, run_hour)?,
            region: a.region,
            levels_hpa: levels.clone(),
            terrain: !a.no_terrain,
            staging_dir: cache.join(".staging").join(format!(
                "{}-{}",
                model.name(),
                time::format_run(run)
            )),
            concurrency: a.concurrency,
            attempts: a.attempts.max(1),
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(120),
        })
    };
    let req = if a.run == "latest" {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs() as i64;
        let candidates = fetch::latest_candidates(model, now);
        let mut found = None;
        for run in &candidates {
            let r = make(*run)?;
            if fetch::run_available(&r, &ep) {
                found = Some(r);
                break;
            }
        }
        found.with_context(|| {
            format!(
                "no {} run of the last day ({}) answers with the requested steps: this machine may be offline, or the \
                 servers down. Retry later, or name a run with --run YYYYMMDDHH. Offline, use the cache (`saebaram forecast \
                 list`) or the built-in 2019 sample.",
                model.name(),
                candidates.iter().map(|r| time::format_run(*r)).collect::<Vec<_>>().join(", ")
            )
        })?
    } else {
        let run = time::parse_run(&a.run)
            .with_context(|| format!("--run {:?}: want latest or YYYYMMDDHH", a.run))?;
        make(run)?
    };
    let bar = ProgressBar::new(req.hours.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} steps {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(format!(
        "{} {}",
        model.name(),
        time::format_run(req.run_unix_s)
    ));
    let progress = |p: Progress| match p {
        Progress::StepDone {
            hour, bytes, via, ..
        } => {
            bar.inc(1);
            bar.set_message(format!("+{hour} h {:.1} MB via {via}", bytes as f64 / 1e6));
        }
        Progress::Retry {
            url,
            attempt,
            error,
        } => bar.println(format!("retrying ({attempt}) {url}: {error}")),
    };
    let f = fetch::fetch(&req, &ep, &progress).with_context(|| {
        format!(
            "cannot fetch {} {} (steps already downloaded are kept in {} and reused next time)",
            model.name(),
            time::format_run(req.run_unix_s),
            req.staging_dir.display()
        )
    })?;
    bar.finish_and_clear();
    let path = f.write_cache(&cache).context("cannot write the cache")?;
    let _ = std::fs::remove_dir_all(&req.staging_dir);
    let i = f.info();
    if a.json {
        let v = json!({
            "cache_file": path, "model": model.name(), "run": time::format_rfc3339(i.run_unix_s), "run_name": i.run_name(),
            "steps_h": i.steps_h(), "levels_hpa": i.levels_hpa, "grid": i.grid, "credit": i.credit,
            "terrain": i.terrain, "terrain_summary": i.terrain_summary(), "terrain_notes": i.terrain_notes,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "fetched {} {}: {} steps (+{}..+{} h), {} levels, {} -> {}",
            model.name(),
            i.run_name(),
            i.valid_unix_s.len(),
            req.hours.first().copied().unwrap_or(0),
            req.hours.last().copied().unwrap_or(0),
            i.levels_hpa.len(),
            i.grid,
            path.display()
        );
        let why = if a.no_terrain {
            " (--no-terrain)"
        } else if i.terrain.is_none() {
            " (the source offered no terrain field)"
        } else {
            ""
        };
        println!("terrain: {}{why}", i.terrain_summary());
        for n in &i.terrain_notes {
            println!("  note: {n}");
        }
        println!(
            "use it: saebaram forecast sample -f {} --lat 37.8 --lon 126.75 --alt 3000",
            i.run_name()
        );
        println!("credit: {}", i.credit);
    }
    Ok(Status::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_expand_to_published_steps() {
        assert_eq!(
            parse_hours("0-5", Model::Gfs, 0).expect("ok"),
            vec![0, 1, 2, 3, 4, 5]
        );
        assert_eq!(
            parse_hours("118-126", Model::Gfs, 0).expect("ok"),
            vec![118, 119, 120, 123, 126]
        );
        assert_eq!(
            parse_hours("0-12", Model::Ecmwf, 0).expect("ok"),
            vec![0, 3, 6, 9, 12]
        );
        assert_eq!(
            parse_hours("0-12/6,3", Model::Gfs, 0).expect("ok"),
            vec![0, 3, 6, 12]
        );
        assert!(parse_hours("7", Model::Ecmwf, 0).is_err());
        assert!(parse_hours("5-1", Model::Gfs, 0).is_err());
        assert!(parse_hours("x", Model::Gfs, 0).is_err());
    }
}
