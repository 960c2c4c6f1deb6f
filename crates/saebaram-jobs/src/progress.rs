//! How a running job tells its face what it is doing, and how the face stops it.
//!
//! A job calls [`Progress::event`] with typed [`Event`]s (stages, steps with their unit,
//! warnings as values) from whatever thread does the work, and polls
//! [`Progress::cancelled`] between steps: a cancelled job returns
//! [`crate::Error::Cancelled`] having written nothing. The CLI turns events into progress
//! bars and `note:`/`warning:` lines, the app into server-sent events; both render a
//! [`Warning`] in their own language from its code and fields (`Display` is English).

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Receives a job's events; says whether the job should stop.
///
/// Events come from worker threads (a plan flies windows in parallel), hence `Sync`.
pub trait Progress: Sync {
    /// One thing happened.
    fn event(&self, event: Event);

    /// Whether the face wants the job to stop. Polled between steps (at least once per
    /// launch window, file or block); the job then returns [`crate::Error::Cancelled`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// Any `Fn(Event)` is a progress sink that never cancels (tests, simple faces).
impl<F: Fn(Event) + Sync> Progress for F {
    fn event(&self, event: Event) {
        self(event);
    }
}

/// Ignores every event and never cancels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn event(&self, _: Event) {}
}

/// Returns [`crate::Error::Cancelled`] if the face asked to stop.
pub(crate) fn check(progress: &dyn Progress) -> Result<(), crate::Error> {
    if progress.cancelled() {
        Err(crate::Error::Cancelled)
    } else {
        Ok(())
    }
}

/// What a job reports while it runs. Serialised with an `event` tag (`stage_started`,
/// `step`, `stage_finished`, `warning`) for faces that stream them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A stage begins; `total` steps of `unit` when known.
    StageStarted {
        /// Which stage.
        stage: Stage,
        /// Steps to do, when known.
        total: Option<u64>,
        /// What a step is.
        unit: Unit,
    },
    /// `done` of `total` steps of the stage are done (sent at least once per step).
    Step {
        /// Which stage.
        stage: Stage,
        /// Steps done so far.
        done: u64,
        /// Steps to do, when known.
        total: Option<u64>,
        /// What a step is.
        unit: Unit,
    },
    /// The stage is over.
    StageFinished {
        /// Which stage.
        stage: Stage,
    },
    /// A named item of a stage is done or under way (a file cleaned, a file packed).
    Item {
        /// Which stage.
        stage: Stage,
        /// Items done.
        done: u64,
        /// Items in all.
        total: u64,
        /// The item (a relative path).
        name: String,
    },
    /// A drive of a flash batch changed state or advanced (`done` of `total` bytes of the
    /// state's work).
    Drive {
        /// Index in the batch.
        drive: usize,
        /// Its path.
        label: String,
        /// What it is doing, or how it ended.
        state: DriveState,
        /// Bytes done in this state.
        done: u64,
        /// Bytes this state takes.
        total: u64,
    },
    /// A forecast step file is downloaded (or was staged by an earlier attempt).
    ForecastStep {
        /// Forecast hour.
        hour: u32,
        /// Bytes of the step file.
        bytes: u64,
        /// How it came: `filter`, `idx ranges`, `index ranges`, `staged`.
        via: String,
    },
    /// A download failed and will be retried.
    Retry {
        /// The URL.
        url: String,
        /// The attempt that failed.
        attempt: u32,
        /// Why.
        error: String,
    },
    /// A file of a convert run advanced (from ffmpeg's progress output).
    Encoding {
        /// Index of the file in the run.
        index: usize,
        /// The input (relative path).
        name: String,
        /// Frames written.
        frame: u64,
        /// Output seconds reached.
        out_time_s: f64,
        /// The input's duration, when known.
        duration_s: Option<f64>,
        /// Speed relative to real time.
        speed: f64,
        /// Seconds left for this file at this speed, when known.
        eta_s: Option<f64>,
        /// Finished (the last event of the file).
        finished: bool,
    },
    /// Something the user must know, as it happens (also kept in the report when it
    /// concerns the result).
    Warning {
        /// What.
        warning: Warning,
    },
}

