//! `saebaram plan`: Monte-Carlo ensembles over a range of launch times, ranked.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use saebaram_flight::{
    EnsembleSpec, FallRisk, HeavyStats, Landing, Outcome, Payload, Point, WindowRun, WindowStats,
    heavy_stats, layer_mean_wind, run_indexed_windows, window_stats,
};
use saebaram_forecast::Forecast;
use saebaram_geo::{Geo, RegionClass, Target};
use serde_json::{Value, json};

use super::predict::{
    FlightArgs, forecast_json, land_class, launch_point, open_forecast, parse_time, rfc3339, round,
    warn_if_steady, write_atomic,
};
use crate::output::Status;

/// Arguments of `saebaram plan`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram plan                                   Paju, slack-tube preset, the embedded sample
  saebaram plan --site gimpo --target city:Pyongyang:40km --members 400
  saebaram plan --site 37.75,126.49 --from 2019-06-05T12:00Z --to 2019-06-06T12:00Z --every 2h
  saebaram plan --preset usb-packets --target province:hwanghae-bukto --json > plan.json
  saebaram plan --forecast gfs.grib2 --geojson landings.geojson --html plan.html

Each launch window flies --members ensemble members: launch time ±30 min and point 500 m,
ascent ×lognormal(0.15), volume, masses and fill ±5 %, burst overshoot 0-500 m, leak
0.1-3 %/h log-uniform (with --leak L: L/3 to 3L), timer jitter and failures, leaflet fall
speeds, and a wind error growing with lead time (2.5 m/s, +1.5 m/s per day), correlated over
6 h and 1.5 km. Probabilities are of the main payload's landing (leaflets: the median of a
member's leaflets). The same --seed gives the same output at any thread count. Presets: see
`saebaram predict --help`.

P(heavy town) is the share of members with a heavy intact fall (the envelope landing with
1 kg or more of payload still tied to it, or a released bundle of 1 kg or more falling at
10 m/s or faster: a sack, not leaflets or packets) on South Korean land within the populated
radius of a Natural Earth place (max(5 km, the disc its population fills at 3,000 per km²)).
`!` marks such a window; `*` one with heavy falls elsewhere in South Korea only. The map
lists 28 South Korean places and none of the border towns: read P(heavy ROK) in --json too.

--prefilter skips, before the ensemble, windows whose layer-mean wind from the launch height
to 5 km points away from the North (no bearing within 20° of it reaches North Korea within
500 km); they are listed, never silently dropped. The other windows get the same numbers
as without it.
Exit 0: at least one window has P(target) > 0; 1: no window reaches the target.")]
pub struct PlanArgs {
    /// Launch site by name (`saebaram sites`) or LAT,LON.
    #[arg(long, value_name = "NAME|LAT,LON", default_value = "paju")]
    pub site: String,
    /// First launch time, UTC (default: the forecast's first time).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Last launch time, UTC (default: 23 h after --from, within the forecast).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Time between launch windows: `30m`, `1h`, `3h`.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub every: String,
    /// Ensemble members per window.
    #[arg(long, default_value_t = 200)]
    pub members: u32,
    /// Leaflet particles per member (the leaflet density map).
    #[arg(long, default_value_t = 50)]
    pub particles: u32,
    /// Target: `north`, `province:NAME`, `city:NAME[:RADIUS]`, `LAT,LON[:RADIUS]`, optionally
    /// followed by `:pop` to weight by population.
    #[arg(long, default_value = "north")]
    pub target: String,
    /// Random seed: the same seed gives the same plan.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Rows of the ranked table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Skip windows whose layer-mean wind (launch height to 5 km) points away from the
    /// North (within 20°, 500 km); skipped windows are listed with the wind that ruled them
    /// out.
    #[arg(long)]
    pub prefilter: bool,
    #[command(flatten)]
    pub flight: FlightArgs,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write landings and leaflet density as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    #[command(flatten)]
    pub html: super::map_output::HtmlArgs,
    #[command(flatten)]
    pub record: super::recording::RecordArgs,
}

fn parse_duration(s: &str) -> anyhow::Result<f64> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = num
        .trim()
        .parse()
        .with_context(|| format!("--every: `{s}` is not a duration (e.g. 30m, 1h, 3h)"))?;
    let secs = match unit {
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" | "" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => bail!("--every: unknown unit `{unit}` (use s, m, h or d)"),
    };
    if secs.is_nan() || secs < 60.0 {
        bail!("--every must be at least 1 minute, got `{s}`");
    }
    Ok(secs)
}

