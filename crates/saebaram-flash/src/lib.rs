//! Writing drives for saebaram.
//!
//! Owns: finding removable drives, fake-capacity probes, parallel writing, wiping and read-back verification.
//! Must not know: how an image is built (it reads `saebaram-image`'s manifest only); terminals.
//!
//! Modules:
//! - [`device`]: the [`device::Device`] trait and the real block-device/file implementation
//!   (`O_EXCL`, `O_DIRECT`, `BLKFLSBUF`; hand-written with `libc` because the few ioctls
//!   needed do not justify a larger binding crate).
//! - [`fakes`]: in-process fake drives (limbo, wrap-around, chain, cached, failing, slow).
//! - [`pattern`] and [`probe`]: the fake-capacity probe (clean-room, after f3probe's
//!   published description; no crate exists for it).
//! - [`engine`]: one writer thread per drive (probe, write, wipe, fsync, drop caches,
//!   read back and BLAKE3); hand-written on `std::thread::scope` because each drive must
//!   run independently at its own speed, which a lock-step stream library would not do.
//! - [`drives`]: sysfs/udev/mountinfo scanning and the fail-closed target rules (the
//!   `drives`/`block-utils` crates do not follow device-mapper slaves or take a fake
//!   sysfs root for tests).
#![deny(missing_docs)]

pub mod device;
pub mod drives;
pub mod engine;
pub mod fakes;
pub mod pattern;
pub mod probe;
