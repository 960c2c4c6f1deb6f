//! Where a cleaner reads its input: a [`Source`] gives exact reads at any offset, so a format
//! reads only its headers and tables and never needs the whole file in memory.
//!
//! Implemented for a file ([`FileSource`], `pread`, no mmap: a file truncated under an mmap
//! raises SIGBUS, a short `pread` is an ordinary error), for `[u8]` (container members,
//! tests, fuzzing) and for a prefix of another source ([`Window`], the file without its Red
//! Star OS trailer).

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Blocked, block};

/// Random-access input of known length.
pub(crate) trait Source: Sync {
    /// Length in bytes (fixed for the whole clean).
    fn len(&self) -> u64;

    /// Fills `buf` with the bytes at `offset`. Reading past [`Source::len`] is an error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// The bytes themselves, when the source is in memory (lets a whole-parse format borrow
    /// them instead of copying).
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }
}

/// In memory: pass `&bytes` where `bytes: &[u8]`.
impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| past_end(offset, buf.len()))?;
        let bytes = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or_else(|| past_end(offset, buf.len()))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }

    fn as_slice(&self) -> Option<&[u8]> {
        Some(*self)
    }
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.as_slice().read_at(offset, buf)
    }

    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

fn past_end(offset: u64, len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("{len} bytes at {offset} run past the end"),
    )
}

/// What a file looked like when it was opened: compared again after cleaning, so a file that
/// grows, shrinks or is rewritten meanwhile is refused instead of half-copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub len: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
    pub inode: u64,
    pub device: u64,
}

impl Fingerprint {
    pub(crate) fn of(meta: &std::fs::Metadata) -> Fingerprint {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
            Fingerprint {
                len: meta.len(),
                mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
                ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
                inode: meta.ino(),
                device: meta.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: io::Result<std::time::SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i128)
            };
            Fingerprint {
                len: meta.len(),
                mtime_ns: ns(meta.modified()),
                ctime_ns: ns(meta.created()),
                inode: 0,
                device: 0,
            }
        }
    }
}

/// An open input file.
pub(crate) struct FileSource {
    file: std::fs::File,
    path: PathBuf,
    opened: Fingerprint,
}

impl FileSource {
    /// Opens `path` and records its fingerprint.
    pub(crate) fn open(path: &Path) -> io::Result<FileSource> {
        let file = std::fs::File::open(path)?;
        let opened = Fingerprint::of(&file.metadata()?);
        Ok(FileSource {
            file,
            path: path.to_path_buf(),
            opened,
        })
    }

    /// The fingerprint taken when the file was opened.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        self.opened
    }

    /// Checks that the file still has the length, times and identity it had when opened.
    pub(crate) fn check_unchanged(&self) -> Result<(), Blocked> {
        let now_open = self
            .file
            .metadata()
            .map(|m| Fingerprint::of(&m))
            .map_err(|e| block!(Unreadable, "cannot check the file after cleaning: {e}"))?;
        let now_path = std::fs::metadata(&self.path)
            .map(|m| Fingerprint::of(&m))
            .map_err(|e| block!(Unreadable, "the file disappeared while it was cleaned: {e}"))?;
        if now_open != self.opened || now_path != self.opened {
            let what = if now_path.len != self.opened.len || now_open.len != self.opened.len {
                format!(
                    "its size went from {} to {} bytes",
                    self.opened.len, now_path.len
                )
            } else {
                "it was modified or replaced".to_string()
            };
            return Err(block!(
                Unreadable,
                "the file changed while it was cleaned ({what}); nothing was written, clean it again when it is complete"
            ));
        }
        Ok(())
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.opened.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.opened.len)
        {
            return Err(past_end(offset, buf.len()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.file.read_exact_at(buf, offset).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file became shorter while it was cleaned",
                    )
                } else {
                    e
                }
            })
        }
        #[cfg(windows)]
        {
            use std::os::windows::fs::FileExt;
            let mut done = 0usize;
            while done < buf.len() {
                let n = self.file.seek_read(
                    buf.get_mut(done..).unwrap_or_default(),
                    offset + done as u64,
                )?;
                if n == 0 {
                    return Err(past_end(offset, buf.len()));
                }
                done += n;
            }
            Ok(())
        }
    }
}

/// The files of one input: a single file, or the parts of a split archive (`NAME.zimaa`,
/// `NAME.zimab`...) read as one stream, in order.
pub(crate) struct InputFiles {
    parts: Vec<FileSource>,
    /// Offset of each part in the stream.
    starts: Vec<u64>,
    len: u64,
}

