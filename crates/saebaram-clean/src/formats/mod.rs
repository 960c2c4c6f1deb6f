//! One module per format family, and the table ([`FORMATS`]) that recognises a file and
//! picks its cleaner.
//!
//! # Writing a format (the interface)
//! A cleaner is a [`CleanFn`]: it reads its input through a [`Source`] (exact reads at any
//! offset; never assume the whole file fits in memory), appends one human-readable line per
//! thing it removed to `removed`, and returns a [`Plan`] (the output as pieces: input bytes
//! copied verbatim, and new bytes) or [`Blocked`] with the reason. It never writes files,
//! never checks forbidden strings in its output (the writer does, across piece boundaries)
//! and never panics on any input.
//!
//! - **Streaming** (media containers): walk the headers with [`source::read_into`] /
//!   [`source::read_array`] / [`source::read_vec`] (sizes bounded and checked against
//!   `src.len()` first), and plan `Copy` pieces for the payload, which is never read.
//!   In-place edits (same-size padding) are [`Plan::patched`].
//! - **Whole-parse** (PDF, zip documents, OLE files, HTML, small images): call
//!   [`Ctx::load`] with the format's documented cap; it blocks over the cap and reserves
//!   memory from the run's global budget, waiting for other workers when needed. Parse the
//!   bytes, produce the new bytes, return [`Plan::from_output`] (which says "unchanged" when
//!   they are equal). A crate that wants `Read + Seek` gets [`source::SourceReader`], and
//!   reserves what it will hold with [`Ctx::reserve`].
//! - **Containers** (zip members, OLE streams, PDF attachments): clean a member with
//!   [`Ctx::clean_member`] (detects its format, recurses one level deeper under
//!   `max_depth`, returns its bytes); check decompressed text the writer will not see
//!   (deflated members, compressed streams, names) with [`Ctx::check_forbidden`].
//! - **Registering**: add a `FormatDef` line to [`FORMATS`] (order matters: the first whose
//!   `sniff` accepts wins; magic numbers before extensions) and, for fuzzing, the format's
//!   name to a family in `crate::fuzzing`.
//!
//! The report name of a format is `FormatDef::name` (zip documents use their extension).

use std::cell::RefCell;

use crate::budget::{MemoryBudget, Reservation};
use crate::config::Config;
use crate::detect::Sniff;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{self, Source};

pub(crate) mod aiff;
pub(crate) mod asf;
pub(crate) mod bmp;
pub(crate) mod flv;
pub(crate) mod gif;
pub(crate) mod heif;
pub(crate) mod icc;
pub(crate) mod isobmff;
pub(crate) mod jpeg;
pub(crate) mod matroska;
pub(crate) mod mpegps;
pub(crate) mod ogg;
pub(crate) mod ole;
pub(crate) mod pdf;
pub(crate) mod png;
pub(crate) mod riff;
pub(crate) mod rtf;
pub(crate) mod sound;
pub(crate) mod text;
pub(crate) mod tiff;
pub(crate) mod zim;
pub(crate) mod zipdoc;

