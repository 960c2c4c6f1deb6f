//! HEIF images: HEIC (iPhone photos), AVIF and other `mif1` files.
//!
//! The `meta` box is read (up to [`MAX_META`]) and rebuilt; everything else is copied. Exif
//! items, XMP and other `mime` items and `uri ` items are removed from `iinf`, `iloc`, `iref`
//! and `ipma`; their bytes in `mdat` (or `idat`) are overwritten with zeros in place. Coded
//! image items (HEVC, AV1, grids, overlays, thumbnails, alpha and depth auxiliaries) keep their
//! bytes exactly. ICC profiles in `colr` properties go through [`super::icc`] (with
//! `--drop-icc` the property becomes an empty `free` box, so property indexes stay valid).
//! Top-level `free`/`skip`/`uuid` boxes and `xml `/`bxml` metadata inside `meta` are
//! dropped. When `meta` changes size, every `iloc` offset into the boxes after it is moved by
//! the same amount.
//!
//! Blocked: image sequences (`moov`, e.g. Live Photos and animated AVIF), protected items,
//! items in other files, JPEG-coded items (they may carry their own EXIF), unknown item types
//! and boxes, entity groups that name a removed item, and every inconsistency in sizes.

use std::collections::HashSet;

use super::{Ctx, fourcc, icc};
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_array, read_vec};

/// Largest `meta` box read into memory.
const MAX_META: u64 = 64 << 20;
/// Most top-level boxes.
const MAX_TOP: usize = 10_000;
/// Most items.
const MAX_ITEMS: usize = 100_000;
/// Most bytes zeroed in place.
const MAX_ZEROED: u64 = 256 << 20;

/// Item types kept (coded or derived images and their tiles).
const IMAGE_ITEMS: &[&[u8; 4]] = &[
    b"hvc1", b"hvt1", b"lhv1", b"av01", b"avc1", b"vvc1", b"j2k1", b"unci", b"grid", b"iden",
    b"iovl", b"tmap", b"mski", b"jxl ",
];

/// HEIF brands (image files and image sequences; sequences are blocked by the cleaner).
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"mif1", b"mif2", b"mif3", b"msf1", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx",
    b"avif", b"avis", b"avio",
];

/// `Some("heic")` or `Some("avif")` when the file starts with an `ftyp` box naming a HEIF
/// brand (major or compatible), from its first bytes.
pub(crate) fn kind(head: &[u8]) -> Option<&'static str> {
    if head.get(4..8) != Some(b"ftyp") {
        return None;
    }
    let size = usize::try_from(u32::from_be_bytes(head.get(..4)?.try_into().ok()?)).ok()?;
    let ftyp = head.get(8..size.min(head.len()).max(8))?;
    let brands: Vec<&[u8]> = ftyp
        .chunks_exact(4)
        .enumerate()
        .filter(|(i, _)| *i != 1) // the minor version
        .map(|(_, b)| b)
        .collect();
    if !brands
        .iter()
        .any(|b| HEIF_BRANDS.iter().any(|h| h.as_slice() == *b))
    {
        return None;
    }
    Some(if brands.first().is_some_and(|b| b.starts_with(b"avi")) {
        "avif"
    } else {
        "heic"
    })
}

/// One box inside a buffer.
struct Bx {
    kind: [u8; 4],
    start: usize,
    payload: usize,
    end: usize,
}

fn boxes(d: &[u8], from: usize, to: usize, what: &str) -> Result<Vec<Bx>, Blocked> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos < to {
        if to - pos < 8 {
            return Err(block!(Damaged, "HEIF: {} stray bytes in {what}", to - pos));
        }
        let size32 = u32_at(d, pos)?;
        let kind: [u8; 4] = arr(d, pos + 4)?;
        let (header, size) = match size32 {
            0 => (8, (to - pos) as u64),
            1 => (16, u64_at(d, pos + 8)?),
            n => (8, u64::from(n)),
        };
        let size = usize::try_from(size).map_err(|_| block!(TooLarge, "HEIF: box too large"))?;
        if size < header || pos.checked_add(size).is_none_or(|e| e > to) {
            return Err(block!(
                Damaged,
                "HEIF: box {} in {what} has size {size}, past its parent (damaged)",
                fourcc(&kind)
            ));
        }
        out.push(Bx {
            kind,
            start: pos,
            payload: pos + header,
            end: pos + size,
        });
        pos += size;
        if out.len() > MAX_ITEMS {
            return Err(block!(TooLarge, "HEIF: too many boxes in {what}"));
        }
    }
    Ok(out)
}

