//! `saebaram convert`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use saebaram_convert::SubtitleMode;
use saebaram_jobs::convert::{ConvertReport, ConvertRequest, ConvertStatus, DEFAULT_FONT_DIRS};
use saebaram_jobs::{Env, Event, Level, Progress, Stage, Warning};

use crate::output::Status;

/// Arguments of `saebaram convert`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram convert films/ --out usb-films/                  (profile notel: plays on Notels)
  saebaram convert films/ talks/ --out dvd/ --profile dvd   (MPEG-2 for DVD players from USB)
  saebaram convert 영화.mkv --out pc/ --profile pc --subtitles burn --jobs 2
  saebaram convert radio/ --out radio-mp3/ --profile audio
  saebaram convert films/ --out out/ --profile my-player.toml --json > report.json
  saebaram convert films/ --out out/ && saebaram pack out/ --out drive.img --fit

Profiles (영상 변환 방식; docs/convert.md has every key):
  notel  (default) AVI, MPEG-4 ASP (Xvid) without B-frames, up to 720x576 and 30 fps,
         about 1.5 Mbit/s, MP3 stereo: Notels and cheap Chinese MP4/MP5 players
  dvd    MPEG-2 program stream, 720x576 PAL / 720x480 NTSC, 4:3 or 16:9, MP2 stereo
  pc     MP4 (faststart), H.264 Main <= level 4.0, up to 1280x720, AAC stereo
  audio  MP3 stereo 160 kbit/s (video dropped); audio-only inputs always get this
  FILE   your own TOML profile with the same keys (errors name the file and the key)

Every video and audio file of the inputs is converted (folders are walked; the library's
folders are kept); other files are handed to `saebaram clean` untouched, and the whole
result is cleaned into OUT with clean's manifest, ready for `saebaram pack`. The picture is
scaled down to fit and padded, never stretched; fast frame rates are halved; audio is
mixed to stereo. Outputs carry no metadata, no encoder names and no times; two runs give
the same bytes. An output that could pass 4 GiB (FAT32) is split at keyframes into
`영화 (1).avi`, `영화 (2).avi`...

Korean subtitles (자막 입히기): a subtitle beside the video (영화.ko.srt, 영화.srt, 영화.smi,
.ass/.ssa, .vtt; UTF-8, UTF-16 or CP949/EUC-KR) or a Korean text subtitle stream inside it
is burned into the picture with a Korean font (NanumGothic from fonts-nanum, or Noto Sans
CJK). A video without Korean subtitles whose audio is not Korean gets a warning.

Resuming: the working folder (.OUT.saebaram-convert beside OUT, or --work) keeps each
finished conversion keyed by the input's BLAKE3 and the settings; run the same command
again after an interruption and only what is missing is converted. Changing a profile,
the subtitles or the input converts that input again.

Exit status: 0 everything converted and clean, 1 a file failed or was blocked (the others
are done), 2 usage error, ffmpeg missing or lacking an encoder.")]
pub struct ConvertArgs {
    /// Video and audio files or folders (walked recursively; symlinks are not followed).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output folder (new, empty, or the output of an earlier `saebaram convert`).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// Profile: notel, dvd, pc, audio, or a TOML file.
    #[arg(long, short, value_name = "NAME|FILE", default_value = "notel")]
    pub profile: String,

    /// Files converted at once (default: half the CPUs, at least 1).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,

    /// ffmpeg threads per file (default: ffmpeg's choice). Outputs are identical between
    /// runs with the same value.
    #[arg(long, value_name = "N")]
    pub threads: Option<u32>,

    /// Subtitles: burn into the picture, put the file beside the output (soft), or none.
    #[arg(long, value_enum, default_value = "burn")]
    pub subtitles: SubtitlesArg,

    /// Language of the subtitles to use (ISO 639: ko, en...).
    #[arg(long, value_name = "LANG", default_value = "ko")]
    pub subtitle_lang: String,

    /// The ffmpeg program (ffprobe is taken from the same folder). Default: from PATH.
    #[arg(long, value_name = "PATH")]
    pub ffmpeg: Option<PathBuf>,

    /// Folder holding a Korean font (NanumGothic.ttf, NotoSansCJK-Regular.ttc...); may be
    /// repeated. Default: /usr/share/fonts and /usr/local/share/fonts.
    #[arg(long, value_name = "DIR")]
    pub font_dir: Vec<PathBuf>,

    /// Working folder (resume state and staged outputs). Default: .OUT.saebaram-convert
    /// beside OUT.
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,

