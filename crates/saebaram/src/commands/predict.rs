//! `saebaram predict`.

use crate::output::Status;

/// Arguments of `saebaram predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {}

/// Runs `saebaram predict`.
pub fn run(_args: PredictArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram predict` is not built yet")
}
