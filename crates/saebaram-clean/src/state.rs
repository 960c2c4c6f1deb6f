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

/// File name of the journal a run appends to while it writes an output folder.
pub const JOURNAL_FILE_NAME: &str = ".saebaram-clean-journal";

/// What a run appends to `<OUT>/JOURNAL_FILE_NAME` as it goes: a header line (cleaner and
/// settings), then one state entry per output, written *before* the output is renamed into
/// place. The state is written once, at the end of a run; the journal is what lets the next
/// run take back the files of a run that was killed or lost its power before that (see
/// [`recover`]). It is removed once the state is written.
pub(crate) struct Journal {
    file: std::sync::Mutex<std::fs::File>,
    path: std::path::PathBuf,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalHeader {
    journal: u32,
    cleaner: String,
    settings: String,
}

impl Journal {
    /// Starts a new journal in `out` (an earlier one was recovered before this).
    pub(crate) fn create(out: &Path, settings: &str) -> Result<Journal, Error> {
        use std::io::Write;
        let path = out.join(JOURNAL_FILE_NAME);
        let mut file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut line = serde_json::to_vec(&JournalHeader {
            journal: 1,
            cleaner: cleaner_id(),
            settings: settings.to_owned(),
        })
        .unwrap_or_default();
        line.push(b'\n');
        file.write_all(&line).map_err(|e| Error::io(&path, e))?;
        Ok(Journal {
            file: std::sync::Mutex::new(file),
            path,
        })
    }

