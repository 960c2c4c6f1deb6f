//! CF time coordinates (`hours since 1950-01-01 00:00:00`) to UNIX seconds, through
//! `chrono`, the one calendar implementation of the workspace.

use chrono::NaiveDate;

/// Seconds per unit and the epoch (UNIX seconds) of a CF `units` string such as
/// `seconds since 1970-01-01`, `hours since 1950-01-01 00:00:00`, `days since 2020-1-1T12:00:00Z`.
/// Only the standard (mixed Gregorian/Julian after 1582), `gregorian` and
/// `proleptic_gregorian` calendars are read: they agree for every date a forcing file holds.
pub(crate) fn parse_units(units: &str) -> Result<(f64, f64), String> {
    let units = units.trim();
    let (unit, rest) = units
        .split_once(" since ")
        .ok_or_else(|| format!("units `{units}` are not of the form `UNIT since DATE`"))?;
    let seconds_per_unit = match unit.trim().to_ascii_lowercase().as_str() {
        "second" | "seconds" | "sec" | "secs" | "s" => 1.0,
        "minute" | "minutes" | "min" | "mins" => 60.0,
        "hour" | "hours" | "hr" | "hrs" | "h" => 3600.0,
        "day" | "days" | "d" => 86400.0,
        other => {
            return Err(format!(
                "time unit `{other}` is not seconds, minutes, hours or days"
            ));
        }
    };
    let epoch = parse_reference(rest.trim())
        .ok_or_else(|| format!("reference date `{}` is not a date", rest.trim()))?;
    Ok((seconds_per_unit, epoch))
}

/// `YYYY-M-D`, optionally followed by ` ` or `T` and `h:m[:s[.frac]]`, optionally `Z`,
/// `UTC` or `+00:00`/`+0000`/`+00`. Other time zones are refused (no forcing uses them).
fn parse_reference(text: &str) -> Option<f64> {
    let text = text.trim_end_matches(['Z', 'z']).trim();
    let text = text.strip_suffix("UTC").unwrap_or(text).trim();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, t.trim()),
        None => (text, ""),
    };
    let mut parts = date.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let time = strip_zero_offset(time)?;
    let mut seconds = 0.0;
    if !time.is_empty() {
        let mut fields = time.split(':');
        let h: f64 = fields.next()?.parse().ok()?;
        let m: f64 = fields.next().map_or(Some(0.0), |f| f.parse().ok())?;
        let s: f64 = fields.next().map_or(Some(0.0), |f| f.parse().ok())?;
        if fields.next().is_some()
            || !(0.0..24.0).contains(&h)
            || !(0.0..60.0).contains(&m)
            || !(0.0..61.0).contains(&s)
        {
            return None;
        }
        seconds = h * 3600.0 + m * 60.0 + s;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let midnight = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
    Some(midnight as f64 + seconds)
}

fn strip_zero_offset(time: &str) -> Option<&str> {
    for zero in ["+00:00", "+0000", "+00", "-00:00"] {
        if let Some(t) = time.strip_suffix(zero) {
            return Some(t.trim());
        }
    }
    // Any other sign after the clock is a real offset.
    if time.contains('+') || time.rfind('-').is_some() {
        return None;
    }
    Some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_since_1950() {
        let (per, epoch) = parse_units("hours since 1950-01-01 00:00:00").unwrap();
        assert_eq!(per, 3600.0);
        assert_eq!(epoch, -631_152_000.0);
    }

    #[test]
    fn seconds_since_unix_epoch_with_t_and_z() {
        assert_eq!(
            parse_units("seconds since 1970-01-01T00:00:00Z").unwrap(),
            (1.0, 0.0)
        );
        assert_eq!(
            parse_units("days since 1970-1-2").unwrap(),
            (86400.0, 86400.0)
        );
        assert_eq!(
            parse_units("seconds since 1970-01-01 01:00:00 +00:00").unwrap(),
            (1.0, 3600.0)
        );
    }

    #[test]
    fn bad_units_are_refused() {
        assert!(parse_units("hours").is_err());
        assert!(parse_units("fortnights since 1970-01-01").is_err());
        assert!(parse_units("hours since 1970-13-01").is_err());
        assert!(parse_units("hours since 1970-01-01 09:00:00+09:00").is_err());
    }
}
