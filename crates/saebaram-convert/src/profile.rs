//! Conversion profiles: what a player accepts, as a documented TOML file each.
//!
//! The built-in profiles (`notel`, `dvd`, `pc`, `audio`) are the files under `profiles/`,
//! embedded in the binary; a user adds their own with the same keys (`--profile FILE`).
//! Every key is checked: an unknown key, a missing one or a value out of range is an
//! [`Error::Profile`] naming the file and the key.

use serde::{Deserialize, Serialize};

use crate::Error;

/// The built-in profiles, in the order `--help` lists them (the first is the default).
pub const BUILTIN: &[(&str, &str)] = &[
    ("notel", include_str!("../profiles/notel.toml")),
    ("dvd", include_str!("../profiles/dvd.toml")),
    ("pc", include_str!("../profiles/pc.toml")),
    ("audio", include_str!("../profiles/audio.toml")),
];

/// The default profile.
pub const DEFAULT: &str = "notel";

/// The largest file FAT32 stores: 4 GiB minus one byte.
pub const FAT32_MAX_FILE: u64 = (4 << 30) - 1;

/// The output container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// AVI (OpenDML).
    Avi,
    /// MPEG-2 program stream with DVD-Video packet sizes and mux rate (`.mpg`).
    Dvd,
    /// MP4 with the index first (`faststart`).
    Mp4,
    /// MP3 (no ID3 tag, no Xing/LAME header).
    Mp3,
}

impl Container {
    /// The file extension of outputs.
    pub fn extension(self) -> &'static str {
        match self {
            Container::Avi => "avi",
            Container::Dvd => "mpg",
            Container::Mp4 => "mp4",
            Container::Mp3 => "mp3",
        }
    }

    /// ffmpeg's muxer name.
    pub fn muxer(self) -> &'static str {
        match self {
            Container::Avi => "avi",
            Container::Dvd => "dvd",
            Container::Mp4 => "mp4",
            Container::Mp3 => "mp3",
        }
    }
}

/// How the picture is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frame {
    /// Square pixels, scaled down (never up) to fit `max_width` x `max_height`, sides
    /// rounded to `align` with the rest padded black.
    Fit,
    /// DVD-Video: exactly 720x576 (25 fps) or 720x480 (29.97 fps), display aspect 4:3 or
    /// 16:9 chosen from the source, the picture fitted and padded.
    Dvd,
}

/// The video part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// ffmpeg encoder: `mpeg4`, `mpeg2video` or `libx264`.
    pub codec: String,
    /// Codec profile: `asp` or `simple` (mpeg4), `baseline`, `main` or `high` (libx264).
    #[serde(default)]
    pub profile: Option<String>,
    /// H.264 level (`3.0`, `3.1`, `4.0`...).
    #[serde(default)]
    pub level: Option<String>,
    /// AVI FourCC written for the video stream (`XVID`, `DIVX`, `FMP4`).
    #[serde(default)]
    pub fourcc: Option<String>,
    /// Widest output picture.
    pub max_width: u32,
    /// Tallest output picture.
    pub max_height: u32,
    /// How the picture is framed.
    pub frame: Frame,
    /// Output sides are multiples of this (2, 8 or 16).
    pub align: u32,
    /// Highest frame rate: a faster source is divided by the smallest whole number that
    /// brings it under (60 -> 30, 50 -> 25).
    pub max_fps: f64,
    /// Average bit rate (kbit/s); or give `crf`.
    #[serde(default)]
    pub bitrate_kbps: Option<u32>,
    /// Constant-quality factor (libx264), instead of `bitrate_kbps`.
    #[serde(default)]
    pub crf: Option<u32>,
    /// Peak bit rate (kbit/s): required, it also bounds the size for FAT32 splitting.
    pub max_bitrate_kbps: u32,
    /// Most consecutive B-frames (0: none).
    pub bframes: u32,
    /// Longest distance between keyframes, in frames.
    pub gop: u32,
    /// libx264 preset (`medium`...).
    #[serde(default)]
    pub preset: Option<String>,
    /// Encoding passes: 1, or 2 (a first pass measures the film, the second spends the
    /// average bit rate where the picture needs it; needs `bitrate_kbps`).
    #[serde(default = "one_pass", skip_serializing_if = "is_one_pass")]
    pub passes: u32,
}

