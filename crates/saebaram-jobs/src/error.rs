//! The one error type of every job, with a stable [`ErrorKind`] per variant.
//!
//! Messages are English and name a request field by the command-line flag it mirrors
//! (`--every`): each request field is one flag. A face that speaks another language renders
//! [`Error::kind`] (and [`Error::field`]) itself and may show the English text beside it.

use std::path::PathBuf;

use serde::Serialize;

/// Why a job could not be done. The lower cause is in `source()`, never repeated in the
/// message, so a face prints the chain once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field is out of range, malformed or contradicts another field.
    #[error("{message}")]
    Invalid {
        /// The request field (snake_case, as in the request struct).
        field: &'static str,
        /// What is wrong, in English.
        message: String,
    },
    /// A forecast named by the user is neither a file nor a cached run.
    #[error(
        "forecast {name:?}: no such file, and no such run in the cache {} ({runs} run(s) there; see `saebaram forecast list`)",
        dir.display()
    )]
    ForecastNotFound {
        /// What the user typed.
        name: String,
        /// The cache directory searched.
        dir: PathBuf,
        /// Runs in it.
        runs: usize,
    },
    /// A cached-run name matches several runs.
    #[error("forecast {name:?} is ambiguous in the cache {}: {}", dir.display(), candidates.join(", "))]
    ForecastAmbiguous {
        /// What the user typed.
        name: String,
        /// The cache directory searched.
        dir: PathBuf,
        /// The runs it matches.
        candidates: Vec<String>,
    },
    /// No cache directory was given and the face found none (no home directory).
    #[error(
        "cannot find a home directory for the cache: set SAEBARAM_CACHE_DIR or pass --cache-dir"
    )]
    NoCacheDir,
    /// A forecast could not be opened, decoded, listed, cached or fetched.
    #[error("{context}")]
    Forecast {
        /// What was being done, naming the forecast.
        context: String,
        /// The forecast crate's error.
        #[source]
        source: saebaram_forecast::ForecastError,
    },
    /// A question the forecast cannot answer (a level it does not hold...).
    #[error(transparent)]
    ForecastQuery(saebaram_forecast::ForecastError),
    /// A point or time outside the forecast.
    #[error("{context}")]
    OutsideForecast {
        /// Which forecast.
        context: String,
        /// Where the point fell outside.
        #[source]
        source: saebaram_forecast::OutOfDomain,
    },
    /// No recent run of the model answers (offline, or the servers are down).
    #[error(
        "no {model} run of the last day ({}) answers with the requested steps: this machine may be offline, or the servers down. Retry later, or name a run with --run YYYYMMDDHH. Offline, use the cache (`saebaram forecast list`) or the built-in 2019 sample.",
        candidates.join(", ")
    )]
    NoRunAvailable {
        /// `gfs` or `ecmwf`.
        model: &'static str,
        /// The runs tried, YYYYMMDDHH.
        candidates: Vec<String>,
    },
    /// The flight cannot be computed (impossible balloon, launch outside the forecast...).
    #[error(transparent)]
    Flight(#[from] saebaram_flight::FlightError),
    /// A site, target or the embedded map is wrong.
    #[error(transparent)]
    Geo(#[from] saebaram_geo::GeoError),
    /// A site name or coordinate cannot be read.
    #[error("cannot read {text:?}")]
    Place {
        /// What was typed.
        text: String,
        /// Why.
        #[source]
        source: saebaram_geo::GeoError,
    },
    /// The user's elevation model cannot be used.
    #[error("{context}")]
    Terrain {
        /// What was being done, naming the directory.
        context: String,
        /// The terrain crate's error.
        #[source]
        source: saebaram_terrain::TerrainError,
    },
    /// The user's elevation model has no tile where the flights are.
    #[error(
        "--terrain {}: none of its {tiles} tile(s) ({}) lies in the forecast's area {:.2}..{:.2}N {:.2}..{:.2}E",
        dir.display(), examples.join(", "), area[0], area[1], area[2], area[3]
    )]
    DemOutsideForecast {
        /// The DEM directory.
        dir: PathBuf,
        /// Tiles in it.
        tiles: usize,
        /// Up to five tile names.
        examples: Vec<String>,
        /// The forecast's area: lat_min, lat_max, lon_min, lon_max.
        area: [f64; 4],
    },
    /// The HTML map could not be drawn or written.
    #[error("{context}")]
    Map {
        /// What was being done.
        context: String,
        /// The map crate's error.
        #[source]
        source: saebaram_map::MapError,
    },
    /// Every launch window was skipped by the pre-filter: there is no map to draw.
    #[error(
        "every launch window was skipped by --prefilter: no map to draw (run without --prefilter to fly them anyway)"
    )]
    NothingToDraw,
    /// The forbidden-strings list cannot be used.
    #[error("{context}")]
    Forbid {
        /// Which list.
        context: String,
        /// Why.
        #[source]
        source: saebaram_forbid::Error,
    },
    /// The forbidden-strings list lists no string.
    #[error("{}: the forbidden-strings file lists no string", path.display())]
    EmptyForbidList {
        /// The list.
        path: PathBuf,
    },
    /// A cleaning run could not go on (bad output folder, write failure...).
    #[error("{context}")]
    Clean {
        /// What was being done.
        context: String,
        /// The clean crate's error.
        #[source]
        source: saebaram_clean::Error,
    },
    /// Files of a library could not be cleaned, so nothing was packed.
    #[error(
        "{} file(s) could not be cleaned, so nothing was packed:\n{}\nFix or remove them, or leave them out with --exclude NAME",
        files.len(),
        files.iter().map(|(path, reason)| format!("  {path}: {reason}")).collect::<Vec<_>>().join("\n")
    )]
    Blocked {
        /// (path, reason) of each blocked file.
        files: Vec<(String, String)>,
    },
    /// The library's files cannot go into an image as laid out (names, sizes, layout file).
    #[error(transparent)]
    Layout(#[from] saebaram_image::LayoutError),
    /// The timestamp policy is malformed.
    #[error(transparent)]
    Timestamps(#[from] saebaram_image::policy::PolicyError),
    /// The library does not fit the image size, or the image could not be built.
    #[error("{context}")]
    Pack {
        /// What was being done (empty when the cause says it all).
        context: String,
        /// The image crate's error.
        #[source]
        source: saebaram_image::PackError,
    },
    /// The library does not fit the image.
    #[error(transparent)]
    DoesNotFit(saebaram_image::PackError),
    /// An image manifest cannot be read or written.
    #[error("{context}")]
    ImageManifest {
        /// What was being done.
        context: String,
        /// The image crate's error.
        #[source]
        source: saebaram_image::manifest::ManifestError,
    },
    /// An image manifest is malformed.
    #[error(transparent)]
    BadImageManifest(saebaram_image::manifest::ManifestError),
    /// The image is not the one its manifest describes: nothing was written.
    #[error("{message}")]
    ImageChanged {
        /// What differs.
        message: String,
    },
    /// The system's list of drives cannot be read.
    #[error("{context}")]
    Drives {
        /// What was being done.
        context: String,
        /// The flash crate's error.
        #[source]
        source: saebaram_flash::drives::DrivesError,
    },
    /// A target is refused (the system disk, a mounted drive, a partition...).
    #[error(transparent)]
    TargetRefused(#[from] saebaram_flash::drives::TargetError),
    /// A drive or file cannot be opened for writing.
    #[error(transparent)]
    Open(#[from] saebaram_flash::device::OpenError),
    /// A drive is smaller than the image: nothing was written.
    #[error(
        "{}: holds {bytes} bytes ({}), the image needs {need} ({}): nothing written",
        path.display(), crate::flash::human_bytes(*bytes), crate::flash::human_bytes(*need)
    )]
    DriveTooSmall {
        /// The drive.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// The image's size.
        need: u64,
    },
    /// A fake-capacity probe could not run.
    #[error("{context}")]
    Probe {
        /// Which drive.
        context: String,
        /// The flash crate's error.
        #[source]
        source: saebaram_flash::probe::ProbeError,
    },
    /// The batch ran but its report cannot be trusted to name every drive (a poisoned
    /// lock, or fewer results than drives): an error, never a shorter report.
    #[error(
        "내부 오류: 쓰기 보고서가 불완전합니다 / internal error: the flash report is incomplete: {message}"
    )]
    ReportIncomplete {
        /// What is missing, with every drive's outcome that is known.
        message: String,
    },
    /// An image or drive could not be read back for verification.
    #[error("{context}")]
    Verify {
        /// Which target.
        context: String,
        /// The image crate's error.
        #[source]
        source: saebaram_image::verify::VerifyError,
    },
    /// The records database refused (wrong passphrase, not a database, no such record...).
    #[error(transparent)]
    Records(#[from] saebaram_records::Error),
    /// A record could not be made from what a job knows.
    #[error("{context}")]
    Record {
        /// What was being recorded.
        context: String,
        /// Why.
        #[source]
        source: saebaram_records::Error,
    },
    /// No records database where one was expected.
    #[error(
        "no records database at `{}`: create one with `saebaram records init` (or pass --db)",
        db.display()
    )]
    NoDatabase {
        /// The path.
        db: PathBuf,
    },
    /// No records database to destroy.
    #[error("no records database at `{}`: nothing to destroy", db.display())]
    NothingToDestroy {
        /// The path.
        db: PathBuf,
    },
    /// No database path was given and the face found no data directory.
    #[error("no home directory to keep the records database in: pass --db FILE")]
    NoDataDir,
    /// A file that would be overwritten already exists.
    #[error("`{}` already exists: refusing to overwrite {what}", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
        /// `it`, `a key`.
        what: &'static str,
    },
    /// The face could not get the passphrase (no terminal, unreadable file...).
    #[error("{message}")]
    PassphraseUnavailable {
        /// What failed.
        message: String,
        /// The cause.
        #[source]
        source: Option<std::io::Error>,
    },
    /// Free text contains strings of the forbid list: nothing was recorded.
    #[error(
        "nothing recorded: free text contains {count} forbidden string(s); reword it, or pass --allow-forbidden"
    )]
    ForbiddenText {
        /// How many hits.
        count: usize,
    },
    /// A file could not be read or written.
    #[error("{context}")]
    Io {
        /// What failed, naming the file.
        context: String,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The face's random generator failed.
    #[error("the operating system's random generator failed: {message}")]
    Random {
        /// Its error.
        message: String,
    },
    /// `drift` was run without a currents file: there is none in the binary.
    #[error(
        "no currents file: `saebaram drift` needs surface currents for the area and hours (--currents FILE)\n\nhint: while online, get a NetCDF subset of Copernicus Marine's hourly global currents (free account):\n  copernicusmarine subset --dataset-id cmems_mod_glo_phy_anfc_merged-uv_PT1H-i --variable utotal --variable vtotal \\\n    --minimum-longitude 124.5 --maximum-longitude 127 --minimum-latitude 37 --maximum-latitude 38.5 \\\n    --start-datetime 2026-12-04T00:00:00 --end-datetime 2026-12-07T00:00:00 --output-filename currents.nc\nor KHOA's tidal-current predictions (khoa.go.kr) exported as CF-NetCDF; carry the file to this laptop. See docs/drift.md"
    )]
    NoCurrents,
    /// A forcing file cannot be read or used.
    #[error("{context}")]
    Drift {
        /// Which file, for what.
        context: String,
        /// The drift crate's error (boxed: NetCDF reader errors are large).
        #[source]
        source: Box<saebaram_drift::Error>,
    },
    /// The forcing does not cover the throw site or the throw hours.
    #[error("{message}")]
    ForcingCoverage {
        /// What is not covered, naming the file.
        message: String,
    },
    /// The face asked the job to stop ([`crate::Progress::cancelled`]); nothing was written.
    #[error("cancelled: nothing was written")]
    Cancelled,
    /// A conversion could not start (profile, ffmpeg, encoders, working folder).
    #[error("{context}")]
    Convert {
        /// What was being done.
        context: String,
        /// The convert crate's error.
        #[source]
        source: saebaram_convert::Error,
    },
}

