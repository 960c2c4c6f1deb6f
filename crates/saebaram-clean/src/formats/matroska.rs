//! Matroska and WebM, changed in place (Cues and SeekHead hold positions that must stay
//! valid): `Tags` and `Attachments` become `Void` elements of the same size; in `Info`, `Title`,
//! `DateUTC`, the segment UIDs and file names become `Void`, and `MuxingApp`/`WritingApp` (which
//! the format requires) are zero-filled, i.e. empty strings. Existing `Void` space is zeroed.
//! CRC-32 elements of changed masters are recomputed. Clusters are not touched.

use super::{Ctx, byte, fourcc, slice};
use crate::error::{Blocked, block};
use crate::plan::{Edit, Plan};
use crate::source::{Source, read_upto, read_vec};

const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const INFO: u32 = 0x1549_A966;
const TAGS: u32 = 0x1254_C367;
const ATTACHMENTS: u32 = 0x1941_A469;
const VOID: u32 = 0xEC;
const CRC32: u32 = 0xBF;

struct El {
    id: u32,
    start: usize,
    data: usize,
    /// None: unknown size.
    end: Option<usize>,
}

fn vint(d: &[u8], at: usize, is_id: bool) -> Result<(u64, usize, bool), Blocked> {
    let first = byte(d, at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > if is_id { 4 } else { 8 } {
        return Err(block!(
            Damaged,
            "Matroska: bad variable-size integer at byte {at}"
        ));
    }
    let bytes = slice(d, at, len)?;
    let mut v: u64 = if is_id {
        u64::from(first)
    } else {
        u64::from(first) & ((1u64 << (8 - len)) - 1)
    };
    for &b in bytes.get(1..).unwrap_or_default() {
        v = (v << 8) | u64::from(b);
    }
    let all_ones = !is_id && v == (1u64 << (7 * len)) - 1;
    Ok((v, len, all_ones))
}

fn element(d: &[u8], at: usize, limit: usize) -> Result<El, Blocked> {
    let (id, il, _) = vint(d, at, true)?;
    let (size, sl, unknown) = vint(d, at + il, false)?;
    let data = at + il + sl;
    let end = if unknown {
        None
    } else {
        let e = usize::try_from(size)
            .ok()
            .and_then(|s| data.checked_add(s))
            .ok_or_else(|| block!(Damaged, "Matroska: size overflow"))?;
        if e > limit {
            return Err(block!(
                Damaged,
                "Matroska: element 0x{id:X} at byte {at} runs past its parent (truncated)"
            ));
        }
        Some(e)
    };
    Ok(El {
        id: u32::try_from(id).map_err(|_| block!(Damaged, "Matroska: bad id"))?,
        start: at,
        data,
        end,
    })
}

fn children(d: &[u8], from: usize, to: usize) -> Result<Vec<El>, Blocked> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos < to {
        let e = element(d, pos, to)?;
        let end = e.end.ok_or_else(|| {
            block!(
                CannotClean,
                "Matroska: unknown-size element 0x{:X} inside a master",
                e.id
            )
        })?;
        pos = end;
        out.push(e);
    }
    Ok(out)
}

fn to_void(out: &mut [u8], start: usize, end: usize) -> Result<(), Blocked> {
    let total = end - start;
    let region = out
        .get_mut(start..end)
        .ok_or_else(|| block!(Damaged, "Matroska: bad range"))?;
    region.fill(0);
    if total < 2 {
        return Err(block!(Damaged, "Matroska: element too small to void"));
    }
    region[0] = 0xEC;
    if total - 2 <= 126 {
        region[1] = 0x80 | (total - 2) as u8;
    } else if total >= 9 {
        let size = (total - 9) as u64;
        region[1] = 0x01;
        region[2..9].copy_from_slice(&size.to_be_bytes()[1..]);
    } else {
        return Err(block!(CannotClean, "Matroska: cannot void {total} bytes"));
    }
    Ok(())
}

/// Recomputes a master's CRC-32 child (if it is the first child).
fn fix_crc(out: &mut [u8], master_data: usize, master_end: usize) -> Result<(), Blocked> {
    let first = element(out, master_data, master_end)?;
    if first.id == CRC32 && first.end == Some(first.data + 4) {
        let mut h = crc32fast::Hasher::new();
        h.update(slice(out, first.data + 4, master_end - first.data - 4)?);
        let crc = h.finalize().to_le_bytes();
        if let Some(dst) = out.get_mut(first.data..first.data + 4) {
            dst.copy_from_slice(&crc);
        }
    }
    Ok(())
}

