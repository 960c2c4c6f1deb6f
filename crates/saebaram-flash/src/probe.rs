//! Fake-capacity probe: finds how much of a drive really stores data.
//!
//! A clean-room re-implementation of the idea f3probe describes (f3 is GPL-3.0; no code
//! was read or copied). Counterfeit drives claim more than they hold and either drop
//! writes beyond their real size ("limbo"), or map those addresses back onto real
//! storage ("wrap-around" to address 0, or "chain": wrap to some other base address).
//!
//! # Method
//! Every probe block holds a pattern keyed by a random salt and its own offset
//! ([`crate::pattern`]), so a read says "mine", "block q's" (the two addresses share
//! storage) or "something else" (lost write). One round: save the originals of every
//! block about to be written, write the probe blocks in random order, write a
//! cache-flush area (`cache_flush` bytes of salted blocks near the start of the drive,
//! which evicts the drive's own write cache), fsync, drop the host caches, then read
//! the probe blocks back in random order (some fakes cache sequential reads).
//!
//! Round one places blocks so that *any* aliasing period that is a multiple of the
//! granularity `g` (1 MiB by default) makes two probe blocks collide: a dense window of
//! `m` blocks `g` apart at the top of the drive and `n` "giant steps" `m·g` apart below
//! it, with `m·n ≥ capacity/g`. Their differences cover every multiple of `g` up to the
//! capacity, so the pair `(a, a − P)` is always probed for a wrap period `P`; the window
//! at the very end also lands in limbo on a limbo fake. That is about `2·√(capacity/g)`
//! blocks: 1.5 MiB for a "32 GB" drive, plus the flush area.
//!
//! When round one finds a bad block, later rounds narrow the boundary between the
//! last good and the first bad offset 64-fold per round (testing, for a wrap fake,
//! whether `x` and `x − P` share storage), then a confirmation round samples below the
//! boundary. Originals are written back at the end unless `destructive`.
//!
//! Limits (stated, not hidden): a drive whose internal cache is larger than
//! `cache_flush`, or whose aliasing period is not a multiple of `g`, can evade round
//! one; raise `cache_flush` or lower `granularity` for such drives.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;

use crate::device::{AlignedBuf, Device};
use crate::pattern::{BlockState, PROBE_BLOCK, Pattern};

const B: u64 = PROBE_BLOCK as u64;
const MIB: u64 = 1 << 20;
const POINTS_PER_ROUND: u64 = 63;
const MAX_ROUNDS: u32 = 24;

/// Settings of one probe run.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Random salt for the block patterns (fresh for every run).
    pub salt: [u8; 32],
    /// Seed for the random write and read orders.
    pub seed: u64,
    /// Bytes written after the probe blocks to evict the drive's own cache.
    pub cache_flush: u64,
    /// Aliasing periods that are multiples of this are always detected.
    pub granularity: u64,
    /// Do not save and restore the overwritten blocks (faster; destroys data).
    pub destructive: bool,
}

impl ProbeOptions {
    /// Defaults: 2 MiB cache flush, 1 MiB granularity, restoring.
    pub fn new(salt: [u8; 32], seed: u64) -> Self {
        Self {
            salt,
            seed,
            cache_flush: 2 * MIB,
            granularity: MIB,
            destructive: false,
        }
    }
}

/// What kind of drive the probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriveKind {
    /// Every probed block kept its own data.
    Genuine,
    /// Writes beyond the real size are lost.
    Limbo,
    /// Addresses beyond the real size wrap to address 0.
    Wraparound,
    /// Addresses beyond the real size wrap to a base above 0.
    Chain,
    /// Failures that fit no pattern (or at the very start): nothing is usable.
    Damaged,
}

impl DriveKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DriveKind::Genuine => "genuine",
            DriveKind::Limbo => "limbo",
            DriveKind::Wraparound => "wraparound",
            DriveKind::Chain => "chain",
            DriveKind::Damaged => "damaged",
        }
    }
}

