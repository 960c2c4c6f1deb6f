//! Forbidden strings (names, places) that must not appear in free-text fields.
//!
//! The list is a text file, one string per line; blank lines and lines starting with `#`
//! are ignored; matching ignores case (Unicode) and Hangul composition. Hits name the line of
//! the list, never the string, so a warning does not print a person's name to the terminal.
//! The matcher is `saebaram-forbid`'s, the same one `saebaram clean` uses.

pub use saebaram_forbid::Error as ForbidError;

/// A parsed forbidden-strings list.
#[derive(Debug, Clone, Default)]
pub struct ForbidList {
    list: saebaram_forbid::ForbidList,
}

/// A free-text field that contains a forbidden string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForbidHit {
    /// The field.
    pub field: &'static str,
    /// 1-based line of the list that matched.
    pub line: usize,
}

impl ForbidList {
    /// Parses the text of a list. A list that cannot be turned into a matcher is an error,
    /// never a list that matches nothing.
    pub fn parse(text: &str) -> Result<ForbidList, ForbidError> {
        Ok(ForbidList {
            list: saebaram_forbid::ForbidList::parse(text)?,
        })
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The fields that contain a listed string (one hit per field and line).
    pub fn check(&self, fields: &[(&'static str, &str)]) -> Vec<ForbidHit> {
        fields
            .iter()
            .flat_map(|(field, value)| {
                self.list
                    .lines_in(value)
                    .into_iter()
                    .map(move |line| ForbidHit { field, line })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_listed_strings_ignoring_case_and_comments() {
        let list = ForbidList::parse("# names\nKim Chol\n\n  Sinuiju  \n").unwrap();
        assert_eq!(list.len(), 2);
        let hits = list.check(&[("site", "near SINUIJU port"), ("route", "kim chol's boat")]);
        assert_eq!(
            hits,
            vec![
                ForbidHit {
                    field: "site",
                    line: 4
                },
                ForbidHit {
                    field: "route",
                    line: 2
                }
            ]
        );
        assert!(list.check(&[("site", "Ganghwa")]).is_empty());
    }

    #[test]
    fn hangul_and_cyrillic_names_match_in_any_form() {
        let list = ForbidList::parse("김철\nДмитрий").unwrap();
        let decomposed = "\u{1100}\u{1175}\u{11B7}\u{110E}\u{1165}\u{11AF}";
        assert_eq!(list.check(&[("note", decomposed)]).len(), 1);
        assert_eq!(list.check(&[("note", "ДМИТРИЙ")])[0].line, 2);
    }
}
