//! `saebaram forecast`: inspect, sample, list and import wind forecasts (and fetch them).

use std::path::PathBuf;

use anyhow::Context;
use saebaram_forecast::{Region, time};
use saebaram_jobs::Env;
use saebaram_jobs::forecast::{CacheEntry, ImportRequest, InfoRequest, ListRequest, SampleRequest};

use crate::output::Status;
use crate::progress::Terminal;

mod fetch;

/// Arguments of `saebaram forecast`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram forecast info                       # the built-in 2019 sample
  saebaram forecast info gfs.t00z.pgrb2.0p25.f003 --json
  saebaram forecast sample --lat 37.8 --lon 126.75 --level 850 --json
  saebaram forecast sample --forecast gfs-2026112900 --lat 38 --lon 127 --alt 5000 --time 2026-11-29T06:00Z
  saebaram forecast fetch gfs --run latest --hours 0-48
  saebaram forecast list

A FORECAST is a GRIB2 file, a directory of GRIB2 step files, a cache file (*.swc), a tawhiri
dataset (a file named YYYYMMDDHH), or the name of a cached run (`gfs-2026112900`,
`2026112900`, `latest`). Without one, the built-in JMA MEPS sample of 2019-06-05 00Z is used:
real winds, but not today's weather.

The cache directory is $SAEBARAM_CACHE_DIR, else the XDG cache directory
(~/.cache/saebaram/forecasts on Linux).")]
pub struct ForecastArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ForecastCommand,
}

/// `saebaram forecast` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ForecastCommand {
    /// Inventory of a forecast: fields, levels, steps and valid times, grid, region covered,
    /// what was derived.
    Info(InfoArgs),
    /// The interpolated wind, height, temperature and density at one point.
    Sample(SampleArgs),
    /// The runs in the cache.
    List(ListArgs),
    /// Decode GRIB2 files and store them in the cache as one run.
    Import(ImportArgs),
    /// Download a GFS or ECMWF run for the region into the cache (the only command that
    /// uses the network).
    Fetch(fetch::FetchArgs),
}

/// Where GRIB2 input is cropped to.
#[derive(Debug, clap::Args)]
pub struct RegionArg {
    /// Region GRIB2 input is cropped to: LAT_MIN,LAT_MAX,LON_MIN,LON_MAX or `korea`.
    #[arg(long, default_value = "korea", value_parser = Region::parse, allow_hyphen_values = true)]
    pub region: Region,
}

/// Arguments of `saebaram forecast info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// The forecast (file, directory, cache file, tawhiri dataset, cached run name).
    /// Default: the built-in 2019 sample.
    pub forecast: Option<String>,
    #[command(flatten)]
    pub region: RegionArg,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `saebaram forecast sample`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("vertical").required(true).args(["level", "alt"])))]
