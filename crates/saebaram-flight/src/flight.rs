//! One flight: the carrier's chain of stages (ascent, float, descent) with releases, then the
//! payload's fall (bundle, or leaflets as particles).

use saebaram_forecast::{Axis, WindField};
use serde::Serialize;

use crate::FlightError;
use crate::atmosphere::{G0_M_S2, RHO0_KG_M3};
use crate::integrate::{Point, StageEnd, Surface, Term, fly_stage};
use crate::models::{BalloonLift, Motion, Turbulence, Vertical, WindNoise, relative_superheat};
use crate::profile::{Balloon, Carrier, Envelope, Lift, Payload, Profile, Release, Standard};
use crate::random::Stream;

/// How a trajectory ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Reached the ground on land (or where land and sea are unknown).
    Ground,
    /// Still rising, flew into terrain higher than itself (a ridge downwind of the launch)
    /// and came down there with whatever it carried.
    #[serde(rename = "hit_terrain_during_ascent")]
    HitTerrainAscending,
    /// Reached the sea surface.
    Sea,
    /// Left the forecast's area (or its top): the last point with wind data is given.
    LeftDomain,
    /// Still flying at the forecast's last time.
    ForecastEnded,
    /// Still flying at the maximum flight time.
    MaxTime,
}

impl Outcome {
    /// True when the trajectory ended on land: on the ground, or against terrain while
    /// rising.
    pub fn on_land(self) -> bool {
        matches!(self, Outcome::Ground | Outcome::HitTerrainAscending)
    }

    /// True when what flew came down (on land or at sea), false when its trajectory ended
    /// aloft (left the forecast, forecast ended, maximum flight time).
    pub fn came_down(self) -> bool {
        self <= Outcome::Sea
    }

    /// A short English phrase: `on the ground`, `hit terrain during ascent`, `in the sea`...
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ground => "on the ground",
            Outcome::HitTerrainAscending => "hit terrain during ascent",
            Outcome::Sea => "in the sea",
            Outcome::LeftDomain => "left the forecast area",
            Outcome::ForecastEnded => "still aloft when the forecast ended",
            Outcome::MaxTime => "still aloft at the maximum flight time",
        }
    }

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ground => "ground",
            Outcome::HitTerrainAscending => "hit_terrain_during_ascent",
            Outcome::Sea => "sea",
            Outcome::LeftDomain => "left_domain",
            Outcome::ForecastEnded => "forecast_ended",
            Outcome::MaxTime => "max_time",
        }
    }
}

/// What came down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PayloadClass {
    /// The P0 payload (with its balloon).
    Payload,
    /// A released intact bundle or packets (P6).
    Bundle,
    /// Leaflets (P4/P5).
    Leaflets,
    /// The envelope, with whatever payload it still carries.
    Envelope,
}

impl PayloadClass {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadClass::Payload => "payload",
            PayloadClass::Bundle => "bundle",
            PayloadClass::Leaflets => "leaflets",
            PayloadClass::Envelope => "envelope",
        }
    }
}

/// A named segment of a trajectory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageTrack {
    /// `ascent`, `float`, `descent`, `bundle`, `leaflets`, `leaflets_fast`, `leaflets_slow`.
    pub name: &'static str,
    /// Its points; the first repeats the last point of the stage before.
    pub points: Vec<Point>,
}

/// Something that happened in flight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Event {
    /// `burst`, `float_start`, `release`, `landing`.
    pub kind: &'static str,
    /// Where and when.
    pub point: Point,
    /// Share of the launch payload released (for `release`).
    pub fraction: Option<f64>,
}

/// Where something came down (or where its trajectory ended).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Landing {
    /// What came down.
    pub payload: PayloadClass,
    /// The end point.
    pub point: Point,
    /// How the trajectory ended.
    pub outcome: Outcome,
    /// Share of the launch payload.
    pub fraction: f64,
    /// Set when what came down is a heavy intact fall (see [`HeavyFall`]).
    pub heavy: Option<HeavyFall>,
}

/// Sea-level fall speed from which a released bundle is a heavy intact fall, m/s. The spec's
/// sacks fall at 10–25 m/s; packets (5–10 m/s) scatter and parachuted loads (3–6 m/s) do not
/// count.
pub const HEAVY_FALL_M_S: f64 = 10.0;

/// Least mass of a heavy intact fall, kg (a 1 kg body at 10 m/s carries 50 J; the spec's
/// reported case is a 5 kg bag at 13 m/s, 423 J).
pub const HEAVY_MIN_KG: f64 = 1.0;

