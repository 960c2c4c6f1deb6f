//! The Convert screen's side of `saebaram-jobs`: one `convert::run` (the CLI's `saebaram
//! convert`), its events turned into snapshots, its report into what the page lists. No
//! probing or encoding is done here.

use std::path::PathBuf;

use saebaram_jobs::convert::{ConvertRequest, SubtitleMode};
use serde::Deserialize;
use serde_json::Value;

use crate::i18n::Message;
use crate::registry::Reporter;
use crate::work::{Sink, error_message};

/// The message codes this module sends (each needs `msg.<code>`).
pub(crate) const CODES: &[&str] = &["convert_input_missing", "convert_out_bad"];

/// The built-in profiles the page offers (a TOML profile stays a CLI matter).
pub(crate) const PROFILES: &[&str] = &["notel", "dvd", "pc", "audio"];

/// What the page sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConvertForm {
    /// The folder (or file) of videos, as chosen.
    pub input: String,
    /// The output folder (new, empty, or an earlier conversion's).
    pub out: String,
    /// One of [`PROFILES`].
    pub profile: String,
    /// `burn`, `soft` or `none`.
    pub subtitles: String,
}

impl ConvertForm {
    /// The job's request, as the CLI builds it from the same choices; a bad choice is a
    /// message naming it.
    pub(crate) fn request(&self) -> Result<ConvertRequest, Message> {
        let input = PathBuf::from(self.input.trim());
        let shown = input.display().to_string();
        if self.input.trim().is_empty() || !input.is_absolute() || !input.exists() {
            return Err(Message::new(
                "convert_input_missing",
                format!("`{shown}`: not an existing file or folder (give its whole path)"),
            )
            .with("path", shown));
        }
        let out = PathBuf::from(self.out.trim());
        let out_shown = out.display().to_string();
        if self.out.trim().is_empty() || !out.is_absolute() || out.starts_with(&input) {
            return Err(Message::new(
                "convert_out_bad",
                format!(
                    "`{out_shown}`: the output folder needs a whole path outside the videos' folder"
                ),
            )
            .with("path", out_shown));
        }
        if !PROFILES.contains(&self.profile.as_str()) {
            return Err(
                Message::new("bad_request", format!("unknown profile `{}`", self.profile))
                    .with("what", format!("profile `{}`", self.profile)),
            );
        }
        let subtitles = match self.subtitles.as_str() {
            "burn" => SubtitleMode::Burn,
            "soft" => SubtitleMode::Soft,
            "none" => SubtitleMode::None,
            other => {
                return Err(Message::new(
                    "bad_request",
                    format!("unknown subtitle choice `{other}`"),
                )
                .with("what", format!("subtitles `{other}`")));
            }
        };
        // The CLI's default: half the cores, each ffmpeg using its own threads.
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(ConvertRequest {
            inputs: vec![input],
            out,
            profile: self.profile.clone(),
            jobs: Some((cpus / 2).max(1)),
            subtitles,
            ..ConvertRequest::default()
        })
    }
}

/// Runs the conversion; the report is `convert --json`'s.
pub(crate) fn run_convert(
    request: ConvertRequest,
    env: &saebaram_jobs::Env,
    reporter: &Reporter,
) -> Result<Value, Message> {
    let report = saebaram_jobs::convert::run(request, env, &Sink { reporter })
        .map_err(|e| error_message(&e))?;
    serde_json::to_value(&report).map_err(|e| Message::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(input: &str, out: &str, profile: &str, subtitles: &str) -> ConvertForm {
        ConvertForm {
            input: input.into(),
            out: out.into(),
            profile: profile.into(),
            subtitles: subtitles.into(),
        }
    }

    #[test]
    fn the_page_choices_become_the_clis_request() {
        let dir = tempfile::tempdir().unwrap();
        let videos = dir.path().join("videos");
        std::fs::create_dir(&videos).unwrap();
        let out = dir.path().join("converted");
        let r = form(
            videos.to_str().unwrap(),
            out.to_str().unwrap(),
            "dvd",
            "soft",
        )
        .request()
        .unwrap();
        assert_eq!(r.inputs, std::slice::from_ref(&videos));
        assert_eq!(r.out, out);
        assert_eq!(r.profile, "dvd");
        assert_eq!(r.subtitles, SubtitleMode::Soft);
        assert!(r.catalog, "the catalog is written, as the CLI's default");
        let v = videos.to_str().unwrap();
        let o = out.to_str().unwrap();
        for (f, code) in [
            (form("videos", o, "dvd", "burn"), "convert_input_missing"),
            (
                form(&format!("{v}/nope"), o, "dvd", "burn"),
                "convert_input_missing",
            ),
            (form(v, "converted", "dvd", "burn"), "convert_out_bad"),
            (
                form(v, &format!("{v}/out"), "dvd", "burn"),
                "convert_out_bad",
            ),
            (form(v, o, "/etc/passwd", "burn"), "bad_request"),
            (form(v, o, "dvd", "loud"), "bad_request"),
        ] {
            assert_eq!(f.request().unwrap_err().code, code, "{f:?}");
        }
    }
}
