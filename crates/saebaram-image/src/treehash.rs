//! BLAKE3 of a whole image whose tail is zeros, without making the writer wait for it.
//!
//! BLAKE3 is a tree of 1 KiB chunks. The image is split along that tree into subtrees that
//! hold written data (hashed in order as the writer streams) and subtrees that lie wholly in
//! the zero tail (free clusters). The zero subtrees are hashed on a background thread from
//! the moment the plan is known, so a 16 GB image with 1 GB of content costs the writer about
//! what a 1 GB image does. The chaining values are then merged exactly as BLAKE3 would; the
//! result equals `blake3::hash` of the whole image (tested below on many shapes).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use blake3::hazmat::{
    ChainingValue, HasherExt, Mode, left_subtree_len, merge_subtrees_non_root, merge_subtrees_root,
};

const CHUNK: u64 = blake3::CHUNK_LEN as u64;

/// Chaining values of subtrees, by (offset, length).
type SubtreeCvs = Vec<((u64, u64), ChainingValue)>;

/// Splits `[off, off+len)` along the BLAKE3 tree: subtrees ending at or before `data_end`
/// go to `data`, subtrees starting at or after it to `zero`, straddlers are split further
/// (a straddling single chunk counts as data).
fn split(
    off: u64,
    len: u64,
    data_end: u64,
    data: &mut Vec<(u64, u64)>,
    zero: &mut Vec<(u64, u64)>,
) {
    if off >= data_end {
        zero.push((off, len));
    } else if off + len <= data_end || len <= CHUNK {
        data.push((off, len));
    } else {
        let left = left_subtree_len(len);
        split(off, left, data_end, data, zero);
        split(off + left, len - left, data_end, data, zero);
    }
}

fn subtree_hasher(off: u64) -> blake3::Hasher {
    let mut h = blake3::Hasher::new();
    if off > 0 {
        h.set_input_offset(off);
    }
    h
}

/// Hashes an image of `total` bytes whose bytes from `data_end` on are all zero.
pub struct ImageHasher {
    total: u64,
    data: Vec<(u64, u64)>,
    zero: Vec<(u64, u64)>,
    idx: usize,
    cur: blake3::Hasher,
    left_in_cur: u64,
    pos: u64,
    cvs: HashMap<(u64, u64), ChainingValue>,
    background: Option<JoinHandle<SubtreeCvs>>,
    /// Set when the hasher is dropped unfinished (a failed pack): the background stops.
    cancel: Arc<AtomicBool>,
}

impl Drop for ImageHasher {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl ImageHasher {
    /// Starts hashing the zero tail in the background.
    pub fn new(total: u64, data_end: u64) -> Self {
        let (mut data, mut zero) = (Vec::new(), Vec::new());
        if total > 0 {
            split(0, total, data_end.max(1), &mut data, &mut zero);
        }
        let jobs = zero.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&cancel);
        let background = (!jobs.is_empty()).then(|| {
            std::thread::spawn(move || {
                let zeros = vec![0u8; 16 << 20];
                jobs.into_iter()
                    .map(|(off, len)| {
                        let mut h = subtree_hasher(off);
                        let mut left = len;
                        while left > 0 && !stop.load(Ordering::Relaxed) {
                            let n = left.min(zeros.len() as u64) as usize;
                            h.update_rayon(&zeros[..n]);
                            left -= n as u64;
                        }
                        ((off, len), h.finalize_non_root())
                    })
                    .collect()
            })
        });
        let first = data.first().map(|d| d.1).unwrap_or(0);
        Self {
            total,
            data,
            zero,
            idx: 0,
            cur: blake3::Hasher::new(),
            left_in_cur: first,
            pos: 0,
            cvs: HashMap::new(),
            background,
            cancel,
        }
    }

    /// Where the data subtrees end: bytes past this are hashed in the background.
    pub fn streamed_end(&self) -> u64 {
        self.data.last().map(|d| d.0 + d.1).unwrap_or(0)
    }

    /// Feeds the next bytes of the image (in order, up to [`Self::streamed_end`]).
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && self.idx < self.data.len() {
            let n = (bytes.len() as u64).min(self.left_in_cur) as usize;
            if n >= 1 << 20 {
                self.cur.update_rayon(&bytes[..n]);
            } else {
                self.cur.update(&bytes[..n]);
            }
            bytes = &bytes[n..];
            self.pos += n as u64;
            self.left_in_cur -= n as u64;
            if self.left_in_cur == 0 {
                let (off, len) = self.data[self.idx];
                if !(off == 0 && len == self.total) {
                    let cv = self.cur.finalize_non_root();
                    self.cvs.insert((off, len), cv);
                }
                self.idx += 1;
                if let Some(&(off, len)) = self.data.get(self.idx) {
                    self.cur = subtree_hasher(off);
                    self.left_in_cur = len;
                }
            }
        }
    }

    /// Feeds zeros up to image offset `pos` (no-op past [`Self::streamed_end`]).
    pub fn zeros_until(&mut self, pos: u64, zeros: &[u8]) {
        let target = pos.min(self.streamed_end());
        while self.pos < target {
            let n = (target - self.pos).min(zeros.len() as u64) as usize;
            self.update(&zeros[..n]);
        }
    }

    /// The BLAKE3 of the whole image (after every data byte was fed).
    pub fn finalize(mut self) -> blake3::Hash {
        if self.data.len() == 1 && self.zero.is_empty() {
            return self.cur.finalize();
        }
        if let Some(bg) = self.background.take() {
            // A panic in the background thread is a bug; hashing zeros cannot fail.
            if let Ok(list) = bg.join() {
                self.cvs.extend(list);
            }
        }
        let left = left_subtree_len(self.total);
        let l = self.cv(0, left);
        let r = self.cv(left, self.total - left);
        merge_subtrees_root(&l, &r, Mode::Hash)
    }

    fn cv(&self, off: u64, len: u64) -> ChainingValue {
        if let Some(cv) = self.cvs.get(&(off, len)) {
            return *cv;
        }
        let left = left_subtree_len(len);
        let l = self.cv(off, left);
        let r = self.cv(off + left, len - left);
        merge_subtrees_non_root(&l, &r, Mode::Hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_plain_blake3_for_many_shapes() {
        let zeros = vec![0u8; 4096];
        for total in [
            1u64,
            1023,
            1024,
            1025,
            4096,
            5000,
            65_536,
            100_001,
            1 << 20,
            3 << 20,
        ] {
            for data_end in [
                1u64,
                7,
                1024,
                1500,
                4096,
                50_000,
                total / 2,
                total - 1,
                total,
            ] {
                if data_end == 0 || data_end > total {
                    continue;
                }
                let mut img: Vec<u8> = (0..total).map(|i| (i * 7 + 1) as u8).collect();
                for b in &mut img[data_end as usize..] {
                    *b = 0;
                }
                let mut h = ImageHasher::new(total, data_end);
                // Feed in odd pieces, with a zero gap hashed by zeros_until.
                let gap = data_end / 3;
                h.update(&img[..gap as usize / 2]);
                for b in &mut img[gap as usize / 2..gap as usize] {
                    *b = 0;
                }
                h.zeros_until(gap, &zeros);
                let mut at = gap as usize;
                while at < data_end as usize {
                    let n = 777.min(data_end as usize - at);
                    h.update(&img[at..at + n]);
                    at += n;
                }
                h.zeros_until(total, &zeros);
                assert_eq!(
                    h.finalize(),
                    blake3::hash(&img),
                    "total {total} data_end {data_end}"
                );
            }
        }
    }
}
