//! PowerPoint 97-2003 (PPT): the names PowerPoint keeps outside the property sets
//! ([MS-PPT] 2.3, 2.13):
//! - `Current User` stream: the user name of whoever saved last (CurrentUserAtom, ANSI and
//!   Unicode copies). Rewritten with an empty name; the atom's other fields are kept.
//! - Comments (Comment10Container) and the comment-author list (CommentIndex10Container) in
//!   the `PowerPoint Document` stream: author names and initials become spaces of the same
//!   length, comment times are cleared. In place, so the persist directory's offsets stay
//!   valid. Every record is walked, including those of older edits a fast save left behind.
//!
//! Blocked: encrypted presentations, embedded OLE objects (ExOleObjStg, which also carries a
//! VBA project), VBA information, pictures with metadata in the `Pictures` stream.

use super::{App, Ole, fill, le16, le32, put16, put32, refuse_picture_metadata};
use crate::error::{Blocked, block};

const CURRENT_USER_ATOM: u16 = 0x0FF6;
const HEADER_TOKEN: u32 = 0xE391_C05F;
const CSTRING: u16 = 0x0FBA;
const COMMENT10: u16 = 0x2EE0;
const COMMENT10_ATOM: u16 = 0x2EE1;
const COMMENT_INDEX10: u16 = 0x2EE4;
const EX_OLE_OBJ_STG: u16 = 0x1011;
const VBA_INFO: u16 = 0x03FF;
/// RT_BinaryTagDataBlob: the body of a `___PPT10` programmable tag (where PowerPoint 2002+
/// and LibreOffice keep slide comments). Its header says version 0, but its body is a
/// sequence of records, so it is walked like a container.
const BINARY_TAG_DATA_BLOB: u16 = 0x138B;
/// VBAInfoAtom: persistIdRef, fHasMacros, version.
const VBA_INFO_ATOM: u16 = 0x0400;
const CRYPT_SESSION10: u16 = 0x2F14;

/// Deepest nesting of containers walked.
const MAX_DEPTH: u32 = 32;

/// The `Current User` stream with an empty user name, or `None` when it already has none.
fn clean_current_user(d: &[u8]) -> Result<Option<Vec<u8>>, Blocked> {
    let bad = || block!(Damaged, "PPT: the Current User stream is malformed");
    if le16(d, 2) != Some(CURRENT_USER_ATOM) {
        return Err(bad());
    }
    let token = le32(d, 12).ok_or_else(bad)?;
    if token != HEADER_TOKEN {
        return Err(block!(
            Encrypted,
            "PPT: an encrypted presentation (cannot be cleaned without the password)"
        ));
    }
    let name_len = usize::from(le16(d, 20).ok_or_else(bad)?);
    let rel_version_at = 28 + name_len;
    let rel_version = le32(d, rel_version_at).ok_or_else(bad)?;
    if name_len == 0 && d.len() == 32 {
        return Ok(None);
    }
    // Header (8), size, token, offsetToCurrentEdit, lenUserName = 0, docFileVersion,
    // major/minor version, unused (28 bytes in all), relVersion; no Unicode name.
    let mut out = d.get(..28).ok_or_else(bad)?.to_vec();
    put32(&mut out, 4, 24).ok_or_else(bad)?;
    put16(&mut out, 20, 0).ok_or_else(bad)?;
    out.extend_from_slice(&rel_version.to_le_bytes());
    Ok(Some(out))
}

#[derive(Default)]
struct Found {
    names: usize,
    times: usize,
}

