//! Recognising a file's format from its first bytes (and, for text, its name).

use crate::formats::png::SIGNATURE as PNG_SIGNATURE;

/// A recognised format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    WebP,
    Gif,
    Tiff,
    Pdf,
    Zip,
    Mp3,
    Flac,
    Ogg,
    Wav,
    Avi,
    IsoBmff,
    Matroska,
    Html,
    Text,
    Unknown,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
            Format::Tiff => "tiff",
            Format::Pdf => "pdf",
            Format::Zip => "zip",
            Format::Mp3 => "mp3",
            Format::Flac => "flac",
            Format::Ogg => "ogg",
            Format::Wav => "wav",
            Format::Avi => "avi",
            Format::IsoBmff => "mp4",
            Format::Matroska => "matroska",
            Format::Html => "html",
            Format::Text => "text",
            Format::Unknown => "unknown",
        }
    }
}

fn extension(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Plausible MPEG audio frame header at `d[0..4]`.
pub(crate) fn is_mpeg_audio_frame(d: &[u8]) -> bool {
    match d.get(..4) {
        Some(&[0xFF, b1, b2, _]) => {
            b1 & 0xE0 == 0xE0
                && (b1 >> 3) & 3 != 1
                && (b1 >> 1) & 3 != 0
                && b2 >> 4 != 15
                && (b2 >> 2) & 3 != 3
        }
        _ => false,
    }
}

/// Guesses the format of `d`, named `name` (a path; only its extension is used, for text).
pub(crate) fn detect(name: &str, d: &[u8]) -> Format {
    let at = |i: usize, m: &[u8]| d.get(i..i + m.len()) == Some(m);
    let ext = extension(name);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if at(0, PNG_SIGNATURE) {
        Format::Png
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Format::WebP
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Format::Wav
    } else if at(0, b"RIFF") && at(8, b"AVI ") {
        Format::Avi
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Format::Gif
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        Format::Tiff
    } else if at(0, b"%PDF-") {
        Format::Pdf
    } else if at(0, b"PK\x03\x04") {
        Format::Zip
    } else if at(0, b"fLaC") {
        Format::Flac
    } else if at(0, b"ID3") {
        // ID3v2 may front MP3 or (rarely) FLAC; the sound module tells them apart.
        Format::Mp3
    } else if at(0, b"OggS") {
        Format::Ogg
    } else if at(4, b"ftyp")
        || (matches!(ext.as_str(), "mov" | "mp4" | "m4a" | "m4v")
            && (at(4, b"moov") || at(4, b"wide") || at(4, b"mdat") || at(4, b"free")))
    {
        Format::IsoBmff
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Format::Matroska
    } else if is_mpeg_audio_frame(d) && ext == "mp3" {
        Format::Mp3
    } else if matches!(ext.as_str(), "html" | "htm" | "xhtml") {
        Format::Html
    } else if matches!(
        ext.as_str(),
        "txt" | "text" | "md" | "csv" | "tsv" | "srt" | "vtt"
    ) {
        Format::Text
    } else {
        Format::Unknown
    }
}
