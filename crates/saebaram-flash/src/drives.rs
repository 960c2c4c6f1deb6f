//! Which drives exist, which hold the running system, and whether a path may be written.
//!
//! Linux only: reads sysfs (`<sysfs>/block/*`), the udev database
//! (`<udev>/b<major>:<minor>`), `mountinfo` and `swaps`. Every root is a parameter so
//! tests run on a fake tree. The rules fail closed: a block device this module cannot
//! place, a disk holding `/`, `/boot`, swap or any mounted filesystem, a partition, or a
//! disk used by device-mapper/RAID is never offered and never accepted as a target.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Where the system describes its drives.
#[derive(Debug, Clone)]
pub struct SystemPaths {
    /// sysfs mount point (`/sys`).
    pub sysfs: PathBuf,
    /// udev database directory (`/run/udev/data`).
    pub udev_data: PathBuf,
    /// Mount table (`/proc/self/mountinfo`).
    pub mountinfo: PathBuf,
    /// Swap table (`/proc/swaps`).
    pub swaps: PathBuf,
    /// Device node directory (`/dev`).
    pub dev: PathBuf,
}

impl SystemPaths {
    /// The standard Linux locations.
    pub fn linux() -> Self {
        Self {
            sysfs: "/sys".into(),
            udev_data: "/run/udev/data".into(),
            mountinfo: "/proc/self/mountinfo".into(),
            swaps: "/proc/swaps".into(),
            dev: "/dev".into(),
        }
    }
}

/// Errors reading the system's view of its drives.
#[derive(Debug, thiserror::Error)]
pub enum DrivesError {
    /// A file that must exist could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The system error.
        source: std::io::Error,
    },
    /// The mount table has no `/` entry: the system disk cannot be known.
    #[error("{path}: no entry for `/`, so the system disk cannot be identified; refusing to go on")]
    NoRoot {
        /// The mountinfo file.
        path: PathBuf,
    },
}

/// One whole drive.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Drive {
    /// Kernel name (`sdb`).
    pub name: String,
    /// Device node (`/dev/sdb`).
    pub path: PathBuf,
    /// `major:minor`.
    pub devnum: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// The kernel or udev marks it removable (or it sits on USB).
    pub removable: bool,
    /// Read-only (write-protect switch).
    pub read_only: bool,
    /// Vendor string.
    pub vendor: Option<String>,
    /// Model string.
    pub model: Option<String>,
    /// Serial number (udev `ID_SERIAL_SHORT`, else sysfs).
    pub serial: Option<String>,
    /// Bus (udev `ID_BUS`), e.g. `usb`.
    pub bus: Option<String>,
    /// Its partitions' kernel names.
    pub partitions: Vec<String>,
    /// Where it or its partitions are mounted (and swap).
    pub mountpoints: Vec<String>,
    /// Holds the running system (`/`, `/boot`, `/usr`, `/var`, `/home`, swap).
    pub system: bool,
    /// Reasons it may not be written (empty if it may).
    pub refusals: Vec<String>,
    /// Offered to `--all-removable`: removable, writable, not system, not in use.
    pub offered: bool,
}

/// The whole picture: every drive and how partitions map to them.
#[derive(Debug, Clone)]
pub struct SystemView {
    /// Every drive with a non-zero size.
    pub drives: Vec<Drive>,
    /// `major:minor` of each partition -> its drive's name.
    partitions: BTreeMap<String, String>,
    /// Whether the root filesystem's device was found.
    pub root_resolved: bool,
}

fn read_trim(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Why a drive cannot be judged: a file that decides safety could not be read.
fn unreadable(path: &Path, error: &std::io::Error) -> String {
    format!(
        "안전한지 확인할 수 없음: `{}`을(를) 읽을 수 없습니다 / cannot tell whether it is safe: \
         cannot read `{}`: {error}",
        path.display(),
        path.display()
    )
}

/// The sorted entries of a directory; a directory that cannot be listed (missing
/// included: sysfs always has `holders` and `slaves`) is a reason to refuse.
fn list_dir(path: &Path) -> Result<Vec<String>, String> {
    let read = |path: &Path| -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    };
    read(path).map_err(|e| unreadable(path, &e))
}

/// Whether `path` exists; `Err` when that cannot be told.
fn exists(path: &Path) -> Result<bool, String> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(unreadable(path, &e)),
    }
}

