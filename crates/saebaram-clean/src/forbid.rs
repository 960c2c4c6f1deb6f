//! The group's own strings: every output is searched for them byte-wise.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A set of forbidden strings, searched as UTF-8, UTF-16LE and UTF-16BE, ASCII
/// case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Forbidden {
    strings: Vec<String>,
    /// Pattern i belongs to string i / 3, encoding i % 3.
    matcher: Option<AhoCorasick>,
}

const ENCODINGS: [&str; 3] = ["UTF-8", "UTF-16LE", "UTF-16BE"];

impl Forbidden {
    /// Builds the set from strings (empty strings are ignored).
    pub fn new<I, S>(strings: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let strings: Vec<String> = strings
            .into_iter()
            .map(Into::into)
            .filter(|s| !s.is_empty())
            .collect();
        let mut patterns: Vec<Vec<u8>> = Vec::with_capacity(strings.len() * 3);
        for s in &strings {
            patterns.push(s.as_bytes().to_vec());
            patterns.push(s.encode_utf16().flat_map(u16::to_le_bytes).collect());
            patterns.push(s.encode_utf16().flat_map(u16::to_be_bytes).collect());
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .ok()
        };
        Forbidden { strings, matcher }
    }

    /// Parses a list file: one string per line, `#` starts a comment line, blank lines and
    /// surrounding spaces are ignored.
    pub fn parse_list(text: &str) -> Self {
        Forbidden::new(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        )
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True when no string is forbidden.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// The first forbidden string found in `data`, as "`string` (encoding)".
    pub fn find(&self, data: &[u8]) -> Option<String> {
        let m = self.matcher.as_ref()?.find(data)?;
        let i = m.pattern().as_usize();
        let s = self.strings.get(i / 3)?;
        Some(format!("{s:?} ({})", ENCODINGS.get(i % 3).unwrap_or(&"?")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_all_encodings_case_insensitively() {
        let f = Forbidden::parse_list("# our names\n  Kim Chol \n\nhostname-7\n");
        assert_eq!(f.len(), 2);
        assert!(f.find(b"xx KIM CHOL yy").is_some());
        let le: Vec<u8> = "a kim chol b"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(f.find(&le).unwrap().contains("UTF-16"));
        let be: Vec<u8> = "HOSTNAME-7"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(f.find(&be).is_some());
        assert!(f.find(b"kim cho l").is_none());
        assert!(Forbidden::default().find(b"anything").is_none());
    }
}
