//! Cleaning one buffer ([`clean_bytes`]) and whole trees of files ([`clean_tree`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::budget::MemoryBudget;
use crate::config::Config;
use crate::error::{BlockKind, Blocked, Error, block};
use crate::exclude::Exclusions;
use crate::formats::{self, Ctx};
use crate::manifest::{self, MANIFEST_FILE_NAME};
use crate::output::SplitOutput;
use crate::redstar;
use crate::report::{Excluded, FileReport, FileStatus, Report};
use crate::source::{Fingerprint, InputFiles, Source, Window};
use crate::state::{Journal, PartOutput, STATE_FILE_NAME, State, StateEntry, StoredFingerprint};
use crate::stream::{self, InputHasher, StreamError};

/// Prefix of the temporary files a run writes beside their final names (removed on start
/// if a crash left any).
pub const PARTIAL_PREFIX: &str = ".saebaram-partial-";

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

/// Progress of a tree clean, given to the callback after each file and as large files
/// stream.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// Files finished so far.
    pub done: usize,
    /// Files in the run.
    pub total: usize,
    /// The file just finished or being written (relative output path).
    pub path: &'a str,
    /// Input bytes handled so far (a reused file counts whole).
    pub bytes_done: u64,
    /// Input bytes in the run.
    pub bytes_total: u64,
}

/// Cleans one file held in memory. `name` is its path (the extension matters for text).
///
/// Strips Red Star OS trailers, removes metadata by format, then searches the output for the
/// forbidden strings. Never panics on any input.
pub fn clean_bytes(name: &str, data: &[u8], cfg: &Config) -> CleanedBytes {
    let budget = MemoryBudget::new(cfg.memory_budget);
    let mut removed = Vec::new();
    let (body_len, marks) = match redstar::strip_source(&data) {
        Ok(x) => x,
        Err(b) => {
            return CleanedBytes {
                format: "unknown",
                redstar_marks: 0,
                result: Err(b),
                removed,
            };
        }
    };
    let body = Window::prefix(&data, body_len);
    let cx = Ctx::new(cfg, &budget, name);
    let (format, plan) = formats::clean_source(&body, &cx, &mut removed);
    let result = plan.and_then(|plan| {
        let mut out = Vec::new();
        match stream::write_plan(&body, &plan, &cfg.forbidden, &mut out, None) {
            Ok(_) => Ok(out),
            Err(StreamError::Blocked(b)) => Err(b),
            Err(StreamError::Write(e)) => Err(block!(CannotClean, "cannot write: {e}")),
        }
    });
    if marks > 0 {
        removed.insert(0, redstar_line(marks));
    }
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

fn redstar_line(marks: usize) -> String {
    format!(
        "Red Star OS trailer ({marks} machine mark{})",
        if marks == 1 { "" } else { "s" }
    )
}

/// The format name for reports: zip containers are named by their extension when known.
fn format_name(name: &str, format: &'static str) -> &'static str {
    if format == "zip" {
        let ext = crate::detect::extension(name);
        for known in [
            "docx", "xlsx", "pptx", "odt", "ods", "odp", "odg", "epub", "hwpx",
        ] {
            if ext == known {
                return known;
            }
        }
    }
    format
}

struct Job {
    rel: String,
    source: PathBuf,
    /// Every file of the input, in order: `[source]`, or a split archive's parts.
    parts: Vec<PathBuf>,
    /// A split archive (`NAME.zimaa`...): cleaned as one, written back in parts.
    split: bool,
    /// Blocked before reading (symlink, special file, reserved name).
    pre_blocked: Option<Blocked>,
    /// Size when listed (for progress).
    size: u64,
}

fn collect(inputs: &[PathBuf], exclude: &Exclusions) -> Result<(Vec<Job>, Vec<Excluded>), Error> {
    let mut jobs: BTreeMap<String, Job> = BTreeMap::new();
    let mut excluded = Vec::new();
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
            let walker = walkdir::WalkDir::new(input)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|entry| {
                    // The input folder itself is never left out; below it, a matching
                    // folder is not entered and a matching file not read.
                    if entry.depth() == 0 || exclude.is_empty() {
                        return true;
                    }
                    let Some(rel) = manifest::relative_posix(input, entry.path()) else {
                        return true;
                    };
                    let is_dir = entry.file_type().is_dir();
                    match exclude.matching(&rel, is_dir) {
                        Some(pattern) => {
                            let suffix = if is_dir { "/" } else { "" };
                            excluded.push(Excluded {
                                path: format!("{rel}{suffix}"),
                                source: entry.path().display().to_string(),
                                pattern: pattern.to_owned(),
                            });
                            false
                        }
                        None => true,
                    }
                });
            for entry in walker {
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
                let size = entry.metadata().map_or(0, |m| m.len());
                add(job_for(
                    rel,
                    entry.path().to_path_buf(),
                    entry.file_type(),
                    size,
                ))?;
            }
        } else {
            let name = input
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    Error::Usage(format!("{}: file name is not UTF-8", input.display()))
                })?
                .to_string();
            if let Some(pattern) = exclude.matching(&name, meta.is_dir()) {
                excluded.push(Excluded {
                    path: name,
                    source: input.display().to_string(),
                    pattern: pattern.to_owned(),
                });
                continue;
            }
            add(job_for(name, input.clone(), meta.file_type(), meta.len()))?;
        }
    }
    group_split_sets(&mut jobs);
    excluded.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((jobs.into_values().collect(), excluded))
}

