//! `convert`: a library of films, series, talks and music made playable where it lands
//! (Notel-class players, DVD players, PCs), with Korean subtitles burned in, then cleaned.
//!
//! The run works in a working folder beside the output (`.NAME.saebaram-convert` for
//! `--out NAME`, or `work`): `staged/` holds the converted files and hard links (or
//! copies) of every other file of the library under their relative paths, and
//! `convert-state.json` records each finished input by its BLAKE3 and the hash of the
//! settings. Then `saebaram-clean` cleans `staged/` into the output folder (incremental,
//! with its manifest): converted outputs must come out unchanged (a warning says otherwise),
//! other files are cleaned or blocked as `saebaram clean` would.
//!
//! An interrupted run (cancel, crash, power) continues where it stopped: finished inputs
//! are kept without being read again (their size, time and inode unchanged) or re-hashed;
//! an input or profile that changed is converted again. An input that cannot be converted
//! is a failed entry in the report (with the reason naming it); the others go on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;
use saebaram_clean::FileStatus;
/// What to do with subtitles (a field of [`ConvertRequest`]).
pub use saebaram_convert::SubtitleMode;
use saebaram_convert::state::{self, Entry, State};
use saebaram_convert::{Engine, Profile, SubtitleUse, names, subtitle};
use serde::{Deserialize, Serialize};

use crate::prepare::CleanSummary;
use crate::progress::{Event, Progress, Stage, Unit, Warning, check};
use crate::{Env, Error};

/// Extensions taken as video.
pub const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mkv", "webm", "avi", "mov", "wmv", "asf", "flv", "mpg", "mpeg", "vob", "ts",
    "m2ts", "mts", "3gp", "3g2", "ogv", "rm", "rmvb", "divx", "dat",
];
/// Extensions taken as audio.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "mp3", "wav", "flac", "ogg", "oga", "opus", "m4a", "aac", "wma", "ac3", "amr", "aiff", "aif",
    "mka",
];

/// Font folders searched when none is given (the faces pass them; the job reads no
/// environment).
pub const DEFAULT_FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// A library to convert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConvertRequest {
    /// Files or folders (walked recursively; symlinks are not followed).
    pub inputs: Vec<PathBuf>,
    /// Output folder (new, empty, or an earlier convert's output).
    pub out: PathBuf,
    /// A built-in profile (`notel`, `dvd`, `pc`, `audio`) or a TOML file.
    pub profile: String,
    /// Conversions at once.
    pub jobs: Option<usize>,
    /// ffmpeg threads per conversion (`None`: ffmpeg decides).
    pub threads: Option<u32>,
    /// Burn, put beside, or leave out subtitles.
    pub subtitles: SubtitleMode,
    /// Subtitle language (`ko`).
    pub subtitle_lang: String,
    /// ffmpeg to run (ffprobe is taken beside it); default: from PATH.
    pub ffmpeg: Option<PathBuf>,
    /// Folders searched for a Korean font.
    pub font_dirs: Vec<PathBuf>,
    /// Working folder (default: beside `out`).
    pub work: Option<PathBuf>,
    /// Write the catalog (`목록.html`, `목록.txt`) at the top of the output.
    pub catalog: bool,
    /// Name outputs `001-Title.avi` with only the ASCII letters of the title (players that
    /// show short names only); the catalog keeps the Korean titles.
    pub ascii_names: bool,
}

impl Default for ConvertRequest {
    fn default() -> Self {
        ConvertRequest {
            inputs: Vec::new(),
            out: PathBuf::new(),
            profile: saebaram_convert::profile::DEFAULT.into(),
            jobs: None,
            threads: None,
            subtitles: SubtitleMode::Burn,
            subtitle_lang: "ko".into(),
            ffmpeg: None,
            font_dirs: DEFAULT_FONT_DIRS.iter().map(PathBuf::from).collect(),
            work: None,
            catalog: true,
            ascii_names: false,
        }
    }
}

/// What happened to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvertStatus {
    /// Converted in this run.
    Converted,
    /// Converted by an earlier run with the same input and settings: kept.
    Kept,
    /// Not converted (see `error`).
    Failed,
    /// Not video or audio: handed to clean as it is.
    Passed,
    /// A subtitle file used for the video beside it.
    Subtitle,
}

/// One input's outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvertFile {
    /// The input, relative to its library folder.
    pub input: String,
    /// What happened.
    pub status: ConvertStatus,
    /// Outputs (relative to the output folder), in play order.
    pub outputs: Vec<String>,
    /// The profile used (`audio` for audio-only inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Duration of the input in seconds, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Bytes written (all parts).
    pub bytes: u64,
    /// Subtitles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitles: Option<serde_json::Value>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A stable code for the failure (`not_media`, `encode`, `subtitle`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The ffmpeg arguments of the encode (run in a private working folder; outputs named
    /// `out.EXT` or `part-NNN.EXT` there), for anyone who wants to check or repeat it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ffmpeg_args: Vec<String>,
}

/// Counts of a convert run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ConvertSummary {
    /// Inputs seen.
    pub files: usize,
    /// Converted now.
    pub converted: usize,
    /// Kept from an earlier run.
    pub kept: usize,
    /// Not converted.
    pub failed: usize,
    /// Other files handed to clean.
    pub passed: usize,
}

