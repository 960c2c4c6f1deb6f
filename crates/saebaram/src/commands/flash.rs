//! `saebaram flash`.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use saebaram_flash::device::{Device, FileDevice};
use saebaram_flash::drives::TargetKind;
use saebaram_flash::engine::{
    DriveReport, FlashOptions, ImageSpec, Outcome, Phase, Progress, Target, flash_all, hash_image,
};
use saebaram_flash::probe::ProbeOptions;
use saebaram_image::manifest::{ImageManifest, manifest_path_for};

use super::drives::{SystemArgs, human_bytes};
use super::probe::{parse_size, random_salt};
use super::recording::{DeviceBatchFacts, RecordArgs, record_device_batch};
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

fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[derive(Default, Clone)]
struct Timing {
    write_start: Option<Instant>,
    write_end: Option<Instant>,
    verify_start: Option<Instant>,
    verify_end: Option<Instant>,
}

fn speed(bytes: u64, start: Option<Instant>, end: Option<Instant>) -> Option<f64> {
    let secs = end?.duration_since(start?).as_secs_f64();
    (secs > 0.0 && bytes > 0).then(|| bytes as f64 / secs)
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

struct Opened {
    path: PathBuf,
    serial: Option<String>,
    device: FileDevice,
}

/// Checks and opens every target; any problem stops everything before a byte is written.
fn open_targets(args: &FlashArgs, image_size: u64) -> anyhow::Result<Vec<Opened>> {
    let view = args.system.scan();
    let devices: Vec<PathBuf> = if args.all_removable {
        let view = view.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let chosen: Vec<PathBuf> = view.offered().map(|d| d.path.clone()).collect();
        if chosen.is_empty() {
            bail!("--all-removable: no removable drive is offered (see `saebaram drives`)");
        }
        if !args.yes {
            confirm(&chosen)?;
        }
        chosen
    } else {
        args.devices.clone()
    };
    if devices.is_empty() {
        bail!("name at least one drive to write (or use --all-removable)");
    }
    let mut seen = BTreeSet::new();
    let mut opened = Vec::new();
    for path in &devices {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("{}: no such device or file", path.display()))?;
        if meta.file_type().is_file() && !args.to_files {
            bail!(
                "{}: a regular file, not a drive; pass --to-files to write regular files",
                path.display()
            );
        }
        let identity = if meta.file_type().is_file() {
            (meta.dev(), meta.ino())
        } else {
            (u64::MAX, meta.rdev())
        };
        if !seen.insert(identity) {
            bail!("{}: named twice", path.display());
        }
        let serial = if meta.file_type().is_file() {
            None
        } else {
            let view = view.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
            match view.check_target(path)? {
                TargetKind::Drive(d) => d.serial.clone(),
                TargetKind::File => None,
            }
        };
        if let Ok(view) = &view
            && meta.file_type().is_file()
        {
            view.check_target(path)?;
        }
        let device = FileDevice::open(path)?;
        if device.len() < image_size {
            bail!(
                "{}: holds {} bytes ({}), the image needs {} ({}): nothing written",
                path.display(),
                device.len(),
                human_bytes(device.len()),
                image_size,
                human_bytes(image_size)
            );
        }
        opened.push(Opened {
            path: path.clone(),
            serial,
            device,
        });
    }
    Ok(opened)
}

fn outcome_word(r: &DriveReport) -> &'static str {
    match r.outcome {
        Outcome::Passed => "PASSED",
        Outcome::RejectedFake => "REJECTED (fake)",
        Outcome::Failed => "FAILED",
    }
}

