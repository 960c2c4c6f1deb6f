//! The encrypted campaign records: create and unlock a database, add and correct launches,
//! batches and shipments, list them, the donor report, keys, export to another cell and
//! import, destroy; and the hooks that record a plan's best launch and a flash batch.
//!
//! The passphrase is the face's: a job asks for it through [`Unlock::passphrase`] only once
//! the checks that need no passphrase have passed, uses it to open the database and drops it
//! (zeroised). It is never logged, stored, serialised or put in a report or error.

use std::fmt;
use std::path::{Path, PathBuf};

use saebaram_records::chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use saebaram_records::exchange::{self, ImportSummary};
use saebaram_records::forbid::ForbidList;
use saebaram_records::report::{Report, ReportOptions};
use saebaram_records::zeroize::Zeroizing;
use saebaram_records::{
    Batch, CellId, KdfParams, Launch, NewDatabase, Payload, Prediction, RecordId, RecordKind,
    Records, Shipment, ShipmentStatus, Stored,
};
use serde::Serialize;

use crate::files::write_private;
use crate::flash::FlashReport;
use crate::plan::PlanReport;
use crate::progress::{Event, Progress, Warning};
use crate::{Env, Error};

/// A passphrase, zeroised when dropped; `Debug` hides it, and it has no `Serialize`.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps what the person typed.
    pub fn new(text: Zeroizing<String>) -> Passphrase {
        Passphrase(text)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(hidden)")
    }
}

/// How a job gets the passphrase of `db` when it needs it: `confirm` asks twice (a new
/// database). The CLI prompts or reads a file; the app hands over what was typed.
pub type PassphraseSource = Box<dyn FnOnce(&Path, bool) -> Result<Passphrase, Error> + Send>;

/// A database and the way to its passphrase.
pub struct Unlock {
    /// The database file.
    pub db: PathBuf,
    /// Asked once, when the job opens the database.
    pub passphrase: PassphraseSource,
}

impl fmt::Debug for Unlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unlock")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// The default database: `records.db` in the face's data directory.
pub fn default_db(env: &Env) -> Result<PathBuf, Error> {
    env.data_dir
        .as_ref()
        .map(|d| d.join("records.db"))
        .ok_or(Error::NoDataDir)
}

/// The face's "now" as a UTC time.
pub fn now(env: &Env) -> DateTime<Utc> {
    let ns = env.now_unix_ns();
    let (s, sub) = (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000));
    i64::try_from(s)
        .ok()
        .and_then(|s| Utc.timestamp_opt(s, sub as u32).single())
        .unwrap_or_default()
}

fn take_passphrase(
    source: PassphraseSource,
    db: &Path,
    confirm: bool,
) -> Result<Passphrase, Error> {
    let pass = source(db, confirm)?;
    if pass.0.is_empty() {
        return Err(saebaram_records::Error::EmptyPassphrase.into());
    }
    Ok(pass)
}

/// Opens an existing database (asking for the passphrase only once it exists).
fn open(unlock: Unlock, progress: &dyn Progress) -> Result<Records, Error> {
    if !unlock.db.exists() {
        return Err(Error::NoDatabase { db: unlock.db });
    }
    let pass = take_passphrase(unlock.passphrase, &unlock.db, false)?;
    let records = Records::open(&unlock.db, pass.0.as_bytes())?;
    drop(pass);
    if let Some(from) = records.migrated_from() {
        progress.event(Event::Warning {
            warning: Warning::RecordsUpgraded {
                db: unlock.db.clone(),
                from,
                to: saebaram_records::CURRENT_SCHEMA,
            },
        });
    }
    Ok(records)
}

fn random16(env: &Env) -> Result<[u8; 16], Error> {
    let mut bytes = [0u8; 16];
    env.random(&mut bytes)?;
    Ok(bytes)
}

/// A new random record id.
pub fn new_record_id(env: &Env) -> Result<RecordId, Error> {
    Ok(RecordId(random16(env)?))
}