    /// Do not write the catalog (목록.html and 목록.txt at the top of OUT: title, length,
    /// size, subtitles and links to the files, no script; `saebaram pack` puts it on the
    /// drive with the rest).
    #[arg(long)]
    pub no_catalog: bool,

    /// Name the outputs with ASCII only (`001-The Interview.avi`, `002.avi`) for players
    /// that show short names or no Hangul; the catalog keeps the Korean titles. Folders keep
    /// their names.
    #[arg(long)]
    pub ascii_names: bool,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--subtitles`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SubtitlesArg {
    /// Burned into the picture.
    Burn,
    /// The subtitle file beside the output.
    Soft,
    /// Left out.
    None,
}

/// Bars: one for the run (seconds of media), one per file being converted.
struct Bars {
    multi: MultiProgress,
    overall: Mutex<Option<ProgressBar>>,
    files: Mutex<HashMap<usize, ProgressBar>>,
    clean: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        Bars {
            multi: MultiProgress::new(),
            overall: Mutex::new(None),
            files: Mutex::new(HashMap::new()),
            clean: Mutex::new(None),
        }
    }

    fn line(&self, w: &Warning) {
        // Korean first (the users' language), the English text beside it.
        let text = match (w.level(), korean_warning(w)) {
            (Level::Note, Some(ko)) => format!("알림: {ko}\n  note: {w}"),
            (Level::Warning, Some(ko)) => format!("경고: {ko}\n  warning: {w}"),
            (Level::Note, None) => format!("note: {w}"),
            (Level::Warning, None) => format!("warning: {w}"),
        };
        let _ = self.multi.println(&text);
        if self.multi.is_hidden() {
            eprintln!("{text}");
        }
    }
}

/// Korean text of a convert warning (the English one is its `Display`).
fn korean_warning(w: &Warning) -> Option<String> {
    Some(match w {
        Warning::NoKoreanSubtitles { file } => format!(
            "{file}: 한국어 자막이 없고(옆의 .srt/.smi/.ass/.vtt 파일이나 영상 안에) 음성도 한국어로 표시되어 있지 않습니다. 보는 사람이 내용을 이해하지 못할 수 있습니다."
        ),
        Warning::ConvertFailed {
            file, error_code, ..
        } => format!(
            "{file}: 변환하지 못했습니다: {}. 다른 파일은 계속 변환합니다.",
            korean_error(error_code)
        ),
        Warning::CleanChangedOutput { file, .. } => format!(
            "{file}: 흔적 지우기(clean)가 변환된 파일을 바꾸었습니다. 지금은 깨끗하지만, 개발자에게 알려 주십시오."
        ),
        _ => return None,
    })
}

/// Korean text for a convert `error_code`.
fn korean_error(code: &str) -> &'static str {
    match code {
        "not_media" => "ffmpeg가 읽을 수 있는 영상이나 음성 파일이 아닙니다",
        "encode" => "ffmpeg가 변환 중에 실패했습니다",
        "subtitle" => "자막 파일을 쓸 수 없습니다",
        "no_korean_font" => {
            "자막을 입힐 한국어 글꼴이 없습니다 (apt install fonts-nanum 또는 --font-dir)"
        }
        "too_large" => "나눈 파일이 FAT32 한도(4 GiB)를 넘었습니다. 아무것도 남기지 않았습니다",
        "blocked" => "흔적 지우기에서 처리할 수 없는 파일로 막혔습니다",
        "cancelled" => "중단했습니다",
        "io" => "파일을 읽거나 쓸 수 없습니다",
        _ => "변환하지 못했습니다",
    }
}

impl Progress for Bars {
    fn cancelled(&self) -> bool {
        crate::interrupt::requested()
    }

    fn event(&self, event: Event) {
        match event {
            Event::StageStarted {
                stage: Stage::Converting,
                ..
            } => {
                let bar = self.multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template(
                        "all   [{bar:30}] {pos}/{len} s of media  {elapsed} eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                *self.overall.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
            }
            Event::Step {
                stage: Stage::Converting,
                done,
                total,
                ..
            } => {
                if let Some(bar) = self
                    .overall
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                {
                    bar.set_length(total.unwrap_or(0));
                    bar.set_position(done);
                }
            }
            Event::StageFinished {
                stage: Stage::Converting,
            } => {
                if let Some(bar) = self
                    .overall
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                {
                    bar.finish_and_clear();
                }
            }
            Event::Encoding {
                index,
                name,
                frame,
                out_time_s,
                duration_s,
                speed,
                eta_s,
                finished,
            } => {
                let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
                if finished {
                    if let Some(bar) = files.remove(&index) {
                        bar.finish_and_clear();
                    }
                    return;
                }
                let bar = files.entry(index).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new(1000));
                    bar.set_style(
                        ProgressStyle::with_template("file  [{bar:30}] {percent:>3}% {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar
                });
                if let Some(d) = duration_s.filter(|d| *d > 0.0) {
                    bar.set_position(((out_time_s / d).clamp(0.0, 1.0) * 1000.0) as u64);
                }
                let eta = eta_s.map(|s| format!(" eta {s:.0} s")).unwrap_or_default();
                bar.set_message(format!("{name}  frame {frame}  {speed:.2}x{eta}"));
            }
            Event::StageStarted {
                stage: Stage::Cleaning,
                ..
            } => {
                let bar = self.multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template(
                        "clean [{bar:30}] {bytes}/{total_bytes} {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                *self.clean.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
            }
            Event::Step {
                stage: Stage::Cleaning,
                done,
                total,
                ..
            } => {
                if let Some(bar) = self
                    .clean
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                {
                    bar.set_length(total.unwrap_or(0));
                    bar.set_position(done);
                }
            }
            Event::StageFinished {
                stage: Stage::Cleaning,
            } => {
                if let Some(bar) = self.clean.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    bar.finish_and_clear();
                }
            }
            Event::Warning { warning } => self.line(&warning),
            _ => {}
        }
    }
}

/// Runs `saebaram convert`.
pub fn run(args: ConvertArgs, env: &Env) -> anyhow::Result<Status> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let request = ConvertRequest {
        inputs: args.inputs.clone(),
        out: args.out.clone(),
        profile: args.profile.clone(),
        jobs: Some(args.jobs.unwrap_or((cpus / 2).max(1))),
        threads: args.threads,
        subtitles: match args.subtitles {
            SubtitlesArg::Burn => SubtitleMode::Burn,
            SubtitlesArg::Soft => SubtitleMode::Soft,
            SubtitlesArg::None => SubtitleMode::None,
        },
        subtitle_lang: args.subtitle_lang.clone(),
        ffmpeg: args.ffmpeg.clone(),
        font_dirs: if args.font_dir.is_empty() {
            DEFAULT_FONT_DIRS.iter().map(PathBuf::from).collect()
        } else {
            args.font_dir.clone()
        },
        work: args.work.clone(),
        catalog: !args.no_catalog,
        ascii_names: args.ascii_names,
    };
    crate::interrupt::catch();
    let report = match saebaram_jobs::convert::run(request, env, &Bars::new()) {
        Err(e) if e.kind() == saebaram_jobs::ErrorKind::Cancelled => {
            eprintln!(
                "중단했습니다: 끝난 파일은 남아 있고, 같은 명령을 다시 실행하면 이어서 변환합니다.\ninterrupted: finished files are kept; run the same command again to continue."
            );
            return Ok(Status::Interrupted(crate::interrupt::EXIT));
        }
        r => r?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_human(&report);
    }
    Ok(if report.all_done() {
        Status::Done
    } else {
        Status::Negative
    })
}

fn print_human(report: &ConvertReport) {
    for f in &report.files {
        let outs = f.outputs.join(", ");
        match f.status {
            ConvertStatus::Converted => println!("converted  {} -> {outs}", f.input),
            ConvertStatus::Kept => {
                println!("kept       {} -> {outs} (done by an earlier run)", f.input)
            }
            ConvertStatus::Passed => println!("as is      {}", f.input),
            ConvertStatus::Subtitle => println!("subtitle   {} (used for its video)", f.input),
            ConvertStatus::Failed => println!(
                "FAILED     {}: {} / {}",
                f.input,
                korean_error(f.error_code.as_deref().unwrap_or("")),
                f.error.as_deref().unwrap_or("?")
            ),
        }
    }
    for (path, reason) in &report.blocked {
        println!("BLOCKED    {path}: {reason} (not in the output)");
    }
    let s = &report.summary;
    println!(
        "\n{} files with profile {}: {} converted, {} kept from an earlier run, {} failed, {} other files cleaned ({} blocked).",
        s.files,
        report.profile,
        s.converted,
        s.kept,
        s.failed,
        s.passed,
        report.blocked.len()
    );
    if report.manifest_written {
        println!("Wrote {} (ready for `saebaram pack`).", report.out);
    } else {
        println!(
            "Some files were blocked: no clean manifest was written in {}.",
            report.out
        );
    }
}
