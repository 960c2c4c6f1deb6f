//! Seeded randomness for ensembles: one ChaCha8 stream per (seed, window, member), and the
//! few distributions the spec needs, written out here so that the bytes they produce are
//! pinned by this crate and not by a distribution crate's next release (the output must stay
//! byte-identical for a given seed).

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// SplitMix64 finaliser: spreads a counter into a well-mixed 64-bit value.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random stream derived only from (seed, window, member): the same whatever thread runs it.
#[derive(Debug, Clone)]
pub struct Stream(ChaCha8Rng);

impl Stream {
    /// The stream of one ensemble member of one launch window.
    pub fn new(seed: u64, window: u64, member: u64) -> Stream {
        let key = mix(mix(mix(seed) ^ window) ^ member.rotate_left(17));
        let mut rng = ChaCha8Rng::seed_from_u64(key);
        rng.set_stream(window.wrapping_mul(0x1_0000) ^ member);
        Stream(rng)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [a, b).
    pub fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.uniform()
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Two independent standard normals (Marsaglia's polar method: one logarithm and one
    /// square root for the pair, no trigonometry; about a quarter of the cost of two
    /// [`Stream::normal`]s). For the long series of the wind-error lattices.
    pub fn normal_pair(&mut self) -> (f64, f64) {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                return (u * m, v * m);
            }
        }
    }

    /// A new stream seeded from this one's next 256 bits: for a series drawn lazily (as a
    /// flight needs it) without moving this stream by an amount that depends on the flight.
    pub fn fork(&mut self) -> Stream {
        let mut seed = [0u8; 32];
        self.0.fill_bytes(&mut seed);
        Stream(ChaCha8Rng::from_seed(seed))
    }

    /// Lognormal multiplier with median 1 and log-sd `sigma_ln`.
    pub fn lognormal_factor(&mut self, sigma_ln: f64) -> f64 {
        (sigma_ln * self.normal()).exp()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<f64> = (0..4).map(|_| Stream::new(7, 1, 2).uniform()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Stream::new(7, 1, 2).uniform(),
            Stream::new(7, 2, 1).uniform()
        );
    }

    #[test]
    fn normal_pairs_are_unit_normal_and_uncorrelated() {
        let mut s = Stream::new(2, 0, 0);
        let n = 20_000;
        let xs: Vec<(f64, f64)> = (0..n).map(|_| s.normal_pair()).collect();
        let m = |f: &dyn Fn(&(f64, f64)) -> f64| xs.iter().map(f).sum::<f64>() / n as f64;
        assert!(m(&|p| p.0).abs() < 0.03 && m(&|p| p.1).abs() < 0.03);
        assert!((m(&|p| p.0 * p.0) - 1.0).abs() < 0.05);
        assert!((m(&|p| p.1 * p.1) - 1.0).abs() < 0.05);
        assert!(m(&|p| p.0 * p.1).abs() < 0.03);
        // Tails: P(|x| > 2) = 4.55 %.
        let tail = xs.iter().filter(|p| p.0.abs() > 2.0).count() as f64 / n as f64;
        assert!((tail - 0.0455).abs() < 0.006, "{tail}");
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut s = Stream::new(1, 0, 0);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