fn udev_props(paths: &SystemPaths, devnum: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    if let Ok(text) = fs::read_to_string(paths.udev_data.join(format!("b{devnum}"))) {
        for line in text.lines() {
            if let Some(kv) = line.strip_prefix("E:")
                && let Some((k, v)) = kv.split_once('=')
            {
                props.insert(k.to_string(), v.to_string());
            }
        }
    }
    props
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && let Some(oct) = field.get(i + 1..i + 4)
            && let Ok(v) = u8::from_str_radix(oct, 8)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Mount {
    devnum: String,
    mountpoint: String,
    source: String,
}

fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let fields: Vec<&str> = left.split_whitespace().collect();
            let devnum = fields.get(2)?.to_string();
            let mountpoint = unescape(fields.get(4)?);
            let source = right
                .split_whitespace()
                .nth(1)
                .map(unescape)
                .unwrap_or_default();
            Some(Mount {
                devnum,
                mountpoint,
                source,
            })
        })
        .collect()
}

const SYSTEM_MOUNTS: [&str; 7] = ["/", "/boot", "/boot/efi", "/efi", "/usr", "/var", "/home"];

/// Reads the system's drives, mounts and swaps.
///
/// The steps: list `<sysfs>/block`, read each device and its partitions
/// ([`read_block_devices`]), find which disks back each mount and each swap area
/// ([`mount_usage`], [`swap_usage`]), then give every drive its refusals
/// ([`judge_drives`]).
pub fn scan(paths: &SystemPaths) -> Result<SystemView, DrivesError> {
    let block = paths.sysfs.join("block");
    let names = list_block(&block)?;
    let mut topology = read_block_devices(paths, &block, &names);
    let mut usage = mount_usage(paths, &topology)?;
    let swaps_unreadable = swap_usage(paths, &topology, &mut usage);
    judge_drives(&mut topology, &usage, swaps_unreadable.as_deref());
    let Topology {
        mut drives,
        part_devnums,
        ..
    } = topology;
    drives.retain(|d| d.size_bytes > 0);
    Ok(SystemView {
        drives,
        partitions: part_devnums,
        root_resolved: usage.root_resolved,
    })
}

/// The sorted names under `<sysfs>/block`; unreadable is an error (nothing can be judged).
fn list_block(block: &Path) -> Result<Vec<String>, DrivesError> {
    let read = || -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(block)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    };
    read().map_err(|source| DrivesError::Read {
        path: block.to_path_buf(),
        source,
    })
}

/// What sysfs says about the block devices and how they relate.
#[derive(Default)]
struct Topology {
    /// Name (disk or partition) -> its disk.
    disk_of: BTreeMap<String, String>,
    /// `major:minor` -> name (disk or partition).
    by_devnum: BTreeMap<String, String>,
    /// `major:minor` of each partition -> its disk.
    part_devnums: BTreeMap<String, String>,
    /// Virtual device -> the devices it is built on.
    slaves: BTreeMap<String, Vec<String>>,
    /// Disk -> what holds it or one of its partitions.
    held: BTreeMap<String, Vec<String>>,
    /// Disk -> why what decides its safety could not be read.
    cannot_judge: BTreeMap<String, Vec<String>>,
    /// Every device with a `dev` file, in name order.
    drives: Vec<Drive>,
}

/// Reads every block device in `names` (skipping entries without a `dev` file).
fn read_block_devices(paths: &SystemPaths, block: &Path, names: &[String]) -> Topology {
    let mut topology = Topology::default();
    for name in names {
        let dir = block.join(name);
        let Some(devnum) = read_trim(&dir.join("dev")) else {
            continue;
        };
        topology.disk_of.insert(name.clone(), name.clone());
        topology.by_devnum.insert(devnum.clone(), name.clone());
        let mut reasons: Vec<String> = Vec::new();
        match list_dir(&dir.join("slaves")) {
            Ok(s) if !s.is_empty() => {
                topology.slaves.insert(name.clone(), s);
            }
            Ok(_) => {}
            Err(reason) => reasons.push(reason),
        }
        let mut holders: Vec<String> = list_dir(&dir.join("holders")).unwrap_or_else(|reason| {
            reasons.push(reason);
            Vec::new()
        });
        let partitions = read_partitions(&dir, name, &mut topology, &mut holders, &mut reasons);
        if !holders.is_empty() {
            topology.held.insert(name.clone(), holders);
        }
        if !reasons.is_empty() {
            topology.cannot_judge.insert(name.clone(), reasons);
        }
        topology
            .drives
            .push(describe_drive(paths, &dir, name, devnum, partitions));
    }
    topology
}

