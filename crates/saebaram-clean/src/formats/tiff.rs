//! TIFF, BigTIFF and DNG: every IFD is rewritten with an allowlist of tags, the strips and
//! tiles are copied byte-for-byte.
//!
//! The output is a new file in the input's byte order and variant (classic or BigTIFF): the
//! header, then for each image IFD (every page of the main chain, and `SubIFDs` such as a
//! DNG's raw image) its strips or tiles (copied from the input, shared ones stay shared) and
//! the IFD with its values. Only tags that describe how to decode and show the pixels are
//! kept ([`KEEP`]); EXIF, GPS and Interoperability IFDs, XMP, IPTC, Photoshop resources,
//! maker notes, Artist, HostComputer, Software, DateTime, Make, Model, serial numbers,
//! ImageDescription, DocumentName, PageName, Copyright, GeoTIFF keys, DNG private data,
//! original file names and unknown tags are not carried over, and neither is any byte the
//! kept tags do not point at. ICC profiles (34675, DNG 50831/50833) go through
//! [`super::icc`]. DNG's `UniqueCameraModel` (required by the DNG specification) becomes
//! "Camera".
//!
//! Blocked: camera RAW that is not DNG (NEF, CR2, ARW...: their decoders need the maker
//! notes, which hold the serial number, so no lossless clean exists; convert to DNG first),
//! old-style JPEG (compression 6), IFD loops, out-of-range offsets, unknown field types in
//! kept tags, and sizes over the limits below (memory stays bounded: only IFDs and kept
//! values are read, never the image data).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Ctx;
use super::icc;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_vec};

/// Most IFDs in one file (pages, sub-images).
const MAX_IFDS: usize = 65_536;
/// Most entries in one IFD.
const MAX_ENTRIES: usize = 4096;
/// Most strips or tiles in one image.
const MAX_BLOCKS: u64 = 4 << 20;
/// Most bytes of kept tag values read in total (offset tables included).
const MAX_VALUE_BYTES: u64 = 256 << 20;
/// Deepest SubIFD nesting.
const MAX_DEPTH: u32 = 4;

/// Tags kept (copied as they are, or re-pointed for offsets).
const KEEP: &[u16] = &[
    254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 273, 274, 277, 278, 279, 280, 281, 282,
    283, 284, 286, 287, 290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320, 321, 322, 323, 324,
    325, 330, 332, 333, 334, 336, 338, 339, 340, 341, 342, 347, 529, 530, 531, 532, 32997, 32998,
    // TIFF/EP colour filter array layout (DNG raw images).
    33421, 33422, 34675,
    // DNG (1.0 to 1.7) processing tags; names, serials, dates, private data and preview
    // application tags are not listed.
    50706, 50707, 50708, 50710, 50711, 50712, 50713, 50714, 50715, 50716, 50717, 50718, 50719,
    50720, 50721, 50722, 50723, 50724, 50725, 50726, 50727, 50728, 50729, 50730, 50731, 50732,
    50733, 50734, 50737, 50738, 50739, 50778, 50779, 50780, 50829, 50830, 50831, 50832, 50833,
    50834, 50879, 50931, 50932, 50934, 50935, 50937, 50938, 50939, 50940, 50941, 50964, 50965,
    50970, 50972, 50974, 50975, 50981, 50982, 51008, 51009, 51022, 51041, 51089, 51090, 51091,
    51107, 51108, 51109, 51110, 51111, 51112, 51125, 52525, 52526, 52528, 52529, 52530, 52531,
    52532, 52533, 52534, 52535, 52536, 52537, 52538, 52543, 52544, 52547, 52548, 52550, 52551,
    52552, 52553, 52554, 52555,
];

const STRIP_OFFSETS: u16 = 273;
const STRIP_COUNTS: u16 = 279;
const TILE_OFFSETS: u16 = 324;
const TILE_COUNTS: u16 = 325;
const SUB_IFDS: u16 = 330;
const COMPRESSION: u16 = 259;
const PHOTOMETRIC: u16 = 262;
const ICC_TAGS: &[u16] = &[34675, 50831, 50833];
const DNG_VERSION: u16 = 50706;
const UNIQUE_CAMERA_MODEL: u16 = 50708;

