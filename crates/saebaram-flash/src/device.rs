//! The [`Device`] abstraction: what the probe and the writer need from a drive.
//!
//! [`FileDevice`] is the real implementation (a block device or a regular file);
//! [`crate::fakes`] holds in-process fakes for tests and benchmarks.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::fs::{File, OpenOptions};
use std::io;
use std::ops::{Deref, DerefMut};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Alignment of every buffer the crate hands to a device (enough for `O_DIRECT`).
pub const BUFFER_ALIGN: usize = 4096;

/// A drive (or something pretending to be one) addressed by byte offset.
///
/// Reads and writes are exact: a short transfer is an error. Offsets and lengths
/// passed by this crate are multiples of [`Device::alignment`] except possibly at
/// the very end of the device.
pub trait Device: Send {
    /// Size the device claims, in bytes.
    fn len(&self) -> u64;
    /// True if the device claims zero bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Writes all of `buf` at `offset`.
    fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Makes every write so far durable (fsync); a failing drive reports here.
    fn flush(&mut self) -> io::Result<()>;
    /// Forgets cached data so the next reads come from the medium.
    fn drop_cache(&mut self) -> io::Result<()>;
    /// Offset and length granularity the device needs (logical sector size).
    fn alignment(&self) -> usize {
        512
    }
}

impl<D: Device + ?Sized> Device for Box<D> {
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_at(buf, offset)
    }
    fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        (**self).write_at(buf, offset)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn drop_cache(&mut self) -> io::Result<()> {
        (**self).drop_cache()
    }
    fn alignment(&self) -> usize {
        (**self).alignment()
    }
}

/// A zeroed heap buffer aligned to [`BUFFER_ALIGN`], as `O_DIRECT` requires.
pub struct AlignedBuf {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: AlignedBuf owns its allocation exclusively, like a Vec<u8>.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access only hands out &[u8].
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// A zeroed buffer of `len` bytes (rounded up to at least one byte of allocation).
    pub fn new(len: usize) -> Self {
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size (at least BUFFER_ALIGN).
        let raw = unsafe { alloc_zeroed(layout) };
        let Some(ptr) = std::ptr::NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout);
        };
        Self { ptr, len }
    }

    fn layout(len: usize) -> Layout {
        let size = len.max(1).next_multiple_of(BUFFER_ALIGN);
        match Layout::from_size_align(size, BUFFER_ALIGN) {
            Ok(layout) => layout,
            Err(_) => std::alloc::handle_alloc_error(Layout::new::<u8>()),
        }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with the same layout.
        unsafe { dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}

impl Deref for AlignedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: ptr is valid for len initialised (zeroed) bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: ptr is valid for len bytes and we hold &mut self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// Errors opening a real device.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The path does not exist.
    #[error("{path}: no such device or file")]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// Someone else holds the device (mounted, or opened exclusively).
    #[error("{path}: the device is busy (mounted or in use by another program); unmount it first")]
    Busy {
        /// The path given.
        path: PathBuf,
    },
    /// The device or file cannot be written.
    #[error("{path}: read-only (write-protect switch, read-only device or no permission)")]
    ReadOnly {
        /// The path given.
        path: PathBuf,
    },
    /// Neither a block device nor a regular file.
    #[error("{path}: not a block device or regular file")]
    NotADevice {
        /// The path given.
        path: PathBuf,
    },
    /// Any other failure.
    #[error("{path}: {source}")]
    Io {
        /// The path given.
        path: PathBuf,
        /// The system error.
        source: io::Error,
    },
}

/// How a [`FileDevice`] was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OpenMode {
    /// A block device (as opposed to a regular file).
    pub block_device: bool,
    /// `O_DIRECT` is in effect.
    pub direct: bool,
    /// `O_EXCL` exclusive open (block devices only).
    pub exclusive: bool,
}

