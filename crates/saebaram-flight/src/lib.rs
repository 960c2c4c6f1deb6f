//! Balloon flights for saebaram: profiles, the integrator, Monte-Carlo ensembles, launch windows.
//!
//! Owns: flight profiles as chains of stages, the RK4 integrator, ensemble sampling, per-window statistics.
//! Must not know: GRIB2 or any file format of winds (it sees only the `saebaram_forecast::WindField` trait); terminals; HTML.
#![deny(missing_docs)]
