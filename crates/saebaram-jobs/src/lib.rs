//! The jobs a person runs with saebaram, composed from the library crates once, for every
//! face: the `saebaram` CLI and `saebaram app` call the same functions and render the same
//! reports.
//!
//! Owns: the orchestration of each job: [`forecast`] (open, info, sample, list, import,
//! fetch), [`plan`] and [`predict`] (the ground under the flights, classification on the
//! map, ranking, the pre-filter, the heavy-fall statistics and warnings, GeoJSON/KML/CSV,
//! the [`map`]'s data), [`prepare`] (clean a library, pack an image), [`flash`] (drives,
//! probe, verify, flash batches with per-drive states), [`records`] (unlock, add, list,
//! correct, report, export, import, destroy; the plan/flash `--record` hooks), [`drift`]
//! (bottles at sea: sea sites, coverage checks, the coastline, ranking, GeoJSON); the report
//! types, which are the `--json` schemas; typed progress events, warnings and errors with
//! stable codes; cancellation.
//! Must not know: clap, terminals, HTTP, HTML pages (the map crate draws them), the clock,
//! the environment or a global random generator (an [`Env`] value from the face carries
//! them; only the `host` feature's [`host`] module, for faces, reads them), languages other
//! than the English of `Display` (faces translate [`ErrorKind`] and [`Warning`] codes).
//!
//! # Shape
//! Each job is a module with a request (plain data: `Send + 'static`, `serde`), a report
//! (`Serialize`: the `--json` schema) and
//! `run(request, &Env, &dyn Progress) -> Result<Report, Error>`, so a face runs it on a
//! background thread, streams its [`Event`]s, cancels it through [`Progress::cancelled`] and
//! gets the report at the end:
//!
//! ```
//! use std::sync::Mutex;
//! use saebaram_jobs::{Env, Event, plan};
//! let request = plan::PlanRequest {
//!     members: 10,
//!     to_unix_s: Some(1_559_692_800.0 + 3600.0), // two windows of the embedded sample
//!     ..plan::PlanRequest::default()
//! };
//! let steps = Mutex::new(Vec::new());
//! let report = plan::run(request, &Env::fixed(0, 1), &|e: Event| {
//!     if let Event::Step { done, total, .. } = e {
//!         steps.lock().unwrap().push((done, total)); // a face draws a bar here
//!     }
//! })?;
//! assert_eq!(report.windows.len(), 2);
//! assert_eq!(steps.into_inner().unwrap(), [(1, Some(2)), (2, Some(2))]);
//! # Ok::<(), saebaram_jobs::Error>(())
//! ```
#![deny(missing_docs)]

pub mod convert;
pub mod drift;
mod env;
mod error;
pub mod files;
pub mod flash;
pub mod flight_options;
pub mod forecast;
mod ground;
#[cfg(feature = "host")]
pub mod host;
pub mod map;
pub mod parse;
pub mod plan;
pub mod predict;
pub mod prepare;
mod progress;
pub mod records;
pub mod sites;

pub use env::{Clock, Entropy, Env, FixedClock, SeededEntropy};
pub use error::{Error, ErrorKind};
pub use ground::{DemReport, GroundAt, GroundSource, LandingSources, TerrainReport};
pub use progress::{DriveState, Event, Fallback, Level, Progress, Silent, Stage, Unit, Warning};
