//! Opening, creating and editing a records database.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params_from_iter};
use saebaram_atomic::AtomicFile;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::header::{HEADER_LEN, Header, KdfParams};
use crate::model::{
    Batch, CellId, DeviceCounts, Launch, Outcome, Payload, Prediction, RecordId, Shipment,
    ShipmentStatus, Stored, Version,
};
use crate::schema::{APPLICATION_ID, CURRENT_SCHEMA, migrate};

/// What is needed to create a database. Random parts come from the caller.
#[derive(Debug, Clone)]
pub struct NewDatabase<'a> {
    /// Where to create it (must not exist; its directory must).
    pub path: &'a Path,
    /// The passphrase (non-empty).
    pub passphrase: &'a [u8],
    /// Argon2id cost.
    pub kdf: KdfParams,
    /// 12 random bytes from a CSPRNG.
    pub salt: [u8; 12],
    /// This cell's id: 16 random bytes from a CSPRNG.
    pub cell: CellId,
}

/// An open, decrypted records database.
#[derive(Debug)]
pub struct Records {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) cell: CellId,
    header: Header,
    migrated_from: Option<i64>,
}

pub(crate) fn time_text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A kind of record and its table.
pub(crate) trait Kind: Sized + Clone + PartialEq + Serialize + DeserializeOwned {
    const TABLE: &'static str;
    /// Data columns, after the common `id, lamport, cell, updated_at, vv`.
    const COLUMNS: &'static [&'static str];
    fn to_values(&self) -> Vec<Value>;
    fn from_values(values: &[Value]) -> std::result::Result<Self, String>;
    fn validate(&self) -> Result<()>;
}

fn text(values: &[Value], i: usize) -> std::result::Result<String, String> {
    match values.get(i) {
        Some(Value::Text(text)) => Ok(text.clone()),
        other => Err(format!("column {i}: expected text, found {other:?}")),
    }
}

fn opt_text(values: &[Value], i: usize) -> std::result::Result<Option<String>, String> {
    match values.get(i) {
        Some(Value::Null) => Ok(None),
        _ => text(values, i).map(Some),
    }
}

fn int(values: &[Value], i: usize) -> std::result::Result<u64, String> {
    match values.get(i) {
        Some(Value::Integer(n)) => {
            u64::try_from(*n).map_err(|_| format!("column {i}: negative count {n}"))
        }
        other => Err(format!("column {i}: expected an integer, found {other:?}")),
    }
}

fn opt_real(values: &[Value], i: usize) -> std::result::Result<Option<f64>, String> {
    match values.get(i) {
        Some(Value::Null) => Ok(None),
        Some(Value::Real(x)) => Ok(Some(*x)),
        Some(Value::Integer(n)) => Ok(Some(*n as f64)),
        other => Err(format!("column {i}: expected a number, found {other:?}")),
    }
}

fn time(values: &[Value], i: usize) -> std::result::Result<DateTime<Utc>, String> {
    let text = text(values, i)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|err| format!("column {i}: bad time `{text}`: {err}"))
}

fn date(text: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|err| format!("bad date `{text}`: {err}"))
}

