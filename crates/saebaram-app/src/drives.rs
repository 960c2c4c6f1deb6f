//! The Drives screen's side of `saebaram-jobs`: the drive list (`flash::drives`), preparing
//! an image (`prepare::clean` then `prepare::pack`) and writing drives (`flash::flash`), with
//! their events turned into snapshots a page can draw: one item per drive with its state,
//! bytes and speed. No cleaning, packing, probing or writing is done here.
//!
//! What the app adds is only what a face must: where its image lives (the data folder's
//! `app/`), that the page may only name drives the drive list offers (or the files the
//! face was started with, for tests), and the words of a clean report (a blocked file's
//! English reason sorted into a few kinds the page says in Korean).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use saebaram_jobs::flash::{DrivesRequest, FlashReport, FlashRequest, SystemRoots};
use saebaram_jobs::prepare::{CleanRequest, PackRequest, PackSize};
use saebaram_jobs::{DriveState, Event, Progress};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::i18n::Message;
use crate::registry::{Item, Reporter};
use crate::work::{Sink, error_message};

/// The message codes this module sends (each needs `msg.<code>`).
pub(crate) const CODES: &[&str] = &[
    "no_data_dir",
    "library_missing",
    "library_not_folder",
    "library_empty",
    "no_image",
    "not_offered",
    "no_drive_chosen",
    "busy_other",
    "drive_fake",
    "drive_failed",
    "block_unknown_format",
    "block_forbidden",
    "block_encrypted",
    "block_active_content",
    "block_damaged",
    "block_unreadable",
    "block_too_large",
    "block_link",
    "block_cannot_clean",
];

/// Where the app keeps its cleaned library and image: `DATA/app`.
pub(crate) fn work_dir(env: &saebaram_jobs::Env) -> Result<PathBuf, Message> {
    env.data_dir
        .as_ref()
        .map(|d| d.join("app"))
        .ok_or_else(|| Message::new("no_data_dir", "no data folder (no home folder?)"))
}

/// The image the Drives screen builds and writes.
pub(crate) fn image_path(work: &Path) -> PathBuf {
    work.join("drive.img")
}

/// The manifest `pack` writes beside an image (`IMAGE.manifest.json`).
fn manifest_path(image: &Path) -> PathBuf {
    let mut name = image.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

// ---------- the drive list ----------

/// Why a drive may not be chosen, as codes the page words (`drives.why.<code>`).
fn refusal_codes(d: &Value) -> Vec<&'static str> {
    let mut why = Vec::new();
    if d["system"] == true {
        why.push("system");
    }
    if d["mountpoints"].as_array().is_some_and(|m| !m.is_empty()) {
        why.push("mounted");
    }
    if d["read_only"] == true {
        why.push("read_only");
    }
    if why.is_empty() && d["offered"] != true {
        // Not removable, or refused for a reason of the library's own words (the detail).
        why.push(if d["removable"] == true {
            "refused"
        } else {
            "fixed"
        });
    }
    why
}

