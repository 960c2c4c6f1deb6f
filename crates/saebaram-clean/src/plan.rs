//! What a format cleaner returns: the output as a list of pieces, input bytes copied verbatim
//! ([`Piece::Copy`]) and new bytes ([`Piece::Bytes`]). The writer (`stream.rs`) streams it
//! through a bounded buffer, so "the content bytes are unchanged" is structural: a video
//! stream is a `Copy` the cleaner never even read.

use crate::error::{Blocked, block};
use crate::source::Source;

/// One piece of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// `len` input bytes starting at `offset`, copied as they are.
    Copy { offset: u64, len: u64 },
    /// New bytes (a rewritten header, a whole rebuilt small file).
    Bytes(Vec<u8>),
    /// `len` zero bytes (the payload of a box or chunk turned into padding, of any size,
    /// without holding it in memory).
    Zeros { len: u64 },
}

/// An in-place edit of input bytes (see [`Plan::copy_edited`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// New bytes, replacing as many.
    Bytes(Vec<u8>),
    /// Zeros, replacing this many bytes (padding of any size, not held in memory).
    Zeros(u64),
}

impl Edit {
    fn len(&self) -> u64 {
        match self {
            Edit::Bytes(b) => b.len() as u64,
            Edit::Zeros(n) => *n,
        }
    }
}

/// The output of a cleaner, piece by piece. Empty pieces are never stored, adjacent copies
/// are merged, so an unchanged input is exactly one `Copy` of the whole input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pieces: Vec<Piece>,
}

impl Plan {
    /// An empty output.
    pub(crate) fn new() -> Plan {
        Plan::default()
    }

    /// The input as it is.
    pub(crate) fn unchanged(src: &dyn Source) -> Plan {
        let mut p = Plan::new();
        p.copy(0, src.len());
        p
    }

    /// A plan for a whole-parse cleaner that produced `out` from the in-memory `input`:
    /// unchanged when they are equal.
    pub(crate) fn from_output(input: &[u8], out: Vec<u8>) -> Plan {
        let mut p = Plan::new();
        if out == input {
            p.copy(0, input.len() as u64);
        } else {
            p.bytes(out);
        }
        p
    }

    /// A plan for a cleaner that built `out` without holding the input: unchanged when `out`
    /// is byte-for-byte the input (compared chunk by chunk).
    pub(crate) fn from_new_bytes(src: &dyn Source, out: Vec<u8>) -> Result<Plan, Blocked> {
        if out.len() as u64 == src.len() {
            let mut buf = vec![0u8; 1 << 16];
            let mut same = true;
            for (i, want) in out.chunks(buf.len()).enumerate() {
                let got = buf.get_mut(..want.len()).unwrap_or_default();
                crate::source::read_into(src, (i * (1 << 16)) as u64, got)?;
                if got != want {
                    same = false;
                    break;
                }
            }
            if same {
                return Ok(Plan::unchanged(src));
            }
        }
        let mut p = Plan::new();
        p.bytes(out);
        Ok(p)
    }

    /// Appends a copy of input bytes `offset..offset+len`.
    pub(crate) fn copy(&mut self, offset: u64, len: u64) {
        if len == 0 {
            return;
        }
        if let Some(Piece::Copy { offset: o, len: l }) = self.pieces.last_mut()
            && o.checked_add(*l) == Some(offset)
        {
            *l += len;
            return;
        }
        self.pieces.push(Piece::Copy { offset, len });
    }

