//! The Records screen's side of `saebaram_jobs::records`: unlock (or create) the encrypted
//! database with the passphrase, list, add and correct launches, batches and shipments,
//! the donor report, export to another team and import. Each call is a `saebaram_jobs`
//! call; the app only turns the page's forms into requests.
//!
//! The passphrase: the page sends it once, to unlock. It is moved out of the request into a
//! [`Zeroizing`] buffer at once, checked by opening the database, and kept only in memory
//! (in [`Session`]) until the person locks the records or the app stops; each job is handed a
//! zeroised copy and drops it. It is never logged, written, put in a message or sent back:
//! a wrong passphrase is the job's `wrong_passphrase` code, which names nothing typed. (The
//! HTTP request's own buffer belongs to the server library and is freed, not zeroised.)

use std::path::PathBuf;
use std::sync::Mutex;

use saebaram_jobs::records::{
    self as jobs, AddRequest, ExportRequest, ImportRequest, InitRequest, Kdf, Kinds, ListRequest,
    NewRecord, NoteRequest, Passphrase, ReportRequest, Screen, Unlock,
};
use saebaram_records::{DeviceCounts, Launch, Payload, Shipment};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::i18n::Message;
use crate::work::error_message;

/// The message codes this module sends (each needs `msg.<code>`).
pub(crate) const CODES: &[&str] = &[
    "records_locked",
    "passphrase_mismatch",
    "no_flash",
    "not_whole_path",
    "not_confirmed",
];

/// The unlocked database: its file and the passphrase, only in memory.
#[derive(Default)]
pub(crate) struct Session {
    open: Mutex<Option<Open>>,
}

struct Open {
    db: PathBuf,
    passphrase: Zeroizing<String>,
}

impl Session {
    /// An `Unlock` for one job: the database and a zeroised copy of the passphrase.
    fn unlock(&self) -> Result<Unlock, Message> {
        let guard = crate::registry::lock(&self.open);
        let open = guard.as_ref().ok_or_else(|| {
            Message::new(
                "records_locked",
                "the records are locked: unlock them first",
            )
        })?;
        let copy = Zeroizing::new(open.passphrase.as_str().to_owned());
        Ok(Unlock {
            db: open.db.clone(),
            passphrase: Box::new(move |_, _| Ok(Passphrase::new(copy))),
        })
    }

    /// Forgets the passphrase (its buffer is zeroised when dropped).
    pub(crate) fn lock(&self) {
        crate::registry::lock(&self.open).take();
    }

    pub(crate) fn is_unlocked(&self) -> bool {
        crate::registry::lock(&self.open).is_some()
    }
}

/// The unlock form. `Debug` is not derived: nothing may print it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnlockForm {
    passphrase: String,
    /// Make a new database (the page asked for the passphrase twice).
    #[serde(default)]
    create: bool,
    /// The second typing, for a new database.
    #[serde(default)]
    confirm: Option<String>,
}

/// Whether the default database exists, and whether it is unlocked.
pub(crate) fn status(session: &Session, env: &saebaram_jobs::Env) -> Result<Value, Message> {
    let db = jobs::default_db(env).map_err(|e| error_message(&e))?;
    Ok(json!({ "exists": db.exists(), "unlocked": session.is_unlocked() }))
}

