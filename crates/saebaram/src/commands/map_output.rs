//! `--html FILE` for `plan` and `predict`: the offline HTML map. Owned by the map work;
//! `plan` and `predict` only flatten [`HtmlArgs`] and call the writers with the same JSON
//! value they print for `--json`.

use std::path::{Path, PathBuf};

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 한국어.
    Ko,
    /// English.
    En,
}

/// Flags shared by `plan` and `predict` for the HTML map.
#[derive(Debug, Clone, clap::Args)]
pub struct HtmlArgs {
    /// Write a self-contained offline HTML map (no network needed to open it).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Language of the map page (default: from the locale, English otherwise).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// Writes the map of a plan, from the value `plan --json` prints.
pub fn write_plan_html(_path: &Path, _plan: &serde_json::Value, _lang: Option<Lang>) -> anyhow::Result<()> {
    anyhow::bail!("the HTML map is not built yet")
}

/// Writes the map of one prediction, from the value `predict --json` prints.
pub fn write_prediction_html(
    _path: &Path,
    _prediction: &serde_json::Value,
    _lang: Option<Lang>,
) -> anyhow::Result<()> {
    anyhow::bail!("the HTML map is not built yet")
}
