//! One module per command. Each holds its clap arguments and a `run` that parses what the
//! user typed into a `saebaram-jobs` request, runs the job and renders its report.

pub mod app;
pub mod clean;
pub mod convert;
pub mod drift;
pub mod drives;
pub mod flash;
pub mod forecast;
pub mod map_output;
pub mod pack;
pub mod plan;
pub mod predict;
pub mod probe;
pub mod recording;
pub mod records;
pub mod sites;
pub mod verify;

use crate::cli::{Cli, Command};
use crate::output::Status;

/// Runs the command the user chose.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    // The clock, the random generator and the directories, read once for the jobs.
    let env = saebaram_jobs::host::env();
    match cli.command {
        Command::Forecast(args) => forecast::run(args, &env),
        Command::Predict(args) => predict::run(args, &env),
        Command::Plan(args) => plan::run(args, &env),
        Command::Sites(args) => sites::run(args),
        Command::Clean(args) => clean::run(args, &env),
        Command::Pack(args) => pack::run(args, &env),
        Command::Verify(args) => verify::run(args, &env),
        Command::Drives(args) => drives::run(args, &env),
        Command::Probe(args) => probe::run(args, &env),
        Command::Flash(args) => flash::run(args, &env),
        Command::Records(args) => records::run(args, &env),
        Command::App(args) => app::run(args, &env),
        Command::Convert(args) => convert::run(args, &env),
        Command::Drift(args) => drift::run(args, &env),
    }
}
