//! The ffmpeg command line for one conversion, as a pure function of the profile, what the
//! input holds and the choices made (subtitles, parts): the picture's size and padding, the
//! frame-rate cap, the stereo mix, the burned-in subtitles, the FAT32 split, and every flag
//! that keeps encoder and muxer names, metadata and times out of the output.

use std::path::Path;

use serde::Serialize;

use crate::probe::{MediaInfo, Rate};
use crate::profile::{Container, Frame, Profile, Video};

/// The picture: scaled to `width` x `height`, padded (centred, black) to `pad_width` x
/// `pad_height`, shown with pixel aspect `sar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Geometry {
    /// Scaled picture width.
    pub width: u32,
    /// Scaled picture height.
    pub height: u32,
    /// Frame width after padding.
    pub pad_width: u32,
    /// Frame height after padding.
    pub pad_height: u32,
    /// Pixel aspect ratio of the frame.
    pub sar: (u32, u32),
    /// Display aspect written in the stream header (DVD only).
    pub dar: Option<(u32, u32)>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

fn even_floor(x: f64) -> u32 {
    ((x.floor() as u32) / 2 * 2).max(2)
}

fn even_round(x: f64) -> u32 {
    (((x / 2.0).round() as u32) * 2).max(2)
}

fn align_up(x: u32, a: u32) -> u32 {
    x.div_ceil(a) * a
}

/// Whether a DVD output of this source is PAL (25 fps) rather than NTSC (29.97 fps).
pub fn dvd_is_pal(rate: Option<Rate>) -> bool {
    rate.is_some_and(|r| {
        let f = r.fps();
        (f - 25.0).abs() < 0.5 || (f - 50.0).abs() < 0.5
    })
}

/// The picture geometry for a source of display aspect `aspect` (width/height as shown)
/// stored as `src_w` x `src_h`.
pub fn geometry(v: &Video, src_w: u32, src_h: u32, aspect: f64, rate: Option<Rate>) -> Geometry {
    let aspect = if aspect.is_finite() && aspect > 0.01 {
        aspect
    } else {
        4.0 / 3.0
    };
    match v.frame {
        Frame::Fit => {
            // Display size in square pixels (the stored height kept), then scaled down
            // (never up) to fit.
            let _ = src_w;
            let disp_h = f64::from(src_h);
            let disp_w = disp_h * aspect;
            let s = (f64::from(v.max_width) / disp_w)
                .min(f64::from(v.max_height) / disp_h)
                .min(1.0);
            let width = even_floor(disp_w * s).min(v.max_width);
            let height = even_floor(disp_h * s).min(v.max_height);
            Geometry {
                width,
                height,
                pad_width: align_up(width, v.align),
                pad_height: align_up(height, v.align),
                sar: (1, 1),
                dar: None,
            }
        }
        Frame::Dvd => {
            let (w, h) = if dvd_is_pal(rate) {
                (720u32, 576u32)
            } else {
                (720, 480)
            };
            let dar = if aspect >= (4.0 / 3.0 + 16.0 / 9.0) / 2.0 {
                (16u32, 9u32)
            } else {
                (4, 3)
            };
            let (pn, pd) = (u64::from(dar.0 * h), u64::from(dar.1 * w));
            let g = gcd(pn, pd);
            let sar = ((pn / g) as u32, (pd / g) as u32);
            let par = f64::from(sar.0) / f64::from(sar.1);
            let target = f64::from(w) * par / f64::from(h);
            let (width, height) = if aspect >= target {
                (w, even_round(f64::from(w) * par / aspect).min(h))
            } else {
                (even_round(f64::from(h) * aspect / par).min(w), h)
            };
            Geometry {
                width,
                height,
                pad_width: w,
                pad_height: h,
                sar,
                dar: Some(dar),
            }
        }
    }
}

