//! The exporter of one target: reads records after its persisted cursor in bounded
//! batches, delivers them, and advances the cursor only after the receiver confirmed the
//! batch (see [`crate::transport`]). Failures are retried with exponential backoff; the
//! backlog that built up meanwhile follows in order.
//!
//! Where records come from and where cursors are kept are traits, [`EntrySource`] and
//! [`CursorStore`], so the exporter does not depend on the database layer (the server
//! implements both on its store).

use crate::format::{CheckpointNote, Formatter, Record};
use crate::transport::{Sender, TransportError};
use plenum_audit::Entry;
use std::future::Future;
use std::time::{Duration, Instant};

/// Errors of a source or cursor store, whatever they are underneath.
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Where the exporter stands: the next entry to send and the largest checkpoint sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Seq of the first entry not yet confirmed by the receiver.
    pub next_seq: u64,
    /// Tree size of the last checkpoint confirmed (0: none yet).
    pub checkpoint_size: u64,
}

/// The audit log, read in order.
pub trait EntrySource: Send + Sync + 'static {
    /// Up to `limit` entries from seq `from_seq` on, in seq order without gaps.
    fn entries(
        &self,
        from_seq: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Entry>, SourceError>> + Send;

    /// Up to `limit` signed checkpoints with `after_size < size <= up_to_size`, by size.
    fn checkpoints(
        &self,
        after_size: u64,
        up_to_size: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<CheckpointNote>, SourceError>> + Send;

    /// Number of entries in the log (the seq the next entry will get).
    fn log_size(&self) -> impl Future<Output = Result<u64, SourceError>> + Send;

    /// Seq of the oldest entry still stored (retention removes sealed prefixes).
    fn first_seq(&self) -> impl Future<Output = Result<u64, SourceError>> + Send;
}

/// Persistence of each target's cursor.
pub trait CursorStore: Send + Sync + 'static {
    fn load(
        &self,
        target: &str,
    ) -> impl Future<Output = Result<Option<Cursor>, SourceError>> + Send;
    fn save(
        &self,
        target: &str,
        cursor: Cursor,
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}

/// Pacing of an exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSettings {
    /// Most records read, held and sent at once (the memory bound).
    pub batch_size: usize,
    /// Wait between looks at the log when everything has been delivered.
    pub poll_interval: Duration,
    /// First wait after a failure; doubled per further failure up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Least time between two status lines (last delivered seq, lag) in the log.
    pub status_interval: Duration,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            batch_size: 500,
            poll_interval: Duration::from_secs(1),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            status_interval: Duration::from_secs(60),
        }
    }
}

/// Why one round of the exporter failed. Nothing was confirmed, and the cursor stayed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the audit log: {0}")]
    Source(SourceError),
    #[error("the audit log returned seq {found} where seq {expected} was due")]
    Gap { expected: u64, found: u64 },
    #[error("loading or saving the cursor: {0}")]
    Cursor(SourceError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Records (entries and checkpoints) confirmed in this round; 0 when idle.
    pub delivered: usize,
    /// The cursor after the round.
    pub cursor: Cursor,
}

/// The exporter of one target.
#[derive(Debug)]
pub struct Exporter<S, C> {
    name: String,
    formatter: Formatter,
    sender: Sender,
    settings: ExportSettings,
    source: S,
    cursors: C,
    /// Loaded on the first round.
    cursor: Option<Cursor>,
}

impl<S: EntrySource, C: CursorStore> Exporter<S, C> {
    pub fn new(
        name: &str,
        formatter: Formatter,
        sender: Sender,
        settings: ExportSettings,
        source: S,
        cursors: C,
    ) -> Self {
        Self {
            name: name.to_owned(),
            formatter,
            sender,
            settings,
            source,
            cursors,
            cursor: None,
        }
    }

    /// Delivers at most one batch: reads what follows the cursor, sends it, waits for the
    /// confirmation and persists the new cursor.
    pub async fn round(&mut self) -> Result<Round, ExportError> {
        let cursor = match self.cursor {
            Some(cursor) => cursor,
            None => {
                let loaded = self
                    .cursors
                    .load(&self.name)
                    .await
                    .map_err(ExportError::Cursor)?
                    .unwrap_or_default();
                self.cursor = Some(loaded);
                loaded
            }
        };
        let (messages, next) = self.read_batch(cursor).await?;
        if messages.is_empty() {
            return Ok(Round {
                delivered: 0,
                cursor,
            });
        }
        self.sender.deliver(&messages).await?;
        // Saved before it is used: if saving fails the batch is sent again (a duplicate),
        // never skipped.
        self.cursors
            .save(&self.name, next)
            .await
            .map_err(ExportError::Cursor)?;
        self.cursor = Some(next);
        Ok(Round {
            delivered: messages.len(),
            cursor: next,
        })
    }

