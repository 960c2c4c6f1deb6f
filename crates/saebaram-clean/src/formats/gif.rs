//! GIF: keep the header, colour tables, image data, graphic control and plain-text extensions
//! and the NETSCAPE2.0/ANIMEXTS1.0 loop extension; drop comments, XMP and every other
//! application extension, and anything after the trailer.

use super::{Ctx, byte, slice};
use crate::error::{Blocked, block};

/// Returns the end of a sub-block chain starting at `pos`.
fn sub_blocks_end(d: &[u8], mut pos: usize) -> Result<usize, Blocked> {
    loop {
        let n = usize::from(
            byte(d, pos).map_err(|_| block!(Damaged, "GIF: truncated data sub-blocks"))?,
        );
        pos += 1;
        if n == 0 {
            return Ok(pos);
        }
        slice(d, pos, n)?;
        pos += n;
    }
}

/// Cleans a GIF.
pub(crate) fn clean(d: &[u8], _cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let head = slice(d, 0, 13)?;
    if !head.starts_with(b"GIF87a") && !head.starts_with(b"GIF89a") {
        return Err(block!(ActiveContent, "GIF: bad signature"));
    }
    let mut out = Vec::with_capacity(d.len());
    let flags = byte(d, 10)?;
    let mut pos = 13;
    if flags & 0x80 != 0 {
        pos += 3 << ((flags & 7) + 1);
    }
    out.extend_from_slice(slice(d, 0, pos)?);
    let mut images = 0;
    loop {
        let intro = byte(d, pos).map_err(|_| block!(Damaged, "GIF: truncated (no trailer)"))?;
        match intro {
            0x3B => {
                out.push(0x3B);
                if pos + 1 < d.len() {
                    removed.push(format!("{} bytes after the trailer", d.len() - pos - 1));
                }
                if images == 0 {
                    return Err(block!(Damaged, "GIF: no image"));
                }
                return Ok(out);
            }
            0x2C => {
                let desc = slice(d, pos, 10)?;
                let f = desc.get(9).copied().unwrap_or(0);
                let mut p = pos + 10;
                if f & 0x80 != 0 {
                    p += 3 << ((f & 7) + 1);
                }
                p += 1; // LZW minimum code size
                slice(d, pos, p - pos)?;
                let end = sub_blocks_end(d, p)?;
                out.extend_from_slice(slice(d, pos, end - pos)?);
                pos = end;
                images += 1;
            }
            0x21 => {
                let label = byte(d, pos + 1)?;
                let end = sub_blocks_end(d, pos + 2)?;
                let whole = slice(d, pos, end - pos)?;
                let keep = match label {
                    0xF9 | 0x01 => true,
                    0xFF => {
                        let id = slice(d, pos + 3, 11).unwrap_or_default();
                        byte(d, pos + 2)? == 11 && (id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0")
                    }
                    _ => false,
                };
                if keep {
                    out.extend_from_slice(whole);
                } else {
                    let what = match label {
                        0xFE => "comment extension".to_string(),
                        0xFF => format!(
                            "application extension {}",
                            String::from_utf8_lossy(slice(d, pos + 3, 8).unwrap_or_default())
                        ),
                        other => format!("extension 0x{other:02X}"),
                    };
                    removed.push(format!("{what} ({} bytes)", whole.len()));
                }
                pos = end;
            }
            other => {
                return Err(block!(
                    CannotClean,
                    "GIF: unknown block 0x{other:02X} at byte {pos}"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn drops_comment_keeps_image() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        g.extend_from_slice(b"\x21\xFE\x0Bowner Kim S\x00");
        g.extend_from_slice(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00");
        g.extend_from_slice(b"\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3B");
        let mut removed = vec![];
        let out = clean(&g, &cx, &mut removed).unwrap();
        assert!(!out.windows(9).any(|w| w == b"owner Kim"));
        assert!(out.windows(11).any(|w| w == b"NETSCAPE2.0"));
        assert_eq!(removed.len(), 1);
        for cut in 0..g.len() {
            assert!(clean(&g[..cut], &cx, &mut vec![]).is_err());
        }
    }
}
