//! What an output folder remembers between runs, so cleaning a library again into the same
//! folder only redoes what changed (`<OUT>/.saebaram-clean-state.json`).
//!
//! For every file written it records the input's BLAKE3 and its stat fingerprint (size,
//! modification and status-change times in nanoseconds, inode and device), the cleaner
//! version and settings, and the output's size, BLAKE3 and fingerprint.
//!
//! # How a changed input is detected (without hashing 200 GB again)
//! A file is skipped when its fingerprint, the cleaner version and the settings are all
//! what the state records, and the output file is still the one written (same size and
//! fingerprint). The fingerprint guards the recorded hash: a program that rewrites a file
//! changes its size or modification time, and even one that restores the modification time
//! afterwards (`touch -r`, some sync tools) changes the status-change time, which only the
//! kernel sets. What it cannot see: a change made by someone who also resets the system
//! clock, or edits the disk under the filesystem; against those, run with a fresh output.
//! When only the fingerprint differs but the size is the same (the library was copied to
//! another disk, `touch`ed, restored from a backup), the input is hashed again and, if its
//! BLAKE3 is the recorded one, the output is kept (a read instead of a rewrite).
//!
//! The state names no person: paths, sizes, times and hashes of the library's own files,
//! and a keyed hash of the forbidden-strings list (so a changed list re-checks everything).
//! It stays beside the library on the group's computer: `saebaram pack` never copies it
//! into an image.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::report::FileStatus;
use crate::source::Fingerprint;

/// File name of the state at the root of a clean output folder.
pub const STATE_FILE_NAME: &str = ".saebaram-clean-state.json";

/// Version of the state format.
const STATE_VERSION: u32 = 1;

/// Bumped whenever any cleaner's output for the same input and settings changes, so an
/// incremental run re-cleans everything once.
pub const CLEANER_VERSION: u32 = 2;

/// A file's stat fingerprint as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoredFingerprint {
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub inode: u64,
    pub device: u64,
}

impl From<Fingerprint> for StoredFingerprint {
    fn from(f: Fingerprint) -> Self {
        StoredFingerprint {
            size: f.len,
            mtime_ns: f.mtime_ns,
            ctime_ns: f.ctime_ns,
            inode: f.inode,
            device: f.device,
        }
    }
}

/// One output file and the input it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StateEntry {
    pub path: String,
    pub input: StoredFingerprint,
    pub input_blake3: String,
    pub format: String,
    pub status: FileStatus,
    pub removed: Vec<String>,
    pub redstar_marks: usize,
    pub output: StoredFingerprint,
    pub output_blake3: String,
    /// For a split archive: the fingerprints of the input parts after the first (`input`
    /// is the first's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_inputs: Vec<StoredFingerprint>,
    /// For a split archive: the output parts after the first (`path`, `output` and
    /// `output_blake3` are the first's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_outputs: Vec<PartOutput>,
    /// Written with other settings or another cleaner by a run that was then stopped
    /// before it redid this file: listed so a later run deletes it when its input is gone,
    /// never reused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// A later output file of a split archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PartOutput {
    pub path: String,
    pub output: StoredFingerprint,
    pub output_blake3: String,
}

impl StateEntry {
    /// Every output file of the entry, in order: (path, fingerprint, BLAKE3).
    pub(crate) fn output_files(&self) -> impl Iterator<Item = (&str, &StoredFingerprint, &str)> {
        std::iter::once((
            self.path.as_str(),
            &self.output,
            self.output_blake3.as_str(),
        ))
        .chain(
            self.more_outputs
                .iter()
                .map(|p| (p.path.as_str(), &p.output, p.output_blake3.as_str())),
        )
    }
}

/// The state of an output folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    pub version: u32,
    /// [`CLEANER_VERSION`] and the crate version that wrote the files.
    pub cleaner: String,
    /// Keyed BLAKE3 of every setting that changes an output or a verdict.
    pub settings: String,
    pub files: Vec<StateEntry>,
}

impl State {
    pub(crate) fn new(settings: String) -> State {
        State {
            version: STATE_VERSION,
            cleaner: cleaner_id(),
            settings,
            files: Vec::new(),
        }
    }

    /// Reads `<dir>/STATE_FILE_NAME`, if there is one.
    pub(crate) fn read(dir: &Path) -> Result<Option<State>, Error> {
        let path = dir.join(STATE_FILE_NAME);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| Error::BadManifest {
            path: path.clone(),
            problem: format!("bad clean state: {e}"),
        })?;
        if state.version != STATE_VERSION {
            return Err(Error::BadManifest {
                path,
                problem: format!("unsupported clean state version {}", state.version),
            });
        }
        Ok(Some(state))
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Entries by path, when they were written by this cleaner with these settings (others
    /// are stale and must be redone).
    pub(crate) fn reusable(&self, settings: &str) -> BTreeMap<String, StateEntry> {
        if self.cleaner != cleaner_id() || self.settings != settings {
            return BTreeMap::new();
        }
        self.files
            .iter()
            .filter(|e| !e.stale)
            .map(|e| (e.path.clone(), e.clone()))
            .collect()
    }
}

fn cleaner_id() -> String {
    format!("{}/{}", env!("CARGO_PKG_VERSION"), CLEANER_VERSION)
}
