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
use crate::plan::Plan;
use crate::source::{Source, Window, read_array, read_upto, read_vec};

fn syncsafe(b: &[u8]) -> Result<usize, Blocked> {
    if b.len() != 4 || b.iter().any(|&x| x & 0x80 != 0) {
        return Err(block!(Damaged, "ID3v2: bad tag size"));
    }
    Ok(b.iter().fold(0usize, |a, &x| (a << 7) | usize::from(x)))
}

/// Most ID3v2 tags in front, trailing tags and FLAC metadata blocks accepted.
const MAX_TAGS: usize = 16;
const MAX_FLAC_BLOCKS: usize = 10_000;

/// Skips leading ID3v2 tags; returns where the audio starts.
fn id3v2_front(src: &dyn Source, removed: &mut Vec<String>) -> Result<u64, Blocked> {
    let mut pos = 0u64;
    for _ in 0..=MAX_TAGS {
        let head = read_upto(src, pos, 10)?;
        if !head.starts_with(b"ID3") {
            return Ok(pos);
        }
        let size = syncsafe(slice(&head, 6, 4)?)? as u64;
        let footer = if byte(&head, 5)? & 0x10 != 0 { 10 } else { 0 };
        let total = 10 + size + footer;
        if pos + total > src.len() {
            return Err(block!(
                Damaged,
                "ID3v2: tag of {total} bytes runs past the end (truncated)"
            ));
        }
        removed.push(format!("ID3v2.{} tag ({total} bytes)", byte(&head, 3)?));
        pos += total;
    }
    Err(block!(TooLarge, "ID3v2: more than {MAX_TAGS} tags"))
}

/// True when `src` holds `magic` at `at` (and `at` is at or after `start`).
fn has(src: &dyn Source, start: u64, at: Option<u64>, magic: &[u8]) -> bool {
    match at {
        Some(at) if at >= start => read_vec(src, at, magic.len()).is_ok_and(|b| b == magic),
        _ => false,
    }
}

/// Cuts ID3v1, Enhanced TAG, APEv2, Lyrics3v2 and appended ID3v2 from the end of
/// `start..end`; returns the new end.
fn strip_tail(
    src: &dyn Source,
    start: u64,
    mut end: u64,
    removed: &mut Vec<String>,
) -> Result<u64, Blocked> {
    for _ in 0..MAX_TAGS {
        let len = end - start;
        if len >= 128 && has(src, start, end.checked_sub(128), b"TAG") {
            removed.push("ID3v1 tag".into());
            end -= 128;
            if end - start >= 227 && has(src, start, end.checked_sub(227), b"TAG+") {
                removed.push("Enhanced TAG".into());
                end -= 227;
            }
        } else if len >= 32 && has(src, start, end.checked_sub(32), b"APETAGEX") {
            let footer: [u8; 32] = read_array(src, end - 32)?;
            let size = u64::from(le32(&footer, 12)?);
            let flags = le32(&footer, 20)?;
            let total = size + if flags & 0x8000_0000 != 0 { 32 } else { 0 };
            if total > len || size < 32 {
                return Err(block!(Damaged, "APE tag: bad size {size}"));
            }
            removed.push(format!("APEv2 tag ({total} bytes)"));
            end -= total;
        } else if len >= 15 && has(src, start, end.checked_sub(9), b"LYRICS200") {
            let digits: [u8; 6] = read_array(src, end - 15)?;
            let size: u64 = std::str::from_utf8(&digits)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| block!(Damaged, "Lyrics3v2: bad size"))?;
            let total = size + 15;
            if total > len {
                return Err(block!(Damaged, "Lyrics3v2: bad size"));
            }
            removed.push("Lyrics3v2 tag".into());
            end -= total;
        } else if len >= 10 && has(src, start, end.checked_sub(10), b"3DI") {
            let size_bytes: [u8; 4] = read_array(src, end - 6)?;
            let total = syncsafe(&size_bytes)? as u64 + 20;
            if total > len {
                return Err(block!(Damaged, "appended ID3v2: bad size"));
            }
            removed.push("appended ID3v2 tag".into());
            end -= total;
        } else {
            return Ok(end);
        }
    }
    Err(block!(TooLarge, "MP3: too many trailing tags"))
}

