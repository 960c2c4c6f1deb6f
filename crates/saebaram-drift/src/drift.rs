//! One bottle: velocity = current + windage × 10 m wind (+ Stokes drift when the currents
//! file has it separately), integrated with RK4 or Euler at a fixed step on WGS 84, ended by
//! the coast, the forcing's land mask, the edge of the forcing or the end of its hours.
//!
//! The state is (longitude, latitude) in degrees on WGS 84, the datum of GPS positions and of
//! the coastline; a velocity (east, north) in m/s moves it by `dlat = v·dt/M` and
//! `dlon = u·dt/(N·cos lat)`, M and N the ellipsoid's meridional and prime-vertical radii of
//! curvature at the latitude (a sphere of mean radius would be 0.2-0.7 % off in the north
//! component between 35 and 62N, and tracks of 100 km half a kilometre apart; OpenDrift
//! moves on WGS 84 too). A stage of RK4 that falls outside the forcing ends the drift at the
//! last whole step with the reason; it is never given a zero current.

use crate::field::{Sample, VectorField};

/// Mean earth radius, metres (IUGG R1; Moritz 2000, "Geodetic Reference System 1980"), for
/// the throw-point spread of ensembles.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// WGS 84 semi-major axis, metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS 84 first eccentricity squared, f·(2 - f) with f = 1/298.257223563.
pub const WGS84_E2: f64 = (2.0 - 1.0 / 298.257_223_563) / 298.257_223_563;

/// WGS 84's meridional (M) and prime-vertical (N) radii of curvature at a latitude, metres:
/// a northward metre is 1/M radians of latitude, an eastward one 1/(N·cos lat) of longitude.
#[inline]
pub fn radii_of_curvature(lat_deg: f64) -> (f64, f64) {
    let s = lat_deg.to_radians().sin();
    let w2 = 1.0 - WGS84_E2 * s * s;
    let n = WGS84_A / w2.sqrt();
    (n * (1.0 - WGS84_E2) / w2, n)
}

/// Land or sea, for stranding. The crate knows no map: the caller adapts its coastline.
pub trait Coast: Sync {
    /// True where the point is on land.
    fn is_land(&self, lon: f64, lat: f64) -> bool;
}

/// No coastline: bottles only stop at the forcing's mask or edges.
#[derive(Debug, Clone, Copy)]
pub struct OpenSea;

impl Coast for OpenSea {
    fn is_land(&self, _lon: f64, _lat: f64) -> bool {
        false
    }
}

/// The forcing a bottle moves in.
#[derive(Debug, Clone, Copy)]
pub struct Forcing<'a> {
    /// Surface currents, east/north m/s.
    pub currents: &'a VectorField,
    /// Stokes drift to add (only when the currents do not already contain it).
    pub stokes: Option<&'a VectorField>,
    /// 10 m wind, for windage.
    pub wind: Option<&'a VectorField>,
}

/// One bottle's own parameters (drawn per ensemble member).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Params {
    /// Fraction of the 10 m wind added to the current (0.02 = 2 %).
    pub windage: f64,
    /// A constant error added to the current, east and north, m/s.
    pub current_error_m_s: (f64, f64),
}

/// The integration scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Classical fourth-order Runge-Kutta (four lookups a step).
    Rk4,
    /// Forward Euler (one lookup a step), for comparison.
    Euler,
}

/// How to integrate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Config {
    /// Fixed step, seconds (default 900 s = 15 min).
    pub step_s: f64,
    /// Longest drift, seconds.
    pub duration_s: f64,
    /// The scheme.
    pub scheme: Scheme,
    /// Keep a track point this often, seconds (rounded to whole steps; the end is always kept).
    pub record_every_s: f64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            step_s: 900.0,
            duration_s: 48.0 * 3600.0,
            scheme: Scheme::Rk4,
            record_every_s: 3600.0,
        }
    }
}

