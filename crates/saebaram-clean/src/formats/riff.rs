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
use crate::plan::{Edit, Plan};
use crate::source::{Source, read_array, read_vec};

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
            .map_err(|_| block!(Damaged, "RIFF: bad id"))?;
        let len = usize::try_from(le32(d, pos + 4)?).map_err(|_| block!(Damaged, "RIFF: size"))?;
        let c = Chunk {
            id,
            start: pos,
            data: pos + 8,
            len,
        };
        if c.data + len > to {
            return Err(block!(
                Damaged,
                "RIFF: chunk {} at byte {pos} runs past its parent (truncated)",
                fourcc(&id)
            ));
        }
        pos = c.end_padded().min(to);
        out.push(c);
    }
    if pos != to {
        return Err(block!(
            Damaged,
            "RIFF: {} stray bytes at byte {pos}",
            to.saturating_sub(pos)
        ));
    }
    Ok(out)
}

/// Checks the RIFF header and returns the end of the RIFF data.
fn riff_end(d: &[u8], form: &[u8; 4], removed: &mut Vec<String>) -> Result<usize, Blocked> {
    if slice(d, 0, 4)? != b"RIFF" || slice(d, 8, 4)? != form {
        return Err(block!(Damaged, "RIFF: not a {} file", fourcc(form)));
    }
    let size = usize::try_from(le32(d, 4)?).map_err(|_| block!(Damaged, "RIFF: size"))?;
    let end = size
        .checked_add(8)
        .ok_or_else(|| block!(Damaged, "RIFF: size overflow"))?;
    if end < 12 {
        return Err(block!(Damaged, "RIFF: size {size} is too small"));
    }
    if end > d.len() {
        return Err(block!(
            Damaged,
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
    let body: usize = parts.iter().map(|p| <[u8]>::len(p)).sum::<usize>() + 4;
    let size = u32::try_from(body).map_err(|_| block!(TooLarge, "RIFF: over 4 GiB"))?;
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
            Damaged,
            "RIFF: missing pad byte after chunk {}",
            fourcc(&c.id)
        ));
    }
    d.get(c.start..end)
        .ok_or_else(|| block!(Damaged, "RIFF: truncated chunk"))
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
            b"ICCP" if cx.cfg.keep_icc => {
                let profile = slice(d, c.data, c.len)?;
                match super::icc::clean_profile(profile, "WebP ICCP", removed)? {
                    super::icc::Cleaned::Keep => parts.push(bytes.to_vec()),
                    super::icc::Cleaned::Scrubbed(p) => {
                        let n = u32::try_from(p.len())
                            .map_err(|_| block!(TooLarge, "WebP: ICCP too large"))?;
                        let mut chunk = b"ICCP".to_vec();
                        chunk.extend_from_slice(&n.to_le_bytes());
                        chunk.extend_from_slice(&p);
                        if p.len() % 2 == 1 {
                            chunk.push(0);
                        }
                        parts.push(chunk);
                    }
                }
            }
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
        return Err(block!(Damaged, "WebP: no image chunk"));
    }
    if let Some(vp8x) = parts.iter_mut().find(|p| p.starts_with(b"VP8X"))
        && let Some(flags) = vp8x.get_mut(8)
    {
        *flags &= !dropped_flags;
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    rebuild(b"WEBP", &refs)
}

/// A chunk found through a [`Source`] (offsets in the file).
struct FileChunk {
    id: [u8; 4],
    start: u64,
    data: u64,
    len: u64,
}

impl FileChunk {
    fn end_padded(&self) -> u64 {
        self.data + self.len + (self.len & 1)
    }
}

/// Most chunks listed at one level (a file of tiny chunks must not make a huge list).
const MAX_CHUNKS: usize = 100_000;

