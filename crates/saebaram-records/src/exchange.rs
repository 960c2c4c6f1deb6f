//! Moving records between cells: one age file encrypted to the receiving cell.
//!
//! The plaintext is a JSON bundle of every record with its id and version. age (X25519,
//! ChaCha20-Poly1305 in 64 KiB chunks with a final-chunk flag) refuses a modified or
//! truncated file and a file encrypted to another key. age does not say who wrote a file:
//! anyone holding a cell's public key can write an export for it.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::merge::{MergeOutcome, merge};
use crate::model::{Batch, CellId, Launch, RecordId, Shipment, Stored};
use crate::store::{Kind, Records, get, lamport, list, put, record_kind, write_meta};

const FORMAT: &str = "saebaram-records-export";
const FORMAT_VERSION: u32 = 1;

/// The plaintext of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    /// Always `saebaram-records-export`.
    pub format: String,
    /// Bundle format version (1).
    pub version: u32,
    /// The cell that wrote it.
    pub from_cell: CellId,
    /// When it was written.
    pub exported_at: DateTime<Utc>,
    /// Launches.
    pub launches: Vec<Stored<Launch>>,
    /// Device batches.
    pub batches: Vec<Stored<Batch>>,
    /// Shipments.
    pub shipments: Vec<Stored<Shipment>>,
}

/// A cell's new key pair, as age text.
pub struct KeyPair {
    /// `AGE-SECRET-KEY-1...` (keep secret).
    pub identity: age::secrecy::SecretString,
    /// `age1...` (give to cells that send records here).
    pub recipient: String,
}

/// Makes a new X25519 key pair (age draws it from the operating system's CSPRNG).
pub fn generate_identity() -> KeyPair {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    KeyPair {
        identity: identity.to_string(),
        recipient,
    }
}

/// The first non-comment line of a key file.
fn key_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Parses a recipient (public key) file.
pub fn parse_recipient(path: &Path, text: &str) -> Result<age::x25519::Recipient> {
    let err = |problem: String| Error::Key {
        path: path.to_path_buf(),
        what: "recipient (public key)",
        problem,
    };
    let line = key_line(text).ok_or_else(|| err("the file holds no key".into()))?;
    if line.starts_with("AGE-SECRET-KEY-") {
        return Err(err(
            "this is a secret key: pass the `.pub` file that `records keygen` wrote".into(),
        ));
    }
    age::x25519::Recipient::from_str(line).map_err(|e| err(format!("not an `age1...` key: {e}")))
}

/// Parses an identity (secret key) file.
pub fn parse_identity(path: &Path, text: &str) -> Result<age::x25519::Identity> {
    let err = |problem: String| Error::Key {
        path: path.to_path_buf(),
        what: "identity (secret key)",
        problem,
    };
    let line = key_line(text).ok_or_else(|| err("the file holds no key".into()))?;
    age::x25519::Identity::from_str(line)
        .map_err(|e| err(format!("not an `AGE-SECRET-KEY-1...` key: {e}")))
}

/// What an import did, per kind and in total.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    /// Records added.
    pub new: u64,
    /// Records replaced by a newer version.
    pub updated: u64,
    /// Records already identical here.
    pub unchanged: u64,
    /// Records older than the version here (kept ours).
    pub stale: u64,
    /// Concurrent edits, with the side that won.
    pub conflicts: Vec<Conflict>,
    /// The cell that wrote the export.
    pub from_cell: Option<CellId>,
}

/// One resolved conflict.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// The record.
    pub id: RecordId,
    /// `launch`, `batch` or `shipment`.
    pub kind: &'static str,
    /// `ours` or `theirs`.
    pub kept: &'static str,
}

impl Records {
    /// Every record, as an export bundle.
    pub fn bundle(&self, now: DateTime<Utc>) -> Result<Bundle> {
        Ok(Bundle {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            from_cell: self.cell,
            exported_at: now,
            launches: list(&self.conn, &self.path)?,
            batches: list(&self.conn, &self.path)?,
            shipments: list(&self.conn, &self.path)?,
        })
    }

