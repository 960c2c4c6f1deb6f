//! What an input holds, from `ffprobe -print_format json -show_format -show_streams`.

use serde::{Deserialize, Serialize};

use crate::Error;

/// A frame rate as a fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// Numerator.
    pub num: u32,
    /// Denominator (never 0).
    pub den: u32,
}

impl Rate {
    /// Frames per second.
    pub fn fps(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    fn parse(s: &str) -> Option<Rate> {
        let (n, d) = s.split_once('/')?;
        let (num, den) = (n.parse().ok()?, d.parse().ok()?);
        (num > 0 && den > 0 && f64::from(num) / f64::from(den) <= 1000.0)
            .then_some(Rate { num, den })
    }
}

/// The video stream used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoStream {
    /// Index among all streams.
    pub index: u32,
    /// Codec name.
    pub codec: String,
    /// Stored width.
    pub width: u32,
    /// Stored height.
    pub height: u32,
    /// Sample (pixel) aspect ratio, 1:1 when unknown.
    pub sar: (u32, u32),
    /// Average frame rate (or the container's rate).
    pub rate: Option<Rate>,
    /// Rotation in degrees from the display matrix (phones), 0 when none.
    pub rotation: i32,
}

impl VideoStream {
    /// Display aspect ratio (width / height as shown), rotation applied.
    pub fn display_aspect(&self) -> f64 {
        let (w, h) = if self.rotation.rem_euclid(180) == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        };
        f64::from(w) * f64::from(self.sar.0) / (f64::from(h) * f64::from(self.sar.1))
    }
}

/// An audio stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioStream {
    /// Index among all streams.
    pub index: u32,
    /// Codec name.
    pub codec: String,
    /// Channels.
    pub channels: u32,
    /// Sample rate.
    pub sample_rate: u32,
    /// ISO 639 language tag, when tagged.
    pub language: Option<String>,
}

/// A subtitle stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubtitleStream {
    /// Index among subtitle streams (for `-map 0:s:N`).
    pub sub_index: u32,
    /// Codec name (`ass`, `subrip`, `hdmv_pgs_subtitle`...).
    pub codec: String,
    /// ISO 639 language tag, when tagged.
    pub language: Option<String>,
}

impl SubtitleStream {
    /// Whether ffmpeg can turn it into text (bitmap subtitles cannot be burned this way).
    pub fn is_text(&self) -> bool {
        matches!(
            self.codec.as_str(),
            "ass" | "ssa" | "subrip" | "srt" | "mov_text" | "webvtt" | "sami" | "text"
        )
    }

    /// Whether it is a bitmap subtitle (Blu-ray PGS, DVD VobSub, DVB, XSUB): burned by
    /// overlaying its pictures, not drawn from text.
    pub fn is_image(&self) -> bool {
        matches!(
            self.codec.as_str(),
            "hdmv_pgs_subtitle" | "dvd_subtitle" | "dvb_subtitle" | "xsub"
        )
    }
}

/// What an input holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaInfo {
    /// Container (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`...).
    pub format: String,
    /// Duration in seconds, when known.
    pub duration_s: Option<f64>,
    /// The first video stream that is not a cover picture.
    pub video: Option<VideoStream>,
    /// Audio streams.
    pub audio: Vec<AudioStream>,
    /// Subtitle streams.
    pub subtitles: Vec<SubtitleStream>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Deserialize)]
