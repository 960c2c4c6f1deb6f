//! Drives: list them (`drives`), probe one for fake capacity (`probe`), check an image or a
//! written drive against its manifest (`verify`), and write a batch (`flash`: probe, write,
//! wipe, verify every drive on its own thread, with per-drive states as events and a report
//! that names every drive). Thin over `saebaram-flash`'s engine and `saebaram-image`'s
//! verifier.

use std::collections::BTreeSet;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use saebaram_flash::device::{Device, FileDevice, OpenMode};
use saebaram_flash::drives::{Drive, SystemPaths, SystemView, TargetKind};
use saebaram_flash::engine::{self, DriveReport, FlashOptions, ImageSpec, Outcome, Phase, Target};
use saebaram_flash::probe::{DriveKind, ProbeOptions, ProbeReport};
use saebaram_image::ImageManifest;
use saebaram_image::manifest::manifest_path_for;
use saebaram_image::verify::Mismatch;
use serde::{Deserialize, Serialize};

use crate::progress::{DriveState, Event, Progress, Stage, Unit, check};
use crate::{Env, Error};

/// Human size: decimal units as drives are sold (`15.5 GB`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Where the system describes its drives (tests point these at a fake tree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemRoots {
    /// sysfs root.
    pub sysfs: PathBuf,
    /// udev database directory.
    pub udev_data: PathBuf,
    /// Mount table.
    pub mountinfo: PathBuf,
    /// Swap table.
    pub swaps: PathBuf,
}

impl Default for SystemRoots {
    fn default() -> Self {
        let linux = SystemPaths::linux();
        SystemRoots {
            sysfs: linux.sysfs,
            udev_data: linux.udev_data,
            mountinfo: linux.mountinfo,
            swaps: linux.swaps,
        }
    }
}

impl SystemRoots {
    fn scan(&self) -> Result<SystemView, Error> {
        saebaram_flash::drives::scan(&SystemPaths {
            sysfs: self.sysfs.clone(),
            udev_data: self.udev_data.clone(),
            mountinfo: self.mountinfo.clone(),
            swaps: self.swaps.clone(),
            ..SystemPaths::linux()
        })
        .map_err(|source| Error::Drives {
            context: "cannot list the drives".into(),
            source,
        })
    }
}

/// Which system to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DrivesRequest {
    /// Where the system describes its drives.
    pub system: SystemRoots,
}

/// The drives: the `drives --json` schema (an array).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct DrivesReport {
    /// Every whole drive, with why it is refused or whether it is offered.
    pub drives: Vec<Drive>,
    /// Whether the device holding `/` was identified (else every drive with a mounted
    /// filesystem counts as a system disk: [`crate::Warning::RootUnresolved`]).
    #[serde(skip)]
    pub root_resolved: bool,
}

/// Lists the drives; the system disk and mounted drives are marked and never offered.
pub fn drives(req: DrivesRequest, _env: &Env) -> Result<DrivesReport, Error> {
    let view = req.system.scan()?;
    Ok(DrivesReport {
        drives: view.drives,
        root_resolved: view.root_resolved,
    })
}

/// The drives `--all-removable` would write (the offered ones): at least one.
pub fn offered(req: &DrivesRequest) -> Result<Vec<PathBuf>, Error> {
    let view = req.system.scan()?;
    let chosen: Vec<PathBuf> = view.offered().map(|d| d.path.clone()).collect();
    if chosen.is_empty() {
        return Err(Error::invalid(
            "devices",
            "--all-removable: no removable drive is offered (see `saebaram drives`)",
        ));
    }
    Ok(chosen)
}

/// 32 bytes of salt and a seed from the face's generator, for probe patterns.
fn salt_and_seed(env: &Env) -> Result<([u8; 32], u64), Error> {
    let mut bytes = [0u8; 40];
    env.random(&mut bytes)?;
    let mut salt = [0u8; 32];
    salt.copy_from_slice(&bytes[..32]);
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&bytes[32..]);
    Ok((salt, u64::from_le_bytes(seed)))
}

/// One drive to probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRequest {
    /// A whole drive (or a file).
    pub device: PathBuf,
    /// Do not save and restore the blocks the probe overwrites.
    pub destructive: bool,
    /// Bytes written to flush the drive's own cache.
    pub cache_flush: u64,
    /// Aliasing periods that are a multiple of this are always found.
    pub granularity: u64,
    /// Where the system describes its drives.
    pub system: SystemRoots,
}

