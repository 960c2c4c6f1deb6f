//! Balloon flights for saebaram: profiles, the integrator, Monte-Carlo ensembles, launch windows.
//!
//! Owns: flight profiles as chains of stages, the RK4 integrator, ensemble sampling, per-window statistics.
//! Must not know: GRIB2 or any file format of winds (it sees only the `saebaram_forecast::WindField` trait); terminals; HTML.
//!
//! # Shape
//! As in tawhiri (`tawhiri/models.py`, `solver.pyx`), a flight is a chain of stages, each a
//! velocity model (a pure function of the state: [`integrate::Model`]) and termination
//! conditions ([`integrate::Term`]); each stage starts at the last point of the one before and
//! we record which termination fired. Profiles (balloon-physics.md §6):
//! - P0 [`profile::Standard`]: tawhiri's constant ascent, burst altitude and parachute descent
//!   `-(1.1045·rate)/sqrt(ρ(h))` with its NASA density model ([`atmosphere`]).
//! - P1/P2 [`profile::Balloon`]: ascent from gas, volume, masses, Cd and free lift; a sealed
//!   envelope bursts at the ceiling (where ρ(h) = ρ_launch·V_launch/V_max) plus an
//!   overshoot; a vented one floats where V_max·ρ·(1-M_gas/M_air) = m and sinks as it leaks;
//!   optional day superheat (the sun's elevation from [`sun`]) lifts the float, vents gas and
//!   makes it sink after sunset.
//! - P3/P5 [`profile::Release`]: timer stages (jitter, failure) or a dispenser; a balloon that
//!   lands first takes its payload with it.
//! - P4/P6 [`profile::Payload`]: leaflets as particles (lognormal fall speed scaled by
//!   sqrt(ρ0/ρ), turbulence) or an intact bundle.
//! - A landing that is one heavy body (the envelope with its payload still tied, a sack
//!   falling 10 m/s or faster) carries a [`HeavyFall`]; [`heavy_stats`] counts them per window
//!   where the caller's map says they land.
//!
//! Units are SI inside (m, s, m/s, kg, kg/m³), times are UNIX seconds (f64, UTC), longitudes
//! -180..180; the unit is in every numeric name.
//!
//! # Why some things are hand-written
//! - The RK4 step and its Hermite-interpolant bisection are ~60 lines specific to stage ends;
//!   ODE crates (e.g. `ode_solvers`) do not stop on arbitrary termination predicates without
//!   an extra wind lookup per bisection step.
//! - Normal and lognormal draws ([`random`]) are ten lines of Box-Muller over a ChaCha8
//!   stream so that the bytes of an ensemble for a given seed are pinned by this crate, not by
//!   the sampling algorithm of the next `rand_distr` release.
#![deny(missing_docs)]

pub mod atmosphere;
pub mod ensemble;
pub mod flight;
pub mod integrate;
pub mod models;
pub mod profile;
pub mod random;
pub mod sun;

pub use ensemble::{
    EnsembleSpec, FallRisk, HeavyStats, LandClass, MemberResult, WindowRun, WindowStats,
    heavy_stats, layer_mean_wind, member_draw, run_indexed_windows, run_indexed_windows_members,
    run_window, run_window_members, run_windows, window_stats, window_stats_by_forecast_member,
};
pub use flight::{
    Draw, HEAVY_FALL_M_S, HEAVY_MIN_KG, HeavyFall, HeavyWhy, Landing, Outcome, PayloadClass,
    Prediction, StageTrack, predict,
};
pub use integrate::{FlatEarth, Point, Surface};
pub use profile::{
    Balloon, Carrier, Envelope, Gas, Lift, PRESETS, Payload, Profile, Release, Standard, TimerStage,
};

use saebaram_forecast::OutOfDomain;

/// Why a flight cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FlightError {
    /// The balloon has no free lift.
    #[error(
        "free lift is {free_lift_kg:.1} kg: this balloon will not rise (add gas or remove payload)"
    )]
    WillNotRise {
        /// Free lift at launch, kg (zero or negative).
        free_lift_kg: f64,
    },
    /// More gas than the envelope holds at launch.
    #[error(
        "the fill is {fill_m3:.1} m³ but the envelope holds {v_max_m3:.1} m³: it would burst or vent on the ground (use less gas or a bigger envelope)"
    )]
    Overfilled {
        /// Gas volume at launch, m³.
        fill_m3: f64,
        /// Envelope volume, m³.
        v_max_m3: f64,
    },
    /// A parameter outside its physical range.
    #[error("{name} must be between {lo} and {hi}, got {value}")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// Lowest allowed.
        lo: f64,
        /// Highest allowed.
        hi: f64,
    },
    /// A timer set after the maximum flight time.
    #[error(
        "the timer fires at {timer_h} h, after the flight ends ({max_h} h maximum flight time)"
    )]
    TimerAfterFlight {
        /// Timer, hours after launch.
        timer_h: f64,
        /// Maximum flight time, hours.
        max_h: f64,
    },
    /// A P0 burst altitude at or below the launch.
    #[error(
        "the burst altitude ({burst_m:.0} m) is not above the launch altitude ({launch_m:.0} m)"
    )]
    BurstBelowLaunch {
        /// Burst altitude, m.
        burst_m: f64,
        /// Launch altitude, m.
        launch_m: f64,
    },
    /// The launch point or time is outside the wind data.
    #[error("the launch is outside the forecast: {0}")]
    LaunchOutside(OutOfDomain),
    /// A balloon's ceiling or float altitude lies above the top of the forecast's column at
    /// the launch: the forecast has no density there to find it by.
    #[error(
        "the balloon's {what} is above the forecast's top ({top_m:.0} m over the launch): the forecast cannot say where it bursts or floats (use a forecast with higher levels, or less gas or a smaller envelope)"
    )]
    AboveForecast {
        /// `ceiling` or `float altitude`.
        what: &'static str,
        /// Highest altitude the forecast has over the launch, m.
        top_m: f64,
    },
    /// Parameters that do not go together.
    #[error("{0}")]
    Incompatible(String),
    /// An unknown preset name.
    #[error("unknown preset `{name}` (known: {known})")]
    UnknownPreset {
        /// The name given.
        name: String,
        /// The known names.
        known: String,
    },
    /// A bug.
    #[error("internal error: {0}")]
    Internal(&'static str),
}
