//! Versioned schema. `PRAGMA user_version` holds the version; each migration runs in the
//! transaction that bumps it, so a database is always at exactly one version.

use rusqlite::Connection;

/// `PRAGMA application_id` of a records database ("SBRC"), checked inside the encryption.
pub(crate) const APPLICATION_ID: i64 = 0x5342_5243;

/// The schema version this build writes.
pub const CURRENT_SCHEMA: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[i]` takes a database from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: [&str; 2] = [
    // v1: the first release.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
     CREATE TABLE launches (
         id TEXT PRIMARY KEY, lamport INTEGER NOT NULL, cell TEXT NOT NULL,
         updated_at TEXT NOT NULL, vv TEXT NOT NULL,
         time TEXT NOT NULL, site TEXT NOT NULL, preset TEXT NOT NULL,
         parameters TEXT NOT NULL,
         leaflets INTEGER NOT NULL, usb INTEGER NOT NULL, sd INTEGER NOT NULL,
         other INTEGER NOT NULL,
         p_target REAL, median_lat REAL, median_lon REAL) STRICT;
     CREATE TABLE batches (
         id TEXT PRIMARY KEY, lamport INTEGER NOT NULL, cell TEXT NOT NULL,
         updated_at TEXT NOT NULL, vv TEXT NOT NULL,
         time TEXT NOT NULL, manifest_blake3 TEXT NOT NULL, content_version TEXT,
         written INTEGER NOT NULL, passed INTEGER NOT NULL,
         rejected_fake INTEGER NOT NULL, failed INTEGER NOT NULL) STRICT;
     CREATE TABLE shipments (
         id TEXT PRIMARY KEY, lamport INTEGER NOT NULL, cell TEXT NOT NULL,
         updated_at TEXT NOT NULL, vv TEXT NOT NULL,
         route TEXT NOT NULL, usb INTEGER NOT NULL, sd INTEGER NOT NULL,
         other INTEGER NOT NULL, sent TEXT NOT NULL, arrived TEXT,
         status TEXT NOT NULL) STRICT;",
    // v2: outcomes noted after a launch; indexes for reports over many records.
    "ALTER TABLE launches ADD COLUMN outcome_note TEXT;
     ALTER TABLE launches ADD COLUMN outcome_at TEXT;
     CREATE INDEX launches_time ON launches(time);
     CREATE INDEX batches_time ON batches(time);
     CREATE INDEX shipments_sent ON shipments(sent);",
];

/// Runs the migrations from `from` to `to` in one transaction.
pub(crate) fn migrate(conn: &mut Connection, from: i64, to: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for version in from..to {
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            break;
        };
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", to)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()
}
