//! Forbidden-strings lists: the group's own names, places and host names that must never
//! leave in a cleaned file or a campaign record.
//!
//! Owns: parsing a list file, matching it in bytes (UTF-8, UTF-16LE and UTF-16BE) and in text,
//! ignoring case by Unicode simple case folding and Hangul/accent normalisation (NFC and NFD),
//! in one pass or across the chunks of a stream ([`Scanner`]); reporting a hit by the list's
//! line number only.
//! Must not know: files, formats, records, terminals. `saebaram-clean` and `saebaram-records`
//! both use this one implementation (records must not depend on clean).
//!
//! # Fail closed
//! A list that cannot be compiled into a matcher is an [`Error`], never an empty matcher:
//! a matcher that silently matched nothing would let every name through.
//!
//! # Never prints the string
//! A [`Hit`] carries the 1-based line of the list and the encoding, never the matched text,
//! so a person's name does not land in terminal scrollback, a log or a JSON report.
//!
//! # How matching works
//! Each listed string becomes one byte-level pattern per encoding: every character is the
//! alternation of its case-fold class (`k`, `K` and the Kelvin sign `K`; `д` and `Д`)
//! encoded in that encoding. Strings are taken in both NFC and NFD, so a name typed on one
//! system and stored decomposed on another (macOS file names, some PDFs) still matches.
//! Simple case folding only: `ß` does not match `ss` (full folding changes lengths).
//! The patterns are compiled by `regex-automata` into one multi-pattern automaton.
#![deny(missing_docs)]

use regex_automata::meta::{self, Regex};
use regex_automata::{Input, MatchKind, PatternSet};
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange, Hir};
use unicode_normalization::UnicodeNormalization;

/// The encodings every string is searched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (and ASCII).
    Utf8,
    /// UTF-16, little-endian (Windows, most Office formats).
    Utf16Le,
    /// UTF-16, big-endian (PDF text strings, some Mac formats).
    Utf16Be,
}

impl Encoding {
    const ALL: [Encoding; 3] = [Encoding::Utf8, Encoding::Utf16Le, Encoding::Utf16Be];

    /// `UTF-8`, `UTF-16LE` or `UTF-16BE`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }

    fn encode(self, c: char) -> Vec<u8> {
        let mut units = [0u16; 2];
        match self {
            Encoding::Utf8 => c.to_string().into_bytes(),
            Encoding::Utf16Le => c
                .encode_utf16(&mut units)
                .iter()
                .flat_map(|u| u.to_le_bytes())
                .collect(),
            Encoding::Utf16Be => c
                .encode_utf16(&mut units)
                .iter()
                .flat_map(|u| u.to_be_bytes())
                .collect(),
        }
    }
}

/// Largest automaton built for a list (a list of thousands of long names fits; one that does
/// not is an [`Error`], never a matcher that matches nothing).
const NFA_SIZE_LIMIT: usize = 256 << 20;

/// A match: which line of the list, in which encoding. Never the matched text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// 1-based line of the list file (or 1-based position for [`ForbidList::from_strings`]).
    pub line: usize,
    /// The encoding the string was found in.
    pub encoding: Encoding,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the string on line {} of the forbidden-strings list ({})",
            self.line,
            self.encoding.name()
        )
    }
}

/// Why a list could not be turned into a matcher.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The automaton could not be built (too large, or an internal limit).
    #[error("the forbidden-strings matcher could not be built")]
    Build(#[source] Box<meta::BuildError>),
    /// A character of the line has no case-folding table (should not happen with the
    /// `unicode-case` tables compiled in).
    #[error("line {line} of the forbidden-strings list cannot be case-folded")]
    CaseFold {
        /// 1-based line.
        line: usize,
    },
}

/// One listed string and where it came from.
#[derive(Debug, Clone)]
struct Entry {
    line: usize,
}

/// What pattern `i` of the automata stands for.
#[derive(Debug, Clone, Copy)]
struct PatternInfo {
    entry: usize,
    encoding: Encoding,
}

