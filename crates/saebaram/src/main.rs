//! The `saebaram` command: parses arguments, calls the libraries, renders their results.
//!
//! Owns: the command line (clap), terminal output, the `--json` schemas, exit codes.
//! Must not know: physics, file formats, filesystems or devices: those live in the library
//! crates under `crates/`.

mod cli;
mod commands;
mod output;

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
