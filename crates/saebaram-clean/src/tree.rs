//! Cleaning one buffer ([`clean_bytes`]) and whole trees of files ([`clean_tree`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::config::Config;
use crate::detect::{Format, detect};
use crate::error::{Blocked, Error, block};
use crate::formats::{self, Ctx};
use crate::manifest::{self, MANIFEST_FILE_NAME};
use crate::redstar;
use crate::report::{FileReport, FileStatus, Report};

/// The result of cleaning one buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanedBytes {
    /// Format recognised.
    pub format: &'static str,
    /// Red Star OS marks found and stripped.
    pub redstar_marks: usize,
    /// The cleaned bytes, or why the file is blocked.
    pub result: Result<Vec<u8>, Blocked>,
    /// What was removed (empty when blocked or unchanged).
    pub removed: Vec<String>,
}

/// Progress of a tree clean, given to the callback after each file.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// Files finished so far.
    pub done: usize,
    /// Files in the run.
    pub total: usize,
    /// The file just finished (relative output path).
    pub path: &'a str,
}

/// Cleans a container member or a file's content (after Red Star stripping), without the
/// forbidden-strings check. `name` is used for text formats and messages.
pub(crate) fn clean_member(
    name: &str,
    data: &[u8],
    cfg: &Config,
    depth: u32,
    removed: &mut Vec<String>,
) -> (Format, Result<Vec<u8>, Blocked>) {
    let format = detect(name, data);
    if depth > cfg.max_depth {
        return (
            format,
            Err(block!("containers nested deeper than {}", cfg.max_depth)),
        );
    }
    let cx = Ctx { cfg, depth };
    let r = match format {
        Format::Jpeg => formats::jpeg::clean(data, &cx, removed),
        Format::Png => formats::png::clean(data, &cx, removed),
        Format::WebP => formats::riff::clean_webp(data, &cx, removed),
        Format::Wav => formats::riff::clean_wav(data, &cx, removed),
        Format::Avi => formats::riff::clean_avi(data, &cx, removed),
        Format::Gif => formats::gif::clean(data, &cx, removed),
        Format::Tiff => Err(block!(
            "TIFF is not supported yet (EXIF lives in the same IFDs as the pixels)"
        )),
        Format::Pdf => formats::pdf::clean(data, &cx, removed),
        Format::Zip => formats::zipdoc::clean(data, &cx, removed),
        Format::Mp3 => formats::sound::clean_mp3(data, &cx, removed),
        Format::Flac => formats::sound::clean_flac(data, &cx, removed),
        Format::Ogg => formats::ogg::clean(data, &cx, removed),
        Format::IsoBmff => formats::isobmff::clean(data, &cx, removed),
        Format::Matroska => formats::matroska::clean(data, &cx, removed),
        Format::Html => formats::text::clean_html(data, &cx, removed),
        Format::Text => formats::text::clean_text(data, &cx, removed),
        Format::Unknown => Err(block!("unknown format")),
    };
    (format, r)
}

/// Cleans one file held in memory. `name` is its path (the extension matters for text).
///
/// Strips Red Star OS trailers, removes metadata by format, then searches the output for the
/// forbidden strings. Never panics on any input.
pub fn clean_bytes(name: &str, data: &[u8], cfg: &Config) -> CleanedBytes {
    let mut removed = Vec::new();
    let (body, marks) = match redstar::strip(data) {
        Ok(x) => x,
        Err(b) => {
            return CleanedBytes {
                format: detect(name, data).name(),
                redstar_marks: 0,
                result: Err(b),
                removed,
            };
        }
    };
    if marks > 0 {
        removed.push(format!(
            "Red Star OS trailer ({marks} machine mark{})",
            if marks == 1 { "" } else { "s" }
        ));
    }
    let (format, result) = clean_member(name, body, cfg, 0, &mut removed);
    let result = result.and_then(|out| match cfg.forbidden.find(&out) {
        Some(hit) => Err(block!("forbidden string {hit} found")),
        None => Ok(out),
    });
    if result.as_ref().map_or(true, |out| out.as_slice() == data) {
        removed.clear();
    }
    CleanedBytes {
        format: format_name(name, format),
        redstar_marks: marks,
        result,
        removed,
    }
}

/// The format name for reports: zip containers are named by their extension when known.
fn format_name(name: &str, format: Format) -> &'static str {
    if format == Format::Zip {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        for known in ["docx", "xlsx", "pptx", "odt", "ods", "odp", "odg", "epub"] {
            if ext == known {
                return known;
            }
        }
    }
    format.name()
}

struct Job {
    rel: String,
    source: PathBuf,
    /// Blocked before reading (symlink, special file, reserved name).
    pre_blocked: Option<String>,
}

fn collect(inputs: &[PathBuf]) -> Result<Vec<Job>, Error> {
    let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
    let mut add = |job: Job| -> Result<(), Error> {
        if let Some(old) = jobs.get(&job.rel) {
            return Err(Error::Usage(format!(
                "{} and {} would both be written as {}",
                old.source.display(),
                job.source.display(),
                job.rel
            )));
        }
        jobs.insert(job.rel.clone(), job);
        Ok(())
    };
    for input in inputs {
        let meta = std::fs::symlink_metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(input)
                .follow_links(false)
                .sort_by_file_name()
            {
                let entry = entry.map_err(|e| {
                    let p = e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| input.clone());
                    Error::io(p, e.into())
                })?;
                if entry.file_type().is_dir() {
                    continue;
                }
                let rel = manifest::relative_posix(input, entry.path()).ok_or_else(|| {
                    Error::Usage(format!(
                        "{}: file name is not UTF-8",
                        entry.path().display()
                    ))
                })?;
                add(job_for(rel, entry.path().to_path_buf(), entry.file_type()))?;
            }
        } else {
            let name = input
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    Error::Usage(format!("{}: file name is not UTF-8", input.display()))
                })?
                .to_string();
            add(job_for(name, input.clone(), meta.file_type()))?;
        }
    }
    Ok(jobs.into_values().collect())
}

