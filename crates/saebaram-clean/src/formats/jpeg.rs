//! JPEG: keep the segments a decoder needs (quantisation and Huffman tables, frame and scan
//! headers, restart interval, Adobe APP14 colour transform, JFIF APP0 rewritten to its minimal
//! form, ICC profile by policy) and the entropy-coded scan bytes as they are; drop EXIF, XMP,
//! IPTC/Photoshop, MPF, comments, every other APPn and anything after the end of image.
//! An EXIF orientation other than "normal" is kept in a minimal EXIF segment that
//! holds nothing else (32 bytes), so pictures are not shown rotated.

use super::{Ctx, be16, byte, icc, slice};
use crate::error::{Blocked, block};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;

/// Checks the signature.
pub(crate) fn is_jpeg(d: &[u8]) -> bool {
    d.starts_with(&[0xFF, SOI, 0xFF])
}

fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) -> Result<(), Blocked> {
    let len =
        u16::try_from(payload.len() + 2).map_err(|_| block!(TooLarge, "JPEG segment too large"))?;
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Reads the orientation (tag 0x0112 of IFD0) from an EXIF APP1 payload.
fn exif_orientation(payload: &[u8]) -> Option<u16> {
    let tiff = payload.strip_prefix(b"Exif\0\0")?;
    let big = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let r16 = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let r32 = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    };
    let ifd = usize::try_from(r32(4)?).ok()?;
    let count = usize::from(r16(ifd)?);
    for i in 0..count.min(512) {
        let e = ifd + 2 + i * 12;
        if r16(e)? == 0x0112 && r16(e + 2)? == 3 {
            let v = r16(e + 8)?;
            return (1..=8).contains(&v).then_some(v);
        }
    }
    None
}