fn job_for(rel: String, source: PathBuf, ft: std::fs::FileType, size: u64) -> Job {
    let pre_blocked = if ft.is_symlink() {
        Some(Blocked::new(
            BlockKind::Link,
            "symbolic link (not followed)",
        ))
    } else if !ft.is_file() {
        Some(Blocked::new(BlockKind::Link, "not a regular file"))
    } else if manifest::RESERVED_NAMES.contains(&rel.as_str()) {
        Some(Blocked::new(
            BlockKind::Link,
            format!("{rel} is reserved for saebaram's own records"),
        ))
    } else if !manifest::is_safe_relative(&rel) {
        Some(Blocked::new(BlockKind::Link, "unsafe file name"))
    } else {
        None
    };
    Job {
        rel,
        parts: vec![source.clone()],
        source,
        split: false,
        pre_blocked,
        size,
    }
}

/// Most parts of a split archive: two-letter suffixes `aa` to `zz`, as `split` and
/// `zimsplit` name them.
const MAX_PARTS: usize = 26 * 26;

/// The suffix of part `i` (0-based) of a split archive: `aa`, `ab`, ... `zz`.
fn part_suffix(i: usize) -> Option<String> {
    let (a, b) = (u8::try_from(i / 26).ok()?, u8::try_from(i % 26).ok()?);
    (i < MAX_PARTS).then(|| format!("{}{}", char::from(b'a' + a), char::from(b'a' + b)))
}

/// Part `i` of the split archive whose first part is `first_rel` (`dir/NAME.zimaa`).
fn part_rel(first_rel: &str, i: usize) -> Option<String> {
    let stem = first_rel.strip_suffix("aa")?;
    Some(format!("{stem}{}", part_suffix(i)?))
}

/// Makes one job of each split ZIM: `NAME.zimaa`, `NAME.zimab`... side by side, from `aa`
/// on with none missing, each a regular file. The set is named after its first part.
/// A part outside such a set (a later part whose first is missing, or one after a gap)
/// stays a job of its own, which the ZIM cleaner blocks, naming what is missing.
fn group_split_sets(jobs: &mut BTreeMap<String, Job>) {
    let firsts: Vec<String> = jobs
        .iter()
        .filter(|(rel, j)| rel.ends_with(".zimaa") && j.pre_blocked.is_none())
        .map(|(rel, _)| rel.clone())
        .collect();
    for first in firsts {
        let mut more = Vec::new();
        let mut i = 1;
        while let Some(rel) = part_rel(&first, i) {
            match jobs.get(&rel) {
                Some(j) if j.pre_blocked.is_none() => more.push(rel),
                _ => break,
            }
            i += 1;
        }
        let taken: Vec<Job> = more.iter().filter_map(|rel| jobs.remove(rel)).collect();
        if let Some(job) = jobs.get_mut(&first) {
            job.split = true;
            for part in taken {
                job.size += part.size;
                job.parts.push(part.source);
            }
        }
    }
}

