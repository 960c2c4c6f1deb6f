//! `saebaram predict`: one deterministic flight. Also holds the balloon flags `plan` shares
//! with it. The flight, its classification and its formats are `saebaram_jobs::predict`;
//! this module parses flags into a request and renders the report.

use std::fmt::Write as _;
use std::path::PathBuf;

use saebaram_flight::{Carrier, Envelope, HeavyWhy};
use saebaram_jobs::flight_options::{self, FlightOptions, GasOption};
use saebaram_jobs::predict::{PredictReport, PredictRequest};
use saebaram_jobs::{Env, files, parse};

use crate::output::Status;
use crate::progress::Terminal;

fn preset_help() -> String {
    let mut s =
        String::from("Presets (--preset NAME; any flag below overrides a preset's value):\n");
    for (name, what) in saebaram_flight::PRESETS {
        let _ = writeln!(s, "  {name:<15} {what}");
    }
    s
}

/// Which profile to build when no preset is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileKind {
    /// P0: tawhiri's constant ascent, burst altitude, parachute descent.
    Standard,
    /// P1: a sealed envelope that bursts near its ceiling.
    Sealed,
    /// P2: a vented envelope that floats and leaks.
    Vented,
}

/// Lifting gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GasArg {
    /// Hydrogen.
    H2,
    /// Helium.
    He,
}

/// The flight's parameters, shared by `predict` and `plan`.
#[derive(Debug, Clone, clap::Args)]
pub struct FlightArgs {
    /// Start from a named preset (see the list below); other flags override its values.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Profile when no preset is given.
    #[arg(long, value_enum)]
    pub profile: Option<ProfileKind>,
    /// Ascent rate, m/s (standard: constant; balloons: rate at launch, the fill is solved for it).
    #[arg(long, value_name = "M/S", allow_hyphen_values = true)]
    pub ascent: Option<f64>,
    /// Burst altitude, m (standard profile).
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub burst: Option<f64>,
    /// Sea-level descent rate, m/s (standard profile; tawhiri's `descent_rate`).
    #[arg(long, value_name = "M/S", allow_hyphen_values = true)]
    pub descent: Option<f64>,
    /// Lifting gas.
    #[arg(long, value_enum)]
    pub gas: Option<GasArg>,
    /// Envelope volume when full, m³ (spec default 20, range 8-40).
    #[arg(long, value_name = "M3", allow_hyphen_values = true)]
    pub volume: Option<f64>,
    /// Envelope mass, kg (3).
    #[arg(long, value_name = "KG", allow_hyphen_values = true)]
    pub envelope_mass: Option<f64>,
    /// Payload mass, kg (10).
    #[arg(long, value_name = "KG", allow_hyphen_values = true)]
    pub payload: Option<f64>,
    /// Free lift at launch, kg (1.5).
    #[arg(long, value_name = "KG", allow_hyphen_values = true, conflicts_with_all = ["fill"])]
    pub free_lift: Option<f64>,
    /// Gas volume at launch, m³ (instead of --free-lift or --ascent).
    #[arg(long, value_name = "M3", allow_hyphen_values = true)]
    pub fill: Option<f64>,
    /// Drag coefficient of the envelope (0.8).
    #[arg(long, value_name = "CD", allow_hyphen_values = true)]
    pub cd: Option<f64>,
    /// Cross-section the drag acts on, m² (a tube: 2.5); `sphere` for a round balloon.
    #[arg(long, value_name = "M2|sphere")]
    pub area: Option<String>,
    /// Climb above the ceiling before a sealed envelope bursts, m (150).
    #[arg(long, value_name = "M", allow_hyphen_values = true)]
    pub overshoot: Option<f64>,
    /// Gas leak, %/h (0.5).
    #[arg(long, value_name = "PCT", allow_hyphen_values = true)]
    pub leak: Option<f64>,
    /// Day superheat of a floating vented envelope in full sun, K (default 0; spec 0-10, an
    /// assumption; at most 20). The gas is this much warmer than the air while the sun is 10°
    /// or more up (from the time and place): the balloon floats higher and vents gas, then
    /// sinks after sunset.
    #[arg(long, value_name = "K", allow_hyphen_values = true)]
    pub superheat: Option<f64>,
    /// Timer stages: hours after launch, each with the share of the payload it drops:
    /// `3` or `1.5:0.33,2.5:0.33,3.5:0.34`. `none` removes the timer.
    #[arg(long, value_name = "H[:SHARE],...")]
    pub timer: Option<String>,
    /// Timer error, 1-σ relative (0.01 electronic, 0.1 mechanical).
    #[arg(long, value_name = "FRACTION", allow_hyphen_values = true)]
    pub timer_jitter: Option<f64>,
    /// Probability that a timer stage fails (0.1).
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub timer_fail: Option<f64>,
    /// Payload: leaflets with this median sea-level fall speed, m/s (vinyl 0.6, paper 0.76).
    #[arg(
        long,
        value_name = "M/S",
        allow_hyphen_values = true,
        conflicts_with = "bundle"
    )]
    pub leaflets: Option<f64>,
    /// Payload: an intact bundle or packets with this sea-level fall speed, m/s (sack 10-25,
    /// packet 5-10, parachute 3-6).
    #[arg(long, value_name = "M/S", allow_hyphen_values = true)]
    pub bundle: Option<f64>,
    /// Maximum flight time, hours (24).
    #[arg(long, value_name = "H", allow_hyphen_values = true)]
    pub max_hours: Option<f64>,
    /// Integration step, seconds (60).
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub step: Option<f64>,
    /// Forecast to fly in: a GRIB2 file or directory, a saebaram cache file, a tawhiri
    /// dataset, or a cached run by name or `latest` (default: the embedded 2019 JMA sample).
    #[arg(long, value_name = "FILE")]
    pub forecast: Option<PathBuf>,
    /// Elevation model the flight ends on: a directory of SRTM .hgt tiles (N37E126.hgt, 3" or
    /// 1"; default $SAEBARAM_TERRAIN_DIR). Where it has no tile, or without it, the
    /// forecast's model terrain is used if it has one, else sea level; the output says which.
    #[arg(long, value_name = "DIR")]
    pub terrain: Option<PathBuf>,
}

