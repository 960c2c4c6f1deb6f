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

/// Size of one copy buffer; a worker holds `IN_FLIGHT + 1` of them (plus the forbidden
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

/// Buffers in flight between the reader and the writer thread of one file.
pub(crate) const IN_FLIGHT: usize = 2;

/// The reading side: fills buffers, scans and hashes them, hands them to the writer thread.
struct Sink<'f> {
    hasher: blake3::Hasher,
    scanner: saebaram_forbid::Scanner<'f>,
    len: u64,
    current: Vec<u8>,
    to_writer: std::sync::mpsc::SyncSender<Vec<u8>>,
    recycled: std::sync::mpsc::Receiver<Vec<u8>>,
    allocated: usize,
}

impl Sink<'_> {
    /// Scans and hashes `bytes`, which are about to be output.
    fn check(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        if let Some(hit) = self.scanner.feed(bytes) {
            return Err(StreamError::Blocked(block!(
                Forbidden,
                "forbidden: {hit} found in the output (near byte {})",
                self.len
            )));
        }
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// An empty buffer of [`CHUNK`] capacity: a recycled one, or a new one while fewer than
    /// `IN_FLIGHT + 1` exist.
    fn fresh(&mut self) -> Result<Vec<u8>, StreamError> {
        if self.allocated <= IN_FLIGHT {
            self.allocated += 1;
            return Ok(Vec::with_capacity(CHUNK));
        }
        self.recycled.recv().map_err(|_| writer_gone())
    }

    /// Sends the current buffer to the writer.
    fn send(&mut self) -> Result<(), StreamError> {
        if self.current.is_empty() {
            return Ok(());
        }
        let next = self.fresh()?;
        let full = std::mem::replace(&mut self.current, next);
        self.to_writer.send(full).map_err(|_| writer_gone())
    }

    /// Outputs new bytes.
    fn put(&mut self, mut bytes: &[u8]) -> Result<(), StreamError> {
        self.check(bytes)?;
        while !bytes.is_empty() {
            let room = CHUNK - self.current.len();
            if room == 0 {
                self.send()?;
                continue;
            }
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.current.extend_from_slice(now);
            bytes = later;
        }
        Ok(())
    }

    /// Outputs `len` input bytes from `offset`, read straight into the buffers.
    fn copy(
        &mut self,
        src: &dyn Source,
        offset: u64,
        len: u64,
        input: &mut Option<&mut InputHasher<'_>>,
    ) -> Result<(), StreamError> {
        let mut done = 0u64;
        while done < len {
            let room = CHUNK - self.current.len();
            if room == 0 {
                self.send()?;
                continue;
            }
            let n = usize::try_from(len - done).unwrap_or(room).min(room);
            let mut buf = std::mem::take(&mut self.current);
            let start = buf.len();
            buf.resize(start + n, 0);
            let chunk = buf.get_mut(start..).unwrap_or_default();
            let read = source::read_into(src, offset + done, chunk).and_then(|()| match input {
                Some(h) => h.saw(offset + done, chunk),
                None => Ok(()),
            });
            let checked = read
                .map_err(StreamError::Blocked)
                .and_then(|()| self.check(buf.get(start..).unwrap_or_default()));
            self.current = buf;
            checked?;
            done += n as u64;
        }
        Ok(())
    }
}

fn writer_gone() -> StreamError {
    StreamError::Write(io::Error::other("the output writer stopped"))
}

/// Streams `plan` (whose copies read `src`) into `out`. The reading, scanning and hashing
/// run on this thread while a second thread writes, through [`IN_FLIGHT`] + 1 buffers of
/// [`CHUNK`] bytes; a forbidden string stops the write at once (the caller discards the
/// partial output). `input`, when given, is fed the copied bytes (see [`InputHasher`]).
pub(crate) fn write_plan(
    src: &dyn Source,
    plan: &Plan,
    forbidden: &ForbidList,
    out: &mut (dyn Write + Send),
    mut input: Option<&mut InputHasher<'_>>,
) -> Result<Written, StreamError> {
    plan.check(src.len())?;
    let (to_writer, from_reader) = std::sync::mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
    let (to_reader, recycled) = std::sync::mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            for mut buf in from_reader {
                out.write_all(&buf)?;
                buf.clear();
                // The reader may have finished and dropped its end: nothing to recycle.
                let _ = to_reader.send(buf);
            }
            out.flush()
        });
        let mut sink = Sink {
            hasher: blake3::Hasher::new(),
            scanner: forbidden.scanner(),
            len: 0,
            current: Vec::new(),
            to_writer,
            recycled,
            allocated: 0,
        };
        let read = (|| -> Result<(), StreamError> {
            sink.current = sink.fresh()?;
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
                    Piece::Copy { offset, len } => sink.copy(src, *offset, *len, &mut input)?,
                }
            }
            sink.send()
        })();
        let Sink {
            hasher,
            len,
            to_writer,
            ..
        } = sink;
        // Closing the channel ends the writer; its error (a full disk) comes first.
        drop(to_writer);
        let wrote = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the output writer panicked")));
        match (read, wrote) {
            (Err(StreamError::Blocked(b)), _) => Err(StreamError::Blocked(b)),
            (_, Err(e)) => Err(StreamError::Write(e)),
            (Err(e), Ok(())) => Err(e),
            (Ok(()), Ok(())) => Ok(Written {
                len,
                blake3: hasher.finalize(),
            }),
        }
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
                assert!(b.reason.contains("line 1"), "{b}");
                assert!(!b.reason.to_lowercase().contains("kim"), "{b}");
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
