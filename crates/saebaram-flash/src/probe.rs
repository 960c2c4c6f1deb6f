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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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

/// A half-open byte range `start..end` on a drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Merges sorted block offsets of [`PROBE_BLOCK`] bytes into ranges.
fn ranges_of(blocks: impl IntoIterator<Item = u64>) -> Vec<ByteRange> {
    let mut ranges: Vec<ByteRange> = Vec::new();
    for at in blocks {
        match ranges.last_mut() {
            Some(last) if last.end == at => last.end = at + B,
            _ => ranges.push(ByteRange {
                start: at,
                end: at + B,
            }),
        }
    }
    ranges
}

fn list_ranges(ranges: &[ByteRange]) -> String {
    let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let list: Vec<String> = ranges.iter().map(ToString::to_string).collect();
    format!("{} ({total} bytes)", list.join(", "))
}

fn cache_drop_message(source: &io::Error) -> String {
    let refused = matches!(
        source.raw_os_error(),
        Some(libc::EACCES) | Some(libc::EPERM)
    );
    format!(
        "호스트 캐시를 비울 수 없어 검사하지 않았습니다 (아무것도 쓰지 않음) / cannot drop the \
         host caches, so the probe did not start; nothing was written{}",
        if refused {
            " (BLKFLSBUF needs root: run it with `sudo`)"
        } else {
            ""
        }
    )
}

/// The step of a probe round that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `fsync` after the probe writes: the drive reported a write error (or vanished).
    Fsync,
    /// Dropping the host caches (`BLKFLSBUF`) before reading back.
    DropCache,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Fsync => "fsync",
            Step::DropCache => "dropping the host caches (BLKFLSBUF)",
        })
    }
}

