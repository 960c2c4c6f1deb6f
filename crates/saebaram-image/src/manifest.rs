//! The image manifest: `IMAGE.manifest.json`, written beside every image.
//!
//! It records what a later reader needs to check an image or a written drive without
//! trusting either: where the image's data ends and the BLAKE3 of the bytes before it
//! (every byte after it, to the image size, is zero: free clusters, a hole in the sparse
//! image file, never hashed), where the FAT32 partition is, the fingerprint policy used, and
//! the path, size and BLAKE3 of every file inside. `saebaram-flash` reads it to know how many
//! bytes to write, which to hash and which must read back as zero.
//!
//! Format (version 2), JSON, keys in this order (version 1 manifests, with `"blake3"` of the
//! whole image instead of `data_end`/`data_blake3`, are still read):
//!
//! ```json
//! {
//!   "version": 2,
//!   "image": { "size": 16000000000, "data_end": 1074790400, "data_blake3": "<64 hex>" },
//!   "partition": { "start_bytes": 1048576, "size_bytes": 15998951424, "type_code": 12 },
//!   "filesystem": { "kind": "FAT32", "cluster_size": 8192, ... },
//!   "policy": { "volume_serial": "1A2B-3C4D", "disk_signature": "89abcdef", ... },
//!   "files": [ { "path": "영화/a.mp4", "size": 123, "blake3": "<64 hex>", "first_cluster": 5 } ]
//! }
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest format version this crate writes and reads.
pub const MANIFEST_VERSION: u32 = 2;

/// What is appended to an image's file name to name its manifest
/// (`drive.img` -> `drive.img.manifest.json`).
pub const MANIFEST_SUFFIX: &str = ".manifest.json";

/// Everything known about one built image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageManifest {
    /// Format version, [`MANIFEST_VERSION`].
    pub version: u32,
    /// The whole image file.
    pub image: ImageInfo,
    /// The single MBR partition holding the FAT32 volume.
    pub partition: PartitionInfo,
    /// The FAT32 volume's geometry.
    pub filesystem: FilesystemInfo,
    /// The fingerprint policy the image was built with.
    pub policy: PolicyInfo,
    /// Every file in the image, in the order they were laid out.
    pub files: Vec<FileRecord>,
}

/// The whole image file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Size in bytes: a drive must hold at least this many.
    pub size: u64,
    /// End of the data (MBR, reserved sectors, FATs, folders and files): every byte from
    /// here to `size` is zero. At most `size`.
    pub data_end: u64,
    /// BLAKE3 of bytes `0..data_end`, lowercase hex.
    pub data_blake3: String,
}

/// The MBR partition entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInfo {
    /// Byte offset of the partition from the start of the image (1 MiB).
    pub start_bytes: u64,
    /// Partition length in bytes.
    pub size_bytes: u64,
    /// MBR partition type (12 = 0x0C, FAT32 with LBA).
    pub type_code: u8,
}

/// The FAT32 volume's geometry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesystemInfo {
    /// Always `"FAT32"`.
    pub kind: String,
    /// Bytes per cluster.
    pub cluster_size: u32,
    /// Number of data clusters.
    pub cluster_count: u32,
    /// Sectors before the first FAT.
    pub reserved_sectors: u32,
    /// Sectors per FAT (there are two).
    pub fat_sectors: u32,
    /// Byte offset of cluster 2 from the start of the image.
    pub data_start_bytes: u64,
    /// Bytes in clusters used by files and directories.
    pub used_bytes: u64,
    /// Bytes in free clusters.
    pub free_bytes: u64,
}

/// The fingerprint policy the image was built with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInfo {
    /// Volume serial as Windows shows it (`1A2B-3C4D`).
    pub volume_serial: String,
    /// MBR disk signature, 8 lowercase hex digits.
    pub disk_signature: String,
    /// Volume label, if one was given (none by default).
    pub label: Option<String>,
    /// OEM name in the boot sector (`MSWIN4.1`).
    pub oem_name: String,
    /// The timestamp policy, as given on the command line
    /// (`fixed:2023-03-14T10:00` or `random:2021-01-01..2024-12-31`).
    pub timestamps: String,
    /// Where serials and random times came from: `"os-csprng"` or `"seed:N"`.
    pub randomness: String,
    /// Order of entries inside each directory.
    pub entry_order: String,
}

/// One file inside the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path inside the volume, `/`-separated, without a leading `/`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of the content, lowercase hex.
    pub blake3: String,
    /// First cluster (files are contiguous); absent for empty files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_cluster: Option<u32>,
    /// For parts of a split ZIM file: the library path of the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_from: Option<String>,
}

/// Why a manifest could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The manifest file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The manifest could not be made visible under its name (nothing was replaced).
    #[error(transparent)]
    Write(#[from] saebaram_atomic::Error),
    /// The JSON does not parse as a manifest.
    #[error("{path}: not an image manifest: {source}")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// The parse error (line and column).
        source: serde_json::Error,
    },
    /// A version this build does not know.
    #[error(
        "{path}: manifest version {found} is not supported (this build reads version {MANIFEST_VERSION})"
    )]
    Version {
        /// The manifest file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
}