/// Top of the pre-filter's layer, m (the spec's "~5 km").
const PREFILTER_TOP_M: f64 = 5_000.0;
/// Half-width of the fan of bearings the pre-filter tries around the mean wind, degrees.
const PREFILTER_FAN_DEG: f64 = 20.0;
/// How far down the wind the pre-filter looks for the North, km.
const PREFILTER_RANGE_KM: f64 = 500.0;
/// Below this layer-mean speed the direction means nothing: the window is kept, m/s.
const PREFILTER_CALM_M_S: f64 = 1.0;

/// What the pre-filter found for one window.
struct Prefilter {
    /// Layer-mean wind (u, v), m/s, if the forecast had the column.
    mean: Option<(f64, f64)>,
    /// Whether the window is flown.
    passed: bool,
    /// Why.
    reason: String,
}

/// Compass name of a bearing.
fn compass(deg: f64) -> &'static str {
    const NAMES: [&str; 16] = [
        "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW",
        "NW", "NNW",
    ];
    NAMES[((deg.rem_euclid(360.0) / 22.5).round() as usize) % 16]
}

/// The spec's window pre-filter: does the layer-mean wind from the launch height to 5 km
/// point into the North? Fails open: a calm layer or a column the forecast lacks keeps the
/// window (the ensemble decides).
fn prefilter(forecast: &Forecast, geo: &Geo, launch: Point) -> Prefilter {
    let (u, v) = match layer_mean_wind(forecast, launch, PREFILTER_TOP_M, 100.0) {
        Ok(m) => m,
        Err(e) => {
            return Prefilter {
                mean: None,
                passed: true,
                reason: format!("kept: no layer wind to judge by ({e})"),
            };
        }
    };
    let speed = u.hypot(v);
    // The direction the wind blows towards (meteorologists name where it comes from).
    let toward = u.atan2(v).to_degrees().rem_euclid(360.0);
    let from = (toward + 180.0).rem_euclid(360.0);
    let wind = format!(
        "layer-mean wind {speed:.1} m/s from {from:.0}° ({}), towards {toward:.0}°",
        compass(from)
    );
    if speed < PREFILTER_CALM_M_S {
        return Prefilter {
            mean: Some((u, v)),
            passed: true,
            reason: format!("kept: {wind}: too calm to judge"),
        };
    }
    let hit = (-4..=4)
        .map(|k| toward + f64::from(k) * PREFILTER_FAN_DEG / 4.0)
        .find_map(|b| geo.north_along(launch.lat, launch.lon, b, PREFILTER_RANGE_KM));
    match hit {
        Some(km) => Prefilter {
            mean: Some((u, v)),
            passed: true,
            reason: format!("kept: {wind}: the North is {km:.0} km downwind"),
        },
        None => Prefilter {
            mean: Some((u, v)),
            passed: false,
            reason: format!(
                "skipped: {wind}: no bearing within {PREFILTER_FAN_DEG:.0}° of it reaches North Korea within {PREFILTER_RANGE_KM:.0} km"
            ),
        },
    }
}

/// Where a heavy intact fall lands, for the statistics.
fn fall_risk(geo: &Geo, lat: f64, lon: f64) -> FallRisk {
    match geo.populated_rok_place(lat, lon) {
        Some((i, _, _)) => FallRisk::Populated(i as u32),
        None if geo.class_of(lat, lon) == RegionClass::SouthKorea => FallRisk::South,
        None => FallRisk::Elsewhere,
    }
}

