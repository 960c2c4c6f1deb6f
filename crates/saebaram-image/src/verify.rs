//! Checking an image or a written drive against its manifest, read-only.
//!
//! First the BLAKE3 of the data region (`image.data_end` bytes) and a check that every byte
//! after it, to `image.size`, is zero: if both hold, every byte is as built and nothing else
//! needs reading. If it does not, the volume is read back through its own
//! FAT and folders to name what differs: each file whose size or content changed, files
//! missing or added, the serial and disk signature, or, when every file matches, the
//! metadata or free space.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use serde::Serialize;

use crate::fat32::format_serial;
use crate::manifest::ImageManifest;
use crate::reader::{ReadError, Volume};

/// One difference between the target and its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    /// The target is smaller than the image.
    TooSmall {
        /// Bytes in the target.
        actual: u64,
        /// Bytes in the image.
        expected: u64,
    },
    /// The image file has extra bytes after the image.
    TooLarge {
        /// Bytes in the target.
        actual: u64,
        /// Bytes in the image.
        expected: u64,
    },
    /// A byte of the free space after the data region is not zero.
    FreeSpaceNotZero {
        /// Offset of the first non-zero byte.
        offset: u64,
    },
    /// The BLAKE3 of the image's data region differs.
    ImageHash {
        /// The hash read.
        actual: String,
        /// The manifest's hash.
        expected: String,
    },
    /// A file's content differs.
    FileContent {
        /// The file.
        path: String,
        /// The hash read.
        actual: String,
        /// The manifest's hash.
        expected: String,
    },
    /// A file's size differs.
    FileSize {
        /// The file.
        path: String,
        /// Size read.
        actual: u64,
        /// Manifest size.
        expected: u64,
    },
    /// A file in the manifest is not on the volume.
    Missing {
        /// The file.
        path: String,
    },
    /// A file on the volume is not in the manifest.
    Extra {
        /// The file.
        path: String,
    },
    /// A file could not be read back.
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        problem: String,
    },
    /// The volume serial differs.
    VolumeSerial {
        /// Read.
        actual: String,
        /// Manifest.
        expected: String,
    },
    /// The MBR disk signature differs.
    DiskSignature {
        /// Read.
        actual: String,
        /// Manifest.
        expected: String,
    },
    /// The volume could not be read as FAT32 at all.
    Volume {
        /// Why.
        problem: String,
    },
    /// Every file matches, yet the image bytes differ: boot sector, FATs, folders or free space.
    OutsideFiles,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooSmall { actual, expected } => {
                write!(f, "target holds {actual} bytes, the image needs {expected}")
            }
            Self::TooLarge { actual, expected } => write!(
                f,
                "image file has {actual} bytes, the manifest says {expected}"
            ),
            Self::FreeSpaceNotZero { offset } => write!(
                f,
                "byte {offset} is in the free space after the data but is not zero"
            ),
            Self::ImageHash { actual, expected } => {
                write!(f, "image data BLAKE3 is {actual}, manifest says {expected}")
            }
            Self::FileContent {
                path,
                actual,
                expected,
            } => write!(
                f,
                "{path}: content differs (BLAKE3 {actual}, manifest {expected})"
            ),
            Self::FileSize {
                path,
                actual,
                expected,
            } => write!(f, "{path}: {actual} bytes, manifest says {expected}"),
            Self::Missing { path } => write!(f, "{path}: missing"),
            Self::Extra { path } => write!(f, "{path}: not in the manifest"),
            Self::Unreadable { path, problem } => {
                write!(f, "{path}: cannot be read back: {problem}")
            }
            Self::VolumeSerial { actual, expected } => {
                write!(f, "volume serial is {actual}, manifest says {expected}")
            }
            Self::DiskSignature { actual, expected } => {
                write!(f, "disk signature is {actual}, manifest says {expected}")
            }
            Self::Volume { problem } => write!(f, "the volume cannot be read: {problem}"),
            Self::OutsideFiles => write!(
                f,
                "every file matches, but the boot sector, FATs, folders or free space differ"
            ),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Bytes hashed.
    pub bytes_checked: u64,
    /// Files in the manifest.
    pub files: usize,
    /// Every difference found (empty: the target matches).
    pub mismatches: Vec<Mismatch>,
}

