//! `saebaram verify`.

use std::path::PathBuf;

use saebaram_jobs::Env;
use saebaram_jobs::flash::VerifyRequest;

use crate::output::Status;
use crate::progress::Terminal;

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
pub fn run(args: VerifyArgs, env: &Env) -> anyhow::Result<Status> {
    let request = VerifyRequest {
        target: args.target.clone(),
        manifest: args.manifest.clone(),
    };
    let terminal = Terminal::new().quiet(args.quiet);
    let report = saebaram_jobs::flash::verify(request, env, &terminal)?;
    if args.json {
        // Through a `Value`: its keys print sorted, as they always have.
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else if report.ok {
        println!(
            "{}: matches {} ({} bytes, {} files, data BLAKE3 {}, zeros after)",
            report.target, report.manifest, report.bytes_checked, report.files, report.data_blake3
        );
    } else {
        println!(
            "{}: DOES NOT MATCH {} ({} difference(s)):",
            report.target,
            report.manifest,
            report.mismatches.len()
        );
        for m in &report.mismatches {
            println!("  {m}");
        }
    }
    Ok(if report.ok {
        Status::Done
    } else {
        Status::Negative
    })
}
