//! An emulated drive for tests and benchmarks: a one-file FUSE filesystem whose file
//! is served by any [`Device`] (for example a fake-capacity [`FakeDrive`]). A loop
//! device over that file is a real block device (`/dev/loopN`) that aliases, loses
//! writes or fails exactly like the fake, so the product's own device path
//! (`O_EXCL|O_DIRECT` open, `BLKFLSBUF`, pread/pwrite) is what gets tested.
//!
//! The file is opened with `FOPEN_DIRECT_IO`, so the kernel's page cache never answers
//! for the fake: every read reaches the device.
//!
//! [`FakeDrive`]: saebaram_flash::fakes::FakeDrive

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use fuser::{
    Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, INodeNo, LockOwner,
    MountOption, OpenFlags, ReplyAttr, ReplyData, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyWrite,
    Request, TimeOrNow, WriteFlags,
};
use saebaram_flash::device::Device;

const FILE_INO: INodeNo = INodeNo(2);
const NAME: &str = "drive";
const TTL: Duration = Duration::from_secs(3600);
const SECTOR: u64 = 512;

struct DriveFs {
    device: Mutex<Box<dyn Device>>,
    len: u64,
    /// (write, read) bytes per second; 0 = unlimited.
    rates: (u64, u64),
    /// When the emulated bus is free again (deadline-based throttle: the time spent
    /// serving a request counts against its budget, unlike a fixed sleep).
    bus_free: Mutex<Option<std::time::Instant>>,
}

impl DriveFs {
    /// Reserves the bus for `bytes` at `rate` and returns when that slot ends.
    fn reserve(&self, bytes: usize, rate: u64) -> Option<std::time::Instant> {
        if rate == 0 {
            return None;
        }
        let cost = Duration::from_secs_f64(bytes as f64 / rate as f64);
        let now = std::time::Instant::now();
        let mut free = self.bus_free.lock().ok()?;
        let start = free.map_or(now, |f| f.max(now));
        let end = start + cost;
        *free = Some(end);
        Some(end)
    }
}

fn wait_until(deadline: Option<std::time::Instant>) {
    if let Some(d) = deadline {
        let now = std::time::Instant::now();
        if d > now {
            std::thread::sleep(d - now);
        }
    }
}

fn attr(ino: INodeNo, len: u64) -> FileAttr {
    let dir = ino == INodeNo::ROOT;
    FileAttr {
        ino,
        size: if dir { 0 } else { len },
        blocks: if dir { 0 } else { len.div_ceil(512) },
        atime: UNIX_EPOCH,
        mtime: UNIX_EPOCH,
        ctime: UNIX_EPOCH,
        crtime: UNIX_EPOCH,
        kind: if dir {
            FileType::Directory
        } else {
            FileType::RegularFile
        },
        perm: if dir { 0o755 } else { 0o600 },
        nlink: if dir { 2 } else { 1 },
        uid: 0,
        gid: 0,
        rdev: 0,
        flags: 0,
        blksize: 4096,
    }
}

/// EIO is 5 and ENOSPC 28 on Linux (this module is also built where `libc` is not a dependency).
fn errno(e: &io::Error) -> Errno {
    Errno::from_i32(e.raw_os_error().unwrap_or(5))
}

impl DriveFs {
    /// Reads `[offset, offset+len)` through whole sectors.
    fn read_range(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let end = (offset + len as u64).min(self.len);
        if offset >= end {
            return Ok(Vec::new());
        }
        let start = offset / SECTOR * SECTOR;
        let stop = end.div_ceil(SECTOR) * SECTOR;
        let mut buf = vec![0u8; (stop - start) as usize];
        self.device
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .read_at(&mut buf, start)?;
        let from = (offset - start) as usize;
        Ok(buf[from..from + (end - offset) as usize].to_vec())
    }

    fn write_range(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let end = offset + data.len() as u64;
        if end > self.len {
            return Err(io::Error::from_raw_os_error(28));
        }
        let mut dev = self
            .device
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?;
        if offset.is_multiple_of(SECTOR) && end.is_multiple_of(SECTOR) {
            return dev.write_at(data, offset);
        }
        let start = offset / SECTOR * SECTOR;
        let stop = end.div_ceil(SECTOR) * SECTOR;
        let mut buf = vec![0u8; (stop - start) as usize];
        dev.read_at(&mut buf, start)?;
        let from = (offset - start) as usize;
        buf[from..from + data.len()].copy_from_slice(data);
        dev.write_at(&buf, start)
    }
}

