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

mod budget;
pub mod config;
mod detect;
pub mod error;
pub mod exclude;
mod formats;
pub mod manifest;
mod output;
mod plan;
pub mod redstar;
pub mod report;
mod source;
pub mod state;
mod stream;
mod tree;

pub use config::Config;
pub use error::{BlockKind, Blocked, Error};
pub use exclude::Exclusions;
pub use report::{Excluded, FileReport, FileStatus, Report};
pub use saebaram_forbid::{ForbidList, Hit as ForbidHit};
pub use tree::{CleanedBytes, PARTIAL_PREFIX, Progress, clean_bytes, clean_tree};

/// Bytes each worker holds to stream a file (the buffers between its reader and its writer
/// thread, the input hasher's, and the output file's aligned block), the per-worker part of
/// the memory bound (see [`Config::memory_budget`]).
pub const STREAM_BUFFER_BYTES: usize =
    (stream::IN_FLIGHT + 1) * stream::CHUNK + stream::GAP_CHUNK + output::BUFFER_BYTES;

/// Entry points for the fuzz targets (`fuzz/`): run one format's cleaner on arbitrary bytes.
/// Not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::budget::MemoryBudget;
    use crate::config::Config;
    use crate::formats::{Ctx, FORMATS};

    /// The formats each fuzz target exercises (a format may sit in several).
    pub const FAMILIES: &[(&str, &[&str])] = &[
        ("image", &["jpeg", "png", "webp", "gif"]),
        ("tiff", &["tiff"]),
        ("heif", &["heic"]),
        ("bmp", &["bmp"]),
        ("aiff", &["aiff"]),
        ("asf", &["asf"]),
        ("flv", &["flv"]),
        ("pdf", &["pdf"]),
        ("zip", &["zip"]),
        (
            "av",
            &[
                "mp3", "flac", "wav", "avi", "mp4", "matroska", "ogg", "mpeg-ps",
            ],
        ),
        ("text", &["html", "text"]),
        ("ole", &["ole"]),
        ("rtf", &["rtf"]),
        ("zim", &["zim"]),
    ];

    /// Runs the cleaner of format `name` (as in reports) on `data`, writing its plan out.
    /// Returns whether it was accepted; panics only on a bug (what the fuzzer looks for).
    pub fn run_format(name: &str, data: &[u8]) -> bool {
        let cfg = Config {
            max_zip_total: 64 << 20,
            memory_budget: 256 << 20,
            ..Config::default()
        };
        let budget = MemoryBudget::new(cfg.memory_budget);
        let cx = Ctx::new(&cfg, &budget, "fuzz.bin");
        let Some(def) = FORMATS.iter().find(|f| f.name == name) else {
            return false;
        };
        let mut removed = Vec::new();
        match (def.clean)(&data, &cx, &mut removed) {
            Ok(plan) => {
                // A plan that reads outside the input is a bug, not a blocked file.
                assert!(
                    plan.check(data.len() as u64).is_ok(),
                    "plan outside the input"
                );
                plan.materialize(&data, u64::MAX).is_ok()
            }
            Err(b) => {
                assert!(!b.reason.is_empty(), "blocked without a reason");
                false
            }
        }
    }

    /// The whole pipeline on one file: Red Star trailers from the tail, detection, the
    /// format's plan, and the streaming writer with a forbidden-strings list (its scanner
    /// across pieces). Returns whether the file was accepted.
    pub fn run_pipeline(data: &[u8]) -> bool {
        // Built once: compiling the matcher costs far more than one run.
        static LIST: std::sync::OnceLock<Option<crate::ForbidList>> = std::sync::OnceLock::new();
        let Some(forbidden) = LIST
            .get_or_init(|| crate::ForbidList::parse("Kim Chol\n김철\nhost-7").ok())
            .clone()
        else {
            return false;
        };
        let cfg = Config {
            forbidden,
            max_zip_total: 64 << 20,
            memory_budget: 256 << 20,
            ..Config::default()
        };
        let cleaned = crate::clean_bytes("fuzz.bin", data, &cfg);
        if let Ok(out) = &cleaned.result {
            // Whatever was accepted holds no listed string.
            assert!(
                cfg.forbidden.find(out).is_none(),
                "a forbidden string got through"
            );
        }
        cleaned.result.is_ok()
    }

    /// Runs one format of `family` (the first byte picks it) on the rest of `data`;
    /// `redstar` strips trailers, anything else runs the whole of [`crate::clean_bytes`].
    pub fn run(family: &str, data: &[u8]) -> bool {
        let Some((sel, rest)) = data.split_first() else {
            return false;
        };
        if family == "zim" {
            // A mutated archive would fail its MD5 first; fix it so the parser is reached.
            let mut d = rest.to_vec();
            crate::formats::zim::fix_checksum(&mut d);
            return run_format("zim", &d);
        }
        if family == "redstar" {
            return crate::redstar::strip(rest).is_ok();
        }
        if family == "icc" {
            let mut removed = Vec::new();
            return match crate::formats::icc::clean_profile(rest, "fuzz", &mut removed) {
                Ok(crate::formats::icc::Cleaned::Scrubbed(p)) => {
                    // A scrubbed profile must parse and come through a second clean unchanged.
                    let again = crate::formats::icc::clean_profile(&p, "fuzz", &mut removed);
                    assert_eq!(
                        again,
                        Ok(crate::formats::icc::Cleaned::Keep),
                        "not idempotent"
                    );
                    true
                }
                Ok(crate::formats::icc::Cleaned::Keep) => true,
                Err(b) => {
                    assert!(!b.reason.is_empty(), "blocked without a reason");
                    false
                }
            };
        }
        match FAMILIES.iter().find(|(f, _)| *f == family) {
            Some((_, names)) => {
                let name = names.get(usize::from(*sel) % names.len()).unwrap_or(&"");
                run_format(name, rest)
            }
            None => crate::clean_bytes("fuzz.bin", data, &Config::default())
                .result
                .is_ok(),
        }
    }
}
