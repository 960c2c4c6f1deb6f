//! Long file names, their checks, and Windows-style 8.3 short names.
//!
//! A long name is stored as UTF-16 in VFAT long-name entries; every entry also gets an 8.3
//! short name made of ASCII only (so old players that ignore long names still see a
//! readable, valid name). Short names follow the Windows scheme: upper-case, characters
//! that 8.3 cannot hold become `_`, the base is cut to fit and a `~N` tail makes it unique
//! within its directory.

/// The longest long name, in UTF-16 units.
pub const MAX_NAME_UNITS: usize = 255;

/// The longest path from the volume root (components joined with `\`), in UTF-16 units,
/// so that `X:\` + path + NUL stays within Windows' `MAX_PATH` of 260.
pub const MAX_PATH_UNITS: usize = 255;

/// Why a name cannot be stored on FAT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, `.` or `..`.
    #[error("the name is empty, `.` or `..`")]
    Empty,
    /// A character Windows does not allow in a file name.
    #[error(
        "the name contains {0:?}, which FAT/Windows file names cannot hold (not allowed: < > : \" / \\ | ? * and control characters)"
    )]
    IllegalChar(char),
    /// A device name Windows reserves.
    #[error(
        "`{0}` is a device name reserved by Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"
    )]
    Reserved(String),
    /// Ends in a dot or a space, which Windows silently drops.
    #[error("the name ends with a dot or a space, which Windows drops (rename it)")]
    TrailingDotOrSpace,
    /// Longer than 255 UTF-16 units.
    #[error("the name is {0} UTF-16 units long; FAT allows at most {MAX_NAME_UNITS}")]
    TooLong(usize),
    /// The name is not valid Unicode.
    #[error("the name is not valid Unicode (UTF-8)")]
    NotUnicode,
}

