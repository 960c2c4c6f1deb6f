//! Readers of what people type, shared by the faces: durations, UTC times, timer stages.
//! `flag` names the field in messages (the CLI's flag; the app passes the same name).

use saebaram_forecast::time::parse_utc;

use crate::Error;
use crate::flight_options::TimerOption;

/// `30m`, `1h`, `3h`, `1d`, `90s` (a bare number is hours) in seconds, at least a minute.
pub fn duration_s(field: &'static str, flag: &str, text: &str) -> Result<f64, Error> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = num.trim().parse().map_err(|_| {
        Error::invalid(
            field,
            format!("{flag}: `{text}` is not a duration (e.g. 30m, 1h, 3h)"),
        )
    })?;
    let secs = match unit {
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" | "" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => {
            return Err(Error::invalid(
                field,
                format!("{flag}: unknown unit `{unit}` (use s, m, h or d)"),
            ));
        }
    };
    if secs.is_nan() || secs < 60.0 {
        return Err(Error::invalid(
            field,
            format!("{flag} must be at least 1 minute, got `{text}`"),
        ));
    }
    Ok(secs)
}

/// A percentage (`1`, `0.5%`, `0`) as a share from 0 to 1; negative, over 100 or not a
/// number is an error naming the flag.
pub fn percent(field: &'static str, flag: &str, text: &str) -> Result<f64, Error> {
    let t = text.trim();
    let n = t.strip_suffix('%').unwrap_or(t).trim();
    let pct: f64 = n.parse().map_err(|_| {
        Error::invalid(
            field,
            format!("{flag}: `{text}` is not a percentage (e.g. 1 or 0.5%)"),
        )
    })?;
    if !(0.0..=100.0).contains(&pct) {
        return Err(Error::invalid(
            field,
            format!("{flag} must be between 0 % and 100 %, got `{text}`"),
        ));
    }
    Ok(pct / 100.0)
}

/// A UTC time (`2019-06-05T23:00Z`, `2019-06-05`, `2019060523`, `@UNIXSECONDS`) in UNIX s.
pub fn utc_time(field: &'static str, flag: &str, text: &str) -> Result<f64, Error> {
    parse_utc(text).map(|t| t as f64).ok_or_else(|| {
        Error::invalid(
            field,
            format!("{flag}: `{text}` is not a UTC time (use 2019-06-05T23:00Z, 2019-06-05, 2019060523 or @UNIXSECONDS)"),
        )
    })
}

/// A forecast run: `latest` (`None`) or `YYYYMMDDHH`.
pub fn run(text: &str) -> Result<Option<i64>, Error> {
    if text == "latest" {
        return Ok(None);
    }
    saebaram_forecast::time::parse_run(text)
        .map(Some)
        .ok_or_else(|| {
            Error::invalid(
                "run_unix_s",
                format!("--run {text:?}: want latest or YYYYMMDDHH"),
            )
        })
}

/// Timer stages: `3` (one stage), `1.5:0.33,2.5:0.33,3.5:0.34` (hours and shares; a
/// missing share is 1/n), or `none`.
pub fn timer(text: &str) -> Result<TimerOption, Error> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(TimerOption::None);
    }
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let n = parts.len() as f64;
    let mut stages = Vec::new();
    for part in parts {
        let (h, share) = match part.split_once(':') {
            Some((h, f)) => (h, Some(f)),
            None => (part, None),
        };
        let after_h: f64 = h.trim_end_matches('h').parse().map_err(|_| {
            Error::invalid(
                "timer",
                format!("--timer: `{part}` is not HOURS or HOURS:SHARE (e.g. 3 or 1.5:0.5)"),
            )
        })?;
        let fraction = match share {
            Some(f) => f.parse().map_err(|_| {
                Error::invalid("timer", format!("--timer: share `{f}` is not a number"))
            })?,
            None => 1.0 / n,
        };
        stages.push((after_h, fraction));
    }
    Ok(TimerOption::Stages(stages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_with_or_without_the_sign_and_refuse_out_of_range() {
        let p = |t: &str| percent("max_heavy_risk", "--max-heavy-risk", t);
        assert_eq!(p("1").unwrap(), 0.01);
        assert_eq!(p("0.5%").unwrap(), 0.005);
        assert_eq!(p("0").unwrap(), 0.0);
        assert_eq!(p("100 %").unwrap(), 1.0);
        for bad in ["-1", "-0.5%", "101", "NaN", "one", ""] {
            let e = p(bad).unwrap_err();
            assert_eq!(e.field(), Some("max_heavy_risk"), "{bad}");
            assert!(e.to_string().starts_with("--max-heavy-risk"), "{bad}: {e}");
        }
        assert!(
            p("-1")
                .unwrap_err()
                .to_string()
                .contains("between 0 % and 100 %")
        );
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(duration_s("every", "--every", "30m").unwrap(), 1800.0);
        assert_eq!(duration_s("every", "--every", "1h").unwrap(), 3600.0);
        assert_eq!(duration_s("every", "--every", "2").unwrap(), 7200.0);
        assert_eq!(duration_s("every", "--every", "1d").unwrap(), 86_400.0);
        let e = duration_s("every", "--every", "10s").unwrap_err();
        assert_eq!(e.field(), Some("every"));
        assert!(e.to_string().contains("at least 1 minute"), "{e}");
        assert!(duration_s("every", "--every", "1w").is_err());
        assert!(duration_s("every", "--every", "soon").is_err());
    }

    #[test]
    fn times_and_timers() {
        assert_eq!(
            utc_time("from", "--from", "2019-06-05T12:00Z").unwrap(),
            1_559_736_000.0
        );
        assert!(
            utc_time("from", "--from", "noon")
                .unwrap_err()
                .to_string()
                .starts_with("--from: `noon`")
        );
        assert_eq!(timer("none").unwrap(), TimerOption::None);
        assert_eq!(
            timer("1:0.25,2h").unwrap(),
            TimerOption::Stages(vec![(1.0, 0.25), (2.0, 0.5)])
        );
        assert!(timer("x").is_err());
        assert!(timer("1:y").is_err());
    }
}
