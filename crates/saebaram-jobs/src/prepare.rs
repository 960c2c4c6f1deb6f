//! Preparing drives' content: `clean` a library (metadata out, content bytes unchanged,
//! blocked files never written), then `pack` it into a fingerprint-free FAT32 image with its
//! manifest. A library without a clean manifest is cleaned first, into a temporary folder
//! beside the image. Thin over `saebaram-clean` and `saebaram-image`.

use std::path::{Path, PathBuf};

use saebaram_clean::manifest::{CleanManifest, MANIFEST_FILE_NAME, RESERVED_NAMES};
use saebaram_clean::{Config, Excluded, Exclusions, FileReport, FileStatus, ForbidList};
use saebaram_image::fat32;
use saebaram_image::layout::CleanList;
use saebaram_image::manifest::manifest_path_for;
use saebaram_image::policy::seed_from_number;
use saebaram_image::{ImageManifest, ImageSize, Layout, PackOptions, ScanOptions, TimestampPolicy};
use serde::{Deserialize, Serialize};

use crate::progress::{Event, Progress, Stage, Unit, Warning, check};
use crate::{Env, Error};

/// Reads and compiles a forbidden-strings list.
pub fn forbid_list(path: &Path) -> Result<ForbidList, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::io(
            format!("cannot read the forbidden-strings file {}", path.display()),
            path,
            e,
        )
    })?;
    ForbidList::parse(&text).map_err(|source| Error::Forbid {
        context: format!("{}: cannot use the forbidden-strings file", path.display()),
        source,
    })
}

/// The `exclude` pattern that leaves out exactly one reported path (for a face that offers
/// "leave this file out").
pub use saebaram_clean::exclude::literal as exclude_pattern_for;

/// The kinds of reason a file is blocked for (`reason_code` in the clean report).
pub use saebaram_clean::BlockKind;

/// A library to clean.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanRequest {
    /// Files or folders (walked recursively; symlinks are not followed).
    pub inputs: Vec<PathBuf>,
    /// Output folder: new, empty, or an earlier clean's output (then incremental).
    pub out: PathBuf,
    /// Strings that must not appear in any output.
    pub forbid: Option<PathBuf>,
    /// Drop ICC colour profiles too.
    pub drop_icc: bool,
    /// Worker threads (default: one per CPU).
    pub threads: Option<usize>,
    /// Files and folders to leave out (`clean --exclude`, patterns as
    /// `saebaram_clean::exclude` reads them).
    pub exclude: Vec<String>,
}

/// Counts of a clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CleanSummary {
    /// Files in the run.
    pub files: usize,
    /// Metadata removed.
    pub cleaned: usize,
    /// Nothing to remove.
    pub unchanged: usize,
    /// Not written.
    pub blocked: usize,
    /// Kept from the last run without being read.
    pub reused: usize,
    /// Outputs deleted (their input is gone, now blocked or now excluded).
    pub deleted: usize,
    /// Files and folders left out by `exclude`.
    pub excluded: usize,
    /// Red Star OS marks found.
    pub redstar_marks: usize,
    /// Outputs of a killed run taken back from its journal (counted in `reused` too).
    pub recovered: usize,
}

/// What a clean did: the `clean --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct CleanReport {
    /// Schema version.
    pub version: u32,
    /// The output folder.
    pub out: String,
    /// Counts.
    pub summary: CleanSummary,
    /// Whether `.saebaram-clean.json` was written (nothing blocked).
    pub manifest_written: bool,
    /// Each file: cleaned, unchanged or blocked, and why.
    pub files: Vec<FileReport>,
    /// Outputs deleted.
    pub deleted: Vec<String>,
    /// Files and folders left out, with the pattern that left each out.
    pub excluded: Vec<Excluded>,
    /// Files with Red Star OS marks.
    #[serde(skip)]
    pub files_marked: usize,
    /// The manifest's path.
    #[serde(skip)]
    pub manifest_path: PathBuf,
}

impl CleanReport {
    /// Every file clean (none blocked).
    pub fn all_clean(&self) -> bool {
        self.summary.blocked == 0
    }
}

