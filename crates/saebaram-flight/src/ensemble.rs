//! Monte-Carlo ensembles: each member draws its parameters and wind error from its own
//! stream (seed, window, member), then flies deterministically. Members run in parallel with
//! rayon and are collected in member order, so the output is the same at any thread count.

use std::collections::BTreeMap;

use rayon::prelude::*;
use saebaram_forecast::WindField;
use serde::Serialize;

use crate::FlightError;
use crate::flight::{
    Draw, Landing, Outcome, PayloadClass, fly_carrier, scatter_leaflets, schedule,
};
use crate::integrate::{EARTH_RADIUS_M, Point, Surface};
use crate::models::{NoiseSpec, Turbulence, WindNoise};
use crate::profile::{Carrier, Payload, Profile};
use crate::random::Stream;

/// Ensemble settings; [`EnsembleSpec::new`] gives the spec's perturbations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnsembleSpec {
    /// Members per launch window (200).
    pub members: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// Wind error.
    pub noise: NoiseSpec,
    /// The forecast's run time (lead time = t - run time), UNIX s.
    pub run_time_unix_s: f64,
    /// Launch time spread: uniform ± this many seconds (1800).
    pub launch_time_jitter_s: f64,
    /// Launch point spread: uniform in a disc of this radius, m (500).
    pub launch_radius_m: f64,
    /// Log-sd of the ascent rate / free lift factor (0.15).
    pub lift_sigma_ln: f64,
    /// 1-σ relative spread of envelope volume, masses and fill (0.05).
    pub size_sigma: f64,
    /// Burst overshoot range, m (0-500).
    pub overshoot_range_m: (f64, f64),
    /// Leak range, %/h, log-uniform (0.1-3).
    pub leak_range_pct_h: (f64, f64),
    /// Bundle fall speed: uniform ± this fraction (0.2).
    pub bundle_spread: f64,
    /// Members whose carrier track is kept (10).
    pub track_samples: u32,
    /// Leaflet density cell size, degrees (0.05).
    pub cell_deg: f64,
}

impl EnsembleSpec {
    /// The spec's defaults with `members` members and `seed`.
    pub fn new(members: u32, seed: u64, run_time_unix_s: f64) -> EnsembleSpec {
        EnsembleSpec {
            members,
            seed,
            noise: NoiseSpec::default(),
            run_time_unix_s,
            launch_time_jitter_s: 1800.0,
            launch_radius_m: 500.0,
            lift_sigma_ln: 0.15,
            size_sigma: 0.05,
            overshoot_range_m: (0.0, 500.0),
            leak_range_pct_h: (0.1, 3.0),
            bundle_spread: 0.2,
            track_samples: 10,
            cell_deg: 0.05,
        }
    }

    fn validate(&self) -> Result<(), FlightError> {
        if self.members == 0 {
            return Err(FlightError::Incompatible(
                "an ensemble needs at least one member (members = 0)".into(),
            ));
        }
        if self.members > 100_000 {
            return Err(FlightError::OutOfRange {
                name: "members",
                value: self.members as f64,
                lo: 1.0,
                hi: 100_000.0,
            });
        }
        if !(self.cell_deg > 0.0 && self.cell_deg <= 5.0) {
            return Err(FlightError::OutOfRange {
                name: "cell size (deg)",
                value: self.cell_deg,
                lo: 0.001,
                hi: 5.0,
            });
        }
        Ok(())
    }
}

/// One member's result.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberResult {
    /// One landing per payload class (leaflets: the median of its particles).
    pub landings: Vec<Landing>,
    /// Index into `landings` of the class carrying most of the payload.
    pub primary: usize,
    /// The carrier's track, for the first `track_samples` members.
    pub track: Option<Vec<Point>>,
    /// Why the member did not fly (e.g. a perturbed balloon without free lift); it is then
    /// counted as landing at the launch point.
    pub failure: Option<String>,
}

/// A launch window's members and leaflet density.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRun {
    /// The nominal launch point and time.
    pub launch: Point,
    /// Every member, in member order.
    pub members: Vec<MemberResult>,
    /// Leaflet particles per cell `(floor(lat/cell), floor(lon/cell))`, landed ones only.
    pub leaflet_cells: BTreeMap<(i32, i32), u32>,
    /// Leaflet particles simulated in the window.
    pub leaflets_total: u64,
}

