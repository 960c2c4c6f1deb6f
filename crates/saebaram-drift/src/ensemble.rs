//! Ensembles: N bottles per throw window, each drawing its throw time, throw point, windage
//! and current error first (one ChaCha8 stream per (seed, window, member)), then drifting
//! deterministically. Same seed, same tracks, at any thread count.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;

use crate::drift::{Coast, Config, EARTH_RADIUS_M, Forcing, Params, Track, drift};

/// How the members of a window differ.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    /// Throw times spread uniformly over ± this many seconds around the window's time.
    pub time_s: f64,
    /// Throw points spread normally with this standard deviation, metres, east and north
    /// (a point that falls on land is drawn again, up to 8 times, then the site itself).
    pub radius_m: f64,
    /// Windage drawn uniformly in [min, max].
    pub windage_min: f64,
    /// See `windage_min`.
    pub windage_max: f64,
    /// A constant current error per member, normal with this standard deviation, m/s, east
    /// and north independently.
    pub current_sigma_m_s: f64,
}

impl Default for Spread {
    fn default() -> Spread {
        // Windage 1-3 % around OpenDrift's default 2 % (`wind_drift_factor` of OceanDrift);
        // see docs/drift.md for why a half-filled PET bottle sits there.
        Spread {
            time_s: 600.0,
            radius_m: 100.0,
            windage_min: 0.01,
            windage_max: 0.03,
            current_sigma_m_s: 0.05,
        }
    }
}

impl Spread {
    /// Checks the ranges.
    pub fn check(&self) -> Result<(), crate::Error> {
        let bad = |what, allowed, value| {
            Err(crate::Error::Config {
                what,
                allowed,
                value,
            })
        };
        if !(0.0..=6.0 * 3600.0).contains(&self.time_s) {
            return bad("the throw-time spread", "between 0 and 6 h", self.time_s);
        }
        if !(0.0..=10_000.0).contains(&self.radius_m) {
            return bad(
                "the throw-point spread",
                "between 0 and 10 km",
                self.radius_m,
            );
        }
        if !(0.0..=0.1).contains(&self.windage_min)
            || !(self.windage_min..=0.1).contains(&self.windage_max)
        {
            return bad(
                "the windage range",
                "within 0-10 % with min <= max",
                self.windage_max,
            );
        }
        if !(0.0..=1.0).contains(&self.current_sigma_m_s) {
            return bad(
                "the current error",
                "between 0 and 1 m/s",
                self.current_sigma_m_s,
            );
        }
        Ok(())
    }
}

/// An ensemble of one window.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EnsembleSpec {
    /// The seed of every draw.
    pub seed: u64,
    /// Bottles per window.
    pub n_members: usize,
    /// How they differ.
    pub spread: Spread,
    /// How each drifts.
    pub config: Config,
}

/// One bottle of an ensemble.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Member {
    /// Index in the window.
    pub member_idx: usize,
    /// Its drawn parameters.
    pub params: Params,
    /// Its drift (the first point is the drawn throw time and point).
    pub track: Track,
}

struct Draws(ChaCha8Rng);

impl Draws {
    fn new(seed: u64, window_idx: u64, member_idx: u64) -> Draws {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed ^ window_idx.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.set_stream(member_idx);
        Draws(rng)
    }

    fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller; one of the pair is dropped to keep the stream simple).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Drifts the members of window `window_idx` thrown around `t_s` from (lon, lat), in parallel,
/// collected in member order.
pub fn run_window(
    forcing: &Forcing<'_>,
    coast: &dyn Coast,
    spec: &EnsembleSpec,
    window_idx: u64,
    t_s: f64,
    lon: f64,
    lat: f64,
) -> Vec<Member> {
    (0..spec.n_members)
        .into_par_iter()
        .map(|member_idx| {
            let mut d = Draws::new(spec.seed, window_idx, member_idx as u64);
            let s = &spec.spread;
            let throw_t = t_s + s.time_s * (2.0 * d.uniform() - 1.0);
            let (mut x, mut y) = (lon, lat);
            for _ in 0..8 {
                let east_m = s.radius_m * d.normal();
                let north_m = s.radius_m * d.normal();
                let cx = lon + (east_m / (EARTH_RADIUS_M * lat.to_radians().cos())).to_degrees();
                let cy = lat + (north_m / EARTH_RADIUS_M).to_degrees();
                if !coast.is_land(cx, cy) {
                    (x, y) = (cx, cy);
                    break;
                }
            }
            let windage = s.windage_min + (s.windage_max - s.windage_min) * d.uniform();
            let current_error_m_s = (
                s.current_sigma_m_s * d.normal(),
                s.current_sigma_m_s * d.normal(),
            );
            let params = Params {
                windage,
                current_error_m_s,
            };
            let track = drift(forcing, coast, &params, &spec.config, throw_t, x, y);
            Member {
                member_idx,
                params,
                track,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::OpenSea;
    use crate::field::VectorField;

    #[test]
    fn same_seed_same_tracks_any_thread_count() {
        let currents = VectorField::uniform(0.3, 0.1);
        let wind = VectorField::uniform(5.0, -2.0);
        let forcing = Forcing {
            currents: &currents,
            stokes: None,
            wind: Some(&wind),
        };
        let spec = EnsembleSpec {
            seed: 7,
            n_members: 16,
            spread: Spread::default(),
            config: Config::default(),
        };
        let a = run_window(&forcing, &OpenSea, &spec, 3, 0.0, 126.2, 37.7);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool.install(|| run_window(&forcing, &OpenSea, &spec, 3, 0.0, 126.2, 37.7));
        assert_eq!(a, b);
        let c = run_window(&forcing, &OpenSea, &spec, 4, 0.0, 126.2, 37.7);
        assert_ne!(a, c);
        for m in &a {
            assert!((0.01..=0.03).contains(&m.params.windage));
            assert!((m.track.points[0].t_s).abs() <= 600.0);
        }
    }
}
