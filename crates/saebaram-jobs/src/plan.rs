//! `plan`: Monte-Carlo ensembles over a range of launch times from one site, classified on
//! the map, scored against a target, ranked; the heavy-fall statistics, the pre-filter, the
//! warnings, and the GeoJSON of the landings.

use std::path::PathBuf;
use std::sync::Mutex;

use rayon::prelude::*;
use saebaram_flight::models::NoiseSpec;
use saebaram_flight::{
    EnsembleSpec, FallRisk, HEAVY_FALL_M_S, HEAVY_MIN_KG, HeavyStats, HeavyWhy, LandClass, Landing,
    Outcome, Payload, PayloadClass, Point, Profile, WindowRun, WindowStats, heavy_stats,
    layer_mean_wind, run_window_members, window_stats, window_stats_by_forecast_member,
};
use saebaram_forecast::{Forecast, WindField};
use saebaram_geo::{
    Geo, PLACES_CREDIT, POPULATED_DENSITY_PER_KM2, POPULATED_MIN_RADIUS_KM,
    POPULATED_UNKNOWN_RADIUS_KM, RegionClass, Target,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::files::{rfc3339, round};
use crate::flight_options::FlightOptions;
use crate::forecast::{ForecastSummary, steady_warning};
use crate::ground::{Ground, TerrainReport, dem_dir};
use crate::predict::launch_point;
use crate::progress::{Event, Progress, Stage, Unit, Warning, check, warning_texts};
use crate::{Env, Error};

/// Most launch windows one plan flies.
pub const MAX_WINDOWS: usize = 2000;

/// Default limit on a window's chance of a heavy intact fall on a populated South Korean
/// place: 1 % (two members in 200). A window above it is listed and marked, never ranked
/// above a window within it. One member in a hundred dropping a 13 kg sack on a town is
/// already more than a group would accept knowingly; the limit is a choice, not a
/// measurement, and `--max-heavy-risk` changes it.
pub const DEFAULT_MAX_HEAVY_RISK: f64 = 0.01;

/// A plan to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanRequest {
    /// Launch site(s): a name (English or Korean), several names joined by commas
    /// (`paju,gimpo,ganghwa`: their (site, hour) windows are ranked together), `all` (every
    /// built-in site), or one `LAT,LON`. Empty: on a forecast of one time (the built-in
    /// sample), every built-in site at that time ([`SITE_COMPARISON_WHY`]); else Paju (what
    /// the CLI sends when `--site` is not given; the default request names Paju).
    pub site: String,
    /// First launch time, UNIX s (default: the forecast's first time).
    pub from_unix_s: Option<f64>,
    /// Last launch time, UNIX s (default: 23 h after the first, within the forecast).
    pub to_unix_s: Option<f64>,
    /// Time between launch windows, s (at least 60).
    pub every_s: f64,
    /// Ensemble members per window (at least 1).
    pub members: u32,
    /// Leaflet particles per member (leaflet payloads; at least 1).
    pub particles: u32,
    /// Target: `north`, `province:NAME`, `city:NAME[:RADIUS]`, `LAT,LON[:RADIUS]`, `[:pop]`.
    pub target: String,
    /// Random seed: the same seed gives the same plan at any thread count.
    pub seed: u64,
    /// Skip windows whose layer-mean wind points away from the North (listed, not flown).
    pub prefilter: bool,
    /// Highest acceptable chance (0..1) of a heavy intact fall on a populated South Korean
    /// place ([`DEFAULT_MAX_HEAVY_RISK`]): windows over it rank after every window within
    /// it, marked; when no window is within it the plan has no best window.
    pub max_heavy_risk: f64,
    /// The balloon (default preset: `slack-tube`).
    pub flight: FlightOptions,
    /// The forecast by path or cached-run name (default: the embedded sample).
    pub forecast: Option<String>,
    /// SRTM tiles the flights end on (default: the face's [`Env::terrain_dir`]).
    pub terrain_dir: Option<PathBuf>,
}

impl Default for PlanRequest {
    fn default() -> Self {
        PlanRequest {
            site: "paju".into(),
            from_unix_s: None,
            to_unix_s: None,
            every_s: 3600.0,
            members: 200,
            particles: 50,
            target: "north".into(),
            seed: 1,
            prefilter: false,
            max_heavy_risk: DEFAULT_MAX_HEAVY_RISK,
            flight: FlightOptions::default(),
            forecast: None,
            terrain_dir: None,
        }
    }
}

/// The launch site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteReport {
    /// Its English name, or `None` for a coordinate.
    pub name: Option<&'static str>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// The site's elevation, m (0 when unknown).
    pub alt: f64,
}

/// The target, with its label and what the user typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetReport {
    /// The parsed target.
    #[serde(flatten)]
    pub target: Target,
    /// `North Korea`, `Pyongyang within 40 km`, ...
    pub label: String,
    /// The same in Korean: `북한`, `평양 40 km 이내`, ...
    pub label_ko: String,
    /// The request's text.
    pub input: String,
}

/// A member's main landing in a plan window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanLanding {
    /// Latitude (1e-4°).
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// The region class (`north_korea`, `sea`, ...) or, for a flight that did not come
    /// down, its outcome (`left_domain`, ...).
    pub class: &'static str,
    /// What came down.
    pub payload: PayloadClass,
    /// How it ended.
    pub outcome: Outcome,
}

/// A heavy intact fall in a plan window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeavyLanding {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// As in [`PlanLanding::class`].
    pub class: &'static str,
    /// What came down.
    pub payload: PayloadClass,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it is heavy.
    pub why: Option<HeavyWhy>,
    /// Mass, kg.
    pub mass_kg: Option<f64>,
    /// Fall speed, m/s.
    pub fall_m_s: Option<f64>,
    /// The populated South Korean place it lands in.
    pub populated_place: Option<String>,
}

/// Where the leaflets of a window landed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeafletDensity {
    /// Cell size, degrees.
    pub cell_deg: f64,
    /// Particles simulated.
    pub particles: u64,
    /// (lat, lon) of each cell's centre and its share of the particles.
    pub cells: Vec<(f64, f64, f64)>,
}

/// A populated place at risk of heavy falls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceAtRisk {
    /// Name (GeoNames).
    pub name: String,
    /// Korean name, where known.
    pub name_ko: Option<String>,
    /// GeoNames id.
    pub geonameid: u32,
    /// Inhabitants (`None`: unknown to GeoNames; its disc is then the minimum).
    pub population: Option<u64>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Populated radius, km.
    pub radius_km: f64,
    /// Share of members with a heavy fall in it.
    pub p: f64,
}

/// The layer-mean wind the pre-filter judged by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanWind {
    /// East component, m/s.
    pub u: f64,
    /// North component, m/s.
    pub v: f64,
    /// Speed, m/s.
    pub speed_m_s: f64,
    /// Direction it blows towards, degrees.
    pub towards_deg: f64,
}