/// The stable code of an [`Error`] variant, for faces to translate (`invalid_request`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Invalid`].
    InvalidRequest,
    /// [`Error::ForecastNotFound`].
    ForecastNotFound,
    /// [`Error::ForecastAmbiguous`].
    ForecastAmbiguous,
    /// [`Error::NoCacheDir`].
    NoCacheDir,
    /// [`Error::Forecast`].
    Forecast,
    /// [`Error::ForecastQuery`].
    ForecastQuery,
    /// [`Error::OutsideForecast`].
    OutsideForecast,
    /// [`Error::NoRunAvailable`].
    NoRunAvailable,
    /// [`Error::Flight`].
    Flight,
    /// [`Error::Geo`].
    Geo,
    /// [`Error::Place`].
    Place,
    /// [`Error::Terrain`].
    Terrain,
    /// [`Error::DemOutsideForecast`].
    DemOutsideForecast,
    /// [`Error::Map`].
    Map,
    /// [`Error::NothingToDraw`].
    NothingToDraw,
    /// [`Error::Forbid`].
    ForbiddenStrings,
    /// [`Error::EmptyForbidList`].
    EmptyForbiddenStrings,
    /// [`Error::Clean`].
    Clean,
    /// [`Error::Blocked`].
    Blocked,
    /// [`Error::Layout`].
    Layout,
    /// [`Error::Timestamps`].
    Timestamps,
    /// [`Error::Pack`].
    Pack,
    /// [`Error::DoesNotFit`].
    DoesNotFit,
    /// [`Error::ImageManifest`].
    ImageManifest,
    /// [`Error::BadImageManifest`].
    BadImageManifest,
    /// [`Error::ImageChanged`].
    ImageChanged,
    /// [`Error::Drives`].
    Drives,
    /// [`Error::TargetRefused`].
    TargetRefused,
    /// [`Error::Open`].
    OpenDevice,
    /// [`Error::DriveTooSmall`].
    DriveTooSmall,
    /// [`Error::Probe`].
    Probe,
    /// [`Error::Verify`].
    Verify,
    /// [`Error::ReportIncomplete`].
    ReportIncomplete,
    /// [`Error::Records`] with the wrong passphrase.
    WrongPassphrase,
    /// [`Error::Records`].
    Records,
    /// [`Error::Record`].
    RecordInvalid,
    /// [`Error::NoDatabase`].
    NoDatabase,
    /// [`Error::NothingToDestroy`].
    NothingToDestroy,
    /// [`Error::NoDataDir`].
    NoDataDir,
    /// [`Error::Exists`].
    Exists,
    /// [`Error::PassphraseUnavailable`].
    PassphraseUnavailable,
    /// [`Error::ForbiddenText`].
    ForbiddenText,
    /// [`Error::Io`].
    Io,
    /// [`Error::Random`].
    Random,
    /// [`Error::Cancelled`].
    Cancelled,
    /// [`Error::Convert`].
    Convert,
    /// [`Error::NoCurrents`].
    NoCurrents,
    /// [`Error::Drift`].
    Drift,
    /// [`Error::ForcingCoverage`].
    ForcingCoverage,
}

