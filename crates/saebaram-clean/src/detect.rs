//! What format detection sees of a file: its first bytes, its extension and its length.
//! The table of formats is [`crate::formats::FORMATS`].

/// How many bytes from the start of a file detection reads.
pub(crate) const HEAD_LEN: usize = 4096;

/// The facts a format's `sniff` decides on.
pub(crate) struct Sniff<'a> {
    /// The first [`HEAD_LEN`] bytes (fewer for a shorter file).
    pub head: &'a [u8],
    /// The lowercase extension of the name, without the dot (empty when none).
    pub ext: &'a str,
    /// The length of the whole input.
    #[allow(dead_code)] // for formats whose signature alone is too weak
    pub len: u64,
}

impl Sniff<'_> {
    /// True when the head holds `magic` at byte `at`.
    pub(crate) fn at(&self, at: usize, magic: &[u8]) -> bool {
        at.checked_add(magic.len())
            .and_then(|end| self.head.get(at..end))
            == Some(magic)
    }
}

/// The lowercase extension of the last component of `name`.
pub(crate) fn extension(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Plausible MPEG audio frame header at `d[0..4]`.
pub(crate) fn is_mpeg_audio_frame(d: &[u8]) -> bool {
    match d.get(..4) {
        Some(&[0xFF, b1, b2, _]) => {
            b1 & 0xE0 == 0xE0
                && (b1 >> 3) & 3 != 1
                && (b1 >> 1) & 3 != 0
                && b2 >> 4 != 15
                && (b2 >> 2) & 3 != 3
        }
        _ => false,
    }
}