/// A real block device or regular file.
///
/// Block devices are opened `O_EXCL` (the kernel refuses if the device or one of its
/// partitions is mounted or held) and `O_DIRECT` when the kernel allows it; regular
/// files (tests, image files) fall back to buffered I/O when `O_DIRECT` is refused.
/// Requests that are not aligned are served with `O_DIRECT` switched off for that
/// request only (`fcntl(F_SETFL)`).
pub struct FileDevice {
    file: File,
    path: PathBuf,
    len: u64,
    mode: OpenMode,
    sector: usize,
}

fn classify(path: &Path, source: io::Error) -> OpenError {
    let path = path.to_path_buf();
    match source.raw_os_error() {
        Some(libc::ENOENT) | Some(libc::ENXIO) | Some(libc::ENODEV) => OpenError::NotFound { path },
        Some(libc::EBUSY) => OpenError::Busy { path },
        Some(libc::EROFS) | Some(libc::EACCES) | Some(libc::EPERM) => OpenError::ReadOnly { path },
        _ => OpenError::Io { path, source },
    }
}

impl FileDevice {
    /// Opens `path` for reading and writing, exclusively if it is a block device.
    pub fn open(path: &Path) -> Result<Self, OpenError> {
        Self::open_with(path, true)
    }

    /// Opens `path` read-only (for listing and tests); never exclusive.
    pub fn open_read_only(path: &Path) -> Result<Self, OpenError> {
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, write: bool) -> Result<Self, OpenError> {
        let meta = std::fs::metadata(path).map_err(|e| classify(path, e))?;
        let block_device = meta.file_type().is_block_device();
        if !block_device && !meta.file_type().is_file() {
            return Err(OpenError::NotADevice {
                path: path.to_path_buf(),
            });
        }
        let mut flags = 0;
        if block_device && write {
            flags |= libc::O_EXCL;
        }
        let try_open = |extra: i32| {
            OpenOptions::new()
                .read(true)
                .write(write)
                .custom_flags(flags | extra)
                .open(path)
        };
        let (file, direct) = match try_open(libc::O_DIRECT) {
            Ok(file) => (file, true),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                (try_open(0).map_err(|e| classify(path, e))?, false)
            }
            Err(e) => return Err(classify(path, e)),
        };
        let (len, sector) = if block_device {
            let fd = file.as_raw_fd();
            let mut size: u64 = 0;
            // SAFETY: BLKGETSIZE64 writes one u64 through the pointer we pass.
            let rc = unsafe { libc::ioctl(fd, BLKGETSIZE64, &mut size as *mut u64) };
            if rc != 0 {
                return Err(classify(path, io::Error::last_os_error()));
            }
            let mut ssz: libc::c_int = 0;
            // SAFETY: BLKSSZGET writes one int through the pointer we pass.
            let rc = unsafe { libc::ioctl(fd, BLKSSZGET, &mut ssz as *mut libc::c_int) };
            let sector = if rc == 0 && ssz > 0 {
                ssz as usize
            } else {
                512
            };
            if write {
                let mut ro: libc::c_int = 0;
                // SAFETY: BLKROGET writes one int through the pointer we pass.
                let rc = unsafe { libc::ioctl(fd, BLKROGET, &mut ro as *mut libc::c_int) };
                if rc == 0 && ro != 0 {
                    return Err(OpenError::ReadOnly {
                        path: path.to_path_buf(),
                    });
                }
            }
            (size, sector)
        } else {
            (meta.len(), 512)
        };
        Ok(Self {
            file,
            path: path.to_path_buf(),
            len,
            mode: OpenMode {
                block_device,
                direct,
                exclusive: block_device && write,
            },
            sector,
        })
    }

    /// The path this device was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the device was opened.
    pub fn mode(&self) -> OpenMode {
        self.mode
    }

    fn aligned(&self, ptr: *const u8, len: usize, offset: u64) -> bool {
        let s = self.sector.max(512);
        (ptr as usize).is_multiple_of(BUFFER_ALIGN)
            && len.is_multiple_of(s)
            && offset.is_multiple_of(s as u64)
    }

    /// Runs `f` with `O_DIRECT` off when the request cannot be direct.
    fn with_mode<T>(
        &self,
        direct_ok: bool,
        f: impl FnOnce(&File) -> io::Result<T>,
    ) -> io::Result<T> {
        if !self.mode.direct || direct_ok {
            return f(&self.file);
        }
        let fd = self.file.as_raw_fd();
        // SAFETY: plain fcntl calls on a descriptor we own.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_DIRECT) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let result = f(&self.file);
        // SAFETY: as above.
        let restore = unsafe { libc::fcntl(fd, libc::F_SETFL, flags) };
        if restore < 0 && result.is_ok() {
            return Err(io::Error::last_os_error());
        }
        result
    }
}