/// Prepares the output folder: a new or empty folder, or the output of an earlier run
/// (which has a state file). Returns its absolute path and the earlier state.
fn prepare_out(inputs: &[PathBuf], out: &Path) -> Result<(PathBuf, Option<State>, usize), Error> {
    let mut previous = None;
    let mut recovered = 0;
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
                // A run killed before it wrote its state left a journal: take its finished
                // files back first.
                (previous, recovered) = crate::state::recover(out, State::read(out)?)?;
                if previous.is_none() {
                    return Err(Error::Usage(format!(
                        "{}: output folder is not empty and was not written by `saebaram clean` (clean writes into an empty or new folder, or again into its own earlier output)",
                        out.display()
                    )));
                }
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
    if let Some(state) = &previous {
        check_only_ours(&out_abs, state)?;
    }
    Ok((out_abs, previous, recovered))
}

/// An earlier output may hold only what the state lists, the manifest and the state, and
/// partial files of an interrupted run (removed here).
fn check_only_ours(out: &Path, state: &State) -> Result<(), Error> {
    let known: BTreeSet<&str> = state
        .files
        .iter()
        .flat_map(|e| e.output_files().map(|(path, _, _)| path))
        .collect();
    for entry in walkdir::WalkDir::new(out).follow_links(false) {
        let entry = entry.map_err(|e| Error::io(out, e.into()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = manifest::relative_posix(out, entry.path()).unwrap_or_default();
        let name = entry.file_name().to_str().unwrap_or_default();
        if name.starts_with(PARTIAL_PREFIX) && entry.file_type().is_file() {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            continue;
        }
        if !entry.file_type().is_file()
            || !(known.contains(rel.as_str()) || manifest::RESERVED_NAMES.contains(&rel.as_str()))
        {
            return Err(Error::Usage(format!(
                "{}: holds {} which `saebaram clean` did not write; remove it or clean into an empty folder",
                out.display(),
                entry.path().display()
            )));
        }
    }
    Ok(())
}

/// Writes `data` to `target` in `dir`: a partial file, synced, then renamed.
pub(crate) fn write_atomic(dir: &Path, target: &Path, data: &[u8]) -> Result<(), Error> {
    let mut tmp = tempfile::Builder::new()
        .prefix(PARTIAL_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(data).map_err(|e| Error::io(target, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(target, e))?;
    set_readable(tmp.as_file(), target)?;
    tmp.persist(target)
        .map_err(|e| Error::io(target, e.error))?;
    Ok(())
}

fn set_readable(file: &std::fs::File, target: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(target, e))?;
    }
    #[cfg(not(unix))]
    let _ = (file, target);
    Ok(())
}

/// What one job left: its report line and, unless blocked, its state entry.
struct Outcome {
    report: FileReport,
    entry: Option<StateEntry>,
}

/// Shared by the workers of one run.
struct Run<'a> {
    out: &'a Path,
    cfg: &'a Config,
    budget: MemoryBudget,
    previous: BTreeMap<String, StateEntry>,
    bytes_done: AtomicU64,
    bytes_total: u64,
    files_done: AtomicUsize,
    files_total: usize,
    progress: &'a (dyn Fn(&Progress) + Sync),
    cancelled: &'a (dyn Fn() -> bool + Sync),
    /// Every job's path: a split archive's new part may not take another input's name.
    rels: BTreeSet<String>,
    /// Each output's entry, recorded before it is renamed into place.
    journal: &'a Journal,
}

impl Run<'_> {
    fn advance(&self, rel: &str, bytes: u64, file_done: bool) {
        let b = self.bytes_done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let n = if file_done {
            self.files_done.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.files_done.load(Ordering::Relaxed)
        };
        (self.progress)(&Progress {
            done: n,
            total: self.files_total,
            path: rel,
            bytes_done: b,
            bytes_total: self.bytes_total,
        });
    }

    fn process(&self, job: &Job) -> Result<Outcome, Error> {
        let mut report = FileReport {
            path: job.rel.clone(),
            source: job.source.display().to_string(),
            format: "unknown".into(),
            status: FileStatus::Blocked,
            removed: Vec::new(),
            reason: job.pre_blocked.as_ref().map(|b| b.reason.clone()),
            reason_code: job.pre_blocked.as_ref().map(|b| b.kind),
            redstar_marks: 0,
            bytes_in: 0,
            bytes_out: 0,
            reused: false,
            parts: Vec::new(),
        };
        if report.reason.is_some() {
            return Ok(Outcome {
                report,
                entry: None,
            });
        }
        let src = match InputFiles::open(&job.parts) {
            Ok(s) => s,
            Err(e) => {
                report.reason = Some(format!("cannot read: {e}"));
                report.reason_code = Some(BlockKind::Unreadable);
                return Ok(Outcome {
                    report,
                    entry: None,
                });
            }
        };
        report.bytes_in = src.len();
        let target = self.out.join(&job.rel);
        if let Some(entry) = self.reuse(&job.rel, &src) {
            report.format = entry.format.clone();
            report.status = entry.status;
            report.removed = entry.removed.clone();
            report.redstar_marks = entry.redstar_marks;
            report.bytes_out = entry.output_files().map(|(_, fp, _)| fp.size).sum();
            report.reused = true;
            if job.split {
                report.parts = entry
                    .output_files()
                    .map(|(p, _, _)| p.to_string())
                    .collect();
            }
            return Ok(Outcome {
                report,
                entry: Some(entry),
            });
        }
        match self.clean_file(&job.rel, &src, &target, job.split, &mut report)? {
            Ok(entry) => Ok(Outcome {
                report,
                entry: Some(entry),
            }),
            Err(b) => {
                report.status = FileStatus::Blocked;
                report.removed.clear();
                report.bytes_out = 0;
                report.parts.clear();
                report.reason = Some(b.reason);
                report.reason_code = Some(b.kind);
                Ok(Outcome {
                    report,
                    entry: None,
                })
            }
        }
    }

    /// The earlier entry for `rel`, updated, when its output can be kept as it is.
    fn reuse(&self, rel: &str, src: &InputFiles) -> Option<StateEntry> {
        let prior = self.previous.get(rel)?;
        for (path, written, _) in prior.output_files() {
            let now = Fingerprint::of(&std::fs::symlink_metadata(self.out.join(path)).ok()?);
            if StoredFingerprint::from(now) != *written {
                return None;
            }
        }
        let input = StoredFingerprint::from(src.fingerprint());
        let more: Vec<StoredFingerprint> = src
            .more_fingerprints()
            .into_iter()
            .map(StoredFingerprint::from)
            .collect();
        if input == prior.input && more == prior.more_inputs {
            return Some(prior.clone());
        }
        let sizes = |first: &StoredFingerprint, rest: &[StoredFingerprint]| {
            std::iter::once(first.size)
                .chain(rest.iter().map(|f| f.size))
                .collect::<Vec<u64>>()
        };
        if sizes(&input, &more) != sizes(&prior.input, &prior.more_inputs) {
            return None;
        }
        // Same size, other times or inode: hash it again; keep the output if it is the same.
        let hash = InputHasher::new(src).finish().ok()?;
        src.check_unchanged().ok()?;
        (hash.to_hex().as_str() == prior.input_blake3).then(|| StateEntry {
            input,
            more_inputs: more,
            ..prior.clone()
        })
    }

    /// Cleans `src` into `target` (temp file, then rename); a split archive into its parts
    /// beside it (`target` is the first). The outer error stops the run (the output folder
    /// cannot be written); the inner one blocks the file.
    fn clean_file(
        &self,
        rel: &str,
        src: &InputFiles,
        target: &Path,
        split: bool,
        report: &mut FileReport,
    ) -> Result<Result<StateEntry, Blocked>, Error> {
        let (body_len, marks) = match redstar::strip_source(src) {
            Ok(x) => x,
            Err(b) => return Ok(Err(b)),
        };
        report.redstar_marks = marks;
        let body = Window::prefix(src, body_len);
        // A split archive is cleaned as the one file its parts make (`NAME.zim`).
        let logical = match rel.strip_suffix("aa") {
            Some(stem) if split => stem.to_string(),
            _ => rel.to_string(),
        };
        let part_len = if split {
            match split_part_len(&src.part_lens()) {
                Ok(n) => n,
                Err(b) => return Ok(Err(b)),
            }
        } else {
            u64::MAX
        };
        let cx = Ctx::new(self.cfg, &self.budget, &logical);
        let mut removed = Vec::new();
        let (format, plan) = formats::clean_source(&body, &cx, &mut removed);
        report.format = format_name(&logical, format).to_string();
        let plan = match plan {
            Ok(p) => p,
            Err(b) => return Ok(Err(b)),
        };
        // The output's parts: as long as the input's, the last one shorter (a cleaned archive
        // may grow into one more part, or shrink into one fewer).
        let names: Vec<String> = if split {
            let count = usize::try_from(plan.len().div_ceil(part_len).max(1)).unwrap_or(usize::MAX);
            if count > MAX_PARTS {
                return Ok(Err(block!(
                    TooLarge,
                    "split archive: the cleaned file needs {count} parts of {part_len} bytes, more than the {MAX_PARTS} that part names (aa to zz) allow"
                )));
            }
            let names: Vec<String> = (0..count).filter_map(|i| part_rel(rel, i)).collect();
            if let Some(clash) = names
                .iter()
                .skip(src.part_lens().len())
                .find(|n| self.rels.contains(n.as_str()))
            {
                return Ok(Err(block!(
                    CannotClean,
                    "split archive: the cleaned file needs one more part, {clash}, and a file of that name is already in the library (not part of this set): move it away"
                )));
            }
            names
        } else {
            vec![rel.to_string()]
        };
        let parent = target.parent().unwrap_or(self.out).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let tmps = names
            .iter()
            .map(|_| {
                tempfile::Builder::new()
                    .prefix(PARTIAL_PREFIX)
                    .tempfile_in(&parent)
                    .map_err(|e| Error::io(&parent, e))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut input_hash = InputHasher::new(src);
        let (written, parts) = {
            let mut sink = Progressing {
                inner: SplitOutput::new(
                    tmps.iter().map(tempfile::NamedTempFile::as_file).collect(),
                    part_len,
                    split,
                ),
                run: self,
                rel,
                pending: 0,
            };
            let r = stream::write_plan(
                &body,
                &plan,
                &self.cfg.forbidden,
                &mut sink,
                Some(&mut input_hash),
            );
            sink.report();
            (r, sink.inner.parts())
        };
        let written = match written {
            Ok(w) => w,
            Err(StreamError::Write(e)) if e.get_ref().is_some_and(|r| r.is::<Stopped>()) => {
                // Asked to stop (see `Progressing`): the partial files go with `tmps`.
                return Err(Error::Cancelled);
            }
            Err(StreamError::Blocked(b)) => return Ok(Err(b)),
            Err(StreamError::Write(e)) => return Err(Error::io(target, e)),
        };
        let input_blake3 = match input_hash.finish() {
            Ok(h) => h,
            Err(b) => return Ok(Err(b)),
        };
        if let Err(b) = src.check_unchanged() {
            return Ok(Err(b));
        }
        // Not synced here: the run flushes the whole output once before it writes the state
        // and the manifest (`sync_outputs`), which is what makes the outputs count.
        let mut outputs = Vec::with_capacity(names.len());
        for ((tmp, name), (_, part_hash)) in tmps.iter().zip(&names).zip(parts) {
            let path = self.out.join(name);
            set_readable(tmp.as_file(), &path)?;
            let fp = Fingerprint::of(&tmp.as_file().metadata().map_err(|e| Error::io(&path, e))?);
            let hash = part_hash.unwrap_or(written.blake3);
            outputs.push(PartOutput {
                path: name.clone(),
                output: fp.into(),
                output_blake3: hash.to_hex().to_string(),
            });
        }
        let unchanged = plan.is_unchanged(src.len());
        if marks > 0 {
            removed.insert(0, redstar_line(marks));
        }
        if unchanged {
            removed.clear();
        }
        report.status = if unchanged {
            FileStatus::Unchanged
        } else {
            FileStatus::Cleaned
        };
        report.removed = removed.clone();
        report.bytes_out = written.len;
        if split {
            report.parts = names.clone();
        }
        let mut outputs = outputs.into_iter();
        let Some(first) = outputs.next() else {
            return Err(Error::io(
                target,
                std::io::Error::other("no output written"),
            ));
        };
        let mut entry = StateEntry {
            path: rel.to_string(),
            input: src.fingerprint().into(),
            input_blake3: input_blake3.to_hex().to_string(),
            format: report.format.clone(),
            status: report.status,
            removed,
            redstar_marks: marks,
            output: first.output,
            output_blake3: first.output_blake3,
            more_inputs: src
                .more_fingerprints()
                .into_iter()
                .map(StoredFingerprint::from)
                .collect(),
            more_outputs: outputs.collect(),
            stale: false,
        };
        // The journal first, then the renames: a run killed in between leaves a line for a
        // file not in place (skipped), never a file in place that nothing lists.
        self.journal.record(&entry)?;
        for (tmp, name) in tmps.into_iter().zip(&names) {
            let path = self.out.join(name);
            tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        }
        // The renames changed the files' status-change times: the state keeps what is there.
        let now = |name: &str| -> Result<StoredFingerprint, Error> {
            let path = self.out.join(name);
            let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
            Ok(Fingerprint::of(&meta).into())
        };
        entry.output = now(&entry.path)?;
        for part in &mut entry.more_outputs {
            part.output = now(&part.path)?;
        }
        Ok(Ok(entry))
    }
}

/// The part length of a split archive: every part but the last the same length, the last
/// no longer (as `split -b` and `zimsplit` make them); anything else is refused.
fn split_part_len(lens: &[u64]) -> Result<u64, Blocked> {
    let first = lens.first().copied().unwrap_or(0);
    let (last, middle) = match lens.split_last() {
        Some((last, rest)) => (*last, rest),
        None => (0, &[][..]),
    };
    if first == 0 || middle.iter().any(|&n| n != first) || last > first {
        return Err(block!(
            Damaged,
            "split archive: its parts are not all the same size (part sizes: {}); join them and split them again with one size",
            lens.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(first)
}

/// The write error [`Progressing`] returns when the run is asked to stop (not
/// `ErrorKind::Interrupted`, which `write_all` retries).
#[derive(Debug)]
struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("asked to stop")
    }
}

impl std::error::Error for Stopped {}

/// A writer that reports progress every few MiB and, when the run is asked to stop, fails
/// the write with [`Stopped`] so a large file is abandoned within one chunk.
struct Progressing<'r, 'a, W: Write> {
    inner: W,
    run: &'r Run<'a>,
    rel: &'r str,
    pending: u64,
}

impl<W: Write> Progressing<'_, '_, W> {
    fn report(&mut self) {
        if self.pending > 0 {
            self.run.advance(self.rel, self.pending, false);
            self.pending = 0;
        }
    }
}

impl<W: Write> Write for Progressing<'_, '_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.run.cancelled)() {
            return Err(std::io::Error::other(Stopped));
        }
        let n = self.inner.write(buf)?;
        self.pending += n as u64;
        if self.pending >= 16 << 20 {
            self.report();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Cleans every file of `inputs` (files, or folders walked recursively without following
/// symlinks) into `out`, in parallel, and writes the manifest last when no file was blocked.
/// Inputs are never modified. A folder input's files keep their paths relative to that
/// folder; a file input goes to the top of `out`.
///
/// `out` is a new or empty folder, or the output of an earlier run: then the run is
/// incremental (see [`crate::state`]): unchanged inputs keep their output without being
/// cleaned again, the outputs of inputs that are gone (or now blocked) are deleted, and the
/// state and manifest describe exactly the files now in `out`.
///
/// Returns an error only when the run itself cannot go on (bad output folder, name clash,
/// write failure); a file that cannot be cleaned is a blocked entry in the report.
///
/// `cancelled` is asked before each file and during every write; once it says yes the run
/// stops within one chunk of the files being written, abandons them (their partial files
/// are removed), records what it finished in the state (so the next run into `out` keeps
/// it) and returns [`Error::Cancelled`] without a manifest.
pub fn clean_tree(
    inputs: &[PathBuf],
    out: &Path,
    cfg: &Config,
    progress: &(dyn Fn(&Progress) + Sync),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Report, Error> {
    let (out, previous, recovered) = prepare_out(inputs, out)?;
    let (jobs, excluded) = collect(inputs, &cfg.exclude)?;
    // No manifest while the folder is being changed: an interrupted run leaves none.
    remove_if_present(&out.join(MANIFEST_FILE_NAME))?;
    let settings = cfg.settings_key();
    let journal = Journal::create(&out, &settings)?;
    let run = Run {
        out: &out,
        cfg,
        budget: MemoryBudget::new(cfg.memory_budget),
        previous: previous
            .as_ref()
            .map(|s| s.reusable(&settings))
            .unwrap_or_default(),
        bytes_done: AtomicU64::new(0),
        bytes_total: jobs.iter().map(|j| j.size).sum(),
        files_done: AtomicUsize::new(0),
        files_total: jobs.len(),
        progress,
        cancelled,
        rels: jobs.iter().map(|j| j.rel.clone()).collect(),
        journal: &journal,
    };
    // `None`: not done because the run was asked to stop.
    let work = || -> Result<Vec<Option<Outcome>>, Error> {
        jobs.par_iter()
            .map(|job| {
                if cancelled() {
                    return Ok(None);
                }
                let r = match run.process(job) {
                    Err(Error::Cancelled) => return Ok(None),
                    r => r,
                };
                let unreported = match &r {
                    Ok(o) if o.report.reused || o.report.status == FileStatus::Blocked => {
                        o.report.bytes_in
                    }
                    _ => 0,
                };
                run.advance(&job.rel, unreported, true);
                r.map(Some)
            })
            .collect()
    };
    let outcomes = match cfg.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {n} threads: {e}")))?
            .install(work)?,
        None => work()?,
    };
    if outcomes.iter().any(Option::is_none) || cancelled() {
        let done: Vec<Outcome> = outcomes.into_iter().flatten().collect();
        keep_what_is_done(&out, &done, previous.as_ref(), settings)?;
        drop(run);
        journal.remove()?;
        return Err(Error::Cancelled);
    }
    let mut outcomes: Vec<Outcome> = outcomes.into_iter().flatten().collect();
    outcomes.sort_by(|a, b| a.report.path.cmp(&b.report.path));
    sync_outputs(&out, written_by(&out, &outcomes))?;
    let mut state = State::new(settings);
    state.files = outcomes.iter().filter_map(|o| o.entry.clone()).collect();
    // Outputs of inputs that are gone or now blocked (and parts a split archive no longer
    // needs).
    let kept: BTreeSet<&str> = state
        .files
        .iter()
        .flat_map(|e| e.output_files().map(|(path, _, _)| path))
        .collect();
    let mut deleted = Vec::new();
    for old in previous.iter().flat_map(|s| s.files.iter()) {
        for (old_path, _, _) in old.output_files() {
            if !kept.contains(old_path) {
                let path = out.join(old_path);
                remove_if_present(&path)?;
                remove_empty_parents(&out, &path);
                deleted.push(old_path.to_string());
            }
        }
    }
    write_atomic(&out, &out.join(STATE_FILE_NAME), &state.to_json())?;
    drop(run);
    journal.remove()?;
    let mut report = Report {
        files: outcomes.into_iter().map(|o| o.report).collect(),
        manifest_written: false,
        deleted,
        excluded,
        recovered,
    };
    if report.all_clean() {
        let m = manifest::from_entries(state.files.iter().flat_map(|e| {
            e.output_files()
                .map(|(path, fp, hash)| (path.to_string(), fp.size, hash.to_string()))
                .collect::<Vec<_>>()
        }));
        write_atomic(&out, &out.join(MANIFEST_FILE_NAME), &m.to_json())?;
        report.manifest_written = true;
    }
    Ok(report)
}

/// The files this run wrote (every part of a split archive).
fn written_by(out: &Path, outcomes: &[Outcome]) -> Vec<PathBuf> {
    outcomes
        .iter()
        .filter(|o| !o.report.reused)
        .filter_map(|o| o.entry.as_ref())
        .flat_map(|e| e.output_files().map(|(path, _, _)| out.join(path)))
        .collect()
}

/// After a stop: makes what was written durable and records it, with every earlier entry
/// that was not redone (those written with other settings or another cleaner as stale:
/// listed so a later run deletes them if their input is gone, never reused). Files this run
/// blocked keep their earlier entry; their input changed, so the next run looks at them
/// again. Outputs of inputs that are gone stay until a run finishes.
fn keep_what_is_done(
    out: &Path,
    done: &[Outcome],
    previous: Option<&State>,
    settings: String,
) -> Result<(), Error> {
    sync_outputs(out, written_by(out, done))?;
    let mut files: BTreeMap<String, StateEntry> = BTreeMap::new();
    if let Some(prev) = previous {
        let reusable = prev.reusable(&settings);
        for e in &prev.files {
            let mut e = e.clone();
            e.stale = !reusable.contains_key(&e.path);
            files.insert(e.path.clone(), e);
        }
    }
    for o in done {
        if let Some(e) = &o.entry {
            files.insert(e.path.clone(), e.clone());
        }
    }
    let mut state = State::new(settings);
    state.files = files.into_values().collect();
    write_atomic(out, &out.join(STATE_FILE_NAME), &state.to_json())
}

/// Makes the files written by this run durable before the state and manifest vouch for
/// them: one `syncfs` of the output's filesystem on Linux, one `fsync` per file elsewhere.
fn sync_outputs(out: &Path, written: Vec<PathBuf>) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        let _ = written;
        let dir = std::fs::File::open(out).map_err(|e| Error::io(out, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::io(out, e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = out;
        for path in written {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}

fn remove_if_present(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Removes the now-empty folders between `path` and `root` (best effort: a folder that is
/// not empty stays).
fn remove_empty_parents(root: &Path, path: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| manifest::relative_posix(dir, e.path()).unwrap_or_default())
            .collect();
        v.sort();
        v
    }

    fn never() -> bool {
        false
    }

    #[test]
    fn a_stop_mid_file_abandons_it_keeps_what_finished_and_the_next_run_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("a.txt"), "첫 번째\n").unwrap();
        std::fs::write(lib.join("b.txt"), "두 번째\n").unwrap();
        let line = "평양 / Pyongyang\n";
        std::fs::write(lib.join("big.txt"), line.repeat((40 << 20) / line.len())).unwrap();
        let out = dir.path().join("out");
        let cfg = Config {
            threads: Some(1),
            ..Config::default()
        };
        // Stop as soon as the big file has reported its first 16 MiB.
        let stop = AtomicBool::new(false);
        let big_progress = AtomicUsize::new(0);
        let r = clean_tree(
            std::slice::from_ref(&lib),
            &out,
            &cfg,
            &|p: &Progress| {
                if p.path == "big.txt" && p.bytes_done > 0 {
                    big_progress.fetch_add(1, Ordering::Relaxed);
                    stop.store(true, Ordering::Relaxed);
                }
            },
            &|| stop.load(Ordering::Relaxed),
        );
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        assert_eq!(
            big_progress.load(Ordering::Relaxed),
            1,
            "stopped within a chunk"
        );
        // The two small files are whole and recorded; the big one was abandoned, its
        // partial file removed; no manifest vouches for an unfinished folder.
        assert_eq!(files_in(&out), [STATE_FILE_NAME, "a.txt", "b.txt"]);
        let state = State::read(&out).unwrap().unwrap();
        let recorded: Vec<&str> = state.files.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(recorded, ["a.txt", "b.txt"]);

        let report = clean_tree(std::slice::from_ref(&lib), &out, &cfg, &|_| {}, &never).unwrap();
        assert!(report.manifest_written);
        let reused: Vec<&str> = report
            .files
            .iter()
            .filter(|f| f.reused)
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(reused, ["a.txt", "b.txt"]);
        assert_eq!(
            std::fs::read(out.join("big.txt")).unwrap(),
            std::fs::read(lib.join("big.txt")).unwrap()
        );
        manifest::verify_tree(&out).unwrap();
    }

    #[test]
    fn a_stop_after_the_settings_changed_keeps_old_outputs_listed_but_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        for n in ["a.txt", "b.txt"] {
            std::fs::write(lib.join(n), format!("{n}\n")).unwrap();
        }
        let out = dir.path().join("out");
        clean_tree(
            std::slice::from_ref(&lib),
            &out,
            &Config::default(),
            &|_| {},
            &never,
        )
        .unwrap();
        // a.txt leaves the library; the settings change; the run is stopped at once.
        std::fs::remove_file(lib.join("a.txt")).unwrap();
        let other = Config {
            keep_icc: false,
            ..Config::default()
        };
        let r = clean_tree(std::slice::from_ref(&lib), &out, &other, &|_| {}, &|| true);
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
        let state = State::read(&out).unwrap().unwrap();
        assert_eq!(state.files.len(), 2);
        assert!(state.files.iter().all(|e| e.stale), "{state:?}");
        assert!(state.reusable(&other.settings_key()).is_empty());
        // The next run redoes b.txt with the new settings and deletes a.txt's output.
        let report = clean_tree(std::slice::from_ref(&lib), &out, &other, &|_| {}, &never).unwrap();
        assert_eq!(report.deleted, ["a.txt"]);
        assert!(report.files.iter().all(|f| !f.reused));
        let mut expected = vec![STATE_FILE_NAME, MANIFEST_FILE_NAME, "b.txt"];
        expected.sort();
        assert_eq!(files_in(&out), expected);
        let state = State::read(&out).unwrap().unwrap();
        assert!(state.files.iter().all(|e| !e.stale));
    }
}