/// `2026-03-14T21:30:00Z` or `2026-03-14` (midnight UTC).
pub fn parse_time(field: &'static str, flag: &str, text: &str) -> Result<DateTime<Utc>, Error> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(time) = date.and_hms_opt(0, 0, 0)
    {
        return Ok(time.and_utc());
    }
    Err(Error::invalid(
        field,
        format!("invalid {flag} `{text}`: expected RFC 3339 (2026-03-14T21:30:00Z) or YYYY-MM-DD"),
    ))
}

/// `YYYY-MM-DD`.
pub fn parse_date(field: &'static str, flag: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            field,
            format!("invalid {flag} `{text}`: expected YYYY-MM-DD"),
        )
    })
}

/// `LAT,LON`.
pub fn parse_lat_lon(text: &str) -> Result<(f64, f64), Error> {
    let bad = |m: String| Error::invalid("median_landing", m);
    let (lat, lon) = text.split_once(',').ok_or_else(|| {
        bad(format!(
            "invalid --median-landing `{text}`: expected LAT,LON"
        ))
    })?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| bad(format!("invalid latitude in `{text}`")))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .map_err(|_| bad(format!("invalid longitude in `{text}`")))?;
    Ok((lat, lon))
}

/// Free-text screening against a forbid list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screen {
    /// The list (none: no screening).
    pub forbid: Option<PathBuf>,
    /// Record even if free text matches (the warnings are still sent).
    pub allow_forbidden: bool,
}

impl Screen {
    fn check(&self, fields: &[(&'static str, &str)], progress: &dyn Progress) -> Result<(), Error> {
        let Some(list_path) = &self.forbid else {
            return Ok(());
        };
        let text = std::fs::read_to_string(list_path).map_err(|e| {
            Error::io(
                format!("cannot read the forbid list `{}`", list_path.display()),
                list_path,
                e,
            )
        })?;
        let list = ForbidList::parse(&text).map_err(|source| Error::Forbid {
            context: format!("cannot use the forbid list `{}`", list_path.display()),
            source,
        })?;
        let hits = list.check(fields);
        for hit in &hits {
            progress.event(Event::Warning {
                warning: Warning::ForbiddenStringInText {
                    field: hit.field,
                    line: hit.line,
                    list: list_path.clone(),
                },
            });
        }
        if !hits.is_empty() && !self.allow_forbidden {
            return Err(Error::ForbiddenText { count: hits.len() });
        }
        Ok(())
    }
}

/// Key-derivation cost of a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// The real cost.
    Default,
    /// A cheap, insecure cost, for tests only. It exists only in this crate's own unit
    /// tests and in builds with the `insecure-test-kdf` feature, which only the CLI's
    /// dev-dependencies enable (so `cargo test` gets it, a release build never does).
    #[cfg(any(test, feature = "insecure-test-kdf"))]
    InsecureTest,
}

impl Kdf {
    /// The cheap test cost, if this build has it (`None` in every release build).
    pub fn insecure_test() -> Option<Kdf> {
        #[cfg(any(test, feature = "insecure-test-kdf"))]
        return Some(Kdf::InsecureTest);
        #[cfg(not(any(test, feature = "insecure-test-kdf")))]
        return None;
    }
}

/// A database to create.
#[derive(Debug)]
pub struct InitRequest {
    /// Where (must not exist), and the passphrase (asked with confirmation).
    pub unlock: Unlock,
    /// Its key-derivation cost.
    pub kdf: Kdf,
}

/// A new database.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    /// Its file.
    pub db: PathBuf,
    /// This cell's id.
    pub cell: String,
    /// The key derivation, described.
    pub kdf: String,
}

