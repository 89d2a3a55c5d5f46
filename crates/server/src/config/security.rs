//! `[security]`: brute-force protection of logins (SEC-08, docs/configuration.md).
//!
//! Failed logins are counted per account name and per source address. Both lock
//! temporarily, each lock in a row twice as long as the one before (up to a cap). A
//! source's locks start longer and grow further than an account's, so one address cannot
//! keep an account locked: by the time the account opens again, the address that locked
//! it is still locked itself, and its attempts no longer count.

use super::{ConfigError, Kind, Values, err};
use plenum_store::LockRule;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The keys of this module, merged into the parent's key list.
pub(super) const KEYS: &[(&str, Kind)] = &[
    ("security.max_failures", Kind::Integer),
    ("security.source_max_failures", Kind::Integer),
    ("security.failure_window", Kind::Duration),
    ("security.account_lock", Kind::Duration),
    ("security.account_max_lock", Kind::Duration),
    ("security.source_lock", Kind::Duration),
    ("security.source_max_lock", Kind::Duration),
    ("security.strike_memory", Kind::Duration),
    ("security.breached_password_file", Kind::Text),
];

/// Largest breached-password list read (a few million entries).
pub const MAX_BREACHED_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Most failures a threshold may allow; more would not protect anything.
pub const MAX_THRESHOLD: i64 = 1000;
/// Longest lock or window accepted.
pub const MAX_PERIOD: Duration = Duration::from_secs(7 * 24 * 3600);

/// The validated `[security]` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityConfig {
    /// How failures of one account name lock it.
    pub account: LockRule,
    /// How failures from one source address (IPv6: its /64) lock it.
    pub source: LockRule,
    /// A list of breached passwords, one per line, that a policy can refuse.
    pub breached_password_file: Option<PathBuf>,
    /// That list, read at start.
    pub breached_passwords: Arc<BreachedPasswords>,
}

/// Passwords known from breaches, kept as SHA-256 digests (32 bytes each, whatever the
/// length of the line).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BreachedPasswords {
    digests: HashSet<[u8; 32]>,
}

impl BreachedPasswords {
    /// One password per line; empty lines and a trailing `\r` are ignored.
    pub fn parse(text: &str) -> Self {
        let digests = text
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .filter(|line| !line.is_empty())
            .map(digest)
            .collect();
        Self { digests }
    }

    pub fn contains(&self, password: &str) -> bool {
        self.digests.contains(&digest(password))
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }
}

fn digest(text: &str) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let window = Duration::from_secs(10 * 60);
        let strike_memory = Duration::from_secs(24 * 3600);
        Self {
            account: LockRule {
                max_failures: 5,
                window,
                first_lock: Duration::from_secs(5 * 60),
                max_lock: Duration::from_secs(30 * 60),
                strike_memory,
            },
            source: LockRule {
                max_failures: 5,
                window,
                first_lock: Duration::from_secs(15 * 60),
                max_lock: Duration::from_secs(24 * 3600),
                strike_memory,
            },
            breached_password_file: None,
            breached_passwords: Arc::default(),
        }
    }
}

pub(super) fn from_values(v: &Values<'_>) -> Result<SecurityConfig, ConfigError> {
    let defaults = SecurityConfig::default();
    let threshold = |key: &str, default: u32| -> Result<u32, ConfigError> {
        match v.integer(key)? {
            None => Ok(default),
            Some((n, origin)) => u32::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_THRESHOLD).contains(&i64::from(*n)))
                .ok_or_else(|| {
                    err(
                        origin,
                        key,
                        format!("{n} is not within 1..={MAX_THRESHOLD}"),
                    )
                }),
        }
    };
    let period = |key: &str, default: Duration| -> Result<Duration, ConfigError> {
        match v.duration(key)? {
            None => Ok(default),
            Some((d, origin)) if d.is_zero() || d > MAX_PERIOD => Err(err(
                origin,
                key,
                "must be longer than 0 s and at most 7 days",
            )),
            Some((d, _)) => Ok(d),
        }
    };
    let window = period("security.failure_window", defaults.account.window)?;
    let strike_memory = period("security.strike_memory", defaults.account.strike_memory)?;
    let account = LockRule {
        max_failures: threshold("security.max_failures", defaults.account.max_failures)?,
        window,
        first_lock: period("security.account_lock", defaults.account.first_lock)?,
        max_lock: period("security.account_max_lock", defaults.account.max_lock)?,
        strike_memory,
    };
    let source = LockRule {
        max_failures: threshold("security.source_max_failures", defaults.source.max_failures)?,
        window,
        first_lock: period("security.source_lock", defaults.source.first_lock)?,
        max_lock: period("security.source_max_lock", defaults.source.max_lock)?,
        strike_memory,
    };
    for (rule, lock, max) in [
        (
            &account,
            "security.account_lock",
            "security.account_max_lock",
        ),
        (&source, "security.source_lock", "security.source_max_lock"),
    ] {
        if rule.first_lock > rule.max_lock {
            return Err(err(v.origin(lock), lock, format!("is longer than {max}")));
        }
    }
    let (breached_password_file, breached_passwords) =
        match v.text("security.breached_password_file")? {
            None => (None, Arc::default()),
            Some((path, origin)) => {
                let key = "security.breached_password_file";
                let path = PathBuf::from(path);
                let size = std::fs::metadata(&path)
                    .map_err(|e| {
                        err(
                            origin.clone(),
                            key,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?
                    .len();
                if size > MAX_BREACHED_FILE_BYTES {
                    return Err(err(
                        origin,
                        key,
                        format!(
                            "{} is larger than {MAX_BREACHED_FILE_BYTES} bytes",
                            path.display()
                        ),
                    ));
                }
                let bytes = std::fs::read(&path).map_err(|e| {
                    err(
                        origin.clone(),
                        key,
                        format!("cannot read {}: {e}", path.display()),
                    )
                })?;
                let list = BreachedPasswords::parse(&String::from_utf8_lossy(&bytes));
                (Some(path), Arc::new(list))
            }
        };
    Ok(SecurityConfig {
        account,
        source,
        breached_password_file,
        breached_passwords,
    })
}
