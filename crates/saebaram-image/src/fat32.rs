//! The FAT32 geometry and the one-pass image writer.
//!
//! Layout of an image, front to back, written strictly in this order:
//!
//! ```text
//! sector 0          MBR: disk signature, one partition (type 0x0C) at LBA 2048
//! 1 MiB             boot sector, FSInfo, (zero), ..., backup boot sector (6), backup FSInfo (7)
//! reserved end      FAT #1, FAT #2 (only the used part is written; the rest is a hole)
//! data (cluster 2)  root folder, other folders, then every file, each contiguous
//! end               hole up to the image size (free clusters read as zero)
//! ```
//!
//! Everything is known before the first byte is written (sizes, names, clusters), so the
//! writer never seeks back: it streams file contents once, hashing the data region and each
//! file on the way, and leaves the zero regions as holes in a sparse file. The free space
//! after the last used cluster is never hashed: the manifest records where the data ends
//! (`image.data_end`), and `saebaram-flash` writes zeros there and checks they read back.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::direct::WriterThread;
use crate::layout::Layout;
use crate::manifest::{
    FileRecord, FilesystemInfo, ImageInfo, ImageManifest, MANIFEST_VERSION, PartitionInfo,
    PolicyInfo,
};
use crate::names::{self, ShortName};
use crate::policy::{EntryTimes, SeedRng, TimeSource, TimestampPolicy};

/// Bytes per sector.
pub const SECTOR: u64 = 512;
/// First sector of the partition (1 MiB), as Windows and every modern tool align it.
pub const PARTITION_START_LBA: u64 = 2048;
/// OEM name in the boot sector: what Windows itself writes.
pub const OEM_NAME: &[u8; 8] = b"MSWIN4.1";
/// MBR partition type: FAT32 with LBA addressing.
pub const PARTITION_TYPE: u8 = 0x0C;
/// Fewest clusters a FAT32 volume may have (65,525 by definition, plus the 16 of margin the
/// specification recommends keeping from the FAT16 boundary).
pub const MIN_CLUSTERS: u32 = 65_525 + 16;
/// Most clusters a FAT32 volume may have.
pub const MAX_CLUSTERS: u32 = 0x0FFF_FFF5 - 2;
/// Largest image: 2 TiB, the limit of 32-bit sector numbers in the MBR.
pub const MAX_IMAGE: u64 = (u32::MAX as u64 + 1) * SECTOR;
/// Entries in a directory at most (the FAT specification's limit).
const MAX_DIR_SLOTS: u64 = 65_536;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// The cluster size Windows' format picks for a FAT32 volume of this size (Microsoft
/// KB140365; over 32 GiB Windows refuses FAT32, large-FAT32 tools use 32 KiB).
pub fn windows_cluster_size(partition_bytes: u64) -> u32 {
    match partition_bytes {
        b if b < 64 * MIB => 512,
        b if b < 128 * MIB => 1024,
        b if b < 256 * MIB => 2048,
        b if b < 8 * GIB => 4096,
        b if b < 16 * GIB => 8192,
        b if b < 32 * GIB => 16384,
        _ => 32768,
    }
}

/// The shape of a FAT32 volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Sectors in the partition.
    pub total_sectors: u32,
    /// Sectors per cluster.
    pub sectors_per_cluster: u32,
    /// Reserved sectors (32, plus padding so that clusters start aligned).
    pub reserved_sectors: u32,
    /// Sectors per FAT.
    pub fat_sectors: u32,
    /// Data clusters.
    pub cluster_count: u32,
}

impl Geometry {
    /// The geometry for a partition of `sectors`, with Windows' cluster size (halved while
    /// that would leave too few clusters for FAT32). `None` if FAT32 cannot fit.
    pub fn for_partition(sectors: u64) -> Option<Self> {
        let total = u32::try_from(sectors).ok()?;
        let mut cluster = windows_cluster_size(sectors * SECTOR);
        loop {
            if let Some(g) = Self::with_cluster_size(total, cluster / SECTOR as u32) {
                return Some(g);
            }
            if cluster == 512 {
                return None;
            }
            cluster /= 2;
        }
    }

    fn with_cluster_size(total: u32, spc: u32) -> Option<Self> {
        let mut reserved = 32u32;
        let mut fat = 1u32;
        let clusters = |reserved: u32, fat: u32| -> Option<u32> {
            let used = reserved.checked_add(fat.checked_mul(2)?)?;
            Some(total.checked_sub(used)? / spc)
        };
        loop {
            let n = clusters(reserved, fat)?;
            let need = ((n as u64 + 2) * 4).div_ceil(SECTOR) as u32;
            if need <= fat {
                break;
            }
            fat = need;
        }
        // Pad the reserved area so that cluster 2 starts on a cluster boundary of the disk
        // (the partition itself starts at 1 MiB, a multiple of every cluster size).
        let misalign = (reserved + 2 * fat) % spc;
        if misalign != 0 {
            reserved += spc - misalign;
        }
        let cluster_count = clusters(reserved, fat)?;
        if !(MIN_CLUSTERS..=MAX_CLUSTERS).contains(&cluster_count) {
            return None;
        }
        Some(Self {
            total_sectors: total,
            sectors_per_cluster: spc,
            reserved_sectors: reserved,
            fat_sectors: fat,
            cluster_count,
        })
    }

