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

/// Entry points for the fuzz targets (`fuzz/`): run one parser family on arbitrary bytes.
/// Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::config::Config;
    use crate::formats::{self, Ctx};

    /// Runs the cleaner of `family` (`image`, `pdf`, `zip`, `av`, `redstar`, `text`) on `data`.
    /// The first byte picks the format inside a family. Returns whether it was accepted.
    pub fn run(family: &str, data: &[u8]) -> bool {
        let cfg = Config {
            max_zip_total: 64 << 20,
            ..Config::default()
        };
        let cx = Ctx {
            cfg: &cfg,
            depth: 0,
        };
        let mut removed = Vec::new();
        let (sel, rest) = match data.split_first() {
            Some((s, r)) => (*s, r),
            None => return false,
        };
        let r = match (family, sel % 7) {
            ("image", 0) => formats::jpeg::clean(rest, &cx, &mut removed),
            ("image", 1) => formats::png::clean(rest, &cx, &mut removed),
            ("image", 2) => formats::riff::clean_webp(rest, &cx, &mut removed),
            ("image", _) => formats::gif::clean(rest, &cx, &mut removed),
            ("pdf", _) => formats::pdf::clean(rest, &cx, &mut removed),
            ("zip", _) => formats::zipdoc::clean(rest, &cx, &mut removed),
            ("av", 0) => formats::sound::clean_mp3(rest, &cx, &mut removed),
            ("av", 1) => formats::sound::clean_flac(rest, &cx, &mut removed),
            ("av", 2) => formats::riff::clean_wav(rest, &cx, &mut removed),
            ("av", 3) => formats::riff::clean_avi(rest, &cx, &mut removed),
            ("av", 4) => formats::isobmff::clean(rest, &cx, &mut removed),
            ("av", 5) => formats::matroska::clean(rest, &cx, &mut removed),
            ("av", _) => formats::ogg::clean(rest, &cx, &mut removed),
            ("redstar", _) => crate::redstar::strip(rest).map(|(b, _)| b.to_vec()),
            ("text", _) => formats::text::clean_html(rest, &cx, &mut removed),
            _ => return crate::clean_bytes("fuzz.bin", data, &cfg).result.is_ok(),
        };
        r.is_ok()
    }
}
