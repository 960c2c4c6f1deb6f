//! Forbidden strings (names, places) that must not appear in free-text fields.
//!
//! The list is a text file, one string per line; blank lines and lines starting with `#`
//! are ignored; matching ignores case. Hits name the line of the list, never the string,
//! so a warning does not print a person's name to the terminal.

/// A parsed forbidden-strings list.
#[derive(Debug, Clone, Default)]
pub struct ForbidList {
    entries: Vec<(usize, String)>,
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
    /// Parses the text of a list.
    pub fn parse(text: &str) -> ForbidList {
        let entries = text
            .lines()
            .enumerate()
            .map(|(i, line)| (i + 1, line.trim()))
            .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
            .map(|(i, line)| (i, line.to_lowercase()))
            .collect();
        ForbidList { entries }
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The fields that contain a listed string.
    pub fn check(&self, fields: &[(&'static str, &str)]) -> Vec<ForbidHit> {
        let mut hits = Vec::new();
        for (field, value) in fields {
            let value = value.to_lowercase();
            for (line, entry) in &self.entries {
                if value.contains(entry.as_str()) {
                    hits.push(ForbidHit { field, line: *line });
                }
            }
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_listed_strings_ignoring_case_and_comments() {
        let list = ForbidList::parse("# names\nKim Chol\n\n  Sinuiju  \n");
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
}
