//! Subtitles beside a film: finding them and reading their text encoding.
//!
//! Korean releases ship SAMI (`.smi`) or SRT files beside the video, often in CP949/EUC-KR
//! rather than UTF-8. A file is read as UTF-8 (with or without a byte-order mark), UTF-16
//! (with a mark), or else CP949 when every byte decodes; anything else is an unknown
//! encoding and an error, never guessed.

use std::path::{Path, PathBuf};

use crate::Error;

/// Subtitle extensions looked for beside a film, in order of preference.
pub const EXTENSIONS: &[&str] = &["srt", "smi", "sami", "ass", "ssa", "vtt"];

/// The text encoding a subtitle file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8.
    Utf8,
    /// UTF-16 little-endian (with a byte-order mark).
    Utf16Le,
    /// UTF-16 big-endian (with a byte-order mark).
    Utf16Be,
    /// CP949 (the Windows superset of EUC-KR).
    Cp949,
}

/// Finds the subtitle file beside `video`: `name.ko.srt`, `name.kor.srt`, `name.srt`...
/// (`lang` first, then no language). `siblings` are the file names in the video's folder.
pub fn find_beside(video: &Path, siblings: &[String], lang: &str) -> Option<PathBuf> {
    let stem = video.file_stem()?.to_str()?;
    let dir = video.parent().unwrap_or(Path::new(""));
    let langs: Vec<String> = match lang {
        "ko" | "kor" => vec!["ko".into(), "kor".into(), "korean".into()],
        other => vec![other.to_owned()],
    };
    let mut wanted = Vec::new();
    for l in &langs {
        for ext in EXTENSIONS {
            wanted.push(format!("{stem}.{l}.{ext}"));
        }
    }
    for ext in EXTENSIONS {
        wanted.push(format!("{stem}.{ext}"));
    }
    wanted.iter().find_map(|w| {
        siblings
            .iter()
            .find(|s| s.eq_ignore_ascii_case(w))
            .map(|s| dir.join(s))
    })
}

/// Decodes a subtitle file's bytes to text; `file` names it in errors.
pub fn decode(file: &str, bytes: &[u8]) -> Result<(String, Encoding), Error> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_owned(), Encoding::Utf8))
            .map_err(|_| unknown(file, "a UTF-8 mark but invalid UTF-8"));
    }
    for (mark, enc, kind) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, Encoding::Utf16Le),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, Encoding::Utf16Be),
    ] {
        if bytes.starts_with(mark) {
            let (text, had_errors) = enc.decode_without_bom_handling(&bytes[2..]);
            if had_errors {
                return Err(unknown(file, "a UTF-16 mark but invalid UTF-16"));
            }
            return Ok((text.into_owned(), kind));
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), Encoding::Utf8));
    }
    let (text, had_errors) = encoding_rs::EUC_KR.decode_without_bom_handling(bytes);
    if had_errors || text.contains('\0') {
        return Err(unknown(file, "neither UTF-8, UTF-16 nor CP949/EUC-KR"));
    }
    Ok((text.into_owned(), Encoding::Cp949))
}

fn unknown(file: &str, what: &str) -> Error {
    Error::Subtitle {
        file: file.to_owned(),
        message: format!("unknown text encoding ({what}); save it as UTF-8 and convert again"),
    }
}

/// The extension ffmpeg should see for a subtitle file (`sami` is read as `smi`).
pub fn normalised_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "srt" => "srt",
        "smi" | "sami" => "smi",
        "ass" => "ass",
        "ssa" => "ssa",
        "vtt" => "vtt",
        _ => return None,
    })
}

/// SubRip text without formatting tags (`<font size="20">`, `<i>`...): ffmpeg writes the
/// style of an ASS stream as tags, and many players beside which a .srt is read print tags
/// as they are. Timing lines and cue numbers are kept; only `<` followed by a letter or `/`
/// and closed by `>` on the same line is taken as a tag.
pub fn plain_srt(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.contains("-->") {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let is_tag = after
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '/');
            match after.find('>') {
                Some(end) if is_tag => {
                    out.push_str(&rest[..start]);
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push_str(&rest[..=start]);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn srt_formatting_tags_are_removed_and_the_rest_kept() {
        let srt = "1\n00:00:00,223 --> 00:00:01,523\n<font size=\"20\">자유의 <i>바람</i></font>\n\n2\n00:00:02,000 --> 00:00:03,000\n1 < 2 and 3>2, <3\n";
        assert_eq!(
            super::plain_srt(srt),
            "1\n00:00:00,223 --> 00:00:01,523\n자유의 바람\n\n2\n00:00:02,000 --> 00:00:03,000\n1 < 2 and 3>2, <3\n"
        );
    }

    use super::*;

    #[test]
    fn korean_sidecars_are_preferred_and_found_case_insensitively() {
        let sib = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let video = Path::new("lib/영화.mp4");
        assert_eq!(
            find_beside(
                video,
                &sib(&["영화.en.srt", "영화.SMI", "영화.ko.srt"]),
                "ko"
            ),
            Some(PathBuf::from("lib/영화.ko.srt"))
        );
        assert_eq!(
            find_beside(video, &sib(&["영화.en.srt", "영화.SMI"]), "ko"),
            Some(PathBuf::from("lib/영화.SMI"))
        );
        assert_eq!(find_beside(video, &sib(&["다른.srt"]), "ko"), None);
    }

    #[test]
    fn encodings_are_detected_or_refused() {
        let text = "1\n00:00:00,000 --> 00:00:01,000\n안녕하세요\n";
        assert_eq!(
            decode("a", text.as_bytes()).unwrap(),
            (text.into(), Encoding::Utf8)
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode("a", &bom).unwrap().0, text);
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode("a", &le).unwrap(), (text.into(), Encoding::Utf16Le));
        let (cp, _, _) = encoding_rs::EUC_KR.encode(text);
        assert_eq!(decode("a", &cp).unwrap(), (text.into(), Encoding::Cp949));
        let e = decode("film.smi", &[0x80, 0xFF, 0x00, 0xFE, 0x81]).unwrap_err();
        assert!(
            e.to_string().contains("film.smi") && e.to_string().contains("encoding"),
            "{e}"
        );
    }
}