fn count(n: u64) -> Value {
    Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Kind for Launch {
    const TABLE: &'static str = "launches";
    const COLUMNS: &'static [&'static str] = &[
        "time",
        "site",
        "preset",
        "parameters",
        "leaflets",
        "usb",
        "sd",
        "other",
        "p_target",
        "median_lat",
        "median_lon",
        "outcome_note",
        "outcome_at",
    ];

    fn to_values(&self) -> Vec<Value> {
        let landing = self.prediction.and_then(|p| p.median_landing);
        vec![
            Value::Text(time_text(&self.time)),
            Value::Text(self.site.clone()),
            Value::Text(self.preset.clone()),
            Value::Text(self.parameters.to_string()),
            count(self.payload.leaflets),
            count(self.payload.usb),
            count(self.payload.sd),
            count(self.payload.other),
            self.prediction
                .map_or(Value::Null, |p| Value::Real(p.p_target)),
            landing.map_or(Value::Null, |(lat, _)| Value::Real(lat)),
            landing.map_or(Value::Null, |(_, lon)| Value::Real(lon)),
            self.outcome
                .as_ref()
                .map_or(Value::Null, |o| Value::Text(o.note.clone())),
            self.outcome
                .as_ref()
                .map_or(Value::Null, |o| Value::Text(time_text(&o.noted_at))),
        ]
    }

    fn from_values(v: &[Value]) -> std::result::Result<Self, String> {
        let parameters_text = text(v, 3)?;
        let parameters = serde_json::from_str(&parameters_text)
            .map_err(|err| format!("launch parameters are not JSON: {err}"))?;
        let p_target = opt_real(v, 8)?;
        let landing = match (opt_real(v, 9)?, opt_real(v, 10)?) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            _ => None,
        };
        let outcome = match opt_text(v, 11)? {
            Some(note) => Some(Outcome {
                note,
                noted_at: time(v, 12)?,
            }),
            None => None,
        };
        Ok(Launch {
            time: time(v, 0)?,
            site: text(v, 1)?,
            preset: text(v, 2)?,
            parameters,
            payload: Payload {
                leaflets: int(v, 4)?,
                usb: int(v, 5)?,
                sd: int(v, 6)?,
                other: int(v, 7)?,
            },
            prediction: p_target.map(|p_target| Prediction {
                p_target,
                median_landing: landing,
            }),
            outcome,
        })
    }

    fn validate(&self) -> Result<()> {
        Launch::validate(self)
    }
}

impl Kind for Batch {
    const TABLE: &'static str = "batches";
    const COLUMNS: &'static [&'static str] = &[
        "time",
        "manifest_blake3",
        "content_version",
        "written",
        "passed",
        "rejected_fake",
        "failed",
    ];

    fn to_values(&self) -> Vec<Value> {
        vec![
            Value::Text(time_text(&self.time)),
            Value::Text(self.manifest_blake3.clone()),
            self.content_version
                .clone()
                .map_or(Value::Null, Value::Text),
            count(self.written),
            count(self.passed),
            count(self.rejected_fake),
            count(self.failed),
        ]
    }

    fn from_values(v: &[Value]) -> std::result::Result<Self, String> {
        Ok(Batch {
            time: time(v, 0)?,
            manifest_blake3: text(v, 1)?,
            content_version: opt_text(v, 2)?,
            written: int(v, 3)?,
            passed: int(v, 4)?,
            rejected_fake: int(v, 5)?,
            failed: int(v, 6)?,
        })
    }

    fn validate(&self) -> Result<()> {
        Batch::validate(self)
    }
}

impl Kind for Shipment {
    const TABLE: &'static str = "shipments";
    const COLUMNS: &'static [&'static str] =
        &["route", "usb", "sd", "other", "sent", "arrived", "status"];

    fn to_values(&self) -> Vec<Value> {
        vec![
            Value::Text(self.route.clone()),
            count(self.devices.usb),
            count(self.devices.sd),
            count(self.devices.other),
            Value::Text(self.sent.format("%Y-%m-%d").to_string()),
            self.arrived.map_or(Value::Null, |d| {
                Value::Text(d.format("%Y-%m-%d").to_string())
            }),
            Value::Text(self.status.as_str().to_string()),
        ]
    }

    fn from_values(v: &[Value]) -> std::result::Result<Self, String> {
        Ok(Shipment {
            route: text(v, 0)?,
            devices: DeviceCounts {
                usb: int(v, 1)?,
                sd: int(v, 2)?,
                other: int(v, 3)?,
            },
            sent: date(&text(v, 4)?)?,
            arrived: opt_text(v, 5)?.map(|d| date(&d)).transpose()?,
            status: text(v, 6)?.parse().map_err(|err: Error| err.to_string())?,
        })
    }

    fn validate(&self) -> Result<()> {
        Shipment::validate(self)
    }
}

/// Which table a record id belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A launch.
    Launch,
    /// A device batch.
    Batch,
    /// A shipment.
    Shipment,
}

impl RecordKind {
    fn table(self) -> &'static str {
        match self {
            RecordKind::Launch => Launch::TABLE,
            RecordKind::Batch => Batch::TABLE,
            RecordKind::Shipment => Shipment::TABLE,
        }
    }
}

fn select_sql<T: Kind>() -> String {
    format!(
        "SELECT id, lamport, cell, updated_at, vv, {} FROM {}",
        T::COLUMNS.join(", "),
        T::TABLE
    )
}

