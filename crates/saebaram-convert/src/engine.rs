//! Running ffmpeg and ffprobe: checking the build, probing inputs, encoding with progress
//! read from `-progress pipe:1` (never from the human log) and cancellation that kills the
//! encoder.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::Error;
use crate::probe::MediaInfo;

/// A command for ffmpeg or ffprobe in a process group of its own, so a Ctrl-C at the
/// terminal (sent to the whole foreground group) reaches only saebaram, which decides:
/// it kills the encoder through the cancellation flag and removes what it wrote. Left to
/// itself, ffmpeg would finish the file on SIGINT and exit as if the encode had failed.
/// An orphan cannot outlive a killed saebaram for long: its progress pipe breaks.
fn command(program: &Path) -> Command {
    let mut c = Command::new(program);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    c
}

/// The ffmpeg and ffprobe programs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    /// ffmpeg (a path, or a name found on PATH).
    pub ffmpeg: PathBuf,
    /// ffprobe.
    pub ffprobe: PathBuf,
}

/// What the ffmpeg build is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineInfo {
    /// The `ffmpeg version ...` line of its banner.
    pub version: String,
    /// Encoder names it has.
    #[serde(skip)]
    pub encoders: Vec<String>,
}

/// One progress block of ffmpeg's `-progress` output.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EncodeProgress {
    /// Frames written.
    pub frame: u64,
    /// Encoding frames per second.
    pub fps: f64,
    /// Output time reached, seconds.
    pub out_time_s: f64,
    /// Speed relative to real time (2.0 = twice as fast).
    pub speed: f64,
    /// Output bytes so far.
    pub total_size: u64,
    /// The last block (`progress=end`).
    pub end: bool,
}

/// Feeds `-progress` lines (`key=value`); returns a finished block at each `progress=` line.
#[derive(Debug, Default)]
pub struct ProgressParser {
    current: EncodeProgress,
}

impl ProgressParser {
    /// One line of the output.
    pub fn line(&mut self, line: &str) -> Option<EncodeProgress> {
        let (key, value) = line.trim().split_once('=')?;
        let value = value.trim();
        match key {
            "frame" => self.current.frame = value.parse().unwrap_or(self.current.frame),
            "fps" => self.current.fps = value.parse().unwrap_or(0.0),
            // `out_time_us` is microseconds (so is `out_time_ms`, by an old mistake).
            "out_time_us" | "out_time_ms" => {
                if let Ok(us) = value.parse::<i64>() {
                    self.current.out_time_s = us.max(0) as f64 / 1e6;
                }
            }
            "total_size" => self.current.total_size = value.parse().unwrap_or(0),
            "speed" => {
                self.current.speed = value.trim_end_matches('x').trim().parse().unwrap_or(0.0)
            }
            "progress" => {
                self.current.end = value == "end";
                return Some(self.current);
            }
            _ => {}
        }
        None
    }
}

fn program_missing(path: &Path, e: std::io::Error) -> Error {
    Error::EngineMissing {
        program: path.display().to_string(),
        source: e,
    }
}

/// The last `max` bytes of a log, as text, trimmed.
fn tail(log: &[u8], max: usize) -> String {
    let start = log.len().saturating_sub(max);
    String::from_utf8_lossy(&log[start..]).trim().to_owned()
}

impl Engine {
    /// `ffmpeg` and `ffprobe` from PATH, or ffprobe beside a given ffmpeg.
    pub fn new(ffmpeg: Option<PathBuf>) -> Engine {
        match ffmpeg {
            Some(f) => {
                let probe = f
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(|p| p.join("ffprobe"))
                    .unwrap_or_else(|| PathBuf::from("ffprobe"));
                Engine {
                    ffmpeg: f,
                    ffprobe: probe,
                }
            }
            None => Engine {
                ffmpeg: "ffmpeg".into(),
                ffprobe: "ffprobe".into(),
            },
        }
    }