fn arr(d: &[u8], at: usize) -> Result<[u8; 4], Blocked> {
    d.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| block!(Damaged, "HEIF: truncated at byte {at} of meta"))
}
fn u8_at(d: &[u8], at: usize) -> Result<u8, Blocked> {
    d.get(at)
        .copied()
        .ok_or_else(|| block!(Damaged, "HEIF: truncated at byte {at} of meta"))
}
fn u16_at(d: &[u8], at: usize) -> Result<u16, Blocked> {
    Ok(u16::from_be_bytes([u8_at(d, at)?, u8_at(d, at + 1)?]))
}
fn u32_at(d: &[u8], at: usize) -> Result<u32, Blocked> {
    Ok(u32::from_be_bytes(arr(d, at)?))
}
fn u64_at(d: &[u8], at: usize) -> Result<u64, Blocked> {
    Ok((u64::from(u32_at(d, at)?) << 32) | u64::from(u32_at(d, at + 4)?))
}
/// A big-endian unsigned field of 0, 2, 4 or 8 bytes.
fn uint(d: &[u8], at: usize, size: usize) -> Result<u64, Blocked> {
    Ok(match size {
        0 => 0,
        2 => u64::from(u16_at(d, at)?),
        4 => u64::from(u32_at(d, at)?),
        8 => u64_at(d, at)?,
        s => return Err(block!(Damaged, "HEIF: field size {s}")),
    })
}
fn put_uint(out: &mut Vec<u8>, v: u64, size: usize) -> Result<(), Blocked> {
    match size {
        0 if v == 0 => {}
        2 => out.extend_from_slice(
            &u16::try_from(v)
                .map_err(|_| block!(TooLarge, "HEIF: value too large"))?
                .to_be_bytes(),
        ),
        4 => out.extend_from_slice(
            &u32::try_from(v)
                .map_err(|_| block!(CannotClean, "HEIF: an item offset no longer fits its field"))?
                .to_be_bytes(),
        ),
        8 => out.extend_from_slice(&v.to_be_bytes()),
        _ => {
            return Err(block!(
                CannotClean,
                "HEIF: an item offset cannot be moved (field size 0)"
            ));
        }
    }
    Ok(())
}

fn wrap(kind: &[u8; 4], payload: &[u8]) -> Result<Vec<u8>, Blocked> {
    let size =
        u32::try_from(payload.len() + 8).map_err(|_| block!(TooLarge, "HEIF: box too large"))?;
    let mut v = size.to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    Ok(v)
}

struct Extent {
    index: u64,
    offset: u64,
    length: u64,
}

struct Loc {
    id: u32,
    method: u8,
    data_ref: u16,
    base: u64,
    extents: Vec<Extent>,
}

struct Iloc {
    version: u8,
    flags: [u8; 3],
    offset_size: usize,
    length_size: usize,
    base_size: usize,
    index_size: usize,
    items: Vec<Loc>,
}

fn size_code(n: u8) -> Result<usize, Blocked> {
    match n {
        0 | 4 | 8 => Ok(usize::from(n)),
        n => Err(block!(Damaged, "HEIF: iloc field size {n}")),
    }
}

fn parse_iloc(d: &[u8], b: &Bx) -> Result<Iloc, Blocked> {
    let p = b.payload;
    let version = u8_at(d, p)?;
    if version > 2 {
        return Err(block!(CannotClean, "HEIF: iloc version {version}"));
    }
    let flags = [u8_at(d, p + 1)?, u8_at(d, p + 2)?, u8_at(d, p + 3)?];
    let s1 = u8_at(d, p + 4)?;
    let s2 = u8_at(d, p + 5)?;
    let offset_size = size_code(s1 >> 4)?;
    let length_size = size_code(s1 & 15)?;
    let base_size = size_code(s2 >> 4)?;
    let index_size = if version >= 1 { size_code(s2 & 15)? } else { 0 };
    let mut at = p + 6;
    let count = if version < 2 {
        at += 2;
        u64::from(u16_at(d, at - 2)?)
    } else {
        at += 4;
        u64::from(u32_at(d, at - 4)?)
    };
    if count > MAX_ITEMS as u64 {
        return Err(block!(CannotClean, "HEIF: {count} items"));
    }
    let mut items = Vec::new();
    for _ in 0..count {
        let id = if version < 2 {
            at += 2;
            u32::from(u16_at(d, at - 2)?)
        } else {
            at += 4;
            u32_at(d, at - 4)?
        };
        let method = if version >= 1 {
            at += 2;
            (u16_at(d, at - 2)? & 15) as u8
        } else {
            0
        };
        let data_ref = u16_at(d, at)?;
        at += 2;
        let base = uint(d, at, base_size)?;
        at += base_size;
        let n = u16_at(d, at)?;
        at += 2;
        let mut extents = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            let index = if version >= 1 {
                uint(d, at, index_size)?
            } else {
                0
            };
            if version >= 1 {
                at += index_size;
            }
            let offset = uint(d, at, offset_size)?;
            at += offset_size;
            let length = uint(d, at, length_size)?;
            at += length_size;
            extents.push(Extent {
                index,
                offset,
                length,
            });
        }
        if at > b.end {
            return Err(block!(Damaged, "HEIF: iloc runs past its box"));
        }
        items.push(Loc {
            id,
            method,
            data_ref,
            base,
            extents,
        });
    }
    Ok(Iloc {
        version,
        flags,
        offset_size,
        length_size,
        base_size,
        index_size,
        items,
    })
}