pub(crate) fn row_to_stored<T: Kind>(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<std::result::Result<Stored<T>, String>> {
    let mut values = Vec::with_capacity(5 + T::COLUMNS.len());
    for i in 0..5 + T::COLUMNS.len() {
        values.push(row.get::<_, Value>(i)?);
    }
    Ok(parse_stored(&values))
}

fn parse_stored<T: Kind>(values: &[Value]) -> std::result::Result<Stored<T>, String> {
    let id: RecordId = text(values, 0)?
        .parse()
        .map_err(|err: Error| err.to_string())?;
    let lamport = int(values, 1)?;
    let cell: CellId = text(values, 2)?
        .parse()
        .map_err(|err: Error| err.to_string())?;
    let updated_at = time(values, 3)?;
    let vv: BTreeMap<CellId, u64> = serde_json::from_str(&text(values, 4)?)
        .map_err(|err| format!("bad version vector: {err}"))?;
    let data = T::from_values(values.get(5..).unwrap_or_default())
        .map_err(|err| format!("record {id}: {err}"))?;
    Ok(Stored {
        id,
        version: Version {
            lamport,
            cell,
            updated_at,
            vv,
        },
        data,
    })
}

pub(crate) fn get<T: Kind>(
    tx: &Connection,
    path: &Path,
    id: RecordId,
) -> Result<Option<Stored<T>>> {
    let sql = format!("{} WHERE id = ?1", select_sql::<T>());
    let row = tx
        .query_row(&sql, [id.to_string()], row_to_stored::<T>)
        .optional()
        .map_err(|source| Error::Sql {
            path: path.to_path_buf(),
            source,
        })?;
    row.transpose().map_err(|problem| Error::Corrupt {
        path: path.to_path_buf(),
        problem,
    })
}

/// Inserts or replaces a whole record.
pub(crate) fn put<T: Kind>(tx: &Connection, path: &Path, record: &Stored<T>) -> Result<()> {
    let columns = T::COLUMNS.join(", ");
    let marks: Vec<String> = (1..=5 + T::COLUMNS.len())
        .map(|i| format!("?{i}"))
        .collect();
    let sql = format!(
        "INSERT OR REPLACE INTO {} (id, lamport, cell, updated_at, vv, {columns}) VALUES ({})",
        T::TABLE,
        marks.join(", ")
    );
    let vv = serde_json::to_string(&record.version.vv).map_err(|err| Error::Corrupt {
        path: path.to_path_buf(),
        problem: err.to_string(),
    })?;
    let mut values = vec![
        Value::Text(record.id.to_string()),
        count(record.version.lamport),
        Value::Text(record.version.cell.to_string()),
        Value::Text(time_text(&record.version.updated_at)),
        Value::Text(vv),
    ];
    values.extend(record.data.to_values());
    let mut stmt = tx.prepare_cached(&sql).map_err(|source| Error::Sql {
        path: path.to_path_buf(),
        source,
    })?;
    stmt.execute(params_from_iter(values))
        .map_err(|source| Error::Sql {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(())
}

pub(crate) fn list<T: Kind>(conn: &Connection, path: &Path) -> Result<Vec<Stored<T>>> {
    let order = if T::TABLE == Shipment::TABLE {
        "sent"
    } else {
        "time"
    };
    let sql = format!("{} ORDER BY {order}, id", select_sql::<T>());
    let sql_err = |source| Error::Sql {
        path: path.to_path_buf(),
        source,
    };
    let mut stmt = conn.prepare(&sql).map_err(sql_err)?;
    let rows = stmt.query_map([], row_to_stored::<T>).map_err(sql_err)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(sql_err)?.map_err(|problem| Error::Corrupt {
            path: path.to_path_buf(),
            problem,
        })?);
    }
    Ok(out)
}

pub(crate) fn read_meta(conn: &Connection, path: &Path, key: &str) -> Result<String> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
    .map_err(|source| Error::Sql {
        path: path.to_path_buf(),
        source,
    })?
    .ok_or_else(|| Error::Corrupt {
        path: path.to_path_buf(),
        problem: format!("the `{key}` entry is missing"),
    })
}

