//! `saebaram predict`: one deterministic flight. Also holds what `plan` shares with it: the
//! balloon flags, opening the forecast, the map adapter and JSON pieces.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use saebaram_flight::{
    Balloon, Carrier, Envelope, Gas, LandClass, Lift, Outcome, Payload, Point, Prediction, Profile,
    Release, Standard, Surface, TimerStage, predict,
};
use saebaram_forecast::Forecast;
use saebaram_forecast::time::{format_rfc3339, parse_utc};
use saebaram_geo::{Geo, LaunchPoint, Region};
use serde_json::{Value, json};

use crate::output::Status;

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
    /// Builds the profile: preset (or `default_preset`, or the --profile kind), then overrides.
    pub fn profile(&self, default_preset: &str) -> anyhow::Result<Profile> {
        let mut p = match (&self.preset, self.profile) {
            (Some(name), _) => Profile::preset(name)?,
            (None, Some(ProfileKind::Standard)) => Profile::preset("standard")?,
            (None, Some(ProfileKind::Sealed)) => {
                let mut p = Profile::preset("ffnk-tube")?;
                p.name = "sealed".into();
                p
            }
            (None, Some(ProfileKind::Vented)) => {
                let mut p = Profile::preset("slack-tube")?;
                p.name = "vented".into();
                p
            }
            (None, None) => Profile::preset(default_preset)?,
        };
        if let (Some(kind), Some(_)) = (self.profile, &self.preset) {
            match (&mut p.carrier, kind) {
                (Carrier::Balloon(b), ProfileKind::Sealed) => b.envelope = Envelope::Sealed,
                (Carrier::Balloon(b), ProfileKind::Vented) => b.envelope = Envelope::Vented,
                (Carrier::Standard(_), ProfileKind::Standard) => {}
                _ => bail!("--profile {kind:?} does not fit preset `{}`", p.name),
            }
        }
        match &mut p.carrier {
            Carrier::Standard(s) => {
                let balloon_only = [
                    ("--gas", self.gas.is_some()),
                    ("--volume", self.volume.is_some()),
                    ("--envelope-mass", self.envelope_mass.is_some()),
                    ("--payload", self.payload.is_some()),
                    ("--free-lift", self.free_lift.is_some()),
                    ("--fill", self.fill.is_some()),
                    ("--cd", self.cd.is_some()),
                    ("--area", self.area.is_some()),
                    ("--overshoot", self.overshoot.is_some()),
                    ("--leak", self.leak.is_some()),
                    ("--superheat", self.superheat.is_some()),
                    ("--timer", self.timer.is_some()),
                    ("--leaflets", self.leaflets.is_some()),
                ];
                if let Some((flag, _)) = balloon_only.iter().find(|f| f.1) {
                    bail!(
                        "{flag} is for balloon profiles (--profile sealed|vented or a balloon preset), not the standard profile"
                    );
                }
                *s = Standard {
                    ascent_m_s: self.ascent.unwrap_or(s.ascent_m_s),
                    burst_alt_m: self.burst.unwrap_or(s.burst_alt_m),
                    descent_m_s: self.descent.unwrap_or(s.descent_m_s),
                };
                if let Some(v) = self.bundle {
                    p.payload = Payload::Bundle { v0_m_s: v };
                }
            }
            Carrier::Balloon(b) => {
                if self.burst.is_some() || self.descent.is_some() {
                    bail!(
                        "--burst and --descent are for the standard profile; a balloon bursts at its ceiling (see --volume, --overshoot)"
                    );
                }
                apply_balloon(self, b)?;
            }
        }
        if let Some(t) = &self.timer {
            let (jitter, p_fail) = match &p.release {
                Release::Timer { jitter, p_fail, .. } => (*jitter, *p_fail),
                _ => (0.1, 0.1),
            };
            p.release = parse_timer(t, jitter, p_fail)?;
        }
        if let Release::Timer { jitter, p_fail, .. } = &mut p.release {
            *jitter = self.timer_jitter.unwrap_or(*jitter);
            *p_fail = self.timer_fail.unwrap_or(*p_fail);
        } else if self.timer_jitter.is_some() || self.timer_fail.is_some() {
            bail!("--timer-jitter and --timer-fail need a timer (--timer)");
        }
        if let Some(v) = self.leaflets {
            p.payload = match p.payload {
                Payload::Leaflets {
                    sigma_ln,
                    particles,
                    turbulence_m_s,
                    turbulence_tau_s,
                    ..
                } => Payload::Leaflets {
                    v0_m_s: v,
                    sigma_ln,
                    particles,
                    turbulence_m_s,
                    turbulence_tau_s,
                },
                Payload::Bundle { .. } => match Payload::vinyl_leaflets() {
                    Payload::Leaflets {
                        sigma_ln,
                        particles,
                        turbulence_m_s,
                        turbulence_tau_s,
                        ..
                    } => Payload::Leaflets {
                        v0_m_s: v,
                        sigma_ln,
                        particles,
                        turbulence_m_s,
                        turbulence_tau_s,
                    },
                    other => other,
                },
            };
        }
        if let (Some(v), Carrier::Balloon(_)) = (self.bundle, &p.carrier) {
            p.payload = Payload::Bundle { v0_m_s: v };
        }
        p.max_flight_h = self.max_hours.unwrap_or(p.max_flight_h);
        p.step_s = self.step.unwrap_or(p.step_s);
        p.validate()?;
        Ok(p)
    }
}