/// Why a landing is a heavy intact fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeavyWhy {
    /// The envelope came down with at least [`HEAVY_MIN_KG`] of payload still tied to it
    /// (the timer failed, fired after the landing, or there is none), whatever it carries
    /// (a tied leaflet bundle is one block) and however fast it sinks (the sink rate of a
    /// leaking envelope rests on uncalibrated leak rates, so it is not trusted to be gentle).
    Tied,
    /// A released bundle of at least [`HEAVY_MIN_KG`] whose nominal sea-level fall speed is
    /// at least [`HEAVY_FALL_M_S`] (a sack), or a P0 payload descending that fast.
    Fast,
}

/// A heavy intact fall: one body of kilograms reaching the ground in one piece, the
/// property-damage risk of balloon-physics.md §6. Leaflets never are; where it lands is the
/// caller's business (this crate knows no map).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeavyFall {
    /// Mass of the falling body, kg (envelope and the payload still on it, or the released
    /// share of the payload); None when the profile has no masses (P0).
    pub mass_kg: Option<f64>,
    /// Nominal sea-level fall speed, m/s; None for an envelope sinking from its own lift.
    pub fall_m_s: Option<f64>,
    /// Why it counts.
    pub why: HeavyWhy,
}

impl HeavyFall {
    /// The envelope landing with `payload_kg` still tied to it (total mass `mass_kg`), or
    /// None below [`HEAVY_MIN_KG`] of payload.
    pub fn tied(payload_kg: f64, mass_kg: f64, fall_m_s: Option<f64>) -> Option<HeavyFall> {
        (payload_kg >= HEAVY_MIN_KG).then_some(HeavyFall {
            mass_kg: Some(mass_kg),
            fall_m_s,
            why: HeavyWhy::Tied,
        })
    }

    /// A released body of `mass_kg` (None: unknown) falling at `v0_m_s` at sea level
    /// (nominal, before ensemble perturbation), or None when it is lighter than
    /// [`HEAVY_MIN_KG`] or slower than [`HEAVY_FALL_M_S`].
    pub fn released(mass_kg: Option<f64>, v0_m_s: f64) -> Option<HeavyFall> {
        (v0_m_s >= HEAVY_FALL_M_S && mass_kg.is_none_or(|m| m >= HEAVY_MIN_KG)).then_some(
            HeavyFall {
                mass_kg,
                fall_m_s: Some(v0_m_s),
                why: HeavyWhy::Fast,
            },
        )
    }
}

/// The random parameters of one flight, drawn before it flies. [`Draw::nominal`] is the
/// deterministic flight.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Launch point and time.
    pub launch: Point,
    /// Multiplies the ascent rate (P0), or the free lift the crew measures (P1/P2 filled by
    /// free lift or ascent rate: the fill is derived from it).
    pub ascent_factor: f64,
    /// Multiplies the envelope's drag coefficient (P1/P2): the ascent rate's own spread.
    pub drag_factor: f64,
    /// Multiplies the day superheat (P2 with superheat).
    pub superheat_factor: f64,
    /// Multiplies the burst altitude (P0).
    pub burst_factor: f64,
    /// Multiplies the descent and fall speeds (P0 descent, bundles).
    pub fall_factor: f64,
    /// Multiplies the envelope volume.
    pub volume_factor: f64,
    /// Multiplies the envelope and payload masses.
    pub mass_factor: f64,
    /// Multiplies the gas fill when the profile gives the fill as a volume (`Lift::FillM3`);
    /// a fill derived from a free lift or an ascent rate has its spread in `ascent_factor`.
    pub fill_factor: f64,
    /// Burst overshoot, m (None: the profile's).
    pub overshoot_m: Option<f64>,
    /// Leak, %/h (None: the profile's).
    pub leak_pct_h: Option<f64>,
    /// Release times (UNIX s) and fractions; None for a stage that failed.
    pub releases: Vec<(Option<f64>, f64)>,
}

impl Draw {
    /// The nominal flight: every factor 1, timers exact and working.
    pub fn nominal(profile: &Profile, launch: Point) -> Draw {
        Draw {
            launch,
            ascent_factor: 1.0,
            drag_factor: 1.0,
            superheat_factor: 1.0,
            burst_factor: 1.0,
            fall_factor: 1.0,
            volume_factor: 1.0,
            mass_factor: 1.0,
            fill_factor: 1.0,
            overshoot_m: None,
            leak_pct_h: None,
            releases: schedule(profile, launch.t_unix_s, None),
        }
    }
}

