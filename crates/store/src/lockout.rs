//! Failed-login counters and temporary locks (SEC-08), kept in the database so that every
//! replica on it counts the same failures and honours the same locks.
//!
//! A subject (an account name or a source address, see the migration) collects failures;
//! when `max_failures` fall within `window`, it is locked for `first_lock`, and each lock
//! that follows within `strike_memory` of the previous one lasts twice as long, up to
//! `max_lock`. Locks always end: nobody can lock a subject for good.

use crate::{Backend, StoreError};
use std::time::Duration;
use time::OffsetDateTime;

/// How failures become locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockRule {
    /// Failures within `window` that lock the subject.
    pub max_failures: u32,
    pub window: Duration,
    /// Length of the first lock.
    pub first_lock: Duration,
    /// Longest lock.
    pub max_lock: Duration,
    /// A lock starting longer than this after the previous one counts as the first again.
    pub strike_memory: Duration,
}

impl LockRule {
    /// The length of the `strike`-th lock in a row (1-based): doubling, capped.
    pub fn lock_length(&self, strike: u32) -> Duration {
        let factor = 1u32 << strike.saturating_sub(1).min(20);
        self.first_lock.saturating_mul(factor).min(self.max_lock)
    }
}

/// What one recorded failure did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureOutcome {
    /// This failure crossed the threshold and locked the subject (true exactly once per
    /// lock, even with concurrent failures on several replicas).
    pub locked: bool,
    /// Until when the subject is locked, if it is.
    pub locked_until: Option<OffsetDateTime>,
    /// Locks in a row, this one included.
    pub strikes: u32,
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn at(unix: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| StoreError::Corrupt(format!("login_locks.locked_until {unix}: {e}")))
}

impl crate::Store {
    /// Until when `subject` is locked, if it is locked at `now`.
    pub async fn login_locked_until(
        &self,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let until: Option<i64> = fetch!(
            self,
            query_scalar(
                "SELECT locked_until FROM login_locks WHERE subject = $1 AND locked_until > $2"
            ),
            [subject, now.unix_timestamp()],
            fetch_optional
        )?;
        until.map(at).transpose()
    }

    /// Counts a failed login of `subject` at `now`, locking it when this failure reaches
    /// the threshold. Call it only while the subject is not locked.
    pub async fn record_login_failure(
        &self,
        subject: &str,
        rule: &LockRule,
        now: OffsetDateTime,
    ) -> Result<FailureOutcome, StoreError> {
        let now_s = now.unix_timestamp();
        let window_start = now_s.saturating_sub(seconds(rule.window));
        let outcome = on_backend!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::from_sqlx)?;
            // Writing first takes the write lock at once (SQLite), so concurrent failures
            // of one subject are counted one after the other.
            sqlx::query("INSERT INTO login_failures (subject, at) VALUES ($1, $2)")
                .bind(subject)
                .bind(now_s)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            sqlx::query("DELETE FROM login_failures WHERE at <= $1")
                .bind(window_start)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            let failures: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE subject = $1")
                    .bind(subject)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
            // (this failure locked, locked until, strikes)
            let mut outcome: (bool, Option<i64>, u32) = (false, None, 0);
            if failures >= i64::from(rule.max_failures) {
                let previous: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT strikes, last_strike_at FROM login_locks WHERE subject = $1",
                )
                .bind(subject)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
                let remembered = previous
                    .filter(|(_, last)| now_s.saturating_sub(*last) <= seconds(rule.strike_memory))
                    .map_or(0, |(strikes, _)| u32::try_from(strikes).unwrap_or(u32::MAX));
                let strikes = remembered.saturating_add(1);
                let until = now_s.saturating_add(seconds(rule.lock_length(strikes)));
                // Only a subject whose previous lock has ended can be locked again: of
                // several concurrent crossings, exactly one takes effect.
                let taken: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO login_locks (subject, strikes, locked_until, last_strike_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO UPDATE SET \
                     strikes = excluded.strikes, locked_until = excluded.locked_until, \
                     last_strike_at = excluded.last_strike_at \
                     WHERE login_locks.locked_until <= excluded.last_strike_at \
                     RETURNING locked_until",
                )
                .bind(subject)
                .bind(i64::from(strikes))
                .bind(until)
                .bind(now_s)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
                // The count starts afresh after a lock.
                sqlx::query("DELETE FROM login_failures WHERE subject = $1")
                    .bind(subject)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                outcome = (taken.is_some(), Some(until), strikes);
            }
            tx.commit().await.map_err(StoreError::from_sqlx)?;
            outcome
        });
        let (locked, locked_until, strikes) = outcome;
        Ok(FailureOutcome {
            locked,
            locked_until: locked_until.map(at).transpose()?,
            strikes,
        })
    }

    /// Forgets the failures of `subject` and, once its lock has ended, its strikes (a
    /// successful login).
    pub async fn clear_login_failures(
        &self,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "DELETE FROM login_failures WHERE subject = $1",
            [subject]
        )?;
        execute!(
            self,
            "DELETE FROM login_locks WHERE subject = $1 AND locked_until <= $2",
            [subject, now.unix_timestamp()]
        )?;
        Ok(())
    }

    /// Deletes locks that ended and whose strikes are forgotten; returns how many.
    pub async fn prune_login_locks(
        &self,
        rule: &LockRule,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let forgotten = now
            .unix_timestamp()
            .saturating_sub(seconds(rule.strike_memory));
        execute!(
            self,
            "DELETE FROM login_locks WHERE locked_until <= $1 AND last_strike_at < $2",
            [now.unix_timestamp(), forgotten]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_up_to_the_cap() {
        let rule = LockRule {
            max_failures: 5,
            window: Duration::from_secs(600),
            first_lock: Duration::from_secs(300),
            max_lock: Duration::from_secs(1800),
            strike_memory: Duration::from_secs(86_400),
        };
        let lengths: Vec<u64> = (1..=6).map(|s| rule.lock_length(s).as_secs()).collect();
        assert_eq!(lengths, [300, 600, 1200, 1800, 1800, 1800]);
        assert_eq!(rule.lock_length(u32::MAX).as_secs(), 1800);
    }
}
