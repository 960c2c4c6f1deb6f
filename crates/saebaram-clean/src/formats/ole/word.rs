//! Word 97-2003 (DOC): the names and dates Word keeps outside the property sets, found
//! through the FIB (File Information Block) at the start of the `WordDocument` stream, which
//! points (offset, length) into the table stream (`1Table` or `0Table`). Offsets and field
//! order from [MS-DOC] 2.5 (FibRgFcLcb97 to FibRgFcLcb2003) and 2.7 (DopBase).
//!
//! Rewritten, each in place or shorter at the same offset (every other structure keeps its
//! own offset, so nothing moves):
//! - SttbfAssoc: author, last author, title, subject, keywords, comments, template path;
//!   every string emptied.
//! - SttbfRMark: the authors of tracked changes; emptied, one entry each, so revisions still
//!   point at an (empty) author.
//! - GrpXstAtnOwners: the authors of comments; emptied the same way.
//! - PlcfandRef: the initials in each comment reference; emptied.
//! - AtrdExtra: the date and time of each comment; cleared.
//! - SttbProtUser: the user names of range permissions; emptied.
//! - DOP: the creation, last-saved and last-printed dates and the editing time; cleared.
//! - FIB: the last-saved time (FibRgFcLcb97 dwLowDateTime/dwHighDateTime); cleared.
//! - Removed (zeroed, length 0): SttbSavedBy (the last ten authors and the paths they saved
//!   to), SttbfUssr, the autosave source path, the printer driver and printer settings
//!   (PrDrvr, PrEnvPort, PrEnvLand), the routing slip, the undo data.
//!
//! Blocked: encrypted or obfuscated documents; Word 6/95 documents; document variables
//! (StwUser, which also hold a VBA signature); linked file names (SttbFnm); a mail envelope
//! (MsoEnvelope), message threading (RmdThreading) or a mail-merge data source (ODSO);
//! custom XML transforms; pictures with metadata in the `Data` stream.

use super::{App, Ole, fill, le16, le32, put32, refuse_picture_metadata};
use crate::error::{Blocked, block};

/// Index of each FcLcb pair in the FIB's rgFcLcb array (FibRgFcLcb97 is 0..93, 2000 adds 15,
/// 2002 adds 28, 2003 adds 28).
mod pair {
    pub const PLCFAND_REF: usize = 4;
    pub const PR_DRVR: usize = 27;
    pub const PR_ENV_PORT: usize = 28;
    pub const PR_ENV_LAND: usize = 29;
    pub const DOP: usize = 31;
    pub const STTBF_ASSOC: usize = 32;
    pub const AUTOSAVE_SOURCE: usize = 35;
    pub const GRP_XST_ATN_OWNERS: usize = 36;
    pub const STTBF_RMARK: usize = 51;
    pub const STW_USER: usize = 60;
    pub const ROUTE_SLIP: usize = 70;
    pub const STTB_SAVED_BY: usize = 71;
    pub const STTB_FNM: usize = 72;
    pub const DOC_UNDO_WORD9: usize = 77;
    /// dwLowDateTime/dwHighDateTime: not an offset but the last-saved FILETIME.
    pub const SAVED_TIME: usize = 87;
    pub const STTBF_USSR: usize = 92;
    pub const RMD_THREADING: usize = 94;
    pub const MSO_ENVELOPE: usize = 97;
    pub const ATRD_EXTRA: usize = 112;
    pub const DOC_UNDO: usize = 119;
    pub const ODSO: usize = 127;
    pub const CUSTOM_X_FORM: usize = 140;
    pub const STTB_PROT_USER: usize = 144;
}

/// Where the rgFcLcb array starts in the FIB: FibBase (32 bytes), csw + fibRgW (2 + 28),
/// cslw + fibRgLw (2 + 88), cbRgFcLcb (2).
const RG_FC_LCB: usize = 154;

/// The FIB's pairs, and where they are in the `WordDocument` stream.
struct Fib {
    count: usize,
}

impl Fib {
    fn at(&self, k: usize) -> Option<usize> {
        (k < self.count).then_some(RG_FC_LCB + 8 * k)
    }