/// The release times of a profile; with a stream, timer jitter and failures are drawn.
pub(crate) fn schedule(
    profile: &Profile,
    t_launch: f64,
    mut rng: Option<&mut Stream>,
) -> Vec<(Option<f64>, f64)> {
    match &profile.release {
        Release::None => Vec::new(),
        Release::Timer {
            stages,
            jitter,
            p_fail,
        } => stages
            .iter()
            .map(|s| {
                let t = match rng.as_deref_mut() {
                    Some(r) => {
                        let fails = r.chance(*p_fail);
                        let factor = (1.0 + jitter * r.normal()).max(0.05);
                        (!fails).then_some(t_launch + s.after_h * 3600.0 * factor)
                    }
                    None => Some(t_launch + s.after_h * 3600.0),
                };
                (t, s.fraction)
            })
            .collect(),
        Release::Dispenser {
            interval_s,
            per_drop,
            capacity,
            start_h,
        } => {
            let mut out = Vec::new();
            let mut left = *capacity;
            let mut t = t_launch + start_h * 3600.0;
            while left > 0 && t < t_launch + profile.max_flight_h * 3600.0 {
                let n = (*per_drop).min(left);
                out.push((Some(t), n as f64 / *capacity as f64));
                left -= n;
                t += interval_s;
            }
            out
        }
    }
}