/// "Vendor Model", or nothing.
fn model_of(d: &Value) -> Option<String> {
    let words: Vec<&str> = ["vendor", "model"]
        .iter()
        .filter_map(|k| d[*k].as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Every drive of the drives job (the system disk and mounted drives marked and never
/// selectable) and the face's file targets; `selectable` is the drives job's `offered`.
pub(crate) fn list(
    system: &SystemRoots,
    file_drives: &[PathBuf],
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let report = saebaram_jobs::flash::drives(
        DrivesRequest {
            system: system.clone(),
        },
        env,
    )
    .map_err(|e| error_message(&e))?;
    let mut drives: Vec<Value> = Vec::new();
    for d in &report.drives {
        let v = serde_json::to_value(d).map_err(|e| Message::internal(e.to_string()))?;
        drives.push(json!({
            "path": v["path"],
            "name": v["name"],
            "model": model_of(&v),
            "serial": v["serial"],
            "size_bytes": v["size_bytes"],
            "bus": v["bus"],
            "selectable": v["offered"] == true,
            "why": refusal_codes(&v),
            "detail": v["refusals"],
            "mountpoints": v["mountpoints"],
        }));
    }
    for f in file_drives {
        let size = std::fs::metadata(f).map(|m| m.len()).ok();
        drives.push(json!({
            "path": f.display().to_string(),
            "name": f.file_name().map(|n| n.to_string_lossy().into_owned()),
            "model": f.file_name().map(|n| n.to_string_lossy().into_owned()),
            "serial": null,
            "size_bytes": size,
            "bus": "file",
            "selectable": size.is_some(),
            "why": if size.is_some() { json!([]) } else { json!(["missing"]) },
            "detail": [],
            "mountpoints": [],
        }));
    }
    let warnings: Vec<Message> = if report.root_resolved {
        Vec::new()
    } else {
        vec![crate::work::warning_message(
            &saebaram_jobs::Warning::RootUnresolved,
        )]
    };
    Ok(json!({ "drives": drives, "warnings": warnings }))
}

// ---------- prepare: clean, then pack ----------

/// What the page sends to prepare an image.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrepareForm {
    /// The library folder, as typed or chosen.
    pub library: String,
    /// A forbidden-strings file (`clean --forbid`): a file holding one of its strings is
    /// blocked. Empty or absent: none.
    #[serde(default)]
    pub forbid: Option<String>,
    /// Files and folders to leave out (`clean --exclude` patterns, one per entry; blank
    /// entries are ignored).
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The message code of a blocked file's kind: `block_` and the cleaner's stable
/// `reason_code` (`saebaram_clean::BlockKind`); the page words each in the user's language
/// with the English reason beside it.
pub(crate) fn block_message_code(reason_code: Option<&str>) -> String {
    format!("block_{}", reason_code.unwrap_or("cannot_clean"))
}

/// The clean report as the page shows it: counts, every blocked file with the kind of its
/// reason, and the first cleaned files with what was removed.
fn clean_view(report: &saebaram_jobs::prepare::CleanReport) -> Value {
    const SHOWN: usize = 200;
    let v = serde_json::to_value(report).unwrap_or(Value::Null);
    let files = v["files"].as_array().cloned().unwrap_or_default();
    let blocked: Vec<Value> = files
        .iter()
        .filter(|f| f["status"] == "blocked")
        .map(|f| {
            let reason = f["reason"].as_str().unwrap_or("blocked");
            let kind = block_message_code(f["reason_code"].as_str());
            let exclude = f["path"].as_str().map(saebaram_jobs::prepare::exclude_pattern_for);
            json!({ "path": f["path"], "format": f["format"], "kind": kind, "reason": reason, "exclude": exclude })
        })
        .collect();
    let cleaned: Vec<Value> = files
        .iter()
        .filter(|f| f["status"] == "cleaned")
        .take(SHOWN)
        .map(|f| json!({ "path": f["path"], "format": f["format"], "removed": f["removed"] }))
        .collect();
    json!({
        "summary": v["summary"],
        "blocked": blocked,
        "cleaned": cleaned,
        "cleaned_shown": cleaned.len(),
        "excluded": v["excluded"].as_array().map(|a| a.iter().take(SHOWN).cloned().collect::<Vec<_>>()),
    })
}

/// Prefix of an earlier library's cleaned folder moved aside to be deleted.
const OLD_CLEANED: &str = "cleaned.old-";

/// Deletes, on a thread of its own, every earlier library's cleaned folder moved aside
/// (including any a stopped app left behind). Nothing reads them: a failure only leaves
/// disk space taken until the next prepare.
fn remove_old_cleaned(work: &Path) {
    let old: Vec<PathBuf> = std::fs::read_dir(work)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(OLD_CLEANED))
        .map(|e| e.path())
        .collect();
    if !old.is_empty() {
        std::thread::spawn(move || {
            for dir in old {
                let _ = std::fs::remove_dir_all(dir);
            }
        });
    }
}

/// Cleans the library into `WORK/cleaned` (incremental when it is the same library as last
/// time), then, when nothing is blocked, packs it into `WORK/drive.img` with its manifest.
/// The report is `{"library", "clean": ..., "image": {size, files} | null}`: a blocked file
/// is a report, not an error (the page lists it and builds no image).
pub(crate) fn run_prepare(
    form: PrepareForm,
    env: &saebaram_jobs::Env,
    reporter: &Reporter,
) -> Result<Value, Message> {
    let library = PathBuf::from(form.library.trim());
    let shown = library.display().to_string();
    if form.library.trim().is_empty() || !library.is_absolute() {
        return Err(Message::new(
            "library_missing",
            format!("`{shown}`: give the whole path of a folder"),
        )
        .with("path", shown));
    }
    match std::fs::symlink_metadata(&library) {
        Err(e) => {
            return Err(
                Message::new("library_missing", format!("{shown}: {e}")).with("path", shown)
            );
        }
        Ok(m) if !m.is_dir() => {
            return Err(Message::new(
                "library_not_folder",
                format!("{shown}: not a folder (a file or a symbolic link)"),
            )
            .with("path", shown));
        }
        Ok(_) => {}
    }
    let work = work_dir(env)?;
    let cleaned = work.join("cleaned");
    let io = |what: &str, p: &Path, e: std::io::Error| {
        Message::new("io", format!("{what} {}: {e}", p.display()))
    };
    fs_err::create_dir_all(&work).map_err(|e| Message::new("io", e.to_string()))?;
    // The cleaned folder is incremental for one library; another library starts afresh
    // (outputs of the old one must not reach the new image).
    let marker = work.join("cleaned.library");
    let previous = std::fs::read_to_string(&marker).ok();
    if previous.as_deref() != Some(shown.as_str()) && cleaned.exists() {
        // Moved aside at once and deleted on a thread of its own, so that cleaning the new
        // library does not wait for the old one's files to go (bench/app: the prepare).
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| Message::new("random", e.to_string()))?;
        let aside = work.join(format!("{OLD_CLEANED}{:016x}", u64::from_le_bytes(suffix)));
        std::fs::rename(&cleaned, &aside).map_err(|e| io("cannot move aside", &cleaned, e))?;
    }
    remove_old_cleaned(&work);
    // The old image is removed first: a failed prepare never leaves the last library's
    // image looking like this one's.
    for old in [image_path(&work), manifest_path(&image_path(&work))] {
        match std::fs::remove_file(&old) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("cannot remove", &old, e)),
        }
    }
    saebaram_jobs::files::write_private(&marker, shown.as_bytes(), 0o600, true)
        .map_err(|e| error_message(&e))?;

    let sink = Sink { reporter };
    let clean = saebaram_jobs::prepare::clean(
        CleanRequest {
            inputs: vec![library.clone()],
            out: cleaned.clone(),
            forbid: form
                .forbid
                .as_deref()
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
            exclude: form
                .exclude
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            ..CleanRequest::default()
        },
        env,
        &sink,
    )
    .map_err(|e| error_message(&e))?;
    let view = clean_view(&clean);
    if clean.summary.files == 0 {
        return Err(Message::new(
            "library_empty",
            format!("{shown}: no file to put on the drives"),
        )
        .with("path", shown));
    }
    if !clean.all_clean() {
        return Ok(json!({ "library": shown, "clean": view, "image": null }));
    }
    let out = image_path(&work);
    let pack = saebaram_jobs::prepare::pack(
        PackRequest {
            library: cleaned,
            out: out.clone(),
            size: PackSize::Fit,
            seed: None,
            label: None,
            // The CLI's default: plausible shop-formatted times, never the clock.
            timestamps: "random:2021-01-01..2024-12-31".into(),
            layout: None,
            exclude: Vec::new(),
            forbid: None,
        },
        env,
        &sink,
    )
    .map_err(|e| error_message(&e))?;
    let manifest = serde_json::to_value(&pack).unwrap_or(Value::Null);
    Ok(json!({
        "library": shown,
        "clean": view,
        "image": {
            "size_bytes": manifest["image"]["size"],
            "files": manifest["files"].as_array().map_or(0, Vec::len),
            "content_bytes": pack.content_bytes,
        },
    }))
}

