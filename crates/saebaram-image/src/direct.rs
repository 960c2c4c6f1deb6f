//! The image file's writer: forward-only writes gathered into aligned 1 MiB windows and
//! written with `O_DIRECT` on Linux, bypassing the page cache.
//!
//! Why: copying the image's gigabyte of content into the page cache, then flushing it with
//! `fsync`, cost about 1 s of system time per GB on the project's VM, more than reading and
//! hashing the content; a direct write goes from the window to the disk. The image is
//! written strictly in order (skips forward leave holes), so one window is enough: bytes
//! skipped inside a window are written as zeros (what the hole would read as), a skip past
//! it leaves a real hole. A filesystem that refuses `O_DIRECT` (tmpfs) gets the same writes
//! through the cache.

use std::fs::File;
use std::io;

/// Window size: a multiple of every logical block size in use (512 B to 4 KiB).
const BLOCK: usize = 1 << 20;

/// Alignment of the window's memory, file offset and length.
const ALIGN: usize = 4096;

/// Writes a file front to back at increasing offsets (see the module doc).
pub(crate) struct DirectWriter {
    file: File,
    /// `pad` bytes of alignment, then the window: [`BLOCK`] bytes mirroring the file from
    /// `base`.
    buf: Vec<u8>,
    pad: usize,
    /// File offset of the window (a multiple of [`ALIGN`]).
    base: u64,
    /// Bytes of the window in use (written or skipped over).
    fill: usize,
    direct: bool,
}

impl DirectWriter {
    pub(crate) fn new(file: File) -> DirectWriter {
        let direct = set_direct(&file, true);
        let mut buf = Vec::<u8>::with_capacity(BLOCK + ALIGN);
        let pad = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        buf.resize(pad + BLOCK, 0);
        DirectWriter {
            file,
            buf,
            pad,
            base: 0,
            fill: 0,
            direct,
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
            let at = self.pad + off;
            self.buf
                .get_mut(at..at + n)
                .ok_or_else(|| io::Error::other("internal: window index"))?
                .copy_from_slice(now);
            self.fill = self.fill.max(off + n);
            pos += n as u64;
            data = later;
        }
        Ok(())
    }

    /// Writes the window out and starts the next one at `pos` rounded down to [`ALIGN`],
    /// carrying over the part of the last block that the new window shares with the old.
    fn move_window(&mut self, pos: u64) -> io::Result<()> {
        let written_to = self.flush_window()?;
        let base = pos - pos % ALIGN as u64;
        let keep = written_to.saturating_sub(base) as usize;
        let from = self.pad + (base.saturating_sub(self.base) as usize).min(BLOCK);
        if keep > 0 {
            self.buf.copy_within(from..from + keep, self.pad);
        }
        if let Some(rest) = self.buf.get_mut(self.pad + keep..) {
            rest.fill(0);
        }
        self.base = base;
        self.fill = keep;
        Ok(())
    }

    /// Writes the window's used part, rounded up to [`ALIGN`] (the rounding writes zeros
    /// where the file reads zeros anyway). Returns the file offset it wrote up to.
    fn flush_window(&mut self) -> io::Result<u64> {
        let len = self.fill.div_ceil(ALIGN) * ALIGN;
        if len == 0 {
            return Ok(self.base);
        }
        let window = self
            .buf
            .get(self.pad..self.pad + len)
            .ok_or_else(|| io::Error::other("internal: window index"))?;
        match write_all_at(&self.file, window, self.base) {
            Err(e) if self.direct && e.raw_os_error() == Some(22) => {
                // An alignment the device does not take: the same bytes through the cache.
                set_direct(&self.file, false);
                self.direct = false;
                write_all_at(&self.file, window, self.base)?;
            }
            r => r?,
        }
        Ok(self.base + len as u64)
    }

    /// Writes what is left, leaves the file in ordinary mode and returns it (the caller
    /// sets its length and syncs it).
    pub(crate) fn finish(mut self) -> io::Result<File> {
        self.flush_window()?;
        if self.direct {
            set_direct(&self.file, false);
        }
        Ok(self.file)
    }
}

/// Bytes in flight between the packer and the writer thread: [`IN_FLIGHT`] buffers.
const IN_FLIGHT: usize = 3;

/// A [`DirectWriter`] on its own thread, so reading and hashing the next file overlap the
/// direct writes (which wait for the device). Each write is copied into one of
/// [`IN_FLIGHT`] recycled buffers; the first write error is returned by the next call.
pub(crate) struct WriterThread {
    to_writer: Option<std::sync::mpsc::SyncSender<(u64, Vec<u8>)>>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
    allocated: usize,
    thread: Option<std::thread::JoinHandle<io::Result<File>>>,
}

impl WriterThread {
    pub(crate) fn new(file: File) -> WriterThread {
        let (to_writer, from_packer) = std::sync::mpsc::sync_channel::<(u64, Vec<u8>)>(IN_FLIGHT);
        let (to_packer, recycled) = std::sync::mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let thread = std::thread::spawn(move || -> io::Result<File> {
            let mut w = DirectWriter::new(file);
            for (pos, mut buf) in from_packer {
                w.write_at(pos, &buf)?;
                buf.clear();
                // The packer may be gone (an error on its side): nothing to recycle.
                let _ = to_packer.send(buf);
            }
            w.finish()
        });
        WriterThread {
            to_writer: Some(to_writer),
            recycled,
            allocated: 0,
            thread: Some(thread),
        }
    }

    /// Queues `data` for `pos` (front to back, as [`DirectWriter::write_at`]).
    pub(crate) fn write_at(&mut self, pos: u64, data: &[u8]) -> io::Result<()> {
        let mut buf = if self.allocated < IN_FLIGHT {
            self.allocated += 1;
            Vec::with_capacity(data.len())
        } else {
            match self.recycled.recv() {
                Ok(b) => b,
                Err(_) => return Err(self.stopped()),
            }
        };
        buf.extend_from_slice(data);
        let sent = self.to_writer.as_ref().map(|t| t.send((pos, buf)));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.stopped()),
        }
    }

    /// The writer thread's error (it stopped early).
    fn stopped(&mut self) -> io::Error {
        match self.join() {
            Err(e) => e,
            Ok(_) => io::Error::other("the image writer stopped"),
        }
    }

    fn join(&mut self) -> io::Result<File> {
        self.to_writer = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the image writer panicked"))),
            None => Err(io::Error::other("the image writer stopped")),
        }
    }

    /// Waits for every write and returns the file in ordinary mode.
    pub(crate) fn finish(mut self) -> io::Result<File> {
        self.join()
    }
}

impl Drop for WriterThread {
    /// An image abandoned on an error: the thread ends before the temp file is removed.
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.join();
        }
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
}
