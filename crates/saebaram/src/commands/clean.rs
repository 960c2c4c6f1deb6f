//! `saebaram clean`.

use std::path::PathBuf;

use saebaram_clean::FileStatus;
use saebaram_jobs::Env;
use saebaram_jobs::prepare::{CleanReport, CleanRequest};

use crate::output::Status;
use crate::progress::Terminal;

/// Arguments of `saebaram clean`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram clean library/ --out clean/
  saebaram clean photos/ books/ --out clean/ --forbid our-names.txt --json > report.json
  saebaram clean library/ --out clean/ --exclude 'drafts/' --exclude '*.psd'

Every file ends up cleaned (metadata removed, content bytes unchanged), unchanged (nothing to
remove) or blocked (not written: unknown format, damaged file, unknown container member,
forbidden string...). Inputs are never modified. When nothing is blocked, the manifest
OUT/.saebaram-clean.json is written last; `saebaram pack` only accepts such a folder.
Each blocked file has a reason and its kind (`reason_code` in --json): unknown_format,
forbidden, encrypted, active_content, link, unreadable, too_large, damaged, cannot_clean.
Fix it, convert it, or leave it out with --exclude, and clean again.

Films of any size are streamed: memory stays bounded whatever the file size. A file that
grows, shrinks or changes while it is cleaned is blocked and nothing of it is written.

Cleaning again into the same OUT is incremental: a file whose size, times and inode are as
recorded in OUT/.saebaram-clean-state.json (and whose output is untouched) is kept without
being read; one copied or touched but with the same BLAKE3 is read once and kept; outputs
of inputs you deleted or now exclude are deleted. A new version of saebaram or other settings (--forbid,
--drop-icc) redo every file.

Exit status: 0 every file clean, 1 at least one file blocked, 2 usage or I/O error.")]
pub struct CleanArgs {
    /// Files or folders to clean (folders are walked recursively; symlinks are not followed).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output folder (created; must be empty if it exists, or the output of an earlier
    /// `saebaram clean`, which is then updated incrementally). Folder inputs keep their
    /// relative paths under it, file inputs go to its top.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// File listing strings that must not appear in any output (one per line, `#` comments):
    /// names, user names, host names, the group's name. Searched byte-wise as UTF-8 and
    /// UTF-16, ignoring case (Unicode) and Hangul composition, inside zip members and PDF
    /// streams too. A hit blocks the file; reports name the list's line, never the string.
    #[arg(long, value_name = "FILE")]
    pub forbid: Option<PathBuf>,

    /// Drop ICC colour profiles too (they may name the camera or screen maker; colours may
    /// then display differently).
    #[arg(long)]
    pub drop_icc: bool,

    /// Leave out files or folders matching PATTERN (repeatable). As in .gitignore: a name
    /// pattern matches at any depth (`*.tmp`, `Thumbs.db`), a pattern with a `/` is relative
    /// to the input folder (`photos/2019/*.jpg`), a trailing `/` matches folders only
    /// (`drafts/`), `**` crosses folders. Left-out files are not read or written and are
    /// listed in the report; their outputs from an earlier run are deleted.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,

    /// Worker threads (default: one per CPU).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `saebaram clean`.
pub fn run(args: CleanArgs, env: &Env) -> anyhow::Result<Status> {
    let request = CleanRequest {
        inputs: args.inputs.clone(),
        out: args.out.clone(),
        forbid: args.forbid.clone(),
        drop_icc: args.drop_icc,
        threads: args.jobs,
        exclude: args.exclude.clone(),
    };
    crate::interrupt::catch();
    let report = match saebaram_jobs::prepare::clean(request, env, &Terminal::new()) {
        Err(e) if e.kind() == saebaram_jobs::ErrorKind::Cancelled => {
            eprintln!(
                "중단했습니다: 끝난 파일은 출력 폴더에 남아 있고, 같은 명령을 다시 실행하면 이어서 처리합니다.\ninterrupted: the files finished so far are kept in the output folder; run the same command again to go on."
            );
            return Ok(Status::Interrupted(crate::interrupt::EXIT));
        }
        r => r?,
    };
    if args.json {
        let value = serde_json::to_value(&report)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_human(&report);
    }
    Ok(if report.all_clean() {
        Status::Done
    } else {
        Status::Negative
    })
}

fn print_human(report: &CleanReport) {
    for f in &report.files {
        match f.status {
            FileStatus::Cleaned | FileStatus::Unchanged if f.reused => {
                println!(
                    "kept       {} [{}] (input unchanged since the last run)",
                    f.path, f.format
                );
            }
            FileStatus::Cleaned => {
                println!("cleaned    {} [{}]", f.path, f.format);
                for r in &f.removed {
                    println!("             - {r}");
                }
            }
            FileStatus::Unchanged => println!("unchanged  {} [{}]", f.path, f.format),
            FileStatus::Blocked => println!(
                "BLOCKED    {} [{}] {}: {}",
                f.path,
                f.format,
                f.reason_code.map_or("cannot_clean", |k| k.code()),
                f.reason.as_deref().unwrap_or("?")
            ),
        }
    }
    for f in report.files.iter().filter(|f| !f.parts.is_empty()) {
        println!(
            "split      {}: cleaned as one archive, written as {} parts: {}",
            f.path,
            f.parts.len(),
            f.parts.join(", ")
        );
    }
    if report.summary.recovered > 0 {
        println!(
            "taken back {} file(s) an interrupted run had finished (checked by their BLAKE3)",
            report.summary.recovered
        );
    }
    for x in &report.excluded {
        println!("left out   {} (--exclude {})", x.path, x.pattern);
    }
    for d in &report.deleted {
        println!("deleted    {d} (its input is gone, now blocked or left out)");
    }
    let marks = report.summary.redstar_marks;
    let files_marked = report.files_marked;
    println!(
        "\n{} files: {} cleaned, {} unchanged, {} blocked ({} kept from the last run).",
        report.summary.files,
        report.summary.cleaned,
        report.summary.unchanged,
        report.summary.blocked,
        report.summary.reused
    );
    if report.summary.blocked > 0 {
        let mut kinds = std::collections::BTreeMap::new();
        for f in report
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Blocked)
        {
            *kinds.entry(f.reason_code).or_insert(0usize) += 1;
        }
        let parts: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{n} {}", k.map_or("cannot_clean", |k| k.code())))
            .collect();
        println!("Blocked by kind: {}.", parts.join(", "));
    }
    if report.summary.excluded > 0 {
        println!(
            "{} files or folders left out by --exclude (not on the drive).",
            report.summary.excluded
        );
    }
    if marks > 0 {
        println!(
            "Red Star OS watermarks: {marks} machine marks on {files_marked} files (stripped where the file was not blocked)."
        );
    }
    if report.manifest_written {
        println!(
            "Wrote {} (ready for `saebaram pack`).",
            report.manifest_path.display()
        );
    } else {
        println!(
            "Blocked files were not written and no manifest was written: fix them, remove them or leave them out with --exclude PATH, and clean again (into the same folder: only what changed is redone)."
        );
    }
}
