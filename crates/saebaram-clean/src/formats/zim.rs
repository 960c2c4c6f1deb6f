//! ZIM archives (Kiwix offline Wikipedia and other sites; openZIM format, major versions 5
//! and 6). Streamed: only the header, the MIME list, the pointer lists, the metadata
//! entries (namespace `M`) and the clusters holding their values are read; every other
//! cluster (the pages, pictures and search indexes, several GB) is copied and never read
//! by the cleaner.
//!
//! What a ZIM's metadata says and what is done with it:
//!
//! * **Kept** ([`KEPT`]): what Kiwix shows in its library and what a public dump's page
//!   says anyway: `Name`, `Title`, `Description`, `LongDescription`, `Language`, `Creator`
//!   (the site: "Wikipedia"), `Publisher` ("openZIM", "Kiwix"), `Date` (the dump's day),
//!   `Tags`, `Flavour`, `License`, `Relation`, `Counter`, and the `Illustration_*` icons
//!   (a PNG, itself cleaned like any PNG: its text chunks and times go). For a ZIM someone
//!   built themselves, Creator and Publisher may be a person or a group: `--forbid` is
//!   checked against every kept value (decompressed), and a hit blocks the file.
//! * **Emptied**: `Source` (the site or URL the builder scraped, possibly a private host
//!   or a workstation), `Scraper` (the tool, its version and options, where a custom
//!   build puts its builder's name), and every other `M/` entry (unknown: fail closed).
//!   The entry stays with an empty value: removing it would renumber every entry, which
//!   the title index and the redirects refer to by number.
//!
//! Emptying a value rewrites the cluster holding it: decompressed (zstd or xz), the
//! emptied blobs cut out, the rest of its blobs byte for byte, written back uncompressed
//! (valid in every ZIM reader; the file grows by the cluster's compression). Everything
//! after it moves, so the header's positions, the URL pointer list (directory entry
//! positions) and the cluster pointer list are rewritten, and the MD5 checksum at the end
//! is recomputed (in the same pass over the file that checks the old one). A ZIM whose metadata needs nothing is copied byte for byte.
//!
//! Validated before anything is planned: magic and version, every header position inside
//! the file, the MIME list, every URL pointer and cluster pointer (clusters in order),
//! the metadata entries, the clusters holding them, and the stored MD5 (read once, in a
//! bounded buffer). Blocked with the reason: a bad or missing checksum, truncation, a
//! cluster compressed with zlib or bzip2 (deprecated, no reader here), a metadata cluster
//! over [`CLUSTER_CAP`] decompressed, pointer lists over the memory budget, and a part of a
//! split ZIM found without the parts before it. A whole split set (`NAME.zimaa`,
//! `NAME.zimab`... with none missing) reaches this cleaner as one source named `NAME.zim`
//! (the tree reads the parts as one stream and writes the result back in parts of the same
//! size).

use md5::{Digest, Md5};

use super::Ctx;
use crate::error::{Blocked, block};
use crate::plan::{Piece, Plan};
use crate::source::{Source, read_array, read_into, read_vec};

/// `ZIM\x04` read as a little-endian u32 (72173914).
pub(crate) const MAGIC: &[u8] = &[0x5A, 0x49, 0x4D, 0x04];

const HEADER_LEN: u64 = 80;

/// Metadata entries kept as they are (checked against `--forbid`); `Illustration_*` is
/// kept too, cleaned as a PNG. Every other `M/` entry is emptied.
pub(crate) const KEPT: &[&str] = &[
    "Name",
    "Title",
    "Description",
    "LongDescription",
    "Language",
    "Creator",
    "Publisher",
    "Date",
    "Tags",
    "Flavour",
    "License",
    "Relation",
    "Counter",
];

/// Largest decompressed cluster read into memory to rewrite a metadata value (libzim
/// writes clusters of about 2 MiB).
pub(crate) const CLUSTER_CAP: u64 = 64 << 20;

/// Largest metadata value or MIME list read.
const VALUE_CAP: usize = 16 << 20;

/// Most metadata entries looked at.
const MAX_METADATA: usize = 4096;

struct Header {
    entry_count: u32,
    cluster_count: u32,
    url_ptr_pos: u64,
    title_ptr_pos: u64,
    cluster_ptr_pos: u64,
    mime_list_pos: u64,
    checksum_pos: u64,
}

fn u16_at(d: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([d[at], d[at + 1]])
}

fn u32_at(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

fn u64_at(d: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[at..at + 8]);
    u64::from_le_bytes(b)
}