/// A format cleaner: input, context, what it removed -> the output plan, or why it is blocked.
pub(crate) type CleanFn =
    fn(src: &dyn Source, cx: &Ctx<'_>, removed: &mut Vec<String>) -> Result<Plan, Blocked>;

/// One recognised format.
pub(crate) struct FormatDef {
    /// Name in reports and `--json` (`jpeg`, `mp4`, `hwp`...).
    pub name: &'static str,
    /// Whether a file with these first bytes, extension and length is this format.
    pub sniff: fn(&Sniff<'_>) -> bool,
    /// The cleaner.
    pub clean: CleanFn,
}

/// Whole-parse caps (bytes of input read into memory), per format family. Over the cap a
/// file is blocked with that reason, never copied raw.
pub(crate) const IMAGE_CAP: u64 = 256 << 20;
/// See [`IMAGE_CAP`].
pub(crate) const PDF_CAP: u64 = 512 << 20;
/// See [`IMAGE_CAP`].
pub(crate) const TEXT_CAP: u64 = 256 << 20;

/// How much memory a whole-parse load is assumed to hold per input byte: the input, the
/// parsed form and the output.
pub(crate) const LOAD_FACTOR: u64 = 3;

macro_rules! whole_parse {
    ($adapter:ident, $inner:path, $cap:expr, $what:literal) => {
        fn $adapter(
            src: &dyn Source,
            cx: &Ctx<'_>,
            removed: &mut Vec<String>,
        ) -> Result<Plan, Blocked> {
            let data = cx.load(src, $cap, $what)?;
            let out = $inner(&data, cx, removed)?;
            Ok(Plan::from_output(&data, out))
        }
    };
}

whole_parse!(jpeg_plan, jpeg::clean, IMAGE_CAP, "JPEG");
whole_parse!(png_plan, png::clean, IMAGE_CAP, "PNG");
whole_parse!(webp_plan, riff::clean_webp, IMAGE_CAP, "WebP");
whole_parse!(gif_plan, gif::clean, IMAGE_CAP, "GIF");
whole_parse!(pdf_plan, pdf::clean, PDF_CAP, "PDF");
whole_parse!(html_plan, text::clean_html, TEXT_CAP, "HTML");
whole_parse!(rtf_plan, rtf::clean, TEXT_CAP, "RTF");
whole_parse!(ole_plan, ole::clean, ole::OLE_CAP, "OLE compound file");

fn camera_raw(_: &dyn Source, cx: &Ctx<'_>, _: &mut Vec<String>) -> Result<Plan, Blocked> {
    let ext = crate::detect::extension(cx.name);
    Err(tiff::raw_reason(&format!(".{ext}")))
}

/// Every format, in detection order.
pub(crate) static FORMATS: &[FormatDef] = &[
    FormatDef {
        name: "jpeg",
        sniff: |s| s.at(0, &[0xFF, 0xD8, 0xFF]),
        clean: jpeg_plan,
    },
    FormatDef {
        name: "png",
        sniff: |s| s.at(0, png::SIGNATURE),
        clean: png_plan,
    },
    FormatDef {
        name: "webp",
        sniff: |s| s.at(0, b"RIFF") && s.at(8, b"WEBP"),
        clean: webp_plan,
    },
    FormatDef {
        name: "wav",
        sniff: |s| (s.at(0, b"RIFF") || s.at(0, b"RF64") || s.at(0, b"BW64")) && s.at(8, b"WAVE"),
        clean: riff::clean_wav,
    },
    FormatDef {
        name: "avi",
        sniff: |s| s.at(0, b"RIFF") && s.at(8, b"AVI "),
        clean: riff::clean_avi,
    },
    FormatDef {
        name: "gif",
        sniff: |s| s.at(0, b"GIF87a") || s.at(0, b"GIF89a"),
        clean: gif_plan,
    },
    // Camera RAW built on TIFF (by extension) or with its own magic: blocked with the reason.
    FormatDef {
        name: "camera-raw",
        sniff: |s| {
            s.at(0, b"IIRO")
                || s.at(0, b"IIRS")
                || s.at(0, b"MMOR")
                || s.at(0, b"IIU\0")
                || s.at(0, b"FUJIFILMCCD-RAW")
                || ((s.at(0, b"II*\0") || s.at(0, b"MM\0*"))
                    && tiff::RAW_EXTENSIONS.contains(&s.ext))
        },
        clean: camera_raw,
    },
    FormatDef {
        name: "tiff",
        sniff: |s| s.at(0, b"II*\0") || s.at(0, b"MM\0*") || s.at(0, b"II+\0") || s.at(0, b"MM\0+"),
        clean: tiff::clean,
    },
    FormatDef {
        name: "bmp",
        sniff: |s| {
            s.at(0, b"BM")
                && matches!(
                    s.head.get(14),
                    Some(12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
                )
        },
        clean: bmp::clean,
    },
    FormatDef {
        name: "aiff",
        sniff: |s| s.at(0, b"FORM") && (s.at(8, b"AIFF") || s.at(8, b"AIFC")),
        clean: aiff::clean,
    },
    FormatDef {
        name: "asf",
        sniff: |s| s.at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]),
        clean: asf::clean,
    },
    FormatDef {
        name: "flv",
        sniff: |s| s.at(0, b"FLV\x01"),
        clean: flv::clean,
    },
    // Before "mp4": HEIF files start with an ftyp box too.
    FormatDef {
        name: "avif",
        sniff: |s| heif::kind(s.head) == Some("avif"),
        clean: heif::clean,
    },
    FormatDef {
        name: "heic",
        sniff: |s| heif::kind(s.head) == Some("heic"),
        clean: heif::clean,
    },
    // OLE compound files: named by extension, cleaned by what their streams say they are.
    FormatDef {
        name: "doc",
        sniff: |s| s.at(0, ole::MAGIC) && matches!(s.ext, "doc" | "dot"),
        clean: ole_plan,
    },
    FormatDef {
        name: "xls",
        sniff: |s| s.at(0, ole::MAGIC) && matches!(s.ext, "xls" | "xlt"),
        clean: ole_plan,
    },
    FormatDef {
        name: "ppt",
        sniff: |s| s.at(0, ole::MAGIC) && matches!(s.ext, "ppt" | "pps" | "pot"),
        clean: ole_plan,
    },
    FormatDef {
        name: "hwp",
        sniff: |s| s.at(0, ole::MAGIC) && s.ext == "hwp",
        clean: ole_plan,
    },
    FormatDef {
        name: "ole",
        sniff: |s| s.at(0, ole::MAGIC),
        clean: ole_plan,
    },
    // ZIM (Kiwix); a later part of a split ZIM has no magic: named by extension, blocked.
    FormatDef {
        name: "zim",
        sniff: |s| {
            s.at(0, zim::MAGIC)
                || (s.ext.len() == 5
                    && s.ext.starts_with("zim")
                    && s.ext[3..].bytes().all(|b| b.is_ascii_lowercase()))
        },
        clean: zim::clean,
    },
    FormatDef {
        name: "pdf",
        sniff: |s| s.at(0, b"%PDF-"),
        clean: pdf_plan,
    },
    FormatDef {
        name: "zip",
        sniff: |s| s.at(0, b"PK\x03\x04"),
        clean: zipdoc::clean,
    },
    FormatDef {
        name: "flac",
        sniff: |s| s.at(0, b"fLaC"),
        clean: sound::clean_flac,
    },
    // ID3v2 may front MP3 or (rarely) FLAC; the sound module tells them apart.
    FormatDef {
        name: "mp3",
        sniff: |s| s.at(0, b"ID3"),
        clean: sound::clean_mp3,
    },
    FormatDef {
        name: "ogg",
        sniff: |s| s.at(0, b"OggS"),
        clean: ogg::clean,
    },
    FormatDef {
        name: "mp4",
        sniff: |s| {
            s.at(4, b"ftyp")
                || (matches!(s.ext, "mov" | "mp4" | "m4a" | "m4v")
                    && (s.at(4, b"moov")
                        || s.at(4, b"wide")
                        || s.at(4, b"mdat")
                        || s.at(4, b"free")))
        },
        clean: isobmff::clean,
    },
    FormatDef {
        name: "matroska",
        sniff: |s| s.at(0, &[0x1A, 0x45, 0xDF, 0xA3]),
        clean: matroska::clean,
    },
    // MPEG program streams start with a pack header.
    FormatDef {
        name: "mpeg-ps",
        sniff: |s| s.at(0, &[0, 0, 1, 0xBA]),
        clean: mpegps::clean,
    },
    FormatDef {
        name: "mp3",
        sniff: |s| crate::detect::is_mpeg_audio_frame(s.head) && s.ext == "mp3",
        clean: sound::clean_mp3,
    },
    FormatDef {
        name: "rtf",
        sniff: |s| s.at(0, b"{\\rtf"),
        clean: rtf_plan,
    },
    FormatDef {
        name: "html",
        sniff: |s| matches!(s.ext, "html" | "htm" | "xhtml"),
        clean: html_plan,
    },
    FormatDef {
        name: "text",
        sniff: |s| matches!(s.ext, "txt" | "text" | "md" | "csv" | "tsv" | "srt" | "vtt"),
        clean: text::clean_text,
    },
];

/// Finds the format of `src`, named `name` (a path; its extension matters for some formats).
pub(crate) fn detect(name: &str, src: &dyn Source) -> Result<Option<&'static FormatDef>, Blocked> {
    let head_len = usize::try_from(src.len().min(crate::detect::HEAD_LEN as u64)).unwrap_or(0);
    let head = source::read_vec(src, 0, head_len)?;
    let ext = crate::detect::extension(name);
    let sniff = Sniff {
        head: &head,
        ext: &ext,
        len: src.len(),
    };
    Ok(FORMATS.iter().find(|f| (f.sniff)(&sniff)))
}