/// Lists the chunks in `from..to` of `src`. `ds64_data` replaces a 0xFFFFFFFF `data` size
/// (RF64).
fn file_chunks(
    src: &dyn Source,
    from: u64,
    to: u64,
    ds64_data: Option<u64>,
) -> Result<Vec<FileChunk>, Blocked> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos + 8 <= to {
        let h: [u8; 8] = read_array(src, pos)?;
        let id = [h[0], h[1], h[2], h[3]];
        let len32 = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let len = match ds64_data {
            Some(n) if &id == b"data" && len32 == u32::MAX => n,
            _ => u64::from(len32),
        };
        let c = FileChunk {
            id,
            start: pos,
            data: pos + 8,
            len,
        };
        if c.data + len > to {
            return Err(block!(
                Damaged,
                "RIFF: chunk {} at byte {pos} runs past its parent (truncated)",
                fourcc(&id)
            ));
        }
        pos = c.end_padded().min(to);
        out.push(c);
        if out.len() > MAX_CHUNKS {
            return Err(block!(TooLarge, "RIFF: more than {MAX_CHUNKS} chunks"));
        }
    }
    if pos != to {
        return Err(block!(
            Damaged,
            "RIFF: {} stray bytes at byte {pos}",
            to.saturating_sub(pos)
        ));
    }
    Ok(out)
}

/// Bytes of a kept chunk with its pad byte, which must be there.
fn kept_len(src: &dyn Source, c: &FileChunk) -> Result<u64, Blocked> {
    if c.len & 1 == 1 && c.data + c.len + 1 > src.len() {
        return Err(block!(
            Damaged,
            "RIFF: missing pad byte after chunk {}",
            fourcc(&c.id)
        ));
    }
    Ok(c.end_padded() - c.start)
}

/// Cleans a WAV (RIFF, and RF64/BW64 for files over 4 GiB): keeps the audio chunks, drops the
/// rest. Streamed: the `data` chunk is copied, never read.
pub(crate) fn clean_wav(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let head: [u8; 12] = read_array(src, 0)?;
    let form = [head[0], head[1], head[2], head[3]];
    if head.get(8..12) != Some(b"WAVE") || !matches!(&form, b"RIFF" | b"RF64" | b"BW64") {
        return Err(block!(Damaged, "RIFF: not a WAVE file"));
    }
    let size32 = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    let rf64 = &form != b"RIFF";
    // RF64: the real sizes are in the ds64 chunk that must come first.
    let (riff_size, ds64) = if rf64 {
        let h: [u8; 8] = read_array(src, 12)?;
        let ds_len = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
        if h.get(..4) != Some(b"ds64") || !(24..=1 << 20).contains(&ds_len) {
            return Err(block!(Damaged, "RF64: no ds64 chunk first"));
        }
        let body = read_vec(src, 20, ds_len as usize)?;
        let le64 = |at: usize| {
            body.get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
                .unwrap_or(0)
        };
        let (riff, data) = (le64(0), le64(8));
        (riff, Some((body, data)))
    } else {
        (size32, None)
    };
    let end = riff_size
        .checked_add(8)
        .ok_or_else(|| block!(Damaged, "RIFF: size overflow"))?;
    if end < 12 {
        return Err(block!(Damaged, "RIFF: size {riff_size} is too small"));
    }
    if end > src.len() {
        return Err(block!(
            Damaged,
            "RIFF: header says {end} bytes, file has {} (truncated)",
            src.len()
        ));
    }
    let trailing = src.len() - end;
    let list = file_chunks(src, 12, end, ds64.as_ref().map(|(_, data)| *data))?;
    let mut kept: Vec<(u64, u64)> = Vec::new();
    let (mut fmt, mut data, mut dropped) = (false, false, false);
    for c in &list {
        match &c.id {
            b"ds64" if rf64 && c.start == 12 => {}
            b"fmt " | b"data" | b"fact" | b"cue " | b"smpl" | b"inst" => {
                fmt |= &c.id == b"fmt ";
                data |= &c.id == b"data";
                kept.push((c.start, kept_len(src, c)?));
            }
            other => {
                let kind = if other == b"LIST" {
                    let t: [u8; 4] = read_array(src, c.data).unwrap_or(*b"????");
                    format!("LIST {}", fourcc(&t))
                } else {
                    fourcc(other)
                };
                removed.push(format!("{kind} chunk ({} bytes)", c.len));
                dropped = true;
            }
        }
    }
    if !fmt || !data {
        return Err(block!(Damaged, "WAV: missing fmt or data chunk"));
    }
    if trailing > 0 {
        removed.push(format!("{trailing} bytes after the RIFF data"));
    } else if !dropped {
        return Ok(Plan::unchanged(src));
    }
    let mut plan = Plan::new();
    let mut body_len: u64 = kept.iter().map(|(_, n)| n).sum::<u64>() + 4;
    match ds64 {
        None => {
            let size = u32::try_from(body_len).map_err(|_| block!(TooLarge, "RIFF: over 4 GiB"))?;
            plan.bytes([b"RIFF".as_slice(), &size.to_le_bytes(), b"WAVE"].concat());
        }
        Some((mut ds_body, _)) => {
            let ds_len = 8 + ds_body.len() as u64 + (ds_body.len() as u64 & 1);
            body_len += ds_len;
            if let Some(riff) = ds_body.get_mut(..8) {
                riff.copy_from_slice(&body_len.to_le_bytes());
            }
            plan.bytes([form.as_slice(), &u32::MAX.to_le_bytes(), b"WAVE"].concat());
            let mut chunk = b"ds64".to_vec();
            chunk.extend_from_slice(&(ds_body.len() as u32).to_le_bytes());
            chunk.append(&mut ds_body);
            if chunk.len() % 2 == 1 {
                chunk.push(0);
            }
            plan.bytes(chunk);
        }
    }
    for (start, n) in kept {
        plan.copy(start, n);
    }
    Ok(plan)
}