/// Extensions of camera RAW formats built on TIFF (blocked).
pub(crate) const RAW_EXTENSIONS: &[&str] = &[
    "nef", "nrw", "cr2", "arw", "srf", "sr2", "pef", "srw", "erf", "kdc", "dcr", "mos", "mef",
    "3fr", "iiq", "rwl", "dcs", "orf", "rw2", "raw", "cr3", "raf", "x3f",
];

/// Why camera RAW is blocked.
pub(crate) fn raw_reason(what: &str) -> Blocked {
    block!(
        CannotClean,
        "camera RAW ({what}) cannot be cleaned losslessly: its decoder needs the maker notes, which also hold the camera serial number; convert it to DNG first and clean the DNG"
    )
}

fn tag_name(tag: u16) -> String {
    let name = match tag {
        269 => "DocumentName",
        270 => "ImageDescription",
        271 => "Make",
        272 => "Model",
        285 => "PageName",
        305 => "Software",
        306 => "DateTime",
        315 => "Artist",
        316 => "HostComputer",
        337 => "TargetPrinter",
        700 => "XMP",
        18246 | 18249 => "Rating",
        33432 => "Copyright",
        33723 => "IPTC",
        34377 => "Photoshop resources",
        34665 => "EXIF IFD",
        34853 => "GPS IFD",
        40965 => "Interoperability IFD",
        42016 => "ImageUniqueID",
        33550 | 33922 | 34264 | 34735 | 34736 | 34737 => "GeoTIFF georeferencing",
        50708 => "UniqueCameraModel",
        50709 => "LocalizedCameraModel",
        50735 => "CameraSerialNumber",
        50740 => "DNGPrivateData (maker notes)",
        50781 => "RawDataUniqueID",
        50827 => "OriginalRawFileName",
        50828 => "OriginalRawFileData",
        50936 => "ProfileName",
        50942 => "ProfileCopyright",
        50966..=50969 | 50971 => "DNG preview application/settings/date",
        _ => return format!("tag {tag}"),
    };
    format!("{name} ({tag})")
}

#[derive(Clone, Copy)]
struct Layout {
    big: bool,
    little: bool,
}

