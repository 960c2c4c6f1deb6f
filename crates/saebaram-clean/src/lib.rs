//! Lossless metadata removal for saebaram.
//!
//! Owns: recognising file formats, removing identifying metadata without touching content, Red Star OS trailers, the forbidden-strings check.
//! Must not know: filesystems, images and drives (`saebaram-image`, `saebaram-flash`); terminals.
#![deny(missing_docs)]