/// Runs `saebaram flash`.
pub fn run(args: FlashArgs) -> anyhow::Result<Status> {
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| manifest_path_for(&args.image));
    let manifest = ImageManifest::read(&manifest_path)?;
    let manifest_bytes =
        std::fs::read(&manifest_path).with_context(|| format!("{}", manifest_path.display()))?;
    let Some(data_blake3) = parse_hex32(&manifest.image.data_blake3) else {
        bail!(
            "{}: image.data_blake3 is not 64 hex digits",
            manifest_path.display()
        );
    };
    let partition_end = manifest
        .partition
        .start_bytes
        .checked_add(manifest.partition.size_bytes);
    let spec = ImageSpec {
        size: manifest.image.size,
        data_end: manifest.image.data_end,
        data_blake3,
        partition_end,
    };
    if partition_end.is_some_and(|end| end > spec.size) {
        bail!(
            "{}: the partition ends beyond the image",
            manifest_path.display()
        );
    }

    let image = std::fs::File::open(&args.image)
        .with_context(|| format!("{}: cannot open the image", args.image.display()))?;
    let actual_size = image
        .metadata()
        .with_context(|| format!("{}", args.image.display()))?
        .len();
    if actual_size != spec.size {
        bail!(
            "{}: the image is {} bytes but its manifest {} says {}: the image changed since its manifest; nothing written",
            args.image.display(),
            actual_size,
            manifest_path.display(),
            spec.size
        );
    }
    let mut opened = open_targets(&args, spec.size)?;

    // Only the data region is read: the manifest says the rest is zero, and zeros are what
    // the drives get there (and are checked to read back).
    let hashed = hash_image(&image, spec.data_end)
        .with_context(|| format!("{}: cannot read the image", args.image.display()))?;
    if hashed != spec.data_blake3 {
        bail!(
            "{}: its BLAKE3 differs from the one in {}: the image changed since its manifest; nothing written",
            args.image.display(),
            manifest_path.display()
        );
    }

    let (salt, seed) = random_salt()?;
    let opts = FlashOptions {
        probe: (!args.no_probe).then(|| ProbeOptions {
            cache_flush: args.cache_flush,
            ..ProbeOptions::new(salt, seed)
        }),
        shrink: args.shrink,
    };

    let multi = MultiProgress::new();
    let style = ProgressStyle::with_template(
        "{prefix:<14} {msg:<10} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bars: Vec<ProgressBar> = opened
        .iter()
        .map(|o| {
            let bar = multi.add(ProgressBar::new(1));
            bar.set_style(style.clone());
            bar.set_prefix(o.path.display().to_string());
            bar
        })
        .collect();
    let timings: Mutex<Vec<Timing>> = Mutex::new(vec![Timing::default(); opened.len()]);
    let on_progress = |p: Progress| {
        let now = Instant::now();
        if let Ok(mut t) = timings.lock()
            && let Some(t) = t.get_mut(p.drive)
        {
            match p.phase {
                Phase::Writing | Phase::Wiping => {
                    t.write_start.get_or_insert(now);
                    t.write_end = Some(now);
                }
                Phase::Verifying => {
                    t.verify_start.get_or_insert(now);
                    t.verify_end = Some(now);
                }
                _ => {}
            }
        }
        if let Some(bar) = bars.get(p.drive) {
            let word = match p.phase {
                Phase::Probing => "probing",
                Phase::Writing => "writing",
                Phase::Wiping => "wiping",
                Phase::Syncing => "syncing",
                Phase::Verifying => "verifying",
                Phase::Finished => "done",
            };
            bar.set_message(word);
            bar.set_length(p.total.max(1));
            bar.set_position(p.done);
            if p.phase == Phase::Finished {
                bar.finish();
            }
        }
    };
    let targets: Vec<Target<'_>> = opened
        .iter_mut()
        .map(|o| Target {
            label: o.path.display().to_string(),
            serial: o.serial.clone(),
            device: &mut o.device as &mut dyn Device,
        })
        .collect();
    let reports = flash_all(&image, &spec, targets, &opts, &on_progress);
    let _ = multi.clear();
    let timings = timings.into_inner().unwrap_or_default();

    let modes: Vec<_> = opened.iter().map(|o| o.device.mode()).collect();
    let rows: Vec<serde_json::Value> = reports
        .iter()
        .zip(&timings)
        .zip(&modes)
        .map(|((r, t), mode)| {
            let written = r.image_bytes + r.wiped_bytes;
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["write_bytes_per_sec"] = speed(written, t.write_start, t.write_end)
                .map(|s| s.round())
                .into();
            v["open_mode"] = serde_json::to_value(mode).unwrap_or_default();
            v["verify_bytes_per_sec"] = speed(r.verified_bytes, t.verify_start, t.verify_end)
                .map(|s| s.round())
                .into();
            v
        })
        .collect();
    let passed = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .count();
    let rejected = reports
        .iter()
        .filter(|r| r.outcome == Outcome::RejectedFake)
        .count();
    let failed = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .count();

    if args.json {
        let doc = serde_json::json!({
            "image": args.image.display().to_string(),
            "image_data_end": manifest.image.data_end,
            "image_data_blake3": manifest.image.data_blake3,
            "image_bytes": spec.size,
            "drives": rows,
            "passed": passed,
            "rejected_fake": rejected,
            "failed": failed,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "image {} ({}, BLAKE3 {})",
            args.image.display(),
            human_bytes(spec.size),
            manifest.image.data_blake3.get(..16).unwrap_or_default()
        );
        for (r, row) in reports.iter().zip(&rows) {
            let mbps = |key: &str| {
                row[key]
                    .as_f64()
                    .map(|s| format!("{:.1} MB/s", s / 1e6))
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:<16} {:<16} serial {:<18} claims {:>9} real {:>9}{}  write {:>11}  verify {:>11}",
                r.label,
                outcome_word(r),
                r.serial.as_deref().unwrap_or("-"),
                human_bytes(r.claimed_bytes),
                r.real_bytes.map(human_bytes).unwrap_or_else(|| "-".into()),
                if r.shrunk { " (shrunk)" } else { "" },
                mbps("write_bytes_per_sec"),
                mbps("verify_bytes_per_sec"),
            );
            if let Some(e) = &r.error {
                println!("    {e}");
            }
        }
        println!(
            "{passed} passed, {rejected} rejected as fake, {failed} failed, of {}",
            reports.len()
        );
    }

    record_device_batch(
        &args.record,
        &DeviceBatchFacts {
            manifest_blake3: saebaram_flash::engine::blake3_hex(&manifest_bytes),
            content_version: None,
            written: reports.iter().filter(|r| r.image_bytes > 0).count() as u32,
            passed: passed as u32,
            rejected_fake: rejected as u32,
            failed: failed as u32,
        },
    )?;
    Ok(if passed == reports.len() {
        Status::Done
    } else {
        Status::Negative
    })
}
