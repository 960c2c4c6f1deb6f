//! The faces' side of [`Env`]: the system clock, the OS random generator, and the
//! directories from the environment (`SAEBARAM_CACHE_DIR`, `SAEBARAM_TERRAIN_DIR`, XDG).
//!
//! Compiled only with the `host` feature, for the binaries (the CLI, the app) so that both
//! resolve directories the same way; no job calls into this module (a test checks that no
//! other module reads the clock, the environment or the OS generator).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::env::{Clock, Entropy, Env};

/// The system clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now_unix_s(&self) -> i64 {
        // A clock before 1970 is taken as 1970: every job that needs "now" also checks it
        // against its data (a forecast run, a record's time).
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }

    fn now_unix_ns(&self) -> i128 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128)
    }

    fn monotonic_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// The operating system's cryptographic random generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), String> {
        getrandom::fill(buf).map_err(|e| e.to_string())
    }

    fn describe(&self) -> String {
        "os-csprng".into()
    }
}

fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn list(name: &str) -> Option<Vec<String>> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
}

/// The context of a face: system clock, OS generator; forecasts cached in
/// `$SAEBARAM_CACHE_DIR`, else the XDG cache directory's `forecasts`; records in the XDG
/// data directory; the DEM in `$SAEBARAM_TERRAIN_DIR` if set; forecast servers from
/// `$SAEBARAM_GFS_FILTER` (empty: skip the filter), `$SAEBARAM_GFS_MIRRORS` and
/// `$SAEBARAM_ECMWF_ROOTS` (comma-separated), else the defaults.
pub fn env() -> Env {
    let project = directories::ProjectDirs::from("", "", "saebaram");
    let mut env = Env::new(Arc::new(SystemClock::default()), Arc::new(OsEntropy));
    env.forecast_cache_dir = var("SAEBARAM_CACHE_DIR")
        .or_else(|| project.as_ref().map(|p| p.cache_dir().join("forecasts")));
    env.data_dir = project.as_ref().map(|p| p.data_dir().to_path_buf());
    env.terrain_dir = var("SAEBARAM_TERRAIN_DIR");
    if let Ok(filter) = std::env::var("SAEBARAM_GFS_FILTER") {
        env.fetch_endpoints.gfs_filter = filter;
    }
    if let Some(mirrors) = list("SAEBARAM_GFS_MIRRORS") {
        env.fetch_endpoints.gfs_mirrors = mirrors;
    }
    if let Some(mirrors) = list("SAEBARAM_GEFS_MIRRORS") {
        env.fetch_endpoints.gefs_mirrors = mirrors;
    }
    if let Some(roots) = list("SAEBARAM_ECMWF_ROOTS") {
        env.fetch_endpoints.ecmwf_roots = roots;
    }
    env
}