impl Layout {
    fn u16(self, b: &[u8]) -> u16 {
        let a = [
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ];
        if self.little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }
    }
    fn u32(self, b: &[u8]) -> u32 {
        let mut a = [0u8; 4];
        for (d, s) in a.iter_mut().zip(b) {
            *d = *s;
        }
        if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    }
    fn u64(self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        for (d, s) in a.iter_mut().zip(b) {
            *d = *s;
        }
        if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    }
    /// An offset or count field (4 bytes classic, 8 BigTIFF).
    fn word(self, b: &[u8]) -> u64 {
        if self.big {
            self.u64(b)
        } else {
            u64::from(self.u32(b))
        }
    }
    fn word_len(self) -> usize {
        if self.big { 8 } else { 4 }
    }
    fn entry_len(self) -> usize {
        if self.big { 20 } else { 12 }
    }
    fn count_len(self) -> usize {
        if self.big { 8 } else { 2 }
    }
    fn put16(self, out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    fn put32(self, out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    fn put64(self, out: &mut Vec<u8>, v: u64) {
        out.extend_from_slice(&if self.little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    fn put_word(self, out: &mut Vec<u8>, v: u64) -> Result<(), Blocked> {
        if self.big {
            self.put64(out, v);
        } else {
            let v = u32::try_from(v).map_err(|_| {
                block!(
                    TooLarge,
                    "TIFF: the cleaned file would pass 4 GiB (classic TIFF)"
                )
            })?;
            self.put32(out, v);
        }
        Ok(())
    }
}

/// Bytes per value of a TIFF field type.
fn type_size(t: u16) -> Option<u64> {
    Some(match t {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

/// One kept entry of an IFD.
enum Value {
    /// Raw value bytes, in the file's byte order.
    Raw(Vec<u8>),
    /// Strip or tile offsets: index into the image's block list, per value.
    Blocks,
    /// Child IFDs (indices into the IFD list).
    Children(Vec<usize>),
}

struct Entry {
    tag: u16,
    ftype: u16,
    count: u64,
    value: Value,
}

struct Ifd {
    entries: Vec<Entry>,
    /// (offset, length) of every strip or tile, in order.
    blocks: Vec<(u64, u64)>,
    /// Next IFD in its chain (index), if any.
    next: Option<usize>,
}

struct Reader<'a> {
    src: &'a dyn Source,
    lay: Layout,
    ifds: Vec<Option<Ifd>>,
    seen: HashMap<u64, usize>,
    value_bytes: u64,
    removed: BTreeMap<String, usize>,
    dng: bool,
    keep_icc: bool,
    icc_notes: Vec<String>,
}

impl Reader<'_> {
    fn read(&mut self, offset: u64, len: u64, what: &str) -> Result<Vec<u8>, Blocked> {
        self.value_bytes = self.value_bytes.saturating_add(len);
        if self.value_bytes > MAX_VALUE_BYTES {
            return Err(block!(
                TooLarge,
                "TIFF: more than {} MiB of tag values (limit)",
                MAX_VALUE_BYTES >> 20
            ));
        }
        if offset.checked_add(len).is_none_or(|e| e > self.src.len()) {
            return Err(block!(
                Damaged,
                "TIFF: {what} at byte {offset} (+{len}) lies past the end of the file ({} bytes)",
                self.src.len()
            ));
        }
        let n = usize::try_from(len).map_err(|_| block!(TooLarge, "TIFF: {what} too large"))?;
        read_vec(self.src, offset, n)
    }

    /// Reads the IFD chain starting at `offset`; returns the index of its first IFD.
    fn chain(&mut self, offset: u64, depth: u32) -> Result<usize, Blocked> {
        let mut first = None;
        let mut prev: Option<usize> = None;
        let mut at = offset;
        while at != 0 {
            let (idx, next) = self.ifd(at, depth)?;
            if let Some(p) = prev
                && let Some(Some(ifd)) = self.ifds.get_mut(p)
            {
                ifd.next = Some(idx);
            }
            first.get_or_insert(idx);
            prev = Some(idx);
            at = next;
        }
        first.ok_or_else(|| block!(Damaged, "TIFF: no image directory"))
    }
}

impl Reader<'_> {
    /// Reads one IFD (and its SubIFDs); returns its index and the offset of the next IFD.
    #[allow(clippy::too_many_lines)]
    fn ifd(&mut self, offset: u64, depth: u32) -> Result<(usize, u64), Blocked> {
        if self.seen.contains_key(&offset) {
            return Err(block!(
                Damaged,
                "TIFF: the directory at byte {offset} is reached twice (a loop in the IFD chain)"
            ));
        }
        if self.ifds.len() >= MAX_IFDS {
            return Err(block!(
                TooLarge,
                "TIFF: more than {MAX_IFDS} image directories"
            ));
        }
        let idx = self.ifds.len();
        self.seen.insert(offset, idx);
        self.ifds.push(None);
        let lay = self.lay;
        let head = self.read(offset, lay.count_len() as u64, "directory")?;
        let n = if lay.big {
            lay.u64(&head)
        } else {
            u64::from(lay.u16(&head))
        };
        if n == 0 || n > MAX_ENTRIES as u64 {
            return Err(block!(
                TooLarge,
                "TIFF: directory at byte {offset} has {n} entries"
            ));
        }
        let table_len = n * lay.entry_len() as u64 + lay.word_len() as u64;
        let table = self.read(offset + lay.count_len() as u64, table_len, "directory")?;
        let n = n as usize;
        let mut raw = Vec::with_capacity(n);
        for i in 0..n {
            let e = table
                .get(i * lay.entry_len()..(i + 1) * lay.entry_len())
                .unwrap_or_default();
            let tag = lay.u16(e);
            let ftype = lay.u16(e.get(2..).unwrap_or_default());
            let (count, field) = if lay.big {
                (
                    lay.u64(e.get(4..).unwrap_or_default()),
                    e.get(12..20).unwrap_or_default(),
                )
            } else {
                (
                    u64::from(lay.u32(e.get(4..).unwrap_or_default())),
                    e.get(8..12).unwrap_or_default(),
                )
            };
            raw.push((tag, ftype, count, field.to_vec()));
        }
        let next = lay.word(table.get(n * lay.entry_len()..).unwrap_or_default());
        let find = |tag: u16| raw.iter().find(|r| r.0 == tag);
        if find(DNG_VERSION).is_some() {
            self.dng = true;
        }
        // Values of the entries we keep (and a few we must look at).
        let mut values: HashMap<u16, (u16, u64, Vec<u8>)> = HashMap::new();
        for (tag, ftype, count, field) in &raw {
            let wanted = KEEP.contains(tag) || matches!(*tag, 513 | 514);
            if !wanted {
                *self.removed.entry(tag_name(*tag)).or_default() += 1;
                continue;
            }
            let size = type_size(*ftype).ok_or_else(|| {
                block!(
                    CannotClean,
                    "TIFF: tag {tag} has unknown field type {ftype}"
                )
            })?;
            let len = count
                .checked_mul(size)
                .filter(|&l| l <= MAX_VALUE_BYTES)
                .ok_or_else(|| {
                    block!(
                        TooLarge,
                        "TIFF: tag {tag} declares {count} values (too many)"
                    )
                })?;
            let bytes = if len <= lay.word_len() as u64 {
                field.get(..len as usize).unwrap_or_default().to_vec()
            } else {
                let at = lay.word(field);
                self.read(at, len, &format!("the value of tag {tag}"))?
            };
            values.insert(*tag, (*ftype, *count, bytes));
        }
        let compression = values.get(&COMPRESSION).and_then(|v| self.first_int(v));
        if compression == Some(6) || values.contains_key(&513) {
            return Err(block!(
                CannotClean,
                "TIFF: old-style JPEG compression (6) embeds whole JPEG files; not supported"
            ));
        }
        let photometric = values.get(&PHOTOMETRIC).and_then(|v| self.first_int(v));
        if !self.dng && matches!(photometric, Some(32803 | 34892)) {
            return Err(raw_reason(
                "a TIFF with colour-filter-array data and no DNGVersion",
            ));
        }
        // Strips or tiles.
        let (offs_tag, counts_tag) = if values.contains_key(&TILE_OFFSETS) {
            (TILE_OFFSETS, TILE_COUNTS)
        } else {
            (STRIP_OFFSETS, STRIP_COUNTS)
        };
        let mut blocks = Vec::new();
        if let Some(offs) = values.get(&offs_tag) {
            let counts = values.get(&counts_tag).ok_or_else(|| {
                block!(
                    Damaged,
                    "TIFF: directory at byte {offset} has data offsets but no byte counts"
                )
            })?;
            if offs.1 != counts.1 || offs.1 > MAX_BLOCKS {
                return Err(block!(
                    Damaged,
                    "TIFF: {} data offsets and {} byte counts (mismatch or over {MAX_BLOCKS})",
                    offs.1,
                    counts.1
                ));
            }
            let o = self.ints(offs)?;
            let c = self.ints(counts)?;
            for (&at, &len) in o.iter().zip(&c) {
                if len > 0 && at.checked_add(len).is_none_or(|e| e > self.src.len()) {
                    return Err(block!(
                        Damaged,
                        "TIFF: image data at byte {at} (+{len}) lies past the end of the file ({} bytes, truncated?)",
                        self.src.len()
                    ));
                }
                blocks.push((at, len));
            }
        } else if values.contains_key(&counts_tag) {
            return Err(block!(
                CannotClean,
                "TIFF: byte counts without data offsets"
            ));
        }
        // Child IFDs.
        let mut children = Vec::new();
        if let Some(sub) = values.get(&SUB_IFDS) {
            if depth >= MAX_DEPTH {
                return Err(block!(
                    TooLarge,
                    "TIFF: SubIFDs nested deeper than {MAX_DEPTH}"
                ));
            }
            for at in self.ints(sub)? {
                let child = self.chain(at, depth + 1)?;
                children.push(child);
            }
        }
        let mut entries = Vec::new();
        let mut keys: Vec<u16> = values.keys().copied().collect();
        keys.sort_unstable();
        for tag in keys {
            let Some((ftype, count, bytes)) = values.remove(&tag) else {
                continue;
            };
            let value = match tag {
                STRIP_OFFSETS | TILE_OFFSETS if tag == offs_tag => Value::Blocks,
                STRIP_OFFSETS | TILE_OFFSETS => {
                    *self.removed.entry(tag_name(tag)).or_default() += 1;
                    continue;
                }
                SUB_IFDS => Value::Children(children.clone()),
                UNIQUE_CAMERA_MODEL => {
                    let name = b"Camera\0".to_vec();
                    if bytes != name {
                        *self
                            .removed
                            .entry("UniqueCameraModel (50708), now \"Camera\"".into())
                            .or_default() += 1;
                    }
                    entries.push(Entry {
                        tag,
                        ftype: 2,
                        count: name.len() as u64,
                        value: Value::Raw(name),
                    });
                    continue;
                }
                t if ICC_TAGS.contains(&t) => {
                    if !self.keep_icc {
                        *self
                            .removed
                            .entry(format!("ICC profile ({t})"))
                            .or_default() += 1;
                        continue;
                    }
                    match icc::clean_profile(&bytes, &format!("TIFF tag {t}"), &mut self.icc_notes)?
                    {
                        icc::Cleaned::Keep => Value::Raw(bytes),
                        icc::Cleaned::Scrubbed(p) => {
                            entries.push(Entry {
                                tag,
                                ftype: 7,
                                count: p.len() as u64,
                                value: Value::Raw(p),
                            });
                            continue;
                        }
                    }
                }
                _ => Value::Raw(bytes),
            };
            entries.push(Entry {
                tag,
                ftype,
                count,
                value,
            });
        }
        if let Some(slot) = self.ifds.get_mut(idx) {
            *slot = Some(Ifd {
                entries,
                blocks,
                next: None,
            });
        }
        Ok((idx, next))
    }

    fn ints(&self, v: &(u16, u64, Vec<u8>)) -> Result<Vec<u64>, Blocked> {
        let lay = self.lay;
        let (ftype, _, bytes) = v;
        Ok(match ftype {
            3 => bytes
                .chunks_exact(2)
                .map(|c| u64::from(lay.u16(c)))
                .collect(),
            4 | 13 => bytes
                .chunks_exact(4)
                .map(|c| u64::from(lay.u32(c)))
                .collect(),
            16 | 18 => bytes.chunks_exact(8).map(|c| lay.u64(c)).collect(),
            t => {
                return Err(block!(
                    CannotClean,
                    "TIFF: offsets or counts of field type {t}"
                ));
            }
        })
    }

    fn first_int(&self, v: &(u16, u64, Vec<u8>)) -> Option<u64> {
        self.ints(v).ok()?.first().copied()
    }
}

/// Cleans a TIFF, BigTIFF or DNG.
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let head = read_vec(src, 0, usize::try_from(src.len().min(16)).unwrap_or(0))?;
    let little = match head.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Err(block!(Damaged, "TIFF: bad byte-order mark")),
    };
    let probe = Layout { big: false, little };
    let version = probe.u16(head.get(2..).unwrap_or_default());
    let lay = match version {
        42 => Layout { big: false, little },
        43 => {
            if probe.u16(head.get(4..).unwrap_or_default()) != 8
                || probe.u16(head.get(6..).unwrap_or_default()) != 0
            {
                return Err(block!(
                    CannotClean,
                    "TIFF: BigTIFF header with an unknown offset size"
                ));
            }
            Layout { big: true, little }
        }
        v => return Err(block!(CannotClean, "TIFF: unknown version {v}")),
    };
    if head.get(8..10) == Some(b"CR") {
        return Err(raw_reason("Canon CR2"));
    }
    let first = lay.word(head.get(if lay.big { 8 } else { 4 }..).unwrap_or_default());
    let mut r = Reader {
        src,
        lay,
        ifds: Vec::new(),
        seen: HashMap::new(),
        value_bytes: 0,
        removed: BTreeMap::new(),
        dng: false,
        keep_icc: cx.cfg.keep_icc,
        icc_notes: Vec::new(),
    };
    let root = r.chain(first, 0)?;
    let ifds: Vec<Ifd> = r.ifds.into_iter().flatten().collect();
    if ifds.len() != r.seen.len() {
        return Err(block!(
            CannotClean,
            "TIFF: internal: directory list incomplete"
        ));
    }
    let plan = write(lay, &ifds, root)?;
    for (what, n) in r.removed {
        removed.push(if n == 1 { what } else { format!("{what} x{n}") });
    }
    removed.append(&mut r.icc_notes);
    if plan.is_unchanged(src.len()) {
        removed.clear();
    }
    Ok(plan)
}

/// Lays out and serialises the cleaned file.
fn write(lay: Layout, ifds: &[Ifd], root: usize) -> Result<Plan, Blocked> {
    let header_len: u64 = if lay.big { 16 } else { 8 };
    // Pass 1: positions. Each IFD: its (deduplicated) blocks, then the directory and values.
    let mut block_at: Vec<HashMap<(u64, u64), u64>> = Vec::with_capacity(ifds.len());
    let mut block_order: Vec<Vec<(u64, u64)>> = Vec::with_capacity(ifds.len());
    let mut ifd_at = vec![0u64; ifds.len()];
    let mut placed_blocks: HashMap<(u64, u64), u64> = HashMap::new();
    let mut pos = header_len;
    for (i, ifd) in ifds.iter().enumerate() {
        let mut order: Vec<(u64, u64)> = Vec::new();
        let mut map = HashMap::new();
        let mut unique: Vec<(u64, u64)> = ifd
            .blocks
            .iter()
            .copied()
            .filter(|b| b.1 > 0)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        unique.sort_unstable();
        for b in unique {
            if let Some(&at) = placed_blocks.get(&b) {
                map.insert(b, at);
                continue;
            }
            map.insert(b, pos);
            placed_blocks.insert(b, pos);
            order.push(b);
            pos += b.1;
        }
        pos += pos % 2;
        ifd_at[i] = pos;
        pos += ifd_len(lay, ifd)?;
        block_at.push(map);
        block_order.push(order);
    }
    // Pass 2: bytes.
    let mut plan = Plan::new();
    let mut out = Vec::new();
    out.extend_from_slice(if lay.little { b"II" } else { b"MM" });
    if lay.big {
        lay.put16(&mut out, 43);
        lay.put16(&mut out, 8);
        lay.put16(&mut out, 0);
    } else {
        lay.put16(&mut out, 42);
    }
    lay.put_word(&mut out, ifd_at.get(root).copied().unwrap_or(0))?;
    plan.bytes(out);
    let mut written = header_len;
    for (i, ifd) in ifds.iter().enumerate() {
        for &(at, len) in block_order.get(i).map(Vec::as_slice).unwrap_or_default() {
            plan.copy(at, len);
            written += len;
        }
        if written % 2 == 1 {
            plan.bytes(vec![0]);
            written += 1;
        }
        let here = ifd_at.get(i).copied().unwrap_or(0);
        if written != here {
            return Err(block!(CannotClean, "TIFF: internal: layout mismatch"));
        }
        let map = block_at.get(i).cloned().unwrap_or_default();
        let bytes = ifd_bytes(lay, ifd, here, &map, &ifd_at)?;
        written += bytes.len() as u64;
        plan.bytes(bytes);
    }
    Ok(plan)
}

/// The stored form of an entry's value: (type, count, bytes).
fn stored(
    lay: Layout,
    e: &Entry,
    ifd: &Ifd,
    map: &HashMap<(u64, u64), u64>,
    ifd_at: &[u64],
) -> Result<(u16, u64, Vec<u8>), Blocked> {
    let offset_type = if lay.big { 16 } else { 4 };
    Ok(match &e.value {
        Value::Raw(b) => (e.ftype, e.count, b.clone()),
        Value::Blocks => {
            let mut b = Vec::new();
            for blk in &ifd.blocks {
                let at = if blk.1 == 0 {
                    0
                } else {
                    map.get(blk).copied().unwrap_or(0)
                };
                lay.put_word(&mut b, at)?;
            }
            (offset_type, ifd.blocks.len() as u64, b)
        }
        Value::Children(c) => {
            let mut b = Vec::new();
            for &child in c {
                lay.put_word(&mut b, ifd_at.get(child).copied().unwrap_or(0))?;
            }
            (if lay.big { 18 } else { 13 }, c.len() as u64, b)
        }
    })
}

fn value_len(lay: Layout, e: &Entry, ifd: &Ifd) -> Result<u64, Blocked> {
    Ok(match &e.value {
        Value::Raw(b) => b.len() as u64,
        Value::Blocks => ifd.blocks.len() as u64 * lay.word_len() as u64,
        Value::Children(c) => c.len() as u64 * lay.word_len() as u64,
    })
}

fn ifd_len(lay: Layout, ifd: &Ifd) -> Result<u64, Blocked> {
    let mut n = lay.count_len() as u64
        + ifd.entries.len() as u64 * lay.entry_len() as u64
        + lay.word_len() as u64;
    for e in &ifd.entries {
        let l = value_len(lay, e, ifd)?;
        if l > lay.word_len() as u64 {
            n += l + l % 2;
        }
    }
    Ok(n)
}

fn ifd_bytes(
    lay: Layout,
    ifd: &Ifd,
    here: u64,
    map: &HashMap<(u64, u64), u64>,
    ifd_at: &[u64],
) -> Result<Vec<u8>, Blocked> {
    let mut table = Vec::new();
    if lay.big {
        lay.put64(&mut table, ifd.entries.len() as u64);
    } else {
        lay.put16(&mut table, ifd.entries.len() as u16);
    }
    let table_len = lay.count_len() as u64
        + ifd.entries.len() as u64 * lay.entry_len() as u64
        + lay.word_len() as u64;
    let mut values: Vec<u8> = Vec::new();
    for e in &ifd.entries {
        let (ftype, count, bytes) = stored(lay, e, ifd, map, ifd_at)?;
        lay.put16(&mut table, e.tag);
        lay.put16(&mut table, ftype);
        if lay.big {
            lay.put64(&mut table, count);
        } else {
            lay.put32(
                &mut table,
                u32::try_from(count).map_err(|_| block!(Damaged, "TIFF: count overflow"))?,
            );
        }
        if bytes.len() <= lay.word_len() {
            let mut field = bytes.clone();
            field.resize(lay.word_len(), 0);
            table.extend_from_slice(&field);
        } else {
            lay.put_word(&mut table, here + table_len + values.len() as u64)?;
            values.extend_from_slice(&bytes);
            if values.len() % 2 == 1 {
                values.push(0);
            }
        }
    }
    let next = ifd.next.and_then(|n| ifd_at.get(n).copied()).unwrap_or(0);
    lay.put_word(&mut table, next)?;
    table.extend_from_slice(&values);
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::formats::Ctx;

    /// A little-endian TIFF: one 4x2 grey strip, Artist, and `next` as the next-IFD pointer.
    pub(crate) fn sample(next: u32) -> Vec<u8> {
        let strip = b"PIXELS!!";
        let artist = b"PlantedArtist\0";
        let mut d = b"II*\0".to_vec();
        d.extend_from_slice(&8u32.to_le_bytes());
        let entries: Vec<(u16, u16, u32, u32)> = vec![
            (256, 3, 1, 4),
            (257, 3, 1, 2),
            (258, 3, 1, 8),
            (259, 3, 1, 1),
            (262, 3, 1, 1),
            (273, 4, 1, 0), // patched below
            (279, 4, 1, strip.len() as u32),
            (315, 2, artist.len() as u32, 0), // patched below
        ];
        let ifd_len = 2 + 12 * entries.len() + 4;
        let strip_at = 8 + ifd_len;
        let artist_at = strip_at + strip.len();
        d.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, t, n, v) in entries {
            d.extend_from_slice(&tag.to_le_bytes());
            d.extend_from_slice(&t.to_le_bytes());
            d.extend_from_slice(&n.to_le_bytes());
            let v = match tag {
                273 => strip_at as u32,
                315 => artist_at as u32,
                _ => v,
            };
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&next.to_le_bytes());
        d.extend_from_slice(strip);
        d.extend_from_slice(artist);
        d
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
    fn drops_artist_keeps_strip() {
        let (out, removed) = run(&sample(0)).unwrap();
        assert!(!out.windows(7).any(|w| w == b"Planted"));
        assert!(out.windows(8).any(|w| w == b"PIXELS!!"));
        assert_eq!(removed, vec!["Artist (315)".to_string()]);
        let (again, removed) = run(&out).unwrap();
        assert_eq!(again, out, "idempotent");
        assert!(removed.is_empty());
    }

    #[test]
    fn loops_truncation_and_huge_counts_block() {
        // The IFD pointing back at itself.
        let e = run(&sample(8)).unwrap_err();
        assert!(e.reason.contains("loop"), "{e}");
        let s = sample(0);
        for cut in 0..s.len() {
            // Cutting only the (dropped) Artist value may still clean; never a panic.
            let _ = run(&s[..cut]);
        }
        for cut in 0..s.len() - 14 {
            assert!(run(&s[..cut]).is_err(), "cut {cut}");
        }
        let mut huge = s.clone();
        // StripOffsets count = 2^31.
        let at = 8 + 2 + 12 * 5 + 4;
        huge[at..at + 4].copy_from_slice(&0x8000_0000u32.to_le_bytes());
        assert!(run(&huge).is_err());
        let mut far = s.clone();
        far[8 + 2 + 12 * 5 + 8..8 + 2 + 12 * 5 + 12].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
        assert!(run(&far).unwrap_err().reason.contains("past the end"));
        let mut cfa = s.clone();
        cfa[8 + 2 + 12 * 4 + 8..8 + 2 + 12 * 4 + 10].copy_from_slice(&32803u16.to_le_bytes());
        assert!(run(&cfa).unwrap_err().reason.contains("camera RAW"));
    }
}
