//! OLE property sets (MS-OLEPS): the `\x05SummaryInformation`, `\x05DocumentSummaryInformation`
//! and `\x05HwpSummaryInformation` streams that hold a document's title, subject, author, last
//! author, company, manager, keywords, comments, template, dates, editing time, the thumbnail
//! and any custom properties.
//!
//! A cleaned stream is a property set with one section (the first section's format ID, so
//! readers still recognise it) holding only the code page: no value at all. The second
//! section of `DocumentSummaryInformation` (custom properties) is dropped.

use crate::error::{Blocked, block};

/// The code page written when the original cannot be read (Windows-1252, what Office uses).
const DEFAULT_CODEPAGE: u16 = 1252;

/// Format ID of `SummaryInformation` (FMTID_SummaryInformation).
pub(super) const FMTID_SUMMARY: [u8; 16] = [
    0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
];

fn le16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// What an existing property-set stream holds, as far as the empty replacement needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    /// The first section's format ID.
    pub fmtid: [u8; 16],
    /// The code page property of the first section, when present.
    pub codepage: Option<u16>,
    /// Number of properties in the first section.
    pub properties: u32,
    /// Number of sections (2 when custom properties follow).
    pub sections: u32,
}

/// Reads the header of a property-set stream. `None` when it is not one.
pub(super) fn read_header(d: &[u8]) -> Option<Header> {
    if le16(d, 0)? != 0xFFFE {
        return None;
    }
    let sections = le32(d, 24)?;
    if sections == 0 || sections > 2 {
        return None;
    }
    let fmtid: [u8; 16] = d.get(28..44)?.try_into().ok()?;
    let section = usize::try_from(le32(d, 44)?).ok()?;
    let size = usize::try_from(le32(d, section)?).ok()?;
    if section.checked_add(size)? > d.len() {
        return None;
    }
    let properties = le32(d, section + 4)?;
    let mut codepage = None;
    for i in 0..usize::try_from(properties.min(4096)).ok()? {
        let at = section + 8 + 8 * i;
        if le32(d, at)? == 1 {
            let value = section.checked_add(usize::try_from(le32(d, at + 4)?).ok()?)?;
            if le16(d, value)? == 0x0002 {
                codepage = le16(d, value + 4);
            }
        }
    }
    Some(Header {
        fmtid,
        codepage,
        properties,
        sections,
    })
}

/// A property-set stream with one section of format `fmtid` holding only the code page.
pub(super) fn empty(fmtid: [u8; 16], codepage: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(72);
    out.extend_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
    out.extend_from_slice(&0u16.to_le_bytes()); // version 0
    out.extend_from_slice(&0u32.to_le_bytes()); // system identifier (must be ignored)
    out.extend_from_slice(&[0u8; 16]); // CLSID
    out.extend_from_slice(&1u32.to_le_bytes()); // one section
    out.extend_from_slice(&fmtid);
    out.extend_from_slice(&48u32.to_le_bytes()); // the section follows the header
    // Section: size, one property (id 1, the code page, at offset 16), VT_I2 value.
    out.extend_from_slice(&24u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&0x0002u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&codepage.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The replacement for property-set stream `name` with bytes `d`, and what it held (for the
/// report), or `None` when `d` already is the empty set.
pub(super) fn clean(name: &str, d: &[u8]) -> Result<Option<(Vec<u8>, String)>, Blocked> {
    let header = read_header(d);
    let fmtid = match header {
        Some(h) => h.fmtid,
        None if d.is_empty() => return Ok(None),
        None if name == "\u{5}SummaryInformation" => FMTID_SUMMARY,
        None => {
            return Err(block!(
                Damaged,
                "OLE: stream {} is not a property set (not cleaned)",
                printable(name)
            ));
        }
    };
    let codepage = header.and_then(|h| h.codepage).unwrap_or(DEFAULT_CODEPAGE);
    let new = empty(fmtid, codepage);
    if new == d {
        return Ok(None);
    }
    let what = match header {
        Some(h) if h.sections > 1 => format!(
            "{}: {} properties and the custom properties",
            printable(name),
            h.properties.saturating_sub(1)
        ),
        Some(h) => format!(
            "{}: {} properties",
            printable(name),
            h.properties.saturating_sub(1)
        ),
        None => format!("{}: unreadable property set", printable(name)),
    };
    Ok(Some((new, what)))
}

/// A stream or storage name with control characters shown (`\x05SummaryInformation`).
pub(super) fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\x{:02X}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_set_reads_back_and_is_idempotent() {
        let e = empty(FMTID_SUMMARY, 949);
        let h = read_header(&e).unwrap();
        assert_eq!(h.fmtid, FMTID_SUMMARY);
        assert_eq!(h.codepage, Some(949));
        assert_eq!(h.properties, 1);
        assert!(clean("\u{5}SummaryInformation", &e).unwrap().is_none());
        let (again, what) = clean("\u{5}SummaryInformation", &[0xFE, 0xFF, 0, 0])
            .unwrap()
            .unwrap();
        assert_eq!(again, empty(FMTID_SUMMARY, DEFAULT_CODEPAGE));
        assert!(what.contains("unreadable"));
        assert!(clean("\u{5}Other", b"garbage").is_err());
    }
}