fn write_iloc(l: &Iloc) -> Result<Vec<u8>, Blocked> {
    let mut p = vec![l.version, l.flags[0], l.flags[1], l.flags[2]];
    p.push(((l.offset_size as u8) << 4) | l.length_size as u8);
    p.push(((l.base_size as u8) << 4) | l.index_size as u8);
    if l.version < 2 {
        put_uint(&mut p, l.items.len() as u64, 2)?;
    } else {
        put_uint(&mut p, l.items.len() as u64, 4)?;
    }
    for it in &l.items {
        put_uint(&mut p, u64::from(it.id), if l.version < 2 { 2 } else { 4 })?;
        if l.version >= 1 {
            put_uint(&mut p, u64::from(it.method), 2)?;
        }
        put_uint(&mut p, u64::from(it.data_ref), 2)?;
        put_uint(&mut p, it.base, l.base_size)?;
        put_uint(&mut p, it.extents.len() as u64, 2)?;
        for e in &it.extents {
            if l.version >= 1 {
                put_uint(&mut p, e.index, l.index_size)?;
            }
            put_uint(&mut p, e.offset, l.offset_size)?;
            put_uint(&mut p, e.length, l.length_size)?;
        }
    }
    wrap(b"iloc", &p)
}

/// An item of `iinf`: its id, type and the raw `infe` box.
struct Info {
    id: u32,
    kind: [u8; 4],
    content_type: String,
    raw: Vec<u8>,
}

fn parse_iinf(d: &[u8], b: &Bx) -> Result<(u8, [u8; 3], Vec<Info>), Blocked> {
    let p = b.payload;
    let version = u8_at(d, p)?;
    let flags = [u8_at(d, p + 1)?, u8_at(d, p + 2)?, u8_at(d, p + 3)?];
    let (count, first) = if version == 0 {
        (u64::from(u16_at(d, p + 4)?), p + 6)
    } else {
        (u64::from(u32_at(d, p + 4)?), p + 8)
    };
    let list = boxes(d, first, b.end, "iinf")?;
    if list.len() as u64 != count {
        return Err(block!(
            Damaged,
            "HEIF: iinf says {count} items, holds {} entries",
            list.len()
        ));
    }
    let mut out = Vec::new();
    for e in list {
        if &e.kind != b"infe" {
            return Err(block!(CannotClean, "HEIF: {} inside iinf", fourcc(&e.kind)));
        }
        let v = u8_at(d, e.payload)?;
        let raw = d.get(e.start..e.end).unwrap_or_default().to_vec();
        let q = e.payload + 4;
        let (id, protection, kind, rest) = match v {
            0 | 1 => (u32::from(u16_at(d, q)?), u16_at(d, q + 2)?, *b"mime", q + 4),
            2 => (
                u32::from(u16_at(d, q)?),
                u16_at(d, q + 2)?,
                arr(d, q + 4)?,
                q + 8,
            ),
            3 => (u32_at(d, q)?, u16_at(d, q + 4)?, arr(d, q + 6)?, q + 10),
            v => return Err(block!(CannotClean, "HEIF: infe version {v}")),
        };
        if protection != 0 {
            return Err(block!(
                Encrypted,
                "HEIF: item {id} is protected (encrypted)"
            ));
        }
        // item_name, then content_type for mime items.
        let tail = d.get(rest..e.end).unwrap_or_default();
        let mut strings = tail.split(|&c| c == 0);
        let _name = strings.next();
        let content_type = if &kind == b"mime" {
            String::from_utf8_lossy(strings.next().unwrap_or_default()).into_owned()
        } else {
            String::new()
        };
        out.push(Info {
            id,
            kind,
            content_type,
            raw,
        });
    }
    Ok((version, flags, out))
}

/// What the cleaner changes in `meta`.
struct MetaEdit {
    meta: Vec<u8>,
    /// Removed items' extents: (construction method, absolute offset or idat offset, length).
    zero: Vec<(u8, u64, u64)>,
    iloc: Option<Iloc>,
}

