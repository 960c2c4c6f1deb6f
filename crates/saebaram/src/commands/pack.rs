//! `saebaram pack`.

use crate::output::Status;

/// Arguments of `saebaram pack`.
#[derive(Debug, clap::Args)]
pub struct PackArgs {}

/// Runs `saebaram pack`.
pub fn run(_args: PackArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram pack` is not built yet")
}
