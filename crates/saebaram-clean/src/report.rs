//! The per-file report of a clean run.

use serde::{Deserialize, Serialize};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    /// Metadata was removed; the output differs from the input.
    Cleaned,
    /// Nothing to remove; the output is a byte-for-byte copy.
    Unchanged,
    /// Not cleaned and not written to the output (see `reason`).
    Blocked,
}

/// The outcome for one input file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Path relative to the output folder (POSIX separators).
    pub path: String,
    /// The input file as given on the command line (joined with its relative path).
    pub source: String,
    /// Format recognised (`jpeg`, `png`, `docx`...), or `unknown`.
    pub format: String,
    /// Cleaned, unchanged or blocked.
    pub status: FileStatus,
    /// What was removed or rewritten, one human-readable item each.
    pub removed: Vec<String>,
    /// Why the file is blocked (only when blocked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The kind of that reason, a stable code (only when blocked): `unknown_format`,
    /// `forbidden`, `encrypted`, `active_content`, `link`, `unreadable`, `too_large`,
    /// `damaged`, `cannot_clean` ([`crate::error::BlockKind`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<crate::error::BlockKind>,
    /// How many Red Star OS machines' marks were found (and stripped) on the file.
    pub redstar_marks: usize,
    /// Input size in bytes.
    pub bytes_in: u64,
    /// Output size in bytes (0 when blocked).
    pub bytes_out: u64,
    /// True when the output of an earlier run was kept because the input had not changed
    /// (an incremental run; see `saebaram_clean::state`).
    pub reused: bool,
    /// A split archive (`NAME.zimaa`, `NAME.zimab`...), cleaned as one: every output part in
    /// order (the first is `path`); empty for any other file. `bytes_in` and `bytes_out`
    /// count all parts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
}

/// The outcome of a whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// One entry per input file, sorted by `path`.
    pub files: Vec<FileReport>,
    /// Whether the manifest was written (only when nothing was blocked).
    pub manifest_written: bool,
    /// Outputs of an earlier run deleted because their input is gone, now blocked or now
    /// excluded.
    pub deleted: Vec<String>,
    /// Files and folders left out by `--exclude`, sorted by path (a folder's path ends with
    /// `/`; nothing under it was read).
    pub excluded: Vec<Excluded>,
    /// Outputs of a run that was killed before it wrote its state, taken back from its
    /// journal (checked by their BLAKE3) instead of being cleaned again.
    pub recovered: usize,
}

/// A file or folder left out of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// Relative path as it would have been written (POSIX; a folder ends with `/`).
    pub path: String,
    /// The input as given, joined with the relative path.
    pub source: String,
    /// The pattern that left it out.
    pub pattern: String,
}

impl Report {
    /// Number of files with this status.
    pub fn count(&self, status: FileStatus) -> usize {
        self.files.iter().filter(|f| f.status == status).count()
    }

    /// True when no file was blocked.
    pub fn all_clean(&self) -> bool {
        self.count(FileStatus::Blocked) == 0
    }

    /// Number of files whose earlier output was kept.
    pub fn reused(&self) -> usize {
        self.files.iter().filter(|f| f.reused).count()
    }

    /// Total Red Star OS marks found.
    pub fn redstar_marks(&self) -> usize {
        self.files.iter().map(|f| f.redstar_marks).sum()
    }
}
