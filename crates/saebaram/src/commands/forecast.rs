//! `saebaram forecast`: inspect, sample, list and import wind forecasts (and fetch them).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use saebaram_forecast::{Forecast, Region, WindField, cache, forecast::EMBEDDED_CAVEAT, time};
use saebaram_jobs::Env;
use serde_json::json;

use crate::output::Status;

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

/// The cache directory: `explicit`, else the face's (`$SAEBARAM_CACHE_DIR`, else the XDG
/// cache directory's `forecasts`).
pub fn cache_dir(explicit: Option<&Path>, env: &Env) -> anyhow::Result<PathBuf> {
    Ok(env.forecast_cache(explicit)?)
}

/// Loads the forecast a user named (a path or a cached run), or the built-in sample when
/// `name` is `None`; in that case it says on stderr that this is a 2019 sample.
pub fn load(name: Option<&str>, region: Region, env: &Env) -> anyhow::Result<Forecast> {
    if name.is_none() {
        eprintln!("note: {EMBEDDED_CAVEAT}");
    }
    Ok(saebaram_jobs::forecast::open(name, region, env)?)
}

fn hpa_list(levels: &[f64]) -> String {
    levels
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn info_json(f: &Forecast) -> serde_json::Value {
    let i = f.info();
    let c = f.coverage();
    json!({
        "forecast": i.origin,
        "kind": i.kind,
        "source": i.source,
        "credit": i.credit,
        "embedded_sample": i.is_embedded_sample(),
        "run": time::format_rfc3339(i.run_unix_s),
        "run_name": i.run_name(),
        "steady": i.is_steady(),
        "steps_h": i.steps_h(),
        "valid_times": i.valid_unix_s.iter().map(|t| time::format_rfc3339(*t)).collect::<Vec<_>>(),
        "levels_hpa": i.levels_hpa,
        "grid": i.grid,
        "region": i.region,
        "region_covered": i.region.is_some(),
        "coverage": c,
        "has_temperature": i.has_temperature,
        "alt_max_m": i.alt_max_m,
        "terrain": i.terrain,
        "terrain_summary": i.terrain_summary(),
        "terrain_notes": i.terrain_notes,
        "derived": i.derived,
        "fields": i.inventory,
    })
}

fn info(a: InfoArgs, env: &Env) -> anyhow::Result<Status> {
    let f = load(a.forecast.as_deref(), a.region.region, env)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&info_json(&f))?);
        return Ok(Status::Done);
    }
    let i = f.info();
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
                "  {} {:>3}.{:<3} {:<8} {:<28} {:>8} {}\n",
                if fi.used { '*' } else { ' ' },
                fi.message,
                fi.submessage,
                fi.name,
                fi.level,
                fi.step_h.map_or("?".into(), |s| format!("+{s} h")),
                fi.packing
            ));
        }
    }
    print!("{out}");
    Ok(Status::Done)
}

