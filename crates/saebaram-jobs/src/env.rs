//! What a job takes from the world, given by the face: the clock, random bytes, and the
//! directories. Jobs never read the clock, the environment or a global random generator.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;

/// The time, for a job's records and speeds.
pub trait Clock: Send + Sync {
    /// Now, UNIX seconds (UTC).
    fn now_unix_s(&self) -> i64;
    /// Now, UNIX nanoseconds (UTC), for records' edit times; by default whole seconds.
    fn now_unix_ns(&self) -> i128 {
        i128::from(self.now_unix_s()) * 1_000_000_000
    }
    /// Seconds on a monotonic clock (only differences mean anything), for speeds.
    fn monotonic_s(&self) -> f64;
}

/// Random bytes, for salts, seeds and record ids.
pub trait Entropy: Send + Sync {
    /// Fills `buf`; an error says why the generator failed.
    fn fill(&self, buf: &mut [u8]) -> Result<(), String>;

    /// What the bytes come from, for manifests (`os-csprng`, `seeded`).
    fn describe(&self) -> String;
}

/// The context of every job: a value, cheap to clone, `Send + Sync` so a job runs on any
/// thread. Faces build it once ([`crate::host::env`] with the `host` feature); tests use
/// [`Env::fixed`].
#[derive(Clone)]
pub struct Env {
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    /// Where forecasts are cached (`None`: the face found no home directory; a job that
    /// needs the cache then fails with [`Error::NoCacheDir`] unless its request names one).
    pub forecast_cache_dir: Option<PathBuf>,
    /// Where the records database lives by default.
    pub data_dir: Option<PathBuf>,
    /// The elevation model (SRTM `.hgt` tiles) flights end on when a request names none.
    pub terrain_dir: Option<PathBuf>,
    /// Where forecasts are downloaded from (a request may override each).
    pub fetch_endpoints: saebaram_forecast::fetch::Endpoints,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("forecast_cache_dir", &self.forecast_cache_dir)
            .field("data_dir", &self.data_dir)
            .field("terrain_dir", &self.terrain_dir)
            .field("fetch_endpoints", &self.fetch_endpoints)
            .finish_non_exhaustive()
    }
}

impl Env {
    /// A context from a clock and a random generator, with no directories.
    pub fn new(clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>) -> Env {
        Env {
            clock,
            entropy,
            forecast_cache_dir: None,
            data_dir: None,
            terrain_dir: None,
            fetch_endpoints: saebaram_forecast::fetch::Endpoints::default(),
        }
    }

    /// A deterministic context: the clock stands at `now_unix_s`, random bytes are a BLAKE3
    /// stream keyed by `seed` (the same bytes in the same order on every run). For tests and
    /// reproducible runs, never for secrets.
    pub fn fixed(now_unix_s: i64, seed: u64) -> Env {
        Env::new(
            Arc::new(FixedClock(now_unix_s)),
            Arc::new(SeededEntropy::new(seed)),
        )
    }

    /// Now, UNIX seconds.
    pub fn now_unix_s(&self) -> i64 {
        self.clock.now_unix_s()
    }

    /// Now, UNIX nanoseconds.
    pub fn now_unix_ns(&self) -> i128 {
        self.clock.now_unix_ns()
    }

    /// A monotonic time in seconds.
    pub fn monotonic_s(&self) -> f64 {
        self.clock.monotonic_s()
    }

    /// What [`Env::random`] draws from (`os-csprng` for the faces' generator).
    pub fn randomness(&self) -> String {
        self.entropy.describe()
    }

    /// Fills `buf` with random bytes from the face's generator.
    pub fn random(&self, buf: &mut [u8]) -> Result<(), Error> {
        self.entropy
            .fill(buf)
            .map_err(|message| Error::Random { message })
    }

    /// The forecast cache: `explicit`, else the face's, else [`Error::NoCacheDir`].
    pub fn forecast_cache(&self, explicit: Option<&std::path::Path>) -> Result<PathBuf, Error> {
        explicit
            .map(std::path::Path::to_path_buf)
            .or_else(|| self.forecast_cache_dir.clone())
            .ok_or(Error::NoCacheDir)
    }
}

/// A clock that stands still.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix_s(&self) -> i64 {
        self.0
    }
    fn monotonic_s(&self) -> f64 {
        0.0
    }
}

/// Deterministic random bytes: BLAKE3 in keyed XOF mode over a counter, one call after the
/// other. Not for secrets.
#[derive(Debug)]
pub struct SeededEntropy {
    key: [u8; 32],
    calls: AtomicU64,
}

impl SeededEntropy {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> SeededEntropy {
        SeededEntropy {
            key: blake3::derive_key("saebaram-jobs seeded entropy", &seed.to_le_bytes()),
            calls: AtomicU64::new(0),
        }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), String> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&call.to_le_bytes());
        hasher.finalize_xof().fill(buf);
        Ok(())
    }

    fn describe(&self) -> String {
        "seeded (not random)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_env_is_deterministic_and_draws_fresh_bytes_each_call() {
        let a = Env::fixed(1_700_000_000, 7);
        let b = Env::fixed(1_700_000_000, 7);
        let (mut x1, mut x2, mut y1) = ([0u8; 16], [0u8; 16], [0u8; 16]);
        a.random(&mut x1).unwrap();
        a.random(&mut x2).unwrap();
        b.random(&mut y1).unwrap();
        assert_eq!(x1, y1);
        assert_ne!(x1, x2);
        assert_eq!(a.now_unix_s(), 1_700_000_000);
    }

    #[test]
    fn cache_dir_comes_from_the_request_then_the_face() {
        let mut env = Env::fixed(0, 0);
        assert!(matches!(env.forecast_cache(None), Err(Error::NoCacheDir)));
        env.forecast_cache_dir = Some("face".into());
        assert_eq!(env.forecast_cache(None).unwrap(), PathBuf::from("face"));
        assert_eq!(
            env.forecast_cache(Some(std::path::Path::new("req")))
                .unwrap(),
            PathBuf::from("req")
        );
    }

    #[test]
    fn env_moves_to_another_thread() {
        fn send_sync<T: Send + Sync + 'static>(_: &T) {}
        send_sync(&Env::fixed(0, 0));
    }
}
