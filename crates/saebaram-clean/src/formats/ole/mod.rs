//! OLE compound files (Compound File Binary): Word 97-2003 (DOC), Excel 97-2003 (XLS),
//! PowerPoint 97-2003 (PPT) and Hangul 5.0 (HWP). The container is read and written with the
//! `cfb` crate.
//!
//! What every compound file gets: the property-set streams (`\x05SummaryInformation`,
//! `\x05DocumentSummaryInformation`, `\x05HwpSummaryInformation`: title, subject, author, last
//! author, company, manager, keywords, comments, template, dates, editing time, thumbnail,
//! custom properties) are replaced by property sets with no value ([`propset`]); storage
//! timestamps are cleared. Each application then cleans the names it keeps elsewhere
//! ([`word`], [`excel`], [`powerpoint`], [`hwp`]). Macros (VBA projects, HWP scripts),
//! embedded OLE objects, digital signatures, encrypted files, custom XML data stores, linked
//! files and any stream this module does not know block the file, with the reason.
//!
//! # Why the container is rebuilt rather than edited in place
//! Every kept stream is copied byte for byte, but the file around them is written anew
//! (`cfb` lays out sectors, FAT and directory). A compound file keeps old data where no
//! stream points: free sectors (earlier versions of a stream, a deleted one), the slack after
//! the end of each stream's last sector, and unallocated directory entries that still hold
//! the names of deleted streams. Editing in place would keep all of that; the `cfb` crate
//! exposes no sector map to zero it. Offsets inside the streams (the Word FIB, Excel's
//! BOUNDSHEET, PowerPoint's persist directory) are relative to their stream, so the
//! documents stay valid. After writing, the output is parsed again and every stream compared
//! with what was planned.
//!
//! Bad input (truncated files, sector-chain loops, sectors used twice, a stream longer than
//! its chain) is refused by `cfb` while parsing; the whole file is read under
//! [`OLE_CAP`] and the run's memory budget, and no stream can hold more than the file does.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use super::Ctx;
use crate::error::{Blocked, block};

mod excel;
mod hwp;
mod powerpoint;
mod propset;
mod word;

/// Largest compound file read (it is parsed whole: input, streams and output in memory).
pub(crate) const OLE_CAP: u64 = 256 << 20;

/// The signature at the start of every compound file.
pub(crate) const MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// The application a compound file belongs to, told by its streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Word,
    Excel,
    PowerPoint,
    Hangul,
}

impl App {
    fn name(self) -> &'static str {
        match self {
            App::Word => "DOC",
            App::Excel => "XLS",
            App::PowerPoint => "PPT",
            App::Hangul => "HWP",
        }
    }
}

/// One storage or stream.
struct Node {
    /// Full path, `/` separated (`/WordDocument`, `/BodyText/Section0`).
    path: String,
    /// The entry as read (CLSID, state bits).
    entry: cfb::Entry,
    /// The stream's bytes (`None` for a storage).
    data: Option<Vec<u8>>,
}

/// A compound file held in memory, in the order of a preorder walk.
struct Ole {
    version: cfb::Version,
    nodes: Vec<Node>,
}

impl Ole {
    fn stream(&self, path: &str) -> Option<&[u8]> {
        self.nodes
            .iter()
            .find(|n| n.path == path)
            .and_then(|n| n.data.as_deref())
    }

    fn stream_mut(&mut self, path: &str) -> Option<&mut Vec<u8>> {
        self.nodes
            .iter_mut()
            .find(|n| n.path == path)
            .and_then(|n| n.data.as_mut())
    }

    fn has(&self, path: &str) -> bool {
        self.nodes.iter().any(|n| n.path == path)
    }

    /// The paths of the streams (not storages) in walk order.
    fn stream_paths(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.data.is_some())
            .map(|n| n.path.clone())
            .collect()
    }
}

fn cfb_error(e: std::io::Error) -> Blocked {
    block!(Damaged, "OLE: cannot read the compound file: {e}")
}