    fn get(&self, wd: &[u8], k: usize) -> Option<(usize, usize)> {
        let at = self.at(k)?;
        Some((le32(wd, at)? as usize, le32(wd, at + 4)? as usize))
    }
}

/// A string table (STTB): whether its strings are UTF-16 (extended), their count, and the
/// size of the extra data after each.
struct Sttb {
    extended: bool,
    count: usize,
    extra: usize,
}

/// Reads an STTB's header and checks its strings fit in `d`.
fn read_sttb(d: &[u8]) -> Option<Sttb> {
    let extended = le16(d, 0)? == 0xFFFF;
    let h = if extended { 2 } else { 0 };
    let count = le16(d, h)? as usize;
    let extra = le16(d, h + 2)? as usize;
    let mut at = h + 4;
    for _ in 0..count {
        let cch = if extended {
            let n = le16(d, at)? as usize;
            at += 2;
            n * 2
        } else {
            let n = *d.get(at)? as usize;
            at += 1;
            n
        };
        at = at.checked_add(cch)?.checked_add(extra)?;
        if at > d.len() {
            return None;
        }
    }
    Some(Sttb {
        extended,
        count,
        extra,
    })
}

/// The STTB `d` with every string emptied (count and extra data kept).
fn empty_sttb(d: &[u8], t: &Sttb) -> Option<Vec<u8>> {
    let h = if t.extended { 2 } else { 0 };
    let mut out = d.get(..h + 4)?.to_vec();
    let mut at = h + 4;
    for _ in 0..t.count {
        let cch = if t.extended {
            let n = le16(d, at)? as usize * 2;
            at += 2;
            out.extend_from_slice(&[0, 0]);
            n
        } else {
            let n = *d.get(at)? as usize;
            at += 1;
            out.push(0);
            n
        };
        at += cch;
        out.extend_from_slice(d.get(at..at + t.extra)?);
        at += t.extra;
    }
    Some(out)
}

/// Replaces the structure of pair `k` by `new` (no longer than the old one) at the same
/// offset, zeroes the rest, and records the new length in the FIB.
fn replace(wd: &mut [u8], table: &mut [u8], fib: &Fib, k: usize, new: &[u8]) -> Option<()> {
    let (fc, lcb) = fib.get(wd, k)?;
    if new.len() > lcb {
        return None;
    }
    table.get_mut(fc..fc + new.len())?.copy_from_slice(new);
    fill(table, fc + new.len(), lcb - new.len(), 0)?;
    put32(wd, fib.at(k)? + 4, new.len() as u32)
}

fn bad(what: &str) -> Blocked {
    block!(
        Damaged,
        "DOC: the {what} in the table stream is malformed (not cleaned)"
    )
}