pub struct SampleArgs {
    /// The forecast (default: the built-in 2019 sample).
    #[arg(long, short = 'f')]
    pub forecast: Option<String>,
    /// Latitude, degrees north.
    #[arg(long, allow_hyphen_values = true)]
    pub lat: f64,
    /// Longitude, degrees east (-180..180 or 0..360).
    #[arg(long, allow_hyphen_values = true)]
    pub lon: f64,
    /// A pressure level the forecast holds, hPa (no vertical interpolation).
    #[arg(long)]
    pub level: Option<f64>,
    /// Altitude, metres above mean sea level (interpolated between levels).
    #[arg(long, allow_hyphen_values = true)]
    pub alt: Option<f64>,
    /// Valid time (UTC): 2026-11-29T06:00Z, 2026112906, or @UNIX_SECONDS. Default: the
    /// first valid time of the forecast (a steady single-time field is valid at any time).
    #[arg(long)]
    pub time: Option<String>,
    #[command(flatten)]
    pub region: RegionArg,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `saebaram forecast list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Cache directory (default: $SAEBARAM_CACHE_DIR or the XDG cache directory).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `saebaram forecast import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// GRIB2 files (or directories of them) of one run.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub region: RegionArg,
    /// Cache directory (default: $SAEBARAM_CACHE_DIR or the XDG cache directory).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `saebaram forecast`.
pub fn run(args: ForecastArgs, env: &Env) -> anyhow::Result<Status> {
    match args.command {
        ForecastCommand::Info(a) => info(a, env),
        ForecastCommand::Sample(a) => sample(a, env),
        ForecastCommand::List(a) => list(a, env),
        ForecastCommand::Import(a) => import(a, env),
        ForecastCommand::Fetch(a) => fetch::run(a, env),
    }
}

fn hpa_list(levels: &[f64]) -> String {
    levels
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn info(a: InfoArgs, env: &Env) -> anyhow::Result<Status> {
    let request = InfoRequest {
        forecast: a.forecast.clone(),
        region: a.region.region,
    };
    let report = saebaram_jobs::forecast::info(request, env, &Terminal::new())?;
    if a.json {
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Status::Done);
    }
    let i = &report.info;
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<10}{v}\n"));
    line("forecast", i.origin.clone());
    if i.is_embedded_sample() {
        line("", "BUILT-IN 2019 SAMPLE: not today's weather".into());
    }
    line("source", format!("{} ({})", i.source, i.credit));
    line(
        "run",
        format!("{} ({})", time::format_rfc3339(i.run_unix_s), i.run_name()),
    );
    let steps = i.steps_h();
    let steps_s = if steps.len() <= 12 {
        steps
            .iter()
            .map(|s| format!("+{s}"))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        format!(
            "+{} .. +{} ({} steps)",
            steps[0],
            steps[steps.len() - 1],
            steps.len()
        )
    };
    line("steps", format!("{steps_s} h"));
    let (first, last) = (i.valid_unix_s[0], i.valid_unix_s[i.valid_unix_s.len() - 1]);
    if i.is_steady() {
        line(
            "valid",
            format!(
                "{} only: a steady field, used at any time",
                time::format_rfc3339(first)
            ),
        );
    } else {
        line(
            "valid",
            format!(
                "{} .. {} (strict: outside is an error)",
                time::format_rfc3339(first),
                time::format_rfc3339(last)
            ),
        );
    }
    line(
        "levels",
        format!(
            "{} hPa with u, v, height{}",
            hpa_list(&i.levels_hpa),
            if i.has_temperature { ", t" } else { "" }
        ),
    );
    line(
        "top",
        format!(
            "{:.0} m (lowest height of the top level over the grid)",
            i.alt_max_m
        ),
    );
    line("grid", i.grid.to_string());
    if !i.members.is_empty() {
        let size = i
            .ensemble_size
            .map_or(String::new(), |n| format!(" of an ensemble of {n}"));
        line(
            "members",
            format!(
                "{} ({}){size}",
                i.members.len(),
                saebaram_forecast::describe_numbers(
                    &i.members.iter().map(|m| m.number).collect::<Vec<_>>()
                )
            ),
        );
        for m in &i.members {
            line("", m.label());
        }
    }
    match i.region {
        Some(r) => line("region", format!("{r}: covered")),
        None => line("region", "global dataset (not cropped)".into()),
    }
    line(
        "below",
        format!(
            "lowest level ({} hPa): its wind is held down to the ground",
            i.levels_hpa[0]
        ),
    );
    line("terrain", i.terrain_summary());
    if let Some(t) = &i.terrain {
        line("", format!("from {}", t.source_line()));
    }
    for n in &i.terrain_notes {
        line("", format!("note: {n}"));
    }
    if i.derived.is_empty() {
        line(
            "derived",
            "nothing: heights and temperatures are the forecast's own".into(),
        );
    } else {
        line("derived", String::new());
        for d in &i.derived {
            let lev = d
                .level_hpa
                .map_or("all levels".into(), |p| format!("{p} hPa"));
            out.push_str(&format!("  {lev:>10}: {}\n", d.note));
        }
    }
    if !i.inventory.is_empty() {
        out.push_str(&format!("fields ({}; * = used):\n", i.inventory.len()));
        for fi in &i.inventory {
            out.push_str(&format!(
                "  {} {:>3}.{:<3} {:<8} {:<28} {:>8} {}{}\n",
                if fi.used { '*' } else { ' ' },
                fi.message,
                fi.submessage,
                fi.name,
                fi.level,
                fi.step_h.map_or("?".into(), |s| format!("+{s} h")),
                fi.packing,
                fi.member.map_or(String::new(), |m| format!(" member {m}"))
            ));
        }
    }
    print!("{out}");
    Ok(Status::Done)
}

