//! Excel 97-2003 (XLS, BIFF8): the names Excel keeps in records of the `Workbook` stream,
//! found by walking its records ([MS-XLS] 2.4). Each is rewritten in place with the same
//! length, so the stream offsets in BOUNDSHEET8, INDEX and DBCELL stay valid:
//! - WRITEACCESS (0x005C): the user name of whoever saved last; emptied (spaces, as Excel pads).
//! - NOTE (0x001C): the author of each cell comment; its characters become spaces.
//! - FILESHARING (0x005B): the user who set a read-only recommendation; spaces.
//!
//! Blocked: an encrypted workbook (FILEPASS), a workbook that is not BIFF8, pictures with
//! metadata in the drawing records.

use super::{App, Ole, fill, le16, refuse_picture_metadata};
use crate::error::{Blocked, block};

const BOF: u16 = 0x0809;
const FILEPASS: u16 = 0x002F;
const WRITEACCESS: u16 = 0x005C;
const NOTE: u16 = 0x001C;
const FILESHARING: u16 = 0x005B;

/// Turns the characters of the XLUnicodeString at `d[at..]` (cch, fHighByte, characters) into
/// spaces, keeping its length. Returns whether any was not a space already.
fn blank_string(d: &mut [u8], at: usize) -> Option<bool> {
    let cch = usize::from(le16(d, at)?);
    let high = d.get(at + 2)? & 1 != 0;
    let chars = at + 3;
    let len = if high { 2 * cch } else { cch };
    let s = d.get_mut(chars..chars.checked_add(len)?)?;
    let mut changed = false;
    for (i, b) in s.iter_mut().enumerate() {
        let want = if high && i % 2 == 1 { 0 } else { b' ' };
        if *b != want {
            *b = want;
            changed = true;
        }
    }
    Some(changed)
}

/// Cleans the `Workbook` stream.
pub(super) fn clean(ole: &mut Ole, removed: &mut Vec<String>) -> Result<(), Blocked> {
    refuse_picture_metadata(App::Excel, ole, "/Workbook")?;
    let Some(wb) = ole.stream_mut("/Workbook") else {
        return Err(block!(Damaged, "XLS: no Workbook stream"));
    };
    if le16(wb, 0) != Some(BOF) || le16(wb, 4) != Some(0x0600) {
        return Err(block!(
            CannotClean,
            "XLS: the Workbook stream is not BIFF8 (Excel 97-2003); older workbooks are not supported"
        ));
    }
    let (mut user, mut authors, mut sharing) = (false, 0usize, false);
    let mut at = 0usize;
    while at + 4 <= wb.len() {
        let kind = le16(wb, at).unwrap_or(0);
        let size = usize::from(le16(wb, at + 2).unwrap_or(0));
        let data = at + 4;
        if data + size > wb.len() {
            return Err(block!(
                Damaged,
                "XLS: record {kind:#06x} at byte {at} runs past the end of the Workbook stream"
            ));
        }
        let bad = || block!(Damaged, "XLS: malformed record {kind:#06x} at byte {at}");
        match kind {
            FILEPASS => {
                return Err(block!(
                    Encrypted,
                    "XLS: an encrypted workbook (cannot be cleaned without the password)"
                ));
            }
            WRITEACCESS if size >= 3 => {
                // userName (XLUnicodeString), then spaces up to 112 bytes.
                let was_empty = le16(wb, data) == Some(0)
                    && wb
                        .get(data + 3..data + size)
                        .is_some_and(|r| r.iter().all(|&b| b == b' '));
                if !was_empty {
                    fill(wb, data, 3, 0).ok_or_else(bad)?;
                    fill(wb, data + 3, size - 3, b' ').ok_or_else(bad)?;
                    user = true;
                }
            }
            NOTE if size >= 11 => {
                let record = wb.get_mut(data..data + size).ok_or_else(bad)?;
                if blank_string(record, 8).ok_or_else(bad)? {
                    authors += 1;
                }
            }
            FILESHARING if size >= 7 => {
                let record = wb.get_mut(data..data + size).ok_or_else(bad)?;
                if blank_string(record, 4).ok_or_else(bad)? {
                    sharing = true;
                }
            }
            _ => {}
        }
        at = data + size;
    }
    if user {
        removed.push("XLS user name (WRITEACCESS)".into());
    }
    if authors > 0 {
        removed.push(format!("XLS comment authors ({authors})"));
    }
    if sharing {
        removed.push("XLS file-sharing user name".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_strings_become_spaces_of_the_same_length() {
        let mut d = vec![0u8; 4];
        d.extend_from_slice(&[3, 0, 1, b'K', 0, b'i', 0, b'm', 0, 0xAA]);
        assert_eq!(blank_string(&mut d, 4), Some(true));
        assert_eq!(&d[4..], &[3, 0, 1, b' ', 0, b' ', 0, b' ', 0, 0xAA]);
        assert_eq!(blank_string(&mut d, 4), Some(false));
        assert_eq!(blank_string(&mut d[..8], 4), None);
    }
}
