//! `saebaram drives`.

use crate::output::Status;

/// Arguments of `saebaram drives`.
#[derive(Debug, clap::Args)]
pub struct DrivesArgs {}

/// Runs `saebaram drives`.
pub fn run(_args: DrivesArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram drives` is not built yet")
}
