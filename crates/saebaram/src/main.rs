//! The `saebaram` command: parses arguments into the requests of `saebaram-jobs`, runs the
//! jobs, renders their reports.
//!
//! Owns: the command line (clap), terminal output (tables, progress bars from the jobs'
//! events), exit codes.
//! Must not know: orchestration (`saebaram-jobs`, shared with the app; its report types are
//! the `--json` schemas), physics, file formats, filesystems or devices (the library crates
//! under `crates/`).

mod cli;
mod commands;
mod interrupt;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            output::print_error_chain(&err);
            ExitCode::from(2)
        }
    }
}
