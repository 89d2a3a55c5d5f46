//! `[audit]`: signed checkpoints of the audit trail and their keys (docs/audit-format.md,
//! docs/configuration.md).

use super::{ConfigError, Kind, Values, err, non_empty_path};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The keys of this module, merged into the parent's key list.
pub(super) const KEYS: &[(&str, Kind)] = &[
    ("audit.origin", Kind::Text),
    ("audit.checkpoint_interval", Kind::Duration),
    ("audit.checkpoint_entries", Kind::Integer),
    ("audit.signing_key_file", Kind::Text),
    ("audit.key_rotation", Kind::Duration),
];

/// Shortest and longest time between checkpoints.
pub const CHECKPOINT_INTERVAL: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(1)..=Duration::from_secs(24 * 3600);
/// Fewest and most entries between checkpoints.
pub const CHECKPOINT_ENTRIES: std::ops::RangeInclusive<i64> = 1..=1_000_000;
/// Shortest and longest life of a checkpoint signing key.
pub const KEY_ROTATION: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(3600)..=Duration::from_secs(5 * 365 * 24 * 3600);

/// The validated `[audit]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    /// The log's name, the first line of every checkpoint.
    pub origin: String,
    /// A checkpoint is signed at least this often while entries arrive.
    pub checkpoint_interval: Duration,
    /// … and after at most this many new entries.
    pub checkpoint_entries: u64,
    /// The Ed25519 signing key (32-byte seed and its validity, see
    /// `crate::audit::keys`); generated on first start.
    pub signing_key_file: PathBuf,
    /// How long a signing key is used before a new one replaces it.
    pub key_rotation: Duration,
}

pub(super) fn from_values(
    v: &Values<'_>,
    public_url: &str,
    data_dir: &Path,
) -> Result<AuditConfig, ConfigError> {
    let origin = match v.text("audit.origin")? {
        None => default_origin(public_url),
        Some((text, origin)) => {
            if text.is_empty() || text.len() > 256 || text.chars().any(char::is_control) {
                return Err(err(
                    origin,
                    "audit.origin",
                    "must be one line of 1 to 256 characters",
                ));
            }
            text
        }
    };
    let checkpoint_interval = match v.duration("audit.checkpoint_interval")? {
        None => Duration::from_secs(60),
        Some((d, origin)) if !CHECKPOINT_INTERVAL.contains(&d) => {
            return Err(err(
                origin,
                "audit.checkpoint_interval",
                "must be between 1 s and 1 day",
            ));
        }
        Some((d, _)) => d,
    };
    let checkpoint_entries = match v.integer("audit.checkpoint_entries")? {
        None => 1000,
        Some((n, origin)) if !CHECKPOINT_ENTRIES.contains(&n) => {
            return Err(err(
                origin,
                "audit.checkpoint_entries",
                format!("{n} is not within 1..=1000000"),
            ));
        }
        Some((n, _)) => n.unsigned_abs(),
    };
    let signing_key_file = v
        .text("audit.signing_key_file")?
        .map(|(s, o)| non_empty_path(s, o, "audit.signing_key_file"))
        .transpose()?
        .unwrap_or_else(|| data_dir.join("audit-signing-key.json"));
    let key_rotation = match v.duration("audit.key_rotation")? {
        None => Duration::from_secs(90 * 24 * 3600),
        Some((d, origin)) if !KEY_ROTATION.contains(&d) => {
            return Err(err(
                origin,
                "audit.key_rotation",
                "must be between 1 h and 5 years",
            ));
        }
        Some((d, _)) => d,
    };
    Ok(AuditConfig {
        origin,
        checkpoint_interval,
        checkpoint_entries,
        signing_key_file,
        key_rotation,
    })
}

/// `<host[:port]>/audit` of the public URL: names the instance in every checkpoint.
fn default_origin(public_url: &str) -> String {
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .trim_end_matches('/');
    format!("{host}/audit")
}