/// A probe: the `probe --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeJobReport {
    /// What the probe found.
    #[serde(flatten)]
    pub report: ProbeReport,
    /// The drive.
    pub device: String,
}

impl ProbeJobReport {
    /// Every probed block kept its data.
    pub fn genuine(&self) -> bool {
        self.report.kind == DriveKind::Genuine
    }
}

/// Probes a drive for fake capacity (writes a few MB; restores them unless destructive).
pub fn probe(
    req: ProbeRequest,
    env: &Env,
    progress: &dyn Progress,
) -> Result<ProbeJobReport, Error> {
    let view = req.system.scan()?;
    view.check_target(&req.device)?;
    let mut dev = FileDevice::open(&req.device)?;
    let (salt, seed) = salt_and_seed(env)?;
    let opts = ProbeOptions {
        destructive: req.destructive,
        cache_flush: req.cache_flush,
        granularity: req.granularity,
        ..ProbeOptions::new(salt, seed)
    };
    check(progress)?;
    progress.event(Event::StageStarted {
        stage: Stage::Probing,
        total: None,
        unit: Unit::Bytes,
    });
    let result = saebaram_flash::probe::probe(&mut dev, &opts);
    progress.event(Event::StageFinished {
        stage: Stage::Probing,
    });
    let report = result.map_err(|source| Error::Probe {
        context: format!("{}: probe failed", req.device.display()),
        source,
    })?;
    Ok(ProbeJobReport {
        report,
        device: req.device.display().to_string(),
    })
}

/// An image file or drive to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRequest {
    /// The image or drive (opened read-only).
    pub target: PathBuf,
    /// Its manifest (default: beside an image file).
    pub manifest: Option<PathBuf>,
}

/// A verification: the `verify --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The target.
    pub target: String,
    /// The manifest.
    pub manifest: String,
    /// Whether it matches.
    pub ok: bool,
    /// Bytes hashed.
    pub bytes_checked: u64,
    /// Files in the manifest.
    pub files: usize,
    /// Every difference, named.
    pub mismatches: Vec<Mismatch>,
    /// The manifest's data BLAKE3.
    #[serde(skip)]
    pub data_blake3: String,
}

/// Checks an image or a written drive against its manifest.
pub fn verify(
    req: VerifyRequest,
    _env: &Env,
    progress: &dyn Progress,
) -> Result<VerifyReport, Error> {
    let manifest_path = req
        .manifest
        .clone()
        .unwrap_or_else(|| manifest_path_for(&req.target));
    let manifest = ImageManifest::read(&manifest_path).map_err(|source| Error::ImageManifest {
        context: if req.manifest.is_none() {
            "no manifest given with --manifest, and none found beside the target".to_owned()
        } else {
            "cannot read the manifest".to_owned()
        },
        source,
    })?;
    let target = &req.target;
    let mut file = std::fs::File::open(target).map_err(|e| {
        Error::io(
            format!("cannot open {} for reading", target.display()),
            target,
            e,
        )
    })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("cannot read {}", target.display()), target, e))?;
    let is_device = !meta.is_file();
    let len = file.seek(SeekFrom::End(0)).map_err(|e| {
        Error::io(
            format!("cannot find the size of {}", target.display()),
            target,
            e,
        )
    })?;
    let total = Some(manifest.image.size);
    progress.event(Event::StageStarted {
        stage: Stage::Verifying,
        total,
        unit: Unit::Bytes,
    });
    let report =
        saebaram_image::verify::verify(&mut file, len, is_device, &manifest, &mut |done, _| {
            progress.event(Event::Step {
                stage: Stage::Verifying,
                done,
                total,
                unit: Unit::Bytes,
            });
        })
        .map_err(|source| Error::Verify {
            context: format!("cannot read {}", target.display()),
            source,
        })?;
    progress.event(Event::StageFinished {
        stage: Stage::Verifying,
    });
    Ok(VerifyReport {
        target: target.display().to_string(),
        manifest: manifest_path.display().to_string(),
        ok: report.ok(),
        bytes_checked: report.bytes_checked,
        files: report.files,
        mismatches: report.mismatches,
        data_blake3: manifest.image.data_blake3,
    })
}

