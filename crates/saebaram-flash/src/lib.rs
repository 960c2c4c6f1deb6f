//! Writing drives for saebaram.
//!
//! Owns: finding removable drives, fake-capacity probes, parallel writing, wiping and read-back verification.
//! Must not know: how an image is built (it reads `saebaram-image`'s manifest only); terminals.
#![deny(missing_docs)]