fn header(src: &dyn Source) -> Result<Header, Blocked> {
    let len = src.len();
    let h: [u8; 80] = read_array(src, 0)?;
    if &h[..4] != MAGIC {
        return Err(block!(Damaged, "ZIM: bad magic number"));
    }
    let major = u16_at(&h, 4);
    if !matches!(major, 5 | 6) {
        return Err(block!(
            CannotClean,
            "ZIM: major version {major} (only 5 and 6 are known)"
        ));
    }
    let hd = Header {
        entry_count: u32_at(&h, 24),
        cluster_count: u32_at(&h, 28),
        url_ptr_pos: u64_at(&h, 32),
        title_ptr_pos: u64_at(&h, 40),
        cluster_ptr_pos: u64_at(&h, 48),
        mime_list_pos: u64_at(&h, 56),
        checksum_pos: u64_at(&h, 72),
    };
    if hd.checksum_pos < HEADER_LEN || hd.checksum_pos.checked_add(16) != Some(len) {
        return Err(block!(
            Damaged,
            "ZIM: the checksum is not the last 16 bytes (checksum at byte {}, file of {len} bytes): truncated, or bytes after the archive",
            hd.checksum_pos
        ));
    }
    let end = hd.checksum_pos;
    let within = |what: &str, pos: u64, bytes: u64| -> Result<(), Blocked> {
        if pos < HEADER_LEN || pos.checked_add(bytes).is_none_or(|e| e > end) {
            Err(block!(
                CannotClean,
                "ZIM: the {what} ({bytes} bytes at byte {pos}) is outside the archive"
            ))
        } else {
            Ok(())
        }
    };
    within("MIME list", hd.mime_list_pos, 1)?;
    within(
        "URL pointer list",
        hd.url_ptr_pos,
        u64::from(hd.entry_count) * 8,
    )?;
    within(
        "cluster pointer list",
        hd.cluster_ptr_pos,
        u64::from(hd.cluster_count) * 8,
    )?;
    // Newer archives have no title pointer list (all ones); the title index is an entry.
    if hd.title_ptr_pos != u64::MAX {
        within(
            "title pointer list",
            hd.title_ptr_pos,
            u64::from(hd.entry_count) * 4,
        )?;
    }
    Ok(hd)
}

/// Reads the MIME list (zero-terminated names, then an empty one); returns its length.
fn mime_list(src: &dyn Source, hd: &Header) -> Result<u64, Blocked> {
    let avail = (hd.checksum_pos - hd.mime_list_pos).min(VALUE_CAP as u64);
    let d = read_vec(src, hd.mime_list_pos, avail as usize)?;
    let mut pos = 0;
    let mut count = 0u32;
    loop {
        let n = d[pos..]
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| block!(Damaged, "ZIM: the MIME list has no end"))?;
        if n == 0 {
            return Ok(pos as u64 + 1);
        }
        if std::str::from_utf8(&d[pos..pos + n]).is_err() {
            return Err(block!(Damaged, "ZIM: MIME type {count} is not UTF-8"));
        }
        pos += n + 1;
        count += 1;
        if count > 65_000 {
            return Err(block!(TooLarge, "ZIM: more than 65,000 MIME types"));
        }
    }
}

/// Reads a list of `count` little-endian u64 values at `pos`, in bounded pieces, calling
/// `each` with (index, value).
fn for_each_u64(
    src: &dyn Source,
    pos: u64,
    count: u32,
    mut each: impl FnMut(u32, u64) -> Result<(), Blocked>,
) -> Result<(), Blocked> {
    const CHUNK: u32 = 1 << 16;
    let mut buf = vec![0u8; CHUNK as usize * 8];
    let mut i = 0u32;
    while i < count {
        let n = (count - i).min(CHUNK);
        let b = &mut buf[..n as usize * 8];
        read_into(src, pos + u64::from(i) * 8, b)?;
        for k in 0..n {
            each(i + k, u64_at(b, k as usize * 8))?;
        }
        i += n;
    }
    Ok(())
}

/// A directory entry of namespace `M`.
struct MetaEntry {
    name: String,
    cluster: u32,
    blob: u32,
}

/// A read window over the source: directory entries sit together, in URL order, so
/// parsing them one by one through a 1 MiB window reads the directory sequentially.
struct Window<'s> {
    src: &'s dyn Source,
    end: u64,
    start: u64,
    buf: Vec<u8>,
}

