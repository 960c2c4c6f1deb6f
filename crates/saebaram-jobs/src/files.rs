//! Writing results: nothing is visible before it is complete (a temporary file in the same
//! directory, then a rename).

use std::path::Path;

use crate::Error;

/// Writes `bytes` to `path` through a temporary file in the same directory
/// (`saebaram-atomic`: synced, mode 0644, renamed into place).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    saebaram_atomic::write(path, bytes).map_err(|err| atomic_error(path, err))
}

/// Writes `bytes` to `path` with permissions `mode`, through a synced temporary file in
/// the same directory; `replace`: overwrite an existing file, else refuse to (decided
/// atomically by the rename).
pub fn write_private(path: &Path, bytes: &[u8], mode: u32, replace: bool) -> Result<(), Error> {
    let options = saebaram_atomic::Options { mode, replace };
    saebaram_atomic::write_with(path, bytes, options).map_err(|err| atomic_error(path, err))
}

/// A `saebaram-atomic` error as this crate's I/O error about `path`.
fn atomic_error(path: &Path, err: saebaram_atomic::Error) -> Error {
    let context = err.to_string();
    let source = match err {
        saebaram_atomic::Error::CreateTemp { source, .. }
        | saebaram_atomic::Error::Write { source, .. }
        | saebaram_atomic::Error::Rename { source, .. } => source,
        saebaram_atomic::Error::AlreadyExists { .. } => {
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, context.clone())
        }
        other => std::io::Error::other(other.to_string()),
    };
    Error::io(context, path, source)
}

/// Rounds to `d` decimals (compact JSON).
pub(crate) fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

/// RFC 3339 of a float time, to the second.
pub(crate) fn rfc3339(t: f64) -> String {
    saebaram_forecast::time::format_rfc3339(t.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_names_the_path_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        write_atomically(&path, b"hello").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        let bad = dir.path().join("missing").join("out.txt");
        let e = write_atomically(&bad, b"x").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io);
        assert!(e.to_string().contains("out.txt"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn rounding_and_times() {
        assert_eq!(round(1.23456, 2), 1.23);
        assert_eq!(rfc3339(1_559_692_800.4), "2019-06-05T00:00:00Z");
    }
}
