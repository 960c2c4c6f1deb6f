//! BMP (Windows and OS/2 bitmaps).
//!
//! A BMP has no tags; what can identify is an embedded ICC profile (v5 headers), a *linked*
//! profile (a file name such as `C:\Users\kim\...`), non-zero reserved header fields and
//! bytes after the pixels. The headers and palette are kept, the pixel array is copied as it
//! is, an embedded profile goes through [`super::icc`] and is written right after the pixels
//! (or removed with `--drop-icc`, the colour space becoming sRGB), a linked profile's name is
//! always removed (sRGB), anything after the pixels and profile is dropped. A file with
//! nothing of this is reported unchanged.
//!
//! Blocked: BMPs wrapping JPEG or PNG data (compression 4 and 5), headers of unknown size,
//! pixel arrays or profiles past the end of the file, profiles over [`icc::MAX_PROFILE`].

use super::{Ctx, icc};
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_vec};

const LCS_SRGB: u32 = 0x7352_4742; // 'sRGB'
const PROFILE_EMBEDDED: u32 = 0x4D42_4544; // 'MBED'
const PROFILE_LINKED: u32 = 0x4C49_4E4B; // 'LINK'

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}
fn le16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |x| u16::from_le_bytes([x[0], x[1]]))
}
fn set32(b: &mut [u8], at: usize, v: u32) {
    if let Some(x) = b.get_mut(at..at + 4) {
        x.copy_from_slice(&v.to_le_bytes());
    }
}