// Linux block ioctls (from <linux/fs.h>): _IOR(0x12,114,size_t), _IO(0x12,104), _IO(0x12,94), _IO(0x12,97).
const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;
const BLKSSZGET: libc::c_ulong = 0x1268;
const BLKROGET: libc::c_ulong = 0x125e;
const BLKFLSBUF: libc::c_ulong = 0x1261;

impl Device for FileDevice {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or(io::ErrorKind::InvalidInput)?;
        if end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read beyond the end of the device",
            ));
        }
        let ok = self.aligned(buf.as_ptr(), buf.len(), offset);
        self.with_mode(ok, |f| f.read_exact_at(buf, offset))
    }

    fn write_at(&mut self, buf: &[u8], offset: u64) -> io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .ok_or(io::ErrorKind::InvalidInput)?;
        if end > self.len {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write beyond the end of the device",
            ));
        }
        let ok = self.aligned(buf.as_ptr(), buf.len(), offset);
        self.with_mode(ok, |f| f.write_all_at(buf, offset))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.sync_all()
    }

    fn drop_cache(&mut self) -> io::Result<()> {
        self.file.sync_all()?;
        let fd = self.file.as_raw_fd();
        // SAFETY: advisory call on a descriptor we own.
        let rc = unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        if self.mode.block_device {
            // SAFETY: BLKFLSBUF takes no argument.
            let rc = unsafe { libc::ioctl(fd, BLKFLSBUF, 0) };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn alignment(&self) -> usize {
        self.sector
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buffers_are_aligned_and_zeroed() {
        for len in [1, 512, 4096, 1 << 20, 5000] {
            let buf = AlignedBuf::new(len);
            assert_eq!(buf.len(), len);
            assert_eq!(buf.as_ptr() as usize % BUFFER_ALIGN, 0);
            assert!(buf.iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn regular_file_round_trip_aligned_and_unaligned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("target.img");
        std::fs::write(&path, vec![0u8; 1 << 20]).unwrap();
        let mut dev = FileDevice::open(&path).unwrap();
        assert_eq!(dev.len(), 1 << 20);
        assert!(!dev.mode().block_device);
        let mut buf = AlignedBuf::new(8192);
        buf.fill(0xab);
        dev.write_at(&buf, 4096).unwrap();
        dev.write_at(b"odd", 3).unwrap();
        dev.flush().unwrap();
        dev.drop_cache().unwrap();
        let mut back = AlignedBuf::new(8192);
        dev.read_at(&mut back, 4096).unwrap();
        assert!(back.iter().all(|&b| b == 0xab));
        let mut small = [0u8; 3];
        dev.read_at(&mut small, 3).unwrap();
        assert_eq!(&small, b"odd");
        assert!(
            dev.write_at(&buf, (1 << 20) - 4096).is_err(),
            "writes past the end must fail"
        );
    }

    #[test]
    fn missing_path_is_not_found() {
        let err = FileDevice::open(Path::new("/nonexistent/saebaram-device"))
            .err()
            .unwrap();
        assert!(matches!(err, OpenError::NotFound { .. }), "{err}");
    }
}
