//! Converting one input: subtitles prepared, ffmpeg run in a private working folder beside
//! the destination, outputs checked against the size limit, then renamed into place. An
//! error or a cancel leaves nothing under a final name.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::args::{self, Burn, Spec, Target};
use crate::engine::{EncodeProgress, Engine};
use crate::probe::SubtitleStream;
use crate::probe::{MediaInfo, is_korean};
use crate::profile::Profile;
use crate::subtitle::{self, Encoding};
use crate::{Error, names};

/// What to do with subtitles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubtitleMode {
    /// Draw them into the picture (players that ignore subtitle files still show them).
    #[default]
    Burn,
    /// Put the subtitle file beside the output under the output's name.
    Soft,
    /// Leave them out.
    None,
}

/// What was done with subtitles for one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubtitleUse {
    /// Burned into the picture.
    Burned {
        /// The file beside the video, or `stream N` of the input.
        from: String,
        /// The text encoding of a file.
        #[serde(skip_serializing_if = "Option::is_none")]
        encoding: Option<Encoding>,
    },
    /// Copied beside the output.
    Beside {
        /// The subtitle file.
        from: String,
        /// Its new name.
        file: String,
    },
    /// None found (a warning when the audio is not Korean).
    Missing,
    /// Not wanted (`--subtitles none`) or an audio file.
    NotApplicable,
}

/// One input to convert.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The programs.
    pub engine: &'a Engine,
    /// The profile (the audio profile for audio-only inputs).
    pub profile: &'a Profile,
    /// The input, absolute.
    pub input: &'a Path,
    /// How errors name it (its path relative to the library).
    pub name: &'a str,
    /// What it holds.
    pub info: &'a MediaInfo,
    /// Subtitles.
    pub subtitles: SubtitleMode,
    /// Subtitle language wanted (`ko`).
    pub subtitle_lang: &'a str,
    /// The subtitle file beside it, if any.
    pub sidecar: Option<&'a Path>,
    /// The Korean font (file and family) for burning.
    pub font: Option<(&'a Path, &'a str)>,
    /// Folder the outputs go to (exists).
    pub dest_dir: &'a Path,
    /// Output name without extension (FAT-safe).
    pub stem: &'a str,
    /// ffmpeg threads.
    pub threads: Option<u32>,
}

/// What one conversion made.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// Output files in `dest_dir`, in play order.
    pub outputs: Vec<PathBuf>,
    /// What was done with subtitles.
    pub subtitles: SubtitleUse,
    /// The ffmpeg arguments of the encode (run in the private working folder).
    pub args: Vec<String>,
}

fn io(context: &str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let (context, path) = (context.to_owned(), path.to_path_buf());
    move |e| Error::Io {
        context,
        path,
        source: e,
    }
}

fn link_font(font: &Path, dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let name = font.file_name().unwrap_or_default();
    let to = dir.join(name);
    #[cfg(unix)]
    let r = std::os::unix::fs::symlink(font, &to);
    #[cfg(not(unix))]
    let r = std::fs::copy(font, &to).map(|_| ());
    r.map_err(io("cannot use the font", font))
}

/// An embedded subtitle stream to burn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Embedded {
    /// A text stream (`0:s:N`), extracted to ASS and drawn with the Korean font.
    Text(u32),
    /// A bitmap stream (`0:s:N`: PGS, VobSub, DVB), overlaid.
    Image(u32),
}