/// Runs `clean_tree` with the job's progress: bytes as steps, files as items.
fn clean_tree(
    inputs: &[PathBuf],
    out: &Path,
    cfg: &Config,
    progress: &dyn Progress,
) -> Result<saebaram_clean::Report, saebaram_clean::Error> {
    progress.event(Event::StageStarted {
        stage: Stage::Cleaning,
        total: None,
        unit: Unit::Bytes,
    });
    let report = saebaram_clean::clean_tree(
        inputs,
        out,
        cfg,
        &|p: &saebaram_clean::Progress| {
            progress.event(Event::Step {
                stage: Stage::Cleaning,
                done: p.bytes_done,
                total: Some(p.bytes_total),
                unit: Unit::Bytes,
            });
            progress.event(Event::Item {
                stage: Stage::Cleaning,
                done: p.done as u64,
                total: p.total as u64,
                name: p.path.to_string(),
            });
        },
        &|| progress.cancelled(),
    )?;
    progress.event(Event::StageFinished {
        stage: Stage::Cleaning,
    });
    Ok(report)
}

/// A clean run's error; a stop the face asked for is [`Error::Cancelled`] like any job's.
fn clean_err(context: String) -> impl FnOnce(saebaram_clean::Error) -> Error {
    move |source| match source {
        saebaram_clean::Error::Cancelled => Error::Cancelled,
        source => Error::Clean { context, source },
    }
}

/// Cleans a library into a folder.
pub fn clean(req: CleanRequest, _env: &Env, progress: &dyn Progress) -> Result<CleanReport, Error> {
    let mut cfg = Config::default();
    if let Some(path) = &req.forbid {
        cfg.forbidden = forbid_list(path)?;
        if cfg.forbidden.is_empty() {
            return Err(Error::EmptyForbidList { path: path.clone() });
        }
    }
    cfg.keep_icc = !req.drop_icc;
    if req.threads == Some(0) {
        return Err(Error::invalid("threads", "--jobs must be at least 1"));
    }
    cfg.threads = req.threads;
    cfg.exclude =
        Exclusions::new(&req.exclude).map_err(|e| Error::invalid("exclude", e.to_string()))?;
    check(progress)?;
    let report = clean_tree(&req.inputs, &req.out, &cfg, progress)
        .map_err(clean_err(format!("cleaning into {}", req.out.display())))?;
    Ok(CleanReport {
        version: 1,
        out: req.out.display().to_string(),
        summary: CleanSummary {
            files: report.files.len(),
            cleaned: report.count(FileStatus::Cleaned),
            unchanged: report.count(FileStatus::Unchanged),
            blocked: report.count(FileStatus::Blocked),
            reused: report.reused(),
            deleted: report.deleted.len(),
            excluded: report.excluded.len(),
            redstar_marks: report.redstar_marks(),
            recovered: report.recovered,
        },
        manifest_written: report.manifest_written,
        files_marked: report.files.iter().filter(|f| f.redstar_marks > 0).count(),
        manifest_path: req.out.join(MANIFEST_FILE_NAME),
        files: report.files,
        deleted: report.deleted,
        excluded: report.excluded,
    })
}

/// The image's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackSize {
    /// Exactly this many bytes.
    Bytes(u64),
    /// Just big enough for the library (whole MiB, at least 35 MiB).
    Fit,
}

/// A library to pack into an image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackRequest {
    /// The library folder: a clean output, or raw content to clean first.
    pub library: PathBuf,
    /// The image file (replaced atomically).
    pub out: PathBuf,
    /// Its size.
    pub size: PackSize,
    /// Reproducible build: every random value from this number (else from the face's
    /// generator).
    pub seed: Option<u64>,
    /// Volume label (none by default).
    pub label: Option<String>,
    /// Timestamp policy: `fixed:YYYY-MM-DDTHH:MM` or `random:YYYY-MM-DD..YYYY-MM-DD`.
    pub timestamps: String,
    /// Layout file (TOML) choosing which files go where.
    pub layout: Option<PathBuf>,
    /// Files or folders left out, by name or relative path.
    pub exclude: Vec<String>,
    /// Forbidden strings for the cleaning pass of a raw library.
    pub forbid: Option<PathBuf>,
}