impl<'s> Window<'s> {
    fn new(src: &'s dyn Source, end: u64) -> Window<'s> {
        Window {
            src,
            end,
            start: 0,
            buf: Vec::new(),
        }
    }

    /// Up to `want` bytes at `pos` (fewer only at the end of the archive).
    fn get(&mut self, pos: u64, want: usize) -> Result<&[u8], Blocked> {
        let have_end = self.start + self.buf.len() as u64;
        let need_end = (pos + want as u64).min(self.end);
        if pos < self.start || need_end > have_end {
            let n = (self.end - pos).min(1 << 20).max(need_end - pos) as usize;
            self.buf.resize(n, 0);
            read_into(self.src, pos, &mut self.buf)?;
            self.start = pos;
        }
        let from = (pos - self.start) as usize;
        let to = (need_end - self.start) as usize;
        Ok(&self.buf[from..to])
    }
}

/// Longest URL plus title of an entry read (libzim allows much less).
const DIRENT_MAX: usize = 16 + 2 * 4096 + 256;

/// One directory entry: its namespace and, for an `M` content entry, the entry. Checks
/// that a content entry's cluster and a redirect's target exist. Redirects in `M` are left
/// alone (they point at other entries).
fn read_dirent(w: &mut Window, pos: u64, hd: &Header) -> Result<(u8, Option<MetaEntry>), Blocked> {
    let d = w.get(pos, DIRENT_MAX)?;
    if d.len() < 12 {
        return Err(block!(
            Damaged,
            "ZIM: directory entry at byte {pos} is truncated"
        ));
    }
    let mime = u16_at(d, 0);
    let namespace = d[3];
    let fixed = match mime {
        0xFFFF => {
            let target = u32_at(d, 8);
            if target >= hd.entry_count {
                return Err(block!(
                    CannotClean,
                    "ZIM: redirect at byte {pos} points at entry {target}, past the last"
                ));
            }
            12
        }
        0xFFFE | 0xFFFD => 8,
        _ => {
            if d.len() < 16 {
                return Err(block!(
                    Damaged,
                    "ZIM: directory entry at byte {pos} is truncated"
                ));
            }
            if u32_at(d, 8) >= hd.cluster_count {
                return Err(block!(
                    CannotClean,
                    "ZIM: entry at byte {pos} points at cluster {}, past the last",
                    u32_at(d, 8)
                ));
            }
            16
        }
    };
    if namespace != b'M' || mime == 0xFFFF {
        return Ok((namespace, None));
    }
    if fixed == 8 {
        return Err(block!(
            CannotClean,
            "ZIM: metadata entry at byte {pos} is a link target or deleted entry (not written by current tools)"
        ));
    }
    let rest = &d[fixed..];
    let n = rest.iter().position(|&b| b == 0).ok_or_else(|| {
        block!(
            Damaged,
            "ZIM: metadata entry at byte {pos} has no end to its name"
        )
    })?;
    let name = std::str::from_utf8(&rest[..n])
        .map_err(|_| {
            block!(
                Damaged,
                "ZIM: metadata entry name at byte {pos} is not UTF-8"
            )
        })?
        .to_owned();
    Ok((
        namespace,
        Some(MetaEntry {
            name,
            cluster: u32_at(d, 8),
            blob: u32_at(d, 12),
        }),
    ))
}

/// A cluster read into memory: its blobs.
struct Cluster {
    /// Compression of the stored cluster (1 none, 4 xz, 5 zstd).
    compression: u8,
    /// 64-bit blob offsets.
    extended: bool,
    blobs: Vec<Vec<u8>>,
}

fn decompress(compression: u8, data: &[u8], at: u64) -> Result<Vec<u8>, Blocked> {
    use std::io::Read;
    let cap = CLUSTER_CAP;
    match compression {
        0 | 1 => Ok(data.to_vec()),
        5 => {
            let mut input = data;
            let dec = ruzstd::decoding::StreamingDecoder::new(&mut input)
                .map_err(|e| block!(CannotClean, "ZIM: cluster at byte {at}: zstd: {e}"))?;
            let mut out = Vec::new();
            dec.take(cap + 1)
                .read_to_end(&mut out)
                .map_err(|e| block!(CannotClean, "ZIM: cluster at byte {at}: zstd: {e}"))?;
            if out.len() as u64 > cap {
                return Err(block!(
                    TooLarge,
                    "ZIM: cluster at byte {at} is over {} MiB decompressed",
                    cap >> 20
                ));
            }
            Ok(out)
        }
        4 => {
            struct Capped(Vec<u8>, u64);
            impl std::io::Write for Capped {
                fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                    if self.0.len() as u64 + b.len() as u64 > self.1 {
                        return Err(std::io::Error::other("over the limit"));
                    }
                    self.0.extend_from_slice(b);
                    Ok(b.len())
                }
                fn flush(&mut self) -> std::io::Result<()> {
                    Ok(())
                }
            }
            let mut out = Capped(Vec::new(), cap);
            lzma_rs::xz_decompress(&mut std::io::BufReader::new(data), &mut out).map_err(|e| {
                block!(
                    Damaged,
                    "ZIM: cluster at byte {at}: xz: {e} (over {} MiB, or damaged)",
                    cap >> 20
                )
            })?;
            Ok(out.0)
        }
        c => Err(block!(
            Damaged,
            "ZIM: cluster at byte {at} uses compression {c} ({}), which has no reader here",
            match c {
                2 => "zlib, deprecated",
                3 => "bzip2, deprecated",
                _ => "unknown",
            }
        )),
    }
}

fn read_cluster(src: &dyn Source, cx: &Ctx, start: u64, end: u64) -> Result<Cluster, Blocked> {
    let stored = end - start;
    if stored < 1 {
        return Err(block!(Damaged, "ZIM: empty cluster at byte {start}"));
    }
    if stored > CLUSTER_CAP {
        return Err(block!(
            TooLarge,
            "ZIM: metadata cluster at byte {start} of {stored} bytes is over {} MiB",
            CLUSTER_CAP >> 20
        ));
    }
    cx.reserve(stored, "ZIM metadata cluster")?;
    let raw = read_vec(src, start, stored as usize)?;
    let info = raw[0];
    if info & 0xE0 != 0 {
        return Err(block!(
            CannotClean,
            "ZIM: cluster at byte {start} has unknown flags {info:#04x}"
        ));
    }
    let compression = info & 0x0F;
    let extended = info & 0x10 != 0;
    let data = decompress(compression, &raw[1..], start)?;
    // The blobs are copied out, and written back once more.
    cx.reserve(
        (data.len() as u64).saturating_mul(2),
        "ZIM metadata cluster",
    )?;
    let width = if extended { 8 } else { 4 };
    let offset = |i: usize| -> Result<u64, Blocked> {
        let at = i * width;
        if at + width > data.len() {
            return Err(block!(
                Damaged,
                "ZIM: cluster at byte {start}: blob offsets truncated"
            ));
        }
        Ok(if extended {
            u64_at(&data, at)
        } else {
            u64::from(u32_at(&data, at))
        })
    };
    let first = offset(0)?;
    if first < width as u64 || first % width as u64 != 0 || first > data.len() as u64 {
        return Err(block!(
            Damaged,
            "ZIM: cluster at byte {start}: bad first blob offset {first}"
        ));
    }
    let n = (first / width as u64) as usize - 1;
    let mut blobs = Vec::with_capacity(n);
    let mut prev = first;
    for i in 1..=n {
        let o = offset(i)?;
        if o < prev || o > data.len() as u64 {
            return Err(block!(
                CannotClean,
                "ZIM: cluster at byte {start}: blob {} runs from {prev} to {o}, outside its {} bytes",
                i - 1,
                data.len()
            ));
        }
        blobs.push(data[prev as usize..o as usize].to_vec());
        prev = o;
    }
    Ok(Cluster {
        compression,
        extended,
        blobs,
    })
}

