//! `--record` for `plan` and `flash`: stores what those commands know in the encrypted
//! campaign records. Owned by the records work; `plan` and `flash` only flatten
//! [`RecordArgs`] and call [`record_launch_plan`] or [`record_device_batch`].

use std::path::PathBuf;

use anyhow::Context;
use saebaram_records::chrono::{DateTime, Utc};
use saebaram_records::{Batch, Launch, Payload, Prediction};

use super::records;

/// Flags shared by the commands that feed the records.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Store this result in the encrypted campaign records.
    #[arg(long)]
    pub record: bool,
    /// The records database (default: in the XDG data directory).
    #[arg(long, value_name = "FILE", requires = "record")]
    pub records_db: Option<PathBuf>,
    /// Read the records passphrase from this file instead of prompting (or set
    /// SAEBARAM_RECORDS_PASSPHRASE).
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

fn db_of(args: &RecordArgs) -> anyhow::Result<PathBuf> {
    match &args.records_db {
        Some(path) => Ok(path.clone()),
        None => records::default_db(),
    }
}

/// Records a planned launch if `--record` was given. The payload is unknown to `plan`:
/// it is stored as zero and corrected with `saebaram records note-outcome ID --leaflets N`.
pub fn record_launch_plan(args: &RecordArgs, facts: &LaunchPlanFacts) -> anyhow::Result<()> {
    if !args.record {
        return Ok(());
    }
    let time = DateTime::parse_from_rfc3339(&facts.launch_time)
        .with_context(|| format!("launch time `{}` is not RFC 3339", facts.launch_time))?
        .with_timezone(&Utc);
    let launch = Launch {
        time,
        site: facts.site.clone(),
        preset: facts.preset.clone(),
        parameters: facts.parameters.clone(),
        payload: Payload::default(),
        prediction: Some(Prediction {
            p_target: facts.p_target,
            median_landing: facts.median_landing,
        }),
        outcome: None,
    };
    launch.validate().context("cannot record this launch")?;
    let db = db_of(args)?;
    let mut store = records::open_db(&db, args.passphrase_file.as_deref())?;
    let id = records::new_record_id()?;
    store.add_launch(id, launch, Utc::now())?;
    store.close()?;
    eprintln!(
        "recorded launch {id} in `{}` (set its payload with `saebaram records note-outcome {} \
         --leaflets N --usb N`)",
        db.display(),
        &id.to_string()[..12]
    );
    Ok(())
}

/// Records a flashed batch if `--record` was given.
pub fn record_device_batch(args: &RecordArgs, facts: &DeviceBatchFacts) -> anyhow::Result<()> {
    if !args.record {
        return Ok(());
    }
    let batch = Batch {
        time: Utc::now(),
        manifest_blake3: facts.manifest_blake3.clone(),
        content_version: facts.content_version.clone(),
        written: u64::from(facts.written),
        passed: u64::from(facts.passed),
        rejected_fake: u64::from(facts.rejected_fake),
        failed: u64::from(facts.failed),
    };
    batch.validate().context("cannot record this batch")?;
    let db = db_of(args)?;
    let mut store = records::open_db(&db, args.passphrase_file.as_deref())?;
    let id = records::new_record_id()?;
    store.add_batch(id, batch, Utc::now())?;
    store.close()?;
    eprintln!("recorded batch {id} in `{}`", db.display());
    Ok(())
}