/// What was packed: the `pack --json` schema is the image manifest itself.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct PackReport {
    /// The manifest written beside the image.
    pub manifest: ImageManifest,
    /// Where it was written.
    #[serde(skip)]
    pub manifest_path: PathBuf,
    /// Bytes of content in the image.
    #[serde(skip)]
    pub content_bytes: u64,
    /// Whether the library was cleaned first.
    #[serde(skip)]
    pub cleaned_first: bool,
}

fn clean_list(manifest: &CleanManifest) -> CleanList {
    manifest
        .files
        .iter()
        .map(|f| (f.path.clone(), (f.size, f.blake3.clone())))
        .collect()
}

fn layout_of(root: &Path, req: &PackRequest, opts: &ScanOptions) -> Result<Layout, Error> {
    Ok(match &req.layout {
        Some(toml) => Layout::from_toml(root, toml, opts)?,
        None => Layout::scan(root, opts)?,
    })
}

fn scan_options(exclude: &[String], clean: Option<CleanList>) -> ScanOptions {
    ScanOptions {
        exclude: exclude.to_vec(),
        ignore: RESERVED_NAMES.iter().map(|n| (*n).to_owned()).collect(),
        clean,
    }
}

/// Excluded by name (any component) or by a path prefix, as the layout scan does.
fn excluded(exclude: &[String], path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    (1..=parts.len()).any(|k| {
        let prefix = parts[..k].join("/");
        exclude.iter().any(|e| *e == prefix || e == parts[k - 1])
    })
}