    /// Runs `ffmpeg -encoders` (its banner, on stderr, gives the version) and, at the same
    /// time, `ffprobe -version`: two program starts, overlapped, instead of three in a row
    /// (each start of a shared-library ffmpeg costs tens of milliseconds of CPU).
    pub fn info(&self) -> Result<EngineInfo, Error> {
        let (ffmpeg, ffprobe) = std::thread::scope(|s| {
            let probe = s.spawn(|| {
                Command::new(&self.ffprobe)
                    .arg("-version")
                    .stdin(Stdio::null())
                    .output()
            });
            let ffmpeg = Command::new(&self.ffmpeg)
                .arg("-encoders")
                .stdin(Stdio::null())
                .output();
            let ffprobe = probe
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("ffprobe check panicked")));
            (ffmpeg, ffprobe)
        });
        let out = ffmpeg.map_err(|e| program_missing(&self.ffmpeg, e))?;
        let version = String::from_utf8_lossy(&out.stderr)
            .lines()
            .find(|l| l.starts_with("ffmpeg version"))
            .unwrap_or("")
            .to_owned();
        if version.is_empty() || !out.status.success() {
            return Err(Error::EngineMissing {
                program: self.ffmpeg.display().to_string(),
                source: std::io::Error::other("`-encoders` did not answer like ffmpeg"),
            });
        }
        ffprobe.map_err(|e| program_missing(&self.ffprobe, e))?;
        Ok(EngineInfo {
            version,
            encoders: parse_encoders(&String::from_utf8_lossy(&out.stdout)),
        })
    }

    /// Probes one input.
    pub fn probe(&self, input: &Path, name: &str) -> Result<MediaInfo, Error> {
        let out = command(&self.ffprobe)
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
            ])
            .arg(format!("file:{}", input.display()))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| program_missing(&self.ffprobe, e))?;
        if !out.status.success() {
            let log = tail(&out.stderr, 400);
            return Err(Error::NotMedia {
                file: name.to_owned(),
                detail: if log.is_empty() {
                    "ffprobe cannot read it".into()
                } else {
                    // ffprobe names the path it was given; the user knows the file.
                    log.replace(&format!("file:{}: ", input.display()), "")
                },
            });
        }
        MediaInfo::from_ffprobe_json(name, &out.stdout)
    }

    /// Runs ffmpeg with `args` in the folder `cwd`, calling `on_progress` with each block of
    /// its `-progress pipe:1` output. `cancelled` is polled every 100 ms; when it says so
    /// ffmpeg is killed and [`Error::Cancelled`] returned. `name` names the input in errors.
    pub fn run(
        &self,
        args: &[String],
        cwd: &Path,
        name: &str,
        on_progress: &mut dyn FnMut(EncodeProgress),
        cancelled: &(dyn Fn() -> bool + Sync),
    ) -> Result<(), Error> {
        let mut child = command(&self.ffmpeg)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| program_missing(&self.ffmpeg, e))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let child = Mutex::new(child);
        // Wakes the watcher the moment ffmpeg has ended (a sleep-and-poll watcher added up
        // to 100 ms to every run, 0.1 s per pass of every file).
        let (ended, wait_end) = std::sync::mpsc::channel::<()>();
        let killed = AtomicBool::new(false);
        let (status, log) = std::thread::scope(|s| {
            let log = s.spawn(|| {
                let mut log = Vec::new();
                if let Some(mut e) = stderr {
                    let _ = e.read_to_end(&mut log);
                }
                log
            });
            let (child, killed) = (&child, &killed);
            s.spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    wait_end.recv_timeout(Duration::from_millis(100))
                {
                    if cancelled() {
                        killed.store(true, Ordering::Release);
                        if let Ok(mut c) = child.lock() {
                            let _ = c.kill();
                        }
                        break;
                    }
                }
            });
            let mut parser = ProgressParser::default();
            if let Some(out) = stdout {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if let Some(p) = parser.line(&line) {
                        on_progress(p);
                    }
                }
            }
            let status = child.lock().map(|mut c| c.wait());
            let _ = ended.send(());
            (status, log.join().unwrap_or_default())
        });
        // A failure while a cancel was asked for is the cancel (ffmpeg killed from outside).
        let failed = !matches!(&status, Ok(Ok(s)) if s.success());
        if killed.load(Ordering::Acquire) || (failed && cancelled()) {
            return Err(Error::Cancelled);
        }
        let status = match status {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(program_missing(&self.ffmpeg, e)),
            Err(_) => {
                return Err(program_missing(
                    &self.ffmpeg,
                    std::io::Error::other("poisoned"),
                ));
            }
        };
        if status.success() {
            Ok(())
        } else {
            let detail = tail(&log, 600);
            Err(Error::Encode {
                file: name.to_owned(),
                code: status.code(),
                detail: if detail.is_empty() {
                    "no message (killed?)".into()
                } else {
                    detail
                },
            })
        }
    }
}

