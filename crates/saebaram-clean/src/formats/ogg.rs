//! Ogg Vorbis and Ogg Opus (one logical stream).
//!
//! The comment header (Vorbis comments / OpusTags: tags, vendor string, cover art) is replaced
//! by an empty one; the header pages after the identification page are laid out again and every
//! later page gets its sequence number and CRC updated. Audio packets and granule positions
//! are copied as they are. Every page CRC is checked; multiplexed or chained streams, Ogg FLAC,
//! Theora and Speex are blocked.

use super::{Ctx, le32, slice};
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_array, read_vec};

/// One page read from the source; its CRC was checked.
struct Page {
    /// Offset of the page in the file.
    start: u64,
    flags: u8,
    granule: [u8; 8],
    serial: u32,
    lacing: Vec<u8>,
    body: Vec<u8>,
}

impl Page {
    fn body_start(&self) -> u64 {
        self.start + 27 + self.lacing.len() as u64
    }

    fn end(&self) -> u64 {
        self.body_start() + self.body.len() as u64
    }
}

fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (i, e) in t.iter_mut().enumerate() {
        let mut r = (i as u32) << 24;
        for _ in 0..8 {
            r = if r & 0x8000_0000 != 0 {
                (r << 1) ^ 0x04C1_1DB7
            } else {
                r << 1
            };
        }
        *e = r;
    }
    t
}

fn ogg_crc(table: &[u32; 256], crc: u32, data: &[u8]) -> u32 {
    data.iter().fold(crc, |crc, &b| {
        (crc << 8) ^ table[usize::from(((crc >> 24) as u8) ^ b)]
    })
}

/// Reads and checks the page at `pos`.
fn read_page(src: &dyn Source, pos: u64, table: &[u32; 256]) -> Result<Page, Blocked> {
    let mut header: [u8; 27] = read_array(src, pos)
        .map_err(|_| block!(Damaged, "Ogg: page at byte {pos} is truncated"))?;
    if header.get(..5) != Some(b"OggS\0") {
        return Err(block!(Damaged, "Ogg: no page at byte {pos}"));
    }
    let nseg = usize::from(header[26]);
    let lacing = read_vec(src, pos + 27, nseg)
        .map_err(|_| block!(Damaged, "Ogg: page at byte {pos} is truncated"))?;
    let body_len: usize = lacing.iter().map(|&b| usize::from(b)).sum();
    let body = read_vec(src, pos + 27 + nseg as u64, body_len)
        .map_err(|_| block!(Damaged, "Ogg: page at byte {pos} is truncated"))?;
    let stored = le32(&header, 22)?;
    if let Some(c) = header.get_mut(22..26) {
        c.fill(0);
    }
    let crc = ogg_crc(
        table,
        ogg_crc(table, ogg_crc(table, 0, &header), &lacing),
        &body,
    );
    if crc != stored {
        return Err(block!(
            Damaged,
            "Ogg: CRC mismatch in the page at byte {pos}"
        ));
    }
    Ok(Page {
        start: pos,
        flags: header[5],
        granule: slice(&header, 6, 8)?
            .try_into()
            .map_err(|_| block!(CannotClean, "Ogg: granule"))?,
        serial: le32(&header, 14)?,
        lacing,
        body,
    })
}