fn one_pass() -> u32 {
    1
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_one_pass(passes: &u32) -> bool {
    *passes == 1
}

/// The audio part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audio {
    /// ffmpeg encoder: `libshine` or `libmp3lame` (MP3), `mp2`, `ac3` or `aac`.
    pub codec: String,
    /// Bit rate (kbit/s).
    pub bitrate_kbps: u32,
    /// Sample rates allowed; a source at one of them keeps it, others get the first.
    pub sample_rates: Vec<u32>,
    /// Channels (1 or 2; more are mixed down).
    pub channels: u32,
}

/// One profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Its name (reports, state).
    pub name: String,
    /// One line for `--help` and docs.
    pub description: String,
    /// Output container.
    pub container: Container,
    /// Largest output file; longer outputs are split into parts (default: the FAT32 limit).
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
    /// Video settings (absent: an audio profile).
    #[serde(default)]
    pub video: Option<Video>,
    /// Audio settings.
    pub audio: Audio,
}

const VIDEO_CODECS: &[&str] = &["mpeg4", "mpeg2video", "libx264"];
const AUDIO_CODECS: &[&str] = &["libshine", "libmp3lame", "mp2", "ac3", "aac"];

impl Profile {
    /// A built-in profile by name.
    pub fn builtin(name: &str) -> Result<Profile, Error> {
        let text = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .ok_or_else(|| Error::UnknownProfile {
                name: name.to_owned(),
            })?;
        Profile::parse(&format!("built-in profile {name}"), text)
    }

