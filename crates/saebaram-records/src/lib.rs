//! Encrypted campaign records for saebaram.
//!
//! Owns: the SQLCipher database, key derivation, schema migrations, reports, encrypted export and import between cells.
//! Must not know: balloons, winds, images or drives beyond the facts handed to it; terminals.
//!
//! # Design
//!
//! * **One file.** A records database is a single SQLCipher 4 file. Its first 16 bytes
//!   (the slot where SQLCipher keeps its clear per-file salt) are a small header written by
//!   this crate: a marker byte, the Argon2id cost (log2 of memory in KiB, passes, lanes) and
//!   12 random bytes. The whole 16 bytes are the Argon2id salt *and* the SQLCipher salt,
//!   so the cost parameters are bound to the key: editing them only yields a wrong key.
//!   Everything after byte 16 is encrypted (AES-256-CBC + HMAC-SHA512 per page). See
//!   [`header`].
//! * **Key.** Argon2id(passphrase, header) gives a 256-bit key, handed to SQLCipher as a
//!   raw key (`PRAGMA key = "x'…'"`), so SQLCipher's own PBKDF2 is not used.
//! * **Journal.** Rollback journal (`journal_mode=DELETE`, `synchronous=FULL`): a killed
//!   process loses at most the transaction in flight, and the journal holds encrypted pages
//!   only. `temp_store=MEMORY`: SQLite writes no temporary files.
//! * **Merges.** Every record has a random 128-bit id, the Lamport time and cell of its last
//!   edit and a version vector. Import compares version vectors: newer replaces older,
//!   concurrent edits are a conflict resolved by the highest `(lamport, cell)` and reported.
//!   See [`merge`].
//! * **Export.** One age file (X25519 recipient) holding a JSON bundle. age authenticates
//!   every 64 KiB chunk and the end of the stream, so tampering and truncation are refused.
//!
//! The library never reads the clock, the environment or a random generator of its own:
//! times, salts, record ids and cell ids are parameters. The one exception is age, which
//! draws its ephemeral X25519 keys (and [`exchange::generate_identity`] its key pair) from
//! the operating system's CSPRNG; age offers no way to inject them.
//!
//! Hand-written parts: the 16-byte header (SQLCipher has no place for KDF parameters, and a
//! side file could be lost or separated from the database) and the version-vector merge
//! (no crate merges rows of an SQLite table by version vectors).
#![deny(missing_docs)]

pub mod destroy;
mod error;
pub mod exchange;
pub mod forbid;
pub mod header;
pub mod merge;
pub mod model;
pub mod report;
mod schema;
mod store;

/// Times and dates in this API are `chrono` types, re-exported for callers.
pub use chrono;
pub use error::{Error, Result};
pub use header::{Header, KdfParams};
pub use model::{
    Batch, CellId, DeviceCounts, Launch, Outcome, Payload, Prediction, RecordId, Shipment,
    ShipmentStatus, Stored, Version,
};
pub use schema::CURRENT_SCHEMA;
pub use store::{NewDatabase, RecordKind, Records};
/// Secrets (passphrases, keys) are wiped with `zeroize`, re-exported for callers.
pub use zeroize;