fn apply_balloon(a: &FlightArgs, b: &mut Balloon) -> anyhow::Result<()> {
    if let Some(g) = a.gas {
        b.gas = match g {
            GasArg::H2 => Gas::Hydrogen,
            GasArg::He => Gas::Helium,
        };
    }
    b.v_max_m3 = a.volume.unwrap_or(b.v_max_m3);
    b.envelope_kg = a.envelope_mass.unwrap_or(b.envelope_kg);
    b.payload_kg = a.payload.unwrap_or(b.payload_kg);
    b.cd = a.cd.unwrap_or(b.cd);
    b.overshoot_m = a.overshoot.unwrap_or(b.overshoot_m);
    b.leak_pct_h = a.leak.unwrap_or(b.leak_pct_h);
    b.superheat_k = a.superheat.unwrap_or(b.superheat_k);
    if let Some(area) = &a.area {
        b.area_m2 =
            if area.eq_ignore_ascii_case("sphere") {
                None
            } else {
                Some(area.parse().with_context(|| {
                    format!("--area: `{area}` is not a number of m² or `sphere`")
                })?)
            };
    }
    match (a.free_lift, a.fill, a.ascent) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            bail!("give one of --free-lift, --fill and --ascent: each fixes the gas at launch")
        }
        (Some(fl), None, None) => {
            if fl <= 0.0 {
                bail!(
                    "free lift is {fl:.1} kg: this balloon will not rise (--free-lift must be positive)"
                );
            }
            b.lift = Lift::FreeLiftKg(fl);
        }
        (None, Some(v), None) => b.lift = Lift::FillM3(v),
        (None, None, Some(v)) => b.lift = Lift::AscentMS(v),
        _ => {}
    }
    Ok(())
}

fn parse_timer(s: &str, jitter: f64, p_fail: f64) -> anyhow::Result<Release> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Release::None);
    }
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let n = parts.len() as f64;
    let mut stages = Vec::new();
    for part in parts {
        let (h, share) = match part.split_once(':') {
            Some((h, f)) => (h, Some(f)),
            None => (part, None),
        };
        let after_h: f64 = h.trim_end_matches('h').parse().with_context(|| {
            format!("--timer: `{part}` is not HOURS or HOURS:SHARE (e.g. 3 or 1.5:0.5)")
        })?;
        let fraction = match share {
            Some(f) => f
                .parse()
                .with_context(|| format!("--timer: share `{f}` is not a number"))?,
            None => 1.0 / n,
        };
        stages.push(TimerStage { after_h, fraction });
    }
    Ok(Release::Timer {
        stages,
        jitter,
        p_fail,
    })
}