/// Reads the partitions of the disk `name` (directory `dir`): records them in `topology`,
/// adds their holders to `holders`, and every file that could not be read to `reasons`.
/// Returns their names.
fn read_partitions(
    dir: &Path,
    name: &str,
    topology: &mut Topology,
    holders: &mut Vec<String>,
    reasons: &mut Vec<String>,
) -> Vec<String> {
    let mut partitions = Vec::new();
    let subs = list_dir(dir).unwrap_or_else(|reason| {
        reasons.push(reason);
        Vec::new()
    });
    for sub in subs {
        let pdir = dir.join(&sub);
        // Partitions are real directories; attributes are files, links are links.
        match fs::symlink_metadata(&pdir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => continue,
            Err(e) => {
                reasons.push(unreadable(&pdir, &e));
                continue;
            }
        }
        match exists(&pdir.join("partition")) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(reason) => {
                reasons.push(reason);
                continue;
            }
        }
        let Some(pdev) = read_trim(&pdir.join("dev")) else {
            // A partition that cannot be placed could be mounted unseen.
            reasons.push(unreadable(
                &pdir.join("dev"),
                &std::io::Error::from(std::io::ErrorKind::InvalidData),
            ));
            continue;
        };
        topology.disk_of.insert(sub.clone(), name.to_string());
        topology.by_devnum.insert(pdev.clone(), sub.clone());
        topology.part_devnums.insert(pdev, name.to_string());
        match list_dir(&pdir.join("holders")) {
            Ok(h) => holders.extend(h),
            Err(reason) => reasons.push(reason),
        }
        partitions.push(sub);
    }
    partitions
}

