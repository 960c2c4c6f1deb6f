//! The integrator: fixed-step RK4 over one stage, with the stage's end found by bisection on
//! the step's cubic Hermite interpolant (so a burst at 10 000 m ends at 10 000 m, not at the
//! next 60 s step, and costs no extra wind lookups).

use saebaram_forecast::{Axis, OutOfDomain};
use serde::Serialize;

/// Tawhiri's earth radius (m): spherical earth, radius + altitude.
pub const EARTH_RADIUS_M: f64 = 6_371_009.0;

/// A point of a trajectory: time (UNIX seconds, UTC), latitude and longitude (degrees,
/// longitude -180..180) and altitude (metres above mean sea level).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Seconds since the UNIX epoch, UTC.
    pub t_unix_s: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees (-180..180).
    pub lon: f64,
    /// Altitude, metres above mean sea level.
    pub alt_m: f64,
}

impl Point {
    fn add(&self, dt: f64, k: [f64; 3]) -> Point {
        Point {
            t_unix_s: self.t_unix_s + dt,
            lat: self.lat + dt * k[0],
            lon: self.lon + dt * k[1],
            alt_m: self.alt_m + dt * k[2],
        }
    }

    fn wrapped(mut self) -> Point {
        if self.lon >= 180.0 || self.lon < -180.0 {
            self.lon = (self.lon + 180.0).rem_euclid(360.0) - 180.0;
        }
        self
    }
}

/// Converts a velocity (east, north, up; m/s) at a point into (dlat/dt, dlon/dt, dalt/dt) in
/// degrees per second and m/s, as tawhiri does (spherical earth, radius + altitude).
#[inline]
pub fn rates_from_velocity(p: &Point, u_m_s: f64, v_m_s: f64, w_m_s: f64) -> [f64; 3] {
    let r = EARTH_RADIUS_M + p.alt_m;
    let dlat = (v_m_s / r).to_degrees();
    let dlon = (u_m_s / (r * cos_lat(p.lat.to_radians()))).to_degrees();
    [dlat, dlon, w_m_s]
}

/// `cos(x)` for a latitude in radians: its Taylor series to the x²⁰ term, whose remainder
/// is below 2e-17 on |x| <= π/2 (so as exact as `f64::cos` in absolute terms), at a third of
/// the cost of the libm call that every wind evaluation made; `f64::cos` outside.
#[inline]
fn cos_lat(x: f64) -> f64 {
    if x.abs() > std::f64::consts::FRAC_PI_2 {
        return x.cos();
    }
    let z = x * x;
    // 1 - z/2! + z²/4! - ... + z¹⁰/20!, by Horner from the top.
    const C: [f64; 11] = [
        1.0,
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 6_402_373_705_728_000.0,
        1.0 / 2_432_902_008_176_640_000.0,
    ];
    C.iter().rev().fold(0.0, |acc, &c| acc * z + c)
}

/// A velocity model: a pure function of the state giving rates.
pub trait Model {
    /// (dlat/dt, dlon/dt, dalt/dt) at `p`, or where the wind field has no data.
    fn rates(&self, p: &Point) -> Result<[f64; 3], OutOfDomain>;
}

/// Where the ground is: terrain height and land or sea. The flight crate knows no map: the
/// caller gives one (the command line adapts `saebaram-geo`).
pub trait Surface: Sync {
    /// Ground height at a point, metres above mean sea level (0 where no terrain data is known).
    fn ground_m(&self, _lat: f64, _lon: f64) -> f64 {
        0.0
    }
    /// True where the point is on water. `None` when unknown.
    fn is_sea(&self, _lat: f64, _lon: f64) -> Option<bool> {
        None
    }
}

/// Sea-level ground everywhere, land or sea unknown: the surface when no map is given.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlatEarth;

impl Surface for FlatEarth {}

