//! One flight: the carrier's chain of stages (ascent, float, descent) with releases, then the
//! payload's fall (bundle, or leaflets as particles).

use saebaram_forecast::{Axis, WindField, isa};
use serde::Serialize;

use crate::FlightError;
use crate::atmosphere::{G0_M_S2, RHO0_KG_M3};
use crate::integrate::{Point, StageEnd, Surface, Term, fly_stage};
use crate::models::{BalloonLift, Motion, Turbulence, Vertical, WindNoise, relative_superheat};
use crate::profile::{Balloon, Carrier, Envelope, Lift, Payload, Profile, Release};
use crate::random::Stream;

/// How a trajectory ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Reached the ground on land (or where land and sea are unknown).
    Ground,
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
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ground => "ground",
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
    /// Multiplies the ascent rate (P0) or the free lift (P1/P2).
    pub ascent_factor: f64,
    /// Multiplies the burst altitude (P0).
    pub burst_factor: f64,
    /// Multiplies the descent and fall speeds (P0 descent, bundles).
    pub fall_factor: f64,
    /// Multiplies the envelope volume.
    pub volume_factor: f64,
    /// Multiplies the envelope and payload masses.
    pub mass_factor: f64,
    /// Multiplies the gas fill.
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

fn outcome_of(end: &StageEnd, terms: &[Term], surface: &dyn Surface, coverage_end: f64) -> Outcome {
    match *end {
        StageEnd::Term { index, point } => match terms.get(index) {
            Some(Term::Ground) => {
                if surface.is_sea(point.lat, point.lon) == Some(true) {
                    Outcome::Sea
                } else {
                    Outcome::Ground
                }
            }
            _ => Outcome::MaxTime,
        },
        StageEnd::OutOfDomain { point, axis } => {
            let _ = (point, coverage_end);
            if axis == Axis::Time {
                Outcome::ForecastEnded
            } else {
                Outcome::LeftDomain
            }
        }
    }
}

/// Air density on the launch column (the field's where it has data, ISA above).
fn column_density<W: WindField + ?Sized>(field: &W, launch: &Point, alt_m: f64) -> f64 {
    field
        .wind(launch.t_unix_s, launch.lat, launch.lon, alt_m)
        .map(|w| w.density_kg_m3)
        .unwrap_or_else(|_| isa::density_kg_m3(alt_m))
}

