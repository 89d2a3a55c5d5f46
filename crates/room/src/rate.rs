//! Per-participant sliding-window rate limits (chat messages, reactions).

use std::time::{Duration, Instant};

/// At most `N` accepted events within any `window`; the times of the last `N` accepted
/// events are kept in a fixed ring, so checking costs no allocation.
#[derive(Debug)]
pub(crate) struct RateLimit<const N: usize> {
    window: Duration,
    sent: [Option<Instant>; N],
    /// The slot of the oldest accepted event, overwritten by the next one.
    oldest: usize,
}

impl<const N: usize> RateLimit<N> {
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            sent: [None; N],
            oldest: 0,
        }
    }

    /// Whether an event at `now` is allowed; an allowed event is counted.
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        let Some(slot) = self.sent.get_mut(self.oldest) else {
            // N = 0: nothing is ever allowed.
            return false;
        };
        // A `now` earlier than a counted event (a caller's clock going backwards) counts
        // as inside the window rather than panicking or opening the limit.
        if slot.is_some_and(|sent| now.saturating_duration_since(sent) < self.window) {
            return false;
        }
        *slot = Some(now);
        self.oldest = (self.oldest + 1) % N;
        true
    }
}