/// An element found through a [`Source`] (offsets in the file).
struct FileEl {
    id: u32,
    start: u64,
    data: u64,
    /// None: unknown size.
    end: Option<u64>,
}

fn element_at(src: &dyn Source, at: u64, limit: u64) -> Result<FileEl, Blocked> {
    let head = read_upto(src, at, 12)?;
    let (id, il, _) = vint(&head, 0, true)?;
    let (size, sl, unknown) = vint(&head, il, false)?;
    let data = at + (il + sl) as u64;
    let end = if unknown {
        None
    } else {
        let e = data
            .checked_add(size)
            .ok_or_else(|| block!(Damaged, "Matroska: size overflow"))?;
        if e > limit {
            return Err(block!(
                Damaged,
                "Matroska: element 0x{id:X} at byte {at} runs past its parent (truncated)"
            ));
        }
        Some(e)
    };
    Ok(FileEl {
        id: u32::try_from(id).map_err(|_| block!(Damaged, "Matroska: bad id"))?,
        start: at,
        data,
        end,
    })
}

/// The header of a `Void` element of `total` bytes (its payload is zeros).
fn void_header(total: u64) -> Result<Vec<u8>, Blocked> {
    if (2..=128).contains(&total) {
        Ok(vec![0xEC, 0x80 | (total - 2) as u8])
    } else if total >= 9 {
        let size = (total - 9).to_be_bytes();
        let mut h = vec![0xEC, 0x01];
        h.extend_from_slice(size.get(1..).unwrap_or_default());
        Ok(h)
    } else {
        Err(block!(CannotClean, "Matroska: cannot void {total} bytes"))
    }
}

/// Edits turning `start..end` into a zero-filled `Void`; none when it already is one whose
/// payload is zero (checked when small).
fn void_edits(
    src: &dyn Source,
    el: &FileEl,
    end: u64,
    edits: &mut Vec<(u64, Edit)>,
) -> Result<(), Blocked> {
    if el.id == VOID && end - el.data <= 1 << 20 {
        let body = read_vec(src, el.data, (end - el.data) as usize)?;
        if body.iter().all(|&b| b == 0) {
            return Ok(());
        }
    }
    let header = void_header(end - el.start)?;
    let header_len = header.len() as u64;
    edits.push((el.start, Edit::Bytes(header)));
    edits.push((
        el.start + header_len,
        Edit::Zeros(end - el.start - header_len),
    ));
    Ok(())
}

/// Largest `Info` element read into memory.
const INFO_CAP: u64 = 1 << 20;

/// Cleans the segment `Info` held in memory: returns the new bytes when something changed.
fn clean_info(d: &[u8], removed: &mut Vec<String>) -> Result<Option<Vec<u8>>, Blocked> {
    let mut out = d.to_vec();
    let info = element(d, 0, d.len())?;
    let info_end = info.end.unwrap_or(d.len());
    let mut changed = false;
    for c in children(d, info.data, info_end)? {
        let c_end = c.end.unwrap_or(c.data);
        match c.id {
            0x7BA9 | 0x4461 | 0x73A4 | 0x3CB923 | 0x3EB923 | 0x7384 | 0x3C83AB | 0x3E83BB => {
                let what = match c.id {
                    0x7BA9 => "title",
                    0x4461 => "date",
                    0x73A4 | 0x3CB923 | 0x3EB923 => "segment UID",
                    _ => "file name",
                };
                removed.push(format!("Info {what}"));
                to_void(&mut out, c.start, c_end)?;
                changed = true;
            }
            0x4D80 | 0x5741 if slice(d, c.data, c_end - c.data)?.iter().any(|&b| b != 0) => {
                removed.push(if c.id == 0x4D80 {
                    "MuxingApp".into()
                } else {
                    "WritingApp".into()
                });
                if let Some(r) = out.get_mut(c.data..c_end) {
                    r.fill(0);
                }
                changed = true;
            }
            VOID if slice(d, c.data, c_end - c.data)?.iter().any(|&b| b != 0) => {
                to_void(&mut out, c.start, c_end)?;
                changed = true;
            }
            _ => {}
        }
    }
    if changed {
        fix_crc(&mut out, info.data, info_end)?;
    }
    Ok(changed.then_some(out))
}

/// Most elements at the top and in the segment (clusters included).
const MAX_ELEMENTS: usize = 10_000_000;

