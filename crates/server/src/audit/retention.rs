//! The retention job (SEC-18): once a day (and on `plenum retention run`) it deletes data
//! older than its category's `[retention]` period and records what it did.
//!
//! Of the categories, Plenum stores the audit trail and votes so far (chat lives in the
//! meeting's memory and ends with it; recordings, notes and usage statistics do not exist
//! yet), so the others always count 0 — docs/configuration.md says so.
//!
//! Removing audit entries keeps the rest verifiable: the cut is always at a checkpoint
//! (which seals what is removed, and whose compact range becomes the retained start), and
//! the current signing key is recorded again after the cut, so a bundle that starts there
//! still learns every key its checkpoints use from its own entries.

use super::checkpoints::Signer;
use super::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::config::Config;
use crate::state::AppState;
use plenum_store::Store;
use std::time::Duration;

/// How often the job runs in `plenum serve`.
pub const PERIOD: Duration = Duration::from_secs(24 * 3600);

/// What one run removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    pub audit_entries: u64,
    pub votes: u64,
}

/// Runs the job once: seals, cuts the audit trail at the newest checkpoint whose entries
/// are all older than `retention.audit`, records `retention.run` and seals again.
pub async fn run_once(
    store: &Store,
    config: &Config,
    signer: &Signer,
) -> anyhow::Result<RetentionReport> {
    let period = u64::try_from(config.retention.audit.as_millis()).unwrap_or(u64::MAX);
    run_at(
        store,
        config,
        signer,
        super::now_ms().saturating_sub(period),
    )
    .await
}

/// [`run_once`] with audit entries recorded before `horizon` (Unix ms) expired.
pub async fn run_at(
    store: &Store,
    config: &Config,
    signer: &Signer,
    horizon: u64,
) -> anyhow::Result<RetentionReport> {
    let mut report = RetentionReport::default();
    let cut = match store
        .audit_seq_until_time(horizon.saturating_sub(1))
        .await?
    {
        None => None,
        Some(last_expired) => store
            .audit_checkpoints(0, last_expired + 1)
            .await?
            .last()
            .map(|c| c.size),
    };
    let votes_period =
        time::Duration::try_from(config.retention.votes).unwrap_or(time::Duration::MAX);
    report.votes = store
        .remove_votes_ended_before(
            time::OffsetDateTime::now_utc()
                .checked_sub(votes_period)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        )
        .await?;
    let head = store.audit_head().await?;
    if let Some(cut) = cut.filter(|c| *c > head.first_seq) {
        // The key is recorded again after the cut, then everything is sealed.
        signer.record_again().await;
        signer.checkpoint(&config.audit, store).await?;
        report.audit_entries = store.remove_audit_prefix(cut).await?;
    }
    let event = AuditEvent::new(
        "retention.run",
        Outcome::Success,
        EventActor::system(),
        "audit",
    )
    .detail("audit", report.audit_entries.to_string())
    .detail("chat", "0")
    .detail("recordings", "0")
    .detail("notes", "0")
    .detail("votes", report.votes.to_string())
    .detail("usage", "0");
    store
        .append_audit(event.into_entry(&RequestMeta::internal(), super::now_ms()))
        .await?;
    signer.checkpoint(&config.audit, store).await?;
    Ok(report)
}

/// The daily job of `plenum serve`.
pub async fn run(state: AppState) {
    // The first run a period after the start: a restart loop must not run it repeatedly.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + PERIOD, PERIOD);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.shutdown.wait() => return,
        }
        match run_once(&state.store, &state.config, &state.audit_signer).await {
            Ok(report) => tracing::info!(
                audit_entries = report.audit_entries,
                votes = report.votes,
                "retention run"
            ),
            Err(error) => tracing::error!(%error, "retention run failed"),
        }
    }
}
