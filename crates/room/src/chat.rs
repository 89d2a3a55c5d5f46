//! Chat bookkeeping: message ids, the bounded public history, the limits of the
//! per-participant rate limit and the wall-clock timestamps of messages.

use crate::WallClock;
use plenum_protocol::signaling::ChatMessage;
use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How many public messages a room keeps for late joiners; older ones are dropped.
pub const CHAT_HISTORY_LIMIT: usize = 500;
/// How many chat messages one participant may send within [`CHAT_RATE_WINDOW`].
pub const CHAT_RATE_LIMIT: usize = 5;
/// The sliding window of the chat rate limit.
pub const CHAT_RATE_WINDOW: Duration = Duration::from_secs(5);

/// Message ids and the public history of one room.
#[derive(Debug, Default)]
pub(crate) struct ChatLog {
    last_id: u64,
    public: VecDeque<ChatMessage>,
}

impl ChatLog {
    /// The next message id; ids start at 1 and only grow.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Remembers a public message, forgetting the oldest beyond the limit.
    pub(crate) fn remember(&mut self, message: ChatMessage) {
        if self.public.len() == CHAT_HISTORY_LIMIT {
            self.public.pop_front();
        }
        self.public.push_back(message);
    }

    /// The public history, oldest first.
    pub(crate) fn history(&self) -> Vec<ChatMessage> {
        self.public.iter().cloned().collect()
    }
}

/// The RFC 3339 UTC time of `now`, to the second.
pub(crate) fn timestamp(clock: &WallClock, now: Instant) -> String {
    let time = if now >= clock.at {
        clock.time.checked_add(now.duration_since(clock.at))
    } else {
        clock.time.checked_sub(clock.at.duration_since(now))
    };
    format_utc(time.unwrap_or(clock.time))
}

fn format_utc(time: SystemTime) -> String {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok(),
        Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
    };
    seconds
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        // Only a clock outside years 0..=9999 gets here; a fixed, valid value beats none.
        .unwrap_or_else(|| String::from("1970-01-01T00:00:00Z"))
}
