//! Files that appear whole or not at all: a temporary file in the target's directory,
//! written, flushed to the disk (`fsync`), given its permissions, then renamed over the
//! target, and the directory synced so the rename itself survives a power cut.
//!
//! Owns: the one way saebaram makes an output visible (caches, images, manifests, maps,
//! exports, keys, cleaned files, databases): [`write`] for bytes in memory, [`AtomicFile`]
//! for outputs streamed or built by another library (an image, an SQLCipher database).
//! Must not know: what the bytes mean, any other saebaram crate, terminals.
//!
//! Why a crate: nine copies of these twenty lines had drifted apart (some did not sync, some
//! left pages at 0600, one did not refuse to replace a key). The renaming itself is
//! `tempfile`'s `persist` / `persist_noclobber`; this crate only fixes the order of the
//! steps and names the target in every error.
#![deny(missing_docs)]

use std::fs::{File, Permissions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What went wrong, always naming the file the caller asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The temporary file could not be made next to the target.
    #[error("cannot create a temporary file in `{dir}` for `{path}`")]
    CreateTemp {
        /// The target.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Writing, syncing or setting permissions on the temporary file failed.
    #[error("cannot write `{path}`")]
    Write {
        /// The target.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The target exists and [`Options::replace`] is off.
    #[error("`{path}` already exists")]
    AlreadyExists {
        /// The target.
        path: PathBuf,
    },
    /// The rename into place failed.
    #[error("cannot rename the finished file into place as `{path}`")]
    Rename {
        /// The target.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The file the caller asked for.
    pub fn path(&self) -> &Path {
        match self {
            Error::CreateTemp { path, .. }
            | Error::Write { path, .. }
            | Error::AlreadyExists { path }
            | Error::Rename { path, .. } => path,
        }
    }
}

/// How the file is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Unix permission bits of the finished file. Default 0o644 (a document, a map);
    /// keys, exports and databases use 0o600.
    pub mode: u32,
    /// Replace an existing target (default). Off: an existing target is
    /// [`Error::AlreadyExists`] and is left untouched, decided atomically by the rename.
    pub replace: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mode: 0o644,
            replace: true,
        }
    }
}

impl Options {
    /// Owner-only (0o600), for keys, exports and databases.
    pub fn private() -> Self {
        Options {
            mode: 0o600,
            ..Options::default()
        }
    }

    /// The same options, refusing to replace an existing file.
    pub fn no_clobber(self) -> Self {
        Options {
            replace: false,
            ..self
        }
    }
}

/// Writes `bytes` to `path` as a new file (mode 0o644), replacing any old one atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_with(path, bytes, Options::default())
}

/// Writes `bytes` to `path` with `options`.
pub fn write_with(path: &Path, bytes: &[u8], options: Options) -> Result<(), Error> {
    let mut file = AtomicFile::new(path, options)?;
    file.file_mut()
        .write_all(bytes)
        .map_err(|source| file.write_error(source))?;
    file.commit()
}

/// A file being made: invisible under its own name until [`AtomicFile::commit`]; dropped
/// without committing, it is deleted and the target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    dir: PathBuf,
    options: Options,
}