/// Cleans a HEIF/AVIF file.
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    // Top-level boxes: headers only.
    let len = src.len();
    let mut top: Vec<([u8; 4], u64, u64, u64)> = Vec::new(); // kind, start, payload, end
    let mut pos = 0u64;
    while pos < len {
        if len - pos < 8 {
            return Err(block!(
                Damaged,
                "HEIF: {} stray bytes at the end",
                len - pos
            ));
        }
        let h: [u8; 8] = read_array(src, pos)?;
        let kind: [u8; 4] = [h[4], h[5], h[6], h[7]];
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let (header, size) = match size32 {
            0 => (8, len - pos),
            1 => (16, u64::from_be_bytes(read_array(src, pos + 8)?)),
            n => (8, u64::from(n)),
        };
        if size < header || pos.checked_add(size).is_none_or(|e| e > len) {
            return Err(block!(
                Damaged,
                "HEIF: box {} at byte {pos} has size {size}, past the end of the file (truncated?)",
                fourcc(&kind)
            ));
        }
        top.push((kind, pos, pos + header, pos + size));
        pos += size;
        if top.len() > MAX_TOP {
            return Err(block!(
                TooLarge,
                "HEIF: more than {MAX_TOP} top-level boxes"
            ));
        }
    }
    if top.first().map(|b| &b.0) != Some(b"ftyp") {
        return Err(block!(Damaged, "HEIF: does not start with ftyp"));
    }
    let metas: Vec<_> = top.iter().filter(|b| &b.0 == b"meta").collect();
    let [meta] = metas.as_slice() else {
        return Err(block!(
            Damaged,
            "HEIF: {} meta boxes (expected one)",
            metas.len()
        ));
    };
    let meta_len = meta.3 - meta.1;
    if meta_len > MAX_META {
        return Err(block!(
            TooLarge,
            "HEIF: meta box of {meta_len} bytes is over the {} MiB limit",
            MAX_META >> 20
        ));
    }
    let meta_bytes = read_vec(src, meta.1, meta_len as usize)?;
    let mut notes = Vec::new();
    let edit = clean_meta(
        &meta_bytes,
        (meta.2 - meta.1) as usize,
        cx.cfg.keep_icc,
        &mut notes,
    )?;
    if let Some(l) = &edit.iloc {
        for it in l.items.iter().filter(|it| it.method == 0) {
            for e in &it.extents {
                let a = it.base.saturating_add(e.offset);
                let b = if e.length == 0 {
                    len
                } else {
                    a.saturating_add(e.length)
                };
                if edit
                    .zero
                    .iter()
                    .any(|&(m, z, n)| m == 0 && z < b && a < z.saturating_add(n))
                {
                    return Err(block!(
                        CannotClean,
                        "HEIF: item {} shares bytes with a removed metadata item",
                        it.id
                    ));
                }
            }
        }
    }
    // New layout of the top-level boxes.
    let mut kept: Vec<(u64, u64, i128)> = Vec::new(); // old start, old end, new - old
    let mut new_pos: u64 = 0;
    let mut plan_boxes: Vec<(usize, u64)> = Vec::new(); // index into top, new start
    for (i, (kind, start, _payload, end)) in top.iter().enumerate() {
        match kind {
            b"ftyp" | b"mdat" | b"meta" => {}
            b"free" | b"skip" | b"uuid" => {
                notes.push(format!(
                    "top-level {} box ({} bytes)",
                    fourcc(kind),
                    end - start
                ));
                continue;
            }
            b"moov" => {
                return Err(block!(
                    CannotClean,
                    "HEIF: image sequences (moov: animation, Live Photo) are not supported"
                ));
            }
            k => {
                return Err(block!(
                    CannotClean,
                    "HEIF: unknown top-level box {}",
                    fourcc(k)
                ));
            }
        }
        let size = if kind == b"meta" {
            edit.meta.len() as u64
        } else {
            end - start
        };
        if kind != b"meta" {
            kept.push((*start, *end, i128::from(new_pos) - i128::from(*start)));
        }
        plan_boxes.push((i, new_pos));
        new_pos += size;
    }
    // Move iloc offsets of file-based items (construction method 0).
    let mut meta_out = edit.meta;
    if let Some(mut iloc) = edit.iloc {
        let mut changed = false;
        for it in &mut iloc.items {
            if it.method != 0 {
                continue;
            }
            let mut delta: Option<i128> = None;
            for e in &it.extents {
                let abs = it
                    .base
                    .checked_add(e.offset)
                    .ok_or_else(|| block!(Damaged, "HEIF: offset overflow"))?;
                let end = if e.length == 0 {
                    len
                } else {
                    abs.saturating_add(e.length)
                };
                let b = kept
                    .iter()
                    .find(|(s, en, _)| abs >= *s && end <= *en)
                    .ok_or_else(|| {
                        block!(
                            Damaged,
                            "HEIF: item {} data at byte {abs} is not inside mdat",
                            it.id
                        )
                    })?;
                if delta.is_some_and(|d| d != b.2) {
                    return Err(block!(
                        CannotClean,
                        "HEIF: item {} spans boxes that move apart",
                        it.id
                    ));
                }
                delta = Some(b.2);
            }
            let Some(delta) = delta.filter(|&d| d != 0) else {
                continue;
            };
            changed = true;
            let shift = |v: u64| -> Result<u64, Blocked> {
                u64::try_from(i128::from(v) + delta)
                    .map_err(|_| block!(Damaged, "HEIF: offset underflow"))
            };
            if iloc.base_size > 0 && it.base != 0 {
                it.base = shift(it.base)?;
            } else {
                for e in &mut it.extents {
                    e.offset = shift(e.offset)?;
                }
            }
        }
        if changed {
            let old = write_iloc_placeholder(&meta_out)?;
            let new = write_iloc(&iloc)?;
            if new.len() != old.1 - old.0 {
                return Err(block!(CannotClean, "HEIF: internal: iloc size changed"));
            }
            if let Some(slot) = meta_out.get_mut(old.0..old.1) {
                slot.copy_from_slice(&new);
            }
        }
    }
    // Bytes of removed items to zero: file offsets (method 0) per box.
    let mut zero: Vec<(u64, u64)> = Vec::new();
    let mut zeroed = 0u64;
    for &(method, at, n) in &edit.zero {
        if method == 0 {
            zero.push((at, n));
            zeroed += n;
        }
    }
    if zeroed > MAX_ZEROED {
        return Err(block!(
            TooLarge,
            "HEIF: removed items hold over {} MiB",
            MAX_ZEROED >> 20
        ));
    }
    zero.sort_unstable();
    for &(z, n) in &zero {
        let end = z.saturating_add(n);
        if !kept.iter().any(|(s, e, _)| z >= *s && end <= *e) {
            return Err(block!(
                Damaged,
                "HEIF: a removed item's data at byte {z} is not inside mdat"
            ));
        }
    }
    let mut plan = Plan::new();
    for (i, _new_start) in plan_boxes {
        let Some(&(kind, start, _, end)) = top.get(i) else {
            continue;
        };
        if &kind == b"meta" {
            plan.bytes(meta_out.clone());
            continue;
        }
        let mut at = start;
        for &(z, n) in zero.iter().filter(|(z, _)| *z >= start && *z < end) {
            let zend = z.saturating_add(n).min(end);
            if z < at {
                return Err(block!(Damaged, "HEIF: removed items overlap"));
            }
            plan.copy(at, z - at);
            plan.zeros(zend - z);
            at = zend;
        }
        plan.copy(at, end - at);
    }
    removed.append(&mut notes);
    if plan.is_unchanged(len) {
        removed.clear();
    }
    Ok(plan)
}