/// Detects and cleans `src`: the format name and the plan (or why it is blocked).
pub(crate) fn clean_source(
    src: &dyn Source,
    cx: &Ctx<'_>,
    removed: &mut Vec<String>,
) -> (&'static str, Result<Plan, Blocked>) {
    let def = match detect(cx.name, src) {
        Ok(Some(def)) => def,
        Ok(None) => return ("unknown", Err(block!(UnknownFormat, "unknown format"))),
        Err(b) => return ("unknown", Err(b)),
    };
    let result = (def.clean)(src, cx, removed).and_then(|plan| {
        plan.check(src.len())?;
        Ok(plan)
    });
    (def.name, result)
}

/// Bytes read whole into memory for a whole-parse format (borrowed when the source already
/// is in memory).
pub(crate) enum Loaded<'s> {
    Borrowed(&'s [u8]),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Loaded<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Loaded::Borrowed(b) => b,
            Loaded::Owned(v) => v,
        }
    }
}

/// What a format cleaner can see: the settings, its nesting depth, the file or member name,
/// and the run's memory budget.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    /// Nesting depth (0 = a file on disk, 1 = a member of it...).
    pub depth: u32,
    /// The file's path relative to the output, or the member's name inside its container.
    pub name: &'a str,
    budget: &'a MemoryBudget,
    /// Held until the whole file is written (its output plan may hold the bytes).
    reservations: RefCell<Vec<Reservation<'a>>>,
}