/// Creates an encrypted database.
pub fn init(req: InitRequest, env: &Env, _progress: &dyn Progress) -> Result<InitReport, Error> {
    let db = req.unlock.db;
    if db.exists() {
        return Err(Error::Exists {
            path: db,
            what: "it",
        });
    }
    let kdf = match req.kdf {
        Kdf::Default => KdfParams::DEFAULT,
        #[cfg(any(test, feature = "insecure-test-kdf"))]
        Kdf::InsecureTest => KdfParams::INSECURE_TEST,
    };
    let pass = take_passphrase(req.unlock.passphrase, &db, true)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::io(
                format!("cannot create the directory `{}`", dir.display()),
                dir,
                e,
            )
        })?;
    }
    let random = random16(env)?;
    let mut salt = [0u8; 12];
    salt.copy_from_slice(&random[..12]);
    let cell = CellId(random16(env)?);
    let records = Records::create(&NewDatabase {
        path: &db,
        passphrase: pass.0.as_bytes(),
        kdf,
        salt,
        cell,
    })?;
    drop(pass);
    records.close()?;
    Ok(InitReport {
        db,
        cell: cell.to_string(),
        kdf: kdf.to_string(),
    })
}

/// A record to add.
#[derive(Debug, Clone, PartialEq)]
pub enum NewRecord {
    /// A launch.
    Launch(Launch),
    /// A batch of drives.
    Batch(Batch),
    /// A shipment.
    Shipment(Shipment),
}

/// Adds a record.
#[derive(Debug)]
pub struct AddRequest {
    /// The database.
    pub unlock: Unlock,
    /// What.
    pub record: NewRecord,
    /// Free-text screening.
    pub screen: Screen,
}

/// A record that was added.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// `launch`, `batch`, `shipment`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// The database.
    pub db: PathBuf,
}

/// Adds a launch, batch or shipment (checked, and screened before the database is opened).
pub fn add(req: AddRequest, env: &Env, progress: &dyn Progress) -> Result<Recorded, Error> {
    let now = now(env);
    let id = new_record_id(env)?;
    let db = req.unlock.db.clone();
    let kind = match &req.record {
        NewRecord::Launch(l) => {
            l.validate()?;
            req.screen.check(&l.free_text(), progress)?;
            "launch"
        }
        NewRecord::Batch(b) => {
            b.validate()?;
            req.screen.check(&b.free_text(), progress)?;
            "batch"
        }
        NewRecord::Shipment(s) => {
            s.validate()?;
            req.screen.check(&s.free_text(), progress)?;
            "shipment"
        }
    };
    let mut records = open(req.unlock, progress)?;
    match req.record {
        NewRecord::Launch(l) => {
            records.add_launch(id, l, now)?;
        }
        NewRecord::Batch(b) => {
            records.add_batch(id, b, now)?;
        }
        NewRecord::Shipment(s) => {
            records.add_shipment(id, s, now)?;
        }
    }
    records.close()?;
    Ok(Recorded {
        kind,
        id: id.to_string(),
        db,
    })
}

/// Which records to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    /// Every kind.
    All,
    /// Launches only.
    Launches,
    /// Batches only.
    Batches,
    /// Shipments only.
    Shipments,
}

/// Lists the records.
#[derive(Debug)]
pub struct ListRequest {
    /// The database.
    pub unlock: Unlock,
    /// Which.
    pub kinds: Kinds,
}

/// The records: the `records list --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// The database.
    pub database: PathBuf,
    /// This cell.
    pub cell: CellId,
    /// Launches (empty when not asked for).
    pub launches: Vec<Stored<Launch>>,
    /// Batches.
    pub batches: Vec<Stored<Batch>>,
    /// Shipments.
    pub shipments: Vec<Stored<Shipment>>,
    /// Which kinds were asked for.
    #[serde(skip)]
    pub kinds: Kinds,
}

impl ListReport {
    /// Whether `kind` was asked for.
    pub fn wants(&self, kind: Kinds) -> bool {
        self.kinds == Kinds::All || self.kinds == kind
    }
}

/// Lists the records.
pub fn list(req: ListRequest, _env: &Env, progress: &dyn Progress) -> Result<ListReport, Error> {
    let database = req.unlock.db.clone();
    let kinds = req.kinds;
    let records = open(req.unlock, progress)?;
    let want = |k: Kinds| kinds == Kinds::All || kinds == k;
    Ok(ListReport {
        database,
        cell: records.cell(),
        launches: if want(Kinds::Launches) {
            records.launches()?
        } else {
            Vec::new()
        },
        batches: if want(Kinds::Batches) {
            records.batches()?
        } else {
            Vec::new()
        },
        shipments: if want(Kinds::Shipments) {
            records.shipments()?
        } else {
            Vec::new()
        },
        kinds,
    })
}