/// The altitude on the launch column where the density falls to `rho`, by bisection.
fn altitude_of_density<W: WindField + ?Sized>(field: &W, launch: &Point, rho: f64) -> f64 {
    let (mut lo, mut hi) = (launch.alt_m, 40_000.0);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if column_density(field, launch, mid) > rho {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
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
}

/// Works out a balloon's fill, free lift, ceiling and burst or float altitude.
pub fn setup_balloon<W: WindField + ?Sized>(
    field: &W,
    b: &Balloon,
    draw: &Draw,
) -> Result<BalloonSetup, FlightError> {
    let launch = &draw.launch;
    let rho_launch = field
        .wind(launch.t_unix_s, launch.lat, launch.lon, launch.alt_m)
        .map_err(FlightError::LaunchOutside)?
        .density_kg_m3;
    let buoy = b.gas.buoyancy();
    let envelope_kg = b.envelope_kg * draw.mass_factor;
    let payload_kg = b.payload_kg * draw.mass_factor;
    let mass = envelope_kg + payload_kg;
    let v_max = b.v_max_m3 * draw.volume_factor;
    let lift_at = |gas_air_kg: f64| {
        let bl = BalloonLift {
            gas_air_kg,
            t_ref: 0.0,
            leak_per_s: 0.0,
            v_max_m3: v_max,
            vented: false,
            mass_kg: mass,
            buoyancy: buoy,
            cd: b.cd,
            area_m2: b.area_m2,
            superheat_k: 0.0,
        };
        bl.speed_m_s(0.0, rho_launch)
    };
    let gas_air_kg = match b.lift {
        Lift::FreeLiftKg(fl) => (mass + fl * draw.ascent_factor) / buoy,
        Lift::FillM3(v) => v * rho_launch,
        Lift::AscentMS(target) => {
            let target = target * draw.ascent_factor;
            let (mut lo, mut hi) = (mass / buoy, mass / buoy * 20.0 + 100.0);
            for _ in 0..80 {
                let mid = 0.5 * (lo + hi);
                if lift_at(mid) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            hi
        }
    } * draw.fill_factor;
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
    let ceiling_m = altitude_of_density(field, launch, gas_air_kg / v_max);
    let top_m = match b.envelope {
        Envelope::Sealed => ceiling_m + draw.overshoot_m.unwrap_or(b.overshoot_m),
        Envelope::Vented => altitude_of_density(field, launch, mass / (v_max * buoy)),
    };
    let leak_fraction_h = draw.leak_pct_h.unwrap_or(b.leak_pct_h) / 100.0;
    Ok(BalloonSetup {
        rho_launch,
        fill_m3,
        free_lift_kg,
        ascent_m_s: lift_at(gas_air_kg),
        ceiling_m,
        top_m,
        v_max_m3: v_max,
        envelope_kg,
        payload_kg,
        leak_per_s: -(1.0 - leak_fraction_h).ln() / 3600.0,
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
    let t_max = launch.t_unix_s + profile.max_flight_h * 3600.0;
    let coverage_end = field.coverage().time_end_unix_s;
    field
        .wind(launch.t_unix_s, launch.lat, launch.lon, launch.alt_m)
        .map_err(FlightError::LaunchOutside)?;
    let mut out = CarrierFlight {
        payload_left: 1.0,
        ..CarrierFlight::default()
    };
    let mut buf: Vec<Point> = Vec::new();
    let dt = profile.step_s;

    let mut run = |name: &'static str,
                   vertical: Vertical,
                   floating: bool,
                   terms: &[Term],
                   start: Point,
                   out: &mut CarrierFlight|
     -> StageEnd {
        let model = Motion {
            field,
            vertical,
            noise,
            turbulence: None,
            floating,
        };
        buf.clear();
        let end = fly_stage(
            &model,
            terms,
            start,
            dt,
            surface,
            record.then_some(&mut buf),
        );
        if record {
            match out.stages.last_mut() {
                Some(last) if last.name == name => last.points.extend_from_slice(&buf),
                _ => {
                    let mut points = Vec::with_capacity(buf.len() + 1);
                    points.push(start);
                    points.extend_from_slice(&buf);
                    out.stages.push(StageTrack { name, points });
                }
            }
        }
        end
    };

    match &profile.carrier {
        Carrier::Standard(s) => {
            let burst = s.burst_alt_m * draw.burst_factor;
            if burst <= launch.alt_m {
                return Err(FlightError::BurstBelowLaunch {
                    burst_m: burst,
                    launch_m: launch.alt_m,
                });
            }
            let terms = [Term::AltAtLeast(burst), Term::TimeAtLeast(t_max)];
            let v = Vertical::Constant(s.ascent_m_s * draw.ascent_factor);
            let end = run("ascent", v, false, &terms, launch, &mut out);
            let mut p = end.point();
            let ended = !matches!(end, StageEnd::Term { index: 0, .. });
            // A P0 payload is heavy only without a working parachute (its mass is unknown).
            let heavy = HeavyFall::released(None, s.descent_m_s);
            if ended {
                out.landing = Some(Landing {
                    payload: PayloadClass::Payload,
                    point: p,
                    outcome: outcome_of(&end, &terms, surface, coverage_end),
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
            let end = run("descent", v, false, &terms, p, &mut out);
            p = end.point();
            out.landing = Some(Landing {
                payload: PayloadClass::Payload,
                point: p,
                outcome: outcome_of(&end, &terms, surface, coverage_end),
                fraction: 1.0,
                heavy,
            });
            Ok(out)
        }
        Carrier::Balloon(b) => {
            let setup = setup_balloon(field, b, draw)?;
            out.payload_kg = Some(setup.payload_kg);
            let buoy = b.gas.buoyancy();
            let vented = b.envelope == Envelope::Vented;
            #[derive(PartialEq, Clone, Copy)]
            enum Phase {
                Ascent,
                Float,
                Descent,
            }
            let mut phase = Phase::Ascent;
            let mut releases: Vec<(f64, f64)> = draw
                .releases
                .iter()
                .filter_map(|&(t, f)| t.map(|t| (t, f)))
                .collect();
            releases.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut next_release = 0usize;
            let mut gas = setup.fill_m3 * setup.rho_launch;
            let mut p = launch;
            loop {
                let mass = setup.envelope_kg + setup.payload_kg * out.payload_left;
                let t_rel = releases.get(next_release).map_or(f64::INFINITY, |r| r.0);
                // Superheat acts while floating (the ascent's lift is the launch's measured
                // free lift). The gas it vents leaves at the end of each stage, so with
                // superheat a float is cut into segments of SUPERHEAT_SEGMENT_S.
                let superheat_k = if phase == Phase::Float {
                    b.superheat_k
                } else {
                    0.0
                };
                let t_seg = if superheat_k > 0.0 {
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
                    cd: b.cd,
                    area_m2: b.area_m2,
                    superheat_k,
                };
                let (name, vertical, terms, floating) = match phase {
                    Phase::Ascent => {
                        let top = if vented {
                            setup.top_m - FLOAT_MARGIN_M
                        } else {
                            setup.top_m
                        };
                        (
                            "ascent",
                            Vertical::Balloon(lift),
                            [
                                Term::AltAtLeast(top),
                                Term::TimeAtLeast(t_rel),
                                Term::TimeAtLeast(t_max),
                                Term::TimeAtLeast(t_seg),
                            ],
                            false,
                        )
                    }
                    Phase::Float => (
                        "float",
                        Vertical::Balloon(lift),
                        [
                            Term::Ground,
                            Term::TimeAtLeast(t_rel),
                            Term::TimeAtLeast(t_max),
                            Term::TimeAtLeast(t_seg),
                        ],
                        true,
                    ),
                    Phase::Descent => {
                        let v0 =
                            b.fall_m_s.unwrap_or_else(|| fall_speed_m_s(mass)) * draw.fall_factor;
                        (
                            "descent",
                            Vertical::Fall(v0),
                            [
                                Term::Ground,
                                Term::TimeAtLeast(t_rel),
                                Term::TimeAtLeast(t_max),
                                Term::TimeAtLeast(t_seg),
                            ],
                            false,
                        )
                    }
                };
                let end = run(name, vertical, floating, &terms, p, &mut out);
                let q = end.point();
                // The gas still aboard (vented envelopes hold at most a full volume).
                let rho_q = column_density(field, &q, q.alt_m);
                gas = lift.gas_at(q.t_unix_s);
                if vented {
                    let s = relative_superheat(superheat_k, q.t_unix_s, q.lat, q.lon, q.alt_m);
                    gas = gas.min(lift.vented_gas_cap(rho_q, s));
                }
                match end {
                    // A superheat segment ended: the same phase goes on with the vented gas.
                    StageEnd::Term { index: 3, .. } => {}
                    StageEnd::Term { index: 1, .. } => {
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
                        if vented {
                            out.events.push(Event {
                                kind: "float_start",
                                point: q,
                                fraction: None,
                            });
                            phase = Phase::Float;
                        } else {
                            out.events.push(Event {
                                kind: "burst",
                                point: q,
                                fraction: None,
                            });
                            phase = Phase::Descent;
                        }
                    }
                    _ => {
                        let outcome = outcome_of(&end, &terms, surface, coverage_end);
                        let left_kg = setup.payload_kg * out.payload_left;
                        // A burst envelope falls at its nominal speed; a sinking one at
                        // whatever its lift deficit gives.
                        let fall = (phase == Phase::Descent).then(|| {
                            b.fall_m_s
                                .unwrap_or_else(|| fall_speed_m_s(setup.envelope_kg + left_kg))
                        });
                        out.landing = Some(Landing {
                            payload: PayloadClass::Envelope,
                            point: q,
                            outcome,
                            fraction: out.payload_left,
                            heavy: HeavyFall::tied(left_kg, setup.envelope_kg + left_kg, fall),
                        });
                        if next_release < releases.len()
                            && out.payload_left > 1e-9
                            && outcome <= Outcome::Sea
                        {
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
    (
        end.point(),
        outcome_of(&end, &terms, surface, field.coverage().time_end_unix_s),
    )
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