    /// Bytes per cluster.
    pub fn cluster_bytes(&self) -> u64 {
        self.sectors_per_cluster as u64 * SECTOR
    }

    /// Byte offset of cluster 2 from the start of the image.
    pub fn data_start(&self) -> u64 {
        (PARTITION_START_LBA + self.reserved_sectors as u64 + 2 * self.fat_sectors as u64) * SECTOR
    }

    /// Byte offset of a cluster from the start of the image.
    pub fn cluster_offset(&self, cluster: u32) -> u64 {
        self.data_start() + (cluster as u64 - 2) * self.cluster_bytes()
    }
}

/// How big the image should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSize {
    /// Exactly this many bytes (rounded down to whole sectors).
    Bytes(u64),
    /// The smallest image (in whole MiB) that holds the library.
    Fit,
}

/// Everything `pack` needs besides the layout.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Image size.
    pub size: ImageSize,
    /// Volume label; none by default.
    pub label: Option<String>,
    /// How timestamps are chosen.
    pub timestamps: TimestampPolicy,
    /// The seed every random value is drawn from (serial, disk signature, times).
    pub seed: [u8; 32],
    /// Where the seed came from, for the manifest (`os-csprng` or `seed:N`).
    pub randomness: String,
}

/// Why an image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The library does not fit the requested size.
    #[error(
        "the library does not fit in {size} bytes: it needs {needed} bytes of clusters ({content} bytes of file content, cluster size {cluster} bytes) but the volume has {available}; {overflow} bytes ({overflow_mib:.1} MiB) too many. Largest files: {largest}"
    )]
    NoFit {
        /// Image size asked for.
        size: u64,
        /// Bytes of clusters needed.
        needed: u64,
        /// Bytes of file content.
        content: u64,
        /// Cluster size.
        cluster: u64,
        /// Bytes of clusters available.
        available: u64,
        /// needed - available.
        overflow: u64,
        /// Same, in MiB.
        overflow_mib: f64,
        /// The biggest files, as candidates to leave out.
        largest: String,
    },
    /// The size cannot hold a FAT32 volume at all.
    #[error("an image of {size} bytes cannot hold a FAT32 volume: {reason}")]
    BadSize {
        /// Image size asked for.
        size: u64,
        /// Why.
        reason: String,
    },
    /// A bad volume label.
    #[error("{0}")]
    Label(String),
    /// A directory with too many entries.
    #[error(
        "{path}: too many entries for one FAT directory ({slots} slots, at most 65,536; long names take several)"
    )]
    DirectoryFull {
        /// The directory.
        path: String,
        /// Slots needed.
        slots: u64,
    },
    /// No unique short name left.
    #[error("{path}: no free 8.3 short name left in its folder")]
    ShortNames {
        /// The entry.
        path: String,
    },
    /// A source file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The source file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A source file changed size while being packed.
    #[error(
        "{path}: changed while being packed (expected {expected} bytes): nothing was written; try again"
    )]
    Changed {
        /// The source file.
        path: PathBuf,
        /// The size it had.
        expected: u64,
    },
    /// A source file's content is not what the cleaner produced.
    #[error(
        "{path}: content differs from what `saebaram clean` produced (BLAKE3 {actual}, clean manifest says {expected}): clean the library again"
    )]
    NotClean {
        /// The library path.
        path: String,
        /// The hash in the clean manifest.
        expected: String,
        /// The hash of the content read.
        actual: String,
    },
    /// The output disk filled up.
    #[error(
        "{path}: the disk is full (the image needs about {needed} bytes of real space, holes excluded); nothing was left behind"
    )]
    DiskFull {
        /// The output.
        path: PathBuf,
        /// Bytes the image needs on disk.
        needed: u64,
    },
    /// Writing the output failed.
    #[error("{path}: cannot write the image: {source}")]
    Write {
        /// The output.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The finished image could not be made visible under its name.
    #[error(transparent)]
    Output(#[from] saebaram_atomic::Error),
}

/// One entry of a folder, with its names settled.
struct Entry {
    is_dir: bool,
    index: usize,
    long: String,
    short: ShortName,
    needs_lfn: bool,
    /// The short name is the upper-cased long name (no `~N` tail).
    lossless: bool,
}

/// Everything decided before writing.
struct Plan {
    geometry: Geometry,
    image_size: u64,
    /// Entries of each folder, in order.
    entries: Vec<Vec<Entry>>,
    /// First cluster and cluster count of each folder.
    dir_alloc: Vec<(u32, u32)>,
    /// First cluster of each file (0 for empty files).
    file_cluster: Vec<u32>,
    /// Clusters in use (2.. used_end).
    used_end: u32,
    dir_times: Vec<EntryTimes>,
    file_times: Vec<EntryTimes>,
    label: Option<ShortName>,
    volume_serial: u32,
    disk_signature: u32,
}

/// Settles the short names of every folder's entries.
fn settle_names(layout: &Layout) -> Result<Vec<Vec<Entry>>, PackError> {
    let children = layout.children();
    let mut all = Vec::with_capacity(children.len());
    for list in children {
        let mut entries: Vec<Entry> = list
            .into_iter()
            .map(|(is_dir, index)| {
                let long = if is_dir {
                    layout.dirs[index].name.clone()
                } else {
                    layout.files[index].name.clone()
                };
                Entry {
                    is_dir,
                    index,
                    long,
                    short: [b' '; 11],
                    needs_lfn: true,
                    lossless: false,
                }
            })
            .collect();
        let mut taken = std::collections::HashSet::new();
        for e in &mut entries {
            if let Some(short) = names::exact_short_name(&e.long) {
                e.short = short;
                e.needs_lfn = false;
                taken.insert(short);
            }
        }
        // Names that only differ from a valid 8.3 name in letter case keep that name
        // without a `~N` tail (as Windows 95 and later do), plus a long name for the case.
        for e in entries.iter_mut().filter(|e| e.needs_lfn) {
            if let Some(short) = names::exact_short_name(&e.long.to_ascii_uppercase())
                && e.long.is_ascii()
                && !taken.contains(&short)
            {
                e.short = short;
                e.lossless = true;
                taken.insert(short);
            }
        }
        for e in entries.iter_mut().filter(|e| e.needs_lfn && !e.lossless) {
            let short =
                names::generate_short_name(&e.long, &|n| taken.contains(n)).ok_or_else(|| {
                    PackError::ShortNames {
                        path: e.long.clone(),
                    }
                })?;
            taken.insert(short);
            e.short = short;
        }
        all.push(entries);
    }
    Ok(all)
}

impl Plan {
    fn new(layout: &Layout, opts: &PackOptions) -> Result<Self, PackError> {
        let label = match &opts.label {
            Some(l) => Some(names::volume_label(l).map_err(PackError::Label)?),
            None => None,
        };
        let entries = settle_names(layout)?;
        let mut rng = SeedRng::new(&opts.seed, "serials");
        let volume_serial = rng.nonzero_u32();
        let disk_signature = rng.nonzero_u32();

        // Folder sizes in slots.
        let mut dir_slots = Vec::with_capacity(layout.dirs.len());
        for (d, list) in entries.iter().enumerate() {
            let mut slots: u64 = if d == 0 {
                u64::from(label.is_some())
            } else {
                2
            };
            for e in list {
                slots += 1 + if e.needs_lfn {
                    names::lfn_entry_count(&e.long) as u64
                } else {
                    0
                };
            }
            if slots > MAX_DIR_SLOTS {
                return Err(PackError::DirectoryFull {
                    path: layout.dirs[d].path.clone(),
                    slots,
                });
            }
            dir_slots.push(slots);
        }

        let (image_size, geometry) = match opts.size {
            ImageSize::Bytes(b) => {
                let size = b / SECTOR * SECTOR;
                (size, geometry_for_image(size)?)
            }
            ImageSize::Fit => fit(layout, &dir_slots)?,
        };
        let cb = geometry.cluster_bytes();
        let mut next: u64 = 2;
        let mut dir_alloc = Vec::with_capacity(dir_slots.len());
        for slots in &dir_slots {
            let n = (slots * 32).div_ceil(cb).max(1);
            dir_alloc.push((next as u32, n as u32));
            next += n;
        }
        let mut file_cluster = Vec::with_capacity(layout.files.len());
        for f in &layout.files {
            let n = f.len.div_ceil(cb);
            file_cluster.push(if n == 0 {
                0
            } else {
                next.min(u32::MAX as u64) as u32
            });
            next += n;
        }
        let needed = (next - 2) * cb;
        let available = geometry.cluster_count as u64 * cb;
        if needed > available {
            let mut by_size: Vec<&crate::layout::FileNode> = layout.files.iter().collect();
            by_size.sort_by(|a, b| b.len.cmp(&a.len).then(a.path.cmp(&b.path)));
            let largest = by_size
                .iter()
                .take(3)
                .map(|f| format!("{} ({} bytes)", f.path, f.len))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(PackError::NoFit {
                size: image_size,
                needed,
                content: layout.content_bytes(),
                cluster: cb,
                available,
                overflow: needed - available,
                overflow_mib: (needed - available) as f64 / MIB as f64,
                largest,
            });
        }

        // Times, handed out depth-first in entry order, as a copy would go.
        let mut times = TimeSource::new(opts.timestamps, &opts.seed);
        let mut dir_times = vec![None; layout.dirs.len()];
        let mut file_times = vec![None; layout.files.len()];
        let mut copied = 0u64;
        dir_times[0] = Some(times.next(0));
        let mut stack = vec![0usize];
        while let Some(d) = stack.pop() {
            for e in &entries[d] {
                if e.is_dir {
                    dir_times[e.index] = Some(times.next(copied));
                } else {
                    file_times[e.index] = Some(times.next(copied));
                    copied += layout.files[e.index].len;
                }
            }
            stack.extend(
                entries[d]
                    .iter()
                    .rev()
                    .filter(|e| e.is_dir)
                    .map(|e| e.index),
            );
        }
        let root_times = dir_times[0].unwrap_or_else(|| times.next(0));
        Ok(Self {
            geometry,
            image_size,
            entries,
            dir_alloc,
            file_cluster,
            used_end: next as u32,
            dir_times: dir_times
                .into_iter()
                .map(|t| t.unwrap_or(root_times))
                .collect(),
            file_times: file_times
                .into_iter()
                .map(|t| t.unwrap_or(root_times))
                .collect(),
            label,
            volume_serial,
            disk_signature,
        })
    }
}

fn geometry_for_image(size: u64) -> Result<Geometry, PackError> {
    if size > MAX_IMAGE {
        return Err(PackError::BadSize {
            size,
            reason: "MBR partitions end at 2 TiB".into(),
        });
    }
    let sectors = (size / SECTOR).saturating_sub(PARTITION_START_LBA);
    Geometry::for_partition(sectors).ok_or_else(|| PackError::BadSize {
        size,
        reason: format!(
            "FAT32 needs at least {} clusters; use at least 35 MiB",
            MIN_CLUSTERS
        ),
    })
}

/// The smallest whole-MiB image that holds the library.
fn fit(layout: &Layout, dir_slots: &[u64]) -> Result<(u64, Geometry), PackError> {
    let mut size = 35 * MIB;
    loop {
        if size > MAX_IMAGE {
            return Err(PackError::BadSize {
                size,
                reason: "the library needs more than 2 TiB".into(),
            });
        }
        if let Ok(g) = geometry_for_image(size) {
            let cb = g.cluster_bytes();
            let dirs: u64 = dir_slots.iter().map(|s| (s * 32).div_ceil(cb).max(1)).sum();
            let files: u64 = layout.files.iter().map(|f| f.len.div_ceil(cb)).sum();
            let needed = dirs + files;
            if needed <= g.cluster_count as u64 {
                return Ok((size, g));
            }
            let short = (needed - g.cluster_count as u64) * cb;
            size += short.div_ceil(MIB).max(1) * MIB;
        } else {
            size += MIB;
        }
    }
}

/// CHS address of an LBA for the MBR (255 heads, 63 sectors; 1023/254/63 when beyond).
fn chs(lba: u64) -> [u8; 3] {
    let c = lba / (255 * 63);
    if c > 1023 {
        return [254, 0xFF, 0xFF];
    }
    let h = (lba / 63) % 255;
    let s = lba % 63 + 1;
    [
        h as u8,
        (s as u8) | (((c >> 2) & 0xC0) as u8),
        (c & 0xFF) as u8,
    ]
}

/// `int 18h` (ask the BIOS for the next boot device), then halt: the only code in the image.
const BOOT_CODE: [u8; 4] = [0xCD, 0x18, 0xEB, 0xFE];

fn mbr(plan: &Plan) -> [u8; 512] {
    let mut s = [0u8; 512];
    s[..4].copy_from_slice(&BOOT_CODE);
    s[0x1B8..0x1BC].copy_from_slice(&plan.disk_signature.to_le_bytes());
    let start = PARTITION_START_LBA;
    let count = plan.geometry.total_sectors as u64;
    let e = &mut s[0x1BE..0x1CE];
    e[0] = 0x00;
    e[1..4].copy_from_slice(&chs(start));
    e[4] = PARTITION_TYPE;
    e[5..8].copy_from_slice(&chs(start + count - 1));
    e[8..12].copy_from_slice(&(start as u32).to_le_bytes());
    e[12..16].copy_from_slice(&(count as u32).to_le_bytes());
    s[510] = 0x55;
    s[511] = 0xAA;
    s
}

fn boot_sector(plan: &Plan) -> [u8; 512] {
    let g = &plan.geometry;
    let mut s = [0u8; 512];
    s[0..3].copy_from_slice(&[0xEB, 0x58, 0x90]);
    s[3..11].copy_from_slice(OEM_NAME);
    s[11..13].copy_from_slice(&(SECTOR as u16).to_le_bytes());
    s[13] = g.sectors_per_cluster as u8;
    s[14..16].copy_from_slice(&(g.reserved_sectors as u16).to_le_bytes());
    s[16] = 2;
    s[21] = 0xF8;
    s[24..26].copy_from_slice(&63u16.to_le_bytes());
    s[26..28].copy_from_slice(&255u16.to_le_bytes());
    s[28..32].copy_from_slice(&(PARTITION_START_LBA as u32).to_le_bytes());
    s[32..36].copy_from_slice(&g.total_sectors.to_le_bytes());
    s[36..40].copy_from_slice(&g.fat_sectors.to_le_bytes());
    s[44..48].copy_from_slice(&2u32.to_le_bytes());
    s[48..50].copy_from_slice(&1u16.to_le_bytes());
    s[50..52].copy_from_slice(&6u16.to_le_bytes());
    s[64] = 0x80;
    s[66] = 0x29;
    s[67..71].copy_from_slice(&plan.volume_serial.to_le_bytes());
    s[71..82].copy_from_slice(plan.label.as_ref().unwrap_or(b"NO NAME    "));
    s[82..90].copy_from_slice(b"FAT32   ");
    s[90..94].copy_from_slice(&BOOT_CODE);
    s[510] = 0x55;
    s[511] = 0xAA;
    s
}

fn fsinfo(plan: &Plan) -> [u8; 512] {
    let mut s = [0u8; 512];
    s[0..4].copy_from_slice(&0x4161_5252u32.to_le_bytes());
    s[484..488].copy_from_slice(&0x6141_7272u32.to_le_bytes());
    let used = plan.used_end - 2;
    let free = plan.geometry.cluster_count - used;
    s[488..492].copy_from_slice(&free.to_le_bytes());
    let next = if free == 0 { u32::MAX } else { plan.used_end };
    s[492..496].copy_from_slice(&next.to_le_bytes());
    s[508..512].copy_from_slice(&0xAA55_0000u32.to_le_bytes());
    s
}

/// A 32-byte short entry.
fn short_entry(name: &ShortName, attr: u8, cluster: u32, size: u32, t: &EntryTimes) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[..11].copy_from_slice(name);
    e[11] = attr;
    e[13] = t.created.fat_tenths(t.created_hundredths);
    e[14..16].copy_from_slice(&t.created.fat_time().to_le_bytes());
    e[16..18].copy_from_slice(&t.created.fat_date().to_le_bytes());
    e[18..20].copy_from_slice(&t.accessed.fat_date().to_le_bytes());
    e[20..22].copy_from_slice(&((cluster >> 16) as u16).to_le_bytes());
    e[22..24].copy_from_slice(&t.modified.fat_time().to_le_bytes());
    e[24..26].copy_from_slice(&t.modified.fat_date().to_le_bytes());
    e[26..28].copy_from_slice(&(cluster as u16).to_le_bytes());
    e[28..32].copy_from_slice(&size.to_le_bytes());
    e
}