/// People reached per leaflet when the person gives no estimate (both faces' default).
pub const DEFAULT_REACH_PER_LEAFLET: f64 = 1.0;
/// People reached per device when the person gives no estimate (both faces' default).
pub const DEFAULT_REACH_PER_DEVICE: f64 = 5.0;

/// The donor report's range and multipliers.
#[derive(Debug)]
pub struct ReportRequest {
    /// The database.
    pub unlock: Unlock,
    /// First day (default: 1 January of this year).
    pub from: Option<NaiveDate>,
    /// Last day (default: today).
    pub to: Option<NaiveDate>,
    /// People reached per leaflet (the person's estimate).
    pub reach_per_leaflet: f64,
    /// People reached per device.
    pub reach_per_device: f64,
}

/// Totals by channel and month: the `records report --json` schema.
pub fn report(req: ReportRequest, env: &Env, progress: &dyn Progress) -> Result<Report, Error> {
    let today = now(env).date_naive();
    let from = req
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    let to = req.to.unwrap_or(today);
    let records = open(req.unlock, progress)?;
    Ok(records.report(&ReportOptions {
        from,
        to,
        reach_per_leaflet: req.reach_per_leaflet,
        reach_per_device: req.reach_per_device,
    })?)
}

/// A correction: a launch's outcome note or payload, or a shipment's status and arrival.
#[derive(Debug)]
pub struct NoteRequest {
    /// The database.
    pub unlock: Unlock,
    /// Record id or a unique prefix.
    pub id: String,
    /// Launch: what happened.
    pub note: Option<String>,
    /// Launch: leaflets carried.
    pub leaflets: Option<u64>,
    /// Launch: USB drives.
    pub usb: Option<u64>,
    /// Launch: SD cards.
    pub sd: Option<u64>,
    /// Launch: other items.
    pub other: Option<u64>,
    /// Shipment: new status (`planned`, `in-transit`, `delivered`, `lost`).
    pub status: Option<String>,
    /// Shipment: arrival date.
    pub arrived: Option<NaiveDate>,
    /// Free-text screening.
    pub screen: Screen,
}

/// What a correction changed.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoteReport {
    /// A launch was updated.
    Launch {
        /// Its id.
        id: String,
    },
    /// A shipment's status changed.
    Shipment {
        /// Its id.
        id: String,
        /// The old status.
        from: String,
        /// The new one.
        to: String,
    },
}

/// Corrects a record.
pub fn note(req: NoteRequest, env: &Env, progress: &dyn Progress) -> Result<NoteReport, Error> {
    let now = now(env);
    let mut records = open(req.unlock, progress)?;
    let (kind, id) = records.resolve(&req.id)?;
    let payload_change =
        req.leaflets.is_some() || req.usb.is_some() || req.sd.is_some() || req.other.is_some();
    let report = match kind {
        RecordKind::Launch => {
            if req.status.is_some() || req.arrived.is_some() {
                return Err(Error::invalid(
                    "status",
                    format!("record {id} is a launch: --status and --arrived are for shipments"),
                ));
            }
            if req.note.is_none() && !payload_change {
                return Err(Error::invalid(
                    "note",
                    "nothing to change: give --note, or --leaflets/--usb/--sd/--other",
                ));
            }
            if let Some(note) = &req.note {
                req.screen
                    .check(&[("outcome note", note.as_str())], progress)?;
                records.note_launch_outcome(id, note, now)?;
            }
            if payload_change {
                records.update_launch_payload(
                    id,
                    |p: &mut Payload| {
                        p.leaflets = req.leaflets.unwrap_or(p.leaflets);
                        p.usb = req.usb.unwrap_or(p.usb);
                        p.sd = req.sd.unwrap_or(p.sd);
                        p.other = req.other.unwrap_or(p.other);
                    },
                    now,
                )?;
            }
            NoteReport::Launch { id: id.to_string() }
        }
        RecordKind::Shipment => {
            if req.note.is_some() || payload_change {
                return Err(Error::invalid(
                    "status",
                    format!("record {id} is a shipment: give --status and/or --arrived"),
                ));
            }
            let current = records
                .shipment(id)?
                .ok_or_else(|| saebaram_records::Error::NoSuchRecord(id.to_string()))?;
            let status: ShipmentStatus = match &req.status {
                Some(text) => text.parse()?,
                None if req.arrived.is_some() => ShipmentStatus::Delivered,
                None => {
                    return Err(Error::invalid(
                        "status",
                        "nothing to change: give --status and/or --arrived",
                    ));
                }
            };
            records.update_shipment(id, status, req.arrived, now)?;
            NoteReport::Shipment {
                id: id.to_string(),
                from: current.data.status.to_string(),
                to: status.to_string(),
            }
        }
        RecordKind::Batch => {
            return Err(Error::invalid(
                "id",
                format!("record {id} is a device batch: batches have no outcome"),
            ));
        }
    };
    records.close()?;
    Ok(report)
}

