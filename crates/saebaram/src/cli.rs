//! The command line: one variant per command, each command's flags beside its code in
//! `commands/<name>.rs`.

use clap::{Parser, Subcommand};

use crate::commands;

/// 새바람 saebaram — plan leaflet-balloon launches from real wind forecasts and prepare
/// clean, fingerprint-free USB/SD payloads. Everything runs offline; only
/// `saebaram forecast fetch` touches a network.
#[derive(Debug, Parser)]
#[command(
    name = "saebaram",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Wind forecasts: inspect, sample, list the cache, fetch GFS or ECMWF.
    Forecast(commands::forecast::ForecastArgs),
    /// One deterministic balloon flight: track by stage and landing.
    Predict(commands::predict::PredictArgs),
    /// Rank launch windows by the chance of reaching a target (Monte-Carlo ensembles).
    Plan(commands::plan::PlanArgs),
    /// Where bottles thrown into the sea drift, from real currents and wind (해류 표류 예측).
    Drift(commands::drift::DriftArgs),
    /// List the built-in launch sites.
    Sites(commands::sites::SitesArgs),
    /// Remove identifying metadata from a content library, losslessly.
    Clean(commands::clean::CleanArgs),
    /// Pack a clean library into a fingerprint-free FAT32 disk image.
    Pack(commands::pack::PackArgs),
    /// Check an image or a written drive against its manifest.
    Verify(commands::verify::VerifyArgs),
    /// List removable drives (the system disk and mounted drives are marked).
    Drives(commands::drives::DrivesArgs),
    /// Check a drive for fake capacity.
    Probe(commands::probe::ProbeArgs),
    /// Write an image to many drives at once, wipe the rest, verify every byte.
    Flash(commands::flash::FlashArgs),
    /// Encrypted campaign records: launches, device batches, shipments.
    Records(commands::records::RecordsArgs),
    /// Convert films, talks and music for the receivers' players, Korean subtitles burned in
    /// (영상 변환).
    Convert(commands::convert::ConvertArgs),
    /// The app: a local web page for everything above, Korean first (앱: 한국어 화면).
    App(commands::app::AppArgs),
}
