//! The server's clock for decisions that span minutes to days (login locks, session
//! timeouts). Tests move it forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// Wall-clock time, plus an offset that only tests set.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        let offset = time::Duration::seconds(self.offset_secs.load(Ordering::Relaxed));
        OffsetDateTime::now_utc().saturating_add(offset)
    }

    /// Moves this clock forward by `by` (for tests: the lock period passes without
    /// waiting for it).
    pub fn advance(&self, by: std::time::Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(std::time::Duration::from_secs(3600));
        let after = clock.now();
        assert!(after - before >= time::Duration::seconds(3600));
        assert!(after - before < time::Duration::seconds(3660));
    }
}
