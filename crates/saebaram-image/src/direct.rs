//! The image file's writer: forward-only writes gathered into aligned 1 MiB windows and
//! written with `O_DIRECT` on Linux, bypassing the page cache.
//!
//! Why: copying the image's gigabyte of content into the page cache, then flushing it with
//! `fsync`, cost about 1 s of system time per GB on the project's VM, more than reading and
//! hashing the content; a direct write goes from the window to the disk. The image is
//! written strictly in order (skips forward leave holes), so one window is enough: bytes
//! skipped inside a window are written as zeros (what the hole would read as), a skip past
//! it leaves a real hole. A filesystem that refuses `O_DIRECT` (tmpfs) gets the same writes
//! through the cache. Windows are 4 MiB (1 MiB writes cost a fifth more device time here)
//! and a full one is written by a thread of its own while the next is filled.

use std::fs::File;
use std::io;

/// Window size: a multiple of every logical block size in use (512 B to 4 KiB).
const BLOCK: usize = 4 << 20;

/// Alignment of the window's memory, file offset and length.
const ALIGN: usize = 4096;

/// An aligned window buffer: `pad` bytes of alignment, then [`BLOCK`] bytes.
struct Window {
    buf: Vec<u8>,
    pad: usize,
}

impl Window {
    fn new() -> Window {
        let mut buf = Vec::<u8>::with_capacity(BLOCK + ALIGN);
        let pad = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        buf.resize(pad + BLOCK, 0);
        Window { buf, pad }
    }

    /// The window's bytes `from..to`.
    fn get_mut(&mut self, from: usize, to: usize) -> io::Result<&mut [u8]> {
        self.buf
            .get_mut(self.pad + from..self.pad + to)
            .ok_or_else(|| io::Error::other("internal: window index"))
    }
}

/// Full windows waiting for the device thread (and the one being filled): 3 windows.
const WINDOWS_IN_FLIGHT: usize = 2;