impl InputFiles {
    /// Opens every part (at least one) and records its fingerprint.
    pub(crate) fn open(paths: &[PathBuf]) -> io::Result<InputFiles> {
        let mut parts = Vec::with_capacity(paths.len());
        let mut starts = Vec::with_capacity(paths.len());
        let mut len = 0u64;
        for p in paths {
            let f = FileSource::open(p)?;
            starts.push(len);
            len = len
                .checked_add(f.len())
                .ok_or_else(|| io::Error::other("the parts add up to more than 2^64 bytes"))?;
            parts.push(f);
        }
        if parts.is_empty() {
            return Err(io::Error::other("no file"));
        }
        Ok(InputFiles { parts, starts, len })
    }

    /// The first part's fingerprint (the whole file's, for a single file).
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        self.parts.first().map_or(
            Fingerprint {
                len: 0,
                mtime_ns: 0,
                ctime_ns: 0,
                inode: 0,
                device: 0,
            },
            FileSource::fingerprint,
        )
    }

    /// The fingerprints of the parts after the first.
    pub(crate) fn more_fingerprints(&self) -> Vec<Fingerprint> {
        self.parts
            .iter()
            .skip(1)
            .map(FileSource::fingerprint)
            .collect()
    }

    /// Each part's length.
    pub(crate) fn part_lens(&self) -> Vec<u64> {
        self.parts.iter().map(Source::len).collect()
    }

    /// Checks every part (see [`FileSource::check_unchanged`]).
    pub(crate) fn check_unchanged(&self) -> Result<(), Blocked> {
        self.parts.iter().try_for_each(FileSource::check_unchanged)
    }
}

impl Source for InputFiles {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if let [one] = self.parts.as_slice() {
            return one.read_at(offset, buf);
        }
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(past_end(offset, buf.len()));
        }
        let mut at = offset;
        let mut rest = buf;
        while !rest.is_empty() {
            // The last part starting at or before `at`.
            let i = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
            let (Some(part), Some(&start)) = (self.parts.get(i), self.starts.get(i)) else {
                return Err(past_end(offset, rest.len()));
            };
            let inside = at - start;
            let n = usize::try_from(part.len() - inside)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            if n == 0 {
                return Err(past_end(offset, rest.len()));
            }
            let (now, later) = rest.split_at_mut(n);
            part.read_at(inside, now)?;
            rest = later;
            at += n as u64;
        }
        Ok(())
    }
}

/// A range of another source (the file without its Red Star OS trailer, FLAC after an
/// ID3v2 tag...).
pub(crate) struct Window<'a> {
    inner: &'a dyn Source,
    start: u64,
    len: u64,
}

impl<'a> Window<'a> {
    /// The first `len` bytes of `inner`.
    pub(crate) fn prefix(inner: &'a dyn Source, len: u64) -> Window<'a> {
        Window::range(inner, 0, len)
    }

    /// `len` bytes of `inner` from `start` (clamped to its end).
    pub(crate) fn range(inner: &'a dyn Source, start: u64, len: u64) -> Window<'a> {
        let start = start.min(inner.len());
        Window {
            inner,
            start,
            len: len.min(inner.len() - start),
        }
    }
}

impl Source for Window<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.len)
        {
            return Err(past_end(offset, buf.len()));
        }
        self.inner.read_at(self.start + offset, buf)
    }

    fn as_slice(&self) -> Option<&[u8]> {
        let start = usize::try_from(self.start).ok()?;
        let len = usize::try_from(self.len).ok()?;
        self.inner.as_slice()?.get(start..start.checked_add(len)?)
    }
}

/// Reads `len` bytes at `offset` as a blocked reason on failure. `len` must already be
/// bounded by the caller (a header, a table with a checked size).
pub(crate) fn read_vec(src: &dyn Source, offset: u64, len: usize) -> Result<Vec<u8>, Blocked> {
    let mut buf = vec![0u8; len];
    read_into(src, offset, &mut buf)?;
    Ok(buf)
}

/// Fills `buf` from `offset`, or blocks ("truncated" past the end, or the I/O error).
pub(crate) fn read_into(src: &dyn Source, offset: u64, buf: &mut [u8]) -> Result<(), Blocked> {
    if offset
        .checked_add(buf.len() as u64)
        .is_none_or(|end| end > src.len())
    {
        return Err(block!(
            Damaged,
            "truncated: {} bytes at byte {offset} but the file has {}",
            buf.len(),
            src.len()
        ));
    }
    src.read_at(offset, buf).map_err(|e| {
        block!(
            Unreadable,
            "cannot read {} bytes at byte {offset}: {e}",
            buf.len()
        )
    })
}