/// A cell's key pair to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeygenRequest {
    /// The secret key file (mode 0600); the public key goes beside it with `.pub`.
    pub out: PathBuf,
}

/// A new key pair.
#[derive(Debug, Clone, Serialize)]
pub struct KeygenReport {
    /// The secret key file.
    pub secret: PathBuf,
    /// The public key file.
    pub public: PathBuf,
    /// The public key (`age1...`).
    pub recipient: String,
}

/// Makes this cell's key pair for receiving exports.
pub fn keygen(req: KeygenRequest, env: &Env) -> Result<KeygenReport, Error> {
    let mut pub_name = req.out.as_os_str().to_owned();
    pub_name.push(".pub");
    let public = PathBuf::from(pub_name);
    for path in [&req.out, &public] {
        if path.exists() {
            return Err(Error::Exists {
                path: path.clone(),
                what: "a key",
            });
        }
    }
    let pair = exchange::generate_identity();
    let secret = exchange::identity_text(&pair, now(env));
    write_private(&req.out, secret.as_bytes(), 0o600, false)?;
    write_private(
        &public,
        format!("{}\n", pair.recipient).as_bytes(),
        0o644,
        false,
    )?;
    Ok(KeygenReport {
        secret: req.out,
        public,
        recipient: pair.recipient.clone(),
    })
}

/// An export to another cell.
#[derive(Debug)]
pub struct ExportRequest {
    /// The database.
    pub unlock: Unlock,
    /// The receiving cell's public key file.
    pub to: PathBuf,
    /// The output (default: `saebaram-records-YYYYMMDD.age` here).
    pub out: Option<PathBuf>,
}

/// What was exported.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The file written.
    pub out: PathBuf,
    /// Launches in it.
    pub launches: usize,
    /// Batches.
    pub batches: usize,
    /// Shipments.
    pub shipments: usize,
    /// Who can read it.
    pub recipient: String,
}

/// Writes every record to one file encrypted to another cell's public key.
pub fn export(
    req: ExportRequest,
    env: &Env,
    progress: &dyn Progress,
) -> Result<ExportReport, Error> {
    let text = std::fs::read_to_string(&req.to).map_err(|e| {
        Error::io(
            format!("cannot read the recipient file `{}`", req.to.display()),
            &req.to,
            e,
        )
    })?;
    let recipient = exchange::parse_recipient(&req.to, &text)?;
    let now = now(env);
    let out = req
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("saebaram-records-{}.age", now.format("%Y%m%d"))));
    let records = open(req.unlock, progress)?;
    let counts = (
        records.launches()?.len(),
        records.batches()?.len(),
        records.shipments()?.len(),
    );
    let bytes = records.export(&recipient, now)?;
    write_private(&out, &bytes, 0o600, true)?;
    Ok(ExportReport {
        out,
        launches: counts.0,
        batches: counts.1,
        shipments: counts.2,
        recipient: recipient.to_string(),
    })
}