/// Result of a probe.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeReport {
    /// Size the drive claims.
    pub claimed_bytes: u64,
    /// Bytes from the start that really store data (multiple of 4 KiB).
    pub usable_bytes: u64,
    /// What the probe found.
    pub kind: DriveKind,
    /// Distance between two addresses that share storage, if aliasing was seen.
    pub alias_period: Option<u64>,
    /// Every byte written, restores included.
    pub bytes_written: u64,
    /// Bytes written by the first round, which decides genuine or fake.
    pub bytes_written_to_detect: u64,
    /// Every byte read.
    pub bytes_read: u64,
    /// Distinct blocks probed.
    pub blocks_probed: u64,
    /// Rounds run.
    pub rounds: u32,
    /// Whether the original contents were written back.
    pub restored: bool,
    /// The cache-flush size used.
    pub cache_flush_bytes: u64,
}

/// Errors that stop a probe.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The device is too small to probe.
    #[error("the device is too small to probe ({len} bytes)")]
    TooSmall {
        /// Claimed size.
        len: u64,
    },
    /// fsync or cache drop failed: the drive reported an error.
    #[error("{op} failed: {source}")]
    Sync {
        /// What failed.
        op: &'static str,
        /// The system error.
        source: io::Error,
    },
    /// Writing the original contents back failed: data at the offset may be lost.
    #[error("could not restore the original data at byte {offset}: {source}")]
    Restore {
        /// Offset of the block.
        offset: u64,
        /// The system error.
        source: io::Error,
    },
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    State(BlockState),
    Failed,
}

struct Prober<'a> {
    dev: &'a mut dyn Device,
    pattern: Pattern,
    rng: Rng,
    destructive: bool,
    saved: HashMap<u64, Vec<u8>>,
    save_order: Vec<u64>,
    unsaveable: HashSet<u64>,
    written: u64,
    read: u64,
    flush_start: u64,
    flush_len: u64,
}

impl Prober<'_> {
    fn read_block(&mut self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        self.read += buf.len() as u64;
        self.dev.read_at(buf, at)
    }

    /// Saves the original contents of blocks not saved yet.
    fn save(&mut self, blocks: &[u64]) {
        if self.destructive {
            return;
        }
        let mut buf = AlignedBuf::new(PROBE_BLOCK);
        for &at in blocks {
            if self.saved.contains_key(&at) || self.unsaveable.contains(&at) {
                continue;
            }
            if self.read_block(at, &mut buf).is_err() {
                self.unsaveable.insert(at);
                continue;
            }
            // A block showing our pattern shares storage with a block written earlier:
            // its true original is that block's original.
            let original = match self.pattern.identify(at, &buf) {
                BlockState::Other(q) => self.saved.get(&q).cloned().unwrap_or_else(|| buf.to_vec()),
                _ => buf.to_vec(),
            };
            self.saved.insert(at, original);
            self.save_order.push(at);
        }
    }

    /// One round: save, write `order` then the flush area, sync, read back in random order.
    fn round(&mut self, order: &[u64]) -> Result<BTreeMap<u64, Seen>, ProbeError> {
        let flush_blocks: Vec<u64> = (0..self.flush_len / B)
            .map(|i| self.flush_start + i * B)
            .collect();
        let mut to_save = order.to_vec();
        to_save.extend(&flush_blocks);
        self.save(&to_save);

        let mut seen = BTreeMap::new();
        let mut buf = AlignedBuf::new(PROBE_BLOCK);
        for &at in order {
            if !self.destructive && self.unsaveable.contains(&at) {
                seen.insert(at, Seen::Failed);
                continue;
            }
            self.pattern.fill(at, &mut buf);
            self.written += B;
            if self.dev.write_at(&buf, at).is_err() {
                seen.insert(at, Seen::Failed);
            }
        }
        // The flush area, in 1 MiB writes.
        let mut chunk = AlignedBuf::new(MIB as usize);
        let mut at = self.flush_start;
        let end = self.flush_start + self.flush_len;
        while at < end {
            let len = (end - at).min(MIB) as usize;
            let piece = &mut chunk[..len];
            self.pattern.fill(at, piece);
            self.written += len as u64;
            // A failing flush write is not fatal: the area only evicts caches.
            let _ = self.dev.write_at(piece, at);
            at += len as u64;
        }
        self.dev.flush().map_err(|source| ProbeError::Sync {
            op: "fsync",
            source,
        })?;
        self.dev.drop_cache().map_err(|source| ProbeError::Sync {
            op: "dropping caches",
            source,
        })?;

        let mut reads: Vec<u64> = order
            .iter()
            .copied()
            .filter(|at| !seen.contains_key(at))
            .collect();
        reads.sort_unstable();
        reads.dedup();
        self.rng.shuffle(&mut reads);
        for at in reads {
            let state = match self.read_block(at, &mut buf) {
                Ok(()) => Seen::State(self.pattern.identify(at, &buf)),
                Err(_) => Seen::Failed,
            };
            seen.insert(at, state);
        }
        Ok(seen)
    }

    fn restore(&mut self) -> Result<(), ProbeError> {
        if self.destructive {
            return Ok(());
        }
        let mut buf = AlignedBuf::new(PROBE_BLOCK);
        for &at in self.save_order.iter().rev() {
            let Some(original) = self.saved.get(&at) else {
                continue;
            };
            buf.copy_from_slice(original);
            self.written += B;
            self.dev
                .write_at(&buf, at)
                .map_err(|source| ProbeError::Restore { offset: at, source })?;
        }
        self.dev
            .flush()
            .map_err(|source| ProbeError::Restore { offset: 0, source })?;
        self.dev
            .drop_cache()
            .map_err(|source| ProbeError::Restore { offset: 0, source })?;
        Ok(())
    }
}

