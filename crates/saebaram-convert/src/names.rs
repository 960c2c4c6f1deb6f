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
    }
}