/// Whether a chunk id is one an AVI stream's data chunks use: two decimal digits (the
/// stream number) then `dc`, `db`, `wb`, `tx` or `pc`.
fn is_stream_chunk_id(id: &[u8]) -> bool {
    matches!(id, [a, b, c, d] if a.is_ascii_digit() && b.is_ascii_digit()
        && matches!([*c, *d], [b'd', b'c'] | [b'd', b'b'] | [b'w', b'b'] | [b't', b'x'] | [b'p', b'c']))
}

/// Whether a `JUNK` body inside `hdrl` is an OpenDML index reservation and nothing else, so
/// it is kept byte for byte (ffmpeg's AVI muxer writes both in every file, and rewrites them
/// as `indx`/`LIST odml` once a file passes 1 GiB):
///
/// * a stream's super-index placeholder: `wLongsPerEntry` 4, index type and sub-type 0, no
///   entries in use, the stream's chunk id (`00dc`, `01wb`...), then only zeros;
/// * the `odml` list placeholder: `odml`, `dmlh`, its size (at most the rest of the body),
///   then only zeros.
///
/// Both hold a stream number, a fixed tag and zeros: nothing that can name a person or a
/// machine. Any other byte that is not zero makes the chunk ordinary `JUNK`, zeroed.
fn reserved_index_junk(body: &[u8]) -> bool {
    let zeros = |from: usize| body.get(from..).is_some_and(|r| r.iter().all(|&b| b == 0));
    if body.len() >= 24 && body[..8] == [4, 0, 0, 0, 0, 0, 0, 0] && is_stream_chunk_id(&body[8..12])
    {
        return zeros(12);
    }
    if body.len() >= 12 && &body[..8] == b"odmldmlh" {
        let declared = u32::from_le_bytes([body[8], body[9], body[10], body[11]]) as usize;
        return declared <= body.len() - 12 && zeros(12);
    }
    false
}

fn junk(out: &mut [u8], c: &Chunk) {
    if let Some(body) = out.get(c.data..c.data + c.len)
        && reserved_index_junk(body)
    {
        return;
    }
    if let Some(h) = out.get_mut(c.start..c.start + 4) {
        h.copy_from_slice(b"JUNK");
    }
    if let Some(body) = out.get_mut(c.data..c.data + c.len) {
        body.fill(0);
    }
}

/// A JUNK chunk's edits: zero its body (unless it already is zero).
fn junk_body(src: &dyn Source, c: &FileChunk, edits: &mut Vec<(u64, Edit)>) -> Result<(), Blocked> {
    if c.len <= 1 << 20 {
        let body = read_vec(src, c.data, c.len as usize)?;
        if body.iter().all(|&b| b == 0) {
            return Ok(());
        }
    }
    edits.push((c.data, Edit::Zeros(c.len)));
    Ok(())
}

/// Largest `hdrl` header list read into memory.
const HDRL_CAP: u64 = 16 << 20;