/// Why the pre-filter kept or skipped a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum PrefilterVerdict {
    /// Kept: the forecast lacks the column (the ensemble decides).
    NoColumn {
        /// Why.
        error: String,
    },
    /// Kept: too calm to judge.
    Calm,
    /// Kept: the North is downwind.
    NorthDownwind {
        /// How far, km.
        north_km: f64,
    },
    /// Skipped: no bearing near the wind reaches the North.
    Away,
}

/// What the pre-filter found for one window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrefilterReport {
    /// Whether the window is flown.
    pub passed: bool,
    /// Top of the layer, m.
    pub layer_top_m: f64,
    /// The layer-mean wind, if the forecast had the column.
    pub mean_wind: Option<MeanWind>,
    /// Why, in English.
    pub reason: String,
    /// Why, typed.
    #[serde(flatten)]
    pub verdict: PrefilterVerdict,
}

/// What the flights of one forecast member gave in a window (ensemble forecasts only): do
/// the members agree?
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastMemberStats {
    /// The forecast member's perturbation number (0: the control).
    pub member: u32,
    /// Monte-Carlo flights that flew it.
    pub flights: usize,
    /// P(North Korea) among them.
    pub p_north: f64,
    /// P(South Korea).
    pub p_south: f64,
    /// P(sea).
    pub p_sea: f64,
    /// P(target).
    pub p_target: f64,
}

/// Why a plan with no site given on a forecast of one time compares the built-in sites.
pub const SITE_COMPARISON_WHY: &str = "the forecast has one time, held steady: every launch hour would fly the same weather and differ only by chance, so the plan compares the built-in launch sites at that time instead (give --site to plan hours from one site)";

/// A flown launch window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowReport {
    /// The launch site's name (`Paju`), or `LAT,LON`.
    pub site: String,
    /// RFC 3339.
    pub launch_time: String,
    /// 1 = best.
    pub rank: usize,
    /// P(North Korea).
    pub p_north: f64,
    /// P(South Korea).
    pub p_south: f64,
    /// P(DMZ).
    pub p_dmz: f64,
    /// P(sea).
    pub p_sea: f64,
    /// P(elsewhere or unresolved).
    pub p_other: f64,
    /// P(target).
    pub p_target: f64,
    /// P(did not come down inside the forecast).
    pub p_unresolved: f64,
    /// P(could not fly).
    pub p_failed: f64,
    /// Members that could not fly.
    pub failed_members: usize,
    /// Median distance from the launch, km.
    pub median_distance_km: f64,
    /// 90th percentile, km.
    pub p90_distance_km: f64,
    /// Every member's landings.
    pub landings: Vec<PlanLanding>,
    /// Leaflet density.
    pub leaflet_density: LeafletDensity,
    /// Up to ten members' tracks, `[lat, lon, alt]` (about 60 points each).
    pub tracks: Vec<Vec<(f64, f64, f64)>>,
    /// P(a heavy intact fall anywhere).
    pub p_heavy: f64,
    /// P(one on South Korean land).
    pub p_heavy_rok: f64,
    /// P(one on a populated South Korean place).
    pub p_heavy_over_populated_rok: f64,
    /// Those places.
    pub heavy_places_at_risk: Vec<PlaceAtRisk>,
    /// `p_heavy_over_populated_rok` is above the plan's `max_heavy_risk`: this window ranks
    /// after every window within the limit.
    pub over_heavy_risk_limit: bool,
    /// Every heavy intact fall.
    pub heavy_landings: Vec<HeavyLanding>,
    /// The pre-filter's verdict, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefilter: Option<PrefilterReport>,
    /// Per forecast member, for a forecast ensemble (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_forecast_member: Vec<ForecastMemberStats>,
    /// The window's statistics, unrounded.
    #[serde(skip)]
    pub stats: WindowStats,
    /// Its heavy-fall statistics, unrounded.
    #[serde(skip)]
    pub heavy: HeavyStats,
    /// The median main landing (lat, lon), if any member landed.
    #[serde(skip)]
    pub median_landing: Option<(f64, f64)>,
}

/// A window the pre-filter skipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedWindow {
    /// The launch site.
    pub site: String,
    /// RFC 3339.
    pub launch_time: String,
    /// Why.
    pub prefilter: PrefilterReport,
}

/// The thresholds behind the heavy-fall figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeavyFallDefinition {
    /// Payload still tied to a landing envelope, kg.
    pub tied_min_payload_kg: f64,
    /// A released bundle's mass, kg.
    pub released_min_kg: f64,
    /// Its fall speed, m/s.
    pub released_min_fall_m_s: f64,
    /// Population density of a populated disc, per km².
    pub populated_density_per_km2: f64,
    /// Smallest populated radius, km.
    pub populated_min_radius_km: f64,
    /// Radius of a place whose population is unknown, km.
    pub populated_unknown_radius_km: f64,
    /// Where the places come from.
    pub places: &'static str,
}

/// A plan: the `plan --json` schema, and what the map draws.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// The forecast flown in.
    pub forecast: ForecastSummary,
    /// The launch site of the best window (or, when none is recommended, of the first
    /// site).
    pub site: SiteReport,
    /// Every site flown, in the order asked (one for a single-site plan).
    pub sites: Vec<SiteReport>,
    /// Why the plan compares sites when none was asked for ([`SITE_COMPARISON_WHY`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_comparison: Option<&'static str>,
    /// The target.
    pub target: TargetReport,
    /// The profile flown.
    pub profile: Profile,
    /// The ensemble's perturbations.
    pub ensemble: EnsembleSpec,
    /// Members per window.
    pub members: u32,
    /// The forecast members the Monte-Carlo members fly in turn (perturbation numbers), with
    /// the sub-grid wind error only; empty when the forecast is deterministic or holds one
    /// member (then the full wind error is drawn).
    pub forecast_members_flown: Vec<u32>,
    /// The seed.
    pub seed: u64,
    /// Flown windows in launch order.
    pub windows: Vec<WindowReport>,
    /// Index into `windows` of the best: the highest-ranked window within `max_heavy_risk`
    /// (None when no window is).
    pub best: Option<usize>,
    /// The limit on P(heavy intact fall on a populated South Korean place), 0..1.
    pub max_heavy_risk: f64,
    /// Flown windows within that limit.
    pub safe_windows: usize,
    /// Windows the pre-filter skipped.
    pub skipped_windows: Vec<SkippedWindow>,
    /// Warnings about the result (English texts in JSON).
    #[serde(serialize_with = "warning_texts")]
    pub warnings: Vec<Warning>,
    /// The heavy-fall thresholds.
    pub heavy_fall_definition: HeavyFallDefinition,
    /// The ground flights ended on.
    pub terrain: TerrainReport,
    /// Indices into `windows`, best first.
    #[serde(skip)]
    pub order: Vec<usize>,
    /// The forecast has one time held steady: windows differ only by draws.
    #[serde(skip)]
    pub steady: bool,
    /// The pre-filter ran.
    #[serde(skip)]
    pub prefiltered: bool,
}

