//! Hangul 5.0 (HWP): the compound-file format of Hancom's word processor ([HWP 5.0 format
//! specification], Hancom, revision 1.3).
//!
//! Kept as they are: `FileHeader`, `DocInfo` (fonts, styles, picture list), the body
//! (`BodyText/Section*`), `PrvText` (the preview text, a copy of the start of the body),
//! `DocOptions/_LinkDoc` and the default (empty) script Hangul writes into every file.
//! Cleaned: `\x05HwpSummaryInformation` (title, subject, author, last author, keywords,
//! comments, dates: emptied like the Office property sets); `PrvImage` (a picture of the
//! first page) is emptied; embedded pictures (`BinData/BIN*`) go through the picture
//! cleaners (inflated and deflated again when stored compressed).
//!
//! Blocked, with the reason: password, distribution (encrypted body), DRM, certificate
//! encryption, digital signatures, a document history (earlier versions and their authors),
//! tracked changes (their authors), saved scripts (macros), linked pictures (their file
//! paths), embedded OLE objects, and any storage or stream not listed here.

use std::io::{Read, Write};

use super::super::Ctx;
use super::Ole;
use crate::BlockKind;
use crate::error::{Blocked, block};

/// Largest decompressed size of one stream (the body, the document information, a picture).
const INFLATE_CAP: u64 = 256 << 20;

/// `FileHeader` property bits that block a file, and why.
const BLOCKING_FLAGS: &[(u32, BlockKind, &str)] = &[
    (
        0x0002,
        BlockKind::Encrypted,
        "password-protected (cannot be cleaned without the password)",
    ),
    (
        0x0004,
        BlockKind::Encrypted,
        "a distribution document (its body is encrypted)",
    ),
    (
        0x0008,
        BlockKind::ActiveContent,
        "saved scripts (macros) are not cleaned",
    ),
    (0x0010, BlockKind::Encrypted, "DRM-protected"),
    (
        0x0040,
        BlockKind::CannotClean,
        "a document history (earlier versions and their authors) is not cleaned",
    ),
    (
        0x0080,
        BlockKind::ActiveContent,
        "digitally signed (the signature names the signer; cleaning would break it)",
    ),
    (0x0100, BlockKind::Encrypted, "certificate-encrypted"),
    (
        0x0200,
        BlockKind::ActiveContent,
        "reserved for a digital signature",
    ),
    (0x0400, BlockKind::Encrypted, "certificate DRM-protected"),
    (
        0x4000,
        BlockKind::CannotClean,
        "tracked changes (their authors) are not cleaned",
    ),
];

/// DocInfo record tags ([spec] 4.2): a picture or OLE object, tracked changes and their
/// authors.
const TAG_BIN_DATA: u16 = 0x12;
const TAG_TRACK_CHANGE: u16 = 0x60;
const TAG_TRACK_CHANGE_AUTHOR: u16 = 0x61;

/// Every path may pass the generic check: HWP's own list, with reasons, is in [`clean`].
pub(super) fn known(_path: &str) -> bool {
    true
}

/// Why a path is not cleaned, or `None` when it is one HWP keeps.
fn refused(path: &str) -> Option<(BlockKind, &'static str)> {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let top = parts.next().unwrap_or("");
    let rest = parts.next();
    match (top, rest) {
        (
            "FileHeader" | "DocInfo" | "PrvText" | "PrvImage" | "\u{5}HwpSummaryInformation",
            None,
        ) => None,
        ("BodyText" | "BinData" | "DocOptions" | "Scripts", None) => None,
        ("BodyText", Some(s)) if s.starts_with("Section") => None,
        ("BinData", Some(s))
            if s.starts_with("BIN") && !s.to_ascii_uppercase().ends_with(".OLE") =>
        {
            None
        }
        ("BinData", Some(_)) => Some((
            BlockKind::ActiveContent,
            "an embedded OLE object is not cleaned",
        )),
        ("DocOptions", Some("_LinkDoc")) => None,
        ("Scripts", Some("DefaultJScript" | "JScriptVersion")) => None,
        ("ViewText", _) => Some((
            BlockKind::Encrypted,
            "a distribution document (its body is encrypted)",
        )),
        ("DocHistory", _) => Some((
            BlockKind::CannotClean,
            "a document history (earlier versions and their authors) is not cleaned",
        )),
        ("XMLTemplate", _) => Some((BlockKind::CannotClean, "an XML template is not cleaned")),
        ("DocOptions", Some(_)) => Some((
            BlockKind::Encrypted,
            "DRM, certificate or signature data is not cleaned",
        )),
        _ => Some((
            BlockKind::CannotClean,
            "an unknown storage or stream is not cleaned",
        )),
    }
}