/// Cleans an AVI in place (OpenDML `AVIX` extensions over 1 GiB included). Streamed: only the
/// chunk headers and the `hdrl` list are read; `movi` lists and indexes are copied.
pub(crate) fn clean_avi(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let head: [u8; 12] = read_array(src, 0)?;
    if head.get(..4) != Some(b"RIFF") || head.get(8..12) != Some(b"AVI ") {
        return Err(block!(Damaged, "RIFF: not a AVI  file"));
    }
    let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    let end = size + 8;
    if end < 12 {
        return Err(block!(Damaged, "RIFF: size {size} is too small"));
    }
    if end > len {
        return Err(block!(
            Damaged,
            "RIFF: header says {end} bytes, file has {len} (truncated)"
        ));
    }
    // The first RIFF, then any OpenDML `RIFF AVIX` extensions.
    let mut riffs = vec![(12u64, end)];
    let mut pos = end;
    while pos + 12 <= len {
        let h: [u8; 12] = read_array(src, pos)?;
        if h.get(..4) != Some(b"RIFF") || h.get(8..12) != Some(b"AVIX") {
            break;
        }
        let size = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
        let e = pos + 8 + size;
        if e > len {
            return Err(block!(Damaged, "AVI: AVIX extension truncated"));
        }
        riffs.push((pos + 12, e));
        pos = e + (size & 1);
        if riffs.len() > MAX_CHUNKS {
            return Err(block!(
                TooLarge,
                "AVI: more than {MAX_CHUNKS} RIFF extensions"
            ));
        }
    }
    let out_end = pos.min(len);
    if out_end < len {
        removed.push(format!("{} bytes after the AVI data", len - out_end));
    }
    let mut edits: Vec<(u64, Edit)> = Vec::new();
    let mut saw_hdrl = false;
    for (i, &(from, to)) in riffs.iter().enumerate() {
        for c in file_chunks(src, from, to, None)? {
            let list_type: Option<[u8; 4]> = if &c.id == b"LIST" && c.len >= 4 {
                Some(read_array(src, c.data)?)
            } else {
                None
            };
            match (&c.id, list_type.as_ref()) {
                (b"LIST", Some(b"hdrl")) if i == 0 => {
                    saw_hdrl = true;
                    if c.len > HDRL_CAP {
                        return Err(block!(CannotClean, "AVI: header list of {} bytes", c.len));
                    }
                    let d = read_vec(src, c.start, (8 + c.len) as usize)?;
                    let mut out = d.clone();
                    let local = Chunk {
                        id: c.id,
                        start: 0,
                        data: 8,
                        len: c.len as usize,
                    };
                    clean_avi_list(&d, &mut out, &local, removed, 0)?;
                    if out != d {
                        edits.push((c.start, Edit::Bytes(out)));
                    }
                }
                (b"LIST", Some(b"movi")) | (b"idx1", _) => {}
                (b"JUNK", _) => junk_body(src, &c, &mut edits)?,
                (id, lt) => {
                    removed.push(format!(
                        "{} {} ({} bytes)",
                        fourcc(id),
                        fourcc(lt.map_or(b"".as_slice(), |t| t.as_slice())),
                        c.len
                    ));
                    edits.push((c.start, Edit::Bytes(b"JUNK".to_vec())));
                    edits.push((c.data, Edit::Zeros(c.len)));
                }
            }
        }
    }
    if !saw_hdrl {
        return Err(block!(Damaged, "AVI: no hdrl header list"));
    }
    let mut plan = Plan::new();
    plan.copy_edited(0, out_end, edits)?;
    Ok(plan)
}

