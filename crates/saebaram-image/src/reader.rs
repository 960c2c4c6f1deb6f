//! A small, defensive FAT32 reader: enough to list an image or a drive and hash its files.
//!
//! Everything it reads is untrusted (a drive may be damaged or forged): every offset is
//! checked, cluster chains are bounded by the cluster count, folders are visited once and
//! at most 64 deep. Errors name what is wrong instead of panicking.

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use crate::names::short_name_checksum;

/// Why a volume could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The device or file could not be read.
    #[error("read error at byte {offset}: {source}")]
    Io {
        /// Where.
        offset: u64,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not the structure this crate writes.
    #[error("not a FAT32 image: {0}")]
    Format(String),
    /// A damaged folder or cluster chain.
    #[error("{path}: {problem}")]
    Damaged {
        /// The entry.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

/// One file or folder found on the volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsEntry {
    /// Path from the root, `/`-separated (long names where present).
    pub path: String,
    /// The 8.3 name as stored (`LONGFI~1TXT`).
    pub short_name: [u8; 11],
    /// A folder.
    pub is_dir: bool,
    /// First cluster.
    pub first_cluster: u32,
    /// Size in bytes (0 for folders).
    pub size: u32,
    /// Raw FAT dates: created, accessed, modified.
    pub dates: [u16; 3],
    /// Raw FAT times: created, modified.
    pub times: [u16; 2],
}

/// An opened FAT32 volume inside an MBR disk image.
pub struct Volume<R> {
    r: R,
    part_start: u64,
    cluster_bytes: u64,
    fat_start: u64,
    data_start: u64,
    cluster_count: u32,
    root_cluster: u32,
    /// Volume serial from the boot sector.
    pub volume_serial: u32,
    /// MBR disk signature.
    pub disk_signature: u32,
    /// OEM name from the boot sector.
    pub oem_name: [u8; 8],
    /// Volume label from the boot sector.
    pub bpb_label: [u8; 11],
    fat_cache: (u64, Vec<u8>),
}

fn le16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

impl<R: Read + Seek> Volume<R> {
    fn read_at(r: &mut R, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let io = |source| ReadError::Io { offset, source };
        r.seek(SeekFrom::Start(offset)).map_err(io)?;
        r.read_exact(buf).map_err(io)
    }

    /// Opens the first partition of an MBR disk (or image) as FAT32.
    pub fn open(mut r: R) -> Result<Self, ReadError> {
        let mut mbr = [0u8; 512];
        Self::read_at(&mut r, 0, &mut mbr)?;
        if mbr[510..512] != [0x55, 0xAA] {
            return Err(ReadError::Format("no MBR signature".into()));
        }
        let disk_signature = le32(&mbr, 0x1B8);
        let part_start = le32(&mbr, 0x1BE + 8) as u64 * 512;
        if part_start == 0 {
            return Err(ReadError::Format("no first partition".into()));
        }
        let mut bs = [0u8; 512];
        Self::read_at(&mut r, part_start, &mut bs)?;
        let bytes_per_sector = le16(&bs, 11) as u64;
        let spc = bs[13] as u64;
        let reserved = le16(&bs, 14) as u64;
        let nfats = bs[16] as u64;
        let total = le32(&bs, 32) as u64;
        let fat_sectors = le32(&bs, 36) as u64;
        if bs[510..512] != [0x55, 0xAA]
            || bytes_per_sector != 512
            || !spc.is_power_of_two()
            || nfats == 0
            || fat_sectors == 0
            || &bs[82..90] != b"FAT32   "
        {
            return Err(ReadError::Format(
                "the boot sector is not FAT32 with 512-byte sectors".into(),
            ));
        }
        let data_sectors = total
            .checked_sub(reserved + nfats * fat_sectors)
            .ok_or_else(|| ReadError::Format("FATs larger than the volume".into()))?;
        let cluster_count = (data_sectors / spc).min(fat_sectors * 128 - 2) as u32;
        let mut oem_name = [0u8; 8];
        oem_name.copy_from_slice(&bs[3..11]);
        let mut bpb_label = [0u8; 11];
        bpb_label.copy_from_slice(&bs[71..82]);
        Ok(Self {
            r,
            part_start,
            cluster_bytes: spc * 512,
            fat_start: part_start + reserved * 512,
            data_start: part_start + (reserved + nfats * fat_sectors) * 512,
            cluster_count,
            root_cluster: le32(&bs, 44),
            volume_serial: le32(&bs, 67),
            disk_signature,
            oem_name,
            bpb_label,
            fat_cache: (u64::MAX, Vec::new()),
        })
    }

    /// Byte offset of the partition.
    pub fn partition_start(&self) -> u64 {
        self.part_start
    }

    fn valid(&self, c: u32) -> bool {
        c >= 2 && c < self.cluster_count + 2
    }

    /// The FAT entry of a cluster.
    pub fn fat_entry(&mut self, c: u32) -> Result<u32, ReadError> {
        const BLOCK: u64 = 64 << 10;
        let off = c as u64 * 4;
        let block = off / BLOCK;
        if self.fat_cache.0 != block {
            let mut buf = vec![0u8; BLOCK as usize];
            let at = self.fat_start + block * BLOCK;
            // The last block may be cut short by the end of the disk.
            let io = |source| ReadError::Io { offset: at, source };
            self.r.seek(SeekFrom::Start(at)).map_err(io)?;
            let mut n = 0;
            while n < buf.len() {
                match self.r.read(&mut buf[n..]).map_err(io)? {
                    0 => break,
                    k => n += k,
                }
            }
            self.fat_cache = (block, buf);
        }
        Ok(le32(&self.fat_cache.1, (off % BLOCK) as usize) & 0x0FFF_FFFF)
    }

    /// The clusters of a chain, at most `limit` of them.
    fn chain(&mut self, first: u32, limit: u64, path: &str) -> Result<Vec<u32>, ReadError> {
        let mut out = Vec::new();
        let mut c = first;
        while self.valid(c) {
            if out.len() as u64 >= limit {
                return Err(ReadError::Damaged {
                    path: path.to_owned(),
                    problem: "cluster chain longer than its size (or a loop)".into(),
                });
            }
            out.push(c);
            c = self.fat_entry(c)?;
        }
        if c < 0x0FFF_FFF8 && !out.is_empty() {
            return Err(ReadError::Damaged {
                path: path.to_owned(),
                problem: format!("cluster chain broken (entry {c:#x})"),
            });
        }
        Ok(out)
    }

    fn cluster_offset(&self, c: u32) -> u64 {
        self.data_start + (c as u64 - 2) * self.cluster_bytes
    }

    /// Lists every file and folder, depth first in stored order.
    pub fn walk(&mut self) -> Result<Vec<FsEntry>, ReadError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let root = self.root_cluster;
        self.walk_dir(root, "", 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn walk_dir(
        &mut self,
        first: u32,
        path: &str,
        depth: u32,
        seen: &mut HashSet<u32>,
        out: &mut Vec<FsEntry>,
    ) -> Result<(), ReadError> {
        let damaged = |problem: &str| ReadError::Damaged {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
            problem: problem.to_owned(),
        };
        if depth > 64 {
            return Err(damaged("folders nested deeper than 64"));
        }
        if !seen.insert(first) {
            return Err(damaged("folder visited twice (a loop)"));
        }
        let clusters = self.chain(first, self.cluster_count as u64, path)?;
        if clusters.is_empty() {
            return Err(damaged("folder has no valid cluster"));
        }
        let mut bytes = vec![0u8; clusters.len() * self.cluster_bytes as usize];
        for (i, &c) in clusters.iter().enumerate() {
            let at = self.cluster_offset(c);
            let cb = self.cluster_bytes as usize;
            Self::read_at(&mut self.r, at, &mut bytes[i * cb..(i + 1) * cb])?;
        }
        let mut lfn: Vec<(u8, [u16; 13])> = Vec::new();
        let mut lfn_sum = 0u8;
        let mut subdirs = Vec::new();
        for e in bytes.chunks_exact(32) {
            match e[0] {
                0x00 => break,
                0xE5 => {
                    lfn.clear();
                    continue;
                }
                _ => {}
            }
            let attr = e[11];
            if attr & 0x3F == 0x0F {
                if e[0] & 0x40 != 0 {
                    lfn.clear();
                    lfn_sum = e[13];
                }
                let mut units = [0u16; 13];
                for (k, off) in [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]
                    .iter()
                    .enumerate()
                {
                    units[k] = le16(e, *off);
                }
                lfn.push((e[0] & 0x1F, units));
                continue;
            }
            let mut short = [0u8; 11];
            short.copy_from_slice(&e[..11]);
            if attr & 0x08 != 0 || &short == b".          " || &short == b"..         " {
                lfn.clear();
                continue;
            }
            let long = if !lfn.is_empty() && lfn_sum == short_name_checksum(&short) {
                lfn.sort_by_key(|(ord, _)| *ord);
                let units: Vec<u16> = lfn
                    .iter()
                    .flat_map(|(_, u)| u.iter().copied())
                    .take_while(|&u| u != 0)
                    .collect();
                Some(String::from_utf16_lossy(&units))
            } else {
                None
            };
            lfn.clear();
            let name = long.unwrap_or_else(|| display_short(&short, e[12]));
            let full = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            let first_cluster = (le16(e, 20) as u32) << 16 | le16(e, 26) as u32;
            let entry = FsEntry {
                path: full,
                short_name: short,
                is_dir: attr & 0x10 != 0,
                first_cluster,
                size: le32(e, 28),
                dates: [le16(e, 16), le16(e, 18), le16(e, 24)],
                times: [le16(e, 14), le16(e, 22)],
            };
            if entry.is_dir {
                subdirs.push((entry.first_cluster, entry.path.clone()));
            }
            out.push(entry);
        }
        for (c, p) in subdirs {
            self.walk_dir(c, &p, depth + 1, seen, out)?;
        }
        Ok(())
    }

    /// BLAKE3 (hex) of a file's content, following its cluster chain.
    pub fn hash_file(&mut self, e: &FsEntry) -> Result<String, ReadError> {
        let mut h = blake3::Hasher::new();
        if e.size > 0 {
            let need = (e.size as u64).div_ceil(self.cluster_bytes);
            let clusters = self.chain(e.first_cluster, need, &e.path)?;
            if (clusters.len() as u64) < need {
                return Err(ReadError::Damaged {
                    path: e.path.clone(),
                    problem: "cluster chain shorter than the file".into(),
                });
            }
            let mut left = e.size as u64;
            let mut buf = Vec::new();
            let mut i = 0;
            while i < clusters.len() && left > 0 {
                // Read runs of consecutive clusters at once (up to 4 MiB).
                let mut j = i + 1;
                while j < clusters.len()
                    && clusters[j] == clusters[j - 1] + 1
                    && ((j - i) as u64) * self.cluster_bytes < (4 << 20)
                {
                    j += 1;
                }
                let n = (((j - i) as u64) * self.cluster_bytes).min(left) as usize;
                buf.resize(n, 0);
                let at = self.cluster_offset(clusters[i]);
                Self::read_at(&mut self.r, at, &mut buf)?;
                h.update(&buf);
                left -= n as u64;
                i = j;
            }
        }
        Ok(h.finalize().to_hex().to_string())
    }
}

/// `FOO     TXT` -> `FOO.TXT` (lower-cased where the NT case flags say so).
fn display_short(s: &[u8; 11], flags: u8) -> String {
    let base = String::from_utf8_lossy(&s[..8]).trim_end().to_owned();
    let ext = String::from_utf8_lossy(&s[8..]).trim_end().to_owned();
    let base = if flags & 0x08 != 0 {
        base.to_ascii_lowercase()
    } else {
        base
    };
    let ext = if flags & 0x10 != 0 {
        ext.to_ascii_lowercase()
    } else {
        ext
    };
    if ext.is_empty() {
        base
    } else {
        format!("{base}.{ext}")
    }
}