/// Blocks a round found bad, and the aliasing distances it saw.
fn judge(seen: &BTreeMap<u64, Seen>) -> (BTreeMap<u64, ()>, Vec<u64>) {
    let mut bad = BTreeMap::new();
    let mut diffs = Vec::new();
    for (&at, &state) in seen {
        match state {
            Seen::State(BlockState::Own) => {}
            Seen::State(BlockState::Other(q)) => {
                bad.insert(at.max(q), ());
                diffs.push(at.abs_diff(q));
            }
            Seen::State(BlockState::Foreign) | Seen::Failed => {
                bad.insert(at, ());
            }
        }
    }
    (bad, diffs)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Probes `dev` and restores what it overwrote (unless `opts.destructive`).
pub fn probe(dev: &mut dyn Device, opts: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let claimed = dev.len();
    let cap = claimed / B * B;
    if cap < 16 * B {
        return Err(ProbeError::TooSmall { len: claimed });
    }
    let g = (opts.granularity.max(B).min(cap / 16) / B * B).max(B);
    let flush_start = g.min(cap / 4) / B * B;
    let flush_len = (opts.cache_flush.min(cap / 4) / B * B).max(B);

    let mut p = Prober {
        dev,
        pattern: Pattern::new(opts.salt),
        rng: Rng(opts.seed),
        destructive: opts.destructive,
        saved: HashMap::new(),
        save_order: Vec::new(),
        unsaveable: HashSet::new(),
        written: 0,
        read: 0,
        flush_start,
        flush_len,
    };

    // Round one: top window + giant steps + block 0 + random samples.
    let units = cap / g;
    let m = (units as f64).sqrt().ceil().max(1.0) as u64;
    let n = units.div_ceil(m);
    let top = cap - B;
    let mut points: Vec<u64> = Vec::new();
    for i in 0..m {
        if let Some(a) = top.checked_sub(i * g) {
            points.push(a);
        }
    }
    for j in 1..=n {
        if let Some(b) = top.checked_sub(j * m * g) {
            points.push(b);
        }
    }
    points.push(0);
    for _ in 0..16 {
        points.push(p.rng.below(cap / B) * B);
    }
    points.sort_unstable();
    points.dedup();
    p.rng.shuffle(&mut points);
    let probed: HashSet<u64> = points.iter().copied().collect();
    let mut probed = probed;

    let seen = p.round(&points)?;
    let written_to_detect = p.written;
    let mut rounds = 1;
    let (bad, diffs) = judge(&seen);

    let mut report = ProbeReport {
        claimed_bytes: claimed,
        usable_bytes: claimed,
        kind: DriveKind::Genuine,
        alias_period: None,
        bytes_written: 0,
        bytes_written_to_detect: written_to_detect,
        bytes_read: 0,
        blocks_probed: 0,
        rounds: 0,
        restored: false,
        cache_flush_bytes: flush_len,
    };

    if let Some((&first_bad, _)) = bad.iter().next() {
        let period = diffs.iter().copied().filter(|d| *d > 0).fold(0, gcd);
        let period = (period > 0).then_some(period);
        let good_below = |seen: &BTreeMap<u64, Seen>, hi: u64| {
            seen.iter()
                .filter(|(at, s)| **at < hi && **s == Seen::State(BlockState::Own))
                .map(|(at, _)| *at)
                .max()
        };
        let mut hi = first_bad;
        let mut lo: Option<u64> = good_below(&seen, hi);
        let mut confirmed = false;
        let mut damaged = false;
        while !confirmed {
            if rounds >= MAX_ROUNDS {
                damaged = true;
                break;
            }
            let lo_v = lo.unwrap_or(0);
            let mut tests: Vec<u64> = Vec::new();
            let narrowing = lo.is_some() && hi - lo_v > B;
            if narrowing {
                let span = hi - lo_v;
                for k in 1..=POINTS_PER_ROUND {
                    let x = (lo_v + span * k / (POINTS_PER_ROUND + 1)) / B * B;
                    if x > lo_v && x < hi {
                        tests.push(x);
                    }
                }
            } else if lo.is_none() && hi > 0 {
                // Nothing below the first bad block is known good: test from 0.
                tests.push(0);
                let span = hi;
                for k in 1..=POINTS_PER_ROUND {
                    let x = (span * k / (POINTS_PER_ROUND + 1)) / B * B;
                    if x < hi {
                        tests.push(x);
                    }
                }
            } else if hi == 0 {
                break;
            } else {
                // Boundary found to one block: confirm with samples below it.
                tests.push(hi - B);
                for _ in 0..16 {
                    tests.push(p.rng.below(hi / B) * B);
                }
                confirmed = true;
            }
            tests.sort_unstable();
            tests.dedup();
            // Partners (x − P) are written first, so a shared block ends up holding x's data.
            let mut partners: Vec<u64> = match period {
                Some(per) => tests
                    .iter()
                    .filter(|x| **x >= per)
                    .map(|x| x - per)
                    .collect(),
                None => Vec::new(),
            };
            partners.sort_unstable();
            partners.dedup();
            p.rng.shuffle(&mut partners);
            let mut shuffled = tests.clone();
            p.rng.shuffle(&mut shuffled);
            let mut order = partners;
            order.extend(
                shuffled
                    .iter()
                    .filter(|x| !order.contains(x))
                    .copied()
                    .collect::<Vec<_>>(),
            );
            probed.extend(order.iter().copied());
            let seen = p.round(&order)?;
            rounds += 1;
            let (bad, _) = judge(&seen);
            if let Some((&b, _)) = bad.iter().next()
                && b < hi
            {
                hi = b;
                confirmed = false;
            }
            let good = tests
                .iter()
                .filter(|x| **x < hi && !bad.contains_key(x))
                .filter(|x| seen.get(x) == Some(&Seen::State(BlockState::Own)))
                .max()
                .copied();
            lo = match (lo, good) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            if lo.is_some_and(|l| l >= hi) {
                lo = good_below(&seen, hi);
            }
        }
        report.usable_bytes = if damaged { 0 } else { hi };
        report.alias_period = period;
        report.kind = if damaged || hi == 0 {
            DriveKind::Damaged
        } else {
            match period {
                None => DriveKind::Limbo,
                Some(per) if per % hi == 0 || hi.abs_diff(per) < B => DriveKind::Wraparound,
                Some(_) => DriveKind::Chain,
            }
        };
    }
    p.restore()?;
    report.restored = !opts.destructive;
    report.bytes_written = p.written;
    report.bytes_read = p.read;
    report.blocks_probed = probed.len() as u64;
    report.rounds = rounds;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FakeDrive, Mapping};

    const GIB: u64 = 1 << 30;

    fn opts(seed: u64) -> ProbeOptions {
        let mut salt = [0u8; 32];
        salt[..8].copy_from_slice(&seed.to_le_bytes());
        ProbeOptions::new(salt, seed)
    }

    fn run(drive: &FakeDrive, seed: u64) -> ProbeReport {
        let mut d = drive.clone();
        probe(&mut d, &opts(seed)).unwrap()
    }

    #[test]
    fn genuine_drive_passes_and_writes_little() {
        let drive = FakeDrive::genuine(32 * GIB);
        let r = run(&drive, 1);
        assert_eq!(r.kind, DriveKind::Genuine);
        assert_eq!(r.usable_bytes, 32 * GIB);
        assert!(r.bytes_written < 16 * MIB, "wrote {}", r.bytes_written);
        assert_eq!(r.bytes_written, drive.bytes_written());
    }

    #[test]
    fn limbo_fake_is_found_with_its_real_size() {
        for (real, garbage) in [
            (2 * GIB, false),
            (2 * GIB + 5 * MIB, true),
            (700 * MIB, false),
        ] {
            let drive = FakeDrive::new(32 * GIB, real, Mapping::Limbo { garbage });
            let r = run(&drive, 2);
            assert_eq!(r.kind, DriveKind::Limbo, "{r:?}");
            assert_eq!(r.usable_bytes, real, "{r:?}");
            assert!(r.bytes_written_to_detect < 4 * MIB, "{r:?}");
        }
    }

    #[test]
    fn wraparound_fake_is_found_with_its_real_size() {
        for real in [2 * GIB, 3 * GIB + 17 * MIB, 64 * MIB] {
            let drive = FakeDrive::new(32 * GIB, real, Mapping::Wraparound);
            let r = run(&drive, 3);
            assert_eq!(r.kind, DriveKind::Wraparound, "{r:?}");
            assert_eq!(r.usable_bytes, real, "{r:?}");
            assert!(r.bytes_written_to_detect < 4 * MIB, "{r:?}");
        }
    }

    #[test]
    fn chain_fake_is_found_with_its_real_size() {
        let drive = FakeDrive::new(16 * GIB, 2 * GIB, Mapping::Chain { base: 512 * MIB });
        let r = run(&drive, 4);
        assert_eq!(r.kind, DriveKind::Chain, "{r:?}");
        assert_eq!(r.usable_bytes, 2 * GIB, "{r:?}");
    }

    #[test]
    fn drive_cache_smaller_than_the_flush_area_does_not_hide_a_fake() {
        let drive = FakeDrive::new(8 * GIB, GIB, Mapping::Wraparound).with_cache(MIB);
        let r = run(&drive, 5);
        assert_eq!(r.kind, DriveKind::Wraparound, "{r:?}");
        assert_eq!(r.usable_bytes, GIB);
    }

    #[test]
    fn original_data_is_restored() {
        let len = 64 * MIB;
        let mut drive = FakeDrive::new(len, 16 * MIB, Mapping::Wraparound);
        // Fill the real storage with recognisable data.
        let mut chunk = vec![0u8; MIB as usize];
        for i in 0..16u64 {
            for (j, b) in chunk.iter_mut().enumerate() {
                *b = (i as usize * 31 + j / 512) as u8;
            }
            drive.write_at(&chunk, i * MIB).unwrap();
        }
        let before = drive.peek(0, 16 * MIB as usize).unwrap();
        let r = run(&drive, 6);
        assert_eq!(r.kind, DriveKind::Wraparound);
        assert_eq!(r.usable_bytes, 16 * MIB);
        assert!(r.restored);
        assert_eq!(
            drive.peek(0, 16 * MIB as usize).unwrap(),
            before,
            "probe must leave data as it found it"
        );

        let mut genuine = FakeDrive::genuine(len);
        genuine.write_at(&chunk, 0).unwrap();
        let before = genuine.peek(0, len as usize).unwrap();
        run(&genuine, 7);
        assert_eq!(genuine.peek(0, len as usize).unwrap(), before);
    }

    #[test]
    fn destructive_probe_does_not_restore_and_writes_half() {
        let drive = FakeDrive::genuine(4 * GIB);
        let mut d = drive.clone();
        let mut o = opts(8);
        let kept = probe(&mut drive.clone(), &o).unwrap();
        o.destructive = true;
        let r = probe(&mut d, &o).unwrap();
        assert!(!r.restored);
        assert_eq!(r.kind, DriveKind::Genuine);
        assert!(
            r.bytes_written * 2 <= kept.bytes_written + B,
            "{} vs {}",
            r.bytes_written,
            kept.bytes_written
        );
    }

    #[test]
    fn tiny_devices_are_refused() {
        let mut d = FakeDrive::genuine(8 * B);
        assert!(matches!(
            probe(&mut d, &opts(9)),
            Err(ProbeError::TooSmall { .. })
        ));
    }
}