/// Runs `saebaram plan`.
pub fn run(args: PlanArgs) -> anyhow::Result<Status> {
    let mut profile = args.flight.profile("slack-tube")?;
    if args.members == 0 {
        bail!("--members must be at least 1 (members = 0)");
    }
    if let Payload::Leaflets { particles, .. } = &mut profile.payload {
        if args.particles == 0 {
            bail!("--particles must be at least 1");
        }
        *particles = args.particles;
    }
    profile.validate()?;
    let geo = Geo::try_embedded()?;
    let lp = launch_point(Some(&args.site), None, None)?;
    let target = Target::parse_with(geo, &args.target)?;
    let forecast = open_forecast(args.flight.forecast.as_deref())?;
    let info = forecast.info().clone();
    let steady = info.is_steady();
    let first = info
        .valid_unix_s
        .first()
        .copied()
        .unwrap_or(info.run_unix_s) as f64;
    let last = info.valid_unix_s.last().copied().unwrap_or(info.run_unix_s) as f64;
    let from = match &args.from {
        Some(s) => parse_time("--from", s)?,
        None => first,
    };
    let every = parse_duration(&args.every)?;
    let to = match &args.to {
        Some(s) => parse_time("--to", s)?,
        None if steady => from + 23.0 * 3600.0,
        None => (from + 23.0 * 3600.0).min(last),
    };
    if to < from {
        bail!(
            "--to ({}) is before --from ({})",
            rfc3339(to),
            rfc3339(from)
        );
    }
    if !steady && (from < first || to > last) {
        bail!(
            "launch times {} to {} are outside the forecast ({} to {})",
            rfc3339(from),
            rfc3339(to),
            rfc3339(first),
            rfc3339(last)
        );
    }
    let n_windows = ((to - from) / every).floor() as usize + 1;
    if n_windows > 2000 {
        bail!("{n_windows} launch windows: at most 2000 (use a larger --every)");
    }
    warn_if_steady(&forecast);
    let terrain = super::terrain::terrain_dir(args.flight.terrain.as_deref());
    let surface = super::terrain::Ground::new(geo, &forecast, terrain.as_deref())?;
    // Without a site elevation, the launch stands on the ground.
    let alt = lp
        .elevation_m
        .unwrap_or_else(|| round(surface.lookup(lp.lat, lp.lon).0, 1));
    let launches: Vec<Point> = (0..n_windows)
        .map(|i| Point {
            t_unix_s: from + i as f64 * every,
            lat: lp.lat,
            lon: lp.lon,
            alt_m: alt,
        })
        .collect();
    let mut spec = EnsembleSpec::new(args.members, args.seed, info.run_unix_s as f64);
    if let Some(leak) = args.flight.leak {
        // A leak the user measured replaces the spec's wide 0.1-3 %/h prior: ×/÷ 3 around it.
        spec.leak_range_pct_h = (leak / 3.0, leak * 3.0);
    }
    let bar = indicatif::ProgressBar::new(n_windows as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} windows {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{} members each", args.members));
    let checks: Vec<Option<Prefilter>> = launches
        .iter()
        .map(|&l| args.prefilter.then(|| prefilter(&forecast, geo, l)))
        .collect();
    let flown: Vec<(u64, Point)> = launches
        .iter()
        .zip(&checks)
        .enumerate()
        .filter(|(_, (_, c))| c.as_ref().is_none_or(|c| c.passed))
        .map(|(i, (&l, _))| (i as u64, l))
        .collect();
    bar.set_length(flown.len() as u64);
    let runs = run_indexed_windows(&forecast, &surface, &profile, &spec, &flown, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let skipped: Vec<(Point, &Prefilter)> = launches
        .iter()
        .zip(&checks)
        .filter_map(|(&l, c)| c.as_ref().filter(|c| !c.passed).map(|c| (l, c)))
        .collect();
    let checks: Vec<Option<&Prefilter>> = flown
        .iter()
        .map(|&(i, _)| checks[i as usize].as_ref())
        .collect();

    let classify = |lat: f64, lon: f64| land_class(&geo.classify(lat, lon));
    let score = |lat: f64, lon: f64| target.score(geo, lat, lon);
    let stats: Vec<WindowStats> = runs
        .iter()
        .map(|r| window_stats(r, &classify, &score))
        .collect();
    let risk = |lat: f64, lon: f64| fall_risk(geo, lat, lon);
    let heavy: Vec<HeavyStats> = runs.iter().map(|r| heavy_stats(r, &risk)).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&stats[a], &stats[b]);
        y.p_target
            .total_cmp(&x.p_target)
            .then(y.p_north.total_cmp(&x.p_north))
            .then(x.p_south.total_cmp(&y.p_south))
            .then(a.cmp(&b))
    });
    let best = order.first().copied();

    let value = plan_json(
        &args,
        &forecast,
        geo,
        &lp,
        &target,
        &profile,
        &spec,
        &Windows {
            runs: &runs,
            stats: &stats,
            heavy: &heavy,
            checks: &checks,
            skipped: &skipped,
        },
        &order,
        best,
    );
    let value = surface.annotate_plan(value, &runs);
    if let Some(path) = &args.geojson {
        write_atomic(path, geojson(&value).to_string().as_bytes())?;
    }
    if let Some(path) = &args.html.html {
        if runs.is_empty() {
            bail!(
                "every launch window was skipped by --prefilter: no map to draw (run without --prefilter to fly them anyway)"
            );
        }
        super::map_output::write_plan_html(path, &value, args.html.lang)?;
    }
    if let Some((run, st)) = best.and_then(|b| Some((runs.get(b)?, stats.get(b)?))) {
        let facts = super::recording::LaunchPlanFacts {
            launch_time: rfc3339(run.launch.t_unix_s),
            site: lp
                .site
                .map_or_else(|| format!("{},{}", lp.lat, lp.lon), str::to_string),
            preset: profile.name.clone(),
            parameters: value["profile"].clone(),
            p_target: st.p_target,
            median_landing: median_landing(run),
        };
        super::recording::record_launch_plan(&args.record, &facts)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&value)?);
    } else {
        print!(
            "{}",
            table(&args, &value, &stats, &heavy, &order, &skipped, steady)
        );
    }
    if args.json {
        for w in surface.warnings() {
            eprintln!("warning: {w}");
        }
    } else {
        print!("{}", surface.summary());
    }
    Ok(if stats.iter().any(|s| s.p_target > 0.0) {
        Status::Done
    } else {
        Status::Negative
    })
}

