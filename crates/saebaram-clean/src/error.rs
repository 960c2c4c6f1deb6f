//! Errors that stop a run (as opposed to a blocked file, which is a normal outcome).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// An error that stops a clean run or a manifest check.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The command was asked for something impossible (output inside an input, name clash...).
    #[error("{0}")]
    Usage(String),
    /// The output folder does not match its manifest.
    #[error("{dir}: not a clean tree: {problem}")]
    NotClean {
        /// The folder checked.
        dir: PathBuf,
        /// What differs.
        problem: String,
    },
    /// The caller asked the run to stop. Files finished before are in the output and its
    /// state (the next run into the same folder keeps them); the file being written was
    /// abandoned (its partial file removed); no manifest is written.
    #[error("stopped before the end: the files finished so far are kept; run again to go on")]
    Cancelled,
    /// The manifest cannot be read.
    #[error("{path}: bad clean manifest: {problem}")]
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// What kind of reason blocks a file: a small fixed set a person can act on, each with a
/// stable code (`clean --json`'s `reason_code`, the app's wording). Every blocking site in
/// the cleaner names its kind; the English `reason` beside it says exactly what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Not a format saebaram cleans (convert it, or leave it out).
    UnknownFormat,
    /// Holds a string of the `--forbid` list.
    Forbidden,
    /// Encrypted, password-protected or DRM: its inside cannot be checked.
    Encrypted,
    /// Macros, scripts, embedded files or objects, signatures: content that acts or hides.
    ActiveContent,
    /// A symbolic link, a device or other special file, or a name saebaram cannot write.
    Link,
    /// The file could not be read, or changed or disappeared while it was cleaned.
    Unreadable,
    /// Too large or too many of something for the safety limits (memory, zip bombs,
    /// nesting, counts).
    TooLarge,
    /// Truncated, malformed or inconsistent: not what its format says it should be.
    Damaged,
    /// A known format holding something that cannot be cleaned losslessly or safely (an
    /// unknown part, an unsupported version or feature, camera RAW...).
    CannotClean,
}

impl BlockKind {
    /// Every kind, in report order.
    pub const ALL: [BlockKind; 9] = [
        BlockKind::UnknownFormat,
        BlockKind::Forbidden,
        BlockKind::Encrypted,
        BlockKind::ActiveContent,
        BlockKind::Link,
        BlockKind::Unreadable,
        BlockKind::TooLarge,
        BlockKind::Damaged,
        BlockKind::CannotClean,
    ];

    /// The stable snake_case code (`unknown_format`...).
    pub fn code(self) -> &'static str {
        match self {
            BlockKind::UnknownFormat => "unknown_format",
            BlockKind::Forbidden => "forbidden",
            BlockKind::Encrypted => "encrypted",
            BlockKind::ActiveContent => "active_content",
            BlockKind::Link => "link",
            BlockKind::Unreadable => "unreadable",
            BlockKind::TooLarge => "too_large",
            BlockKind::Damaged => "damaged",
            BlockKind::CannotClean => "cannot_clean",
        }
    }
}

/// Why one file (or container member) is blocked: its kind and the exact reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The kind of reason.
    pub kind: BlockKind,
    /// What was found, in English, naming the place (never a forbidden string itself).
    pub reason: String,
}

impl Blocked {
    /// A blocked outcome of this kind with this reason.
    pub fn new(kind: BlockKind, reason: impl Into<String>) -> Self {
        Blocked {
            kind,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Shorthand for "blocked, of this kind, with a formatted reason":
/// `block!(Damaged, "PNG: chunk {name} truncated")`; `block!(inherit b, "member {m}: {b}")`
/// keeps the kind of an inner `Blocked` `b` under a longer reason.
macro_rules! block {
    (inherit $b:ident, $($arg:tt)*) => {
        $crate::error::Blocked { kind: $b.kind, reason: format!($($arg)*) }
    };
    ($kind:ident, $($arg:tt)*) => {
        $crate::error::Blocked {
            kind: $crate::error::BlockKind::$kind,
            reason: format!($($arg)*),
        }
    };
}
pub(crate) use block;