/// What a convert run did: the `convert --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct ConvertReport {
    /// Schema version.
    pub version: u32,
    /// The profile's name.
    pub profile: String,
    /// The hash of its settings.
    pub profile_hash: String,
    /// `ffmpeg -version`'s first line.
    pub engine: String,
    /// The output folder.
    pub out: String,
    /// The working folder.
    pub work: String,
    /// Counts.
    pub summary: ConvertSummary,
    /// Each input.
    pub files: Vec<ConvertFile>,
    /// The cleaning pass into the output folder.
    pub clean: CleanSummary,
    /// Files clean blocked (path, reason): not in the output.
    pub blocked: Vec<(String, String)>,
    /// Whether clean wrote its manifest (nothing blocked).
    pub manifest_written: bool,
    /// Warnings (English).
    #[serde(serialize_with = "crate::progress::warning_texts")]
    pub warnings: Vec<Warning>,
}

impl ConvertReport {
    /// Every input converted or kept, and nothing blocked.
    pub fn all_done(&self) -> bool {
        self.summary.failed == 0 && self.blocked.is_empty()
    }
}

fn cerr(context: impl Into<String>) -> impl FnOnce(saebaram_convert::Error) -> Error {
    let context = context.into();
    move |source| Error::Convert { context, source }
}

/// Resolves `--profile`: a built-in name, or a TOML file.
pub fn resolve_profile(profile: &str) -> Result<Profile, Error> {
    if saebaram_convert::profile::BUILTIN
        .iter()
        .any(|(n, _)| *n == profile)
    {
        return Profile::builtin(profile).map_err(cerr("built-in profile"));
    }
    let path = Path::new(profile);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::io(
                format!("cannot read the profile {}", path.display()),
                path,
                e,
            )
        })?;
        return Profile::parse(&path.display().to_string(), &text)
            .map_err(cerr(format!("profile {}", path.display())));
    }
    Err(Error::Convert {
        context: format!("--profile {profile}"),
        source: saebaram_convert::Error::UnknownProfile {
            name: profile.to_owned(),
        },
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Media,
    Other,
}

#[derive(Debug, Clone)]
struct Input {
    rel: String,
    abs: PathBuf,
    kind: Kind,
}

fn extension(p: &Path) -> String {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), Error> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot list {}", dir.display()), dir, e))?;
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let t = e
            .file_type()
            .map_err(|err| Error::io(format!("cannot read {}", p.display()), &p, err))?;
        if t.is_dir() {
            walk(&p, base, out)?;
        } else if t.is_file() {
            let rel = p
                .strip_prefix(base)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}

fn collect(inputs: &[PathBuf]) -> Result<Vec<Input>, Error> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::symlink_metadata(input)
            .map_err(|e| Error::io(format!("cannot open {}", input.display()), input, e))?;
        if meta.is_dir() {
            walk(input, input, &mut files)?;
        } else if meta.is_file() {
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((name, input.clone()));
        } else {
            return Err(Error::invalid(
                "inputs",
                format!("{}: not a file or folder", input.display()),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (rel, abs) in files {
        if !seen.insert(rel.clone()) {
            return Err(Error::invalid(
                "inputs",
                format!("two inputs would both be {rel} in the output"),
            ));
        }
        let abs = std::fs::canonicalize(&abs)
            .map_err(|e| Error::io(format!("cannot open {}", abs.display()), &abs, e))?;
        let ext = extension(&abs);
        let kind = if VIDEO_EXTENSIONS.contains(&ext.as_str())
            || AUDIO_EXTENSIONS.contains(&ext.as_str())
        {
            Kind::Media
        } else {
            Kind::Other
        };
        out.push(Input { rel, abs, kind });
    }
    Ok(out)
}

/// The default working folder for an output folder: `.NAME.saebaram-convert` beside it.
pub fn default_work(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join(format!(".{name}.saebaram-convert"))
}

fn overlaps(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Removes what a killed run left (working folders of ffmpeg) and files no longer expected.
fn prune(staged: &Path, keep: &BTreeSet<String>) -> Result<(), Error> {
    let mut all = Vec::new();
    walk(staged, staged, &mut all)?;
    for (rel, p) in all {
        let in_temp = rel.split('/').any(|c| c.starts_with(".saebaram-convert-"));
        if in_temp || !keep.contains(&rel) {
            std::fs::remove_file(&p)
                .map_err(|e| Error::io(format!("cannot remove {}", p.display()), &p, e))?;
        }
    }
    // Empty folders (and the temporary ones) go too.
    fn remove_empty(dir: &Path, root: bool) {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    let p = e.path();
                    if e.file_name()
                        .to_string_lossy()
                        .starts_with(".saebaram-convert-")
                    {
                        let _ = std::fs::remove_dir_all(&p);
                    } else {
                        remove_empty(&p, false);
                    }
                }
            }
        }
        if !root {
            let _ = std::fs::remove_dir(dir);
        }
    }
    remove_empty(staged, true);
    Ok(())
}

fn link_or_copy(from: &Path, to: &Path) -> Result<(), Error> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display()), parent, e))?;
    }
    if let (Ok(a), Ok(b)) = (std::fs::metadata(from), std::fs::metadata(to)) {
        let (fa, fb) = (state::fingerprint(&a), state::fingerprint(&b));
        if fa.2 == fb.2 && fa.0 == fb.0 {
            return Ok(()); // already this file (hard link)
        }
    }
    let _ = std::fs::remove_file(to);
    if std::fs::hard_link(from, to).is_err() {
        let tmp = to.with_file_name(format!(
            ".saebaram-convert-copy-{}",
            to.file_name().unwrap_or_default().to_string_lossy()
        ));
        std::fs::copy(from, &tmp)
            .and_then(|_| std::fs::rename(&tmp, to))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::io(format!("cannot copy {}", from.display()), from, e)
            })?;
    }
    Ok(())
}

