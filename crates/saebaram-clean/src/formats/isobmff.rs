//! ISO base media files: MP4, M4A, M4V, MOV, 3GP. Streamed: only box headers and the
//! `moov`/`moof` boxes are read (under [`MOOV_CAP`]); `mdat` is planned as a copy and never
//! read by the cleaner.
//!
//! Changed in place so every `stco`/`co64` chunk offset and `sidx` reference stays valid:
//! `udta` (GPS `©xyz`, make, model, software, iTunes tags, cover art), `meta` (keys/ilst) and
//! `uuid` boxes (XMP, vendor data) become zero-filled `free` boxes of the same size, existing
//! free space is zeroed, and creation/modification times in `mvhd`, `tkhd` and `mdhd` are set
//! to 0 (policy: 1904-01-01, the format's epoch). `mdat` is not touched. A timed-metadata
//! track (handler `meta`, e.g. per-frame GPS) is blocked: removing it would leave its samples
//! in `mdat`.

use super::{Ctx, be32, be64, fourcc, slice};
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_array, read_vec};

struct Box4 {
    kind: [u8; 4],
    start: usize,
    payload: usize,
    end: usize,
}

fn boxes(d: &[u8], from: usize, to: usize, top: bool) -> Result<Vec<Box4>, Blocked> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos < to {
        if to - pos < 8 {
            // Some writers pad a container with up to 7 zero bytes.
            if slice(d, pos, to - pos)?.iter().all(|&b| b == 0) {
                break;
            }
            return Err(block!(
                Damaged,
                "MP4: {} stray bytes at byte {pos}",
                to - pos
            ));
        }
        let size32 = be32(d, pos)?;
        let kind: [u8; 4] = slice(d, pos + 4, 4)?
            .try_into()
            .map_err(|_| block!(CannotClean, "MP4: type"))?;
        let (header, size) = match size32 {
            0 if top => (8, (to - pos) as u64),
            0 => {
                return Err(block!(
                    Damaged,
                    "MP4: size-0 box {} inside a container",
                    fourcc(&kind)
                ));
            }
            1 => (16, be64(d, pos + 8)?),
            n => (8, u64::from(n)),
        };
        let size = usize::try_from(size).map_err(|_| block!(TooLarge, "MP4: box too large"))?;
        if size < header || pos.checked_add(size).is_none_or(|e| e > to) {
            return Err(block!(
                Damaged,
                "MP4: box {} at byte {pos} has size {size}, past its parent (truncated?)",
                fourcc(&kind)
            ));
        }
        out.push(Box4 {
            kind,
            start: pos,
            payload: pos + header,
            end: pos + size,
        });
        pos += size;
    }
    Ok(out)
}

/// Largest `moov`/`moof` box read into memory (a three-hour film's sample tables are tens
/// of MiB).
pub(crate) const MOOV_CAP: u64 = 256 << 20;

/// Edits of one in-memory box tree, as (offset in `d`, new bytes of the same length).
struct Walk<'a> {
    d: &'a [u8],
    patches: Vec<(u64, Vec<u8>)>,
    removed: Vec<String>,
    times: usize,
}

