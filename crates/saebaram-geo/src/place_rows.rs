//! The strict reader of the GeoNames place list (`data/geonames_places_kr_kp.csv`) and of our
//! corrections to it (`data/geonames_corrections.csv`).
//!
//! This file is compiled twice: by `build.rs` (so a malformed row fails the build, naming
//! the row) and by the crate (which reads the same embedded text at run time). It therefore
//! uses nothing but `std`.
//!
//! Why hand-written and not the `csv` crate: the file is ours, fixed in shape (no quoting,
//! no embedded commas), and every check here is about the values, not the CSV syntax; a
//! quote or a wrong number of fields is refused outright rather than interpreted.

use std::collections::HashSet;
use std::fmt;

/// The header the place list must start with.
pub const PLACES_HEADER: &str = "geonameid,name,name_ko,country,admin1,lat,lon,population";
/// The header the corrections file must start with.
pub const CORRECTIONS_HEADER: &str = "geonameid,field,from,to,reason";

/// Latitudes and longitudes a place of either Korea can have (a box around the peninsula and
/// its islands, inside the map's extent).
const LAT_RANGE: (f64, f64) = (33.0, 43.1);
const LON_RANGE: (f64, f64) = (124.0, 131.0);

/// One row of the place list, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceRow {
    /// GeoNames id (unique in the file).
    pub geonameid: u32,
    /// GeoNames' name (McCune–Reischauer for the North).
    pub name: String,
    /// Korean name (Hangul); empty when GeoNames has none.
    pub name_ko: String,
    /// `KR` or `KP`.
    pub country: String,
    /// GeoNames admin-1 code (two digits).
    pub admin1: String,
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// GeoNames' population; 0 means "size unknown", never "empty".
    pub population: u64,
}

/// What is wrong with a line of a data file.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// The file's name.
    pub file: &'static str,
    /// 1-based line number (the header is line 1).
    pub line: usize,
    /// The line's text (cut to 120 characters).
    pub text: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} line {}: {} (the row reads {:?})",
            self.file, self.line, self.problem, self.text
        )
    }
}

/// The lines of a text file without their line ends (LF or CRLF), numbered from 1; a final
/// empty line after the last line end is not a line.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

fn row_error(file: &'static str, line: usize, text: &str, problem: String) -> RowError {
    RowError {
        file,
        line,
        text: text.chars().take(120).collect(),
        problem,
    }
}

/// Splits a line into exactly `n` fields, refusing quotes and blanks around values.
fn fields(line: &str, n: usize) -> Result<Vec<&str>, String> {
    if line.contains('"') {
        return Err("has a quote: quoted fields are not accepted".into());
    }
    let parts: Vec<&str> = line.split(',').collect();
    if parts.len() != n {
        return Err(format!("has {} fields, expected {n}", parts.len()));
    }
    if let Some(p) = parts.iter().find(|p| p.trim() != **p) {
        return Err(format!("field {p:?} has blanks around it"));
    }
    if let Some(p) = parts.iter().find(|p| p.chars().any(char::is_control)) {
        return Err(format!("field {p:?} has a control character"));
    }
    Ok(parts)
}

/// True for a precomposed Hangul syllable (U+AC00..U+D7A3).
fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// A Korean name: Hangul syllables, with digits, hyphens and single inner spaces allowed.
pub fn check_korean_name(s: &str) -> Result<(), String> {
    if !s.chars().any(is_hangul) {
        return Err(format!("Korean name {s:?} has no Hangul"));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| !(is_hangul(c) || c.is_ascii_digit() || c == '-' || c == ' '))
    {
        return Err(format!(
            "Korean name {s:?} has {c:?}, which is not Hangul, a digit, a hyphen or a space"
        ));
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.contains("  ") {
        return Err(format!("Korean name {s:?} has stray spaces"));
    }
    Ok(())
}

fn decimal(s: &str, what: &str, range: (f64, f64)) -> Result<f64, String> {
    let ok_chars = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && s.chars().filter(|&c| c == '.').count() <= 1;
    let v: f64 = if ok_chars { s.parse().ok() } else { None }
        .ok_or_else(|| format!("{what} {s:?} is not a decimal number"))?;
    if !(v >= range.0 && v <= range.1) {
        return Err(format!(
            "{what} {v} is outside {}..{} (the two Koreas)",
            range.0, range.1
        ));
    }
    Ok(v)
}

fn whole(s: &str, what: &str) -> Result<u64, String> {
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{what} {s:?} is not a whole number of 0 or more"));
    }
    s.parse().map_err(|_| format!("{what} {s:?} is too large"))
}

