//! FAT32 device images for saebaram.
//!
//! Owns: the MBR and FAT32 writer, 8.3 and long names, the fingerprint policy, image manifests and their verification.
//! Must not know: what is inside files (it asks `saebaram-clean`); block devices (`saebaram-flash`); terminals.
//!
//! The image manifest format is in [`manifest`].
#![deny(missing_docs)]

pub mod manifest;