impl VerifyReport {
    /// True when nothing differs.
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Why a verification could not run.
#[derive(Debug, thiserror::Error)]
#[error("read error at byte {offset}: {source}")]
pub struct VerifyError {
    /// Where.
    pub offset: u64,
    /// The OS error.
    pub source: std::io::Error,
}

/// Checks `target` (an image file or a drive, `target_len` bytes) against `manifest`.
/// `is_device`: a drive may be larger than the image; an image file must be exactly its size.
pub fn verify<R: Read + Seek>(
    mut target: R,
    target_len: u64,
    is_device: bool,
    manifest: &ImageManifest,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<VerifyReport, VerifyError> {
    let size = manifest.image.size;
    let mut mismatches = Vec::new();
    if target_len < size {
        mismatches.push(Mismatch::TooSmall {
            actual: target_len,
            expected: size,
        });
    } else if target_len > size && !is_device {
        mismatches.push(Mismatch::TooLarge {
            actual: target_len,
            expected: size,
        });
    }
    // Pass 1: the data region's hash, then zeros to the image size.
    let io = |offset, source| VerifyError { offset, source };
    target.seek(SeekFrom::Start(0)).map_err(|e| io(0, e))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 8 << 20];
    let want = size.min(target_len);
    let data_end = manifest.image.data_end.min(want);
    let mut first_nonzero = None;
    let mut done = 0u64;
    while done < want {
        let n = (want - done).min(buf.len() as u64) as usize;
        target.read_exact(&mut buf[..n]).map_err(|e| io(done, e))?;
        let data = data_end.saturating_sub(done).min(n as u64) as usize;
        hasher.update_rayon(&buf[..data]);
        if first_nonzero.is_none()
            && let Some(p) = buf[data..n].iter().position(|&b| b != 0)
        {
            first_nonzero = Some(done + (data + p) as u64);
        }
        done += n as u64;
        progress(done, want);
    }
    let actual = hasher.finalize().to_hex().to_string();
    let hash_ok = actual == manifest.image.data_blake3;
    if let Some(offset) = first_nonzero {
        mismatches.push(Mismatch::FreeSpaceNotZero { offset });
    }
    if hash_ok && mismatches.is_empty() {
        return Ok(VerifyReport {
            bytes_checked: done,
            files: manifest.files.len(),
            mismatches,
        });
    }
    if !hash_ok {
        mismatches.push(Mismatch::ImageHash {
            actual,
            expected: manifest.image.data_blake3.clone(),
        });
    }
    // Pass 2: name the differences by reading the volume back.
    let before = mismatches.len();
    match Volume::open(&mut target) {
        Err(e) => mismatches.push(Mismatch::Volume {
            problem: e.to_string(),
        }),
        Ok(mut vol) => {
            let serial = format_serial(vol.volume_serial);
            if serial != manifest.policy.volume_serial {
                mismatches.push(Mismatch::VolumeSerial {
                    actual: serial,
                    expected: manifest.policy.volume_serial.clone(),
                });
            }
            let sig = format!("{:08x}", vol.disk_signature);
            if sig != manifest.policy.disk_signature {
                mismatches.push(Mismatch::DiskSignature {
                    actual: sig,
                    expected: manifest.policy.disk_signature.clone(),
                });
            }
            match vol.walk() {
                Err(e) => mismatches.push(Mismatch::Volume {
                    problem: e.to_string(),
                }),
                Ok(entries) => {
                    let by_path: HashMap<&str, &crate::reader::FsEntry> = entries
                        .iter()
                        .filter(|e| !e.is_dir)
                        .map(|e| (e.path.as_str(), e))
                        .collect();
                    for f in &manifest.files {
                        let Some(e) = by_path.get(f.path.as_str()) else {
                            mismatches.push(Mismatch::Missing {
                                path: f.path.clone(),
                            });
                            continue;
                        };
                        if e.size as u64 != f.size {
                            mismatches.push(Mismatch::FileSize {
                                path: f.path.clone(),
                                actual: e.size as u64,
                                expected: f.size,
                            });
                            continue;
                        }
                        match vol.hash_file(e) {
                            Ok(h) if h == f.blake3 => {}
                            Ok(h) => mismatches.push(Mismatch::FileContent {
                                path: f.path.clone(),
                                actual: h,
                                expected: f.blake3.clone(),
                            }),
                            Err(ReadError::Io { offset, source }) => {
                                return Err(VerifyError { offset, source });
                            }
                            Err(e) => mismatches.push(Mismatch::Unreadable {
                                path: f.path.clone(),
                                problem: e.to_string(),
                            }),
                        }
                    }
                    let known: std::collections::HashSet<&str> =
                        manifest.files.iter().map(|f| f.path.as_str()).collect();
                    let mut extra: Vec<&str> = by_path
                        .keys()
                        .filter(|p| !known.contains(*p))
                        .copied()
                        .collect();
                    extra.sort();
                    for p in extra {
                        mismatches.push(Mismatch::Extra { path: p.to_owned() });
                    }
                }
            }
        }
    }
    let only_hash = mismatches.len() == before
        && mismatches
            .iter()
            .all(|m| matches!(m, Mismatch::ImageHash { .. }));
    if only_hash {
        mismatches.push(Mismatch::OutsideFiles);
    }
    Ok(VerifyReport {
        bytes_checked: done,
        files: manifest.files.len(),
        mismatches,
    })
}