impl PlanReport {
    /// The report as JSON (`plan --json`): the serialised fields, whose `warnings` are English
    /// texts, plus `warning_codes`, the same warnings as `{"code": ..., fields...}` in the
    /// same order (shares 0..1), for faces that word them in the reader's language (the
    /// map page does).
    pub fn to_json(&self) -> serde_json::Result<Value> {
        let mut value = serde_json::to_value(self)?;
        if let Value::Object(o) = &mut value {
            let codes = self
                .warnings
                .iter()
                .map(serde_json::to_value)
                .collect::<serde_json::Result<Vec<_>>>()?;
            o.insert("warning_codes".to_owned(), Value::Array(codes));
        }
        Ok(value)
    }

    /// Whether any window within the heavy-risk limit reaches the target (P > 0): the plan's
    /// yes (a window too risky to fly is no answer).
    pub fn reaches_target(&self) -> bool {
        self.windows
            .iter()
            .any(|w| !w.over_heavy_risk_limit && w.stats.p_target > 0.0)
    }

    /// The best window, if any was flown.
    pub fn best_window(&self) -> Option<&WindowReport> {
        self.best.and_then(|b| self.windows.get(b))
    }

    /// The site as records name it (the best window's): its name, else `LAT,LON`.
    pub fn site_label(&self) -> String {
        self.site.label()
    }
}

impl SiteReport {
    /// Its name, else `LAT,LON`.
    pub fn label(&self) -> String {
        self.name
            .map_or_else(|| format!("{},{}", self.lat, self.lon), str::to_string)
    }
}

/// Top of the pre-filter's layer, m (the spec's "~5 km").
pub const PREFILTER_TOP_M: f64 = 5_000.0;
/// Half-width of the fan of bearings the pre-filter tries around the mean wind, degrees.
pub const PREFILTER_FAN_DEG: f64 = 20.0;
/// How far down the wind the pre-filter looks for the North, km.
pub const PREFILTER_RANGE_KM: f64 = 500.0;
/// Below this layer-mean speed the direction means nothing: the window is kept, m/s.
pub const PREFILTER_CALM_M_S: f64 = 1.0;

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
fn prefilter(fields: &[Field<'_>], numbers: &[u32], geo: &Geo, launch: Point) -> PrefilterReport {
    // An ensemble's window is kept when any member's wind reaches the North: the pre-filter
    // only skips what no member would fly.
    let mut first = None;
    for (k, field) in fields.iter().enumerate() {
        let mut r = prefilter_one(*field, geo, launch);
        if fields.len() > 1 {
            r.reason = format!(
                "forecast member {}: {}",
                numbers.get(k).copied().unwrap_or(k as u32),
                r.reason
            );
        }
        if r.passed {
            return r;
        }
        first.get_or_insert(r);
    }
    first.unwrap_or_else(|| PrefilterReport {
        passed: true,
        layer_top_m: PREFILTER_TOP_M,
        mean_wind: None,
        reason: "kept: no wind field".into(),
        verdict: PrefilterVerdict::NoColumn {
            error: "no wind field".into(),
        },
    })
}

/// A wind field flights fly in: the forecast or one of its members.
type Field<'a> = &'a (dyn WindField + Sync);

fn prefilter_one(forecast: Field<'_>, geo: &Geo, launch: Point) -> PrefilterReport {
    let report = |mean: Option<(f64, f64)>, passed, reason, verdict| PrefilterReport {
        passed,
        layer_top_m: PREFILTER_TOP_M,
        mean_wind: mean.map(|(u, v): (f64, f64)| MeanWind {
            u: round(u, 2),
            v: round(v, 2),
            speed_m_s: round(u.hypot(v), 2),
            towards_deg: round(u.atan2(v).to_degrees().rem_euclid(360.0), 1),
        }),
        reason,
        verdict,
    };
    let (u, v) = match layer_mean_wind(forecast, launch, PREFILTER_TOP_M, 100.0) {
        Ok(m) => m,
        Err(e) => {
            return report(
                None,
                true,
                format!("kept: no layer wind to judge by ({e})"),
                PrefilterVerdict::NoColumn {
                    error: e.to_string(),
                },
            );
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
        return report(
            Some((u, v)),
            true,
            format!("kept: {wind}: too calm to judge"),
            PrefilterVerdict::Calm,
        );
    }
    let hit = (-4..=4)
        .map(|k| toward + f64::from(k) * PREFILTER_FAN_DEG / 4.0)
        .find_map(|b| geo.north_along(launch.lat, launch.lon, b, PREFILTER_RANGE_KM));
    match hit {
        Some(km) => report(
            Some((u, v)),
            true,
            format!("kept: {wind}: the North is {km:.0} km downwind"),
            PrefilterVerdict::NorthDownwind { north_km: km },
        ),
        None => report(
            Some((u, v)),
            false,
            format!(
                "skipped: {wind}: no bearing within {PREFILTER_FAN_DEG:.0}° of it reaches North Korea within {PREFILTER_RANGE_KM:.0} km"
            ),
            PrefilterVerdict::Away,
        ),
    }
}

/// The landing classes the statistics count.
fn land_class(class: RegionClass) -> LandClass {
    match class {
        RegionClass::NorthKorea => LandClass::North,
        RegionClass::SouthKorea => LandClass::South,
        RegionClass::Dmz => LandClass::Dmz,
        RegionClass::Sea => LandClass::Sea,
        _ => LandClass::Other,
    }
}

/// The JSON name of a region class (as `Region`'s `class` tag).
fn class_name(class: RegionClass) -> &'static str {
    match class {
        RegionClass::NorthKorea => "north_korea",
        RegionClass::SouthKorea => "south_korea",
        RegionClass::Dmz => "dmz",
        RegionClass::China => "china",
        RegionClass::Russia => "russia",
        RegionClass::Japan => "japan",
        RegionClass::Sea => "sea",
        RegionClass::OutsideMap => "outside_map",
    }
}

/// The class of a landing: where it is if it came down, else how it ended.
fn landing_class(geo: &Geo, l: &Landing) -> &'static str {
    if l.outcome <= Outcome::Sea {
        class_name(geo.class_of(l.point.lat, l.point.lon))
    } else {
        l.outcome.as_str()
    }
}

/// Where a heavy intact fall lands, for the statistics.
fn fall_risk(geo: &Geo, lat: f64, lon: f64) -> FallRisk {
    match geo.landing_place(lat, lon) {
        (_, Some((i, _))) => FallRisk::Populated(i as u32),
        (RegionClass::SouthKorea, None) => FallRisk::South,
        _ => FallRisk::Elsewhere,
    }
}

