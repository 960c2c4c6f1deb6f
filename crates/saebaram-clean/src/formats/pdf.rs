//! PDF with `lopdf`: drop the trailer /Info and /ID, XMP /Metadata streams (document, page,
//! image), /PieceInfo, /LastModified, embedded files (/Names /EmbeddedFiles), annotation
//! authors and dates; prune what became unreachable, and write a fresh file (one xref, no
//! incremental update, so no older revision survives). Content streams are copied as they are,
//! so the text and drawing of every page are unchanged. Encrypted PDFs and file-attachment
//! annotations are blocked.

use std::io::Read;

use lopdf::{Document, Object};

use super::Ctx;
use crate::error::{Blocked, block};

const STREAM_SCAN_LIMIT: u64 = 256 << 20;

fn is_name(o: Option<&Object>, name: &[u8]) -> bool {
    matches!(o, Some(Object::Name(n)) if n == name)
}

/// Cleans a PDF.
pub(crate) fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let tail = d.get(d.len().saturating_sub(2048)..).unwrap_or_default();
    if !tail.windows(9).any(|w| w == b"startxref") || !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(block!(
            Damaged,
            "PDF: no startxref/%%EOF at the end (truncated?)"
        ));
    }
    let mut doc = Document::load_mem(d).map_err(|e| block!(Damaged, "PDF: cannot parse: {e}"))?;
    if doc.get_pages().is_empty() {
        return Err(block!(Damaged, "PDF: no pages"));
    }
    if doc.is_encrypted() || doc.trailer.has(b"Encrypt") {
        return Err(block!(
            Encrypted,
            "PDF: encrypted (cannot be cleaned without decrypting)"
        ));
    }
    for key in [b"Info".as_slice(), b"ID"] {
        if doc.trailer.remove(key).is_some() {
            removed.push(format!("trailer /{}", String::from_utf8_lossy(key)));
        }
    }
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| block!(Damaged, "PDF: no /Root catalog"))?;
    // Embedded files in the name tree.
    let names_ref = match doc
        .get_dictionary(root)
        .ok()
        .and_then(|c| c.get(b"Names").ok())
    {
        Some(Object::Reference(r)) => Some(*r),
        _ => None,
    };
    let names_dict = match names_ref {
        Some(r) => doc.get_dictionary_mut(r).ok(),
        None => doc
            .get_dictionary_mut(root)
            .ok()
            .and_then(|c| c.get_mut(b"Names").ok())
            .and_then(|o| o.as_dict_mut().ok()),
    };
    if let Some(names) = names_dict
        && names.remove(b"EmbeddedFiles").is_some()
    {
        removed.push("embedded files".into());
    }
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for object in doc.objects.values_mut() {
        let dict = match object {
            Object::Dictionary(dict) => dict,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        for (key, label) in [
            (b"Metadata".as_slice(), "XMP metadata"),
            (b"PieceInfo", "PieceInfo"),
            (b"LastModified", "LastModified date"),
            (b"AF", "associated files"),
        ] {
            if dict.remove(key).is_some() {
                *counts.entry(label).or_default() += 1;
            }
        }
        let is_annot =
            is_name(dict.get(b"Type").ok(), b"Annot") || dict.has(b"Subtype") && dict.has(b"Rect");
        let widget_or_link = is_name(dict.get(b"Subtype").ok(), b"Widget")
            || is_name(dict.get(b"Subtype").ok(), b"Link");
        if is_annot && !widget_or_link {
            for key in [b"T".as_slice(), b"M", b"CreationDate"] {
                if dict.remove(key).is_some() {
                    *counts.entry("annotation author/date").or_default() += 1;
                }
            }
        }
    }
    for (label, n) in counts {
        removed.push(format!("{label} ({n})"));
    }
    doc.prune_objects();
    for object in doc.objects.values() {
        let dict = match object {
            Object::Dictionary(dict) => dict,
            Object::Stream(s) => &s.dict,
            _ => continue,
        };
        if is_name(dict.get(b"Type").ok(), b"EmbeddedFile")
            || dict.has(b"EF")
            || is_name(dict.get(b"Subtype").ok(), b"FileAttachment")
        {
            return Err(block!(
                ActiveContent,
                "PDF: has a file attachment outside the embedded-files tree (not cleaned)"
            ));
        }
    }
    if !cx.cfg.forbidden.is_empty() {
        let mut budget = STREAM_SCAN_LIMIT;
        for (id, object) in &doc.objects {
            let Object::Stream(s) = object else { continue };
            let flate = is_name(s.dict.get(b"Filter").ok(), b"FlateDecode");
            let data = if flate {
                let mut out = Vec::new();
                let mut z = flate2::read::ZlibDecoder::new(s.content.as_slice()).take(budget + 1);
                // A stream that does not inflate is scanned raw.
                if z.read_to_end(&mut out).is_err() {
                    out = s.content.clone();
                }
                budget = budget.saturating_sub(out.len() as u64);
                if budget == 0 {
                    return Err(block!(
                        TooLarge,
                        "PDF: streams inflate to more than {STREAM_SCAN_LIMIT} bytes"
                    ));
                }
                out
            } else {
                s.content.clone()
            };
            cx.check_forbidden(&data, &format!("PDF stream {} {}", id.0, id.1))?;
        }
    }
    let mut out = Vec::with_capacity(d.len());
    doc.save_to(&mut out)
        .map_err(|e| block!(CannotClean, "PDF: cannot write: {e}"))?;
    Ok(out)
}
