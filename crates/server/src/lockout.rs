//! Brute-force protection of every password login (SEC-08): local accounts and LDAP binds
//! go through the same three calls.
//!
//! ```text
//! lockout::check(&state, username, &meta).await?;      // refused while locked
//! if wrong { return Err(lockout::failed(&state, username, &meta).await); }
//! lockout::succeeded(&state, username).await?;
//! ```
//!
//! Failures count per account name (lower-cased, known or not, so the answers reveal
//! nothing about which accounts exist) and per source address (IPv6 by /64, what one
//! client usually holds). The counters and locks live in the store, so every replica
//! sees them; the rules are `[security]` (config/security.rs). While either is locked,
//! a login is answered exactly like a wrong password, plus `Retry-After`, and is not
//! counted, so waiting out a lock is all an attacker can do. Each lock is recorded once as
//! an `auth.lockout` event.

use crate::api::ApiError;
use crate::api::validate::MAX_USERNAME_CHARS;
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::state::AppState;
use plenum_protocol::DEFAULT_TENANT;
use plenum_store::LockRule;
use std::net::IpAddr;
use time::OffsetDateTime;

/// The answer to every refused login, locked or wrong.
pub fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "wrong username or password")
}

/// The counter key of a submitted account name. Only the first `MAX_USERNAME_CHARS + 1`
/// characters count: that keeps every real account name distinct while a flood of huge
/// made-up names cannot store large keys.
pub fn account_subject(username: &str) -> String {
    let cut: String = username.chars().take(MAX_USERNAME_CHARS + 1).collect();
    format!("account:{}", cut.to_lowercase())
}

/// The counter key of a source address: IPv4 as is, IPv6 by its /64 prefix.
pub fn source_subject(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => format!("source:{v4}"),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("source:{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// The subjects of an attempt with their rules and names for the audit trail.
fn subjects<'a>(
    state: &'a AppState,
    username: &str,
    meta: &RequestMeta,
) -> Vec<(String, &'a LockRule, &'static str)> {
    let security = &state.config.security;
    let mut list = vec![(account_subject(username), &security.account, "account")];
    if let Some(ip) = meta.source {
        list.push((source_subject(ip), &security.source, "source"));
    }
    list
}

/// `Ok` if neither the account name nor the source is locked; otherwise the refusal to
/// answer: a wrong-password problem with `Retry-After`.
pub async fn check(state: &AppState, username: &str, meta: &RequestMeta) -> Result<(), ApiError> {
    let now = state.clock.now();
    let mut until: Option<OffsetDateTime> = None;
    for (subject, _, _) in subjects(state, username, meta) {
        if let Some(t) = state.store.login_locked_until(&subject, now).await? {
            until = until.max(Some(t));
        }
    }
    match until {
        None => Ok(()),
        Some(until) => Err(invalid_credentials().retry_after(seconds_until(now, until))),
    }
}

/// Counts a failed login of `username` from `meta.source`, records an `auth.lockout`
/// event for every lock this failure starts, and returns the problem to answer.
pub async fn failed(state: &AppState, username: &str, meta: &RequestMeta) -> ApiError {
    let now = state.clock.now();
    let mut until: Option<OffsetDateTime> = None;
    for (subject, rule, scope) in subjects(state, username, meta) {
        let outcome = match state.store.record_login_failure(&subject, rule, now).await {
            Ok(outcome) => outcome,
            Err(e) => return e.into(),
        };
        if !outcome.locked {
            continue;
        }
        until = until.max(outcome.locked_until);
        let mut event = AuditEvent::new(
            "auth.lockout",
            Outcome::Success,
            EventActor::anonymous(DEFAULT_TENANT),
            "instance",
        )
        .detail("scope", scope)
        .detail("strike", outcome.strikes.to_string())
        .detail(
            "locked_until",
            outcome
                .locked_until
                .map(crate::api::rfc3339)
                .unwrap_or_default(),
        );
        if scope == "account" {
            event = event.personal(
                "username",
                username
                    .chars()
                    .take(MAX_USERNAME_CHARS + 1)
                    .collect::<String>(),
            );
        }
        tracing::warn!(
            scope,
            strike = outcome.strikes,
            "login locked after repeated failures"
        );
        // A lock holds whether or not its record could be written; the failure is logged.
        let _ = state.audit(meta, event).await;
    }
    match until {
        Some(until) => invalid_credentials().retry_after(seconds_until(now, until)),
        None => invalid_credentials(),
    }
}

/// Forgets the failures of `username` after a successful login. The source's count stays:
/// an attacker who owns one account must not be able to reset the count of their address
/// by logging in to it between guesses.
pub async fn succeeded(state: &AppState, username: &str) -> Result<(), ApiError> {
    state
        .store
        .clear_login_failures(&account_subject(username), state.clock.now())
        .await?;
    Ok(())
}

/// Seconds from `now` until `until` as the store counts them (whole seconds), at least 1.
fn seconds_until(now: OffsetDateTime, until: OffsetDateTime) -> u64 {
    u64::try_from(until.unix_timestamp() - now.unix_timestamp())
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fold_case_cut_names_and_group_ipv6_by_prefix() {
        assert_eq!(account_subject("Alice"), "account:alice");
        let huge = "x".repeat(60_000);
        assert!(account_subject(&huge).len() <= "account:".len() + MAX_USERNAME_CHARS + 1);
        assert_eq!(
            source_subject("192.0.2.7".parse().unwrap()),
            "source:192.0.2.7"
        );
        assert_eq!(
            source_subject("2001:db8:1:2:aaaa::1".parse().unwrap()),
            source_subject("2001:db8:1:2:bbbb::9".parse().unwrap())
        );
        assert_ne!(
            source_subject("2001:db8:1:2::1".parse().unwrap()),
            source_subject("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(
            source_subject("::ffff:192.0.2.7".parse().unwrap()),
            "source:192.0.2.7"
        );
    }
}
