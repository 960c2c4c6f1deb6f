//! `saebaram plan`.

use crate::output::Status;

/// Arguments of `saebaram plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {}

/// Runs `saebaram plan`.
pub fn run(_args: PlanArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram plan` is not built yet")
}
