//! Active speaker detection from RFC 6464 audio levels.
//!
//! Each audio packet of a publisher carries its level in -dBov (0 loudest, -127 silence).
//! Per participant the level is turned into a loudness above a noise floor and smoothed
//! over about a second, so single loud packets (a cough, a door) don't count. The active
//! speaker changes only when someone else is clearly louder (by [`MARGIN`]) for at least
//! [`HOLD`]: without that hysteresis the spotlight would flicker between people talking
//! over each other.

use plenum_protocol::ParticipantId;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Time constant of the exponential smoothing.
const TAU: Duration = Duration::from_secs(1);
/// How long a challenger must stay clearly louder before it takes over.
pub(crate) const HOLD: Duration = Duration::from_secs(1);
/// Levels below this (in dBov) are background noise and count as silence.
const NOISE_FLOOR_DBOV: f32 = -60.0;
/// Smoothed loudness (dB above the noise floor) someone needs to count as speaking.
const MIN_SPEAKING: f32 = 6.0;
/// How much louder (in smoothed dB) a challenger must be than the current speaker.
const MARGIN: f32 = 6.0;
/// Without packets for this long a participant is treated as silent (DTX sends none).
const SILENCE_AFTER: Duration = Duration::from_millis(200);

#[derive(Debug)]
struct Loudness {
    smoothed: f32,
    last_update: Instant,
    last_packet: Instant,
}

impl Loudness {
    fn advance(&mut self, sample: f32, now: Instant) {
        let dt = now.saturating_duration_since(self.last_update);
        let alpha = (dt.as_secs_f32() / TAU.as_secs_f32()).min(1.0);
        self.smoothed += (sample - self.smoothed) * alpha;
        self.last_update = now;
    }
}

/// Per-conference detector; feed it levels, poll it for changes.
#[derive(Debug, Default)]
pub(crate) struct SpeakerDetector {
    loudness: BTreeMap<ParticipantId, Loudness>,
    current: Option<ParticipantId>,
    challenger: Option<(ParticipantId, Instant)>,
}

impl SpeakerDetector {
    /// One audio packet's level (`-127..=0` dBov) of `who`.
    pub(crate) fn handle_level(&mut self, who: ParticipantId, level_dbov: i8, now: Instant) {
        let sample = (f32::from(level_dbov.clamp(-127, 0)) - NOISE_FLOOR_DBOV).max(0.0);
        let entry = self.loudness.entry(who).or_insert(Loudness {
            smoothed: 0.0,
            last_update: now,
            last_packet: now,
        });
        entry.advance(sample, now);
        entry.last_packet = now;
    }

    /// Forget a participant (left, or its audio is no longer forwarded).
    pub(crate) fn remove(&mut self, who: ParticipantId) {
        self.loudness.remove(&who);
        if self.challenger.is_some_and(|(c, _)| c == who) {
            self.challenger = None;
        }
        if self.current == Some(who) {
            // Not announced: the next speaker replaces it through the normal rule, and
            // until then clients keep showing the last one, which is harmless.
            self.current = None;
        }
    }

    /// Whether anybody's levels are being followed, so that [`SpeakerDetector::poll`] has
    /// something to re-evaluate.
    pub(crate) fn is_following(&self) -> bool {
        !self.loudness.is_empty()
    }

    /// Re-evaluates at `now`; returns the new active speaker when it changed.
    pub(crate) fn poll(&mut self, now: Instant) -> Option<ParticipantId> {
        for l in self.loudness.values_mut() {
            if now.saturating_duration_since(l.last_packet) >= SILENCE_AFTER {
                l.advance(0.0, now);
            }
        }
        // Loudest first; ties go to the lower id so the result is deterministic.
        let (loudest, level) = self.loudness.iter().map(|(id, l)| (*id, l.smoothed)).fold(
            None,
            |best: Option<(ParticipantId, f32)>, (id, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((id, s)),
            },
        )?;
        let current_level = self
            .current
            .and_then(|c| self.loudness.get(&c))
            .map_or(0.0, |l| l.smoothed);
        let beats_current = Some(loudest) != self.current
            && level >= MIN_SPEAKING
            && level >= current_level + MARGIN;
        if !beats_current {
            self.challenger = None;
            return None;
        }
        match self.challenger {
            Some((c, since)) if c == loudest => {
                if now.saturating_duration_since(since) >= HOLD {
                    self.current = Some(loudest);
                    self.challenger = None;
                    return Some(loudest);
                }
            }
            _ => self.challenger = Some((loudest, now)),
        }
        None
    }