fn offset_point(p: Point, north_m: f64, east_m: f64) -> Point {
    let r = EARTH_RADIUS_M + p.alt_m;
    Point {
        lat: p.lat + (north_m / r).to_degrees(),
        lon: p.lon + (east_m / (r * p.lat.to_radians().cos())).to_degrees(),
        ..p
    }
}

fn draw_member(profile: &Profile, spec: &EnsembleSpec, launch: Point, rng: &mut Stream) -> Draw {
    let dt = rng.range(-spec.launch_time_jitter_s, spec.launch_time_jitter_s);
    let radius = spec.launch_radius_m * rng.uniform().sqrt();
    let angle = rng.range(0.0, std::f64::consts::TAU);
    let mut l = offset_point(launch, radius * angle.cos(), radius * angle.sin());
    l.t_unix_s += dt;
    let ascent_factor = rng.lognormal_factor(spec.lift_sigma_ln);
    let size = |rng: &mut Stream| (1.0 + spec.size_sigma * rng.normal()).max(0.5);
    let volume_factor = size(rng);
    let mass_factor = size(rng);
    let fill_factor = size(rng);
    let overshoot = rng.range(spec.overshoot_range_m.0, spec.overshoot_range_m.1);
    let (lo, hi) = spec.leak_range_pct_h;
    let leak = (lo.ln() + (hi.ln() - lo.ln()) * rng.uniform()).exp();
    let burst_factor = size(rng);
    let fall_factor = match profile.carrier {
        Carrier::Standard(_) => rng.lognormal_factor(0.1),
        Carrier::Balloon(_) => 1.0 + spec.bundle_spread * rng.range(-1.0, 1.0),
    };
    let releases = schedule(profile, l.t_unix_s, Some(rng));
    Draw {
        launch: l,
        ascent_factor,
        burst_factor,
        fall_factor,
        volume_factor,
        mass_factor,
        fill_factor,
        overshoot_m: Some(overshoot),
        leak_pct_h: Some(leak),
        releases,
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    }
}