/// A batch of drives to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashRequest {
    /// The image (built by `pack`).
    pub image: PathBuf,
    /// Whole drives (or, with `to_files`, regular files); see [`offered`] for
    /// "every removable drive", which a face confirms with the person first.
    pub devices: Vec<PathBuf>,
    /// The image's manifest (default: beside the image).
    pub manifest: Option<PathBuf>,
    /// Accept a fake drive whose real part holds the image: use only that part.
    pub shrink: bool,
    /// Allow regular files as targets.
    pub to_files: bool,
    /// Probe each drive for fake capacity first (strongly recommended).
    pub probe: bool,
    /// Probe cache-flush size, bytes.
    pub cache_flush: u64,
    /// Where the system describes its drives.
    pub system: SystemRoots,
}

/// One drive of the report.
#[derive(Debug, Clone, Serialize)]
pub struct DriveRow {
    /// What happened to it.
    #[serde(flatten)]
    pub report: DriveReport,
    /// Write speed (image and wipe), bytes/s.
    pub write_bytes_per_sec: Option<f64>,
    /// How it was opened (direct I/O or buffered).
    pub open_mode: OpenMode,
    /// Read-back speed, bytes/s.
    pub verify_bytes_per_sec: Option<f64>,
}

/// A flash batch: the `flash --json` schema. Every drive named is in `drives`.
#[derive(Debug, Clone, Serialize)]
pub struct FlashReport {
    /// The image.
    pub image: String,
    /// End of its data region (zeros after).
    pub image_data_end: u64,
    /// BLAKE3 of the data region.
    pub image_data_blake3: String,
    /// Its size.
    pub image_bytes: u64,
    /// Each drive, in the order named.
    pub drives: Vec<DriveRow>,
    /// Drives written and verified.
    pub passed: usize,
    /// Drives rejected as fake.
    pub rejected_fake: usize,
    /// Drives that failed.
    pub failed: usize,
    /// BLAKE3 of the manifest file (what the records keep).
    #[serde(skip)]
    pub manifest_blake3: String,
}

impl FlashReport {
    /// Every drive passed.
    pub fn all_passed(&self) -> bool {
        self.passed == self.drives.len()
    }

    /// Drives that received image bytes.
    pub fn written(&self) -> usize {
        self.drives
            .iter()
            .filter(|d| d.report.image_bytes > 0)
            .count()
    }
}

fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// The manifest, its bytes (for the records) and what the engine checks drives against.
fn read_manifest(path: &Path) -> Result<(ImageManifest, Vec<u8>, ImageSpec), Error> {
    let manifest = ImageManifest::read(path).map_err(Error::BadImageManifest)?;
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(format!("{}", path.display()), path, e))?;
    let bad = |what: &str| Error::ImageChanged {
        message: format!("{}: {what}", path.display()),
    };
    let data_blake3 = parse_hex32(&manifest.image.data_blake3)
        .ok_or_else(|| bad("image.data_blake3 is not 64 hex digits"))?;
    let partition_end = manifest
        .partition
        .start_bytes
        .checked_add(manifest.partition.size_bytes);
    let spec = ImageSpec {
        size: manifest.image.size,
        data_end: manifest.image.data_end,
        data_blake3,
        partition_end,
    };
    if partition_end.is_some_and(|end| end > spec.size) {
        return Err(bad("the partition ends beyond the image"));
    }
    Ok((manifest, bytes, spec))
}

/// Opens the image and checks its size against the manifest.
fn open_image(
    image: &Path,
    manifest_path: &Path,
    spec: &ImageSpec,
) -> Result<std::fs::File, Error> {
    let file = std::fs::File::open(image).map_err(|e| {
        Error::io(
            format!("{}: cannot open the image", image.display()),
            image,
            e,
        )
    })?;
    let actual = file
        .metadata()
        .map_err(|e| Error::io(format!("{}", image.display()), image, e))?
        .len();
    if actual != spec.size {
        return Err(Error::ImageChanged {
            message: format!(
                "{}: the image is {} bytes but its manifest {} says {}: the image changed since its manifest; nothing written",
                image.display(),
                actual,
                manifest_path.display(),
                spec.size
            ),
        });
    }
    Ok(file)
}

struct Opened {
    path: PathBuf,
    serial: Option<String>,
    device: FileDevice,
}