impl ErrorKind {
    /// The code as text (`invalid_request`, `forecast_not_found`, ...): stable across
    /// releases, the key a face translates.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::ForecastNotFound => "forecast_not_found",
            ErrorKind::ForecastAmbiguous => "forecast_ambiguous",
            ErrorKind::NoCacheDir => "no_cache_dir",
            ErrorKind::Forecast => "forecast",
            ErrorKind::ForecastQuery => "forecast_query",
            ErrorKind::OutsideForecast => "outside_forecast",
            ErrorKind::NoRunAvailable => "no_run_available",
            ErrorKind::Flight => "flight",
            ErrorKind::Geo => "geo",
            ErrorKind::Place => "place",
            ErrorKind::Terrain => "terrain",
            ErrorKind::DemOutsideForecast => "dem_outside_forecast",
            ErrorKind::Map => "map",
            ErrorKind::NothingToDraw => "nothing_to_draw",
            ErrorKind::ForbiddenStrings => "forbidden_strings",
            ErrorKind::EmptyForbiddenStrings => "empty_forbidden_strings",
            ErrorKind::Clean => "clean",
            ErrorKind::Blocked => "blocked",
            ErrorKind::Layout => "layout",
            ErrorKind::Timestamps => "timestamps",
            ErrorKind::Pack => "pack",
            ErrorKind::DoesNotFit => "does_not_fit",
            ErrorKind::ImageManifest => "image_manifest",
            ErrorKind::BadImageManifest => "bad_image_manifest",
            ErrorKind::ImageChanged => "image_changed",
            ErrorKind::Drives => "drives",
            ErrorKind::TargetRefused => "target_refused",
            ErrorKind::OpenDevice => "open_device",
            ErrorKind::DriveTooSmall => "drive_too_small",
            ErrorKind::Probe => "probe",
            ErrorKind::Verify => "verify",
            ErrorKind::ReportIncomplete => "report_incomplete",
            ErrorKind::WrongPassphrase => "wrong_passphrase",
            ErrorKind::Records => "records",
            ErrorKind::RecordInvalid => "record_invalid",
            ErrorKind::NoDatabase => "no_database",
            ErrorKind::NothingToDestroy => "nothing_to_destroy",
            ErrorKind::NoDataDir => "no_data_dir",
            ErrorKind::Exists => "exists",
            ErrorKind::PassphraseUnavailable => "passphrase_unavailable",
            ErrorKind::ForbiddenText => "forbidden_text",
            ErrorKind::Io => "io",
            ErrorKind::Random => "random",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Convert => "convert",
            ErrorKind::NoCurrents => "no_currents",
            ErrorKind::Drift => "drift",
            ErrorKind::ForcingCoverage => "forcing_coverage",
        }
    }
}

