//! The bounded streaming writer: turns a [`Plan`] into output bytes through one
//! [`CHUNK`]-sized buffer, hashing the output (BLAKE3, for the manifest) and searching it for
//! forbidden strings as it goes, across piece and chunk boundaries. It can also hash the
//! input on the way ([`InputHasher`]), so an incremental run can key files by their content
//! without a second read of the copied bytes.

use std::io::{self, Write};

use saebaram_forbid::ForbidList;

use crate::error::{Blocked, block};
use crate::plan::{Piece, Plan};
use crate::source::{self, Source};

/// Bytes a worker holds to copy a stream: one buffer of this size (plus the forbidden
/// scanner's seam of under twice the longest listed string, and the input hasher's buffer of
/// [`GAP_CHUNK`]).
pub const CHUNK: usize = 1 << 20;

/// Buffer for the input bytes the plan does not copy (removed metadata), read to hash them.
pub const GAP_CHUNK: usize = 1 << 16;

/// The output written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    pub len: u64,
    pub blake3: blake3::Hash,
}

/// Why writing a plan stopped.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// The file is blocked (a forbidden string, an input read that failed).
    Blocked(Blocked),
    /// The output could not be written (a run error, not the file's fault).
    Write(io::Error),
}

impl From<Blocked> for StreamError {
    fn from(b: Blocked) -> Self {
        StreamError::Blocked(b)
    }
}

/// Hashes a whole input in order while the writer reads parts of it: the bytes the writer
/// copies in increasing order are hashed as they pass, the gaps (removed metadata) are read
/// separately, bytes copied twice or backwards are hashed once.
pub(crate) struct InputHasher<'a> {
    src: &'a dyn Source,
    cursor: u64,
    hasher: blake3::Hasher,
    gap: Vec<u8>,
}

impl<'a> InputHasher<'a> {
    pub(crate) fn new(src: &'a dyn Source) -> InputHasher<'a> {
        InputHasher {
            src,
            cursor: 0,
            hasher: blake3::Hasher::new(),
            gap: Vec::new(),
        }
    }

    fn fill_to(&mut self, to: u64) -> Result<(), Blocked> {
        if self.gap.is_empty() && self.cursor < to {
            self.gap = vec![0u8; GAP_CHUNK];
        }
        while self.cursor < to {
            let n = usize::try_from(to - self.cursor)
                .unwrap_or(GAP_CHUNK)
                .min(GAP_CHUNK);
            let buf = self.gap.get_mut(..n).unwrap_or_default();
            source::read_into(self.src, self.cursor, buf)?;
            self.hasher.update(buf);
            self.cursor += n as u64;
        }
        Ok(())
    }

    /// The writer read `bytes` at input offset `offset`.
    fn saw(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Blocked> {
        let end = offset + bytes.len() as u64;
        if end <= self.cursor {
            return Ok(());
        }
        if offset > self.cursor {
            self.fill_to(offset)?;
        }
        let skip = usize::try_from(self.cursor - offset).unwrap_or(usize::MAX);
        self.hasher.update(bytes.get(skip..).unwrap_or_default());
        self.cursor = end;
        Ok(())
    }

    /// Hashes what is left and returns the input's BLAKE3.
    pub(crate) fn finish(mut self) -> Result<blake3::Hash, Blocked> {
        self.fill_to(self.src.len())?;
        Ok(self.hasher.finalize())
    }
}

struct Sink<'w, 'f> {
    out: &'w mut dyn Write,
    hasher: blake3::Hasher,
    scanner: saebaram_forbid::Scanner<'f>,
    len: u64,
}

impl Sink<'_, '_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        if let Some(hit) = self.scanner.feed(bytes) {
            return Err(StreamError::Blocked(block!(
                "forbidden: {hit} found in the output (near byte {})",
                self.len
            )));
        }
        self.hasher.update(bytes);
        self.out.write_all(bytes).map_err(StreamError::Write)?;
        self.len += bytes.len() as u64;
        Ok(())
    }
}