const ATTR_DIR: u8 = 0x10;
const ATTR_ARCHIVE: u8 = 0x20;
const ATTR_VOLUME: u8 = 0x08;

/// The bytes of folder `d`, padded with zeros to whole clusters.
fn dir_bytes(plan: &Plan, layout: &Layout, d: usize) -> Vec<u8> {
    let (first, count) = plan.dir_alloc[d];
    let mut out = Vec::with_capacity(count as usize * plan.geometry.cluster_bytes() as usize);
    if d == 0 {
        if let Some(label) = &plan.label {
            let t = plan.dir_times[0];
            let mut e = short_entry(label, ATTR_VOLUME, 0, 0, &t);
            // A label entry carries only a modification time.
            e[13..20].fill(0);
            out.extend_from_slice(&e);
        }
    } else {
        let t = plan.dir_times[d];
        out.extend_from_slice(&short_entry(b".          ", ATTR_DIR, first, 0, &t));
        let parent = layout.dirs[d].parent;
        let parent_cluster = if parent == 0 {
            0
        } else {
            plan.dir_alloc[parent].0
        };
        out.extend_from_slice(&short_entry(
            b"..         ",
            ATTR_DIR,
            parent_cluster,
            0,
            &plan.dir_times[parent],
        ));
    }
    for e in &plan.entries[d] {
        if e.needs_lfn {
            names::push_lfn_entries(&mut out, &e.long, names::short_name_checksum(&e.short));
        }
        let entry = if e.is_dir {
            short_entry(
                &e.short,
                ATTR_DIR,
                plan.dir_alloc[e.index].0,
                0,
                &plan.dir_times[e.index],
            )
        } else {
            let f = &layout.files[e.index];
            short_entry(
                &e.short,
                ATTR_ARCHIVE,
                plan.file_cluster[e.index],
                f.len as u32,
                &plan.file_times[e.index],
            )
        };
        out.extend_from_slice(&entry);
    }
    out.resize(count as usize * plan.geometry.cluster_bytes() as usize, 0);
    out
}

