//! Burst detection over refused requests: every `access.denied` counts against its source
//! address (IPv6 by /64, like the login lock), and when one source collects
//! [`BURST_THRESHOLD`] denials within [`BURST_WINDOW`] one `access.denied_burst` alert is
//! recorded. A source that keeps going is not alerted again until a whole window has
//! passed since its alert and it has fallen below the threshold, so a steady flood yields
//! one alert, not one per request.
//!
//! The counts live in memory (per replica): they only decide when to raise an alert, not
//! whether to refuse anything. Memory is bounded: at most [`MAX_SOURCES`] sources are
//! tracked, each with at most [`BURST_THRESHOLD`] timestamps; a new source beyond the cap
//! evicts the one whose last denial is oldest.

use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::state::AppState;
use plenum_protocol::DEFAULT_TENANT;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// Denials from one source within [`BURST_WINDOW`] that make a burst.
pub const BURST_THRESHOLD: usize = 20;
/// The sliding window the denials of a burst fall into.
pub const BURST_WINDOW: Duration = Duration::seconds(60);
/// Sources tracked at once.
pub const MAX_SOURCES: usize = 10_000;

/// The recent denials of one source.
#[derive(Debug, Default)]
struct SourceDenials {
    /// The times of the latest denials inside the window, oldest first (at most
    /// [`BURST_THRESHOLD`]).
    times: VecDeque<OffsetDateTime>,
    /// When the current burst was alerted, while it has not ended.
    alerted_at: Option<OffsetDateTime>,
}

/// Denial counts per source.
#[derive(Debug, Default)]
pub struct DenialBursts {
    sources: Mutex<HashMap<String, SourceDenials>>,
}

impl DenialBursts {
    /// Counts one denial of `source` at `now`; `true` when it starts a burst that is to be
    /// alerted.
    pub fn note(&self, source: &str, now: OffsetDateTime) -> bool {
        // A poisoned lock only means another request panicked mid-count; the counts are
        // still usable.
        let mut sources = self
            .sources
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !sources.contains_key(source) && sources.len() >= MAX_SOURCES {
            evict_stalest(&mut sources);
        }
        let entry = sources.entry(source.to_owned()).or_default();
        let window_start = now - BURST_WINDOW;
        while entry.times.front().is_some_and(|t| *t <= window_start) {
            entry.times.pop_front();
        }
        if entry.times.len() == BURST_THRESHOLD {
            entry.times.pop_front();
        }
        entry.times.push_back(now);
        let crossing = entry.times.len() >= BURST_THRESHOLD;
        match entry.alerted_at {
            Some(at) if !crossing && now - at >= BURST_WINDOW => {
                entry.alerted_at = None;
                false
            }
            Some(_) => false,
            None if crossing => {
                entry.alerted_at = Some(now);
                true
            }
            None => false,
        }
    }
}

/// Counts a denial just recorded for `meta`'s source and records one
/// `access.denied_burst` event when it starts a burst. Requests without a known source
/// are not counted.
pub async fn count_denial(state: &AppState, meta: &RequestMeta) {
    let Some(ip) = meta.source else {
        return;
    };
    let source = crate::lockout::source_subject(ip);
    if !state.denial_bursts.note(&source, state.clock.now()) {
        return;
    }
    tracing::warn!("burst of refused requests from one source");
    let event = AuditEvent::new(
        "access.denied_burst",
        Outcome::Success,
        EventActor::anonymous(DEFAULT_TENANT),
        "instance",
    )
    .detail("denials", BURST_THRESHOLD.to_string())
    .detail("window_seconds", BURST_WINDOW.whole_seconds().to_string());
    // The alert is best effort; `audit` logs a failure to write it.
    let _ = state.audit(meta, event).await;
}

/// Drops the source whose latest denial is the oldest.
fn evict_stalest(sources: &mut HashMap<String, SourceDenials>) {
    let stalest = sources
        .iter()
        .min_by_key(|(_, denials)| denials.times.back().copied())
        .map(|(source, _)| source.clone());
    if let Some(source) = stalest {
        sources.remove(&source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn at(seconds: i64) -> OffsetDateTime {
        T0 + Duration::seconds(seconds)
    }

    #[test]
    fn a_source_crossing_the_threshold_is_alerted_once_until_it_calms_down() {
        let bursts = DenialBursts::default();
        let alerts = |from: i64, count: i64| {
            (0..count)
                .filter(|i| bursts.note("source:a", at(from + i)))
                .count()
        };
        // 19 denials in 19 s: no burst; the 20th is one.
        assert_eq!(alerts(0, 19), 0);
        assert!(bursts.note("source:a", at(19)));
        // A flood that goes on for minutes stays one burst.
        assert_eq!(alerts(20, 300), 0);
        // Quiet for a window, then a new burst is alerted again.
        assert_eq!(alerts(400, 19), 0);
        assert!(bursts.note("source:a", at(419)));
    }

    #[test]
    fn denials_spread_wider_than_the_window_are_no_burst() {
        let bursts = DenialBursts::default();
        // One denial every 4 s: 15 per minute.
        assert!(!(0..200).any(|i| bursts.note("source:b", at(4 * i))));
        // Other sources count separately.
        assert!(!(0..19).any(|i| bursts.note("source:c", at(i))));
    }

    #[test]
    fn the_number_of_sources_is_capped() {
        let bursts = DenialBursts::default();
        for i in 0..MAX_SOURCES + 5 {
            bursts.note(&format!("source:{i}"), at(i64::try_from(i).unwrap()));
        }
        let sources = bursts.sources.lock().unwrap();
        assert_eq!(sources.len(), MAX_SOURCES);
        assert!(!sources.contains_key("source:0"));
        assert!(sources.contains_key(&format!("source:{}", MAX_SOURCES + 4)));
    }
}