    /// The current active speaker.
    #[cfg(test)]
    pub(crate) fn current(&self) -> Option<ParticipantId> {
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn pid(n: u128) -> ParticipantId {
        ParticipantId(Uuid::from_u128(n))
    }

    /// Feeds 20 ms packets with the given levels (None = no packet) for `ms`, polling each
    /// step; returns every change with the time it happened (ms since start).
    fn run(
        det: &mut SpeakerDetector,
        start: Instant,
        from_ms: u64,
        ms: u64,
        levels: &[(ParticipantId, Option<i8>)],
    ) -> Vec<(u64, ParticipantId)> {
        let mut changes = vec![];
        let mut t = from_ms;
        while t < from_ms + ms {
            let now = start + Duration::from_millis(t);
            for (who, level) in levels {
                if let Some(level) = level {
                    det.handle_level(*who, *level, now);
                }
            }
            if let Some(s) = det.poll(now) {
                changes.push((t, s));
            }
            t += 20;
        }
        changes
    }

    #[test]
    fn single_speaker_becomes_active_after_hold() {
        let mut det = SpeakerDetector::default();
        let start = Instant::now();
        let (a, b) = (pid(1), pid(2));
        let changes = run(&mut det, start, 0, 3000, &[(a, Some(-20)), (b, Some(-90))]);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].1, a);
        assert!(changes[0].0 >= HOLD.as_millis() as u64, "{changes:?}");
    }

    #[test]
    fn short_interruption_does_not_switch() {
        let mut det = SpeakerDetector::default();
        let start = Instant::now();
        let (a, b) = (pid(1), pid(2));
        run(&mut det, start, 0, 3000, &[(a, Some(-20)), (b, Some(-90))]);
        assert_eq!(det.current(), Some(a));
        // B shouts for 300 ms while A keeps talking: no switch.
        let changes = run(&mut det, start, 3000, 300, &[(a, Some(-20)), (b, Some(0))]);
        let after = run(
            &mut det,
            start,
            3300,
            3000,
            &[(a, Some(-20)), (b, Some(-90))],
        );
        assert!(
            changes.is_empty() && after.is_empty(),
            "{changes:?} {after:?}"
        );
    }

    #[test]
    fn sustained_louder_speaker_takes_over() {
        let mut det = SpeakerDetector::default();
        let start = Instant::now();
        let (a, b) = (pid(1), pid(2));
        run(&mut det, start, 0, 3000, &[(a, Some(-20)), (b, Some(-90))]);
        // A falls silent (DTX: no packets), B talks.
        let changes = run(&mut det, start, 3000, 4000, &[(a, None), (b, Some(-15))]);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].1, b);
        assert!(changes[0].0 >= 3000 + HOLD.as_millis() as u64);
    }

    #[test]
    fn noise_never_makes_a_speaker() {
        let mut det = SpeakerDetector::default();
        let start = Instant::now();
        let changes = run(
            &mut det,
            start,
            0,
            5000,
            &[(pid(1), Some(-70)), (pid(2), Some(-127))],
        );
        assert!(changes.is_empty());
        assert_eq!(det.current(), None);
    }

    #[test]
    fn removed_participant_is_forgotten() {
        let mut det = SpeakerDetector::default();
        let start = Instant::now();
        let (a, b) = (pid(1), pid(2));
        run(&mut det, start, 0, 3000, &[(a, Some(-20))]);
        det.remove(a);
        assert_eq!(det.current(), None);
        let changes = run(&mut det, start, 3000, 3000, &[(b, Some(-20))]);
        assert_eq!(changes.last().map(|c| c.1), Some(b));
    }
}
