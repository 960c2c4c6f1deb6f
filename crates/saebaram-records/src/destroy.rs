//! Destroying a records database.
//!
//! The 16-byte header (salt and key-derivation cost) is overwritten first and synced:
//! without it the key cannot be derived again, even with the passphrase. Then the rest of
//! the file and any journal are overwritten with zeros, synced and removed.
//!
//! What this cannot guarantee: on flash storage (SSDs, USB sticks, SD cards) the
//! controller remaps writes (wear levelling), so the old physical blocks, header included,
//! may survive until the drive reuses them, and someone who reads the chips directly could
//! find them. Copy-on-write and journaling filesystems, snapshots and backups keep copies
//! too. Those copies are still encrypted: they fall only to someone who also has the
//! passphrase. Full-disk encryption plus destroying its key is the only strong guarantee.

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::header::{HEADER_LEN, Header};

/// What was destroyed.
#[derive(Debug, Clone)]
pub struct Destroyed {
    /// Files overwritten and removed.
    pub removed: Vec<PathBuf>,
    /// Bytes overwritten.
    pub bytes_overwritten: u64,
}

/// The journal files SQLite may leave beside a database.
pub fn companion_files(path: &Path) -> Vec<PathBuf> {
    ["-journal", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        })
        .collect()
}

fn overwrite(path: &Path, header_first: bool) -> Result<u64> {
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|err| Error::io("cannot open for overwriting", path, err))?;
    let len = file
        .metadata()
        .map_err(|err| Error::io("cannot stat", path, err))?
        .len();
    let io = |action| move |err| Error::io(action, path, err);
    if header_first {
        let n = usize::try_from(len.min(HEADER_LEN as u64)).unwrap_or(HEADER_LEN);
        file.write_all(&[0u8; HEADER_LEN][..n])
            .map_err(io("cannot overwrite"))?;
        file.sync_all().map_err(io("cannot sync"))?;
    }
    file.seek(SeekFrom::Start(0))
        .map_err(io("cannot seek in"))?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..n])
            .map_err(io("cannot overwrite"))?;
        left -= n as u64;
    }
    file.sync_all().map_err(io("cannot sync"))?;
    Ok(len)
}

/// Overwrites and removes a records database and its journal. Refuses a file that does not
/// start with a records header, so a mistyped path cannot wipe something else.
pub fn destroy(path: &Path) -> Result<Destroyed> {
    Header::read(path)?;
    let mut removed = Vec::new();
    let mut bytes = overwrite(path, true)?;
    for companion in companion_files(path) {
        if companion.exists() {
            bytes += overwrite(&companion, false)?;
            std::fs::remove_file(&companion)
                .map_err(|err| Error::io("cannot remove", &companion, err))?;
            removed.push(companion);
        }
    }
    std::fs::remove_file(path).map_err(|err| Error::io("cannot remove", path, err))?;
    removed.insert(0, path.to_path_buf());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(Destroyed {
        removed,
        bytes_overwritten: bytes,
    })
}