impl Config {
    /// Checks the ranges.
    pub fn check(&self) -> Result<(), crate::Error> {
        if !(self.step_s >= 1.0 && self.step_s <= 6.0 * 3600.0) {
            return Err(crate::Error::Config {
                what: "the time step",
                allowed: "between 1 s and 6 h",
                value: self.step_s,
            });
        }
        if !(self.duration_s > 0.0 && self.duration_s <= 60.0 * 86400.0) {
            return Err(crate::Error::Config {
                what: "the drift duration",
                allowed: "above 0 and at most 60 days",
                value: self.duration_s,
            });
        }
        Ok(())
    }
}

/// Which forcing a lookup failed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    /// The currents.
    Currents,
    /// The Stokes drift.
    Stokes,
    /// The wind.
    Wind,
}

/// A point of a track.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TrackPoint {
    /// UNIX seconds.
    pub t_s: f64,
    /// Degrees east.
    pub lon: f64,
    /// Degrees north.
    pub lat: f64,
}

/// Why a drift ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum End {
    /// Still at sea when the duration ran out.
    Afloat,
    /// Reached the coastline (the end point is where the path crossed it).
    Stranded,
    /// Entered a cell the forcing masks as land all round (its coast is coarser than the map's).
    ForcingLand {
        /// Which forcing's mask.
        forcing: Which,
    },
    /// Left the forcing's area.
    LeftArea {
        /// Which forcing.
        forcing: Which,
    },
    /// The forcing's hours ended.
    ForcingEnded {
        /// Which forcing.
        forcing: Which,
    },
}

/// A drift: kept points and how it ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Track {
    /// Points every `record_every_s`, from the throw; the last is `end_point`.
    pub points: Vec<TrackPoint>,
    /// The last point: where and when it stranded, left, or stopped.
    pub end_point: TrackPoint,
    /// Why it ended.
    pub end: End,
    /// Steps integrated (for speed accounting: RK4 does four lookups a step).
    pub steps: u64,
}

#[derive(Debug, Clone, Copy)]
enum Stop {
    Outside(Which),
    Time(Which),
    Masked(Which),
}

impl Stop {
    fn end(self) -> End {
        match self {
            Stop::Outside(w) => End::LeftArea { forcing: w },
            Stop::Time(w) => End::ForcingEnded { forcing: w },
            Stop::Masked(w) => End::ForcingLand { forcing: w },
        }
    }
}

#[inline]
fn look(field: &VectorField, which: Which, t: f64, lon: f64, lat: f64) -> Result<(f64, f64), Stop> {
    match field.sample(t, lon, lat) {
        Sample::Value(u, v) => Ok((u, v)),
        Sample::OutsideArea => Err(Stop::Outside(which)),
        Sample::OutsideTime => Err(Stop::Time(which)),
        Sample::Masked => Err(Stop::Masked(which)),
    }
}

/// The bottle's velocity, east/north m/s.
#[inline]
pub fn velocity(
    forcing: &Forcing<'_>,
    params: &Params,
    t_s: f64,
    lon: f64,
    lat: f64,
) -> Result<(f64, f64), End> {
    velocity_inner(forcing, params, t_s, lon, lat).map_err(Stop::end)
}