/// Cleans a BMP.
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    if len < 26 {
        return Err(block!(
            Damaged,
            "BMP: {len} bytes is too short for the headers"
        ));
    }
    let fixed = read_vec(src, 0, 18)?;
    if fixed.get(..2) != Some(b"BM") {
        return Err(block!(ActiveContent, "BMP: bad signature"));
    }
    let off_bits = u64::from(le32(&fixed, 10));
    let hsize = le32(&fixed, 14);
    if !matches!(hsize, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124) {
        return Err(block!(CannotClean, "BMP: unknown header size {hsize}"));
    }
    if off_bits < 14 + u64::from(hsize) || off_bits > len {
        return Err(block!(
            Damaged,
            "BMP: pixel data offset {off_bits} is outside the file ({len} bytes)"
        ));
    }
    // Headers and palette: everything before the pixels (bounded by the offset check).
    let head_len =
        usize::try_from(off_bits).map_err(|_| block!(TooLarge, "BMP: header too large"))?;
    if head_len > 16 << 20 {
        return Err(block!(
            TooLarge,
            "BMP: {head_len} bytes before the pixels (limit 16 MiB)"
        ));
    }
    let mut head = read_vec(src, 0, head_len)?;
    let (width, height, bpp, compression, size_image) = if hsize == 12 {
        (
            i64::from(le16(&head, 18)),
            i64::from(le16(&head, 20)),
            le16(&head, 24),
            0,
            0,
        )
    } else {
        (
            i64::from(le32(&head, 18) as i32),
            i64::from(le32(&head, 22) as i32),
            le16(&head, 28),
            le32(&head, 30),
            le32(&head, 34),
        )
    };
    if matches!(compression, 4 | 5) {
        return Err(block!(
            CannotClean,
            "BMP: wraps {} data (compression {compression}); not supported",
            if compression == 4 { "JPEG" } else { "PNG" }
        ));
    }
    if width <= 0 || height == 0 || !matches!(bpp, 1 | 2 | 4 | 8 | 16 | 24 | 32 | 64) {
        return Err(block!(
            Damaged,
            "BMP: bad size {width}x{height} or {bpp} bits per pixel"
        ));
    }
    let pixels = if matches!(compression, 1 | 2) || (hsize == 64 && compression == 3) {
        // RLE (and OS/2 Huffman) need the stored size.
        if size_image == 0 {
            return Err(block!(Damaged, "BMP: compressed bitmap without its size"));
        }
        u64::from(size_image)
    } else {
        let row = (u64::from(bpp) * width.unsigned_abs()).div_ceil(32) * 4;
        row.checked_mul(height.unsigned_abs())
            .ok_or_else(|| block!(Damaged, "BMP: size overflow"))?
    };
    let pixel_end = off_bits
        .checked_add(pixels)
        .filter(|&e| e <= len)
        .ok_or_else(|| {
            block!(Damaged,
                "BMP: the pixels ({pixels} bytes at {off_bits}) run past the end of the file ({len} bytes, truncated?)"
            )
        })?;
    let mut changed = false;
    if le32(&head, 6) != 0 {
        removed.push("reserved header fields".into());
        set32(&mut head, 6, 0);
        changed = true;
    }
    // The colour profile (v5 headers only).
    let mut profile_out: Option<Vec<u8>> = None;
    let mut profile_was: Option<(u64, u64)> = None;
    if hsize == 124 {
        let cs = le32(&head, 14 + 56);
        let p_off = u64::from(le32(&head, 14 + 112));
        let p_len = u64::from(le32(&head, 14 + 116));
        if cs == PROFILE_EMBEDDED || cs == PROFILE_LINKED {
            let at = 14 + p_off;
            if at.checked_add(p_len).is_none_or(|e| e > len) || p_len == 0 {
                return Err(block!(
                    Damaged,
                    "BMP: colour profile at {at} (+{p_len}) is outside the file"
                ));
            }
            if at < pixel_end && at + p_len > off_bits {
                return Err(block!(Damaged, "BMP: colour profile overlaps the pixels"));
            }
            if p_len > icc::MAX_PROFILE as u64 {
                return Err(block!(
                    TooLarge,
                    "BMP: colour profile of {p_len} bytes is too large"
                ));
            }
            profile_was = Some((at, p_len));
            let bytes = read_vec(src, at, p_len as usize)?;
            if cs == PROFILE_LINKED || !cx.cfg.keep_icc {
                removed.push(if cs == PROFILE_LINKED {
                    format!(
                        "linked colour profile file name ({p_len} bytes); colour space set to sRGB"
                    )
                } else {
                    format!("ICC profile ({p_len} bytes); colour space set to sRGB")
                });
                set32(&mut head, 14 + 56, LCS_SRGB);
                set32(&mut head, 14 + 112, 0);
                set32(&mut head, 14 + 116, 0);
                changed = true;
            } else {
                profile_out = Some(match icc::clean_profile(&bytes, "BMP", removed)? {
                    icc::Cleaned::Keep => bytes,
                    icc::Cleaned::Scrubbed(p) => {
                        changed = true;
                        p
                    }
                });
            }
            // A profile stored before the pixels is zeroed there and written after them.
            if at < off_bits
                && let Some(h) = head.get_mut(at as usize..(at + p_len) as usize)
            {
                h.fill(0);
                changed = true;
            }
        }
    }
    let mut new_len = pixel_end;
    if let Some(p) = &profile_out {
        let rel = u32::try_from(pixel_end - 14).map_err(|_| block!(TooLarge, "BMP: over 4 GiB"))?;
        set32(&mut head, 14 + 112, rel);
        set32(&mut head, 14 + 116, p.len() as u32);
        new_len += p.len() as u64;
        if profile_was != Some((pixel_end, p.len() as u64)) {
            changed = true;
        }
    }
    let used = profile_was.map_or(pixel_end, |(at, n)| pixel_end.max(at + n));
    if used < len {
        removed.push(format!("{} bytes after the pixels", len - used));
    }
    let new_size = u32::try_from(new_len).map_err(|_| block!(TooLarge, "BMP: over 4 GiB"))?;
    if le32(&head, 2) != new_size {
        set32(&mut head, 2, new_size);
        changed = true;
    }
    let mut plan = Plan::new();
    plan.bytes(head);
    plan.copy(off_bits, pixels);
    if let Some(p) = profile_out {
        plan.bytes(p);
    }
    if !changed && new_len == len {
        return Ok(Plan::unchanged(src));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// A 2x2 24-bit BMP with a v5 header and `profile` after the pixels.
    fn sample(profile: &[u8], trailing: &[u8]) -> Vec<u8> {
        let pixels = [1u8, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0];
        let mut d = b"BM".to_vec();
        let off = 14 + 124;
        let total = off + pixels.len() + profile.len() + trailing.len();
        d.extend_from_slice(&(total as u32).to_le_bytes());
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&(off as u32).to_le_bytes());
        let mut h = vec![0u8; 124];
        h[0..4].copy_from_slice(&124u32.to_le_bytes());
        h[4..8].copy_from_slice(&2u32.to_le_bytes());
        h[8..12].copy_from_slice(&2u32.to_le_bytes());
        h[12..14].copy_from_slice(&1u16.to_le_bytes());
        h[14..16].copy_from_slice(&24u16.to_le_bytes());
        let cs = if profile.is_empty() {
            LCS_SRGB
        } else {
            PROFILE_EMBEDDED
        };
        h[56..60].copy_from_slice(&cs.to_le_bytes());
        if !profile.is_empty() {
            h[112..116].copy_from_slice(&((124 + pixels.len()) as u32).to_le_bytes());
            h[116..120].copy_from_slice(&(profile.len() as u32).to_le_bytes());
        }
        d.extend_from_slice(&h);
        d.extend_from_slice(&pixels);
        d.extend_from_slice(profile);
        d.extend_from_slice(trailing);
        d
    }

    fn run(d: &[u8], keep_icc: bool) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config {
            keep_icc,
            ..Config::default()
        };
        let cx = Ctx::test(&cfg);
        let src: &[u8] = d;
        let mut removed = vec![];
        let plan = clean(&src, &cx, &mut removed)?;
        Ok((plan.materialize(&src, 1 << 20)?, removed))
    }

    #[test]
    fn plain_bmp_is_unchanged() {
        let d = sample(&[], &[]);
        let (out, removed) = run(&d, true).unwrap();
        assert_eq!(out, d);
        assert!(removed.is_empty());
    }

    #[test]
    fn custom_profile_scrubbed_trailing_dropped_and_drop_icc() {
        let p = icc::sample_profile(false, "PlantedMonitor", "me", &[]);
        let d = sample(&p, b"PlantedTrailer");
        let (out, removed) = run(&d, true).unwrap();
        assert!(!out.windows(7).any(|w| w == b"Planted"), "{removed:?}");
        assert_eq!(&out[14 + 124..14 + 124 + 16], &d[14 + 124..14 + 124 + 16]);
        assert_eq!(le32(&out, 2) as usize, out.len());
        let (again, r2) = run(&out, true).unwrap();
        assert_eq!(again, out, "{r2:?}");
        let (dropped, _) = run(&d, false).unwrap();
        assert_eq!(dropped.len(), 14 + 124 + 16);
        assert_eq!(le32(&dropped, 14 + 56), LCS_SRGB);
    }

    #[test]
    fn bad_bmps_block() {
        let d = sample(&[], &[]);
        for cut in 0..d.len() {
            assert!(run(&d[..cut], true).is_err(), "cut {cut}");
        }
        let mut huge = d.clone();
        huge[18..22].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
        assert!(run(&huge, true).is_err());
        let mut jpeg = d.clone();
        jpeg[30..34].copy_from_slice(&4u32.to_le_bytes());
        assert!(run(&jpeg, true).unwrap_err().reason.contains("JPEG"));
    }
}
