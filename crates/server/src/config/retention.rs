//! `[retention]`: how long each kind of data is kept (SEC-18, docs/configuration.md).
//!
//! Every period is an explicit duration: there is no "forever" value to fall into by a
//! typo, and a key left out keeps its documented default.

use super::{ConfigError, Kind, Values, err};
use std::time::Duration;

const DAY: u64 = 24 * 3600;

/// The keys of this module, merged into the parent's key list.
pub(super) const KEYS: &[(&str, Kind)] = &[
    ("retention.audit", Kind::Duration),
    ("retention.chat", Kind::Duration),
    ("retention.recordings", Kind::Duration),
    ("retention.notes", Kind::Duration),
    ("retention.votes", Kind::Duration),
    ("retention.usage", Kind::Duration),
];

/// Shortest and longest period accepted.
pub const PERIOD: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(DAY)..=Duration::from_secs(10 * 365 * DAY);

/// The validated `[retention]` section: how long data of each category is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionConfig {
    pub audit: Duration,
    pub chat: Duration,
    pub recordings: Duration,
    pub notes: Duration,
    pub votes: Duration,
    pub usage: Duration,
}

pub(super) fn from_values(v: &Values<'_>) -> Result<RetentionConfig, ConfigError> {
    let period = |key: &str, default_days: u64| -> Result<Duration, ConfigError> {
        match v.duration(key)? {
            None => Ok(Duration::from_secs(default_days * DAY)),
            Some((d, origin)) if !PERIOD.contains(&d) => {
                Err(err(origin, key, "must be a duration between 1d and 3650d"))
            }
            Some((d, _)) => Ok(d),
        }
    };
    Ok(RetentionConfig {
        audit: period("retention.audit", 180)?,
        chat: period("retention.chat", 30)?,
        recordings: period("retention.recordings", 30)?,
        notes: period("retention.notes", 180)?,
        votes: period("retention.votes", 365)?,
        usage: period("retention.usage", 90)?,
    })
}
