//! ICC colour profiles, wherever they are embedded (JPEG APP2, PNG iCCP, WebP ICCP, TIFF tag
//! 34675, HEIF `colr`, BMP v5).
//!
//! A profile converts colours; it can also name a machine: a calibrated monitor's profile is
//! called "DELL U2415 #1 2019-03-01", carries the display's make and model, the calibration
//! date, the video-card gamma table (`vcgt`), the measurement data (`targ`), vendor blocks
//! (`meta`, Apple `mmod`/`dscm`) and the creating software. [`clean_profile`] decides:
//!
//! - **Standard** profiles are kept byte-for-byte. A profile is standard when its length and
//!   CRC-32 are those of a published profile (the ICC's and HP/Microsoft's sRGB files, as listed
//!   by libpng), or when it is *plain*: every tag is colour data (see [`COLOUR_TAGS`]) or its
//!   description/copyright, every description string is the name of a standard colour space
//!   ([`STANDARD_NAMES`]: "sRGB IEC61966-2.1", "Display P3", "Adobe RGB (1998)"...), and the
//!   copyright names a publisher of standard profiles ([`STANDARD_PUBLISHERS`]). Such a
//!   profile has nothing to say about whose machine made the picture, whatever its exact
//!   bytes (Apple, Adobe, Google, lcms and colord each write their own sRGB/P3).
//! - **Any other** profile is rewritten: the colour tags are copied as they are (so colours
//!   convert exactly as before), the description becomes "ICC profile", the copyright
//!   "No copyright", every other tag is dropped, and the header's CMM, date, platform, device
//!   manufacturer and model, creator and reserved bytes are zeroed; a profile ID (MD5) that
//!   was present is recomputed.
//!
//! A damaged profile (bad signature, sizes, tag table) blocks the file: `--drop-icc` removes
//! profiles instead.

use md5::{Digest, Md5};

use crate::error::{Blocked, block};

/// Largest profile handled (JPEG chains top out near 16 MiB).
pub(crate) const MAX_PROFILE: usize = 64 << 20;
const MAX_TAGS: usize = 1024;
const HEADER: usize = 128;

/// Tags that carry colour data: copied byte-for-byte.
pub(crate) const COLOUR_TAGS: &[&[u8; 4]] = &[
    b"A2B0", b"A2B1", b"A2B2", b"A2B3", b"B2A0", b"B2A1", b"B2A2", b"B2A3", b"D2B0", b"D2B1",
    b"D2B2", b"D2B3", b"B2D0", b"B2D1", b"B2D2", b"B2D3", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC",
    b"gTRC", b"bTRC", b"kTRC", b"wtpt", b"bkpt", b"chad", b"chrm", b"lumi", b"gamt", b"pre0",
    b"pre1", b"pre2", b"meas", b"view", b"tech", b"rig0", b"rig2", b"ciis", b"cicp", b"clro",
    b"clrt", b"clot", b"ncl2", b"resp",
];

/// Descriptions of standard colour spaces (compared trimmed, case-insensitively).
pub(crate) const STANDARD_NAMES: &[&str] = &[
    "sRGB IEC61966-2.1",
    "sRGB IEC61966-2-1",
    "sRGB IEC61966-2.1 (Equivalent)",
    "sRGB",
    "sRGB built-in",
    "sRGB v4 ICC preference perceptual intent beta",
    "sRGB2014",
    "Display P3",
    "DCI(P3) RGB",
    "DCI-P3",
    "P3 D65",
    "Adobe RGB (1998)",
    "Compatible with Adobe RGB (1998)",
    "ProPhoto RGB",
    "ROMM-RGB",
    "Apple RGB",
    "ColorMatch RGB",
    "eciRGB v2",
    "Rec. 2020",
    "ITU-R BT.2020",
    "Rec. ITU-R BT.709-5",
    "Rec. 709",
    "Generic RGB Profile",
    "Generic Gray Profile",
    "Generic Gray Gamma 2.2 Profile",
    "Gray Gamma 2.2",
    "Dot Gain 20%",
    "Linear Gray",
    "Linear sRGB",
    "U.S. Web Coated (SWOP) v2",
    "Coated FOGRA39 (ISO 12647-2:2004)",
    "Coated FOGRA27 (ISO 12647-2:2004)",
    "Japan Color 2001 Coated",
    "Generic CMYK Profile",
];