impl FlightArgs {
    /// The balloon as the jobs take it (`--area` and `--timer` read here).
    pub fn options(&self) -> anyhow::Result<FlightOptions> {
        Ok(FlightOptions {
            preset: self.preset.clone(),
            profile: self.profile.map(|k| match k {
                ProfileKind::Standard => flight_options::ProfileKind::Standard,
                ProfileKind::Sealed => flight_options::ProfileKind::Sealed,
                ProfileKind::Vented => flight_options::ProfileKind::Vented,
            }),
            ascent_m_s: self.ascent,
            burst_alt_m: self.burst,
            descent_m_s: self.descent,
            gas: self.gas.map(|g| match g {
                GasArg::H2 => GasOption::H2,
                GasArg::He => GasOption::He,
            }),
            volume_m3: self.volume,
            envelope_mass_kg: self.envelope_mass,
            payload_kg: self.payload,
            free_lift_kg: self.free_lift,
            fill_m3: self.fill,
            cd: self.cd,
            area: self
                .area
                .as_deref()
                .map(flight_options::parse_area)
                .transpose()?,
            overshoot_m: self.overshoot,
            leak_pct_h: self.leak,
            superheat_k: self.superheat,
            timer: self.timer.as_deref().map(parse::timer).transpose()?,
            timer_jitter: self.timer_jitter,
            timer_fail: self.timer_fail,
            leaflets_m_s: self.leaflets,
            bundle_m_s: self.bundle,
            max_hours: self.max_hours,
            step_s: self.step,
        })
    }

    /// `--forecast` as the jobs take it: a path or a cached run's name.
    pub fn forecast_name(&self) -> Option<String> {
        self.forecast
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
    }
}

