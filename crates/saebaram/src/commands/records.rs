//! `saebaram records`.

use crate::output::Status;

/// Arguments of `saebaram records`.
#[derive(Debug, clap::Args)]
pub struct RecordsArgs {}

/// Runs `saebaram records`.
pub fn run(_args: RecordsArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram records` is not built yet")
}