#[inline]
fn velocity_inner(
    forcing: &Forcing<'_>,
    params: &Params,
    t: f64,
    lon: f64,
    lat: f64,
) -> Result<(f64, f64), Stop> {
    let (mut u, mut v) = look(forcing.currents, Which::Currents, t, lon, lat)?;
    u += params.current_error_m_s.0;
    v += params.current_error_m_s.1;
    if let Some(stokes) = forcing.stokes {
        // Stokes drift from a wave model is masked where waves are not computed; there the
        // term is left out rather than the bottle stopped.
        match stokes.sample(t, lon, lat) {
            Sample::Value(su, sv) => {
                u += su;
                v += sv;
            }
            Sample::Masked => {}
            Sample::OutsideArea => return Err(Stop::Outside(Which::Stokes)),
            Sample::OutsideTime => return Err(Stop::Time(Which::Stokes)),
        }
    }
    if let Some(wind) = forcing.wind
        && params.windage != 0.0
    {
        match wind.sample(t, lon, lat) {
            Sample::Value(wu, wv) => {
                u += params.windage * wu;
                v += params.windage * wv;
            }
            // Atmospheric models mask nothing over the sea; a masked wind is a fill.
            Sample::Masked => return Err(Stop::Masked(Which::Wind)),
            Sample::OutsideArea => return Err(Stop::Outside(Which::Wind)),
            Sample::OutsideTime => return Err(Stop::Time(Which::Wind)),
        }
    }
    Ok((u, v))
}

/// Degrees per second of longitude and latitude for a velocity at a latitude.
#[inline]
fn rates(u: f64, v: f64, lat: f64) -> (f64, f64) {
    let (sin, cos) = lat.to_radians().sin_cos();
    let w2 = 1.0 - WGS84_E2 * sin * sin;
    let n = WGS84_A / w2.sqrt();
    let m = n * (1.0 - WGS84_E2) / w2;
    ((u / (n * cos)).to_degrees(), (v / m).to_degrees())
}

/// One step from (lon, lat) at `t` of length `h`.
#[inline]
fn step(
    forcing: &Forcing<'_>,
    params: &Params,
    scheme: Scheme,
    t: f64,
    lon: f64,
    lat: f64,
    h: f64,
) -> Result<(f64, f64), Stop> {
    let f = |t: f64, lon: f64, lat: f64| -> Result<(f64, f64), Stop> {
        let (u, v) = velocity_inner(forcing, params, t, lon, lat)?;
        Ok(rates(u, v, lat))
    };
    match scheme {
        Scheme::Euler => {
            let k1 = f(t, lon, lat)?;
            Ok((lon + h * k1.0, lat + h * k1.1))
        }
        Scheme::Rk4 => {
            let k1 = f(t, lon, lat)?;
            let k2 = f(t + h / 2.0, lon + h / 2.0 * k1.0, lat + h / 2.0 * k1.1)?;
            let k3 = f(t + h / 2.0, lon + h / 2.0 * k2.0, lat + h / 2.0 * k2.1)?;
            let k4 = f(t + h, lon + h * k3.0, lat + h * k3.1)?;
            Ok((
                lon + h / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0),
                lat + h / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1),
            ))
        }
    }
}