/// Checks the heavy-risk limit: a share from 0 to 1.
fn check_max_heavy_risk(limit: f64) -> Result<(), Error> {
    if !(0.0..=1.0).contains(&limit) {
        return Err(Error::invalid(
            "max_heavy_risk",
            format!(
                "--max-heavy-risk must be between 0 % and 100 %, got {} %",
                limit * 100.0
            ),
        ));
    }
    Ok(())
}

/// The ranking: windows within the heavy-risk limit first, then by P(target), P(North),
/// fewer in the South, launch order.
fn rank_windows(stats: &[WindowStats], risky: &[bool]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..stats.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&stats[a], &stats[b]);
        risky[a]
            .cmp(&risky[b])
            .then(y.p_target.total_cmp(&x.p_target))
            .then(y.p_north.total_cmp(&x.p_north))
            .then(x.p_south.total_cmp(&y.p_south))
            .then(a.cmp(&b))
    });
    order
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

/// The sites a request names: `None` when it names none (the plan chooses), else each site
/// in the order given. A coordinate is given alone (`37.75,126.49`); names may be joined by
/// commas; `all` is every built-in site. A site named twice is refused.
fn parse_sites(text: &str) -> Result<Option<Vec<saebaram_geo::LaunchPoint>>, Error> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let numeric = t
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    if numeric {
        return Ok(Some(vec![launch_point(Some(t), None, None)?]));
    }
    let names: Vec<&str> = if t.eq_ignore_ascii_case("all") || t == "전체" {
        saebaram_geo::sites().iter().map(|s| s.name).collect()
    } else {
        t.split(',').map(str::trim).collect()
    };
    let mut out: Vec<saebaram_geo::LaunchPoint> = Vec::new();
    for name in names {
        if name.is_empty() {
            return Err(Error::invalid(
                "site",
                format!("--site `{t}` has an empty name between commas"),
            ));
        }
        let lp = launch_point(Some(name), None, None)?;
        if out.iter().any(|o| o.site == lp.site) {
            return Err(Error::invalid(
                "site",
                format!("--site `{t}` names {} twice", lp.site.unwrap_or(name)),
            ));
        }
        out.push(lp);
    }
    Ok(Some(out))
}

/// The launch times of a plan.
struct Windows {
    launches: Vec<Point>,
    steady: bool,
}

fn launch_times(
    req: &PlanRequest,
    forecast: &Forecast,
    lp_alt: f64,
    lat: f64,
    lon: f64,
) -> Result<Windows, Error> {
    let info = forecast.info();
    let steady = info.is_steady();
    let first = info
        .valid_unix_s
        .first()
        .copied()
        .unwrap_or(info.run_unix_s) as f64;
    let last = info.valid_unix_s.last().copied().unwrap_or(info.run_unix_s) as f64;
    let from = req.from_unix_s.unwrap_or(first);
    let every = req.every_s;
    if every.is_nan() || every < 60.0 {
        return Err(Error::invalid(
            "every_s",
            format!("--every must be at least 1 minute, got `{every}s`"),
        ));
    }
    let to = match req.to_unix_s {
        Some(t) => t,
        None if steady => from + 23.0 * 3600.0,
        None => (from + 23.0 * 3600.0).min(last),
    };
    if to < from {
        return Err(Error::invalid(
            "to_unix_s",
            format!(
                "--to ({}) is before --from ({})",
                rfc3339(to),
                rfc3339(from)
            ),
        ));
    }
    if !steady && (from < first || to > last) {
        return Err(Error::invalid(
            if from < first {
                "from_unix_s"
            } else {
                "to_unix_s"
            },
            format!(
                "launch times {} to {} are outside the forecast ({} to {})",
                rfc3339(from),
                rfc3339(to),
                rfc3339(first),
                rfc3339(last)
            ),
        ));
    }
    let n_windows = ((to - from) / every).floor() as usize + 1;
    if n_windows > MAX_WINDOWS {
        return Err(Error::invalid(
            "every_s",
            format!("{n_windows} launch windows: at most {MAX_WINDOWS} (use a larger --every)"),
        ));
    }
    Ok(Windows {
        launches: (0..n_windows)
            .map(|i| Point {
                t_unix_s: from + i as f64 * every,
                lat,
                lon,
                alt_m: lp_alt,
            })
            .collect(),
        steady,
    })
}

