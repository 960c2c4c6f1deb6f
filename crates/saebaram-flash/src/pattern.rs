//! Salted probe blocks: content derived from a secret salt and the block's own offset,
//! so a read tells whether the block holds its own data, another block's data
//! (address aliasing) or something else (lost writes, garbage).

/// Size of one probe block (bytes). Probes are written and read in whole blocks.
pub const PROBE_BLOCK: usize = 4096;

/// What a probe block read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockState {
    /// The data written at this very offset.
    Own,
    /// The data written at another offset: the two addresses share storage.
    Other(u64),
    /// Anything else (zeros, stale data, garbage, bit errors).
    Foreign,
}

/// The salted pattern of one run.
#[derive(Clone)]
pub struct Pattern {
    key: [u8; 32],
}

impl Pattern {
    /// A pattern keyed by `salt` (random per run, so a drive cannot have it by chance
    /// and a fake cannot recognise it).
    pub fn new(salt: [u8; 32]) -> Self {
        Self { key: salt }
    }

    /// Fills `buf` (a multiple of [`PROBE_BLOCK`]) with the blocks that belong at
    /// `offset`, `offset + PROBE_BLOCK`, ...
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        for (i, block) in buf.chunks_mut(PROBE_BLOCK).enumerate() {
            let at = offset + (i * PROBE_BLOCK) as u64;
            self.fill_one(at, block);
        }
    }

    fn fill_one(&self, offset: u64, block: &mut [u8]) {
        let (head, body) = block.split_at_mut(8.min(block.len()));
        head.copy_from_slice(&offset.to_le_bytes()[..head.len()]);
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(&offset.to_le_bytes());
        hasher.finalize_xof().fill(body);
    }

    /// Classifies one block read back from `offset`.
    pub fn identify(&self, offset: u64, block: &[u8]) -> BlockState {
        if block.len() < 16 {
            return BlockState::Foreign;
        }
        let mut head = [0u8; 8];
        head.copy_from_slice(&block[..8]);
        let claimed = u64::from_le_bytes(head);
        if !claimed.is_multiple_of(PROBE_BLOCK as u64) {
            return BlockState::Foreign;
        }
        let mut expected = vec![0u8; block.len()];
        self.fill_one(claimed, &mut expected);
        if expected != block {
            return BlockState::Foreign;
        }
        if claimed == offset {
            BlockState::Own
        } else {
            BlockState::Other(claimed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_identify_themselves_and_aliases() {
        let p = Pattern::new([7; 32]);
        let mut buf = vec![0u8; 3 * PROBE_BLOCK];
        p.fill(8192, &mut buf);
        assert_eq!(p.identify(8192, &buf[..PROBE_BLOCK]), BlockState::Own);
        assert_eq!(
            p.identify(0, &buf[PROBE_BLOCK..2 * PROBE_BLOCK]),
            BlockState::Other(12288)
        );
        assert_eq!(p.identify(0, &vec![0u8; PROBE_BLOCK]), BlockState::Foreign);
        let mut flipped = buf[..PROBE_BLOCK].to_vec();
        flipped[100] ^= 1;
        assert_eq!(p.identify(8192, &flipped), BlockState::Foreign);
        let other_salt = Pattern::new([8; 32]);
        assert_eq!(
            other_salt.identify(8192, &buf[..PROBE_BLOCK]),
            BlockState::Foreign
        );
    }
}