/// The carrier's flight.
#[derive(Debug, Clone, Default)]
pub struct CarrierFlight {
    /// Stages with points (empty unless recorded).
    pub stages: Vec<StageTrack>,
    /// Bursts, float start, releases.
    pub events: Vec<Event>,
    /// Released payload: where, and which share.
    pub drops: Vec<(Point, f64)>,
    /// The carrier's end.
    pub landing: Option<Landing>,
    /// Share of the payload still aboard at the end.
    pub payload_left: f64,
    /// Payload mass at launch, kg (this flight's, perturbed); None for P0.
    pub payload_kg: Option<f64>,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

/// How a stage's end becomes a trajectory's outcome: the ground (land or sea, by the
/// surface), terrain met while rising, or a flight still aloft.
fn outcome_of(end: &StageEnd, terms: &[Term], surface: &dyn Surface) -> Outcome {
    match *end {
        StageEnd::Term { index, point } => match terms.get(index) {
            Some(Term::Ground) => {
                if surface.is_sea(point.lat, point.lon) == Some(true) {
                    Outcome::Sea
                } else {
                    Outcome::Ground
                }
            }
            Some(Term::TerrainAbove { .. }) => Outcome::HitTerrainAscending,
            _ => Outcome::MaxTime,
        },
        StageEnd::OutOfDomain { axis, .. } => {
            if axis == Axis::Time {
                Outcome::ForecastEnded
            } else {
                Outcome::LeftDomain
            }
        }
    }
}

/// Air density on the launch column at `alt_m` (the forecast's; outside it, the error).
fn column_density<W: WindField + ?Sized>(
    field: &W,
    launch: &Point,
    alt_m: f64,
) -> Result<f64, saebaram_forecast::OutOfDomain> {
    field
        .wind(launch.t_unix_s, launch.lat, launch.lon, alt_m)
        .map(|w| w.density_kg_m3)
}

/// Highest altitude any balloon search looks at, m.
const SEARCH_TOP_M: f64 = 40_000.0;

/// The altitude on the launch column where the density falls to `rho`, by bisection on the
/// forecast's own densities. Where the forecast's column ends below that altitude the answer
/// is an error (`what` says which altitude: the ceiling, the float altitude), never a guess
/// from the standard atmosphere.
fn altitude_of_density<W: WindField + ?Sized>(
    field: &W,
    launch: &Point,
    rho: f64,
    what: &'static str,
) -> Result<f64, FlightError> {
    let lo = launch.alt_m;
    if column_density(field, launch, lo).map_err(FlightError::LaunchOutside)? <= rho {
        return Ok(lo);
    }
    // The top of the forecast's column: the highest altitude with data (the column is
    // contiguous from the ground up), found to 1 m.
    let top = match column_density(field, launch, SEARCH_TOP_M) {
        Ok(_) => SEARCH_TOP_M,
        Err(_) => {
            let (mut ok, mut bad) = (lo, SEARCH_TOP_M);
            while bad - ok > 1.0 {
                let mid = 0.5 * (ok + bad);
                if column_density(field, launch, mid).is_ok() {
                    ok = mid;
                } else {
                    bad = mid;
                }
            }
            ok
        }
    };
    if column_density(field, launch, top).map_err(FlightError::LaunchOutside)? > rho {
        return Err(FlightError::AboveForecast { what, top_m: top });
    }
    let (mut lo, mut hi) = (lo, top);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if column_density(field, launch, mid).map_err(FlightError::LaunchOutside)? > rho {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// A balloon ready to fly: its gas and its characteristic altitudes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BalloonSetup {
    /// Air density at launch, kg/m³.
    pub rho_launch: f64,
    /// Gas volume at launch, m³.
    pub fill_m3: f64,
    /// Free lift at launch, kg.
    pub free_lift_kg: f64,
    /// Ascent rate at launch, m/s.
    pub ascent_m_s: f64,
    /// Where the gas fills the envelope, m.
    pub ceiling_m: f64,
    /// Float altitude (vented) or burst altitude (sealed), m.
    pub top_m: f64,
    /// Envelope volume, m³.
    pub v_max_m3: f64,
    /// Envelope mass, kg.
    pub envelope_kg: f64,
    /// Payload mass, kg.
    pub payload_kg: f64,
    /// Leak, 1/s.
    pub leak_per_s: f64,
    /// Drag coefficient of this flight (the profile's times the draw's drag factor).
    pub cd: f64,
    /// Day superheat of this flight, K (the profile's times the draw's factor, at most
    /// [`crate::profile::MAX_SUPERHEAT_K`]).
    pub superheat_k: f64,
}

/// Works out a balloon's fill, free lift, ceiling and burst or float altitude, the way a
/// launch crew fills: for a free lift (or an ascent rate, which fixes one) the crew weighs
/// the balloon with its payload and fills until the free lift reads what they want, so the
/// fill follows from this flight's masses and the free lift as measured (the draw's
/// `ascent_factor`); a fill given as a volume is what it is (times `fill_factor`), and then
/// the masses decide whether the balloon rises.
pub fn setup_balloon<W: WindField + ?Sized>(
    field: &W,
    b: &Balloon,
    draw: &Draw,
) -> Result<BalloonSetup, FlightError> {
    let launch = &draw.launch;
    let rho_launch =
        column_density(field, launch, launch.alt_m).map_err(FlightError::LaunchOutside)?;
    let buoy = b.gas.buoyancy();
    let envelope_kg = b.envelope_kg * draw.mass_factor;
    let payload_kg = b.payload_kg * draw.mass_factor;
    let mass = envelope_kg + payload_kg;
    let v_max = b.v_max_m3 * draw.volume_factor;
    let lift_at = |gas_air_kg: f64, cd: f64| {
        let bl = BalloonLift {
            gas_air_kg,
            t_ref: 0.0,
            leak_per_s: 0.0,
            v_max_m3: v_max,
            vented: false,
            mass_kg: mass,
            buoyancy: buoy,
            cd,
            area_m2: b.area_m2,
            superheat_k: 0.0,
        };
        bl.speed_m_s(0.0, rho_launch)
    };
    // The free lift the crew aims at, before their measurement error.
    let aimed_free_lift_kg = match b.lift {
        Lift::FreeLiftKg(fl) => Some(fl),
        Lift::FillM3(_) => None,
        Lift::AscentMS(target) => {
            // The gas that gives the target rate with the nominal drag: its free lift.
            let (mut lo, mut hi) = (mass / buoy, mass / buoy * 20.0 + 100.0);
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if lift_at(mid, b.cd) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            Some(hi * buoy - mass)
        }
    };
    let gas_air_kg = match (aimed_free_lift_kg, b.lift) {
        (Some(fl), _) => (mass + fl * draw.ascent_factor) / buoy,
        (None, Lift::FillM3(v)) => v * rho_launch * draw.fill_factor,
        (None, _) => return Err(FlightError::Internal("a lift without a fill")),
    };
    let free_lift_kg = gas_air_kg * buoy - mass;
    if free_lift_kg <= 0.0 {
        return Err(FlightError::WillNotRise { free_lift_kg });
    }
    let fill_m3 = gas_air_kg / rho_launch;
    if fill_m3 >= v_max {
        return Err(FlightError::Overfilled {
            fill_m3,
            v_max_m3: v_max,
        });
    }
    let ceiling_m = altitude_of_density(field, launch, gas_air_kg / v_max, "ceiling")?;
    let top_m = match b.envelope {
        Envelope::Sealed => ceiling_m + draw.overshoot_m.unwrap_or(b.overshoot_m),
        Envelope::Vented => {
            altitude_of_density(field, launch, mass / (v_max * buoy), "float altitude")?
        }
    };
    let leak_fraction_h = draw.leak_pct_h.unwrap_or(b.leak_pct_h) / 100.0;
    let cd = b.cd * draw.drag_factor;
    Ok(BalloonSetup {
        rho_launch,
        fill_m3,
        free_lift_kg,
        ascent_m_s: lift_at(gas_air_kg, cd),
        ceiling_m,
        top_m,
        v_max_m3: v_max,
        envelope_kg,
        payload_kg,
        leak_per_s: -(1.0 - leak_fraction_h).ln() / 3600.0,
        cd,
        superheat_k: (b.superheat_k * draw.superheat_factor).min(crate::profile::MAX_SUPERHEAT_K),
    })
}

/// Sea-level fall speed of a body of `mass_kg` with Cd·A = 1 m².
pub fn fall_speed_m_s(mass_kg: f64) -> f64 {
    (2.0 * mass_kg * G0_M_S2 / RHO0_KG_M3).sqrt()
}

/// Margin below the float altitude at which the ascent stage ends (the approach is asymptotic).
const FLOAT_MARGIN_M: f64 = 30.0;

/// With day superheat, the longest float stage before the gas that superheat vented is
/// taken off, s (10 min: the sun's share changes over hours).
pub const SUPERHEAT_SEGMENT_S: f64 = 600.0;

/// How far below its own ground a rising stage may start before terrain counts, m: a launch
/// altitude given a little under the terrain model's height there (a site elevation against
/// a DEM, say) must not end the ascent at once.
const TERRAIN_START_SLACK_M: f64 = 1.0;

/// The termination that ends a rising stage on terrain higher than the balloon. Terrain is
/// measured against the stage's start: a start below the ground model there (by a few
/// metres of disagreement between the launch altitude and the model) lowers the terrain by
/// as much, so the launch itself never counts as a collision.
fn terrain_while_rising(surface: &dyn Surface, start: &Point) -> Term {
    let below = (start.alt_m - surface.ground_m(start.lat, start.lon)).min(0.0);
    Term::TerrainAbove {
        offset_m: below - TERRAIN_START_SLACK_M,
    }
}

/// Flies stages for one carrier: the field, the surface, the wind error and the step, and
/// (when recording) the points of each named stage, appended to the flight.
struct StageRunner<'a, W: WindField + ?Sized> {
    field: &'a W,
    surface: &'a dyn Surface,
    noise: Option<&'a WindNoise>,
    step_s: f64,
    record: bool,
    buf: Vec<Point>,
}

impl<W: WindField + ?Sized> StageRunner<'_, W> {
    /// Flies one stage from `start` and records it under `name` (a stage of the same name
    /// as the last one continues it).
    fn fly(
        &mut self,
        name: &'static str,
        vertical: Vertical,
        floating: bool,
        terms: &[Term],
        start: Point,
        out: &mut CarrierFlight,
    ) -> StageEnd {
        let model = Motion {
            field: self.field,
            vertical,
            noise: self.noise,
            turbulence: None,
            floating,
        };
        self.buf.clear();
        let end = fly_stage(
            &model,
            terms,
            start,
            self.step_s,
            self.surface,
            self.record.then_some(&mut self.buf),
        );
        if self.record {
            match out.stages.last_mut() {
                Some(last) if last.name == name => last.points.extend_from_slice(&self.buf),
                _ => {
                    let mut points = Vec::with_capacity(self.buf.len() + 1);
                    points.push(start);
                    points.extend_from_slice(&self.buf);
                    out.stages.push(StageTrack { name, points });
                }
            }
        }
        end
    }
}

