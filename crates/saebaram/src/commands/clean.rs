//! `saebaram clean`.

use std::path::PathBuf;

use anyhow::Context;
use saebaram_clean::{Config, FileStatus, Forbidden, Progress, Report};

use crate::output::Status;

/// Arguments of `saebaram clean`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram clean library/ --out clean/
  saebaram clean photos/ books/ --out clean/ --forbid our-names.txt --json > report.json

Every file ends up cleaned (metadata removed, content bytes unchanged), unchanged (nothing to
remove) or blocked (not written: unknown format, damaged file, unknown container member,
forbidden string...). Inputs are never modified. When nothing is blocked, the manifest
OUT/.saebaram-clean.json is written last; `saebaram pack` only accepts such a folder.

Exit status: 0 every file clean, 1 at least one file blocked, 2 usage or I/O error.")]
pub struct CleanArgs {
    /// Files or folders to clean (folders are walked recursively; symlinks are not followed).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output folder (created; must be empty if it exists). Folder inputs keep their
    /// relative paths under it, file inputs go to its top.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// File listing strings that must not appear in any output (one per line, `#` comments):
    /// names, user names, host names, the group's name. Searched byte-wise as UTF-8 and
    /// UTF-16, ignoring ASCII case, inside zip members and PDF streams too. A hit blocks the file.
    #[arg(long, value_name = "FILE")]
    pub forbid: Option<PathBuf>,

    /// Drop ICC colour profiles too (they may name the camera or screen maker; colours may
    /// then display differently).
    #[arg(long)]
    pub drop_icc: bool,

    /// Worker threads (default: one per CPU).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `saebaram clean`.
pub fn run(args: CleanArgs) -> anyhow::Result<Status> {
    let mut cfg = Config::default();
    if let Some(path) = &args.forbid {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the forbidden-strings file {}", path.display())
        })?;
        cfg.forbidden = Forbidden::parse_list(&text);
        if cfg.forbidden.is_empty() {
            anyhow::bail!(
                "{}: the forbidden-strings file lists no string",
                path.display()
            );
        }
    }
    cfg.keep_icc = !args.drop_icc;
    if args.jobs == Some(0) {
        anyhow::bail!("--jobs must be at least 1");
    }
    cfg.threads = args.jobs;

    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |p: &Progress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(p.path.to_string());
    };
    let report = saebaram_clean::clean_tree(&args.inputs, &args.out, &cfg, &progress)
        .with_context(|| format!("cleaning into {}", args.out.display()))?;
    bar.finish_and_clear();

    if args.json {
        let json = serde_json::json!({
            "version": 1,
            "out": args.out.display().to_string(),
            "summary": summary(&report),
            "manifest_written": report.manifest_written,
            "files": report.files,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_human(&report, &args);
    }
    Ok(if report.all_clean() {
        Status::Done
    } else {
        Status::Negative
    })
}

fn summary(report: &Report) -> serde_json::Value {
    serde_json::json!({
        "files": report.files.len(),
        "cleaned": report.count(FileStatus::Cleaned),
        "unchanged": report.count(FileStatus::Unchanged),
        "blocked": report.count(FileStatus::Blocked),
        "redstar_marks": report.redstar_marks(),
    })
}

fn print_human(report: &Report, args: &CleanArgs) {
    for f in &report.files {
        match f.status {
            FileStatus::Cleaned => {
                println!("cleaned    {} [{}]", f.path, f.format);
                for r in &f.removed {
                    println!("             - {r}");
                }
            }
            FileStatus::Unchanged => println!("unchanged  {} [{}]", f.path, f.format),
            FileStatus::Blocked => println!(
                "BLOCKED    {} [{}]: {}",
                f.path,
                f.format,
                f.reason.as_deref().unwrap_or("?")
            ),
        }
    }
    let marks = report.redstar_marks();
    let files_marked = report.files.iter().filter(|f| f.redstar_marks > 0).count();
    println!(
        "\n{} files: {} cleaned, {} unchanged, {} blocked.",
        report.files.len(),
        report.count(FileStatus::Cleaned),
        report.count(FileStatus::Unchanged),
        report.count(FileStatus::Blocked)
    );
    if marks > 0 {
        println!(
            "Red Star OS watermarks: {marks} machine marks on {files_marked} files (stripped where the file was not blocked)."
        );
    }
    if report.manifest_written {
        println!(
            "Wrote {} (ready for `saebaram pack`).",
            args.out
                .join(saebaram_clean::manifest::MANIFEST_FILE_NAME)
                .display()
        );
    } else {
        println!(
            "Blocked files were not written and no manifest was written: fix or remove them and clean again into an empty folder."
        );
    }
}