/// Checks and opens every target; any problem stops everything before a byte is written.
fn open_targets(req: &FlashRequest, image_size: u64) -> Result<Vec<Opened>, Error> {
    if req.devices.is_empty() {
        return Err(Error::invalid(
            "devices",
            "name at least one drive to write (or use --all-removable)",
        ));
    }
    let view = req.system.scan();
    let mut seen = BTreeSet::new();
    let mut opened = Vec::new();
    for path in &req.devices {
        let meta = std::fs::metadata(path).map_err(|e| {
            Error::io(
                format!("{}: no such device or file", path.display()),
                path,
                e,
            )
        })?;
        let is_file = meta.file_type().is_file();
        if is_file && !req.to_files {
            return Err(Error::invalid(
                "devices",
                format!(
                    "{}: a regular file, not a drive; pass --to-files to write regular files",
                    path.display()
                ),
            ));
        }
        let identity = if is_file {
            (meta.dev(), meta.ino())
        } else {
            (u64::MAX, meta.rdev())
        };
        if !seen.insert(identity) {
            return Err(Error::invalid(
                "devices",
                format!("{}: named twice", path.display()),
            ));
        }
        // A drive must be judged by the system's list; a file is checked when the list
        // can be read (it may live on a mounted drive that must not be overwritten).
        let serial = if is_file {
            if let Ok(view) = &view {
                view.check_target(path)?;
            }
            None
        } else {
            let view = view
                .as_ref()
                .map_err(|e| Error::invalid("devices", e.to_string()))?;
            match view.check_target(path)? {
                TargetKind::Drive(d) => d.serial.clone(),
                TargetKind::File => None,
            }
        };
        let device = FileDevice::open(path)?;
        if device.len() < image_size {
            return Err(Error::DriveTooSmall {
                path: path.clone(),
                bytes: device.len(),
                need: image_size,
            });
        }
        opened.push(Opened {
            path: path.clone(),
            serial,
            device,
        });
    }
    Ok(opened)
}

/// Seconds on the face's monotonic clock when a drive's write and read-back began and last
/// advanced, for speeds.
#[derive(Debug, Default, Clone, Copy)]
struct Timing {
    write: Option<(f64, f64)>,
    verify: Option<(f64, f64)>,
}

fn speed(bytes: u64, span: Option<(f64, f64)>) -> Option<f64> {
    let (start, end) = span?;
    let secs = end - start;
    (secs > 0.0 && bytes > 0).then(|| (bytes as f64 / secs).round())
}

fn state_of(phase: Phase) -> Option<DriveState> {
    Some(match phase {
        Phase::Probing => DriveState::Probing,
        Phase::Writing => DriveState::Writing,
        Phase::Wiping => DriveState::Wiping,
        Phase::Syncing => DriveState::Syncing,
        Phase::Verifying => DriveState::Verifying,
        // The outcome is known from the report, sent after the batch.
        Phase::Finished => return None,
    })
}

fn final_state(r: &DriveReport) -> DriveState {
    match r.outcome {
        Outcome::Passed => DriveState::Passed,
        Outcome::RejectedFake => DriveState::RejectedFake {
            real_bytes: r.real_bytes,
        },
        Outcome::Failed => DriveState::Failed {
            error: r.error.clone().unwrap_or_default(),
        },
    }
}