/// Flies the carrier (P0 balloon, or P1/P2 balloon with releases).
pub fn fly_carrier<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    draw: &Draw,
    noise: Option<&WindNoise>,
    record: bool,
) -> Result<CarrierFlight, FlightError> {
    let launch = draw.launch;
    field
        .wind(launch.t_unix_s, launch.lat, launch.lon, launch.alt_m)
        .map_err(FlightError::LaunchOutside)?;
    let mut runner = StageRunner {
        field,
        surface,
        noise,
        step_s: profile.step_s,
        record,
        buf: Vec::new(),
    };
    let t_max = launch.t_unix_s + profile.max_flight_h * 3600.0;
    match &profile.carrier {
        Carrier::Standard(s) => fly_standard(&mut runner, s, draw, t_max),
        Carrier::Balloon(b) => {
            let setup = setup_balloon(field, b, draw)?;
            fly_balloon(&mut runner, b, &setup, draw, t_max)
        }
    }
}

/// P0: constant ascent to the burst altitude (or into terrain), then tawhiri's parachute.
fn fly_standard<W: WindField + ?Sized>(
    runner: &mut StageRunner<'_, W>,
    s: &Standard,
    draw: &Draw,
    t_max: f64,
) -> Result<CarrierFlight, FlightError> {
    let launch = draw.launch;
    let mut out = CarrierFlight {
        payload_left: 1.0,
        ..CarrierFlight::default()
    };
    let burst = s.burst_alt_m * draw.burst_factor;
    if burst <= launch.alt_m {
        return Err(FlightError::BurstBelowLaunch {
            burst_m: burst,
            launch_m: launch.alt_m,
        });
    }
    // A P0 payload is heavy only without a working parachute (its mass is unknown).
    let heavy = HeavyFall::released(None, s.descent_m_s);
    let terms = [
        Term::AltAtLeast(burst),
        Term::TimeAtLeast(t_max),
        terrain_while_rising(runner.surface, &launch),
    ];
    let v = Vertical::Constant(s.ascent_m_s * draw.ascent_factor);
    let end = runner.fly("ascent", v, false, &terms, launch, &mut out);
    let p = end.point();
    if !matches!(end, StageEnd::Term { index: 0, .. }) {
        out.landing = Some(Landing {
            payload: PayloadClass::Payload,
            point: p,
            outcome: outcome_of(&end, &terms, runner.surface),
            fraction: 1.0,
            heavy,
        });
        return Ok(out);
    }
    out.events.push(Event {
        kind: "burst",
        point: p,
        fraction: None,
    });
    let terms = [Term::Ground, Term::TimeAtLeast(t_max)];
    let v = Vertical::TawhiriDrag(s.descent_m_s * draw.fall_factor);
    let end = runner.fly("descent", v, false, &terms, p, &mut out);
    out.landing = Some(Landing {
        payload: PayloadClass::Payload,
        point: end.point(),
        outcome: outcome_of(&end, &terms, runner.surface),
        fraction: 1.0,
        heavy,
    });
    Ok(out)
}

