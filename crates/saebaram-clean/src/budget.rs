//! The global in-flight memory budget for formats that must be parsed whole (PDF, zip
//! documents, images, HTML...).
//!
//! A whole-parse cleaner reserves an estimate of what it will hold (input, parsed form and
//! output) before it reads anything; a worker whose reservation does not fit waits until
//! others finish. A reservation larger than the whole budget blocks the file with that
//! reason: the outcome depends on the settings only, never on timing. Streaming cleaners
//! (media containers) reserve nothing: they hold one [`crate::stream::CHUNK`]-sized buffer.
//!
//! Only a top-level file waits; a file that already holds a reservation and asks for more
//! gets it at once (possibly over the budget) so two workers can never wait for each other.

use std::sync::{Condvar, Mutex};

use crate::error::{Blocked, block};

/// A pool of bytes shared by the workers of one run.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Bytes held until dropped.
#[derive(Debug)]
pub(crate) struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    pub(crate) fn new(total: u64) -> MemoryBudget {
        MemoryBudget {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Reserves `bytes`, waiting for others to finish when `wait` is true.
    pub(crate) fn reserve(
        &self,
        bytes: u64,
        wait: bool,
        what: &str,
    ) -> Result<Reservation<'_>, Blocked> {
        if bytes > self.total {
            return Err(block!(
                TooLarge,
                "{what} needs about {} MiB of memory to clean, over the memory budget of {} MiB",
                bytes.div_ceil(1 << 20),
                self.total >> 20
            ));
        }
        // A poisoned lock means a worker panicked while holding it; the count is still right.
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while wait && *used + bytes > self.total {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Ok(Reservation {
            budget: self,
            bytes,
        })
    }

    #[cfg(test)]
    fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_budget_blocks_and_drops_release() {
        let b = MemoryBudget::new(100);
        assert!(
            b.reserve(101, true, "PDF")
                .unwrap_err()
                .reason
                .contains("budget")
        );
        let r = b.reserve(60, true, "x").unwrap();
        assert_eq!(b.used(), 60);
        let nested = b.reserve(60, false, "x").unwrap();
        assert_eq!(b.used(), 120);
        drop(nested);
        drop(r);
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn a_waiting_worker_proceeds_when_another_finishes() {
        let b = MemoryBudget::new(100);
        let first = b.reserve(80, true, "a").unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| b.reserve(50, true, "b").map(|_| ()).is_ok());
            std::thread::sleep(std::time::Duration::from_millis(20));
            drop(first);
            assert!(waiter.join().unwrap());
        });
        assert_eq!(b.used(), 0);
    }
}
