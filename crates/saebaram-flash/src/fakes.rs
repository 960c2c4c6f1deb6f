//! In-process devices for tests and benchmarks: genuine, fake-capacity (limbo,
//! wrap-around, chain), with an internal write cache, failing and throttled drives.
//!
//! Storage is sparse (4 KiB pages allocated on first write), so a "32 GB" fake costs
//! only what is written to it.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::device::Device;

const PAGE: u64 = 4096;
const SECTOR: u64 = 512;

/// How a fake maps the addresses it claims onto the storage it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// Every claimed byte is real.
    Genuine,
    /// Writes beyond `real` are dropped; reads there return zeros
    /// (`garbage: false`) or pseudo-random bytes (`garbage: true`).
    Limbo {
        /// Return pseudo-random bytes instead of zeros beyond the real size.
        garbage: bool,
    },
    /// Address `x` is stored at `x mod real`.
    Wraparound,
    /// Addresses at or beyond `real` wrap back to `base`: `x` is stored at
    /// `base + (x - real) mod (real - base)`.
    Chain {
        /// Where the wrapped addresses land.
        base: u64,
    },
}

/// Sparse byte storage.
#[derive(Default)]
struct Store {
    pages: HashMap<u64, Box<[u8]>>,
}

impl Store {
    fn read(&self, phys: u64, out: &mut [u8]) {
        let page = phys / PAGE;
        let at = (phys % PAGE) as usize;
        match self.pages.get(&page) {
            Some(data) => out.copy_from_slice(&data[at..at + out.len()]),
            None => out.fill(0),
        }
    }
    fn write(&mut self, phys: u64, data: &[u8]) {
        let page = phys / PAGE;
        let at = (phys % PAGE) as usize;
        let slot = self
            .pages
            .entry(page)
            .or_insert_with(|| vec![0u8; PAGE as usize].into_boxed_slice());
        slot[at..at + data.len()].copy_from_slice(data);
    }
}

struct FakeState {
    claimed: u64,
    real: u64,
    mapping: Mapping,
    store: Store,
    cache_sectors: usize,
    cache: HashMap<u64, Box<[u8]>>,
    cache_order: VecDeque<u64>,
    bytes_written: u64,
    bytes_read: u64,
}

impl FakeState {
    fn phys(&self, x: u64) -> Option<u64> {
        if x < self.real {
            return Some(x);
        }
        match self.mapping {
            Mapping::Genuine => Some(x),
            Mapping::Limbo { .. } => None,
            Mapping::Wraparound => Some(x % self.real),
            Mapping::Chain { base } => Some(base + (x - self.real) % (self.real - base)),
        }
    }

    fn store_sector(&mut self, x: u64, data: &[u8]) {
        if let Some(p) = self.phys(x) {
            self.store.write(p, data);
        }
    }

    fn load_sector(&self, x: u64, out: &mut [u8]) {
        if let Some(cached) = self.cache.get(&x) {
            out.copy_from_slice(cached);
            return;
        }
        match self.phys(x) {
            Some(p) => self.store.read(p, out),
            None => match self.mapping {
                Mapping::Limbo { garbage: true } => {
                    let mut h = blake3::Hasher::new();
                    h.update(b"limbo");
                    h.update(&x.to_le_bytes());
                    h.finalize_xof().fill(out);
                }
                _ => out.fill(0),
            },
        }
    }

    fn write_sector(&mut self, x: u64, data: &[u8]) {
        if self.cache_sectors == 0 {
            self.store_sector(x, data);
            return;
        }
        if self.cache.insert(x, data.into()).is_none() {
            self.cache_order.push_back(x);
        }
        while self.cache.len() > self.cache_sectors {
            let Some(old) = self.cache_order.pop_front() else {
                break;
            };
            if let Some(data) = self.cache.remove(&old) {
                self.store_sector(old, &data);
            }
        }
    }
}

/// A fake drive in memory. Clones share the same drive, so a test can hand one clone
/// to the code under test and inspect the other.
#[derive(Clone)]
pub struct FakeDrive {
    state: Arc<Mutex<FakeState>>,
}

