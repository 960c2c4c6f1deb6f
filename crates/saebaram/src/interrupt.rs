//! Ctrl-C (SIGINT) and SIGTERM for the long commands (`clean`, `convert`): the first one
//! asks the running job to stop ([`saebaram_jobs::Progress::cancelled`] reads
//! [`requested`]); the job stops within a chunk, removes what it was writing, records what
//! is finished and returns `Cancelled`, and the command exits with [`EXIT`]. A second one
//! ends the process at once (nothing is ever under a final name before it is complete, and
//! the next run removes partial files).

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status after an interrupt (128 + SIGINT, as shells report it).
pub const EXIT: u8 = 130;

/// Installs the handler (once per process; later calls do nothing).
pub fn catch() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT));
        }
    });
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
