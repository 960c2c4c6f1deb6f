//! Converting video and audio into files the receivers' players play, with Korean subtitles
//! burned in and no encoder fingerprints.
//!
//! Owns: the conversion profiles (documented TOML files, embedded; users add their own),
//! probing inputs with ffprobe, the ffmpeg command line of each conversion (picture size
//! and padding, frame-rate cap, stereo mix, subtitles burned with a Korean font, parts
//! under the FAT32 limit, the flags that keep encoder names, metadata and times out),
//! subtitle discovery and text encodings, running ffmpeg with progress and cancellation,
//! FAT-safe output names, and the resume state of a working folder.
//! Must not know: terminals, clap, HTTP, the clock, the environment, how a library is
//! walked or cleaned (`saebaram-jobs` composes this crate with `saebaram-clean`), images
//! and drives.
//!
//! # Why ffmpeg as a subprocess, not linked libav*
//! ffmpeg is the maintained encoder for every codec the players need (MPEG-4 ASP,
//! MPEG-2, H.264 through libx264, MP3 through shine, MP2, AC-3, AAC), installed as a system
//! package. Running its command line rather than linking libavcodec/libavformat keeps the
//! GPL parts (libx264) out of our binary, lets a group use any ffmpeg build they trust
//! (`--ffmpeg PATH`), isolates a crash or a hostile input in a separate process that can be
//! killed on cancel, and uses the one interface ffmpeg keeps stable across versions (the
//! libav* APIs change every major release; the Rust bindings trail them). Progress comes
//! from `-progress pipe:1`, a documented key=value stream, never from the human log.
//!
//! # No fingerprints
//! Every command drops metadata and chapters (`-map_metadata -1 -map_chapters -1`), sets
//! the bit-exact flags on the muxer and both encoders (no `Lavf`/`Lavc` version strings),
//! blanks the per-stream `encoder` tag (which the MP4 muxer writes as the compressor
//! name), removes x264's SEI message carrying its version and options
//! (`filter_units=remove_types=6`), and writes MP3 without ID3 or Xing/LAME headers. MP3
//! is encoded with shine rather than LAME, which writes "LAME3.100" into the padding of
//! frames. The job then passes every output through `saebaram-clean`, which must find
//! nothing to remove.
#![deny(missing_docs)]

pub mod args;
pub mod catalog;
pub mod convert;
pub mod engine;
pub mod names;
pub mod probe;
pub mod profile;
pub mod state;
pub mod subtitle;

use std::path::{Path, PathBuf};

pub use convert::{Converted, Request, SubtitleMode, SubtitleUse, convert_file};
pub use engine::{EncodeProgress, Engine, EngineInfo};
pub use probe::MediaInfo;
pub use profile::Profile;

/// Why a conversion could not be done. Messages name the file (and the profile key).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A profile file is malformed or a value is out of range.
    #[error("{file}: {key}: {message}")]
    Profile {
        /// The file (or `built-in profile NAME`).
        file: String,
        /// The key (`video.max_width`).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// No built-in profile has this name.
    #[error(
        "no profile named {name:?}: the built-in ones are notel, dvd, pc and audio; or give a TOML file"
    )]
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// ffmpeg or ffprobe cannot be run.
    #[error(
        "cannot run {program}: install ffmpeg (Debian/Ubuntu: apt install ffmpeg) or pass --ffmpeg PATH"
    )]
    EngineMissing {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The ffmpeg build lacks encoders the profile needs.
    #[error("{version}: no encoder {} that profile {profile} needs: {hint}", missing.join(", "))]
    MissingEncoders {
        /// The `ffmpeg version ...` line of its banner.
        version: String,
        /// The profile.
        profile: String,
        /// Encoders missing.
        missing: Vec<String>,
        /// How to get them.
        hint: String,
    },
    /// The input is not a video or audio file ffmpeg can read.
    #[error("{file}: not a video or audio file ffmpeg can read: {detail}")]
    NotMedia {
        /// The input.
        file: String,
        /// ffprobe's words.
        detail: String,
    },
    /// ffmpeg failed on this input.
    #[error("{file}: ffmpeg failed{}: {detail}", code.map(|c| format!(" (exit {c})")).unwrap_or_default())]
    Encode {
        /// The input.
        file: String,
        /// ffmpeg's exit code.
        code: Option<i32>,
        /// The end of ffmpeg's log.
        detail: String,
    },
    /// A subtitle file cannot be used.
    #[error("{file}: {message}")]
    Subtitle {
        /// The subtitle file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// Subtitles must be burned but no Korean font was found.
    #[error(
        "no Korean font found in {dirs} (looked for {fonts}): install one (Debian/Ubuntu: apt install fonts-nanum) or pass --font-dir DIR, or --subtitles none"
    )]
    NoKoreanFont {
        /// Folders searched.
        dirs: String,
        /// Font files looked for.
        fonts: String,
    },
    /// An output part is over the profile's largest file (the split estimate failed).
    #[error(
        "{file}: output {part} is {bytes} bytes, over the limit of {limit} bytes (FAT32); nothing was kept"
    )]
    TooLarge {
        /// The input.
        file: String,
        /// The output part.
        part: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Stopped by the user; nothing of this file was kept.
    #[error("cancelled")]
    Cancelled,
    /// A file or folder could not be read or written.
    #[error("{context} {}", path.display())]
    Io {
        /// What was being done.
        context: String,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(context: &str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            context: context.to_owned(),
            path: path.to_path_buf(),
            source,
        }
    }

    /// A stable code for faces that word errors in their language.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Profile { .. } => "profile",
            Error::UnknownProfile { .. } => "unknown_profile",
            Error::EngineMissing { .. } => "engine_missing",
            Error::MissingEncoders { .. } => "missing_encoders",
            Error::NotMedia { .. } => "not_media",
            Error::Encode { .. } => "encode",
            Error::Subtitle { .. } => "subtitle",
            Error::NoKoreanFont { .. } => "no_korean_font",
            Error::TooLarge { .. } => "too_large",
            Error::Cancelled => "cancelled",
            Error::Io { .. } => "io",
        }
    }
}

/// Checks that the ffmpeg build has every encoder `profile` (and the audio profile used
/// for audio-only inputs) needs.
pub fn check_engine(info: &EngineInfo, profiles: &[&Profile]) -> Result<(), Error> {
    for p in profiles {
        let missing: Vec<String> = p
            .encoders()
            .into_iter()
            .filter(|e| !info.encoders.iter().any(|have| have == e))
            .map(str::to_owned)
            .collect();
        if let Some(first) = missing.first() {
            return Err(Error::MissingEncoders {
                version: info.version.clone(),
                profile: p.name.clone(),
                hint: engine::install_hint(first).to_owned(),
                missing,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_encoder_is_named_with_how_to_get_it() {
        let info = EngineInfo {
            version: "ffmpeg version 6.0".into(),
            encoders: vec!["mpeg4".into(), "aac".into()],
        };
        let notel = Profile::builtin("notel").unwrap();
        let e = check_engine(&info, &[&notel]).unwrap_err();
        assert!(
            e.to_string().contains("libshine") && e.to_string().contains("apt install"),
            "{e}"
        );
        assert_eq!(e.code(), "missing_encoders");
    }
}