fn place_row(line: &str, seen: &mut HashSet<u32>) -> Result<PlaceRow, String> {
    let f = fields(line, 8)?;
    let id = whole(f[0], "geonameid")?;
    let geonameid = u32::try_from(id)
        .ok()
        .filter(|&i| i > 0)
        .ok_or_else(|| format!("geonameid {id} is not an id (1..4294967295)"))?;
    if !seen.insert(geonameid) {
        return Err(format!("geonameid {geonameid} appears twice"));
    }
    let name = f[1];
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if !name.chars().any(char::is_alphabetic) {
        return Err(format!("name {name:?} has no letter"));
    }
    let name_ko = f[2];
    if !name_ko.is_empty() {
        check_korean_name(name_ko)?;
    }
    let country = f[3];
    if country != "KR" && country != "KP" {
        return Err(format!("country {country:?} is not KR or KP"));
    }
    let admin1 = f[4];
    if admin1.len() != 2 || !admin1.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("admin1 {admin1:?} is not a two-digit code"));
    }
    let lat = decimal(f[5], "latitude", LAT_RANGE)?;
    let lon = decimal(f[6], "longitude", LON_RANGE)?;
    let population = whole(f[7], "population")?;
    Ok(PlaceRow {
        geonameid,
        name: name.to_string(),
        name_ko: name_ko.to_string(),
        country: country.to_string(),
        admin1: admin1.to_string(),
        lat,
        lon,
        population,
    })
}

/// Reads the place list: the exact header, then one checked row per line. The first bad
/// line is the error; an empty list is one too.
pub fn parse_places(file: &'static str, text: &str) -> Result<Vec<PlaceRow>, RowError> {
    if text.is_empty() {
        return Err(row_error(file, 1, "", "the file is empty".into()));
    }
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    let mut it = lines(text);
    match it.next() {
        Some((_, h)) if h.trim_start_matches('\u{feff}') == PLACES_HEADER => {}
        Some((n, h)) => {
            return Err(row_error(
                file,
                n,
                h,
                format!("the header is not {PLACES_HEADER:?}"),
            ));
        }
        None => return Err(row_error(file, 1, "", "the file is empty".into())),
    }
    for (n, line) in it {
        let row = place_row(line, &mut seen).map_err(|p| row_error(file, n, line, p))?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(row_error(file, 1, PLACES_HEADER, "no place rows".into()));
    }
    Ok(rows)
}

/// Which field a correction replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectedField {
    /// The Korean name.
    NameKo,
}

/// One correction of a GeoNames value, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The place.
    pub geonameid: u32,
    /// The field.
    pub field: CorrectedField,
    /// The value GeoNames has (must match, so a corrected source fails loudly).
    pub from: String,
    /// Our value.
    pub to: String,
    /// Why (kept for the reader of the file).
    pub reason: String,
}