/// Reads every entry and stream of `d`.
fn read(d: &[u8]) -> Result<Ole, Blocked> {
    let mut comp = cfb::CompoundFile::open(Cursor::new(d)).map_err(cfb_error)?;
    let version = comp.version();
    let entries: Vec<cfb::Entry> = comp.walk().collect();
    let mut nodes = Vec::with_capacity(entries.len());
    let mut total = 0u64;
    for entry in entries {
        let path = entry
            .path()
            .to_str()
            .ok_or_else(|| block!(Damaged, "OLE: an entry name is not valid Unicode"))?
            .to_string();
        let data = if entry.is_stream() {
            // A stream cannot hold more than the file; `cfb` bounds reads by the chain.
            total = total.saturating_add(entry.len());
            if entry.len() > d.len() as u64 || total > 2 * d.len() as u64 {
                return Err(block!(
                    Damaged,
                    "OLE: stream {} declares {} bytes in a {}-byte file",
                    propset::printable(&path),
                    entry.len(),
                    d.len()
                ));
            }
            let mut s = comp.open_stream(entry.path()).map_err(cfb_error)?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).map_err(cfb_error)?;
            if buf.len() as u64 != entry.len() {
                return Err(block!(
                    Damaged,
                    "OLE: stream {} declares {} bytes but its sectors hold {}",
                    propset::printable(&path),
                    entry.len(),
                    buf.len()
                ));
            }
            Some(buf)
        } else {
            None
        };
        nodes.push(Node { path, entry, data });
    }
    Ok(Ole { version, nodes })
}

/// The CFB timestamp 0 ("not set"): 1601-01-01 as a `SystemTime`.
fn zero_time() -> std::time::SystemTime {
    std::time::UNIX_EPOCH
        .checked_sub(std::time::Duration::from_secs(11_644_473_600))
        .unwrap_or(std::time::UNIX_EPOCH)
}

/// Writes `ole` as a new compound file, then parses it again and checks every stream.
fn write(ole: &Ole, size_hint: usize) -> Result<Vec<u8>, Blocked> {
    let werr = |e: std::io::Error| block!(CannotClean, "OLE: cannot write the compound file: {e}");
    let mut out = cfb::CompoundFile::create_with_version(
        ole.version,
        Cursor::new(Vec::with_capacity(size_hint)),
    )
    .map_err(werr)?;
    for n in &ole.nodes {
        if n.entry.is_root() {
            continue;
        }
        match &n.data {
            Some(data) => {
                let mut s = out.create_stream(&n.path).map_err(werr)?;
                s.write_all(data).map_err(werr)?;
                s.flush().map_err(werr)?;
            }
            None => out.create_storage(&n.path).map_err(werr)?,
        }
    }
    for n in &ole.nodes {
        out.set_state_bits(&n.path, n.entry.state_bits())
            .map_err(werr)?;
        if !n.entry.is_stream() {
            out.set_storage_clsid(&n.path, *n.entry.clsid())
                .map_err(werr)?;
            out.set_created_time(&n.path, zero_time()).map_err(werr)?;
            out.set_modified_time(&n.path, zero_time()).map_err(werr)?;
        }
    }
    out.flush().map_err(werr)?;
    let bytes = out.into_inner().into_inner();
    // The rebuilt file must hold exactly the planned streams.
    let again = read(&bytes)
        .map_err(|b| block!(inherit b, "OLE: the rebuilt file does not read back: {b}"))?;
    let planned: BTreeMap<&str, &[u8]> = ole
        .nodes
        .iter()
        .filter_map(|n| Some((n.path.as_str(), n.data.as_deref()?)))
        .collect();
    let written: BTreeMap<&str, &[u8]> = again
        .nodes
        .iter()
        .filter_map(|n| Some((n.path.as_str(), n.data.as_deref()?)))
        .collect();
    if planned != written {
        return Err(block!(
            Damaged,
            "OLE: the rebuilt file does not hold the planned streams"
        ));
    }
    Ok(bytes)
}

/// The application of a compound file, from its streams.
fn app_of(ole: &Ole) -> Result<App, Blocked> {
    if ole.has("/WordDocument") {
        return Ok(App::Word);
    }
    if ole.has("/Workbook") {
        return Ok(App::Excel);
    }
    if ole.has("/Book") {
        return Err(block!(
            CannotClean,
            "XLS: an Excel 5.0/95 workbook (BIFF5) is not supported; save it as a newer format"
        ));
    }
    if ole.has("/PowerPoint Document") {
        return Ok(App::PowerPoint);
    }
    if ole
        .stream("/FileHeader")
        .is_some_and(|h| h.starts_with(b"HWP Document File"))
    {
        return Ok(App::Hangul);
    }
    let names: Vec<String> = ole
        .nodes
        .iter()
        .filter(|n| !n.entry.is_root())
        .take(8)
        .map(|n| propset::printable(&n.path))
        .collect();
    Err(block!(
        CannotClean,
        "OLE: a compound file of an unknown application (holds {}); only DOC, XLS, PPT and HWP are cleaned",
        names.join(", ")
    ))
}

