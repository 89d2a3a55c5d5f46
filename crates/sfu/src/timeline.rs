//! Continuous RTP time for a forwarded track whose source may switch.
//!
//! Each simulcast layer is its own RTP stream with its own random timestamp origin. When a
//! subscriber is switched from one layer to another, the timestamps it sees must go on
//! from where they were, advanced by the wall-clock time that passed, or its jitter buffer
//! and A/V sync break. A [`Timeline`] keeps an offset that maps the current source's media
//! time onto the subscriber's continuous one, and picks a new offset on every switch.
//! (Sequence numbers need no such care here: in frame mode str0m numbers outgoing packets
//! itself, per outgoing stream.)

use std::time::Instant;
use str0m::media::{Frequency, MediaTime};

#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    /// Added to the source's media time (in the source's clock rate).
    offset: i64,
    /// The last media time written out, with its wall clock.
    last: Option<(u64, Frequency, Instant)>,
}

impl Timeline {
    /// Maps a source media time onto the outgoing timeline.
    pub(crate) fn map(&mut self, time: MediaTime, wallclock: Instant) -> MediaTime {
        let freq = time.frequency();
        if let Some((_, last_freq, _)) = self.last
            && last_freq != freq
        {
            // A codec with another clock rate: continue in its rate.
            self.rebase(time, wallclock);
        }
        let out = shift(time.numer(), self.offset);
        self.last = Some((out, freq, wallclock));
        MediaTime::new(out, freq)
    }

    /// Called when the source switches (first frame of the new source): chooses the offset
    /// that continues the outgoing timeline by the wall-clock time since the last frame.
    pub(crate) fn rebase(&mut self, time: MediaTime, wallclock: Instant) {
        let freq = time.frequency();
        let Some((last_out, last_freq, last_wall)) = self.last else {
            // Nothing sent yet: any origin is fine, keep the source's.
            self.offset = 0;
            return;
        };
        let last_out = MediaTime::new(last_out, last_freq).rebase(freq).numer();
        let elapsed = wallclock.saturating_duration_since(last_wall);
        let ticks = (elapsed.as_secs_f64() * f64::from(freq.get())).round() as u64;
        // At least one tick: equal timestamps would merge two frames into one.
        let expected = last_out.saturating_add(ticks.max(1));
        self.offset = i64::try_from(expected)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::try_from(time.numer()).unwrap_or(i64::MAX));
    }
}

fn shift(numer: u64, offset: i64) -> u64 {
    let v = i128::from(numer) + i128::from(offset);
    u64::try_from(v.max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(n: u64) -> MediaTime {
        MediaTime::new(n, Frequency::NINETY_KHZ)
    }

    #[test]
    fn passes_through_then_continues_across_switch() {
        let mut tl = Timeline::default();
        let start = Instant::now();
        let frame = Duration::from_millis(33);
        // Layer A starts at 1_000_000.
        let mut outs = vec![];
        for i in 0..3u32 {
            outs.push(
                tl.map(t(1_000_000 + u64::from(i) * 3000), start + frame * i)
                    .numer(),
            );
        }
        assert_eq!(outs, [1_000_000, 1_003_000, 1_006_000]);
        // Switch to layer B whose origin is elsewhere, one frame later.
        let w = start + frame * 3;
        tl.rebase(t(42), w);
        let a = tl.map(t(42), w).numer();
        let b = tl.map(t(42 + 3000), w + frame).numer();
        // 33 ms at 90 kHz = 2970 ticks after the last output.
        assert_eq!(a, 1_006_000 + 2970);
        assert_eq!(b, a + 3000);
    }

    #[test]
    fn switch_without_elapsed_time_still_advances() {
        let mut tl = Timeline::default();
        let now = Instant::now();
        let first = tl.map(t(500), now).numer();
        tl.rebase(t(9_999_999), now);
        assert!(tl.map(t(9_999_999), now).numer() > first);
    }

    #[test]
    fn switch_to_earlier_origin_never_goes_negative() {
        let mut tl = Timeline::default();
        let now = Instant::now();
        tl.map(t(10), now);
        tl.rebase(t(u64::from(u32::MAX) * 3), now + Duration::from_millis(20));
        let out = tl.map(t(u64::from(u32::MAX) * 3), now + Duration::from_millis(20));
        assert_eq!(out.numer(), 10 + 1800);
    }
}