impl ImageManifest {
    /// Reads and checks a manifest file.
    pub fn read(path: &Path) -> Result<Self, ManifestError> {
        let bytes = std::fs::read(path).map_err(|source| ManifestError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&bytes, path)
    }

    /// Parses manifest JSON; `path` only names the source in errors.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Self, ManifestError> {
        // Check the version first so a future format gives a clear message.
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let v: Versioned =
            serde_json::from_slice(bytes).map_err(|source| ManifestError::Parse {
                path: path.to_owned(),
                source,
            })?;
        let parse_error = |source| ManifestError::Parse {
            path: path.to_owned(),
            source,
        };
        let manifest: ImageManifest = match v.version {
            MANIFEST_VERSION => serde_json::from_slice(bytes).map_err(parse_error)?,
            // Version 1 hashed the whole image: its data ends at the image size.
            1 => {
                let mut value: serde_json::Value =
                    serde_json::from_slice(bytes).map_err(parse_error)?;
                if let Some(image) = value.get_mut("image").and_then(|i| i.as_object_mut()) {
                    let size = image.get("size").cloned().unwrap_or_default();
                    if let Some(hash) = image.remove("blake3") {
                        image.insert("data_blake3".into(), hash);
                    }
                    image.insert("data_end".into(), size);
                }
                value["version"] = MANIFEST_VERSION.into();
                serde_json::from_value(value).map_err(parse_error)?
            }
            found => {
                return Err(ManifestError::Version {
                    path: path.to_owned(),
                    found,
                });
            }
        };
        if manifest.image.data_end > manifest.image.size {
            return Err(ManifestError::Parse {
                path: path.to_owned(),
                source: serde::de::Error::custom("image.data_end is past image.size"),
            });
        }
        Ok(manifest)
    }

    /// Writes the manifest as pretty JSON to a temp file beside `path`, then renames it.
    pub fn write(&self, path: &Path) -> Result<(), ManifestError> {
        let io = |source| ManifestError::Io {
            path: path.to_owned(),
            source,
        };
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        json.push(b'\n');
        saebaram_atomic::write(path, &json)?;
        Ok(())
    }

    /// The file record for a path inside the volume.
    pub fn file(&self, path: &str) -> Option<&FileRecord> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Where the manifest of an image lives: the image path with `.manifest.json` appended.
pub fn manifest_path_for(image: &Path) -> PathBuf {
    let mut name = image.as_os_str().to_owned();
    name.push(MANIFEST_SUFFIX);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ImageManifest {
        ImageManifest {
            version: MANIFEST_VERSION,
            image: ImageInfo {
                size: 64 << 20,
                data_end: 3 << 20,
                data_blake3: "00".repeat(32),
            },
            partition: PartitionInfo {
                start_bytes: 1 << 20,
                size_bytes: 63 << 20,
                type_code: 0x0C,
            },
            filesystem: FilesystemInfo {
                kind: "FAT32".into(),
                cluster_size: 512,
                cluster_count: 127_000,
                reserved_sectors: 32,
                fat_sectors: 993,
                data_start_bytes: 2 << 20,
                used_bytes: 1024,
                free_bytes: 1000,
            },
            policy: PolicyInfo {
                volume_serial: "1A2B-3C4D".into(),
                disk_signature: "89abcdef".into(),
                label: None,
                oem_name: "MSWIN4.1".into(),
                timestamps: "fixed:2023-03-14T10:00".into(),
                randomness: "seed:7".into(),
                entry_order: "name".into(),
            },
            files: vec![FileRecord {
                path: "영화/a.mp4".into(),
                size: 3,
                blake3: "ab".repeat(32),
                first_cluster: Some(5),
                split_from: None,
            }],
        }
    }

    #[test]
    fn round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = manifest_path_for(&dir.path().join("drive.img"));
        assert!(path.ends_with("drive.img.manifest.json"));
        let m = sample();
        m.write(&path).unwrap();
        assert_eq!(ImageManifest::read(&path).unwrap(), m);
    }

    #[test]
    fn reads_version_1_as_data_to_the_end_and_refuses_data_past_the_size() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["version"] = 1.into();
        let image = v["image"].as_object_mut().unwrap();
        image.remove("data_end");
        let hash = image.remove("data_blake3").unwrap();
        image.insert("blake3".into(), hash);
        let m = ImageManifest::from_json(&serde_json::to_vec(&v).unwrap(), Path::new("m")).unwrap();
        assert_eq!(m.image.data_end, m.image.size);
        assert_eq!(m.version, MANIFEST_VERSION);
        let mut bad = sample();
        bad.image.data_end = bad.image.size + 1;
        let err = ImageManifest::from_json(&serde_json::to_vec(&bad).unwrap(), Path::new("m"));
        assert!(err.unwrap_err().to_string().contains("past"));
    }

    #[test]
    fn refuses_unknown_versions_and_garbage() {
        let p = Path::new("m.json");
        let err = ImageManifest::from_json(br#"{"version": 3}"#, p).unwrap_err();
        assert!(err.to_string().contains("version 3"), "{err}");
        let err = ImageManifest::from_json(b"{", p).unwrap_err();
        assert!(err.to_string().contains("not an image manifest"), "{err}");
    }
}
