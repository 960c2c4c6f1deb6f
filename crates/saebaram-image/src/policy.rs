//! The fingerprint policy: where serials and timestamps come from.
//!
//! Nothing here reads the clock or the environment. Every random value is drawn from a
//! 32-byte seed through BLAKE3 in keyed XOF mode (a deterministic stream cipher-grade
//! generator): the CLI fills the seed from the OS CSPRNG, or derives it from `--seed N`
//! for a reproducible build.

use std::fmt;

use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _};

/// Timestamps are stored as FAT local time with no zone, so a policy time is taken as is:
/// the laptop's zone never enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilTime {
    /// Seconds since 1970-01-01T00:00 on the civil calendar (no zone).
    secs: i64,
}

/// Why a timestamp policy was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "timestamp policy {given:?}: {problem} (expected `fixed:YYYY-MM-DDTHH:MM[:SS]` or `random:YYYY-MM-DD..YYYY-MM-DD`)"
)]
pub struct PolicyError {
    /// What was given.
    pub given: String,
    /// What is wrong with it.
    pub problem: String,
}

impl CivilTime {
    /// A date and time; `None` if out of range for FAT (1980-2107) or not a real date.
    pub fn new(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Self> {
        if !(1980..=2107).contains(&y) || !(1..=12).contains(&mo) || h > 23 || mi > 59 || s > 59 {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?;
        Some(Self {
            secs: date.and_hms_opt(h, mi, s)?.and_utc().timestamp(),
        })
    }

    /// Year, month, day, hour, minute, second.
    pub fn parts(self) -> (i64, u32, u32, u32, u32, u32) {
        // Invariant: `secs` is a FAT-range date (1980-2107) moved by at most a policy's
        // range, far inside what chrono represents.
        let t = DateTime::from_timestamp(self.secs, 0)
            .expect("a CivilTime lies in chrono's range")
            .naive_utc();
        (
            i64::from(t.year()),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        )
    }

    /// The FAT date word (`(year-1980)<<9 | month<<5 | day`).
    pub fn fat_date(self) -> u16 {
        let (y, m, d, ..) = self.parts();
        (((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16
    }

    /// The FAT time word (2-second resolution).
    pub fn fat_time(self) -> u16 {
        let (.., h, mi, s) = self.parts();
        ((h as u16) << 11) | ((mi as u16) << 5) | (s as u16 / 2)
    }

    /// The FAT creation "tenth" byte: the odd second plus hundredths (0-199).
    pub fn fat_tenths(self, hundredths: u8) -> u8 {
        let (.., s) = self.parts();
        ((s % 2) as u8) * 100 + hundredths.min(99)
    }

    fn add_secs(self, secs: i64) -> Self {
        Self {
            secs: self.secs + secs,
        }
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`.
    fn parse(s: &str) -> Option<Self> {
        let (date, time) = match s.split_once(['T', ' ']) {
            Some((d, t)) => (d, Some(t)),
            None => (s, None),
        };
        let mut dp = date.split('-');
        let y = dp.next()?.parse().ok()?;
        let mo = dp.next()?.parse().ok()?;
        let d = dp.next()?.parse().ok()?;
        if dp.next().is_some() {
            return None;
        }
        let (h, mi, sec) = match time {
            None => (0, 0, 0),
            Some(t) => {
                let mut tp = t.split(':');
                let h = tp.next()?.parse().ok()?;
                let mi = tp.next()?.parse().ok()?;
                let sec = match tp.next() {
                    Some(x) => x.parse().ok()?,
                    None => 0,
                };
                if tp.next().is_some() {
                    return None;
                }
                (h, mi, sec)
            }
        };
        Self::new(y, mo, d, h, mi, sec)
    }
}

impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, h, mi, s) = self.parts();
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
    }
}

/// How file and directory timestamps are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampPolicy {
    /// Every entry gets this time (created, modified, accessed).
    Fixed(CivilTime),
    /// A copy moment is drawn in the range (first day 00:00 to last day 23:59:59);
    /// each entry's modification time is drawn between the range start and that moment,
    /// and its creation time follows the copy moment as a copy would.
    Random {
        /// First instant.
        from: CivilTime,
        /// Last instant.
        to: CivilTime,
    },
}

impl TimestampPolicy {
    /// The default: random between 2021-01-01 and 2024-12-31.
    pub fn default_random() -> Self {
        Self::parse("random:2021-01-01..2024-12-31").unwrap_or(Self::Fixed(CivilTime { secs: 0 }))
    }

    /// Parses `fixed:2023-03-14T10:00` or `random:2021-01-01..2024-12-31`.
    pub fn parse(s: &str) -> Result<Self, PolicyError> {
        let err = |problem: &str| PolicyError {
            given: s.to_owned(),
            problem: problem.to_owned(),
        };
        if let Some(rest) = s.strip_prefix("fixed:") {
            let t = CivilTime::parse(rest)
                .ok_or_else(|| err("not a date and time between 1980 and 2107"))?;
            Ok(Self::Fixed(t))
        } else if let Some(rest) = s.strip_prefix("random:") {
            let (a, b) = rest
                .split_once("..")
                .ok_or_else(|| err("a range needs `..`"))?;
            let from = CivilTime::parse(a)
                .ok_or_else(|| err("the range start is not a date between 1980 and 2107"))?;
            let mut to = CivilTime::parse(b)
                .ok_or_else(|| err("the range end is not a date between 1980 and 2107"))?;
            if !b.contains(['T', ' ']) {
                to = to.add_secs(86_399);
            }
            if to <= from {
                return Err(err("the range end must come after its start"));
            }
            Ok(Self::Random { from, to })
        } else {
            Err(err("unknown kind"))
        }
    }
}

impl fmt::Display for TimestampPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(t) => write!(f, "fixed:{t}"),
            Self::Random { from, to } => write!(f, "random:{from}..{to}"),
        }
    }
}

/// The times of one directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryTimes {
    /// Creation time.
    pub created: CivilTime,
    /// Hundredths of a second of the creation time (0-99).
    pub created_hundredths: u8,
    /// Last modification.
    pub modified: CivilTime,
    /// Last access (only the date is stored).
    pub accessed: CivilTime,
}

/// The seed of a reproducible build from a number given by the user (`--seed N`).
pub fn seed_from_number(n: u64) -> [u8; 32] {
    blake3::derive_key("saebaram-image 2026 reproducible seed v1", &n.to_le_bytes())
}

/// A deterministic random stream from a 32-byte seed (BLAKE3 keyed XOF).
pub struct SeedRng {
    out: blake3::OutputReader,
}

impl SeedRng {
    /// A stream for one purpose; different purposes give independent streams.
    pub fn new(seed: &[u8; 32], purpose: &str) -> Self {
        let mut h = blake3::Hasher::new_keyed(seed);
        h.update(b"saebaram-image v1\0");
        h.update(purpose.as_bytes());
        Self {
            out: h.finalize_xof(),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.out.fill(&mut b);
        u64::from_le_bytes(b)
    }

    /// A non-zero 32-bit value.
    pub fn nonzero_u32(&mut self) -> u32 {
        loop {
            let v = self.next_u64() as u32;
            if v != 0 {
                return v;
            }
        }
    }

    /// Uniform in `0..n` (n > 0; bias below 2^-32 for the ranges used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n.max(1) as u128) >> 64) as u64
    }
}

/// Hands out entry times under a policy, in layout order.
pub struct TimeSource {
    policy: TimestampPolicy,
    rng: SeedRng,
    copy_moment: CivilTime,
}

impl TimeSource {
    /// A source for one image.
    pub fn new(policy: TimestampPolicy, seed: &[u8; 32]) -> Self {
        let mut rng = SeedRng::new(seed, "timestamps");
        let copy_moment = match policy {
            TimestampPolicy::Fixed(t) => t,
            TimestampPolicy::Random { from, to } => {
                // Leave room after the copy moment for the copy itself.
                let span = (to.secs - from.secs) as u64;
                from.add_secs((span / 2 + rng.below(span / 2 + 1)) as i64)
            }
        };
        Self {
            policy,
            rng,
            copy_moment,
        }
    }

    /// Times for the next entry; `bytes_before` is how much was copied before it, so that
    /// creation times advance like a real copy (about 20 MB/s).
    pub fn next(&mut self, bytes_before: u64) -> EntryTimes {
        match self.policy {
            TimestampPolicy::Fixed(t) => EntryTimes {
                created: t,
                created_hundredths: 0,
                modified: t,
                accessed: t,
            },
            TimestampPolicy::Random { from, to } => {
                let created = self
                    .copy_moment
                    .add_secs((bytes_before / 20_000_000) as i64)
                    .min(to);
                let span = (created.secs - from.secs).max(0) as u64;
                let modified = from.add_secs(self.rng.below(span + 1) as i64);
                EntryTimes {
                    created,
                    created_hundredths: self.rng.below(100) as u8,
                    modified,
                    accessed: created,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_and_encode_for_fat() {
        let t = CivilTime::new(2023, 3, 14, 10, 0, 7).unwrap();
        assert_eq!(t.to_string(), "2023-03-14T10:00:07");
        assert_eq!(t.fat_date(), (43 << 9) | (3 << 5) | 14);
        assert_eq!(t.fat_time(), (10 << 11) | 3);
        assert_eq!(t.fat_tenths(5), 105);
        assert!(CivilTime::new(2023, 2, 29, 0, 0, 0).is_none());
        assert!(CivilTime::new(2024, 2, 29, 0, 0, 0).is_some());
        assert!(CivilTime::new(1979, 12, 31, 0, 0, 0).is_none());
        assert!(CivilTime::new(2023, 4, 31, 0, 0, 0).is_none());
        assert!(CivilTime::new(2023, 4, 0, 0, 0, 0).is_none());
        let end = CivilTime::new(2107, 12, 31, 23, 59, 58).unwrap();
        assert_eq!(end.parts(), (2107, 12, 31, 23, 59, 58));
    }

    #[test]
    fn policies_parse_and_refuse_nonsense() {
        assert_eq!(
            TimestampPolicy::parse("fixed:2023-03-14T10:00")
                .unwrap()
                .to_string(),
            "fixed:2023-03-14T10:00:00"
        );
        assert_eq!(
            TimestampPolicy::parse("random:2021-01-01..2024-12-31")
                .unwrap()
                .to_string(),
            "random:2021-01-01T00:00:00..2024-12-31T23:59:59"
        );
        for bad in [
            "fixed:2023-13-01",
            "random:2024-01-01..2023-01-01",
            "now",
            "fixed:1970-01-01",
            "random:2021",
        ] {
            assert!(TimestampPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_times_stay_in_range_and_follow_the_seed() {
        let p = TimestampPolicy::parse("random:2021-01-01..2021-12-31").unwrap();
        let TimestampPolicy::Random { from, to } = p else {
            panic!()
        };
        let mut a = TimeSource::new(p, &[1; 32]);
        let mut b = TimeSource::new(p, &[1; 32]);
        let mut c = TimeSource::new(p, &[2; 32]);
        let mut differs = false;
        for i in 0..200 {
            let ta = a.next(i * 1_000_000);
            assert_eq!(ta, b.next(i * 1_000_000));
            differs |= ta != c.next(i * 1_000_000);
            assert!(from <= ta.modified && ta.modified <= ta.created && ta.created <= to);
        }
        assert!(differs);
    }

    #[test]
    fn rng_streams_depend_on_seed_and_purpose() {
        let a = SeedRng::new(&[0; 32], "x").next_u64();
        assert_eq!(a, SeedRng::new(&[0; 32], "x").next_u64());
        assert_ne!(a, SeedRng::new(&[0; 32], "y").next_u64());
        assert_ne!(a, SeedRng::new(&[1; 32], "x").next_u64());
        let mut r = SeedRng::new(&[3; 32], "b");
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
