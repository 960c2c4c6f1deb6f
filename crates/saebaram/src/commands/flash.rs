//! `saebaram flash`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::bail;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use saebaram_flash::engine::Outcome;
use saebaram_jobs::flash::{DriveRow, DrivesRequest, FlashReport, FlashRequest, human_bytes};
use saebaram_jobs::{DriveState, Env, Event, Progress};

use super::drives::SystemArgs;
use super::probe::parse_size;
use super::recording::{RecordArgs, record_device_batch};
use crate::output::Status;
/// Arguments of `saebaram flash`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  saebaram flash payload.img /dev/sdb /dev/sdc /dev/sdd
  saebaram flash payload.img --all-removable --yes --json > report.json
  saebaram flash payload.img /dev/sdb --shrink     # accept a fake drive if its real part holds the image

Per drive, on its own thread: probe for fake capacity, write the image, wipe the rest of
the drive with zeros, drop caches, read every byte back (BLAKE3 against the manifest, the
rest must be zero). A slow or failing drive never holds the others back.
Refused: the system disk, mounted drives, partitions, anything not named (or not chosen
with --all-removable and confirmed). All targets are checked before anything is written.
Exit code: 0 every drive passed, 1 some drive failed or was rejected, 2 error (nothing written).")]
pub struct FlashArgs {
    /// The image to write (built by `saebaram pack`).
    pub image: PathBuf,
    /// Drives to write: whole drives such as /dev/sdb (or regular files).
    pub devices: Vec<PathBuf>,
    /// The image's manifest (default: IMAGE.manifest.json beside the image).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Write every offered removable drive (see `saebaram drives`); asks to confirm.
    #[arg(long, conflicts_with = "devices")]
    pub all_removable: bool,
    /// Confirm --all-removable without asking.
    #[arg(long, requires = "all_removable")]
    pub yes: bool,
    /// Accept a fake drive whose real part holds the image: use only that part.
    #[arg(long)]
    pub shrink: bool,
    /// Allow regular files as targets (tests, or writing a drive-sized image file);
    /// without it a file is refused, so a mistyped path never overwrites a document.
    #[arg(long)]
    pub to_files: bool,
    /// Skip the fake-capacity probe (for drives already probed; not recommended).
    #[arg(long)]
    pub no_probe: bool,
    /// Probe cache-flush size (see `saebaram probe --help`).
    #[arg(long, value_name = "SIZE", default_value = "2M", value_parser = parse_size)]
    pub cache_flush: u64,
    /// Print the per-drive report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub record: RecordArgs,
    #[command(flatten)]
    pub system: SystemArgs,
}

fn confirm(devices: &[PathBuf]) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!("--all-removable needs --yes when not run from a terminal");
    }
    eprintln!("About to ERASE these drives completely:");
    for d in devices {
        eprintln!("  {}", d.display());
    }
    eprint!("Type YES to continue: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != "YES" {
        bail!("not confirmed: nothing written");
    }
    Ok(())
}

/// One bar per drive: its state, bytes and speed.
struct Bars {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
}

impl Bars {
    fn new(devices: &[PathBuf]) -> Bars {
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template(
            "{prefix:<14} {msg:<10} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bars = devices
            .iter()
            .map(|d| {
                let bar = multi.add(ProgressBar::new(1));
                bar.set_style(style.clone());
                bar.set_prefix(d.display().to_string());
                bar
            })
            .collect();
        Bars { multi, bars }
    }
}

impl Progress for Bars {
    fn event(&self, event: Event) {
        let Event::Drive {
            drive,
            state,
            done,
            total,
            ..
        } = event
        else {
            return;
        };
        let Some(bar) = self.bars.get(drive) else {
            return;
        };
        let word = match state {
            DriveState::Probing => "probing",
            DriveState::Writing => "writing",
            DriveState::Wiping => "wiping",
            DriveState::Syncing => "syncing",
            DriveState::Verifying => "verifying",
            _ => "done",
        };
        bar.set_message(word);
        if word == "done" {
            bar.finish();
        } else {
            bar.set_length(total.max(1));
            bar.set_position(done);
        }
    }
}

fn outcome_word(r: &DriveRow) -> &'static str {
    match r.report.outcome {
        Outcome::Passed => "PASSED",
        Outcome::RejectedFake => "REJECTED (fake)",
        Outcome::Failed => "FAILED",
    }
}

/// Runs `saebaram flash`: choose the drives, write them all (progress bars on the
/// terminal), print the report, record the batch.
pub fn run(args: FlashArgs, env: &Env) -> anyhow::Result<Status> {
    let devices = chosen_devices(&args)?;
    let bars = Bars::new(&devices);
    let report = saebaram_jobs::flash::flash(request(&args, devices), env, &bars);
    let _ = bars.multi.clear();
    let report = report?;
    if args.json {
        // Through a `Value`: its keys print sorted, as they always have.
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_table(&report);
    }
    record_device_batch(&args.record, &report, env)?;
    Ok(if report.all_passed() {
        Status::Done
    } else {
        Status::Negative
    })
}

/// The drives named, or with `--all-removable` the offered ones (confirmed unless `--yes`).
fn chosen_devices(args: &FlashArgs) -> anyhow::Result<Vec<PathBuf>> {
    if !args.all_removable {
        return Ok(args.devices.clone());
    }
    let chosen = saebaram_jobs::flash::offered(&DrivesRequest {
        system: args.system.roots(),
    })?;
    if !args.yes {
        confirm(&chosen)?;
    }
    Ok(chosen)
}

/// The job's request from the command line and the chosen drives.
fn request(args: &FlashArgs, devices: Vec<PathBuf>) -> FlashRequest {
    FlashRequest {
        image: args.image.clone(),
        devices,
        manifest: args.manifest.clone(),
        shrink: args.shrink,
        to_files: args.to_files,
        probe: !args.no_probe,
        cache_flush: args.cache_flush,
        system: args.system.roots(),
    }
}

/// The human report: the image, a line per drive (and its error), the totals.
fn print_table(report: &FlashReport) {
    println!(
        "image {} ({}, BLAKE3 {})",
        report.image,
        human_bytes(report.image_bytes),
        report.image_data_blake3.get(..16).unwrap_or_default()
    );
    for row in &report.drives {
        let r = &row.report;
        let mbps = |speed: Option<f64>| {
            speed
                .map(|s| format!("{:.1} MB/s", s / 1e6))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<16} {:<16} serial {:<18} claims {:>9} real {:>9}{}  write {:>11}  verify {:>11}",
            r.label,
            outcome_word(row),
            r.serial.as_deref().unwrap_or("-"),
            human_bytes(r.claimed_bytes),
            r.real_bytes.map(human_bytes).unwrap_or_else(|| "-".into()),
            if r.shrunk { " (shrunk)" } else { "" },
            mbps(row.write_bytes_per_sec),
            mbps(row.verify_bytes_per_sec),
        );
        if let Some(e) = &r.error {
            println!("    {e}");
        }
    }
    println!(
        "{} passed, {} rejected as fake, {} failed, of {}",
        report.passed,
        report.rejected_fake,
        report.failed,
        report.drives.len()
    );
}