impl<'a> Ctx<'a> {
    /// The context of a top-level file.
    pub(crate) fn new(cfg: &'a Config, budget: &'a MemoryBudget, name: &'a str) -> Ctx<'a> {
        Ctx {
            cfg,
            depth: 0,
            name,
            budget,
            reservations: RefCell::new(Vec::new()),
        }
    }

    /// Reserves `bytes` of the run's memory budget until this file is done. The first
    /// reservation of a top-level file waits for room; later and nested ones do not (so
    /// workers never wait for each other). Blocks when `bytes` exceeds the whole budget.
    pub(crate) fn reserve(&self, bytes: u64, what: &str) -> Result<(), Blocked> {
        let wait = self.depth == 0 && self.reservations.borrow().is_empty();
        let r = self.budget.reserve(bytes, wait, what)?;
        self.reservations.borrow_mut().push(r);
        Ok(())
    }

    /// Reads the whole of `src` for a whole-parse format: blocks over `cap` bytes, reserves
    /// [`LOAD_FACTOR`] times its length (unless the source is already in memory).
    pub(crate) fn load<'s>(
        &self,
        src: &'s dyn Source,
        cap: u64,
        what: &str,
    ) -> Result<Loaded<'s>, Blocked> {
        let len = src.len();
        if len > cap {
            return Err(block!(
                TooLarge,
                "{what}: {len} bytes is over the {} MiB limit for this format (it is read whole into memory)",
                cap >> 20
            ));
        }
        if let Some(bytes) = src.as_slice() {
            return Ok(Loaded::Borrowed(bytes));
        }
        self.reserve(len.saturating_mul(LOAD_FACTOR), what)?;
        let len = usize::try_from(len).map_err(|_| block!(TooLarge, "{what}: too large"))?;
        Ok(Loaded::Owned(source::read_vec(src, 0, len)?))
    }

    /// Cleans a container member held in memory: detects its format and recurses one level
    /// deeper. Returns its format name and cleaned bytes. The caller checks forbidden strings.
    pub(crate) fn clean_member(
        &self,
        name: &str,
        data: &[u8],
        removed: &mut Vec<String>,
    ) -> (&'static str, Result<Vec<u8>, Blocked>) {
        let depth = self.depth + 1;
        if depth > self.cfg.max_depth {
            return (
                "unknown",
                Err(block!(
                    TooLarge,
                    "containers nested deeper than {}",
                    self.cfg.max_depth
                )),
            );
        }
        let child = Ctx {
            cfg: self.cfg,
            depth,
            name,
            budget: self.budget,
            reservations: RefCell::new(Vec::new()),
        };
        let (format, plan) = clean_source(&data, &child, removed);
        let cap = (data.len() as u64).saturating_mul(2).max(1 << 20);
        (format, plan.and_then(|p| p.materialize(&data, cap)))
    }

    /// A top-level context on a shared 1 GiB budget, for unit tests.
    #[cfg(test)]
    pub(crate) fn test(cfg: &'a Config) -> Ctx<'a> {
        static BUDGET: std::sync::OnceLock<MemoryBudget> = std::sync::OnceLock::new();
        Ctx::new(
            cfg,
            BUDGET.get_or_init(|| MemoryBudget::new(1 << 30)),
            "test",
        )
    }

    /// Blocks when `data` (text the output stream will not show as is: a deflated member, a
    /// compressed stream, a member name) holds a forbidden string. `what` names the place.
    pub(crate) fn check_forbidden(&self, data: &[u8], what: &str) -> Result<(), Blocked> {
        match self.cfg.forbidden.find(data) {
            Some(hit) => Err(block!(Forbidden, "forbidden: {hit} found in {what}")),
            None => Ok(()),
        }
    }
}

