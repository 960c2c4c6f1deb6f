//! `saebaram clean`.

use crate::output::Status;

/// Arguments of `saebaram clean`.
#[derive(Debug, clap::Args)]
pub struct CleanArgs {}

/// Runs `saebaram clean`.
pub fn run(_args: CleanArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram clean` is not built yet")
}
