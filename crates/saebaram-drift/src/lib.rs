//! Bottles at sea: where PET bottles thrown from Ganghwa's islands drift on real currents and
//! wind.
//!
//! Owns: reading surface currents and 10 m winds from CF-NetCDF files ([`cf`]: NetCDF-3 and
//! NetCDF-4/HDF5, packing, fill values and masks, regular longitude/latitude grids and CF
//! `grid_mapping` projections with vectors rotated to east/north), the gridded field and its
//! interpolation ([`field`]: bilinear in space, linear in time), the drift of one bottle
//! ([`drift`]: current + windage × wind (+ Stokes), RK4 or Euler at a fixed step, stranding,
//! leaving the forcing), and ensembles of bottles per throw window ([`ensemble`]).
//! Must not know: maps, borders and which coast is whose (the caller passes a [`Coast`] and
//! classifies where bottles end up: `saebaram-jobs` uses `saebaram-geo`); sites and windows
//! as the user spells them; terminals, `--json` and HTML (never prints); the clock and the
//! environment (times and seeds are parameters).
//! A point outside the forcing's area or hours ends a drift with the reason ([`End`]), never
//! with a zero current.
//!
//! Units are SI inside (m, s, m/s), times UNIX seconds (UTC, `f64`), longitudes -180..180 and
//! degrees only for positions.
//!
//! # Why some things are hand-written
//! - The integrator (30 lines) stops on the coast by bisection and on every forcing miss with
//!   its reason; an ODE crate would need a lookup per rejected step and has no such stops.
//! - Normal and uniform draws are a few lines over a ChaCha8 stream so the bytes of an
//!   ensemble for a seed are pinned here, not by a sampling crate's next release.
#![deny(missing_docs)]

pub mod cf;
pub mod drift;
pub mod ensemble;
mod error;
pub mod field;
pub mod projection;
mod time;

pub use cf::{FieldInfo, Kind, Loaded, MAX_VALUES, Stokes, read_currents, read_named, read_wind};
pub use drift::{
    Coast, Config, EARTH_RADIUS_M, End, Forcing, OpenSea, Params, Scheme, Track, TrackPoint,
    WGS84_A, WGS84_E2, Which, drift, radii_of_curvature, velocity,
};
pub use ensemble::{EnsembleSpec, Member, Spread, run_window};
pub use error::Error;
pub use field::{Axis, Bounds, Grid, Horizontal, Sample, VectorField};
pub use projection::Projection;
