//! Monte-Carlo ensembles: each member draws its parameters and wind error from its own
//! stream (seed, window, member), then flies deterministically. Members run in parallel with
//! rayon and are collected in member order, so the output is the same at any thread count.

use std::collections::BTreeMap;

use rayon::prelude::*;
use saebaram_forecast::WindField;
use serde::Serialize;

use crate::FlightError;
use crate::flight::{
    Draw, HeavyFall, Landing, Outcome, PayloadClass, fly_carrier, scatter_leaflets, schedule,
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
    /// Log-sd of the P0 ascent rate (0.15, the spec's).
    pub lift_sigma_ln: f64,
    /// Log-sd of the free lift a crew measures when it fills a P1/P2 balloon by free lift or
    /// ascent rate (0.10: about ±0.15 kg on the spec's 1.5 kg, a spring balance's reading
    /// and the gas warming in the sun while they weigh). The fill follows from it and the
    /// member's own masses.
    pub free_lift_sigma_ln: f64,
    /// Log-sd of a P1/P2 envelope's drag coefficient (0.10): the ascent rate's own spread
    /// (ASTRA's stochastic drag), which does not change whether the balloon flies.
    pub drag_sigma_ln: f64,
    /// 1-σ relative spread of envelope volume, masses and a fill given as a volume (0.05).
    pub size_sigma: f64,
    /// Day superheat: uniform × (1 ± this) around the profile's value (0.5).
    pub superheat_spread: f64,
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
    /// Fly every leaflet particle through the wind (true), or only three reference
    /// particles per drop and place the others from them (false, the default; see
    /// [`scatter_by_reference`]).
    pub exact_particles: bool,
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
            free_lift_sigma_ln: 0.10,
            drag_sigma_ln: 0.10,
            size_sigma: 0.05,
            superheat_spread: 0.5,
            overshoot_range_m: (0.0, 500.0),
            leak_range_pct_h: (0.1, 3.0),
            bundle_spread: 0.2,
            track_samples: 10,
            cell_deg: 0.05,
            exact_particles: false,
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
    /// Every heavy intact fall of the member (the envelope with its payload still tied, each
    /// released sack), whether or not it is the main landing.
    pub heavy: Vec<Landing>,
    /// The carrier's track, for the first `track_samples` members.
    pub track: Option<Vec<Point>>,
    /// Why the member's balloon could not fly (no free lift, or more gas than the envelope
    /// holds, after its draw); it is then counted as landing at the launch point. A member
    /// the forecast cannot follow (its launch or ceiling outside it) has no failure: its one
    /// landing is at the launch point with the outcome `left_domain`, unresolved.
    pub failure: Option<String>,
    /// Which of the window's wind fields it flew (the forecast member, an index into the
    /// fields given to [`run_window_members`]; 0 with one field).
    pub forecast_member: u32,
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
    // P0: the ascent rate itself; P1/P2: the free lift as the crew measures it.
    let lift_sigma_ln = match profile.carrier {
        Carrier::Standard(_) => spec.lift_sigma_ln,
        Carrier::Balloon(_) => spec.free_lift_sigma_ln,
    };
    let ascent_factor = rng.lognormal_factor(lift_sigma_ln);
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
    let drag_factor = rng.lognormal_factor(spec.drag_sigma_ln);
    let superheat_factor = 1.0 + spec.superheat_spread * rng.range(-1.0, 1.0);
    let releases = schedule(profile, l.t_unix_s, Some(rng));
    Draw {
        launch: l,
        ascent_factor,
        drag_factor,
        superheat_factor,
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

/// The random parameters member `member` of window `window` flies with (the first draws of
/// its stream; the wind error comes after them). For checking an ensemble's draws.
pub fn member_draw(
    profile: &Profile,
    spec: &EnsembleSpec,
    window: u64,
    member: u32,
    launch: Point,
) -> Draw {
    let mut rng = Stream::new(spec.seed, window, member as u64);
    draw_member(profile, spec, launch, &mut rng)
}

/// Fewest particles in one drop for which [`scatter_by_reference`] is used (below it, each
/// particle flies: three reference falls would cost more).
pub const REFERENCE_MIN_PARTICLES: u32 = 8;

/// The landings of `n` leaflet particles released at `from`, placed from three reference
/// falls instead of flying each (appended to `out`, as [`crate::flight`]'s exact scatter
/// does). Each particle draws its fall speed as in the exact scatter (lognormal around the
/// profile's `v0`); then:
///
/// 1. The slowest, the median and the fastest of the drawn speeds fall through the member's
///    wind (with its wind error, without turbulence), exactly as a particle would.
/// 2. Every particle's landing (latitude, longitude, time) is the quadratic through the three
///    references in `s = 1/v`, at its own `s`: in a wind that does not change, drift is
///    proportional to fall time and so to `1/v` exactly; a wind that changes along the way
///    bends it smoothly, which the quadratic follows (only interpolated: every particle's
///    `s` lies between the references').
/// 3. Its turbulence (velocity σ, memory τ, of the profile) adds a displacement drawn from the
///    integral of an Ornstein-Uhlenbeck velocity over its fall time T: Gaussian, variance
///    `2σ²τ²(T/τ - 1 + e^(-T/τ))` per component (Taylor's formula for dispersion by a
///    stationary velocity with exponential memory); the exact scatter's lattice of AR(1)
///    velocities gives the same to within its interpolation.
/// 4. Land or sea is the surface's at that point; the wind a displaced particle meets on its
///    own path, and the ground height there, are the references'.
///
/// If a reference does not come down (it leaves the forecast, the forecast ends, the flight
/// time runs out), every particle of the drop flies instead, exactly. Three falls instead of
/// `n`: for 50 particles a sixteenth of the work, which the multi-site sweep needs (a test
/// compares both scatters' medians and spreads on a real forecast).
#[allow(clippy::too_many_arguments)]
pub(crate) fn scatter_by_reference<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    from: Point,
    n: u32,
    t_max: f64,
    noise: Option<&WindNoise>,
    rng: &mut Stream,
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
    if n == 0 {
        return;
    }
    let speeds: Vec<f64> = (0..n)
        .map(|_| v0_m_s * rng.lognormal_factor(sigma_ln))
        .collect();
    let mut sorted = speeds.clone();
    sorted.sort_by(f64::total_cmp);
    let refs = [
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1],
    ];
    let ends = refs.map(|v| {
        crate::flight::fall_end(
            field,
            surface,
            v,
            from,
            t_max,
            profile.particle_step_s,
            noise,
            None,
            None,
        )
    });
    if ends.iter().any(|e| e.1 > Outcome::Sea) {
        // A reference still aloft: no landing to interpolate between. Fly each particle.
        let mut turbulence = Turbulence::default();
        for v0 in speeds {
            let span = (from.alt_m.max(0.0) / v0 * 1.2 + 1800.0)
                .min(t_max - from.t_unix_s)
                .max(600.0);
            turbulence.redraw(rng, from.t_unix_s, span, turbulence_m_s, turbulence_tau_s);
            let tb = (turbulence_m_s > 0.0).then_some(&turbulence);
            out.push(crate::flight::fall_end(
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
        return;
    }
    let s = refs.map(|v| 1.0 / v);
    let p = ends.map(|e| e.0);
    // Lagrange weights at `x` through the distinct nodes among s[0] >= s[1] >= s[2].
    let weights = |x: f64| -> [f64; 3] {
        let (a, b, c) = (s[0], s[1], s[2]);
        let distinct = |u: f64, w: f64| (u - w).abs() > 1e-12 * u.abs().max(w.abs());
        match (distinct(a, b), distinct(b, c)) {
            (true, true) => [
                (x - b) * (x - c) / ((a - b) * (a - c)),
                (x - a) * (x - c) / ((b - a) * (b - c)),
                (x - a) * (x - b) / ((c - a) * (c - b)),
            ],
            (true, false) => {
                let f = (x - b) / (a - b);
                [f, 1.0 - f, 0.0]
            }
            (false, true) => {
                let f = (x - c) / (b - c);
                [0.0, f, 1.0 - f]
            }
            (false, false) => [0.0, 1.0, 0.0],
        }
    };
    let (sigma, tau) = (turbulence_m_s, turbulence_tau_s);
    for v0 in speeds {
        let w = weights(1.0 / v0);
        let mix = |f: fn(&Point) -> f64| w[0] * f(&p[0]) + w[1] * f(&p[1]) + w[2] * f(&p[2]);
        let mut q = Point {
            t_unix_s: mix(|p| p.t_unix_s),
            lat: mix(|p| p.lat),
            lon: mix(|p| p.lon),
            alt_m: mix(|p| p.alt_m),
        };
        if sigma > 0.0 && tau > 0.0 {
            let fall_s = (q.t_unix_s - from.t_unix_s).max(0.0);
            let x = fall_s / tau;
            let sd = sigma * tau * (2.0 * (x - 1.0 + (-x).exp())).max(0.0).sqrt();
            let (dn, de) = rng.normal_pair();
            q = offset_point(q, sd * dn, sd * de);
        }
        let outcome = if surface.is_sea(q.lat, q.lon) == Some(true) {
            Outcome::Sea
        } else {
            Outcome::Ground
        };
        out.push((q, outcome));
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

#[allow(clippy::too_many_arguments)]
fn fly_member<W: WindField + ?Sized>(
    field: &W,
    forecast_member: u32,
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
            // A balloon that cannot fly never leaves the ground: it is counted where it
            // stands, with no fall. Anything else (this member's launch or ceiling outside
            // the forecast) is a flight the forecast cannot follow: unresolved, not failed.
            let cannot_fly = matches!(
                e,
                FlightError::WillNotRise { .. } | FlightError::Overfilled { .. }
            );
            let landing = Landing {
                payload: PayloadClass::Envelope,
                point: draw.launch,
                outcome: if cannot_fly {
                    Outcome::Ground
                } else {
                    Outcome::LeftDomain
                },
                fraction: 1.0,
                heavy: None,
            };
            return (
                MemberResult {
                    landings: vec![landing],
                    primary: 0,
                    heavy: Vec::new(),
                    track: None,
                    failure: cannot_fly.then(|| e.to_string()),
                    forecast_member,
                },
                Vec::new(),
            );
        }
    };
    let t_max = draw.launch.t_unix_s + profile.max_flight_h * 3600.0;
    let mut landings = Vec::new();
    let mut fractions = Vec::new();
    let mut heavy: Vec<Landing> = carrier
        .landing
        .iter()
        .filter(|l| l.heavy.is_some())
        .copied()
        .collect();
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
                let landing = Landing {
                    payload: PayloadClass::Bundle,
                    point: p,
                    outcome,
                    fraction,
                    // Heavy by the nominal speed: the class, not this member's draw.
                    heavy: HeavyFall::released(carrier.payload_kg.map(|kg| kg * fraction), v0_m_s),
                };
                if landing.heavy.is_some() {
                    heavy.push(landing);
                }
                if best.is_none_or(|b| fraction > b.fraction) {
                    best = Some(landing);
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
                if spec.exact_particles || n < REFERENCE_MIN_PARTICLES {
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
                } else {
                    scatter_by_reference(
                        field,
                        surface,
                        profile,
                        from,
                        n,
                        t_max,
                        Some(&noise),
                        &mut rng,
                        &mut particles,
                    );
                }
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
                    heavy: None,
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
            heavy,
            track,
            failure: None,
            forecast_member,
        },
        particles,
    )
}

/// Runs one launch window: `spec.members` members from `launch` (window index `window` keys
/// the random streams), all in one wind field.
pub fn run_window<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    window: u64,
    launch: Point,
) -> Result<WindowRun, FlightError> {
    run_window_members(&[field], surface, profile, spec, window, launch)
}

/// Runs one launch window over the members of a forecast ensemble: Monte-Carlo member `m`
/// flies `fields[m % fields.len()]` (cycling through the forecast members, so each is flown
/// by `spec.members / fields.len()` members, give or take one), with the launch, balloon and
/// timer perturbations and the wind error of `spec` as with one field. The caller chooses the
/// wind error: with forecast members it is the sub-grid part only
/// ([`crate::models::NoiseSpec::sub_grid`]), the members' spread being the forecast's own.
pub fn run_window_members<W: WindField + ?Sized>(
    fields: &[&W],
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    window: u64,
    launch: Point,
) -> Result<WindowRun, FlightError> {
    profile.validate()?;
    spec.validate()?;
    if fields.is_empty() || fields.len() > u32::MAX as usize {
        return Err(FlightError::Incompatible(
            "an ensemble needs at least one wind field".into(),
        ));
    }
    // The nominal flight must be possible: an impossible balloon or a launch outside the
    // forecast is the user's error, not a statistic. The first field decides (the members
    // of one forecast share its grid and times; a balloon that only some members' air cannot
    // lift counts as their failed members).
    let first = fields[0];
    if let Carrier::Balloon(b) = &profile.carrier {
        crate::flight::setup_balloon(first, b, &Draw::nominal(profile, launch))?;
    }
    first
        .wind(launch.t_unix_s, launch.lat, launch.lon, launch.alt_m)
        .map_err(FlightError::LaunchOutside)?;
    let n_fields = fields.len() as u32;
    let results: Vec<(MemberResult, Vec<(Point, Outcome)>)> = (0..spec.members)
        .into_par_iter()
        .map(|m| {
            let k = m % n_fields;
            fly_member(
                fields[k as usize],
                k,
                surface,
                profile,
                spec,
                window,
                m,
                launch,
            )
        })
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
    let indexed: Vec<(u64, Point)> = launches
        .iter()
        .enumerate()
        .map(|(i, &p)| (i as u64, p))
        .collect();
    run_indexed_windows(field, surface, profile, spec, &indexed, progress)
}

/// Like [`run_windows`] for some windows of a longer list: each `(index, launch)` keys its
/// random streams by its own index, so a window gets the same members whether or not the
/// windows around it are run (a pre-filter that skips windows changes no other window).
pub fn run_indexed_windows<W: WindField + ?Sized>(
    field: &W,
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    launches: &[(u64, Point)],
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<WindowRun>, FlightError> {
    run_indexed_windows_members(&[field], surface, profile, spec, launches, progress)
}

/// [`run_indexed_windows`] over the members of a forecast ensemble (see
/// [`run_window_members`]).
pub fn run_indexed_windows_members<W: WindField + ?Sized>(
    fields: &[&W],
    surface: &dyn Surface,
    profile: &Profile,
    spec: &EnsembleSpec,
    launches: &[(u64, Point)],
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<WindowRun>, FlightError> {
    launches
        .par_iter()
        .map(|&(i, launch)| {
            let r = run_window_members(fields, surface, profile, spec, i, launch);
            progress();
            r
        })
        .collect()
}

/// The layer-mean wind (u, v), m/s, over the column at `at` (its time and place) from its
/// altitude up to `top_m`, sampled every `step_m` (equal weight per metre: the mean a
/// balloon rising at a steady rate feels). The launch-window pre-filter of the spec
/// (balloon-physics.md §6) compares its direction with the map. An error where the forecast
/// has no data on the column.
pub fn layer_mean_wind<W: WindField + ?Sized>(
    field: &W,
    at: Point,
    top_m: f64,
    step_m: f64,
) -> Result<(f64, f64), saebaram_forecast::OutOfDomain> {
    let n = (((top_m - at.alt_m) / step_m.max(1.0)).ceil().max(0.0) as usize).max(1);
    let dz = (top_m - at.alt_m).max(0.0) / n as f64;
    let (mut u, mut v) = (0.0, 0.0);
    // Trapezoid rule over n intervals.
    for k in 0..=n {
        let w = field.wind(at.t_unix_s, at.lat, at.lon, at.alt_m + k as f64 * dz)?;
        let weight = if k == 0 || k == n { 0.5 } else { 1.0 };
        u += weight * w.u_m_s;
        v += weight * w.v_m_s;
    }
    Ok((u / n as f64, v / n as f64))
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

/// Where a heavy intact fall lands, as the caller's map says (this crate knows no map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallRisk {
    /// Not on South Korean land (the North, the DMZ, the sea, abroad).
    Elsewhere,
    /// On South Korean land, away from any populated place the caller knows.
    South,
    /// On South Korean land within the populated radius of the caller's place number `n`.
    Populated(u32),
}

/// The heavy-intact-fall statistics of one window: the share of members with at least one
/// heavy intact fall (see [`HeavyFall`]) on the ground, anywhere, in South Korea, and near a
/// populated South Korean place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeavyStats {
    /// P(a heavy intact fall reaches the ground or the sea anywhere).
    pub p_heavy: f64,
    /// P(one reaches South Korean land).
    pub p_heavy_south: f64,
    /// P(one reaches South Korean land within a populated place's radius).
    pub p_heavy_populated_south: f64,
    /// Per place number: the share of members with a heavy intact fall within its radius,
    /// highest first (ties by place number).
    pub places: Vec<(u32, f64)>,
}

/// Computes the window's heavy-intact-fall statistics; `risk` says where a landing is.
/// Only trajectories that came down count (not those still aloft when the forecast ended).
pub fn heavy_stats(run: &WindowRun, risk: &(dyn Fn(f64, f64) -> FallRisk + Sync)) -> HeavyStats {
    let n = run.members.len().max(1) as f64;
    let (mut any, mut south, mut populated) = (0u32, 0u32, 0u32);
    let mut places: BTreeMap<u32, u32> = BTreeMap::new();
    let mut member_places: Vec<u32> = Vec::new();
    for m in &run.members {
        let landed: Vec<&Landing> = m
            .heavy
            .iter()
            .filter(|l| l.outcome <= Outcome::Sea)
            .collect();
        if landed.is_empty() {
            continue;
        }
        any += 1;
        let (mut in_south, mut near) = (false, false);
        member_places.clear();
        for l in landed.iter().filter(|l| l.outcome.on_land()) {
            match risk(l.point.lat, l.point.lon) {
                FallRisk::Elsewhere => {}
                FallRisk::South => in_south = true,
                FallRisk::Populated(i) => {
                    in_south = true;
                    near = true;
                    if !member_places.contains(&i) {
                        member_places.push(i);
                    }
                }
            }
        }
        south += u32::from(in_south);
        populated += u32::from(near);
        for &i in &member_places {
            *places.entry(i).or_insert(0) += 1;
        }
    }
    let mut places: Vec<(u32, f64)> = places.into_iter().map(|(i, c)| (i, c as f64 / n)).collect();
    places.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    HeavyStats {
        p_heavy: any as f64 / n,
        p_heavy_south: south as f64 / n,
        p_heavy_populated_south: populated as f64 / n,
        places,
    }
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
    stats_of(run.launch, run.members.iter(), classify, target_score)
}

/// The window's probabilities per forecast member: for each forecast member `k` that some
/// Monte-Carlo member flew (see [`run_window_members`]), `(k, n, stats)` over the `n`
/// members that flew it, in order of `k`. Whether the forecast members agree is in how far
/// these are apart.
pub fn window_stats_by_forecast_member(
    run: &WindowRun,
    classify: &(dyn Fn(f64, f64) -> LandClass + Sync),
    target_score: &(dyn Fn(f64, f64) -> f64 + Sync),
) -> Vec<(u32, usize, WindowStats)> {
    let mut by: BTreeMap<u32, Vec<&MemberResult>> = BTreeMap::new();
    for m in &run.members {
        by.entry(m.forecast_member).or_default().push(m);
    }
    by.into_iter()
        .map(|(k, ms)| {
            let n = ms.len();
            (
                k,
                n,
                stats_of(run.launch, ms.into_iter(), classify, target_score),
            )
        })
        .collect()
}

fn stats_of<'a>(
    launch: Point,
    members: impl ExactSizeIterator<Item = &'a MemberResult>,
    classify: &(dyn Fn(f64, f64) -> LandClass + Sync),
    target_score: &(dyn Fn(f64, f64) -> f64 + Sync),
) -> WindowStats {
    let n = members.len().max(1) as f64;
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
    let mut dist = Vec::with_capacity(members.len());
    for m in members {
        if m.failure.is_some() {
            s.p_failed += 1.0;
        }
        let Some(l) = m.landings.get(m.primary) else {
            continue;
        };
        let p = l.point;
        dist.push(distance_km(launch.lat, launch.lon, p.lat, p.lon));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight::{HeavyFall, HeavyWhy};
    use crate::models::NoiseSpec;

    const T0: f64 = 1_559_692_800.0; // 2019-06-05T00:00Z

    fn launch() -> Point {
        Point {
            t_unix_s: T0,
            lat: 37.889,
            lon: 126.74,
            alt_m: 15.0,
        }
    }

    /// Many members' draws with a fixed seed.
    fn draws(preset: &str, n: u32) -> Vec<Draw> {
        let profile = Profile::preset(preset).unwrap();
        let spec = EnsembleSpec::new(n, 11, T0);
        (0..n)
            .map(|m| draw_member(&profile, &spec, launch(), &mut Stream::new(11, 0, m as u64)))
            .collect()
    }

    fn mean_sd(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn launch_time_is_uniform_within_half_an_hour() {
        let dts: Vec<f64> = draws("slack-tube", 4000)
            .iter()
            .map(|d| d.launch.t_unix_s - T0)
            .collect();
        assert!(dts.iter().all(|dt| dt.abs() <= 1800.0));
        let (mean, sd) = mean_sd(&dts);
        // Uniform on ±1800 s: mean 0, sd 1800/√3 = 1039 s; each quarter holds a quarter.
        assert!(mean.abs() < 40.0, "{mean}");
        assert!((sd - 1039.2).abs() < 30.0, "{sd}");
        let first = dts.iter().filter(|&&dt| dt < -900.0).count() as f64 / 4000.0;
        assert!((first - 0.25).abs() < 0.025, "{first}");
    }

    #[test]
    fn launch_point_is_uniform_in_a_500_m_disc() {
        let ds: Vec<(f64, f64)> = draws("slack-tube", 4000)
            .iter()
            .map(|d| {
                let north = (d.launch.lat - launch().lat).to_radians() * (EARTH_RADIUS_M + 15.0);
                let east = (d.launch.lon - launch().lon).to_radians()
                    * (EARTH_RADIUS_M + 15.0)
                    * launch().lat.to_radians().cos();
                (north, east)
            })
            .collect();
        let r: Vec<f64> = ds.iter().map(|(n, e)| n.hypot(*e)).collect();
        assert!(
            r.iter().all(|&r| r <= 500.0 + 1e-6),
            "{:?}",
            r.iter().cloned().fold(0.0, f64::max)
        );
        // Uniform in a disc: P(r < 250 m) = 1/4, mean r = 2/3·500 m; no direction preferred.
        let inner = r.iter().filter(|&&r| r < 250.0).count() as f64 / 4000.0;
        assert!((inner - 0.25).abs() < 0.025, "{inner}");
        let (mean_r, _) = mean_sd(&r);
        assert!((mean_r - 333.3).abs() < 8.0, "{mean_r}");
        let (mean_n, _) = mean_sd(&ds.iter().map(|d| d.0).collect::<Vec<_>>());
        let (mean_e, _) = mean_sd(&ds.iter().map(|d| d.1).collect::<Vec<_>>());
        assert!(
            mean_n.abs() < 10.0 && mean_e.abs() < 10.0,
            "{mean_n} {mean_e}"
        );
        // The altitude and the rest of the point stay.
        assert!(
            draws("slack-tube", 10)
                .iter()
                .all(|d| d.launch.alt_m == 15.0)
        );
    }

    #[test]
    fn overshoot_is_uniform_to_500_m_and_leak_log_uniform_from_0_1_to_3() {
        let d = draws("ffnk-tube", 4000);
        let over: Vec<f64> = d.iter().map(|d| d.overshoot_m.unwrap()).collect();
        assert!(over.iter().all(|&o| (0.0..500.0).contains(&o)));
        let (mean, sd) = mean_sd(&over);
        assert!(
            (mean - 250.0).abs() < 8.0 && (sd - 144.3).abs() < 5.0,
            "{mean} {sd}"
        );
        let leak: Vec<f64> = d.iter().map(|d| d.leak_pct_h.unwrap()).collect();
        assert!(leak.iter().all(|&l| (0.1..3.0).contains(&l)));
        // ln(leak) uniform on [ln 0.1, ln 3]: mean ln √0.3, sd (ln 30)/√12; median √0.3 %/h.
        let ln: Vec<f64> = leak.iter().map(|l| l.ln()).collect();
        let (mean, sd) = mean_sd(&ln);
        assert!((mean - 0.3f64.sqrt().ln()).abs() < 0.04, "{mean}");
        assert!((sd - 30f64.ln() / 12f64.sqrt()).abs() < 0.03, "{sd}");
        let below_1 = leak.iter().filter(|&&l| l < 1.0).count() as f64 / 4000.0;
        assert!(
            (below_1 - 10f64.ln() / 30f64.ln()).abs() < 0.025,
            "{below_1}"
        );
    }

    #[test]
    fn bundle_fall_speed_is_uniform_within_20_percent() {
        let f: Vec<f64> = draws("sack", 4000).iter().map(|d| d.fall_factor).collect();
        assert!(f.iter().all(|&x| (0.8..=1.2).contains(&x)));
        let (mean, sd) = mean_sd(&f);
        assert!(
            (mean - 1.0).abs() < 0.005 && (sd - 0.4 / 12f64.sqrt()).abs() < 0.004,
            "{mean} {sd}"
        );
        // The measured free lift and the drag: lognormal 0.10; sizes 5 % (1σ).
        let d = draws("sack", 4000);
        let (_, sd_ln) = mean_sd(&d.iter().map(|d| d.ascent_factor.ln()).collect::<Vec<_>>());
        assert!((sd_ln - 0.10).abs() < 0.004, "{sd_ln}");
        let (_, sd_ln) = mean_sd(&d.iter().map(|d| d.drag_factor.ln()).collect::<Vec<_>>());
        assert!((sd_ln - 0.10).abs() < 0.004, "{sd_ln}");
        // P0 keeps the spec's 0.15 on its ascent rate.
        let p0 = draws("standard", 4000);
        let (_, sd_ln) = mean_sd(&p0.iter().map(|d| d.ascent_factor.ln()).collect::<Vec<_>>());
        assert!((sd_ln - 0.15).abs() < 0.006, "{sd_ln}");
        let (m, sd) = mean_sd(&d.iter().map(|d| d.volume_factor).collect::<Vec<_>>());
        assert!(
            (m - 1.0).abs() < 0.003 && (sd - 0.05).abs() < 0.003,
            "{m} {sd}"
        );
    }

    #[test]
    fn draws_depend_only_on_seed_window_and_member() {
        let a = draws("ffnk-3stage", 5);
        assert_eq!(a, draws("ffnk-3stage", 5));
        assert_ne!(a[0], a[1]);
    }

    fn landing(lat: f64, outcome: Outcome, heavy: bool) -> Landing {
        Landing {
            payload: PayloadClass::Envelope,
            point: Point {
                t_unix_s: T0,
                lat,
                lon: 127.0,
                alt_m: 0.0,
            },
            outcome,
            fraction: 1.0,
            heavy: heavy.then_some(HeavyFall {
                mass_kg: Some(13.0),
                fall_m_s: None,
                why: HeavyWhy::Tied,
            }),
        }
    }

    #[test]
    fn heavy_stats_count_members_not_landings() {
        let member = |heavy: Vec<Landing>| MemberResult {
            landings: heavy.clone(),
            primary: 0,
            heavy,
            track: None,
            failure: None,
            forecast_member: 0,
        };
        // The caller's map: lat 37 is a town (place 4), 36 South Korea, 39 elsewhere.
        let risk = |lat: f64, _lon: f64| match lat as i32 {
            37 => FallRisk::Populated(4),
            36 => FallRisk::South,
            _ => FallRisk::Elsewhere,
        };
        let run = WindowRun {
            launch: launch(),
            members: vec![
                // Two heavy falls in the town: one member.
                member(vec![
                    landing(37.5, Outcome::Ground, true),
                    landing(37.6, Outcome::Ground, true),
                ]),
                member(vec![landing(36.5, Outcome::Ground, true)]),
                member(vec![landing(39.0, Outcome::Ground, true)]),
                // Still aloft: not a fall; at sea: a fall, not on land.
                member(vec![landing(37.5, Outcome::LeftDomain, true)]),
                member(vec![landing(37.5, Outcome::Sea, true)]),
                member(vec![]),
                member(vec![]),
                member(vec![]),
            ],
            leaflet_cells: BTreeMap::new(),
            leaflets_total: 0,
        };
        let h = heavy_stats(&run, &risk);
        assert_eq!(h.p_heavy, 4.0 / 8.0);
        assert_eq!(h.p_heavy_south, 2.0 / 8.0);
        assert_eq!(h.p_heavy_populated_south, 1.0 / 8.0);
        assert_eq!(h.places, vec![(4, 1.0 / 8.0)]);
    }

    struct Layered;
    impl WindField for Layered {
        fn wind(
            &self,
            _t: f64,
            _lat: f64,
            _lon: f64,
            alt_m: f64,
        ) -> Result<saebaram_forecast::Wind, saebaram_forecast::OutOfDomain> {
            if alt_m > 6000.0 {
                return Err(saebaram_forecast::OutOfDomain {
                    axis: saebaram_forecast::Axis::Altitude,
                    t_unix_s: 0.0,
                    lat: 0.0,
                    lon: 0.0,
                    alt_m,
                });
            }
            // u grows linearly with height, v is constant.
            Ok(saebaram_forecast::Wind {
                u_m_s: alt_m / 1000.0,
                v_m_s: -3.0,
                density_kg_m3: 1.0,
            })
        }
        fn coverage(&self) -> saebaram_forecast::Coverage {
            unimplemented!("not needed")
        }
    }

    #[test]
    fn layer_mean_wind_is_the_height_average() {
        let at = Point {
            alt_m: 0.0,
            ..launch()
        };
        // Mean of u = z/1000 over 0..5000 m is 2.5 m/s (exact for the trapezoid rule).
        let (u, v) = layer_mean_wind(&Layered, at, 5000.0, 100.0).unwrap();
        assert!((u - 2.5).abs() < 1e-9 && (v + 3.0).abs() < 1e-9, "{u} {v}");
        assert!(layer_mean_wind(&Layered, at, 7000.0, 100.0).is_err());
    }

    #[test]
    fn members_cycle_through_the_forecast_members() {
        use saebaram_forecast::UniformWind;
        let north = UniformWind {
            u_m_s: 0.0,
            v_m_s: 12.0,
        };
        let south = UniformWind {
            u_m_s: 0.0,
            v_m_s: -12.0,
        };
        let profile = Profile::preset("standard").unwrap();
        let mut spec = EnsembleSpec::new(30, 5, T0);
        spec.noise = NoiseSpec::sub_grid();
        let fields: [&dyn WindField; 3] = [&north, &south, &north];
        let run = run_window_members(
            &fields,
            &crate::integrate::FlatEarth,
            &profile,
            &spec,
            0,
            launch(),
        )
        .unwrap();
        for (m, r) in run.members.iter().enumerate() {
            assert_eq!(r.forecast_member as usize, m % 3);
        }
        let lat0 = launch().lat;
        let classify = |lat: f64, _: f64| {
            if lat > lat0 {
                LandClass::North
            } else {
                LandClass::South
            }
        };
        let none = |_: f64, _: f64| 0.0;
        // Two forecast members in three blow north: P(North) = 2/3, and each forecast
        // member's own statistics say all or nothing.
        let all = window_stats(&run, &classify, &none);
        assert!((all.p_north - 2.0 / 3.0).abs() < 1e-12, "{all:?}");
        let by = window_stats_by_forecast_member(&run, &classify, &none);
        assert_eq!(by.len(), 3);
        assert_eq!(
            by.iter()
                .map(|b| (b.0, b.1, b.2.p_north))
                .collect::<Vec<_>>(),
            vec![(0, 10, 1.0), (1, 10, 0.0), (2, 10, 1.0)]
        );
        // One field: the same as run_window, member for member.
        let one = run_window(
            &north,
            &crate::integrate::FlatEarth,
            &profile,
            &spec,
            0,
            launch(),
        )
        .unwrap();
        let also = run_window_members(
            &[&north],
            &crate::integrate::FlatEarth,
            &profile,
            &spec,
            0,
            launch(),
        )
        .unwrap();
        assert_eq!(one, also);
        assert!(one.members.iter().all(|m| m.forecast_member == 0));
        // Member 0 flies field 0 with the same draws whatever the other fields are.
        assert_eq!(run.members[0], one.members[0]);
    }

    /// A wind that turns and strengthens with time and shears with height: u = 6 + 0.8·t_h +
    /// z/1000, v = 4 - 0.9·t_h m/s, on a 1° grid over Korea, 7 times 2 h apart.
    fn turning_wind() -> saebaram_forecast::Forecast {
        let levels = vec![1000.0, 925.0, 850.0, 700.0, 500.0, 400.0, 300.0];
        let grid = saebaram_forecast::Grid {
            lat0: 30.0,
            dlat: 1.0,
            nlat: 16,
            lon0: 118.0,
            dlon: 1.0,
            nlon: 20,
        };
        let times: Vec<i64> = (0..7).map(|k| T0 as i64 + k * 7200).collect();
        let mut values = Vec::new();
        for k in 0..times.len() {
            let th = 2.0 * k as f64;
            for _ in 0..grid.nlat * grid.nlon {
                for &p in &levels {
                    let z = saebaram_forecast::isa::altitude_m(p);
                    values.extend([
                        (6.0 + 0.8 * th + z / 1000.0) as f32,
                        (4.0 - 0.9 * th) as f32,
                        z as f32,
                        saebaram_forecast::isa::temperature_k(z) as f32,
                    ]);
                }
            }
        }
        saebaram_forecast::Forecast::from_values("turning", T0 as i64, times, levels, grid, values)
            .unwrap()
    }

    #[test]
    fn reference_scatter_matches_flying_every_particle() {
        let f = turning_wind();
        let profile = Profile::preset("slack-tube").unwrap();
        let from = Point {
            t_unix_s: T0 + 1800.0,
            lat: 37.9,
            lon: 126.7,
            alt_m: 5500.0,
        };
        let t_max = T0 + 12.0 * 3600.0;
        let n = 3000;
        let noise = WindNoise::draw(
            &NoiseSpec::sub_grid(),
            &mut Stream::new(1, 0, 0),
            T0,
            12.0 * 3600.0,
            T0,
        );
        let mut exact = Vec::new();
        crate::flight::scatter_leaflets(
            &f,
            &crate::integrate::FlatEarth,
            &profile,
            from,
            n,
            t_max,
            Some(&noise),
            &mut Stream::new(7, 0, 0),
            &mut Turbulence::default(),
            &mut exact,
        );
        let mut fast = Vec::new();
        scatter_by_reference(
            &f,
            &crate::integrate::FlatEarth,
            &profile,
            from,
            n,
            t_max,
            Some(&noise),
            &mut Stream::new(8, 0, 0),
            &mut fast,
        );
        assert_eq!((exact.len(), fast.len()), (n as usize, n as usize));
        assert!(fast.iter().all(|p| p.1 == Outcome::Ground));
        let km = |d_deg: f64| d_deg * 111.2;
        let summary = |ps: &[(Point, Outcome)]| {
            let mut lat: Vec<f64> = ps.iter().map(|p| p.0.lat).collect();
            let mut lon: Vec<f64> = ps.iter().map(|p| p.0.lon).collect();
            let (_, sd_lat) = mean_sd(&lat);
            let (_, sd_lon) = mean_sd(&lon);
            (median(&mut lat), median(&mut lon), sd_lat, sd_lon)
        };
        let (a, b) = (summary(&exact), summary(&fast));
        let coslat = 37.9f64.to_radians().cos();
        // The drift is ~75 km east: medians within 1.5 km, the spread along the drift (the
        // fall speeds') within 8 %. Across it (turbulence: ~4 km) the exact scatter's
        // interpolated AR(1) lattice has ~8 % more spread than the Ornstein-Uhlenbeck
        // formula (2.16·σ²τT against 2σ²τ(T - τ) for a 2.5 h fall): within 25 %.
        assert!(km(a.0 - b.0).abs() < 1.5, "{a:?} {b:?}");
        assert!(km((a.1 - b.1) * coslat).abs() < 1.5, "{a:?} {b:?}");
        assert!((a.3 / b.3 - 1.0).abs() < 0.08, "{a:?} {b:?}");
        assert!((0.8..1.25).contains(&(a.2 / b.2)), "{a:?} {b:?}");
        let drift = km(a.0 - from.lat).hypot(km((a.1 - from.lon) * coslat));
        assert!(drift > 50.0, "{drift}");
    }

    #[test]
    fn sub_grid_noise_does_not_grow_with_lead() {
        let s = NoiseSpec::sub_grid();
        assert_eq!(s.sigma_m_s(0.0), 1.5);
        assert_eq!(s.sigma_m_s(5.0 * 86_400.0), 1.5);
        assert_eq!(s.float_walk_m_s, NoiseSpec::default().float_walk_m_s);
    }

    #[test]
    fn noise_spec_defaults_are_the_spec() {
        let n = NoiseSpec::default();
        assert_eq!((n.float_walk_m_s, n.float_walk_tau_s), (1.0, 3600.0));
        let e = EnsembleSpec::new(200, 1, T0);
        assert_eq!(e.launch_time_jitter_s, 1800.0);
        assert_eq!(e.launch_radius_m, 500.0);
        assert_eq!(e.overshoot_range_m, (0.0, 500.0));
        assert_eq!(e.leak_range_pct_h, (0.1, 3.0));
        assert_eq!(e.bundle_spread, 0.2);
    }
}
