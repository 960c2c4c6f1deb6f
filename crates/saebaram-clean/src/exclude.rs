//! Files and folders a person chose to leave out of a clean (`clean --exclude`).
//!
//! Patterns follow `.gitignore`'s familiar subset, matched against the path of a file or
//! folder relative to the input folder it was found in (POSIX `/`; for a file given
//! directly, its name):
//! - a pattern without `/` (other than a trailing one) matches a name at any depth:
//!   `*.tmp`, `Thumbs.db`, `private`;
//! - a pattern with a `/` inside is anchored at the input folder: `photos/2019/*.jpg`
//!   (a leading `/` is allowed and means the same);
//! - a trailing `/` matches folders only: `drafts/`;
//! - `*` and `?` never cross a `/`; `**` does: `photos/**/raw`.
//!
//! A matching folder is not entered at all (nothing under it is read), so a folder of
//! unreadable or private files can be left out whole. Matching is case-sensitive, as the
//! names on the drive are. The `globset` crate (ripgrep's) does the glob matching.

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::error::Error;

/// A compiled list of exclusion patterns.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    matcher: GlobMatcher,
    dirs_only: bool,
}

impl Exclusions {
    /// Compiles the patterns; an empty or malformed one is a usage error naming it.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Exclusions, Error> {
        let mut out = Vec::with_capacity(patterns.len());
        for p in patterns {
            let text = p.as_ref();
            let bad = |why: &str| Error::Usage(format!("--exclude {text:?}: {why}"));
            let trimmed = text.trim();
            if trimmed.is_empty() {
                return Err(bad("empty pattern"));
            }
            if trimmed.contains('\\') {
                return Err(bad("use / between folders, not \\"));
            }
            let dirs_only = trimmed.ends_with('/');
            let body = trimmed.trim_end_matches('/');
            let anchored = body.contains('/');
            let body = body.trim_start_matches('/');
            if body.is_empty() {
                return Err(bad(
                    "matches the whole input; name files or folders inside it",
                ));
            }
            if body.split('/').any(|c| c == ".." || c == ".") {
                return Err(bad("`.` and `..` are not allowed in a pattern"));
            }
            let glob_text = if anchored {
                body.to_owned()
            } else {
                format!("**/{body}")
            };
            let glob: Glob = GlobBuilder::new(&glob_text)
                .literal_separator(true)
                .backslash_escape(false)
                .build()
                .map_err(|e| bad(&e.kind().to_string()))?;
            out.push(Pattern {
                text: trimmed.to_owned(),
                matcher: glob.compile_matcher(),
                dirs_only,
            });
        }
        Ok(Exclusions { patterns: out })
    }

    /// No pattern at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns as given (trimmed), in order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }

    /// The first pattern that leaves out `rel` (relative, POSIX), a folder if `is_dir`.
    pub fn matching(&self, rel: &str, is_dir: bool) -> Option<&str> {
        self.patterns
            .iter()
            .find(|p| (is_dir || !p.dirs_only) && p.matcher.is_match(rel))
            .map(|p| p.text.as_str())
    }
}

/// The pattern that leaves out exactly `rel` (a relative POSIX path from a report) and
/// nothing else: anchored with a leading `/`, every glob character put in a class of its
/// own (`[*]`), so a file called `a[1]*.txt` is matched by name and not as a glob.
pub fn literal(rel: &str) -> String {
    let mut out = String::with_capacity(rel.len() + 1);
    out.push('/');
    for c in rel.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' | ',' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(p: &[&str]) -> Exclusions {
        Exclusions::new(p).unwrap()
    }

    #[test]
    fn a_name_pattern_matches_at_any_depth() {
        let e = ex(&["*.tmp", "Thumbs.db"]);
        assert_eq!(e.matching("a.tmp", false), Some("*.tmp"));
        assert_eq!(e.matching("films/x/a.tmp", false), Some("*.tmp"));
        assert_eq!(e.matching("films/Thumbs.db", false), Some("Thumbs.db"));
        assert_eq!(e.matching("films/a.tmp.mp4", false), None);
        assert_eq!(e.matching("thumbs.db", false), None, "case-sensitive");
    }

    #[test]
    fn a_pattern_with_a_slash_is_anchored_and_stars_stay_in_one_folder() {
        let e = ex(&["photos/*.jpg", "/books/draft.pdf"]);
        assert_eq!(e.matching("photos/a.jpg", false), Some("photos/*.jpg"));
        assert_eq!(e.matching("photos/2019/a.jpg", false), None);
        assert_eq!(e.matching("old/photos/a.jpg", false), None);
        assert_eq!(
            e.matching("books/draft.pdf", false),
            Some("/books/draft.pdf")
        );
        let deep = ex(&["photos/**/raw"]);
        assert!(deep.matching("photos/raw", true).is_some());
        assert!(deep.matching("photos/2019/05/raw", true).is_some());
    }

    #[test]
    fn a_trailing_slash_matches_folders_only() {
        let e = ex(&["private/"]);
        assert_eq!(e.matching("private", true), Some("private/"));
        assert_eq!(e.matching("a/private", true), Some("private/"));
        assert_eq!(e.matching("private", false), None);
        let both = ex(&["private"]);
        assert!(both.matching("private", false).is_some());
        assert!(both.matching("x/private", true).is_some());
    }

    #[test]
    fn bad_patterns_are_refused_by_name() {
        for (p, why) in [
            ("", "empty"),
            ("  ", "empty"),
            ("/", "whole input"),
            ("a\\b", "not \\"),
            ("../x", "`..`"),
            ("a/[z-", "unclosed"),
        ] {
            let err = Exclusions::new(&[p]).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{:?}", p.trim())) || err.contains(p),
                "{err}"
            );
            assert!(err.to_lowercase().contains(why), "{p:?}: {err}");
        }
    }

    #[test]
    fn a_literal_pattern_matches_exactly_its_path() {
        for name in [
            "a[1]*.txt",
            "films/x?{y,z}].mkv",
            "top.txt",
            "폴더/영화 (1).avi",
            "a]b[c",
        ] {
            let p = literal(name);
            let e = Exclusions::new(&[p.as_str()]).unwrap();
            assert!(e.matching(name, false).is_some(), "{name}: {p}");
            assert!(e.matching(&format!("x/{name}"), false).is_none(), "{p}");
            assert!(e.matching("a1xx.txt", false).is_none(), "{p}");
        }
        // Top-level names stay anchored even without a slash inside.
        let e = Exclusions::new(&[literal("top.txt")]).unwrap();
        assert!(e.matching("sub/top.txt", false).is_none());
    }
}
