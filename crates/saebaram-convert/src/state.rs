//! What a convert run has finished, so an interrupted or repeated run redoes nothing that
//! is done: one entry per input, keyed by the input's BLAKE3 and the settings' hash (the
//! profile and every choice that changes the output bytes). The file is replaced
//! atomically (temporary file, then rename) after every finished input.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

/// File name of the state in the working folder.
pub const STATE_FILE: &str = "convert-state.json";

/// One finished input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// BLAKE3 of the input.
    pub input_blake3: String,
    /// Size, modification time (ns) and inode when hashed: unchanged, the hash is reused
    /// without reading the file again.
    pub fingerprint: (u64, i128, u64),
    /// Hash of the settings it was made with.
    pub settings: String,
    /// Outputs (relative paths under the staging folder) with their BLAKE3.
    pub outputs: Vec<(String, String)>,
    /// What the report says about it (serialised by the caller).
    pub report: serde_json::Value,
}

/// The state of a working folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version.
    pub version: u32,
    /// Finished inputs by relative path.
    pub files: BTreeMap<String, Entry>,
}

impl State {
    /// Reads the state of `dir` (empty when there is none; an unreadable one is an error).
    pub fn read(dir: &Path) -> Result<State, Error> {
        let path = dir.join(STATE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Io {
                context: format!(
                    "{}: damaged convert state ({e}); delete it to start over",
                    path.display()
                ),
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
                version: 1,
                files: BTreeMap::new(),
            }),
            Err(e) => Err(Error::io("cannot read the convert state", &path, e)),
        }
    }

    /// Writes it atomically into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(STATE_FILE);
        let tmp: PathBuf = dir.join(format!(".{STATE_FILE}.partial"));
        let json = serde_json::to_vec_pretty(self).map_err(|e| {
            Error::io(
                "cannot encode the convert state",
                &path,
                std::io::Error::other(e),
            )
        })?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| Error::io("cannot write the convert state", &path, e))
    }
}

/// Size, modification time and inode of a file.
pub fn fingerprint(meta: &std::fs::Metadata) -> (u64, i128, u64) {
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let ino = 0;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    (meta.len(), mtime, ino)
}

/// BLAKE3 of a file, streamed.
pub fn hash_file(path: &Path) -> Result<String, Error> {
    let mut h = blake3::Hasher::new();
    h.update_reader(std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?)
        .map_err(|e| Error::io("cannot read", path, e))?;
    Ok(h.finalize().to_hex().to_string())
}

/// BLAKE3 of a file, streamed in 1 MiB reads, giving up (`Ok(None)`) as soon as `stop` is
/// set: for hashing an input on a second core while ffmpeg converts it, without reading
/// on through a large film after the conversion has failed or been cancelled.
pub fn hash_file_until(
    path: &Path,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Option<String>, Error> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("cannot read", path, e))?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(None);
        }
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("cannot read", path, e)),
        };
        h.update(&buf[..n]);
    }
    Ok(Some(h.finalize().to_hex().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stoppable_hash_matches_the_plain_one_and_stops_when_told() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&p, &bytes).unwrap();
        let go = std::sync::atomic::AtomicBool::new(false);
        let h = hash_file_until(&p, &go).unwrap().unwrap();
        assert_eq!(h, hash_file(&p).unwrap());
        assert_eq!(h, blake3::hash(&bytes).to_hex().to_string());
        let stop = std::sync::atomic::AtomicBool::new(true);
        assert_eq!(hash_file_until(&p, &stop).unwrap(), None);
        assert!(hash_file_until(&dir.path().join("missing"), &go).is_err());
    }

    #[test]
    fn state_round_trips_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::read(dir.path()).unwrap();
        assert!(s.files.is_empty());
        s.files.insert(
            "a.mp4".into(),
            Entry {
                input_blake3: "x".into(),
                fingerprint: (1, 2, 3),
                settings: "s".into(),
                outputs: vec![("a.avi".into(), "y".into())],
                report: serde_json::json!({}),
            },
        );
        s.write(dir.path()).unwrap();
        assert_eq!(State::read(dir.path()).unwrap(), s);
        std::fs::write(dir.path().join(STATE_FILE), "{").unwrap();
        assert!(State::read(dir.path()).is_err());
    }
}