impl Walk<'_> {
    fn patch(&mut self, at: usize, new: Vec<u8>) {
        if self.d.get(at..at + new.len()) != Some(new.as_slice()) {
            self.patches.push((at as u64, new));
        }
    }

    /// Turns a box into zero-filled `free` padding of the same size.
    fn make_free(&mut self, b: &Box4) {
        self.patch(b.start + 4, b"free".to_vec());
        self.patch(b.payload, vec![0; b.end - b.payload]);
    }

    /// Zeroes the two times of a full box (version byte at its payload).
    fn zero_times(&mut self, b: &Box4) -> Result<(), Blocked> {
        let version = *self
            .d
            .get(b.payload)
            .ok_or_else(|| block!(Damaged, "MP4: empty {}", fourcc(&b.kind)))?;
        let len = match version {
            0 => 8,
            1 => 16,
            v => return Err(block!(CannotClean, "MP4: {} version {v}", fourcc(&b.kind))),
        };
        let times = self
            .d
            .get(b.payload + 4..b.payload + 4 + len)
            .filter(|_| b.payload + 4 + len <= b.end)
            .ok_or_else(|| block!(Damaged, "MP4: {} truncated", fourcc(&b.kind)))?;
        if times.iter().any(|&x| x != 0) {
            self.times += 1;
            self.patch(b.payload + 4, vec![0; len]);
        }
        Ok(())
    }

    fn container(&mut self, from: usize, to: usize, path: &str, depth: u32) -> Result<(), Blocked> {
        if depth > 12 {
            return Err(block!(TooLarge, "MP4: boxes nested deeper than 12"));
        }
        for b in boxes(self.d, from, to, false)? {
            let kind = b.kind;
            let here = format!("{path}/{}", fourcc(&kind));
            match &kind {
                b"udta" if self.empty_itunes_udta(&b) => {}
                b"udta" | b"meta" | b"uuid" | b"ilst" | b"keys" | b"XMP_" | b"Xtra" => {
                    self.removed
                        .push(format!("{here} ({} bytes)", b.end - b.start));
                    self.make_free(&b);
                }
                b"free" | b"skip" | b"wide" => self.make_free(&b),
                b"mvhd" | b"tkhd" | b"mdhd" => self.zero_times(&b)?,
                b"trak" => {
                    self.check_track(&b, &here)?;
                    self.container(b.payload, b.end, &here, depth + 1)?;
                }
                b"mdia" | b"minf" | b"edts" | b"dinf" | b"mvex" | b"traf" | b"moof" | b"stbl" => {
                    self.container(b.payload, b.end, &here, depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether `udta` holds only an empty iTunes tag list: one `meta` (version 0, no flags)
    /// with an `hdlr` of type `mdir` (reserved bytes zero or the `appl` manufacturer code, no
    /// name) and an `ilst` with nothing in it. ffmpeg's MP4 muxer writes exactly this even in
    /// bit-exact mode with no metadata; it names nobody, so it is kept byte for byte and the
    /// file comes through unchanged. Any other content (a tag, a name, another box) is freed.
    fn empty_itunes_udta(&self, udta: &Box4) -> bool {
        let Ok(children) = boxes(self.d, udta.payload, udta.end, false) else {
            return false;
        };
        let [meta] = children.as_slice() else {
            return false;
        };
        if &meta.kind != b"meta" || self.d.get(meta.payload..meta.payload + 4) != Some(&[0; 4]) {
            return false;
        }
        let Ok(inner) = boxes(self.d, meta.payload + 4, meta.end, false) else {
            return false;
        };
        let [hdlr, ilst] = inner.as_slice() else {
            return false;
        };
        if &hdlr.kind != b"hdlr" || &ilst.kind != b"ilst" || ilst.end != ilst.payload {
            return false;
        }
        // version/flags, pre_defined, handler type, 12 reserved bytes, name.
        let Some(h) = self.d.get(hdlr.payload..hdlr.end) else {
            return false;
        };
        let manufacturer_ok = |r: &[u8]| r == [0; 12] || r == *b"appl\0\0\0\0\0\0\0\0";
        matches!(h.len(), 24 | 25)
            && h[..8] == [0; 8]
            && &h[8..12] == b"mdir"
            && manufacturer_ok(&h[12..24])
            && h[24..].iter().all(|&b| b == 0)
    }

    fn check_track(&self, trak: &Box4, here: &str) -> Result<(), Blocked> {
        for b in boxes(self.d, trak.payload, trak.end, false)? {
            if &b.kind == b"mdia" {
                for h in boxes(self.d, b.payload, b.end, false)? {
                    if &h.kind == b"hdlr" {
                        let handler = slice(self.d, h.payload + 8, 4)?;
                        if handler == b"meta" {
                            return Err(block!(
                                CannotClean,
                                "MP4: {here} is a timed-metadata track (may hold GPS per frame)"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A top-level box header read from the source.
struct TopBox {
    kind: [u8; 4],
    header: u64,
    size: u64,
}

fn top_box(src: &dyn Source, pos: u64) -> Result<TopBox, Blocked> {
    let left = src.len() - pos;
    let head: [u8; 8] = read_array(src, pos)?;
    let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let kind = [head[4], head[5], head[6], head[7]];
    let (header, size) = match size32 {
        0 => (8, left),
        1 => (16, u64::from_be_bytes(read_array(src, pos + 8)?)),
        n => (8, u64::from(n)),
    };
    if size < header || size > left {
        return Err(block!(
            Damaged,
            "MP4: box {} at byte {pos} has size {size}, past the end (truncated?)",
            fourcc(&kind)
        ));
    }
    Ok(TopBox { kind, header, size })
}

/// Plans a top-level box as zero-filled `free` padding of the same size. A `free` box that
/// already is all zeros (small enough to check) stays a copy.
fn plan_free(src: &dyn Source, pos: u64, b: &TopBox, plan: &mut Plan) -> Result<(), Blocked> {
    let payload = b.size - b.header;
    if &b.kind == b"free" && payload <= 1 << 20 {
        let body = read_vec(src, pos + b.header, payload as usize)?;
        if body.iter().all(|&x| x == 0) {
            plan.copy(pos, b.size);
            return Ok(());
        }
    }
    let mut header = read_vec(src, pos, b.header as usize)?;
    if let Some(kind) = header.get_mut(4..8) {
        kind.copy_from_slice(b"free");
    }
    plan.bytes(header);
    plan.zeros(payload);
    Ok(())
}

/// Cleans an MP4/MOV in place, reading only headers and `moov`/`moof`.
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let mut plan = Plan::new();
    let mut saw_moov = false;
    let mut times = 0;
    let mut pos = 0u64;
    while pos < len {
        if len - pos < 8 {
            // Some writers pad the file with up to 7 zero bytes.
            let rest = read_vec(src, pos, (len - pos) as usize)?;
            if rest.iter().all(|&b| b == 0) {
                plan.copy(pos, len - pos);
                break;
            }
            return Err(block!(
                Damaged,
                "MP4: {} stray bytes at byte {pos}",
                len - pos
            ));
        }
        let b = top_box(src, pos)?;
        let here = fourcc(&b.kind);
        match &b.kind {
            b"ftyp" | b"styp" | b"mdat" | b"mfra" | b"sidx" | b"ssix" | b"pdin" | b"prft"
            | b"emsg" => plan.copy(pos, b.size),
            b"free" | b"skip" | b"wide" => plan_free(src, pos, &b, &mut plan)?,
            b"udta" | b"meta" | b"uuid" => {
                removed.push(format!("{here} ({} bytes)", b.size));
                plan_free(src, pos, &b, &mut plan)?;
            }
            b"moov" | b"moof" => {
                if b.size > MOOV_CAP {
                    return Err(block!(
                        TooLarge,
                        "MP4: {here} box of {} bytes is over the {} MiB limit",
                        b.size,
                        MOOV_CAP >> 20
                    ));
                }
                saw_moov |= &b.kind == b"moov";
                cx.reserve(b.size, "MP4 movie header")?;
                let d = read_vec(src, pos, b.size as usize)?;
                let mut w = Walk {
                    d: &d,
                    patches: Vec::new(),
                    removed: Vec::new(),
                    times: 0,
                };
                w.container(b.header as usize, d.len(), &here, 1)?;
                removed.append(&mut w.removed);
                times += w.times;
                plan.copy_patched(pos, b.size, w.patches)?;
            }
            _ => return Err(block!(CannotClean, "MP4: unknown top-level box {here}")),
        }
        pos += b.size;
    }
    if !saw_moov {
        return Err(block!(Damaged, "MP4: no moov box"));
    }
    if times > 0 {
        removed.push(format!(
            "creation/modification times zeroed in {times} header box(es)"
        ));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean(&d, cx, removed)?.materialize(&d, u64::MAX)
    }

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(payload);
        v
    }

    /// `udta/meta{hdlr mdir appl, ilst{}}` as ffmpeg's MP4 muxer writes it in bit-exact mode.
    fn ffmpeg_udta(hdlr_reserved: &[u8; 12], ilst: &[u8]) -> Vec<u8> {
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(b"mdir");
        hdlr.extend_from_slice(hdlr_reserved);
        hdlr.push(0);
        let meta = [vec![0u8; 4], bx(b"hdlr", &hdlr), bx(b"ilst", ilst)].concat();
        bx(b"udta", &bx(b"meta", &meta))
    }

    fn movie(udta: Vec<u8>) -> Vec<u8> {
        let moov = bx(b"moov", &[bx(b"mvhd", &[0u8; 100]), udta].concat());
        [
            bx(b"ftyp", b"isom\0\0\0\0"),
            moov,
            bx(b"free", b""),
            bx(b"mdat", b"frames"),
        ]
        .concat()
    }

    #[test]
    fn ffmpegs_empty_tag_list_comes_through_byte_identical() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        for reserved in [*b"appl\0\0\0\0\0\0\0\0", [0; 12]] {
            let file = movie(ffmpeg_udta(&reserved, b""));
            assert_eq!(ffmpeg_udta(&reserved, b"").len(), 61, "ffmpeg 5.1's size");
            let mut removed = vec![];
            let out = clean(&file, &cx, &mut removed).unwrap();
            assert!(removed.is_empty(), "{removed:?}");
            assert!(out == file);
        }
    }

    #[test]
    fn a_planted_tag_or_name_in_the_tag_list_frees_it() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let tag = bx(b"\xA9too", &bx(b"data", b"\0\0\0\x01\0\0\0\0Lavf-KIM"));
        let mut named = ffmpeg_udta(b"appl\0\0\0\0\0\0\0\0", b"");
        // A handler name (the last byte of hdlr) that is not empty.
        let name_at = named.len() - 9;
        named[name_at] = b'K';
        let other_maker = ffmpeg_udta(b"KIM1\0\0\0\0\0\0\0\0", b"");
        let extra = [
            ffmpeg_udta(b"appl\0\0\0\0\0\0\0\0", b""),
            bx(b"\xA9xyz", b"+37.5"),
        ]
        .concat();
        let two = bx(b"udta", &extra[8..]);
        for udta in [
            ffmpeg_udta(b"appl\0\0\0\0\0\0\0\0", &tag),
            named,
            other_maker,
            two,
        ] {
            let file = movie(udta);
            let mut removed = vec![];
            let out = clean(&file, &cx, &mut removed).unwrap();
            assert_eq!(out.len(), file.len());
            assert!(
                removed.iter().any(|r| r.starts_with("moov/udta")),
                "{removed:?}"
            );
            for planted in [&b"KIM"[..], b"+37.5", b"mdir"] {
                assert!(!out.windows(planted.len()).any(|w| w == planted));
            }
        }
    }

    #[test]
    fn udta_freed_times_zeroed_size_kept() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut mvhd = vec![0u8; 100];
        mvhd[4..8].copy_from_slice(&[1, 2, 3, 4]);
        let udta = bx(b"udta", &bx(b"\xA9xyz", b"+37.5+126.9/"));
        let moov = bx(b"moov", &[bx(b"mvhd", &mvhd), udta].concat());
        let file = [bx(b"ftyp", b"isom\0\0\0\0"), moov, bx(b"mdat", b"frames")].concat();
        let mut removed = vec![];
        let out = clean(&file, &cx, &mut removed).unwrap();
        assert_eq!(out.len(), file.len());
        // The media data is a copy of the input, never read by the cleaner.
        let mdat_at = (file.len() - 14) as u64;
        let plan = super::clean(&file, &cx, &mut vec![]).unwrap();
        assert!(plan.pieces().iter().any(|p| matches!(p,
            crate::plan::Piece::Copy { offset, len } if *offset <= mdat_at && offset + len == file.len() as u64)));
        assert!(!out.windows(5).any(|w| w == b"+37.5"));
        assert!(out.ends_with(&bx(b"mdat", b"frames")));
        assert_eq!(removed.len(), 2, "{removed:?}");
        for cut in 1..file.len() - 1 {
            let _ = clean(&file[..cut], &cx, &mut vec![]);
        }
        assert!(clean(&file[..40], &cx, &mut vec![]).is_err());
    }
}
