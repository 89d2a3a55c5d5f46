//! What the SIEM export needs from the store: each target's persisted cursor, and the
//! signed checkpoints in tree-size order (entries are read with
//! [`Store::audit_entries`]).
//!
//! Table `siem_cursors` (migration `20261127120000_siem_cursors`), one row per target name.

use crate::audit::{to_i64, to_u64};
use crate::{Backend, Store, StoreError};
use time::OffsetDateTime;

/// Where one export target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SiemCursor {
    /// Seq of the first entry the receiver has not confirmed.
    pub next_seq: u64,
    /// Tree size of the last checkpoint the receiver confirmed (0: none).
    pub checkpoint_size: u64,
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointNoteRecord {
    pub size: u64,
    pub time_ms: u64,
    /// The signed note text.
    pub note: String,
}

#[derive(sqlx::FromRow)]
struct CursorRow {
    next_seq: i64,
    checkpoint_size: i64,
}

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    size: i64,
    time_ms: i64,
    note: String,
}

/// Largest page [`Store::checkpoint_notes`] returns.
pub const MAX_CHECKPOINT_PAGE: u32 = 10_000;

impl Store {
    /// The cursor of export target `target`, if it ever confirmed anything.
    pub async fn siem_cursor(&self, target: &str) -> Result<Option<SiemCursor>, StoreError> {
        let row: Option<CursorRow> = fetch!(
            self,
            query_as("SELECT next_seq, checkpoint_size FROM siem_cursors WHERE target = $1"),
            [target],
            fetch_optional
        )?;
        row.map(|r| {
            Ok(SiemCursor {
                next_seq: to_u64(r.next_seq, "siem_cursors.next_seq")?,
                checkpoint_size: to_u64(r.checkpoint_size, "siem_cursors.checkpoint_size")?,
            })
        })
        .transpose()
    }

    /// Records where export target `target` stands now.
    pub async fn save_siem_cursor(
        &self,
        target: &str,
        cursor: SiemCursor,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO siem_cursors (target, next_seq, checkpoint_size, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (target) DO UPDATE SET \
             next_seq = excluded.next_seq, checkpoint_size = excluded.checkpoint_size, \
             updated_at = excluded.updated_at",
            [
                target,
                to_i64(cursor.next_seq)?,
                to_i64(cursor.checkpoint_size)?,
                now.unix_timestamp(),
            ]
        )?;
        Ok(())
    }

    /// Up to `limit` (at most [`MAX_CHECKPOINT_PAGE`]) signed checkpoints with
    /// `after_size < size <= up_to_size`, by size.
    pub async fn checkpoint_notes(
        &self,
        after_size: u64,
        up_to_size: u64,
        limit: u32,
    ) -> Result<Vec<CheckpointNoteRecord>, StoreError> {
        let rows: Vec<CheckpointRow> = fetch!(
            self,
            query_as(
                "SELECT size, time_ms, note FROM audit_checkpoints \
                 WHERE size > $1 AND size <= $2 ORDER BY size LIMIT $3"
            ),
            [
                to_i64(after_size)?,
                to_i64(up_to_size)?,
                i64::from(limit.min(MAX_CHECKPOINT_PAGE)),
            ],
            fetch_all
        )?;
        rows.into_iter().map(CheckpointRow::decode).collect()
    }
}

impl CheckpointRow {
    fn decode(self) -> Result<CheckpointNoteRecord, StoreError> {
        Ok(CheckpointNoteRecord {
            size: to_u64(self.size, "audit_checkpoints.size")?,
            time_ms: to_u64(self.time_ms, "audit_checkpoints.time_ms")?,
            note: self.note,
        })
    }
}