/// Encoder names from `ffmpeg -encoders` (lines like ` V....D mpeg4   MPEG-4 part 2`).
pub fn parse_encoders(text: &str) -> Vec<String> {
    let mut after_legend = false;
    let mut v = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("------") {
            after_legend = true;
            continue;
        }
        if !after_legend {
            continue;
        }
        let mut parts = line.split_whitespace();
        if let (Some(flags), Some(name)) = (parts.next(), parts.next())
            && flags.len() == 6
        {
            v.push(name.to_owned());
        }
    }
    v
}

/// Debian/Ubuntu package that provides an encoder, for the "how to install" hint.
pub fn install_hint(encoder: &str) -> &'static str {
    match encoder {
        "libx264" | "libshine" | "libmp3lame" => {
            "the distribution's full ffmpeg build has it (Debian/Ubuntu: apt install ffmpeg; a \"minimal\" or \"LGPL\" build lacks it)"
        }
        _ => "apt install ffmpeg (Debian/Ubuntu), or an ffmpeg build with this encoder",
    }
}

/// The Korean fonts (SIL Open Font License, from distribution packages) looked for, with
/// their family names, best first.
pub const KOREAN_FONTS: &[(&str, &str)] = &[
    ("NanumGothic.ttf", "NanumGothic"),
    ("NanumBarunGothic.ttf", "NanumBarunGothic"),
    ("NotoSansCJK-Regular.ttc", "Noto Sans CJK KR"),
    ("NotoSansKR-Regular.otf", "Noto Sans KR"),
];

/// Finds a Korean font under `dirs` (searched three levels deep): its path and family.
pub fn find_korean_font(dirs: &[PathBuf]) -> Option<(PathBuf, &'static str)> {
    fn walk(dir: &Path, depth: u32, found: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() && depth > 0 => walk(&p, depth - 1, found),
                Ok(t) if t.is_file() || t.is_symlink() => found.push(p),
                _ => {}
            }
        }
    }
    let mut files = Vec::new();
    for d in dirs {
        walk(d, 3, &mut files);
    }
    KOREAN_FONTS.iter().find_map(|(file, family)| {
        files
            .iter()
            .find(|p| p.file_name().and_then(|n| n.to_str()) == Some(*file))
            .map(|p| (p.clone(), *family))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_blocks_are_parsed() {
        let text = "frame=120\nfps=59.5\nstream_0_0_q=3.0\nbitrate=1500.1kbits/s\ntotal_size=401234\nout_time_us=4000000\nout_time=00:00:04.000000\ndup_frames=0\ndrop_frames=0\nspeed=1.98x\nprogress=continue\nframe=150\nout_time_us=5000000\nspeed=N/A\nprogress=end\n";
        let mut p = ProgressParser::default();
        let blocks: Vec<_> = text.lines().filter_map(|l| p.line(l)).collect();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].frame, 120);
        assert_eq!(blocks[0].out_time_s, 4.0);
        assert!((blocks[0].speed - 1.98).abs() < 1e-9);
        assert_eq!(blocks[0].total_size, 401_234);
        assert!(!blocks[0].end && blocks[1].end);
        assert_eq!(blocks[1].speed, 0.0);
    }

    #[test]
    fn encoders_are_listed_after_the_legend() {
        let text = "Encoders:\n V..... = Video\n A..... = Audio\n ------\n V....D mpeg4                MPEG-4 part 2\n A....D libshine             libshine MP3\n";
        assert_eq!(parse_encoders(text), ["mpeg4", "libshine"]);
    }

    #[test]
    fn a_missing_program_is_named() {
        let e = Engine::new(Some("/nonexistent/ffmpeg".into()))
            .info()
            .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ffmpeg"), "{e}");
        assert!(e.to_string().contains("--ffmpeg"), "{e}");
    }
}
