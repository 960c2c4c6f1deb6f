//! `saebaram sites`.

use crate::output::Status;

/// Arguments of `saebaram sites`.
#[derive(Debug, clap::Args)]
pub struct SitesArgs {}

/// Runs `saebaram sites`.
pub fn run(_args: SitesArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram sites` is not built yet")
}