pub(crate) fn write_meta(conn: &Connection, path: &Path, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        [key, value],
    )
    .map_err(|source| Error::Sql {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

pub(crate) fn lamport(conn: &Connection, path: &Path) -> Result<u64> {
    let text = read_meta(conn, path, "lamport")?;
    text.parse().map_err(|_| Error::Corrupt {
        path: path.to_path_buf(),
        problem: format!("bad Lamport clock `{text}`"),
    })
}

/// SQLCipher logs decryption failures to stderr; a library must not print.
/// A new database that could not be put in place: an existing file keeps its own variant
/// (the CLI explains it), anything else names the file.
fn output_error(err: saebaram_atomic::Error) -> Error {
    match err {
        saebaram_atomic::Error::AlreadyExists { path } => Error::AlreadyExists { path },
        other => Error::Output(other),
    }
}

fn quiet(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
}

/// Applies pragmas that must hold for every connection, right after the key.
fn secure_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;",
    )
}

fn durability_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    // Another saebaram process writing (e.g. `flash --record` during `records add`): wait.
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Rollback journal, fsync'd: a kill at any moment loses at most the transaction in
    // flight. The journal holds encrypted pages only.
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    conn.execute_batch("PRAGMA synchronous = FULL;")
}

/// SQLite marks itself initialised *before* it runs SQLCipher's initialisation
/// (`SQLITE_EXTRA_INIT`), so a second thread opening its first connection at that moment
/// finds SQLCipher not ready and `PRAGMA key` fails. Run the first initialisation once,
/// with every other caller of this crate waiting for it to finish.
fn ensure_sqlcipher_initialized() {
    static INIT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    INIT.get_or_init(|| {
        // Opening any connection runs sqlite3_initialize, extra init included, to the end.
        if let Ok(conn) = Connection::open_in_memory() {
            let _ = quiet(&conn);
        }
    });
}

fn open_connection(path: &Path, flags: OpenFlags) -> Result<Connection> {
    ensure_sqlcipher_initialized();
    Connection::open_with_flags(path, flags).map_err(|source| Error::Sql {
        path: path.to_path_buf(),
        source,
    })
}

fn first_bytes(path: &Path) -> Result<[u8; HEADER_LEN]> {
    let mut bytes = [0u8; HEADER_LEN];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut bytes))
        .map_err(|err| Error::io("cannot read back", path, err))?;
    Ok(bytes)
}

impl Records {
    /// Creates a new database at `new.path`, atomically (built beside it under a temporary
    /// name, then renamed without replacing anything).
    pub fn create(new: &NewDatabase<'_>) -> Result<Records> {
        Self::create_with_schema(new, CURRENT_SCHEMA)?;
        Self::open(new.path, new.passphrase)
    }