/// An uncompressed cluster holding `blobs`.
fn write_cluster(blobs: &[Vec<u8>], extended: bool) -> Vec<u8> {
    let width = if extended { 8 } else { 4 };
    let total: u64 =
        blobs.iter().map(|b| b.len() as u64).sum::<u64>() + (blobs.len() as u64 + 1) * width;
    let extended = extended || total > u64::from(u32::MAX);
    let width = if extended { 8u64 } else { 4 };
    let mut out = vec![if extended { 0x11 } else { 0x01 }];
    let mut off = (blobs.len() as u64 + 1) * width;
    let put = |out: &mut Vec<u8>, v: u64| {
        if extended {
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            out.extend_from_slice(&(v as u32).to_le_bytes());
        }
    };
    put(&mut out, off);
    for b in blobs {
        off += b.len() as u64;
        put(&mut out, off);
    }
    for b in blobs {
        out.extend_from_slice(b);
    }
    out
}

/// What to do with one metadata entry's value.
enum Decision {
    Keep,
    Replace(Vec<u8>),
}

fn decide(
    cx: &Ctx,
    name: &str,
    value: &[u8],
    removed: &mut Vec<String>,
) -> Result<Decision, Blocked> {
    if name.starts_with("Illustration_") {
        let mut inner = Vec::new();
        let (format, cleaned) = cx.clean_member(&format!("M/{name}.png"), value, &mut inner);
        if format != "png" {
            return Err(block!(Damaged, "ZIM: M/{name} is not a PNG ({format})"));
        }
        let cleaned = cleaned.map_err(|b| block!(inherit b, "ZIM: M/{name}: {}", b.reason))?;
        cx.check_forbidden(&cleaned, &format!("the ZIM metadata M/{name}"))?;
        if cleaned == value {
            return Ok(Decision::Keep);
        }
        removed.push(format!("M/{name}: {}", inner.join("; ")));
        return Ok(Decision::Replace(cleaned));
    }
    if KEPT.contains(&name) {
        cx.check_forbidden(value, &format!("the ZIM metadata M/{name}"))?;
        return Ok(Decision::Keep);
    }
    if value.is_empty() {
        return Ok(Decision::Keep);
    }
    removed.push(format!("M/{name} emptied ({} bytes)", value.len()));
    Ok(Decision::Replace(Vec::new()))
}