#[derive(Debug, Clone)]
struct Matcher {
    /// Leftmost-first: the first hit in bytes.
    first: Regex,
    /// All patterns, for "which lines occur in this text".
    all: Regex,
    patterns: Vec<PatternInfo>,
    /// Longest match in bytes (the overlap a stream keeps between chunks).
    max_len: usize,
}

/// A parsed and compiled forbidden-strings list. The default is the empty list.
#[derive(Debug, Clone, Default)]
pub struct ForbidList {
    entries: Vec<Entry>,
    matcher: Option<Matcher>,
    /// Keyed BLAKE3 of the strings (see [`ForbidList::digest`]).
    digest: [u8; 32],
}

impl ForbidList {
    /// Parses a list file: one string per line, surrounding spaces ignored, blank lines and
    /// lines starting with `#` skipped. Hits name the line in this text.
    pub fn parse(text: &str) -> Result<ForbidList, Error> {
        ForbidList::parse_limited(text, NFA_SIZE_LIMIT)
    }

    /// [`ForbidList::parse`] with another automaton size limit (tests of the failure path).
    fn parse_limited(text: &str, nfa_limit: usize) -> Result<ForbidList, Error> {
        ForbidList::build(
            nfa_limit,
            text.lines()
                .enumerate()
                .map(|(i, l)| (i + 1, l.trim()))
                .filter(|(_, l)| !l.is_empty() && !l.starts_with('#')),
        )
    }

    /// Builds a list from strings; hits name the 1-based position. Empty strings are skipped
    /// (they keep their position number).
    pub fn from_strings<I, S>(strings: I) -> Result<ForbidList, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let owned: Vec<(usize, String)> = strings
            .into_iter()
            .enumerate()
            .map(|(i, s)| (i + 1, s.as_ref().trim().to_owned()))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        ForbidList::build(NFA_SIZE_LIMIT, owned.iter().map(|(i, s)| (*i, s.as_str())))
    }

    fn build<'a>(
        nfa_limit: usize,
        lines: impl Iterator<Item = (usize, &'a str)>,
    ) -> Result<ForbidList, Error> {
        let mut entries = Vec::new();
        let mut digest = blake3::Hasher::new_derive_key("saebaram forbidden-strings list v1");
        let mut hirs = Vec::new();
        let mut patterns = Vec::new();
        let mut max_len = 1usize;
        for (line, text) in lines {
            let entry = entries.len();
            entries.push(Entry { line });
            digest.update(&(text.len() as u64).to_le_bytes());
            digest.update(text.as_bytes());
            let mut forms: Vec<String> = vec![text.nfc().collect(), text.nfd().collect()];
            forms.dedup();
            for encoding in Encoding::ALL {
                let alternatives = forms
                    .iter()
                    .map(|form| folded_pattern(form, encoding).ok_or(Error::CaseFold { line }))
                    .collect::<Result<Vec<Hir>, Error>>()?;
                let hir = Hir::alternation(alternatives);
                max_len = max_len.max(hir.properties().maximum_len().unwrap_or(1));
                hirs.push(hir);
                patterns.push(PatternInfo { entry, encoding });
            }
        }
        if hirs.is_empty() {
            return Ok(ForbidList::default());
        }
        let build = |kind: MatchKind| {
            Regex::builder()
                .configure(
                    Regex::config()
                        .match_kind(kind)
                        .utf8_empty(false)
                        .nfa_size_limit(Some(nfa_limit)),
                )
                .build_many_from_hir(&hirs)
                .map_err(|e| Error::Build(Box::new(e)))
        };
        let matcher = Matcher {
            first: build(MatchKind::LeftmostFirst)?,
            all: build(MatchKind::All)?,
            patterns,
            max_len,
        };
        Ok(ForbidList {
            entries,
            matcher: Some(matcher),
            digest: *digest.finalize().as_bytes(),
        })
    }

    /// Number of strings listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is listed (nothing can match).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A keyed BLAKE3 of the listed strings (all zero for the empty list): tells whether a
    /// list changed between two runs without storing the strings.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// Longest match in bytes: a stream must keep this many bytes minus one between chunks.
    pub fn max_match_len(&self) -> usize {
        self.matcher.as_ref().map_or(1, |m| m.max_len)
    }

    fn hit(&self, pattern: usize) -> Option<Hit> {
        let m = self.matcher.as_ref()?;
        let info = m.patterns.get(pattern)?;
        Some(Hit {
            line: self.entries.get(info.entry)?.line,
            encoding: info.encoding,
        })
    }

    /// The first listed string found in `data`, in any encoding.
    pub fn find(&self, data: &[u8]) -> Option<Hit> {
        let m = self.matcher.as_ref()?;
        let found = m.first.search(&Input::new(data))?;
        self.hit(found.pattern().as_usize())
    }

    /// Every line of the list that occurs in `text` (each once, in list order).
    pub fn lines_in(&self, text: &str) -> Vec<usize> {
        let Some(m) = self.matcher.as_ref() else {
            return Vec::new();
        };
        let mut set = PatternSet::new(m.all.pattern_len());
        m.all
            .which_overlapping_matches(&Input::new(text.as_bytes()), &mut set);
        let mut lines: Vec<usize> = set
            .iter()
            .filter_map(|p| self.hit(p.as_usize()))
            .map(|h| h.line)
            .collect();
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    /// A scanner for a stream of chunks: finds strings that straddle chunk boundaries.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner {
            list: self,
            tail: Vec::new(),
            joined: Vec::new(),
        }
    }
}