    /// Creates a database at an older schema version, to test migrations. Not for use.
    #[doc(hidden)]
    pub fn create_with_schema(new: &NewDatabase<'_>, schema: i64) -> Result<()> {
        let path = new.path;
        if new.passphrase.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        if path.symlink_metadata().is_ok() {
            return Err(Error::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let header = Header {
            kdf: new.kdf.validate()?,
            salt: new.salt,
        };
        let key = header.derive_key(new.passphrase)?;
        let temp = AtomicFile::new(path, saebaram_atomic::Options::private().no_clobber())
            .map_err(output_error)?;
        let temp_path = temp.temp_path().to_path_buf();
        {
            let sql = |source| Error::Sql {
                path: temp_path.clone(),
                source,
            };
            let mut conn = open_connection(
                &temp_path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            quiet(&conn).map_err(sql)?;
            conn.execute_batch(&header.key_pragma(&key)).map_err(sql)?;
            secure_pragmas(&conn).map_err(sql)?;
            durability_pragmas(&conn).map_err(sql)?;
            migrate(&mut conn, 0, schema).map_err(sql)?;
            write_meta(&conn, &temp_path, "cell", &new.cell.to_string())?;
            write_meta(&conn, &temp_path, "lamport", "0")?;
            conn.close().map_err(|(_, source)| sql(source))?;
        }
        if first_bytes(&temp_path)? != header.to_bytes() {
            return Err(Error::Corrupt {
                path: temp_path,
                problem: "SQLCipher did not write the expected header (salt)".into(),
            });
        }
        temp.commit().map_err(output_error)?;
        Ok(())
    }

    /// Opens an existing database and migrates it to [`CURRENT_SCHEMA`] if it is older.
    /// A wrong passphrase, a foreign file or a newer schema is refused before anything is
    /// written.
    pub fn open(path: &Path, passphrase: &[u8]) -> Result<Records> {
        if passphrase.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let header = Header::read(path)?;
        let key = header.derive_key(passphrase)?;
        let mut conn = open_connection(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let sql = |source| Error::Sql {
            path: path.to_path_buf(),
            source,
        };
        quiet(&conn).map_err(sql)?;
        conn.execute_batch(&header.key_pragma(&key)).map_err(sql)?;
        drop(key);
        secure_pragmas(&conn).map_err(sql)?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        }) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(err, _))
                if err.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(Error::WrongPassphrase {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => return Err(sql(source)),
        }
        let application_id: i64 = conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(sql)?;
        if application_id != APPLICATION_ID {
            return Err(Error::NotRecords {
                path: path.to_path_buf(),
                why: "it decrypts, but its application id is not saebaram's".into(),
            });
        }
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sql)?;
        if version > CURRENT_SCHEMA {
            return Err(Error::FutureSchema {
                path: path.to_path_buf(),
                found: version,
                supported: CURRENT_SCHEMA,
            });
        }
        if version < 1 {
            return Err(Error::NotRecords {
                path: path.to_path_buf(),
                why: "it has no schema".into(),
            });
        }
        durability_pragmas(&conn).map_err(sql)?;
        let migrated_from = if version < CURRENT_SCHEMA {
            migrate(&mut conn, version, CURRENT_SCHEMA).map_err(sql)?;
            Some(version)
        } else {
            None
        };
        let cell_text = read_meta(&conn, path, "cell")?;
        let cell = cell_text.parse().map_err(|err: Error| Error::Corrupt {
            path: path.to_path_buf(),
            problem: err.to_string(),
        })?;
        Ok(Records {
            conn,
            path: path.to_path_buf(),
            cell,
            header,
            migrated_from,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This cell's id.
    pub fn cell(&self) -> CellId {
        self.cell
    }

    /// The key-derivation cost stored in the header.
    pub fn kdf(&self) -> KdfParams {
        self.header.kdf
    }

    /// The schema version the database had before this open migrated it, if it did.
    pub fn migrated_from(&self) -> Option<i64> {
        self.migrated_from
    }

    /// The schema version (after migration: [`CURRENT_SCHEMA`]).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|source| Error::Sql {
                path: self.path.clone(),
                source,
            })
    }

    pub(crate) fn tx(&mut self) -> Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| Error::Sql {
                path: self.path.clone(),
                source,
            })
    }

    fn commit(path: &Path, tx: Transaction<'_>) -> Result<()> {
        tx.commit().map_err(|source| Error::Sql {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Takes the next Lamport time for a local edit.
    fn tick(tx: &Connection, path: &Path) -> Result<u64> {
        let next = lamport(tx, path)?.saturating_add(1);
        write_meta(tx, path, "lamport", &next.to_string())?;
        Ok(next)
    }

    fn add<T: Kind>(&mut self, id: RecordId, data: T, now: DateTime<Utc>) -> Result<Stored<T>> {
        data.validate()?;
        let path = self.path.clone();
        let cell = self.cell;
        let tx = self.tx()?;
        if record_kind(&tx, &path, id)?.is_some() {
            return Err(Error::Invalid {
                field: "record id",
                problem: format!("{id} is already used"),
            });
        }
        let lamport = Self::tick(&tx, &path)?;
        let record = Stored {
            id,
            version: Version {
                lamport,
                cell,
                updated_at: now,
                vv: BTreeMap::from([(cell, lamport)]),
            },
            data,
        };
        put(&tx, &path, &record)?;
        Self::commit(&path, tx)?;
        Ok(record)
    }

    fn add_many<T: Kind>(
        &mut self,
        items: Vec<(RecordId, T)>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        for (_, data) in &items {
            data.validate()?;
        }
        let path = self.path.clone();
        let cell = self.cell;
        let tx = self.tx()?;
        let mut clock = lamport(&tx, &path)?;
        let n = items.len();
        for (id, data) in items {
            if record_kind(&tx, &path, id)?.is_some() {
                return Err(Error::Invalid {
                    field: "record id",
                    problem: format!("{id} is already used"),
                });
            }
            clock = clock.saturating_add(1);
            let record = Stored {
                id,
                version: Version {
                    lamport: clock,
                    cell,
                    updated_at: now,
                    vv: BTreeMap::from([(cell, clock)]),
                },
                data,
            };
            put(&tx, &path, &record)?;
        }
        write_meta(&tx, &path, "lamport", &clock.to_string())?;
        Self::commit(&path, tx)?;
        Ok(n)
    }

    fn edit<T: Kind>(
        &mut self,
        id: RecordId,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut T) -> Result<()>,
    ) -> Result<Stored<T>> {
        let path = self.path.clone();
        let cell = self.cell;
        let tx = self.tx()?;
        let mut record: Stored<T> =
            get(&tx, &path, id)?.ok_or_else(|| Error::NoSuchRecord(id.to_string()))?;
        change(&mut record.data)?;
        record.data.validate()?;
        let lamport = Self::tick(&tx, &path)?;
        record.version.lamport = lamport;
        record.version.cell = cell;
        record.version.updated_at = now;
        record.version.vv.insert(cell, lamport);
        put(&tx, &path, &record)?;
        Self::commit(&path, tx)?;
        Ok(record)
    }

    /// Records a launch under a new random `id`.
    pub fn add_launch(
        &mut self,
        id: RecordId,
        launch: Launch,
        now: DateTime<Utc>,
    ) -> Result<Stored<Launch>> {
        self.add(id, launch, now)
    }

    /// Records many launches in one transaction (all or none).
    pub fn add_launches(
        &mut self,
        items: Vec<(RecordId, Launch)>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.add_many(items, now)
    }

    /// Records many shipments in one transaction (all or none).
    pub fn add_shipments(
        &mut self,
        items: Vec<(RecordId, Shipment)>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.add_many(items, now)
    }

    /// A database with the same schema and code but **no encryption**, to measure what
    /// encryption costs. Never use it for records. Not part of the API: it exists only in
    /// this crate's unit tests and with the `unencrypted-for-benchmarks` feature, which
    /// only this crate's own dev-dependency (its benchmark) enables.
    #[doc(hidden)]
    #[cfg(any(test, feature = "unencrypted-for-benchmarks"))]
    pub fn unencrypted_for_benchmarks(path: &Path, cell: CellId) -> Result<Records> {
        let sql = |source| Error::Sql {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = open_connection(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        secure_pragmas(&conn).map_err(sql)?;
        durability_pragmas(&conn).map_err(sql)?;
        migrate(&mut conn, 0, CURRENT_SCHEMA).map_err(sql)?;
        write_meta(&conn, path, "cell", &cell.to_string())?;
        write_meta(&conn, path, "lamport", "0")?;
        let header = Header {
            kdf: KdfParams::INSECURE_TEST,
            salt: [0; 12],
        };
        Ok(Records {
            conn,
            path: path.to_path_buf(),
            cell,
            header,
            migrated_from: None,
        })
    }

    /// Records a device batch under a new random `id`.
    pub fn add_batch(
        &mut self,
        id: RecordId,
        batch: Batch,
        now: DateTime<Utc>,
    ) -> Result<Stored<Batch>> {
        self.add(id, batch, now)
    }

    /// Records a shipment under a new random `id`.
    pub fn add_shipment(
        &mut self,
        id: RecordId,
        shipment: Shipment,
        now: DateTime<Utc>,
    ) -> Result<Stored<Shipment>> {
        self.add(id, shipment, now)
    }

    /// Notes the outcome of a launch (replaces an earlier note).
    pub fn note_launch_outcome(
        &mut self,
        id: RecordId,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Stored<Launch>> {
        let outcome = Outcome {
            note: note.to_string(),
            noted_at: now,
        };
        self.edit(id, now, |launch: &mut Launch| {
            launch.outcome = Some(outcome);
            Ok(())
        })
    }

    /// Corrects the payload a launch carried.
    pub fn update_launch_payload(
        &mut self,
        id: RecordId,
        change: impl FnOnce(&mut Payload),
        now: DateTime<Utc>,
    ) -> Result<Stored<Launch>> {
        self.edit(id, now, |launch: &mut Launch| {
            change(&mut launch.payload);
            Ok(())
        })
    }

    /// Changes a shipment's status and, if given, its arrival date.
    pub fn update_shipment(
        &mut self,
        id: RecordId,
        status: ShipmentStatus,
        arrived: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<Stored<Shipment>> {
        self.edit(id, now, |shipment: &mut Shipment| {
            shipment.status = status;
            if arrived.is_some() {
                shipment.arrived = arrived;
            }
            Ok(())
        })
    }

    /// Finds the record an id or unique id prefix (at least 4 hex digits) names.
    pub fn resolve(&self, prefix: &str) -> Result<(RecordKind, RecordId)> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if prefix.len() < 4 || prefix.len() > 32 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::Invalid {
                field: "record id",
                problem: format!("`{prefix}` is not 4 to 32 hexadecimal digits"),
            });
        }
        let mut found = Vec::new();
        for kind in [RecordKind::Launch, RecordKind::Batch, RecordKind::Shipment] {
            let sql = format!(
                "SELECT id FROM {} WHERE substr(id, 1, ?2) = ?1 LIMIT 2",
                kind.table()
            );
            let mut stmt = self.conn.prepare(&sql).map_err(|source| Error::Sql {
                path: self.path.clone(),
                source,
            })?;
            let ids = stmt
                .query_map(rusqlite::params![prefix, prefix.len() as i64], |row| {
                    row.get::<_, String>(0)
                })
                .map_err(|source| Error::Sql {
                    path: self.path.clone(),
                    source,
                })?;
            for id in ids {
                let id = id.map_err(|source| Error::Sql {
                    path: self.path.clone(),
                    source,
                })?;
                found.push((kind, id));
            }
        }
        match found.as_slice() {
            [] => Err(Error::NoSuchRecord(prefix)),
            [(kind, id)] => Ok((*kind, id.parse()?)),
            _ => Err(Error::AmbiguousId(prefix)),
        }
    }

    /// All launches, by time.
    pub fn launches(&self) -> Result<Vec<Stored<Launch>>> {
        list(&self.conn, &self.path)
    }

    /// All device batches, by time.
    pub fn batches(&self) -> Result<Vec<Stored<Batch>>> {
        list(&self.conn, &self.path)
    }

    /// All shipments, by date sent.
    pub fn shipments(&self) -> Result<Vec<Stored<Shipment>>> {
        list(&self.conn, &self.path)
    }

    /// One launch.
    pub fn launch(&self, id: RecordId) -> Result<Option<Stored<Launch>>> {
        get(&self.conn, &self.path, id)
    }

    /// One batch.
    pub fn batch(&self, id: RecordId) -> Result<Option<Stored<Batch>>> {
        get(&self.conn, &self.path, id)
    }

    /// One shipment.
    pub fn shipment(&self, id: RecordId) -> Result<Option<Stored<Shipment>>> {
        get(&self.conn, &self.path, id)
    }

    /// Checks the database with `PRAGMA integrity_check`; returns the problems found.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let sql_err = |source| Error::Sql {
            path: self.path.clone(),
            source,
        };
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(sql_err)?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(sql_err)?;
        let mut problems = Vec::new();
        for row in rows {
            let row = row.map_err(sql_err)?;
            if row != "ok" {
                problems.push(row);
            }
        }
        Ok(problems)
    }

    /// Closes the database, reporting an error from the final write, if any.
    pub fn close(self) -> Result<()> {
        let path = self.path;
        self.conn
            .close()
            .map_err(|(_, source)| Error::Sql { path, source })
    }
}

pub(crate) fn record_kind(
    conn: &Connection,
    path: &Path,
    id: RecordId,
) -> Result<Option<RecordKind>> {
    for kind in [RecordKind::Launch, RecordKind::Batch, RecordKind::Shipment] {
        let sql = format!("SELECT 1 FROM {} WHERE id = ?1", kind.table());
        let hit = conn
            .query_row(&sql, [id.to_string()], |_| Ok(()))
            .optional()
            .map_err(|source| Error::Sql {
                path: path.to_path_buf(),
                source,
            })?;
        if hit.is_some() {
            return Ok(Some(kind));
        }
    }
    Ok(None)
}
