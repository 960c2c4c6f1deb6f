//! `saebaram probe`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use saebaram_flash::device::FileDevice;
use saebaram_flash::probe::{DriveKind, ProbeOptions, ProbeReport, probe};

use super::drives::{SystemArgs, human_bytes};
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

/// 32 random bytes and a seed from the OS CSPRNG.
pub fn random_salt() -> anyhow::Result<([u8; 32], u64)> {
    let mut bytes = [0u8; 40];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read random bytes from /dev/urandom")?;
    let mut salt = [0u8; 32];
    salt.copy_from_slice(&bytes[..32]);
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&bytes[32..]);
    Ok((salt, u64::from_le_bytes(seed)))
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
pub fn run(args: ProbeArgs) -> anyhow::Result<Status> {
    let view = args.system.scan()?;
    view.check_target(&args.device)?;
    let mut dev = FileDevice::open(&args.device)?;
    let (salt, seed) = random_salt()?;
    let opts = ProbeOptions {
        destructive: args.destructive,
        cache_flush: args.cache_flush,
        granularity: args.granularity,
        ..ProbeOptions::new(salt, seed)
    };
    let spinner = indicatif::ProgressBar::new_spinner()
        .with_message(format!("probing {}", args.device.display()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = probe(&mut dev, &opts);
    spinner.finish_and_clear();
    let report = result.with_context(|| format!("{}: probe failed", args.device.display()))?;
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["device"] = serde_json::Value::String(args.device.display().to_string());
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{}: {}", args.device.display(), describe(&report));
    }
    Ok(if report.kind == DriveKind::Genuine {
        Status::Done
    } else {
        Status::Negative
    })
}
