//! The output file sink of a clean: large outputs bypass the page cache.
//!
//! Writing through the page cache copies every byte from user memory into freshly allocated
//! cache pages and leaves gigabytes dirty until the run's one `syncfs`; on the project's VM
//! that copy alone cost ~1 s of system time per GB, more than reading, hashing and scanning
//! together, and a film library evicts everything else from the cache. So once an output
//! passes [`DIRECT_FROM`] bytes, [`OutputFile`] writes it in aligned [`BLOCK`]s with
//! `O_DIRECT` on Linux (straight from its buffer to the device). Everything before that
//! offset and the unaligned tail go through the cache as before, so small files cost
//! nothing extra. A filesystem that refuses `O_DIRECT` (tmpfs, some FUSE) gets ordinary
//! writes: the output is the same bytes either way, only the path they take differs; the
//! run's `syncfs` still makes both durable (it also commits the direct writes' metadata).
//!
//! A whole [`BLOCK`] of zeros at an aligned offset is not written at all: the file offset
//! moves past it and leaves a hole, as `cp --sparse=auto` does, and [`Write::flush`] sets
//! the length when the file ends in one. A hole reads back as zeros, so the bytes (and
//! every hash of them) are the same; what changes is the disk they take. Raw video with
//! black frames, disk images and padded archives hold gigabytes of zeros, and a library
//! cleaned onto a laptop with little free space should not fill it with them. A filesystem
//! without holes (FAT32 on a drive) fills the gap with zeros itself.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

/// Bytes per direct write: a multiple of every logical block size in use (512 B to 4 KiB).
pub(crate) const BLOCK: usize = 1 << 20;

/// Alignment of the buffer's start, of every direct write's offset and length.
pub(crate) const ALIGN: usize = 4096;

/// Output offset from which writes bypass the page cache (smaller outputs never do: a
/// direct write waits for the device, a cached one does not).
pub(crate) const DIRECT_FROM: u64 = 8 << 20;

/// Bytes one [`OutputFile`] holds.
pub(crate) const BUFFER_BYTES: usize = BLOCK + ALIGN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direct {
    /// Not tried yet (the output has not reached [`DIRECT_FROM`]).
    NotYet,
    On,
    /// Refused by the filesystem, or switched off for the unaligned tail.
    Off,
}

/// Buffers output into [`BLOCK`]s and writes them to `file` (see the module doc).
/// [`Write::flush`] writes the rest; the bytes reach the file in order either way.
pub(crate) struct OutputFile<'f> {
    file: &'f File,
    /// `pad` bytes of alignment, then up to [`BLOCK`] buffered bytes.
    buf: Vec<u8>,
    pad: usize,
    /// Output offset of the first buffered byte.
    pos: u64,
    direct: Direct,
    /// Bytes written with `O_DIRECT` on.
    direct_bytes: u64,
    /// Bytes left as holes (whole zero blocks skipped).
    hole_bytes: u64,
    /// The last block was a hole: the file is shorter than `pos` until [`Write::flush`].
    ends_in_hole: bool,
}

