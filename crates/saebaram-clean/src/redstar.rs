//! Red Star OS 3.0 watermark trailers.
//!
//! Red Star OS appends to files it sees `[24-byte mark]...[24-byte mark][count][00 00 00 45 4f 46]`,
//! one mark per machine, where `count` is the number of mark bytes modulo 256 and each mark is
//! DES-ECB with the fixed key `0706050403020100` of `WM` + the machine's disk serial, zero
//! padded. Stripping the trailer gives back the file as it was before (ERNW, 32C3, 2015).

use des::Des;
use des::cipher::{BlockCipherDecrypt, KeyInit};

use crate::error::{Blocked, block};
use crate::source::{Source, read_vec};

/// The 6-byte end-of-file mark of a trailer.
pub const EOF_MARK: [u8; 6] = [0, 0, 0, 0x45, 0x4f, 0x46];
/// The fixed DES key.
pub const KEY: [u8; 8] = [7, 6, 5, 4, 3, 2, 1, 0];
/// Size of one machine's mark.
pub const MARK_LEN: usize = 24;

/// A trailer found at the end of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// The decrypted marks, oldest first (plaintext without the zero padding).
    pub marks: Vec<Vec<u8>>,
    /// Total trailer length in bytes (marks + count byte + EOF mark).
    pub len: usize,
}

fn cipher() -> Option<Des> {
    Des::new_from_slice(&KEY).ok()
}

/// Decrypts one 24-byte mark (three DES-ECB blocks).
pub fn decrypt_mark(mark: &[u8]) -> Option<Vec<u8>> {
    if mark.len() != MARK_LEN {
        return None;
    }
    let des = cipher()?;
    let mut out = Vec::with_capacity(MARK_LEN);
    for chunk in mark.chunks_exact(8) {
        let mut block = des::cipher::Block::<Des>::try_from(chunk).ok()?;
        des.decrypt_block(&mut block);
        out.extend_from_slice(block.as_slice());
    }
    Some(out)
}

/// Encrypts a mark for `serial` (used by tests and fixtures generators).
pub fn encrypt_mark(serial: &[u8]) -> Option<[u8; MARK_LEN]> {
    use des::cipher::BlockCipherEncrypt;
    if serial.len() + 2 > MARK_LEN {
        return None;
    }
    let mut plain = [0u8; MARK_LEN];
    plain.get_mut(..2)?.copy_from_slice(b"WM");
    plain.get_mut(2..2 + serial.len())?.copy_from_slice(serial);
    let des = cipher()?;
    let mut out = [0u8; MARK_LEN];
    for (i, chunk) in plain.chunks_exact(8).enumerate() {
        let mut block = des::cipher::Block::<Des>::try_from(chunk).ok()?;
        des.encrypt_block(&mut block);
        out.get_mut(i * 8..i * 8 + 8)?
            .copy_from_slice(block.as_slice());
    }
    Some(out)
}

fn is_mark(block: &[u8]) -> Option<Vec<u8>> {
    let plain = decrypt_mark(block)?;
    if plain.starts_with(b"WM") {
        let end = plain.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        Some(plain.get(..end)?.to_vec())
    } else {
        None
    }
}

/// Looks for a trailer at the end of `data`.
///
/// Returns `Ok(None)` when the file does not end with the EOF mark, and blocks when it does
/// but the marks do not decrypt or do not match the count byte.
pub fn detect(data: &[u8]) -> Result<Option<Trailer>, Blocked> {
    if !data.ends_with(&EOF_MARK) {
        return Ok(None);
    }
    let body_end = data.len().checked_sub(EOF_MARK.len() + 1).ok_or_else(|| {
        block!(
            Damaged,
            "ends with the Red Star OS EOF mark but is too short for a trailer"
        )
    })?;
    let count = *data
        .get(body_end)
        .ok_or_else(|| block!(Damaged, "Red Star trailer: file too short"))?;
    let mut marks = Vec::new();
    let mut end = body_end;
    while end >= MARK_LEN {
        let Some(block) = data.get(end - MARK_LEN..end) else {
            break;
        };
        match is_mark(block) {
            Some(plain) => marks.push(plain),
            None => break,
        }
        end -= MARK_LEN;
    }
    if marks.is_empty() {
        return Err(block!(
            Damaged,
            "ends with the Red Star OS EOF mark but no mark decrypts to `WM`"
        ));
    }
    let n = marks.len();
    let take = if (n * MARK_LEN) % 256 == usize::from(count) {
        n
    } else if usize::from(count) % MARK_LEN == 0
        && usize::from(count) / MARK_LEN >= 1
        && usize::from(count) / MARK_LEN <= n
    {
        usize::from(count) / MARK_LEN
    } else {
        return Err(block!(
            CannotClean,
            "Red Star OS trailer: {n} marks but count byte {count}"
        ));
    };
    marks.truncate(take);
    marks.reverse();
    Ok(Some(Trailer {
        marks,
        len: take * MARK_LEN + 1 + EOF_MARK.len(),
    }))
}