    /// Appends `entry` (one line, one write).
    pub(crate) fn record(&self, entry: &StateEntry) -> Result<(), Error> {
        use std::io::Write;
        let mut line = serde_json::to_vec(entry).unwrap_or_default();
        line.push(b'\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&line).map_err(|e| Error::io(&self.path, e))
    }

    /// Removes the journal (the state now says everything it said).
    pub(crate) fn remove(self) -> Result<(), Error> {
        drop(self.file);
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}

/// Takes back what a killed run wrote into `out`: every output its journal lists that is
/// in place joins the state, checked first by its BLAKE3 (outputs are not synced one by
/// one, so after a power cut a renamed file may not hold what was written). An output that
/// matches, written with the settings of the earlier state (or into a folder that had
/// none), is kept as any finished file; one that does not match, or was made with other
/// settings, is listed as stale (redone, or deleted if its input is gone). Outputs the
/// journal lists that are not in place were never renamed and are skipped. The merged state
/// is written and the journal removed. Without a journal, `previous` is returned as it is;
/// an unreadable journal is ignored (the folder is then judged by its state alone). Also
/// returns how many outputs were taken back as finished.
pub(crate) fn recover(
    out: &Path,
    previous: Option<State>,
) -> Result<(Option<State>, usize), Error> {
    let path = out.join(JOURNAL_FILE_NAME);
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((previous, 0)),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    let Some(header) = lines
        .next()
        .and_then(|l| serde_json::from_str::<JournalHeader>(l).ok())
    else {
        return Ok((previous, 0));
    };
    let fresh = previous
        .as_ref()
        .is_none_or(|p| p.cleaner == header.cleaner && p.settings == header.settings);
    let mut state = previous.unwrap_or_else(|| State {
        version: STATE_VERSION,
        cleaner: header.cleaner.clone(),
        settings: header.settings.clone(),
        files: Vec::new(),
    });
    let mut by_path: BTreeMap<String, StateEntry> =
        state.files.drain(..).map(|e| (e.path.clone(), e)).collect();
    let mut taken_back = 0;
    for line in lines {
        // The last line of a killed run may be cut short: skipped like any unreadable one.
        let Ok(mut entry) = serde_json::from_str::<StateEntry>(line) else {
            continue;
        };
        if !crate::manifest::is_safe_relative(&entry.path)
            || entry
                .more_outputs
                .iter()
                .any(|p| !crate::manifest::is_safe_relative(&p.path))
        {
            continue;
        }
        let mut in_place = false;
        let mut matches = true;
        let mut now = Vec::new();
        for (file, _, hash) in entry.output_files() {
            let file_path = out.join(file);
            match hash_output(&file_path) {
                Ok(Some((h, fp))) => {
                    in_place = true;
                    matches &= h == hash;
                    now.push(Some(fp));
                }
                Ok(None) => {
                    matches = false;
                    now.push(None);
                }
                Err(e) => return Err(Error::io(&file_path, e)),
            }
        }
        if !in_place {
            continue;
        }
        let mut now = now.into_iter();
        if let Some(Some(fp)) = now.next() {
            entry.output = fp;
        }
        for (part, fp) in entry.more_outputs.iter_mut().zip(now) {
            if let Some(fp) = fp {
                part.output = fp;
            }
        }
        entry.stale = !(matches && fresh);
        taken_back += usize::from(!entry.stale);
        by_path.insert(entry.path.clone(), entry);
    }
    state.files = by_path.into_values().collect();
    crate::tree::write_atomic(out, &out.join(STATE_FILE_NAME), &state.to_json())?;
    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok((Some(state), taken_back))
}

/// BLAKE3 (hex) and fingerprint of an output file, `None` when it is not there.
fn hash_output(path: &Path) -> std::io::Result<Option<(String, StoredFingerprint)>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut h = blake3::Hasher::new();
    h.update_reader(&file)?;
    Ok(Some((
        h.finalize().to_hex().to_string(),
        crate::source::Fingerprint::of(&meta).into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp() -> StoredFingerprint {
        StoredFingerprint {
            size: 0,
            mtime_ns: 0,
            ctime_ns: 0,
            inode: 0,
            device: 0,
        }
    }

    fn entry(path: &str, bytes: &[u8]) -> StateEntry {
        StateEntry {
            path: path.into(),
            input: fp(),
            input_blake3: "in".into(),
            format: "text".into(),
            status: FileStatus::Unchanged,
            removed: Vec::new(),
            redstar_marks: 0,
            output: fp(),
            output_blake3: blake3::hash(bytes).to_hex().to_string(),
            more_inputs: Vec::new(),
            more_outputs: Vec::new(),
            stale: false,
        }
    }

    #[test]
    fn a_journal_gives_back_outputs_in_place_that_match_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        // No journal: the state as it was.
        assert_eq!(recover(out, None).unwrap(), (None, 0));

        let j = Journal::create(out, "S").unwrap();
        std::fs::write(out.join("good.txt"), b"good").unwrap();
        j.record(&entry("good.txt", b"good")).unwrap();
        std::fs::write(out.join("changed.txt"), b"changed after").unwrap();
        j.record(&entry("changed.txt", b"as written")).unwrap();
        j.record(&entry("never-renamed.txt", b"x")).unwrap();
        j.record(&entry("../outside.txt", b"x")).unwrap();
        drop(j);
        // The last line was cut by the kill.
        let mut torn = std::fs::OpenOptions::new()
            .append(true)
            .open(out.join(JOURNAL_FILE_NAME))
            .unwrap();
        std::io::Write::write_all(&mut torn, b"{\"path\":\"half").unwrap();

        let (state, taken_back) = recover(out, None).unwrap();
        let state = state.unwrap();
        assert_eq!(taken_back, 1);
        assert_eq!(state.settings, "S");
        let got: Vec<(&str, bool)> = state
            .files
            .iter()
            .map(|e| (e.path.as_str(), e.stale))
            .collect();
        assert_eq!(got, [("changed.txt", true), ("good.txt", false)]);
        assert_eq!(state.reusable("S").len(), 1);
        // Written as the state, the journal gone.
        assert_eq!(State::read(out).unwrap(), Some(state));
        assert!(!out.join(JOURNAL_FILE_NAME).exists());
    }

    #[test]
    fn outputs_a_killed_run_made_with_other_settings_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let mut before = State::new("OLD".into());
        before.files.push(entry("kept.txt", b"kept"));
        let j = Journal::create(out, "NEW").unwrap();
        std::fs::write(out.join("new.txt"), b"new").unwrap();
        j.record(&entry("new.txt", b"new")).unwrap();
        drop(j);
        let (state, taken_back) = recover(out, Some(before)).unwrap();
        let state = state.unwrap();
        assert_eq!(taken_back, 0);
        assert_eq!(state.settings, "OLD");
        let got: Vec<(&str, bool)> = state
            .files
            .iter()
            .map(|e| (e.path.as_str(), e.stale))
            .collect();
        assert_eq!(got, [("kept.txt", false), ("new.txt", true)]);
        // A journal whose header cannot be read is left to the folder's state alone.
        std::fs::write(out.join(JOURNAL_FILE_NAME), b"not json\n").unwrap();
        assert_eq!(recover(out, None).unwrap(), (None, 0));
    }
}
