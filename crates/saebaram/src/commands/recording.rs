//! `--record` for `plan` and `flash`: stores what those commands know in the encrypted
//! campaign records. Owned by the records work; `plan` and `flash` only flatten
//! [`RecordArgs`] and call [`record_launch_plan`] or [`record_device_batch`].

use std::path::PathBuf;

/// Flags shared by the commands that feed the records.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Store this result in the encrypted campaign records.
    #[arg(long)]
    pub record: bool,
    /// The records database (default: in the XDG data directory).
    #[arg(long, value_name = "FILE", requires = "record")]
    pub records_db: Option<PathBuf>,
    /// Read the records passphrase from this file instead of prompting.
    #[arg(long, value_name = "FILE", requires = "record")]
    pub passphrase_file: Option<PathBuf>,
}

/// What `plan` knows about one launch window it recommends.
#[derive(Debug, Clone)]
pub struct LaunchPlanFacts {
    /// Launch time, RFC 3339 UTC.
    pub launch_time: String,
    /// Site name or `LAT,LON`.
    pub site: String,
    /// Balloon preset or profile name.
    pub preset: String,
    /// Profile parameters as JSON.
    pub parameters: serde_json::Value,
    /// Predicted probability of reaching the target.
    pub p_target: f64,
    /// Predicted median landing point (lat, lon), if any member landed.
    pub median_landing: Option<(f64, f64)>,
}

/// What `flash` knows about one batch of drives.
#[derive(Debug, Clone)]
pub struct DeviceBatchFacts {
    /// BLAKE3 of the image manifest.
    pub manifest_blake3: String,
    /// Content version label, if any.
    pub content_version: Option<String>,
    /// Drives written.
    pub written: u32,
    /// Drives that passed verification.
    pub passed: u32,
    /// Drives rejected as fake capacity.
    pub rejected_fake: u32,
    /// Drives that failed.
    pub failed: u32,
}

/// Records a planned launch if `--record` was given.
pub fn record_launch_plan(args: &RecordArgs, _facts: &LaunchPlanFacts) -> anyhow::Result<()> {
    if !args.record {
        return Ok(());
    }
    anyhow::bail!("campaign records are not built yet")
}

/// Records a flashed batch if `--record` was given.
pub fn record_device_batch(args: &RecordArgs, _facts: &DeviceBatchFacts) -> anyhow::Result<()> {
    if !args.record {
        return Ok(());
    }
    anyhow::bail!("campaign records are not built yet")
}