/// Writes a file front to back at increasing offsets (see the module doc). A full window
/// goes to a thread of its own that writes it (waiting for the device) while the next one
/// is filled.
pub(crate) struct DirectWriter {
    file: File,
    /// The window being filled: mirrors the file from `base`.
    window: Window,
    /// File offset of the window (a multiple of [`ALIGN`]).
    base: u64,
    /// Bytes of the window in use (written or skipped over; skipped bytes are zeroed).
    fill: usize,
    direct: bool,
    to_device: Option<std::sync::mpsc::SyncSender<(u64, Window, usize)>>,
    returned: std::sync::mpsc::Receiver<Window>,
    windows: usize,
    device: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl DirectWriter {
    pub(crate) fn new(file: File) -> DirectWriter {
        let direct = set_direct(&file, true);
        let (to_device, from_writer) =
            std::sync::mpsc::sync_channel::<(u64, Window, usize)>(WINDOWS_IN_FLIGHT);
        let (give_back, returned) = std::sync::mpsc::sync_channel::<Window>(WINDOWS_IN_FLIGHT + 1);
        let device = file.try_clone().map(|file| {
            std::thread::spawn(move || -> io::Result<()> {
                let mut direct = direct;
                for (base, window, len) in from_writer {
                    let bytes = window
                        .buf
                        .get(window.pad..window.pad + len)
                        .ok_or_else(|| io::Error::other("internal: window index"))?;
                    write_window_at(&file, bytes, base, &mut direct)?;
                    let _ = give_back.send(window);
                }
                Ok(())
            })
        });
        let (to_device, device) = match device {
            Ok(handle) => (Some(to_device), Some(handle)),
            // No second handle: every window is written on this thread.
            Err(_) => (None, None),
        };
        DirectWriter {
            file,
            window: Window::new(),
            base: 0,
            fill: 0,
            direct,
            to_device,
            returned,
            windows: 1,
            device,
        }
    }

    /// The end of what has been written or skipped so far.
    fn end(&self) -> u64 {
        self.base + self.fill as u64
    }

    /// Writes `data` at `pos`, which must not be before the end of the previous write.
    pub(crate) fn write_at(&mut self, mut pos: u64, mut data: &[u8]) -> io::Result<()> {
        if pos < self.end() {
            return Err(io::Error::other(
                "internal: the image is written front to back",
            ));
        }
        while !data.is_empty() {
            if pos >= self.base + BLOCK as u64 {
                self.move_window(pos)?;
            }
            let off = (pos - self.base) as usize;
            let n = (BLOCK - off).min(data.len());
            let (now, later) = data.split_at(n);
            if off > self.fill {
                // Skipped inside the window: zeros, as the hole would read.
                self.window.get_mut(self.fill, off)?.fill(0);
            }
            self.window.get_mut(off, off + n)?.copy_from_slice(now);
            self.fill = self.fill.max(off + n);
            pos += n as u64;
            data = later;
        }
        Ok(())
    }

    /// Hands the window to the device thread and starts the next one at `pos` rounded down
    /// to [`ALIGN`], carrying over the part of the last block that the new window shares
    /// with the old.
    fn move_window(&mut self, pos: u64) -> io::Result<()> {
        let base = pos - pos % ALIGN as u64;
        let mut next = self.spare()?;
        let written_to = self.base + (self.fill.div_ceil(ALIGN) * ALIGN) as u64;
        let keep = written_to.saturating_sub(base) as usize;
        if keep > 0 {
            let from = (base.saturating_sub(self.base) as usize).min(BLOCK);
            let carried = self.window.get_mut(from, from + keep)?.to_vec();
            next.get_mut(0, keep)?.copy_from_slice(&carried);
        }
        let full = std::mem::replace(&mut self.window, next);
        let full_base = std::mem::replace(&mut self.base, base);
        let full_fill = std::mem::replace(&mut self.fill, keep);
        self.write_window(full_base, full, full_fill)
    }

    /// A window to fill: one the device thread is done with, or a new one.
    fn spare(&mut self) -> io::Result<Window> {
        if let Ok(w) = self.returned.try_recv() {
            return Ok(w);
        }
        if self.device.is_none() || self.windows < WINDOWS_IN_FLIGHT + 1 {
            self.windows += 1;
            return Ok(Window::new());
        }
        self.returned.recv().map_err(|_| self.device_stopped())
    }

    /// Writes the window's used part, rounded up to [`ALIGN`] with zeros (what the file
    /// reads there anyway), on the device thread when there is one.
    fn write_window(&mut self, base: u64, mut window: Window, fill: usize) -> io::Result<()> {
        let len = fill.div_ceil(ALIGN) * ALIGN;
        if len == 0 {
            return Ok(());
        }
        window.get_mut(fill, len)?.fill(0);
        match &self.to_device {
            Some(to) => {
                if to.send((base, window, len)).is_err() {
                    return Err(self.device_stopped());
                }
                Ok(())
            }
            None => {
                let bytes = window.get_mut(0, len)?;
                write_window_at(&self.file, bytes, base, &mut self.direct)
            }
        }
    }

    /// The device thread's error (it stopped early).
    fn device_stopped(&mut self) -> io::Error {
        self.to_device = None;
        match self.device.take().map(std::thread::JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            Some(Err(_)) => io::Error::other("the image device writer panicked"),
            _ => io::Error::other("the image device writer stopped"),
        }
    }

    /// Writes what is left, waits for the device thread, leaves the file in ordinary mode
    /// and returns it (the caller sets its length and syncs it).
    pub(crate) fn finish(mut self) -> io::Result<File> {
        let last = std::mem::replace(
            &mut self.window,
            Window {
                buf: Vec::new(),
                pad: 0,
            },
        );
        let (base, fill) = (self.base, self.fill);
        self.write_window(base, last, fill)?;
        self.to_device = None;
        if let Some(device) = self.device.take() {
            device
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the image device writer panicked")))?;
        }
        set_direct(&self.file, false);
        Ok(self.file)
    }
}

/// Bytes in flight between the packer, the hashing and the writing thread: [`IN_FLIGHT`]
/// buffers.
const IN_FLIGHT: usize = 4;

/// Zeros hashed for the holes inside the data region (in `.bss`).
static ZEROS: [u8; BLOCK] = [0; BLOCK];

/// One write: file offset, buffer, bytes of it used.
type Job = (u64, Vec<u8>, usize);

/// The thread hashing the data region.
type Hashing = std::thread::JoinHandle<io::Result<blake3::Hash>>;

/// The thread writing the windows.
type Writing = std::thread::JoinHandle<io::Result<File>>;

/// A [`DirectWriter`] behind two threads of its own: one hashes the data region (everything
/// before `data_end`, holes as zeros) in write order, the next writes (waiting for the
/// device), so reading and hashing the next file, hashing the image and writing overlap.
/// Buffers are recycled: [`WriterThread::buffer`] lends one to fill and
/// [`WriterThread::send`] hands it over without a copy; [`WriterThread::write_at`] copies
/// small writes. The first error is returned by the next call.
pub(crate) struct WriterThread {
    to_hasher: Option<std::sync::mpsc::SyncSender<Job>>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
    allocated: usize,
    threads: Option<(Hashing, Writing)>,
}

impl WriterThread {
    /// Writes `file`, hashing its first `data_end` bytes.
    pub(crate) fn new(file: File, data_end: u64) -> WriterThread {
        let (to_hasher, from_packer) = std::sync::mpsc::sync_channel::<Job>(IN_FLIGHT);
        let (to_writer, from_hasher) = std::sync::mpsc::sync_channel::<Job>(IN_FLIGHT);
        let (to_packer, recycled) = std::sync::mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let hashing = std::thread::spawn(move || -> io::Result<blake3::Hash> {
            let mut hasher = blake3::Hasher::new();
            let mut hashed_to = 0u64;
            let zeros = |hasher: &mut blake3::Hasher, from: u64, to: u64| {
                let mut at = from;
                while at < to {
                    let n = (to - at).min(BLOCK as u64) as usize;
                    hasher.update(ZEROS.get(..n).unwrap_or_default());
                    at += n as u64;
                }
            };
            for (pos, buf, len) in from_packer {
                let data = buf
                    .get(..len)
                    .ok_or_else(|| io::Error::other("internal: buffer length"))?;
                if pos < hashed_to || pos + len as u64 > data_end {
                    return Err(io::Error::other(
                        "internal: a write behind the last one or past the data region",
                    ));
                }
                zeros(&mut hasher, hashed_to, pos);
                hasher.update(data);
                hashed_to = pos + len as u64;
                if to_writer.send((pos, buf, len)).is_err() {
                    // The writer stopped: its error is the one reported.
                    break;
                }
            }
            zeros(&mut hasher, hashed_to, data_end);
            Ok(hasher.finalize())
        });
        let writing = std::thread::spawn(move || -> io::Result<File> {
            let mut w = DirectWriter::new(file);
            for (pos, buf, len) in from_hasher {
                let data = buf
                    .get(..len)
                    .ok_or_else(|| io::Error::other("internal: buffer length"))?;
                w.write_at(pos, data)?;
                // The packer may be gone (an error on its side): nothing to recycle.
                let _ = to_packer.send(buf);
            }
            w.finish()
        });
        WriterThread {
            to_hasher: Some(to_hasher),
            recycled,
            allocated: 0,
            threads: Some((hashing, writing)),
        }
    }

