//! One module per format family. Each `clean` takes the input bytes, appends what it removed
//! to `removed`, and returns the new bytes or why the file is blocked.

use crate::config::Config;
use crate::error::{Blocked, block};

pub(crate) mod gif;
pub(crate) mod isobmff;
pub(crate) mod jpeg;
pub(crate) mod matroska;
pub(crate) mod ogg;
pub(crate) mod pdf;
pub(crate) mod png;
pub(crate) mod riff;
pub(crate) mod sound;
pub(crate) mod text;
pub(crate) mod zipdoc;

/// What a format cleaner can see.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    /// Nesting depth (0 = a file on disk).
    pub depth: u32,
}

pub(crate) fn be16(d: &[u8], at: usize) -> Result<u16, Blocked> {
    d.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| block!("truncated at byte {at}"))
}

pub(crate) fn be32(d: &[u8], at: usize) -> Result<u32, Blocked> {
    d.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| block!("truncated at byte {at}"))
}

pub(crate) fn be64(d: &[u8], at: usize) -> Result<u64, Blocked> {
    d.get(at..at + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| block!("truncated at byte {at}"))
}

pub(crate) fn le32(d: &[u8], at: usize) -> Result<u32, Blocked> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| block!("truncated at byte {at}"))
}

pub(crate) fn slice(d: &[u8], from: usize, len: usize) -> Result<&[u8], Blocked> {
    from.checked_add(len)
        .and_then(|end| d.get(from..end))
        .ok_or_else(|| {
            block!(
                "truncated: {len} bytes at {from} but the file has {}",
                d.len()
            )
        })
}

pub(crate) fn byte(d: &[u8], at: usize) -> Result<u8, Blocked> {
    d.get(at)
        .copied()
        .ok_or_else(|| block!("truncated at byte {at}"))
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