/// The embedded subtitle stream to burn: a text stream tagged with the language, else a
/// bitmap stream tagged with it (Blu-ray and DVD rips often carry Korean only as PGS or
/// VobSub pictures), else the only untagged text stream, else the only untagged bitmap
/// stream when there is no text stream at all.
fn embedded_choice(info: &MediaInfo, lang: &str) -> Option<Embedded> {
    let want = |l: &str| {
        if lang == "ko" || lang == "kor" {
            is_korean(l)
        } else {
            l.eq_ignore_ascii_case(lang)
        }
    };
    let tagged = |s: &&SubtitleStream| s.language.as_deref().is_some_and(want);
    let untagged = |s: &&SubtitleStream| s.language.as_deref().is_none_or(|l| l == "und");
    let text: Vec<&SubtitleStream> = info.subtitles.iter().filter(|s| s.is_text()).collect();
    let image: Vec<&SubtitleStream> = info.subtitles.iter().filter(|s| s.is_image()).collect();
    let only = |v: &[&SubtitleStream]| {
        let found: Vec<&SubtitleStream> = v.iter().copied().filter(untagged).collect();
        (found.len() == 1).then(|| found[0].sub_index)
    };
    if let Some(s) = text.iter().copied().find(tagged) {
        return Some(Embedded::Text(s.sub_index));
    }
    if let Some(s) = image.iter().copied().find(tagged) {
        return Some(Embedded::Image(s.sub_index));
    }
    if let Some(n) = only(&text) {
        return Some(Embedded::Text(n));
    }
    if text.is_empty() {
        return only(&image).map(Embedded::Image);
    }
    None
}