/// Arguments of `saebaram predict`.
#[derive(Debug, clap::Args)]
#[command(after_help = format!("{}
Examples:
  saebaram predict --lat 37.89 --lon 126.74 --profile standard --ascent 5 --burst 10000 --descent 5
  saebaram predict --site paju --preset ffnk-tube --time 2019-06-05T00:00Z
  saebaram predict --site gimpo --preset slack-tube --timer 2.5 --json > flight.json
  saebaram predict --site paju --preset usb-packets --geojson flight.geojson --kml flight.kml --csv flight.csv

Without --forecast the embedded 2019 JMA sample is used (one time, held steady): say so to
anyone who reads the result. Exit 0: landed (ground or sea); 1: it did not come down inside
the forecast (left the area, forecast ended, maximum time); 2: bad input.", preset_help()))]
pub struct PredictArgs {
    /// Launch site by name (`saebaram sites`) or LAT,LON.
    #[arg(long, value_name = "NAME|LAT,LON", conflicts_with_all = ["lat", "lon"])]
    pub site: Option<String>,
    /// Launch latitude, degrees north.
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub lat: Option<f64>,
    /// Launch longitude, degrees east (-180..180).
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub lon: Option<f64>,
    /// Launch altitude, m above sea level (default: the site's elevation, else 0).
    #[arg(long, allow_hyphen_values = true)]
    pub alt: Option<f64>,
    /// Launch time, UTC (default: the forecast's run time).
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    #[command(flatten)]
    pub flight: FlightArgs,
    /// Print the prediction as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the track as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    /// Also write the track as KML (Google Earth).
    #[arg(long, value_name = "FILE")]
    pub kml: Option<PathBuf>,
    /// Also write the track as CSV (stage,time,lat,lon,alt).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    #[command(flatten)]
    pub html: super::map_output::HtmlArgs,
}

/// Runs `saebaram predict`.
pub fn run(args: PredictArgs, env: &Env) -> anyhow::Result<Status> {
    let request = PredictRequest {
        site: args.site.clone(),
        lat: args.lat,
        lon: args.lon,
        alt_m: args.alt,
        time_unix_s: args
            .time
            .as_deref()
            .map(|t| parse::utc_time("time_unix_s", "--time", t))
            .transpose()?,
        flight: args.flight.options()?,
        forecast: args.flight.forecast_name(),
        terrain_dir: args.flight.terrain.clone(),
    };
    let terminal = Terminal::new();
    let report = saebaram_jobs::predict::run(request, env, &terminal)?;
    if let Some(path) = &args.geojson {
        let text = saebaram_jobs::predict::geojson(&report).to_string();
        files::write_atomically(path, text.as_bytes())?;
    }
    if let Some(path) = &args.kml {
        files::write_atomically(path, saebaram_jobs::predict::kml(&report).as_bytes())?;
    }
    if let Some(path) = &args.csv {
        files::write_atomically(path, saebaram_jobs::predict::csv(&report).as_bytes())?;
    }
    if let Some(path) = &args.html.html {
        let lang = super::map_output::page_lang(args.html.lang);
        saebaram_jobs::map::write_html(path, &saebaram_jobs::map::prediction_html(&report, lang)?)?;
    }
    if args.json {
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        for w in &report.terrain.warnings {
            terminal.line(w);
        }
    } else {
        print!("{}", summary(&report));
        print!("{}", terrain_summary(&report.terrain));
    }
    Ok(if report.landed() {
        Status::Done
    } else {
        Status::Negative
    })
}

/// A number as the JSON prints it (`15.0`, not `15`): the summary quotes JSON values.
pub fn json_number(x: f64) -> String {
    serde_json::Value::from(x).to_string()
}

/// `Terrain: ...` and the DEM's warnings, for the human output of `predict` and `plan`.
pub fn terrain_summary(t: &saebaram_jobs::TerrainReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Terrain: {}", t.description);
    for w in &t.warnings {
        let _ = writeln!(s, "{}", crate::progress::both_languages("warning", w));
    }
    s
}