    /// Parses and checks a profile; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Profile, Error> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            let key = e
                .message()
                .split('`')
                .nth(1)
                .map(str::to_owned)
                .unwrap_or_else(|| "?".into());
            Error::Profile {
                file: file.to_owned(),
                key,
                message: e.message().trim().to_owned(),
            }
        })?;
        profile.check(file)?;
        Ok(profile)
    }

    /// The largest output file allowed.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes.unwrap_or(FAT32_MAX_FILE)
    }

    /// A hash of every setting: outputs made under another hash are redone.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        blake3::hash(&json).to_hex().to_string()
    }

    /// The encoders ffmpeg must have for this profile.
    pub fn encoders(&self) -> Vec<&str> {
        let mut v = Vec::new();
        if let Some(video) = &self.video {
            v.push(video.codec.as_str());
        }
        v.push(self.audio.codec.as_str());
        v
    }

    fn check(&self, file: &str) -> Result<(), Error> {
        let bad = |key: &str, message: String| {
            Err(Error::Profile {
                file: file.to_owned(),
                key: key.to_owned(),
                message,
            })
        };
        if self.name.trim().is_empty() {
            return bad("name", "must not be empty".into());
        }
        if let Some(max) = self.max_file_bytes
            && !(1 << 20..=FAT32_MAX_FILE).contains(&max)
        {
            return bad(
                "max_file_bytes",
                format!("{max} is outside 1 MiB ..= {FAT32_MAX_FILE} (the FAT32 limit)"),
            );
        }
        let a = &self.audio;
        if !AUDIO_CODECS.contains(&a.codec.as_str()) {
            return bad(
                "audio.codec",
                format!("{:?} is not one of {}", a.codec, AUDIO_CODECS.join(", ")),
            );
        }
        if !(32..=640).contains(&a.bitrate_kbps) {
            return bad("audio.bitrate_kbps", "must be 32..=640".into());
        }
        if a.sample_rates.is_empty()
            || a.sample_rates
                .iter()
                .any(|r| ![32000, 44100, 48000].contains(r))
        {
            return bad(
                "audio.sample_rates",
                "must list 32000, 44100 or 48000 (at least one)".into(),
            );
        }
        if !(1..=2).contains(&a.channels) {
            return bad("audio.channels", "must be 1 or 2".into());
        }
        match (self.container, &self.video) {
            (Container::Mp3, Some(_)) => {
                return bad("video", "an mp3 profile has no video section".into());
            }
            (Container::Mp3, None) => {
                if !matches!(a.codec.as_str(), "libshine" | "libmp3lame") {
                    return bad("audio.codec", "an mp3 profile needs an MP3 encoder".into());
                }
            }
            (_, None) => return bad("video", "missing (only mp3 profiles have none)".into()),
            (container, Some(v)) => {
                if !VIDEO_CODECS.contains(&v.codec.as_str()) {
                    return bad(
                        "video.codec",
                        format!("{:?} is not one of {}", v.codec, VIDEO_CODECS.join(", ")),
                    );
                }
                let fits = match container {
                    Container::Avi => v.codec != "libx264" || v.bframes == 0,
                    Container::Dvd => v.codec == "mpeg2video",
                    _ => v.codec != "mpeg2video",
                };
                if !fits {
                    return bad(
                        "video.codec",
                        format!(
                            "{} does not go in a {:?} container here",
                            v.codec, container
                        ),
                    );
                }
                if v.frame == Frame::Dvd && container != Container::Dvd {
                    return bad(
                        "video.frame",
                        "\"dvd\" framing needs container \"dvd\"".into(),
                    );
                }
                if container == Container::Dvd && v.frame != Frame::Dvd {
                    return bad(
                        "video.frame",
                        "a dvd container needs frame = \"dvd\"".into(),
                    );
                }
                if !(16..=1920).contains(&v.max_width) {
                    return bad("video.max_width", "must be 16..=1920".into());
                }
                if !(16..=1080).contains(&v.max_height) {
                    return bad("video.max_height", "must be 16..=1080".into());
                }
                if ![2, 4, 8, 16].contains(&v.align) {
                    return bad("video.align", "must be 2, 4, 8 or 16".into());
                }
                if !(v.max_fps >= 1.0 && v.max_fps <= 60.0) {
                    return bad("video.max_fps", "must be 1..=60".into());
                }
                match (v.bitrate_kbps, v.crf) {
                    (Some(_), Some(_)) | (None, None) => {
                        return bad(
                            "video.bitrate_kbps",
                            "give exactly one of bitrate_kbps and crf".into(),
                        );
                    }
                    (Some(b), None) if !(100..=v.max_bitrate_kbps).contains(&b) => {
                        return bad(
                            "video.bitrate_kbps",
                            "must be 100 ..= max_bitrate_kbps".into(),
                        );
                    }
                    (None, Some(c)) if v.codec != "libx264" || c > 51 => {
                        return bad("video.crf", "crf is for libx264, 0..=51".into());
                    }
                    _ => {}
                }
                if !(100..=20_000).contains(&v.max_bitrate_kbps) {
                    return bad("video.max_bitrate_kbps", "must be 100..=20000".into());
                }
                if !(1..=2).contains(&v.passes) {
                    return bad("video.passes", "must be 1 or 2".into());
                }
                if v.passes == 2 && v.bitrate_kbps.is_none() {
                    return bad(
                        "video.passes",
                        "two passes need bitrate_kbps (crf is already a quality target)".into(),
                    );
                }
                if v.bframes > 4 {
                    return bad("video.bframes", "must be 0..=4".into());
                }
                if !(1..=600).contains(&v.gop) {
                    return bad("video.gop", "must be 1..=600".into());
                }
                if let Some(p) = &v.profile {
                    let ok = match v.codec.as_str() {
                        "mpeg4" => matches!(p.as_str(), "asp" | "simple"),
                        "libx264" => matches!(p.as_str(), "baseline" | "main" | "high"),
                        _ => false,
                    };
                    if !ok {
                        return bad(
                            "video.profile",
                            format!("{p:?} is not a profile of {}", v.codec),
                        );
                    }
                    if (p == "simple" || p == "baseline") && v.bframes > 0 {
                        return bad("video.bframes", format!("profile {p} has no B-frames"));
                    }
                }
                if let Some(level) = &v.level
                    && (v.codec != "libx264"
                        || !level.chars().all(|c| c.is_ascii_digit() || c == '.')
                        || level.is_empty())
                {
                    return bad("video.level", "an H.264 level like \"4.0\"".into());
                }
                if let Some(f) = &v.fourcc
                    && (container != Container::Avi
                        || f.len() != 4
                        || !f.bytes().all(|b| b.is_ascii_alphanumeric()))
                {
                    return bad("video.fourcc", "four letters or digits, AVI only".into());
                }
                if let Some(p) = &v.preset
                    && !p.bytes().all(|b| b.is_ascii_lowercase())
                {
                    return bad("video.preset", "a libx264 preset name".into());
                }
                if container == Container::Dvd && !matches!(a.codec.as_str(), "mp2" | "ac3") {
                    return bad("audio.codec", "DVD audio is mp2 or ac3".into());
                }
                if container == Container::Mp4 && a.codec != "aac" {
                    return bad("audio.codec", "MP4 audio here is aac".into());
                }
                if container == Container::Avi
                    && !matches!(a.codec.as_str(), "libshine" | "libmp3lame" | "mp2")
                {
                    return bad("audio.codec", "AVI audio here is MP3 or MP2".into());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_parses_and_is_what_its_doc_says() {
        for (name, _) in BUILTIN {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(p.name, *name);
        }
        let notel = Profile::builtin("notel").unwrap();
        let v = notel.video.as_ref().unwrap();
        assert_eq!(
            (notel.container, v.codec.as_str()),
            (Container::Avi, "mpeg4")
        );
        assert_eq!((v.max_width, v.max_height, v.bframes), (720, 576, 0));
        assert_eq!(v.max_fps, 30.0);
        assert_eq!(notel.audio.channels, 2);
        assert_eq!(notel.max_file_bytes(), FAT32_MAX_FILE);
        assert!(Profile::builtin("audio").unwrap().video.is_none());
        assert_ne!(notel.hash(), Profile::builtin("pc").unwrap().hash());
    }

    #[test]
    fn errors_name_the_file_and_the_key() {
        let base = BUILTIN[0].1;
        let e = Profile::parse("my.toml", &format!("{base}\nsurprise = 1\n")).unwrap_err();
        assert!(
            matches!(&e, Error::Profile { file, key, .. } if file == "my.toml" && key == "surprise"),
            "{e}"
        );
        let e = Profile::parse(
            "my.toml",
            &base.replace("max_width = 720", "max_width = 7200"),
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Profile { key, .. } if key == "video.max_width"),
            "{e}"
        );
        for bad in ["passes = 3", "passes = 0"] {
            let e = Profile::parse("my.toml", &base.replace("passes = 2", bad)).unwrap_err();
            assert!(
                matches!(&e, Error::Profile { key, .. } if key == "video.passes"),
                "{e}"
            );
        }
        let pc = Profile::builtin("pc").unwrap();
        let pc_text = BUILTIN.iter().find(|(n, _)| *n == "pc").unwrap().1;
        let e = Profile::parse(
            "my.toml",
            &pc_text.replace("[video]", "[video]\npasses = 2"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("bitrate_kbps"), "{e}");
        assert_eq!(pc.video.as_ref().unwrap().passes, 1);
        assert!(e.to_string().contains("my.toml"), "{e}");
        let e = Profile::parse(
            "my.toml",
            &base.replace("codec = \"mpeg4\"", "codec = \"vp9\""),
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Profile { key, .. } if key == "video.codec"),
            "{e}"
        );
        let e =
            Profile::parse("x.toml", &base.replace("max_bitrate_kbps = 3000\n", "")).unwrap_err();
        assert!(
            matches!(&e, Error::Profile { key, .. } if key == "max_bitrate_kbps"),
            "{e}"
        );
        let e = Profile::parse("x.toml", "name = [").unwrap_err();
        assert!(
            matches!(&e, Error::Profile { file, .. } if file == "x.toml"),
            "{e}"
        );
        assert!(matches!(
            Profile::builtin("vcd"),
            Err(Error::UnknownProfile { .. })
        ));
    }
}