/// A file that failed: why, and its entry so far.
type Failure = Box<(saebaram_convert::Error, ConvertFile)>;

/// A probe's outcome.
type Probed = Result<saebaram_convert::MediaInfo, saebaram_convert::Error>;

struct Shared<'a> {
    engine: &'a Engine,
    profile: &'a Profile,
    audio: &'a Profile,
    req: &'a ConvertRequest,
    staged: &'a Path,
    work: &'a Path,
    font: Option<(PathBuf, &'static str)>,
    state: Mutex<State>,
    previous: State,
    /// Milliseconds of media done, per file.
    done_ms: Vec<AtomicU64>,
    total_ms: AtomicU64,
    progress: &'a dyn Progress,
    siblings: BTreeMap<PathBuf, Vec<String>>,
    stems: BTreeMap<String, String>,
    /// The first media input's probe, made while ffmpeg was checked.
    first_probe: Mutex<Option<(String, Probed)>>,
}

impl Shared<'_> {
    fn overall(&self) {
        let done: u64 = self.done_ms.iter().map(|a| a.load(Ordering::Relaxed)).sum();
        self.progress.event(Event::Step {
            stage: Stage::Converting,
            done: done / 1000,
            total: Some(self.total_ms.load(Ordering::Relaxed) / 1000),
            unit: Unit::Seconds,
        });
    }

    fn sidecar(&self, input: &Input) -> Option<PathBuf> {
        let dir = input.abs.parent()?;
        subtitle::find_beside(&input.abs, self.siblings.get(dir)?, &self.req.subtitle_lang)
    }

    /// Converts (or keeps) one media input.
    /// Probes and converts one input into the staging folder (the part that reads the
    /// input with ffmpeg, while `one` may hash it on another core).
    fn convert(
        &self,
        index: usize,
        input: &Input,
        previous: Option<&Entry>,
        sidecar: Option<&Path>,
        file: &mut ConvertFile,
    ) -> Result<(saebaram_convert::Converted, saebaram_convert::MediaInfo), saebaram_convert::Error>
    {
        let early = {
            let mut first = self.first_probe.lock().unwrap_or_else(|e| e.into_inner());
            if first.as_ref().is_some_and(|(rel, _)| *rel == input.rel) {
                first.take().map(|(_, info)| info)
            } else {
                None
            }
        };
        let info = match early {
            Some(info) => info?,
            None => self.engine.probe(&input.abs, &input.rel)?,
        };
        let profile = if info.video.is_some() && self.profile.video.is_some() {
            self.profile
        } else {
            self.audio
        };
        file.profile = Some(profile.name.clone());
        file.duration_s = info.duration_s;
        let total_ms = (info.duration_s.unwrap_or(0.0) * 1000.0) as u64;
        self.total_ms.fetch_add(total_ms, Ordering::Relaxed);

        let rel_dir = Path::new(&input.rel)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let dest = self.staged.join(&rel_dir);
        std::fs::create_dir_all(&dest).map_err(|e| saebaram_convert::Error::Io {
            context: "cannot create".into(),
            path: dest.clone(),
            source: e,
        })?;
        // The outputs of an earlier conversion of this input go first (parts may differ).
        if let Some(p) = previous {
            for (rel, _) in &p.outputs {
                let _ = std::fs::remove_file(self.staged.join(rel));
            }
        }
        let stem = self
            .stems
            .get(&input.rel)
            .cloned()
            .unwrap_or_else(|| "_".into());
        let font = self.font.as_ref().map(|(p, f)| (p.as_path(), *f));
        let request = saebaram_convert::Request {
            engine: self.engine,
            profile,
            input: &input.abs,
            name: &input.rel,
            info: &info,
            subtitles: self.req.subtitles,
            subtitle_lang: &self.req.subtitle_lang,
            sidecar,
            font,
            dest_dir: &dest,
            stem: &stem,
            threads: self.req.threads,
        };
        let duration = info.duration_s;
        let mut on_progress = |p: saebaram_convert::EncodeProgress| {
            let ms = (p.out_time_s * 1000.0) as u64;
            self.done_ms[index].store(ms.min(total_ms.max(ms)), Ordering::Relaxed);
            let eta_s = match duration {
                Some(d) if p.speed > 0.0 => Some(((d - p.out_time_s) / p.speed).max(0.0)),
                _ => None,
            };
            self.progress.event(Event::Encoding {
                index,
                name: input.rel.clone(),
                frame: p.frame,
                out_time_s: p.out_time_s,
                duration_s: duration,
                speed: p.speed,
                eta_s,
                finished: false,
            });
            self.overall();
        };
        let cancelled = || self.progress.cancelled();
        let converted = saebaram_convert::convert_file(&request, &mut on_progress, &cancelled)?;
        self.done_ms[index].store(total_ms, Ordering::Relaxed);
        self.progress.event(Event::Encoding {
            index,
            name: input.rel.clone(),
            frame: 0,
            out_time_s: duration.unwrap_or(0.0),
            duration_s: duration,
            speed: 0.0,
            eta_s: Some(0.0),
            finished: true,
        });
        self.overall();

        Ok((converted, info))
    }

    fn one(&self, index: usize, input: &Input) -> Result<ConvertFile, Failure> {
        let mut file = ConvertFile {
            input: input.rel.clone(),
            status: ConvertStatus::Failed,
            outputs: Vec::new(),
            profile: None,
            duration_s: None,
            bytes: 0,
            subtitles: None,
            error: None,
            error_code: None,
            ffmpeg_args: Vec::new(),
        };
        let fail = |e: saebaram_convert::Error, file: &ConvertFile| Box::new((e, file.clone()));
        let meta = std::fs::metadata(&input.abs).map_err(|e| {
            fail(
                saebaram_convert::Error::Io {
                    context: "cannot read".into(),
                    path: input.abs.clone(),
                    source: e,
                },
                &file,
            )
        })?;
        let fp = state::fingerprint(&meta);
        let previous = self.previous.files.get(&input.rel);
        // The input's BLAKE3 is what a later run keys it by. Known (unchanged since it was
        // hashed) or needed now (to decide whether the earlier output is still good), it is
        // read first; for an input never converted it is read on another core while
        // ffmpeg converts it, so the orchestration adds no read of the film to the wall time.
        let known_hash = match previous {
            Some(p) if p.fingerprint == fp => Some(p.input_blake3.clone()),
            Some(_) => Some(state::hash_file(&input.abs).map_err(|e| fail(e, &file))?),
            None => None,
        };
        let sidecar = if self.req.subtitles == SubtitleMode::None {
            None
        } else {
            self.sidecar(input)
        };
        let sidecar_hash = match &sidecar {
            Some(s) => state::hash_file(s).map_err(|e| fail(e, &file))?,
            None => String::new(),
        };
        let settings = blake3::hash(
            serde_json::json!({
                "profile": self.profile.hash(),
                "audio": self.audio.hash(),
                "subtitles": self.req.subtitles,
                "lang": self.req.subtitle_lang,
                "sidecar": sidecar_hash,
                "font": self.font.as_ref().map(|f| f.1),
                "threads": self.req.threads,
                "ascii_names": self.req.ascii_names,
                "convert": env!("CARGO_PKG_VERSION"),
            })
            .to_string()
            .as_bytes(),
        )
        .to_hex()
        .to_string();
        if let Some(p) = previous
            && known_hash.as_ref() == Some(&p.input_blake3)
            && p.settings == settings
            && p.outputs.iter().all(|(rel, hash)| {
                state::hash_file(&self.staged.join(rel)).is_ok_and(|h| h == *hash)
            })
            && let Ok(mut kept) = serde_json::from_value::<ConvertFile>(p.report.clone())
        {
            kept.status = ConvertStatus::Kept;
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let mut entry = p.clone();
            entry.fingerprint = fp;
            st.files.insert(input.rel.clone(), entry);
            let ms = (kept.duration_s.unwrap_or(0.0) * 1000.0) as u64;
            self.total_ms.fetch_add(ms, Ordering::Relaxed);
            self.done_ms[index].store(ms, Ordering::Relaxed);
            return Ok(kept);
        }

        let stop_hashing = AtomicBool::new(false);
        let (converted, info, input_hash) = std::thread::scope(|scope| {
            let hasher = known_hash
                .is_none()
                .then(|| scope.spawn(|| state::hash_file_until(&input.abs, &stop_hashing)));
            let converted = self.convert(index, input, previous, sidecar.as_deref(), &mut file);
            if converted.is_err() {
                stop_hashing.store(true, Ordering::Relaxed);
            }
            let hashed = hasher.map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(saebaram_convert::Error::Io {
                        context: "cannot read".into(),
                        path: input.abs.clone(),
                        source: std::io::Error::other("hashing panicked"),
                    })
                })
            });
            let (converted, info) = converted?;
            let input_hash = match (known_hash, hashed) {
                (Some(h), _) => h,
                (None, Some(Ok(Some(h)))) => h,
                (None, Some(Err(e))) => return Err(e),
                // Stopped only when the conversion failed, which returned above.
                (None, _) => return Err(saebaram_convert::Error::Cancelled),
            };
            Ok((converted, info, input_hash))
        })
        .map_err(|e| fail(e, &file))?;
        // ffmpeg and the hash must have read the same bytes: a file written to while it was
        // converted is refused, never recorded as done.
        let after = std::fs::metadata(&input.abs)
            .map(|m| state::fingerprint(&m))
            .ok();
        if after != Some(fp) {
            for o in &converted.outputs {
                let _ = std::fs::remove_file(o);
            }
            return Err(fail(
                saebaram_convert::Error::Io {
                    context: "changed while it was converted; convert it again when it is complete"
                        .into(),
                    path: input.abs.clone(),
                    source: std::io::Error::other("size, time or inode changed"),
                },
                &file,
            ));
        }
        let mut outputs = Vec::new();
        for o in &converted.outputs {
            let rel = o
                .strip_prefix(self.staged)
                .unwrap_or(o)
                .to_string_lossy()
                .replace('\\', "/");
            let hash = state::hash_file(o).map_err(|e| fail(e, &file))?;
            file.bytes += std::fs::metadata(o).map(|m| m.len()).unwrap_or(0);
            outputs.push((rel, hash));
        }
        file.status = ConvertStatus::Converted;
        file.outputs = outputs.iter().map(|o| o.0.clone()).collect();
        file.subtitles = serde_json::to_value(&converted.subtitles).ok();
        file.ffmpeg_args = converted.args.clone();
        if converted.subtitles == SubtitleUse::Missing
            && !info
                .main_audio()
                .and_then(|a| a.language.as_deref())
                .is_some_and(saebaram_convert::probe::is_korean)
        {
            self.progress.event(Event::Warning {
                warning: Warning::NoKoreanSubtitles {
                    file: input.rel.clone(),
                },
            });
        }
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.files.insert(
            input.rel.clone(),
            Entry {
                input_blake3: input_hash,
                fingerprint: fp,
                settings,
                outputs,
                report: serde_json::to_value(&file).unwrap_or_default(),
            },
        );
        st.write(self.work).map_err(|e| fail(e, &file))?;
        Ok(file)
    }
}