/// A termination condition; a stage ends at the first that becomes true.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Term {
    /// Altitude at or above this many metres (burst, float start).
    AltAtLeast(f64),
    /// At or below the ground (from the [`Surface`]).
    Ground,
    /// At or after this time (timer, dispenser, maximum flight time).
    TimeAtLeast(f64),
    /// Below the ground (from the [`Surface`]) lowered by `offset_m` (zero or negative): the
    /// terrain a rising stage must not pass through, measured so that its start is clear.
    TerrainAbove {
        /// Added to the ground height, m.
        offset_m: f64,
    },
}

impl Term {
    fn fired(&self, p: &Point, surface: &dyn Surface) -> bool {
        match *self {
            Term::AltAtLeast(h) => p.alt_m >= h,
            Term::Ground => p.alt_m <= surface.ground_m(p.lat, p.lon),
            Term::TimeAtLeast(t) => p.t_unix_s >= t,
            Term::TerrainAbove { offset_m } => p.alt_m < surface.ground_m(p.lat, p.lon) + offset_m,
        }
    }
}

/// How a stage ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StageEnd {
    /// Termination `index` (into the stage's list) fired at `point`.
    Term {
        /// Which termination fired.
        index: usize,
        /// Where: the precise point (bisected).
        point: Point,
    },
    /// The wind field had no data beyond `point` (the last point with data).
    OutOfDomain {
        /// The last point with wind data.
        point: Point,
        /// Which axis the flight left the data on.
        axis: Axis,
    },
}

impl StageEnd {
    /// The last point of the stage.
    pub fn point(&self) -> Point {
        match *self {
            StageEnd::Term { point, .. } | StageEnd::OutOfDomain { point, .. } => point,
        }
    }
}