// ---------- flash ----------

/// What the page sends to write drives: the paths it showed, confirmed by the person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlashForm {
    pub devices: Vec<String>,
    /// Write a fake drive's real part when the image fits in it (`flash --shrink`) instead
    /// of rejecting it.
    #[serde(default)]
    pub shrink: bool,
}

/// A checked flash: the job's request and what the page shows of each drive.
pub(crate) struct Checked {
    pub request: FlashRequest,
    pub items: Vec<Item>,
}

/// Checks the chosen drives against a fresh drive list (only selectable ones; the face's
/// file targets only when it was started with them) and that an image is ready.
pub(crate) fn check_flash(
    form: &FlashForm,
    system: &SystemRoots,
    file_drives: &[PathBuf],
    env: &saebaram_jobs::Env,
) -> Result<Checked, Message> {
    if form.devices.is_empty() {
        return Err(Message::new("no_drive_chosen", "no drive chosen"));
    }
    let work = work_dir(env)?;
    let image = image_path(&work);
    if !image.is_file() {
        return Err(Message::new(
            "no_image",
            format!("{}: no image yet", image.display()),
        ));
    }
    let listed = list(system, file_drives, env)?;
    let drives = listed["drives"].as_array().cloned().unwrap_or_default();
    let mut items = Vec::new();
    let mut to_files = false;
    for path in &form.devices {
        let Some(d) = drives
            .iter()
            .find(|d| d["path"].as_str() == Some(path.as_str()))
        else {
            return Err(Message::new(
                "not_offered",
                format!("{path}: not in the drive list (pulled out?)"),
            )
            .with("path", path.clone()));
        };
        if d["selectable"] != true {
            return Err(Message::new(
                "not_offered",
                format!("{path}: may not be written ({})", d["why"]),
            )
            .with("path", path.clone()));
        }
        to_files |= d["bus"] == "file";
        items.push(Item {
            key: path.clone(),
            label: d["model"].as_str().map(str::to_owned),
            size_bytes: d["size_bytes"].as_u64(),
            state: "waiting".into(),
            done: 0,
            total: 0,
            speed: None,
            message: None,
        });
    }
    Ok(Checked {
        request: FlashRequest {
            image,
            devices: form.devices.iter().map(PathBuf::from).collect(),
            manifest: None,
            shrink: form.shrink,
            // Only the face's own file targets are files; a drive list never offers one.
            to_files,
            probe: true,
            // The CLI's default (`--cache-flush 2M`).
            cache_flush: 2 << 20,
            system: system.clone(),
        },
        items,
    })
}

