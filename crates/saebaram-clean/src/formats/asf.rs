//! WMV, WMA and other ASF files, changed in place.
//!
//! Only the Header Object is read (up to [`MAX_HEADER`]); the Data Object and the indexes
//! after it are copied without being read. Content Description (title, author, copyright,
//! description, rating), Extended Content Description (`WM/...` attributes: encoder, tool,
//! dates, user names, cover art), Content Branding (banner, copyright URL) and, inside the
//! Header Extension, Metadata and Metadata Library objects become zero-filled Padding
//! Objects of the same size, so every offset, packet size and index stays valid. Unknown
//! header objects are padded too. The File Properties Object's creation date and the File ID
//! (which may be a version-1 GUID holding the encoding machine's network address) are
//! zeroed, in the Data Object's header as well.
//!
//! Blocked: DRM (Content Encryption, Extended Content Encryption, Advanced Content
//! Encryption, Digital Signature), sizes that do not add up, more than [`MAX_OBJECTS`]
//! objects.

use super::Ctx;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_array, read_vec};

/// Largest Header Object read into memory.
const MAX_HEADER: u64 = 64 << 20;
/// Most header objects.
const MAX_OBJECTS: u32 = 10_000;

/// A GUID as written in ASF files (first three fields little-endian).
const fn guid(a: u32, b: u16, c: u16, d: [u8; 8]) -> [u8; 16] {
    let a = a.to_le_bytes();
    let b = b.to_le_bytes();
    let c = c.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
        d[7],
    ]
}