/// Copyright holders of standard profiles (substring, case-insensitive).
pub(crate) const STANDARD_PUBLISHERS: &[&str] = &[
    "apple",
    "hewlett-packard",
    "adobe",
    "international color consortium",
    "no copyright",
    "public domain",
    "google",
    "microsoft",
    "kodak",
    "eastman",
    "iec",
    "cc0",
    "artifex",
    "fogra",
    "eci",
    "little cms",
    "marti maria",
    "colord",
    "richard hughes",
];

/// Published profiles by (length, CRC-32 of the whole file): the ICC sRGB profiles and the
/// HP/Microsoft sRGB profile (values as listed by libpng's `png_sRGB_checks`).
const KNOWN: &[(u32, u32)] = &[
    (3048, 0x3b87_72b9),  // sRGB_IEC61966-2-1_black_scaled.icc
    (3052, 0x427e_bb21),  // sRGB_IEC61966-2-1_no_black_scaling.icc
    (60988, 0x306f_d8ae), // sRGB_v4_ICC_preference_displayclass.icc
    (60960, 0xbbef_7812), // sRGB_v4_ICC_preference.icc
    (3024, 0x5d51_29ce),  // sRGB_IEC61966-2-1_noBPC.icc
    (3144, 0x182e_a552),  // HP-Microsoft sRGB v2 perceptual
    (3144, 0xf29e_526d),  // HP-Microsoft sRGB v2 media-relative
];

fn be32(d: &[u8], at: usize) -> Result<u32, Blocked> {
    d.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| block!(Damaged, "ICC profile: truncated at byte {at}"))
}

struct Tag {
    sig: [u8; 4],
    offset: usize,
    len: usize,
}

/// A parsed, checked profile (borrowing its bytes, trailing bytes cut off).
struct Profile<'a> {
    bytes: &'a [u8],
    tags: Vec<Tag>,
}

fn parse(d: &[u8]) -> Result<Profile<'_>, Blocked> {
    if d.len() > MAX_PROFILE {
        return Err(block!(
            TooLarge,
            "ICC profile of {} bytes is over the {} MiB limit",
            d.len(),
            MAX_PROFILE >> 20
        ));
    }
    if d.len() < HEADER + 4 || d.get(36..40) != Some(b"acsp") {
        return Err(block!(
            ActiveContent,
            "ICC profile: no 'acsp' signature (damaged profile)"
        ));
    }
    let size = usize::try_from(be32(d, 0)?).unwrap_or(usize::MAX);
    if size > d.len() || size < HEADER + 4 {
        return Err(block!(
            Damaged,
            "ICC profile: header says {size} bytes, {} present (truncated or damaged)",
            d.len()
        ));
    }
    let bytes = d.get(..size).unwrap_or_default();
    let count = usize::try_from(be32(bytes, HEADER)?).unwrap_or(usize::MAX);
    let table_end = count
        .checked_mul(12)
        .and_then(|n| n.checked_add(HEADER + 4))
        .filter(|&e| count <= MAX_TAGS && e <= size)
        .ok_or_else(|| {
            block!(
                Damaged,
                "ICC profile: tag count {count} does not fit the profile"
            )
        })?;
    let mut tags = Vec::with_capacity(count);
    for i in 0..count {
        let at = HEADER + 4 + 12 * i;
        let sig: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| block!(Damaged, "ICC profile: truncated tag table"))?;
        let offset = usize::try_from(be32(bytes, at + 4)?).unwrap_or(usize::MAX);
        let len = usize::try_from(be32(bytes, at + 8)?).unwrap_or(usize::MAX);
        if offset < table_end || offset.checked_add(len).is_none_or(|e| e > size) {
            return Err(block!(
                CannotClean,
                "ICC profile: tag {} at {offset}+{len} lies outside the profile",
                super::fourcc(&sig)
            ));
        }
        tags.push(Tag { sig, offset, len });
    }
    Ok(Profile { bytes, tags })
}

