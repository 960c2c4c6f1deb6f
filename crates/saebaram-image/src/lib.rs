//! FAT32 device images for saebaram.
//!
//! Owns: the MBR and FAT32 writer, 8.3 and long names, the fingerprint policy, image manifests and their verification.
//! Must not know: what is inside files (it asks `saebaram-clean`); block devices (`saebaram-flash`); terminals.
//!
//! Pipeline: [`layout::Layout`] (scan a library folder or a TOML layout, check every name)
//! -> [`fat32::pack`] (plan clusters, write the image in one pass, return an
//! [`manifest::ImageManifest`]) -> [`verify::verify`] (read an image or drive back).
//!
//! Why a hand-written FAT32 writer rather than the `fatfs` crate: `fatfs` is a general
//! read/write filesystem. Building an image through it means a formatted volume, then a
//! cluster allocator, FAT updates and directory rewrites per file, all through small
//! seeks and writes; it measured about 10 times slower than `mcopy` here, and its output
//! depends on its allocator and on a `TimeProvider` for every stamp. An image for a
//! drive is write-once: every size and name is known before the first byte, so this
//! writer plans all clusters up front (files contiguous, folders first), then streams the
//! MBR, boot sectors, FATs, folders and file contents strictly front to back, hashing as
//! it goes and leaving zero regions as holes. That makes it one pass, bounded in memory
//! (a 4 MiB copy buffer plus one folder at a time), byte-for-byte reproducible from a
//! seed, and gives full control of every field that could fingerprint a build.
#![deny(missing_docs)]

mod direct;
pub mod fat32;
pub mod layout;
pub mod manifest;
pub mod names;
pub mod policy;
pub mod reader;
pub mod verify;

pub use fat32::{ImageSize, PackError, PackOptions, pack};
pub use layout::{Layout, LayoutError, ScanOptions};
pub use manifest::ImageManifest;
pub use policy::TimestampPolicy;
