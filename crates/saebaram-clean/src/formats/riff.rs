//! RIFF containers: WebP, WAV and AVI.
//!
//! WebP and WAV are rebuilt chunk by chunk (no absolute offsets inside them): WebP keeps the
//! image chunks (VP8/VP8L/VP8X/ALPH/ANIM/ANMF, ICCP by policy) and drops EXIF, XMP and unknown
//! chunks, fixing the VP8X flags and RIFF size; WAV keeps `fmt `, `data`, `fact`, `cue `,
//! `smpl`, `inst` and drops LIST/INFO, bext, iXML, ID3 and the rest.
//! AVI is changed in place: metadata chunks (INFO lists, stream names, IDIT dates, unknown
//! header chunks) become zero-filled `JUNK` of the same size, because OpenDML indexes hold
//! absolute file offsets that must stay valid.

use super::{Ctx, fourcc, le32, slice};
use crate::error::{Blocked, block};

struct Chunk {
    id: [u8; 4],
    /// Offset of the chunk header.
    start: usize,
    /// Offset of the data.
    data: usize,
    len: usize,
}

impl Chunk {
    fn end_padded(&self) -> usize {
        self.data + self.len + (self.len & 1)
    }
}

/// Lists the chunks in `d[from..to]`.
fn chunks(d: &[u8], from: usize, to: usize) -> Result<Vec<Chunk>, Blocked> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos + 8 <= to {
        let id: [u8; 4] = slice(d, pos, 4)?
            .try_into()
            .map_err(|_| block!("RIFF: bad id"))?;
        let len = usize::try_from(le32(d, pos + 4)?).map_err(|_| block!("RIFF: size"))?;
        let c = Chunk {
            id,
            start: pos,
            data: pos + 8,
            len,
        };
        if c.data + len > to {
            return Err(block!(
                "RIFF: chunk {} at byte {pos} runs past its parent (truncated)",
                fourcc(&id)
            ));
        }
        pos = c.end_padded().min(to);
        out.push(c);
    }
    if pos != to {
        return Err(block!(
            "RIFF: {} stray bytes at byte {pos}",
            to.saturating_sub(pos)
        ));
    }
    Ok(out)
}

/// Checks the RIFF header and returns the end of the RIFF data.
fn riff_end(d: &[u8], form: &[u8; 4], removed: &mut Vec<String>) -> Result<usize, Blocked> {
    if slice(d, 0, 4)? != b"RIFF" || slice(d, 8, 4)? != form {
        return Err(block!("RIFF: not a {} file", fourcc(form)));
    }
    let size = usize::try_from(le32(d, 4)?).map_err(|_| block!("RIFF: size"))?;
    let end = size
        .checked_add(8)
        .ok_or_else(|| block!("RIFF: size overflow"))?;
    if end < 12 {
        return Err(block!("RIFF: size {size} is too small"));
    }
    if end > d.len() {
        return Err(block!(
            "RIFF: header says {end} bytes, file has {} (truncated)",
            d.len()
        ));
    }
    if end < d.len() {
        removed.push(format!("{} bytes after the RIFF data", d.len() - end));
    }
    Ok(end)
}

fn rebuild(form: &[u8; 4], parts: &[&[u8]]) -> Result<Vec<u8>, Blocked> {
    let body: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 4;
    let size = u32::try_from(body).map_err(|_| block!("RIFF: over 4 GiB"))?;
    let mut out = Vec::with_capacity(body + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(form);
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

fn chunk_bytes<'a>(d: &'a [u8], c: &Chunk) -> Result<&'a [u8], Blocked> {
    let end = c.end_padded().min(d.len());
    if c.len & 1 == 1 && c.data + c.len + 1 > d.len() {
        return Err(block!(
            "RIFF: missing pad byte after chunk {}",
            fourcc(&c.id)
        ));
    }
    d.get(c.start..end)
        .ok_or_else(|| block!("RIFF: truncated chunk"))
}

