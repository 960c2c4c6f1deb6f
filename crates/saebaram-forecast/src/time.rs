//! UTC calendar arithmetic: civil date <-> seconds since the UNIX epoch, and the few time
//! spellings saebaram reads and writes (`2019-06-05T00:00:00Z`, `2019060500`).
//!
//! Hand-written (Howard Hinnant's `days_from_civil` algorithm, about 30 lines) rather than
//! pulling `chrono`/`time` into every build for two conversions on UTC only.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01: (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Seconds since the epoch of a UTC civil time, or `None` if a field is out of range.
pub fn unix_from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(
        days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second),
    )
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `2019-06-05T00:00:00Z`.
pub fn format_rfc3339(t_unix_s: i64) -> String {
    let (y, mo, d) = civil_from_days(t_unix_s.div_euclid(86_400));
    let s = t_unix_s.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// `2019060500` (a run name).
pub fn format_run(t_unix_s: i64) -> String {
    let (y, mo, d) = civil_from_days(t_unix_s.div_euclid(86_400));
    format!(
        "{y:04}{mo:02}{d:02}{:02}",
        t_unix_s.rem_euclid(86_400) / 3600
    )
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
        for days in [-800_000, -1, 0, 1, 11_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
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
