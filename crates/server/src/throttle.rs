//! Login throttling: after too many failed logins for one username, further attempts for
//! it are refused (429) until the oldest failure leaves the window.
//!
//! Keyed by the submitted username (lower-cased), known or not, so the answer reveals
//! nothing about which accounts exist. Time is passed in. Logins are rare, so one mutex
//! over a small map is fine; the map is bounded so a flood of made-up names cannot grow
//! it without limit.

use crate::api::validate::MAX_USERNAME_CHARS;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per username within [`WINDOW`].
pub const MAX_FAILURES: usize = 10;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most usernames tracked at once; beyond it, expired entries are dropped first and then
/// the oldest one.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// `Err(wait)` if `username` is locked at `now`.
    pub fn check(&self, username: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(&key(username)) else {
            return Ok(());
        };
        prune(times, now);
        if times.len() >= MAX_FAILURES {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((oldest + WINDOW)
                .saturating_duration_since(now)
                .max(Duration::from_secs(1)));
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(&key(username)) {
            map.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
            if map.len() >= MAX_TRACKED {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(name, _)| name.clone());
                if let Some(name) = oldest {
                    map.remove(&name);
                }
            }
        }
        let times = map.entry(key(username)).or_default();
        prune(times, now);
        times.push_back(now);
        // Only the newest MAX_FAILURES matter for the decision.
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&key(username));
    }
}

/// The map key of a submitted username. Only the first `MAX_USERNAME_CHARS + 1`
/// characters count: that keeps every real account name distinct (none is longer) while a
/// flood of huge made-up names (bodies may be 64 KiB) cannot pin that much memory per entry.
fn key(username: &str) -> String {
    let cut: String = username.chars().take(MAX_USERNAME_CHARS + 1).collect();
    cut.to_lowercase()
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_after_the_window() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(throttle.check("Alice", t0).is_ok(), "attempt {i}");
            throttle.record_failure("alice", t0 + Duration::from_secs(i as u64));
        }
        let wait = throttle
            .check("ALICE", t0 + Duration::from_secs(60))
            .unwrap_err();
        assert_eq!(wait, WINDOW - Duration::from_secs(60));
        assert!(throttle.check("bob", t0).is_ok(), "others unaffected");
        // The first failure ages out: one more attempt is allowed.
        assert!(throttle.check("alice", t0 + WINDOW).is_ok());
        throttle.record_success("alice");
        assert!(
            throttle
                .check("alice", t0 + Duration::from_secs(61))
                .is_ok()
        );
    }

    #[test]
    fn huge_names_are_cut() {
        let throttle = LoginThrottle::default();
        let huge = "x".repeat(60_000);
        throttle.record_failure(&huge, Instant::now());
        let map = throttle.failures.lock().unwrap();
        assert!(map.keys().all(|k| k.len() <= MAX_USERNAME_CHARS + 1));
    }

    #[test]
    fn stays_bounded() {
        let throttle = LoginThrottle::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED + 50) {
            throttle.record_failure(&format!("user{i}"), t0);
        }
        let len = throttle.failures.lock().unwrap().len();
        assert!(len <= MAX_TRACKED, "{len}");
    }
}
