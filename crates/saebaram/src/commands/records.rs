//! `saebaram records`: the encrypted campaign database.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use saebaram_jobs::records::{
    self, AddRequest, ExportRequest, ImportRequest, InitRequest, Kdf, KeygenRequest, Kinds,
    ListReport, ListRequest, NewRecord, NoteReport, NoteRequest, Passphrase, PassphraseSource,
    ReportRequest, Screen, Unlock, parse_date, parse_lat_lon, parse_time,
};
use saebaram_jobs::{Env, Error};
use saebaram_records::exchange::ImportSummary;
use saebaram_records::report::Report;
use saebaram_records::zeroize::Zeroizing;
use saebaram_records::{Batch, DeviceCounts, Launch, Payload, Prediction, RecordId, Shipment};

use crate::output::Status;
use crate::progress::Terminal;

/// Environment variable holding the passphrase (for scripts).
pub const PASSPHRASE_ENV: &str = "SAEBARAM_RECORDS_PASSPHRASE";
/// Test-only knob: `SAEBARAM_RECORDS_KDF=test` makes `init` use a cheap, insecure cost,
/// in test builds only ([`Kdf::insecure_test`]); a release build never reads it.
const KDF_ENV: &str = "SAEBARAM_RECORDS_KDF";

const AFTER_HELP: &str = "\
Examples:
  saebaram records init
  saebaram records add launch --time 2026-03-14T21:30:00Z --site ganghwa --preset 1500g \\
      --leaflets 20000 --usb 30
  saebaram records add shipment --route HERON --sent 2026-04-02 --usb 200 --status in-transit
  saebaram records report --from 2026-01-01 --to 2026-12-31 --csv > donors.csv
  saebaram records keygen --out cell-b.key          # on the receiving cell
  saebaram records export --to cell-b.key.pub --out to-b.age
  saebaram records import to-b.age --identity cell-b.key
  saebaram records destroy

The passphrase comes from --passphrase-file, else SAEBARAM_RECORDS_PASSPHRASE, else a
prompt that does not echo. There is no field for a person's name; use --forbid with the
list you give `clean` to catch names and places in free text. See docs/records.md.";

/// Arguments of `saebaram records`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct RecordsArgs {
    /// The records database (default: `records.db` in the XDG data directory).
    #[arg(long, value_name = "FILE", global = true)]
    pub db: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of prompting.
    #[arg(long, value_name = "FILE", global = true)]
    pub passphrase_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: RecordsCommand,
}

/// The `records` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RecordsCommand {
    /// Create a new encrypted database (asks for the passphrase twice).
    Init,
    /// Record a launch, a device batch or a shipment.
    Add {
        /// What to record.
        #[command(subcommand)]
        what: AddCommand,
    },
    /// List the records.
    List(ListArgs),
    /// Totals by channel and month: leaflets, devices sent, estimated reach.
    Report(ReportArgs),
    /// Note a launch's outcome, or update a shipment's status, or fix a launch's payload.
    NoteOutcome(NoteArgs),
    /// Make this cell's key pair for receiving exports (secret key file is mode 0600).
    Keygen(KeygenArgs),
    /// Write every record to one file encrypted to another cell's public key.
    Export(ExportArgs),
    /// Merge an export into this database (no duplicates; conflicts are reported).
    Import(ImportArgs),
    /// Overwrite and delete the database and its journal.
    Destroy(DestroyArgs),
}

/// Free-text screening options.
#[derive(Debug, Clone, clap::Args)]
pub struct ForbidArgs {
    /// Refuse free text containing any string of this list (one per line, `#` comments).
    #[arg(long, value_name = "FILE")]
    pub forbid: Option<PathBuf>,
    /// Record even if free text matches the --forbid list (the warnings still print).
    #[arg(long, requires = "forbid")]
    pub allow_forbidden: bool,
}

/// What to record.
#[derive(Debug, clap::Subcommand)]
pub enum AddCommand {
    /// A balloon launch.
    Launch(AddLaunchArgs),
    /// A batch of drives written.
    Batch(AddBatchArgs),
    /// A shipment over a route.
    Shipment(AddShipmentArgs),
}