impl Filesystem for DriveFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        if parent == INodeNo::ROOT && name == NAME {
            reply.entry(&TTL, &attr(FILE_INO, self.len), fuser::Generation(0));
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        if ino == INodeNo::ROOT || ino == FILE_INO {
            reply.attr(&TTL, &attr(ino, self.len));
        } else {
            reply.error(Errno::ENOENT);
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<std::time::SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<std::time::SystemTime>,
        _chgtime: Option<std::time::SystemTime>,
        _bkuptime: Option<std::time::SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        reply.attr(&TTL, &attr(ino, self.len));
    }

    fn open(&self, _req: &Request, _ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        reply.opened(FileHandle(0), FopenFlags::FOPEN_DIRECT_IO);
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let slot = self.reserve(size as usize, self.rates.1);
        let result = self.read_range(offset, size as usize);
        wait_until(slot);
        match result {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let slot = self.reserve(data.len(), self.rates.0);
        let result = self.write_range(offset, data);
        wait_until(slot);
        match result {
            Ok(()) => reply.written(data.len() as u32),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self
            .device
            .lock()
            .map_err(|_| io::Error::other("poisoned"))
            .and_then(|mut d| d.flush())
        {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(errno(&e)),
        }
    }
}

/// A mounted emulated drive; unmounted on drop (after its loop device is detached).
pub struct Emulated {
    /// The file that behaves like the drive.
    pub file: PathBuf,
    mountpoint: PathBuf,
    session: Option<fuser::BackgroundSession>,
}

impl Emulated {
    /// Mounts `device` as `<mountpoint>/drive`. Fails with a clear message when FUSE is
    /// not available (no `/dev/fuse`, not root).
    pub fn mount(mountpoint: &Path, device: Box<dyn Device>) -> io::Result<Emulated> {
        Self::mount_throttled(mountpoint, device, 0, 0)
    }

    /// Like [`Emulated::mount`], limited to `write_bps` and `read_bps` bytes per second
    /// (a USB 2.0 stick: about 30 MB/s write, 35 MB/s read).
    pub fn mount_throttled(
        mountpoint: &Path,
        device: Box<dyn Device>,
        write_bps: u64,
        read_bps: u64,
    ) -> io::Result<Emulated> {
        std::fs::create_dir_all(mountpoint)?;
        let len = device.len();
        let fs = DriveFs {
            device: Mutex::new(device),
            len,
            rates: (write_bps, read_bps),
            bus_free: Mutex::new(None),
        };
        let mut config = Config::default();
        config.mount_options = vec![
            MountOption::FSName("saebaram-emulated".into()),
            MountOption::RW,
        ];
        config.n_threads = Some(2);
        let session = fuser::spawn_mount(fs, mountpoint, &config).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot mount the FUSE emulated drive at {}: {e}",
                    mountpoint.display()
                ),
            )
        })?;
        Ok(Emulated {
            file: mountpoint.join(NAME),
            mountpoint: mountpoint.to_path_buf(),
            session: Some(session),
        })
    }
}

impl Drop for Emulated {
    fn drop(&mut self) {
        if let Some(session) = self.session.take()
            && session.umount_and_join().is_err()
        {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(&self.mountpoint)
                .status();
        }
    }
}

/// A loop device over a file, detached on drop.
pub struct Loop {
    /// `/dev/loopN`.
    pub dev: PathBuf,
}

impl Loop {
    /// Attaches `backing`; panics LOUDLY when loop devices are unavailable, so a test
    /// never passes without having run.
    pub fn attach(backing: &Path, extra: &[&str]) -> Loop {
        let mut last = String::new();
        for _ in 0..5 {
            match Command::new("losetup")
                .arg("--find")
                .arg("--show")
                .args(extra)
                .arg(backing)
                .output()
            {
                Ok(o) if o.status.success() => {
                    return Loop {
                        dev: PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
                    };
                }
                Ok(o) => last = String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "LOOP DEVICES UNAVAILABLE: `losetup --find --show {}` failed: {last}\n\
             These tests need root and loop devices (CI runs as root); they do not pass silently.",
            backing.display()
        );
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
        // The kernel releases the backing file asynchronously; wait for it.
        let name = self
            .dev
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for _ in 0..50 {
            let backing = std::fs::read_to_string(format!("/sys/block/{name}/loop/backing_file"));
            if backing.is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