impl FakeDrive {
    /// A drive claiming `claimed` bytes with `real` bytes of storage mapped by `mapping`.
    /// Sizes are rounded down to 512-byte sectors.
    pub fn new(claimed: u64, real: u64, mapping: Mapping) -> Self {
        let claimed = claimed / SECTOR * SECTOR;
        let real = if mapping == Mapping::Genuine {
            claimed
        } else {
            (real / SECTOR * SECTOR).max(SECTOR)
        };
        let mapping = match mapping {
            Mapping::Chain { base } if base >= real => Mapping::Chain { base: 0 },
            Mapping::Chain { base } => Mapping::Chain {
                base: base / SECTOR * SECTOR,
            },
            other => other,
        };
        let state = FakeState {
            claimed,
            real,
            mapping,
            store: Store::default(),
            cache_sectors: 0,
            cache: HashMap::new(),
            cache_order: VecDeque::new(),
            bytes_written: 0,
            bytes_read: 0,
        };
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// A genuine drive of `len` bytes.
    pub fn genuine(len: u64) -> Self {
        Self::new(len, len, Mapping::Genuine)
    }

    /// Gives the drive an internal write cache of `bytes` that serves reads of recently
    /// written addresses from RAM, hiding aliasing until it is evicted (LRU by write).
    pub fn with_cache(self, bytes: u64) -> Self {
        self.lock().cache_sectors = (bytes / SECTOR) as usize;
        self
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Bytes written to the drive so far.
    pub fn bytes_written(&self) -> u64 {
        self.lock().bytes_written
    }

    /// Bytes read from the drive so far.
    pub fn bytes_read(&self) -> u64 {
        self.lock().bytes_read
    }

    /// Real storage in bytes.
    pub fn real_size(&self) -> u64 {
        self.lock().real
    }

    /// Reads what the drive would return at `offset` (test inspection; not counted).
    pub fn peek(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut out = vec![0u8; len];
        let state = self.lock();
        check_range(&state, offset, len)?;
        for (i, sector) in out.chunks_mut(SECTOR as usize).enumerate() {
            state.load_sector(offset + i as u64 * SECTOR, sector);
        }
        Ok(out)
    }
}

fn check_range(state: &FakeState, offset: u64, len: usize) -> io::Result<()> {
    if !offset.is_multiple_of(SECTOR) || !(len as u64).is_multiple_of(SECTOR) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unaligned request",
        ));
    }
    match offset.checked_add(len as u64) {
        Some(end) if end <= state.claimed => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "beyond the end of the drive",
        )),
    }
}

impl Device for FakeDrive {
    fn len(&self) -> u64 {
        self.lock().claimed
    }
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let mut state = self.lock();
        check_range(&state, offset, buf.len())?;
        for (i, sector) in buf.chunks_mut(SECTOR as usize).enumerate() {
            state.load_sector(offset + i as u64 * SECTOR, sector);
        }
        state.bytes_read += buf.len() as u64;
        Ok(())
    }
    fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut state = self.lock();
        check_range(&state, offset, buf.len())?;
        for (i, sector) in buf.chunks(SECTOR as usize).enumerate() {
            state.write_sector(offset + i as u64 * SECTOR, sector);
        }
        state.bytes_written += buf.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn drop_cache(&mut self) -> io::Result<()> {
        // The drive's own cache is not the host's to drop: it stays.
        Ok(())
    }
}

/// How a [`Faulty`] device fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Writes touching bytes at or beyond the offset fail with EIO.
    WriteErrorAt(u64),
    /// The first write touching the offset makes the device vanish: every later
    /// operation fails with ENODEV.
    VanishAt(u64),
    /// The device vanishes at the write after this many writes: that write and every
    /// later operation fail with ENODEV.
    VanishAfterWrites(u32),
    /// `flush` fails with EIO (errors that only show at fsync).
    FlushError,
    /// Only the first `flush` fails with EIO; later ones succeed (a transient error).
    FlushErrorOnce,
    /// `drop_cache` succeeds this many times, then is refused with EACCES, as
    /// `BLKFLSBUF` is for a user in the `disk` group who is not root (0: always refused).
    DropCacheRefusedAfter(u32),
    /// Reads touching bytes in `start..end` fail with EIO (unreadable sectors).
    ReadErrorIn {
        /// First unreadable byte.
        start: u64,
        /// One past the last unreadable byte.
        end: u64,
    },
}

/// Wraps a device and injects a [`Fault`].
pub struct Faulty<D> {
    inner: D,
    fault: Fault,
    gone: bool,
    writes: u32,
    flushes: u32,
    cache_drops: u32,
}

impl<D: Device> Faulty<D> {
    /// Wraps `inner`.
    pub fn new(inner: D, fault: Fault) -> Self {
        Self {
            inner,
            fault,
            gone: false,
            writes: 0,
            flushes: 0,
            cache_drops: 0,
        }
    }
}

fn gone() -> io::Error {
    io::Error::from_raw_os_error(libc::ENODEV)
}