/// Cleans the `WordDocument` and table streams.
pub(super) fn clean(ole: &mut Ole, removed: &mut Vec<String>) -> Result<(), Blocked> {
    refuse_picture_metadata(App::Word, ole, "/Data")?;
    let mut wd = ole
        .stream("/WordDocument")
        .ok_or_else(|| block!(Damaged, "DOC: no WordDocument stream"))?
        .to_vec();
    if le16(&wd, 0) != Some(0xA5EC) {
        return Err(block!(
            Damaged,
            "DOC: the WordDocument stream has no Word FIB"
        ));
    }
    let nfib = le16(&wd, 2).unwrap_or(0);
    let flags = le16(&wd, 0x0A).unwrap_or(0);
    if flags & 0x0100 != 0 || flags & 0x8000 != 0 {
        return Err(block!(
            Encrypted,
            "DOC: an encrypted or obfuscated document (cannot be cleaned without the password)"
        ));
    }
    if nfib < 0x00C1 || le16(&wd, 32) != Some(14) || le16(&wd, 62) != Some(22) {
        return Err(block!(
            CannotClean,
            "DOC: a Word 6/95 or unusual FIB (nFib {nfib:#x}) is not supported"
        ));
    }
    let count = le16(&wd, 152).unwrap_or(0) as usize;
    if count < 0x5D || wd.len() < RG_FC_LCB + 8 * count {
        return Err(block!(Damaged, "DOC: the FIB is truncated"));
    }
    let fib = Fib { count };
    let table_path = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    let mut table = ole
        .stream(table_path)
        .ok_or_else(|| {
            block!(
                Damaged,
                "DOC: no {} stream",
                table_path.trim_start_matches('/')
            )
        })?
        .to_vec();
    // Every structure named here must lie inside the table stream.
    let table_len = table.len();
    let region = |wd: &[u8], k: usize| -> Result<Option<(usize, usize)>, Blocked> {
        match fib.get(wd, k) {
            Some((_, 0)) | None => Ok(None),
            Some((fc, lcb)) if fc.checked_add(lcb).is_some_and(|e| e <= table_len) => {
                Ok(Some((fc, lcb)))
            }
            Some((fc, lcb)) => Err(block!(
                CannotClean,
                "DOC: the FIB points past the table stream ({lcb} bytes at {fc} of {table_len})"
            )),
        }
    };
    for (k, why) in [
        (pair::STW_USER, "document variables (not cleaned)"),
        (
            pair::STTB_FNM,
            "links to other files (their paths are not cleaned)",
        ),
        (pair::RMD_THREADING, "e-mail threading data (not cleaned)"),
        (
            pair::MSO_ENVELOPE,
            "an e-mail envelope (sender and recipients, not cleaned)",
        ),
        (pair::ODSO, "a mail-merge data source (not cleaned)"),
        (
            pair::CUSTOM_X_FORM,
            "a custom XML transform path (not cleaned)",
        ),
    ] {
        if region(&wd, k)?.is_some() {
            return Err(block!(CannotClean, "DOC: {why}"));
        }
    }
    for (k, what) in [
        (
            pair::STTBF_ASSOC,
            "author, last author, title, template path (SttbfAssoc)",
        ),
        (pair::STTBF_RMARK, "tracked-change authors"),
        (pair::STTB_PROT_USER, "range-permission user names"),
    ] {
        let Some((fc, lcb)) = region(&wd, k)? else {
            continue;
        };
        let old = table.get(fc..fc + lcb).unwrap_or_default();
        let sttb = read_sttb(old).ok_or_else(|| bad(what))?;
        let new = empty_sttb(old, &sttb).ok_or_else(|| bad(what))?;
        let had_text = new.len() < lcb || old.get(..new.len()) != Some(new.as_slice());
        if had_text {
            replace(&mut wd, &mut table, &fib, k, &new).ok_or_else(|| bad(what))?;
            removed.push(format!("DOC {what}"));
        }
    }
    if let Some((fc, lcb)) = region(&wd, pair::GRP_XST_ATN_OWNERS)? {
        // A sequence of Xst (cch, UTF-16 characters): one empty Xst per owner.
        let old = table.get(fc..fc + lcb).unwrap_or_default();
        let (mut at, mut owners) = (0usize, 0usize);
        while at < old.len() {
            let cch = le16(old, at).ok_or_else(|| bad("comment authors"))? as usize;
            at += 2 + 2 * cch;
            owners += 1;
        }
        if at != old.len() {
            return Err(bad("comment authors"));
        }
        let new = vec![0u8; 2 * owners];
        if new != old {
            replace(&mut wd, &mut table, &fib, pair::GRP_XST_ATN_OWNERS, &new)
                .ok_or_else(|| bad("comment authors"))?;
            removed.push(format!("DOC comment authors ({owners})"));
        }
    }
    if let Some((fc, lcb)) = region(&wd, pair::PLCFAND_REF)? {
        // n+1 character positions, then n ATRDPre10 of 30 bytes whose first 20 are the
        // initials (xstUsrInitl: cch and 9 UTF-16 characters).
        if lcb < 4 || (lcb - 4) % 34 != 0 {
            return Err(bad("comment references"));
        }
        let n = (lcb - 4) / 34;
        let mut initials = false;
        for i in 0..n {
            let at = fc + 4 * (n + 1) + 30 * i;
            if table
                .get(at..at + 20)
                .is_some_and(|b| b.iter().any(|&x| x != 0))
            {
                initials = true;
                fill(&mut table, at, 20, 0).ok_or_else(|| bad("comment references"))?;
            }
        }
        if initials {
            removed.push("DOC comment initials".into());
        }
    }
    if let Some((fc, lcb)) = region(&wd, pair::ATRD_EXTRA)? {
        // ATRDPost10 of 18 bytes, each starting with the comment's date (DTTM).
        let mut dated = false;
        for i in 0..lcb / 18 {
            let at = fc + 18 * i;
            if le32(&table, at).is_some_and(|v| v != 0) {
                dated = true;
                fill(&mut table, at, 4, 0).ok_or_else(|| bad("comment dates"))?;
            }
        }
        if dated {
            removed.push("DOC comment dates".into());
        }
    }
    if let Some((fc, lcb)) = region(&wd, pair::DOP)? {
        // DopBase: dttmCreated 0x14, dttmRevised 0x18, dttmLastPrint 0x1C, nRevision 0x20,
        // tmEdited 0x22.
        if lcb >= 0x26 {
            let dates = [0x14usize, 0x18, 0x1C, 0x22]
                .iter()
                .any(|off| le32(&table, fc + off).is_some_and(|v| v != 0));
            if dates {
                for off in [0x14usize, 0x18, 0x1C, 0x22] {
                    fill(&mut table, fc + off, 4, 0).ok_or_else(|| bad("document properties"))?;
                }
                removed.push("DOC created, saved and printed dates, editing time".into());
            }
        }
    }
    if let Some(at) = fib.at(pair::SAVED_TIME)
        && wd
            .get(at..at + 8)
            .is_some_and(|b| b.iter().any(|&x| x != 0))
    {
        fill(&mut wd, at, 8, 0).ok_or_else(|| bad("FIB"))?;
        removed.push("DOC last-saved time (FIB)".into());
    }
    for (k, what) in [
        (pair::STTB_SAVED_BY, "save history (authors and paths)"),
        (pair::STTBF_USSR, "SttbfUssr"),
        (pair::AUTOSAVE_SOURCE, "autosave source path"),
        (pair::PR_DRVR, "printer driver"),
        (pair::PR_ENV_PORT, "printer settings (portrait)"),
        (pair::PR_ENV_LAND, "printer settings (landscape)"),
        (pair::ROUTE_SLIP, "routing slip (recipients)"),
        (pair::DOC_UNDO_WORD9, "undo data"),
        (pair::DOC_UNDO, "undo data"),
    ] {
        if region(&wd, k)?.is_some() {
            replace(&mut wd, &mut table, &fib, k, &[]).ok_or_else(|| bad(what))?;
            removed.push(format!("DOC {what}"));
        }
    }
    if let Some(s) = ole.stream_mut("/WordDocument") {
        *s = wd;
    }
    if let Some(s) = ole.stream_mut(table_path) {
        *s = table;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xst_sttb(strings: &[&str]) -> Vec<u8> {
        let mut d = vec![0xFF, 0xFF];
        d.extend_from_slice(&(strings.len() as u16).to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        for s in strings {
            let u: Vec<u16> = s.encode_utf16().collect();
            d.extend_from_slice(&(u.len() as u16).to_le_bytes());
            for c in u {
                d.extend_from_slice(&c.to_le_bytes());
            }
        }
        d
    }

    #[test]
    fn sttb_strings_are_emptied_count_kept() {
        let d = xst_sttb(&["Unknown", "Kim Chol"]);
        let t = read_sttb(&d).unwrap();
        assert_eq!((t.extended, t.count, t.extra), (true, 2, 0));
        let e = empty_sttb(&d, &t).unwrap();
        assert_eq!(e, xst_sttb(&["", ""]));
        assert!(read_sttb(&d[..d.len() - 1]).is_none());
        // A count far beyond the data does not run away.
        let mut huge = d.clone();
        huge[2] = 0xFF;
        huge[3] = 0xFF;
        assert!(read_sttb(&huge).is_none());
    }
}