/// Storages and streams that block a file whatever the application, and why.
fn refuse_common(app: App, ole: &Ole) -> Result<(), Blocked> {
    use crate::BlockKind::{ActiveContent, CannotClean, Encrypted};
    for n in &ole.nodes {
        let name = n.entry.name();
        let why = match name {
            "_VBA_PROJECT_CUR" | "_VBA_PROJECT" | "VBA" | "Macros" | "PROJECT" => {
                Some((ActiveContent, "macros (a VBA project) are not cleaned"))
            }
            "MsoDataStore" => Some((
                CannotClean,
                "a custom XML data store (MsoDataStore) is not cleaned",
            )),
            "_xmlsignatures" | "_signatures" | "\u{5}DigitalSignature" => Some((
                ActiveContent,
                "digitally signed (the signature names the signer; cleaning would break it)",
            )),
            "EncryptionInfo" | "EncryptedPackage" | "\u{6}DataSpaces" => Some((
                Encrypted,
                "an encrypted document (cannot be cleaned without the password)",
            )),
            "Revision Log" | "User Names" => Some((
                CannotClean,
                "a shared workbook's revision log (names every editor) is not cleaned",
            )),
            "\u{1}Ole10Native" | "\u{3}ObjInfo" | "Ctls" => Some((
                ActiveContent,
                "an embedded OLE object or control is not cleaned",
            )),
            _ if name.starts_with("MBD") && !n.entry.is_stream() => {
                Some((ActiveContent, "an embedded OLE object is not cleaned"))
            }
            _ => None,
        };
        if let Some((kind, why)) = why {
            return Err(Blocked::new(
                kind,
                format!("{}: {why} ({})", app.name(), propset::printable(&n.path)),
            ));
        }
    }
    if ole.nodes.iter().any(|n| n.path.starts_with("/ObjectPool/")) {
        return Err(block!(
            ActiveContent,
            "{}: embedded OLE objects (ObjectPool) are not cleaned",
            app.name()
        ));
    }
    if let Some(ole_stream) = ole.stream("/\u{1}Ole") {
        // OLEStream: version, flags (bit 0: a link), update option, reserved, moniker size.
        let flags = ole_stream
            .get(4..8)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if ole_stream.len() > 20 || flags & 1 != 0 {
            return Err(block!(
                ActiveContent,
                "{}: the \\x01Ole stream links to another file (its path is not cleaned)",
                app.name()
            ));
        }
    }
    Ok(())
}

/// The top-level streams and storages each application may have besides the property sets;
/// anything else blocks the file.
fn known(app: App, path: &str) -> bool {
    let top = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if matches!(
        top,
        "\u{1}CompObj" | "\u{1}Ole" | "\u{5}SummaryInformation" | "\u{5}DocumentSummaryInformation"
    ) {
        return path.matches('/').count() == 1;
    }
    match app {
        App::Word => matches!(
            top,
            "WordDocument" | "1Table" | "0Table" | "Data" | "ObjectPool"
        ),
        App::Excel => matches!(top, "Workbook" | "_SX_DB_CUR"),
        App::PowerPoint => matches!(top, "PowerPoint Document" | "Current User" | "Pictures"),
        App::Hangul => hwp::known(path),
    }
}

/// Cleans a compound file held in memory.
pub(crate) fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let mut ole = read(d)?;
    let app = app_of(&ole)?;
    refuse_common(app, &ole)?;
    for n in &ole.nodes {
        cx.check_forbidden(n.entry.name().as_bytes(), "a stream name")?;
        if !n.entry.is_root() && !known(app, &n.path) {
            return Err(block!(
                CannotClean,
                "{}: unknown stream or storage {} (not cleaned)",
                app.name(),
                propset::printable(&n.path)
            ));
        }
    }
    // Property sets, wherever they are.
    for path in ole.stream_paths() {
        let name = path.rsplit('/').next().unwrap_or("").to_string();
        if !name.starts_with('\u{5}') {
            continue;
        }
        let Some(data) = ole.stream_mut(&path) else {
            continue;
        };
        if let Some((new, what)) = propset::clean(&name, data)? {
            *data = new;
            removed.push(what);
        }
    }
    match app {
        App::Word => word::clean(&mut ole, removed)?,
        App::Excel => excel::clean(&mut ole, removed)?,
        App::PowerPoint => powerpoint::clean(&mut ole, removed)?,
        App::Hangul => hwp::clean(&mut ole, cx, removed)?,
    }
    if ole.nodes.iter().any(|n| {
        !n.entry.is_stream()
            && (n.entry.created() != zero_time() || n.entry.modified() != zero_time())
    }) {
        removed.push("storage timestamps".into());
    }
    write(&ole, d.len())
}