/// Errors that stop a probe.
///
/// Once the probe has written anything, every error says what became of the data it
/// overwrote: [`ProbeError::Stopped`] (all written back, or `--destructive`) or
/// [`ProbeError::NotRestored`] (the exact byte ranges that may have lost their data).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The device is too small to probe.
    #[error("장치가 너무 작아 검사할 수 없습니다 / the device is too small to probe ({len} bytes)")]
    TooSmall {
        /// Claimed size.
        len: u64,
    },
    /// The host caches cannot be dropped (`BLKFLSBUF` is refused to a user who is not
    /// root), so read-backs could come from the cache and pass a fake drive. Found
    /// before the first write: nothing was written.
    #[error("{}", cache_drop_message(source))]
    CacheDropRefused {
        /// The system error (usually EACCES or EPERM).
        #[source]
        source: io::Error,
    },
    /// A round failed; what the probe overwrote was written back and synced (unless
    /// `destructive`, which saves nothing).
    #[error(
        "{}",
        if *restored {
            format!("검사가 중단되었습니다 ({step} 실패); 덮어쓴 데이터는 모두 되돌렸습니다 / \
                     the probe stopped ({step} failed); everything it overwrote was written back")
        } else {
            format!("검사가 중단되었습니다 ({step} 실패); --destructive: 덮어쓴 데이터는 \
                     저장하지 않았습니다 / the probe stopped ({step} failed); --destructive: \
                     the overwritten blocks were not saved")
        }
    )]
    Stopped {
        /// What failed.
        step: Step,
        /// Whether everything overwritten was written back.
        restored: bool,
        /// The system error.
        #[source]
        source: io::Error,
    },
    /// Some of what the probe overwrote could not be written back.
    #[error(
        "원래 데이터를 되돌리지 못했습니다; 이 구간의 데이터는 잃었을 수 있습니다 / could not \
         write back the original data; it may be lost in byte ranges {}{}",
        list_ranges(ranges),
        match (stopped, verdict) {
            (Some(step), _) => format!("; the probe had stopped: {step} failed"),
            (None, Some(v)) => format!(
                "; the probe had finished: {}, {} of {} bytes usable",
                v.kind.as_str(), v.usable_bytes, v.claimed_bytes
            ),
            (None, None) => String::new(),
        }
    )]
    NotRestored {
        /// Every range whose original contents may be lost, sorted, merged.
        ranges: Vec<ByteRange>,
        /// Why the probe stopped before the end, if it did.
        stopped: Option<Step>,
        /// The verdict, if the probe finished before the write-back failed.
        verdict: Option<Box<ProbeReport>>,
        /// The first error while writing back.
        #[source]
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

/// A failed step of a round, before the caller has written anything back.
type RoundFailure = (Step, io::Error);

struct Prober<'a> {
    dev: &'a mut dyn Device,
    pattern: Pattern,
    rng: Rng,
    destructive: bool,
    saved: HashMap<u64, Vec<u8>>,
    save_order: Vec<u64>,
    unsaveable: HashSet<u64>,
    // Every block a write was attempted on (a failed write may still have changed it).
    touched: BTreeSet<u64>,
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

    /// Writes `buf` at `at`, remembering every block it may change.
    fn write(&mut self, buf: &[u8], at: u64) -> io::Result<()> {
        self.written += buf.len() as u64;
        self.touched
            .extend((0..buf.len() as u64 / B).map(|i| at + i * B));
        self.dev.write_at(buf, at)
    }

    /// Whether the probe may write over the block at `at`: it was saved (or nothing
    /// is saved at all, `destructive`).
    fn writable(&self, at: u64) -> bool {
        self.destructive || !self.unsaveable.contains(&at)
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

    /// Writes the cache-flush area in runs of up to 1 MiB, skipping every block that
    /// could not be saved (its data could not be put back).
    fn write_flush_area(&mut self) {
        let mut chunk = AlignedBuf::new(MIB as usize);
        let end = self.flush_start + self.flush_len;
        let mut at = self.flush_start;
        while at < end {
            if !self.writable(at) {
                at += B;
                continue;
            }
            let mut run_end = at + B;
            while run_end < end && run_end - at < MIB && self.writable(run_end) {
                run_end += B;
            }
            let len = (run_end - at) as usize;
            self.pattern.fill(at, &mut chunk[..len]);
            // A failing flush write is not fatal: the area only evicts caches, and the
            // fsync below reports a drive that is failing or gone.
            let _ = self.write(&chunk[..len], at);
            at = run_end;
        }
    }

    /// One round: save, write `order` then the flush area, sync, read back in random order.
    fn round(&mut self, order: &[u64]) -> Result<BTreeMap<u64, Seen>, RoundFailure> {
        let flush_blocks: Vec<u64> = (0..self.flush_len / B)
            .map(|i| self.flush_start + i * B)
            .collect();
        let mut to_save = order.to_vec();
        to_save.extend(&flush_blocks);
        self.save(&to_save);

        let mut seen = BTreeMap::new();
        let mut buf = AlignedBuf::new(PROBE_BLOCK);
        for &at in order {
            if !self.writable(at) {
                seen.insert(at, Seen::Failed);
                continue;
            }
            self.pattern.fill(at, &mut buf);
            if self.write(&buf, at).is_err() {
                seen.insert(at, Seen::Failed);
            }
        }
        self.write_flush_area();
        self.dev.flush().map_err(|e| (Step::Fsync, e))?;
        self.dev.drop_cache().map_err(|e| (Step::DropCache, e))?;

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

    /// Writes back the original of every block the probe touched, then fsyncs. Goes on
    /// past a failed block, and returns the blocks whose data may be lost: those whose
    /// write-back failed, or every touched block when the final fsync fails (nothing
    /// written since the last good fsync is then known to be on the drive).
    fn restore(&mut self) -> Result<(), (BTreeSet<u64>, io::Error)> {
        if self.destructive {
            return Ok(());
        }
        let mut buf = AlignedBuf::new(PROBE_BLOCK);
        let mut lost = BTreeSet::new();
        let mut first_error = None;
        let order: Vec<u64> = self
            .save_order
            .iter()
            .rev()
            .copied()
            .filter(|at| self.touched.contains(at))
            .collect();
        for at in order {
            let Some(original) = self.saved.get(&at) else {
                continue;
            };
            buf.copy_from_slice(original);
            self.written += B;
            if let Err(e) = self.dev.write_at(&buf, at) {
                lost.insert(at);
                first_error.get_or_insert(e);
            }
        }
        if let Err(e) = self.dev.flush() {
            return Err((self.touched.clone(), first_error.unwrap_or(e)));
        }
        match first_error {
            Some(e) => Err((lost, e)),
            None => Ok(()),
        }
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
///
/// Fails closed: the host caches are dropped once before the first write, so a system
/// that refuses it ([`ProbeError::CacheDropRefused`]) is found with nothing written; on
/// every exit after the first write the originals are written back and synced, and an
/// error names the byte ranges that could not be ([`ProbeError::NotRestored`]). A block
/// whose original cannot be read is never written, flush area included.
pub fn probe(dev: &mut dyn Device, opts: &ProbeOptions) -> Result<ProbeReport, ProbeError> {
    let claimed = dev.len();
    let cap = claimed / B * B;
    if cap < 16 * B {
        return Err(ProbeError::TooSmall { len: claimed });
    }
    let g = (opts.granularity.max(B).min(cap / 16) / B * B).max(B);
    let flush_start = g.min(cap / 4) / B * B;
    let flush_len = (opts.cache_flush.min(cap / 4) / B * B).max(B);
    dev.drop_cache()
        .map_err(|source| ProbeError::CacheDropRefused { source })?;

    let mut p = Prober {
        dev,
        pattern: Pattern::new(opts.salt),
        rng: Rng(opts.seed),
        destructive: opts.destructive,
        saved: HashMap::new(),
        save_order: Vec::new(),
        unsaveable: HashSet::new(),
        touched: BTreeSet::new(),
        written: 0,
        read: 0,
        flush_start,
        flush_len,
    };
    let searched = search(&mut p, claimed, cap, g);
    let restored = p.restore();
    let searched = searched.map(|mut report| {
        report.bytes_written = p.written;
        report.bytes_read = p.read;
        report
    });
    match (searched, restored) {
        (Ok(mut report), Ok(())) => {
            report.restored = !opts.destructive;
            Ok(report)
        }
        (Err((step, source)), Ok(())) => Err(ProbeError::Stopped {
            step,
            restored: !opts.destructive,
            source,
        }),
        (searched, Err((lost, source))) => Err(ProbeError::NotRestored {
            ranges: ranges_of(lost),
            stopped: searched.as_ref().err().map(|(step, _)| *step),
            verdict: searched.ok().map(Box::new),
            source,
        }),
    }
}

/// The rounds of a probe: the verdict, or the first round step that failed.
fn search(p: &mut Prober<'_>, claimed: u64, cap: u64, g: u64) -> Result<ProbeReport, RoundFailure> {
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
        cache_flush_bytes: p.flush_len,
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
    report.blocks_probed = probed.len() as u64;
    report.rounds = rounds;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FakeDrive, Fault, Faulty, Mapping};

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

    /// A genuine drive full of recognisable data, and a copy of that data.
    fn filled(len: u64) -> (FakeDrive, Vec<u8>) {
        let mut drive = FakeDrive::genuine(len);
        let mut chunk = vec![0u8; MIB as usize];
        for i in 0..len / MIB {
            for (j, b) in chunk.iter_mut().enumerate() {
                *b = (i as usize * 31 + j / 512) as u8 ^ 0x5a;
            }
            drive.write_at(&chunk, i * MIB).unwrap();
        }
        let before = drive.peek(0, len as usize).unwrap();
        (drive, before)
    }

    /// Offsets of the probe blocks whose data differs from `before`.
    fn changed_blocks(drive: &FakeDrive, before: &[u8]) -> Vec<u64> {
        let now = drive.peek(0, before.len()).unwrap();
        now.chunks(PROBE_BLOCK)
            .zip(before.chunks(PROBE_BLOCK))
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| i as u64 * B)
            .collect()
    }

    fn covers(ranges: &[ByteRange], at: u64) -> bool {
        ranges.iter().any(|r| r.start <= at && at + B <= r.end)
    }

    #[test]
    fn transient_fsync_failure_restores_everything_issue_15() {
        let (drive, before) = filled(64 * MIB);
        let mut dev = Faulty::new(drive.clone(), Fault::FlushErrorOnce);
        let err = probe(&mut dev, &opts(10)).unwrap_err();
        assert!(
            matches!(
                err,
                ProbeError::Stopped {
                    step: Step::Fsync,
                    restored: true,
                    ..
                }
            ),
            "{err}"
        );
        assert!(drive.bytes_written() > 2 * MIB, "the probe had written");
        assert_eq!(changed_blocks(&drive, &before), Vec::<u64>::new());
        assert!(err.to_string().contains("되돌렸습니다"), "{err}");
    }

    #[test]
    fn lasting_fsync_failure_names_every_block_written_issue_15() {
        let (drive, _) = filled(64 * MIB);
        let mut dev = Faulty::new(drive.clone(), Fault::FlushError);
        let err = probe(&mut dev, &opts(11)).unwrap_err();
        let ProbeError::NotRestored {
            ranges,
            stopped,
            verdict,
            ..
        } = &err
        else {
            panic!("expected NotRestored, got {err}");
        };
        assert_eq!(*stopped, Some(Step::Fsync));
        assert!(verdict.is_none());
        // Nothing written since the last good fsync is known to be on the drive: the
        // flush area, block 0 and the top block are all named.
        for at in [0, MIB, 2 * MIB, 3 * MIB - B, 64 * MIB - B] {
            assert!(covers(ranges, at), "{at} missing from {ranges:?}");
        }
        assert!(!covers(ranges, 3 * MIB), "{ranges:?}");
        let message = err.to_string();
        assert!(message.contains("1048576..3145728"), "{message}");
        assert!(message.contains("되돌리지 못했습니다"), "{message}");
    }

    #[test]
    fn refused_cache_drop_is_found_before_any_write_issue_15() {
        let (drive, before) = filled(64 * MIB);
        let written = drive.bytes_written();
        let mut dev = Faulty::new(drive.clone(), Fault::DropCacheRefusedAfter(0));
        let err = probe(&mut dev, &opts(12)).unwrap_err();
        assert!(matches!(err, ProbeError::CacheDropRefused { .. }), "{err}");
        assert_eq!(drive.bytes_written(), written, "nothing may be written");
        assert_eq!(changed_blocks(&drive, &before), Vec::<u64>::new());
        assert!(err.to_string().contains("sudo"), "{err}");

        // A drive that fails its first sync is not told to use sudo.
        let mut failing = Faulty::new(drive.clone(), Fault::VanishAfterWrites(0));
        let _ = failing.write_at(&[0; 512], 0);
        let err = probe(&mut failing, &opts(12)).unwrap_err();
        assert!(matches!(err, ProbeError::CacheDropRefused { .. }), "{err}");
        assert!(!err.to_string().contains("sudo"), "{err}");
        assert_eq!(drive.bytes_written(), written, "nothing may be written");
    }

    #[test]
    fn cache_drop_refused_mid_probe_restores_everything_issue_15() {
        let (drive, before) = filled(64 * MIB);
        let mut dev = Faulty::new(drive.clone(), Fault::DropCacheRefusedAfter(1));
        let err = probe(&mut dev, &opts(13)).unwrap_err();
        assert!(
            matches!(
                err,
                ProbeError::Stopped {
                    step: Step::DropCache,
                    restored: true,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(changed_blocks(&drive, &before), Vec::<u64>::new());
    }

    #[test]
    fn drive_vanishing_mid_round_names_what_may_be_lost_issue_15() {
        let (drive, before) = filled(64 * MIB);
        // Round one writes about 35 times (blocks, then the flush area): vanish after 20.
        let mut dev = Faulty::new(drive.clone(), Fault::VanishAfterWrites(20));
        let err = probe(&mut dev, &opts(14)).unwrap_err();
        let ProbeError::NotRestored {
            ranges, stopped, ..
        } = &err
        else {
            panic!("expected NotRestored, got {err}");
        };
        assert_eq!(*stopped, Some(Step::Fsync));
        let changed = changed_blocks(&drive, &before);
        assert_eq!(
            changed.len(),
            20,
            "20 probe blocks were written, then it vanished"
        );
        for at in &changed {
            assert!(
                covers(ranges, *at),
                "changed block {at} not named in {ranges:?}"
            );
        }
    }

    #[test]
    fn drive_vanishing_during_write_back_keeps_the_verdict_issue_15() {
        let (drive, before) = filled(64 * MIB);
        let mut o = opts(15);
        o.cache_flush = 64 * 1024;
        // Round one: about 33 blocks and one flush write, then the write-back.
        let mut dev = Faulty::new(drive.clone(), Fault::VanishAfterWrites(45));
        let err = probe(&mut dev, &o).unwrap_err();
        let ProbeError::NotRestored {
            ranges,
            stopped,
            verdict,
            ..
        } = &err
        else {
            panic!("expected NotRestored, got {err}");
        };
        assert_eq!(*stopped, None);
        assert_eq!(verdict.as_ref().map(|v| v.kind), Some(DriveKind::Genuine));
        let changed = changed_blocks(&drive, &before);
        assert!(!changed.is_empty());
        for at in &changed {
            assert!(
                covers(ranges, *at),
                "changed block {at} not named in {ranges:?}"
            );
        }
        assert!(err.to_string().contains("genuine"), "{err}");
    }

    #[test]
    fn unreadable_blocks_are_never_overwritten_issue_15() {
        let (drive, before) = filled(64 * MIB);
        // Unreadable sectors inside the cache-flush area (1 MiB..3 MiB).
        let (start, end) = (2 * MIB, 2 * MIB + 64 * 1024);
        let mut dev = Faulty::new(drive.clone(), Fault::ReadErrorIn { start, end });
        let r = probe(&mut dev, &opts(16)).unwrap();
        assert!(r.restored);
        assert_eq!(r.kind, DriveKind::Genuine, "{r:?}");
        assert_eq!(changed_blocks(&drive, &before), Vec::<u64>::new());
        assert_eq!(r.bytes_written % B, 0);
        // The flush area minus the 16 unreadable blocks, twice (probe and write-back).
        assert!(r.bytes_written < 2 * (2 * MIB + 64 * B), "{r:?}");
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
