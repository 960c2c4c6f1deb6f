//! Errors that stop a run (as opposed to a blocked file, which is a normal outcome).

use std::path::PathBuf;

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

/// Why one file (or container member) is blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked(pub String);

impl Blocked {
    /// A blocked outcome with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Blocked(reason.into())
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shorthand for "blocked with a formatted reason".
macro_rules! block {
    ($($arg:tt)*) => { $crate::error::Blocked(format!($($arg)*)) };
}
pub(crate) use block;