/// The output frame rate: the source's, divided by the smallest whole number that brings it
/// to `max_fps` or under (60 -> 30, 50 -> 25, 120 -> 30); DVD outputs use 25 or 30000/1001.
pub fn output_rate(v: &Video, rate: Option<Rate>) -> Rate {
    if v.frame == Frame::Dvd {
        return if dvd_is_pal(rate) {
            Rate { num: 25, den: 1 }
        } else {
            Rate {
                num: 30000,
                den: 1001,
            }
        };
    }
    let r = rate.unwrap_or(Rate { num: 25, den: 1 });
    let n = (r.fps() / v.max_fps - 1e-9).ceil().max(1.0) as u64;
    let (num, den) = (u64::from(r.num), u64::from(r.den) * n);
    let g = gcd(num, den);
    Rate {
        num: (num / g) as u32,
        den: u32::try_from(den / g).unwrap_or(u32::MAX),
    }
}

/// The peak bytes per second of an output of this profile (video peak rate, audio and 5 %
/// for the container), which bounds its size.
pub fn peak_bytes_per_s(profile: &Profile) -> f64 {
    let kbps =
        profile.video.as_ref().map_or(0, |v| v.max_bitrate_kbps) + profile.audio.bitrate_kbps;
    f64::from(kbps) * 1000.0 / 8.0 * 1.05
}

/// Seconds per part when an output of `duration_s` could exceed the profile's largest file
/// (unknown durations are split too); `None` when it fits whole. Parts aim at 90 % of the
/// limit at the peak rate; the real sizes are checked after encoding.
pub fn split_seconds(profile: &Profile, duration_s: Option<f64>) -> Option<f64> {
    let rate = peak_bytes_per_s(profile);
    let max = profile.max_file_bytes() as f64;
    match duration_s {
        Some(d) if d * rate <= max * 0.9 => None,
        _ => Some((max * 0.9 / rate).floor().max(1.0)),
    }
}

/// Subtitles to burn in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Burn {
    /// A UTF-8 text subtitle file in the working folder, drawn with the Korean font.
    Text {
        /// Its file name in the working folder (plain ASCII: `subtitle.srt`...).
        file: String,
        /// Whether it is ASS/SSA (then only the font is forced, its own sizes kept).
        ass: bool,
        /// A folder in the working folder holding the font (`fonts`).
        fonts_dir: String,
        /// The font's family name (`NanumGothic`).
        font_family: String,
    },
    /// A bitmap subtitle stream of the input (PGS, VobSub, DVB), overlaid on the source
    /// picture before it is scaled, its canvas scaled to the source's size first.
    Image {
        /// Index among the input's subtitle streams (`0:s:N`).
        sub_index: u32,
    },
}

/// Where the output goes, relative to the working folder.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One file.
    Single(String),
    /// Parts cut at keyframes every `seconds`, named by the pattern (`part-%03d.avi`,
    /// numbered from 1).
    Parts {
        /// The file-name pattern.
        pattern: String,
        /// Seconds per part.
        seconds: f64,
    },
}

/// One conversion to describe.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// The profile (for an audio-only input, an audio profile).
    pub profile: &'a Profile,
    /// What the input holds.
    pub info: &'a MediaInfo,
    /// The input (absolute; given to ffmpeg as `file:` so no name is read as a protocol).
    pub input: &'a Path,
    /// Subtitles to burn in.
    pub burn: Option<Burn>,
    /// Output.
    pub target: Target,
    /// ffmpeg threads (`None`: ffmpeg's own choice).
    pub threads: Option<u32>,
    /// Which pass of a two-pass encode this is (`None`: one pass). Pass 1 writes only the
    /// pass log (no audio, no output file); both use [`PASS_LOG`] in the working folder.
    pub pass: Option<u32>,
}

/// The pass log's prefix, relative to the working folder (ffmpeg adds `-0.log`).
pub const PASS_LOG: &str = "passlog";

fn push(args: &mut Vec<String>, items: &[&str]) {
    args.extend(items.iter().map(|s| (*s).to_owned()));
}