/// The stages of the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Opening (decoding, mapping) the forecast.
    OpenForecast,
    /// The plan's launch-window pre-filter.
    Prefilter,
    /// Flying the plan's launch windows (one step per window).
    Flights,
    /// Flying one prediction.
    Prediction,
    /// Downloading a forecast run (one step per forecast step file).
    Fetching,
    /// Decoding GRIB2 files into a cube.
    Decoding,
    /// Cleaning a library (steps in bytes; items are files).
    Cleaning,
    /// Writing an image (steps in bytes of content).
    Packing,
    /// Probing one drive for fake capacity.
    Probing,
    /// Reading an image or a drive back against its manifest (steps in bytes).
    Verifying,
    /// Hashing the image before a flash (steps in bytes).
    HashingImage,
    /// Writing a batch of drives (per-drive progress in [`Event::Drive`]).
    Flashing,
    /// Converting video and audio (steps in seconds of media; per file in
    /// [`Event::Encoding`]).
    Converting,
    /// Reading the currents and wind files of a drift.
    OpenForcing,
    /// Drifting bottles, a window at a time (steps in windows).
    Drifting,
}

/// What one drive of a flash batch is doing, or how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DriveState {
    /// The fake-capacity probe.
    Probing,
    /// Writing the image.
    Writing,
    /// Writing zeros after the image.
    Wiping,
    /// fsync and cache drop.
    Syncing,
    /// Reading every byte back.
    Verifying,
    /// Written and every byte verified.
    Passed,
    /// Fake capacity: nothing written.
    RejectedFake {
        /// The size that really stores data.
        real_bytes: Option<u64>,
    },
    /// Failed (I/O error, pulled out, mismatch...).
    Failed {
        /// Why.
        error: String,
    },
}

/// What a step counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unit {
    /// Launch windows.
    Windows,
    /// Flights.
    Flights,
    /// Forecasts.
    Forecasts,
    /// Forecast step files.
    Steps,
    /// Bytes.
    Bytes,
    /// Drives.
    Drives,
    /// Seconds (of media).
    Seconds,
}

/// How loud a [`Warning`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Context the user should know (the CLI prints `note:`).
    Note,
    /// Something that may be wrong with the result (the CLI prints `warning:`).
    Warning,
}

/// Where the ground came from where the user's DEM had nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The forecast's model orography.
    ModelOrography,
    /// Mean sea level (the forecast has no model terrain).
    SeaLevel,
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fallback::ModelOrography => "the model orography (smoothed)",
            Fallback::SeaLevel => "SEA LEVEL (this forecast has no model terrain)",
        })
    }
}