fn fly_member<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    window: u64,
    member: u32,
    launch: Point,
) -> (MemberResult, Vec<(Point, Outcome)>) {
    let mut rng = Stream::new(spec.seed, window, member as u64);
    let draw = draw_member(profile, spec, launch, &mut rng);
    let span = profile.max_flight_h * 3600.0 + 2.0 * 3600.0 + spec.launch_time_jitter_s;
    let noise = WindNoise::draw(
        &spec.noise,
        &mut rng,
        draw.launch.t_unix_s - 3600.0,
        span,
        spec.run_time_unix_s,
    );
    let record = member < spec.track_samples;
    let carrier = match fly_carrier(field, surface, profile, &draw, Some(&noise), record) {
        Ok(c) => c,
        Err(e) => {
            let landing = Landing {
                payload: PayloadClass::Envelope,
                point: draw.launch,
                outcome: Outcome::Ground,
                fraction: 1.0,
            };
            return (
                MemberResult {
                    landings: vec![landing],
                    primary: 0,
                    track: None,
                    failure: Some(e.to_string()),
                },
                Vec::new(),
            );
        }
    };
    let t_max = draw.launch.t_unix_s + profile.max_flight_h * 3600.0;
    let mut landings = Vec::new();
    let mut fractions = Vec::new();
    if let Some(l) = carrier
        .landing
        .filter(|l| l.fraction > 0.0 || carrier.drops.is_empty())
    {
        let class = if matches!(profile.carrier, Carrier::Standard(_)) {
            PayloadClass::Payload
        } else {
            PayloadClass::Envelope
        };
        landings.push(Landing {
            payload: class,
            ..l
        });
        fractions.push(l.fraction);
    }
    let mut particles = Vec::new();
    match profile.payload {
        Payload::Bundle { v0_m_s } => {
            let mut best: Option<Landing> = None;
            let mut total = 0.0;
            for &(from, fraction) in &carrier.drops {
                let v0 = v0_m_s * draw.fall_factor;
                let (p, outcome) = crate::flight::fall_end(
                    field,
                    surface,
                    v0,
                    from,
                    t_max,
                    profile.step_s,
                    Some(&noise),
                    None,
                    None,
                );
                total += fraction;
                if best.is_none_or(|b| fraction > b.fraction) {
                    best = Some(Landing {
                        payload: PayloadClass::Bundle,
                        point: p,
                        outcome,
                        fraction,
                    });
                }
            }
            if let Some(b) = best {
                landings.push(b);
                fractions.push(total);
            }
        }
        Payload::Leaflets {
            particles: per_member,
            ..
        } => {
            let mut turbulence = Turbulence::default();
            let mut total = 0.0;
            for &(from, fraction) in &carrier.drops {
                let n = ((per_member as f64 * fraction).round() as u32).max(1);
                scatter_leaflets(
                    field,
                    surface,
                    profile,
                    from,
                    n,
                    t_max,
                    Some(&noise),
                    &mut rng,
                    &mut turbulence,
                    &mut particles,
                );
                total += fraction;
            }
            if !particles.is_empty() {
                let mut lats: Vec<f64> = particles.iter().map(|p| p.0.lat).collect();
                let mut lons: Vec<f64> = particles.iter().map(|p| p.0.lon).collect();
                let mut ts: Vec<f64> = particles.iter().map(|p| p.0.t_unix_s).collect();
                let mut counts = BTreeMap::new();
                for p in &particles {
                    *counts.entry(p.1).or_insert(0u32) += 1;
                }
                let outcome = counts
                    .iter()
                    .max_by_key(|(o, c)| (**c, std::cmp::Reverse(**o)))
                    .map_or(Outcome::Ground, |(o, _)| *o);
                let point = Point {
                    t_unix_s: median(&mut ts),
                    lat: median(&mut lats),
                    lon: median(&mut lons),
                    alt_m: 0.0,
                };
                landings.push(Landing {
                    payload: PayloadClass::Leaflets,
                    point,
                    outcome,
                    fraction: total,
                });
                fractions.push(total);
            }
        }
    }
    let primary = fractions
        .iter()
        .enumerate()
        .fold((0usize, f64::NEG_INFINITY), |best, (i, &f)| {
            if f > best.1 { (i, f) } else { best }
        })
        .0;
    let track = record.then(|| {
        let mut t: Vec<Point> = Vec::new();
        for s in &carrier.stages {
            let skip = usize::from(!t.is_empty());
            t.extend(s.points.iter().skip(skip));
        }
        t
    });
    (
        MemberResult {
            landings,
            primary,
            track,
            failure: None,
        },
        particles,
    )
}

/// Runs one launch window: `spec.members` members from `launch` (window index `window` keys
/// the random streams).
pub fn run_window<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    window: u64,
    launch: Point,
) -> Result<WindowRun, FlightError> {
    profile.validate()?;
    spec.validate()?;
    // The nominal flight must be possible: an impossible balloon or a launch outside the
    // forecast is the user's error, not a statistic.
    if let Carrier::Balloon(b) = &profile.carrier {
        crate::flight::setup_balloon(field, b, &Draw::nominal(profile, launch))?;
    }
    field
        .wind(launch.t_unix_s, launch.lat, launch.lon, launch.alt_m)
        .map_err(FlightError::LaunchOutside)?;
    let results: Vec<(MemberResult, Vec<(Point, Outcome)>)> = (0..spec.members)
        .into_par_iter()
        .map(|m| fly_member(field, surface, profile, spec, window, m, launch))
        .collect();
    let mut leaflet_cells = BTreeMap::new();
    let mut leaflets_total = 0u64;
    let mut members = Vec::with_capacity(results.len());
    for (member, particles) in results {
        leaflets_total += particles.len() as u64;
        for (p, outcome) in particles {
            if outcome <= Outcome::Sea {
                let key = (
                    (p.lat / spec.cell_deg).floor() as i32,
                    (p.lon / spec.cell_deg).floor() as i32,
                );
                *leaflet_cells.entry(key).or_insert(0) += 1;
            }
        }
        members.push(member);
    }
    Ok(WindowRun {
        launch,
        members,
        leaflet_cells,
        leaflets_total,
    })
}