impl AtomicFile {
    /// Starts a file that will become `path`. The temporary file is in `path`'s directory
    /// (so the rename cannot cross file systems), hidden (`.saebaram-...`), and owner-only
    /// until it is committed.
    pub fn new(path: &Path, options: Options) -> Result<Self, Error> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".saebaram-")
            .suffix(".part")
            .tempfile_in(&dir)
            .map_err(|source| Error::CreateTemp {
                path: path.to_path_buf(),
                dir: dir.clone(),
                source,
            })?;
        Ok(AtomicFile {
            temp,
            target: path.to_path_buf(),
            dir,
            options,
        })
    }

    /// The open temporary file, to write into.
    pub fn file_mut(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }

    /// The open temporary file.
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// Where the temporary file is, for writers that open it by name (SQLite).
    pub fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// The target the file will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// An [`Error::Write`] naming the target, for a caller's own write failure.
    pub fn write_error(&self, source: std::io::Error) -> Error {
        Error::Write {
            path: self.target.clone(),
            source,
        }
    }

    /// Syncs the data, sets the permissions, renames it into place and syncs the directory.
    /// On any error the target is as it was (the temporary file is removed).
    pub fn commit(self) -> Result<(), Error> {
        let write_error = |source| Error::Write {
            path: self.target.clone(),
            source,
        };
        let file = self.temp.as_file();
        set_mode(file, self.options.mode).map_err(write_error)?;
        file.sync_all().map_err(write_error)?;
        let persisted = if self.options.replace {
            self.temp.persist(&self.target)
        } else {
            self.temp.persist_noclobber(&self.target)
        };
        if let Err(err) = persisted {
            // `err.file` is dropped here, which deletes the temporary file.
            return Err(if err.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::AlreadyExists { path: self.target }
            } else {
                Error::Rename {
                    path: self.target,
                    source: err.error,
                }
            });
        }
        sync_dir(&self.dir).map_err(|source| Error::Rename {
            path: self.target.clone(),
            source,
        })
    }
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Makes the rename durable. File systems that cannot sync a directory (some FUSE and
/// network mounts answer `EINVAL`) have nothing more to do: the rename is already visible.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match File::open(dir)?.sync_all() {
        Err(err) if err.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_replaces_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("page.html");
        std::fs::write(&path, "old").expect("write");
        write(&path, b"new page").expect("atomic write");
        assert_eq!(std::fs::read(&path).expect("read"), b"new page");
        assert_eq!(entries(dir.path()), ["page.html"]);
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_the_one_asked_for() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tmp");
        for (name, options, mode) in [
            ("doc", Options::default(), 0o644),
            ("key", Options::private(), 0o600),
        ] {
            let path = dir.path().join(name);
            write_with(&path, b"x", options).expect("write");
            let meta = std::fs::metadata(&path).expect("metadata");
            assert_eq!(meta.permissions().mode() & 0o777, mode, "{name}");
        }
    }

    #[test]
    fn no_clobber_refuses_an_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("key");
        std::fs::write(&path, "the old key").expect("write");
        let err =
            write_with(&path, b"new", Options::private().no_clobber()).expect_err("must refuse");
        assert!(matches!(err, Error::AlreadyExists { .. }), "{err:?}");
        assert_eq!(err.path(), path);
        assert_eq!(std::fs::read(&path).expect("read"), b"the old key");
        assert_eq!(entries(dir.path()), ["key"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("no/such/dir/page.html");
        let err = write(&path, b"x").expect_err("must fail");
        assert!(matches!(err, Error::CreateTemp { .. }), "{err:?}");
        assert!(err.to_string().contains("page.html"), "{err}");
    }

    #[test]
    fn a_file_dropped_before_commit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("image.img");
        {
            let mut file = AtomicFile::new(&path, Options::default()).expect("new");
            file.file_mut().write_all(b"half an image").expect("write");
            assert!(file.temp_path().exists());
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_streamed_file_appears_only_at_commit() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("cache.bin");
        let mut file = AtomicFile::new(&path, Options::default()).expect("new");
        file.file_mut().write_all(b"body").expect("write");
        assert!(!path.exists());
        file.commit().expect("commit");
        assert_eq!(std::fs::read(&path).expect("read"), b"body");
    }

    #[test]
    fn a_bare_file_name_goes_to_the_current_directory() {
        let file = AtomicFile::new(Path::new("x.json"), Options::default()).expect("new");
        let dir = file.temp_path().parent().expect("a parent");
        assert_eq!(
            dir.canonicalize().expect("exists"),
            std::env::current_dir()
                .expect("cwd")
                .canonicalize()
                .expect("cwd exists")
        );
    }
}
