//! MP3 and FLAC.
//!
//! MP3: ID3v2 tags (front, and appended with a `3DI` footer), ID3v1 and Enhanced TAG, APEv2 and
//! Lyrics3v2 are cut off; the MPEG frames between them are copied as they are. The LAME/Xing
//! header inside the first frame (it names the encoder version) is part of the audio stream and
//! is kept. FLAC: STREAMINFO, SEEKTABLE and CUESHEET are kept, VORBIS_COMMENT (tags and vendor
//! string), PICTURE, APPLICATION and PADDING blocks are dropped; frames are copied as they are.

use super::{Ctx, byte, le32, slice};
use crate::detect::is_mpeg_audio_frame;
use crate::error::{Blocked, block};

fn syncsafe(b: &[u8]) -> Result<usize, Blocked> {
    if b.len() != 4 || b.iter().any(|&x| x & 0x80 != 0) {
        return Err(block!("ID3v2: bad tag size"));
    }
    Ok(b.iter().fold(0usize, |a, &x| (a << 7) | usize::from(x)))
}

/// Removes leading ID3v2 tags; returns the rest.
fn strip_id3v2_front<'a>(mut d: &'a [u8], removed: &mut Vec<String>) -> Result<&'a [u8], Blocked> {
    let mut n = 0;
    while d.starts_with(b"ID3") {
        let size = syncsafe(slice(d, 6, 4)?)?;
        let footer = if byte(d, 5)? & 0x10 != 0 { 10 } else { 0 };
        let total = 10 + size + footer;
        if total > d.len() {
            return Err(block!(
                "ID3v2: tag of {total} bytes runs past the end (truncated)"
            ));
        }
        removed.push(format!("ID3v2.{} tag ({total} bytes)", byte(d, 3)?));
        d = d.get(total..).unwrap_or_default();
        n += 1;
        if n > 16 {
            return Err(block!("ID3v2: more than 16 tags"));
        }
    }
    Ok(d)
}

/// Cuts ID3v1, Enhanced TAG, APEv2, Lyrics3v2 and appended ID3v2 from the end.
fn strip_tail<'a>(mut d: &'a [u8], removed: &mut Vec<String>) -> Result<&'a [u8], Blocked> {
    for _ in 0..16 {
        let len = d.len();
        if len >= 128 && d.get(len - 128..len - 125) == Some(b"TAG") {
            removed.push("ID3v1 tag".into());
            d = d.get(..len - 128).unwrap_or_default();
            if d.len() >= 227 && d.get(d.len() - 227..d.len() - 223) == Some(b"TAG+") {
                removed.push("Enhanced TAG".into());
                d = d.get(..d.len() - 227).unwrap_or_default();
            }
        } else if len >= 32 && d.get(len - 32..len - 24) == Some(b"APETAGEX") {
            let size = usize::try_from(le32(d, len - 20)?).map_err(|_| block!("APE: size"))?;
            let flags = le32(d, len - 12)?;
            let total = size + if flags & 0x8000_0000 != 0 { 32 } else { 0 };
            if total > len || size < 32 {
                return Err(block!("APE tag: bad size {size}"));
            }
            removed.push(format!("APEv2 tag ({total} bytes)"));
            d = d.get(..len - total).unwrap_or_default();
        } else if len >= 15 && d.get(len - 9..) == Some(b"LYRICS200") {
            let digits = slice(d, len - 15, 6)?;
            let size: usize = std::str::from_utf8(digits)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| block!("Lyrics3v2: bad size"))?;
            let total = size + 15;
            if total > len {
                return Err(block!("Lyrics3v2: bad size"));
            }
            removed.push("Lyrics3v2 tag".into());
            d = d.get(..len - total).unwrap_or_default();
        } else if len >= 10 && d.get(len - 10..len - 7) == Some(b"3DI") {
            let size = syncsafe(slice(d, len - 6, 4)?)?;
            let total = size + 20;
            if total > len {
                return Err(block!("appended ID3v2: bad size"));
            }
            removed.push("appended ID3v2 tag".into());
            d = d.get(..len - total).unwrap_or_default();
        } else {
            return Ok(d);
        }
    }
    Err(block!("MP3: too many trailing tags"))
}

