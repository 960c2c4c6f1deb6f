//! ISO base media files: MP4, M4A, M4V, MOV, 3GP.
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
            return Err(block!("MP4: {} stray bytes at byte {pos}", to - pos));
        }
        let size32 = be32(d, pos)?;
        let kind: [u8; 4] = slice(d, pos + 4, 4)?
            .try_into()
            .map_err(|_| block!("MP4: type"))?;
        let (header, size) = match size32 {
            0 if top => (8, (to - pos) as u64),
            0 => {
                return Err(block!(
                    "MP4: size-0 box {} inside a container",
                    fourcc(&kind)
                ));
            }
            1 => (16, be64(d, pos + 8)?),
            n => (8, u64::from(n)),
        };
        let size = usize::try_from(size).map_err(|_| block!("MP4: box too large"))?;
        if size < header || pos.checked_add(size).is_none_or(|e| e > to) {
            return Err(block!(
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

fn to_free(out: &mut [u8], b: &Box4) {
    if let Some(t) = out.get_mut(b.start + 4..b.start + 8) {
        t.copy_from_slice(b"free");
    }
    if let Some(p) = out.get_mut(b.payload..b.end) {
        p.fill(0);
    }
}

/// Zeroes the two times of a full box with version byte at `payload`.
fn zero_times(out: &mut [u8], b: &Box4) -> Result<bool, Blocked> {
    let version = *out
        .get(b.payload)
        .ok_or_else(|| block!("MP4: empty {}", fourcc(&b.kind)))?;
    let len = match version {
        0 => 8,
        1 => 16,
        v => return Err(block!("MP4: {} version {v}", fourcc(&b.kind))),
    };
    let times = out
        .get_mut(b.payload + 4..b.payload + 4 + len)
        .filter(|_| b.payload + 4 + len <= b.end)
        .ok_or_else(|| block!("MP4: {} truncated", fourcc(&b.kind)))?;
    let changed = times.iter().any(|&x| x != 0);
    times.fill(0);
    Ok(changed)
}

struct Walk<'a> {
    d: &'a [u8],
    out: Vec<u8>,
    removed: Vec<String>,
    times: usize,
}

impl Walk<'_> {
    fn container(&mut self, from: usize, to: usize, path: &str, depth: u32) -> Result<(), Blocked> {
        if depth > 12 {
            return Err(block!("MP4: boxes nested deeper than 12"));
        }
        for b in boxes(self.d, from, to, false)? {
            let kind = b.kind;
            let here = format!("{path}/{}", fourcc(&kind));
            match &kind {
                b"udta" | b"meta" | b"uuid" | b"ilst" | b"keys" | b"XMP_" | b"Xtra" => {
                    self.removed
                        .push(format!("{here} ({} bytes)", b.end - b.start));
                    to_free(&mut self.out, &b);
                }
                b"free" | b"skip" | b"wide" => to_free(&mut self.out, &b),
                b"mvhd" | b"tkhd" | b"mdhd" if zero_times(&mut self.out, &b)? => {
                    self.times += 1;
                }
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

    fn check_track(&self, trak: &Box4, here: &str) -> Result<(), Blocked> {
        for b in boxes(self.d, trak.payload, trak.end, false)? {
            if &b.kind == b"mdia" {
                for h in boxes(self.d, b.payload, b.end, false)? {
                    if &h.kind == b"hdlr" {
                        let handler = slice(self.d, h.payload + 8, 4)?;
                        if handler == b"meta" {
                            return Err(block!(
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

/// Cleans an MP4/MOV in place.
pub(crate) fn clean(d: &[u8], _cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let mut w = Walk {
        d,
        out: d.to_vec(),
        removed: Vec::new(),
        times: 0,
    };
    let mut saw_moov = false;
    for b in boxes(d, 0, d.len(), true)? {
        let here = fourcc(&b.kind);
        match &b.kind {
            b"ftyp" | b"styp" | b"mdat" | b"mfra" | b"sidx" | b"ssix" | b"pdin" | b"prft"
            | b"emsg" => {}
            b"free" | b"skip" | b"wide" => to_free(&mut w.out, &b),
            b"moov" => {
                saw_moov = true;
                w.container(b.payload, b.end, "moov", 1)?;
            }
            b"moof" => w.container(b.payload, b.end, "moof", 1)?,
            b"udta" | b"meta" | b"uuid" => {
                w.removed
                    .push(format!("{here} ({} bytes)", b.end - b.start));
                to_free(&mut w.out, &b);
            }
            _ => return Err(block!("MP4: unknown top-level box {here}")),
        }
    }
    if !saw_moov {
        return Err(block!("MP4: no moov box"));
    }
    removed.append(&mut w.removed);
    if w.times > 0 {
        removed.push(format!(
            "creation/modification times zeroed in {} header box(es)",
            w.times
        ));
    }
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn udta_freed_times_zeroed_size_kept() {
        let cfg = Config::default();
        let cx = Ctx {
            cfg: &cfg,
            depth: 0,
        };
        let mut mvhd = vec![0u8; 100];
        mvhd[4..8].copy_from_slice(&[1, 2, 3, 4]);
        let udta = bx(b"udta", &bx(b"\xA9xyz", b"+37.5+126.9/"));
        let moov = bx(b"moov", &[bx(b"mvhd", &mvhd), udta].concat());
        let file = [bx(b"ftyp", b"isom\0\0\0\0"), moov, bx(b"mdat", b"frames")].concat();
        let mut removed = vec![];
        let out = clean(&file, &cx, &mut removed).unwrap();
        assert_eq!(out.len(), file.len());
        assert!(!out.windows(5).any(|w| w == b"+37.5"));
        assert!(out.ends_with(&bx(b"mdat", b"frames")));
        assert_eq!(removed.len(), 2, "{removed:?}");
        for cut in 1..file.len() - 1 {
            let _ = clean(&file[..cut], &cx, &mut vec![]);
        }
        assert!(clean(&file[..40], &cx, &mut vec![]).is_err());
    }
}
