//! What a clean run may do, and its safety limits.

use saebaram_forbid::ForbidList;

use crate::exclude::Exclusions;

/// Settings of a clean run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Strings that must not appear in any output (blocks the file).
    pub forbidden: ForbidList,
    /// Keep ICC colour profiles (JPEG APP2, PNG iCCP, WebP ICCP). Default: true, because
    /// dropping them changes how colours display; a profile can name the device maker.
    pub keep_icc: bool,
    /// Memory shared by the formats that must be read whole (PDF, zip documents, images,
    /// HTML...) across all workers; a file needing more than this is blocked. Streamed
    /// formats (media containers) use one small buffer each instead. Peak memory of a run is
    /// about this plus `threads` x [`crate::STREAM_BUFFER_BYTES`] plus the program itself.
    pub memory_budget: u64,
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
    /// Files and folders left out (not read, not written, listed in the report). Not part
    /// of the settings key: changing the list keeps the other files' outputs.
    pub exclude: Exclusions,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            forbidden: ForbidList::default(),
            keep_icc: true,
            memory_budget: 1 << 30,
            max_zip_total: 384 << 20,
            max_zip_ratio: 200,
            max_zip_entries: 20_000,
            max_depth: 3,
            threads: None,
            exclude: Exclusions::default(),
        }
    }
}

impl Config {
    /// A keyed BLAKE3 of every setting that changes an output or a verdict (an incremental
    /// run redoes every file when it differs). Thread count and memory budget only change
    /// timing, or block a file, which is never reused.
    pub(crate) fn settings_key(&self) -> String {
        let mut h = blake3::Hasher::new_derive_key("saebaram clean settings v1");
        h.update(&self.forbidden.digest());
        h.update(&[u8::from(self.keep_icc)]);
        for n in [
            self.max_zip_total,
            self.max_zip_ratio,
            self.max_zip_entries as u64,
            u64::from(self.max_depth),
        ] {
            h.update(&n.to_le_bytes());
        }
        h.finalize().to_hex().to_string()
    }
}