impl<'f> OutputFile<'f> {
    /// A sink writing `file` from its current offset (a new, empty file).
    pub(crate) fn new(file: &'f File) -> OutputFile<'f> {
        OutputFile {
            file,
            buf: Vec::new(),
            pad: 0,
            pos: 0,
            direct: Direct::NotYet,
            direct_bytes: 0,
            hole_bytes: 0,
            ends_in_hole: false,
        }
    }

    /// Frees the buffer of a flushed output (a later write allocates a new one).
    fn release(&mut self) {
        if self.buffered() == 0 {
            self.buf = Vec::new();
            self.pad = 0;
        }
    }

    fn buffered(&self) -> usize {
        self.buf.len() - self.pad
    }

    /// Writes the buffer (a full block, or the tail on flush) and empties it.
    fn write_buffer(&mut self) -> io::Result<()> {
        let len = self.buffered();
        if len == 0 {
            return Ok(());
        }
        let aligned = len.is_multiple_of(ALIGN) && self.pos.is_multiple_of(ALIGN as u64);
        if len == BLOCK && aligned && all_zero(self.buf.get(self.pad..).unwrap_or_default()) {
            (&*self.file).seek(SeekFrom::Current(BLOCK as i64))?;
            self.pos += len as u64;
            self.hole_bytes += len as u64;
            self.ends_in_hole = true;
            self.buf.truncate(self.pad);
            return Ok(());
        }
        match (self.direct, aligned && self.pos >= DIRECT_FROM) {
            (Direct::NotYet, true) => {
                self.direct = if set_direct(self.file, true) {
                    Direct::On
                } else {
                    Direct::Off
                };
            }
            // The unaligned tail: page cache writes take any length.
            (Direct::On, false) => {
                set_direct(self.file, false);
                self.direct = Direct::Off;
            }
            _ => {}
        }
        let mut off = self.pad;
        let mut retried = false;
        while off < self.buf.len() {
            let chunk = self.buf.get(off..).unwrap_or_default();
            match (&*self.file).write(chunk) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    off += n;
                    if self.direct == Direct::On {
                        self.direct_bytes += n as u64;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // An alignment the device does not take: the same bytes through the cache.
                Err(e) if self.direct != Direct::NotYet && !retried && is_einval(&e) => {
                    set_direct(self.file, false);
                    self.direct = Direct::Off;
                    retried = true;
                }
                Err(e) => return Err(e),
            }
        }
        self.pos += len as u64;
        self.ends_in_hole = false;
        self.buf.truncate(self.pad);
        Ok(())
    }
}

/// Zeros to compare a block with (in `.bss`: reading it maps the kernel's shared zero page).
static ZEROS: [u8; BLOCK] = [0; BLOCK];

/// Whether every byte of `bytes` (at most a [`BLOCK`]) is zero: a `memcmp`, fast in every
/// build profile, that stops at the first byte that is not.
fn all_zero(bytes: &[u8]) -> bool {
    ZEROS.get(..bytes.len()).is_some_and(|z| z == bytes)
}

impl Write for OutputFile<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(BUFFER_BYTES);
            self.pad = self.buf.as_ptr().align_offset(ALIGN).min(ALIGN);
            self.buf.resize(self.pad, 0);
        }
        let mut rest = data;
        while !rest.is_empty() {
            let room = BLOCK - self.buffered();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buf.extend_from_slice(now);
            rest = later;
            if self.buffered() == BLOCK {
                self.write_buffer()?;
            }
        }
        Ok(data.len())
    }

    /// Writes what is buffered and leaves the file in ordinary (cached) mode.
    fn flush(&mut self) -> io::Result<()> {
        self.write_buffer()?;
        if self.ends_in_hole {
            self.file.set_len(self.pos)?;
            self.ends_in_hole = false;
        }
        if self.direct == Direct::On {
            set_direct(self.file, false);
            self.direct = Direct::Off;
        }
        Ok(())
    }
}

/// Writes one stream into consecutive files of `part_len` bytes (the last one shorter), each
/// through its own [`OutputFile`]: the parts of a split archive. Each part is hashed when
/// asked (the stream's own hash is the writer's caller's).
pub(crate) struct SplitOutput<'f> {
    parts: Vec<OutputFile<'f>>,
    hashes: Option<Vec<blake3::Hasher>>,
    lens: Vec<u64>,
    part_len: u64,
    current: usize,
}

impl<'f> SplitOutput<'f> {
    /// A writer over `files` (at least one), `part_len` bytes each but the last (any
    /// length for a single file).
    pub(crate) fn new(files: Vec<&'f File>, part_len: u64, hash_parts: bool) -> SplitOutput<'f> {
        let n = files.len();
        SplitOutput {
            parts: files.into_iter().map(OutputFile::new).collect(),
            hashes: hash_parts.then(|| (0..n).map(|_| blake3::Hasher::new()).collect()),
            lens: vec![0; n],
            part_len: if n <= 1 { u64::MAX } else { part_len.max(1) },
            current: 0,
        }
    }

    /// Bytes written to each part, and each part's BLAKE3 when hashing was asked.
    pub(crate) fn parts(&self) -> Vec<(u64, Option<blake3::Hash>)> {
        self.lens
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let hash = self
                    .hashes
                    .as_ref()
                    .and_then(|h| h.get(i))
                    .map(blake3::Hasher::finalize);
                (len, hash)
            })
            .collect()
    }
}

