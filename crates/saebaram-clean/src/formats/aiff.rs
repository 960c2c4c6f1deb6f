//! AIFF and AIFF-C (IFF `FORM` files, big-endian).
//!
//! Rebuilt chunk by chunk (AIFF holds no absolute offsets): `COMM`, `SSND` (the samples,
//! copied without being read), `FVER`, `MARK`, `INST`, `AESD`, `MIDI` and `CHAN` are kept;
//! `NAME`, `AUTH`, `(c) `, `ANNO`, `COMT`, `ID3 `, `APPL` and every other chunk are dropped,
//! the `FORM` size is fixed, bytes after the `FORM` are dropped. Marker names in `MARK` are
//! kept (they label positions in the sound, and `INST` loops refer to them).

use super::{Ctx, fourcc};
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_array};

const KEEP: &[&[u8; 4]] = &[
    b"COMM", b"SSND", b"FVER", b"MARK", b"INST", b"AESD", b"MIDI", b"CHAN",
];
/// Most chunks in one file.
const MAX_CHUNKS: usize = 100_000;

/// Cleans an AIFF or AIFF-C.
pub(crate) fn clean(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let h: [u8; 12] = read_array(src, 0)?;
    if &h[..4] != b"FORM" || !matches!(&h[8..12], b"AIFF" | b"AIFC") {
        return Err(block!(Damaged, "AIFF: not a FORM AIFF/AIFC file"));
    }
    let form = u64::from(u32::from_be_bytes([h[4], h[5], h[6], h[7]]));
    let end = form + 8;
    if end > len || form < 4 {
        return Err(block!(
            Damaged,
            "AIFF: FORM says {end} bytes, the file has {len} (truncated)"
        ));
    }
    let mut kept: Vec<(u64, u64)> = Vec::new(); // (start, padded length incl. header)
    let mut pos = 12u64;
    let (mut comm, mut ssnd) = (false, false);
    while pos < end {
        if end - pos < 8 {
            return Err(block!(
                Damaged,
                "AIFF: {} stray bytes at byte {pos}",
                end - pos
            ));
        }
        let c: [u8; 8] = read_array(src, pos)?;
        let id: [u8; 4] = [c[0], c[1], c[2], c[3]];
        let size = u64::from(u32::from_be_bytes([c[4], c[5], c[6], c[7]]));
        let padded = 8 + size + (size & 1);
        if pos + 8 + size > end {
            return Err(block!(
                Damaged,
                "AIFF: chunk {} at byte {pos} runs past the FORM (truncated)",
                fourcc(&id)
            ));
        }
        if KEEP.contains(&&id) {
            comm |= &id == b"COMM";
            ssnd |= &id == b"SSND";
            // A missing pad byte at the very end is tolerated by copying what is there.
            kept.push((pos, padded.min(end - pos)));
        } else {
            removed.push(format!("{} chunk ({size} bytes)", fourcc(&id)));
        }
        pos += padded;
        if kept.len() + removed.len() > MAX_CHUNKS {
            return Err(block!(TooLarge, "AIFF: more than {MAX_CHUNKS} chunks"));
        }
    }
    if !comm || !ssnd {
        return Err(block!(Damaged, "AIFF: missing COMM or SSND chunk"));
    }
    if end < len {
        removed.push(format!("{} bytes after the FORM", len - end));
    }
    let body: u64 = 4 + kept.iter().map(|k| k.1).sum::<u64>();
    let size = u32::try_from(body).map_err(|_| block!(TooLarge, "AIFF: over 4 GiB"))?;
    let mut plan = Plan::new();
    let mut head = b"FORM".to_vec();
    head.extend_from_slice(&size.to_be_bytes());
    head.extend_from_slice(&h[8..12]);
    plan.bytes(head);
    for (at, n) in kept {
        plan.copy(at, n);
    }
    // The header bytes are new: an untouched file must still be reported unchanged.
    if body + 8 == len && size as u64 == form && removed.is_empty() {
        return Ok(Plan::unchanged(src));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn ch(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn form(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = b"FORM".to_vec();
        v.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        v.extend_from_slice(b"AIFF");
        v.extend_from_slice(&body);
        v
    }

    fn run(d: &[u8]) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let src: &[u8] = d;
        let mut removed = vec![];
        let plan = clean(&src, &cx, &mut removed)?;
        Ok((plan.materialize(&src, 1 << 20)?, removed))
    }

    #[test]
    fn drops_text_chunks_keeps_sound() {
        let comm = ch(b"COMM", &[0; 18]);
        let ssnd = ch(b"SSND", b"\0\0\0\0\0\0\0\0samples!");
        let d = form(&[
            comm.clone(),
            ch(b"NAME", b"PlantedName"),
            ch(b"AUTH", b"PlantedAuthor"),
            ch(b"(c) ", b"PlantedCopy"),
            ch(b"ANNO", b"PlantedNote"),
            ch(b"ID3 ", b"ID3PlantedTag"),
            ssnd.clone(),
        ]);
        let (out, removed) = run(&d).unwrap();
        assert_eq!(out, form(&[comm, ssnd]));
        assert_eq!(removed.len(), 5);
        let (again, r) = run(&out).unwrap();
        assert_eq!(again, out);
        assert!(r.is_empty());
    }

    #[test]
    fn bad_aiff_blocks() {
        let d = form(&[ch(b"COMM", &[0; 18]), ch(b"SSND", &[0; 12])]);
        for cut in 0..d.len() {
            assert!(run(&d[..cut]).is_err(), "cut {cut}");
        }
        let mut huge = d.clone();
        huge[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(run(&huge).is_err());
        assert!(run(&form(&[ch(b"COMM", &[0; 18])])).is_err());
    }
}