/// Unlocks (or creates) the default database; on success the records are listed.
pub(crate) fn unlock(
    session: &Session,
    form: UnlockForm,
    env: &saebaram_jobs::Env,
    test_kdf: bool,
) -> Result<Value, Message> {
    let passphrase = Zeroizing::new(form.passphrase);
    let confirm = form.confirm.map(Zeroizing::new);
    let db = jobs::default_db(env).map_err(|e| error_message(&e))?;
    let hand = |p: &Zeroizing<String>| -> jobs::PassphraseSource {
        let copy = Zeroizing::new(p.as_str().to_owned());
        Box::new(move |_, _| Ok(Passphrase::new(copy)))
    };
    if form.create {
        if confirm.as_deref().map(String::as_str) != Some(passphrase.as_str()) {
            return Err(Message::new(
                "passphrase_mismatch",
                "the two passphrases differ",
            ));
        }
        jobs::init(
            InitRequest {
                unlock: Unlock {
                    db: db.clone(),
                    passphrase: hand(&passphrase),
                },
                // The cheap cost exists only in test builds (`Kdf::insecure_test`); a
                // release build always derives the real key.
                kdf: test_kdf
                    .then(Kdf::insecure_test)
                    .flatten()
                    .unwrap_or(Kdf::Default),
            },
            env,
            &saebaram_jobs::Silent,
        )
        .map_err(|e| error_message(&e))?;
    }
    // Opening the database is the check: a wrong passphrase is the job's error.
    let listed = jobs::list(
        ListRequest {
            unlock: Unlock {
                db: db.clone(),
                passphrase: hand(&passphrase),
            },
            kinds: Kinds::All,
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    *crate::registry::lock(&session.open) = Some(Open { db, passphrase });
    serde_json::to_value(&listed).map_err(|e| Message::internal(e.to_string()))
}

/// Every record.
pub(crate) fn list(session: &Session, env: &saebaram_jobs::Env) -> Result<Value, Message> {
    let listed = jobs::list(
        ListRequest {
            unlock: session.unlock()?,
            kinds: Kinds::All,
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    serde_json::to_value(&listed).map_err(|e| Message::internal(e.to_string()))
}

/// A record the page adds.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum AddForm {
    /// A launch: when (RFC 3339 or a date), where, which balloon, what it carried.
    Launch {
        time: String,
        site: String,
        preset: String,
        #[serde(default)]
        leaflets: u64,
        #[serde(default)]
        usb: u64,
        #[serde(default)]
        sd: u64,
        #[serde(default)]
        other: u64,
    },
    /// A shipment of drives by another route.
    Shipment {
        route: String,
        sent: String,
        #[serde(default)]
        arrived: Option<String>,
        status: String,
        #[serde(default)]
        usb: u64,
        #[serde(default)]
        sd: u64,
        #[serde(default)]
        other: u64,
    },
    /// The last flash of this app as a batch.
    LastFlash {
        #[serde(default)]
        content_version: Option<String>,
    },
}

/// Adds a record (the last flash's batch comes from its report, not from the page).
pub(crate) fn add(
    session: &Session,
    form: AddForm,
    last_flash: &Mutex<Option<saebaram_jobs::flash::FlashReport>>,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let record = match form {
        AddForm::Launch {
            time,
            site,
            preset,
            leaflets,
            usb,
            sd,
            other,
        } => NewRecord::Launch(Launch {
            time: jobs::parse_time("time", "time", &time).map_err(|e| error_message(&e))?,
            site,
            preset,
            parameters: Value::Null,
            payload: Payload {
                leaflets,
                usb,
                sd,
                other,
            },
            prediction: None,
            outcome: None,
        }),
        AddForm::Shipment {
            route,
            sent,
            arrived,
            status,
            usb,
            sd,
            other,
        } => NewRecord::Shipment(Shipment {
            route,
            devices: DeviceCounts { usb, sd, other },
            sent: jobs::parse_date("sent", "sent", &sent).map_err(|e| error_message(&e))?,
            arrived: arrived
                .filter(|a| !a.trim().is_empty())
                .map(|a| jobs::parse_date("arrived", "arrived", &a))
                .transpose()
                .map_err(|e| error_message(&e))?,
            status: status.parse().map_err(|e: saebaram_records::Error| {
                error_message(&saebaram_jobs::Error::from(e))
            })?,
        }),
        AddForm::LastFlash { content_version } => {
            let report = crate::registry::lock(last_flash).clone().ok_or_else(|| {
                Message::new("no_flash", "no drives were written since the app started")
            })?;
            let recorded = jobs::record_flash(
                session.unlock()?,
                &report,
                content_version,
                env,
                &saebaram_jobs::Silent,
            )
            .map_err(|e| error_message(&e))?;
            return Ok(json!({ "kind": recorded.kind, "id": recorded.id }));
        }
    };
    let recorded = jobs::add(
        AddRequest {
            unlock: session.unlock()?,
            record,
            screen: Screen::default(),
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    Ok(json!({ "kind": recorded.kind, "id": recorded.id }))
}

/// A correction: a launch's outcome note or payload, a shipment's status and arrival.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CorrectForm {
    id: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    leaflets: Option<u64>,
    #[serde(default)]
    usb: Option<u64>,
    #[serde(default)]
    sd: Option<u64>,
    #[serde(default)]
    other: Option<u64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    arrived: Option<String>,
}

pub(crate) fn correct(
    session: &Session,
    form: CorrectForm,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let report = jobs::note(
        NoteRequest {
            unlock: session.unlock()?,
            id: form.id,
            note: form.note.filter(|n| !n.trim().is_empty()),
            leaflets: form.leaflets,
            usb: form.usb,
            sd: form.sd,
            other: form.other,
            status: form.status.filter(|s| !s.is_empty()),
            arrived: form
                .arrived
                .filter(|a| !a.trim().is_empty())
                .map(|a| jobs::parse_date("arrived", "arrived", &a))
                .transpose()
                .map_err(|e| error_message(&e))?,
            screen: Screen::default(),
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    serde_json::to_value(&report).map_err(|e| Message::internal(e.to_string()))
}

/// The donor report's range (dates, both optional) and multipliers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportForm {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    reach_per_leaflet: Option<f64>,
    #[serde(default)]
    reach_per_device: Option<f64>,
}

pub(crate) fn report(
    session: &Session,
    form: ReportForm,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let date = |field: &'static str, v: Option<String>| {
        v.filter(|d| !d.trim().is_empty())
            .map(|d| jobs::parse_date(field, field, &d))
            .transpose()
            .map_err(|e| error_message(&e))
    };
    let report = jobs::report(
        ReportRequest {
            unlock: session.unlock()?,
            from: date("from", form.from)?,
            to: date("to", form.to)?,
            reach_per_leaflet: form
                .reach_per_leaflet
                .unwrap_or(jobs::DEFAULT_REACH_PER_LEAFLET),
            reach_per_device: form
                .reach_per_device
                .unwrap_or(jobs::DEFAULT_REACH_PER_DEVICE),
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    serde_json::to_value(&report).map_err(|e| Message::internal(e.to_string()))
}

/// An export: the other team's public key file, and where to write (optional).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportForm {
    to: String,
    #[serde(default)]
    out: Option<String>,
}

pub(crate) fn export(
    session: &Session,
    form: ExportForm,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let r = jobs::export(
        ExportRequest {
            unlock: session.unlock()?,
            to: PathBuf::from(form.to.trim()),
            out: form
                .out
                .filter(|o| !o.trim().is_empty())
                .map(|o| PathBuf::from(o.trim())),
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    serde_json::to_value(&r).map_err(|e| Message::internal(e.to_string()))
}

/// A new key pair for this team (`records keygen`): where to write the secret key (the
/// public one goes beside it with `.pub`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeygenForm {
    out: String,
}

/// Makes this team's key pair; it needs no passphrase (the records stay as they are).
pub(crate) fn keygen(form: KeygenForm, env: &saebaram_jobs::Env) -> Result<Value, Message> {
    let out = PathBuf::from(form.out.trim());
    if !out.is_absolute() {
        let shown = out.display().to_string();
        return Err(Message::new(
            "not_whole_path",
            format!("`{shown}`: give the whole path of the file to make"),
        )
        .with("path", shown));
    }
    let r = jobs::keygen(jobs::KeygenRequest { out }, env).map_err(|e| error_message(&e))?;
    serde_json::to_value(&r).map_err(|e| Message::internal(e.to_string()))
}

/// Destroying the records: the page sends `destroy` once the person typed the word it shows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DestroyForm {
    confirm: String,
}

/// Overwrites and deletes the records database and its journal (`records destroy`), and
/// forgets the passphrase. As in the CLI it needs no passphrase: it is for when there is no
/// time to open them.
pub(crate) fn destroy(
    session: &Session,
    form: DestroyForm,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    if form.confirm != "destroy" {
        return Err(Message::new(
            "not_confirmed",
            "not confirmed: nothing was destroyed",
        ));
    }
    let db = jobs::default_db(env).map_err(|e| error_message(&e))?;
    session.lock();
    let removed = jobs::destroy(&db).map_err(|e| error_message(&e))?;
    Ok(json!({ "removed": removed }))
}

/// An import: the file another team sent, and this team's secret key file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportForm {
    file: String,
    identity: String,
}

pub(crate) fn import(
    session: &Session,
    form: ImportForm,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let r = jobs::import(
        ImportRequest {
            unlock: session.unlock()?,
            file: PathBuf::from(form.file.trim()),
            identity: PathBuf::from(form.identity.trim()),
        },
        env,
        &saebaram_jobs::Silent,
    )
    .map_err(|e| error_message(&e))?;
    serde_json::to_value(&r).map_err(|e| Message::internal(e.to_string()))
}

/// Which launch to record: a plan job and one of its windows (an index into the plan's
/// `windows`, as `plan --json` lists them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanRecordForm {
    job: u64,
    window: usize,
}

/// Records the window of the last plan a person chose from the ranked table as a planned
/// launch (`records::record_plan_window`; the CLI's `plan --record` records the best).
pub(crate) fn record_plan(
    session: &Session,
    form: PlanRecordForm,
    last: &Mutex<Option<crate::work::LastPlan>>,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let unlock = session.unlock()?;
    let report = {
        let guard = crate::registry::lock(last);
        guard
            .as_ref()
            .filter(|l| l.job == form.job)
            .map(|l| l.report.clone())
            .ok_or_else(|| {
                Message::new("no_such_job", format!("plan job {} is not kept", form.job))
                    .with("id", form.job)
            })?
    };
    let recorded =
        jobs::record_plan_window(unlock, &report, form.window, env, &saebaram_jobs::Silent)
            .map_err(|e| error_message(&e))?;
    let window = &report.windows[form.window];
    Ok(json!({
        "kind": recorded.kind,
        "id": recorded.id,
        "site": window.site,
        "launch_time": window.launch_time,
    }))
}