/// An export to merge.
#[derive(Debug)]
pub struct ImportRequest {
    /// The database.
    pub unlock: Unlock,
    /// The export file.
    pub file: PathBuf,
    /// This cell's secret key file.
    pub identity: PathBuf,
}

/// Merges an export (decrypted and checked before the passphrase is asked for).
pub fn import(
    req: ImportRequest,
    _env: &Env,
    progress: &dyn Progress,
) -> Result<ImportSummary, Error> {
    let key_text = Zeroizing::new(std::fs::read_to_string(&req.identity).map_err(|e| {
        Error::io(
            format!("cannot read the identity file `{}`", req.identity.display()),
            &req.identity,
            e,
        )
    })?);
    let identity = exchange::parse_identity(&req.identity, &key_text)?;
    let bytes = std::fs::read(&req.file).map_err(|e| {
        Error::io(
            format!("cannot read the export `{}`", req.file.display()),
            &req.file,
            e,
        )
    })?;
    exchange::decrypt_bundle(&req.file, &bytes, &identity)?;
    let mut records = open(req.unlock, progress)?;
    let summary = records.import(&req.file, &bytes, &identity)?;
    records.close()?;
    Ok(summary)
}

/// Checks that `db` is a records database before a face asks to confirm its destruction.
pub fn check_destroy(db: &Path) -> Result<(), Error> {
    if !db.exists() {
        return Err(Error::NothingToDestroy {
            db: db.to_path_buf(),
        });
    }
    saebaram_records::Header::read(db)?;
    Ok(())
}

/// Overwrites and deletes the database and its journal; returns the files removed.
pub fn destroy(db: &Path) -> Result<Vec<PathBuf>, Error> {
    check_destroy(db)?;
    Ok(saebaram_records::destroy::destroy(db)?.removed)
}

/// Records the best window of a plan as a planned launch (`plan --record`). Its payload is
/// unknown to the plan: stored as zero, corrected later with [`note`]. `None` when the plan
/// has no best window (none was flown, or none is within its heavy-fall limit).
pub fn record_plan(
    unlock: Unlock,
    plan: &PlanReport,
    env: &Env,
    progress: &dyn Progress,
) -> Result<Option<Recorded>, Error> {
    let Some(best) = plan.best else {
        return Ok(None);
    };
    record_plan_window(unlock, plan, best, env, progress).map(Some)
}

/// Records one window of a plan (an index into `plan.windows`, the one a person chose from
/// the ranked list) as a planned launch from that window's site, with the window's chance
/// of reaching the target and its median landing as the prediction.
pub fn record_plan_window(
    unlock: Unlock,
    plan: &PlanReport,
    window: usize,
    env: &Env,
    progress: &dyn Progress,
) -> Result<Recorded, Error> {
    let chosen = plan.windows.get(window).ok_or_else(|| {
        Error::invalid(
            "window",
            format!(
                "the plan has {} launch windows: there is no window {window}",
                plan.windows.len()
            ),
        )
    })?;
    let time = DateTime::parse_from_rfc3339(&chosen.launch_time)
        .map_err(|_| {
            Error::invalid(
                "launch_time",
                format!("launch time `{}` is not RFC 3339", chosen.launch_time),
            )
        })?
        .with_timezone(&Utc);
    // A single-site plan before windows named their site: the plan's own.
    let site = if chosen.site.is_empty() {
        plan.site_label()
    } else {
        chosen.site.clone()
    };
    let launch = Launch {
        time,
        site,
        preset: plan.profile.name.clone(),
        parameters: serde_json::to_value(&plan.profile).unwrap_or_default(),
        payload: Payload::default(),
        prediction: Some(Prediction {
            p_target: chosen.stats.p_target,
            median_landing: chosen.median_landing,
        }),
        outcome: None,
    };
    launch.validate().map_err(|source| Error::Record {
        context: "cannot record this launch".into(),
        source,
    })?;
    let db = unlock.db.clone();
    let mut store = open(unlock, progress)?;
    let id = new_record_id(env)?;
    store.add_launch(id, launch, now(env))?;
    store.close()?;
    Ok(Recorded {
        kind: "launch",
        id: id.to_string(),
        db,
    })
}