impl Write for SplitOutput<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        loop {
            let (Some(part), Some(len)) = (
                self.parts.get_mut(self.current),
                self.lens.get_mut(self.current),
            ) else {
                return Err(io::Error::other("more bytes than the planned parts hold"));
            };
            let room = self.part_len - *len;
            if room == 0 {
                // Done with this part: written out and its buffer given back, so a set of
                // many parts holds one buffer, not one per part.
                part.flush()?;
                part.release();
                self.current += 1;
                continue;
            }
            let n = usize::try_from(room).unwrap_or(usize::MAX).min(data.len());
            let now = data.get(..n).unwrap_or_default();
            part.write_all(now)?;
            *len += n as u64;
            if let Some(h) = self.hashes.as_mut().and_then(|h| h.get_mut(self.current)) {
                h.update(now);
            }
            return Ok(n);
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.parts.iter_mut().try_for_each(Write::flush)
    }
}

fn is_einval(e: &io::Error) -> bool {
    e.raw_os_error() == Some(22)
}

/// Turns `O_DIRECT` on or off for `file`; returns whether it is now on.
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

    #[test]
    fn a_stream_is_split_into_parts_of_the_asked_length_each_hashed() {
        let dir = scratch();
        let data = pattern(10 * BLOCK + 123);
        let files: Vec<File> = (0..4)
            .map(|_| tempfile::tempfile_in(dir.path()).unwrap())
            .collect();
        let part = 3 * BLOCK as u64 + 7;
        let got = {
            let mut out = SplitOutput::new(files.iter().collect(), part, true);
            for p in data.chunks(65_537) {
                out.write_all(p).unwrap();
            }
            out.flush().unwrap();
            out.parts()
        };
        let mut at = 0usize;
        for ((f, (len, hash)), i) in files.iter().zip(&got).zip(0..) {
            let mut back = Vec::new();
            let mut f = f;
            std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0)).unwrap();
            f.read_to_end(&mut back).unwrap();
            let want = &data[at..(at + part as usize).min(data.len())];
            assert_eq!(back.len() as u64, *len, "part {i}");
            assert!(back == want, "part {i}");
            assert_eq!(*hash, Some(blake3::hash(want)), "part {i}");
            at += want.len();
        }
        assert_eq!(at, data.len());

        // More than the planned parts hold: refused, never written somewhere else.
        let two: Vec<File> = (0..2)
            .map(|_| tempfile::tempfile_in(dir.path()).unwrap())
            .collect();
        let mut out = SplitOutput::new(two.iter().collect(), 10, true);
        out.write_all(&[7u8; 20]).unwrap();
        assert!(out.write_all(b"x").is_err());

        // One file: no limit, no per-part hash.
        let one = tempfile::tempfile_in(dir.path()).unwrap();
        let mut out = SplitOutput::new(vec![&one], 10, false);
        out.write_all(&data).unwrap();
        out.flush().unwrap();
        assert_eq!(out.parts(), [(data.len() as u64, None)]);
    }

    /// A folder beside the test binary (under `target/`, on disk: `/tmp` may be tmpfs,
    /// which refuses `O_DIRECT`).
    fn scratch() -> tempfile::TempDir {
        let exe = std::env::current_exe().expect("test binary path");
        let dir = exe.parent().expect("test binary folder");
        tempfile::tempdir_in(dir).expect("temp dir")
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 4099) as u8).collect()
    }

    /// Writes `data` in pieces of `piece` bytes and reads the file back.
    fn round_trip(dir: &std::path::Path, data: &[u8], piece: usize) -> (Vec<u8>, Direct, u64) {
        let mut file = tempfile::tempfile_in(dir).expect("temp file");
        let direct = {
            let mut out = OutputFile::new(&file);
            for p in data.chunks(piece) {
                out.write_all(p).expect("write");
            }
            out.flush().expect("flush");
            (out.direct, out.direct_bytes)
        };
        let mut back = Vec::new();
        use std::io::Seek;
        file.rewind().expect("rewind");
        file.read_to_end(&mut back).expect("read back");
        (back, direct.0, direct.1)
    }

    #[test]
    fn every_byte_arrives_in_order_whatever_the_sizes() {
        let dir = scratch();
        for (len, piece) in [
            (0, 1),
            (1, 1),
            (ALIGN - 1, 100),
            (BLOCK, BLOCK),
            (DIRECT_FROM as usize, 1 << 20),
            (DIRECT_FROM as usize + BLOCK + 1, 65_537),
            (DIRECT_FROM as usize + 3 * BLOCK + ALIGN, 1 << 20),
            (DIRECT_FROM as usize + 2 * BLOCK + 12_345, 3 << 20),
        ] {
            let data = pattern(len);
            let (back, _, _) = round_trip(dir.path(), &data, piece);
            assert!(
                back == data,
                "{len} bytes in pieces of {piece} came back different"
            );
        }
    }

    /// Blocks of zeros among data, at the start, the middle and the end, whole and partial.
    fn with_zero_runs() -> Vec<u8> {
        let mut data = vec![0u8; 3 * BLOCK];
        data.extend(pattern(BLOCK + 17));
        data.extend(vec![0u8; 2 * BLOCK + 5]);
        data.extend(pattern(DIRECT_FROM as usize));
        data.extend(vec![0u8; 4 * BLOCK]);
        data
    }

    #[test]
    fn zero_blocks_become_holes_and_read_back_as_zeros() {
        let dir = scratch();
        let data = with_zero_runs();
        for piece in [BLOCK, 65_537, 3 << 20] {
            let mut file = tempfile::tempfile_in(dir.path()).expect("temp file");
            let holes = {
                let mut out = OutputFile::new(&file);
                for p in data.chunks(piece) {
                    out.write_all(p).expect("write");
                }
                out.flush().expect("flush");
                out.hole_bytes
            };
            assert_eq!(file.metadata().expect("metadata").len(), data.len() as u64);
            let mut back = Vec::new();
            file.rewind().expect("rewind");
            file.read_to_end(&mut back).expect("read back");
            assert!(back == data, "pieces of {piece} came back different");
            // Whole aligned zero blocks only: the first 3, 1 of the middle run (it starts 17
            // bytes past a block boundary) and 3 of the last (it ends 22 bytes into a block).
            assert!(holes >= 7 * BLOCK as u64, "only {holes} bytes were holes");
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                let on_disk = file.metadata().expect("metadata").blocks() * 512;
                assert!(
                    on_disk < data.len() as u64 - 6 * BLOCK as u64,
                    "{on_disk} bytes on disk for {} with {holes} in holes",
                    data.len()
                );
            }
        }
    }

    #[test]
    fn an_output_of_only_zeros_has_its_full_length() {
        let dir = scratch();
        let data = vec![0u8; 2 * BLOCK];
        let (back, _, _) = round_trip(dir.path(), &data, BLOCK);
        assert!(back == data);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_outputs_go_direct_where_the_filesystem_allows_it() {
        // The target folder is on a disk filesystem in CI and here; on tmpfs O_DIRECT is
        // refused and the test says so instead of passing silently.
        let dir = scratch();
        let probe = tempfile::tempfile_in(dir.path()).expect("temp file");
        assert!(
            set_direct(&probe, true),
            "O_DIRECT is refused under {}: run the tests with the target folder on a disk filesystem",
            dir.path().display()
        );
        let data = pattern(DIRECT_FROM as usize + 2 * BLOCK + 100);
        let (back, direct, direct_bytes) = round_trip(dir.path(), &data, 1 << 20);
        assert!(back == data);
        // The blocks from DIRECT_FROM went direct; the tail and the flush switched it off.
        assert_eq!(direct_bytes, 2 * BLOCK as u64);
        assert_eq!(direct, Direct::Off);
        let small = pattern(DIRECT_FROM as usize - 1);
        let (back, direct, direct_bytes) = round_trip(dir.path(), &small, 1 << 20);
        assert!(back == small);
        assert_eq!(direct, Direct::NotYet, "a small output never goes direct");
        assert_eq!(direct_bytes, 0);
    }
}
