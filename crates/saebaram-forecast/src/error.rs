//! Errors of this crate: each names the file (or dataset) and the field or part at fault.

/// Why a forecast could not be read, built, cached or fetched.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    /// The file could not be read or written.
    #[error("{file}: {action}: {source}")]
    Io {
        /// The file or directory.
        file: String,
        /// What was being done ("cannot read", "cannot write").
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A finished output (cache file, download) could not be made visible under its name;
    /// nothing was replaced.
    #[error(transparent)]
    Output(#[from] saebaram_atomic::Error),
    /// Not GRIB2, truncated or corrupt GRIB2, or a GRIB2 feature the decoder lacks.
    #[error("{file}: {field}: {detail}")]
    Grib {
        /// The file.
        file: String,
        /// The message/field at fault ("message structure", "u 850 hPa step 0 h").
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// The fields decode but do not make a usable wind cube (U without V, missing levels,
    /// mixed grids or runs, missing values in the region).
    #[error("{file}: {field}: {detail}")]
    Cube {
        /// The file or set of files.
        file: String,
        /// The field at fault.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// The grid does not cover the requested region.
    #[error("{file}: the grid ({grid}) does not cover the region {region}")]
    NotCovered {
        /// The file.
        file: String,
        /// The grid's extent.
        grid: String,
        /// The region asked for.
        region: String,
    },
    /// A cache file that is not one, of another version, or damaged.
    #[error("{file}: cache file: {detail}")]
    Cache {
        /// The cache file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A tawhiri dataset file of the wrong size or name.
    #[error("{file}: tawhiri dataset: {detail}")]
    Tawhiri {
        /// The dataset file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A query the forecast cannot answer (a pressure level it does not hold).
    #[error("{file}: {detail}")]
    Query {
        /// The forecast.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A download failed.
    #[error("예보를 내려받지 못했습니다 (download failed): {url}: {detail}")]
    Fetch {
        /// The URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
}

impl ForecastError {
    pub(crate) fn io(
        file: impl std::fmt::Display,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            file: file.to_string(),
            action,
            source,
        }
    }
}

/// This crate's result type.
pub type Result<T, E = ForecastError> = std::result::Result<T, E>;
