//! Lossless metadata removal for saebaram.
//!
//! Owns: recognising file formats, removing identifying metadata without touching content, Red Star OS trailers, the forbidden-strings check.
//! Must not know: filesystems, images and drives (`saebaram-image`, `saebaram-flash`); terminals.
//!
//! # What it does
//! [`clean_tree`] walks input files and folders, cleans every file in parallel (rayon) and
//! writes the results under an output folder, finishing with the manifest
//! [`manifest::MANIFEST_FILE_NAME`] that `saebaram pack` checks with [`manifest::verify_tree`].
//! [`clean_bytes`] cleans one file held in memory.
//!
//! Every file is *cleaned*, *unchanged* (nothing to remove) or *blocked* (never copied raw):
//! unknown formats, parse errors, unknown container members, zip bombs, too deep nesting and
//! forbidden strings all block.
//!
//! # Lossless by construction
//! Cleaning is container surgery: segments, chunks, boxes, tags and XML parts are dropped or
//! rewritten, while the bytes that carry content (JPEG entropy-coded scans, PNG IDAT, audio
//! frames, `mdat`, Matroska clusters, PDF content streams, document XML text) are copied as they
//! are. MP4/MOV, Matroska and AVI metadata is overwritten *in place* with `free`/`Void`/`JUNK`
//! padding of the same size, so absolute offsets in sample tables and indexes stay valid.
//!
//! # Why hand-written parsers
//! The JPEG, PNG, WebP, GIF, RIFF (WAV/AVI), FLAC, MP3 tag, ISO-BMFF and EBML walkers are
//! hand-written (each a few dozen lines): the crates that exist either re-serialise the whole
//! file (img-parts, lofty, mp4-atom), which makes "the content bytes did not change" a property
//! of someone else's writer, or they have no writer at all (Matroska), or they accept
//! malformed input silently where we must block. Each walker here checks every length against
//! the bytes present and refuses (blocks) anything it does not recognise. PDF uses `lopdf`, zip
//! containers `zip` + `quick-xml`, DES for Red Star marks `des`.
#![deny(missing_docs)]

pub mod config;
mod detect;
pub mod error;
mod forbid;
mod formats;
pub mod manifest;
pub mod redstar;
pub mod report;
mod tree;

pub use config::Config;
pub use error::Error;
pub use forbid::Forbidden;
pub use report::{FileReport, FileStatus, Report};
pub use tree::{CleanedBytes, Progress, clean_bytes, clean_tree};