/// Cleans Matroska/WebM in place. Streamed: element headers, `Info` and small `Void`s are
/// read; clusters, cues and tracks are copied.
pub(crate) fn clean(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let head = element_at(src, 0, len)?;
    if head.id != EBML {
        return Err(block!(Damaged, "Matroska: no EBML header"));
    }
    let mut edits: Vec<(u64, Edit)> = Vec::new();
    let mut saw_segment = false;
    let mut count = 0usize;
    let mut pos = 0u64;
    while pos < len {
        let top = element_at(src, pos, len)?;
        let end = top.end.unwrap_or(len);
        match top.id {
            EBML => {}
            VOID => void_edits(src, &top, end, &mut edits)?,
            SEGMENT => {
                saw_segment = true;
                let mut p = top.data;
                while p < end {
                    let el = element_at(src, p, end)?;
                    let el_end = el.end.ok_or_else(|| {
                        block!(
                            CannotClean,
                            "Matroska: unknown-size element 0x{:X} (live stream) not supported",
                            el.id
                        )
                    })?;
                    match el.id {
                        INFO => {
                            if el_end - el.start > INFO_CAP {
                                return Err(block!(
                                    CannotClean,
                                    "Matroska: Info of {} bytes",
                                    el_end - el.start
                                ));
                            }
                            let d = read_vec(src, el.start, (el_end - el.start) as usize)?;
                            if let Some(new) = clean_info(&d, removed)? {
                                edits.push((el.start, Edit::Bytes(new)));
                            }
                        }
                        TAGS | ATTACHMENTS => {
                            removed.push(format!(
                                "{} ({} bytes)",
                                if el.id == TAGS { "Tags" } else { "Attachments" },
                                el_end - el.start
                            ));
                            void_edits(src, &el, el_end, &mut edits)?;
                        }
                        VOID => void_edits(src, &el, el_end, &mut edits)?,
                        CLUSTER | 0x114D_9B74 | 0x1654_AE6B | 0x1C53_BB6B | 0x1043_A770 | CRC32 => {
                        }
                        other => {
                            return Err(block!(
                                CannotClean,
                                "Matroska: unknown segment element 0x{other:X} ({})",
                                fourcc(&other.to_be_bytes())
                            ));
                        }
                    }
                    p = el_end;
                    count += 1;
                    if count > MAX_ELEMENTS {
                        return Err(block!(
                            TooLarge,
                            "Matroska: more than {MAX_ELEMENTS} elements"
                        ));
                    }
                }
            }
            other => {
                return Err(block!(
                    CannotClean,
                    "Matroska: unknown top-level element 0x{other:X}"
                ));
            }
        }
        pos = end;
    }
    if !saw_segment {
        return Err(block!(Damaged, "Matroska: no Segment"));
    }
    let mut plan = Plan::new();
    plan.copy_edited(0, len, edits)?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn clean(d: &[u8], cx: &Ctx, r: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean(&d, cx, r)?.materialize(&d, u64::MAX)
    }

    fn el(id: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.push(0x80 | data.len() as u8);
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn voids_tags_and_title() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let info = el(
            &[0x15, 0x49, 0xA9, 0x66],
            &[
                el(&[0x7B, 0xA9], b"Kim home video"),
                el(&[0x4D, 0x80], b"Lavf61"),
            ]
            .concat(),
        );
        let tags = el(&[0x12, 0x54, 0xC3, 0x67], b"ENCODER secret");
        let cluster = el(&[0x1F, 0x43, 0xB6, 0x75], b"frames");
        let seg = el(
            &[0x18, 0x53, 0x80, 0x67],
            &[info, tags, cluster.clone()].concat(),
        );
        let file = [
            el(&[0x1A, 0x45, 0xDF, 0xA3], &el(&[0x42, 0x82], b"webm")),
            seg,
        ]
        .concat();
        let mut removed = vec![];
        let out = clean(&file, &cx, &mut removed).unwrap();
        assert_eq!(out.len(), file.len());
        assert!(!out.windows(3).any(|w| w == b"Kim"));
        assert!(!out.windows(4).any(|w| w == b"Lavf"));
        assert!(!out.windows(6).any(|w| w == b"secret"));
        assert!(out.ends_with(&cluster));
        assert_eq!(removed.len(), 3, "{removed:?}");
        for cut in 1..file.len() - 1 {
            let _ = clean(&file[..cut], &cx, &mut vec![]);
        }
    }
}
