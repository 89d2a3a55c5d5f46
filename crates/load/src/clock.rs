//! The system-wide monotonic clock that send timestamps are written in.
//!
//! `std::time::Instant` is `CLOCK_MONOTONIC` on Linux but does not expose its value, and a
//! timestamp carried in a packet must mean the same in every process of a sharded run. So
//! the process reads `CLOCK_MONOTONIC` once, next to an `Instant`, and converts between
//! the two; both advance together, so the conversion is exact.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ORIGIN: OnceLock<(Instant, u64)> = OnceLock::new();

fn origin() -> (Instant, u64) {
    *ORIGIN.get_or_init(|| {
        let instant = Instant::now();
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let micros = u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000
            + u64::try_from(ts.tv_nsec).unwrap_or(0) / 1_000;
        (instant, micros)
    })
}

/// `CLOCK_MONOTONIC` in microseconds at `at`.
pub fn micros_at(at: Instant) -> u64 {
    let (instant, micros) = origin();
    match at.checked_duration_since(instant) {
        Some(after) => micros + after.as_micros() as u64,
        None => micros.saturating_sub(instant.duration_since(at).as_micros() as u64),
    }
}

/// `CLOCK_MONOTONIC` in microseconds now.
pub fn now_micros() -> u64 {
    micros_at(Instant::now())
}

/// The `Instant` of a `CLOCK_MONOTONIC` time in microseconds (e.g. a coordinator's
/// measurement start).
pub fn instant_of(micros: u64) -> Instant {
    let (instant, origin_micros) = origin();
    if micros >= origin_micros {
        instant + Duration::from_micros(micros - origin_micros)
    } else {
        instant
            .checked_sub(Duration::from_micros(origin_micros - micros))
            .unwrap_or(instant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_monotonic_micros_convert_both_ways() {
        let now = Instant::now();
        let micros = micros_at(now);
        let later = now + Duration::from_millis(1500);
        // Whole microseconds: truncation may differ by one.
        assert!(micros_at(later).abs_diff(micros + 1_500_000) <= 1);
        let back = instant_of(micros + 1_500_000);
        let diff = back.max(later) - back.min(later);
        assert!(diff <= Duration::from_micros(1), "{diff:?}");
        // The conversion agrees with the kernel's clock read afresh.
        let kernel = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let kernel_micros = kernel.tv_sec as u64 * 1_000_000 + kernel.tv_nsec as u64 / 1_000;
        let ours = now_micros();
        assert!(
            ours.abs_diff(kernel_micros) < 50_000,
            "{ours} vs {kernel_micros}"
        );
    }
}