#[allow(clippy::too_many_arguments)] // the fields of one page header
fn write_page(
    out: &mut Vec<u8>,
    table: &[u32; 256],
    flags: u8,
    granule: [u8; 8],
    serial: u32,
    seq: u32,
    lacing: &[u8],
    body: &[u8],
) {
    let start = out.len();
    out.extend_from_slice(b"OggS\0");
    out.push(flags);
    out.extend_from_slice(&granule);
    out.extend_from_slice(&serial.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(lacing.len() as u8);
    out.extend_from_slice(lacing);
    out.extend_from_slice(body);
    let crc = ogg_crc(table, 0, out.get(start..).unwrap_or_default());
    if let Some(c) = out.get_mut(start + 22..start + 26) {
        c.copy_from_slice(&crc.to_le_bytes());
    }
}

/// Most pages in a stream (each later page gets a new header in the plan: about 80 bytes of
/// plan per 4 KiB page).
const MAX_PAGES: u64 = 1 << 20;

/// Cleans Ogg Vorbis/Opus. Every page is read once (to check its CRC and compute the new
/// one); the plan copies every audio page's body and holds only the new page headers.
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let table = crc_table();
    let len = src.len();
    let first = read_page(src, 0, &table)?;
    let serial = first.serial;
    let (headers, empty_comment): (usize, Vec<u8>) = if first.body.starts_with(b"\x01vorbis") {
        (3, [b"\x03vorbis".as_slice(), &[0; 8], &[1]].concat())
    } else if first.body.starts_with(b"OpusHead") {
        (2, [b"OpusTags".as_slice(), &[0; 8]].concat())
    } else {
        return Err(block!(
            CannotClean,
            "Ogg: only Vorbis and Opus are supported"
        ));
    };
    if first.lacing.last().is_some_and(|&l| l == 255)
        || first.lacing.iter().filter(|&&l| l < 255).count() != 1
    {
        return Err(block!(
            CannotClean,
            "Ogg: the identification page must hold exactly one packet"
        ));
    }
    // Collect header packets 2..=headers from the pages after the first.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut current = Vec::new();
    let mut pos = first.end();
    while packets.len() < headers - 1 {
        if pos >= len {
            return Err(block!(Damaged, "Ogg: stream ends inside the headers"));
        }
        let page = read_page(src, pos, &table)?;
        if page.serial != serial {
            return Err(several_streams());
        }
        pos = page.end();
        let mut off = 0usize;
        for &l in &page.lacing {
            let l = usize::from(l);
            current.extend_from_slice(
                page.body
                    .get(off..off + l)
                    .ok_or_else(|| block!(Damaged, "Ogg: bad lacing"))?,
            );
            off += l;
            if l < 255 {
                packets.push(std::mem::take(&mut current));
                if packets.len() == headers - 1 && off != page.body.len() {
                    return Err(block!(
                        CannotClean,
                        "Ogg: audio data shares a page with the headers"
                    ));
                }
            }
        }
        if current.len() > (64 << 20) {
            return Err(block!(CannotClean, "Ogg: header packet over 64 MiB"));
        }
    }
    let comment = packets
        .first()
        .ok_or_else(|| block!(Damaged, "Ogg: no comment header"))?;
    if !(comment.starts_with(b"\x03vorbis") || comment.starts_with(b"OpusTags")) {
        return Err(block!(
            Damaged,
            "Ogg: second packet is not a comment header"
        ));
    }
    let audio_start = pos;
    let unchanged = *comment == empty_comment;
    if !unchanged {
        removed.push(format!(
            "comment header (tags, vendor string, cover art: {} bytes)",
            comment.len()
        ));
        cx.reserve(len / 40, "Ogg page headers")?;
    }
    let mut new_packets = vec![empty_comment];
    new_packets.extend(packets.into_iter().skip(1));

    let mut plan = Plan::new();
    plan.copy(0, first.end());
    let mut out = Vec::new();
    let mut seq = 1u32;
    // Lay the header packets out in pages of at most 255 segments; the last one ends a page.
    let mut lacing: Vec<u8> = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    let mut continued = false;
    for (i, p) in new_packets.iter().enumerate() {
        let mut segs: Vec<u8> = vec![255; p.len() / 255];
        segs.push((p.len() % 255) as u8);
        let mut off = 0usize;
        for s in segs {
            if lacing.len() == 255 {
                write_page(
                    &mut out,
                    &table,
                    if continued { 1 } else { 0 },
                    [0xFF; 8],
                    serial,
                    seq,
                    &lacing,
                    &body,
                );
                seq += 1;
                continued = true;
                lacing.clear();
                body.clear();
            }
            lacing.push(s);
            body.extend_from_slice(p.get(off..off + usize::from(s)).unwrap_or_default());
            off += usize::from(s);
            if s < 255 {
                continued = false;
            }
        }
        if i + 1 == new_packets.len() {
            write_page(
                &mut out,
                &table,
                if continued { 1 } else { 0 },
                [0; 8],
                serial,
                seq,
                &lacing,
                &body,
            );
            seq += 1;
        }
    }
    plan.bytes(out);
    // Every later page: checked, and (when the sequence numbers move) a new header.
    let mut pos = audio_start;
    let mut pages = 0u64;
    while pos < len {
        let page = read_page(src, pos, &table)?;
        if page.serial != serial {
            return Err(several_streams());
        }
        let mut header = Vec::with_capacity(27 + page.lacing.len());
        header.extend_from_slice(b"OggS\0");
        header.push(page.flags);
        header.extend_from_slice(&page.granule);
        header.extend_from_slice(&serial.to_le_bytes());
        header.extend_from_slice(&seq.to_le_bytes());
        header.extend_from_slice(&[0; 4]);
        header.push(page.lacing.len() as u8);
        header.extend_from_slice(&page.lacing);
        let crc = ogg_crc(&table, ogg_crc(&table, 0, &header), &page.body);
        if let Some(c) = header.get_mut(22..26) {
            c.copy_from_slice(&crc.to_le_bytes());
        }
        plan.bytes(header);
        plan.copy(page.body_start(), page.body.len() as u64);
        seq = seq.wrapping_add(1);
        pos = page.end();
        pages += 1;
        if pages > MAX_PAGES {
            return Err(block!(TooLarge, "Ogg: more than {MAX_PAGES} pages"));
        }
    }
    if unchanged {
        return Ok(Plan::unchanged(src));
    }
    Ok(plan)
}

