//! A bound on bytes of decoded pixels in flight, so peak memory does not grow with the pool or batch.

use std::sync::{Condvar, Mutex};

pub(crate) struct MemoryBudget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

pub(crate) struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit: limit.max(1),
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits until `bytes` fit (a request larger than the whole budget waits for an empty budget and
    /// then runs alone).
    pub(crate) fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let bytes = bytes.min(self.limit);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used + bytes > self.limit {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Reservation { budget: self, bytes }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_wait_for_room() {
        let budget = MemoryBudget::new(100);
        let peak = Mutex::new(0u64);
        let current = Mutex::new(0u64);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _r = budget.reserve(40);
                    let now = {
                        let mut c = current.lock().unwrap();
                        *c += 40;
                        *c
                    };
                    let mut p = peak.lock().unwrap();
                    *p = (*p).max(now);
                    drop(p);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    *current.lock().unwrap() -= 40;
                });
            }
        });
        assert!(*peak.lock().unwrap() <= 80);
        // Larger than the budget: still runs, alone.
        drop(budget.reserve(1000));
    }
}