/// The state code a page shows (`drives.states.<code>`).
fn state_code(state: &DriveState) -> &'static str {
    match state {
        DriveState::Probing => "probing",
        DriveState::Writing => "writing",
        DriveState::Wiping => "wiping",
        DriveState::Syncing => "syncing",
        DriveState::Verifying => "verifying",
        DriveState::Passed => "passed",
        DriveState::RejectedFake { .. } => "fake",
        DriveState::Failed { .. } => "failed",
        _ => "working",
    }
}

/// Where one drive's current state began, for its speed.
struct Pace {
    state: &'static str,
    since: Instant,
}

/// A flash's events: drives become items (state, bytes, speed, why), the rest goes to
/// [`Sink`].
struct FlashSink<'a> {
    inner: Sink<'a>,
    items: Mutex<Vec<Item>>,
    pace: Mutex<BTreeMap<usize, Pace>>,
}

impl Progress for FlashSink<'_> {
    fn event(&self, event: Event) {
        let (drive, state, done, total) = match event {
            Event::Drive {
                drive,
                state,
                done,
                total,
                ..
            } => (drive, state, done, total),
            other => return self.inner.event(other),
        };
        let code = state_code(&state);
        let now = Instant::now();
        let speed = {
            let mut pace = crate::registry::lock(&self.pace);
            let p = pace.entry(drive).or_insert(Pace {
                state: code,
                since: now,
            });
            if p.state != code {
                *p = Pace {
                    state: code,
                    since: now,
                };
            }
            let secs = now.duration_since(p.since).as_secs_f64();
            (matches!(code, "writing" | "wiping" | "verifying") && secs > 0.2 && done > 0)
                .then(|| (done as f64 / secs).round())
        };
        let mut items = crate::registry::lock(&self.items);
        let Some(item) = items.get_mut(drive) else {
            return;
        };
        let same_state = item.state == code;
        item.state = code.to_owned();
        item.done = done;
        item.total = total;
        // A state's speed stays until the next measure; a new state starts without one.
        item.speed = speed.or(if same_state { item.speed } else { None });
        item.message = match &state {
            DriveState::RejectedFake { real_bytes } => Some(
                Message::new("drive_fake", format!("{}: fake capacity", item.key))
                    .with(
                        "real",
                        real_bytes
                            .map_or_else(|| "?".to_owned(), saebaram_jobs::flash::human_bytes),
                    )
                    .with(
                        "claimed",
                        item.size_bytes
                            .map_or_else(|| "?".to_owned(), saebaram_jobs::flash::human_bytes),
                    ),
            ),
            DriveState::Failed { error } => {
                Some(Message::new("drive_failed", error.clone()).with("path", item.key.clone()))
            }
            _ => None,
        };
        self.inner.reporter.item(item.clone());
    }

    fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }
}