/// Converts one input into `dest_dir` (see the module doc). `on_progress` gets ffmpeg's
/// progress blocks; `cancelled` is polled while ffmpeg runs.
pub fn convert_file(
    req: &Request<'_>,
    on_progress: &mut dyn FnMut(EncodeProgress),
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Result<Converted, Error> {
    let work = tempfile::Builder::new()
        .prefix(".saebaram-convert-")
        .tempdir_in(req.dest_dir)
        .map_err(io("cannot create a working folder in", req.dest_dir))?;
    let wd = work.path();
    let has_video = req.info.video.is_some() && req.profile.video.is_some();
    let mut burn = None;
    let mut beside = None;
    let mut used = if has_video && req.subtitles != SubtitleMode::None {
        SubtitleUse::Missing
    } else {
        SubtitleUse::NotApplicable
    };
    if has_video && req.subtitles == SubtitleMode::Burn {
        let mut source = None;
        if let Some(side) = req.sidecar {
            let shown = side.display().to_string();
            let bytes = std::fs::read(side).map_err(io("cannot read the subtitle", side))?;
            let (text, encoding) = subtitle::decode(&shown, &bytes)?;
            let ext = subtitle::normalised_extension(side).unwrap_or("srt");
            let mut file = format!("subtitle.{ext}");
            std::fs::write(wd.join(&file), text.as_bytes())
                .map_err(io("cannot write", &wd.join(&file)))?;
            if matches!(ext, "smi" | "vtt") {
                // libass (the subtitles filter) gives up on the whole file at the first cue
                // ffmpeg's SAMI decoder rejects (the `&nbsp;` that ends most Korean SAMI
                // cues); ffmpeg's command line skips such cues: convert to ASS first.
                let to_ass: Vec<String> = [
                    "-hide_banner",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-i",
                    &format!("file:{file}"),
                    "-c:s",
                    "ass",
                    "-f",
                    "ass",
                    "file:subtitle-text.ass",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
                req.engine
                    .run(&to_ass, wd, &shown, &mut |_| {}, cancelled)
                    .map_err(|e| match e {
                        Error::Encode { detail, .. } => Error::Subtitle {
                            file: shown.clone(),
                            message: format!("ffmpeg cannot read it: {detail}"),
                        },
                        other => other,
                    })?;
                file = "subtitle-text.ass".into();
            }
            // Converted text keeps our style (font size, outline); real ASS keeps its own.
            source = Some((file, matches!(ext, "ass" | "ssa")));
            used = SubtitleUse::Burned {
                from: side
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                encoding: Some(encoding),
            };
        } else if let Some(Embedded::Image(n)) = embedded_choice(req.info, req.subtitle_lang) {
            // Pictures need no font: laid over the picture as they are.
            burn = Some(Burn::Image { sub_index: n });
            used = SubtitleUse::Burned {
                from: format!("stream {n} (pictures)"),
                encoding: None,
            };
        } else if let Some(Embedded::Text(n)) = embedded_choice(req.info, req.subtitle_lang) {
            let file = "subtitle.ass".to_owned();
            let extract = vec![
                "-hide_banner".to_owned(),
                "-nostdin".into(),
                "-loglevel".into(),
                "error".into(),
                "-i".into(),
                format!("file:{}", req.input.display()),
                "-map".into(),
                format!("0:s:{n}"),
                "-c:s".into(),
                "ass".into(),
                "-f".into(),
                "ass".into(),
                format!("file:{file}"),
            ];
            req.engine
                .run(&extract, wd, req.name, &mut |_| {}, cancelled)?;
            source = Some((file, true));
            used = SubtitleUse::Burned {
                from: format!("stream {n}"),
                encoding: None,
            };
        }
        if let Some((file, ass)) = source {
            let (font, family) = req.font.ok_or_else(|| Error::NoKoreanFont {
                dirs: "the font folders".into(),
                fonts: crate::engine::KOREAN_FONTS
                    .iter()
                    .map(|f| f.0)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            link_font(font, &wd.join("fonts"))?;
            burn = Some(Burn::Text {
                file,
                ass,
                fonts_dir: "fonts".into(),
                font_family: family.to_owned(),
            });
        }
    } else if has_video
        && req.subtitles == SubtitleMode::Soft
        && req.sidecar.is_none()
        && let Some(Embedded::Text(n)) = embedded_choice(req.info, req.subtitle_lang)
    {
        // A Korean text stream inside the film: written beside the output as SubRip, the
        // subtitle file every player class that reads one beside a video knows, in UTF-8
        // with a byte-order mark (players guess the encoding of a .srt; the mark settles it).
        let extract: Vec<String> = [
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            &format!("file:{}", req.input.display()),
            "-map",
            &format!("0:s:{n}"),
            "-c:s",
            "srt",
            "-fflags",
            "+bitexact",
            "-f",
            "srt",
            "file:extracted.srt",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        req.engine
            .run(&extract, wd, req.name, &mut |_| {}, cancelled)?;
        let text = std::fs::read(wd.join("extracted.srt"))
            .map_err(io("cannot read", &wd.join("extracted.srt")))?;
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
        let text = subtitle::plain_srt(&String::from_utf8_lossy(text));
        let name = format!("{}.srt", req.stem);
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend_from_slice(text.as_bytes());
        std::fs::write(wd.join(&name), &out).map_err(io("cannot write", &wd.join(&name)))?;
        used = SubtitleUse::Beside {
            from: format!("stream {n}"),
            file: name.clone(),
        };
        beside = Some(name);
    } else if has_video
        && req.subtitles == SubtitleMode::Soft
        && let Some(side) = req.sidecar
    {
        let ext = side
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_else(|| "srt".into());
        let name = format!("{}.{ext}", req.stem);
        std::fs::copy(side, wd.join(&name)).map_err(io("cannot copy the subtitle", side))?;
        used = SubtitleUse::Beside {
            from: side
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file: name.clone(),
        };
        beside = Some(name);
    }

    let container = if has_video {
        req.profile.container
    } else {
        crate::profile::Container::Mp3
    };
    let ext = container.extension();
    let target = match args::split_seconds(req.profile, req.info.duration_s) {
        None => Target::Single(format!("out.{ext}")),
        Some(seconds) => Target::Parts {
            pattern: format!("part-%03d.{ext}"),
            seconds,
        },
    };
    let passes = if has_video {
        req.profile.video.as_ref().map_or(1, |v| v.passes)
    } else {
        1
    };
    let mut spec = Spec {
        profile: req.profile,
        info: req.info,
        input: req.input,
        burn,
        target: target.clone(),
        threads: req.threads,
        pass: None,
    };
    if passes == 2 {
        // The first pass's progress counts as the first half of the file, the second as
        // the rest. Its log stays in the working folder, removed with it.
        spec.pass = Some(1);
        let first = args::build(&spec);
        req.engine.run(
            &first,
            wd,
            req.name,
            &mut |mut p| {
                p.out_time_s /= 2.0;
                on_progress(p);
            },
            cancelled,
        )?;
        spec.pass = Some(2);
    }
    let argv = args::build(&spec);
    let half = req.info.duration_s.filter(|_| passes == 2).unwrap_or(0.0) / 2.0;
    req.engine.run(
        &argv,
        wd,
        req.name,
        &mut |mut p| {
            if passes == 2 {
                p.out_time_s = half + p.out_time_s / 2.0;
            }
            on_progress(p);
        },
        cancelled,
    )?;

    let produced: Vec<PathBuf> = match &target {
        Target::Single(name) => vec![wd.join(name)],
        Target::Parts { .. } => {
            let mut parts: Vec<PathBuf> = std::fs::read_dir(wd)
                .map_err(io("cannot list", wd))?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("part-") && n.ends_with(ext))
                })
                .collect();
            parts.sort();
            parts
        }
    };
    if produced.is_empty() || !produced[0].exists() {
        return Err(Error::Encode {
            file: req.name.to_owned(),
            code: Some(0),
            detail: "ffmpeg wrote no output".into(),
        });
    }
    let limit = req.profile.max_file_bytes();
    for p in &produced {
        let bytes = std::fs::metadata(p).map_err(io("cannot read", p))?.len();
        if bytes > limit {
            return Err(Error::TooLarge {
                file: req.name.to_owned(),
                part: p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                bytes,
                limit,
            });
        }
    }
    let finals: Vec<PathBuf> = if produced.len() == 1 {
        vec![req.dest_dir.join(format!("{}.{ext}", req.stem))]
    } else {
        (1..=produced.len())
            .map(|n| req.dest_dir.join(names::part_name(req.stem, n, ext)))
            .collect()
    };
    for (from, to) in produced.iter().zip(&finals) {
        std::fs::rename(from, to).map_err(io("cannot move the output to", to))?;
    }
    let mut outputs = finals;
    if let Some(name) = beside {
        let to = req.dest_dir.join(&name);
        std::fs::rename(wd.join(&name), &to).map_err(io("cannot move the subtitle to", &to))?;
        outputs.push(to);
    }
    Ok(Converted {
        outputs,
        subtitles: used,
        args: argv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(subs: &[(&str, Option<&str>)]) -> MediaInfo {
        let streams: Vec<String> = subs
            .iter()
            .enumerate()
            .map(|(i, (codec, lang))| {
                let tags = lang.map_or(String::new(), |l| {
                    format!(r#","tags":{{"language":"{l}"}}"#)
                });
                format!(
                    r#"{{"index":{},"codec_type":"subtitle","codec_name":"{codec}"{tags}}}"#,
                    i + 1
                )
            })
            .collect();
        let json = format!(
            r#"{{"streams":[{{"index":0,"codec_type":"video","codec_name":"h264","width":640,"height":360}},{}],"format":{{"duration":"3"}}}}"#,
            streams.join(",")
        );
        MediaInfo::from_ffprobe_json("f.mkv", json.as_bytes()).unwrap()
    }

    #[test]
    fn korean_text_is_preferred_then_korean_pictures_then_a_lone_untagged_track() {
        use Embedded::{Image, Text};
        let pgs = "hdmv_pgs_subtitle";
        type Tracks<'a> = &'a [(&'a str, Option<&'a str>)];
        let cases: &[(Tracks<'_>, Option<Embedded>)] = &[
            (
                &[(pgs, Some("kor")), ("subrip", Some("kor"))],
                Some(Text(1)),
            ),
            (
                &[("subrip", Some("eng")), (pgs, Some("kor"))],
                Some(Image(1)),
            ),
            (&[("dvd_subtitle", Some("kor"))], Some(Image(0))),
            (&[(pgs, Some("eng"))], None),
            (&[(pgs, None)], Some(Image(0))),
            (&[(pgs, None), (pgs, None)], None),
            (&[("subrip", None), (pgs, None)], Some(Text(0))),
            (&[("subrip", Some("eng")), (pgs, None)], None),
        ];
        for (subs, want) in cases {
            assert_eq!(embedded_choice(&info(subs), "ko"), *want, "{subs:?}");
        }
    }
}