/// Where a P1/P2 balloon is in its flight.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Phase {
    /// Rising from the launch to the ceiling (sealed) or the float altitude (vented).
    Ascent,
    /// Floating, venting and leaking (vented).
    Float,
    /// Falling after the burst (sealed).
    Descent,
}

/// The termination indexes shared by every P1/P2 stage: 0 the phase's own end (top of the
/// ascent, or the ground), 1 the next release, 2 the maximum flight time, 3 the end of a
/// superheat segment, 4 terrain met while rising (ascent only; the ground there otherwise).
const RELEASE: usize = 1;
const SEGMENT: usize = 3;

/// The stage a balloon flies in `phase`: its name, vertical law, terminations and whether the
/// float walk applies.
#[allow(clippy::too_many_arguments)]
fn balloon_stage(
    phase: Phase,
    b: &Balloon,
    setup: &BalloonSetup,
    lift: BalloonLift,
    draw: &Draw,
    start: &Point,
    surface: &dyn Surface,
    [t_release, t_max, t_segment]: [f64; 3],
) -> (&'static str, Vertical, [Term; 5], bool) {
    let release = Term::TimeAtLeast(t_release);
    let max_time = Term::TimeAtLeast(t_max);
    let segment = Term::TimeAtLeast(t_segment);
    match phase {
        Phase::Ascent => {
            let top = if lift.vented {
                setup.top_m - FLOAT_MARGIN_M
            } else {
                setup.top_m
            };
            (
                "ascent",
                Vertical::Balloon(lift),
                [
                    Term::AltAtLeast(top),
                    release,
                    max_time,
                    segment,
                    terrain_while_rising(surface, start),
                ],
                false,
            )
        }
        Phase::Float => (
            "float",
            Vertical::Balloon(lift),
            [Term::Ground, release, max_time, segment, Term::Ground],
            true,
        ),
        Phase::Descent => {
            let v0 = b.fall_m_s.unwrap_or_else(|| fall_speed_m_s(lift.mass_kg)) * draw.fall_factor;
            (
                "descent",
                Vertical::Fall(v0),
                [Term::Ground, release, max_time, segment, Term::Ground],
                false,
            )
        }
    }
}

/// P1/P2: the balloon rises on its lift, bursts (sealed) or floats and leaks (vented),
/// drops its timer stages, and comes down with whatever it still carries.
fn fly_balloon<W: WindField + ?Sized>(
    runner: &mut StageRunner<'_, W>,
    b: &Balloon,
    setup: &BalloonSetup,
    draw: &Draw,
    t_max: f64,
) -> Result<CarrierFlight, FlightError> {
    let launch = draw.launch;
    let mut out = CarrierFlight {
        payload_left: 1.0,
        payload_kg: Some(setup.payload_kg),
        ..CarrierFlight::default()
    };
    let buoy = b.gas.buoyancy();
    let vented = b.envelope == Envelope::Vented;
    let releases = release_times(draw);
    let mut next_release = 0usize;
    let mut phase = Phase::Ascent;
    let mut gas = setup.fill_m3 * setup.rho_launch;
    let mut p = launch;
    loop {
        let mass = setup.envelope_kg + setup.payload_kg * out.payload_left;
        let t_release = releases.get(next_release).map_or(f64::INFINITY, |r| r.0);
        // Superheat acts while floating (the ascent's lift is the launch's measured free
        // lift). The gas it vents leaves at the end of each stage, so with superheat a float
        // is cut into segments of SUPERHEAT_SEGMENT_S.
        let superheat_k = if phase == Phase::Float {
            setup.superheat_k
        } else {
            0.0
        };
        let t_segment = if superheat_k > 0.0 {
            p.t_unix_s + SUPERHEAT_SEGMENT_S
        } else {
            f64::INFINITY
        };
        let lift = BalloonLift {
            gas_air_kg: gas,
            t_ref: p.t_unix_s,
            leak_per_s: setup.leak_per_s,
            v_max_m3: setup.v_max_m3,
            vented,
            mass_kg: mass,
            buoyancy: buoy,
            cd: setup.cd,
            area_m2: b.area_m2,
            superheat_k,
        };
        let (name, vertical, terms, floating) = balloon_stage(
            phase,
            b,
            setup,
            lift,
            draw,
            &p,
            runner.surface,
            [t_release, t_max, t_segment],
        );
        let end = runner.fly(name, vertical, floating, &terms, p, &mut out);
        let q = end.point();
        match end {
            // A superheat segment ended: the same phase goes on with the gas left after venting.
            StageEnd::Term { index: SEGMENT, .. } => {
                gas = gas_after_stage(runner.field, &lift, &q, superheat_k);
            }
            StageEnd::Term { index: RELEASE, .. } => {
                gas = gas_after_stage(runner.field, &lift, &q, superheat_k);
                let fraction = releases[next_release].1.min(out.payload_left);
                next_release += 1;
                out.payload_left -= fraction;
                out.events.push(Event {
                    kind: "release",
                    point: q,
                    fraction: Some(fraction),
                });
                out.drops.push((q, fraction));
                if out.payload_left <= 1e-9 {
                    // The empty envelope flies on; nobody needs where it lands.
                    return Ok(out);
                }
            }
            StageEnd::Term { index: 0, .. } if phase == Phase::Ascent => {
                gas = gas_after_stage(runner.field, &lift, &q, superheat_k);
                let (kind, next) = if vented {
                    ("float_start", Phase::Float)
                } else {
                    ("burst", Phase::Descent)
                };
                out.events.push(Event {
                    kind,
                    point: q,
                    fraction: None,
                });
                phase = next;
            }
            _ => {
                let outcome = outcome_of(&end, &terms, runner.surface);
                out.landing = Some(envelope_landing(
                    b,
                    setup,
                    phase,
                    q,
                    outcome,
                    out.payload_left,
                ));
                if next_release < releases.len() && out.payload_left > 1e-9 && outcome.came_down() {
                    out.warnings.push(format!(
                        "the envelope came down before the release at {:.1} h: {:.0} % of the payload lands with it",
                        (releases[next_release].0 - launch.t_unix_s) / 3600.0,
                        out.payload_left * 100.0
                    ));
                }
                return Ok(out);
            }
        }
        p = q;
    }
}