/// Drifts one bottle thrown at `t0_s` from (lon, lat). A throw point on land strands at once.
pub fn drift(
    forcing: &Forcing<'_>,
    coast: &dyn Coast,
    params: &Params,
    config: &Config,
    t0_s: f64,
    lon: f64,
    lat: f64,
) -> Track {
    let start = TrackPoint {
        t_s: t0_s,
        lon,
        lat,
    };
    let mut points = vec![start];
    if coast.is_land(lon, lat) {
        return Track {
            points,
            end_point: start,
            end: End::Stranded,
            steps: 0,
        };
    }
    let record_every = ((config.record_every_s / config.step_s).round() as u64).max(1);
    let t_end = t0_s + config.duration_s;
    let (mut t, mut x, mut y) = (t0_s, lon, lat);
    let mut steps = 0u64;
    let end = loop {
        if t >= t_end - 1e-9 {
            break End::Afloat;
        }
        let h = config.step_s.min(t_end - t);
        let (nx, ny) = match step(forcing, params, config.scheme, t, x, y, h) {
            Ok(next) => next,
            Err(stop) => break stop.end(),
        };
        steps += 1;
        if coast.is_land(nx, ny) {
            // Bisect the straight segment for where it meets the coast (20 halvings of a
            // 15-minute step: under a millisecond).
            let (mut a, mut b) = (0.0f64, 1.0f64);
            for _ in 0..20 {
                let m = 0.5 * (a + b);
                if coast.is_land(x + m * (nx - x), y + m * (ny - y)) {
                    b = m;
                } else {
                    a = m;
                }
            }
            t += b * h;
            x += b * (nx - x);
            y += b * (ny - y);
            break End::Stranded;
        }
        t += h;
        x = nx;
        y = ny;
        if steps.is_multiple_of(record_every) {
            points.push(TrackPoint {
                t_s: t,
                lon: x,
                lat: y,
            });
        }
    };
    let end_point = TrackPoint {
        t_s: t,
        lon: x,
        lat: y,
    };
    if points.last() != Some(&end_point) {
        points.push(end_point);
    }
    Track {
        points,
        end_point,
        end,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Axis, Grid, Horizontal};

    fn still() -> Params {
        Params {
            windage: 0.0,
            current_error_m_s: (0.0, 0.0),
        }
    }

    /// Metres per degree of latitude and of longitude at the equator (M and N there).
    fn m_per_deg_at_equator() -> (f64, f64) {
        let (m, n) = radii_of_curvature(0.0);
        (m.to_radians(), n.to_radians())
    }

    /// The meridian arc from the equator to `phi` (radians), metres, by Simpson's rule on
    /// 20,000 intervals: independent of the integrator under test.
    fn meridian_arc(phi: f64) -> f64 {
        let m = |p: f64| WGS84_A * (1.0 - WGS84_E2) / (1.0 - WGS84_E2 * p.sin().powi(2)).powf(1.5);
        let n = 20_000;
        let h = phi / n as f64;
        let inner: f64 = (1..n)
            .map(|i| m(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        h / 3.0 * (m(0.0) + inner + m(phi))
    }

    #[test]
    fn radii_of_curvature_are_wgs84s() {
        // At the equator M = a(1 - e²) and N = a; at the pole both are a/sqrt(1 - e²)
        // (Snyder 1987, eqs. 4-18 and 4-20; 6,335,439 m, 6,378,137 m and 6,399,594 m).
        let (m, n) = radii_of_curvature(0.0);
        assert!((m - 6_335_439.327).abs() < 1e-3 && n == WGS84_A, "{m} {n}");
        let (m, n) = radii_of_curvature(90.0);
        assert!(
            (m - 6_399_593.626).abs() < 1e-3 && (n - m).abs() < 1e-6,
            "{m} {n}"
        );
        // A degree of latitude: 111,132.954 - 559.822 cos 2φ + 1.175 cos 4φ m on WGS 84 (the
        // usual series, good to a few centimetres): 111,131.779 m at 45N, 110,574.3 m at 0.
        for lat in [0.0f64, 37.7, 45.0, 60.5] {
            let (m, _) = radii_of_curvature(lat);
            let series = 111_132.954 - 559.822 * (2.0 * lat).to_radians().cos()
                + 1.175 * (4.0 * lat).to_radians().cos();
            assert!(
                (m.to_radians() - series).abs() < 0.05,
                "{lat}: {}",
                m.to_radians()
            );
        }
    }

    #[test]
    fn uniform_current_matches_the_rhumb_line() {
        // u, v constant on the ellipsoid: the meridian arc grows by v·t, and along a rhumb
        // line dλ = (u/v)·dψ with ψ the isometric latitude
        // ln tan(π/4 + φ/2) + (e/2)·ln((1 - e sin φ)/(1 + e sin φ)) (Snyder 1987, eq. 3-7).
        // u and v are exact in f32 (the field stores f32).
        let (u, v) = (0.625, 0.25);
        let currents = VectorField::uniform(u, v);
        let forcing = Forcing {
            currents: &currents,
            stokes: None,
            wind: None,
        };
        let config = Config {
            duration_s: 48.0 * 3600.0,
            ..Config::default()
        };
        let track = drift(&forcing, &OpenSea, &still(), &config, 0.0, 126.3, 37.7);
        assert_eq!(track.end, End::Afloat);
        let t = config.duration_s;
        let phi0 = 37.7f64.to_radians();
        // The latitude whose arc is v·t further north, by bisection.
        let target = meridian_arc(phi0) + v * t;
        let (mut lo, mut hi) = (phi0, phi0 + 0.01);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if meridian_arc(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let phi1 = 0.5 * (lo + hi);
        let e = WGS84_E2.sqrt();
        let psi = |p: f64| {
            (std::f64::consts::FRAC_PI_4 + p / 2.0).tan().ln()
                + e / 2.0 * ((1.0 - e * p.sin()) / (1.0 + e * p.sin())).ln()
        };
        let lon1 = 126.3 + (u / v * (psi(phi1) - psi(phi0))).to_degrees();
        let end = track.end_point;
        assert!(
            (end.lat - phi1.to_degrees()).abs() < 1e-9,
            "{} vs {}",
            end.lat,
            phi1.to_degrees()
        );
        assert!((end.lon - lon1).abs() < 1e-8, "{} vs {lon1}", end.lon);
        assert_eq!(track.steps, 192);
        assert_eq!(track.points.len(), 49);
    }

    #[test]
    fn windage_adds_a_fraction_of_the_wind() {
        let currents = VectorField::uniform(0.0, 0.0);
        let wind = VectorField::uniform(0.0, 10.0);
        let forcing = Forcing {
            currents: &currents,
            stokes: None,
            wind: Some(&wind),
        };
        let params = Params {
            windage: 0.02,
            current_error_m_s: (0.0, 0.0),
        };
        let config = Config {
            duration_s: 3600.0,
            ..Config::default()
        };
        let track = drift(&forcing, &OpenSea, &params, &config, 0.0, 126.0, 37.0);
        // M changes by 1e-7 over the 720 m: M at the middle latitude is exact enough.
        let (m, _) = radii_of_curvature(0.5 * (37.0 + track.end_point.lat));
        let north_m = (track.end_point.lat - 37.0).to_radians() * m;
        assert!((north_m - 720.0).abs() < 1e-6, "{north_m}");
    }

    /// Solid-body rotation at angular speed ω about (0°, 0°) in degrees (the east component
    /// scaled by N, the north one by M at the equator), linear in lon/lat so the bilinear
    /// interpolation is exact.
    fn rotating(omega: f64) -> VectorField {
        let nodes: Vec<f64> = (0..=10).map(|i| -1.0 + 0.2 * i as f64).collect();
        let grid = Grid {
            x: Axis::new(nodes.clone()).unwrap(),
            y: Axis::new(nodes.clone()).unwrap(),
            horizontal: Horizontal::LonLat { lon_0_360: false },
        };
        let (mut us, mut vs) = (Vec::new(), Vec::new());
        for _t in 0..1 {
            for lat in &nodes {
                for lon in &nodes {
                    us.push((-omega * lat * m_per_deg_at_equator().1) as f32);
                    vs.push((omega * lon * m_per_deg_at_equator().0) as f32);
                }
            }
        }
        VectorField::new(grid, vec![0.0], us, vs).unwrap()
    }

    #[test]
    fn rotating_current_rk4_keeps_the_circle_euler_spirals_out() {
        // Period 12 h; radius 0.1° (11 km). The exact path is the circle. Forward Euler
        // multiplies the radius by sqrt(1 + (ωh)²) every step, a closed form of its own.
        let omega = 2.0 * std::f64::consts::PI / (12.0 * 3600.0);
        let currents = rotating(omega);
        let forcing = Forcing {
            currents: &currents,
            stokes: None,
            wind: None,
        };
        let h = 900.0;
        let period = 12.0 * 3600.0;
        let rk4 = Config {
            step_s: h,
            duration_s: period,
            scheme: Scheme::Rk4,
            record_every_s: h,
        };
        let track = drift(&forcing, &OpenSea, &still(), &rk4, 0.0, 0.1, 0.0);
        let r = |p: &TrackPoint| p.lon.hypot(p.lat);
        // The metric's change within 0.1° of the equator (cos lat and M/M(0) within 2e-6 of
        // 1) is the only difference.
        for p in &track.points {
            assert!((r(p) - 0.1).abs() < 1e-6, "radius {}", r(p));
        }
        let e = track.end_point;
        assert!((e.lon - 0.1).abs() < 1e-5 && e.lat.abs() < 1e-5, "{e:?}");
        let euler = Config {
            scheme: Scheme::Euler,
            ..rk4
        };
        let track = drift(&forcing, &OpenSea, &still(), &euler, 0.0, 0.1, 0.0);
        let expected = 0.1 * (1.0 + (omega * h).powi(2)).powf(48.0 / 2.0);
        assert!(
            (r(&track.end_point) - expected).abs() < 1e-5 * expected,
            "{} vs {expected}",
            r(&track.end_point)
        );
    }

    struct EastOf(f64);
    impl Coast for EastOf {
        fn is_land(&self, lon: f64, _lat: f64) -> bool {
            lon >= self.0
        }
    }

    #[test]
    fn strands_on_a_synthetic_coast_at_the_right_time_and_place() {
        let currents = VectorField::uniform(1.0, 0.0);
        let forcing = Forcing {
            currents: &currents,
            stokes: None,
            wind: None,
        };
        let track = drift(
            &forcing,
            &EastOf(126.5),
            &still(),
            &Config::default(),
            1000.0,
            126.4,
            0.0,
        );
        assert_eq!(track.end, End::Stranded);
        let expected_s = 0.1 * m_per_deg_at_equator().1;
        assert!(
            (track.end_point.t_s - 1000.0 - expected_s).abs() < 1.0,
            "{:?}",
            track.end_point
        );
        assert!((track.end_point.lon - 126.5).abs() < 1e-5);
    }

    #[test]
    fn leaving_the_forcing_is_reported_not_zeroed() {
        let currents = rotating(0.0);
        let wind = VectorField::uniform(0.0, 0.0);
        let forcing = Forcing {
            currents: &VectorField::uniform(1.0, 0.0),
            stokes: None,
            wind: Some(&wind),
        };
        let _ = currents;
        let grid_field = {
            let grid = Grid {
                x: Axis::new(vec![0.0, 0.01]).unwrap(),
                y: Axis::new(vec![0.0, 0.01]).unwrap(),
                horizontal: Horizontal::LonLat { lon_0_360: false },
            };
            VectorField::new(grid, vec![0.0, 3600.0], vec![1.0; 8], vec![0.0; 8]).unwrap()
        };
        let forcing = Forcing {
            currents: &grid_field,
            ..forcing
        };
        let track = drift(
            &forcing,
            &OpenSea,
            &still(),
            &Config::default(),
            0.0,
            0.0,
            0.005,
        );
        assert_eq!(
            track.end,
            End::LeftArea {
                forcing: Which::Currents
            }
        );
        assert!(track.end_point.lon < 0.01);
        let slow = VectorField::new(
            Grid {
                x: Axis::new(vec![0.0, 1.0]).unwrap(),
                y: Axis::new(vec![0.0, 1.0]).unwrap(),
                horizontal: Horizontal::LonLat { lon_0_360: false },
            },
            vec![0.0, 3600.0],
            vec![0.01; 8],
            vec![0.0; 8],
        )
        .unwrap();
        let forcing = Forcing {
            currents: &slow,
            ..forcing
        };
        let track = drift(
            &forcing,
            &OpenSea,
            &still(),
            &Config::default(),
            0.0,
            0.5,
            0.5,
        );
        assert_eq!(
            track.end,
            End::ForcingEnded {
                forcing: Which::Currents
            }
        );
        assert!((track.end_point.t_s - 3600.0).abs() < 1e-9);
    }
}