/// Plans a ZIM (see the module doc).
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let ext = crate::detect::extension(cx.name);
    if ext.len() == 5 && ext.starts_with("zim") {
        return Err(block!(
            CannotClean,
            "ZIM: `.{ext}` is one part of a split ZIM whose earlier parts are not all beside it: a set is NAME.zimaa, NAME.zimab, ... in one folder with no part missing, and is then cleaned as one"
        ));
    }
    let hd = header(src)?;
    let end = hd.checksum_pos;
    mime_list(src, &hd)?;

    // Cluster pointers: inside the archive, in order.
    let mut clusters: Vec<u64> = Vec::new();
    cx.reserve(u64::from(hd.cluster_count) * 8, "ZIM cluster pointers")?;
    for_each_u64(src, hd.cluster_ptr_pos, hd.cluster_count, |i, p| {
        if p < HEADER_LEN || p >= end || clusters.last().is_some_and(|&q| p <= q) {
            return Err(block!(
                Damaged,
                "ZIM: cluster {i} at byte {p} is outside the archive or out of order"
            ));
        }
        clusters.push(p);
        Ok(())
    })?;

    // URL pointers: inside the archive; every entry read in URL order (sorted by
    // namespace, so no metadata entry can hide outside the `M` run); the `M` ones kept.
    let mut metadata = Vec::new();
    let mut lowest_dirent = end;
    let mut window = Window::new(src, end);
    let mut last_namespace = 0u8;
    for_each_u64(src, hd.url_ptr_pos, hd.entry_count, |i, p| {
        if p < HEADER_LEN || p >= end {
            return Err(block!(
                CannotClean,
                "ZIM: entry {i} at byte {p} is outside the archive"
            ));
        }
        lowest_dirent = lowest_dirent.min(p);
        let (namespace, entry) = read_dirent(&mut window, p, &hd)?;
        if namespace < last_namespace {
            return Err(block!(
                Damaged,
                "ZIM: entry {i} is out of order (namespace {} after {})",
                char::from(namespace).escape_default(),
                char::from(last_namespace).escape_default()
            ));
        }
        last_namespace = namespace;
        if let Some(e) = entry {
            metadata.push(e);
            if metadata.len() > MAX_METADATA {
                return Err(block!(
                    TooLarge,
                    "ZIM: more than {MAX_METADATA} metadata entries"
                ));
            }
        }
        Ok(())
    })?;
    drop(window);
    if hd.title_ptr_pos != u64::MAX {
        // Old archives: title pointers are entry numbers.
        let mut buf = vec![0u8; 4 << 16];
        let mut k = 0u32;
        while k < hd.entry_count {
            let n = (hd.entry_count - k).min(1 << 16);
            let b = &mut buf[..n as usize * 4];
            read_into(src, hd.title_ptr_pos + u64::from(k) * 4, b)?;
            if (0..n as usize).any(|j| u32_at(b, j * 4) >= hd.entry_count) {
                return Err(block!(
                    CannotClean,
                    "ZIM: the title pointer list names an entry past the last"
                ));
            }
            k += n;
        }
    }

    // The end of each cluster: the next cluster, or the next structure after it.
    let structures = [
        hd.url_ptr_pos,
        hd.cluster_ptr_pos,
        hd.mime_list_pos,
        if hd.title_ptr_pos == u64::MAX {
            end
        } else {
            hd.title_ptr_pos
        },
        lowest_dirent,
        end,
    ];
    let cluster_end = |c: usize| -> u64 {
        let start = clusters[c];
        let next = clusters.get(c + 1).copied().unwrap_or(end);
        structures
            .iter()
            .copied()
            .filter(|&s| s > start)
            .fold(next, u64::min)
    };

    // Read each cluster holding metadata once; decide each value.
    let mut by_cluster: std::collections::BTreeMap<u32, Vec<&MetaEntry>> = Default::default();
    for e in &metadata {
        by_cluster.entry(e.cluster).or_default().push(e);
    }
    let mut rewritten: Vec<(u64, u64, Vec<u8>)> = Vec::new();
    for (&c, entries) in &by_cluster {
        let (start, stop) = (clusters[c as usize], cluster_end(c as usize));
        let mut cluster = read_cluster(src, cx, start, stop)?;
        let mut changed = false;
        for e in entries {
            let count = cluster.blobs.len();
            let blob = cluster.blobs.get_mut(e.blob as usize).ok_or_else(|| {
                block!(
                    CannotClean,
                    "ZIM: M/{} points at blob {} of cluster {c}, which has {count}",
                    e.name,
                    e.blob
                )
            })?;
            if blob.len() > VALUE_CAP {
                return Err(block!(
                    TooLarge,
                    "ZIM: M/{} is over {} MiB",
                    e.name,
                    VALUE_CAP >> 20
                ));
            }
            if let Decision::Replace(new) = decide(cx, &e.name, blob, removed)? {
                *blob = new;
                changed = true;
            }
        }
        if changed {
            removed.push(format!(
                "cluster {c} rewritten uncompressed (was {})",
                match cluster.compression {
                    4 => "xz",
                    5 => "zstd",
                    _ => "uncompressed",
                }
            ));
            rewritten.push((start, stop, write_cluster(&cluster.blobs, cluster.extended)));
        }
    }

    // The stored checksum must match before anything is copied or rewritten (for a
    // rewritten archive it is checked in the same pass over the file that hashes the new
    // one, see `checksums`).
    let stored: [u8; 16] = read_array(src, end)?;
    if rewritten.is_empty() {
        let mut md5 = Md5::new();
        hash_range(src, 0, end, &mut md5)?;
        if md5.finalize()[..] != stored[..] {
            return Err(checksum_mismatch());
        }
        return Ok(Plan::unchanged(src));
    }
    rebuild(src, cx, &hd, &clusters, &rewritten, &stored)
}

fn checksum_mismatch() -> Blocked {
    block!(
        Damaged,
        "ZIM: the MD5 checksum does not match the archive (damaged or edited)"
    )
}

/// One pass over the archive for both checksums: the old one of the input's first `end`
/// bytes (checked against `stored`) and the new one of the output `pieces`, which copy
/// input ranges in increasing order with new bytes between them. Each block read is fed to
/// both hashers at once, on two cores (MD5 runs at about 600 MB/s a core: on a multi-GB
/// dump two passes were most of clean's time).
fn checksums(
    src: &dyn Source,
    pieces: &[Piece],
    end: u64,
    stored: &[u8; 16],
) -> Result<Vec<u8>, Blocked> {
    let mut old = Md5::new();
    let mut new = Md5::new();
    let mut in_pos = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for piece in pieces {
        match piece {
            Piece::Copy { offset, len } => {
                if *offset < in_pos {
                    return Err(block!(
                        CannotClean,
                        "ZIM: internal: pieces out of order at byte {offset}"
                    ));
                }
                // Input bytes the output replaces: only in the old checksum.
                hash_range(src, in_pos, *offset, &mut old)?;
                let mut pos = *offset;
                let stop = offset + len;
                while pos < stop {
                    let n = (stop - pos).min(buf.len() as u64) as usize;
                    read_into(src, pos, &mut buf[..n])?;
                    let chunk = &buf[..n];
                    rayon::join(|| old.update(chunk), || new.update(chunk));
                    pos += n as u64;
                }
                in_pos = stop;
            }
            Piece::Bytes(b) => new.update(b),
            Piece::Zeros { len } => {
                let zeros = [0u8; 4096];
                let mut left = *len;
                while left > 0 {
                    let k = left.min(4096);
                    new.update(&zeros[..k as usize]);
                    left -= k;
                }
            }
        }
    }
    hash_range(src, in_pos, end, &mut old)?;
    if old.finalize()[..] != stored[..] {
        return Err(checksum_mismatch());
    }
    Ok(new.finalize().to_vec())
}