/// Checks that `name` can be a FAT long name that Windows can open.
pub fn check_long_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(NameError::Empty);
    }
    if let Some(c) = name
        .chars()
        .find(|&c| (c as u32) < 0x20 || c == '\u{7f}' || "<>:\"/\\|?*".contains(c))
    {
        return Err(NameError::IllegalChar(c));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(NameError::TrailingDotOrSpace);
    }
    let units = name.encode_utf16().count();
    if units > MAX_NAME_UNITS {
        return Err(NameError::TooLong(units));
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    let reserved = matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && matches!(upper.as_bytes().get(3), Some(b'1'..=b'9')));
    if reserved {
        return Err(NameError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// The key that decides whether two names clash on FAT (case-insensitive).
pub fn fold_case(name: &str) -> String {
    name.chars().flat_map(char::to_uppercase).collect()
}

/// Whether a byte may appear in a short name as is.
fn short_char_ok(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b"!#$%&'()-@^_`{}~".contains(&b)
}

/// An 11-byte 8.3 name, space padded (`FOO     TXT`).
pub type ShortName = [u8; 11];

/// If `name` is already a valid upper-case 8.3 name, returns it; such entries need no
/// long-name entries.
pub fn exact_short_name(name: &str) -> Option<ShortName> {
    let (base, ext) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => (name, ""),
    };
    if base.is_empty() || base.len() > 8 || ext.len() > 3 || (name.contains('.') && ext.is_empty())
    {
        return None;
    }
    if !base.bytes().chain(ext.bytes()).all(short_char_ok) {
        return None;
    }
    let mut out = [b' '; 11];
    out[..base.len()].copy_from_slice(base.as_bytes());
    out[8..8 + ext.len()].copy_from_slice(ext.as_bytes());
    Some(out)
}

/// Converts one part of a long name to short-name characters; returns the characters
/// and whether anything was lost.
fn short_part(part: &str) -> (Vec<u8>, bool) {
    let mut lossy = false;
    let mut out = Vec::new();
    for c in part.chars() {
        if c == ' ' || c == '.' {
            lossy = true;
            continue;
        }
        let up = c.to_ascii_uppercase();
        if up.is_ascii() && short_char_ok(up as u8) {
            out.push(up as u8);
        } else {
            lossy = true;
            out.push(b'_');
        }
    }
    (out, lossy)
}

/// Makes a unique short name for a long name that is not an exact 8.3 name.
/// `taken` says whether a short name is already used in the directory.
pub fn generate_short_name(long: &str, taken: &dyn Fn(&ShortName) -> bool) -> Option<ShortName> {
    let trimmed = long.trim_start_matches('.');
    let (base_src, ext_src) = match trimmed.rfind('.') {
        Some(i) if i > 0 => (&trimmed[..i], &trimmed[i + 1..]),
        _ => (trimmed, ""),
    };
    let (mut base, _) = short_part(base_src);
    let (mut ext, _) = short_part(ext_src);
    ext.truncate(3);
    if base.is_empty() {
        base.push(b'_');
    }
    for n in 1u32..=999_999 {
        let tail = format!("~{n}");
        let keep = base.len().min(8 - tail.len());
        let mut name = [b' '; 11];
        name[..keep].copy_from_slice(&base[..keep]);
        name[keep..keep + tail.len()].copy_from_slice(tail.as_bytes());
        name[8..8 + ext.len()].copy_from_slice(&ext);
        if !taken(&name) {
            return Some(name);
        }
    }
    None
}

/// The checksum of a short name that ties long-name entries to it.
pub fn short_name_checksum(name: &ShortName) -> u8 {
    name.iter()
        .fold(0u8, |sum, &b| (sum >> 1 | (sum & 1) << 7).wrapping_add(b))
}

/// Number of 32-byte long-name entries a name needs (13 UTF-16 units each).
pub fn lfn_entry_count(long: &str) -> usize {
    long.encode_utf16().count().div_ceil(13)
}

/// Appends the long-name entries for `long` (last part first, as FAT stores them).
pub fn push_lfn_entries(out: &mut Vec<u8>, long: &str, checksum: u8) {
    let units: Vec<u16> = long.encode_utf16().collect();
    let count = units.len().div_ceil(13);
    for ord in (1..=count).rev() {
        let mut e = [0u8; 32];
        e[0] = ord as u8 | if ord == count { 0x40 } else { 0 };
        e[11] = 0x0F;
        e[13] = checksum;
        const OFFSETS: [usize; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        for (i, &off) in OFFSETS.iter().enumerate() {
            let idx = (ord - 1) * 13 + i;
            let unit = match idx.cmp(&units.len()) {
                std::cmp::Ordering::Less => units[idx],
                std::cmp::Ordering::Equal => 0x0000,
                std::cmp::Ordering::Greater => 0xFFFF,
            };
            e[off..off + 2].copy_from_slice(&unit.to_le_bytes());
        }
        out.extend_from_slice(&e);
    }
}

/// Checks and normalises a volume label: ASCII, at most 11 characters, stored upper-case.
pub fn volume_label(label: &str) -> Result<ShortName, String> {
    if label.is_empty() || label.len() > 11 {
        return Err(format!(
            "volume label {label:?} must be 1 to 11 characters long"
        ));
    }
    let mut out = [b' '; 11];
    for (i, c) in label.chars().enumerate() {
        let up = c.to_ascii_uppercase();
        if !(up.is_ascii() && (short_char_ok(up as u8) || up == ' ')) {
            return Err(format!(
                "volume label {label:?} contains {c:?}; labels may hold only A-Z, 0-9, spaces and !#$%&'()-@^_`{{}}~"
            ));
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = up as u8;
        }
    }
    if label.starts_with(' ') {
        return Err(format!(
            "volume label {label:?} must not start with a space"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: &ShortName) -> String {
        String::from_utf8_lossy(n).into_owned()
    }

    #[test]
    fn refuses_names_windows_cannot_hold() {
        for bad in [
            "CON", "con.txt", "Nul", "COM1.mp4", "lpt9", "a:b", "a?", "x*", "q\"", "t\u{1}",
        ] {
            assert!(check_long_name(bad).is_err(), "{bad}");
        }
        assert_eq!(check_long_name("foo."), Err(NameError::TrailingDotOrSpace));
        assert_eq!(check_long_name("foo "), Err(NameError::TrailingDotOrSpace));
        assert_eq!(check_long_name(".."), Err(NameError::Empty));
        assert_eq!(
            check_long_name(&"가".repeat(256)),
            Err(NameError::TooLong(256))
        );
        for good in [
            "COM10",
            "CONSOLE.txt",
            "영화 목록.txt",
            "a b.c.d",
            ".hidden",
            "LPT",
        ] {
            assert_eq!(check_long_name(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn exact_short_names_need_no_long_entry() {
        assert_eq!(s(&exact_short_name("README.TXT").unwrap()), "README  TXT");
        assert_eq!(s(&exact_short_name("A").unwrap()), "A          ");
        assert!(exact_short_name("readme.txt").is_none());
        assert!(exact_short_name("TOOLONGNAME.TXT").is_none());
        assert!(exact_short_name("A.B.C").is_none());
        assert!(exact_short_name("A.").is_none());
    }

    #[test]
    fn short_names_follow_the_windows_scheme() {
        let none = |_: &ShortName| false;
        assert_eq!(
            s(&generate_short_name("Long File Name.html", &none).unwrap()),
            "LONGFI~1HTM"
        );
        assert_eq!(
            s(&generate_short_name("영화.mp4", &none).unwrap()),
            "__~1    MP4"
        );
        assert_eq!(
            s(&generate_short_name(".bashrc", &none).unwrap()),
            "BASHRC~1   "
        );
        assert_eq!(
            s(&generate_short_name("a+b=c.tar.gz", &none).unwrap()),
            "A_B_CT~1GZ "
        );
        let first = generate_short_name("Long File Name.html", &none).unwrap();
        let taken = |n: &ShortName| *n == first;
        assert_eq!(
            s(&generate_short_name("Long File Names.html", &taken).unwrap()),
            "LONGFI~2HTM"
        );
    }

    #[test]
    fn checksum_matches_the_fat_specification() {
        // Computed by hand from the specification's rotate-right-and-add loop.
        let name = *b"FOO     BAR";
        let mut sum: u8 = 0;
        for b in name {
            sum = (if sum & 1 != 0 { 0x80 } else { 0 }) + (sum >> 1);
            sum = sum.wrapping_add(b);
        }
        assert_eq!(short_name_checksum(&name), sum);
    }

    #[test]
    fn lfn_entries_hold_utf16_with_terminator_and_padding() {
        let mut out = Vec::new();
        push_lfn_entries(&mut out, "한글 이름이 아주 긴 파일.txt", 0xAB);
        let units: Vec<u16> = "한글 이름이 아주 긴 파일.txt".encode_utf16().collect();
        assert_eq!(
            out.len(),
            32 * lfn_entry_count("한글 이름이 아주 긴 파일.txt")
        );
        assert_eq!(out[0], 0x40 | 2);
        assert_eq!(out[32], 1);
        assert!(out.chunks(32).all(|e| e[11] == 0x0F && e[13] == 0xAB));
        // Second stored entry holds units 0..13.
        assert_eq!(u16::from_le_bytes([out[33], out[34]]), units[0]);
        // First stored entry: units 13..len, then 0x0000, then 0xFFFF.
        let rest = units.len() - 13;
        let offs = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        assert_eq!(
            u16::from_le_bytes([out[offs[rest]], out[offs[rest] + 1]]),
            0
        );
        if rest + 1 < 13 {
            assert_eq!(
                u16::from_le_bytes([out[offs[rest + 1]], out[offs[rest + 1] + 1]]),
                0xFFFF
            );
        }
    }

    #[test]
    fn labels_are_checked() {
        assert_eq!(&volume_label("movies").unwrap(), b"MOVIES     ");
        assert!(volume_label("영화").is_err());
        assert!(volume_label("TWELVECHARSX").is_err());
        assert!(volume_label("").is_err());
    }
}