/// Runs many launch windows in parallel; `progress` is called once per finished window.
pub fn run_windows<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    launches: &[Point],
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<WindowRun>, FlightError> {
    launches
        .par_iter()
        .enumerate()
        .map(|(i, &launch)| {
            let r = run_window(field, surface, profile, spec, i as u64, launch);
            progress();
            r
        })
        .collect()
}

/// Where a landing counts, as the caller's map says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LandClass {
    /// North Korea.
    North,
    /// South Korea.
    South,
    /// The DMZ.
    Dmz,
    /// Water.
    Sea,
    /// Anywhere else (China, Russia, Japan), or still aloft when the forecast ended.
    Other,
}

/// The statistics of one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowStats {
    /// P(the main payload lands in North Korea).
    pub p_north: f64,
    /// P(South Korea).
    pub p_south: f64,
    /// P(DMZ).
    pub p_dmz: f64,
    /// P(sea).
    pub p_sea: f64,
    /// P(elsewhere, or unresolved).
    pub p_other: f64,
    /// P(in the target) (the mean score when hits are weighted).
    pub p_target: f64,
    /// P(the trajectory ended aloft: left the forecast, forecast ended, or max time).
    pub p_unresolved: f64,
    /// P(a member's balloon did not fly).
    pub p_failed: f64,
    /// Median distance launch → main landing, km.
    pub median_distance_km: f64,
    /// 90th percentile of that distance, km.
    pub p90_distance_km: f64,
}

/// Great-circle distance, km (haversine on the mean earth radius).
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M / 1000.0 * a.sqrt().min(1.0).asin()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let x = q * (sorted.len() - 1) as f64;
    let i = x.floor() as usize;
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + (sorted[j] - sorted[i]) * (x - i as f64)
}

/// Computes the window's probabilities from each member's main landing; `target_score`
/// gives a landing's target score in [0, 1] (1 for a hit).
pub fn window_stats(
    run: &WindowRun,
    classify: &(dyn Fn(f64, f64) -> LandClass + Sync),
    target_score: &(dyn Fn(f64, f64) -> f64 + Sync),
) -> WindowStats {
    let n = run.members.len().max(1) as f64;
    let mut s = WindowStats {
        p_north: 0.0,
        p_south: 0.0,
        p_dmz: 0.0,
        p_sea: 0.0,
        p_other: 0.0,
        p_target: 0.0,
        p_unresolved: 0.0,
        p_failed: 0.0,
        median_distance_km: f64::NAN,
        p90_distance_km: f64::NAN,
    };
    let mut dist = Vec::with_capacity(run.members.len());
    for m in &run.members {
        if m.failure.is_some() {
            s.p_failed += 1.0;
        }
        let Some(l) = m.landings.get(m.primary) else {
            continue;
        };
        let p = l.point;
        dist.push(distance_km(run.launch.lat, run.launch.lon, p.lat, p.lon));
        if l.outcome > Outcome::Sea {
            s.p_unresolved += 1.0;
            s.p_other += 1.0;
            continue;
        }
        match classify(p.lat, p.lon) {
            LandClass::North => s.p_north += 1.0,
            LandClass::South => s.p_south += 1.0,
            LandClass::Dmz => s.p_dmz += 1.0,
            LandClass::Sea => s.p_sea += 1.0,
            LandClass::Other => s.p_other += 1.0,
        }
        s.p_target += target_score(p.lat, p.lon).clamp(0.0, 1.0);
    }
    for p in [
        &mut s.p_north,
        &mut s.p_south,
        &mut s.p_dmz,
        &mut s.p_sea,
        &mut s.p_other,
        &mut s.p_target,
        &mut s.p_unresolved,
        &mut s.p_failed,
    ] {
        *p /= n;
    }
    dist.sort_by(f64::total_cmp);
    s.median_distance_km = percentile(&dist, 0.5);
    s.p90_distance_km = percentile(&dist, 0.9);
    s
}