    /// A buffer of at least `len` bytes to fill and [`WriterThread::send`] (its contents are
    /// whatever it last held).
    pub(crate) fn buffer(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = if self.allocated < IN_FLIGHT {
            self.allocated += 1;
            Vec::new()
        } else {
            match self.recycled.recv() {
                Ok(b) => b,
                Err(_) => return Err(self.stopped()),
            }
        };
        if buf.len() < len {
            buf.resize(len, 0);
        }
        Ok(buf)
    }

    /// Queues the first `len` bytes of `buf` for `pos` (front to back, as
    /// [`DirectWriter::write_at`]).
    pub(crate) fn send(&mut self, pos: u64, buf: Vec<u8>, len: usize) -> io::Result<()> {
        let sent = self.to_hasher.as_ref().map(|t| t.send((pos, buf, len)));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stopped()),
        }
    }

    /// Queues a copy of `data` for `pos`.
    pub(crate) fn write_at(&mut self, pos: u64, data: &[u8]) -> io::Result<()> {
        let mut buf = self.buffer(data.len())?;
        buf.get_mut(..data.len())
            .ok_or_else(|| io::Error::other("internal: buffer length"))?
            .copy_from_slice(data);
        self.send(pos, buf, data.len())
    }

    /// The writer thread's error (it stopped early).
    fn stopped(&mut self) -> io::Error {
        match self.join() {
            Err(e) => e,
            Ok(_) => io::Error::other("the image writer stopped"),
        }
    }

    fn join(&mut self) -> io::Result<(File, blake3::Hash)> {
        self.to_hasher = None;
        let Some((hashing, writing)) = self.threads.take() else {
            return Err(io::Error::other("the image writer stopped"));
        };
        let hashed = hashing
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the image hasher panicked")));
        let written = writing
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the image writer panicked")));
        // A write error (a full disk) first: the hasher only stopped because of it.
        Ok((written?, hashed?))
    }

    /// Waits for every write and returns the file in ordinary mode and the data region's
    /// BLAKE3.
    pub(crate) fn finish(mut self) -> io::Result<(File, blake3::Hash)> {
        self.join()
    }
}