/// Writes in order; the writer thread hashes every byte of the data region (its holes
/// included) on the way. Past the data region the image is a hole that is never hashed:
/// the manifest records where the data ends, and everything after it is zero by
/// construction.
struct Sink {
    out: WriterThread,
    path: PathBuf,
    pos: u64,
    /// End of the data region (the last used cluster's end).
    data_end: u64,
    /// Bytes actually written (for the disk-full message).
    written: u64,
}

impl Sink {
    fn err(&self, e: std::io::Error) -> PackError {
        write_error(&self.path, self.written, e)
    }

    /// Skips to `pos` (a hole; the writer thread hashes it as zeros).
    fn skip_to(&mut self, pos: u64) -> Result<(), PackError> {
        if pos < self.pos {
            return Err(PackError::Write {
                path: self.path.clone(),
                source: std::io::Error::other("internal: the image is written front to back"),
            });
        }
        self.pos = pos;
        Ok(())
    }

    fn check_room(&self, len: usize) -> Result<(), PackError> {
        if self.pos + len as u64 > self.data_end {
            return Err(PackError::Write {
                path: self.path.clone(),
                source: std::io::Error::other("internal: a write past the data region"),
            });
        }
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), PackError> {
        self.check_room(data.len())?;
        self.out.write_at(self.pos, data).map_err(|e| self.err(e))?;
        self.pos += data.len() as u64;
        self.written += data.len() as u64;
        Ok(())
    }

