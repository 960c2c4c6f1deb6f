//! `saebaram flash`.

use crate::output::Status;

/// Arguments of `saebaram flash`.
#[derive(Debug, clap::Args)]
pub struct FlashArgs {}

/// Runs `saebaram flash`.
pub fn run(_args: FlashArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram flash` is not built yet")
}