    /// Every record, encrypted to `recipient`; the bytes of the export file.
    pub fn export(
        &self,
        recipient: &age::x25519::Recipient,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>> {
        let bundle = self.bundle(now)?;
        let plain =
            zeroize::Zeroizing::new(serde_json::to_vec(&bundle).map_err(|err| Error::Corrupt {
                path: self.path.clone(),
                problem: err.to_string(),
            })?);
        age::encrypt(recipient, &plain).map_err(|err| Error::Corrupt {
            path: self.path.clone(),
            problem: format!("age encryption failed: {err}"),
        })
    }

    /// Merges an export (the file's bytes) in one transaction. Nothing is changed unless the
    /// whole file decrypts, parses and validates.
    pub fn import(
        &mut self,
        export_path: &Path,
        bytes: &[u8],
        identity: &age::x25519::Identity,
    ) -> Result<ImportSummary> {
        let bundle = decrypt_bundle(export_path, bytes, identity)?;
        let path = self.path.clone();
        let tx = self.tx()?;
        let mut summary = ImportSummary {
            from_cell: Some(bundle.from_cell),
            ..Default::default()
        };
        let mut clock = lamport(&tx, &path)?;
        merge_all(
            &tx,
            &path,
            export_path,
            &bundle.launches,
            "launch",
            &mut summary,
            &mut clock,
        )?;
        merge_all(
            &tx,
            &path,
            export_path,
            &bundle.batches,
            "batch",
            &mut summary,
            &mut clock,
        )?;
        merge_all(
            &tx,
            &path,
            export_path,
            &bundle.shipments,
            "shipment",
            &mut summary,
            &mut clock,
        )?;
        write_meta(&tx, &path, "lamport", &clock.to_string())?;
        tx.commit().map_err(|source| Error::Sql { path, source })?;
        Ok(summary)
    }
}

fn merge_all<T: Kind>(
    tx: &rusqlite::Connection,
    path: &Path,
    export_path: &Path,
    incoming: &[Stored<T>],
    kind: &'static str,
    summary: &mut ImportSummary,
    clock: &mut u64,
) -> Result<()> {
    for record in incoming {
        *clock = (*clock).max(record.version.lamport);
        let local: Option<Stored<T>> = get(tx, path, record.id)?;
        if local.is_none()
            && let Some(other) = record_kind(tx, path, record.id)?
        {
            return Err(Error::Export {
                path: export_path.to_path_buf(),
                problem: format!(
                    "record {} is a {kind} there but a {other:?} here: refusing the whole file",
                    record.id
                ),
            });
        }
        let (write, outcome) = merge(local.as_ref(), record);
        if let Some(write) = write {
            put(tx, path, &write)?;
        }
        match outcome {
            MergeOutcome::New => summary.new += 1,
            MergeOutcome::Updated => summary.updated += 1,
            MergeOutcome::Unchanged => summary.unchanged += 1,
            MergeOutcome::Stale => summary.stale += 1,
            MergeOutcome::ConflictOurs => summary.conflicts.push(Conflict {
                id: record.id,
                kind,
                kept: "ours",
            }),
            MergeOutcome::ConflictTheirs => summary.conflicts.push(Conflict {
                id: record.id,
                kind,
                kept: "theirs",
            }),
        }
    }
    Ok(())
}

/// Decrypts and checks an export without touching any database.
pub fn decrypt_bundle(
    export_path: &Path,
    bytes: &[u8],
    identity: &age::x25519::Identity,
) -> Result<Bundle> {
    let err = |problem: String| Error::Export {
        path: export_path.to_path_buf(),
        problem,
    };
    if bytes.is_empty() {
        return Err(err("the file is empty".into()));
    }
    let plain = age::decrypt(identity, bytes).map_err(|e| {
        err(match e {
            age::DecryptError::NoMatchingKeys => {
                "it was encrypted for another cell's key, not for this identity".into()
            }
            age::DecryptError::InvalidHeader | age::DecryptError::UnknownFormat => {
                "it is not a saebaram export (no valid age header), or its header is damaged".into()
            }
            age::DecryptError::InvalidMac => {
                "its header was modified (authentication failed)".into()
            }
            age::DecryptError::DecryptionFailed => {
                "it was modified or truncated (authentication failed)".into()
            }
            age::DecryptError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                "it is truncated (authentication failed)".into()
            }
            age::DecryptError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                "it was modified or truncated (authentication failed)".into()
            }
            other => format!("decryption failed: {other}"),
        })
    })?;
    let plain = zeroize::Zeroizing::new(plain);
    parse_bundle(export_path, &plain)
}

/// Parses and checks the plaintext of an export (JSON), without touching any database.
pub fn parse_bundle(export_path: &Path, plain: &[u8]) -> Result<Bundle> {
    let err = |problem: String| Error::Export {
        path: export_path.to_path_buf(),
        problem,
    };
    let bundle: Bundle = serde_json::from_slice(plain)
        .map_err(|e| err(format!("it decrypts but is not a records export: {e}")))?;
    if bundle.format != FORMAT {
        return Err(err(format!("unknown format `{}`", bundle.format)));
    }
    if bundle.version > FORMAT_VERSION {
        return Err(err(format!(
            "export format {} is newer than the {FORMAT_VERSION} this saebaram reads: upgrade",
            bundle.version
        )));
    }
    let mut seen = BTreeMap::new();
    let ids = bundle
        .launches
        .iter()
        .map(|r| (r.id, &r.version, r.data.validate()))
        .chain(
            bundle
                .batches
                .iter()
                .map(|r| (r.id, &r.version, r.data.validate())),
        )
        .chain(
            bundle
                .shipments
                .iter()
                .map(|r| (r.id, &r.version, r.data.validate())),
        );
    for (id, version, valid) in ids {
        valid.map_err(|e| err(format!("record {id}: {e}")))?;
        check_version(version).map_err(|e| err(format!("record {id}: {e}")))?;
        if seen.insert(id, ()).is_some() {
            return Err(err(format!("record id {id} appears twice")));
        }
    }
    Ok(bundle)
}

/// Lamport times above 2^53 could only come from a forged file; refusing them keeps the
/// local clock far from overflow.
const MAX_LAMPORT: u64 = 1 << 53;

fn check_version(version: &crate::model::Version) -> std::result::Result<(), String> {
    if version.lamport == 0 || version.lamport > MAX_LAMPORT {
        return Err(format!("Lamport time {} is out of range", version.lamport));
    }
    if version.vv.values().any(|n| *n > MAX_LAMPORT) {
        return Err("a version-vector entry is out of range".into());
    }
    if version.vv.get(&version.cell).copied().unwrap_or(0) < version.lamport {
        return Err("its version vector does not include its own last edit".into());
    }
    Ok(())
}

/// Secret text of a key pair, for writing to a file.
pub fn identity_text(pair: &KeyPair, created: DateTime<Utc>) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(format!(
        "# saebaram records identity (secret key), created {}\n# public key: {}\n{}\n",
        created.format("%Y-%m-%d"),
        pair.recipient,
        pair.identity.expose_secret()
    ))
}
