//! `saebaram probe`.

use std::path::PathBuf;

use saebaram_flash::probe::{DriveKind, ProbeReport};
use saebaram_jobs::flash::{ProbeRequest, human_bytes};
use saebaram_jobs::{Env, Event, Progress};

use super::drives::SystemArgs;
use crate::output::Status;

/// Arguments of `saebaram probe`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  saebaram probe /dev/sdb                 # restore everything it overwrites
  saebaram probe /dev/sdb --destructive   # faster; the drive's data is damaged
  saebaram probe /dev/sdb --json

Exit code: 0 the drive is genuine, 1 it has fake capacity (the report gives its real
size), 2 error. Writes a few MB (reported), never the whole drive.")]
pub struct ProbeArgs {
    /// The drive to probe (a whole drive such as /dev/sdb, or a file).
    pub device: PathBuf,
    /// Do not save and restore the blocks the probe overwrites.
    #[arg(long)]
    pub destructive: bool,
    /// Bytes written to flush the drive's own cache before reading back (e.g. 2M, 64M).
    #[arg(long, value_name = "SIZE", default_value = "2M", value_parser = parse_size)]
    pub cache_flush: u64,
    /// Aliasing periods that are a multiple of this are always found (e.g. 1M, 64K).
    #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = parse_size)]
    pub granularity: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub system: SystemArgs,
}

/// Parses `4096`, `64K`, `2M`, `1G`, `2MiB` (binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (examples: 4096, 64K, 2M, 1G)"))?;
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("`{text}`: unknown unit (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// One-paragraph human summary of a probe.
pub fn describe(r: &ProbeReport) -> String {
    let verdict = match r.kind {
        DriveKind::Genuine => "genuine: every probed block kept its data".to_string(),
        DriveKind::Damaged => "DAMAGED: blocks fail from the start; do not use".to_string(),
        kind => format!(
            "FAKE CAPACITY ({}): claims {}, only {} ({} bytes) really store data{}",
            kind.as_str(),
            human_bytes(r.claimed_bytes),
            human_bytes(r.usable_bytes),
            r.usable_bytes,
            r.alias_period
                .map(|p| format!("; addresses repeat every {p} bytes"))
                .unwrap_or_default()
        ),
    };
    format!(
        "{verdict}\n  wrote {} bytes ({} to reach the verdict), read {} bytes, {} blocks in {} rounds; cache flush {} bytes; original data {}",
        r.bytes_written,
        r.bytes_written_to_detect,
        r.bytes_read,
        r.blocks_probed,
        r.rounds,
        r.cache_flush_bytes,
        if r.restored {
            "restored"
        } else {
            "NOT restored (--destructive)"
        }
    )
}

/// Runs `saebaram probe`.
pub fn run(args: ProbeArgs, env: &Env) -> anyhow::Result<Status> {
    let request = ProbeRequest {
        device: args.device.clone(),
        destructive: args.destructive,
        cache_flush: args.cache_flush,
        granularity: args.granularity,
        system: args.system.roots(),
    };
    let spinner = Spinner(
        indicatif::ProgressBar::new_spinner()
            .with_message(format!("probing {}", args.device.display())),
    );
    let report = saebaram_jobs::flash::probe(request, env, &spinner);
    spinner.0.finish_and_clear();
    let report = report?;
    if args.json {
        // Through a `Value`: its keys print sorted, as they always have.
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{}: {}", args.device.display(), describe(&report.report));
    }
    Ok(if report.genuine() {
        Status::Done
    } else {
        Status::Negative
    })
}

/// The probe's spinner, ticking while the probe runs.
struct Spinner(indicatif::ProgressBar);

impl Progress for Spinner {
    fn event(&self, event: Event) {
        if let Event::StageStarted { .. } = event {
            self.0
                .enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }
}
