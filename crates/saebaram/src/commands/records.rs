//! `saebaram records`: the encrypted campaign database.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use saebaram_records::chrono::{DateTime, Datelike, NaiveDate, Utc};
use saebaram_records::exchange::{self, ImportSummary};
use saebaram_records::forbid::ForbidList;
use saebaram_records::report::{Report, ReportOptions};
use saebaram_records::zeroize::Zeroizing;
use saebaram_records::{
    Batch, CellId, DeviceCounts, KdfParams, Launch, NewDatabase, Payload, Prediction, RecordId,
    RecordKind, Records, Shipment, ShipmentStatus,
};

use crate::output::Status;

/// Environment variable holding the passphrase (for scripts).
pub const PASSPHRASE_ENV: &str = "SAEBARAM_RECORDS_PASSPHRASE";
/// Test-only knob: `SAEBARAM_RECORDS_KDF=test` makes `init` use a cheap, insecure cost.
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
    #[arg(long, default_value_t = 1.0)]
    pub reach_per_leaflet: f64,
    /// People reached per device (an estimate you choose; printed with the report).
    #[arg(long, default_value_t = 5.0)]
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

/// The default database: `records.db` in the XDG data directory.
pub(crate) fn default_db() -> anyhow::Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "saebaram")
        .context("no home directory to keep the records database in: pass --db FILE")?;
    Ok(dirs.data_dir().join("records.db"))
}

fn db_path(db: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match db {
        Some(path) => Ok(path.clone()),
        None => default_db(),
    }
}

/// Reads the passphrase: `--passphrase-file`, else the environment variable, else a
/// no-echo prompt (twice when `confirm`).
pub(crate) fn passphrase(
    file: Option<&Path>,
    db: &Path,
    confirm: bool,
) -> anyhow::Result<Zeroizing<String>> {
    let text = if let Some(file) = file {
        let raw =
            Zeroizing::new(std::fs::read_to_string(file).with_context(|| {
                format!("cannot read the passphrase file `{}`", file.display())
            })?);
        Zeroizing::new(raw.lines().next().unwrap_or("").to_string())
    } else if let Some(value) = std::env::var_os(PASSPHRASE_ENV) {
        Zeroizing::new(
            value
                .into_string()
                .map_err(|_| anyhow::anyhow!("{PASSPHRASE_ENV} is not valid UTF-8"))?,
        )
    } else {
        let prompt = format!("Passphrase for records `{}`: ", db.display());
        let first = Zeroizing::new(rpassword::prompt_password(&prompt).with_context(|| {
            format!(
                "cannot prompt for the passphrase (no terminal?): use --passphrase-file or \
                 {PASSPHRASE_ENV}"
            )
        })?);
        if confirm {
            let again = Zeroizing::new(
                rpassword::prompt_password("Same passphrase again: ")
                    .context("cannot prompt for the passphrase")?,
            );
            if *again != *first {
                bail!("the two passphrases differ: nothing was created");
            }
        }
        first
    };
    if text.is_empty() {
        bail!("the passphrase is empty: a records database needs a passphrase");
    }
    Ok(text)
}

fn random16() -> anyhow::Result<[u8; 16]> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|err| anyhow::anyhow!("the operating system's random generator failed: {err}"))?;
    Ok(bytes)
}

/// A new random record id.
pub(crate) fn new_record_id() -> anyhow::Result<RecordId> {
    Ok(RecordId(random16()?))
}

/// Opens an existing database, reading the passphrase.
pub(crate) fn open_db(db: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<Records> {
    if !db.exists() {
        bail!(
            "no records database at `{}`: create one with `saebaram records init` (or pass --db)",
            db.display()
        );
    }
    let pass = passphrase(passphrase_file, db, false)?;
    let records = Records::open(db, pass.as_bytes())?;
    if let Some(from) = records.migrated_from() {
        eprintln!(
            "note: upgraded `{}` from schema {from} to {}",
            db.display(),
            saebaram_records::CURRENT_SCHEMA
        );
    }
    Ok(records)
}

fn parse_time(field: &str, text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(time) = date.and_hms_opt(0, 0, 0)
    {
        return Ok(time.and_utc());
    }
    bail!("invalid {field} `{text}`: expected RFC 3339 (2026-03-14T21:30:00Z) or YYYY-MM-DD")
}

fn parse_date(field: &str, text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("invalid {field} `{text}`: expected YYYY-MM-DD"))
}