fn clean_avi_list(
    d: &[u8],
    out: &mut [u8],
    list: &Chunk,
    removed: &mut Vec<String>,
    depth: u32,
) -> Result<(), Blocked> {
    if depth > 3 {
        return Err(block!(TooLarge, "AVI: header lists nested too deep"));
    }
    if list.len < 4 {
        return Err(block!(Damaged, "AVI: empty LIST"));
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

    fn clean_wav(d: &[u8], cx: &Ctx, r: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean_wav(&d, cx, r)?.materialize(&d, u64::MAX)
    }

    fn clean_avi(d: &[u8], cx: &Ctx, r: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean_avi(&d, cx, r)?.materialize(&d, u64::MAX)
    }

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
mod reserved_index {
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

    /// ffmpeg's placeholder for stream `id`'s OpenDML super index (4,096 reserved bytes).
    fn super_index(id: &[u8; 4]) -> Vec<u8> {
        let mut body = vec![4, 0, 0, 0, 0, 0, 0, 0];
        body.extend_from_slice(id);
        body.resize(4120, 0);
        body
    }

    fn odml() -> Vec<u8> {
        let mut body = b"odmldmlh".to_vec();
        body.extend_from_slice(&248u32.to_le_bytes());
        body.resize(260, 0);
        body
    }

    /// An AVI laid out as ffmpeg writes it in bit-exact mode.
    fn avi(video_junk: &[u8], odml_junk: &[u8]) -> Vec<u8> {
        let mut strl = b"strl".to_vec();
        strl.extend(ch(b"strh", &[1; 56]));
        strl.extend(ch(b"strf", &[2; 40]));
        strl.extend(ch(b"JUNK", video_junk));
        strl.extend(ch(b"vprp", &[3; 68]));
        let mut strl_audio = b"strl".to_vec();
        strl_audio.extend(ch(b"strh", &[1; 56]));
        strl_audio.extend(ch(b"strf", &[2; 30]));
        strl_audio.extend(ch(b"JUNK", &super_index(b"01wb")));
        let mut hdrl = b"hdrl".to_vec();
        hdrl.extend(ch(b"avih", &[2; 56]));
        hdrl.extend(ch(b"LIST", &strl));
        hdrl.extend(ch(b"LIST", &strl_audio));
        hdrl.extend(ch(b"JUNK", odml_junk));
        let mut movi = b"movi".to_vec();
        movi.extend(ch(b"00dc", b"frame"));
        let body = [
            b"AVI ".to_vec(),
            ch(b"LIST", &hdrl),
            ch(b"JUNK", &[0; 1016]),
            ch(b"LIST", &movi),
            ch(b"idx1", &[0; 16]),
        ]
        .concat();
        [
            b"RIFF".to_vec(),
            (body.len() as u32).to_le_bytes().to_vec(),
            body,
        ]
        .concat()
    }

    fn clean(d: &[u8]) -> (Vec<u8>, Vec<String>) {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut removed = vec![];
        let out = super::clean_avi(&d, &cx, &mut removed)
            .unwrap()
            .materialize(&d, u64::MAX)
            .unwrap();
        (out, removed)
    }

    #[test]
    fn ffmpegs_index_reservations_come_through_byte_identical() {
        let a = avi(&super_index(b"00dc"), &odml());
        let (out, removed) = clean(&a);
        assert!(removed.is_empty(), "{removed:?}");
        assert!(out == a, "the reservations were changed");
    }

    #[test]
    fn a_planted_value_in_a_reservation_is_zeroed() {
        for (at, odml_at) in [(Some(30), None), (Some(4100), None), (None, Some(100))] {
            let mut video = super_index(b"00dc");
            let mut o = odml();
            for (buf, at) in [(&mut video, at), (&mut o, odml_at)] {
                if let Some(at) = at {
                    buf[at..at + 9].copy_from_slice(b"KIM-12345");
                }
            }
            let a = avi(&video, &o);
            let (out, _) = clean(&a);
            assert_eq!(out.len(), a.len());
            assert!(
                !out.windows(9).any(|w| w == b"KIM-12345"),
                "{at:?} {odml_at:?}"
            );
            // The other reservations stay.
            assert!(out.windows(4).any(|w| w == b"01wb"));
        }
        // Not a stream's chunk id, a wrong header, a size past the body: zeroed whole.
        for bad in [b"ab12", b"00zz", b"SERI"] {
            let (out, _) = clean(&avi(&super_index(bad), &odml()));
            assert!(!out.windows(4).any(|w| w == bad), "{bad:?}");
        }
        let mut wrong = super_index(b"00dc");
        wrong[4] = 7; // entries in use in a JUNK: not a placeholder
        let a = avi(&wrong, &odml());
        let (out, _) = clean(&a);
        // The video stream's JUNK is the first one in the file.
        let at = a.windows(4).position(|w| w == b"JUNK").unwrap() + 8;
        assert!(out[at..at + 4120].iter().all(|&b| b == 0));
        let mut big = odml();
        big[8..12].copy_from_slice(&1000u32.to_le_bytes());
        let (out, _) = clean(&avi(&super_index(b"00dc"), &big));
        assert!(!out.windows(4).any(|w| w == b"dmlh"));
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
            assert!(clean_wav(&d.as_slice(), &cx, &mut vec![]).is_err());
            d[8..12].copy_from_slice(b"AVI ");
            assert!(clean_avi(&d.as_slice(), &cx, &mut vec![]).is_err());
        }
    }
}