const HEADER: [u8; 16] = guid(
    0x75B2_2630,
    0x668E,
    0x11CF,
    [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C],
);
const DATA: [u8; 16] = guid(
    0x75B2_2636,
    0x668E,
    0x11CF,
    [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C],
);
const FILE_PROPERTIES: [u8; 16] = guid(
    0x8CAB_DCA1,
    0xA947,
    0x11CF,
    [0x8E, 0xE4, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
);
const HEADER_EXTENSION: [u8; 16] = guid(
    0x5FBF_03B5,
    0xA92E,
    0x11CF,
    [0x8E, 0xE3, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
);
const PADDING: [u8; 16] = guid(
    0x1806_D474,
    0xCADF,
    0x4509,
    [0xA4, 0xBA, 0x9A, 0xAB, 0xCB, 0x96, 0xAA, 0xE8],
);

/// Objects kept as they are (structure and stream descriptions).
const KEEP: &[[u8; 16]] = &[
    // Stream Properties
    guid(
        0xB7DC_0791,
        0xA9B7,
        0x11CF,
        [0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
    ),
    // Codec List
    guid(
        0x86D1_5240,
        0x311D,
        0x11D0,
        [0xA3, 0xA4, 0x00, 0xA0, 0xC9, 0x03, 0x48, 0xF6],
    ),
    // Script Command
    guid(
        0x1EFB_1A30,
        0x0B62,
        0x11D0,
        [0xA3, 0x9B, 0x00, 0xA0, 0xC9, 0x03, 0x48, 0xF6],
    ),
    // Marker
    guid(
        0xF487_CD01,
        0xA951,
        0x11CF,
        [0x8E, 0xE6, 0x00, 0xC0, 0x0C, 0x20, 0x53, 0x65],
    ),
    // Bitrate Mutual Exclusion
    guid(
        0xD6E2_29DC,
        0x35DA,
        0x11D1,
        [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
    ),
    // Error Correction
    guid(
        0x75B2_2635,
        0x668E,
        0x11CF,
        [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C],
    ),
    // Stream Bitrate Properties
    guid(
        0x7BF8_75CE,
        0x468D,
        0x11D1,
        [0x8D, 0x82, 0x00, 0x60, 0x97, 0xC9, 0xA2, 0xB2],
    ),
    // Extended Stream Properties
    guid(
        0x14E6_A5CB,
        0xC672,
        0x4332,
        [0x83, 0x99, 0xA9, 0x69, 0x52, 0x06, 0x5B, 0x5A],
    ),
    // Advanced Mutual Exclusion
    guid(
        0xA086_49CF,
        0x4775,
        0x4670,
        [0x8A, 0x16, 0x6E, 0x35, 0x35, 0x75, 0x66, 0xCD],
    ),
    // Group Mutual Exclusion
    guid(
        0xD146_5A40,
        0x5A79,
        0x4338,
        [0xB7, 0x1B, 0xE3, 0x6B, 0x8F, 0xD6, 0xC2, 0x49],
    ),
    // Stream Prioritization
    guid(
        0xD4FE_D15B,
        0x88D3,
        0x454F,
        [0x81, 0xF0, 0xED, 0x5C, 0x45, 0x99, 0x9E, 0x24],
    ),
    // Bandwidth Sharing
    guid(
        0xA696_09E6,
        0x517B,
        0x11D2,
        [0xB6, 0xAF, 0x00, 0xC0, 0x4F, 0xD9, 0x08, 0xE9],
    ),
    // Language List
    guid(
        0x7C43_46A9,
        0xEFE0,
        0x4BFC,
        [0xB2, 0x29, 0x39, 0x3E, 0xDE, 0x41, 0x5C, 0x85],
    ),
    // Index Parameters
    guid(
        0xD6E2_29DF,
        0x35DA,
        0x11D1,
        [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
    ),
    // Media Object Index Parameters
    guid(
        0x6B20_3BAD,
        0x3F11,
        0x48E4,
        [0xAC, 0xA8, 0xD7, 0x61, 0x3D, 0xE2, 0xCF, 0xA7],
    ),
    // Timecode Index Parameters
    guid(
        0xF55E_496D,
        0x9797,
        0x4B5D,
        [0x8C, 0x8B, 0x60, 0x4D, 0xFE, 0x9B, 0xFB, 0x24],
    ),
    // Compatibility
    guid(
        0x26F1_8B5D,
        0x4584,
        0x47EC,
        [0x9F, 0x5F, 0x0E, 0x65, 0x1F, 0x04, 0x52, 0xC9],
    ),
];

/// Metadata objects padded, with their names for the report.
const METADATA: &[([u8; 16], &str)] = &[
    (
        guid(
            0x75B2_2633,
            0x668E,
            0x11CF,
            [0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C],
        ),
        "Content Description",
    ),
    (
        guid(
            0xD2D0_A440,
            0xE307,
            0x11D2,
            [0x97, 0xF0, 0x00, 0xA0, 0xC9, 0x5E, 0xA8, 0x50],
        ),
        "Extended Content Description",
    ),
    (
        guid(
            0x2211_B3FA,
            0xBD23,
            0x11D2,
            [0xB4, 0xB7, 0x00, 0xA0, 0xC9, 0x55, 0xFC, 0x6E],
        ),
        "Content Branding",
    ),
    (
        guid(
            0xC5F8_CBEA,
            0x5BAF,
            0x4877,
            [0x84, 0x67, 0xAA, 0x8C, 0x44, 0xFA, 0x4C, 0xCA],
        ),
        "Metadata",
    ),
    (
        guid(
            0x4423_1C94,
            0x9498,
            0x49D1,
            [0xA1, 0x41, 0x1D, 0x13, 0x4E, 0x45, 0x70, 0x54],
        ),
        "Metadata Library",
    ),
];

/// DRM objects: blocked.
const DRM: &[[u8; 16]] = &[
    guid(
        0x2211_B3FB,
        0xBD23,
        0x11D2,
        [0xB4, 0xB7, 0x00, 0xA0, 0xC9, 0x55, 0xFC, 0x6E],
    ),
    guid(
        0x298A_E614,
        0x2622,
        0x4C17,
        [0xB9, 0x35, 0xDA, 0xE0, 0x7E, 0xE9, 0x28, 0x9C],
    ),
    guid(
        0x2211_B3FC,
        0xBD23,
        0x11D2,
        [0xB4, 0xB7, 0x00, 0xA0, 0xC9, 0x55, 0xFC, 0x6E],
    ),
    guid(
        0x4305_8533,
        0x6981,
        0x49E6,
        [0x9B, 0x74, 0xAD, 0x12, 0xCB, 0x86, 0xD5, 0x8C],
    ),
];

/// Objects allowed after the Data Object (indexes).
const INDEXES: &[[u8; 16]] = &[
    guid(
        0x3300_0890,
        0xE5B1,
        0x11CF,
        [0x89, 0xF4, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xCB],
    ),
    guid(
        0xD6E2_29D3,
        0x35DA,
        0x11D1,
        [0x90, 0x34, 0x00, 0xA0, 0xC9, 0x03, 0x49, 0xBE],
    ),
    guid(
        0xFEB1_03F8,
        0x12AD,
        0x4C64,
        [0x84, 0x0F, 0x2A, 0x1D, 0x2F, 0x7A, 0xD4, 0x8C],
    ),
    guid(
        0x3CB7_3FD0,
        0x0C4A,
        0x4803,
        [0x95, 0x3D, 0xED, 0xF7, 0xB6, 0x22, 0x8F, 0x0C],
    ),
];

fn show(g: &[u8]) -> String {
    if g.len() != 16 {
        return "?".into();
    }
    format!(
        "{:08X}-{:04X}-{:04X}-{}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8..]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    )
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .and_then(|x| x.try_into().ok())
        .map(u64::from_le_bytes)
}

/// A padding object of `size` bytes (header included).
fn padding(size: usize) -> Vec<u8> {
    let mut v = PADDING.to_vec();
    v.extend_from_slice(&(size as u64).to_le_bytes());
    v.resize(size, 0);
    v
}

struct Edits {
    patches: Vec<(u64, Vec<u8>)>,
    removed: Vec<String>,
    file_id: Option<[u8; 16]>,
}

/// Walks the objects in `h[from..to]` (h starts at file offset `base`).
fn walk(
    h: &[u8],
    base: u64,
    from: usize,
    to: usize,
    ext: bool,
    e: &mut Edits,
) -> Result<(), Blocked> {
    let mut pos = from;
    let mut n = 0u32;
    while pos < to {
        if to - pos < 24 {
            return Err(block!(
                Damaged,
                "ASF: {} stray bytes in the header",
                to - pos
            ));
        }
        let id: [u8; 16] = h
            .get(pos..pos + 16)
            .and_then(|g| g.try_into().ok())
            .ok_or_else(|| block!(Damaged, "ASF: truncated header"))?;
        let size = le64(h, pos + 16).ok_or_else(|| block!(Damaged, "ASF: truncated header"))?;
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size < 24 || pos.checked_add(size).is_none_or(|end| end > to) {
            return Err(block!(
                Damaged,
                "ASF: header object {} has size {size}, past its parent (damaged)",
                show(&id)
            ));
        }
        n += 1;
        if n > MAX_OBJECTS {
            return Err(block!(
                TooLarge,
                "ASF: more than {MAX_OBJECTS} header objects"
            ));
        }
        let at = base + pos as u64;
        if DRM.contains(&id) {
            return Err(block!(
                Encrypted,
                "ASF: the file is DRM-protected ({})",
                show(&id)
            ));
        } else if let Some((_, name)) = METADATA.iter().find(|(g, _)| *g == id) {
            e.removed.push(format!("{name} object ({size} bytes)"));
            e.patches.push((at, padding(size)));
        } else if id == PADDING {
            if h.get(pos + 24..pos + size)
                .is_some_and(|p| p.iter().any(|&b| b != 0))
            {
                e.patches.push((at, padding(size)));
            }
        } else if id == FILE_PROPERTIES && !ext {
            // File ID at +24 (16 bytes), creation date at +48 (8 bytes).
            if size < 104 {
                return Err(block!(Damaged, "ASF: File Properties object too short"));
            }
            let fid: [u8; 16] = h
                .get(pos + 24..pos + 40)
                .and_then(|g| g.try_into().ok())
                .unwrap_or_default();
            e.file_id = Some(fid);
            let date = le64(h, pos + 48).unwrap_or(0);
            if fid != [0; 16] {
                e.patches.push((at + 24, vec![0; 16]));
                e.removed.push("File ID".into());
            }
            if date != 0 {
                e.patches.push((at + 48, vec![0; 8]));
                e.removed.push("creation date".into());
            }
        } else if id == HEADER_EXTENSION && !ext {
            // Reserved GUID (16), reserved u16, data size u32, then objects.
            let data = usize::try_from(
                h.get(pos + 42..pos + 46)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .ok_or_else(|| block!(Damaged, "ASF: truncated Header Extension"))?,
            )
            .unwrap_or(usize::MAX);
            if 46usize.checked_add(data) != Some(size) {
                return Err(block!(Damaged, "ASF: Header Extension sizes do not add up"));
            }
            walk(h, base, pos + 46, pos + size, true, e)?;
        } else if !KEEP.contains(&id) {
            e.removed.push(format!(
                "unknown header object {} ({size} bytes)",
                show(&id)
            ));
            e.patches.push((at, padding(size)));
        }
        pos += size;
    }
    Ok(())
}

/// Cleans an ASF file (WMV, WMA).
pub(crate) fn clean(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let top: [u8; 30] = read_array(src, 0)?;
    if top.get(..16) != Some(HEADER.as_slice()) {
        return Err(block!(Damaged, "ASF: no Header Object"));
    }
    let hsize = le64(&top, 16).unwrap_or(0);
    if hsize < 30 || hsize > len {
        return Err(block!(
            Damaged,
            "ASF: Header Object of {hsize} bytes, the file has {len} (truncated?)"
        ));
    }
    if hsize > MAX_HEADER {
        return Err(block!(
            TooLarge,
            "ASF: Header Object of {hsize} bytes is over the {} MiB limit",
            MAX_HEADER >> 20
        ));
    }
    let h = read_vec(src, 0, hsize as usize)?;
    let mut e = Edits {
        patches: Vec::new(),
        removed: Vec::new(),
        file_id: None,
    };
    walk(&h, 0, 30, h.len(), false, &mut e)?;
    let file_id = e
        .file_id
        .ok_or_else(|| block!(Damaged, "ASF: no File Properties object"))?;
    // The Data Object, then indexes.
    let mut pos = hsize;
    let mut saw_data = false;
    while pos < len {
        if len - pos < 24 {
            return Err(block!(Damaged, "ASF: {} stray bytes at the end", len - pos));
        }
        let o: [u8; 24] = read_array(src, pos)?;
        let id = &o[..16];
        let size = le64(&o, 16).unwrap_or(0);
        if size < 24 || pos.checked_add(size).is_none_or(|end| end > len) {
            if id == DATA && size == 0 {
                // A live broadcast file with an unknown data size: it runs to the end.
            } else {
                return Err(block!(
                    Damaged,
                    "ASF: object {} at byte {pos} has size {size}, past the end (truncated?)",
                    show(id)
                ));
            }
        }
        let size = if size == 0 { len - pos } else { size };
        if id == DATA {
            saw_data = true;
            if size < 50 {
                return Err(block!(Damaged, "ASF: Data Object too short"));
            }
            let fid: [u8; 16] = read_array(src, pos + 24)?;
            if fid != [0; 16] && fid == file_id {
                e.patches.push((pos + 24, vec![0; 16]));
            }
        } else if !INDEXES.contains(&id.try_into().unwrap_or([0; 16])) || !saw_data {
            return Err(block!(
                CannotClean,
                "ASF: unknown top-level object {} at byte {pos}",
                show(id)
            ));
        }
        pos += size;
    }
    if !saw_data {
        return Err(block!(Damaged, "ASF: no Data Object"));
    }
    removed.append(&mut e.removed);
    Plan::patched(len, e.patches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn obj(id: [u8; 16], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&((body.len() + 24) as u64).to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    pub(crate) fn sample() -> Vec<u8> {
        let mut fp = vec![0u8; 80];
        fp[..16].copy_from_slice(&[7; 16]);
        fp[24..32].copy_from_slice(&1234u64.to_le_bytes());
        let cd = obj(METADATA[0].0, b"\x0A\0PlantedTitle");
        let stream = obj(KEEP[0], &[1; 20]);
        let objects = [obj(FILE_PROPERTIES, &fp), stream, cd].concat();
        let mut header = HEADER.to_vec();
        header.extend_from_slice(&((objects.len() + 30) as u64).to_le_bytes());
        header.extend_from_slice(&3u32.to_le_bytes());
        header.extend_from_slice(&[1, 2]);
        header.extend_from_slice(&objects);
        let mut data_body = vec![7u8; 16];
        data_body.extend_from_slice(&[0; 10]);
        data_body.extend_from_slice(b"PACKETS");
        [header, obj(DATA, &data_body)].concat()
    }

    fn run(d: &[u8]) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let src: &[u8] = d;
        let mut removed = vec![];
        let plan = clean(&src, &cx, &mut removed)?;
        Ok((plan.materialize(&src, 1 << 20)?, removed))
    }

    #[test]
    fn pads_metadata_in_place() {
        let d = sample();
        let (out, removed) = run(&d).unwrap();
        assert_eq!(out.len(), d.len());
        assert!(!out.windows(7).any(|w| w == b"Planted"));
        assert!(out.ends_with(b"PACKETS"));
        assert!(!out.windows(16).any(|w| w == [7; 16]), "File ID left");
        assert_eq!(removed.len(), 3, "{removed:?}");
        let (again, r) = run(&out).unwrap();
        assert_eq!(again, out);
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn bad_asf_blocks() {
        let d = sample();
        for cut in 0..d.len() {
            assert!(run(&d[..cut]).is_err(), "cut {cut}");
        }
        let mut drm = d.clone();
        let at = 30 + 104 + 44;
        drm[at..at + 16].copy_from_slice(&DRM[0]);
        let e = run(&drm).unwrap_err();
        assert!(e.reason.contains("DRM"));
        assert_eq!(e.kind, crate::BlockKind::Encrypted);
    }
}