    /// Appends new bytes.
    pub(crate) fn bytes(&mut self, bytes: Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Piece::Bytes(b)) = self.pieces.last_mut()
            && b.len() + bytes.len() <= 1 << 16
        {
            b.extend_from_slice(&bytes);
            return;
        }
        self.pieces.push(Piece::Bytes(bytes));
    }

    /// Appends `len` zero bytes.
    pub(crate) fn zeros(&mut self, len: u64) {
        if len == 0 {
            return;
        }
        if let Some(Piece::Zeros { len: l }) = self.pieces.last_mut() {
            *l += len;
            return;
        }
        self.pieces.push(Piece::Zeros { len });
    }

    /// The input of length `src_len` with byte ranges replaced in place: each patch is
    /// (offset, new bytes of the same length as the bytes they replace). Patches may come in
    /// any order but must not overlap or run past the end.
    #[allow(dead_code)] // the interface for in-place formats (TIFF, HEIF...); tests use it
    pub(crate) fn patched(src_len: u64, patches: Vec<(u64, Vec<u8>)>) -> Result<Plan, Blocked> {
        let mut plan = Plan::new();
        plan.copy_patched(0, src_len, patches)?;
        Ok(plan)
    }

    /// Appends input bytes `base..base+len` with patches (offsets relative to `base`, same
    /// rules as [`Plan::patched`]): for a header or table read into memory and edited there.
    pub(crate) fn copy_patched(
        &mut self,
        base: u64,
        len: u64,
        patches: Vec<(u64, Vec<u8>)>,
    ) -> Result<(), Blocked> {
        self.copy_edited(
            base,
            len,
            patches
                .into_iter()
                .map(|(at, b)| (at, Edit::Bytes(b)))
                .collect(),
        )
    }

    /// Appends input bytes `base..base+len` with in-place edits (offsets relative to
    /// `base`), each replacing as many bytes as it holds. Edits must not overlap or run
    /// past the region.
    pub(crate) fn copy_edited(
        &mut self,
        base: u64,
        len: u64,
        mut edits: Vec<(u64, Edit)>,
    ) -> Result<(), Blocked> {
        edits.sort_by_key(|(at, _)| *at);
        let mut pos = 0u64;
        for (at, edit) in edits {
            if at < pos {
                return Err(block!(
                    CannotClean,
                    "internal: overlapping edits at byte {}",
                    base + at
                ));
            }
            let end = at
                .checked_add(edit.len())
                .filter(|&e| e <= len)
                .ok_or_else(|| {
                    block!(
                        CannotClean,
                        "internal: edit at byte {} runs past its region",
                        base + at
                    )
                })?;
            self.copy(base + pos, at - pos);
            match edit {
                Edit::Bytes(b) => self.bytes(b),
                Edit::Zeros(n) => self.zeros(n),
            }
            pos = end;
        }
        self.copy(base + pos, len - pos);
        Ok(())
    }

    /// The same plan for an input that starts `by` bytes later (a format cleaned inside a
    /// window of its file, e.g. FLAC after an ID3v2 tag).
    pub(crate) fn shifted(self, by: u64) -> Plan {
        let mut p = Plan::new();
        for piece in self.pieces {
            match piece {
                Piece::Copy { offset, len } => p.copy(offset.saturating_add(by), len),
                Piece::Bytes(b) => p.bytes(b),
                Piece::Zeros { len } => p.zeros(len),
            }
        }
        p
    }

    /// The pieces, in output order.
    pub(crate) fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Output length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Copy { len, .. } | Piece::Zeros { len } => *len,
                Piece::Bytes(b) => b.len() as u64,
            })
            .sum()
    }

    /// True when the output is the whole input of length `src_len`, unchanged.
    pub(crate) fn is_unchanged(&self, src_len: u64) -> bool {
        match self.pieces.as_slice() {
            [Piece::Copy { offset: 0, len }] => *len == src_len,
            [] => src_len == 0,
            _ => false,
        }
    }

    /// Checks every copy lies inside an input of length `src_len` (a cleaner bug must not
    /// become a short or garbage output).
    pub(crate) fn check(&self, src_len: u64) -> Result<(), Blocked> {
        for p in &self.pieces {
            if let Piece::Copy { offset, len } = p
                && offset.checked_add(*len).is_none_or(|e| e > src_len)
            {
                return Err(block!(
                    CannotClean,
                    "internal: the cleaner planned bytes {offset}..+{len} of a {src_len}-byte input"
                ));
            }
        }
        Ok(())
    }

    /// The output as one buffer (container members, tests). Blocks over `cap` bytes.
    pub(crate) fn materialize(&self, src: &dyn Source, cap: u64) -> Result<Vec<u8>, Blocked> {
        self.check(src.len())?;
        let len = self.len();
        if len > cap {
            return Err(block!(
                TooLarge,
                "output of {len} bytes is over the {cap}-byte limit"
            ));
        }
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        for p in &self.pieces {
            match p {
                Piece::Copy { offset, len } => {
                    let start = out.len();
                    out.resize(start + usize::try_from(*len).unwrap_or(0), 0);
                    crate::source::read_into(
                        src,
                        *offset,
                        out.get_mut(start..).unwrap_or_default(),
                    )?;
                }
                Piece::Bytes(b) => out.extend_from_slice(b),
                Piece::Zeros { len } => {
                    out.resize(out.len() + usize::try_from(*len).unwrap_or(0), 0)
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_merge_and_unchanged_is_one_copy() {
        let input: &[u8] = b"hello world";
        let mut p = Plan::new();
        p.copy(0, 5);
        p.copy(5, 6);
        assert!(p.is_unchanged(11));
        assert_eq!(Plan::unchanged(&input), p);
        assert!(Plan::from_output(input, input.to_vec()).is_unchanged(11));
        assert!(!Plan::from_output(input, b"hello".to_vec()).is_unchanged(11));
    }

    #[test]
    fn zeros_merge_and_count() {
        let mut p = Plan::new();
        p.zeros(3);
        p.zeros(2);
        p.copy(0, 1);
        assert_eq!(p.pieces().len(), 2);
        assert_eq!(p.materialize(&b"x".as_slice(), 10).unwrap(), b"\0\0\0\0\0x");
    }

    #[test]
    fn patches_replace_in_place() {
        let input: &[u8] = b"0123456789";
        let plan = Plan::patched(10, vec![(7, b"xx".to_vec()), (1, b"ab".to_vec())]).unwrap();
        assert_eq!(plan.materialize(&input, 100).unwrap(), b"0ab3456xx9");
        assert_eq!(plan.len(), 10);
        assert!(Plan::patched(10, vec![(1, b"ab".to_vec()), (2, b"c".to_vec())]).is_err());
        assert!(Plan::patched(10, vec![(9, b"ab".to_vec())]).is_err());
        assert!(Plan::patched(10, vec![]).unwrap().is_unchanged(10));
    }

    #[test]
    fn out_of_range_copies_are_refused() {
        let mut p = Plan::new();
        p.copy(8, 5);
        assert!(p.check(10).is_err());
        assert!(p.materialize(&b"0123456789".as_slice(), 100).is_err());
        let mut p = Plan::new();
        p.copy(u64::MAX, 2);
        assert!(p.check(10).is_err());
    }
}