/// Escapes a value for a filter option inside single quotes.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The video filter chain.
pub fn video_filter(v: &Video, info: &MediaInfo, burn: Option<&Burn>) -> Option<String> {
    let src = info.video.as_ref()?;
    let (w, h) = if src.rotation.rem_euclid(180) == 90 {
        (src.height, src.width)
    } else {
        (src.width, src.height)
    };
    let g = geometry(v, w, h, src.display_aspect(), src.rate);
    let r = output_rate(v, src.rate);
    let mut f = vec![
        format!("fps={}/{}", r.num, r.den),
        format!("scale={}:{}", g.width, g.height),
        format!(
            "pad={}:{}:(ow-iw)/2:(oh-ih)/2:black",
            g.pad_width, g.pad_height
        ),
        format!("setsar={}/{}", g.sar.0, g.sar.1),
    ];
    if let Some(Burn::Text {
        file,
        ass,
        fonts_dir,
        font_family,
    }) = burn
    {
        let style = if *ass {
            format!("FontName={font_family}")
        } else {
            format!("FontName={font_family},FontSize=20,Outline=1.5,Shadow=0.5,MarginV=14")
        };
        f.push(format!(
            "subtitles=filename={}:fontsdir={}:charenc=UTF-8:force_style={}",
            quoted(file),
            quoted(fonts_dir),
            quoted(&style)
        ));
    }
    f.push("format=yuv420p".into());
    Some(f.join(","))
}