/// Writes every drive at once with the engine, turning its progress into drive events
/// and timing each drive's write and read-back.
fn write_drives(
    image: &std::fs::File,
    spec: &ImageSpec,
    opened: &mut [Opened],
    opts: &FlashOptions,
    env: &Env,
    progress: &dyn Progress,
) -> Result<Vec<(DriveReport, Timing)>, Error> {
    let labels: Vec<String> = opened
        .iter()
        .map(|o| o.path.display().to_string())
        .collect();
    let timings = Mutex::new(vec![Timing::default(); opened.len()]);
    let on_progress = |p: engine::Progress| {
        let now = env.monotonic_s();
        if let Ok(mut t) = timings.lock()
            && let Some(t) = t.get_mut(p.drive)
        {
            let span = match p.phase {
                Phase::Writing | Phase::Wiping => Some(&mut t.write),
                Phase::Verifying => Some(&mut t.verify),
                _ => None,
            };
            if let Some(span) = span {
                *span = Some((span.map_or(now, |(start, _)| start), now));
            }
        }
        if let Some(state) = state_of(p.phase) {
            progress.event(Event::Drive {
                drive: p.drive,
                label: labels.get(p.drive).cloned().unwrap_or_default(),
                state,
                done: p.done,
                total: p.total,
            });
        }
    };
    let targets: Vec<Target<'_>> = opened
        .iter_mut()
        .map(|o| Target {
            label: o.path.display().to_string(),
            serial: o.serial.clone(),
            device: &mut o.device as &mut dyn Device,
        })
        .collect();
    progress.event(Event::StageStarted {
        stage: Stage::Flashing,
        total: Some(labels.len() as u64),
        unit: Unit::Drives,
    });
    let reports = engine::flash_all(image, spec, targets, opts, &on_progress);
    for (i, r) in reports.iter().enumerate() {
        progress.event(Event::Drive {
            drive: i,
            label: r.label.clone(),
            state: final_state(r),
            done: 0,
            total: 0,
        });
    }
    progress.event(Event::StageFinished {
        stage: Stage::Flashing,
    });
    collect_results(&labels, reports, timings)
}

/// The drives' reports with their timings; a timing lock poisoned by a panicking drive
/// thread is an error naming every outcome, not an empty list.
fn collect_results(
    labels: &[String],
    reports: Vec<DriveReport>,
    timings: Mutex<Vec<Timing>>,
) -> Result<Vec<(DriveReport, Timing)>, Error> {
    match timings.into_inner() {
        Ok(timings) => pair_results(labels, reports, timings),
        Err(_) => Err(Error::ReportIncomplete {
            message: format!(
                "a drive thread panicked while timing a drive; outcomes: {}",
                outcomes(&reports)
            ),
        }),
    }
}