/// Reads the corrections file (same rules as the place list; `from` may be empty for a value
/// GeoNames lacks).
pub fn parse_corrections(file: &'static str, text: &str) -> Result<Vec<Correction>, RowError> {
    if text.is_empty() {
        return Err(row_error(file, 1, "", "the file is empty".into()));
    }
    let mut out = Vec::new();
    let mut it = lines(text);
    match it.next() {
        Some((_, h)) if h.trim_start_matches('\u{feff}') == CORRECTIONS_HEADER => {}
        Some((n, h)) => {
            return Err(row_error(
                file,
                n,
                h,
                format!("the header is not {CORRECTIONS_HEADER:?}"),
            ));
        }
        None => return Err(row_error(file, 1, "", "the file is empty".into())),
    }
    let mut seen = HashSet::new();
    for (n, line) in it {
        let mut parse = || -> Result<Correction, String> {
            let f = fields(line, 5)?;
            let id = whole(f[0], "geonameid")?;
            let geonameid =
                u32::try_from(id).map_err(|_| format!("geonameid {id} is too large"))?;
            let field = match f[1] {
                "name_ko" => CorrectedField::NameKo,
                other => {
                    return Err(format!(
                        "field {other:?} cannot be corrected (name_ko only)"
                    ));
                }
            };
            if !seen.insert((geonameid, f[1])) {
                return Err(format!("{} of {geonameid} is corrected twice", f[1]));
            }
            check_korean_name(f[3])?;
            if f[2] == f[3] {
                return Err(format!("corrects {:?} to itself", f[2]));
            }
            if f[4].is_empty() {
                return Err("gives no reason".into());
            }
            Ok(Correction {
                geonameid,
                field,
                from: f[2].to_string(),
                to: f[3].to_string(),
                reason: f[4].to_string(),
            })
        };
        out.push(parse().map_err(|p| row_error(file, n, line, p))?);
    }
    Ok(out)
}