    /// A buffer of at least `len` bytes to fill and [`Sink::send`].
    fn buffer(&mut self, len: usize) -> Result<Vec<u8>, PackError> {
        self.out.buffer(len).map_err(|e| self.err(e))
    }

    /// Writes the first `len` bytes of a buffer from [`Sink::buffer`] (no copy).
    fn send(&mut self, buf: Vec<u8>, len: usize) -> Result<(), PackError> {
        self.check_room(len)?;
        self.out.send(self.pos, buf, len).map_err(|e| self.err(e))?;
        self.pos += len as u64;
        self.written += len as u64;
        Ok(())
    }

    fn write_at(&mut self, pos: u64, data: &[u8]) -> Result<(), PackError> {
        self.skip_to(pos)?;
        self.write(data)
    }
}

/// A write error of the image at `path` after `written` bytes (a full disk says so).
fn write_error(path: &Path, written: u64, e: std::io::Error) -> PackError {
    if e.raw_os_error() == Some(28) || e.kind() == std::io::ErrorKind::StorageFull {
        PackError::DiskFull {
            path: path.to_owned(),
            needed: written,
        }
    } else {
        PackError::Write {
            path: path.to_owned(),
            source: e,
        }
    }
}

/// Volume serial as Windows prints it.
pub fn format_serial(serial: u32) -> String {
    format!("{:04X}-{:04X}", serial >> 16, serial & 0xFFFF)
}