fn sample(a: SampleArgs, env: &Env) -> anyhow::Result<Status> {
    let f = load(a.forecast.as_deref(), a.region.region, env)?;
    let i = f.info();
    let t = match &a.time {
        Some(s) => time::parse_utc(s).with_context(|| {
            format!("--time {s:?}: want e.g. 2026-11-29T06:00Z, 2026112906 or @UNIX_SECONDS")
        })?,
        None => i.valid_unix_s[0],
    };
    let lon = if a.lon > 180.0 { a.lon - 360.0 } else { a.lon };
    let s = match (a.level, a.alt) {
        (Some(p), _) => f.sample_level(t as f64, a.lat, lon, p)?,
        (None, Some(alt)) => f
            .sample_alt(t as f64, a.lat, lon, alt)
            .with_context(|| format!("forecast {}", i.origin))?,
        (None, None) => bail!("give --level HPA or --alt METRES"),
    };
    let speed = s.u_m_s.hypot(s.v_m_s);
    // Meteorological direction: where the wind blows from, degrees clockwise from north.
    let from_deg = (270.0 - s.v_m_s.atan2(s.u_m_s).to_degrees()).rem_euclid(360.0);
    if a.json {
        let v = json!({
            "u": s.u_m_s,
            "v": s.v_m_s,
            "height_m": s.height_m,
            "pressure_hpa": s.pressure_hpa,
            "temperature_k": s.temperature_k,
            "density_kg_m3": s.density_kg_m3,
            "speed_m_s": speed,
            "from_deg": from_deg,
            "below_lowest_level": s.below_lowest_level,
            "lat": a.lat,
            "lon": lon,
            "level_hpa": a.level,
            "alt_m": a.alt,
            "time": time::format_rfc3339(t),
            "forecast": i.origin,
            "run": time::format_rfc3339(i.run_unix_s),
            "steady": i.is_steady(),
            "embedded_sample": i.is_embedded_sample(),
            "credit": i.credit,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Status::Done);
    }
    let at = match (a.level, a.alt) {
        (Some(p), _) => format!("{p} hPa"),
        (_, Some(m)) => format!("{m} m"),
        _ => String::new(),
    };
    println!(
        "{:.4}N {:.4}E {at} at {}{}",
        a.lat,
        lon,
        time::format_rfc3339(t),
        if i.is_steady() { " (steady field)" } else { "" }
    );
    println!(
        "  wind     u {:+.3} m/s  v {:+.3} m/s  ({speed:.2} m/s from {from_deg:.0}°)",
        s.u_m_s, s.v_m_s
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
            i.levels_hpa[0]
        );
    }
    println!("  source   {} ({})", i.source, i.credit);
    Ok(Status::Done)
}

fn list(a: ListArgs, env: &Env) -> anyhow::Result<Status> {
    let dir = cache_dir(a.cache_dir.as_deref(), env)?;
    let entries =
        cache::list(&dir).with_context(|| format!("cannot list the cache {}", dir.display()))?;
    if a.json {
        let runs: Vec<_> = entries
            .iter()
            .map(|e| match &e.header {
                Ok(h) => json!({
                    "path": e.path, "bytes": e.bytes, "source": h.source, "run": time::format_rfc3339(h.run_unix_s),
                    "run_name": h.run_name(), "steps_h": h.steps_h(), "levels_hpa": h.levels_hpa, "grid": h.grid,
                    "region": h.region, "error": null,
                }),
                Err(err) => json!({"path": e.path, "bytes": e.bytes, "error": err}),
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"cache_dir": dir, "runs": runs}))?
        );
        return Ok(Status::Done);
    }
    println!("cache: {}", dir.display());
    if entries.is_empty() {
        println!(
            "  (empty: `saebaram forecast fetch gfs` or `saebaram forecast import FILE` fill it)"
        );
    }
    for e in &entries {
        let name = e.path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        match &e.header {
            Ok(h) => {
                let steps = h.steps_h();
                println!(
                    "  {name:<24} {}  +{}..+{} h ({} steps)  {} levels  {}x{}  {:.1} MB",
                    time::format_rfc3339(h.run_unix_s),
                    steps.first().copied().unwrap_or(0.0),
                    steps.last().copied().unwrap_or(0.0),
                    steps.len(),
                    h.levels_hpa.len(),
                    h.grid.nlat,
                    h.grid.nlon,
                    e.bytes as f64 / 1e6
                );
            }
            Err(err) => println!("  {name:<24} UNREADABLE: {err}"),
        }
    }
    Ok(Status::Done)
}

fn import(a: ImportArgs, env: &Env) -> anyhow::Result<Status> {
    let mut files = Vec::new();
    for p in &a.files {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot list {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    let f = Forecast::from_grib2_files(&files, a.region.region).context("cannot import")?;
    let dir = cache_dir(a.cache_dir.as_deref(), env)?;
    let path = f.write_cache(&dir).context("cannot write the cache")?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"cache_file": path, "run": f.info().run_name()}))?
        );
    } else {
        println!(
            "cached {} ({} steps, {} levels) as {}",
            f.info().run_name(),
            f.info().valid_unix_s.len(),
            f.info().levels_hpa.len(),
            path.display()
        );
    }
    Ok(Status::Done)
}
