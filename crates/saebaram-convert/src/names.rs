//! Output file names that FAT32 and players accept.

/// Characters FAT forbids in names, control characters, and trailing dots and spaces are
/// replaced by `_`; Hangul and other letters are kept (long names). Never empty.
pub fn fat_safe(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '"' | '*' | '/' | ':' | '<' | '>' | '?' | '\\' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    while s.ends_with('.') || s.ends_with(' ') {
        s.pop();
        s.push('_');
        if s.chars().all(|c| c == '_') {
            break;
        }
    }
    // FAT long names hold 255 UTF-16 units; keep room for " (12).avi".
    while s.encode_utf16().count() > 240 {
        s.pop();
    }
    if s.trim().is_empty() {
        s = "_".into();
    }
    s
}

/// The name of part `n` (from 1) of a split output: `영화 (1).avi`.
pub fn part_name(stem: &str, n: usize, ext: &str) -> String {
    format!("{} ({n}).{ext}", fat_safe(stem))
}

/// An ASCII-only name: the item's number (from 1, three digits), then the ASCII letters,
/// digits and `-_()` of the title with other runs turned into one space, at most 40
/// characters: `영화 The Interview` -> `001-The Interview`, `영화` -> `001`.
pub fn ascii_name(n: usize, title: &str) -> String {
    let mut kept = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '(' | ')') {
            kept.push(c);
        } else if !kept.ends_with(' ') && !kept.is_empty() {
            kept.push(' ');
        }
    }
    let kept: String = kept.trim().chars().take(40).collect();
    let kept = kept.trim();
    if kept.is_empty() {
        format!("{n:03}")
    } else {
        format!("{n:03}-{kept}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe_for_fat() {
        assert_eq!(fat_safe("영화: 제1부?"), "영화_ 제1부_");
        assert_eq!(fat_safe("a."), "a_");
        assert_eq!(fat_safe(""), "_");
        assert_eq!(part_name("영화", 2, "avi"), "영화 (2).avi");
        assert!(fat_safe(&"가".repeat(300)).encode_utf16().count() <= 240);
        assert_eq!(
            ascii_name(1, "영화 The Interview (2014)"),
            "001-The Interview (2014)"
        );
        assert_eq!(ascii_name(12, "북녘 동포"), "012");
        assert_eq!(ascii_name(3, "a..b"), "003-a b");
    }
}
