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
pub(crate) const CODES: &[&str] = &[
    "convert_input_missing",
    "convert_out_bad",
    "convert_option_missing",
];

/// The built-in profiles the page offers (or a TOML profile file, `profile_file`).
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
    /// A TOML profile file (`convert --profile FILE`, docs/convert.md); used instead of
    /// `profile` when given.
    #[serde(default)]
    pub profile_file: Option<String>,
    /// The ffmpeg program (`--ffmpeg`); default: from PATH.
    #[serde(default)]
    pub ffmpeg: Option<String>,
    /// A folder holding a Korean font (`--font-dir`); default: the system's font folders.
    #[serde(default)]
    pub font_dir: Option<String>,
    /// ASCII-only output names with the Korean titles in the catalog (`--ascii-names`).
    #[serde(default)]
    pub ascii_names: bool,
}

/// What an optional path must be.
#[derive(Clone, Copy)]
enum Want {
    File,
    Folder,
}

/// An optional whole path the person typed or chose: blank is `None`; anything else must
/// exist as `want`, or it is a message naming the option and the path.
fn optional_path(
    value: Option<&str>,
    option: &'static str,
    want: Want,
) -> Result<Option<PathBuf>, Message> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(text);
    let ok = path.is_absolute()
        && match want {
            Want::File => path.is_file(),
            Want::Folder => path.is_dir(),
        };
    if !ok {
        let what = match want {
            Want::File => "an existing file",
            Want::Folder => "an existing folder",
        };
        return Err(Message::new(
            "convert_option_missing",
            format!("{option} `{text}`: not {what} (give its whole path)"),
        )
        .with("path", text)
        .with("option", option));
    }
    Ok(Some(path))
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
        let profile_file = optional_path(self.profile_file.as_deref(), "profile", Want::File)?;
        let ffmpeg = optional_path(self.ffmpeg.as_deref(), "ffmpeg", Want::File)?;
        let font_dir = optional_path(self.font_dir.as_deref(), "font_dir", Want::Folder)?;
        if profile_file.is_none() && !PROFILES.contains(&self.profile.as_str()) {
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
        let defaults = ConvertRequest::default();
        Ok(ConvertRequest {
            inputs: vec![input],
            out,
            profile: match profile_file {
                Some(file) => file.display().to_string(),
                None => self.profile.clone(),
            },
            jobs: Some((cpus / 2).max(1)),
            subtitles,
            ffmpeg,
            font_dirs: font_dir.map_or(defaults.font_dirs.clone(), |d| vec![d]),
            ascii_names: self.ascii_names,
            ..defaults
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
            profile_file: None,
            ffmpeg: None,
            font_dir: None,
            ascii_names: false,
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

    #[test]
    fn the_advanced_choices_become_the_clis_options() {
        let dir = tempfile::tempdir().unwrap();
        let videos = dir.path().join("videos");
        std::fs::create_dir(&videos).unwrap();
        let toml = dir.path().join("player.toml");
        std::fs::write(&toml, "base = \"notel\"\n").unwrap();
        let ffmpeg = dir.path().join("ffmpeg");
        std::fs::write(&ffmpeg, "").unwrap();
        let (v, o) = (
            videos.to_str().unwrap(),
            dir.path().join("out").to_str().unwrap().to_owned(),
        );
        let mut f = form(v, &o, "dvd", "burn");
        f.profile_file = Some(format!(" {} ", toml.display()));
        f.ffmpeg = Some(ffmpeg.display().to_string());
        f.font_dir = Some(dir.path().display().to_string());
        f.ascii_names = true;
        let r = f.request().unwrap();
        assert_eq!(r.profile, toml.display().to_string(), "the file wins");
        assert_eq!(r.ffmpeg.as_deref(), Some(ffmpeg.as_path()));
        assert_eq!(r.font_dirs, [dir.path().to_path_buf()]);
        assert!(r.ascii_names);
        // Blank means the default; a missing or wrong kind of path names the option.
        let mut f = form(v, &o, "notel", "burn");
        f.ffmpeg = Some("  ".into());
        let r = f.request().unwrap();
        assert_eq!(r.ffmpeg, None);
        assert_eq!(r.font_dirs, ConvertRequest::default().font_dirs);
        for (field, value, option) in [
            (
                0,
                toml.with_extension("nope").display().to_string(),
                "profile",
            ),
            (0, videos.display().to_string(), "profile"),
            (1, "ffmpeg".to_owned(), "ffmpeg"),
            (2, toml.display().to_string(), "font_dir"),
        ] {
            let mut f = form(v, &o, "notel", "burn");
            match field {
                0 => f.profile_file = Some(value),
                1 => f.ffmpeg = Some(value),
                _ => f.font_dir = Some(value),
            }
            let m = f.request().unwrap_err();
            assert_eq!(m.code, "convert_option_missing", "{m:?}");
            assert_eq!(m.params["option"], option, "{m:?}");
        }
    }
}
