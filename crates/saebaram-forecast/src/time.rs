//! UTC calendar arithmetic: civil date <-> seconds since the UNIX epoch (through `chrono`,
//! the one calendar implementation of the workspace), and the few time spellings saebaram
//! reads and writes (`2019-06-05T00:00:00Z`, `2019060500`).

use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _};

/// Seconds since the epoch of a UTC civil time, or `None` if a field is out of range.
pub fn unix_from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(
        date.and_hms_opt(hour, minute, second)?
            .and_utc()
            .timestamp(),
    )
}

/// (year, month, day, hour, minute, second) of a time, or `None` beyond chrono's range
/// (about 262,000 years either side of the epoch: only a damaged file gets there).
fn civil(t_unix_s: i64) -> Option<(i32, u32, u32, u32, u32, u32)> {
    let t = DateTime::from_timestamp(t_unix_s, 0)?;
    Some((
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    ))
}

/// `2019-06-05T00:00:00Z`; a time beyond the calendar's range is shown as `@SECONDS`
/// (which [`parse_utc`] reads back), never as a made-up date.
pub fn format_rfc3339(t_unix_s: i64) -> String {
    match civil(t_unix_s) {
        Some((y, mo, d, h, mi, s)) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        None => format!("@{t_unix_s}"),
    }
}

/// `2019060500` (a run name); `@SECONDS` beyond the calendar's range.
pub fn format_run(t_unix_s: i64) -> String {
    match civil(t_unix_s) {
        Some((y, mo, d, h, ..)) => format!("{y:04}{mo:02}{d:02}{h:02}"),
        None => format!("@{t_unix_s}"),
    }
}

/// Parses `YYYYMMDDHH` (a run name) into seconds since the epoch.
pub fn parse_run(s: &str) -> Option<i64> {
    if s.len() != 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| s.get(a..b).and_then(|x| x.parse::<u32>().ok());
    unix_from_civil(i64::from(n(0, 4)?), n(4, 6)?, n(6, 8)?, n(8, 10)?, 0, 0)
}

/// Parses a UTC time: `YYYY-MM-DDTHH:MM[:SS]Z` (the `Z` or `+00:00` is required, `T` may be a
/// space), `YYYY-MM-DD` (midnight), `YYYYMMDDHH`, or `@SECONDS` since the epoch.
pub fn parse_utc(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('@') {
        return rest.parse::<i64>().ok();
    }
    if let Some(t) = parse_run(s) {
        return Some(t);
    }
    let b = s.as_bytes();
    let num = |a: usize, len: usize| -> Option<u32> {
        let part = s.get(a..a + len)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if b.len() == 10 {
        return unix_from_civil(i64::from(year), month, day, 0, 0, 0);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    let mut pos = 16;
    let mut second = 0;
    if b.get(16) == Some(&b':') {
        second = num(17, 2)?;
        pos = 19;
    }
    match s.get(pos..)? {
        "Z" | "z" | "+00:00" | "+0000" => {}
        _ => return None,
    }
    unix_from_civil(i64::from(year), month, day, hour, minute, second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_epochs() {
        assert_eq!(unix_from_civil(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(unix_from_civil(2019, 6, 5, 0, 0, 0), Some(1_559_692_800));
        assert_eq!(unix_from_civil(2000, 2, 29, 12, 0, 0), Some(951_825_600));
        assert_eq!(unix_from_civil(2001, 2, 29, 0, 0, 0), None);
        assert_eq!(unix_from_civil(1900, 2, 29, 0, 0, 0), None);
        assert_eq!(unix_from_civil(i64::MAX, 1, 1, 0, 0, 0), None);
        for t in [-1, 0, 1, 86_400 * 20_000, 86_400 * 2_000_000] {
            assert_eq!(parse_utc(&format_rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(format_rfc3339(i64::MAX), format!("@{}", i64::MAX));
        assert_eq!(format_run(i64::MIN), format!("@{}", i64::MIN));
    }

    #[test]
    fn parse_and_format_round_trip() {
        let t = 1_559_692_800 + 3 * 3600 + 61;
        assert_eq!(format_rfc3339(t), "2019-06-05T03:01:01Z");
        assert_eq!(parse_utc("2019-06-05T03:01:01Z"), Some(t));
        assert_eq!(parse_utc("2019-06-05 03:01:01+00:00"), Some(t));
        assert_eq!(parse_utc("2019-06-05T03:01Z"), Some(t - 1));
        assert_eq!(parse_utc("2019060503"), Some(t - 61));
        assert_eq!(parse_utc("2019-06-05"), Some(1_559_692_800));
        assert_eq!(parse_utc("@42"), Some(42));
        assert_eq!(format_run(1_559_692_800), "2019060500");
        for bad in [
            "",
            "2019-06-05T03:01:01",
            "2019-13-01T00:00Z",
            "yesterday",
            "2019-06-05T25:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
