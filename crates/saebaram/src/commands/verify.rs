//! `saebaram verify`.

use crate::output::Status;

/// Arguments of `saebaram verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {}

/// Runs `saebaram verify`.
pub fn run(_args: VerifyArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram verify` is not built yet")
}