/// The drive `name` as sysfs and udev describe it, not yet judged.
fn describe_drive(
    paths: &SystemPaths,
    dir: &Path,
    name: &str,
    devnum: String,
    partitions: Vec<String>,
) -> Drive {
    let sectors: u64 = read_trim(&dir.join("size"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let props = udev_props(paths, &devnum);
    let bus = props.get("ID_BUS").cloned();
    let removable =
        read_trim(&dir.join("removable")).as_deref() == Some("1") || bus.as_deref() == Some("usb");
    let serial = props
        .get("ID_SERIAL_SHORT")
        .cloned()
        .or_else(|| read_trim(&dir.join("device/serial")))
        .or_else(|| read_trim(&dir.join("serial")));
    Drive {
        name: name.to_string(),
        path: paths.dev.join(name),
        devnum,
        size_bytes: sectors.saturating_mul(512),
        removable,
        read_only: read_trim(&dir.join("ro")).as_deref() == Some("1"),
        vendor: read_trim(&dir.join("device/vendor")).or_else(|| props.get("ID_VENDOR").cloned()),
        model: read_trim(&dir.join("device/model")).or_else(|| props.get("ID_MODEL").cloned()),
        serial,
        bus,
        partitions,
        mountpoints: Vec::new(),
        system: false,
        refusals: Vec::new(),
        offered: false,
    }
}

/// Which disks back a name, following device-mapper/RAID slaves.
fn disks_behind(name: &str, topology: &Topology, out: &mut BTreeSet<String>, depth: usize) {
    let Some(disk) = topology.disk_of.get(name) else {
        return;
    };
    out.insert(disk.clone());
    if depth > 16 {
        return;
    }
    for s in topology.slaves.get(disk).into_iter().flatten() {
        disks_behind(s, topology, out, depth + 1);
    }
}

/// Which disks are in use, and which hold the running system.
struct Usage {
    /// Disk -> its mount points (and swap areas).
    used: BTreeMap<String, Vec<String>>,
    /// Disks holding the running system.
    system: BTreeSet<String>,
    /// Whether the device of `/` was found among the disks.
    root_resolved: bool,
}

/// Reads the mount table and finds the disks behind every mount.
fn mount_usage(paths: &SystemPaths, topology: &Topology) -> Result<Usage, DrivesError> {
    let mountinfo = fs::read_to_string(&paths.mountinfo).map_err(|source| DrivesError::Read {
        path: paths.mountinfo.clone(),
        source,
    })?;
    let mounts = parse_mountinfo(&mountinfo);
    if !mounts.iter().any(|m| m.mountpoint == "/") {
        return Err(DrivesError::NoRoot {
            path: paths.mountinfo.clone(),
        });
    }
    let mut usage = Usage {
        used: BTreeMap::new(),
        system: BTreeSet::new(),
        root_resolved: false,
    };
    let resolve = |devnum: &str, source: &str| {
        let mut out = BTreeSet::new();
        if let Some(name) = topology.by_devnum.get(devnum) {
            disks_behind(name, topology, &mut out, 0);
        }
        if let Some(base) = source.strip_prefix("/dev/") {
            let base = base.rsplit('/').next().unwrap_or(base);
            disks_behind(base, topology, &mut out, 0);
        }
        out
    };
    for m in &mounts {
        let disks = resolve(&m.devnum, &m.source);
        if m.mountpoint == "/" && !disks.is_empty() {
            usage.root_resolved = true;
        }
        for d in disks {
            if SYSTEM_MOUNTS.contains(&m.mountpoint.as_str()) {
                usage.system.insert(d.clone());
            }
            usage.used.entry(d).or_default().push(m.mountpoint.clone());
        }
    }
    Ok(usage)
}

/// Adds the disks behind every swap area to `usage` (as system disks). Returns why the
/// swap table could not be read, if it could not: then no drive can be judged.
fn swap_usage(paths: &SystemPaths, topology: &Topology, usage: &mut Usage) -> Option<String> {
    let text = match fs::read_to_string(&paths.swaps) {
        Ok(text) => text,
        Err(e) => return Some(unreadable(&paths.swaps, &e)),
    };
    for line in text.lines().skip(1) {
        let Some(file) = line.split_whitespace().next() else {
            continue;
        };
        let file = unescape(file);
        let mut out = BTreeSet::new();
        if let Some(base) = file.strip_prefix("/dev/") {
            disks_behind(
                base.rsplit('/').next().unwrap_or(base),
                topology,
                &mut out,
                0,
            );
        }
        for d in out {
            usage.system.insert(d.clone());
            usage
                .used
                .entry(d)
                .or_default()
                .push(format!("swap {file}"));
        }
    }
    None
}

/// Gives every drive its mount points, system flag and refusals, and decides which are
/// offered to `--all-removable`.
fn judge_drives(topology: &mut Topology, usage: &Usage, swaps_unreadable: Option<&str>) {
    let root_resolved = usage.root_resolved;
    for drive in &mut topology.drives {
        drive.mountpoints = usage.used.get(&drive.name).cloned().unwrap_or_default();
        drive.system =
            usage.system.contains(&drive.name) || (!root_resolved && !drive.mountpoints.is_empty());
        if drive.system {
            drive.refusals.push(if root_resolved {
                "holds the running system".to_string()
            } else {
                "holds a mounted filesystem while the root device is unknown (treated as the system disk)".to_string()
            });
        }
        if !drive.mountpoints.is_empty() {
            drive
                .refusals
                .push(format!("mounted at {}", drive.mountpoints.join(", ")));
        }
        if let Some(h) = topology.held.get(&drive.name) {
            drive.refusals.push(format!("in use by {}", h.join(", ")));
        }
        if topology.slaves.contains_key(&drive.name) {
            drive
                .refusals
                .push("a virtual device (device-mapper or RAID)".to_string());
        }
        drive.refusals.extend(
            topology
                .cannot_judge
                .get(&drive.name)
                .into_iter()
                .flatten()
                .cloned(),
        );
        drive.refusals.extend(swaps_unreadable.map(str::to_string));
        drive.offered = drive.removable
            && !drive.read_only
            && drive.size_bytes > 0
            && drive.refusals.is_empty();
    }
}

/// Why a path may not be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing at that path.
    #[error("{path}: no such device or file")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A partition rather than a whole drive.
    #[error("{path}: is a partition of /dev/{disk}; name the whole drive")]
    Partition {
        /// The path.
        path: PathBuf,
        /// The drive it belongs to.
        disk: String,
    },
    /// The drive must not be written.
    #[error("{path}: refused: {reasons}")]
    Refused {
        /// The path.
        path: PathBuf,
        /// Why.
        reasons: String,
    },
    /// A block device sysfs does not describe: cannot prove it is safe.
    #[error("{path}: block device {devnum} is not in sysfs; cannot tell what it is, refusing")]
    Unknown {
        /// The path.
        path: PathBuf,
        /// `major:minor`.
        devnum: String,
    },
    /// Not a block device or regular file.
    #[error("{path}: not a block device or regular file")]
    NotADevice {
        /// The path.
        path: PathBuf,
    },
}

/// What a checked target is.
#[derive(Debug, Clone)]
pub enum TargetKind {
    /// A regular file (an image file or a test target).
    File,
    /// A whole drive that may be written.
    Drive(Box<Drive>),
}

impl SystemView {
    /// Decides whether the block device `major:minor` may be written.
    pub fn judge_devnum(&self, path: &Path, devnum: &str) -> Result<&Drive, TargetError> {
        if let Some(disk) = self.partitions.get(devnum) {
            return Err(TargetError::Partition {
                path: path.to_path_buf(),
                disk: disk.clone(),
            });
        }
        let Some(drive) = self.drives.iter().find(|d| d.devnum == devnum) else {
            return Err(TargetError::Unknown {
                path: path.to_path_buf(),
                devnum: devnum.to_string(),
            });
        };
        if !drive.refusals.is_empty() {
            return Err(TargetError::Refused {
                path: path.to_path_buf(),
                reasons: drive.refusals.join("; "),
            });
        }
        Ok(drive)
    }

    /// Decides whether `path` may be written: a regular file, or a whole drive that is
    /// not the system disk, not mounted and not in use.
    pub fn check_target(&self, path: &Path) -> Result<TargetKind, TargetError> {
        let meta = fs::metadata(path).map_err(|_| TargetError::NotFound {
            path: path.to_path_buf(),
        })?;
        if meta.file_type().is_file() {
            return Ok(TargetKind::File);
        }
        if !meta.file_type().is_block_device() {
            return Err(TargetError::NotADevice {
                path: path.to_path_buf(),
            });
        }
        let rdev = meta.rdev();
        let devnum = format!("{}:{}", libc::major(rdev), libc::minor(rdev));
        self.judge_devnum(path, &devnum)
            .map(|d| TargetKind::Drive(Box::new(d.clone())))
    }

    /// The drives `--all-removable` may choose.
    pub fn offered(&self) -> impl Iterator<Item = &Drive> {
        self.drives.iter().filter(|d| d.offered)
    }
}

/// Test support: builds a fake sysfs/udev/proc tree.
pub mod fake_tree {
    use std::fs;
    use std::io;
    use std::path::Path;

    use super::SystemPaths;

    /// A fake system rooted in a directory.
    pub struct FakeSystem {
        /// The paths to pass to [`super::scan`].
        pub paths: SystemPaths,
        mountinfo: String,
        swaps: String,
    }

    impl FakeSystem {
        /// An empty system under `root` with no drives and no mounts yet.
        pub fn new(root: &Path) -> io::Result<Self> {
            let paths = SystemPaths {
                sysfs: root.join("sys"),
                udev_data: root.join("udev"),
                mountinfo: root.join("mountinfo"),
                swaps: root.join("swaps"),
                dev: "/dev".into(),
            };
            fs::create_dir_all(paths.sysfs.join("block"))?;
            fs::create_dir_all(&paths.udev_data)?;
            let s = Self {
                paths,
                mountinfo: String::new(),
                swaps: "Filename Type Size Used Priority\n".into(),
            };
            s.save()?;
            Ok(s)
        }

        fn save(&self) -> io::Result<()> {
            fs::write(&self.paths.mountinfo, &self.mountinfo)?;
            fs::write(&self.paths.swaps, &self.swaps)
        }

        /// Adds a disk; `serial` goes to the udev database.
        pub fn disk(
            &self,
            name: &str,
            devnum: &str,
            bytes: u64,
            removable: bool,
            serial: Option<&str>,
        ) -> io::Result<()> {
            let dir = self.paths.sysfs.join("block").join(name);
            fs::create_dir_all(dir.join("device"))?;
            fs::create_dir_all(dir.join("holders"))?;
            fs::create_dir_all(dir.join("slaves"))?;
            fs::write(dir.join("dev"), format!("{devnum}\n"))?;
            fs::write(dir.join("size"), format!("{}\n", bytes / 512))?;
            fs::write(dir.join("removable"), if removable { "1\n" } else { "0\n" })?;
            fs::write(dir.join("ro"), "0\n")?;
            fs::write(dir.join("device/vendor"), "Fake    \n")?;
            fs::write(dir.join("device/model"), format!("Disk {name}\n"))?;
            if let Some(serial) = serial {
                fs::write(
                    self.paths.udev_data.join(format!("b{devnum}")),
                    format!("E:ID_SERIAL_SHORT={serial}\nE:ID_BUS=usb\n"),
                )?;
            }
            Ok(())
        }

        /// Adds a partition to a disk.
        pub fn partition(&self, disk: &str, name: &str, devnum: &str) -> io::Result<()> {
            let dir = self.paths.sysfs.join("block").join(disk).join(name);
            fs::create_dir_all(dir.join("holders"))?;
            fs::write(dir.join("dev"), format!("{devnum}\n"))?;
            fs::write(dir.join("partition"), "1\n")?;
            Ok(())
        }

        /// Adds a device-mapper device backed by `slaves`.
        pub fn mapper(&self, name: &str, devnum: &str, slaves: &[(&str, &str)]) -> io::Result<()> {
            self.disk(name, devnum, 1 << 30, false, None)?;
            for (disk, part) in slaves {
                let sdir = self.paths.sysfs.join("block").join(name).join("slaves");
                fs::create_dir_all(&sdir)?;
                fs::write(sdir.join(part), "")?;
                let hdir = if disk == part {
                    self.paths.sysfs.join("block").join(disk).join("holders")
                } else {
                    self.paths
                        .sysfs
                        .join("block")
                        .join(disk)
                        .join(part)
                        .join("holders")
                };
                fs::create_dir_all(&hdir)?;
                fs::write(hdir.join(name), "")?;
            }
            Ok(())
        }

        /// Adds a mount of `devnum` (source `source`) at `mountpoint`.
        pub fn mount(&mut self, devnum: &str, mountpoint: &str, source: &str) -> io::Result<()> {
            let id = self.mountinfo.lines().count() + 20;
            self.mountinfo.push_str(&format!(
                "{id} 1 {devnum} / {} rw,relatime - ext4 {source} rw\n",
                mountpoint.replace(' ', "\\040")
            ));
            self.save()
        }

        /// Adds a swap area.
        pub fn swap(&mut self, file: &str) -> io::Result<()> {
            self.swaps
                .push_str(&format!("{file} partition 1048572 0 -2\n"));
            self.save()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake_tree::FakeSystem;
    use super::*;

    const GB: u64 = 1_000_000_000;

    fn system(root: &Path) -> FakeSystem {
        let mut s = FakeSystem::new(root).unwrap();
        s.disk("nvme0n1", "259:0", 512 * GB, false, Some("NVME123"))
            .unwrap();
        s.partition("nvme0n1", "nvme0n1p1", "259:1").unwrap();
        s.partition("nvme0n1", "nvme0n1p2", "259:2").unwrap();
        s.disk("sdb", "8:16", 32 * GB, true, Some("USB-B")).unwrap();
        s.partition("sdb", "sdb1", "8:17").unwrap();
        s.disk("sdc", "8:32", 16 * GB, true, Some("USB-C")).unwrap();
        s.disk("sdd", "8:48", 8 * GB, true, None).unwrap();
        s.partition("sdd", "sdd1", "8:49").unwrap();
        s.disk("sde", "8:64", 64 * GB, false, None).unwrap();
        s.disk("loop0", "7:0", 0, false, None).unwrap();
        s.mount("259:2", "/", "/dev/nvme0n1p2").unwrap();
        s.mount("259:1", "/boot/efi", "/dev/nvme0n1p1").unwrap();
        s.mount("8:49", "/media/user/DONOR STICK", "/dev/sdd1")
            .unwrap();
        s.mount("0:22", "/proc", "proc").unwrap();
        s
    }

    fn drive<'a>(v: &'a SystemView, name: &str) -> &'a Drive {
        v.drives.iter().find(|d| d.name == name).unwrap()
    }

    #[test]
    fn lists_drives_with_their_facts_and_marks_the_system_disk() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        let v = scan(&s.paths).unwrap();
        assert!(v.root_resolved);
        let names: Vec<&str> = v.drives.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            ["nvme0n1", "sdb", "sdc", "sdd", "sde"],
            "zero-size devices are skipped"
        );
        let nvme = drive(&v, "nvme0n1");
        assert!(nvme.system && !nvme.offered);
        assert_eq!(nvme.mountpoints, ["/", "/boot/efi"]);
        let sdb = drive(&v, "sdb");
        assert!(sdb.offered, "{sdb:?}");
        assert_eq!(sdb.serial.as_deref(), Some("USB-B"));
        assert_eq!(sdb.vendor.as_deref(), Some("Fake"));
        assert_eq!(sdb.size_bytes, 32 * GB / 512 * 512);
        assert_eq!(sdb.partitions, ["sdb1"]);
        let sdd = drive(&v, "sdd");
        assert!(!sdd.offered && !sdd.system);
        assert_eq!(
            sdd.mountpoints,
            ["/media/user/DONOR STICK"],
            "octal escapes are decoded"
        );
        assert!(!drive(&v, "sde").offered, "fixed disks are never offered");
        let offered: Vec<&str> = v.offered().map(|d| d.name.as_str()).collect();
        assert_eq!(offered, ["sdb", "sdc"]);
    }

    #[test]
    fn refuses_system_disk_partitions_mounted_and_unknown_devices() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        let v = scan(&s.paths).unwrap();
        let p = Path::new("/dev/x");
        assert!(matches!(
            v.judge_devnum(p, "259:0"),
            Err(TargetError::Refused { .. })
        ));
        assert!(matches!(
            v.judge_devnum(p, "259:2"),
            Err(TargetError::Partition { .. })
        ));
        assert!(matches!(
            v.judge_devnum(p, "8:17"),
            Err(TargetError::Partition { .. })
        ));
        let e = v.judge_devnum(p, "8:48").unwrap_err();
        assert!(
            e.to_string().contains("mounted at /media/user/DONOR STICK"),
            "{e}"
        );
        assert!(matches!(
            v.judge_devnum(p, "9:9"),
            Err(TargetError::Unknown { .. })
        ));
        assert_eq!(v.judge_devnum(p, "8:16").unwrap().name, "sdb");
        assert_eq!(
            v.judge_devnum(p, "8:64").unwrap().name,
            "sde",
            "a named fixed disk that is unused may be written"
        );
    }

    #[test]
    fn root_on_lvm_marks_the_disk_underneath_and_swap_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FakeSystem::new(dir.path()).unwrap();
        s.disk("sda", "8:0", 256 * GB, false, None).unwrap();
        s.partition("sda", "sda2", "8:2").unwrap();
        s.mapper("dm-0", "253:0", &[("sda", "sda2")]).unwrap();
        s.disk("sdb", "8:16", 32 * GB, true, None).unwrap();
        s.disk("sdc", "8:32", 32 * GB, true, None).unwrap();
        s.mount("253:0", "/", "/dev/mapper/vg-root").unwrap();
        s.swap("/dev/sdc").unwrap();
        let v = scan(&s.paths).unwrap();
        assert!(
            drive(&v, "sda").system,
            "the disk under the root LV is the system disk"
        );
        assert!(!drive(&v, "sda").offered);
        assert!(
            drive(&v, "sdc").system,
            "a swap disk is part of the running system"
        );
        let offered: Vec<&str> = v.offered().map(|d| d.name.as_str()).collect();
        assert_eq!(offered, ["sdb"]);
    }

    #[test]
    fn unresolvable_root_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = FakeSystem::new(dir.path()).unwrap();
        s.disk("sda", "8:0", 256 * GB, false, None).unwrap();
        s.disk("sdb", "8:16", 32 * GB, true, None).unwrap();
        s.mount("0:40", "/", "overlay").unwrap();
        s.mount("8:0", "/etc/hosts", "/dev/sda").unwrap();
        let v = scan(&s.paths).unwrap();
        assert!(!v.root_resolved);
        assert!(
            drive(&v, "sda").system,
            "with an unknown root every mounted disk counts as system"
        );
        assert!(drive(&v, "sdb").offered);

        let empty = FakeSystem::new(&dir.path().join("none")).unwrap();
        assert!(matches!(
            scan(&empty.paths),
            Err(DrivesError::NoRoot { .. })
        ));
    }

    /// Replaces a sysfs directory by a file, so listing it fails (even for root).
    fn break_dir(path: &Path) {
        fs::remove_dir_all(path).unwrap();
        fs::write(path, b"").unwrap();
    }

    fn refusals(v: &SystemView, name: &str) -> String {
        drive(v, name).refusals.join("; ")
    }

    #[test]
    fn unreadable_holders_or_slaves_refuse_the_drive_issue_15() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        let block = s.paths.sysfs.join("block");
        break_dir(&block.join("sdb/holders"));
        fs::remove_dir_all(block.join("sdc/slaves")).unwrap();
        break_dir(&block.join("sdb/sdb1/holders"));
        let v = scan(&s.paths).unwrap();
        for name in ["sdb", "sdc"] {
            assert!(!drive(&v, name).offered, "{name} must not be offered");
            assert!(
                matches!(
                    v.judge_devnum(Path::new("/dev/x"), &drive(&v, name).devnum),
                    Err(TargetError::Refused { .. })
                ),
                "{name} must be refused as a named target"
            );
        }
        let sdb = refusals(&v, "sdb");
        assert!(sdb.contains("sdb/holders`"), "{sdb}");
        assert!(sdb.contains("sdb/sdb1/holders`"), "{sdb}");
        assert!(sdb.contains("안전한지 확인할 수 없음"), "{sdb}");
        assert!(
            refusals(&v, "sdc").contains("sdc/slaves`"),
            "{}",
            refusals(&v, "sdc")
        );
        assert!(
            drive(&v, "sde").refusals.is_empty(),
            "a drive whose files are readable is still judged on its own"
        );
    }

    #[test]
    fn unplaceable_partition_refuses_its_disk_issue_15() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        let part = s.paths.sysfs.join("block/sdb/sdb1");
        fs::remove_file(part.join("dev")).unwrap();
        let v = scan(&s.paths).unwrap();
        assert!(!drive(&v, "sdb").offered);
        assert!(
            refusals(&v, "sdb").contains("sdb1/dev`"),
            "{}",
            refusals(&v, "sdb")
        );
    }

    #[test]
    fn unreadable_swap_table_refuses_every_drive_issue_15() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        fs::remove_file(&s.paths.swaps).unwrap();
        fs::create_dir(&s.paths.swaps).unwrap();
        let v = scan(&s.paths).unwrap();
        assert_eq!(v.offered().count(), 0, "nothing is offered");
        for d in &v.drives {
            assert!(
                d.refusals.iter().any(|r| r.contains("swaps`")),
                "{}: {:?}",
                d.name,
                d.refusals
            );
        }
        let gone = FakeSystem::new(&dir.path().join("noswap")).unwrap();
        gone.disk("sdb", "8:16", 32 * GB, true, None).unwrap();
        let mut gone = gone;
        gone.mount("0:40", "/", "overlay").unwrap();
        fs::remove_file(&gone.paths.swaps).unwrap();
        let v = scan(&gone.paths).unwrap();
        assert!(
            !drive(&v, "sdb").offered,
            "a missing swap table is not an empty one"
        );
    }

    #[test]
    fn unreadable_mount_table_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        fs::remove_file(&s.paths.mountinfo).unwrap();
        let err = scan(&s.paths).unwrap_err();
        assert!(matches!(err, DrivesError::Read { .. }), "{err}");
        assert!(err.to_string().contains("mountinfo"), "{err}");
    }

    #[test]
    fn regular_files_are_targets_and_missing_paths_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let s = system(dir.path());
        let v = scan(&s.paths).unwrap();
        let f = dir.path().join("t.img");
        fs::write(&f, b"x").unwrap();
        assert!(matches!(v.check_target(&f), Ok(TargetKind::File)));
        assert!(matches!(
            v.check_target(&dir.path().join("nope")),
            Err(TargetError::NotFound { .. })
        ));
        assert!(matches!(
            v.check_target(dir.path()),
            Err(TargetError::NotADevice { .. })
        ));
    }
}
