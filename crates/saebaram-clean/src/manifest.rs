//! The manifest `saebaram clean` writes last into its output folder, and its check.
//!
//! `<OUT>/.saebaram-clean.json` =
//! `{"version":1,"files":[{"path":"relative/posix/path","size":N,"blake3":"hex"},...]}`,
//! sorted by path. [`verify_tree`] accepts a folder only when every regular file in it (except
//! the manifest) is listed with the same size and BLAKE3, none is missing, none is extra, and
//! there is no symlink or special file. `saebaram pack` relies on it to take only trees that
//! `saebaram clean` produced and that did not change since.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// File name of the manifest at the root of a clean output folder.
pub const MANIFEST_FILE_NAME: &str = ".saebaram-clean.json";

/// Names at the root of a clean output folder that are saebaram's own records, not library
/// files: never cleaned from an input, never packed into an image.
pub const RESERVED_NAMES: &[&str] = &[
    MANIFEST_FILE_NAME,
    crate::state::STATE_FILE_NAME,
    crate::state::JOURNAL_FILE_NAME,
];

/// Version of the manifest format written.
pub const MANIFEST_VERSION: u32 = 1;

/// One file of a clean tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    /// Path relative to the tree root, `/`-separated, no `.`/`..` parts.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of the content, lowercase hex.
    pub blake3: String,
}

/// The manifest of a clean tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanManifest {
    /// Format version (1).
    pub version: u32,
    /// Files, sorted by path.
    pub files: Vec<ManifestEntry>,
}

impl CleanManifest {
    /// Reads and checks the syntax of `<dir>/.saebaram-clean.json` (not the files).
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(MANIFEST_FILE_NAME);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let bad = |problem: String| Error::BadManifest {
            path: path.clone(),
            problem,
        };
        let manifest: CleanManifest =
            serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if manifest.version != MANIFEST_VERSION {
            return Err(bad(format!("unsupported version {}", manifest.version)));
        }
        let mut previous: Option<&str> = None;
        for entry in &manifest.files {
            if !is_safe_relative(&entry.path) {
                return Err(bad(format!("unsafe path {:?}", entry.path)));
            }
            if RESERVED_NAMES.contains(&entry.path.as_str()) {
                return Err(bad(format!("lists the reserved name {:?}", entry.path)));
            }
            if entry.blake3.len() != 64 || !entry.blake3.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("bad blake3 for {:?}", entry.path)));
            }
            if previous.is_some_and(|p| p >= entry.path.as_str()) {
                return Err(bad(format!(
                    "paths not sorted or duplicated at {:?}",
                    entry.path
                )));
            }
            previous = Some(&entry.path);
        }
        Ok(manifest)
    }

    /// Serialises the manifest (compact JSON plus a newline).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// True for a relative POSIX path without empty, `.` or `..` components.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Hashes a file with BLAKE3, returning (size, hex).
pub fn hash_file(path: &Path) -> Result<(u64, String), Error> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok((size, hasher.finalize().to_hex().to_string()))
}

/// Checks that `dir` is exactly the tree its manifest describes and returns the manifest.
pub fn verify_tree(dir: &Path) -> Result<CleanManifest, Error> {
    let manifest = CleanManifest::read(dir)?;
    let not_clean = |problem: String| Error::NotClean {
        dir: dir.to_path_buf(),
        problem,
    };
    let mut expected: BTreeMap<&str, &ManifestEntry> = manifest
        .files
        .iter()
        .map(|e| (e.path.as_str(), e))
        .collect();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.to_path_buf());
            Error::io(path, e.into())
        })?;
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        let rel = relative_posix(dir, entry.path()).ok_or_else(|| {
            not_clean(format!(
                "{} has a name that is not UTF-8",
                entry.path().display()
            ))
        })?;
        if ft.is_symlink() {
            return Err(not_clean(format!("{rel} is a symlink")));
        }
        if !ft.is_file() {
            return Err(not_clean(format!("{rel} is not a regular file")));
        }
        if RESERVED_NAMES.contains(&rel.as_str()) {
            continue;
        }
        let Some(want) = expected.remove(rel.as_str()) else {
            return Err(not_clean(format!("{rel} is not in the manifest")));
        };
        let (size, hash) = hash_file(entry.path())?;
        if size != want.size || hash != want.blake3 {
            return Err(not_clean(format!("{rel} changed since it was cleaned")));
        }
    }
    if let Some((missing, _)) = expected.into_iter().next() {
        return Err(not_clean(format!("{missing} is missing")));
    }
    Ok(manifest)
}

/// `path` relative to `root` with `/` separators, if it is UTF-8.
pub(crate) fn relative_posix(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        parts.push(c.as_os_str().to_str()?);
    }
    Some(parts.join("/"))
}

/// The manifest of written files: (relative path, size, BLAKE3 hex), hashed as they were
/// written (never read back).
pub(crate) fn from_entries(files: impl Iterator<Item = (String, u64, String)>) -> CleanManifest {
    let mut entries: Vec<ManifestEntry> = files
        .map(|(path, size, blake3)| ManifestEntry { path, size, blake3 })
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    CleanManifest {
        version: MANIFEST_VERSION,
        files: entries,
    }
}