pub(crate) fn be16(d: &[u8], at: usize) -> Result<u16, Blocked> {
    d.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| block!(Damaged, "truncated at byte {at}"))
}

pub(crate) fn be32(d: &[u8], at: usize) -> Result<u32, Blocked> {
    d.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| block!(Damaged, "truncated at byte {at}"))
}

pub(crate) fn be64(d: &[u8], at: usize) -> Result<u64, Blocked> {
    d.get(at..at + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| block!(Damaged, "truncated at byte {at}"))
}

pub(crate) fn le32(d: &[u8], at: usize) -> Result<u32, Blocked> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| block!(Damaged, "truncated at byte {at}"))
}

pub(crate) fn slice(d: &[u8], from: usize, len: usize) -> Result<&[u8], Blocked> {
    from.checked_add(len)
        .and_then(|end| d.get(from..end))
        .ok_or_else(|| {
            block!(
                Damaged,
                "truncated: {len} bytes at {from} but the file has {}",
                d.len()
            )
        })
}

pub(crate) fn byte(d: &[u8], at: usize) -> Result<u8, Blocked> {
    d.get(at)
        .copied()
        .ok_or_else(|| block!(Damaged, "truncated at byte {at}"))
}

/// Printable form of a four-character code.
pub(crate) fn fourcc(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                '?'
            }
        })
        .collect()
}