    /// The formatted records after `cursor` in log order, each checkpoint right after
    /// the entry that completes its tree, and the cursor after them.
    async fn read_batch(&self, cursor: Cursor) -> Result<(Vec<String>, Cursor), ExportError> {
        let limit = self.settings.batch_size.max(1);
        let entries = self
            .source
            .entries(cursor.next_seq, limit)
            .await
            .map_err(ExportError::Source)?;
        let cursor = self.skip_removed(cursor, &entries).await?;
        for (expected, entry) in (cursor.next_seq..).zip(&entries) {
            if entry.seq != expected {
                return Err(ExportError::Gap {
                    expected,
                    found: entry.seq,
                });
            }
        }
        let end = cursor.next_seq + entries.len() as u64;
        let checkpoints = if end > cursor.checkpoint_size {
            self.source
                .checkpoints(cursor.checkpoint_size, end, limit)
                .await
                .map_err(ExportError::Source)?
        } else {
            Vec::new()
        };
        let next = Cursor {
            next_seq: end,
            checkpoint_size: checkpoints
                .last()
                .map_or(cursor.checkpoint_size, |c| c.size),
        };
        let mut checkpoints = checkpoints.iter().peekable();
        let mut messages = Vec::with_capacity(entries.len() + checkpoints.len());
        let mut add_checkpoints_up_to = |size: u64, messages: &mut Vec<String>| {
            while let Some(c) = checkpoints.next_if(|c| c.size <= size) {
                messages.push(self.formatter.message(Record::Checkpoint(c)));
            }
        };
        // Checkpoints over entries delivered in an earlier round come first.
        add_checkpoints_up_to(cursor.next_seq, &mut messages);
        for entry in &entries {
            messages.push(self.formatter.message(Record::Entry(entry)));
            add_checkpoints_up_to(entry.seq + 1, &mut messages);
        }
        Ok((messages, next))
    }

    /// A cursor behind the oldest stored entry (the retention job removed entries this
    /// target never confirmed — it was down longer than the retention period, or is new)
    /// moves to that entry, loudly: those entries cannot be sent any more. Any other
    /// jump in seq is left for the gap check to refuse.
    async fn skip_removed(&self, cursor: Cursor, entries: &[Entry]) -> Result<Cursor, ExportError> {
        let Some(first) = entries.first() else {
            return Ok(cursor);
        };
        if first.seq <= cursor.next_seq {
            return Ok(cursor);
        }
        let oldest = self.source.first_seq().await.map_err(ExportError::Source)?;
        if oldest != first.seq {
            return Ok(cursor);
        }
        tracing::warn!(
            target_name = %self.name,
            from_seq = cursor.next_seq,
            to_seq = oldest,
            "audit entries were removed by retention before this target received them; continuing with the oldest stored entry"
        );
        Ok(Cursor {
            next_seq: oldest,
            ..cursor
        })
    }

    /// Runs rounds until `shutdown` completes: immediately again while there is a
    /// backlog, after the poll interval when idle, with growing backoff after failures.
    /// Every failure is logged with the target name; a status line with the last
    /// delivered seq and the lag is logged at most every `status_interval`, and whenever
    /// delivery resumes after a failure.
    pub async fn run(mut self, shutdown: impl Future<Output = ()> + Send) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut backoff = self.settings.min_backoff;
        let mut failing = false;
        let mut last_status: Option<Instant> = None;
        tracing::info!(target_name = %self.name, address = %self.sender.address(), "SIEM export started");
        loop {
            let wait = match self.round().await {
                Ok(round) => {
                    backoff = self.settings.min_backoff;
                    let due =
                        last_status.is_none_or(|at| at.elapsed() >= self.settings.status_interval);
                    if failing || (round.delivered > 0 && due) {
                        self.log_status(round.cursor).await;
                        last_status = Some(Instant::now());
                    }
                    failing = false;
                    if round.delivered == 0 {
                        self.settings.poll_interval
                    } else {
                        Duration::ZERO
                    }
                }
                Err(error) => {
                    let next_seq = self.cursor.map(|c| c.next_seq);
                    tracing::warn!(
                        target_name = %self.name,
                        %error,
                        ?next_seq,
                        retry_in = ?backoff,
                        "SIEM delivery failed; the batch will be sent again"
                    );
                    failing = true;
                    let wait = backoff;
                    backoff = (backoff * 2).min(self.settings.max_backoff);
                    wait
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut shutdown => break,
            }
        }
        tracing::info!(target_name = %self.name, "SIEM export stopped");
    }

    async fn log_status(&self, cursor: Cursor) {
        let last_delivered_seq = cursor.next_seq.checked_sub(1);
        match self.source.log_size().await {
            Ok(size) => tracing::info!(
                target_name = %self.name,
                ?last_delivered_seq,
                lag = size.saturating_sub(cursor.next_seq),
                checkpoint_size = cursor.checkpoint_size,
                "SIEM export status"
            ),
            Err(error) => tracing::info!(
                target_name = %self.name,
                ?last_delivered_seq,
                %error,
                "SIEM export status (log size unknown)"
            ),
        }
    }
}
