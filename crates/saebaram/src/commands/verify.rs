//! `saebaram verify`.

use std::io::{Seek, SeekFrom};
use std::path::PathBuf;

use anyhow::Context;
use saebaram_image::ImageManifest;
use saebaram_image::manifest::manifest_path_for;
use saebaram_image::verify::verify;

use crate::output::Status;

/// Arguments of `saebaram verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram verify drive.img                         (reads drive.img.manifest.json)
  saebaram verify /dev/sdb --manifest drive.img.manifest.json --json

The target is opened read-only. First the BLAKE3 of the image's bytes is compared; if it
differs, the volume is read back through its FAT and folders and every difference is
named: files whose content or size changed, missing or extra files, the volume serial, the
disk signature, or metadata and free space when every file matches. On a drive, bytes past
the image size are not checked.

Exit status: 0 matches, 1 differs, 2 error (cannot open or read).")]
pub struct VerifyArgs {
    /// The image file or drive (e.g. /dev/sdb) to check.
    #[arg(value_name = "IMAGE|DEVICE")]
    pub target: PathBuf,

    /// The image manifest (default: TARGET.manifest.json beside an image file).
    #[arg(long, short, value_name = "M")]
    pub manifest: Option<PathBuf>,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `saebaram verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<Status> {
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| manifest_path_for(&args.target));
    let manifest = ImageManifest::read(&manifest_path).with_context(|| {
        if args.manifest.is_none() {
            "no manifest given with --manifest, and none found beside the target".to_owned()
        } else {
            "cannot read the manifest".to_owned()
        }
    })?;
    let mut file = std::fs::File::open(&args.target)
        .with_context(|| format!("cannot open {} for reading", args.target.display()))?;
    let meta = file.metadata()?;
    let is_device = !meta.is_file();
    let len = file
        .seek(SeekFrom::End(0))
        .with_context(|| format!("cannot find the size of {}", args.target.display()))?;
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(manifest.image.size),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "verifying {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    };
    let report = verify(&mut file, len, is_device, &manifest, &mut |done, _| {
        bar.set_position(done)
    })
    .with_context(|| format!("cannot read {}", args.target.display()))?;
    bar.finish_and_clear();
    if args.json {
        let out = serde_json::json!({
            "target": args.target.display().to_string(),
            "manifest": manifest_path.display().to_string(),
            "ok": report.ok(),
            "bytes_checked": report.bytes_checked,
            "files": report.files,
            "mismatches": report.mismatches,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if report.ok() {
        println!(
            "{}: matches {} ({} bytes, {} files, data BLAKE3 {}, zeros after)",
            args.target.display(),
            manifest_path.display(),
            report.bytes_checked,
            report.files,
            manifest.image.data_blake3
        );
    } else {
        println!(
            "{}: DOES NOT MATCH {} ({} difference(s)):",
            args.target.display(),
            manifest_path.display(),
            report.mismatches.len()
        );
        for m in &report.mismatches {
            println!("  {m}");
        }
    }
    Ok(if report.ok() {
        Status::Done
    } else {
        Status::Negative
    })
}