/// The text strings of a `desc`, `mluc` or `text` tag (None: another type or damaged).
fn strings(data: &[u8]) -> Option<Vec<String>> {
    let kind = data.get(..4)?;
    match kind {
        b"text" => Some(vec![latin1(data.get(8..)?)]),
        b"desc" => {
            let n = usize::try_from(be32(data, 8).ok()?).ok()?;
            let ascii = latin1(data.get(12..12usize.checked_add(n)?)?);
            let mut out = vec![ascii];
            let at = 12 + n;
            if let (Ok(_lang), Ok(count)) = (be32(data, at), be32(data, at + 4)) {
                let chars = usize::try_from(count).ok()?;
                let u = data.get(at + 8..(at + 8).checked_add(chars.checked_mul(2)?)?)?;
                out.push(utf16(u));
            }
            Some(out)
        }
        b"mluc" => {
            let n = usize::try_from(be32(data, 8).ok()?).ok()?;
            let rec = usize::try_from(be32(data, 12).ok()?).ok()?;
            if rec < 12 || n > 1000 {
                return None;
            }
            let mut out = Vec::new();
            for i in 0..n {
                let at = 16usize.checked_add(i.checked_mul(rec)?)?;
                let len = usize::try_from(be32(data, at + 4).ok()?).ok()?;
                let off = usize::try_from(be32(data, at + 8).ok()?).ok()?;
                out.push(utf16(data.get(off..off.checked_add(len)?)?));
            }
            Some(out)
        }
        _ => None,
    }
}

fn latin1(b: &[u8]) -> String {
    b.iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as char)
        .collect()
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

fn tag_data<'a>(p: &Profile<'a>, t: &Tag) -> &'a [u8] {
    p.bytes.get(t.offset..t.offset + t.len).unwrap_or_default()
}

/// Whether the profile is a published or plain standard profile (see the module doc).
fn is_standard(p: &Profile<'_>) -> bool {
    let crc = crc32fast::hash(p.bytes);
    if KNOWN
        .iter()
        .any(|&(len, c)| len as usize == p.bytes.len() && c == crc)
    {
        return true;
    }
    let mut named = false;
    for t in &p.tags {
        if COLOUR_TAGS.contains(&&t.sig) {
            continue;
        }
        let Some(texts) = strings(tag_data(p, t)) else {
            return false;
        };
        let ok = match &t.sig {
            b"desc" => texts.iter().filter(|s| !s.trim().is_empty()).all(|s| {
                STANDARD_NAMES
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(s.trim()))
            }),
            b"cprt" => texts.iter().filter(|s| !s.trim().is_empty()).all(|s| {
                let low = s.to_lowercase();
                STANDARD_PUBLISHERS.iter().any(|n| low.contains(n))
            }),
            _ => false,
        };
        if !ok {
            return false;
        }
        named |= &t.sig == b"desc";
    }
    named
}

/// What happened to a profile.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cleaned {
    /// A standard profile: keep the bytes as they are.
    Keep,
    /// The scrubbed profile.
    Scrubbed(Vec<u8>),
}

/// Cleans one profile (see the module doc). `where_` names its place in the file for the
/// report ("JPEG APP2", "TIFF tag 34675"...).
pub(crate) fn clean_profile(
    d: &[u8],
    where_: &str,
    removed: &mut Vec<String>,
) -> Result<Cleaned, Blocked> {
    let p = parse(d)
        .map_err(|b| block!(inherit b, "{where_}: {b} (use --drop-icc to remove profiles)"))?;
    if is_standard(&p) && p.bytes.len() == d.len() {
        return Ok(Cleaned::Keep);
    }
    let out = scrub(&p);
    if out == d {
        return Ok(Cleaned::Keep);
    }
    let name = p
        .tags
        .iter()
        .find(|t| &t.sig == b"desc")
        .and_then(|t| strings(tag_data(&p, t)))
        .and_then(|v| v.into_iter().find(|s| !s.trim().is_empty()))
        .map(|s| s.chars().count())
        .unwrap_or(0);
    removed.push(format!(
        "{where_}: ICC profile description ({name} characters), copyright, device and creator fields, {} non-colour tag(s) scrubbed",
        p.tags
            .iter()
            .filter(|t| !COLOUR_TAGS.contains(&&t.sig) && &t.sig != b"desc" && &t.sig != b"cprt")
            .count()
    ));
    Ok(Cleaned::Scrubbed(out))
}

