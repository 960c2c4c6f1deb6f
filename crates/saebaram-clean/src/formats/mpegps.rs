//! MPEG program streams (`.mpg`, `.vob`: DVD-Video, `saebaram convert --profile dvd`).
//!
//! A program stream has no metadata container: it is a sequence of packs (a pack header,
//! an optional system header, PES packets) ending with a program end code. Every header is
//! walked through a read-ahead window and checked (start codes, MPEG-1 or MPEG-2 pack
//! headers, packet lengths that add up to the end of the file); the packets' payloads
//! (video, audio, DVD navigation and subpicture packets) are content and copied without
//! being read, so the output is the input. The writer still scans every byte for the
//! forbidden strings. Elementary-stream user data (MPEG-2 `user_data`, which some encoders
//! fill with their name) is part of the video payload and is not edited here.
//!
//! Blocked: an unknown start code, a truncated header or packet, a zero-length packet,
//! anything after the program end code.

use super::Ctx;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_into};

/// Read-ahead window for headers.
const WINDOW: usize = 1 << 20;

struct Ahead<'a> {
    src: &'a dyn Source,
    start: u64,
    buf: Vec<u8>,
}

impl Ahead<'_> {
    fn get(&mut self, at: u64, n: usize) -> Result<&[u8], Blocked> {
        let end = at + n as u64;
        if end > self.src.len() {
            return Err(block!(
                Damaged,
                "MPEG-PS: truncated: {n} bytes at byte {at} but the file has {}",
                self.src.len()
            ));
        }
        if at < self.start || end > self.start + self.buf.len() as u64 {
            let want = (self.src.len() - at).min(WINDOW as u64) as usize;
            self.buf.resize(want.max(n), 0);
            read_into(self.src, at, &mut self.buf)?;
            self.start = at;
        }
        let off = (at - self.start) as usize;
        self.buf
            .get(off..off + n)
            .ok_or_else(|| block!(CannotClean, "MPEG-PS: internal read error"))
    }
}

/// Walks every pack and packet; the output is the input.
pub(crate) fn clean(
    src: &dyn Source,
    _cx: &Ctx<'_>,
    _removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let mut r = Ahead {
        src,
        start: 0,
        buf: Vec::new(),
    };
    let mut pos = 0u64;
    let mut packs = 0u64;
    while pos < len {
        let h = r.get(pos, 4)?;
        if h[..3] != [0, 0, 1] {
            return Err(block!(Damaged, "MPEG-PS: no start code at byte {pos}"));
        }
        let code = h[3];
        match code {
            0xBA => {
                let b = r.get(pos + 4, 1)?[0];
                let size = if b >> 6 == 0b01 {
                    // MPEG-2: 14 bytes, then stuffing (low 3 bits of the last byte).
                    let last = r.get(pos + 13, 1)?[0];
                    14 + u64::from(last & 7)
                } else if b >> 4 == 0b0010 {
                    12
                } else {
                    return Err(block!(
                        CannotClean,
                        "MPEG-PS: unknown pack header at byte {pos}"
                    ));
                };
                r.get(pos, size as usize)?;
                pos += size;
                packs += 1;
            }
            0xB9 => {
                pos += 4;
                if pos != len {
                    return Err(block!(
                        CannotClean,
                        "MPEG-PS: {} bytes after the program end code",
                        len - pos
                    ));
                }
            }
            0xBB..=0xFF => {
                if packs == 0 {
                    return Err(block!(
                        CannotClean,
                        "MPEG-PS: a packet before the first pack header"
                    ));
                }
                let l = r.get(pos + 4, 2)?;
                let n = u64::from(u16::from_be_bytes([l[0], l[1]]));
                if n == 0 {
                    return Err(block!(Damaged, "MPEG-PS: zero-length packet at byte {pos}"));
                }
                let end = pos + 6 + n;
                if end > len {
                    return Err(block!(
                        Damaged,
                        "MPEG-PS: truncated: a packet at byte {pos} runs past the end"
                    ));
                }
                pos = end;
            }
            other => {
                return Err(block!(
                    Damaged,
                    "MPEG-PS: unexpected start code 0x{other:02X} at byte {pos}"
                ));
            }
        }
    }
    if packs == 0 {
        return Err(block!(Damaged, "MPEG-PS: no pack header"));
    }
    Ok(Plan::unchanged(src))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn pack2() -> Vec<u8> {
        // MPEG-2 pack header: '01' marker bits, no stuffing.
        vec![0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 1, 0x89, 0xC3, 0xF8]
    }

    fn packet(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 1, id];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn stream() -> Vec<u8> {
        let mut v = pack2();
        v.extend(packet(0xBB, &[0x80; 12]));
        v.extend(packet(0xE0, &[0x55; 100]));
        v.extend(pack2());
        v.extend(packet(0xC0, &[0x66; 50]));
        v.extend(packet(0xBE, &[0xFF; 20]));
        v.extend_from_slice(&[0, 0, 1, 0xB9]);
        v
    }

    #[test]
    fn a_program_stream_is_unchanged() {
        let data = stream();
        let r = crate::clean_bytes("film.mpg", &data, &Config::default());
        assert_eq!(r.format, "mpeg-ps");
        assert_eq!(r.result.unwrap(), data);
        assert!(r.removed.is_empty());
        // MPEG-1 pack headers too.
        let mut m1 = vec![0, 0, 1, 0xBA, 0x21, 0, 1, 0, 1, 0x80, 0, 1];
        m1.extend(packet(0xE0, &[1; 10]));
        let r = crate::clean_bytes("old.mpg", &m1, &Config::default());
        assert_eq!(r.result.unwrap(), m1);
    }

    #[test]
    fn damaged_streams_are_blocked() {
        let data = stream();
        for (bad, why) in [
            (data[..data.len() - 31].to_vec(), "truncated"),
            ([&data[..], b"tail"].concat(), "after the program end"),
            (
                [&data[..14], &[0, 0, 1, 0xB3, 0, 0][..], &data[14..]].concat(),
                "0xB3",
            ),
            (
                [&data[..14], &packet(0xE0, &[])[..]].concat(),
                "zero-length",
            ),
        ] {
            let r = crate::clean_bytes("film.mpg", &bad, &Config::default());
            let e = r.result.unwrap_err();
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
    }
}