/// Reads up to `max` bytes at `offset` (fewer at the end of the source).
pub(crate) fn read_upto(src: &dyn Source, offset: u64, max: usize) -> Result<Vec<u8>, Blocked> {
    let n = usize::try_from(src.len().saturating_sub(offset))
        .unwrap_or(usize::MAX)
        .min(max);
    read_vec(src, offset, n)
}

/// Reads a fixed-size array at `offset`.
pub(crate) fn read_array<const N: usize>(
    src: &dyn Source,
    offset: u64,
) -> Result<[u8; N], Blocked> {
    let mut buf = [0u8; N];
    read_into(src, offset, &mut buf)?;
    Ok(buf)
}

/// `std::io::Read + Seek` over a source, for crates that want a reader (`zip`, `cfb`).
pub(crate) struct SourceReader<'a> {
    src: &'a dyn Source,
    pos: u64,
}

impl<'a> SourceReader<'a> {
    pub(crate) fn new(src: &'a dyn Source) -> SourceReader<'a> {
        SourceReader { src, pos: 0 }
    }
}

impl io::Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.src.len().saturating_sub(self.pos);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let dst = buf.get_mut(..n).unwrap_or_default();
        self.src.read_at(self.pos, dst)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for SourceReader<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let new = match to {
            io::SeekFrom::Start(n) => Some(n),
            io::SeekFrom::End(d) => self.src.len().checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_as_one_stream_across_every_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let whole: Vec<u8> = (0..1000u32).map(|i| (i * 13 % 251) as u8).collect();
        // Parts of 400, 0 (an empty file in the middle) and 600 bytes.
        let cuts = [0usize, 400, 400, 1000];
        let paths: Vec<PathBuf> = cuts
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let p = dir.path().join(format!("p{i}"));
                std::fs::write(&p, &whole[w[0]..w[1]]).unwrap();
                p
            })
            .collect();
        let src = InputFiles::open(&paths).unwrap();
        assert_eq!(src.len(), 1000);
        assert_eq!(src.part_lens(), [400, 0, 600]);
        for (offset, len) in [
            (0, 1000),
            (390, 20),
            (399, 1),
            (400, 1),
            (0, 400),
            (123, 777),
        ] {
            let mut buf = vec![0u8; len];
            src.read_at(offset as u64, &mut buf).unwrap();
            assert_eq!(buf, whole[offset..offset + len], "{offset}+{len}");
        }
        let mut buf = [0u8; 2];
        assert!(src.read_at(999, &mut buf).is_err(), "past the end");
        src.check_unchanged().unwrap();
        std::fs::write(&paths[2], b"shorter").unwrap();
        assert!(
            src.check_unchanged().is_err(),
            "a changed later part is seen"
        );
    }

    #[test]
    fn slice_and_window_reads_are_exact() {
        let data: &[u8] = b"0123456789";
        let mut b = [0u8; 3];
        data.read_at(7, &mut b).unwrap();
        assert_eq!(&b, b"789");
        assert!(data.read_at(8, &mut b).is_err());
        assert!(data.read_at(u64::MAX, &mut b).is_err());
        let w = Window::prefix(&data, 5);
        assert_eq!(w.len(), 5);
        assert!(w.read_at(3, &mut b).is_err());
        w.read_at(2, &mut b).unwrap();
        assert_eq!(&b, b"234");
        assert_eq!(w.as_slice(), Some(b"01234".as_slice()));
        let r = Window::range(&data, 6, 10);
        assert_eq!(r.len(), 4);
        r.read_at(1, &mut b).unwrap();
        assert_eq!(&b, b"789");
        assert_eq!(r.as_slice(), Some(b"6789".as_slice()));
        assert!(
            read_vec(&data, 9, 2)
                .unwrap_err()
                .reason
                .contains("truncated")
        );
    }

    #[test]
    fn file_source_notices_growth_and_shrinking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdef").unwrap();
        let src = FileSource::open(&path).unwrap();
        src.check_unchanged().unwrap();
        let mut b = [0u8; 2];
        src.read_at(4, &mut b).unwrap();
        assert_eq!(&b, b"ef");
        std::fs::write(&path, b"abc").unwrap();
        assert!(src.read_at(4, &mut b).is_err());
        assert!(
            src.check_unchanged()
                .unwrap_err()
                .reason
                .contains("changed")
        );
        let src = FileSource::open(&path).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"more").unwrap();
        assert!(src.check_unchanged().unwrap_err().reason.contains("size"));
    }
}