/// In the working folder while clean fills an output folder that has no clean state yet.
const CLEANING_MARKER: &str = "cleaning-new-output";

/// Removes from `out` what an interrupted first clean of `staged` wrote: clean's partial
/// files and files whose path is also under `staged` (whole: clean renames only finished
/// files), then empty folders. Anything else stays, and the caller refuses the folder.
fn recover_interrupted_clean(out: &Path, staged: &Path) -> Result<(), Error> {
    fn visit(dir: &Path, out: &Path, staged: &Path) -> Result<(), Error> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), dir, e))?;
        for e in entries.flatten() {
            let path = e.path();
            let kind = e
                .file_type()
                .map_err(|err| Error::io(format!("cannot read {}", path.display()), &path, err))?;
            let rel = path.strip_prefix(out).unwrap_or(&path);
            if kind.is_dir() {
                visit(&path, out, staged)?;
                let _ = std::fs::remove_dir(&path);
            } else if kind.is_file()
                && (e
                    .file_name()
                    .to_string_lossy()
                    .starts_with(saebaram_clean::PARTIAL_PREFIX)
                    || staged.join(rel).is_file())
            {
                std::fs::remove_file(&path).map_err(|err| {
                    Error::io(format!("cannot remove {}", path.display()), &path, err)
                })?;
            }
        }
        Ok(())
    }
    if out.is_dir() {
        visit(out, out, staged)?;
    }
    Ok(())
}