/// Embedded pictures in a stream that still carry camera or editing metadata (EXIF, XMP,
/// PNG text): what was found, if anything. Pictures inside DOC, XLS and PPT streams are not
/// rewritten, so a file holding such a picture is blocked.
fn picture_metadata(d: &[u8]) -> Option<&'static str> {
    let mut i = 0;
    while let Some(p) = d
        .get(i..)
        .and_then(|r| r.windows(3).position(|w| w == [0xFF, 0xD8, 0xFF]))
    {
        let soi = i + p;
        i = soi + 2;
        // Walk the JPEG's segments up to the first scan.
        let mut at = soi + 2;
        while let (Some(&0xFF), Some(&marker)) = (d.get(at), d.get(at + 1)) {
            if marker == 0xDA || marker == 0xD9 {
                break;
            }
            let Some(len) = d
                .get(at + 2..at + 4)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            else {
                break;
            };
            let payload = d
                .get(at + 4..(at + 2 + len).min(d.len()))
                .unwrap_or_default();
            match marker {
                0xE1 if payload.starts_with(b"Exif\0") => return Some("EXIF"),
                0xE1 if payload.starts_with(b"http://ns.adobe.com/xap/1.0/") => return Some("XMP"),
                0xED => return Some("IPTC"),
                0xFE => return Some("a JPEG comment"),
                _ => {}
            }
            at += 2 + len.max(2);
        }
    }
    let mut i = 0;
    while let Some(p) = d
        .get(i..)
        .and_then(|r| r.windows(8).position(|w| w == b"\x89PNG\r\n\x1a\n"))
    {
        let mut at = i + p + 8;
        i = at;
        while let Some(hdr) = d.get(at..at + 8) {
            let len = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
            match &hdr[4..8] {
                b"tEXt" | b"iTXt" | b"zTXt" => return Some("PNG text"),
                b"eXIf" => return Some("EXIF"),
                b"IEND" => break,
                _ => {}
            }
            at = at.saturating_add(12).saturating_add(len);
        }
    }
    None
}

/// Blocks when a picture inside `path` carries metadata.
fn refuse_picture_metadata(app: App, ole: &Ole, path: &str) -> Result<(), Blocked> {
    if let Some(what) = ole.stream(path).and_then(picture_metadata) {
        return Err(block!(
            CannotClean,
            "{}: an embedded picture in {} carries {what} (pictures inside {} files are not cleaned yet)",
            app.name(),
            path.trim_start_matches('/'),
            app.name()
        ));
    }
    Ok(())
}

fn le16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn put16(d: &mut [u8], at: usize, v: u16) -> Option<()> {
    d.get_mut(at..at + 2)?.copy_from_slice(&v.to_le_bytes());
    Some(())
}

fn put32(d: &mut [u8], at: usize, v: u32) -> Option<()> {
    d.get_mut(at..at + 4)?.copy_from_slice(&v.to_le_bytes());
    Some(())
}