/// The land/sea map for the integrator: sea from the embedded map. Its ground is sea level;
/// flights use [`super::terrain::Ground`], which adds the terrain to it.
pub struct GeoSurface(pub &'static Geo);

impl Surface for GeoSurface {
    fn is_sea(&self, lat: f64, lon: f64) -> Option<bool> {
        match self.0.classify(lat, lon) {
            Region::OutsideMap => None,
            Region::Sea => Some(true),
            _ => Some(false),
        }
    }
}

/// The landing classes the statistics count.
pub fn land_class(region: &Region) -> LandClass {
    match region {
        Region::NorthKorea { .. } => LandClass::North,
        Region::SouthKorea => LandClass::South,
        Region::Dmz => LandClass::Dmz,
        Region::Sea => LandClass::Sea,
        _ => LandClass::Other,
    }
}

/// Opens the forecast the user named, or the embedded sample.
pub fn open_forecast(path: Option<&Path>) -> anyhow::Result<Forecast> {
    match path {
        // The same resolution as `saebaram forecast`: a file, a directory, or a cached run
        // by name or `latest`.
        Some(p) => {
            super::forecast::load(Some(&p.to_string_lossy()), saebaram_forecast::Region::KOREA)
        }
        None => Forecast::embedded().context("the embedded forecast sample does not decode"),
    }
}

/// The `forecast` object of the JSON.
pub fn forecast_json(f: &Forecast) -> Value {
    let info = f.info();
    json!({
        "source": info.source,
        "credit": info.credit,
        "origin": info.origin,
        "run_time": format_rfc3339(info.run_unix_s),
        "steady_sample": info.is_embedded_sample() || info.is_steady(),
        "valid_from": info.valid_unix_s.first().map(|t| format_rfc3339(*t)),
        "valid_to": info.valid_unix_s.last().map(|t| format_rfc3339(*t)),
    })
}

/// Tells the user on stderr that the forecast is a steady sample, not today's weather.
pub fn warn_if_steady(f: &Forecast) {
    let info = f.info();
    if info.is_embedded_sample() {
        eprintln!(
            "note: flying in the embedded {} sample run {}: a 2019 analysis, NOT today's weather; its one time is held steady at every hour. Fetch a real forecast with `saebaram forecast fetch` for a real launch.",
            info.source,
            format_rfc3339(info.run_unix_s)
        );
    } else if info.is_steady() {
        eprintln!("note: this forecast has one time only; its wind is held steady at every hour");
    }
}

/// Parses a UTC time for `--time`, `--from`, `--to`.
pub fn parse_time(flag: &str, s: &str) -> anyhow::Result<f64> {
    parse_utc(s).map(|t| t as f64).with_context(|| {
        format!("{flag}: `{s}` is not a UTC time (use 2019-06-05T23:00Z, 2019-06-05, 2019060523 or @UNIXSECONDS)")
    })
}

/// RFC 3339 of a float time, to the second.
pub fn rfc3339(t: f64) -> String {
    format_rfc3339(t.round() as i64)
}

/// Rounds to `d` decimals (for compact JSON).
pub fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

fn point_json(p: &Point) -> Value {
    json!({"lat": round(p.lat, 5), "lon": round(p.lon, 5), "alt": round(p.alt_m, 1), "time": rfc3339(p.t_unix_s)})
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
        format!(
            "cannot write {}: cannot create a file in {}",
            path.display(),
            dir.display()
        )
    })?;
    tmp.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
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