/// Checks that a layout fits the options (names, sizes, clusters) without writing anything;
/// returns the image size it would have.
pub fn check_fit(layout: &Layout, opts: &PackOptions) -> Result<u64, PackError> {
    Plan::new(layout, opts).map(|p| p.image_size)
}

/// Builds the image at `out` (temp file beside it, renamed when complete) and returns its
/// manifest (not yet written). `progress(done, total)` is called with content bytes.
pub fn pack(
    layout: &Layout,
    out: &Path,
    opts: &PackOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ImageManifest, PackError> {
    let plan = Plan::new(layout, opts)?;
    let g = plan.geometry;
    let werr = |e| PackError::Write {
        path: out.to_owned(),
        source: e,
    };
    let tmp = saebaram_atomic::AtomicFile::new(out, saebaram_atomic::Options::default())?;
    let file = tmp.file().try_clone().map_err(werr)?;
    let mut sink = Sink {
        out: WriterThread::new(file, g.cluster_offset(plan.used_end)),
        path: out.to_owned(),
        pos: 0,
        data_end: g.cluster_offset(plan.used_end),
        written: 0,
    };
    write_system_area(&mut sink, &plan)?;
    write_fats(&mut sink, &plan, layout)?;
    write_folders(&mut sink, &plan, layout)?;
    let records = write_files(&mut sink, &plan, layout, progress)?;
    let data_blake3 = finish_image(sink, &plan)?;
    tmp.commit()?;
    Ok(manifest_for(&plan, opts, data_blake3, records))
}

/// The MBR, then the partition's boot sector and FSInfo and their backups (sectors 6, 7).
fn write_system_area(sink: &mut Sink, plan: &Plan) -> Result<(), PackError> {
    sink.write(&mbr(plan))?;
    let part = PARTITION_START_LBA * SECTOR;
    let boot = boot_sector(plan);
    let info = fsinfo(plan);
    sink.write_at(part, &boot)?;
    sink.write(&info)?;
    sink.write_at(part + 6 * SECTOR, &boot)?;
    sink.write(&info)
}

/// Both FATs: chains of the folders, then of the files, all contiguous. Only the used part
/// is written; the rest of each FAT is a hole (free clusters).
fn write_fats(sink: &mut Sink, plan: &Plan, layout: &Layout) -> Result<(), PackError> {
    let g = plan.geometry;
    let mut extents: Vec<(u32, u32)> = plan.dir_alloc.clone();
    for (i, f) in layout.files.iter().enumerate() {
        let n = f.len.div_ceil(g.cluster_bytes()) as u32;
        if n > 0 {
            extents.push((plan.file_cluster[i], n));
        }
    }
    let fat_bytes_used = (plan.used_end as usize) * 4;
    let mut fat = Vec::with_capacity(fat_bytes_used.div_ceil(512) * 512);
    fat.extend_from_slice(&0x0FFF_FFF8u32.to_le_bytes());
    fat.extend_from_slice(&0x0FFF_FFFFu32.to_le_bytes());
    for &(start, n) in &extents {
        for c in start..start + n {
            let v = if c + 1 == start + n {
                0x0FFF_FFFF
            } else {
                c + 1
            };
            fat.extend_from_slice(&v.to_le_bytes());
        }
    }
    fat.resize(fat.len().div_ceil(512) * 512, 0);
    let part = PARTITION_START_LBA * SECTOR;
    for k in 0..2u64 {
        let at = part + (g.reserved_sectors as u64 + k * g.fat_sectors as u64) * SECTOR;
        sink.write_at(at, &fat)?;
    }
    Ok(())
}

fn write_folders(sink: &mut Sink, plan: &Plan, layout: &Layout) -> Result<(), PackError> {
    for d in 0..layout.dirs.len() {
        let bytes = dir_bytes(plan, layout, d);
        sink.write_at(plan.geometry.cluster_offset(plan.dir_alloc[d].0), &bytes)?;
    }
    Ok(())
}

/// Streams every file once into its clusters, hashing it (and the image) on the way and
/// checking it against the clean manifest's hash; returns the manifest records.
fn write_files(
    sink: &mut Sink,
    plan: &Plan,
    layout: &Layout,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<FileRecord>, PackError> {
    let g = plan.geometry;
    let total = layout.content_bytes();
    let mut done = 0u64;
    const CHUNK: usize = 4 << 20;
    let mut records = Vec::with_capacity(layout.files.len());
    let mut whole: Option<blake3::Hasher> = None;
    for (i, f) in layout.files.iter().enumerate() {
        let rerr = |e| PackError::Read {
            path: f.source.clone(),
            source: e,
        };
        let mut src = File::open(&f.source).map_err(rerr)?;
        if f.offset > 0 {
            src.seek(SeekFrom::Start(f.offset)).map_err(rerr)?;
        }
        // Only a split file needs a separate hash of the whole source.
        if f.offset == 0 {
            whole = (f.split && f.expected_blake3.is_some()).then(blake3::Hasher::new);
        }
        let mut fh = blake3::Hasher::new();
        if f.len > 0 {
            sink.skip_to(g.cluster_offset(plan.file_cluster[i]))?;
        }
        let mut left = f.len;
        while left > 0 {
            // Read straight into a buffer the writer thread takes as it is; the file's hash
            // is made here while the writer thread hashes the image and writes the last one.
            let want = left.min(CHUNK as u64) as usize;
            let mut buf = sink.buffer(want)?;
            let n = read_full(&mut src, buf.get_mut(..want).unwrap_or_default()).map_err(rerr)?;
            if n < want {
                return Err(PackError::Changed {
                    path: f.source.clone(),
                    expected: f.source_size,
                });
            }
            let chunk = buf.get(..n).unwrap_or_default();
            fh.update(chunk);
            if let Some(w) = whole.as_mut() {
                w.update(chunk);
            }
            sink.send(buf, n)?;
            left -= n as u64;
            done += n as u64;
            progress(done, total);
        }
        // The tail of the last cluster stays a hole (zero, and hashed as zeros by the next
        // skip): with 32 KiB clusters that is ~16 KiB per file not written.
        if f.offset + f.len == f.source_size {
            let now = src.metadata().map_err(rerr)?.len();
            if now != f.source_size {
                return Err(PackError::Changed {
                    path: f.source.clone(),
                    expected: f.source_size,
                });
            }
            if let (Some(w), Some(expected)) = (whole.take(), &f.expected_blake3) {
                let actual = w.finalize().to_hex().to_string();
                if &actual != expected {
                    return Err(PackError::NotClean {
                        path: f.source_rel.clone(),
                        expected: expected.clone(),
                        actual,
                    });
                }
            }
        }
        let file_hash = fh.finalize().to_hex().to_string();
        if !f.split
            && let Some(expected) = &f.expected_blake3
            && &file_hash != expected
        {
            return Err(PackError::NotClean {
                path: f.source_rel.clone(),
                expected: expected.clone(),
                actual: file_hash,
            });
        }
        records.push(FileRecord {
            path: f.path.clone(),
            size: f.len,
            blake3: file_hash,
            first_cluster: (f.len > 0).then_some(plan.file_cluster[i]),
            split_from: f.split.then(|| f.source_rel.clone()),
        });
    }
    Ok(records)
}

/// Hashes up to the end of the data region, extends the file to the image size (a hole:
/// free clusters read as zero) and syncs it. Returns the data region's BLAKE3.
fn finish_image(mut sink: Sink, plan: &Plan) -> Result<String, PackError> {
    sink.skip_to(sink.data_end)?;
    let (file, data_hash) = sink
        .out
        .finish()
        .map_err(|e| write_error(&sink.path, sink.written, e))?;
    let data_blake3 = data_hash.to_hex().to_string();
    let werr = |e| write_error(&sink.path, sink.written, e);
    file.set_len(plan.image_size).map_err(werr)?;
    file.sync_all().map_err(werr)?;
    Ok(data_blake3)
}

fn manifest_for(
    plan: &Plan,
    opts: &PackOptions,
    data_blake3: String,
    files: Vec<FileRecord>,
) -> ImageManifest {
    let g = plan.geometry;
    let cb = g.cluster_bytes();
    let used = (plan.used_end as u64 - 2) * cb;
    ImageManifest {
        version: MANIFEST_VERSION,
        image: ImageInfo {
            size: plan.image_size,
            data_end: g.cluster_offset(plan.used_end),
            data_blake3,
        },
        partition: PartitionInfo {
            start_bytes: PARTITION_START_LBA * SECTOR,
            size_bytes: g.total_sectors as u64 * SECTOR,
            type_code: PARTITION_TYPE,
        },
        filesystem: FilesystemInfo {
            kind: "FAT32".into(),
            cluster_size: cb as u32,
            cluster_count: g.cluster_count,
            reserved_sectors: g.reserved_sectors,
            fat_sectors: g.fat_sectors,
            data_start_bytes: g.data_start(),
            used_bytes: used,
            free_bytes: g.cluster_count as u64 * cb - used,
        },
        policy: PolicyInfo {
            volume_serial: format_serial(plan.volume_serial),
            disk_signature: format!("{:08x}", plan.disk_signature),
            label: opts.label.as_ref().map(|l| l.to_ascii_uppercase()),
            oem_name: String::from_utf8_lossy(OEM_NAME).into_owned(),
            timestamps: opts.timestamps.to_string(),
            randomness: opts.randomness.clone(),
            entry_order: "each folder sorted by upper-cased name; file data in library path order"
                .into(),
        },
        files,
    }
}

fn read_full(r: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_sizes_follow_windows() {
        let gb = 1_000_000_000u64;
        assert_eq!(windows_cluster_size(4 * gb), 4096);
        assert_eq!(windows_cluster_size(8 * gb), 4096);
        assert_eq!(windows_cluster_size(9 * gb), 8192);
        assert_eq!(windows_cluster_size(16 * gb), 8192);
        assert_eq!(windows_cluster_size(32 * gb), 16384);
        assert_eq!(windows_cluster_size(64 * gb), 32768);
        // A "16 GB" drive holds about 15.5e9 bytes.
        let g = Geometry::for_partition(15_500_000_000 / 512 - 2048).unwrap();
        assert_eq!(g.cluster_bytes(), 8192);
    }

    #[test]
    fn geometry_is_consistent() {
        for sectors in [
            69_000u64,
            131_072 - 2048,
            2_000_000,
            31_250_000,
            60_000_000,
            500_000_000,
        ] {
            let g = Geometry::for_partition(sectors).unwrap();
            assert!(g.cluster_count >= MIN_CLUSTERS);
            assert!(g.fat_sectors as u64 * 128 >= g.cluster_count as u64 + 2);
            assert_eq!(g.data_start() % g.cluster_bytes(), 0, "{g:?}");
            let end = g.reserved_sectors as u64
                + 2 * g.fat_sectors as u64
                + g.cluster_count as u64 * g.sectors_per_cluster as u64;
            assert!(end <= sectors);
            assert!(sectors - end < g.sectors_per_cluster as u64);
        }
        assert!(Geometry::for_partition(60_000).is_none());
    }

    #[test]
    fn chs_saturates_past_cylinder_1023() {
        assert_eq!(chs(2048), [32, 33, 0]);
        assert_eq!(chs(100_000_000), [254, 0xFF, 0xFF]);
    }
}