/// Writes the drives; the report is `flash --json`'s. The typed report is kept in `last`
/// for the Records screen (a batch is recorded from it).
pub(crate) fn run_flash(
    checked: Checked,
    env: &saebaram_jobs::Env,
    reporter: &Reporter,
    last: &Mutex<Option<FlashReport>>,
) -> Result<Value, Message> {
    for item in &checked.items {
        reporter.item(item.clone());
    }
    let sink = FlashSink {
        inner: Sink { reporter },
        items: Mutex::new(checked.items),
        pace: Mutex::new(BTreeMap::new()),
    };
    let report =
        saebaram_jobs::flash::flash(checked.request, env, &sink).map_err(|e| error_message(&e))?;
    let value = serde_json::to_value(&report).map_err(|e| Message::internal(e.to_string()))?;
    *crate::registry::lock(last) = Some(report);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_the_cleaner_reports_has_a_message() {
        for kind in saebaram_jobs::prepare::BlockKind::ALL {
            let code = block_message_code(Some(kind.code()));
            assert!(CODES.contains(&code.as_str()), "{code}");
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                json!(kind.code()),
                "the JSON code and the message code differ"
            );
        }
        assert_eq!(block_message_code(None), "block_cannot_clean");
    }

    #[test]
    fn a_drive_says_why_it_cannot_be_chosen() {
        let system =
            json!({"system": true, "mountpoints": ["/"], "offered": false, "removable": false});
        assert_eq!(refusal_codes(&system), ["system", "mounted"]);
        let stick = json!({"system": false, "mountpoints": [], "offered": true, "removable": true});
        assert!(refusal_codes(&stick).is_empty());
        let fixed =
            json!({"system": false, "mountpoints": [], "offered": false, "removable": false});
        assert_eq!(refusal_codes(&fixed), ["fixed"]);
        assert_eq!(
            model_of(&json!({"vendor": "SanDisk ", "model": "Cruzer"})).as_deref(),
            Some("SanDisk Cruzer")
        );
    }

    #[test]
    fn bad_libraries_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = saebaram_jobs::Env::fixed(0, 1);
        env.data_dir = Some(dir.path().join("data"));
        let registry = crate::registry::Registry::default();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "x").unwrap();
        for (library, code) in [
            ("relative/path".to_owned(), "library_missing"),
            (
                dir.path().join("nope").display().to_string(),
                "library_missing",
            ),
            (file.display().to_string(), "library_not_folder"),
        ] {
            let job = registry
                .start(crate::registry::Kind::Test, {
                    let env = env.clone();
                    move |r| {
                        run_prepare(
                            PrepareForm {
                                library,
                                forbid: None,
                                exclude: Vec::new(),
                            },
                            &env,
                            r,
                        )
                    }
                })
                .unwrap();
            let t0 = Instant::now();
            while job.snapshot().state == crate::registry::JobState::Running {
                assert!(t0.elapsed().as_secs() < 10);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert_eq!(job.snapshot().error.unwrap().code, code);
        }
        assert!(!dir.path().join("data/app/drive.img").exists());
    }

    #[test]
    fn another_library_starts_afresh_and_the_old_output_goes_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = saebaram_jobs::Env::fixed(0, 1);
        env.data_dir = Some(dir.path().join("data"));
        let registry = crate::registry::Registry::default();
        let run = |library: &Path| {
            let job = registry
                .start(crate::registry::Kind::Test, {
                    let env = env.clone();
                    let library = library.display().to_string();
                    move |r| {
                        run_prepare(
                            PrepareForm {
                                library,
                                forbid: None,
                                exclude: Vec::new(),
                            },
                            &env,
                            r,
                        )
                    }
                })
                .unwrap();
            let t0 = Instant::now();
            while job.snapshot().state == crate::registry::JobState::Running {
                assert!(t0.elapsed().as_secs() < 60);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let snap = job.snapshot();
            assert!(snap.error.is_none(), "{:?}", snap.error.map(|e| e.detail));
        };
        for (name, file) in [("a", "first.txt"), ("b", "second.txt")] {
            let lib = dir.path().join(name);
            std::fs::create_dir_all(&lib).unwrap();
            std::fs::write(lib.join(file), "hello\n").unwrap();
            run(&lib);
        }
        let work = dir.path().join("data/app");
        assert!(work.join("cleaned/second.txt").exists());
        assert!(
            !work.join("cleaned/first.txt").exists(),
            "the first library's output reached the second's"
        );
        // The first library's output, moved aside, is deleted by its thread.
        let t0 = Instant::now();
        loop {
            let left: Vec<_> = std::fs::read_dir(&work)
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(OLD_CLEANED))
                .collect();
            if left.is_empty() {
                break;
            }
            assert!(t0.elapsed().as_secs() < 10, "{left:?} never deleted");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn a_flash_asks_for_shrink_only_when_the_page_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = saebaram_jobs::Env::fixed(0, 1);
        env.data_dir = Some(dir.path().join("data"));
        let work = work_dir(&env).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(image_path(&work), [0u8; 512]).unwrap();
        let target = dir.path().join("target.img");
        std::fs::write(&target, []).unwrap();
        let files = vec![target.clone()];
        let system = SystemRoots {
            sysfs: dir.path().join("sys"),
            udev_data: dir.path().join("udev"),
            mountinfo: dir.path().join("mountinfo"),
            swaps: dir.path().join("swaps"),
        };
        std::fs::create_dir_all(system.sysfs.join("block")).unwrap();
        std::fs::write(&system.mountinfo, "30 1 254:0 / / rw - ext4 /dev/vda rw\n").unwrap();
        std::fs::write(&system.swaps, "").unwrap();
        for shrink in [false, true] {
            let form: FlashForm = serde_json::from_value(
                json!({ "devices": [target.display().to_string()], "shrink": shrink }),
            )
            .unwrap();
            let checked = check_flash(&form, &system, &files, &env)
                .unwrap_or_else(|m| panic!("{}: {}", m.code, m.detail));
            assert_eq!(checked.request.shrink, shrink);
            assert!(checked.request.probe, "fakes are always probed");
        }
        // An older page that does not send it: no shrink.
        let form: FlashForm =
            serde_json::from_value(json!({ "devices": [target.display().to_string()] })).unwrap();
        assert!(!form.shrink);
    }
}