fn median_landing(run: &WindowRun) -> Option<(f64, f64)> {
    let mut lats = Vec::new();
    let mut lons = Vec::new();
    for m in &run.members {
        if let Some(l) = m
            .landings
            .get(m.primary)
            .filter(|l| l.outcome <= Outcome::Sea)
        {
            lats.push(l.point.lat);
            lons.push(l.point.lon);
        }
    }
    if lats.is_empty() {
        return None;
    }
    lats.sort_by(f64::total_cmp);
    lons.sort_by(f64::total_cmp);
    Some((lats[lats.len() / 2], lons[lons.len() / 2]))
}

fn region_class(geo: &Geo, lat: f64, lon: f64) -> String {
    match serde_json::to_value(geo.classify(lat, lon)) {
        Ok(v) => v["class"].as_str().unwrap_or("unknown").to_string(),
        Err(_) => "unknown".into(),
    }
}

/// The flown windows and what was computed for them, in launch order; the skipped ones.
struct Windows<'a> {
    runs: &'a [WindowRun],
    stats: &'a [WindowStats],
    heavy: &'a [HeavyStats],
    checks: &'a [Option<&'a Prefilter>],
    skipped: &'a [(Point, &'a Prefilter)],
}

fn prefilter_json(c: &Prefilter) -> Value {
    let mean = c.mean.map(|(u, v)| {
        json!({
            "u": round(u, 2),
            "v": round(v, 2),
            "speed_m_s": round(u.hypot(v), 2),
            "towards_deg": round(u.atan2(v).to_degrees().rem_euclid(360.0), 1),
        })
    });
    json!({
        "passed": c.passed,
        "layer_top_m": PREFILTER_TOP_M,
        "mean_wind": mean,
        "reason": c.reason,
    })
}

fn heavy_landing_json(geo: &Geo, l: &Landing) -> Value {
    let place = geo.populated_rok_place(l.point.lat, l.point.lon);
    let h = l.heavy.as_ref();
    json!({
        "lat": round(l.point.lat, 4),
        "lon": round(l.point.lon, 4),
        "class": if l.outcome <= Outcome::Sea { region_class(geo, l.point.lat, l.point.lon) } else { l.outcome.as_str().to_string() },
        "payload": l.payload.as_str(),
        "outcome": l.outcome.as_str(),
        "why": h.map(|h| h.why),
        "mass_kg": h.and_then(|h| h.mass_kg).map(|m| round(m, 2)),
        "fall_m_s": h.and_then(|h| h.fall_m_s).map(|v| round(v, 1)),
        "populated_place": place.map(|(_, c, _)| c.name.clone()),
    })
}