fn inflate(d: &[u8], what: &str) -> Result<Vec<u8>, Blocked> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(d)
        .take(INFLATE_CAP + 1)
        .read_to_end(&mut out)
        .map_err(|e| block!(Damaged, "HWP: {what} does not inflate: {e}"))?;
    if out.len() as u64 > INFLATE_CAP {
        return Err(block!(
            TooLarge,
            "HWP: {what} inflates to more than {} MiB",
            INFLATE_CAP >> 20
        ));
    }
    Ok(out)
}

fn deflate(d: &[u8]) -> Result<Vec<u8>, Blocked> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    z.write_all(d)
        .and_then(|()| z.finish())
        .map_err(|e| block!(CannotClean, "HWP: cannot compress: {e}"))
}

/// One DocInfo record: tag and body.
fn records(d: &[u8]) -> Result<Vec<(u16, &[u8])>, Blocked> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < d.len() {
        let head =
            super::le32(d, at).ok_or_else(|| block!(Damaged, "HWP: DocInfo is truncated"))?;
        let tag = (head & 0x3FF) as u16;
        let mut size = (head >> 20) as usize;
        at += 4;
        if size == 0xFFF {
            size = super::le32(d, at).ok_or_else(|| block!(Damaged, "HWP: DocInfo is truncated"))?
                as usize;
            at += 4;
        }
        let body = at
            .checked_add(size)
            .and_then(|end| d.get(at..end))
            .ok_or_else(|| block!(Damaged, "HWP: a DocInfo record runs past the end"))?;
        out.push((tag, body));
        at += size;
    }
    Ok(out)
}

/// Checks the default script: Hangul writes a stub (`var Documents = XHwpDocuments; ...
/// function OnDocument_New() { //todo : }`) into every file. Anything else is a macro. The
/// stream is a list of strings (a u32 count of UTF-16 units, then the units) ended by
/// 0xFFFFFFFF.
fn check_script(d: &[u8]) -> Result<(), Blocked> {
    let unreadable = || {
        block!(
            ActiveContent,
            "HWP: the script stream is unreadable (not cleaned)"
        )
    };
    let mut text = String::new();
    let mut at = 0usize;
    loop {
        let n = super::le32(d, at).ok_or_else(unreadable)?;
        at += 4;
        if n == u32::MAX {
            break;
        }
        let end = (n as usize)
            .checked_mul(2)
            .and_then(|len| at.checked_add(len))
            .filter(|&e| e <= d.len())
            .ok_or_else(unreadable)?;
        let units = d.get(at..end).unwrap_or_default();
        text.extend(
            char::decode_utf16(
                units
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]])),
            )
            .map(|c| c.unwrap_or('\u{FFFD}')),
        );
        text.push('\n');
        at = end;
    }
    let stub = [
        "var Documents = XHwpDocuments;",
        "var Document = Documents.Active_XHwpDocument;",
        "function OnDocument_New()",
        "{",
        "//todo :",
        "}",
    ];
    if text
        .split(['\r', '\n'])
        .map(str::trim)
        .any(|l| !l.is_empty() && !stub.contains(&l))
    {
        return Err(block!(
            ActiveContent,
            "HWP: scripts (macros) are not cleaned"
        ));
    }
    Ok(())
}