/// Cleans a WebP.
pub(crate) fn clean_webp(
    d: &[u8],
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    let end = riff_end(d, b"WEBP", removed)?;
    let list = chunks(d, 12, end)?;
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut dropped_flags = 0u8;
    let mut has_image = false;
    for c in &list {
        let bytes = chunk_bytes(d, c)?;
        match &c.id {
            b"VP8 " | b"VP8L" | b"ANMF" => {
                has_image = true;
                parts.push(bytes.to_vec());
            }
            b"VP8X" | b"ALPH" | b"ANIM" => parts.push(bytes.to_vec()),
            b"ICCP" if cx.cfg.keep_icc => parts.push(bytes.to_vec()),
            other => {
                dropped_flags |= match other {
                    b"ICCP" => 0x20,
                    b"EXIF" => 0x08,
                    b"XMP " => 0x04,
                    _ => 0,
                };
                removed.push(format!("{} chunk ({} bytes)", fourcc(other), c.len));
            }
        }
    }
    if !has_image {
        return Err(block!("WebP: no image chunk"));
    }
    if let Some(vp8x) = parts.iter_mut().find(|p| p.starts_with(b"VP8X"))
        && let Some(flags) = vp8x.get_mut(8)
    {
        *flags &= !dropped_flags;
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    rebuild(b"WEBP", &refs)
}

/// Cleans a WAV.
pub(crate) fn clean_wav(
    d: &[u8],
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    let end = riff_end(d, b"WAVE", removed)?;
    let list = chunks(d, 12, end)?;
    let mut parts: Vec<&[u8]> = Vec::new();
    let (mut fmt, mut data) = (false, false);
    for c in &list {
        match &c.id {
            b"fmt " | b"data" | b"fact" | b"cue " | b"smpl" | b"inst" => {
                fmt |= &c.id == b"fmt ";
                data |= &c.id == b"data";
                parts.push(chunk_bytes(d, c)?);
            }
            other => {
                let kind = if other == b"LIST" {
                    format!("LIST {}", fourcc(slice(d, c.data, 4).unwrap_or(b"????")))
                } else {
                    fourcc(other)
                };
                removed.push(format!("{kind} chunk ({} bytes)", c.len));
            }
        }
    }
    if !fmt || !data {
        return Err(block!("WAV: missing fmt or data chunk"));
    }
    rebuild(b"WAVE", &parts)
}

fn junk(out: &mut [u8], c: &Chunk) {
    if let Some(h) = out.get_mut(c.start..c.start + 4) {
        h.copy_from_slice(b"JUNK");
    }
    if let Some(body) = out.get_mut(c.data..c.data + c.len) {
        body.fill(0);
    }
}

/// Cleans an AVI in place.
pub(crate) fn clean_avi(
    d: &[u8],
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    let end = riff_end(d, b"AVI ", removed)?;
    let mut out = d
        .get(..end)
        .ok_or_else(|| block!("AVI: truncated"))?
        .to_vec();
    // The first RIFF, then any OpenDML `RIFF AVIX` extensions.
    let mut riffs = vec![(12usize, end)];
    let mut pos = end;
    let mut tail = Vec::new();
    while pos + 12 <= d.len()
        && d.get(pos..pos + 4) == Some(b"RIFF")
        && d.get(pos + 8..pos + 12) == Some(b"AVIX")
    {
        let size = usize::try_from(le32(d, pos + 4)?).map_err(|_| block!("AVI: size"))?;
        let e = pos + 8 + size;
        if e > d.len() {
            return Err(block!("AVI: AVIX extension truncated"));
        }
        riffs.push((pos + 12, e));
        tail.push((pos, e));
        pos = e + (size & 1);
    }
    if !tail.is_empty() {
        // Re-include the AVIX parts that riff_end reported as trailing.
        removed.retain(|r| !r.ends_with("after the RIFF data"));
        out = d
            .get(..pos.min(d.len()))
            .ok_or_else(|| block!("AVI: truncated"))?
            .to_vec();
        if pos < d.len() {
            removed.push(format!("{} bytes after the AVI data", d.len() - pos));
        }
    }
    let mut saw_hdrl = false;
    for (i, &(from, to)) in riffs.iter().enumerate() {
        for c in chunks(d, from, to)? {
            let list_type = if &c.id == b"LIST" {
                slice(d, c.data, 4).ok()
            } else {
                None
            };
            match (&c.id, list_type) {
                (b"LIST", Some(b"hdrl")) if i == 0 => {
                    saw_hdrl = true;
                    clean_avi_list(d, &mut out, &c, removed, 0)?;
                }
                (b"LIST", Some(b"movi")) | (b"idx1", _) => {}
                (b"JUNK", _) => junk(&mut out, &c),
                (id, lt) => {
                    removed.push(format!(
                        "{} {} ({} bytes)",
                        fourcc(id),
                        fourcc(lt.unwrap_or(b"")),
                        c.len
                    ));
                    junk(&mut out, &c);
                }
            }
        }
    }
    if !saw_hdrl {
        return Err(block!("AVI: no hdrl header list"));
    }
    Ok(out)
}

fn clean_avi_list(
    d: &[u8],
    out: &mut [u8],
    list: &Chunk,
    removed: &mut Vec<String>,
    depth: u32,
) -> Result<(), Blocked> {
    if depth > 3 {
        return Err(block!("AVI: header lists nested too deep"));
    }
    if list.len < 4 {
        return Err(block!("AVI: empty LIST"));
    }
    for c in chunks(d, list.data + 4, list.data + list.len)? {
        let list_type = if &c.id == b"LIST" {
            slice(d, c.data, 4).ok()
        } else {
            None
        };
        match (&c.id, list_type) {
            (b"LIST", Some(b"strl")) => clean_avi_list(d, out, &c, removed, depth + 1)?,
            (b"LIST", Some(b"odml")) => {}
            (b"avih" | b"strh" | b"strf" | b"strd" | b"indx" | b"vprp" | b"dmlh", _) => {}
            (b"JUNK", _) => junk(out, &c),
            (id, lt) => {
                removed.push(format!(
                    "{} {} ({} bytes)",
                    fourcc(id),
                    fourcc(lt.unwrap_or(b"")).trim(),
                    c.len
                ));
                junk(out, &c);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn ch(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn riff(form: &[u8; 4], body: &[Vec<u8>]) -> Vec<u8> {
        let refs: Vec<&[u8]> = body.iter().map(Vec::as_slice).collect();
        rebuild(form, &refs).unwrap()
    }

    #[test]
    fn webp_drops_exif_and_fixes_flags() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let w = riff(
            b"WEBP",
            &[
                ch(b"VP8X", &[0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                ch(b"VP8 ", b"frame"),
                ch(b"EXIF", b"GPS secret"),
                ch(b"XMP ", b"<x/>"),
            ],
        );
        let mut removed = vec![];
        let out = clean_webp(&w, &cx, &mut removed).unwrap();
        assert_eq!(out[20], 0);
        assert_eq!(removed.len(), 2);
        assert_eq!(le32(&out, 4).unwrap() as usize + 8, out.len());
        assert!(!out.windows(6).any(|x| x == b"secret"));
        for cut in 0..w.len() {
            let _ = clean_webp(&w[..cut], &cx, &mut vec![]);
        }
        assert!(clean_webp(&w[..w.len() - 3], &cx, &mut vec![]).is_err());
    }

    #[test]
    fn wav_drops_info() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut info = b"INFO".to_vec();
        info.extend(ch(b"IART", b"Kim Secret"));
        let w = riff(
            b"WAVE",
            &[
                ch(b"fmt ", &[0; 16]),
                ch(b"LIST", &info),
                ch(b"data", &[1, 2, 3]),
            ],
        );
        let out = clean_wav(&w, &cx, &mut vec![]).unwrap();
        assert!(!out.windows(6).any(|x| x == b"Secret"));
        assert!(out.ends_with(&ch(b"data", &[1, 2, 3])));
        assert!(clean_wav(&riff(b"WAVE", &[ch(b"fmt ", &[0; 16])]), &cx, &mut vec![]).is_err());
    }

    #[test]
    fn avi_junks_in_place() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut strl = b"strl".to_vec();
        strl.extend(ch(b"strh", &[1; 8]));
        strl.extend(ch(b"strn", b"camera 123"));
        let mut hdrl = b"hdrl".to_vec();
        hdrl.extend(ch(b"avih", &[2; 8]));
        hdrl.extend(ch(b"LIST", &strl));
        let mut info = b"INFO".to_vec();
        info.extend(ch(b"ISFT", b"Lavf secret"));
        let mut movi = b"movi".to_vec();
        movi.extend(ch(b"00dc", b"frame"));
        let a = riff(
            b"AVI ",
            &[ch(b"LIST", &hdrl), ch(b"LIST", &info), ch(b"LIST", &movi)],
        );
        let mut removed = vec![];
        let out = clean_avi(&a, &cx, &mut removed).unwrap();
        assert_eq!(out.len(), a.len());
        assert!(!out.windows(6).any(|x| x == b"secret"));
        assert!(!out.windows(3).any(|x| x == b"123"));
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert!(out.windows(5).any(|x| x == b"frame"));
    }
}

#[cfg(test)]
mod regression {
    use super::*;
    use crate::config::Config;

    /// Found by the `image` fuzz target: a RIFF size under 4 made `chunks` start past its end.
    #[test]
    fn tiny_riff_size_blocks() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        for size in 0u32..4 {
            let mut d = b"RIFF".to_vec();
            d.extend_from_slice(&size.to_le_bytes());
            d.extend_from_slice(b"WEBP");
            assert!(clean_webp(&d, &cx, &mut vec![]).is_err());
            d[8..12].copy_from_slice(b"WAVE");
            assert!(clean_wav(&d, &cx, &mut vec![]).is_err());
            d[8..12].copy_from_slice(b"AVI ");
            assert!(clean_avi(&d, &cx, &mut vec![]).is_err());
        }
    }
}
