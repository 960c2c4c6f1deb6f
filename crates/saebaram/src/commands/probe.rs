//! `saebaram probe`.

use crate::output::Status;

/// Arguments of `saebaram probe`.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {}

/// Runs `saebaram probe`.
pub fn run(_args: ProbeArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram probe` is not built yet")
}