fn job_for(rel: String, source: PathBuf, ft: std::fs::FileType) -> Job {
    let pre_blocked = if ft.is_symlink() {
        Some("symbolic link (not followed)".to_string())
    } else if !ft.is_file() {
        Some("not a regular file".to_string())
    } else if rel == MANIFEST_FILE_NAME {
        Some(format!(
            "{MANIFEST_FILE_NAME} is reserved for the clean manifest"
        ))
    } else if !manifest::is_safe_relative(&rel) {
        Some("unsafe file name".to_string())
    } else {
        None
    };
    Job {
        rel,
        source,
        pre_blocked,
    }
}

fn prepare_out(inputs: &[PathBuf], out: &Path) -> Result<PathBuf, Error> {
    match std::fs::symlink_metadata(out) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::Usage(format!(
                "{}: output exists and is not a folder",
                out.display()
            )));
        }
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(|e| Error::io(out, e))?;
            if entries.next().is_some() {
                return Err(Error::Usage(format!(
                    "{}: output folder is not empty (clean writes into an empty or new folder)",
                    out.display()
                )));
            }
        }
        Err(_) => std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?,
    }
    let out_abs = std::fs::canonicalize(out).map_err(|e| Error::io(out, e))?;
    for input in inputs {
        let abs = std::fs::canonicalize(input).map_err(|e| Error::io(input, e))?;
        if out_abs.starts_with(&abs) || abs.starts_with(&out_abs) {
            return Err(Error::Usage(format!(
                "{} and the output {} overlap",
                input.display(),
                out.display()
            )));
        }
    }
    Ok(out_abs)
}

fn write_atomic(dir: &Path, target: &Path, data: &[u8]) -> Result<(), Error> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(data).map_err(|e| Error::io(target, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(target, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(target, e))?;
    }
    tmp.persist(target)
        .map_err(|e| Error::io(target, e.error))?;
    Ok(())
}

fn process(job: &Job, out: &Path, cfg: &Config) -> Result<FileReport, Error> {
    let mut report = FileReport {
        path: job.rel.clone(),
        source: job.source.display().to_string(),
        format: "unknown".into(),
        status: FileStatus::Blocked,
        removed: Vec::new(),
        reason: job.pre_blocked.clone(),
        redstar_marks: 0,
        bytes_in: 0,
        bytes_out: 0,
    };
    if report.reason.is_some() {
        return Ok(report);
    }
    let size = match std::fs::metadata(&job.source) {
        Ok(m) => m.len(),
        Err(e) => {
            report.reason = Some(format!("cannot read: {e}"));
            return Ok(report);
        }
    };
    report.bytes_in = size;
    if size > cfg.max_file_size {
        report.reason = Some(format!(
            "{size} bytes is over the {}-byte limit",
            cfg.max_file_size
        ));
        return Ok(report);
    }
    let data = match std::fs::read(&job.source) {
        Ok(d) => d,
        Err(e) => {
            report.reason = Some(format!("cannot read: {e}"));
            return Ok(report);
        }
    };
    let cleaned = clean_bytes(&job.rel, &data, cfg);
    report.format = cleaned.format.to_string();
    report.redstar_marks = cleaned.redstar_marks;
    match cleaned.result {
        Err(b) => report.reason = Some(b.0),
        Ok(bytes) => {
            let target = out.join(&job.rel);
            let parent = target.parent().unwrap_or(out).to_path_buf();
            std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
            write_atomic(&parent, &target, &bytes)?;
            report.status = if bytes == data {
                FileStatus::Unchanged
            } else {
                FileStatus::Cleaned
            };
            report.removed = cleaned.removed;
            report.bytes_out = bytes.len() as u64;
        }
    }
    Ok(report)
}

/// Cleans every file of `inputs` (files, or folders walked recursively without following
/// symlinks) into the empty or new folder `out`, in parallel, and writes the manifest last
/// when no file was blocked. Inputs are never modified. A folder input's files keep their
/// paths relative to that folder; a file input goes to the top of `out`.
///
/// Returns an error only when the run itself cannot go on (bad output folder, name clash,
/// write failure); a file that cannot be cleaned is a blocked entry in the report.
pub fn clean_tree(
    inputs: &[PathBuf],
    out: &Path,
    cfg: &Config,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Report, Error> {
    let out = prepare_out(inputs, out)?;
    let jobs = collect(inputs)?;
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let run = || -> Result<Vec<FileReport>, Error> {
        jobs.par_iter()
            .map(|job| {
                let r = process(job, &out, cfg);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress(&Progress {
                    done: n,
                    total,
                    path: &job.rel,
                });
                r
            })
            .collect()
    };
    let mut files = match cfg.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {n} threads: {e}")))?
            .install(run)?,
        None => run()?,
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut report = Report {
        files,
        manifest_written: false,
    };
    if report.all_clean() {
        let written: Vec<(String, PathBuf)> = report
            .files
            .iter()
            .map(|f| (f.path.clone(), out.join(&f.path)))
            .collect();
        let m = manifest::build(&written)?;
        write_atomic(&out, &out.join(MANIFEST_FILE_NAME), &m.to_json())?;
        report.manifest_written = true;
    }
    Ok(report)
}