/// Cleans MP3 (or FLAC behind an ID3v2 tag). Streamed: the frames are copied, never read.
pub(crate) fn clean_mp3(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let front = id3v2_front(src, removed)?;
    if read_upto(src, front, 4)? == b"fLaC" {
        let flac = Window::range(src, front, src.len() - front);
        let plan = clean_flac(&flac, cx, removed)?;
        return Ok(plan.shifted(front));
    }
    let end = strip_tail(src, front, src.len(), removed)?;
    let first = read_upto(src, front, 4.min((end - front) as usize))?;
    if !is_mpeg_audio_frame(&first) {
        return Err(block!(Damaged, "MP3: no MPEG audio frame after the tags"));
    }
    let mut plan = Plan::new();
    plan.copy(front, end - front);
    Ok(plan)
}

/// Cleans FLAC. Streamed: metadata block headers are read, the frames are copied.
pub(crate) fn clean_flac(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    if read_upto(src, 0, 4)? != b"fLaC" {
        return Err(block!(ActiveContent, "FLAC: bad signature"));
    }
    // Kept blocks: (type, offset of the body, length).
    let mut blocks: Vec<(u8, u64, u32)> = Vec::new();
    let mut dropped = false;
    let mut pos = 4u64;
    let mut n = 0usize;
    loop {
        let h: [u8; 4] = read_array(src, pos)?;
        let kind = h[0] & 0x7F;
        let len = u32::from_be_bytes([0, h[1], h[2], h[3]]);
        if pos + 4 + u64::from(len) > src.len() {
            return Err(block!(
                Damaged,
                "truncated: FLAC metadata block of {len} bytes at byte {pos}"
            ));
        }
        if n == 0 && kind != 0 {
            return Err(block!(
                Damaged,
                "FLAC: first metadata block is not STREAMINFO"
            ));
        }
        match kind {
            0 | 3 | 5 => blocks.push((kind, pos + 4, len)),
            1 => removed.push(format!("PADDING ({len} bytes)")),
            2 => removed.push(format!("APPLICATION block ({len} bytes)")),
            4 => removed.push(format!("VORBIS_COMMENT tags ({len} bytes)")),
            6 => removed.push(format!("PICTURE ({len} bytes)")),
            other => {
                return Err(block!(
                    CannotClean,
                    "FLAC: unknown metadata block type {other}"
                ));
            }
        }
        dropped |= !matches!(kind, 0 | 3 | 5);
        pos += 4 + u64::from(len);
        n += 1;
        if h[0] & 0x80 != 0 {
            break;
        }
        if n > MAX_FLAC_BLOCKS {
            return Err(block!(
                TooLarge,
                "FLAC: more than {MAX_FLAC_BLOCKS} metadata blocks"
            ));
        }
    }
    let frames = pos;
    let mut end = src.len();
    if end - frames >= 128 && has(src, frames, end.checked_sub(128), b"TAG") {
        removed.push("ID3v1 tag".into());
        end -= 128;
        dropped = true;
    }
    if end > frames {
        let sync = read_upto(src, frames, 2)?;
        let synced = sync.first() == Some(&0xFF) && sync.get(1).is_some_and(|b| b & 0xFE == 0xF8);
        if !synced {
            return Err(block!(Damaged, "FLAC: no frame sync after the metadata"));
        }
    }
    if !dropped {
        return Ok(Plan::unchanged(src));
    }
    let mut plan = Plan::new();
    plan.bytes(b"fLaC".to_vec());
    let count = blocks.len();
    for (i, (kind, body, len)) in blocks.into_iter().enumerate() {
        let last = if i + 1 == count { 0x80 } else { 0 };
        let len_bytes = len.to_be_bytes();
        plan.bytes(vec![kind | last, len_bytes[1], len_bytes[2], len_bytes[3]]);
        plan.copy(body, u64::from(len));
    }
    plan.copy(frames, end - frames);
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn clean_mp3(d: &[u8], cx: &Ctx, r: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean_mp3(&d, cx, r)?.materialize(&d, u64::MAX)
    }

    fn clean_flac(d: &[u8], cx: &Ctx, r: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean_flac(&d, cx, r)?.materialize(&d, u64::MAX)
    }

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