/// A warning or note, typed so each face words it in its language; `Display` is the
/// English text the CLI prints. Serialised with a `code` tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Warning {
    /// Flights in the embedded 2019 sample: not today's weather.
    EmbeddedSampleFlight {
        /// The sample's source (`JMA (centre 34, rjtd)`).
        source: String,
        /// Its run time, RFC 3339.
        run_time: String,
    },
    /// The forecast has one time, held steady at every hour.
    SteadyForecast,
    /// Looking at the embedded 2019 sample (no forecast was named).
    EmbeddedSample,
    /// The DEM had no tile where a lookup fell.
    TerrainMissingTiles {
        /// Tile names (`N37E127`).
        tiles: Vec<String>,
        /// The DEM directory.
        dir: PathBuf,
        /// What was used instead.
        fallback: Fallback,
    },
    /// The DEM had void cells where a lookup fell.
    TerrainVoidTiles {
        /// Tile names.
        tiles: Vec<String>,
        /// What was used instead.
        fallback: Fallback,
    },
    /// A lookup fell outside the forecast area the DEM was indexed for.
    TerrainOutsideArea {
        /// What was used instead.
        fallback: Fallback,
    },
    /// The device holding `/` could not be identified: every drive with a mounted
    /// filesystem is treated as a system disk.
    RootUnresolved,
    /// Free text of a record contains a string of the forbid list (the line is named,
    /// never the string).
    ForbiddenStringInText {
        /// The field.
        field: &'static str,
        /// 1-based line of the list.
        line: usize,
        /// The list.
        list: PathBuf,
    },
    /// The records database was upgraded to the current schema on opening.
    RecordsUpgraded {
        /// The database.
        db: PathBuf,
        /// Its old schema.
        from: i64,
        /// The current one.
        to: i64,
    },
    /// A library without a clean manifest is cleaned into a temporary folder first.
    CleaningFirst {
        /// The library.
        library: PathBuf,
    },
    /// The best-ranked window drops heavy intact loads on populated South Korean places.
    HeavyFallOnPopulatedPlaces {
        /// Share of members, 0..1.
        share: f64,
        /// Up to five places with their share of members, highest first.
        places: Vec<(String, f64)>,
    },
    /// A video whose audio is not (tagged) Korean has no Korean subtitles.
    NoKoreanSubtitles {
        /// The input (relative path).
        file: String,
    },
    /// A file of a convert run failed; the others went on.
    ConvertFailed {
        /// The input (relative path).
        file: String,
        /// Why, in English.
        error: String,
        /// The stable code of the failure (`not_media`, `encode`, `subtitle`...), for faces
        /// that word it in their language.
        error_code: String,
    },
    /// `clean` removed something from a converted output (a fingerprint got through).
    CleanChangedOutput {
        /// The output (relative path).
        file: String,
        /// What it removed.
        removed: Vec<String>,
    },
    /// Every flown window is over the plan's limit on heavy intact falls on populated South
    /// Korean places: there is no best window.
    NoSafeWindow {
        /// The limit, 0..1.
        max_heavy_risk: f64,
        /// The lowest share any window had, 0..1.
        lowest: f64,
    },
}