/// Resolves the launch point of `predict`/`plan`.
pub fn launch_point(
    site: Option<&str>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> anyhow::Result<LaunchPoint> {
    match (site, lat, lon) {
        (Some(s), _, _) => Ok(LaunchPoint::parse(s)?),
        (None, Some(lat), Some(lon)) => Ok(LaunchPoint::parse(&format!("{lat},{lon}"))?),
        _ => Ok(LaunchPoint::parse("paju")?),
    }
}

/// Runs `saebaram predict`.
pub fn run(args: PredictArgs) -> anyhow::Result<Status> {
    let profile = args.flight.profile("standard")?;
    if args.site.is_none() && args.lat.is_none() {
        bail!("give a launch point: --site NAME|LAT,LON or --lat and --lon");
    }
    let lp = launch_point(args.site.as_deref(), args.lat, args.lon)?;
    let forecast = open_forecast(args.flight.forecast.as_deref())?;
    let geo = Geo::try_embedded()?;
    let terrain = super::terrain::terrain_dir(args.flight.terrain.as_deref());
    let surface = super::terrain::Ground::new(geo, &forecast, terrain.as_deref())?;
    let t = match &args.time {
        Some(s) => parse_time("--time", s)?,
        None => forecast.info().run_unix_s as f64,
    };
    // Without --alt or a site elevation, the launch stands on the ground.
    let alt = args
        .alt
        .or(lp.elevation_m)
        .unwrap_or_else(|| round(surface.lookup(lp.lat, lp.lon).0, 1));
    let launch = Point {
        t_unix_s: t,
        lat: lp.lat,
        lon: lp.lon,
        alt_m: alt,
    };
    warn_if_steady(&forecast);
    let pred = predict(&forecast, &surface, &profile, launch)?;
    let mut value = prediction_json(&forecast, geo, &lp, &profile, launch, &pred);
    surface.annotate_prediction(&mut value, &pred);
    if let Some(path) = &args.geojson {
        write_atomic(path, geojson(&pred, geo).to_string().as_bytes())?;
    }
    if let Some(path) = &args.kml {
        write_atomic(path, kml(&pred, &profile).as_bytes())?;
    }
    if let Some(path) = &args.csv {
        write_atomic(path, csv(&pred).as_bytes())?;
    }
    if let Some(path) = &args.html.html {
        super::map_output::write_prediction_html(path, &value, args.html.lang)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
        for w in surface.warnings() {
            eprintln!("warning: {w}");
        }
    } else {
        print!("{}", summary(&value, &pred));
        print!("{}", surface.summary());
    }
    let landed = pred
        .landings
        .get(pred.primary)
        .is_some_and(|l| l.outcome <= Outcome::Sea);
    Ok(if landed {
        Status::Done
    } else {
        Status::Negative
    })
}

fn profile_json(profile: &Profile) -> Value {
    serde_json::to_value(profile).unwrap_or(Value::Null)
}

fn prediction_json(
    forecast: &Forecast,
    geo: &Geo,
    lp: &LaunchPoint,
    profile: &Profile,
    launch: Point,
    pred: &Prediction,
) -> Value {
    let landing_json = |l: &saebaram_flight::Landing| {
        let region = geo.classify(l.point.lat, l.point.lon);
        let nearest = geo.nearest_nk_city(l.point.lat, l.point.lon);
        let landed = l.outcome == Outcome::Ground;
        let in_rok = landed && region == Region::SouthKorea;
        let place = l
            .heavy
            .filter(|_| landed)
            .and_then(|_| geo.populated_rok_place(l.point.lat, l.point.lon));
        json!({
            "lat": round(l.point.lat, 5),
            "lon": round(l.point.lon, 5),
            "alt": round(l.point.alt_m, 1),
            "time": rfc3339(l.point.t_unix_s),
            "outcome": l.outcome.as_str(),
            "payload": l.payload.as_str(),
            "fraction": round(l.fraction, 4),
            "region": region,
            "region_label": region.label(),
            "distance_km": round(saebaram_flight::ensemble::distance_km(launch.lat, launch.lon, l.point.lat, l.point.lon), 2),
            "nearest_nk_city": nearest.map(|(c, d)| json!({"name": c.name, "distance_km": round(d, 1)})),
            "heavy_intact": l.heavy.map(|h| json!({
                "why": h.why,
                "mass_kg": h.mass_kg.map(|m| round(m, 2)),
                "fall_m_s": h.fall_m_s.map(|v| round(v, 1)),
            })),
            "heavy_in_rok": l.heavy.is_some() && in_rok,
            "heavy_over_populated_rok": place.is_some(),
            "populated_place": place.map(|(_, c, d)| json!({
                "name": c.name,
                "distance_km": round(d, 1),
                "radius_km": round(c.populated_radius_km(), 1),
            })),
        })
    };
    json!({
        "forecast": forecast_json(forecast),
        "launch": {"lat": launch.lat, "lon": launch.lon, "alt": launch.alt_m, "time": rfc3339(launch.t_unix_s), "site": lp.site},
        "profile": profile_json(profile),
        "balloon": pred.balloon,
        "stages": pred.stages.iter().map(|s| json!({
            "name": s.name,
            "points": s.points.iter().map(point_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "events": pred.events.iter().map(|e| {
            let mut v = point_json(&e.point);
            v["kind"] = json!(e.kind);
            if let Some(f) = e.fraction { v["fraction"] = json!(round(f, 4)); }
            v
        }).collect::<Vec<_>>(),
        "landing": pred.landings.get(pred.primary).map(landing_json),
        "landings": pred.landings.iter().map(landing_json).collect::<Vec<_>>(),
        "warnings": pred.warnings,
    })
}

fn fmt_duration(s: f64) -> String {
    let m = (s / 60.0).round() as i64;
    format!("{}h{:02}m", m / 60, m % 60)
}

fn summary(v: &Value, pred: &Prediction) -> String {
    let mut s = String::new();
    let launch = &v["launch"];
    let t0 = pred
        .stages
        .first()
        .and_then(|st| st.points.first())
        .map_or(0.0, |p| p.t_unix_s);
    let _ = writeln!(
        s,
        "Launch   {:.4}N {:.4}E  {} m  {}   profile {}",
        launch["lat"].as_f64().unwrap_or(0.0),
        launch["lon"].as_f64().unwrap_or(0.0),
        launch["alt"],
        launch["time"].as_str().unwrap_or(""),
        v["profile"]["name"].as_str().unwrap_or("")
    );
    if let Some(b) = &pred.balloon {
        let _ = writeln!(
            s,
            "Balloon  fill {:.1} m³, free lift {:.2} kg, ascent {:.1} m/s, ceiling {:.0} m, {} {:.0} m",
            b.fill_m3,
            b.free_lift_kg,
            b.ascent_m_s,
            b.ceiling_m,
            if matches!(v["profile"]["carrier"]["envelope"].as_str(), Some("vented")) {
                "float"
            } else {
                "burst"
            },
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
    for (i, l) in v["landings"].as_array().into_iter().flatten().enumerate() {
        let mark = if i == pred.primary {
            "Landing "
        } else {
            "        "
        };
        let city = l["nearest_nk_city"]
            .as_object()
            .map(|c| {
                format!(
                    ", {} km from {}",
                    c["distance_km"],
                    c["name"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{mark}{:<9} {:.4}N {:.4}E  {}  {}  {}  {} km from launch{}",
            l["payload"].as_str().unwrap_or(""),
            l["lat"].as_f64().unwrap_or(0.0),
            l["lon"].as_f64().unwrap_or(0.0),
            l["time"].as_str().unwrap_or(""),
            l["outcome"].as_str().unwrap_or(""),
            l["region_label"].as_str().unwrap_or(""),
            l["distance_km"],
            city
        );
    }
    for l in v["landings"].as_array().into_iter().flatten() {
        if !l["heavy_in_rok"].as_bool().unwrap_or(false) {
            continue;
        }
        let h = &l["heavy_intact"];
        let what = match (h["why"].as_str(), h["mass_kg"].as_f64()) {
            (Some("tied"), Some(kg)) => {
                format!("the balloon lands with its payload still tied ({kg:.1} kg in all)")
            }
            (_, Some(kg)) => format!(
                "a {kg:.1} kg {} lands whole",
                l["payload"].as_str().unwrap_or("")
            ),
            _ => format!("the {} lands whole", l["payload"].as_str().unwrap_or("")),
        };
        match l["populated_place"].as_object() {
            Some(p) => {
                let _ = writeln!(
                    s,
                    "WARNING: heavy intact fall over a populated place in South Korea: {what} {} km from {} (populated radius {} km)",
                    p["distance_km"],
                    p["name"].as_str().unwrap_or(""),
                    p["radius_km"]
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "warning: heavy intact fall in South Korea: {what}, away from the towns the map lists (it lists no border towns: not an all-clear)"
                );
            }
        }
    }
    for w in &pred.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    let _ = writeln!(
        s,
        "Winds: {}",
        v["forecast"]["credit"].as_str().unwrap_or("")
    );
    s
}

fn geojson(pred: &Prediction, geo: &Geo) -> Value {
    let mut features = Vec::new();
    for st in &pred.stages {
        features.push(json!({
            "type": "Feature",
            "properties": {"stage": st.name},
            "geometry": {"type": "LineString", "coordinates": st.points.iter().map(|p| json!([round(p.lon, 5), round(p.lat, 5), round(p.alt_m, 1)])).collect::<Vec<_>>()},
        }));
    }
    for e in &pred.events {
        features.push(json!({
            "type": "Feature",
            "properties": {"event": e.kind, "time": rfc3339(e.point.t_unix_s), "fraction": e.fraction},
            "geometry": {"type": "Point", "coordinates": [round(e.point.lon, 5), round(e.point.lat, 5), round(e.point.alt_m, 1)]},
        }));
    }
    for l in &pred.landings {
        features.push(json!({
            "type": "Feature",
            "properties": {
                "landing": l.payload.as_str(), "outcome": l.outcome.as_str(),
                "time": rfc3339(l.point.t_unix_s), "fraction": l.fraction,
                "heavy_intact": l.heavy.is_some(),
                "populated_place": l.heavy
                    .filter(|_| l.outcome == Outcome::Ground)
                    .and_then(|_| geo.populated_rok_place(l.point.lat, l.point.lon))
                    .map(|(_, c, _)| c.name.clone()),
            },
            "geometry": {"type": "Point", "coordinates": [round(l.point.lon, 5), round(l.point.lat, 5)]},
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn kml(pred: &Prediction, profile: &Profile) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n",
    );
    let _ = writeln!(
        s,
        "<name>saebaram prediction ({})</name>",
        xml_escape(&profile.name)
    );
    for st in &pred.stages {
        let _ = writeln!(
            s,
            "<Placemark><name>{}</name><LineString><altitudeMode>absolute</altitudeMode><coordinates>",
            st.name
        );
        for p in &st.points {
            let _ = write!(s, "{:.5},{:.5},{:.1} ", p.lon, p.lat, p.alt_m);
        }
        s.push_str("</coordinates></LineString></Placemark>\n");
    }
    for e in &pred.events {
        let _ = writeln!(
            s,
            "<Placemark><name>{} {}</name><Point><altitudeMode>absolute</altitudeMode><coordinates>{:.5},{:.5},{:.1}</coordinates></Point></Placemark>",
            e.kind,
            rfc3339(e.point.t_unix_s),
            e.point.lon,
            e.point.lat,
            e.point.alt_m
        );
    }
    for l in &pred.landings {
        let _ = writeln!(
            s,
            "<Placemark><name>{} lands ({})</name><Point><coordinates>{:.5},{:.5},0</coordinates></Point></Placemark>",
            l.payload.as_str(),
            l.outcome.as_str(),
            l.point.lon,
            l.point.lat
        );
    }
    s.push_str("</Document>\n</kml>\n");
    s
}

fn csv(pred: &Prediction) -> String {
    let mut s = String::from("stage,time,lat,lon,alt_m\n");
    for st in &pred.stages {
        for p in &st.points {
            let _ = writeln!(
                s,
                "{},{},{:.6},{:.6},{:.1}",
                st.name,
                rfc3339(p.t_unix_s),
                p.lat,
                p.lon,
                p.alt_m
            );
        }
    }
    s
}