fn minimal_exif(orientation: u16) -> Vec<u8> {
    let mut p = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    p.extend_from_slice(&1u16.to_be_bytes());
    p.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    p.extend_from_slice(&orientation.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    p
}

/// Cleans a JPEG.
pub(crate) fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    if !is_jpeg(d) {
        return Err(block!(Damaged, "JPEG: no start-of-image marker"));
    }
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut pos = 2;
    let mut orientation: Option<u16> = None;
    let mut wrote_exif = false;
    let mut seen_frame = false;
    let mut icc_at: Option<usize> = None;
    let mut icc_chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        if byte(d, pos)? != 0xFF {
            return Err(block!(Damaged, "JPEG: expected a marker at byte {pos}"));
        }
        while byte(d, pos)? == 0xFF {
            pos += 1;
        }
        let marker = byte(d, pos)?;
        pos += 1;
        match marker {
            EOI => {
                flush_icc(&mut out, &mut icc_at, &mut icc_chunks, removed)?;
                out.extend_from_slice(&[0xFF, EOI]);
                if pos < d.len() {
                    removed.push(format!("{} bytes after the end of image", d.len() - pos));
                }
                return Ok(out);
            }
            0x00 | 0x01 | 0xD0..=0xD7 | SOI => {
                return Err(block!(
                    Damaged,
                    "JPEG: unexpected marker FF{marker:02X} at byte {}",
                    pos - 1
                ));
            }
            _ => {}
        }
        let len = usize::from(be16(d, pos)?);
        if len < 2 {
            return Err(block!(
                CannotClean,
                "JPEG: segment FF{marker:02X} with length {len}"
            ));
        }
        let payload = slice(d, pos + 2, len - 2)?;
        let seg_end = pos + len;
        match marker {
            // Frame headers, tables, restart interval, number of lines, arithmetic coding,
            // hierarchical expand.
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                seen_frame = true;
                push_segment(&mut out, marker, payload)?;
            }
            0xC4 | 0xCC | 0xDB | 0xDC | 0xDD | 0xDE | 0xDF => {
                push_segment(&mut out, marker, payload)?
            }
            SOS => {
                if !seen_frame {
                    return Err(block!(CannotClean, "JPEG: scan before frame header"));
                }
                flush_icc(&mut out, &mut icc_at, &mut icc_chunks, removed)?;
                // The minimal EXIF goes before the first scan (after the tables, where
                // decoders accept APPn too).
                if let (Some(o), false) = (orientation, wrote_exif) {
                    if o != 1 {
                        insert_after_app0(&mut out, &minimal_exif(o))?;
                        removed.push(format!("EXIF reduced to orientation {o}"));
                    }
                    wrote_exif = true;
                }
                push_segment(&mut out, marker, payload)?;
                // Entropy-coded data up to the next marker that is not a stuffed byte or RST.
                let start = seg_end;
                let mut i = start;
                loop {
                    let b = byte(d, i).map_err(|_| {
                        block!(Damaged, "JPEG: scan data runs past the end (truncated)")
                    })?;
                    if b == 0xFF {
                        let n = byte(d, i + 1)
                            .map_err(|_| block!(Damaged, "JPEG: truncated in scan data"))?;
                        if n == 0x00 || (0xD0..=0xD7).contains(&n) {
                            i += 2;
                            continue;
                        }
                        if n == 0xFF {
                            i += 1;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                out.extend_from_slice(slice(d, start, i - start)?);
                pos = i;
                continue;
            }
            0xE0 => {
                if payload.starts_with(b"JFIF\0") && payload.len() >= 14 {
                    // version 1.01, units and densities kept, thumbnail dropped.
                    let mut p = b"JFIF\0\x01\x01".to_vec();
                    p.extend_from_slice(slice(payload, 7, 5)?);
                    p.extend_from_slice(&[0, 0]);
                    if payload.len() > 14 {
                        removed.push("JFIF thumbnail".into());
                    }
                    push_segment(&mut out, marker, &p)?;
                } else {
                    removed.push(describe(marker, payload));
                }
            }
            0xE1 => {
                if let Some(o) = exif_orientation(payload) {
                    orientation.get_or_insert(o);
                }
                removed.push(describe(marker, payload));
            }
            0xE2 if payload.starts_with(b"ICC_PROFILE\0") => {
                if cx.cfg.keep_icc {
                    icc_at.get_or_insert(out.len());
                    icc_chunks.push(payload.get(12..).unwrap_or_default().to_vec());
                } else {
                    removed.push(describe(marker, payload));
                }
            }
            0xEE if payload.starts_with(b"Adobe") => push_segment(&mut out, marker, payload)?,
            0xE2..=0xEF | 0xFE => removed.push(describe(marker, payload)),
            _ => {
                return Err(block!(
                    CannotClean,
                    "JPEG: unknown marker FF{marker:02X} at byte {}",
                    pos - 2
                ));
            }
        }
        pos = seg_end;
    }
}

/// Bytes of ICC profile data in one APP2 segment (65535 - 2 length - 12 name - 2 numbering).
const ICC_CHUNK: usize = 65_519;

/// Reassembles the ICC profile chain collected so far, cleans it (see [`icc`]) and writes it
/// back where its first segment was: the original segments when the profile is kept, new
/// ones when it was scrubbed.
fn flush_icc(
    out: &mut Vec<u8>,
    at: &mut Option<usize>,
    chunks: &mut Vec<Vec<u8>>,
    removed: &mut Vec<String>,
) -> Result<(), Blocked> {
    let Some(pos) = at.take() else {
        return Ok(());
    };
    let list = std::mem::take(chunks);
    let count = list.first().and_then(|c| c.get(1)).copied().unwrap_or(0);
    let mut ordered: Vec<Option<&[u8]>> = vec![None; usize::from(count)];
    for c in &list {
        let (seq, n) = (
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        );
        let slot = ordered
            .get_mut(usize::from(seq).wrapping_sub(1))
            .filter(|s| n == count && s.is_none())
            .ok_or_else(|| {
                block!(
                    Damaged,
                    "JPEG: broken ICC profile chain (segment {seq} of {n}); --drop-icc removes it"
                )
            })?;
        *slot = Some(c.get(2..).unwrap_or_default());
    }
    let mut profile = Vec::new();
    for part in &ordered {
        profile.extend_from_slice(
            part.ok_or_else(|| block!(Damaged, "JPEG: ICC profile chain has a missing segment"))?,
        );
    }
    let mut segs = Vec::new();
    match icc::clean_profile(&profile, "JPEG APP2", removed)? {
        icc::Cleaned::Keep => {
            for c in &list {
                let mut p = b"ICC_PROFILE\0".to_vec();
                p.extend_from_slice(c);
                push_segment(&mut segs, 0xE2, &p)?;
            }
        }
        icc::Cleaned::Scrubbed(new) => {
            let parts: Vec<&[u8]> = new.chunks(ICC_CHUNK).collect();
            let n = u8::try_from(parts.len())
                .map_err(|_| block!(TooLarge, "JPEG: ICC profile too large"))?;
            for (i, part) in parts.iter().enumerate() {
                let mut p = b"ICC_PROFILE\0".to_vec();
                p.push(i as u8 + 1);
                p.push(n);
                p.extend_from_slice(part);
                push_segment(&mut segs, 0xE2, &p)?;
            }
        }
    }
    if pos > out.len() {
        return Err(block!(CannotClean, "JPEG: internal: ICC position"));
    }
    out.splice(pos..pos, segs);
    Ok(())
}

/// Inserts an APP1 right after SOI and APP0 (if present).
fn insert_after_app0(out: &mut Vec<u8>, exif: &[u8]) -> Result<(), Blocked> {
    let mut at = 2;
    if out.get(2..4) == Some(&[0xFF, 0xE0]) {
        at = 4 + usize::from(be16(out, 4)?);
    }
    let mut seg = Vec::with_capacity(exif.len() + 4);
    push_segment(&mut seg, 0xE1, exif)?;
    out.splice(at..at, seg);
    Ok(())
}

fn describe(marker: u8, payload: &[u8]) -> String {
    let what = if marker == 0xFE {
        "comment".to_string()
    } else if payload.starts_with(b"Exif\0") {
        "EXIF".into()
    } else if payload.starts_with(b"http://ns.adobe.com/xap/1.0/") {
        "XMP".into()
    } else if payload.starts_with(b"http://ns.adobe.com/xmp/extension/") {
        "extended XMP".into()
    } else if payload.starts_with(b"Photoshop 3.0") {
        "Photoshop/IPTC".into()
    } else if payload.starts_with(b"MPF\0") {
        "MPF (multi-picture index)".into()
    } else if payload.starts_with(b"ICC_PROFILE") {
        "ICC profile".into()
    } else {
        let id: String = payload
            .iter()
            .take_while(|&&b| b != 0 && b.is_ascii_graphic())
            .take(16)
            .map(|&b| b as char)
            .collect();
        format!("APP{} {id}", marker - 0xE0)
    };
    format!("{what} ({} bytes)", payload.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn seg(m: u8, p: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, m];
        v.extend_from_slice(&((p.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(p);
        v
    }

    fn sample(extra: &[Vec<u8>]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend(seg(0xE0, b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x00\x00"));
        for e in extra {
            v.extend_from_slice(e);
        }
        v.extend(seg(0xDB, &[0u8; 65]));
        v.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        v.extend(seg(0xC4, &[0u8; 17]));
        v.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
        v.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    #[test]
    fn drops_metadata_keeps_scan() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut exif =
            b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
        exif.extend_from_slice(b"GPSSECRET");
        let input = sample(&[
            seg(0xE1, &exif),
            seg(0xFE, b"owner Kim"),
            seg(0xED, b"Photoshop 3.0\0x"),
        ]);
        let mut removed = vec![];
        let out = clean(&input, &cx, &mut removed).unwrap();
        assert!(!out.windows(9).any(|w| w == b"GPSSECRET"));
        assert!(!out.windows(9).any(|w| w == b"owner Kim"));
        assert!(out.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9]));
        assert_eq!(exif_orientation(&minimal_exif(6)), Some(6));
        let m = minimal_exif(6);
        assert!(out.windows(m.len()).any(|w| w == m.as_slice()));
        assert_eq!(removed.len(), 4, "{removed:?}");
        // Idempotent.
        let mut again = vec![];
        assert_eq!(clean(&out, &cx, &mut again).unwrap(), out);
    }

    #[test]
    fn truncated_and_corrupt_block() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let input = sample(&[]);
        for cut in 3..input.len() - 1 {
            let r = clean(&input[..cut], &cx, &mut vec![]);
            assert!(r.is_err(), "cut {cut}");
        }
        let mut bad = input.clone();
        bad[2 + 2] = 0;
        bad[2 + 3] = 1;
        assert!(clean(&bad, &cx, &mut vec![]).is_err());
    }
}