/// Finds the iloc box inside a rebuilt meta (start, end).
fn write_iloc_placeholder(meta: &[u8]) -> Result<(usize, usize), Blocked> {
    // The rebuilt meta always has an 8-byte header, then version and flags.
    for b in boxes(meta, 12, meta.len(), "meta")? {
        if &b.kind == b"iloc" {
            return Ok((b.start, b.end));
        }
    }
    Err(block!(CannotClean, "HEIF: internal: no iloc"))
}

#[allow(clippy::too_many_lines)]
fn clean_meta(
    d: &[u8],
    header: usize,
    keep_icc: bool,
    notes: &mut Vec<String>,
) -> Result<MetaEdit, Blocked> {
    if u8_at(d, header)? != 0 {
        return Err(block!(
            CannotClean,
            "HEIF: meta version {}",
            u8_at(d, header)?
        ));
    }
    let children = boxes(d, header + 4, d.len(), "meta")?;
    let find = |k: &[u8; 4]| children.iter().find(|b| &b.kind == k);
    let hdlr = find(b"hdlr").ok_or_else(|| block!(Damaged, "HEIF: meta has no hdlr"))?;
    if d.get(hdlr.payload + 8..hdlr.payload + 12) != Some(b"pict") {
        return Err(block!(Damaged, "HEIF: meta handler is not 'pict'"));
    }
    let iinf = find(b"iinf").ok_or_else(|| block!(Damaged, "HEIF: meta has no iinf"))?;
    let (iinf_version, iinf_flags, infos) = parse_iinf(d, iinf)?;
    let mut gone: HashSet<u32> = HashSet::new();
    for info in &infos {
        let what = match &info.kind {
            b"Exif" => "Exif item".to_string(),
            b"mime" if info.content_type.contains("rdf+xml") => "XMP item".to_string(),
            b"mime" => format!("{} item", info.content_type),
            b"uri " => "URI item".to_string(),
            b"jpeg" => {
                return Err(block!(
                    CannotClean,
                    "HEIF: JPEG-coded item {} (it may carry its own EXIF); not supported",
                    info.id
                ));
            }
            k if IMAGE_ITEMS.contains(&k) => continue,
            k => return Err(block!(CannotClean, "HEIF: unknown item type {}", fourcc(k))),
        };
        notes.push(what);
        gone.insert(info.id);
    }
    if let Some(pitm) = find(b"pitm") {
        let v = u8_at(d, pitm.payload)?;
        let id = if v == 0 {
            u32::from(u16_at(d, pitm.payload + 4)?)
        } else {
            u32_at(d, pitm.payload + 4)?
        };
        if gone.contains(&id) {
            return Err(block!(
                CannotClean,
                "HEIF: the primary item is a metadata item"
            ));
        }
    }
    let mut iloc = match find(b"iloc") {
        Some(b) => Some(parse_iloc(d, b)?),
        None => None,
    };
    let mut zero = Vec::new();
    if let Some(l) = &mut iloc {
        for it in &l.items {
            if it.data_ref != 0 {
                return Err(block!(
                    CannotClean,
                    "HEIF: item {} is stored in another file",
                    it.id
                ));
            }
            if gone.contains(&it.id) {
                for e in &it.extents {
                    if it.method == 2 {
                        continue;
                    }
                    if e.length == 0 {
                        return Err(block!(
                            CannotClean,
                            "HEIF: metadata item {} runs to the end of the file; not supported",
                            it.id
                        ));
                    }
                    zero.push((it.method, it.base.saturating_add(e.offset), e.length));
                }
            }
        }
        l.items.retain(|it| !gone.contains(&it.id));
        for it in &l.items {
            if it.method == 2 && it.extents.iter().any(|e| gone.contains(&(e.index as u32))) {
                return Err(block!(
                    CannotClean,
                    "HEIF: item {} is built from a removed item",
                    it.id
                ));
            }
        }
    }
    // Rebuild meta's children in order.
    let mut body: Vec<u8> = d.get(header..header + 4).unwrap_or_default().to_vec();
    for b in &children {
        let raw = d.get(b.start..b.end).unwrap_or_default();
        match &b.kind {
            b"hdlr" | b"pitm" | b"dinf" => body.extend_from_slice(raw),
            b"iinf" => {
                let kept: Vec<&Info> = infos.iter().filter(|i| !gone.contains(&i.id)).collect();
                let mut p = vec![iinf_version, iinf_flags[0], iinf_flags[1], iinf_flags[2]];
                if iinf_version == 0 {
                    put_uint(&mut p, kept.len() as u64, 2)?;
                } else {
                    put_uint(&mut p, kept.len() as u64, 4)?;
                }
                for i in kept {
                    p.extend_from_slice(&i.raw);
                }
                body.extend(wrap(b"iinf", &p)?);
            }
            b"iloc" => match &iloc {
                Some(l) => body.extend(write_iloc(l)?),
                None => body.extend_from_slice(raw),
            },
            b"iref" => {
                let v = u8_at(d, b.payload)?;
                let w = if v == 0 { 2 } else { 4 };
                let mut p = d.get(b.payload..b.payload + 4).unwrap_or_default().to_vec();
                let mut any = false;
                for r in boxes(d, b.payload + 4, b.end, "iref")? {
                    let from = uint(d, r.payload, w)? as u32;
                    if gone.contains(&from) {
                        continue;
                    }
                    let n = u16_at(d, r.payload + w)?;
                    let mut to = Vec::new();
                    for k in 0..usize::from(n) {
                        let id = uint(d, r.payload + w + 2 + k * w, w)? as u32;
                        if !gone.contains(&id) {
                            to.push(id);
                        }
                    }
                    if r.payload + w + 2 + usize::from(n) * w > r.end {
                        return Err(block!(Damaged, "HEIF: iref entry runs past its box"));
                    }
                    if to.is_empty() {
                        continue;
                    }
                    let mut q = Vec::new();
                    put_uint(&mut q, u64::from(from), w)?;
                    put_uint(&mut q, to.len() as u64, 2)?;
                    for id in to {
                        put_uint(&mut q, u64::from(id), w)?;
                    }
                    p.extend(wrap(&r.kind, &q)?);
                    any = true;
                }
                if any {
                    body.extend(wrap(b"iref", &p)?);
                }
            }
            b"iprp" => body.extend(clean_iprp(d, b, &gone, keep_icc, notes)?),
            b"idat" => {
                let mut raw = raw.to_vec();
                let base = b.payload - b.start;
                for &(method, at, n) in &zero {
                    if method != 1 {
                        continue;
                    }
                    let s = usize::try_from(at)
                        .unwrap_or(usize::MAX)
                        .saturating_add(base);
                    let e = s.saturating_add(usize::try_from(n).unwrap_or(usize::MAX));
                    raw.get_mut(s..e)
                        .ok_or_else(|| {
                            block!(CannotClean, "HEIF: a removed item lies outside idat")
                        })?
                        .fill(0);
                }
                body.extend_from_slice(&raw);
            }
            b"grpl" => {
                for g in boxes(d, b.payload, b.end, "grpl")? {
                    let n = u32_at(d, g.payload + 8)?;
                    for k in 0..n.min(1 << 20) as usize {
                        if gone.contains(&u32_at(d, g.payload + 12 + 4 * k)?) {
                            return Err(block!(
                                CannotClean,
                                "HEIF: an entity group names a removed metadata item"
                            ));
                        }
                    }
                }
                body.extend_from_slice(raw);
            }
            b"xml " | b"bxml" | b"free" | b"skip" | b"uuid" => {
                notes.push(format!(
                    "meta/{} ({} bytes)",
                    fourcc(&b.kind),
                    b.end - b.start
                ));
            }
            k => return Err(block!(CannotClean, "HEIF: unknown box meta/{}", fourcc(k))),
        }
    }
    let meta = wrap(b"meta", &body)?;
    Ok(MetaEdit { meta, zero, iloc })
}