/// Every drive's outcome as `label: outcome`, for an error that must not lose them.
fn outcomes(reports: &[DriveReport]) -> String {
    let list: Vec<String> = reports
        .iter()
        .map(|r| {
            let outcome = serde_json::to_value(r.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{}: {outcome}", r.label)
        })
        .collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// Pairs each drive with its report and timing, in the order the drives were named;
/// a missing, extra or misplaced result is an error naming what is known.
fn pair_results(
    labels: &[String],
    reports: Vec<DriveReport>,
    timings: Vec<Timing>,
) -> Result<Vec<(DriveReport, Timing)>, Error> {
    let in_order = reports.len() == labels.len()
        && timings.len() == labels.len()
        && reports.iter().zip(labels).all(|(r, l)| &r.label == l);
    if !in_order {
        return Err(Error::ReportIncomplete {
            message: format!(
                "{} drive(s) named ({}), {} result(s) and {} timing(s); outcomes: {}",
                labels.len(),
                labels.join(", "),
                reports.len(),
                timings.len(),
                outcomes(&reports)
            ),
        });
    }
    Ok(reports.into_iter().zip(timings).collect())
}

/// Writes the image to every drive at once, wipes the rest, verifies every byte. All
/// targets are checked (and the image hashed) before anything is written; one slow or
/// failing drive never holds the others back, and every drive named is in the report.
/// Cancellation is honoured until the first byte is written.
pub fn flash(req: FlashRequest, env: &Env, progress: &dyn Progress) -> Result<FlashReport, Error> {
    let manifest_path = req
        .manifest
        .clone()
        .unwrap_or_else(|| manifest_path_for(&req.image));
    let (manifest, manifest_bytes, spec) = read_manifest(&manifest_path)?;
    let image = open_image(&req.image, &manifest_path, &spec)?;
    let mut opened = open_targets(&req, spec.size)?;

    check(progress)?;
    // Only the data region is read: the manifest says the rest is zero, and zeros are what
    // the drives get there (and are checked to read back).
    progress.event(Event::StageStarted {
        stage: Stage::HashingImage,
        total: Some(spec.data_end),
        unit: Unit::Bytes,
    });
    let hashed = engine::hash_image(&image, spec.data_end).map_err(|e| {
        Error::io(
            format!("{}: cannot read the image", req.image.display()),
            &req.image,
            e,
        )
    })?;
    progress.event(Event::StageFinished {
        stage: Stage::HashingImage,
    });
    if hashed != spec.data_blake3 {
        return Err(Error::ImageChanged {
            message: format!(
                "{}: its BLAKE3 differs from the one in {}: the image changed since its manifest; nothing written",
                req.image.display(),
                manifest_path.display()
            ),
        });
    }

    let (salt, seed) = salt_and_seed(env)?;
    let opts = FlashOptions {
        probe: req.probe.then(|| ProbeOptions {
            cache_flush: req.cache_flush,
            ..ProbeOptions::new(salt, seed)
        }),
        shrink: req.shrink,
    };
    check(progress)?;
    let results = write_drives(&image, &spec, &mut opened, &opts, env, progress)?;

    let count = |o: Outcome| results.iter().filter(|(r, _)| r.outcome == o).count();
    let (passed, rejected_fake, failed) = (
        count(Outcome::Passed),
        count(Outcome::RejectedFake),
        count(Outcome::Failed),
    );
    let drives = results
        .into_iter()
        .zip(opened.iter().map(|o| o.device.mode()))
        .map(|((report, t), open_mode)| DriveRow {
            write_bytes_per_sec: speed(report.image_bytes + report.wiped_bytes, t.write),
            verify_bytes_per_sec: speed(report.verified_bytes, t.verify),
            open_mode,
            report,
        })
        .collect();
    Ok(FlashReport {
        image: req.image.display().to_string(),
        image_data_end: manifest.image.data_end,
        image_data_blake3: manifest.image.data_blake3,
        image_bytes: spec.size,
        drives,
        passed,
        rejected_fake,
        failed,
        manifest_blake3: engine::blake3_hex(&manifest_bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::{PackRequest, PackSize, pack};
    use crate::progress::Silent;

    fn drive_report(label: &str, outcome: Outcome) -> DriveReport {
        DriveReport {
            label: label.into(),
            serial: None,
            claimed_bytes: 0,
            real_bytes: None,
            probe: None,
            shrunk: false,
            image_bytes: 0,
            wiped_bytes: 0,
            verified_bytes: 0,
            read_back_blake3: None,
            outcome,
            error: None,
        }
    }

    #[test]
    fn fewer_results_than_drives_is_an_error_not_a_shorter_report_issue_15() {
        let labels = vec!["/dev/sdb".to_owned(), "/dev/sdc".to_owned()];
        let reports = vec![drive_report("/dev/sdb", Outcome::Passed)];
        let err = pair_results(&labels, reports, vec![Timing::default(); 2]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::ReportIncomplete);
        let message = err.to_string();
        assert!(message.contains("/dev/sdc"), "{message}");
        assert!(message.contains("/dev/sdb: passed"), "{message}");
        assert!(message.contains("불완전"), "{message}");

        let swapped = vec![
            drive_report("/dev/sdc", Outcome::Passed),
            drive_report("/dev/sdb", Outcome::Failed),
        ];
        let err = pair_results(&labels, swapped, vec![Timing::default(); 2]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::ReportIncomplete);

        let reports = vec![
            drive_report("/dev/sdb", Outcome::Passed),
            drive_report("/dev/sdc", Outcome::RejectedFake),
        ];
        let short_timings = pair_results(&labels, reports.clone(), vec![Timing::default()]);
        assert!(short_timings.is_err());
        let rows = pair_results(&labels, reports, vec![Timing::default(); 2]).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0.outcome, Outcome::RejectedFake);
    }

    #[test]
    fn poisoned_timing_lock_is_an_error_naming_every_outcome_issue_15() {
        let timings = Mutex::new(vec![Timing::default(); 2]);
        std::thread::scope(|scope| {
            let poisoner = scope.spawn(|| {
                let _guard = timings.lock();
                std::panic::resume_unwind(Box::new("a drive thread dies holding the lock"));
            });
            assert!(poisoner.join().is_err());
        });
        assert!(timings.is_poisoned());
        let labels = vec!["/dev/sdb".to_owned(), "/dev/sdc".to_owned()];
        let reports = vec![
            drive_report("/dev/sdb", Outcome::Passed),
            drive_report("/dev/sdc", Outcome::Failed),
        ];
        let err = collect_results(&labels, reports, timings).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::ReportIncomplete);
        let message = err.to_string();
        assert!(
            message.contains("/dev/sdb: passed") && message.contains("/dev/sdc: failed"),
            "{message}"
        );
    }

    fn image(dir: &Path) -> PathBuf {
        let lib = dir.join("library");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("a.txt"), "새바람\n").unwrap();
        let out = dir.join("drive.img");
        pack(
            PackRequest {
                library: lib,
                out: out.clone(),
                size: PackSize::Fit,
                seed: Some(1),
                label: None,
                timestamps: "fixed:2023-03-14T10:00".into(),
                layout: None,
                exclude: Vec::new(),
                forbid: None,
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        out
    }

    fn target(dir: &Path, name: &str, len: u64) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p).unwrap().set_len(len).unwrap();
        p
    }

    fn request(image: PathBuf, devices: Vec<PathBuf>) -> FlashRequest {
        FlashRequest {
            image,
            devices,
            manifest: None,
            shrink: false,
            to_files: true,
            probe: false,
            cache_flush: 2 << 20,
            system: SystemRoots::default(),
        }
    }

    #[test]
    fn two_files_are_written_verified_and_reported_with_their_states() {
        let dir = tempfile::tempdir().unwrap();
        let img = image(dir.path());
        let size = std::fs::metadata(&img).unwrap().len();
        let a = target(dir.path(), "a.bin", size);
        let b = target(dir.path(), "b.bin", size + (1 << 20));
        let states = Mutex::new(Vec::new());
        let sink = |e: Event| {
            if let Event::Drive { drive, state, .. } = e {
                states.lock().unwrap().push((drive, state));
            }
        };
        let r = flash(
            request(img.clone(), vec![a.clone(), b]),
            &Env::fixed(0, 0),
            &sink,
        )
        .unwrap();
        assert!(r.all_passed() && r.drives.len() == 2 && r.written() == 2);
        assert_eq!(r.drives[1].report.wiped_bytes, 1 << 20);
        let states = states.into_inner().unwrap();
        for d in 0..2 {
            let mine: Vec<&DriveState> = states
                .iter()
                .filter(|(i, _)| *i == d)
                .map(|(_, s)| s)
                .collect();
            assert!(mine.contains(&&DriveState::Writing), "{mine:?}");
            assert!(mine.contains(&&DriveState::Verifying), "{mine:?}");
            assert_eq!(mine.last(), Some(&&DriveState::Passed));
        }
        let v = verify(
            VerifyRequest {
                // A file the image's size: a bigger file is "too large" (only drives may be).
                target: a,
                manifest: Some(manifest_path_for(&img)),
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert!(v.ok, "{:?}", v.mismatches);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["drives"][0]["outcome"], "passed");
        assert!(json["drives"][0].get("open_mode").is_some());
    }

    #[test]
    fn refusals_come_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let img = image(dir.path());
        let size = std::fs::metadata(&img).unwrap().len();
        let a = target(dir.path(), "a.bin", size);
        let small = target(dir.path(), "small.bin", size - 512);
        let env = Env::fixed(0, 0);
        let e = flash(request(img.clone(), vec![a.clone(), small]), &env, &Silent).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::DriveTooSmall);
        assert_eq!(
            std::fs::read(&a).unwrap(),
            vec![0u8; size as usize],
            "nothing written"
        );
        let e = flash(
            request(img.clone(), vec![a.clone(), a.clone()]),
            &env,
            &Silent,
        )
        .unwrap_err();
        assert!(e.to_string().ends_with("named twice"), "{e}");
        let mut no_files = request(img.clone(), vec![a]);
        no_files.to_files = false;
        assert_eq!(
            flash(no_files, &env, &Silent).unwrap_err().field(),
            Some("devices")
        );
        assert_eq!(
            flash(request(img, Vec::new()), &env, &Silent)
                .unwrap_err()
                .field(),
            Some("devices")
        );
    }

    #[test]
    fn an_image_changed_since_its_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let img = image(dir.path());
        let size = std::fs::metadata(&img).unwrap().len();
        let a = target(dir.path(), "a.bin", size);
        let mut bytes = std::fs::read(&img).unwrap();
        bytes[1 << 20] ^= 0xff;
        std::fs::write(&img, &bytes).unwrap();
        let e = flash(request(img, vec![a]), &Env::fixed(0, 0), &Silent).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ImageChanged);
    }

    #[test]
    fn sizes_read_as_drives_are_sold() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(15_500_000_000), "15.5 GB");
    }
}