impl Error {
    /// The variant's stable kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. } => ErrorKind::InvalidRequest,
            Error::ForecastNotFound { .. } => ErrorKind::ForecastNotFound,
            Error::ForecastAmbiguous { .. } => ErrorKind::ForecastAmbiguous,
            Error::NoCacheDir => ErrorKind::NoCacheDir,
            Error::Forecast { .. } => ErrorKind::Forecast,
            Error::ForecastQuery(_) => ErrorKind::ForecastQuery,
            Error::OutsideForecast { .. } => ErrorKind::OutsideForecast,
            Error::NoRunAvailable { .. } => ErrorKind::NoRunAvailable,
            Error::Flight(_) => ErrorKind::Flight,
            Error::Geo(_) => ErrorKind::Geo,
            Error::Place { .. } => ErrorKind::Place,
            Error::Terrain { .. } => ErrorKind::Terrain,
            Error::DemOutsideForecast { .. } => ErrorKind::DemOutsideForecast,
            Error::Map { .. } => ErrorKind::Map,
            Error::NothingToDraw => ErrorKind::NothingToDraw,
            Error::Forbid { .. } => ErrorKind::ForbiddenStrings,
            Error::EmptyForbidList { .. } => ErrorKind::EmptyForbiddenStrings,
            Error::Clean { .. } => ErrorKind::Clean,
            Error::Blocked { .. } => ErrorKind::Blocked,
            Error::Layout(_) => ErrorKind::Layout,
            Error::Timestamps(_) => ErrorKind::Timestamps,
            Error::Pack { .. } => ErrorKind::Pack,
            Error::DoesNotFit(_) => ErrorKind::DoesNotFit,
            Error::ImageManifest { .. } => ErrorKind::ImageManifest,
            Error::BadImageManifest(_) => ErrorKind::BadImageManifest,
            Error::ImageChanged { .. } => ErrorKind::ImageChanged,
            Error::Drives { .. } => ErrorKind::Drives,
            Error::TargetRefused(_) => ErrorKind::TargetRefused,
            Error::Open(_) => ErrorKind::OpenDevice,
            Error::DriveTooSmall { .. } => ErrorKind::DriveTooSmall,
            Error::Probe { .. } => ErrorKind::Probe,
            Error::Verify { .. } => ErrorKind::Verify,
            Error::ReportIncomplete { .. } => ErrorKind::ReportIncomplete,
            Error::Records(saebaram_records::Error::WrongPassphrase { .. }) => {
                ErrorKind::WrongPassphrase
            }
            Error::Records(_) => ErrorKind::Records,
            Error::Record { .. } => ErrorKind::RecordInvalid,
            Error::NoDatabase { .. } => ErrorKind::NoDatabase,
            Error::NothingToDestroy { .. } => ErrorKind::NothingToDestroy,
            Error::NoDataDir => ErrorKind::NoDataDir,
            Error::Exists { .. } => ErrorKind::Exists,
            Error::PassphraseUnavailable { .. } => ErrorKind::PassphraseUnavailable,
            Error::ForbiddenText { .. } => ErrorKind::ForbiddenText,
            Error::Io { .. } => ErrorKind::Io,
            Error::Random { .. } => ErrorKind::Random,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Convert { .. } => ErrorKind::Convert,
            Error::NoCurrents => ErrorKind::NoCurrents,
            Error::Drift { .. } => ErrorKind::Drift,
            Error::ForcingCoverage { .. } => ErrorKind::ForcingCoverage,
        }
    }

    /// The request field at fault, for [`Error::Invalid`].
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// An [`Error::Invalid`] for `field`.
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// An [`Error::Io`].
    pub(crate) fn io(
        context: impl Into<String>,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            context: context.into(),
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_code_equal_to_its_serde_name() {
        let kinds = [
            ErrorKind::InvalidRequest,
            ErrorKind::ForecastNotFound,
            ErrorKind::ForecastAmbiguous,
            ErrorKind::NoCacheDir,
            ErrorKind::Forecast,
            ErrorKind::ForecastQuery,
            ErrorKind::OutsideForecast,
            ErrorKind::NoRunAvailable,
            ErrorKind::Flight,
            ErrorKind::Geo,
            ErrorKind::Place,
            ErrorKind::Terrain,
            ErrorKind::DemOutsideForecast,
            ErrorKind::Map,
            ErrorKind::NothingToDraw,
            ErrorKind::ForbiddenStrings,
            ErrorKind::EmptyForbiddenStrings,
            ErrorKind::Clean,
            ErrorKind::Blocked,
            ErrorKind::Layout,
            ErrorKind::Timestamps,
            ErrorKind::Pack,
            ErrorKind::DoesNotFit,
            ErrorKind::ImageManifest,
            ErrorKind::BadImageManifest,
            ErrorKind::ImageChanged,
            ErrorKind::Drives,
            ErrorKind::TargetRefused,
            ErrorKind::OpenDevice,
            ErrorKind::DriveTooSmall,
            ErrorKind::Probe,
            ErrorKind::Verify,
            ErrorKind::ReportIncomplete,
            ErrorKind::WrongPassphrase,
            ErrorKind::Records,
            ErrorKind::RecordInvalid,
            ErrorKind::NoDatabase,
            ErrorKind::NothingToDestroy,
            ErrorKind::NoDataDir,
            ErrorKind::Exists,
            ErrorKind::PassphraseUnavailable,
            ErrorKind::ForbiddenText,
            ErrorKind::Io,
            ErrorKind::Random,
            ErrorKind::Cancelled,
            ErrorKind::Convert,
        ];
        let mut codes = std::collections::BTreeSet::new();
        for kind in kinds {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.code())
            );
            assert!(codes.insert(kind.code()), "{} twice", kind.code());
        }
    }

    #[test]
    fn invalid_names_its_field() {
        let e = Error::invalid("members", "--members must be at least 1 (members = 0)");
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert_eq!(e.field(), Some("members"));
        assert_eq!(e.to_string(), "--members must be at least 1 (members = 0)");
    }
}