/// The whole argument list after `ffmpeg` (run in the working folder).
pub fn build(spec: &Spec<'_>) -> Vec<String> {
    let p = spec.profile;
    let info = spec.info;
    let mut a = Vec::new();
    push(
        &mut a,
        &[
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-loglevel",
            "error",
            "-progress",
            "pipe:1",
            "-y",
        ],
    );
    if let Some(t) = spec.threads {
        push(&mut a, &["-threads", &t.to_string()]);
    }
    a.push("-i".into());
    a.push(format!("file:{}", spec.input.display()));

    let video = p.video.as_ref().filter(|_| info.video.is_some());
    if let (Some(v), Some(src)) = (video, info.video.as_ref()) {
        let filter = video_filter(v, info, spec.burn.as_ref()).unwrap_or_default();
        if let Some(Burn::Image { sub_index }) = spec.burn {
            // The subtitle pictures (ffmpeg's sub2video: transparent between cues) are
            // scaled to the source's coded size and laid over it, then the picture goes
            // through the same chain as without them.
            let (w, h) = if src.rotation.rem_euclid(180) == 90 {
                (src.height, src.width)
            } else {
                (src.width, src.height)
            };
            let graph = format!(
                "[0:s:{sub_index}]scale={w}:{h}[sub];[0:{}][sub]overlay=eof_action=pass,{filter}[v]",
                src.index
            );
            push(&mut a, &["-filter_complex", &graph, "-map", "[v]"]);
        } else {
            push(&mut a, &["-map", &format!("0:{}", src.index)]);
            push(&mut a, &["-vf", &filter]);
        }
        push(&mut a, &["-c:v", &v.codec]);
        match v.codec.as_str() {
            "mpeg4" => {
                let prof = if v.profile.as_deref() == Some("simple") {
                    "0"
                } else {
                    "15"
                };
                push(&mut a, &["-profile:v", prof]);
            }
            "libx264" => {
                if let Some(prof) = &v.profile {
                    push(&mut a, &["-profile:v", prof]);
                }
                if let Some(level) = &v.level {
                    push(&mut a, &["-level:v", level]);
                }
                if let Some(preset) = &v.preset {
                    push(&mut a, &["-preset", preset]);
                }
                // x264 writes its version and every option into an SEI message of the first
                // frame: drop SEI NAL units (type 6) from the stream.
                push(&mut a, &["-bsf:v", "filter_units=remove_types=6"]);
            }
            _ => {}
        }
        // Encoder threads: MPEG-4 Part 2 gets one (more threads mean several slices per
        // frame, resync markers that the most conservative players may not expect, and
        // bytes that depend on the machine's core count); the others the `--threads` given.
        let encoder_threads = if v.codec == "mpeg4" {
            Some(1)
        } else {
            spec.threads
        };
        if let Some(t) = encoder_threads {
            push(&mut a, &["-threads:v", &t.to_string()]);
        }
        if let Some(b) = v.bitrate_kbps {
            push(&mut a, &["-b:v", &format!("{b}k")]);
        }
        if let Some(crf) = v.crf {
            push(&mut a, &["-crf", &crf.to_string()]);
        }
        let gop = if v.frame == Frame::Dvd {
            let cap = if dvd_is_pal(info.video.as_ref().and_then(|s| s.rate)) {
                15
            } else {
                18
            };
            v.gop.min(cap)
        } else {
            v.gop
        };
        push(
            &mut a,
            &[
                "-maxrate",
                &format!("{}k", v.max_bitrate_kbps),
                "-bufsize",
                &format!(
                    "{}k",
                    if v.frame == Frame::Dvd {
                        1835
                    } else {
                        v.max_bitrate_kbps * 2
                    }
                ),
                "-bf",
                &v.bframes.to_string(),
                "-g",
                &gop.to_string(),
            ],
        );
        if let Some(fourcc) = &v.fourcc {
            push(&mut a, &["-vtag", fourcc]);
        }
        if let Some(pass) = spec.pass {
            push(
                &mut a,
                &["-pass", &pass.to_string(), "-passlogfile", PASS_LOG],
            );
        }
        if let Some(Frame::Dvd) = Some(v.frame) {
            let src = info.video.as_ref();
            let g = src.map(|s| {
                let (w, h) = if s.rotation.rem_euclid(180) == 90 {
                    (s.height, s.width)
                } else {
                    (s.width, s.height)
                };
                geometry(v, w, h, s.display_aspect(), s.rate)
            });
            if let Some((n, d)) = g.and_then(|g| g.dar) {
                push(&mut a, &["-aspect", &format!("{n}:{d}")]);
            }
        }
    } else {
        a.push("-vn".into());
    }

    if spec.pass == Some(1) {
        // The first pass only measures the picture.
        a.push("-an".into());
    } else if let Some(audio) = info.main_audio() {
        let au = &p.audio;
        let rate = if au.sample_rates.contains(&audio.sample_rate) {
            audio.sample_rate
        } else {
            au.sample_rates[0]
        };
        push(
            &mut a,
            &[
                "-map",
                &format!("0:{}", audio.index),
                "-c:a",
                &au.codec,
                "-b:a",
                &format!("{}k", au.bitrate_kbps),
                "-ac",
                &au.channels.to_string(),
                "-ar",
                &rate.to_string(),
            ],
        );
    } else {
        a.push("-an".into());
    }

    // No metadata, chapters, subtitle or data streams; no encoder or muxer names.
    push(
        &mut a,
        &[
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            // ffmpeg names the encoder ("Lavc libx264") in each stream's metadata, which the
            // MP4 muxer writes as the compressor name: a blank value replaces it.
            "-metadata:s",
            "encoder= ",
        ],
    );
    let container = if video.is_some() {
        p.container
    } else {
        Container::Mp3
    };
    let muxer_options: Vec<(&str, &str)> = match container {
        Container::Mp4 => vec![("movflags", "+faststart")],
        Container::Dvd => vec![("muxrate", "10080000"), ("packetsize", "2048")],
        Container::Mp3 => vec![("id3v2_version", "0"), ("write_xing", "0")],
        Container::Avi => vec![],
    };
    if spec.pass == Some(1) {
        // Same frames as the real pass (forced keyframes of the parts included), no file.
        if let Target::Parts { seconds, .. } = &spec.target {
            let t = format!("{seconds:.3}");
            push(
                &mut a,
                &["-force_key_frames", &format!("expr:gte(t,n_forced*{t})")],
            );
        }
        push(&mut a, &["-f", "null", "-"]);
        return a;
    }
    match &spec.target {
        Target::Single(name) => {
            push(&mut a, &["-f", container.muxer()]);
            for (k, v) in &muxer_options {
                push(&mut a, &[&format!("-{k}"), v]);
            }
            a.push(format!("file:{name}"));
        }
        Target::Parts { pattern, seconds } => {
            let t = format!("{seconds:.3}");
            push(
                &mut a,
                &[
                    "-force_key_frames",
                    &format!("expr:gte(t,n_forced*{t})"),
                    "-f",
                    "segment",
                    "-segment_format",
                    container.muxer(),
                    "-segment_time",
                    &t,
                    "-segment_start_number",
                    "1",
                    "-reset_timestamps",
                    "1",
                ],
            );
            if !muxer_options.is_empty() {
                let opts: Vec<String> = muxer_options
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                push(&mut a, &["-segment_format_options", &opts.join(":")]);
            }
            a.push(format!("file:{pattern}"));
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{AudioStream, VideoStream};

    fn info(w: u32, h: u32, sar: (u32, u32), fps: (u32, u32), channels: u32) -> MediaInfo {
        MediaInfo {
            format: "mov".into(),
            duration_s: Some(10.0),
            video: Some(VideoStream {
                index: 0,
                codec: "h264".into(),
                width: w,
                height: h,
                sar,
                rate: Some(Rate {
                    num: fps.0,
                    den: fps.1,
                }),
                rotation: 0,
            }),
            audio: vec![AudioStream {
                index: 1,
                codec: "aac".into(),
                channels,
                sample_rate: 96000,
                language: None,
            }],
            subtitles: vec![],
        }
    }

    fn notel() -> Profile {
        Profile::builtin("notel").unwrap()
    }

    #[test]
    fn a_1080p_film_fits_720_wide_letterboxed_never_stretched() {
        let p = notel();
        let v = p.video.as_ref().unwrap();
        let g = geometry(v, 1920, 1080, 16.0 / 9.0, None);
        assert_eq!((g.width, g.height), (720, 404));
        assert_eq!((g.pad_width, g.pad_height), (720, 416));
        let shown = f64::from(g.width) / f64::from(g.height);
        assert!((shown - 16.0 / 9.0).abs() < 0.01);
        // A 4:3 SD film is not enlarged; anamorphic 1440x1080 is shown 16:9.
        let g = geometry(v, 640, 480, 4.0 / 3.0, None);
        assert_eq!(
            (g.width, g.height, g.pad_width, g.pad_height),
            (640, 480, 640, 480)
        );
        let g = geometry(v, 1440, 1080, 1440.0 * 4.0 / 3.0 / 1080.0, None);
        assert_eq!((g.width, g.height), (720, 404));
        // A tall phone video is pillarboxed inside 720x576.
        let g = geometry(v, 1080, 1920, 1080.0 / 1920.0, None);
        assert_eq!((g.width, g.height), (324, 576));
        assert_eq!(g.pad_width % 16, 0);
    }

    #[test]
    fn dvd_frames_are_fixed_with_the_pixel_aspect_of_their_standard() {
        let p = Profile::builtin("dvd").unwrap();
        let v = p.video.as_ref().unwrap();
        let pal = Some(Rate { num: 25, den: 1 });
        let g = geometry(v, 1920, 1080, 16.0 / 9.0, pal);
        assert_eq!(
            (g.pad_width, g.pad_height, g.sar, g.dar),
            (720, 576, (64, 45), Some((16, 9)))
        );
        assert_eq!((g.width, g.height), (720, 576));
        let ntsc = Some(Rate {
            num: 24000,
            den: 1001,
        });
        let g = geometry(v, 640, 480, 4.0 / 3.0, ntsc);
        assert_eq!(
            (g.pad_width, g.pad_height, g.sar, g.dar),
            (720, 480, (8, 9), Some((4, 3)))
        );
        // 2.39:1 scope in a 16:9 NTSC frame: letterboxed.
        let g = geometry(v, 1920, 804, 1920.0 / 804.0, ntsc);
        assert_eq!(g.width, 720);
        assert!(g.height < 480);
        let shown = f64::from(g.width) * 32.0 / 27.0 / f64::from(g.height);
        assert!((shown - 1920.0 / 804.0).abs() < 0.02, "{shown}");
        assert_eq!(
            output_rate(v, ntsc),
            Rate {
                num: 30000,
                den: 1001
            }
        );
    }

    #[test]
    fn frame_rates_are_capped_by_whole_divisions() {
        let p = notel();
        let v = p.video.as_ref().unwrap();
        let r = |n, d| output_rate(v, Some(Rate { num: n, den: d }));
        assert_eq!(r(60, 1), Rate { num: 30, den: 1 });
        assert_eq!(r(50, 1), Rate { num: 25, den: 1 });
        assert_eq!(
            r(60000, 1001),
            Rate {
                num: 30000,
                den: 1001
            }
        );
        assert_eq!(
            r(24000, 1001),
            Rate {
                num: 24000,
                den: 1001
            }
        );
        assert_eq!(r(30, 1), Rate { num: 30, den: 1 });
        assert_eq!(r(120, 1), Rate { num: 30, den: 1 });
        assert_eq!(output_rate(v, None), Rate { num: 25, den: 1 });
    }

    #[test]
    fn long_outputs_are_split_under_the_fat32_limit() {
        let p = notel();
        assert_eq!(split_seconds(&p, Some(2.0 * 3600.0)), None);
        let s = split_seconds(&p, Some(4.0 * 3600.0)).unwrap();
        assert!(s * peak_bytes_per_s(&p) <= p.max_file_bytes() as f64 * 0.9);
        assert!(s > 3.0 * 3600.0 - 1.0 - 1e-9 || s > 2.0 * 3600.0);
        assert!(split_seconds(&p, None).is_some());
    }

    #[test]
    fn two_passes_measure_without_audio_or_output_then_encode_with_the_log() {
        let p = notel();
        assert_eq!(p.video.as_ref().unwrap().passes, 2);
        let i = info(1920, 1080, (1, 1), (60, 1), 6);
        let spec = |pass, target| Spec {
            profile: &p,
            info: &i,
            input: Path::new("/films/a.mp4"),
            burn: None,
            target,
            threads: Some(1),
            pass,
        };
        let first = build(&spec(Some(1), Target::Single("out.avi".into()))).join(" ");
        assert!(first.contains("-pass 1 -passlogfile passlog"), "{first}");
        assert!(first.contains("-an") && !first.contains("-c:a"), "{first}");
        assert!(
            first.ends_with("-f null -") && !first.contains("out.avi"),
            "{first}"
        );
        let second = build(&spec(Some(2), Target::Single("out.avi".into()))).join(" ");
        assert!(second.contains("-pass 2 -passlogfile passlog"), "{second}");
        assert!(second.contains("-c:a libshine") && second.ends_with("file:out.avi"));
        // Parts: the first pass forces the same keyframes as the second.
        let parts = Target::Parts {
            pattern: "part-%03d.avi".into(),
            seconds: 60.0,
        };
        let first = build(&spec(Some(1), parts.clone())).join(" ");
        let second = build(&spec(Some(2), parts)).join(" ");
        let keys = "-force_key_frames expr:gte(t,n_forced*60.000)";
        assert!(first.contains(keys) && second.contains(keys), "{first}");
        // One pass: no pass options at all.
        let one = build(&spec(None, Target::Single("out.avi".into()))).join(" ");
        assert!(!one.contains("-pass"), "{one}");
    }

    #[test]
    fn the_command_drops_metadata_and_names_mixes_to_stereo() {
        let p = notel();
        let i = info(1920, 1080, (1, 1), (60, 1), 6);
        let args = build(&Spec {
            profile: &p,
            info: &i,
            input: Path::new("/films/a film.mp4"),
            burn: None,
            target: Target::Single("out.avi".into()),
            threads: Some(2),
            pass: None,
        });
        let s = args.join(" ");
        for needle in [
            "-map_metadata -1",
            "-map_chapters -1",
            "-fflags +bitexact",
            "-flags:v +bitexact",
            "-flags:a +bitexact",
            "-c:v mpeg4 -profile:v 15 -threads:v 1",
            "-bf 0",
            "-vtag XVID",
            "-ac 2 -ar 48000",
            "-c:a libshine",
            "-f avi file:out.avi",
            "fps=30/1,scale=720:404,pad=720:416",
        ] {
            assert!(s.contains(needle), "{needle:?} missing from {s}");
        }
        assert!(args.contains(&"file:/films/a film.mp4".to_owned()));
        let pc = Profile::builtin("pc").unwrap();
        let s = build(&Spec {
            profile: &pc,
            info: &i,
            input: Path::new("/a.mp4"),
            burn: None,
            target: Target::Single("out.mp4".into()),
            threads: None,
            pass: None,
        })
        .join(" ");
        assert!(s.contains("filter_units=remove_types=6") && s.contains("-movflags +faststart"));
        assert!(s.contains("-profile:v main -level:v 4.0"));
    }

    #[test]
    fn subtitle_pictures_are_laid_over_the_source_before_it_is_scaled() {
        let p = Profile::builtin("notel").unwrap();
        let i = info(1920, 1080, (1, 1), (24, 1), 2);
        let s = build(&Spec {
            profile: &p,
            info: &i,
            input: Path::new("/films/a.mkv"),
            burn: Some(Burn::Image { sub_index: 1 }),
            target: Target::Single("out.avi".into()),
            threads: None,
            pass: None,
        });
        let at = s.iter().position(|a| a == "-filter_complex").unwrap();
        let graph = &s[at + 1];
        assert!(
            graph.starts_with("[0:s:1]scale=1920:1080[sub];[0:0][sub]overlay=eof_action=pass,fps="),
            "{graph}"
        );
        assert!(graph.ends_with("format=yuv420p[v]"), "{graph}");
        assert_eq!(s[at + 2..at + 4], ["-map", "[v]"]);
        assert!(!s.iter().any(|a| a == "-vf"), "{s:?}");
    }

    #[test]
    fn subtitles_are_burned_with_the_korean_font_and_parts_are_cut_at_keyframes() {
        let p = notel();
        let i = info(1280, 720, (1, 1), (25, 1), 2);
        let burn = Burn::Text {
            file: "subtitle.srt".into(),
            ass: false,
            fonts_dir: "fonts".into(),
            font_family: "NanumGothic".into(),
        };
        let f = video_filter(p.video.as_ref().unwrap(), &i, Some(&burn)).unwrap();
        assert!(
            f.contains("subtitles=filename='subtitle.srt':fontsdir='fonts':charenc=UTF-8:force_style='FontName=NanumGothic,"),
            "{f}"
        );
        assert!(f.ends_with("format=yuv420p"));
        let s = build(&Spec {
            profile: &p,
            info: &i,
            input: Path::new("/a.mkv"),
            burn: None,
            target: Target::Parts {
                pattern: "part-%03d.avi".into(),
                seconds: 600.0,
            },
            threads: None,
            pass: None,
        })
        .join(" ");
        assert!(s.contains("-force_key_frames expr:gte(t,n_forced*600.000) -f segment -segment_format avi -segment_time 600.000"), "{s}");
        // An audio-only input becomes MP3 without ID3 or Xing/LAME headers.
        let mut a = i.clone();
        a.video = None;
        let s = build(&Spec {
            profile: &Profile::builtin("audio").unwrap(),
            info: &a,
            input: Path::new("/a.flac"),
            burn: None,
            target: Target::Single("out.mp3".into()),
            threads: None,
            pass: None,
        })
        .join(" ");
        assert!(
            s.contains("-vn") && s.contains("-id3v2_version 0 -write_xing 0"),
            "{s}"
        );
    }
}