fn several_streams() -> Blocked {
    block!(
        CannotClean,
        "Ogg: several logical streams (multiplexed or chained) are not supported"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn clean(d: &[u8], cx: &Ctx, r: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean(&d, cx, r)?.materialize(&d, u64::MAX)
    }

    fn stream(tags: &[u8]) -> Vec<u8> {
        let t = crc_table();
        let mut out = Vec::new();
        let head = b"OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0";
        write_page(&mut out, &t, 2, [0; 8], 7, 0, &[head.len() as u8], head);
        write_page(&mut out, &t, 0, [0; 8], 7, 1, &[tags.len() as u8], tags);
        write_page(
            &mut out,
            &t,
            4,
            [0x80, 0xbb, 0, 0, 0, 0, 0, 0],
            7,
            2,
            &[3, 2],
            b"abcde",
        );
        out
    }

    #[test]
    fn opus_tags_emptied_packets_kept() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let tags = b"OpusTags\x03\0\0\0Kim\x01\0\0\0\x0a\0\0\0ARTIST=Kim";
        let input = stream(tags);
        let mut removed = vec![];
        let out = clean(&input, &cx, &mut removed).unwrap();
        assert!(!out.windows(3).any(|w| w == b"Kim"));
        assert!(out.windows(5).any(|w| w == b"abcde"));
        assert_eq!(removed.len(), 1);
        // Output is valid (CRCs check) and cleaning again changes nothing.
        assert_eq!(clean(&out, &cx, &mut vec![]).unwrap(), out);
        // Any cut inside a page blocks (a cut right after the headers is a valid, silent stream).
        let headers_end = 47 + 61;
        for cut in (1..input.len()).filter(|&c| c != headers_end) {
            assert!(clean(&input[..cut], &cx, &mut vec![]).is_err(), "{cut}");
        }
        let mut bad = input.clone();
        bad[40] ^= 1;
        assert!(
            clean(&bad, &cx, &mut vec![])
                .unwrap_err()
                .reason
                .contains("CRC")
        );
    }
}
