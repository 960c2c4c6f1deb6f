//! PNG (and APNG): keep the critical chunks and the ancillary chunks that change how pixels
//! display (transparency, gamma, colour space, ICC by policy, physical size, animation); drop
//! text (tEXt, zTXt, iTXt), eXIf, tIME, C2PA/caBX, vendor chunks and anything after IEND.
//! Every chunk's CRC is checked: a corrupt file is blocked, never repaired.

use super::{Ctx, be32, fourcc, icc, slice};
use crate::error::{Blocked, block};

pub(crate) const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

const KEEP: &[&[u8; 4]] = &[
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD",
    b"pHYs", b"sPLT", b"hIST", b"cICP", b"mDCV", b"cLLI", b"acTL", b"fcTL", b"fdAT",
];

/// Cleans a PNG.
pub(crate) fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    if !d.starts_with(SIGNATURE) {
        return Err(block!(ActiveContent, "PNG: bad signature"));
    }
    let mut out = Vec::with_capacity(d.len());
    out.extend_from_slice(SIGNATURE);
    let mut pos = 8;
    let mut first = true;
    loop {
        let len =
            usize::try_from(be32(d, pos)?).map_err(|_| block!(TooLarge, "PNG: chunk too long"))?;
        if len > 0x7FFF_FFFF {
            return Err(block!(TooLarge, "PNG: chunk length {len} over the limit"));
        }
        let kind = slice(d, pos + 4, 4)?;
        let whole = slice(d, pos, len + 12)?;
        let crc = be32(d, pos + 8 + len)?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(slice(d, pos + 4, len + 4)?);
        if hasher.finalize() != crc {
            return Err(block!(
                Damaged,
                "PNG: CRC mismatch in chunk {} at byte {pos}",
                fourcc(kind)
            ));
        }
        if first && kind != b"IHDR" {
            return Err(block!(
                Damaged,
                "PNG: first chunk is {}, not IHDR",
                fourcc(kind)
            ));
        }
        first = false;
        let keep = KEEP.iter().any(|k| k.as_slice() == kind);
        if kind == b"iCCP" && cx.cfg.keep_icc {
            out.extend_from_slice(&clean_iccp(slice(d, pos + 8, len)?, whole, removed)?);
        } else if keep {
            out.extend_from_slice(whole);
        } else if kind.first().is_some_and(u8::is_ascii_uppercase) {
            return Err(block!(
                CannotClean,
                "PNG: unknown critical chunk {}",
                fourcc(kind)
            ));
        } else {
            removed.push(format!("{} chunk ({len} bytes)", fourcc(kind)));
        }
        pos += len + 12;
        if kind == b"IEND" {
            if pos < d.len() {
                removed.push(format!("{} bytes after IEND", d.len() - pos));
            }
            return Ok(out);
        }
    }
}

/// Profile names an iCCP chunk may keep (they name no one).
const SAFE_ICCP_NAMES: &[&str] = &[
    "ICC Profile",
    "ICC profile",
    "icc",
    "ICC",
    "Photoshop ICC profile",
];

/// An iCCP chunk with its profile cleaned (see [`icc`]): kept byte-for-byte when the profile
/// is standard and the chunk's name is neutral or a standard colour space's; otherwise
/// rewritten with the name "ICC Profile" (and the scrubbed profile).
fn clean_iccp(data: &[u8], whole: &[u8], removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let nul = data
        .iter()
        .position(|&b| b == 0)
        .filter(|&n| (1..=79).contains(&n))
        .ok_or_else(|| block!(CannotClean, "PNG: iCCP without a valid profile name"))?;
    let name = String::from_utf8_lossy(data.get(..nul).unwrap_or_default()).into_owned();
    if data.get(nul + 1) != Some(&0) {
        return Err(block!(
            CannotClean,
            "PNG: iCCP with an unknown compression method"
        ));
    }
    let compressed = data.get(nul + 2..).unwrap_or_default();
    let mut profile = Vec::new();
    let mut z = flate2::read::ZlibDecoder::new(compressed);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut z, icc::MAX_PROFILE as u64 + 1),
        &mut profile,
    )
    .map_err(|e| block!(Damaged, "PNG: iCCP profile does not inflate: {e}"))?;
    if profile.len() > icc::MAX_PROFILE {
        return Err(block!(TooLarge, "PNG: iCCP profile over the size limit"));
    }
    let safe_name = SAFE_ICCP_NAMES.contains(&name.as_str())
        || icc::STANDARD_NAMES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&name));
    let new_profile = match icc::clean_profile(&profile, "PNG iCCP", removed)? {
        icc::Cleaned::Keep if safe_name => return Ok(whole.to_vec()),
        icc::Cleaned::Keep => None,
        icc::Cleaned::Scrubbed(p) => Some(p),
    };
    if !safe_name {
        removed.push(format!(
            "iCCP profile name ({} characters)",
            name.chars().count()
        ));
    }
    let mut body = b"ICC Profile\0\0".to_vec();
    match new_profile {
        None => body.extend_from_slice(compressed),
        Some(p) => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut e, &p)
                .and_then(|()| e.finish().map(|z| body.extend_from_slice(&z)))
                .map_err(|e| block!(CannotClean, "PNG: cannot compress the profile: {e}"))?;
        }
    }
    Ok(make_chunk(b"iCCP", &body))
}

fn make_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    v.extend_from_slice(&h.finalize().to_be_bytes());
    v
}

/// Builds a chunk (tests and generators).
#[cfg(test)]
pub(crate) fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    v.extend_from_slice(&h.finalize().to_be_bytes());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn sample() -> Vec<u8> {
        let mut v = SIGNATURE.to_vec();
        v.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        v.extend(chunk(b"tEXt", b"Author\0Kim Secret"));
        v.extend(chunk(b"tIME", &[7, 230, 1, 1, 0, 0, 0]));
        v.extend(chunk(b"IDAT", &[120, 156, 99, 96, 0, 0, 0, 2, 0, 1]));
        v.extend(chunk(b"IEND", &[]));
        v
    }

    #[test]
    fn drops_text_keeps_idat() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut removed = vec![];
        let out = clean(&sample(), &cx, &mut removed).unwrap();
        assert!(!out.windows(6).any(|w| w == b"Secret"));
        assert!(
            out.windows(10)
                .any(|w| w == [120, 156, 99, 96, 0, 0, 0, 2, 0, 1])
        );
        assert_eq!(removed.len(), 2);
    }

    #[test]
    fn corrupt_and_truncated_block() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let s = sample();
        for cut in 0..s.len() {
            assert!(clean(&s[..cut], &cx, &mut vec![]).is_err());
        }
        let mut bad = s.clone();
        bad[20] ^= 1;
        assert!(clean(&bad, &cx, &mut vec![]).is_err());
        let mut crit = SIGNATURE.to_vec();
        crit.extend(chunk(b"IHDR", &[0; 13]));
        crit.extend(chunk(b"ABCD", &[]));
        assert!(
            clean(&crit, &cx, &mut vec![])
                .unwrap_err()
                .reason
                .contains("critical")
        );
    }
}