struct RawFormat {
    format_name: Option<String>,
    duration: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStream {
    index: u32,
    codec_type: String,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    sample_aspect_ratio: Option<String>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    channels: Option<u32>,
    sample_rate: Option<String>,
    duration: Option<String>,
    tags: std::collections::BTreeMap<String, String>,
    disposition: std::collections::BTreeMap<String, i64>,
    side_data_list: Vec<serde_json::Value>,
}

/// A stream's own length: ffprobe's `duration`, else Matroska's `DURATION` tag
/// (`00:01:30.500000000`).
fn stream_duration(s: &RawStream) -> Option<f64> {
    parse_f64(s.duration.as_ref()).or_else(|| {
        let tag = s.tags.get("DURATION").or_else(|| s.tags.get("duration"))?;
        let mut parts = tag.split(':');
        let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
        let d = h.parse::<f64>().ok()? * 3600.0
            + m.parse::<f64>().ok()? * 60.0
            + sec.parse::<f64>().ok()?;
        (d.is_finite() && d > 0.0).then_some(d)
    })
}

fn parse_f64(s: Option<&String>) -> Option<f64> {
    s.and_then(|s| s.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
}

impl MediaInfo {
    /// Parses ffprobe's JSON; `file` names the input in errors.
    pub fn from_ffprobe_json(file: &str, json: &[u8]) -> Result<MediaInfo, Error> {
        let raw: Raw = serde_json::from_slice(json).map_err(|e| Error::NotMedia {
            file: file.to_owned(),
            detail: format!("ffprobe's answer could not be read: {e}"),
        })?;
        let format = raw.format.as_ref();
        let mut duration_s = parse_f64(format.and_then(|f| f.duration.as_ref()));
        let mut video = None;
        let mut audio = Vec::new();
        let mut subtitles = Vec::new();
        // The longest picture or sound stream: what is converted.
        let mut media_s: Option<f64> = None;
        for s in &raw.streams {
            if matches!(s.codec_type.as_str(), "video" | "audio")
                && let Some(d) = stream_duration(s)
            {
                media_s = Some(media_s.map_or(d, |m| m.max(d)));
            }
            let codec = s.codec_name.clone().unwrap_or_default();
            let language = s.tags.get("language").cloned();
            match s.codec_type.as_str() {
                "video" if video.is_none() => {
                    let cover = s.disposition.get("attached_pic").copied().unwrap_or(0) == 1;
                    let (Some(width), Some(height)) = (s.width, s.height) else {
                        continue;
                    };
                    if cover || width == 0 || height == 0 {
                        continue;
                    }
                    let sar = s
                        .sample_aspect_ratio
                        .as_deref()
                        .and_then(|r| r.split_once(':'))
                        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                        .filter(|&(a, b): &(u32, u32)| a > 0 && b > 0)
                        .unwrap_or((1, 1));
                    let rate = s
                        .avg_frame_rate
                        .as_deref()
                        .and_then(Rate::parse)
                        .or_else(|| s.r_frame_rate.as_deref().and_then(Rate::parse));
                    let rotation = s
                        .side_data_list
                        .iter()
                        .find_map(|d| d.get("rotation").and_then(|r| r.as_i64()))
                        .or_else(|| s.tags.get("rotate").and_then(|r| r.parse().ok()))
                        .unwrap_or(0) as i32;
                    if duration_s.is_none() {
                        duration_s = parse_f64(s.duration.as_ref());
                    }
                    video = Some(VideoStream {
                        index: s.index,
                        codec,
                        width,
                        height,
                        sar,
                        rate,
                        rotation,
                    });
                }
                "audio" => {
                    let channels = s.channels.unwrap_or(0);
                    if channels == 0 {
                        continue;
                    }
                    if duration_s.is_none() {
                        duration_s = parse_f64(s.duration.as_ref());
                    }
                    audio.push(AudioStream {
                        index: s.index,
                        codec,
                        channels,
                        sample_rate: s
                            .sample_rate
                            .as_deref()
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(0),
                        language,
                    });
                }
                "subtitle" => {
                    subtitles.push(SubtitleStream {
                        sub_index: subtitles.len() as u32,
                        codec,
                        language,
                    });
                }
                _ => {}
            }
        }
        if video.is_none() && audio.is_empty() {
            return Err(Error::NotMedia {
                file: file.to_owned(),
                detail: "no video or audio stream".into(),
            });
        }
        // A subtitle or data stream whose last cue has no end (a VobSub track converted
        // from PGS, some rips) makes the container's length absurd: the picture and the
        // sound decide how long the film is.
        if let (Some(d), Some(m)) = (duration_s, media_s)
            && d > m + 5.0
        {
            duration_s = Some(m);
        }
        Ok(MediaInfo {
            format: format
                .and_then(|f| f.format_name.clone())
                .unwrap_or_default(),
            duration_s,
            video,
            audio,
            subtitles,
        })
    }

    /// The audio stream to use: the Korean one when tagged, else the first.
    pub fn main_audio(&self) -> Option<&AudioStream> {
        self.audio
            .iter()
            .find(|a| a.language.as_deref().is_some_and(is_korean))
            .or_else(|| self.audio.first())
    }
}

/// Whether an ISO 639 tag means Korean (`ko`, `kor`).
pub fn is_korean(tag: &str) -> bool {
    matches!(tag.to_ascii_lowercase().as_str(), "ko" | "kor" | "korean")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtitle_track_without_an_end_does_not_stretch_the_film() {
        let json = br#"{"streams":[
          {"index":0,"codec_type":"video","codec_name":"h264","width":640,"height":360,
           "avg_frame_rate":"30/1","tags":{"DURATION":"00:00:03.000000000"}},
          {"index":1,"codec_type":"audio","codec_name":"aac","channels":2,"sample_rate":"48000",
           "tags":{"DURATION":"00:00:03.021000000"}},
          {"index":2,"codec_type":"subtitle","codec_name":"dvd_subtitle","tags":{"language":"kor"}}],
          "format":{"format_name":"matroska,webm","duration":"4294967.316"}}"#;
        let m = MediaInfo::from_ffprobe_json("film.mkv", json).unwrap();
        assert_eq!(m.duration_s, Some(3.021));
        assert!(m.subtitles[0].is_image() && !m.subtitles[0].is_text());
        // A container a little longer than its streams keeps its own length.
        let json = br#"{"streams":[{"index":0,"codec_type":"video","codec_name":"h264",
           "width":640,"height":360,"duration":"10.0"}],"format":{"duration":"10.5"}}"#;
        let m = MediaInfo::from_ffprobe_json("film.mp4", json).unwrap();
        assert_eq!(m.duration_s, Some(10.5));
    }

    #[test]
    fn reads_streams_rates_aspect_and_languages() {
        let json = br#"{"streams":[
          {"index":0,"codec_type":"video","codec_name":"h264","width":1440,"height":1080,
           "sample_aspect_ratio":"4:3","avg_frame_rate":"30000/1001","r_frame_rate":"60/1"},
          {"index":1,"codec_type":"audio","codec_name":"aac","channels":6,"sample_rate":"48000",
           "tags":{"language":"eng"}},
          {"index":2,"codec_type":"audio","codec_name":"aac","channels":2,"sample_rate":"44100",
           "tags":{"language":"kor"}},
          {"index":3,"codec_type":"subtitle","codec_name":"ass","tags":{"language":"kor"}},
          {"index":4,"codec_type":"video","codec_name":"mjpeg","width":300,"height":300,
           "disposition":{"attached_pic":1}}],
          "format":{"format_name":"matroska,webm","duration":"12.5"}}"#;
        let m = MediaInfo::from_ffprobe_json("a.mkv", json).unwrap();
        let v = m.video.as_ref().unwrap();
        assert_eq!((v.width, v.height, v.sar), (1440, 1080, (4, 3)));
        assert!((v.display_aspect() - 16.0 / 9.0).abs() < 1e-9);
        assert!((v.rate.unwrap().fps() - 29.97).abs() < 0.01);
        assert_eq!(m.duration_s, Some(12.5));
        assert_eq!(m.main_audio().unwrap().index, 2);
        assert!(m.subtitles[0].is_text());
    }

    #[test]
    fn a_phone_video_rotated_is_tall() {
        let json = br#"{"streams":[{"index":0,"codec_type":"video","codec_name":"h264",
          "width":1920,"height":1080,"avg_frame_rate":"0/0","r_frame_rate":"30/1",
          "side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}],
          "format":{"duration":"3.0"}}"#;
        let m = MediaInfo::from_ffprobe_json("p.mp4", json).unwrap();
        let v = m.video.unwrap();
        assert!((v.display_aspect() - 1080.0 / 1920.0).abs() < 1e-9);
        assert_eq!(v.rate.unwrap().fps(), 30.0);
    }

    #[test]
    fn no_streams_or_garbage_is_not_media() {
        let e =
            MediaInfo::from_ffprobe_json("x.txt", br#"{"streams":[],"format":{}}"#).unwrap_err();
        assert!(matches!(e, Error::NotMedia { .. }) && e.to_string().contains("x.txt"));
        assert!(MediaInfo::from_ffprobe_json("y", b"not json").is_err());
    }
}