/// The releases that fire (failed timer stages left out), in time order: (UNIX s, share).
fn release_times(draw: &Draw) -> Vec<(f64, f64)> {
    let mut releases: Vec<(f64, f64)> = draw
        .releases
        .iter()
        .filter_map(|&(t, f)| t.map(|t| (t, f)))
        .collect();
    releases.sort_by(|a, b| a.0.total_cmp(&b.0));
    releases
}

/// The gas still aboard at the end of a stage, as ambient-air mass: what the leak left, and
/// for a vented envelope no more than a full volume holds at `q` (with the superheat there).
fn gas_after_stage<W: WindField + ?Sized>(
    field: &W,
    lift: &BalloonLift,
    q: &Point,
    superheat_k: f64,
) -> f64 {
    let gas = lift.gas_at(q.t_unix_s);
    if !lift.vented {
        return gas;
    }
    match column_density(field, q, q.alt_m) {
        Ok(rho) => {
            let s = relative_superheat(superheat_k, q.t_unix_s, q.lat, q.lon, q.alt_m);
            gas.min(lift.vented_gas_cap(rho, s))
        }
        // A stage can end (a timer, say) just where the forecast ends: the next stage then
        // ends at once, out of the forecast, and this gas is never flown.
        Err(_) => gas,
    }
}