impl Drop for WriterThread {
    /// An image abandoned on an error: the thread ends before the temp file is removed.
    fn drop(&mut self) {
        if self.threads.is_some() {
            let _ = self.join();
        }
    }
}

/// Writes a window at `base`; a device that refuses the alignment (`EINVAL`) gets the same
/// bytes through the cache, and `direct` is turned off for the rest.
fn write_window_at(file: &File, bytes: &[u8], base: u64, direct: &mut bool) -> io::Result<()> {
    match write_all_at(file, bytes, base) {
        Err(e) if *direct && e.raw_os_error() == Some(22) => {
            set_direct(file, false);
            *direct = false;
            write_all_at(file, bytes, base)
        }
        r => r,
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, data: &[u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(data, at)
}

#[cfg(not(unix))]
fn write_all_at(mut file: &File, data: &[u8], at: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(at))?;
    file.write_all(data)
}

/// Turns `O_DIRECT` on or off; returns whether it is now on.
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let Ok(flags) = fcntl_getfl(file) else {
        return false;
    };
    let flags = if on {
        flags | OFlags::DIRECT
    } else {
        flags - OFlags::DIRECT
    };
    fcntl_setfl(file, flags).is_ok() && on
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_: &File, _: bool) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A folder beside the test binary (on disk; `/tmp` may be tmpfs, which refuses
    /// `O_DIRECT`).
    fn scratch() -> tempfile::TempDir {
        let exe = std::env::current_exe().expect("test binary path");
        tempfile::tempdir_in(exe.parent().expect("test binary folder")).expect("temp dir")
    }

    #[test]
    fn scattered_forward_writes_read_back_exactly_with_holes_as_zeros() {
        let dir = scratch();
        let path = dir.path().join("img");
        let file = File::create(&path).expect("create");
        let mut w = DirectWriter::new(file);
        #[cfg(target_os = "linux")]
        assert!(w.direct, "O_DIRECT refused under {}", dir.path().display());
        let mut expect = vec![0u8; 9 << 20];
        // (offset, length): unaligned starts and ends, a write spanning windows, a small
        // skip inside a window, a skip past it that shares a 4 KiB block with the last
        // write, and the image's end in the middle of a block.
        let writes: &[(usize, usize)] = &[
            (0, 512),
            (1 << 20, 512),
            ((1 << 20) + 3 * 512, 512),
            ((1 << 20) + 16_384, 3 << 20),
            ((4 << 20) + 20_000, 100),
            ((4 << 20) + 20_100, 5),
            ((6 << 20) + 7, 4096 * 3 + 11),
            ((6 << 20) + 4096 * 3 + 18 + 100, (1 << 20) + 1),
            ((8 << 20) + 5000, 70_000),
        ];
        let mut last = 0;
        for (k, &(at, len)) in writes.iter().enumerate() {
            assert!(at >= last);
            let data: Vec<u8> = (0..len).map(|i| (i * 31 + k * 7 + 1) as u8).collect();
            w.write_at(at as u64, &data).expect("write");
            expect[at..at + len].copy_from_slice(&data);
            last = at + len;
        }
        assert!(w.write_at(10, b"x").is_err(), "a write behind the end");
        let file = w.finish().expect("finish");
        file.set_len(expect.len() as u64).expect("set_len");
        drop(file);
        let mut back = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut back))
            .expect("read back");
        assert_eq!(back.len(), expect.len());
        let first_diff = back.iter().zip(&expect).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "the image differs");
    }

    #[test]
    fn the_writer_thread_hashes_the_data_region_with_its_holes() {
        let dir = scratch();
        let path = dir.path().join("img");
        let data_end = (5 << 20) + 300;
        let mut w = WriterThread::new(File::create(&path).expect("create"), data_end);
        let mut expect = vec![0u8; data_end as usize];
        // Copied small writes and lent buffers, with holes between them and at the end.
        let a: Vec<u8> = (0..700).map(|i| (i % 251) as u8).collect();
        w.write_at(10, &a).expect("write");
        expect[10..710].copy_from_slice(&a);
        let mut buf = w.buffer(3 << 20).expect("buffer");
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (i * 7 % 253) as u8;
        }
        let len = (2 << 20) + 5;
        expect[(1 << 20)..(1 << 20) + len].copy_from_slice(&buf[..len]);
        w.send(1 << 20, buf, len).expect("send");
        w.write_at(data_end - 100, &[9u8; 50]).expect("write");
        expect[(data_end - 100) as usize..(data_end - 50) as usize].fill(9);
        assert!(
            w.write_at(data_end - 10, &[1u8; 20]).is_ok(),
            "queued; the thread refuses it"
        );
        let err = w
            .finish()
            .map(|_| ())
            .expect_err("a write past the data region");
        assert!(err.to_string().contains("past the data region"), "{err}");

        let mut w = WriterThread::new(File::create(&path).expect("create"), data_end);
        w.write_at(10, &a).expect("write");
        let mut buf = w.buffer(len).expect("buffer");
        buf[..len].copy_from_slice(&expect[(1 << 20)..(1 << 20) + len]);
        w.send(1 << 20, buf, len).expect("send");
        w.write_at(data_end - 100, &[9u8; 50]).expect("write");
        let (file, hash) = w.finish().expect("finish");
        assert_eq!(
            hash,
            blake3::hash(&expect),
            "holes hashed as zeros up to data_end"
        );
        drop(file);
        let back = std::fs::read(&path).expect("read back");
        // The last block is written whole (rounded up to 4 KiB, zeros past the data).
        assert!(back.len() >= expect.len());
        assert!(back[..expect.len()] == expect[..], "the image differs");
        assert!(back[expect.len()..].iter().all(|&b| b == 0));
    }
}