/// Cleans MP3 (or FLAC behind an ID3v2 tag).
pub(crate) fn clean_mp3(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let body = strip_id3v2_front(d, removed)?;
    if body.starts_with(b"fLaC") {
        return clean_flac(body, cx, removed);
    }
    let body = strip_tail(body, removed)?;
    if !is_mpeg_audio_frame(body) {
        return Err(block!("MP3: no MPEG audio frame after the tags"));
    }
    Ok(body.to_vec())
}

/// Cleans FLAC.
pub(crate) fn clean_flac(
    d: &[u8],
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    if !d.starts_with(b"fLaC") {
        return Err(block!("FLAC: bad signature"));
    }
    let mut blocks: Vec<(u8, &[u8])> = Vec::new();
    let mut pos = 4;
    loop {
        let head = byte(d, pos)?;
        let kind = head & 0x7F;
        let len = slice(d, pos + 1, 3)?
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let body = slice(d, pos + 4, len)?;
        if blocks.is_empty() && kind != 0 {
            return Err(block!("FLAC: first metadata block is not STREAMINFO"));
        }
        match kind {
            0 | 3 | 5 => blocks.push((kind, body)),
            1 => removed.push(format!("PADDING ({len} bytes)")),
            2 => removed.push(format!("APPLICATION block ({len} bytes)")),
            4 => removed.push(format!("VORBIS_COMMENT tags ({len} bytes)")),
            6 => removed.push(format!("PICTURE ({len} bytes)")),
            other => return Err(block!("FLAC: unknown metadata block type {other}")),
        }
        pos += 4 + len;
        if head & 0x80 != 0 {
            break;
        }
    }
    let mut frames = d.get(pos..).unwrap_or_default();
    if frames.len() >= 128 && frames.get(frames.len() - 128..frames.len() - 125) == Some(b"TAG") {
        removed.push("ID3v1 tag".into());
        frames = frames.get(..frames.len() - 128).unwrap_or_default();
    }
    let synced = frames.first() == Some(&0xFF) && frames.get(1).is_some_and(|b| b & 0xFE == 0xF8);
    if !frames.is_empty() && !synced {
        return Err(block!("FLAC: no frame sync after the metadata"));
    }
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(b"fLaC");
    let n = blocks.len();
    for (i, (kind, body)) in blocks.into_iter().enumerate() {
        let last = if i + 1 == n { 0x80 } else { 0 };
        out.push(kind | last);
        let len = u32::try_from(body.len()).map_err(|_| block!("FLAC: block too big"))?;
        out.extend_from_slice(len.to_be_bytes().get(1..).unwrap_or_default());
        out.extend_from_slice(body);
    }
    out.extend_from_slice(frames);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn mp3_tags_removed_frames_kept() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut f = b"ID3\x03\x00\x00\x00\x00\x00\x0ATIT2secret".to_vec();
        f.truncate(20);
        let frame = [0xFF, 0xFB, 0x90, 0x64, 1, 2, 3, 4];
        f.extend_from_slice(&frame);
        let mut v1 = b"TAG".to_vec();
        v1.extend_from_slice(b"Kim Artist");
        v1.resize(128, 0);
        f.extend_from_slice(&v1);
        let mut removed = vec![];
        let out = clean_mp3(&f, &cx, &mut removed).unwrap();
        assert_eq!(out, frame);
        assert_eq!(removed.len(), 2);
        assert!(clean_mp3(&f[..15], &cx, &mut vec![]).is_err());
        assert!(clean_mp3(b"ID3\x03\x00\x00\x00\x00\x00\x00garbage", &cx, &mut vec![]).is_err());
    }

    #[test]
    fn flac_drops_comments() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut f = b"fLaC".to_vec();
        f.extend_from_slice(&[0, 0, 0, 34]);
        f.extend_from_slice(&[7; 34]);
        f.extend_from_slice(&[0x84, 0, 0, 6]);
        f.extend_from_slice(b"secret");
        f.extend_from_slice(&[0xFF, 0xF8, 1, 2]);
        let out = clean_flac(&f, &cx, &mut vec![]).unwrap();
        assert_eq!(out[4], 0x80);
        assert!(out.ends_with(&[0xFF, 0xF8, 1, 2]));
        assert!(!out.windows(6).any(|w| w == b"secret"));
        for cut in 4..f.len() - 4 {
            assert!(clean_flac(&f[..cut], &cx, &mut vec![]).is_err(), "{cut}");
        }
    }
}