/// The pattern for `text` in `encoding`: each character is the alternation of its simple
/// case-fold class, encoded.
fn folded_pattern(text: &str, encoding: Encoding) -> Option<Hir> {
    let mut parts = Vec::new();
    for c in text.chars() {
        let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
        class.try_case_fold_simple().ok()?;
        let mut alternatives = Vec::new();
        for range in class.ranges() {
            for variant in range.start()..=range.end() {
                alternatives.push(Hir::literal(encoding.encode(variant)));
            }
        }
        parts.push(Hir::alternation(alternatives));
    }
    Some(Hir::concat(parts))
}

/// Searches a stream chunk by chunk, keeping the last `max_match_len - 1` bytes so a string
/// split across two chunks is still found. Memory: two buffers of under twice that length.
#[derive(Debug)]
pub struct Scanner<'a> {
    list: &'a ForbidList,
    tail: Vec<u8>,
    joined: Vec<u8>,
}

impl Scanner<'_> {
    /// Searches the next chunk (and the seam with the previous one).
    pub fn feed(&mut self, chunk: &[u8]) -> Option<Hit> {
        if self.list.is_empty() || chunk.is_empty() {
            return None;
        }
        let keep = self.list.max_match_len().saturating_sub(1);
        if !self.tail.is_empty() {
            let head = chunk.get(..keep.min(chunk.len())).unwrap_or_default();
            self.joined.clear();
            self.joined.extend_from_slice(&self.tail);
            self.joined.extend_from_slice(head);
            if let Some(hit) = self.list.find(&self.joined) {
                return Some(hit);
            }
        }
        if let Some(hit) = self.list.find(chunk) {
            return Some(hit);
        }
        if chunk.len() >= keep {
            self.tail.clear();
            self.tail
                .extend_from_slice(chunk.get(chunk.len() - keep..).unwrap_or_default());
        } else {
            self.tail.extend_from_slice(chunk);
            let excess = self.tail.len().saturating_sub(keep);
            self.tail.drain(..excess);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn finds_all_encodings_ignoring_case_and_names_the_line() {
        let list = ForbidList::parse("# our names\n  Kim Chol \n\nhostname-7\n").unwrap();
        assert_eq!(list.len(), 2);
        let hit = list.find(b"xx KIM CHOL yy").unwrap();
        assert_eq!((hit.line, hit.encoding), (2, Encoding::Utf8));
        // ASCII in UTF-16LE also holds the UTF-16BE pattern one byte later: either is a hit.
        assert_ne!(
            list.find(&utf16le("a kim chol b")).unwrap().encoding,
            Encoding::Utf8
        );
        let hit = list.find(&utf16be("HOSTNAME-7")).unwrap();
        assert_eq!((hit.line, hit.encoding), (4, Encoding::Utf16Be));
        assert!(list.find(b"kim cho l").is_none());
        assert!(ForbidList::default().find(b"anything").is_none());
    }

    #[test]
    fn message_never_holds_the_string() {
        let list = ForbidList::parse("Kim Chol").unwrap();
        let shown = list.find(b"KIM CHOL").unwrap().to_string();
        assert!(!shown.to_lowercase().contains("kim"), "{shown}");
        assert!(shown.contains("line 1"), "{shown}");
    }

    #[test]
    fn unicode_case_folding_cyrillic_greek_and_kelvin() {
        let list = ForbidList::parse("Дмитрий\nΣοφία\nkim").unwrap();
        assert_eq!(list.find("ДМИТРИЙ".as_bytes()).unwrap().line, 1);
        assert_eq!(list.find(&utf16le("дмитрий")).unwrap().line, 1);
        // Final sigma and capital sigma fold together.
        assert_eq!(list.find("ΣΟΦΊΑ".as_bytes()).unwrap().line, 2);
        // The Kelvin sign folds to k.
        assert_eq!(list.find("\u{212A}IM".as_bytes()).unwrap().line, 3);
    }

    #[test]
    fn hangul_matches_composed_and_decomposed() {
        let list = ForbidList::parse("김철").unwrap();
        let nfd: String = "김철".nfd().collect();
        assert_ne!(nfd.as_bytes(), "김철".as_bytes());
        assert!(list.find(nfd.as_bytes()).is_some());
        assert!(list.find(&utf16be("이름 김철")).is_some());
        assert!(list.find("김".as_bytes()).is_none());
    }

    #[test]
    fn scanner_finds_a_string_split_across_every_seam() {
        let list = ForbidList::parse("Pyongyang-host").unwrap();
        for encoded in [
            b"..pyongyang-HOST..".to_vec(),
            utf16le("..Pyongyang-host.."),
            utf16be("..PYONGYANG-HOST.."),
        ] {
            for cut in 0..=encoded.len() {
                for cut2 in cut..=encoded.len() {
                    let mut s = list.scanner();
                    let found = s.feed(&encoded[..cut]).is_some()
                        || s.feed(&encoded[cut..cut2]).is_some()
                        || s.feed(&encoded[cut2..]).is_some();
                    assert!(found, "cuts {cut} {cut2}");
                }
            }
            // One byte at a time.
            let mut s = list.scanner();
            assert!(encoded.chunks(1).any(|c| s.feed(c).is_some()));
        }
        let mut s = list.scanner();
        assert!(s.feed(b"pyongyang").is_none());
        assert!(s.feed(b"+host").is_none());
    }

    #[test]
    fn lines_in_text_lists_each_line_once() {
        let list = ForbidList::parse("# names\nKim Chol\n\n  Sinuiju  \n").unwrap();
        assert_eq!(
            list.lines_in("near SINUIJU port, kim chol and Kim Chol"),
            [2, 4]
        );
        assert!(list.lines_in("Ganghwa").is_empty());
    }

    #[test]
    fn a_matcher_that_cannot_be_built_is_an_error_not_an_empty_list() {
        let list = "Kim Chol\nPyongyang Cell Seven\n".repeat(50);
        let err = ForbidList::parse_limited(&list, 1000).unwrap_err();
        assert!(matches!(err, Error::Build(_)), "{err}");
        assert!(ForbidList::parse(&list).is_ok());
    }

    #[test]
    fn empty_lists_match_nothing() {
        let list = ForbidList::parse("# only a comment\n\n").unwrap();
        assert!(list.is_empty());
        assert!(list.find(b"").is_none());
        assert!(list.scanner().feed(b"abc").is_none());
        let list = ForbidList::from_strings(["", "x"]).unwrap();
        assert_eq!(list.find(b"X").unwrap().line, 2);
    }
}