/// `records add launch`.
#[derive(Debug, clap::Args)]
pub struct AddLaunchArgs {
    /// Launch time, RFC 3339 (e.g. 2026-03-14T21:30:00Z) or a date (YYYY-MM-DD).
    #[arg(long)]
    pub time: String,
    /// Launch site (a code name or LAT,LON; never a person).
    #[arg(long)]
    pub site: String,
    /// Balloon preset or profile name.
    #[arg(long)]
    pub preset: String,
    /// Balloon parameters as a JSON object.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    pub parameters: String,
    /// Leaflets carried.
    #[arg(long, default_value_t = 0)]
    pub leaflets: u64,
    /// USB drives carried.
    #[arg(long, default_value_t = 0)]
    pub usb: u64,
    /// SD cards carried.
    #[arg(long, default_value_t = 0)]
    pub sd: u64,
    /// Other items carried.
    #[arg(long, default_value_t = 0)]
    pub other: u64,
    /// The plan's predicted probability of reaching the target (0..1).
    #[arg(long)]
    pub p_target: Option<f64>,
    /// The plan's median landing point, `LAT,LON`.
    #[arg(long, value_name = "LAT,LON", requires = "p_target")]
    pub median_landing: Option<String>,
    #[command(flatten)]
    pub forbid: ForbidArgs,
}

/// `records add batch`.
#[derive(Debug, clap::Args)]
pub struct AddBatchArgs {
    /// BLAKE3 of the image manifest.
    #[arg(long)]
    pub manifest_blake3: String,
    /// Content version label.
    #[arg(long)]
    pub content_version: Option<String>,
    /// When it was written (default: now).
    #[arg(long)]
    pub time: Option<String>,
    /// Drives written.
    #[arg(long)]
    pub written: u64,
    /// Drives that passed verification.
    #[arg(long)]
    pub passed: u64,
    /// Drives rejected as fake capacity.
    #[arg(long, default_value_t = 0)]
    pub rejected_fake: u64,
    /// Drives that failed.
    #[arg(long, default_value_t = 0)]
    pub failed: u64,
    #[command(flatten)]
    pub forbid: ForbidArgs,
}

/// `records add shipment`.
#[derive(Debug, clap::Args)]
pub struct AddShipmentArgs {
    /// The route's code name (never a real place or person).
    #[arg(long)]
    pub route: String,
    /// USB drives.
    #[arg(long, default_value_t = 0)]
    pub usb: u64,
    /// SD cards.
    #[arg(long, default_value_t = 0)]
    pub sd: u64,
    /// Other devices.
    #[arg(long, default_value_t = 0)]
    pub other: u64,
    /// Date sent (or planned), YYYY-MM-DD.
    #[arg(long)]
    pub sent: String,
    /// Date arrived, YYYY-MM-DD.
    #[arg(long)]
    pub arrived: Option<String>,
    /// planned, in-transit, delivered or lost.
    #[arg(long, default_value = "in-transit")]
    pub status: String,
    #[command(flatten)]
    pub forbid: ForbidArgs,
}