/// Computes the plan.
pub fn run(req: PlanRequest, env: &Env, progress: &dyn Progress) -> Result<PlanReport, Error> {
    let mut profile = req.flight.profile("slack-tube")?;
    if req.members == 0 {
        return Err(Error::invalid(
            "members",
            "--members must be at least 1 (members = 0)",
        ));
    }
    if let Payload::Leaflets { particles, .. } = &mut profile.payload {
        if req.particles == 0 {
            return Err(Error::invalid(
                "particles",
                "--particles must be at least 1",
            ));
        }
        *particles = req.particles;
    }
    profile.validate()?;
    check_max_heavy_risk(req.max_heavy_risk)?;
    let geo = Geo::try_embedded()?;
    let asked = parse_sites(&req.site)?;
    let target = Target::parse_with(geo, &req.target)?;
    check(progress)?;
    progress.event(Event::StageStarted {
        stage: Stage::OpenForecast,
        total: None,
        unit: Unit::Forecasts,
    });
    let forecast = crate::forecast::open(
        req.forecast.as_deref(),
        saebaram_forecast::Region::KOREA,
        env,
    )?;
    progress.event(Event::StageFinished {
        stage: Stage::OpenForecast,
    });
    let (sites, site_comparison) = match asked {
        Some(sites) => (sites, None),
        None if forecast.info().is_steady() => (
            saebaram_geo::sites()
                .iter()
                .map(|s| launch_point(Some(s.name), None, None))
                .collect::<Result<Vec<_>, Error>>()?,
            Some(SITE_COMPARISON_WHY),
        ),
        None => (vec![launch_point(Some("paju"), None, None)?], None),
    };
    let mut req = req;
    if site_comparison.is_some() && req.to_unix_s.is_none() {
        // One launch time: the sites, not the (identical) hours, are compared.
        let first = forecast.info().valid_unix_s.first().copied();
        req.to_unix_s = req
            .from_unix_s
            .or(first.map(|t| t as f64))
            .or(Some(forecast.info().run_unix_s as f64));
    }
    let first_site = &sites[0];
    // The launch altitude needs the ground, the ground needs the forecast; the times are
    // checked first so that a bad range fails before a DEM is opened.
    let n_times = launch_times(&req, &forecast, 0.0, first_site.lat, first_site.lon)?
        .launches
        .len();
    if n_times * sites.len() > MAX_WINDOWS {
        return Err(Error::invalid(
            "every_s",
            format!(
                "{n_times} launch times at {} sites: at most {MAX_WINDOWS} windows (use a larger --every or fewer sites)",
                sites.len()
            ),
        ));
    }
    if let Some(warning) = steady_warning(&forecast) {
        progress.event(Event::Warning { warning });
    }
    let surface = Ground::new(geo, &forecast, dem_dir(req.terrain_dir.as_deref(), env))?;
    // Each site's windows, site by site; a window's random streams are keyed by its time's
    // index alone, so each site's windows fly exactly as in a plan of that site alone (and
    // sites at one hour share their draws: the comparison is of the sites, not of luck).
    let mut launches: Vec<(usize, u64, Point)> = Vec::new();
    let mut steady = false;
    let mut site_reports = Vec::new();
    for (k, lp) in sites.iter().enumerate() {
        // Without a site elevation, the launch stands on the ground.
        let alt = lp
            .elevation_m
            .unwrap_or_else(|| round(surface.lookup(lp.lat, lp.lon).0, 1));
        let w = launch_times(&req, &forecast, alt, lp.lat, lp.lon)?;
        steady = w.steady;
        launches.extend(
            w.launches
                .into_iter()
                .enumerate()
                .map(|(i, l)| (k, i as u64, l)),
        );
        site_reports.push(SiteReport {
            name: lp.site,
            lat: lp.lat,
            lon: lp.lon,
            alt: lp.elevation_m.unwrap_or(0.0),
        });
    }
    let site_name = |k: usize| {
        site_reports
            .get(k)
            .map_or_else(String::new, |s: &SiteReport| s.label())
    };
    let mut spec = EnsembleSpec::new(req.members, req.seed, forecast.info().run_unix_s as f64);
    // With a forecast ensemble, Monte-Carlo member m flies forecast member m mod n and the
    // synthetic wind error shrinks to its sub-grid part: the members' spread is the
    // forecast's own (docs/flight.md, "Forecast ensembles").
    let member_views = forecast.members().map_err(|source| Error::Forecast {
        context: "cannot use the forecast's members".into(),
        source,
    })?;
    let numbers: Vec<u32> = member_views.iter().map(|m| m.number()).collect();
    // One member alone (the built-in MEPS sample is the control of JMA's ensemble) has no
    // spread to stand for the forecast's error: it flies with the full wind error, as a
    // deterministic forecast does.
    let flies_members = member_views.len() >= 2;
    let fields: Vec<Field<'_>> = if flies_members {
        spec.noise = NoiseSpec::sub_grid();
        member_views.iter().map(|m| m as Field<'_>).collect()
    } else {
        vec![&forecast as Field<'_>]
    };
    if let Some(leak) = req.flight.leak_pct_h {
        // A leak the user measured replaces the spec's wide 0.1-3 %/h prior: ×/÷ 3 around it.
        spec.leak_range_pct_h = (leak / 3.0, leak * 3.0);
    }

    let checks: Vec<Option<PrefilterReport>> = if req.prefilter {
        progress.event(Event::StageStarted {
            stage: Stage::Prefilter,
            total: Some(launches.len() as u64),
            unit: Unit::Windows,
        });
        let checks = launches
            .iter()
            .map(|&(_, _, l)| Some(prefilter(&fields, &numbers, geo, l)))
            .collect();
        progress.event(Event::StageFinished {
            stage: Stage::Prefilter,
        });
        checks
    } else {
        vec![None; launches.len()]
    };
    let kept: Vec<(usize, u64, Point)> = launches
        .iter()
        .zip(&checks)
        .filter(|(_, c)| c.as_ref().is_none_or(|c| c.passed))
        .map(|(&l, _)| l)
        .collect();
    let flown: Vec<(u64, Point)> = kept.iter().map(|&(_, i, l)| (i, l)).collect();

    let runs = fly_windows(&fields, &surface, &profile, &spec, &flown, progress)?;

    let classify = |lat: f64, lon: f64| land_class(geo.class_of(lat, lon));
    let score = |lat: f64, lon: f64| target.score(geo, lat, lon);
    let risk = |lat: f64, lon: f64| fall_risk(geo, lat, lon);
    let stats: Vec<WindowStats> = runs
        .iter()
        .map(|r| window_stats(r, &classify, &score))
        .collect();
    let heavy: Vec<HeavyStats> = runs.iter().map(|r| heavy_stats(r, &risk)).collect();
    let by_member: Vec<Vec<ForecastMemberStats>> = runs
        .iter()
        .map(|r| {
            if !flies_members {
                return Vec::new();
            }
            window_stats_by_forecast_member(r, &classify, &score)
                .into_iter()
                .map(|(k, flights, st)| ForecastMemberStats {
                    member: numbers.get(k as usize).copied().unwrap_or(k),
                    flights,
                    p_north: round(st.p_north, 4),
                    p_south: round(st.p_south, 4),
                    p_sea: round(st.p_sea, 4),
                    p_target: round(st.p_target, 4),
                })
                .collect()
        })
        .collect();
    let risky: Vec<bool> = heavy
        .iter()
        .map(|h| h.p_heavy_populated_south > req.max_heavy_risk)
        .collect();
    let order = rank_windows(&stats, &risky);
    let safe_windows = risky.iter().filter(|r| !**r).count();
    let best = order.first().copied().filter(|&b| !risky[b]);
    let mut rank = vec![0usize; runs.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r + 1;
    }

    let mut warnings = Vec::new();
    if let Some(h) = best.map(|b| &heavy[b])
        && h.p_heavy_populated_south > 0.0
    {
        warnings.push(Warning::HeavyFallOnPopulatedPlaces {
            share: h.p_heavy_populated_south,
            places: h
                .places
                .iter()
                .take(5)
                .filter_map(|&(i, p)| Some((geo.places().get(i as usize)?.name.clone(), p)))
                .collect(),
        });
    }
    if best.is_none() && !runs.is_empty() {
        warnings.push(Warning::NoSafeWindow {
            max_heavy_risk: req.max_heavy_risk,
            lowest: heavy
                .iter()
                .map(|h| h.p_heavy_populated_south)
                .fold(f64::INFINITY, f64::min),
        });
    }
    let mut terrain = surface.report();
    terrain.landings = Some(surface.landing_sources(&runs));

    let mut skipped_windows = Vec::new();
    let mut flown_checks = Vec::new();
    for (&(k, _, l), c) in launches.iter().zip(checks) {
        match c {
            Some(c) if !c.passed => skipped_windows.push(SkippedWindow {
                site: site_name(k),
                launch_time: rfc3339(l.t_unix_s),
                prefilter: c,
            }),
            c => flown_checks.push(c),
        }
    }
    let windows: Vec<WindowReport> = runs
        .iter()
        .zip(stats)
        .zip(heavy)
        .zip(flown_checks)
        .zip(by_member)
        .enumerate()
        .map(|(i, ((((run, st), h), check), members))| {
            let mut w = window_report(geo, &spec, run, st, h, rank[i], risky[i], check);
            w.by_forecast_member = members;
            w.site = kept.get(i).map_or_else(String::new, |k| site_name(k.0));
            w
        })
        .collect();

    Ok(PlanReport {
        forecast: ForecastSummary::of(&forecast),
        site: best
            .and_then(|b| kept.get(b))
            .and_then(|k| site_reports.get(k.0))
            .or(site_reports.first())
            .cloned()
            .ok_or_else(|| Error::invalid("site", "no launch site"))?,
        sites: site_reports.clone(),
        site_comparison,
        target: TargetReport {
            label: target.label(),
            label_ko: target.label_ko(),
            target,
            input: req.target.clone(),
        },
        profile,
        members: spec.members,
        forecast_members_flown: if flies_members {
            numbers.clone()
        } else {
            Vec::new()
        },
        seed: spec.seed,
        ensemble: spec,
        windows,
        best,
        max_heavy_risk: req.max_heavy_risk,
        safe_windows,
        skipped_windows,
        warnings,
        heavy_fall_definition: HeavyFallDefinition {
            tied_min_payload_kg: HEAVY_MIN_KG,
            released_min_kg: HEAVY_MIN_KG,
            released_min_fall_m_s: HEAVY_FALL_M_S,
            populated_density_per_km2: POPULATED_DENSITY_PER_KM2,
            populated_min_radius_km: POPULATED_MIN_RADIUS_KM,
            populated_unknown_radius_km: POPULATED_UNKNOWN_RADIUS_KM,
            places: PLACES_CREDIT,
        },
        terrain,
        order,
        steady,
        prefiltered: req.prefilter,
    })
}

/// Flies the windows in parallel, one progress step per finished window; stops starting
/// windows once the face cancels. Each window keys its random streams by its own index
/// (`saebaram_flight::run_indexed_windows`' contract), so results do not depend on the
/// thread count or on which windows the pre-filter skipped.
fn fly_windows(
    fields: &[Field<'_>],
    surface: &Ground<'_>,
    profile: &Profile,
    spec: &EnsembleSpec,
    flown: &[(u64, Point)],
    progress: &dyn Progress,
) -> Result<Vec<WindowRun>, Error> {
    let total = Some(flown.len() as u64);
    progress.event(Event::StageStarted {
        stage: Stage::Flights,
        total,
        unit: Unit::Windows,
    });
    // Steps are counted and sent under one lock so that `done` only grows.
    let done = Mutex::new(0u64);
    let runs = flown
        .par_iter()
        .map(|&(i, launch)| {
            check(progress)?;
            let run = run_window_members(fields, surface, profile, spec, i, launch)?;
            if let Ok(mut done) = done.lock() {
                *done += 1;
                progress.event(Event::Step {
                    stage: Stage::Flights,
                    done: *done,
                    total,
                    unit: Unit::Windows,
                });
            }
            Ok(run)
        })
        .collect::<Result<Vec<WindowRun>, Error>>()?;
    progress.event(Event::StageFinished {
        stage: Stage::Flights,
    });
    Ok(runs)
}

#[allow(clippy::too_many_arguments)]
fn window_report(
    geo: &Geo,
    spec: &EnsembleSpec,
    run: &WindowRun,
    st: WindowStats,
    h: HeavyStats,
    rank: usize,
    over_heavy_risk_limit: bool,
    prefilter: Option<PrefilterReport>,
) -> WindowReport {
    let landings = run
        .members
        .iter()
        .flat_map(|m| m.landings.iter())
        .map(|l| PlanLanding {
            lat: round(l.point.lat, 4),
            lon: round(l.point.lon, 4),
            class: landing_class(geo, l),
            payload: l.payload,
            outcome: l.outcome,
        })
        .collect();
    let total = run.leaflets_total.max(1) as f64;
    let cells = run
        .leaflet_cells
        .iter()
        .map(|(&(a, b), &n)| {
            (
                round((a as f64 + 0.5) * spec.cell_deg, 4),
                round((b as f64 + 0.5) * spec.cell_deg, 4),
                round(n as f64 / total, 5),
            )
        })
        .collect();
    let point = |p: &Point| (round(p.lat, 4), round(p.lon, 4), round(p.alt_m, 0));
    let tracks = run
        .members
        .iter()
        .filter_map(|m| m.track.as_ref())
        .take(10)
        .map(|t| {
            let step = (t.len() / 60).max(1);
            let mut pts: Vec<(f64, f64, f64)> = t.iter().step_by(step).map(point).collect();
            if let Some(p) = t.last().filter(|_| (t.len() - 1) % step != 0) {
                pts.push(point(p));
            }
            pts
        })
        .collect();
    let heavy_landings = run
        .members
        .iter()
        .flat_map(|m| m.heavy.iter())
        .map(|l| {
            let hf = l.heavy.as_ref();
            HeavyLanding {
                lat: round(l.point.lat, 4),
                lon: round(l.point.lon, 4),
                class: landing_class(geo, l),
                payload: l.payload,
                outcome: l.outcome,
                why: hf.map(|h| h.why),
                mass_kg: hf.and_then(|h| h.mass_kg).map(|m| round(m, 2)),
                fall_m_s: hf.and_then(|h| h.fall_m_s).map(|v| round(v, 1)),
                populated_place: geo
                    .populated_rok_place(l.point.lat, l.point.lon)
                    .map(|(_, c, _)| c.name.clone()),
            }
        })
        .collect();
    let heavy_places_at_risk = h
        .places
        .iter()
        .filter_map(|&(i, p)| {
            let c = geo.places().get(i as usize)?;
            Some(PlaceAtRisk {
                name: c.name.clone(),
                name_ko: c.name_ko.clone(),
                geonameid: c.geonameid,
                population: c.population,
                lat: c.lat,
                lon: c.lon,
                radius_km: round(c.populated_radius_km(), 1),
                p: round(p, 4),
            })
        })
        .collect();
    WindowReport {
        site: String::new(),
        launch_time: rfc3339(run.launch.t_unix_s),
        rank,
        p_north: round(st.p_north, 4),
        p_south: round(st.p_south, 4),
        p_dmz: round(st.p_dmz, 4),
        p_sea: round(st.p_sea, 4),
        p_other: round(st.p_other, 4),
        p_target: round(st.p_target, 4),
        p_unresolved: round(st.p_unresolved, 4),
        p_failed: round(st.p_failed, 4),
        failed_members: run.members.iter().filter(|m| m.failure.is_some()).count(),
        median_distance_km: round(st.median_distance_km, 2),
        p90_distance_km: round(st.p90_distance_km, 2),
        landings,
        leaflet_density: LeafletDensity {
            cell_deg: spec.cell_deg,
            particles: run.leaflets_total,
            cells,
        },
        tracks,
        p_heavy: round(h.p_heavy, 4),
        p_heavy_rok: round(h.p_heavy_south, 4),
        p_heavy_over_populated_rok: round(h.p_heavy_populated_south, 4),
        heavy_places_at_risk,
        over_heavy_risk_limit,
        heavy_landings,
        prefilter,
        by_forecast_member: Vec::new(),
        median_landing: median_landing(run),
        stats: st,
        heavy: h,
    }
}

/// Landings, heavy falls and leaflet density as a GeoJSON FeatureCollection.
pub fn geojson(report: &PlanReport) -> Value {
    let mut features = Vec::new();
    for w in &report.windows {
        let t = &w.launch_time;
        for l in &w.landings {
            features.push(json!({
                "type": "Feature",
                "properties": {"launch_time": t, "class": l.class, "payload": l.payload, "outcome": l.outcome},
                "geometry": {"type": "Point", "coordinates": [l.lon, l.lat]},
            }));
        }
        for l in &w.heavy_landings {
            features.push(json!({
                "type": "Feature",
                "properties": {
                    "launch_time": t, "heavy_intact": true, "class": l.class,
                    "payload": l.payload, "outcome": l.outcome, "why": l.why,
                    "mass_kg": l.mass_kg, "populated_place": l.populated_place,
                },
                "geometry": {"type": "Point", "coordinates": [l.lon, l.lat]},
            }));
        }
        let h = w.leaflet_density.cell_deg / 2.0;
        for &(lat, lon, fraction) in &w.leaflet_density.cells {
            let ring = json!([
                [round(lon - h, 4), round(lat - h, 4)],
                [round(lon + h, 4), round(lat - h, 4)],
                [round(lon + h, 4), round(lat + h, 4)],
                [round(lon - h, 4), round(lat + h, 4)],
                [round(lon - h, 4), round(lat - h, 4)]
            ]);
            features.push(json!({
                "type": "Feature",
                "properties": {"launch_time": t, "leaflet_fraction": fraction},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Three hourly windows of 20 members: small enough for a unit test.
    fn small() -> PlanRequest {
        PlanRequest {
            from_unix_s: Some(1_559_692_800.0),
            to_unix_s: Some(1_559_692_800.0 + 2.0 * 3600.0),
            members: 20,
            particles: 5,
            ..PlanRequest::default()
        }
    }

    #[test]
    fn windows_are_ranked_best_first_and_the_report_is_the_json_schema() {
        // Every window of the sample is over the default heavy-risk limit; lift it to see the
        // ranking by P(target) alone.
        let req = PlanRequest {
            max_heavy_risk: 1.0,
            ..small()
        };
        let r = run(req, &Env::fixed(0, 0), &Silent).unwrap();
        assert_eq!(r.windows.len(), 3);
        let ranks: Vec<usize> = r.order.iter().map(|&i| r.windows[i].rank).collect();
        assert_eq!(ranks, vec![1, 2, 3]);
        assert_eq!(r.best, Some(r.order[0]));
        for pair in r.order.windows(2) {
            let (a, b) = (&r.windows[pair[0]].stats, &r.windows[pair[1]].stats);
            assert!(a.p_target >= b.p_target);
        }
        for w in &r.windows {
            assert!(w.landings.len() >= 20, "{}", w.landings.len());
            let sum =
                w.stats.p_north + w.stats.p_south + w.stats.p_dmz + w.stats.p_sea + w.stats.p_other;
            assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        }
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["members"], 20);
        assert_eq!(v["target"]["label"], "North Korea");
        assert_eq!(v["target"]["input"], "north");
        assert_eq!(v["terrain"]["used"], "sea_level");
        assert!(v["terrain"]["landings"]["sea_level"].as_u64().unwrap() > 0);
        assert!(v["windows"][0].get("prefilter").is_none());
        assert!(v["windows"][0].get("stats").is_none());
        assert!(v["windows"][0]["tracks"][0][0].is_array());
        assert_eq!(v["site"]["name"], "Paju");
    }

    fn stats_with(p_target: f64) -> WindowStats {
        WindowStats {
            p_north: p_target,
            p_south: 1.0 - p_target,
            p_dmz: 0.0,
            p_sea: 0.0,
            p_other: 0.0,
            p_target,
            p_unresolved: 0.0,
            p_failed: 0.0,
            median_distance_km: 50.0,
            p90_distance_km: 90.0,
        }
    }

    #[test]
    fn windows_within_the_heavy_risk_limit_rank_before_every_riskier_one() {
        let stats = [
            stats_with(0.9),
            stats_with(0.2),
            stats_with(0.5),
            stats_with(0.1),
        ];
        let risky = [true, false, true, false];
        // The most likely window is risky: the safe ones come first, each group by P(target).
        assert_eq!(rank_windows(&stats, &risky), vec![1, 3, 0, 2]);
        assert_eq!(rank_windows(&stats, &[false; 4]), vec![0, 2, 1, 3]);
    }

    #[test]
    fn the_json_carries_each_warning_as_text_and_as_code() {
        let r = run(small(), &Env::fixed(0, 0), &Silent).unwrap();
        let v = r.to_json().unwrap();
        let texts = v["warnings"].as_array().unwrap();
        let codes = v["warning_codes"].as_array().unwrap();
        assert!(!texts.is_empty());
        assert_eq!(texts.len(), codes.len());
        assert!(texts[0].is_string());
        let no_safe = codes
            .iter()
            .find(|c| c["code"] == "no_safe_window")
            .expect("the no-safe-window warning by its code");
        assert_eq!(no_safe["max_heavy_risk"], DEFAULT_MAX_HEAVY_RISK);
        assert!(
            no_safe["lowest"]
                .as_f64()
                .is_some_and(|l| l > DEFAULT_MAX_HEAVY_RISK)
        );
    }

    #[test]
    fn with_no_safe_window_there_is_no_best_and_the_plan_says_so() {
        let r = run(small(), &Env::fixed(0, 0), &Silent).unwrap();
        assert!(r.windows.iter().all(|w| w.over_heavy_risk_limit));
        assert_eq!(r.best, None);
        assert_eq!(r.safe_windows, 0);
        assert!(!r.reaches_target());
        assert!(
            r.warnings
                .iter()
                .any(|w| matches!(w, Warning::NoSafeWindow { max_heavy_risk, .. } if *max_heavy_risk == DEFAULT_MAX_HEAVY_RISK))
        );
    }

    #[test]
    fn a_heavy_risk_limit_outside_0_to_100_percent_is_refused() {
        for bad in [-0.01, 1.01, f64::NAN] {
            let req = PlanRequest {
                max_heavy_risk: bad,
                ..small()
            };
            let e = run(req, &Env::fixed(0, 0), &Silent).unwrap_err();
            assert_eq!(e.field(), Some("max_heavy_risk"), "{bad}");
            assert!(e.to_string().contains("--max-heavy-risk"), "{e}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_plan_at_any_thread_count() {
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let a = one.install(|| run(small(), &Env::fixed(0, 0), &Silent).unwrap());
        let b = run(small(), &Env::fixed(0, 0), &Silent).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let other = run(
            PlanRequest { seed: 2, ..small() },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert_ne!(
            serde_json::to_value(&a).unwrap()["windows"],
            serde_json::to_value(&other).unwrap()["windows"]
        );
    }

    #[test]
    fn one_step_per_window_and_done_only_grows() {
        let steps = Mutex::new(Vec::new());
        let sink = |e: Event| {
            if let Event::Step { done, total, .. } = e {
                steps.lock().unwrap().push((done, total));
            }
        };
        run(small(), &Env::fixed(0, 0), &sink).unwrap();
        assert_eq!(
            steps.into_inner().unwrap(),
            vec![(1, Some(3)), (2, Some(3)), (3, Some(3))]
        );
    }

    #[test]
    fn cancelling_stops_the_flights() {
        struct StopAfterFirst {
            steps: AtomicUsize,
            stop: AtomicBool,
        }
        impl Progress for StopAfterFirst {
            fn event(&self, e: Event) {
                if matches!(e, Event::Step { .. }) {
                    self.steps.fetch_add(1, Ordering::SeqCst);
                    self.stop.store(true, Ordering::SeqCst);
                }
            }
            fn cancelled(&self) -> bool {
                self.stop.load(Ordering::SeqCst)
            }
        }
        let p = StopAfterFirst {
            steps: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        };
        let req = PlanRequest {
            to_unix_s: Some(1_559_692_800.0 + 40.0 * 3600.0),
            ..small()
        };
        let e = run(req, &Env::fixed(0, 0), &p).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Cancelled);
        // Windows already flying finish; no new one starts.
        assert!(p.steps.load(Ordering::SeqCst) < 41);
    }

    #[test]
    fn bad_requests_name_their_field() {
        let env = Env::fixed(0, 0);
        let field = |req: PlanRequest| run(req, &env, &Silent).unwrap_err().field();
        assert_eq!(
            field(PlanRequest {
                members: 0,
                ..small()
            }),
            Some("members")
        );
        assert_eq!(
            field(PlanRequest {
                particles: 0,
                ..small()
            }),
            Some("particles")
        );
        assert_eq!(
            field(PlanRequest {
                every_s: 10.0,
                ..small()
            }),
            Some("every_s")
        );
        assert_eq!(
            field(PlanRequest {
                to_unix_s: Some(0.0),
                ..small()
            }),
            Some("to_unix_s")
        );
        assert_eq!(
            field(PlanRequest {
                every_s: 60.0,
                to_unix_s: Some(1_559_692_800.0 + 3.0 * 86_400.0),
                ..small()
            }),
            Some("every_s")
        );
        let e = run(
            PlanRequest {
                site: "Busan".into(),
                ..small()
            },
            &env,
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Geo);
    }

    #[test]
    fn the_prefilter_lists_skipped_windows_and_keeps_flown_ones_unchanged() {
        // Over Paju the sample's layer wind blows away from the North: all skipped.
        let r = run(
            PlanRequest {
                prefilter: true,
                ..small()
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert!(r.windows.is_empty() && r.best.is_none());
        assert_eq!(r.skipped_windows.len(), 3);
        assert_eq!(
            r.skipped_windows[0].prefilter.verdict,
            PrefilterVerdict::Away
        );
        assert!(!r.reaches_target());
        // Off Ongjin it blows into the North: nothing skipped, the same numbers.
        let ongjin = PlanRequest {
            site: "38.6,124.9".into(),
            ..small()
        };
        let plain = run(ongjin.clone(), &Env::fixed(0, 0), &Silent).unwrap();
        let checked = run(
            PlanRequest {
                prefilter: true,
                ..ongjin
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert!(checked.skipped_windows.is_empty());
        for (a, b) in checked.windows.iter().zip(&plain.windows) {
            assert!(matches!(
                a.prefilter.as_ref().map(|p| &p.verdict),
                Some(PrefilterVerdict::NorthDownwind { .. })
            ));
            assert_eq!(a.landings, b.landings);
            assert_eq!(a.stats, b.stats);
        }
    }

    #[test]
    fn geojson_has_a_feature_per_landing_and_density_cell() {
        let r = run(small(), &Env::fixed(0, 0), &Silent).unwrap();
        let g = geojson(&r);
        let n: usize = r
            .windows
            .iter()
            .map(|w| w.landings.len() + w.heavy_landings.len() + w.leaflet_density.cells.len())
            .sum();
        assert_eq!(g["features"].as_array().unwrap().len(), n);
    }

    #[test]
    fn compass_names() {
        assert_eq!(compass(0.0), "N");
        assert_eq!(compass(292.5), "WNW");
        assert_eq!(compass(-22.5), "NNW");
    }

    #[test]
    fn several_sites_rank_together_and_each_flies_as_it_would_alone() {
        let multi = run(
            PlanRequest {
                site: "paju, 강화".into(),
                max_heavy_risk: 1.0,
                ..small()
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert_eq!(multi.windows.len(), 6);
        let names: Vec<&str> = multi.sites.iter().filter_map(|s| s.name).collect();
        assert_eq!(names, ["Paju", "Ganghwa"]);
        assert!(multi.site_comparison.is_none());
        let mut ranks: Vec<usize> = multi.windows.iter().map(|w| w.rank).collect();
        ranks.sort_unstable();
        assert_eq!(ranks, (1..=6).collect::<Vec<_>>());
        let best = multi.best_window().unwrap();
        assert_eq!(multi.site.label(), best.site);
        for site in ["paju", "ganghwa"] {
            let alone = run(
                PlanRequest {
                    site: site.into(),
                    max_heavy_risk: 1.0,
                    ..small()
                },
                &Env::fixed(0, 0),
                &Silent,
            )
            .unwrap();
            let label = alone.site.label();
            let mine: Vec<&WindowReport> =
                multi.windows.iter().filter(|w| w.site == label).collect();
            assert_eq!(mine.len(), alone.windows.len());
            for (a, b) in mine.iter().zip(&alone.windows) {
                assert_eq!(a.launch_time, b.launch_time);
                assert_eq!(a.stats, b.stats, "{label} {}", a.launch_time);
                assert_eq!(a.landings, b.landings);
            }
        }
    }

    #[test]
    fn no_site_on_a_one_time_forecast_compares_every_built_in_site_at_one_time() {
        let r = run(
            PlanRequest {
                site: String::new(),
                members: 10,
                particles: 3,
                ..PlanRequest::default()
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert_eq!(r.site_comparison, Some(SITE_COMPARISON_WHY));
        assert_eq!(r.sites.len(), saebaram_geo::sites().len());
        assert_eq!(r.windows.len(), r.sites.len());
        let times: std::collections::BTreeSet<&str> =
            r.windows.iter().map(|w| w.launch_time.as_str()).collect();
        assert_eq!(times.len(), 1);
        // A site named twice, or an empty name, is refused.
        for bad in ["paju,Paju", "paju,,gimpo"] {
            let e = run(
                PlanRequest {
                    site: bad.into(),
                    ..small()
                },
                &Env::fixed(0, 0),
                &Silent,
            )
            .unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
