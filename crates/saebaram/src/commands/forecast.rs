//! `saebaram forecast`.

use crate::output::Status;

/// Arguments of `saebaram forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {}

/// Runs `saebaram forecast`.
pub fn run(_args: ForecastArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`saebaram forecast` is not built yet")
}