fn fmt_duration(s: f64) -> String {
    let m = (s / 60.0).round() as i64;
    format!("{}h{:02}m", m / 60, m % 60)
}

fn summary(r: &PredictReport) -> String {
    let pred = &r.flight;
    let mut s = String::new();
    let t0 = pred
        .stages
        .first()
        .and_then(|st| st.points.first())
        .map_or(0.0, |p| p.t_unix_s);
    let _ = writeln!(
        s,
        "Launch   {:.4}N {:.4}E  {} m  {}   profile {}",
        r.launch.lat,
        r.launch.lon,
        json_number(r.launch.alt),
        r.launch.time,
        r.profile.name
    );
    if let Some(b) = &pred.balloon {
        let vented =
            matches!(&r.profile.carrier, Carrier::Balloon(b) if b.envelope == Envelope::Vented);
        let _ = writeln!(
            s,
            "Balloon  fill {:.1} m³, free lift {:.2} kg, ascent {:.1} m/s, ceiling {:.0} m, {} {:.0} m",
            b.fill_m3,
            b.free_lift_kg,
            b.ascent_m_s,
            b.ceiling_m,
            if vented { "float" } else { "burst" },
            b.top_m
        );
    }
    for st in &pred.stages {
        if let (Some(a), Some(b)) = (st.points.first(), st.points.last()) {
            let _ = writeln!(
                s,
                "  {:<14} {} → {}  {:>6.0} m → {:>6.0} m",
                st.name,
                fmt_duration(a.t_unix_s - t0),
                fmt_duration(b.t_unix_s - t0),
                a.alt_m,
                b.alt_m
            );
        }
    }
    for e in &pred.events {
        let _ = writeln!(
            s,
            "  event {:<12} at {}  {:.4}N {:.4}E  {:.0} m{}",
            e.kind,
            fmt_duration(e.point.t_unix_s - t0),
            e.point.lat,
            e.point.lon,
            e.point.alt_m,
            e.fraction.map_or(String::new(), |f| format!(
                "  ({:.0} % of the payload)",
                f * 100.0
            ))
        );
    }
    for (i, l) in r.landings.iter().enumerate() {
        let mark = if i == pred.primary {
            "Landing "
        } else {
            "        "
        };
        let city = l
            .nearest_nk_city
            .as_ref()
            .map(|c| format!(", {} km from {}", json_number(c.distance_km), c.name))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{mark}{:<9} {:.4}N {:.4}E  {}  {}  {}  {} km from launch{}",
            l.payload.as_str(),
            l.lat,
            l.lon,
            l.time,
            l.outcome.label(),
            l.region_label,
            json_number(l.distance_km),
            city
        );
    }
    for l in r.landings.iter().filter(|l| l.heavy_in_rok) {
        let Some(h) = &l.heavy_intact else {
            continue;
        };
        let what = match (h.why, h.mass_kg) {
            (HeavyWhy::Tied, Some(kg)) => {
                format!("the balloon lands with its payload still tied ({kg:.1} kg in all)")
            }
            (_, Some(kg)) => format!("a {kg:.1} kg {} lands whole", l.payload.as_str()),
            _ => format!("the {} lands whole", l.payload.as_str()),
        };
        match &l.populated_place {
            Some(p) => {
                let name = match &p.name_ko {
                    Some(ko) => format!("{} ({ko})", p.name),
                    None => p.name.clone(),
                };
                let people = match p.population {
                    Some(n) => format!("{n} people"),
                    None => "population unknown".to_string(),
                };
                let _ = writeln!(
                    s,
                    "WARNING: heavy intact fall over a populated place in South Korea: {what} {} km from {name} ({people}; populated radius {} km)",
                    json_number(p.distance_km),
                    json_number(p.radius_km)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "warning: heavy intact fall in South Korea: {what}, outside the populated discs of the 311 South Korean places of 500 or more people that saebaram knows (farms and hamlets are not listed: not an all-clear)"
                );
            }
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(
        s,
        "Winds: {}. {}",
        r.forecast.credit,
        saebaram_geo::PLACES_CREDIT
    );
    s
}