fn text_tag(v4: bool, text: &str) -> Vec<u8> {
    let mut t = Vec::new();
    if v4 {
        let units: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        t.extend_from_slice(b"mluc\0\0\0\0");
        t.extend_from_slice(&1u32.to_be_bytes());
        t.extend_from_slice(&12u32.to_be_bytes());
        t.extend_from_slice(b"enUS");
        t.extend_from_slice(&(units.len() as u32).to_be_bytes());
        t.extend_from_slice(&28u32.to_be_bytes());
        t.extend_from_slice(&units);
    } else {
        t.extend_from_slice(b"text\0\0\0\0");
        t.extend_from_slice(text.as_bytes());
        t.push(0);
    }
    t
}

fn desc_tag(v4: bool, text: &str) -> Vec<u8> {
    if v4 {
        return text_tag(true, text);
    }
    let mut t = b"desc\0\0\0\0".to_vec();
    t.extend_from_slice(&((text.len() + 1) as u32).to_be_bytes());
    t.extend_from_slice(text.as_bytes());
    t.push(0);
    t.extend_from_slice(&[0u8; 8]); // Unicode language and count
    t.extend_from_slice(&[0u8; 3]); // ScriptCode code and count
    t.extend_from_slice(&[0u8; 67]);
    t
}

/// Neutral description and copyright of a scrubbed profile.
pub(crate) const SCRUBBED_DESCRIPTION: &str = "ICC profile";
const SCRUBBED_COPYRIGHT: &str = "No copyright";

/// Rebuilds the profile: colour tags as they are (shared data stays shared), neutral
/// description and copyright, header fields that name software, device or time zeroed.
fn scrub(p: &Profile<'_>) -> Vec<u8> {
    let v4 = p.bytes.get(8).is_some_and(|&v| v >= 4);
    // (signature, data, (offset, length) in the input for data that may be shared)
    type Entry = ([u8; 4], Vec<u8>, Option<(usize, usize)>);
    let mut entries: Vec<Entry> = Vec::new();
    for t in &p.tags {
        if COLOUR_TAGS.contains(&&t.sig) {
            entries.push((t.sig, tag_data(p, t).to_vec(), Some((t.offset, t.len))));
        }
    }
    entries.push((*b"desc", desc_tag(v4, SCRUBBED_DESCRIPTION), None));
    entries.push((*b"cprt", text_tag(v4, SCRUBBED_COPYRIGHT), None));
    let mut header = p.bytes.get(..HEADER).unwrap_or_default().to_vec();
    for range in [4..8, 24..36, 40..44, 48..56, 80..84, 100..128] {
        if let Some(h) = header.get_mut(range) {
            h.fill(0);
        }
    }
    let had_id = p
        .bytes
        .get(84..100)
        .is_some_and(|id| id.iter().any(|&b| b != 0));
    if let Some(h) = header.get_mut(84..100) {
        h.fill(0);
    }
    let mut out = header;
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let table = out.len();
    out.resize(table + 12 * entries.len(), 0);
    let mut placed: Vec<((usize, usize), usize)> = Vec::new();
    for (i, (sig, data, origin)) in entries.iter().enumerate() {
        let shared = origin.and_then(|o| placed.iter().find(|(k, _)| *k == o).map(|&(_, at)| at));
        let at = match shared {
            Some(at) => at,
            None => {
                let at = out.len();
                out.extend_from_slice(data);
                while !out.len().is_multiple_of(4) {
                    out.push(0);
                }
                if let Some(o) = origin {
                    placed.push((*o, at));
                }
                at
            }
        };
        let e = table + 12 * i;
        if let Some(slot) = out.get_mut(e..e + 12) {
            slot[..4].copy_from_slice(sig);
            slot[4..8].copy_from_slice(&(at as u32).to_be_bytes());
            slot[8..12].copy_from_slice(&(data.len() as u32).to_be_bytes());
        }
    }
    let size = out.len() as u32;
    if let Some(h) = out.get_mut(0..4) {
        h.copy_from_slice(&size.to_be_bytes());
    }
    if had_id {
        let id = profile_id(&out);
        if let Some(h) = out.get_mut(84..100) {
            h.copy_from_slice(&id);
        }
    }
    out
}

