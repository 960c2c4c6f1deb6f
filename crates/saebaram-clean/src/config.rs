//! What a clean run may do, and its safety limits.

use crate::forbid::Forbidden;

/// Settings of a clean run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Strings that must not appear in any output (blocks the file).
    pub forbidden: Forbidden,
    /// Keep ICC colour profiles (JPEG APP2, PNG iCCP, WebP ICCP). Default: true, because
    /// dropping them changes how colours display; a profile can name the device maker.
    pub keep_icc: bool,
    /// Largest input file cleaned (read into memory); bigger files are blocked.
    pub max_file_size: u64,
    /// Largest total decompressed size of a zip container (zip-bomb limit).
    pub max_zip_total: u64,
    /// Largest ratio decompressed/compressed of one zip member (zip-bomb limit).
    pub max_zip_ratio: u64,
    /// Most members in one zip container.
    pub max_zip_entries: usize,
    /// Deepest nesting of containers (a picture in a DOCX is depth 1).
    pub max_depth: u32,
    /// Number of worker threads (None: one per CPU).
    pub threads: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            forbidden: Forbidden::default(),
            keep_icc: true,
            max_file_size: 2 << 30,
            max_zip_total: 1 << 30,
            max_zip_ratio: 200,
            max_zip_entries: 20_000,
            max_depth: 3,
            threads: None,
        }
    }
}