impl<D: Device> Device for Faulty<D> {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        if self.gone {
            return Err(gone());
        }
        if let Fault::ReadErrorIn { start, end } = self.fault
            && offset < end
            && offset + buf.len() as u64 > start
        {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        self.inner.read_at(buf, offset)
    }
    fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        if self.gone {
            return Err(gone());
        }
        let end = offset + buf.len() as u64;
        self.writes += 1;
        match self.fault {
            Fault::VanishAfterWrites(n) if self.writes > n => {
                self.gone = true;
                Err(gone())
            }
            Fault::WriteErrorAt(at) if end > at => Err(io::Error::from_raw_os_error(libc::EIO)),
            Fault::VanishAt(at) if end > at => {
                self.gone = true;
                Err(gone())
            }
            _ => self.inner.write_at(buf, offset),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.gone {
            return Err(gone());
        }
        self.flushes += 1;
        if self.fault == Fault::FlushError
            || (self.fault == Fault::FlushErrorOnce && self.flushes == 1)
        {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        self.inner.flush()
    }
    fn drop_cache(&mut self) -> io::Result<()> {
        if self.gone {
            return Err(gone());
        }
        if let Fault::DropCacheRefusedAfter(allowed) = self.fault {
            if self.cache_drops >= allowed {
                return Err(io::Error::from_raw_os_error(libc::EACCES));
            }
            self.cache_drops += 1;
        }
        self.inner.drop_cache()
    }
    fn alignment(&self) -> usize {
        self.inner.alignment()
    }
}

/// Wraps a device and limits its speed (for example USB 2.0: ~30 MB/s write), by
/// sleeping after each request for the time the bytes would take.
pub struct Throttled<D> {
    inner: D,
    write_bytes_per_sec: u64,
    read_bytes_per_sec: u64,
}

impl<D: Device> Throttled<D> {
    /// Wraps `inner` with the given speeds in bytes per second (0 = unlimited).
    pub fn new(inner: D, write_bytes_per_sec: u64, read_bytes_per_sec: u64) -> Self {
        Self {
            inner,
            write_bytes_per_sec,
            read_bytes_per_sec,
        }
    }
}

fn pause(bytes: usize, rate: u64) {
    if rate > 0 {
        std::thread::sleep(Duration::from_secs_f64(bytes as f64 / rate as f64));
    }
}

impl<D: Device> Device for Throttled<D> {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.inner.read_at(buf, offset)?;
        pause(buf.len(), self.read_bytes_per_sec);
        Ok(())
    }
    fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)?;
        pause(buf.len(), self.write_bytes_per_sec);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn drop_cache(&mut self) -> io::Result<()> {
        self.inner.drop_cache()
    }
    fn alignment(&self) -> usize {
        self.inner.alignment()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn write_byte(d: &mut FakeDrive, at: u64, v: u8) {
        d.write_at(&[v; 512], at).unwrap();
    }

    #[test]
    fn wraparound_aliases_modulo_real_size() {
        let mut d = FakeDrive::new(64 * MIB, 8 * MIB, Mapping::Wraparound);
        write_byte(&mut d, 0, 1);
        write_byte(&mut d, 8 * MIB, 2);
        assert_eq!(d.peek(0, 512).unwrap()[0], 2);
        assert_eq!(d.peek(16 * MIB, 512).unwrap()[0], 2);
    }

    #[test]
    fn limbo_drops_writes_beyond_real_size() {
        let mut d = FakeDrive::new(64 * MIB, 8 * MIB, Mapping::Limbo { garbage: false });
        write_byte(&mut d, 7 * MIB, 3);
        write_byte(&mut d, 9 * MIB, 4);
        assert_eq!(d.peek(7 * MIB, 512).unwrap()[0], 3);
        assert_eq!(d.peek(9 * MIB, 512).unwrap()[0], 0);
    }

    #[test]
    fn chain_wraps_to_its_base() {
        let mut d = FakeDrive::new(64 * MIB, 8 * MIB, Mapping::Chain { base: 2 * MIB });
        write_byte(&mut d, MIB, 5);
        write_byte(&mut d, 8 * MIB, 6);
        assert_eq!(d.peek(2 * MIB, 512).unwrap()[0], 6);
        assert_eq!(d.peek(MIB, 512).unwrap()[0], 5);
        assert_eq!(d.peek(14 * MIB, 512).unwrap()[0], 6);
    }

    #[test]
    fn cache_hides_aliasing_until_evicted() {
        let mut d = FakeDrive::new(64 * MIB, 8 * MIB, Mapping::Wraparound).with_cache(MIB);
        write_byte(&mut d, 0, 1);
        write_byte(&mut d, 8 * MIB, 2);
        assert_eq!(
            d.peek(0, 512).unwrap()[0],
            1,
            "both writes are still cached"
        );
        d.write_at(&vec![9u8; 2 * MIB as usize], 4 * MIB).unwrap();
        assert_eq!(
            d.peek(0, 512).unwrap()[0],
            2,
            "after eviction the alias shows"
        );
    }

    #[test]
    fn faults_fail_at_their_offset() {
        let mut d = Faulty::new(FakeDrive::genuine(8 * MIB), Fault::VanishAt(4 * MIB));
        d.write_at(&[1; 512], 0).unwrap();
        assert!(d.write_at(&[1; 512], 4 * MIB).is_err());
        assert!(
            d.read_at(&mut [0; 512], 0).is_err(),
            "a vanished drive stays gone"
        );
        let mut e = Faulty::new(FakeDrive::genuine(8 * MIB), Fault::WriteErrorAt(MIB));
        assert!(e.write_at(&[1; 512], MIB - 512).is_ok());
        assert!(e.write_at(&[1; 1024], MIB - 512).is_err());
    }
}