fn clean_iprp(
    d: &[u8],
    b: &Bx,
    gone: &HashSet<u32>,
    keep_icc: bool,
    notes: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    let mut body = Vec::new();
    let mut freed: Vec<u16> = Vec::new(); // 1-based property indexes turned into `free`
    let children = boxes(d, b.payload, b.end, "iprp")?;
    for c in &children {
        if &c.kind != b"ipco" {
            continue;
        }
        let mut p = Vec::new();
        for (i, prop) in boxes(d, c.payload, c.end, "ipco")?.iter().enumerate() {
            let raw = d.get(prop.start..prop.end).unwrap_or_default();
            let colour_type = d.get(prop.payload..prop.payload + 4);
            if &prop.kind == b"colr" && matches!(colour_type, Some(b"prof" | b"rICC")) {
                let profile = d.get(prop.payload + 4..prop.end).unwrap_or_default();
                if !keep_icc {
                    notes.push(format!("ICC profile ({} bytes)", profile.len()));
                    p.extend(wrap(b"free", &[])?);
                    freed.push(u16::try_from(i + 1).unwrap_or(u16::MAX));
                    continue;
                }
                match icc::clean_profile(profile, "HEIF colr", notes)? {
                    icc::Cleaned::Keep => p.extend_from_slice(raw),
                    icc::Cleaned::Scrubbed(new) => {
                        let mut q = colour_type.unwrap_or(b"prof").to_vec();
                        q.extend_from_slice(&new);
                        p.extend(wrap(b"colr", &q)?);
                    }
                }
            } else {
                p.extend_from_slice(raw);
            }
        }
        body.push((c.start, wrap(b"ipco", &p)?));
    }
    let mut out_children = Vec::new();
    for c in &children {
        match &c.kind {
            b"ipco" => {
                if let Some((_, bytes)) = body.iter().find(|(s, _)| *s == c.start) {
                    out_children.extend_from_slice(bytes);
                }
            }
            b"ipma" => {
                let v = u8_at(d, c.payload)?;
                let flags = u32_at(d, c.payload)? & 0xFF_FFFF;
                let wide = flags & 1 == 1;
                let n = u32_at(d, c.payload + 4)?;
                let mut at = c.payload + 8;
                let mut p = d.get(c.payload..c.payload + 4).unwrap_or_default().to_vec();
                let mut entries = Vec::new();
                for _ in 0..n {
                    if at > c.end {
                        return Err(block!(Damaged, "HEIF: ipma runs past its box"));
                    }
                    let (id, idw) = if v < 1 {
                        (u32::from(u16_at(d, at)?), 2)
                    } else {
                        (u32_at(d, at)?, 4)
                    };
                    let count = usize::from(u8_at(d, at + idw)?);
                    let aw = if wide { 2 } else { 1 };
                    let mut assoc = d
                        .get(at + idw + 1..at + idw + 1 + count * aw)
                        .ok_or_else(|| block!(Damaged, "HEIF: ipma truncated"))?
                        .to_vec();
                    // An essential bit on a property that became `free` would hide the image.
                    for a in assoc.chunks_mut(aw) {
                        let (essential, index) = if wide {
                            (a[0] & 0x80 != 0, u16::from_be_bytes([a[0] & 0x7F, a[1]]))
                        } else {
                            (a[0] & 0x80 != 0, u16::from(a[0] & 0x7F))
                        };
                        if essential && freed.contains(&index) {
                            a[0] &= 0x7F;
                        }
                    }
                    let end = at + idw + 1 + count * aw;
                    if !gone.contains(&id) {
                        entries.push(d.get(at..at + idw + 1).unwrap_or_default().to_vec());
                        if let Some(last) = entries.last_mut() {
                            last.extend_from_slice(&assoc);
                        }
                    }
                    at = end;
                }
                if at > c.end {
                    return Err(block!(Damaged, "HEIF: ipma runs past its box"));
                }
                p.extend_from_slice(&(entries.len() as u32).to_be_bytes());
                for e in entries {
                    p.extend_from_slice(&e);
                }
                out_children.extend(wrap(b"ipma", &p)?);
            }
            k => return Err(block!(CannotClean, "HEIF: unknown box iprp/{}", fourcc(k))),
        }
    }
    wrap(b"iprp", &out_children)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::formats::Ctx;

    /// Made by `crates/saebaram/tests/data/clean/make_corpus.py` (Pillow + pillow-heif,
    /// then exiftool): Exif with Artist, Software, Make, a serial and GPS, XMP, and (HEIC) a
    /// calibrated ICC profile with planted descriptions.
    const HEIC: &[u8] = include_bytes!("testdata/photo.heic");
    const AVIF: &[u8] = include_bytes!("testdata/photo.avif");

    fn run(d: &[u8]) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let src: &[u8] = d;
        let mut removed = vec![];
        let plan = clean(&src, &cx, &mut removed)?;
        Ok((plan.materialize(&src, 1 << 20)?, removed))
    }

    fn has(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// The payload of the last `mdat` box (the coded image items).
    fn mdat(d: &[u8]) -> &[u8] {
        let mut pos = 0;
        let mut last = &d[0..0];
        while pos + 8 <= d.len() {
            let size = u32::from_be_bytes(d[pos..pos + 4].try_into().unwrap()) as usize;
            if &d[pos + 4..pos + 8] == b"mdat" {
                last = &d[pos + 8..pos + size];
            }
            pos += size.max(8);
        }
        last
    }

    #[test]
    fn planted_exif_xmp_and_profile_names_go_coded_image_stays() {
        for (name, file) in [("heic", HEIC), ("avif", AVIF)] {
            assert!(
                has(file, b"Planted"),
                "{name}: the fixture holds planted values"
            );
            let (out, removed) = run(file).unwrap();
            assert!(!has(&out, b"Planted"), "{name}: a planted value is left");
            assert!(!has(&out, b"CAMSERIAL7731"), "{name}: the serial is left");
            assert!(
                removed.iter().any(|r| r == "Exif item") && removed.iter().any(|r| r == "XMP item"),
                "{name}: removed {removed:?}"
            );
            // `mdat` keeps its size and every byte, except the removed items' data there,
            // which is zeroed in place: the coded image comes through byte for byte.
            let (before, after) = (mdat(file), mdat(&out));
            assert!(
                !before.is_empty() && before.len() == after.len(),
                "{name}: mdat size"
            );
            let changed: Vec<u8> = (0..before.len())
                .filter(|&i| before[i] != after[i])
                .map(|i| {
                    assert_eq!(after[i], 0, "{name}: mdat byte {i} changed, not zeroed");
                    before[i]
                })
                .collect();
            assert!(
                has(&changed, b"Exif") || has(&changed, b"xmpmeta"),
                "{name}: zeroed bytes that are not a metadata item"
            );
            let (again, removed) = run(&out).unwrap();
            assert_eq!(again, out, "{name}: not idempotent");
            assert!(
                removed.is_empty(),
                "{name}: a second clean removed {removed:?}"
            );
        }
    }

    #[test]
    fn truncated_oversized_and_damaged_files_block_with_a_reason() {
        for (name, file) in [("heic", HEIC), ("avif", AVIF)] {
            for cut in (0..file.len()).step_by(13) {
                let r = run(&file[..cut]);
                assert!(r.is_err(), "{name} cut at {cut} was accepted");
            }
            // A meta box that claims 4 GB; an iloc item count far past its box.
            let mut huge = file.to_vec();
            let meta = huge.windows(4).position(|w| w == b"meta").unwrap() - 4;
            huge[meta..meta + 4].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
            let e = run(&huge).unwrap_err();
            assert!(e.reason.starts_with("HEIF"), "{name}: {e:?}");
            let mut count = file.to_vec();
            let iloc = count.windows(4).position(|w| w == b"iloc").unwrap();
            // version 0/1: 4 header bytes, 2 size bytes, then a 16-bit item count.
            let at = iloc + 4 + 4 + 2;
            count[at..at + 2].copy_from_slice(&0xFFFFu16.to_be_bytes());
            assert!(run(&count).is_err(), "{name}: 65535 items accepted");
        }
    }
}