/// Writes the right MD5 into an archive whose checksum position is its last 16 bytes (the
/// fuzz target uses it, so mutations reach past the checksum check).
pub(crate) fn fix_checksum(d: &mut [u8]) {
    if d.len() >= 96 && d.starts_with(MAGIC) {
        let pos = u64_at(d, 72);
        if pos.checked_add(16) == Some(d.len() as u64) {
            let at = pos as usize;
            let md5 = Md5::digest(&d[..at]);
            d[at..].copy_from_slice(&md5);
        }
    }
}

fn hash_range(src: &dyn Source, from: u64, to: u64, md5: &mut Md5) -> Result<(), Blocked> {
    let mut buf = vec![0u8; 1 << 20];
    let mut pos = from;
    while pos < to {
        let n = (to - pos).min(buf.len() as u64) as usize;
        read_into(src, pos, &mut buf[..n])?;
        md5.update(&buf[..n]);
        pos += n as u64;
    }
    Ok(())
}

/// The new position of old offset `o`: moved by every rewritten cluster before it.
fn moved(o: u64, rewritten: &[(u64, u64, Vec<u8>)]) -> u64 {
    let mut delta: i128 = 0;
    for (start, stop, new) in rewritten {
        if *start < o {
            delta += new.len() as i128 - (*stop - *start) as i128;
        }
    }
    (i128::from(o) + delta) as u64
}