/// One RK4 step of `dt` seconds from `p` given `k1 = rates(p)`.
#[inline]
fn rk4_step<M: Model + ?Sized>(
    model: &M,
    p: &Point,
    k1: [f64; 3],
    dt: f64,
) -> Result<Point, OutOfDomain> {
    let h = dt / 2.0;
    let k2 = model.rates(&p.add(h, k1))?;
    let k3 = model.rates(&p.add(h, k2))?;
    let k4 = model.rates(&p.add(dt, k3))?;
    let mut k = [0.0; 3];
    for i in 0..3 {
        k[i] = (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0;
    }
    Ok(p.add(dt, k))
}

/// Cubic Hermite interpolation between `a` (rates `ka`) and `b` (rates `kb`) at fraction `s`.
fn hermite(a: &Point, ka: [f64; 3], b: &Point, kb: [f64; 3], dt: f64, s: f64) -> Point {
    let s2 = s * s;
    let s3 = s2 * s;
    let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
    let h10 = s3 - 2.0 * s2 + s;
    let h01 = -2.0 * s3 + 3.0 * s2;
    let h11 = s3 - s2;
    let f =
        |ya: f64, yb: f64, da: f64, db: f64| h00 * ya + h10 * dt * da + h01 * yb + h11 * dt * db;
    Point {
        t_unix_s: a.t_unix_s + s * dt,
        lat: f(a.lat, b.lat, ka[0], kb[0]),
        lon: f(a.lon, b.lon, ka[1], kb[1]),
        alt_m: f(a.alt_m, b.alt_m, ka[2], kb[2]),
    }
}

/// Bisection tolerance on time, seconds.
const BISECT_TOL_S: f64 = 1e-3;

/// Flies one stage from `start` with steps of `dt_s` until a termination fires or the wind
/// field runs out. Every step's end point is pushed to `out` (when given), and so is the
/// final point. The start point is not pushed.
pub fn fly_stage<M: Model + ?Sized>(
    model: &M,
    terms: &[Term],
    start: Point,
    dt_s: f64,
    surface: &dyn Surface,
    mut out: Option<&mut Vec<Point>>,
) -> StageEnd {
    let mut p = start;
    // A termination already true at the start ends the stage at once.
    if let Some(index) = terms.iter().position(|t| t.fired(&p, surface)) {
        return StageEnd::Term { index, point: p };
    }
    let mut k1 = match model.rates(&p) {
        Ok(k) => k,
        Err(e) => {
            return StageEnd::OutOfDomain {
                point: p,
                axis: e.axis,
            };
        }
    };
    loop {
        let mut dt = dt_s;
        let next = loop {
            match rk4_step(model, &p, k1, dt) {
                Ok(q) => break Ok(q),
                // Shrink the step to find the last point with data, to about a second.
                Err(_) if dt > 1.0 => dt /= 2.0,
                Err(e) => break Err(e),
            }
        };
        let q = match next {
            Ok(q) => q,
            Err(e) => {
                return StageEnd::OutOfDomain {
                    point: p,
                    axis: e.axis,
                };
            }
        };
        let fired = terms.iter().position(|t| t.fired(&q, surface));
        let kq = model.rates(&q);
        if let Some(first) = fired {
            // Bisect on the Hermite interpolant for the earliest termination.
            let kb = match kq {
                Ok(k) => k,
                // No rates at q: fall back to the straight line (Hermite with secant slopes).
                Err(_) => {
                    let mut s = [0.0; 3];
                    s[0] = (q.lat - p.lat) / dt;
                    s[1] = (q.lon - p.lon) / dt;
                    s[2] = (q.alt_m - p.alt_m) / dt;
                    s
                }
            };
            let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
            let mut index = first;
            while (hi - lo) * dt > BISECT_TOL_S {
                let mid = 0.5 * (lo + hi);
                let m = hermite(&p, k1, &q, kb, dt, mid);
                match terms.iter().position(|t| t.fired(&m, surface)) {
                    Some(i) => {
                        hi = mid;
                        index = i;
                    }
                    None => lo = mid,
                }
            }
            let end = hermite(&p, k1, &q, kb, dt, hi).wrapped();
            if let Some(out) = out.as_deref_mut() {
                out.push(end);
            }
            return StageEnd::Term { index, point: end };
        }
        let q = q.wrapped();
        if let Some(out) = out.as_deref_mut() {
            out.push(q);
        }
        match kq {
            Ok(k) => {
                p = q;
                k1 = k;
            }
            Err(e) => {
                return StageEnd::OutOfDomain {
                    point: q,
                    axis: e.axis,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Climb(f64);
    impl Model for Climb {
        fn rates(&self, p: &Point) -> Result<[f64; 3], OutOfDomain> {
            Ok(rates_from_velocity(p, 0.0, 0.0, self.0))
        }
    }

    #[test]
    fn bisection_finds_the_stage_end_between_steps() {
        let start = Point {
            t_unix_s: 0.0,
            lat: 37.0,
            lon: 126.0,
            alt_m: 0.0,
        };
        let end = fly_stage(
            &Climb(5.0),
            &[Term::AltAtLeast(1234.0)],
            start,
            60.0,
            &FlatEarth,
            None,
        );
        let p = end.point();
        assert!((p.alt_m - 1234.0).abs() < 0.01, "{p:?}");
        assert!((p.t_unix_s - 1234.0 / 5.0).abs() < 0.01);
    }

    #[test]
    fn ground_ends_a_descent() {
        let start = Point {
            t_unix_s: 0.0,
            lat: 37.0,
            lon: 126.0,
            alt_m: 1000.0,
        };
        let end = fly_stage(&Climb(-3.0), &[Term::Ground], start, 60.0, &FlatEarth, None);
        assert!(end.point().alt_m.abs() < 0.01);
        assert!((end.point().t_unix_s - 1000.0 / 3.0).abs() < 0.01);
    }

    #[test]
    fn cos_lat_matches_cos() {
        let mut deg = -95.0;
        while deg <= 95.0 {
            let x = f64::to_radians(deg);
            assert!((cos_lat(x) - x.cos()).abs() < 1e-15, "{deg}");
            deg += 0.137;
        }
    }

    #[test]
    fn longitude_wraps_at_the_antimeridian() {
        let p = Point {
            t_unix_s: 0.0,
            lat: 0.0,
            lon: 180.5,
            alt_m: 0.0,
        }
        .wrapped();
        assert!((p.lon + 179.5).abs() < 1e-9);
    }
}