/// Records a flashed batch (`flash --record`).
pub fn record_flash(
    unlock: Unlock,
    flash: &FlashReport,
    content_version: Option<String>,
    env: &Env,
    progress: &dyn Progress,
) -> Result<Recorded, Error> {
    let batch = Batch {
        time: now(env),
        manifest_blake3: flash.manifest_blake3.clone(),
        content_version,
        written: flash.written() as u64,
        passed: flash.passed as u64,
        rejected_fake: flash.rejected_fake as u64,
        failed: flash.failed as u64,
    };
    batch.validate().map_err(|source| Error::Record {
        context: "cannot record this batch".into(),
        source,
    })?;
    let db = unlock.db.clone();
    let mut store = open(unlock, progress)?;
    let id = new_record_id(env)?;
    store.add_batch(id, batch, now(env))?;
    store.close()?;
    Ok(Recorded {
        kind: "batch",
        id: id.to_string(),
        db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn unlock(db: &Path, pass: &'static str) -> Unlock {
        Unlock {
            db: db.to_path_buf(),
            passphrase: Box::new(move |_, _| Ok(Passphrase::new(Zeroizing::new(pass.into())))),
        }
    }

    fn fresh(dir: &Path) -> PathBuf {
        let db = dir.join("records.db");
        init(
            InitRequest {
                unlock: unlock(&db, "correct horse"),
                kdf: Kdf::InsecureTest,
            },
            &Env::fixed(1_773_446_400, 1),
            &Silent,
        )
        .unwrap();
        db
    }

    #[test]
    fn add_list_note_and_report() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh(dir.path());
        let env = Env::fixed(1_773_446_400, 2);
        let launch = Launch {
            time: parse_time("time", "--time", "2026-03-14T21:30:00Z").unwrap(),
            site: "ganghwa".into(),
            preset: "slack-tube".into(),
            parameters: serde_json::json!({}),
            payload: Payload {
                leaflets: 20_000,
                usb: 30,
                sd: 0,
                other: 0,
            },
            prediction: None,
            outcome: None,
        };
        let added = add(
            AddRequest {
                unlock: unlock(&db, "correct horse"),
                record: NewRecord::Launch(launch),
                screen: Screen::default(),
            },
            &env,
            &Silent,
        )
        .unwrap();
        let listed = list(
            ListRequest {
                unlock: unlock(&db, "correct horse"),
                kinds: Kinds::All,
            },
            &env,
            &Silent,
        )
        .unwrap();
        assert_eq!(listed.launches.len(), 1);
        assert_eq!(listed.launches[0].id.to_string(), added.id);
        let noted = note(
            NoteRequest {
                unlock: unlock(&db, "correct horse"),
                id: added.id[..12].into(),
                note: Some("landed".into()),
                leaflets: Some(19_000),
                usb: None,
                sd: None,
                other: None,
                status: None,
                arrived: None,
                screen: Screen::default(),
            },
            &env,
            &Silent,
        )
        .unwrap();
        assert!(matches!(noted, NoteReport::Launch { .. }));
        let r = report(
            ReportRequest {
                unlock: unlock(&db, "correct horse"),
                from: None,
                to: None,
                reach_per_leaflet: 1.0,
                reach_per_device: 5.0,
            },
            &env,
            &Silent,
        )
        .unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.to_string().contains("19000"), "{v}");
    }

    #[test]
    fn a_chosen_window_of_a_plan_of_two_sites_is_recorded_from_its_own_site() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh(dir.path());
        let env = Env::fixed(1_773_446_400, 2);
        let plan = crate::plan::run(
            crate::plan::PlanRequest {
                site: "paju,ganghwa".into(),
                members: 4,
                particles: 2,
                ..Default::default()
            },
            &env,
            &Silent,
        )
        .unwrap();
        // The first window of the site that is not the plan's best site.
        let best_site = plan.site_label();
        let (idx, chosen) = plan
            .windows
            .iter()
            .enumerate()
            .find(|(_, w)| w.site != best_site)
            .expect("a window from the other site");
        let recorded =
            record_plan_window(unlock(&db, "correct horse"), &plan, idx, &env, &Silent).unwrap();
        let listed = list(
            ListRequest {
                unlock: unlock(&db, "correct horse"),
                kinds: Kinds::All,
            },
            &env,
            &Silent,
        )
        .unwrap();
        assert_eq!(listed.launches.len(), 1);
        let launch = &listed.launches[0];
        assert_eq!(launch.id.to_string(), recorded.id);
        assert_eq!(launch.data.site, chosen.site);
        assert_eq!(
            launch.data.time,
            DateTime::parse_from_rfc3339(&chosen.launch_time).unwrap()
        );
        let predicted = launch.data.prediction.as_ref().unwrap();
        assert_eq!(predicted.p_target, chosen.stats.p_target);
        // A window the plan does not have names its field; nothing is written.
        let e = record_plan_window(
            unlock(&db, "correct horse"),
            &plan,
            plan.windows.len(),
            &env,
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("window"));
    }

    #[test]
    fn a_wrong_passphrase_has_its_own_kind_and_is_never_in_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh(dir.path());
        let e = list(
            ListRequest {
                unlock: unlock(&db, "wrong horse"),
                kinds: Kinds::All,
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::WrongPassphrase);
        assert!(!format!("{e} {e:?}").contains("wrong horse"));
        assert_eq!(
            format!("{:?}", Passphrase::new(Zeroizing::new("secret".into()))),
            "Passphrase(hidden)"
        );
    }

    #[test]
    fn the_passphrase_is_asked_only_once_the_database_exists() {
        let dir = tempfile::tempdir().unwrap();
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&asked);
        let e = list(
            ListRequest {
                unlock: Unlock {
                    db: dir.path().join("none.db"),
                    passphrase: Box::new(move |_, _| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        Ok(Passphrase::new(Zeroizing::new("x".into())))
                    }),
                },
                kinds: Kinds::All,
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NoDatabase);
        assert_eq!(asked.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn forbidden_text_is_refused_naming_the_line_not_the_string() {
        let dir = tempfile::tempdir().unwrap();
        let db = fresh(dir.path());
        let list_path = dir.path().join("forbid.txt");
        std::fs::write(&list_path, "# names\nKim Chol\n").unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        let sink = |e: Event| seen.lock().unwrap().push(e);
        let shipment = Shipment {
            route: "kim chol's road".into(),
            devices: saebaram_records::DeviceCounts {
                usb: 10,
                sd: 0,
                other: 0,
            },
            sent: parse_date("sent", "--sent", "2026-04-02").unwrap(),
            arrived: None,
            status: "in-transit".parse().unwrap(),
        };
        let e = add(
            AddRequest {
                unlock: unlock(&db, "correct horse"),
                record: NewRecord::Shipment(shipment),
                screen: Screen {
                    forbid: Some(list_path),
                    allow_forbidden: false,
                },
            },
            &Env::fixed(0, 0),
            &sink,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ForbiddenText);
        let seen = seen.into_inner().unwrap();
        let text = format!("{seen:?}");
        assert!(
            text.contains("line: 2") && !text.to_lowercase().contains("kim chol"),
            "{text}"
        );
    }

    #[test]
    fn parsers_name_their_field() {
        assert!(parse_time("time", "--time", "2026-03-14").is_ok());
        assert_eq!(
            parse_time("time", "--time", "soon").unwrap_err().field(),
            Some("time")
        );
        assert_eq!(parse_lat_lon("38.1, 126.2").unwrap(), (38.1, 126.2));
        assert!(parse_lat_lon("38.1").is_err());
        assert!(parse_date("sent", "--sent", "2026-13-01").is_err());
    }
}