/// Strips every trailer (a file may have been trailed again after a first strip).
/// Returns the original bytes and the number of marks found.
pub fn strip(data: &[u8]) -> Result<(&[u8], usize), Blocked> {
    let mut rest = data;
    let mut total = 0;
    for _ in 0..8 {
        match detect(rest)? {
            None => return Ok((rest, total)),
            Some(t) => {
                total += t.marks.len();
                rest = rest.get(..rest.len() - t.len).unwrap_or_default();
            }
        }
    }
    Err(block!(TooLarge, "more than 8 nested Red Star OS trailers"))
}

/// Finds trailers at the end of `src` reading only its tail (a film is not read for this).
/// Returns the length of the file without them and the number of marks found.
pub(crate) fn strip_source(src: &dyn Source) -> Result<(u64, usize), Blocked> {
    const FIRST_TAIL: u64 = 64 << 10;
    const LAST_TAIL: u64 = 64 << 20;
    let len = src.len();
    let strip_tail = |tail_len: u64| -> Result<((u64, usize), bool), Blocked> {
        let take = len.min(tail_len);
        let tail = read_vec(src, len - take, usize::try_from(take).unwrap_or(0))?;
        let found =
            strip(&tail).map(|(rest, marks)| (len - (tail.len() - rest.len()) as u64, marks));
        Ok((found?, take == len))
    };
    let mut tail_len = FIRST_TAIL;
    let mut previous: Option<Result<(u64, usize), Blocked>> = None;
    loop {
        let (found, whole) = match strip_tail(tail_len) {
            Ok((found, whole)) => (Ok(found), whole),
            Err(b) => (Err(b), len <= tail_len),
        };
        // No trailer, the whole file was read, or a 16 times longer tail gives the same
        // answer (a trailer cut by the tail's start would give a different one).
        let settled =
            whole || matches!(found, Ok((_, 0))) || previous.as_ref().is_some_and(|p| *p == found);
        if settled {
            return found;
        }
        if tail_len >= LAST_TAIL {
            return Err(block!(
                CannotClean,
                "Red Star OS trailer longer than {LAST_TAIL} bytes"
            ));
        }
        previous = Some(found);
        tail_len *= 16;
    }
}

/// Appends a trailer with one mark per serial (for tests and fixture generators).
pub fn append_trailer(data: &[u8], serials: &[&[u8]]) -> Option<Vec<u8>> {
    let mut out = data.to_vec();
    for s in serials {
        out.extend_from_slice(&encrypt_mark(s)?);
    }
    out.push(((serials.len() * MARK_LEN) % 256) as u8);
    out.extend_from_slice(&EOF_MARK);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_one_to_twelve_marks() {
        let original = b"hello world, some file content".to_vec();
        for n in 1..=12usize {
            let serials: Vec<Vec<u8>> = (0..n)
                .map(|i| format!("SERIAL{i:04}").into_bytes())
                .collect();
            let refs: Vec<&[u8]> = serials.iter().map(Vec::as_slice).collect();
            let trailed = append_trailer(&original, &refs).unwrap();
            let (stripped, count) = strip(&trailed).unwrap();
            assert_eq!(stripped, original.as_slice(), "n={n}");
            assert_eq!(count, n);
            let t = detect(&trailed).unwrap().unwrap();
            assert_eq!(
                t.marks[0],
                [b"WM".as_slice(), serials[0].as_slice()].concat()
            );
        }
    }

    #[test]
    fn no_trailer_is_none_and_fake_eof_blocks() {
        assert_eq!(detect(b"plain").unwrap(), None);
        let mut fake = vec![0u8; 40];
        fake.extend_from_slice(&[24]);
        fake.extend_from_slice(&EOF_MARK);
        assert!(detect(&fake).is_err());
        assert!(detect(&EOF_MARK).is_err());
    }

    #[test]
    fn trailers_are_found_from_the_tail_of_a_large_source() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let serials: Vec<Vec<u8>> = (0..3000).map(|i| format!("S{i:05}").into_bytes()).collect();
        let refs: Vec<&[u8]> = serials.iter().map(Vec::as_slice).collect();
        let trailed = append_trailer(&body, &refs).unwrap();
        let src: &[u8] = &trailed;
        let (len, marks) = strip_source(&src).unwrap();
        assert_eq!(len, body.len() as u64);
        assert_eq!(marks, strip(&trailed).unwrap().1);
        let plain: &[u8] = &body;
        assert_eq!(strip_source(&plain).unwrap(), (body.len() as u64, 0));
        let short: &[u8] = &EOF_MARK;
        assert!(strip_source(&short).is_err());
    }

    #[test]
    fn count_mismatch_blocks() {
        let mut t = append_trailer(b"x", &[b"AB"]).unwrap();
        let i = t.len() - 7;
        t[i] = 5;
        assert!(detect(&t).is_err());
    }
}