/// The envelope's end: where it came down (or its trajectory ended) with the payload still
/// tied to it, which makes it a heavy intact fall from [`HEAVY_MIN_KG`] of payload.
fn envelope_landing(
    b: &Balloon,
    setup: &BalloonSetup,
    phase: Phase,
    q: Point,
    outcome: Outcome,
    payload_left: f64,
) -> Landing {
    let left_kg = setup.payload_kg * payload_left;
    // A burst envelope falls at its nominal speed; a sinking one at whatever its lift
    // deficit gives; one that flew into terrain while rising does not fall at all.
    let fall = (phase == Phase::Descent).then(|| {
        b.fall_m_s
            .unwrap_or_else(|| fall_speed_m_s(setup.envelope_kg + left_kg))
    });
    Landing {
        payload: PayloadClass::Envelope,
        point: q,
        outcome,
        fraction: payload_left,
        heavy: HeavyFall::tied(left_kg, setup.envelope_kg + left_kg, fall),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn fall_end<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    v0: f64,
    from: Point,
    t_max: f64,
    dt: f64,
    noise: Option<&WindNoise>,
    turbulence: Option<&Turbulence>,
    record: Option<&mut Vec<Point>>,
) -> (Point, Outcome) {
    let model = Motion {
        field,
        vertical: Vertical::Fall(v0),
        noise,
        turbulence,
        floating: false,
    };
    let terms = [Term::Ground, Term::TimeAtLeast(t_max)];
    let end = fly_stage(&model, &terms, from, dt, surface, record);
    (end.point(), outcome_of(&end, &terms, surface))
}

/// A deterministic flight with its payload's fall: what `predict` shows.
#[derive(Debug, Clone)]
pub struct Prediction {
    /// Every stage with points.
    pub stages: Vec<StageTrack>,
    /// Bursts, float start, releases.
    pub events: Vec<Event>,
    /// Every landing: the envelope (or P0 payload), each bundle, each leaflet drop's median.
    pub landings: Vec<Landing>,
    /// Index into `landings` of the payload's main landing.
    pub primary: usize,
    /// Notes for the user.
    pub warnings: Vec<String>,
    /// Balloon figures (P1/P2).
    pub balloon: Option<BalloonSetup>,
}

/// z-score of the 90th percentile.
const Z90: f64 = 1.281_551_565_5;

/// Flies the nominal flight of `profile` from `launch` and the payload's fall.
pub fn predict<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    launch: Point,
) -> Result<Prediction, FlightError> {
    profile.validate()?;
    let draw = Draw::nominal(profile, launch);
    let balloon = match &profile.carrier {
        Carrier::Balloon(b) => Some(setup_balloon(field, b, &draw)?),
        Carrier::Standard(_) => None,
    };
    let carrier = fly_carrier(field, surface, profile, &draw, None, true)?;
    let mut stages = carrier.stages;
    let mut landings = Vec::new();
    let mut best = (0usize, -1.0);
    if let Some(envelope) = carrier.landing {
        landings.push(envelope);
        best = (0, envelope.fraction);
    }
    let t_max = launch.t_unix_s + profile.max_flight_h * 3600.0;
    for &(from, fraction) in &carrier.drops {
        let falls: &[(&'static str, f64)] = match profile.payload {
            Payload::Bundle { v0_m_s } => &[("bundle", v0_m_s)],
            Payload::Leaflets {
                v0_m_s, sigma_ln, ..
            } => {
                if matches!(profile.release, Release::Dispenser { .. }) {
                    &[("leaflets", v0_m_s)]
                } else {
                    &[
                        ("leaflets", v0_m_s),
                        ("leaflets_fast", v0_m_s * (Z90 * sigma_ln).exp()),
                        ("leaflets_slow", v0_m_s * (-Z90 * sigma_ln).exp()),
                    ]
                }
            }
        };
        for &(name, v0) in falls {
            let mut points = vec![from];
            let dt = if name == "bundle" {
                profile.step_s
            } else {
                profile.particle_step_s.min(profile.step_s * 2.0)
            };
            let (p, outcome) = fall_end(
                field,
                surface,
                v0,
                from,
                t_max,
                dt,
                None,
                None,
                Some(&mut points),
            );
            stages.push(StageTrack { name, points });
            if name == "bundle" || name == "leaflets" {
                let payload = if name == "bundle" {
                    PayloadClass::Bundle
                } else {
                    PayloadClass::Leaflets
                };
                let heavy = match profile.payload {
                    Payload::Bundle { v0_m_s } => {
                        HeavyFall::released(carrier.payload_kg.map(|kg| kg * fraction), v0_m_s)
                    }
                    Payload::Leaflets { .. } => None,
                };
                landings.push(Landing {
                    payload,
                    point: p,
                    outcome,
                    fraction,
                    heavy,
                });
                if fraction > best.1 {
                    best = (landings.len() - 1, fraction);
                }
            }
        }
    }
    Ok(Prediction {
        stages,
        events: carrier.events,
        primary: best.0,
        landings,
        warnings: carrier.warnings,
        balloon,
    })
}

/// The end points of `n` leaflet particles from `from` (drawn fall speeds and turbulence),
/// appended to `out` as (lat, lon) with their outcome.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scatter_leaflets<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    from: Point,
    n: u32,
    t_max: f64,
    noise: Option<&WindNoise>,
    rng: &mut Stream,
    turbulence: &mut Turbulence,
    out: &mut Vec<(Point, Outcome)>,
) {
    let Payload::Leaflets {
        v0_m_s,
        sigma_ln,
        turbulence_m_s,
        turbulence_tau_s,
        ..
    } = profile.payload
    else {
        return;
    };
    for _ in 0..n {
        let v0 = v0_m_s * rng.lognormal_factor(sigma_ln);
        // Fall time bound for the turbulence lattice: from the release height at v0 (slowest
        // at the surface), plus a margin.
        let span = (from.alt_m.max(0.0) / v0 * 1.2 + 1800.0)
            .min(t_max - from.t_unix_s)
            .max(600.0);
        turbulence.redraw(rng, from.t_unix_s, span, turbulence_m_s, turbulence_tau_s);
        let tb = (turbulence_m_s > 0.0).then_some(&*turbulence);
        out.push(fall_end(
            field,
            surface,
            v0,
            from,
            t_max,
            profile.particle_step_s,
            noise,
            tb,
            None,
        ));
    }
}