/// Streams `plan` (whose copies read `src`) into `out`. Nothing is buffered beyond one
/// [`CHUNK`]; a forbidden string stops the write at once (the caller discards the partial
/// output). `input`, when given, is fed the copied bytes (see [`InputHasher`]).
pub(crate) fn write_plan(
    src: &dyn Source,
    plan: &Plan,
    forbidden: &ForbidList,
    out: &mut dyn Write,
    mut input: Option<&mut InputHasher<'_>>,
) -> Result<Written, StreamError> {
    plan.check(src.len())?;
    let mut sink = Sink {
        out,
        hasher: blake3::Hasher::new(),
        scanner: forbidden.scanner(),
        len: 0,
    };
    let mut buf: Vec<u8> = Vec::new();
    for piece in plan.pieces() {
        match piece {
            Piece::Bytes(b) => sink.put(b)?,
            Piece::Zeros { len } => {
                let zeros = [0u8; 1 << 16];
                let mut left = *len;
                while left > 0 {
                    let n = usize::try_from(left)
                        .unwrap_or(zeros.len())
                        .min(zeros.len());
                    sink.put(zeros.get(..n).unwrap_or_default())?;
                    left -= n as u64;
                }
            }
            Piece::Copy { offset, len } => {
                if buf.is_empty() {
                    buf = vec![0u8; CHUNK];
                }
                let mut done = 0u64;
                while done < *len {
                    let n = usize::try_from(len - done).unwrap_or(CHUNK).min(CHUNK);
                    let chunk = buf.get_mut(..n).unwrap_or_default();
                    source::read_into(src, offset + done, chunk)?;
                    if let Some(h) = input.as_deref_mut() {
                        h.saw(offset + done, chunk)?;
                    }
                    sink.put(chunk)?;
                    done += n as u64;
                }
            }
        }
    }
    sink.out.flush().map_err(StreamError::Write)?;
    Ok(Written {
        len: sink.len,
        blake3: sink.hasher.finalize(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_hash_and_input_hash_are_of_the_right_bytes() {
        let input: Vec<u8> = (0..(3 * CHUNK + 17)).map(|i| (i % 251) as u8).collect();
        let src: &[u8] = &input;
        let mut plan = Plan::new();
        plan.copy(0, 100);
        plan.bytes(b"NEW".to_vec());
        plan.copy(200, (2 * CHUNK) as u64);
        plan.copy(50, 10); // backwards: hashed once in the input
        let mut out = Vec::new();
        let mut ih = InputHasher::new(&src);
        let w = write_plan(&src, &plan, &ForbidList::default(), &mut out, Some(&mut ih)).unwrap();
        assert_eq!(out, plan.materialize(&src, u64::MAX).unwrap());
        assert_eq!(w.len, out.len() as u64);
        assert_eq!(w.blake3, blake3::hash(&out));
        assert_eq!(ih.finish().unwrap(), blake3::hash(&input));
    }

    #[test]
    fn forbidden_string_across_a_piece_boundary_blocks() {
        let input = b"...Kim Ch".to_vec();
        let src: &[u8] = &input;
        let mut plan = Plan::new();
        plan.copy(3, 6);
        plan.bytes(b"ol Secret".to_vec());
        let list = ForbidList::parse("kim chol").unwrap();
        let mut out = Vec::new();
        match write_plan(&src, &plan, &list, &mut out, None) {
            Err(StreamError::Blocked(b)) => {
                assert!(b.0.contains("line 1"), "{b}");
                assert!(!b.0.to_lowercase().contains("kim"), "{b}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_plan_past_the_input_is_refused_before_writing() {
        let src: &[u8] = b"abc";
        let mut plan = Plan::new();
        plan.copy(1, 5);
        let mut out = Vec::new();
        assert!(matches!(
            write_plan(&src, &plan, &ForbidList::default(), &mut out, None),
            Err(StreamError::Blocked(_))
        ));
        assert!(out.is_empty());
    }
}