/// The archive with `rewritten` clusters in place of the old ones, every position moved,
/// the pointer lists rewritten and a new checksum.
fn rebuild(
    src: &dyn Source,
    cx: &Ctx,
    hd: &Header,
    clusters: &[u64],
    rewritten: &[(u64, u64, Vec<u8>)],
    stored: &[u8; 16],
) -> Result<Plan, Blocked> {
    let end = hd.checksum_pos;
    // Regions replaced by new bytes: the header, the two pointer lists, the clusters.
    let mut header: [u8; 80] = read_array(src, 0)?;
    for (at, old) in [
        (32, hd.url_ptr_pos),
        (48, hd.cluster_ptr_pos),
        (56, hd.mime_list_pos),
        (72, hd.checksum_pos),
    ] {
        header[at..at + 8].copy_from_slice(&moved(old, rewritten).to_le_bytes());
    }
    if hd.title_ptr_pos != u64::MAX {
        header[40..48].copy_from_slice(&moved(hd.title_ptr_pos, rewritten).to_le_bytes());
    }
    let list_bytes = (u64::from(hd.entry_count) + u64::from(hd.cluster_count)) * 8;
    cx.reserve(list_bytes, "ZIM pointer lists")?;
    let mut url_list = Vec::with_capacity(hd.entry_count as usize * 8);
    for_each_u64(src, hd.url_ptr_pos, hd.entry_count, |_, p| {
        url_list.extend_from_slice(&moved(p, rewritten).to_le_bytes());
        Ok(())
    })?;
    let mut cluster_list = Vec::with_capacity(clusters.len() * 8);
    for &p in clusters {
        cluster_list.extend_from_slice(&moved(p, rewritten).to_le_bytes());
    }
    let mut replaced: Vec<(u64, u64, Vec<u8>)> = vec![(0, HEADER_LEN, header.to_vec())];
    replaced.push((
        hd.url_ptr_pos,
        hd.url_ptr_pos + u64::from(hd.entry_count) * 8,
        url_list,
    ));
    replaced.push((
        hd.cluster_ptr_pos,
        hd.cluster_ptr_pos + u64::from(hd.cluster_count) * 8,
        cluster_list,
    ));
    for (start, stop, new) in rewritten {
        replaced.push((*start, *stop, new.clone()));
    }
    replaced.retain(|r| r.0 < r.1 || !r.2.is_empty());
    replaced.sort_by_key(|r| r.0);
    for w in replaced.windows(2) {
        if w[0].1 > w[1].0 {
            return Err(block!(
                Damaged,
                "ZIM: structures overlap at bytes {}..{} and {}..{}",
                w[0].0,
                w[0].1,
                w[1].0,
                w[1].1
            ));
        }
    }
    let mut plan = Plan::new();
    let mut pos = 0u64;
    for (start, stop, new) in replaced {
        plan.copy(pos, start - pos);
        plan.bytes(new);
        pos = stop;
    }
    plan.copy(pos, end - pos);
    // The new checksum: MD5 of everything before it (and the old one checked).
    let md5 = checksums(src, plan.pieces(), end, stored)?;
    plan.bytes(md5);
    Ok(plan)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::Config;

    /// One entry of a test archive: namespace, URL, and (cluster, blob) or a redirect.
    pub(crate) enum TestEntry<'a> {
        Content(u8, &'a str, u32, u32),
        Redirect(u8, &'a str, u32),
    }

    /// A ZIM laid out as libzim writes it: header, MIME list, clusters, directory entries,
    /// URL pointers, cluster pointers, checksum. `clusters` are (compression, blobs); the
    /// entries must be given sorted by namespace and URL.
    pub(crate) fn zim(clusters: &[(u8, Vec<Vec<u8>>)], entries: &[TestEntry]) -> Vec<u8> {
        let mut f = vec![0u8; 80];
        f.extend_from_slice(b"text/html\0text/plain\0\0");
        let mut cluster_pos = Vec::new();
        for (compression, blobs) in clusters {
            cluster_pos.push(f.len() as u64);
            let plain = write_cluster(blobs, false);
            match compression {
                1 => f.extend_from_slice(&plain),
                4 => {
                    f.push(4);
                    let mut out = Vec::new();
                    lzma_rs::xz_compress(&mut &plain[1..], &mut out).unwrap();
                    f.extend_from_slice(&out);
                }
                5 => {
                    f.push(5);
                    f.extend_from_slice(&ruzstd::encoding::compress_to_vec(
                        &plain[1..],
                        ruzstd::encoding::CompressionLevel::Fastest,
                    ));
                }
                c => f.push(*c),
            }
        }
        let mut dirents = Vec::new();
        for e in entries {
            dirents.push(f.len() as u64);
            match e {
                TestEntry::Content(ns, url, c, b) => {
                    f.extend_from_slice(&1u16.to_le_bytes());
                    f.extend_from_slice(&[0, *ns, 0, 0, 0, 0]);
                    f.extend_from_slice(&c.to_le_bytes());
                    f.extend_from_slice(&b.to_le_bytes());
                    f.extend_from_slice(url.as_bytes());
                    f.extend_from_slice(b"\0\0");
                }
                TestEntry::Redirect(ns, url, to) => {
                    f.extend_from_slice(&0xFFFFu16.to_le_bytes());
                    f.extend_from_slice(&[0, *ns, 0, 0, 0, 0]);
                    f.extend_from_slice(&to.to_le_bytes());
                    f.extend_from_slice(url.as_bytes());
                    f.extend_from_slice(b"\0\0");
                }
            }
        }
        let url_ptr = f.len() as u64;
        for d in &dirents {
            f.extend_from_slice(&d.to_le_bytes());
        }
        let cluster_ptr = f.len() as u64;
        for c in &cluster_pos {
            f.extend_from_slice(&c.to_le_bytes());
        }
        let checksum = f.len() as u64;
        f[0..4].copy_from_slice(MAGIC);
        f[4..6].copy_from_slice(&6u16.to_le_bytes());
        f[6..8].copy_from_slice(&3u16.to_le_bytes());
        f[8..24].copy_from_slice(b"0123456789abcdef");
        f[24..28].copy_from_slice(&(entries.len() as u32).to_le_bytes());
        f[28..32].copy_from_slice(&(clusters.len() as u32).to_le_bytes());
        f[32..40].copy_from_slice(&url_ptr.to_le_bytes());
        f[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
        f[48..56].copy_from_slice(&cluster_ptr.to_le_bytes());
        f[56..64].copy_from_slice(&80u64.to_le_bytes());
        f[64..68].copy_from_slice(&0u32.to_le_bytes());
        f[68..72].copy_from_slice(&u32::MAX.to_le_bytes());
        f[72..80].copy_from_slice(&checksum.to_le_bytes());
        let md5 = Md5::digest(&f);
        f.extend_from_slice(&md5);
        f
    }

    /// A small wiki: pages in cluster 0 with the metadata (compressed as given), a picture
    /// in an uncompressed cluster 1.
    pub(crate) fn wiki(compression: u8, source: &str) -> Vec<u8> {
        use TestEntry::*;
        let blobs: Vec<Vec<u8>> = [
            "<html>page one 자유</html>",
            "<html>page two</html>",
            "Wikipedia",
            "openZIM",
            "2026-01-01",
            source,
            "mwoffliner 1.14.0 by KimChol",
            "Test wiki",
            "custom value KimChol",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        zim(
            &[
                (compression, blobs),
                (1, vec![b"\x89PNG picture bytes".to_vec()]),
            ],
            &[
                Content(b'C', "One", 0, 0),
                Content(b'C', "Two", 0, 1),
                Content(b'C', "pic.png", 1, 0),
                Content(b'M', "Creator", 0, 2),
                Content(b'M', "Custom", 0, 8),
                Content(b'M', "Date", 0, 4),
                Content(b'M', "Publisher", 0, 3),
                Content(b'M', "Scraper", 0, 6),
                Content(b'M', "Source", 0, 5),
                Content(b'M', "Title", 0, 7),
                Redirect(b'W', "mainPage", 0),
            ],
        )
    }

    fn run(d: &[u8], cfg: &Config) -> (Result<Vec<u8>, Blocked>, Vec<String>) {
        let cx = Ctx::test(cfg);
        let mut removed = vec![];
        let out = clean(&d, &cx, &mut removed).and_then(|p| p.materialize(&d, u64::MAX));
        (out, removed)
    }

    /// Reads an archive back: every entry's (namespace, URL) and value, checking the
    /// checksum and every pointer (an independent little reader).
    fn entries(f: &[u8]) -> Vec<(u8, String, Vec<u8>)> {
        let end = u64_at(f, 72) as usize;
        assert_eq!(end + 16, f.len());
        assert_eq!(&Md5::digest(&f[..end])[..], &f[end..], "checksum");
        let n = u32_at(f, 24) as usize;
        let clusters = u32_at(f, 28) as usize;
        let (url_ptr, cluster_ptr) = (u64_at(f, 32) as usize, u64_at(f, 48) as usize);
        let cl: Vec<usize> = (0..clusters)
            .map(|i| u64_at(f, cluster_ptr + i * 8) as usize)
            .collect();
        let first_dirent = (0..n)
            .map(|i| u64_at(f, url_ptr + i * 8) as usize)
            .min()
            .unwrap();
        let mut out = Vec::new();
        for i in 0..n {
            let p = u64_at(f, url_ptr + i * 8) as usize;
            let ns = f[p + 3];
            if u16_at(f, p) == 0xFFFF {
                continue;
            }
            let (c, b) = (u32_at(f, p + 8) as usize, u32_at(f, p + 12) as usize);
            let url_end = f[p + 16..].iter().position(|&x| x == 0).unwrap();
            let url = String::from_utf8(f[p + 16..p + 16 + url_end].to_vec()).unwrap();
            let stop = cl.get(c + 1).copied().unwrap_or(first_dirent);
            let data = decompress(f[cl[c]] & 0x0F, &f[cl[c] + 1..stop], 0).unwrap();
            let o = |k: usize| u32_at(&data, k * 4) as usize;
            out.push((ns, url, data[o(b)..o(b + 1)].to_vec()));
        }
        out
    }

    #[test]
    fn source_scraper_and_unknown_metadata_are_emptied_the_rest_byte_for_byte() {
        let cfg = Config::default();
        for compression in [1, 4, 5] {
            let f = wiki(compression, "http://kim-laptop.local/wiki");
            let before = entries(&f);
            let (out, removed) = run(&f, &cfg);
            let out = out.unwrap();
            assert!(
                removed.iter().any(|r| r.starts_with("M/Source emptied")),
                "{removed:?}"
            );
            let after = entries(&out);
            assert_eq!(before.len(), after.len());
            for ((ns, url, old), (ns2, url2, new)) in before.iter().zip(&after) {
                assert_eq!((ns, url), (ns2, url2));
                let emptied =
                    *ns == b'M' && matches!(url.as_str(), "Source" | "Scraper" | "Custom");
                if emptied {
                    assert!(new.is_empty(), "{url}");
                } else {
                    assert_eq!(old, new, "{url}");
                }
            }
            for planted in [&b"kim-laptop"[..], b"KimChol"] {
                assert!(!out.windows(planted.len()).any(|w| w == planted));
            }
            // Idempotent: the cleaned archive needs nothing more.
            let (again, removed) = run(&out, &cfg);
            assert!(again.unwrap() == out && removed.is_empty(), "{removed:?}");
        }
    }

    #[test]
    fn an_archive_with_nothing_to_remove_is_copied() {
        use TestEntry::*;
        let f = zim(
            &[(
                5,
                vec![b"<p>x</p>".to_vec(), b"Wikipedia".to_vec(), Vec::new()],
            )],
            &[
                Content(b'C', "A", 0, 0),
                Content(b'M', "Creator", 0, 1),
                Content(b'M', "Source", 0, 2),
            ],
        );
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let plan = clean(&f.as_slice(), &cx, &mut vec![]).unwrap();
        assert!(plan.is_unchanged(f.len() as u64));
    }

    #[test]
    fn forbidden_names_in_kept_metadata_block() {
        let cfg = Config {
            forbidden: crate::ForbidList::parse("Wikipedia\n").unwrap(),
            ..Config::default()
        };
        let (out, _) = run(&wiki(5, ""), &cfg);
        let e = out.unwrap_err();
        assert!(
            e.reason.contains("M/Creator") && !e.reason.contains("Wikipedia"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn damage_blocks_with_the_reason() {
        let cfg = Config::default();
        let f = wiki(5, "x");
        let mut bad = f.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(run(&bad, &cfg).0.unwrap_err().reason.contains("MD5"));
        // A changed byte in a cluster that is copied, in an archive whose metadata is
        // rewritten (the old checksum is checked in the pass that makes the new one).
        let at = f.windows(11).position(|w| w == b"PNG picture").unwrap();
        let mut bad = f.clone();
        bad[at] ^= 1;
        let e = run(&bad, &cfg).0.unwrap_err();
        assert!(e.reason.contains("MD5"), "{e}");
        assert_eq!(e.kind, crate::BlockKind::Damaged);
        let mut old = f.clone();
        old[4] = 4;
        assert!(
            run(&old, &cfg)
                .0
                .unwrap_err()
                .reason
                .contains("major version")
        );
        for cut in [0, 10, 79, 80, 200, f.len() - 17, f.len() - 1] {
            assert!(run(&f[..cut], &cfg).0.is_err(), "cut at {cut}");
        }
        // Every truncation and every single-byte change: an answer, never a panic.
        for cut in 0..f.len() {
            let _ = run(&f[..cut], &cfg);
        }
        for at in 0..f.len() {
            let mut g = f.clone();
            g[at] ^= 0xA5;
            let end = g.len() - 16;
            let md5 = Md5::digest(&g[..end]);
            g[end..].copy_from_slice(&md5);
            let _ = run(&g, &cfg);
        }
        let zlib = zim(&[(2, vec![])], &[TestEntry::Content(b'M', "Source", 0, 0)]);
        assert!(run(&zlib, &cfg).0.unwrap_err().reason.contains("zlib"));
        let cx = Ctx::test(&cfg);
        let cx = Ctx {
            name: "wiki.zimab",
            ..cx
        };
        let e = clean(&f.as_slice(), &cx, &mut vec![]).unwrap_err();
        assert!(e.reason.contains("split ZIM"), "{}", e.reason);
    }
}