/// Cleans an HWP 5.0 compound file (after its property sets).
pub(super) fn clean(ole: &mut Ole, cx: &Ctx, removed: &mut Vec<String>) -> Result<(), Blocked> {
    let header = ole
        .stream("/FileHeader")
        .ok_or_else(|| block!(Damaged, "HWP: no FileHeader"))?;
    let flags = super::le32(header, 36)
        .ok_or_else(|| block!(Damaged, "HWP: the FileHeader is truncated"))?;
    for (bit, kind, why) in BLOCKING_FLAGS {
        if flags & bit != 0 {
            return Err(Blocked::new(*kind, format!("HWP: {why}")));
        }
    }
    let compressed = flags & 1 != 0;
    for n in &ole.nodes {
        if !n.entry.is_root()
            && let Some((kind, why)) = refused(&n.path)
        {
            return Err(Blocked::new(
                kind,
                format!("HWP: {why} ({})", super::propset::printable(&n.path)),
            ));
        }
    }
    if ole
        .stream("/DocOptions/_LinkDoc")
        .is_some_and(|d| d.len() > 64)
    {
        return Err(block!(
            Damaged,
            "HWP: a linked document (its path is not cleaned)"
        ));
    }
    // DocInfo: the picture list (which are compressed, which are links or OLE objects).
    let doc_info = ole
        .stream("/DocInfo")
        .ok_or_else(|| block!(Damaged, "HWP: no DocInfo stream"))?;
    let doc_info = if compressed {
        inflate(doc_info, "DocInfo")?
    } else {
        doc_info.to_vec()
    };
    cx.check_forbidden(&doc_info, "HWP DocInfo")?;
    let mut stored_compressed = std::collections::BTreeMap::new();
    for (tag, body) in records(&doc_info)? {
        match tag {
            TAG_TRACK_CHANGE | TAG_TRACK_CHANGE_AUTHOR => {
                return Err(block!(
                    CannotClean,
                    "HWP: tracked changes (their authors) are not cleaned"
                ));
            }
            TAG_BIN_DATA => {
                let props = super::le16(body, 0)
                    .ok_or_else(|| block!(Damaged, "HWP: a picture entry is truncated"))?;
                match props & 0x0F {
                    0 => {
                        return Err(block!(
                            Damaged,
                            "HWP: a linked picture (its file path is not cleaned)"
                        ));
                    }
                    2 => {
                        return Err(block!(
                            ActiveContent,
                            "HWP: an embedded OLE object is not cleaned"
                        ));
                    }
                    _ => {}
                }
                let id = super::le16(body, 2)
                    .ok_or_else(|| block!(Damaged, "HWP: a picture entry is truncated"))?;
                let store = match (props >> 4) & 0x03 {
                    1 => true,
                    2 => false,
                    _ => compressed,
                };
                stored_compressed.insert(format!("BIN{id:04X}"), store);
            }
            _ => {}
        }
    }
    if let Some(script) = ole.stream("/Scripts/DefaultJScript") {
        let script = if compressed {
            inflate(script, "the default script")?
        } else {
            script.to_vec()
        };
        check_script(&script)?;
    }
    if ole.stream("/PrvImage").is_some_and(|d| !d.is_empty()) {
        if let Some(d) = ole.stream_mut("/PrvImage") {
            d.clear();
        }
        removed.push("HWP preview image (PrvImage)".into());
    }
    for path in ole.stream_paths() {
        if path.starts_with("/BodyText/") && !cx.cfg.forbidden.is_empty() {
            let body = ole.stream(&path).unwrap_or_default();
            let text = if compressed {
                inflate(body, "the body")?
            } else {
                body.to_vec()
            };
            cx.check_forbidden(&text, &format!("HWP {}", path.trim_start_matches('/')))?;
        }
        if let Some(name) = path.strip_prefix("/BinData/") {
            let key = name.split('.').next().unwrap_or("").to_ascii_uppercase();
            let store = stored_compressed.get(&key).copied().unwrap_or(compressed);
            let raw = ole.stream(&path).unwrap_or_default();
            let picture = if store {
                inflate(raw, name)?
            } else {
                raw.to_vec()
            };
            let mut sub = Vec::new();
            let (_, result) = cx.clean_member(name, &picture, &mut sub);
            let cleaned = result.map_err(|b| block!(inherit b, "HWP: picture {name}: {b}"))?;
            cx.check_forbidden(&cleaned, &format!("HWP picture {name}"))?;
            if cleaned != picture {
                let new = if store { deflate(&cleaned)? } else { cleaned };
                if let Some(d) = ole.stream_mut(&path) {
                    *d = new;
                }
                removed.extend(sub.into_iter().map(|r| format!("HWP picture {name}: {r}")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn script(parts: &[&str]) -> Vec<u8> {
        let mut d = Vec::new();
        for p in parts {
            let u = utf16(p);
            d.extend_from_slice(&((u.len() / 2) as u32).to_le_bytes());
            d.extend_from_slice(&u);
        }
        d.extend_from_slice(&u32::MAX.to_le_bytes());
        d
    }

    #[test]
    fn default_script_passes_anything_else_blocks() {
        let mut empty = vec![0u8; 16];
        empty.extend_from_slice(&u32::MAX.to_le_bytes());
        check_script(&empty).unwrap();
        check_script(&script(&[
            "var Documents = XHwpDocuments;\r\nvar Document = Documents.Active_XHwpDocument;\r\n",
            "function OnDocument_New()\r\n{\r\n\t//todo : \r\n}\r\n\r\n",
            "",
            "",
        ]))
        .unwrap();
        let mac = "function OnDocument_Open()\r\n{\r\n\tDocument.Run(\"x\");\r\n}";
        assert!(check_script(&script(&["", mac])).is_err());
        assert!(check_script(&[0xFF, 0, 0, 0, 1]).is_err());
    }

    #[test]
    fn paths_are_sorted_into_kept_and_refused() {
        assert_eq!(refused("/BodyText/Section0"), None);
        assert_eq!(refused("/BinData/BIN0001.jpg"), None);
        assert!(refused("/BinData/BIN0002.OLE").is_some());
        assert!(
            refused("/DocHistory/VersionLog0")
                .unwrap()
                .1
                .contains("history")
        );
        assert!(
            refused("/ViewText/Section0")
                .unwrap()
                .1
                .contains("distribution")
        );
        assert!(refused("/Other").is_some());
    }

    #[test]
    fn records_are_bounded() {
        let mut d = Vec::new();
        d.extend_from_slice(&((3u32 << 20) | 0x12).to_le_bytes());
        d.extend_from_slice(&[1, 2, 3]);
        let r = records(&d).unwrap();
        assert_eq!(r, vec![(0x12, &[1u8, 2, 3][..])]);
        d.extend_from_slice(&((0xFFFu32 << 20) | 0x13).to_le_bytes());
        d.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(records(&d).is_err());
    }
}

#[cfg(test)]
mod file_tests {
    use super::super::tests::{build, summary_with_author};
    use super::*;
    use crate::config::Config;

    fn header(flags: u32) -> Vec<u8> {
        let mut h = b"HWP Document File".to_vec();
        h.resize(32, 0);
        h.extend_from_slice(&0x0505_0114u32.to_le_bytes());
        h.extend_from_slice(&flags.to_le_bytes());
        h.resize(256, 0);
        h
    }

    fn record(tag: u16, body: &[u8]) -> Vec<u8> {
        let mut r = ((body.len() as u32) << 20 | u32::from(tag))
            .to_le_bytes()
            .to_vec();
        r.extend_from_slice(body);
        r
    }

    /// A picture entry of DocInfo: embedded (type 1), compressed as the file, id `id`, "jpg".
    fn bin_data(id: u16) -> Vec<u8> {
        let mut b = 1u16.to_le_bytes().to_vec();
        b.extend_from_slice(&id.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        for c in "jpg".encode_utf16() {
            b.extend_from_slice(&c.to_le_bytes());
        }
        record(TAG_BIN_DATA, &b)
    }

    /// A JPEG with an EXIF segment naming a camera owner.
    fn jpeg_with_exif() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        let exif = b"Exif\0\0MM\0*\0\0\0\x08\0\0Kim Chol camera";
        j.extend_from_slice(&[0xFF, 0xE1]);
        j.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        j.extend_from_slice(exif);
        // A minimal baseline frame (1x1, one component) and its scan: enough for the
        // segment walker, which wants the frame header before the scan.
        j.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
        j.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
        j
    }

    fn run(d: &[u8]) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut removed = vec![];
        super::super::clean(d, &cx, &mut removed).map(|o| (o, removed))
    }

    #[test]
    fn planted_hwp_is_cleaned_and_its_body_kept() {
        let doc_info = deflate(&bin_data(1)).unwrap();
        let body = deflate(
            "새바람 본문"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>()
                .as_slice(),
        )
        .unwrap();
        let picture = deflate(&jpeg_with_exif()).unwrap();
        let mut empty_script = vec![0u8; 16];
        empty_script.extend_from_slice(&u32::MAX.to_le_bytes());
        let summary = summary_with_author("Kim Chol");
        let file = build(&[
            ("/FileHeader", &header(1)),
            ("/DocInfo", &doc_info),
            ("/BodyText/Section0", &body),
            ("/\u{5}HwpSummaryInformation", &summary),
            ("/PrvImage", b"\x89PNG preview of the first page"),
            (
                "/PrvText",
                &"새바람"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<_>>(),
            ),
            ("/BinData/BIN0001.jpg", &picture),
            ("/Scripts/DefaultJScript", &deflate(&empty_script).unwrap()),
        ]);
        let (out, removed) = run(&file).unwrap();
        let again = super::super::read(&out).unwrap();
        assert_eq!(again.stream("/BodyText/Section0"), Some(body.as_slice()));
        assert_eq!(again.stream("/PrvImage"), Some(&[][..]));
        let pic = inflate(again.stream("/BinData/BIN0001.jpg").unwrap(), "pic").unwrap();
        assert!(
            !pic.windows(3).any(|w| w == b"Kim"),
            "EXIF left in the picture"
        );
        assert!(!out.windows(3).any(|w| w == b"Kim"));
        assert!(
            removed.iter().any(|r| r.contains("HwpSummaryInformation")),
            "{removed:?}"
        );
        assert!(removed.iter().any(|r| r.contains("BIN0001")), "{removed:?}");
        assert_eq!(run(&out).unwrap().0, out, "not idempotent");

        for (flags, why) in [
            (0x3, "password"),
            (0x41, "history"),
            (0x4001, "tracked"),
            (0x9, "scripts"),
        ] {
            let f = build(&[("/FileHeader", &header(flags)), ("/DocInfo", &doc_info)]);
            assert!(run(&f).unwrap_err().reason.contains(why), "{why}");
        }
        let linked = {
            let mut b = 0u16.to_le_bytes().to_vec();
            b.extend_from_slice(&[0; 8]);
            deflate(&record(TAG_BIN_DATA, &b)).unwrap()
        };
        let f = build(&[("/FileHeader", &header(1)), ("/DocInfo", &linked)]);
        assert!(run(&f).unwrap_err().reason.contains("linked picture"));
        let f = build(&[
            ("/FileHeader", &header(1)),
            ("/DocInfo", &doc_info),
            ("/DocHistory/VersionLog0", b"x"),
        ]);
        assert!(run(&f).unwrap_err().reason.contains("history"));
        let f = build(&[
            ("/FileHeader", &header(1)),
            ("/DocInfo", b"not deflate \xFF\xFF"),
        ]);
        assert!(run(&f).is_err());
    }
}