/// The places at risk of a window: name, share of members, radius.
fn places_json(geo: &Geo, h: &HeavyStats) -> Vec<Value> {
    h.places
        .iter()
        .filter_map(|&(i, p)| {
            let c = geo.cities().get(i as usize)?;
            Some(json!({
                "name": c.name,
                "lat": c.lat,
                "lon": c.lon,
                "radius_km": round(c.populated_radius_km(), 1),
                "p": round(p, 4),
            }))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn plan_json(
    args: &PlanArgs,
    forecast: &saebaram_forecast::Forecast,
    geo: &Geo,
    lp: &saebaram_geo::LaunchPoint,
    target: &Target,
    profile: &saebaram_flight::Profile,
    spec: &EnsembleSpec,
    ws: &Windows,
    order: &[usize],
    best: Option<usize>,
) -> Value {
    let (runs, stats) = (ws.runs, ws.stats);
    let mut rank = vec![0usize; runs.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r + 1;
    }
    let windows: Vec<Value> = runs
        .iter()
        .zip(stats)
        .enumerate()
        .map(|(i, (run, st))| {
            let landings: Vec<Value> = run
                .members
                .iter()
                .flat_map(|m| m.landings.iter())
                .map(|l| {
                    let class = if l.outcome <= Outcome::Sea {
                        region_class(geo, l.point.lat, l.point.lon)
                    } else {
                        l.outcome.as_str().to_string()
                    };
                    json!({
                        "lat": round(l.point.lat, 4),
                        "lon": round(l.point.lon, 4),
                        "class": class,
                        "payload": l.payload.as_str(),
                        "outcome": l.outcome.as_str(),
                    })
                })
                .collect();
            let total = run.leaflets_total.max(1) as f64;
            let cells: Vec<Value> = run
                .leaflet_cells
                .iter()
                .map(|(&(a, b), &n)| {
                    json!([
                        round((a as f64 + 0.5) * spec.cell_deg, 4),
                        round((b as f64 + 0.5) * spec.cell_deg, 4),
                        round(n as f64 / total, 5)
                    ])
                })
                .collect();
            let tracks: Vec<Value> = run
                .members
                .iter()
                .filter_map(|m| m.track.as_ref())
                .take(10)
                .map(|t| {
                    let step = (t.len() / 60).max(1);
                    let mut pts: Vec<Value> = t
                        .iter()
                        .step_by(step)
                        .map(|p| json!([round(p.lat, 4), round(p.lon, 4), round(p.alt_m, 0)]))
                        .collect();
                    if let Some(p) = t.last().filter(|_| (t.len() - 1) % step != 0) {
                        pts.push(json!([round(p.lat, 4), round(p.lon, 4), round(p.alt_m, 0)]));
                    }
                    Value::Array(pts)
                })
                .collect();
            let failures = run.members.iter().filter(|m| m.failure.is_some()).count();
            let h = &ws.heavy[i];
            let heavy_landings: Vec<Value> = run
                .members
                .iter()
                .flat_map(|m| m.heavy.iter())
                .map(|l| heavy_landing_json(geo, l))
                .collect();
            let mut w = json!({
                "launch_time": rfc3339(run.launch.t_unix_s),
                "rank": rank[i],
                "p_north": round(st.p_north, 4),
                "p_south": round(st.p_south, 4),
                "p_dmz": round(st.p_dmz, 4),
                "p_sea": round(st.p_sea, 4),
                "p_other": round(st.p_other, 4),
                "p_target": round(st.p_target, 4),
                "p_unresolved": round(st.p_unresolved, 4),
                "p_failed": round(st.p_failed, 4),
                "failed_members": failures,
                "median_distance_km": round(st.median_distance_km, 2),
                "p90_distance_km": round(st.p90_distance_km, 2),
                "landings": landings,
                "leaflet_density": {"cell_deg": spec.cell_deg, "particles": run.leaflets_total, "cells": cells},
                "tracks": tracks,
                "p_heavy": round(h.p_heavy, 4),
                "p_heavy_rok": round(h.p_heavy_south, 4),
                "p_heavy_over_populated_rok": round(h.p_heavy_populated_south, 4),
                "heavy_places_at_risk": places_json(geo, h),
                "heavy_landings": heavy_landings,
            });
            if let Some(c) = ws.checks.get(i).copied().flatten() {
                w["prefilter"] = prefilter_json(c);
            }
            w
        })
        .collect();
    let skipped: Vec<Value> = ws
        .skipped
        .iter()
        .map(|(l, c)| json!({"launch_time": rfc3339(l.t_unix_s), "prefilter": prefilter_json(c)}))
        .collect();
    let mut warnings = Vec::new();
    if let Some(b) = best {
        let h = &ws.heavy[b];
        if h.p_heavy_populated_south > 0.0 {
            warnings.push(json!(heavy_warning(geo, h)));
        }
    }
    let target_json = {
        let mut t = serde_json::to_value(target).unwrap_or_else(|_| json!({}));
        if !t.is_object() {
            t = json!({ "spec": t });
        }
        t["label"] = json!(target.label());
        t["input"] = json!(args.target);
        t
    };
    json!({
        "forecast": forecast_json(forecast),
        "site": {"name": lp.site, "lat": lp.lat, "lon": lp.lon, "alt": lp.elevation_m.unwrap_or(0.0)},
        "target": target_json,
        "profile": serde_json::to_value(profile).unwrap_or(Value::Null),
        "ensemble": spec,
        "members": spec.members,
        "seed": spec.seed,
        "windows": windows,
        "best": best,
        "skipped_windows": skipped,
        "warnings": warnings,
        "heavy_fall_definition": {
            "tied_min_payload_kg": saebaram_flight::HEAVY_MIN_KG,
            "released_min_kg": saebaram_flight::HEAVY_MIN_KG,
            "released_min_fall_m_s": saebaram_flight::HEAVY_FALL_M_S,
            "populated_density_per_km2": saebaram_geo::POPULATED_DENSITY_PER_KM2,
            "populated_min_radius_km": saebaram_geo::POPULATED_MIN_RADIUS_KM,
        },
    })
}

/// The warning for a window with heavy intact falls on populated South Korean places.
fn heavy_warning(geo: &Geo, h: &HeavyStats) -> String {
    let places: Vec<String> = h
        .places
        .iter()
        .take(5)
        .filter_map(|&(i, p)| {
            Some(format!(
                "{} {:.1} %",
                geo.cities().get(i as usize)?.name,
                p * 100.0
            ))
        })
        .collect();
    format!(
        "the best-ranked window drops a heavy intact load (a sack, or the balloon with its payload still tied) on a populated place in South Korea in {:.1} % of members ({}): a risk to people and property",
        h.p_heavy_populated_south * 100.0,
        places.join(", ")
    )
}

fn table(
    args: &PlanArgs,
    v: &Value,
    stats: &[WindowStats],
    heavy: &[HeavyStats],
    order: &[usize],
    skipped: &[(Point, &Prefilter)],
    steady: bool,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Plan: {} from {}, target {}, {} members per window, seed {}",
        v["profile"]["name"].as_str().unwrap_or(""),
        args.site,
        v["target"]["label"].as_str().unwrap_or(""),
        args.members,
        args.seed
    );
    let _ = writeln!(
        s,
        "{:>4}  {:<20} {:>8} {:>8} {:>6} {:>6} {:>6} {:>8} {:>10} {:>9}  P(heavy town)",
        "rank",
        "launch (UTC)",
        "P(tgt)",
        "P(North)",
        "P(DMZ)",
        "P(sea)",
        "P(ROK)",
        "P(other)",
        "median km",
        "p90 km",
    );
    let windows = v["windows"].as_array().cloned().unwrap_or_default();
    for (r, &i) in order.iter().take(args.top.max(1)).enumerate() {
        let (Some(w), Some(st), Some(h)) = (windows.get(i), stats.get(i), heavy.get(i)) else {
            continue;
        };
        let mark = if h.p_heavy_populated_south > 0.0 {
            "!"
        } else if h.p_heavy_south > 0.0 {
            "*"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "{:>4}  {:<20} {:>7.0}% {:>7.0}% {:>5.0}% {:>5.0}% {:>5.0}% {:>7.0}% {:>10.1} {:>9.1}  {:>12.0}% {}",
            r + 1,
            w["launch_time"].as_str().unwrap_or(""),
            st.p_target * 100.0,
            st.p_north * 100.0,
            st.p_dmz * 100.0,
            st.p_sea * 100.0,
            st.p_south * 100.0,
            st.p_other * 100.0,
            st.median_distance_km,
            st.p90_distance_km,
            h.p_heavy_populated_south * 100.0,
            mark
        );
    }
    if order.len() > args.top {
        let _ = writeln!(
            s,
            "({} more windows: --top N or --json)",
            order.len() - args.top
        );
    }
    let shown = &order[..order.len().min(args.top.max(1))];
    if shown.iter().any(|&i| {
        heavy
            .get(i)
            .is_some_and(|h| h.p_heavy_populated_south > 0.0)
    }) {
        let _ = writeln!(
            s,
            "! heavy intact falls (a sack, or the balloon with its payload still tied) on a populated place in South Korea"
        );
    }
    if shown.iter().any(|&i| {
        heavy
            .get(i)
            .is_some_and(|h| h.p_heavy_south > 0.0 && h.p_heavy_populated_south == 0.0)
    }) {
        let _ = writeln!(
            s,
            "* heavy intact falls in South Korea, away from the 28 towns the map lists (not an all-clear: border towns are not listed)"
        );
    }
    if skipped.is_empty() && args.prefilter {
        let _ = writeln!(s, "pre-filter: no window skipped");
    }
    if !skipped.is_empty() {
        let _ = writeln!(
            s,
            "pre-filter: {} of {} windows skipped, not flown (run without --prefilter to fly them):",
            skipped.len(),
            skipped.len() + order.len()
        );
        for (l, c) in skipped {
            let _ = writeln!(s, "      {:<20} {}", rfc3339(l.t_unix_s), c.reason);
        }
    }
    if order.is_empty() {
        let _ = writeln!(s, "no window was flown: nothing to rank");
    }
    for w in v["warnings"].as_array().into_iter().flatten() {
        let _ = writeln!(s, "WARNING: {}", w.as_str().unwrap_or(""));
    }
    if let Some(st) = order.first().and_then(|&i| stats.get(i)) {
        if st.p_unresolved > 0.0 {
            let _ = writeln!(
                s,
                "note: {:.0} % of the best window's members did not come down inside the forecast (counted as other)",
                st.p_unresolved * 100.0
            );
        }
        if st.p_failed > 0.0 {
            let _ = writeln!(
                s,
                "note: {:.0} % of its members' balloons could not fly (no free lift after perturbation)",
                st.p_failed * 100.0
            );
        }
    }
    if steady {
        let _ = writeln!(
            s,
            "note: the forecast has one time, held steady: windows differ only by the ensemble's\nrandom draws and lead-time error, not by weather. Compare sites and presets, not hours."
        );
    }
    let _ = writeln!(
        s,
        "Winds: {}. Geography: Made with Natural Earth.",
        v["forecast"]["credit"].as_str().unwrap_or("")
    );
    s
}

fn geojson(v: &Value) -> Value {
    let mut features = Vec::new();
    for w in v["windows"].as_array().into_iter().flatten() {
        let t = &w["launch_time"];
        for l in w["landings"].as_array().into_iter().flatten() {
            features.push(json!({
                "type": "Feature",
                "properties": {"launch_time": t, "class": l["class"], "payload": l["payload"], "outcome": l["outcome"]},
                "geometry": {"type": "Point", "coordinates": [l["lon"], l["lat"]]},
            }));
        }
        for l in w["heavy_landings"].as_array().into_iter().flatten() {
            features.push(json!({
                "type": "Feature",
                "properties": {
                    "launch_time": t, "heavy_intact": true, "class": l["class"],
                    "payload": l["payload"], "outcome": l["outcome"], "why": l["why"],
                    "mass_kg": l["mass_kg"], "populated_place": l["populated_place"],
                },
                "geometry": {"type": "Point", "coordinates": [l["lon"], l["lat"]]},
            }));
        }
        let cell = w["leaflet_density"]["cell_deg"].as_f64().unwrap_or(0.05);
        for c in w["leaflet_density"]["cells"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (lat, lon) = (c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0));
            let h = cell / 2.0;
            let ring = json!([
                [round(lon - h, 4), round(lat - h, 4)],
                [round(lon + h, 4), round(lat - h, 4)],
                [round(lon + h, 4), round(lat + h, 4)],
                [round(lon - h, 4), round(lat + h, 4)],
                [round(lon - h, 4), round(lat - h, 4)]
            ]);
            features.push(json!({
                "type": "Feature",
                "properties": {"launch_time": t, "leaflet_fraction": c[2]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}
