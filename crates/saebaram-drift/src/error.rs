//! The one error type of this crate: every variant names the file, and the variable when
//! there is one, so a user can tell which of the files they carried is at fault.

use std::path::PathBuf;

/// Errors reading forcing files or setting up a drift.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or is not NetCDF (classic or NetCDF-4/HDF5).
    #[error("`{path}`: not a readable NetCDF file (classic CDF-1/2/5 or NetCDF-4/HDF5)")]
    Open {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        #[source]
        source: netcdf_reader::Error,
    },
    /// A variable's values could not be read (damaged data, an HDF5 chunk that does not
    /// decode, an unsupported filter).
    #[error("`{path}`: variable `{variable}` could not be read")]
    ReadVariable {
        /// The file.
        path: PathBuf,
        /// The variable.
        variable: String,
        /// What the reader said.
        #[source]
        source: netcdf_reader::Error,
    },
    /// No pair of velocity variables this crate recognises.
    #[error("`{path}`: no {what} found (looked for {looked_for}; the file has: {found})")]
    NoVelocity {
        /// The file.
        path: PathBuf,
        /// `surface currents` or `10 m wind`.
        what: &'static str,
        /// The names and standard names tried.
        looked_for: &'static str,
        /// The variables the file does have.
        found: String,
    },
    /// The horizontal grid is neither a regular latitude/longitude grid nor a projected grid
    /// with a CF `grid_mapping` this crate knows.
    #[error("`{path}`: variable `{variable}`: {problem}")]
    Grid {
        /// The file.
        path: PathBuf,
        /// The variable whose grid it is.
        variable: String,
        /// What is wrong, in words.
        problem: String,
    },
    /// The time axis is missing, not in CF `units since date` form, or not increasing.
    #[error("`{path}`: time axis of `{variable}`: {problem}")]
    TimeAxis {
        /// The file.
        path: PathBuf,
        /// The variable.
        variable: String,
        /// What is wrong.
        problem: String,
    },
    /// The declared dimensions are larger than this crate will hold in memory.
    #[error(
        "`{path}`: variable `{variable}` declares {values} values, more than the {limit} this reader holds (crop the file to the area and hours you need)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The variable.
        variable: String,
        /// Values the selection would hold (saturating).
        values: u64,
        /// The limit.
        limit: u64,
    },
    /// Every value of the variable is masked (fill, missing, out of the valid range).
    #[error("`{path}`: variable `{variable}` has no valid value (all masked: land or fill)")]
    AllMasked {
        /// The file.
        path: PathBuf,
        /// The variable.
        variable: String,
    },
    /// The eastward and northward (or x and y) components do not share one grid and time axis.
    #[error("`{path}`: `{u}` and `{v}` do not have the same dimensions")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// First component.
        u: String,
        /// Second component.
        v: String,
    },
    /// The grid mapping's parameters do not give a working projection.
    #[error("`{path}`: grid mapping `{variable}`: {problem}")]
    Projection {
        /// The file.
        path: PathBuf,
        /// The grid-mapping variable.
        variable: String,
        /// What is wrong.
        problem: String,
    },
    /// A drift configuration value is out of its range.
    #[error("{what} must be {allowed} (got {value})")]
    Config {
        /// Which setting.
        what: &'static str,
        /// The allowed range, in words.
        allowed: &'static str,
        /// The value given.
        value: f64,
    },
}