/// Overwrites `d[at..at+len]` with `fill`.
fn fill(d: &mut [u8], at: usize, len: usize, fill: u8) -> Option<()> {
    d.get_mut(at..at.checked_add(len)?)?.fill(fill);
    Some(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::config::Config;

    /// A compound file holding `streams` (path, bytes); storages are made as needed.
    pub(crate) fn build(streams: &[(&str, &[u8])]) -> Vec<u8> {
        let mut c = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        for (path, data) in streams {
            let parent = std::path::Path::new(path).parent().unwrap();
            if parent != std::path::Path::new("/") && !c.exists(parent) {
                c.create_storage_all(parent).unwrap();
            }
            c.create_stream(path).unwrap().write_all(data).unwrap();
        }
        c.flush().unwrap();
        c.into_inner().into_inner()
    }

    /// A SummaryInformation property set with one string property (the author, id 4).
    pub(crate) fn summary_with_author(author: &str) -> Vec<u8> {
        let mut s = propset::empty(propset::FMTID_SUMMARY, 1252);
        // Grow the section: a second property (id 4, VT_LPSTR) after the code page.
        let value_at = 8 + 16 + 8; // size, count, two (id, offset) pairs, code page value
        let mut value = 0x1Eu32.to_le_bytes().to_vec();
        let bytes = format!("{author}\0");
        value.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        value.extend_from_slice(bytes.as_bytes());
        while !value.len().is_multiple_of(4) {
            value.push(0);
        }
        let mut section = Vec::new();
        section.extend_from_slice(&((value_at + value.len()) as u32).to_le_bytes());
        section.extend_from_slice(&2u32.to_le_bytes());
        section.extend_from_slice(&1u32.to_le_bytes());
        section.extend_from_slice(&24u32.to_le_bytes());
        section.extend_from_slice(&4u32.to_le_bytes());
        section.extend_from_slice(&(value_at as u32).to_le_bytes());
        section.extend_from_slice(&[2, 0, 0, 0, 0xE4, 0x04, 0, 0]);
        section.extend_from_slice(&value);
        s.truncate(48);
        s.extend_from_slice(&section);
        s
    }

    fn run(d: &[u8]) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut removed = vec![];
        clean(d, &cx, &mut removed).map(|o| (o, removed))
    }

    #[test]
    fn macros_objects_and_unknown_streams_block() {
        let summary = summary_with_author("Kim Chol");
        assert_eq!(propset::read_header(&summary).unwrap().properties, 2);
        let ppt_user = {
            let mut d = vec![0, 0, 0xF6, 0x0F, 24, 0, 0, 0, 0x14, 0, 0, 0];
            d.extend_from_slice(&0xE391_C05Fu32.to_le_bytes());
            d.extend_from_slice(&[0; 12]);
            d.extend_from_slice(&8u32.to_le_bytes());
            d
        };
        type Streams<'a> = &'a [(&'a str, &'a [u8])];
        let cases: &[(Streams<'_>, &str)] = &[
            (
                &[
                    ("/PowerPoint Document", b""),
                    ("/Current User", &ppt_user),
                    ("/_VBA_PROJECT_CUR/VBA/dir", b"x"),
                ],
                "macros",
            ),
            (
                &[
                    ("/PowerPoint Document", b""),
                    ("/Current User", &ppt_user),
                    ("/ObjectPool/_1234/\u{1}Ole10Native", b"x"),
                ],
                "OLE object",
            ),
            (
                &[
                    ("/PowerPoint Document", b""),
                    ("/Current User", &ppt_user),
                    ("/Secret", b"x"),
                ],
                "unknown stream",
            ),
            (
                &[
                    ("/PowerPoint Document", b""),
                    ("/Current User", &ppt_user),
                    (
                        "/\u{1}Ole",
                        &[1, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                    ),
                ],
                "links",
            ),
            (&[("/Other", b"")], "unknown application"),
            (&[("/Book", b"")], "BIFF5"),
        ];
        for (streams, why) in cases {
            let err = run(&build(streams)).unwrap_err();
            assert!(err.reason.contains(why), "{why}: {err}");
            let kind = match *why {
                "macros" | "OLE object" | "links" => crate::BlockKind::ActiveContent,
                _ => crate::BlockKind::CannotClean,
            };
            assert_eq!(err.kind, kind, "{why}: {err}");
        }
        // A clean PowerPoint: the property set is emptied, the rest kept, twice the same.
        let file = build(&[
            ("/PowerPoint Document", b""),
            ("/Current User", &ppt_user),
            ("/\u{5}SummaryInformation", &summary),
        ]);
        let (out, removed) = run(&file).unwrap();
        assert!(!out.windows(3).any(|w| w == b"Kim"));
        assert!(
            removed.iter().any(|r| r.contains("SummaryInformation")),
            "{removed:?}"
        );
        let (again, _) = run(&out).unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn truncated_and_corrupt_files_block_without_panicking() {
        let file = build(&[
            ("/PowerPoint Document", &[0u8; 5000]),
            ("/Current User", b"xx"),
        ]);
        for cut in [0, 100, 512, 1000, file.len() / 2, file.len() - 1] {
            assert!(run(&file[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = file.clone();
        for i in (0..flipped.len()).step_by(97) {
            flipped[i] ^= 0x5A;
            let _ = run(&flipped);
        }
    }
}