/// Walks the records of `d[from..to]`; `comment` is true inside a comment container.
fn walk(
    d: &mut [u8],
    from: usize,
    to: usize,
    depth: u32,
    comment: bool,
    found: &mut Found,
) -> Result<(), Blocked> {
    if depth > MAX_DEPTH {
        return Err(block!(
            TooLarge,
            "PPT: records nested deeper than {MAX_DEPTH}"
        ));
    }
    let mut at = from;
    while at + 8 <= to {
        let ver_inst = le16(d, at).unwrap_or(0);
        let kind = le16(d, at + 2).unwrap_or(0);
        let len = le32(d, at + 4).unwrap_or(0) as usize;
        let body = at + 8;
        let end = body.checked_add(len).filter(|&e| e <= to).ok_or_else(|| {
            block!(
                Damaged,
                "PPT: record {kind:#06x} at byte {at} runs past its container"
            )
        })?;
        match kind {
            EX_OLE_OBJ_STG => {
                return Err(block!(
                    ActiveContent,
                    "PPT: an embedded OLE object or VBA project (ExOleObjStg) is not cleaned"
                ));
            }
            VBA_INFO if !vba_info_is_empty(d, body, end) => {
                return Err(block!(
                    ActiveContent,
                    "PPT: macros (a VBA project) are not cleaned"
                ));
            }
            CRYPT_SESSION10 => {
                return Err(block!(
                    Encrypted,
                    "PPT: an encrypted presentation (cannot be cleaned without the password)"
                ));
            }
            _ => {}
        }
        if ver_inst & 0x000F == 0x000F || kind == BINARY_TAG_DATA_BLOB {
            let inner = comment || kind == COMMENT10 || kind == COMMENT_INDEX10;
            walk(d, body, end, depth + 1, inner, found)?;
        } else if comment && kind == CSTRING && (ver_inst >> 4) != 1 {
            // Instance 0: author name; 1: comment text (kept); 2: initials.
            let s = d.get_mut(body..end).unwrap_or_default();
            if s.chunks(2).any(|c| c != [b' ', 0]) {
                for c in s.chunks_mut(2) {
                    c.copy_from_slice(&[b' ', 0][..c.len()]);
                }
                found.names += 1;
            }
        } else if comment && kind == COMMENT10_ATOM && len >= 20 {
            // nIndex, then the comment's date and time (16 bytes).
            if d.get(body + 4..body + 20)
                .is_some_and(|t| t.iter().any(|&b| b != 0))
            {
                fill(d, body + 4, 16, 0);
                found.times += 1;
            }
        }
        at = end;
    }
    Ok(())
}

/// Whether a VBAInfoContainer (`d[body..end]`) says there is no VBA project: its
/// VBAInfoAtom (0x0400) refers to no persist object and has `fHasMacros` 0. LibreOffice
/// writes such an empty container into every presentation; anything else (a reference to
/// the project storage, macros, an unexpected shape) counts as macros.
fn vba_info_is_empty(d: &[u8], body: usize, end: usize) -> bool {
    let (Some(kind), Some(len)) = (le16(d, body + 2), le32(d, body + 4)) else {
        return false;
    };
    kind == VBA_INFO_ATOM
        && len >= 8
        && body + 8 + len as usize == end
        && le32(d, body + 8) == Some(0)
        && le32(d, body + 12) == Some(0)
}