impl Warning {
    /// How loud it is.
    pub fn level(&self) -> Level {
        match self {
            Warning::EmbeddedSampleFlight { .. }
            | Warning::SteadyForecast
            | Warning::EmbeddedSample
            | Warning::CleaningFirst { .. }
            | Warning::RecordsUpgraded { .. } => Level::Note,
            _ => Level::Warning,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |tiles: &[String]| {
            tiles
                .iter()
                .map(|t| format!("{t}.hgt"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Warning::EmbeddedSampleFlight { source, run_time } => write!(
                f,
                "flying in the embedded {source} sample run {run_time}: a 2019 analysis, NOT today's weather; its one time is held steady at every hour. Fetch a real forecast with `saebaram forecast fetch` for a real launch."
            ),
            Warning::SteadyForecast => f.write_str(
                "this forecast has one time only; its wind is held steady at every hour",
            ),
            Warning::EmbeddedSample => f.write_str(saebaram_forecast::forecast::EMBEDDED_CAVEAT),
            Warning::TerrainMissingTiles {
                tiles,
                dir,
                fallback,
            } => write!(
                f,
                "terrain: no DEM tile {} in {}: the ground there came from {fallback}. Add the tile(s) for a real launch.",
                names(tiles),
                dir.display()
            ),
            Warning::TerrainVoidTiles { tiles, fallback } => write!(
                f,
                "terrain: void (no-data) cells in DEM tile(s) {}: the ground there came from {fallback}",
                names(tiles)
            ),
            Warning::TerrainOutsideArea { fallback } => write!(
                f,
                "terrain: a point outside the forecast area was asked for: the ground there came from {fallback}"
            ),
            Warning::RootUnresolved => f.write_str(
                "the device holding / could not be identified (overlay or container root); every drive with a mounted filesystem is treated as a system disk",
            ),
            Warning::ForbiddenStringInText { field, line, list } => write!(
                f,
                "the {field} contains the string on line {line} of `{}`",
                list.display()
            ),
            Warning::RecordsUpgraded { db, from, to } => write!(
                f,
                "upgraded `{}` from schema {from} to {to}",
                db.display()
            ),
            Warning::CleaningFirst { library } => write!(
                f,
                "{} has no clean manifest: cleaning it into a temporary folder first",
                library.display()
            ),
            Warning::NoKoreanSubtitles { file } => write!(
                f,
                "{file}: no Korean subtitles found (beside it as .srt/.smi/.ass/.vtt or inside it) and its audio is not tagged Korean: viewers may not understand it"
            ),
            Warning::ConvertFailed { file, error, .. } => write!(f, "{file}: not converted: {error}"),
            Warning::CleanChangedOutput { file, removed } if removed.is_empty() => write!(
                f,
                "{file}: clean changed bytes of the converted output (it is clean now; please report this)"
            ),
            Warning::CleanChangedOutput { file, removed } => write!(
                f,
                "{file}: clean removed {} from the converted output (it is clean now; please report this)",
                removed.join("; ")
            ),
            Warning::HeavyFallOnPopulatedPlaces { share, places } => {
                let places: Vec<String> = places
                    .iter()
                    .map(|(name, p)| format!("{name} {:.1} %", p * 100.0))
                    .collect();
                write!(
                    f,
                    "the best-ranked window drops a heavy intact load (a sack, or the balloon with its payload still tied) on a populated place in South Korea in {:.1} % of members ({}): a risk to people and property",
                    share * 100.0,
                    places.join(", ")
                )
            }
            Warning::NoSafeWindow {
                max_heavy_risk,
                lowest,
            } => write!(
                f,
                "no launch window is safe: every window drops a heavy intact load on a populated place in South Korea in more than {:.1} % of members (the lowest is {:.1} %); none is recommended (change the preset, site or times, or --max-heavy-risk)",
                max_heavy_risk * 100.0,
                lowest * 100.0
            ),
        }
    }
}

/// Serialises a list of warnings as their English texts (the `--json` schema keeps
/// warnings as strings).
pub(crate) fn warning_texts<S: serde::Serializer>(
    warnings: &[Warning],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(warnings.iter().map(ToString::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closure_is_a_progress_sink_that_never_cancels() {
        let seen = std::sync::Mutex::new(Vec::new());
        let sink = |e: Event| seen.lock().unwrap().push(e);
        sink.event(Event::StageFinished {
            stage: Stage::Flights,
        });
        assert!(!Progress::cancelled(&sink));
        assert!(check(&sink).is_ok());
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn events_serialise_with_a_tag_for_streaming() {
        let e = Event::Step {
            stage: Stage::Flights,
            done: 3,
            total: Some(24),
            unit: Unit::Windows,
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"event": "step", "stage": "flights", "done": 3, "total": 24, "unit": "windows"})
        );
        let w = Event::Warning {
            warning: Warning::TerrainOutsideArea {
                fallback: Fallback::SeaLevel,
            },
        };
        assert_eq!(
            serde_json::to_value(&w).unwrap()["warning"]["code"],
            "terrain_outside_area"
        );
    }

    #[test]
    fn notes_and_warnings_have_their_level() {
        assert_eq!(Warning::SteadyForecast.level(), Level::Note);
        let w = Warning::TerrainVoidTiles {
            tiles: vec!["N37E126".into()],
            fallback: Fallback::ModelOrography,
        };
        assert_eq!(w.level(), Level::Warning);
        assert_eq!(
            w.to_string(),
            "terrain: void (no-data) cells in DEM tile(s) N37E126.hgt: the ground there came from the model orography (smoothed)"
        );
    }
}