/// The ICC profile ID: MD5 of the profile with the flags, rendering intent and ID fields
/// set to zero (ICC.1:2010 section 7.2.18).
pub(crate) fn profile_id(profile: &[u8]) -> [u8; 16] {
    let mut copy = profile.to_vec();
    for range in [44..48, 64..68, 84..100] {
        if let Some(h) = copy.get_mut(range) {
            h.fill(0);
        }
    }
    let digest = Md5::digest(&copy);
    let mut id = [0u8; 16];
    id.copy_from_slice(digest.as_slice());
    id
}

/// Test and generator helper: a small matrix/TRC display profile.
#[cfg(test)]
pub(crate) fn sample_profile(
    v4: bool,
    desc: &str,
    cprt: &str,
    extra: &[(&[u8; 4], &[u8])],
) -> Vec<u8> {
    let mut tags: Vec<([u8; 4], Vec<u8>)> = vec![
        (*b"desc", desc_tag(v4, desc)),
        (*b"cprt", text_tag(v4, cprt)),
        (
            *b"wtpt",
            [
                b"XYZ \0\0\0\0".as_slice(),
                &[0, 0, 0xF6, 0xD6, 0, 1, 0, 0, 0, 0, 0xD3, 0x2D],
            ]
            .concat(),
        ),
        (*b"rTRC", b"curv\0\0\0\0\0\0\0\x01\x02\x33".to_vec()),
    ];
    for (sig, data) in extra {
        tags.push((**sig, data.to_vec()));
    }
    let mut header = vec![0u8; HEADER];
    header[4..8].copy_from_slice(b"lcms");
    header[8] = if v4 { 4 } else { 2 };
    header[9] = 0x20;
    header[12..16].copy_from_slice(b"mntr");
    header[16..20].copy_from_slice(b"RGB ");
    header[20..24].copy_from_slice(b"XYZ ");
    header[24..36].copy_from_slice(&[0x07, 0xE8, 0, 5, 0, 6, 0, 7, 0, 8, 0, 9]);
    header[36..40].copy_from_slice(b"acsp");
    header[40..44].copy_from_slice(b"APPL");
    header[48..52].copy_from_slice(b"DELL");
    header[52..56].copy_from_slice(&[0, 0, 0xA0, 0xF3]);
    header[68..80].copy_from_slice(&[0, 0, 0xF6, 0xD6, 0, 1, 0, 0, 0, 0, 0xD3, 0x2D]);
    header[80..84].copy_from_slice(b"lcms");
    let mut out = header;
    out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    let table = out.len();
    out.resize(table + 12 * tags.len(), 0);
    for (i, (sig, data)) in tags.iter().enumerate() {
        let at = out.len();
        out.extend_from_slice(data);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        let e = table + 12 * i;
        out[e..e + 4].copy_from_slice(sig);
        out[e + 4..e + 8].copy_from_slice(&(at as u32).to_be_bytes());
        out[e + 8..e + 12].copy_from_slice(&(data.len() as u32).to_be_bytes());
    }
    let n = out.len() as u32;
    out[0..4].copy_from_slice(&n.to_be_bytes());
    if v4 {
        let id = profile_id(&out);
        out[84..100].copy_from_slice(&id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contains(h: &[u8], n: &[u8]) -> bool {
        h.windows(n.len()).any(|w| w == n)
    }

    #[test]
    fn plain_standard_profiles_are_kept() {
        for v4 in [false, true] {
            let p = sample_profile(v4, "Display P3", "Copyright Apple Inc., 2017", &[]);
            let mut removed = vec![];
            assert_eq!(clean_profile(&p, "t", &mut removed).unwrap(), Cleaned::Keep);
            assert!(removed.is_empty());
        }
    }

    #[test]
    fn calibrated_profile_is_scrubbed_colours_kept() {
        for v4 in [false, true] {
            let p = sample_profile(
                v4,
                "DELL U2415 #1 2019-03-01 PlantedIccDesc",
                "Kim PlantedIccCopyright",
                &[
                    (b"dmdd", &desc_tag(v4, "PlantedIccModel")),
                    (b"vcgt", b"vcgt\0\0\0\0calibration"),
                    (b"meta", b"dict\0\0\0\0PlantedIccSerial"),
                ],
            );
            let mut removed = vec![];
            let Cleaned::Scrubbed(out) = clean_profile(&p, "t", &mut removed).unwrap() else {
                panic!("not scrubbed");
            };
            for planted in ["Planted", "DELL", "lcms", "APPL", "calibration"] {
                assert!(
                    !contains(&out, planted.as_bytes()),
                    "{planted} left (v4 {v4})"
                );
            }
            let q = parse(&out).unwrap();
            for sig in [b"wtpt", b"rTRC"] {
                let a = p_tag(&parse(&p).unwrap(), sig);
                assert_eq!(a, p_tag(&q, sig), "colour tag changed");
            }
            assert_eq!(out.len() % 4, 0);
            assert_eq!(be32(&out, 0).unwrap() as usize, out.len());
            if v4 {
                assert_eq!(out[84..100], profile_id(&out));
            } else {
                assert!(out[84..100].iter().all(|&b| b == 0));
            }
            assert_eq!(removed.len(), 1);
            // Idempotent: a scrubbed profile comes through unchanged.
            assert_eq!(
                clean_profile(&out, "t", &mut vec![]).unwrap(),
                Cleaned::Keep
            );
        }
    }

    fn p_tag(p: &Profile<'_>, sig: &[u8; 4]) -> Vec<u8> {
        let t = p.tags.iter().find(|t| &t.sig == sig).unwrap();
        tag_data(p, t).to_vec()
    }

    #[test]
    fn standard_name_with_private_tags_is_scrubbed() {
        let p = sample_profile(
            false,
            "sRGB",
            "Copyright Apple Inc.",
            &[(b"mmod", b"mmod\0\0\0\0serial")],
        );
        assert!(matches!(
            clean_profile(&p, "t", &mut vec![]).unwrap(),
            Cleaned::Scrubbed(_)
        ));
        let p = sample_profile(false, "sRGB", "Kim Chol", &[]);
        assert!(matches!(
            clean_profile(&p, "t", &mut vec![]).unwrap(),
            Cleaned::Scrubbed(_)
        ));
    }

    #[test]
    fn shared_tag_data_stays_shared() {
        let mut p = sample_profile(
            false,
            "mine",
            "me",
            &[(b"gTRC", b"curv\0\0\0\0\0\0\0\x01\x02\x33")],
        );
        // Point gTRC at rTRC's data, as real profiles do.
        let q = parse(&p).unwrap();
        let r = q.tags.iter().position(|t| &t.sig == b"rTRC").unwrap();
        let g = q.tags.iter().position(|t| &t.sig == b"gTRC").unwrap();
        let (ro, go) = (HEADER + 4 + 12 * r, HEADER + 4 + 12 * g);
        let off: [u8; 4] = p[ro + 4..ro + 8].try_into().unwrap();
        p[go + 4..go + 8].copy_from_slice(&off);
        let Cleaned::Scrubbed(out) = clean_profile(&p, "t", &mut vec![]).unwrap() else {
            panic!()
        };
        let s = parse(&out).unwrap();
        let rr = s.tags.iter().find(|t| &t.sig == b"rTRC").unwrap().offset;
        let gg = s.tags.iter().find(|t| &t.sig == b"gTRC").unwrap().offset;
        assert_eq!(rr, gg);
    }

    #[test]
    fn damaged_profiles_block() {
        let p = sample_profile(true, "x", "y", &[]);
        for cut in 0..p.len() {
            assert!(
                clean_profile(&p[..cut], "t", &mut vec![]).is_err(),
                "cut {cut}"
            );
        }
        let mut bad = p.clone();
        bad[128..132].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(clean_profile(&bad, "t", &mut vec![]).is_err());
        let mut bad = p.clone();
        bad[136..140].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        let e = clean_profile(&bad, "JPEG APP2", &mut vec![]).unwrap_err();
        assert!(
            e.reason.contains("JPEG APP2") && e.reason.contains("--drop-icc"),
            "{e}"
        );
    }
}