/// Converts a library (see the module doc).
pub fn run(
    req: ConvertRequest,
    _env: &Env,
    progress: &dyn Progress,
) -> Result<ConvertReport, Error> {
    if req.inputs.is_empty() {
        return Err(Error::invalid(
            "inputs",
            "give at least one file or folder to convert",
        ));
    }
    if req.jobs == Some(0) {
        return Err(Error::invalid("jobs", "--jobs must be at least 1"));
    }
    if req.threads == Some(0) {
        return Err(Error::invalid("threads", "--threads must be at least 1"));
    }
    let profile = resolve_profile(&req.profile)?;
    let audio = Profile::builtin("audio").map_err(cerr("built-in profile audio"))?;
    let engine = Engine::new(req.ffmpeg.clone());
    // The engine check (two program starts) runs while the inputs are listed and the first
    // media file is probed: a one-film run pays for one of them, not both. Its verdict still
    // comes first, and nothing is written before it.
    let (info, inputs, first_probe) = std::thread::scope(|scope| {
        let checking = scope.spawn(|| engine.info());
        let inputs = collect(&req.inputs);
        let first_probe = inputs.as_ref().ok().and_then(|all| {
            let first = all.iter().find(|i| i.kind == Kind::Media)?;
            Some((first.rel.clone(), engine.probe(&first.abs, &first.rel)))
        });
        let info = checking.join().unwrap_or_else(|_| {
            Err(saebaram_convert::Error::EngineMissing {
                program: "ffmpeg".into(),
                source: std::io::Error::other("the check panicked"),
            })
        });
        (info, inputs, first_probe)
    });
    let info = info.map_err(cerr("checking ffmpeg"))?;
    saebaram_convert::check_engine(&info, &[&profile, &audio]).map_err(cerr("checking ffmpeg"))?;
    check(progress)?;
    let inputs = inputs?;
    let work = req.work.clone().unwrap_or_else(|| default_work(&req.out));
    // clean's state, or its journal (a clean killed before writing its state: clean takes
    // its finished files back itself).
    let has_state = || {
        req.out
            .join(saebaram_clean::state::STATE_FILE_NAME)
            .exists()
            || req
                .out
                .join(saebaram_clean::state::JOURNAL_FILE_NAME)
                .exists()
    };
    // A run stopped while clean was filling a new folder (a second Ctrl-C, a kill, a power
    // cut) left whole files and clean's partial files there, but no clean state yet: take
    // back what it wrote before deciding the folder is someone else's.
    if !has_state() && work.join(CLEANING_MARKER).exists() {
        recover_interrupted_clean(&req.out, &work.join("staged"))?;
    }
    // clean writes only into an empty folder or its own earlier output: say so before
    // converting anything.
    if let Ok(mut entries) = std::fs::read_dir(&req.out)
        && entries.next().is_some()
        && !has_state()
    {
        return Err(Error::invalid(
            "out",
            format!(
                "{}: not empty and not the output of an earlier `saebaram convert` or `saebaram clean`: choose a new folder",
                req.out.display()
            ),
        ));
    }
    let staged = work.join("staged");
    std::fs::create_dir_all(&staged).map_err(|e| {
        Error::io(
            format!("cannot create the working folder {}", staged.display()),
            &staged,
            e,
        )
    })?;
    std::fs::create_dir_all(&req.out)
        .map_err(|e| Error::io(format!("cannot create {}", req.out.display()), &req.out, e))?;
    let work_abs = std::fs::canonicalize(&work)
        .map_err(|e| Error::io(format!("cannot open {}", work.display()), &work, e))?;
    let out_abs = std::fs::canonicalize(&req.out)
        .map_err(|e| Error::io(format!("cannot open {}", req.out.display()), &req.out, e))?;
    for i in &req.inputs {
        let abs = std::fs::canonicalize(i)
            .map_err(|e| Error::io(format!("cannot open {}", i.display()), i, e))?;
        if overlaps(&abs, &out_abs) || overlaps(&abs, &work_abs) {
            return Err(Error::invalid(
                "out",
                format!(
                    "{} overlaps the output {} or its working folder {}",
                    i.display(),
                    req.out.display(),
                    work.display()
                ),
            ));
        }
    }
    let previous = State::read(&work_abs).map_err(cerr("reading the convert state"))?;

    // Sidecar subtitles, siblings per folder, output names.
    let mut siblings: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for i in &inputs {
        if let (Some(dir), Some(name)) = (i.abs.parent(), i.abs.file_name()) {
            siblings
                .entry(dir.to_path_buf())
                .or_default()
                .push(name.to_string_lossy().into_owned());
        }
    }
    let mut used_subs = BTreeSet::new();
    let mut stems = BTreeMap::new();
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    let media: Vec<&Input> = inputs.iter().filter(|i| i.kind == Kind::Media).collect();
    for i in &media {
        // With `--subtitles none` the files beside videos are left out too.
        if let Some(dir) = i.abs.parent()
            && let Some(s) = subtitle::find_beside(&i.abs, &siblings[dir], &req.subtitle_lang)
        {
            used_subs.insert(s);
        }
        let p = Path::new(&i.rel);
        let dir = p
            .parent()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = names::fat_safe(&p.file_stem().unwrap_or_default().to_string_lossy());
        *taken
            .entry(format!("{dir}/{}", stem.to_lowercase()))
            .or_default() += 1;
        stems.insert(i.rel.clone(), (dir, stem));
    }
    let stems: BTreeMap<String, String> = stems
        .into_iter()
        .map(|(rel, (dir, stem))| {
            let clash = taken[&format!("{dir}/{}", stem.to_lowercase())] > 1;
            let name = Path::new(&rel)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (rel, if clash { names::fat_safe(&name) } else { stem })
        })
        .enumerate()
        .map(|(i, (rel, stem))| {
            if req.ascii_names {
                (rel, names::ascii_name(i + 1, &stem))
            } else {
                (rel, stem)
            }
        })
        .collect();
    let needs_font = req.subtitles == SubtitleMode::Burn;
    let font = if needs_font {
        saebaram_convert::engine::find_korean_font(&req.font_dirs)
    } else {
        None
    };

    let shared = Shared {
        engine: &engine,
        profile: &profile,
        audio: &audio,
        req: &req,
        staged: &staged,
        work: &work_abs,
        font,
        state: Mutex::new(State {
            version: 1,
            files: BTreeMap::new(),
        }),
        previous,
        done_ms: media.iter().map(|_| AtomicU64::new(0)).collect(),
        total_ms: AtomicU64::new(0),
        progress,
        siblings,
        stems,
        first_probe: Mutex::new(first_probe),
    };
    // Keep what earlier runs finished in the state until this run decides.
    {
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        *st = shared.previous.clone();
        st.files
            .retain(|rel, _| media.iter().any(|m| m.rel == *rel));
    }
    progress.event(Event::StageStarted {
        stage: Stage::Converting,
        total: None,
        unit: Unit::Seconds,
    });
    let jobs = req.jobs.unwrap_or(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::invalid("jobs", format!("cannot start {jobs} workers: {e}")))?;
    let results: Vec<Result<ConvertFile, Failure>> = pool.install(|| {
        media
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                if progress.cancelled() {
                    return Err(Box::new((
                        saebaram_convert::Error::Cancelled,
                        ConvertFile {
                            input: input.rel.clone(),
                            status: ConvertStatus::Failed,
                            outputs: vec![],
                            profile: None,
                            duration_s: None,
                            bytes: 0,
                            subtitles: None,
                            error: None,
                            error_code: None,
                            ffmpeg_args: Vec::new(),
                        },
                    )));
                }
                shared.one(index, input)
            })
            .collect()
    });
    progress.event(Event::StageFinished {
        stage: Stage::Converting,
    });
    let mut state = shared.state.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut cancelled = false;
    for r in results {
        match r.map_err(|b| *b) {
            Ok(f) => files.push(f),
            Err((saebaram_convert::Error::Cancelled, _)) => cancelled = true,
            Err((e, mut f)) => {
                state.files.remove(&f.input);
                f.status = ConvertStatus::Failed;
                f.error = Some(e.to_string());
                f.error_code = Some(e.code().to_owned());
                let w = Warning::ConvertFailed {
                    file: f.input.clone(),
                    error: e.to_string(),
                    error_code: e.code().to_owned(),
                };
                progress.event(Event::Warning { warning: w.clone() });
                warnings.push(w);
                files.push(f);
            }
        }
    }
    state
        .write(&work_abs)
        .map_err(cerr("writing the convert state"))?;
    if cancelled || progress.cancelled() {
        return Err(Error::Cancelled);
    }

    // Everything else goes to clean as it is (subtitles used for a video stay out).
    let mut keep: BTreeSet<String> = BTreeSet::new();
    for (input, e) in &state.files {
        for (o, _) in &e.outputs {
            if !keep.insert(o.clone()) {
                return Err(Error::invalid(
                    "out",
                    format!(
                        "{input} and another input both made {o} (with --ascii-names, adding files renumbers the outputs): convert into a new folder"
                    ),
                ));
            }
        }
    }
    for i in inputs.iter().filter(|i| i.kind == Kind::Other) {
        if used_subs.contains(&i.abs) {
            files.push(ConvertFile {
                input: i.rel.clone(),
                status: ConvertStatus::Subtitle,
                outputs: vec![],
                profile: None,
                duration_s: None,
                bytes: 0,
                subtitles: None,
                error: None,
                error_code: None,
                ffmpeg_args: Vec::new(),
            });
            continue;
        }
        if keep.contains(&i.rel) {
            return Err(Error::invalid(
                "inputs",
                format!("{}: a converted output has the same name", i.rel),
            ));
        }
        link_or_copy(&i.abs, &staged.join(&i.rel))?;
        keep.insert(i.rel.clone());
        files.push(ConvertFile {
            input: i.rel.clone(),
            status: ConvertStatus::Passed,
            outputs: vec![i.rel.clone()],
            profile: None,
            duration_s: None,
            bytes: 0,
            subtitles: None,
            error: None,
            error_code: None,
            ffmpeg_args: Vec::new(),
        });
    }
    if req.catalog {
        let items: Vec<saebaram_convert::catalog::Item> = files
            .iter()
            .filter(|f| matches!(f.status, ConvertStatus::Converted | ConvertStatus::Kept))
            .map(|f| saebaram_convert::catalog::Item {
                files: f.outputs.clone(),
                title: Path::new(&f.input)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                duration_s: f.duration_s,
                bytes: f.bytes,
                profile: f.profile.clone().unwrap_or_default(),
                subtitles_burned: f.subtitles.as_ref().is_some_and(|s| s["kind"] == "burned"),
            })
            .collect();
        if !items.is_empty() {
            for (name, text) in [
                (
                    saebaram_convert::catalog::HTML_NAME,
                    saebaram_convert::catalog::html(&items),
                ),
                (
                    saebaram_convert::catalog::TEXT_NAME,
                    saebaram_convert::catalog::text(&items),
                ),
            ] {
                if !keep.insert(name.to_owned()) {
                    return Err(Error::invalid(
                        "catalog",
                        format!(
                            "an input is named {name}, like the catalog: rename it or use --no-catalog"
                        ),
                    ));
                }
                let path = staged.join(name);
                let tmp = staged.join(format!(".saebaram-convert-catalog-{name}"));
                std::fs::write(&tmp, text)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .map_err(|e| Error::io(format!("cannot write {}", path.display()), &path, e))?;
            }
        }
    }
    prune(&staged, &keep)?;
    check(progress)?;

    let clean_req = crate::prepare::CleanRequest {
        inputs: vec![staged.clone()],
        out: req.out.clone(),
        forbid: None,
        drop_icc: false,
        threads: req.jobs,
        exclude: Vec::new(),
    };
    // Until clean has written its state, the output folder holds only what this run's
    // clean wrote (it was new or empty): the marker says so to a later run.
    let marker = work.join(CLEANING_MARKER);
    if !has_state() {
        std::fs::write(&marker, b"")
            .map_err(|e| Error::io(format!("cannot write {}", marker.display()), &marker, e))?;
    }
    let cleaned = crate::prepare::clean(clean_req, _env, progress)?;
    if has_state() {
        let _ = std::fs::remove_file(&marker);
    }
    let converted_outputs: BTreeSet<&str> = files
        .iter()
        .filter(|f| matches!(f.status, ConvertStatus::Converted | ConvertStatus::Kept))
        .flat_map(|f| f.outputs.iter().map(String::as_str))
        .collect();
    let mut blocked = Vec::new();
    for c in &cleaned.files {
        match c.status {
            FileStatus::Blocked => blocked.push((
                c.path.clone(),
                c.reason.clone().unwrap_or_else(|| "blocked".into()),
            )),
            // clean keeps ffmpeg's bit-exact outputs byte for byte (the AVI index
            // reservations and the MP4 muxer's empty tag list included): any change is a
            // fingerprint that got through.
            FileStatus::Cleaned if converted_outputs.contains(c.path.as_str()) => {
                let w = Warning::CleanChangedOutput {
                    file: c.path.clone(),
                    removed: c.removed.clone(),
                };
                progress.event(Event::Warning { warning: w.clone() });
                warnings.push(w);
            }
            _ => {}
        }
    }
    // A converted output clean blocked is not in the output: its input failed.
    for f in files.iter_mut() {
        if let Some((_, reason)) = blocked.iter().find(|(p, _)| {
            // A subtitle put beside (`--subtitles soft`) that clean blocks is listed in
            // `blocked`; the film itself is fine.
            let subtitle = subtitle::EXTENSIONS.contains(&extension(Path::new(p)).as_str());
            f.outputs.contains(p) && f.status != ConvertStatus::Passed && !subtitle
        }) {
            f.status = ConvertStatus::Failed;
            f.error = Some(format!("clean blocked the output: {reason}"));
            f.error_code = Some("blocked".into());
        }
    }
    files.sort_by(|a, b| a.input.cmp(&b.input));
    let count = |s: ConvertStatus| files.iter().filter(|f| f.status == s).count();
    Ok(ConvertReport {
        version: 1,
        profile: profile.name.clone(),
        profile_hash: profile.hash(),
        engine: info.version,
        out: req.out.display().to_string(),
        work: work.display().to_string(),
        summary: ConvertSummary {
            files: files
                .iter()
                .filter(|f| f.status != ConvertStatus::Subtitle)
                .count(),
            converted: count(ConvertStatus::Converted),
            kept: count(ConvertStatus::Kept),
            failed: count(ConvertStatus::Failed),
            passed: count(ConvertStatus::Passed),
        },
        files,
        clean: cleaned.summary,
        blocked,
        manifest_written: cleaned.manifest_written,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_working_folder_sits_beside_the_output() {
        assert_eq!(
            default_work(Path::new("a/b/out")),
            Path::new("a/b/.out.saebaram-convert")
        );
        assert_eq!(
            default_work(Path::new("out")),
            Path::new("./.out.saebaram-convert")
        );
    }

    #[test]
    fn a_bad_profile_is_named() {
        let e = resolve_profile("vcd").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Convert);
        assert!(e.to_string().contains("vcd"));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.toml");
        std::fs::write(&p, "name = \"x\"\n").unwrap();
        let e = resolve_profile(p.to_str().unwrap()).unwrap_err();
        let chain = format!("{e}: {}", std::error::Error::source(&e).unwrap());
        assert!(chain.contains("mine.toml"), "{chain}");
    }

    #[test]
    fn media_is_told_from_other_files_and_names_never_clash() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(lib.join("sub")).unwrap();
        for f in ["a.mp4", "a.mkv", "sub/b.MP3", "sub/c.txt", "a.srt"] {
            std::fs::write(lib.join(f), "x").unwrap();
        }
        let got = collect(&[lib]).unwrap();
        let kinds: Vec<(&str, Kind)> = got.iter().map(|i| (i.rel.as_str(), i.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("a.mkv", Kind::Media),
                ("a.mp4", Kind::Media),
                ("a.srt", Kind::Other),
                ("sub/b.MP3", Kind::Media),
                ("sub/c.txt", Kind::Other)
            ]
        );
    }

    /// A face that asks to stop once the first file is under way.
    struct StopAfterFirstEncoding(std::sync::atomic::AtomicBool);

    impl Progress for StopAfterFirstEncoding {
        fn event(&self, e: Event) {
            if matches!(e, Event::Encoding { .. }) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        fn cancelled(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn cancelling_kills_ffmpeg_and_leaves_nothing_under_a_final_name() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        let made = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1280x720:rate=30:duration=20",
                "-c:v",
                "mpeg4",
            ])
            .arg(lib.join("long.mp4"))
            .status()
            .expect("this test needs ffmpeg (apt install ffmpeg)");
        assert!(made.success());
        let out = dir.path().join("out");
        let req = ConvertRequest {
            inputs: vec![lib],
            out: out.clone(),
            threads: Some(1),
            ..ConvertRequest::default()
        };
        let face = StopAfterFirstEncoding(std::sync::atomic::AtomicBool::new(false));
        let e = run(req, &Env::fixed(0, 0), &face).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Cancelled);
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            0,
            "nothing in the output"
        );
        let staged = dir.path().join(".out.saebaram-convert/staged");
        let mut left = Vec::new();
        walk(&staged, &staged, &mut left).unwrap();
        assert!(left.is_empty(), "{left:?}");
        let dirs: Vec<_> = std::fs::read_dir(&staged).unwrap().collect();
        assert!(dirs.is_empty(), "ffmpeg's working folder is removed");
    }
}
