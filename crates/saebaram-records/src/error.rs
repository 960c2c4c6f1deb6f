//! Typed errors: each names the file and the problem.

use std::path::PathBuf;

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong with a records database or an export.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The passphrase was empty.
    #[error("the passphrase is empty: a records database needs a passphrase")]
    EmptyPassphrase,
    /// The passphrase does not open this database.
    #[error("wrong passphrase for `{path}`")]
    WrongPassphrase {
        /// The database.
        path: PathBuf,
    },
    /// The file is not a saebaram records database.
    #[error("`{path}` is not a saebaram records database: {why}")]
    NotRecords {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        why: String,
    },
    /// The database does not exist.
    #[error("`{path}` does not exist (create it with `saebaram records init`)")]
    Missing {
        /// The database.
        path: PathBuf,
    },
    /// Refused to overwrite an existing file.
    #[error("`{path}` already exists: refusing to overwrite it")]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// A new database could not be put in place (nothing was replaced).
    #[error(transparent)]
    Output(saebaram_atomic::Error),
    /// The database was written by a newer saebaram.
    #[error(
        "`{path}` has schema version {found}, newer than the {supported} this saebaram \
         understands: upgrade saebaram (nothing was changed)"
    )]
    FutureSchema {
        /// The database.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// Invalid Argon2id parameters.
    #[error("invalid key-derivation parameters: {0}")]
    Kdf(String),
    /// A value given for a record is invalid.
    #[error("invalid {field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// No record with this id (or id prefix).
    #[error("no record with id `{0}`")]
    NoSuchRecord(String),
    /// An id prefix matches several records.
    #[error("id prefix `{0}` matches several records: give more characters")]
    AmbiguousId(String),
    /// The export could not be decrypted.
    #[error("cannot import `{path}`: {problem}")]
    Export {
        /// The export file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// An age key file is invalid.
    #[error("`{path}` is not a usable age {what}: {problem}")]
    Key {
        /// The key file.
        path: PathBuf,
        /// "identity (secret key)" or "recipient (public key)".
        what: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// SQLite/SQLCipher failed.
    #[error("database `{path}`: {source}")]
    Sql {
        /// The database.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database content is inconsistent (a row that does not parse).
    #[error("database `{path}`: {problem}")]
    Corrupt {
        /// The database.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} `{path}`: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