/// Cleans the `Current User` and `PowerPoint Document` streams.
pub(super) fn clean(ole: &mut Ole, removed: &mut Vec<String>) -> Result<(), Blocked> {
    refuse_picture_metadata(App::PowerPoint, ole, "/Pictures")?;
    let Some(current) = ole.stream("/Current User") else {
        return Err(block!(Damaged, "PPT: no Current User stream"));
    };
    if let Some(new) = clean_current_user(current)? {
        if let Some(s) = ole.stream_mut("/Current User") {
            *s = new;
        }
        removed.push("PPT user name (Current User)".into());
    }
    let Some(doc) = ole.stream_mut("/PowerPoint Document") else {
        return Err(block!(Damaged, "PPT: no PowerPoint Document stream"));
    };
    let mut found = Found::default();
    let len = doc.len();
    walk(doc, 0, len, 0, false, &mut found)?;
    if found.names > 0 {
        removed.push(format!(
            "PPT comment authors and initials ({})",
            found.names
        ));
    }
    if found.times > 0 {
        removed.push(format!("PPT comment times ({})", found.times));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DocumentContainer holding a VBAInfoContainer whose atom has `persist` and `macros`.
    fn document_with_vba_info(persist: u32, macros: u32) -> Vec<u8> {
        let mut atom = vec![0x00, 0x02, 0x00, 0x04, 12, 0, 0, 0];
        atom.extend_from_slice(&persist.to_le_bytes());
        atom.extend_from_slice(&macros.to_le_bytes());
        atom.extend_from_slice(&1u32.to_le_bytes());
        let mut info = vec![0x0F, 0x00, 0xFF, 0x03];
        info.extend_from_slice(&(atom.len() as u32).to_le_bytes());
        info.extend_from_slice(&atom);
        let mut doc = vec![0x0F, 0x00, 0xE8, 0x03];
        doc.extend_from_slice(&(info.len() as u32).to_le_bytes());
        doc.extend_from_slice(&info);
        doc
    }

    #[test]
    fn an_empty_vba_info_as_libreoffice_writes_it_passes_and_a_real_one_blocks() {
        let mut found = Found::default();
        let mut empty = document_with_vba_info(0, 0);
        let len = empty.len();
        assert!(walk(&mut empty, 0, len, 0, false, &mut found).is_ok());
        for (persist, macros) in [(0, 1), (5, 0), (5, 1)] {
            let mut d = document_with_vba_info(persist, macros);
            let len = d.len();
            let err = walk(&mut d, 0, len, 0, false, &mut found).unwrap_err();
            assert!(err.to_string().contains("macros"), "{err}");
        }
        // A container whose atom is cut short is not "empty".
        let mut short = document_with_vba_info(0, 0);
        short.truncate(short.len() - 4);
        let n = short.len();
        short[4..8].copy_from_slice(&((n - 8) as u32).to_le_bytes());
        short[12..16].copy_from_slice(&((n - 16) as u32).to_le_bytes());
        assert!(walk(&mut short, 0, n, 0, false, &mut found).is_err());
    }

    #[test]
    fn current_user_loses_its_name() {
        // As LibreOffice writes it: the name "Current User", no Unicode copy.
        let mut d = vec![0, 0, 0xF6, 0x0F, 36, 0, 0, 0, 0x14, 0, 0, 0];
        d.extend_from_slice(&HEADER_TOKEN.to_le_bytes());
        d.extend_from_slice(&0x247Eu32.to_le_bytes());
        d.extend_from_slice(&12u16.to_le_bytes());
        d.extend_from_slice(&[0xF4, 0x03, 3, 0, 0, 0]);
        d.extend_from_slice(b"Current User");
        d.extend_from_slice(&8u32.to_le_bytes());
        let out = clean_current_user(&d).unwrap().unwrap();
        assert_eq!(out.len(), 32);
        assert_eq!(le32(&out, 4), Some(24));
        assert_eq!(le16(&out, 20), Some(0));
        assert_eq!(le32(&out, 16), Some(0x247E));
        assert_eq!(le32(&out, 28), Some(8));
        assert_eq!(clean_current_user(&out).unwrap(), None);
        assert!(clean_current_user(&d[..30]).is_err());
        let mut enc = d.clone();
        enc[12..16].copy_from_slice(&0xF3D1_C4DFu32.to_le_bytes());
        assert!(
            clean_current_user(&enc)
                .unwrap_err()
                .reason
                .contains("encrypted")
        );
    }

    #[test]
    fn comment_authors_become_spaces() {
        let rec = |ver_inst: u16, kind: u16, body: &[u8]| {
            let mut r = ver_inst.to_le_bytes().to_vec();
            r.extend_from_slice(&kind.to_le_bytes());
            r.extend_from_slice(&(body.len() as u32).to_le_bytes());
            r.extend_from_slice(body);
            r
        };
        let utf16 = |s: &str| {
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let mut inner = rec(0x0000, CSTRING, &utf16("Kim"));
        inner.extend(rec(0x0010, CSTRING, &utf16("text stays")));
        inner.extend(rec(0x0020, CSTRING, &utf16("KC")));
        let mut atom = vec![1, 0, 0, 0];
        atom.extend_from_slice(&[0xE8, 0x07, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 0, 0]);
        atom.extend_from_slice(&[0; 8]);
        inner.extend(rec(0x0000, COMMENT10_ATOM, &atom));
        let mut d = rec(0x000F, COMMENT10, &inner);
        let len = d.len();
        let mut found = Found::default();
        walk(&mut d, 0, len, 0, false, &mut found).unwrap();
        assert_eq!((found.names, found.times), (2, 1));
        // As LibreOffice 7.4 writes it: the comment inside a slide's PPT10 binary tag
        // (ProgTags > ProgBinaryTag > BinaryTagDataBlob, the blob's header version 0).
        let mut fresh = rec(0x0000, CSTRING, &utf16("Kim"));
        fresh.extend(rec(0x0020, CSTRING, &utf16("KC")));
        let blob = rec(
            0x0000,
            BINARY_TAG_DATA_BLOB,
            &rec(0x000F, COMMENT10, &fresh),
        );
        let mut tags = rec(0x000F, 0x1388, &rec(0x000F, 0x138A, &blob));
        let l = tags.len();
        let mut found = Found::default();
        walk(&mut tags, 0, l, 0, false, &mut found).unwrap();
        assert_eq!(found.names, 2);
        assert!(
            !String::from_utf8_lossy(&tags)
                .replace('\0', "")
                .contains("Kim")
        );
        let s = String::from_utf8_lossy(&d).replace('\0', "");
        assert!(
            s.contains("text stays") && !s.contains("Kim") && !s.contains("KC"),
            "{s}"
        );
        let mut short = d.clone();
        short.truncate(len - 3);
        let l = short.len();
        assert!(walk(&mut short, 0, l, 0, false, &mut Found::default()).is_err());
        let mut ole = rec(0x0000, EX_OLE_OBJ_STG, b"x");
        let l = ole.len();
        assert!(walk(&mut ole, 0, l, 0, false, &mut Found::default()).is_err());
    }
}