fn sample(a: SampleArgs, env: &Env) -> anyhow::Result<Status> {
    let request = SampleRequest {
        forecast: a.forecast.clone(),
        region: a.region.region,
        lat: a.lat,
        lon: a.lon,
        level_hpa: a.level,
        alt_m: a.alt,
        time_unix_s: a
            .time
            .as_deref()
            .map(|s| {
                time::parse_utc(s).with_context(|| {
                    format!(
                        "--time {s:?}: want e.g. 2026-11-29T06:00Z, 2026112906 or @UNIX_SECONDS"
                    )
                })
            })
            .transpose()?,
    };
    let s = saebaram_jobs::forecast::sample(request, env, &Terminal::new())?;
    if a.json {
        let value = serde_json::to_value(&s)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Status::Done);
    }
    let at = match (a.level, a.alt) {
        (Some(p), _) => format!("{p} hPa"),
        (_, Some(m)) => format!("{m} m"),
        _ => String::new(),
    };
    println!(
        "{:.4}N {:.4}E {at} at {}{}",
        s.lat,
        s.lon,
        s.time,
        if s.steady { " (steady field)" } else { "" }
    );
    println!(
        "  wind     u {:+.3} m/s  v {:+.3} m/s  ({:.2} m/s from {:.0}°)",
        s.u, s.v, s.speed_m_s, s.from_deg
    );
    println!(
        "  height   {:.1} m   pressure {:.1} hPa",
        s.height_m, s.pressure_hpa
    );
    match s.temperature_k {
        Some(tk) => println!(
            "  air      {:.2} K, density {:.4} kg/m³",
            tk, s.density_kg_m3
        ),
        None => println!(
            "  air      density {:.4} kg/m³ (ISA: no temperature in the forecast)",
            s.density_kg_m3
        ),
    }
    if s.below_lowest_level {
        println!(
            "  note     below the lowest level ({} hPa): its wind is held",
            s.lowest_level_hpa
        );
    }
    println!("  source   {} ({})", s.source, s.credit);
    Ok(Status::Done)
}

fn list(a: ListArgs, env: &Env) -> anyhow::Result<Status> {
    let report = saebaram_jobs::forecast::list(
        ListRequest {
            cache_dir: a.cache_dir.clone(),
        },
        env,
    )?;
    if a.json {
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Status::Done);
    }
    println!("cache: {}", report.cache_dir.display());
    if report.runs.is_empty() {
        println!(
            "  (empty: `saebaram forecast fetch gfs` or `saebaram forecast import FILE` fill it)"
        );
    }
    for e in &report.runs {
        match e {
            CacheEntry::Run(r) => {
                let name = r.path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
                println!(
                    "  {name:<24} {}  +{}..+{} h ({} steps)  {} levels  {}x{}  {:.1} MB",
                    r.run,
                    r.steps_h.first().copied().unwrap_or(0.0),
                    r.steps_h.last().copied().unwrap_or(0.0),
                    r.steps_h.len(),
                    r.levels_hpa.len(),
                    r.grid.nlat,
                    r.grid.nlon,
                    r.bytes as f64 / 1e6
                );
            }
            CacheEntry::Unreadable(u) => {
                let name = u.path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
                println!("  {name:<24} UNREADABLE: {}", u.error);
            }
        }
    }
    Ok(Status::Done)
}

fn import(a: ImportArgs, env: &Env) -> anyhow::Result<Status> {
    let report = saebaram_jobs::forecast::import(
        ImportRequest {
            files: a.files.clone(),
            region: a.region.region,
            cache_dir: a.cache_dir.clone(),
        },
        env,
        &Terminal::new(),
    )?;
    if a.json {
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!(
            "cached {} ({} steps, {} levels) as {}",
            report.run,
            report.steps,
            report.levels,
            report.cache_file.display()
        );
    }
    Ok(Status::Done)
}