/// `records list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this kind: launches, batches or shipments.
    #[arg(value_parser = ["launches", "batches", "shipments"])]
    pub kind: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `records report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// First day, YYYY-MM-DD (default: 1 January of this year).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    #[arg(long)]
    pub to: Option<String>,
    /// People reached per leaflet (an estimate you choose; printed with the report).
    #[arg(long, default_value_t = saebaram_jobs::records::DEFAULT_REACH_PER_LEAFLET)]
    pub reach_per_leaflet: f64,
    /// People reached per device (an estimate you choose; printed with the report).
    #[arg(long, default_value_t = saebaram_jobs::records::DEFAULT_REACH_PER_DEVICE)]
    pub reach_per_device: f64,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV.
    #[arg(long)]
    pub csv: bool,
}

/// `records note-outcome`.
#[derive(Debug, clap::Args)]
pub struct NoteArgs {
    /// Record id or a unique prefix of it (see `records list`).
    pub id: String,
    /// Launch: what happened (replaces an earlier note).
    #[arg(long)]
    pub note: Option<String>,
    /// Launch: correct the leaflets carried.
    #[arg(long)]
    pub leaflets: Option<u64>,
    /// Launch: correct the USB drives carried.
    #[arg(long)]
    pub usb: Option<u64>,
    /// Launch: correct the SD cards carried.
    #[arg(long)]
    pub sd: Option<u64>,
    /// Launch: correct the other items carried.
    #[arg(long)]
    pub other: Option<u64>,
    /// Shipment: new status (planned, in-transit, delivered, lost).
    #[arg(long)]
    pub status: Option<String>,
    /// Shipment: arrival date, YYYY-MM-DD.
    #[arg(long)]
    pub arrived: Option<String>,
    #[command(flatten)]
    pub forbid: ForbidArgs,
}

/// `records keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Secret key file to write (mode 0600); the public key goes to FILE.pub.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `records export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The receiving cell's public key file (`.pub` from `records keygen`).
    #[arg(long, value_name = "RECIPIENT.pub")]
    pub to: PathBuf,
    /// Output file (default: saebaram-records-YYYYMMDD.age in the current directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `records import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The export file.
    pub file: PathBuf,
    /// This cell's secret key file (from `records keygen`).
    #[arg(long, value_name = "KEY")]
    pub identity: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `records destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// Do not ask for confirmation (for scripts).
    #[arg(long)]
    pub yes: bool,
}

impl ForbidArgs {
    fn screen(&self) -> Screen {
        Screen {
            forbid: self.forbid.clone(),
            allow_forbidden: self.allow_forbidden,
        }
    }
}

/// The database: `--db`, else `records.db` in the XDG data directory.
pub(crate) fn db_path(db: Option<&Path>, env: &Env) -> anyhow::Result<PathBuf> {
    match db {
        Some(path) => Ok(path.to_path_buf()),
        None => Ok(records::default_db(env)?),
    }
}

fn unavailable(message: String, source: Option<std::io::Error>) -> Error {
    Error::PassphraseUnavailable { message, source }
}

/// Reads the passphrase: `--passphrase-file`, else the environment variable, else a
/// no-echo prompt (twice when `confirm`).
fn passphrase(file: Option<&Path>, db: &Path, confirm: bool) -> Result<Passphrase, Error> {
    let text = if let Some(file) = file {
        let raw = Zeroizing::new(std::fs::read_to_string(file).map_err(|e| {
            unavailable(
                format!("cannot read the passphrase file `{}`", file.display()),
                Some(e),
            )
        })?);
        Zeroizing::new(raw.lines().next().unwrap_or("").to_string())
    } else if let Some(value) = std::env::var_os(PASSPHRASE_ENV) {
        Zeroizing::new(
            value
                .into_string()
                .map_err(|_| unavailable(format!("{PASSPHRASE_ENV} is not valid UTF-8"), None))?,
        )
    } else {
        let prompt = format!("Passphrase for records `{}`: ", db.display());
        let first = Zeroizing::new(rpassword::prompt_password(&prompt).map_err(|e| {
            unavailable(
                format!(
                    "cannot prompt for the passphrase (no terminal?): use --passphrase-file or \
                     {PASSPHRASE_ENV}"
                ),
                Some(e),
            )
        })?);
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("Same passphrase again: ")
                    .map_err(|e| unavailable("cannot prompt for the passphrase".into(), Some(e)))?,
            );
            if *again != *first {
                return Err(unavailable(
                    "the two passphrases differ: nothing was created".into(),
                    None,
                ));
            }
        }
        first
    };
    Ok(Passphrase::new(text))
}

/// The passphrase, asked for when the job needs it.
pub(crate) fn passphrase_source(file: Option<&Path>) -> PassphraseSource {
    let file = file.map(Path::to_path_buf);
    Box::new(move |db, confirm| passphrase(file.as_deref(), db, confirm))
}

/// The database and the way to its passphrase.
pub(crate) fn unlock(db: &Path, passphrase_file: Option<&Path>) -> Unlock {
    Unlock {
        db: db.to_path_buf(),
        passphrase: passphrase_source(passphrase_file),
    }
}

/// Runs `saebaram records`.
pub fn run(args: RecordsArgs, env: &Env) -> anyhow::Result<Status> {
    let db = db_path(args.db.as_deref(), env)?;
    let pass_file = args.passphrase_file.as_deref();
    let terminal = Terminal::new();
    match args.command {
        RecordsCommand::Init => init(&db, pass_file, env, &terminal),
        RecordsCommand::Add { what } => add(unlock(&db, pass_file), what, env, &terminal),
        RecordsCommand::List(a) => list(unlock(&db, pass_file), &a, env, &terminal),
        RecordsCommand::Report(a) => report(unlock(&db, pass_file), &a, env, &terminal),
        RecordsCommand::NoteOutcome(a) => note(unlock(&db, pass_file), a, env, &terminal),
        RecordsCommand::Keygen(a) => keygen(&a, env),
        RecordsCommand::Export(a) => export(unlock(&db, pass_file), &a, env, &terminal),
        RecordsCommand::Import(a) => import(unlock(&db, pass_file), &a, env, &terminal),
        RecordsCommand::Destroy(a) => destroy(&db, &a),
    }
}

/// The key derivation of a new database. `test_kdf` is the cheap cost when this build has
/// it; without it (every release build) the environment is not even read, so the knob has
/// no effect at all.
fn kdf_choice(
    test_kdf: Option<Kdf>,
    read_env: impl FnOnce() -> Option<std::ffi::OsString>,
) -> anyhow::Result<Kdf> {
    let Some(test_kdf) = test_kdf else {
        return Ok(Kdf::Default);
    };
    match read_env() {
        None => Ok(Kdf::Default),
        Some(v) if v == "test" => Ok(test_kdf),
        Some(other) => bail!(
            "{KDF_ENV}={}: the only accepted value is `test`",
            other.to_string_lossy()
        ),
    }
}

fn init(db: &Path, pass_file: Option<&Path>, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let kdf = kdf_choice(Kdf::insecure_test(), || std::env::var_os(KDF_ENV))?;
    if kdf != Kdf::Default && !db.exists() {
        // An existing database is refused by the job: no warning about a key it will not
        // derive.
        eprintln!("warning: {KDF_ENV}=test: weak key derivation, for tests only");
    }
    let r = records::init(
        InitRequest {
            unlock: unlock(db, pass_file),
            kdf,
        },
        env,
        t,
    )?;
    println!("created `{}`", r.db.display());
    println!("  cell id:        {}", r.cell);
    println!("  key derivation: {}", r.kdf);
    println!("Keep the passphrase safe: without it nothing can be recovered.");
    Ok(Status::Done)
}

fn add(unlock: Unlock, what: AddCommand, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let (record, screen) = match what {
        AddCommand::Launch(a) => {
            let parameters: serde_json::Value = serde_json::from_str(&a.parameters)
                .with_context(|| format!("--parameters is not JSON: `{}`", a.parameters))?;
            let prediction = match a.p_target {
                Some(p_target) => Some(Prediction {
                    p_target,
                    median_landing: a.median_landing.as_deref().map(parse_lat_lon).transpose()?,
                }),
                None => None,
            };
            let launch = Launch {
                time: parse_time("time", "--time", &a.time)?,
                site: a.site,
                preset: a.preset,
                parameters,
                payload: Payload {
                    leaflets: a.leaflets,
                    usb: a.usb,
                    sd: a.sd,
                    other: a.other,
                },
                prediction,
                outcome: None,
            };
            (NewRecord::Launch(launch), a.forbid.screen())
        }
        AddCommand::Batch(a) => {
            let time = match &a.time {
                Some(time) => parse_time("time", "--time", time)?,
                None => records::now(env),
            };
            let batch = Batch {
                time,
                manifest_blake3: a.manifest_blake3,
                content_version: a.content_version,
                written: a.written,
                passed: a.passed,
                rejected_fake: a.rejected_fake,
                failed: a.failed,
            };
            (NewRecord::Batch(batch), a.forbid.screen())
        }
        AddCommand::Shipment(a) => {
            let shipment = Shipment {
                route: a.route,
                devices: DeviceCounts {
                    usb: a.usb,
                    sd: a.sd,
                    other: a.other,
                },
                sent: parse_date("sent", "--sent", &a.sent)?,
                arrived: a
                    .arrived
                    .as_deref()
                    .map(|d| parse_date("arrived", "--arrived", d))
                    .transpose()?,
                status: a.status.parse()?,
            };
            (NewRecord::Shipment(shipment), a.forbid.screen())
        }
    };
    let r = records::add(
        AddRequest {
            unlock,
            record,
            screen,
        },
        env,
        t,
    )?;
    println!("recorded {} {}", r.kind, r.id);
    Ok(Status::Done)
}

fn list(unlock: Unlock, args: &ListArgs, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let kinds = match args.kind.as_deref() {
        Some("launches") => Kinds::Launches,
        Some("batches") => Kinds::Batches,
        Some("shipments") => Kinds::Shipments,
        _ => Kinds::All,
    };
    let r = records::list(ListRequest { unlock, kinds }, env, t)?;
    if args.json {
        // Through a `Value`: its keys print sorted, as they always have.
        let value = serde_json::to_value(&r)?;
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Status::Done);
    }
    print_list(&r);
    Ok(Status::Done)
}

fn print_list(r: &ListReport) {
    let short = |id: &RecordId| id.to_string()[..12].to_string();
    if r.wants(Kinds::Launches) {
        println!("Launches ({})", r.launches.len());
        for l in &r.launches {
            let d = &l.data;
            let p = d
                .prediction
                .map(|p| format!("P={:.2}", p.p_target))
                .unwrap_or_default();
            println!(
                "  {}  {}  {:<16} {:<14} leaflets {:>7}  usb {:>4}  sd {:>4}  other {:>4}  {p}{}",
                short(&l.id),
                d.time.format("%Y-%m-%d %H:%M"),
                d.site,
                d.preset,
                d.payload.leaflets,
                d.payload.usb,
                d.payload.sd,
                d.payload.other,
                d.outcome
                    .as_ref()
                    .map(|o| format!("  outcome: {}", o.note))
                    .unwrap_or_default()
            );
        }
    }
    if r.wants(Kinds::Batches) {
        println!("Device batches ({})", r.batches.len());
        for b in &r.batches {
            let d = &b.data;
            println!(
                "  {}  {}  manifest {}  version {:<12} written {:>4}  passed {:>4}  fake {:>3}  failed {:>3}",
                short(&b.id),
                d.time.format("%Y-%m-%d %H:%M"),
                d.manifest_blake3.chars().take(12).collect::<String>(),
                d.content_version.as_deref().unwrap_or("-"),
                d.written,
                d.passed,
                d.rejected_fake,
                d.failed
            );
        }
    }
    if r.wants(Kinds::Shipments) {
        println!("Shipments ({})", r.shipments.len());
        for s in &r.shipments {
            let d = &s.data;
            println!(
                "  {}  sent {}  {:<16} usb {:>4}  sd {:>4}  other {:>4}  {}{}",
                short(&s.id),
                d.sent,
                d.route,
                d.devices.usb,
                d.devices.sd,
                d.devices.other,
                d.status,
                d.arrived
                    .map(|a| format!(" (arrived {a})"))
                    .unwrap_or_default()
            );
        }
    }
}

fn report(unlock: Unlock, args: &ReportArgs, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let report = records::report(
        ReportRequest {
            unlock,
            from: args
                .from
                .as_deref()
                .map(|d| parse_date("from", "--from", d))
                .transpose()?,
            to: args
                .to
                .as_deref()
                .map(|d| parse_date("to", "--to", d))
                .transpose()?,
            reach_per_leaflet: args.reach_per_leaflet,
            reach_per_device: args.reach_per_device,
        },
        env,
        t,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if args.csv {
        print!("{}", report_csv(&report));
    } else {
        print!("{}", report_table(&report));
    }
    Ok(Status::Done)
}

fn report_csv(report: &Report) -> String {
    let mut out = String::from(
        "month,channel,events,leaflets,usb,sd,other,devices,estimated_reach,drives_written,\
         drives_passed,drives_rejected_fake,drives_failed\n",
    );
    for row in report.months.iter().chain(&report.totals) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.0},,,,\n",
            row.month,
            row.channel,
            row.events,
            row.leaflets,
            row.usb,
            row.sd,
            row.other,
            row.devices,
            row.estimated_reach
        ));
    }
    for row in report
        .batches
        .iter()
        .chain(std::iter::once(&report.batch_total))
    {
        out.push_str(&format!(
            "{},drives-prepared,{},,,,,,,{},{},{},{}\n",
            row.month, row.batches, row.written, row.passed, row.rejected_fake, row.failed
        ));
    }
    out
}

fn report_table(report: &Report) -> String {
    let mut out = format!("Campaign report {} to {}\n\n", report.from, report.to);
    out.push_str(&format!(
        "{:<8} {:<9} {:>7} {:>10} {:>7} {:>7} {:>7} {:>8} {:>12}\n",
        "month", "channel", "events", "leaflets", "usb", "sd", "other", "devices", "est. reach"
    ));
    for row in report.months.iter().chain(&report.totals) {
        out.push_str(&format!(
            "{:<8} {:<9} {:>7} {:>10} {:>7} {:>7} {:>7} {:>8} {:>12.0}\n",
            row.month,
            row.channel,
            row.events,
            row.leaflets,
            row.usb,
            row.sd,
            row.other,
            row.devices,
            row.estimated_reach
        ));
    }
    out.push_str(&format!(
        "\nEstimated reach = leaflets x {} + devices x {} (your multipliers, not a measurement).\n\
         Shipments count once they left (status other than planned).\n\nDrives prepared\n",
        report.reach_per_leaflet, report.reach_per_device
    ));
    out.push_str(&format!(
        "{:<8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        "month", "batches", "written", "passed", "fake", "failed"
    ));
    for row in report
        .batches
        .iter()
        .chain(std::iter::once(&report.batch_total))
    {
        out.push_str(&format!(
            "{:<8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            row.month, row.batches, row.written, row.passed, row.rejected_fake, row.failed
        ));
    }
    out
}

fn note(unlock: Unlock, args: NoteArgs, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let r = records::note(
        NoteRequest {
            unlock,
            id: args.id,
            note: args.note,
            leaflets: args.leaflets,
            usb: args.usb,
            sd: args.sd,
            other: args.other,
            status: args.status,
            arrived: args
                .arrived
                .as_deref()
                .map(|d| parse_date("arrived", "--arrived", d))
                .transpose()?,
            screen: args.forbid.screen(),
        },
        env,
        t,
    )?;
    match r {
        NoteReport::Launch { id } => println!("updated launch {id}"),
        NoteReport::Shipment { id, from, to } => println!("updated shipment {id}: {from} -> {to}"),
    }
    Ok(Status::Done)
}

fn keygen(args: &KeygenArgs, env: &Env) -> anyhow::Result<Status> {
    let r = records::keygen(
        KeygenRequest {
            out: args.out.clone(),
        },
        env,
    )?;
    println!(
        "secret key: `{}` (mode 0600; keep it on this cell only)",
        r.secret.display()
    );
    println!(
        "public key: `{}` (give it to the cells that send you records)",
        r.public.display()
    );
    println!("{}", r.recipient);
    Ok(Status::Done)
}

fn export(unlock: Unlock, args: &ExportArgs, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let r = records::export(
        ExportRequest {
            unlock,
            to: args.to.clone(),
            out: args.out.clone(),
        },
        env,
        t,
    )?;
    println!(
        "wrote `{}`: {} launches, {} batches, {} shipments, encrypted to {}",
        r.out.display(),
        r.launches,
        r.batches,
        r.shipments,
        r.recipient
    );
    Ok(Status::Done)
}

fn import(unlock: Unlock, args: &ImportArgs, env: &Env, t: &Terminal) -> anyhow::Result<Status> {
    let summary = records::import(
        ImportRequest {
            unlock,
            file: args.file.clone(),
            identity: args.identity.clone(),
        },
        env,
        t,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&args.file, &summary);
    }
    Ok(Status::Done)
}

fn print_summary(file: &Path, s: &ImportSummary) {
    println!(
        "imported `{}`{}: {} new, {} updated, {} unchanged, {} older than ours (kept ours), {} conflicts",
        file.display(),
        s.from_cell
            .map(|c| format!(" from cell {c}"))
            .unwrap_or_default(),
        s.new,
        s.updated,
        s.unchanged,
        s.stale,
        s.conflicts.len()
    );
    for c in &s.conflicts {
        println!(
            "  conflict: {} {} was edited on both sides; kept {} (latest edit in Lamport order)",
            c.kind, c.id, c.kept
        );
    }
}

fn destroy(db: &Path, args: &DestroyArgs) -> anyhow::Result<Status> {
    records::check_destroy(db)?;
    if !args.yes {
        eprint!(
            "This overwrites and deletes `{}` and its journal. It cannot be undone.\n\
             Type `destroy` to confirm: ",
            db.display()
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .context("cannot read the confirmation")?;
        if answer.trim() != "destroy" {
            eprintln!("not confirmed: nothing was destroyed");
            return Ok(Status::Negative);
        }
    }
    for path in records::destroy(db)? {
        println!("overwrote and removed `{}`", path.display());
    }
    println!(
        "Note: on SSDs, USB sticks and SD cards, wear levelling may keep old encrypted blocks \
         that no overwrite reaches (see docs/records.md)."
    );
    Ok(Status::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_the_test_kdf_never_reads_the_knob_issue_15() {
        let kdf = kdf_choice(None, || {
            panic!("a build without the test KDF must not read {KDF_ENV}")
        })
        .unwrap();
        assert_eq!(kdf, Kdf::Default);
    }

    #[test]
    fn a_test_build_takes_only_the_value_test() {
        let cheap = Kdf::insecure_test().expect("test builds have the cheap KDF");
        assert_ne!(cheap, Kdf::Default);
        assert_eq!(kdf_choice(Some(cheap), || None).unwrap(), Kdf::Default);
        assert_eq!(
            kdf_choice(Some(cheap), || Some("test".into())).unwrap(),
            cheap
        );
        let err = kdf_choice(Some(cheap), || Some("cheap".into())).unwrap_err();
        assert!(
            err.to_string().contains("only accepted value is `test`"),
            "{err}"
        );
    }
}
