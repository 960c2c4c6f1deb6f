//! Ogg Vorbis and Ogg Opus (one logical stream).
//!
//! The comment header (Vorbis comments / OpusTags: tags, vendor string, cover art) is replaced
//! by an empty one; the header pages after the identification page are laid out again and every
//! later page gets its sequence number and CRC updated. Audio packets and granule positions
//! are copied as they are. Every page CRC is checked; multiplexed or chained streams, Ogg FLAC,
//! Theora and Speex are blocked.

use super::{Ctx, byte, le32, slice};
use crate::error::{Blocked, block};

struct Page<'a> {
    flags: u8,
    granule: [u8; 8],
    serial: u32,
    lacing: &'a [u8],
    body: &'a [u8],
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

fn ogg_crc(table: &[u32; 256], data: &[u8]) -> u32 {
    data.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ table[usize::from(((crc >> 24) as u8) ^ b)]
    })
}

fn parse_pages<'a>(d: &'a [u8], table: &[u32; 256]) -> Result<Vec<Page<'a>>, Blocked> {
    let mut pages = Vec::new();
    let mut pos = 0;
    while pos < d.len() {
        if slice(d, pos, 4)? != b"OggS" || byte(d, pos + 4)? != 0 {
            return Err(block!("Ogg: no page at byte {pos}"));
        }
        let nseg = usize::from(byte(d, pos + 26)?);
        let lacing = slice(d, pos + 27, nseg)?;
        let body_len: usize = lacing.iter().map(|&b| usize::from(b)).sum();
        let header_len = 27 + nseg;
        let whole = slice(d, pos, header_len + body_len)
            .map_err(|_| block!("Ogg: page at byte {pos} is truncated"))?;
        let mut check = whole.to_vec();
        if let Some(c) = check.get_mut(22..26) {
            c.fill(0);
        }
        if ogg_crc(table, &check) != le32(d, pos + 22)? {
            return Err(block!("Ogg: CRC mismatch in the page at byte {pos}"));
        }
        pages.push(Page {
            flags: byte(d, pos + 5)?,
            granule: slice(d, pos + 6, 8)?
                .try_into()
                .map_err(|_| block!("Ogg: granule"))?,
            serial: le32(d, pos + 14)?,
            lacing,
            body: slice(d, pos + header_len, body_len)?,
        });
        pos += header_len + body_len;
    }
    Ok(pages)
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
    let crc = ogg_crc(table, out.get(start..).unwrap_or_default());
    if let Some(c) = out.get_mut(start + 22..start + 26) {
        c.copy_from_slice(&crc.to_le_bytes());
    }
}

/// Cleans Ogg Vorbis/Opus.
pub(crate) fn clean(d: &[u8], _cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    let table = crc_table();
    let pages = parse_pages(d, &table)?;
    let first = pages.first().ok_or_else(|| block!("Ogg: no pages"))?;
    let serial = first.serial;
    if pages.iter().any(|p| p.serial != serial) {
        return Err(block!(
            "Ogg: several logical streams (multiplexed or chained) are not supported"
        ));
    }
    let (headers, empty_comment): (usize, Vec<u8>) = if first.body.starts_with(b"\x01vorbis") {
        (3, [b"\x03vorbis".as_slice(), &[0; 8], &[1]].concat())
    } else if first.body.starts_with(b"OpusHead") {
        (2, [b"OpusTags".as_slice(), &[0; 8]].concat())
    } else {
        return Err(block!("Ogg: only Vorbis and Opus are supported"));
    };
    if first.lacing.last().is_some_and(|&l| l == 255)
        || first.lacing.iter().filter(|&&l| l < 255).count() != 1
    {
        return Err(block!(
            "Ogg: the identification page must hold exactly one packet"
        ));
    }
    // Collect header packets 2..=headers from the pages after the first.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut current = Vec::new();
    let mut next_page = 1;
    while packets.len() < headers - 1 {
        let page = pages
            .get(next_page)
            .ok_or_else(|| block!("Ogg: stream ends inside the headers"))?;
        next_page += 1;
        let mut off = 0usize;
        for &l in page.lacing {
            let l = usize::from(l);
            current.extend_from_slice(
                page.body
                    .get(off..off + l)
                    .ok_or_else(|| block!("Ogg: bad lacing"))?,
            );
            off += l;
            if l < 255 {
                packets.push(std::mem::take(&mut current));
                if packets.len() == headers - 1 && off != page.body.len() {
                    return Err(block!("Ogg: audio data shares a page with the headers"));
                }
            }
        }
        if current.len() > (64 << 20) {
            return Err(block!("Ogg: header packet over 64 MiB"));
        }
    }
    let comment = packets
        .first()
        .ok_or_else(|| block!("Ogg: no comment header"))?;
    if !(comment.starts_with(b"\x03vorbis") || comment.starts_with(b"OpusTags")) {
        return Err(block!("Ogg: second packet is not a comment header"));
    }
    if *comment == empty_comment {
        return Ok(d.to_vec());
    }
    removed.push(format!(
        "comment header (tags, vendor string, cover art: {} bytes)",
        comment.len()
    ));
    let mut new_packets = vec![empty_comment];
    new_packets.extend(packets.into_iter().skip(1));

    let mut out = Vec::with_capacity(d.len());
    write_page(
        &mut out,
        &table,
        first.flags,
        first.granule,
        serial,
        0,
        first.lacing,
        first.body,
    );
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
    for page in pages.get(next_page..).unwrap_or_default() {
        write_page(
            &mut out,
            &table,
            page.flags,
            page.granule,
            serial,
            seq,
            page.lacing,
            page.body,
        );
        seq = seq.wrapping_add(1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

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
        assert!(clean(&bad, &cx, &mut vec![]).unwrap_err().0.contains("CRC"));
    }
}