fn parse_lat_lon(text: &str) -> anyhow::Result<(f64, f64)> {
    let (lat, lon) = text
        .split_once(',')
        .with_context(|| format!("invalid --median-landing `{text}`: expected LAT,LON"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .with_context(|| format!("invalid latitude in `{text}`"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .with_context(|| format!("invalid longitude in `{text}`"))?;
    Ok((lat, lon))
}

/// Checks free text against the `--forbid` list; errors unless `--allow-forbidden`.
fn screen(args: &ForbidArgs, fields: &[(&'static str, &str)]) -> anyhow::Result<()> {
    let Some(list_path) = &args.forbid else {
        return Ok(());
    };
    let text = std::fs::read_to_string(list_path)
        .with_context(|| format!("cannot read the forbid list `{}`", list_path.display()))?;
    let list = ForbidList::parse(&text)
        .with_context(|| format!("cannot use the forbid list `{}`", list_path.display()))?;
    let hits = list.check(fields);
    for hit in &hits {
        eprintln!(
            "warning: the {} contains the string on line {} of `{}`",
            hit.field,
            hit.line,
            list_path.display()
        );
    }
    if !hits.is_empty() && !args.allow_forbidden {
        bail!(
            "nothing recorded: free text contains {} forbidden string(s); reword it, or pass \
             --allow-forbidden",
            hits.len()
        );
    }
    Ok(())
}

/// Runs `saebaram records`.
pub fn run(args: RecordsArgs) -> anyhow::Result<Status> {
    let db = db_path(&args.db)?;
    let pass_file = args.passphrase_file.as_deref();
    match args.command {
        RecordsCommand::Init => init(&db, pass_file),
        RecordsCommand::Add { what } => add(&db, pass_file, what),
        RecordsCommand::List(list_args) => list(&db, pass_file, &list_args),
        RecordsCommand::Report(report_args) => report(&db, pass_file, &report_args),
        RecordsCommand::NoteOutcome(note_args) => note(&db, pass_file, &note_args),
        RecordsCommand::Keygen(keygen_args) => keygen(&keygen_args),
        RecordsCommand::Export(export_args) => export(&db, pass_file, &export_args),
        RecordsCommand::Import(import_args) => import(&db, pass_file, &import_args),
        RecordsCommand::Destroy(destroy_args) => destroy(&db, &destroy_args),
    }
}

fn init(db: &Path, pass_file: Option<&Path>) -> anyhow::Result<Status> {
    if db.exists() {
        bail!(
            "`{}` already exists: refusing to overwrite it",
            db.display()
        );
    }
    let kdf = match std::env::var(KDF_ENV).as_deref() {
        Ok("test") => {
            eprintln!("warning: {KDF_ENV}=test: weak key derivation, for tests only");
            KdfParams::INSECURE_TEST
        }
        Ok(other) => bail!("{KDF_ENV}={other}: the only accepted value is `test`"),
        Err(_) => KdfParams::DEFAULT,
    };
    let pass = passphrase(pass_file, db, true)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory `{}`", dir.display()))?;
    }
    let random = random16()?;
    let mut salt = [0u8; 12];
    salt.copy_from_slice(&random[..12]);
    let cell = CellId(random16()?);
    let records = Records::create(&NewDatabase {
        path: db,
        passphrase: pass.as_bytes(),
        kdf,
        salt,
        cell,
    })?;
    println!("created `{}`", db.display());
    println!("  cell id:        {cell}");
    println!("  key derivation: {kdf}");
    println!("Keep the passphrase safe: without it nothing can be recovered.");
    records.close()?;
    Ok(Status::Done)
}

fn add(db: &Path, pass_file: Option<&Path>, what: AddCommand) -> anyhow::Result<Status> {
    let now = Utc::now();
    let id = new_record_id()?;
    match what {
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
                time: parse_time("--time", &a.time)?,
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
            launch.validate()?;
            screen(&a.forbid, &launch.free_text())?;
            let mut records = open_db(db, pass_file)?;
            records.add_launch(id, launch, now)?;
            records.close()?;
            println!("recorded launch {id}");
        }
        AddCommand::Batch(a) => {
            let batch = Batch {
                time: match &a.time {
                    Some(time) => parse_time("--time", time)?,
                    None => now,
                },
                manifest_blake3: a.manifest_blake3,
                content_version: a.content_version,
                written: a.written,
                passed: a.passed,
                rejected_fake: a.rejected_fake,
                failed: a.failed,
            };
            batch.validate()?;
            screen(&a.forbid, &batch.free_text())?;
            let mut records = open_db(db, pass_file)?;
            records.add_batch(id, batch, now)?;
            records.close()?;
            println!("recorded batch {id}");
        }
        AddCommand::Shipment(a) => {
            let shipment = Shipment {
                route: a.route,
                devices: DeviceCounts {
                    usb: a.usb,
                    sd: a.sd,
                    other: a.other,
                },
                sent: parse_date("--sent", &a.sent)?,
                arrived: a
                    .arrived
                    .as_deref()
                    .map(|d| parse_date("--arrived", d))
                    .transpose()?,
                status: a.status.parse()?,
            };
            shipment.validate()?;
            screen(&a.forbid, &shipment.free_text())?;
            let mut records = open_db(db, pass_file)?;
            records.add_shipment(id, shipment, now)?;
            records.close()?;
            println!("recorded shipment {id}");
        }
    }
    Ok(Status::Done)
}

fn list(db: &Path, pass_file: Option<&Path>, args: &ListArgs) -> anyhow::Result<Status> {
    let records = open_db(db, pass_file)?;
    let want = |kind: &str| args.kind.as_deref().is_none_or(|k| k == kind);
    let launches = if want("launches") {
        records.launches()?
    } else {
        Vec::new()
    };
    let batches = if want("batches") {
        records.batches()?
    } else {
        Vec::new()
    };
    let shipments = if want("shipments") {
        records.shipments()?
    } else {
        Vec::new()
    };
    if args.json {
        let json = serde_json::json!({
            "database": db,
            "cell": records.cell(),
            "launches": launches,
            "batches": batches,
            "shipments": shipments,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(Status::Done);
    }
    let short = |id: &RecordId| id.to_string()[..12].to_string();
    if want("launches") {
        println!("Launches ({})", launches.len());
        for l in &launches {
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
    if want("batches") {
        println!("Device batches ({})", batches.len());
        for b in &batches {
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
    if want("shipments") {
        println!("Shipments ({})", shipments.len());
        for s in &shipments {
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
    Ok(Status::Done)
}

fn report(db: &Path, pass_file: Option<&Path>, args: &ReportArgs) -> anyhow::Result<Status> {
    let today = Utc::now().date_naive();
    let from = match &args.from {
        Some(text) => parse_date("--from", text)?,
        None => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    };
    let to = match &args.to {
        Some(text) => parse_date("--to", text)?,
        None => today,
    };
    let records = open_db(db, pass_file)?;
    let report = records.report(&ReportOptions {
        from,
        to,
        reach_per_leaflet: args.reach_per_leaflet,
        reach_per_device: args.reach_per_device,
    })?;
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

fn note(db: &Path, pass_file: Option<&Path>, args: &NoteArgs) -> anyhow::Result<Status> {
    let now = Utc::now();
    let mut records = open_db(db, pass_file)?;
    let (kind, id) = records.resolve(&args.id)?;
    match kind {
        RecordKind::Launch => {
            if args.status.is_some() || args.arrived.is_some() {
                bail!("record {id} is a launch: --status and --arrived are for shipments");
            }
            let payload_change = args.leaflets.is_some()
                || args.usb.is_some()
                || args.sd.is_some()
                || args.other.is_some();
            if args.note.is_none() && !payload_change {
                bail!("nothing to change: give --note, or --leaflets/--usb/--sd/--other");
            }
            if let Some(note) = &args.note {
                screen(&args.forbid, &[("outcome note", note.as_str())])?;
                records.note_launch_outcome(id, note, now)?;
            }
            if payload_change {
                records.update_launch_payload(
                    id,
                    |p| {
                        p.leaflets = args.leaflets.unwrap_or(p.leaflets);
                        p.usb = args.usb.unwrap_or(p.usb);
                        p.sd = args.sd.unwrap_or(p.sd);
                        p.other = args.other.unwrap_or(p.other);
                    },
                    now,
                )?;
            }
            println!("updated launch {id}");
        }
        RecordKind::Shipment => {
            if args.note.is_some()
                || args.leaflets.is_some()
                || args.usb.is_some()
                || args.sd.is_some()
                || args.other.is_some()
            {
                bail!("record {id} is a shipment: give --status and/or --arrived");
            }
            let current = records
                .shipment(id)?
                .with_context(|| format!("record {id} vanished"))?;
            let status: ShipmentStatus = match &args.status {
                Some(text) => text.parse()?,
                None if args.arrived.is_some() => ShipmentStatus::Delivered,
                None => bail!("nothing to change: give --status and/or --arrived"),
            };
            let arrived = args
                .arrived
                .as_deref()
                .map(|d| parse_date("--arrived", d))
                .transpose()?;
            records.update_shipment(id, status, arrived, now)?;
            println!("updated shipment {id}: {} -> {status}", current.data.status);
        }
        RecordKind::Batch => bail!("record {id} is a device batch: batches have no outcome"),
    }
    records.close()?;
    Ok(Status::Done)
}

/// Writes `bytes` to `path` with permission bits `mode` through a temporary file in the
/// same directory; `replace` off refuses an existing file.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32, replace: bool) -> anyhow::Result<()> {
    let options = saebaram_atomic::Options { mode, replace };
    Ok(saebaram_atomic::write_with(path, bytes, options)?)
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<Status> {
    let mut pub_name = args.out.as_os_str().to_owned();
    pub_name.push(".pub");
    let pub_path = PathBuf::from(pub_name);
    for path in [&args.out, &pub_path] {
        if path.exists() {
            bail!(
                "`{}` already exists: refusing to overwrite a key",
                path.display()
            );
        }
    }
    let pair = exchange::generate_identity();
    let secret = exchange::identity_text(&pair, Utc::now());
    write_atomic(&args.out, secret.as_bytes(), 0o600, false)?;
    write_atomic(
        &pub_path,
        format!("{}\n", pair.recipient).as_bytes(),
        0o644,
        false,
    )?;
    println!(
        "secret key: `{}` (mode 0600; keep it on this cell only)",
        args.out.display()
    );
    println!(
        "public key: `{}` (give it to the cells that send you records)",
        pub_path.display()
    );
    println!("{}", pair.recipient);
    Ok(Status::Done)
}

fn export(db: &Path, pass_file: Option<&Path>, args: &ExportArgs) -> anyhow::Result<Status> {
    let text = std::fs::read_to_string(&args.to)
        .with_context(|| format!("cannot read the recipient file `{}`", args.to.display()))?;
    let recipient = exchange::parse_recipient(&args.to, &text)?;
    let now = Utc::now();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("saebaram-records-{}.age", now.format("%Y%m%d"))));
    let records = open_db(db, pass_file)?;
    let bundle_counts = (
        records.launches()?.len(),
        records.batches()?.len(),
        records.shipments()?.len(),
    );
    let bytes = records.export(&recipient, now)?;
    write_atomic(&out, &bytes, 0o600, true)?;
    println!(
        "wrote `{}`: {} launches, {} batches, {} shipments, encrypted to {}",
        out.display(),
        bundle_counts.0,
        bundle_counts.1,
        bundle_counts.2,
        recipient
    );
    Ok(Status::Done)
}

fn import(db: &Path, pass_file: Option<&Path>, args: &ImportArgs) -> anyhow::Result<Status> {
    let key_text = Zeroizing::new(std::fs::read_to_string(&args.identity).with_context(|| {
        format!(
            "cannot read the identity file `{}`",
            args.identity.display()
        )
    })?);
    let identity = exchange::parse_identity(&args.identity, &key_text)?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read the export `{}`", args.file.display()))?;
    // Decrypt and check before asking for the passphrase or touching the database.
    exchange::decrypt_bundle(&args.file, &bytes, &identity)?;
    let mut records = open_db(db, pass_file)?;
    let summary = records.import(&args.file, &bytes, &identity)?;
    records.close()?;
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
    if !db.exists() {
        bail!(
            "no records database at `{}`: nothing to destroy",
            db.display()
        );
    }
    saebaram_records::Header::read(db)?;
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
    let gone = saebaram_records::destroy::destroy(db)?;
    for path in &gone.removed {
        println!("overwrote and removed `{}`", path.display());
    }
    println!(
        "Note: on SSDs, USB sticks and SD cards, wear levelling may keep old encrypted blocks \
         that no overwrite reaches (see docs/records.md)."
    );
    Ok(Status::Done)
}
