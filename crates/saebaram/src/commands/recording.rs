//! `--record` for `plan` and `flash`: stores what those commands know in the encrypted
//! campaign records. Owned by the records work; `plan` and `flash` only flatten
//! [`RecordArgs`] and call [`record_launch_plan`] or [`record_device_batch`]; the records
//! themselves are made by `saebaram_jobs::records`.

use std::path::PathBuf;

use saebaram_jobs::Env;
use saebaram_jobs::flash::FlashReport;
use saebaram_jobs::plan::PlanReport;

use super::records;
use crate::progress::Terminal;

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

/// Records a plan's best window if `--record` was given. The payload is unknown to `plan`:
/// it is stored as zero and corrected with `saebaram records note-outcome ID --leaflets N`.
pub fn record_launch_plan(args: &RecordArgs, plan: &PlanReport, env: &Env) -> anyhow::Result<()> {
    if !args.record {
        return Ok(());
    }
    let db = records::db_path(args.records_db.as_deref(), env)?;
    let unlock = records::unlock(&db, args.passphrase_file.as_deref());
    if let Some(r) = saebaram_jobs::records::record_plan(unlock, plan, env, &Terminal::new())? {
        eprintln!(
            "recorded launch {} in `{}` (set its payload with `saebaram records note-outcome {} \
             --leaflets N --usb N`)",
            r.id,
            r.db.display(),
            &r.id[..12]
        );
    } else {
        eprintln!(
            "기록하지 않음: 추천하는 띄울 시각이 없습니다. / nothing recorded: no launch window \
             is recommended (see the plan's warning); record a launch you choose with \
             `saebaram records add launch`"
        );
    }
    Ok(())
}

/// Records a flashed batch if `--record` was given.
pub fn record_device_batch(
    args: &RecordArgs,
    flash: &FlashReport,
    env: &Env,
) -> anyhow::Result<()> {
    if !args.record {
        return Ok(());
    }
    let db = records::db_path(args.records_db.as_deref(), env)?;
    let unlock = records::unlock(&db, args.passphrase_file.as_deref());
    let r = saebaram_jobs::records::record_flash(unlock, flash, None, env, &Terminal::new())?;
    eprintln!("recorded batch {} in `{}`", r.id, r.db.display());
    Ok(())
}