/// Applies the corrections to the rows; a correction whose place is missing or whose `from`
/// no longer matches is an error naming the correction's line.
pub fn apply_corrections(
    file: &'static str,
    rows: &mut [PlaceRow],
    corrections: &[Correction],
) -> Result<(), RowError> {
    for (k, c) in corrections.iter().enumerate() {
        let line = k + 2;
        let text = format!("{},name_ko,{},{}", c.geonameid, c.from, c.to);
        let row = rows
            .iter_mut()
            .find(|r| r.geonameid == c.geonameid)
            .ok_or_else(|| {
                row_error(
                    file,
                    line,
                    &text,
                    format!("no place has geonameid {}", c.geonameid),
                )
            })?;
        match c.field {
            CorrectedField::NameKo => {
                if row.name_ko != c.from {
                    return Err(row_error(
                        file,
                        line,
                        &text,
                        format!(
                            "{} ({}) has the Korean name {:?}, not {:?}: the source changed, check the correction",
                            row.name, c.geonameid, row.name_ko, c.from
                        ),
                    ));
                }
                row.name_ko = c.to.clone();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: &str = "places.csv";

    fn one(row: &str) -> Result<Vec<PlaceRow>, RowError> {
        parse_places(F, &format!("{PLACES_HEADER}\r\n{row}\r\n"))
    }

    fn problem(row: &str) -> String {
        let e = one(row).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let shown = e.to_string();
        assert!(shown.contains("places.csv line 2"), "{shown}");
        e.problem
    }

    #[test]
    fn a_good_row_reads_with_lf_or_crlf() {
        let rows = one("1840862,Munsan,,KR,13,37.85944,126.785,43208").unwrap();
        assert_eq!(rows[0].name, "Munsan");
        assert_eq!(rows[0].population, 43208);
        assert_eq!(rows[0].name_ko, "");
        let lf = parse_places(
            F,
            &format!("{PLACES_HEADER}\n1877615,Haeju,해주,KP,06,38.04056,125.71472,222396"),
        )
        .unwrap();
        assert_eq!(lf[0].name_ko, "해주");
    }

    #[test]
    fn population_zero_is_accepted_as_unknown() {
        let rows = one("1951567,Paju,파주,KR,13,37.83278,126.81694,0").unwrap();
        assert_eq!(rows[0].population, 0);
    }

    #[test]
    fn malformed_rows_name_their_line_and_problem() {
        for (row, expect) in [
            ("1951567,Paju,파주,KR,13,37.83278,126.81694", "has 7 fields"),
            (
                "1951567,Paju,파주,KR,13,37.83278,126.81694,0,9",
                "has 9 fields",
            ),
            ("x1,Paju,파주,KR,13,37.8,126.8,0", "geonameid \"x1\""),
            ("0,Paju,파주,KR,13,37.8,126.8,0", "not an id"),
            ("1,,파주,KR,13,37.8,126.8,0", "name is empty"),
            ("1,123,파주,KR,13,37.8,126.8,0", "no letter"),
            ("1,Paju,Paju,KR,13,37.8,126.8,0", "no Hangul"),
            ("1,Paju,파주!,KR,13,37.8,126.8,0", "'!'"),
            ("1,Paju,파주,JP,13,37.8,126.8,0", "not KR or KP"),
            ("1,Paju,파주,KR,1,37.8,126.8,0", "two-digit"),
            ("1,Paju,파주,KR,13,37.8.1,126.8,0", "latitude \"37.8.1\""),
            ("1,Paju,파주,KR,13,NaN,126.8,0", "latitude \"NaN\""),
            ("1,Paju,파주,KR,13,1e1,126.8,0", "not a decimal"),
            ("1,Paju,파주,KR,13,51.5,126.8,0", "outside 33..43.1"),
            ("1,Paju,파주,KR,13,37.8,-0.1,0", "longitude -0.1 is outside"),
            ("1,Paju,파주,KR,13,37.8,126.8,-5", "population \"-5\""),
            ("1,Paju,파주,KR,13,37.8,126.8,", "population \"\""),
            (
                "1,Paju,파주,KR,13,37.8,126.8,99999999999999999999999",
                "too large",
            ),
            ("1,\"Paju, city\",파주,KR,13,37.8,126.8,0", "quote"),
            ("1, Paju,파주,KR,13,37.8,126.8,0", "blanks"),
            ("1,Pa\tju,파주,KR,13,37.8,126.8,0", "control"),
            ("", "has 1 fields"),
        ] {
            let p = problem(row);
            assert!(p.contains(expect), "{row:?}: {p}");
        }
    }

    #[test]
    fn duplicate_ids_are_refused_at_the_second() {
        let e = parse_places(
            F,
            &format!(
                "{PLACES_HEADER}\n1,Paju,파주,KR,13,37.8,126.8,0\n2,Munsan,,KR,13,37.8,126.7,1\n1,Paju,파주,KR,13,37.8,126.8,0\n"
            ),
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.problem.contains("appears twice"), "{e}");
    }

    #[test]
    fn header_and_empty_files_are_checked() {
        assert!(
            parse_places(F, "id,name\n1,Paju")
                .unwrap_err()
                .problem
                .contains("header")
        );
        assert!(parse_places(F, "").unwrap_err().problem.contains("empty"));
        assert!(
            parse_places(F, &format!("{PLACES_HEADER}\n"))
                .unwrap_err()
                .problem
                .contains("no place rows")
        );
    }

    #[test]
    fn corrections_apply_and_fail_when_the_source_moved() {
        let mut rows = one("1835848,Seoul,경성,KR,11,37.566,126.9784,10349312").unwrap();
        let c = parse_corrections(
            "fix.csv",
            &format!("{CORRECTIONS_HEADER}\n1835848,name_ko,경성,서울,the colonial-era name\n"),
        )
        .unwrap();
        apply_corrections("fix.csv", &mut rows, &c).unwrap();
        assert_eq!(rows[0].name_ko, "서울");
        // Applying again: the source no longer says 경성.
        let e = apply_corrections("fix.csv", &mut rows, &c).unwrap_err();
        assert!(e.problem.contains("the source changed"), "{e}");
        let e = apply_corrections(
            "fix.csv",
            &mut rows,
            &[Correction {
                geonameid: 9,
                ..c[0].clone()
            }],
        )
        .unwrap_err();
        assert!(e.problem.contains("no place has geonameid 9"), "{e}");
        for (line, expect) in [
            ("1835848,name,경성,서울,x", "cannot be corrected"),
            ("1835848,name_ko,경성,Seoul,x", "no Hangul"),
            ("1835848,name_ko,서울,서울,x", "to itself"),
            ("1835848,name_ko,경성,서울,", "no reason"),
        ] {
            let e = parse_corrections("fix.csv", &format!("{CORRECTIONS_HEADER}\n{line}\n"))
                .unwrap_err();
            assert_eq!(e.line, 2);
            assert!(e.problem.contains(expect), "{line}: {e}");
        }
    }
}