/// Packs a library into an image (cleaning it first when it has no clean manifest), then
/// writes the manifest beside it. Only clean content enters an image.
pub fn pack(req: PackRequest, env: &Env, progress: &dyn Progress) -> Result<PackReport, Error> {
    let timestamps = TimestampPolicy::parse(&req.timestamps)?;
    let (seed, randomness) = match req.seed {
        Some(n) => (seed_from_number(n), format!("seed:{n}")),
        None => {
            let mut seed = [0u8; 32];
            env.random(&mut seed)?;
            (seed, env.randomness())
        }
    };
    let opts = PackOptions {
        size: match req.size {
            PackSize::Bytes(n) => ImageSize::Bytes(n),
            PackSize::Fit => ImageSize::Fit,
        },
        label: req.label.clone(),
        timestamps,
        seed,
        randomness,
    };
    let meta = std::fs::symlink_metadata(&req.library).map_err(|e| {
        Error::io(
            format!("cannot open the library {}", req.library.display()),
            &req.library,
            e,
        )
    })?;
    if !meta.is_dir() {
        return Err(Error::invalid(
            "library",
            format!(
                "{}: the library must be a folder (not a file or a symbolic link)",
                req.library.display()
            ),
        ));
    }
    let out_dir = match req.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if req.out.is_dir() {
        return Err(Error::invalid(
            "out",
            format!(
                "--out {}: is a folder; give an image file name",
                req.out.display()
            ),
        ));
    }

    // Keep the temporary clean folder alive until the image is written.
    let mut _cleaned_dir = None;
    let cleaned_first = !req.library.join(MANIFEST_FILE_NAME).exists();
    let layout = if !cleaned_first {
        let manifest = CleanManifest::read(&req.library).map_err(|source| Error::Clean {
            context: format!("{}: bad clean manifest", req.library.display()),
            source,
        })?;
        layout_of(
            &req.library,
            &req,
            &scan_options(&req.exclude, Some(clean_list(&manifest))),
        )?
    } else {
        // A raw library: check names, sizes and fit first (fast), then clean.
        let scan = ScanOptions {
            exclude: req.exclude.clone(),
            ..Default::default()
        };
        let raw = layout_of(&req.library, &req, &scan)?;
        fat32::check_fit(&raw, &opts).map_err(Error::DoesNotFit)?;
        let mut cfg = Config::default();
        if let Some(path) = &req.forbid {
            cfg.forbidden = forbid_list(path)?;
        }
        let tmp = tempfile::Builder::new()
            .prefix(".saebaram-pack-clean-")
            .tempdir_in(&out_dir)
            .map_err(|e| {
                Error::io(
                    format!("cannot create a temporary folder in {}", out_dir.display()),
                    &out_dir,
                    e,
                )
            })?;
        let cleaned = tmp.path().join("library");
        progress.event(Event::Warning {
            warning: Warning::CleaningFirst {
                library: req.library.clone(),
            },
        });
        check(progress)?;
        let report = clean_tree(std::slice::from_ref(&req.library), &cleaned, &cfg, progress)
            .map_err(clean_err("the cleaning pass failed".into()))?;
        let blocked: Vec<(String, String)> = report
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Blocked && !excluded(&req.exclude, &f.path))
            .map(|f| {
                (
                    f.path.clone(),
                    f.reason.clone().unwrap_or_else(|| "blocked".into()),
                )
            })
            .collect();
        if !blocked.is_empty() {
            return Err(Error::Blocked { files: blocked });
        }
        let clean = if report.manifest_written {
            let manifest = CleanManifest::read(&cleaned).map_err(|source| Error::Clean {
                context: "reading the fresh clean manifest".into(),
                source,
            })?;
            Some(clean_list(&manifest))
        } else {
            // Only excluded files were blocked; the folder is ours and holds only cleaned
            // output.
            None
        };
        let layout = layout_of(&cleaned, &req, &scan_options(&req.exclude, clean))?;
        _cleaned_dir = Some(tmp);
        layout
    };

    check(progress)?;
    let total = layout.content_bytes();
    progress.event(Event::StageStarted {
        stage: Stage::Packing,
        total: Some(total),
        unit: Unit::Bytes,
    });
    let manifest = saebaram_image::pack(&layout, &req.out, &opts, &mut |done, _| {
        progress.event(Event::Step {
            stage: Stage::Packing,
            done,
            total: Some(total),
            unit: Unit::Bytes,
        });
    })
    .map_err(|source| Error::Pack {
        context: format!("cannot build {}", req.out.display()),
        source,
    })?;
    progress.event(Event::StageFinished {
        stage: Stage::Packing,
    });
    let manifest_path = manifest_path_for(&req.out);
    manifest
        .write(&manifest_path)
        .map_err(|source| Error::ImageManifest {
            context: "the image was written but its manifest was not".into(),
            source,
        })?;
    Ok(PackReport {
        manifest,
        manifest_path,
        content_bytes: total,
        cleaned_first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    fn library(dir: &Path) -> PathBuf {
        let lib = dir.join("library");
        std::fs::create_dir_all(lib.join("books")).unwrap();
        std::fs::write(lib.join("readme.txt"), "새바람\n").unwrap();
        std::fs::write(lib.join("books/a.txt"), "a book\n").unwrap();
        lib
    }

    fn pack_request(dir: &Path, library: PathBuf) -> PackRequest {
        PackRequest {
            library,
            out: dir.join("drive.img"),
            size: PackSize::Fit,
            seed: Some(7),
            label: None,
            timestamps: "fixed:2023-03-14T10:00".into(),
            layout: None,
            exclude: Vec::new(),
            forbid: None,
        }
    }

    #[test]
    fn clean_then_pack_gives_the_same_image_as_packing_raw() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library(dir.path());
        let items = std::sync::Mutex::new(Vec::new());
        let sink = |e: Event| {
            if let Event::Item { name, .. } = e {
                items.lock().unwrap().push(name);
            }
        };
        let cleaned = clean(
            CleanRequest {
                inputs: vec![lib.clone()],
                out: dir.path().join("clean"),
                ..CleanRequest::default()
            },
            &Env::fixed(0, 0),
            &sink,
        )
        .unwrap();
        assert!(cleaned.all_clean() && cleaned.manifest_written);
        assert_eq!(cleaned.summary.files, 2);
        let mut names = items.into_inner().unwrap();
        names.sort();
        names.dedup();
        assert_eq!(names, ["books/a.txt", "readme.txt"]);

        let a = pack(
            pack_request(dir.path(), dir.path().join("clean")),
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap();
        assert!(!a.cleaned_first);
        let mut raw = pack_request(dir.path(), lib);
        raw.out = dir.path().join("raw.img");
        let b = pack(raw, &Env::fixed(0, 0), &Silent).unwrap();
        assert!(b.cleaned_first);
        assert_eq!(a.manifest.image.data_blake3, b.manifest.image.data_blake3);
        assert!(a.manifest_path.exists());
        // The temporary clean folder is gone.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".saebaram-pack-clean-")
            })
            .collect();
        assert!(left.is_empty());
        let v = serde_json::to_value(&a).unwrap();
        assert!(v.get("image").is_some() && v.get("manifest_path").is_none());
    }

    #[test]
    fn a_stop_asked_by_the_face_stops_clean_inside_a_file_and_keeps_what_finished() {
        // The app's Stop and the CLI's Ctrl-C: `Progress::cancelled` turning true while a
        // large file is written.
        struct StopWhenWriting(std::sync::atomic::AtomicBool);
        impl Progress for StopWhenWriting {
            fn event(&self, e: Event) {
                // Only the 40 MB file gets past 1 MiB.
                if let Event::Step { done, .. } = e
                    && done > 1 << 20
                {
                    self.0.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            fn cancelled(&self) -> bool {
                self.0.load(std::sync::atomic::Ordering::Relaxed)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let lib = library(dir.path());
        let line = "평양 / Pyongyang\n";
        std::fs::write(lib.join("zz-big.txt"), line.repeat((40 << 20) / line.len())).unwrap();
        let req = || CleanRequest {
            inputs: vec![lib.clone()],
            out: dir.path().join("out"),
            forbid: None,
            drop_icc: false,
            threads: Some(1),
            exclude: Vec::new(),
        };
        let face = StopWhenWriting(std::sync::atomic::AtomicBool::new(false));
        let e = clean(req(), &Env::fixed(0, 0), &face).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Cancelled, "{e}");
        let out = dir.path().join("out");
        assert!(out.join("books/a.txt").exists() && out.join("readme.txt").exists());
        assert!(
            !out.join("zz-big.txt").exists(),
            "the file being written is abandoned"
        );
        assert!(!out.join(MANIFEST_FILE_NAME).exists());
        let again = clean(req(), &Env::fixed(0, 0), &Silent).unwrap();
        assert_eq!(again.summary.reused, 2);
        assert!(again.all_clean() && out.join(MANIFEST_FILE_NAME).exists());
    }

    #[test]
    fn a_blocked_file_stops_the_pack_unless_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library(dir.path());
        std::fs::write(lib.join("mystery.bin"), [0u8, 1, 2, 3, 0xff]).unwrap();
        let e = pack(
            pack_request(dir.path(), lib.clone()),
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Blocked);
        assert!(e.to_string().contains("mystery.bin"), "{e}");
        assert!(!dir.path().join("drive.img").exists());
        let mut req = pack_request(dir.path(), lib);
        req.exclude = vec!["mystery.bin".into()];
        assert!(pack(req, &Env::fixed(0, 0), &Silent).is_ok());
    }

    #[test]
    fn bad_requests_name_their_field_or_file() {
        let dir = tempfile::tempdir().unwrap();
        let lib = library(dir.path());
        let mut req = pack_request(dir.path(), lib.join("readme.txt"));
        assert_eq!(
            pack(req.clone(), &Env::fixed(0, 0), &Silent)
                .unwrap_err()
                .field(),
            Some("library")
        );
        req.library = lib.clone();
        req.out = dir.path().to_path_buf();
        assert_eq!(
            pack(req.clone(), &Env::fixed(0, 0), &Silent)
                .unwrap_err()
                .field(),
            Some("out")
        );
        req.out = dir.path().join("x.img");
        req.timestamps = "sometimes".into();
        assert_eq!(
            pack(req, &Env::fixed(0, 0), &Silent).unwrap_err().kind(),
            crate::ErrorKind::Timestamps
        );
        let empty = dir.path().join("empty-list");
        std::fs::write(&empty, "# nothing\n").unwrap();
        let e = clean(
            CleanRequest {
                inputs: vec![lib],
                out: dir.path().join("c"),
                forbid: Some(empty),
                ..CleanRequest::default()
            },
            &Env::fixed(0, 0),
            &Silent,
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::EmptyForbiddenStrings);
    }
}
