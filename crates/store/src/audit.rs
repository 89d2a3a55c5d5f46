//! The audit trail's tables: appending entries under the head row's lock, and reading
//! entries back with their erasable personal values.
//!
//! Layout (migration `20261127100000_audit`): `audit_entries` holds one row per Merkle
//! leaf — the entry as JSON with personal fields reduced to their salted hashes, its leaf
//! hash, and copies of the fields queries filter on; `audit_personal` holds the salt and
//! clear value of each personal field (deleting a row erases it; the leaf is unchanged);
//! `audit_head` is the single row with the tree size, the last time and the compact range,
//! so an append reads O(log n) hashes instead of the whole log.
//!
//! Writers are serialised through the head row: an append first UPDATEs it, which takes
//! SQLite's write lock (the transaction is `BEGIN IMMEDIATE` anyway) and PostgreSQL's row
//! lock. On PostgreSQL (READ COMMITTED) a second writer — in this process or in another
//! Plenum replica on the same database — blocks on that row until the first commits and
//! then reads the row as committed, so every seq is taken exactly once and the compact
//! range always matches the entries.

use crate::tx::{self, Tx, on_tx};
use crate::{Backend, Store, StoreError};
use plenum_audit::{
    BundleEntry, CompactRange, Entry, Hash, Value, from_hex, hash_from_hex, to_hex,
};

/// What an append produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedEntry {
    /// The seq the entry got (its Merkle leaf index).
    pub seq: u64,
    /// The time it was stored with (never before the previous entry's).
    pub time_ms: u64,
    pub leaf_hash: Hash,
    /// Tree size and root right after this entry.
    pub size: u64,
    pub root: Hash,
}

/// The state of the log as the head row records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    /// Entries ever appended (the next seq).
    pub size: u64,
    /// Time of the newest entry (0 for an empty log).
    pub last_time_ms: u64,
    /// The compact range at `size`; its root is the log's current root.
    pub frontier: CompactRange,
    /// The oldest entry still stored (retention removes sealed prefixes).
    pub first_seq: u64,
    /// The compact range at `first_seq`, from which a verifier continues.
    pub first_frontier: CompactRange,
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    size: i64,
    last_time_ms: i64,
    frontier: String,
    first_seq: i64,
    first_frontier: String,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    leaf_hash: String,
    entry: String,
}

#[derive(sqlx::FromRow)]
struct PersonalRow {
    seq: i64,
    field: String,
    salt: String,
    value: String,
}

const HEAD_COLUMNS: &str = "size, last_time_ms, frontier, first_seq, first_frontier";
/// Largest page [`Store::audit_entries`] returns.
pub const MAX_AUDIT_PAGE: u32 = 10_000;

impl Tx {
    /// Appends `entry` to the audit trail inside this transaction. Its `seq` and
    /// `time_ms` are assigned here: seq is the next free one, and the time is raised to
    /// the previous entry's if the caller's clock (or another replica's) is behind, so
    /// times never go back in the log.
    pub async fn append_audit(&mut self, mut entry: Entry) -> Result<AppendedEntry, StoreError> {
        // The write that takes the lock comes first (see the module doc).
        let head: HeadRow = on_tx!(self, conn => sqlx::query_as(&format!(
            "UPDATE audit_head SET size = size WHERE id = 1 RETURNING {HEAD_COLUMNS}"
        ))
        .fetch_one(&mut **conn)
        .await)
        .map_err(StoreError::from_sqlx)?;
        let head = AuditHead::try_from(head)?;
        entry.seq = head.size;
        entry.time_ms = entry.time_ms.max(head.last_time_ms);
        entry.check_personal()?;
        let leaf_hash = entry.leaf_hash()?;
        let mut frontier = head.frontier;
        frontier.append(leaf_hash);

        let personal = personal_fields(&entry);
        let mut stored = entry.clone();
        stored.erase_personal();
        let json = serde_json::to_string(&stored)
            .map_err(|e| StoreError::Corrupt(format!("audit entry as JSON: {e}")))?;
        let seq = to_i64(entry.seq)?;
        let time_ms = to_i64(entry.time_ms)?;
        let size = to_i64(frontier.size())?;
        let frontier_hex = to_hex(&frontier.to_bytes());
        let leaf_hex = to_hex(&leaf_hash);
        let outcome = outcome_name(&entry);
        on_tx!(self, conn => {
            sqlx::query(
                "UPDATE audit_head SET size = $1, last_time_ms = $2, frontier = $3 WHERE id = 1",
            )
            .bind(size)
            .bind(time_ms)
            .bind(&frontier_hex)
            .execute(&mut **conn)
            .await
            .map_err(StoreError::from_sqlx)?;
            sqlx::query(
                "INSERT INTO audit_entries \
                 (seq, time_ms, tenant, action, outcome, resource, request_id, leaf_hash, entry) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(seq)
            .bind(time_ms)
            .bind(&entry.tenant)
            .bind(&entry.action)
            .bind(outcome)
            .bind(&entry.resource)
            .bind(entry.request_id.as_deref())
            .bind(&leaf_hex)
            .bind(&json)
            .execute(&mut **conn)
            .await
            .map_err(StoreError::from_sqlx)?;
            for (field, salt, value) in &personal {
                sqlx::query(
                    "INSERT INTO audit_personal (seq, field, salt, value) VALUES ($1, $2, $3, $4)",
                )
                .bind(seq)
                .bind(field)
                .bind(salt)
                .bind(value)
                .execute(&mut **conn)
                .await
                .map_err(StoreError::from_sqlx)?;
            }
        });
        Ok(AppendedEntry {
            seq: entry.seq,
            time_ms: entry.time_ms,
            leaf_hash,
            size: frontier.size(),
            root: frontier.root(),
        })
    }
}

impl Store {
    /// Appends one entry in its own transaction (see [`Tx::append_audit`]).
    pub async fn append_audit(&self, entry: Entry) -> Result<AppendedEntry, StoreError> {
        let mut tx = self.begin().await?;
        let appended = tx.append_audit(entry).await?;
        tx.commit().await?;
        Ok(appended)
    }

    /// The head row: size, last time and compact ranges.
    pub async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        let row: HeadRow = fetch!(
            self,
            query_as(&format!(
                "SELECT {HEAD_COLUMNS} FROM audit_head WHERE id = 1"
            )),
            [],
            fetch_one
        )?;
        row.try_into()
    }

    /// The entry with this seq, with whatever personal values are not erased, or
    /// [`StoreError::NotFound`] (never appended, or removed by retention).
    pub async fn audit_entry(&self, seq: u64) -> Result<BundleEntry, StoreError> {
        let mut page = self.audit_entries(seq, 1).await?;
        match page.pop() {
            Some(found) if found.entry.seq == seq => Ok(found),
            _ => Err(StoreError::NotFound),
        }
    }

    /// Up to `limit` (at most [`MAX_AUDIT_PAGE`]) entries from seq `from` on, in seq
    /// order, with their personal values where not erased. Both queries run on the
    /// primary key, so paging through the log costs O(limit) per page.
    pub async fn audit_entries(
        &self,
        from: u64,
        limit: u32,
    ) -> Result<Vec<BundleEntry>, StoreError> {
        let from = to_i64(from)?;
        let limit = i64::from(limit.min(MAX_AUDIT_PAGE));
        let rows: Vec<EntryRow> = fetch!(
            self,
            query_as(
                "SELECT seq, leaf_hash, entry FROM audit_entries WHERE seq >= $1 \
                 ORDER BY seq LIMIT $2"
            ),
            [from, limit],
            fetch_all
        )?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(Vec::new());
        };
        let personal: Vec<PersonalRow> = fetch!(
            self,
            query_as(
                "SELECT seq, field, salt, value FROM audit_personal \
                 WHERE seq >= $1 AND seq <= $2 ORDER BY seq, field"
            ),
            [from, last],
            fetch_all
        )?;
        let mut out = Vec::with_capacity(rows.len());
        let mut personal = personal.into_iter().peekable();
        for row in rows {
            let mut item = row.decode()?;
            while let Some(p) = personal.next_if(|p| p.seq <= row.seq) {
                if p.seq == row.seq {
                    restore_personal(&mut item.entry, &p)?;
                }
            }
            out.push(item);
        }
        Ok(out)
    }
}

impl EntryRow {
    fn decode(&self) -> Result<BundleEntry, StoreError> {
        let entry: Entry = serde_json::from_str(&self.entry)
            .map_err(|e| StoreError::Corrupt(format!("audit_entries.entry {}: {e}", self.seq)))?;
        let leaf_hash = hash_from_hex(&self.leaf_hash)
            .ok_or_else(|| StoreError::Corrupt(format!("audit_entries.leaf_hash {}", self.seq)))?;
        Ok(BundleEntry { leaf_hash, entry })
    }
}

impl TryFrom<HeadRow> for AuditHead {
    type Error = StoreError;

    fn try_from(row: HeadRow) -> Result<Self, StoreError> {
        let size = to_u64(row.size, "audit_head.size")?;
        let first_seq = to_u64(row.first_seq, "audit_head.first_seq")?;
        Ok(Self {
            size,
            last_time_ms: to_u64(row.last_time_ms, "audit_head.last_time_ms")?,
            frontier: compact_range(size, &row.frontier, "audit_head.frontier")?,
            first_seq,
            first_frontier: compact_range(
                first_seq,
                &row.first_frontier,
                "audit_head.first_frontier",
            )?,
        })
    }
}

/// A compact range stored as hex.
pub(crate) fn compact_range(
    size: u64,
    hex: &str,
    column: &str,
) -> Result<CompactRange, StoreError> {
    from_hex(hex)
        .and_then(|bytes| CompactRange::from_bytes(size, &bytes).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("{column} at size {size}")))
}

/// `(field, salt hex, clear value)` of every personal field whose clear value is present.
fn personal_fields(entry: &Entry) -> Vec<(String, String, String)> {
    let mut fields = vec![("actor.id".to_owned(), &entry.actor.id)];
    if let Some(source) = &entry.source {
        fields.push(("source".to_owned(), source));
    }
    for (i, detail) in entry.details.iter().enumerate() {
        fields.push((format!("details.{i}"), &detail.value));
    }
    fields
        .into_iter()
        .filter_map(|(field, value)| match value {
            Value::Personal(p) => Some((field, to_hex(p.salt.as_deref()?), p.value.clone()?)),
            Value::Text(_) => None,
        })
        .collect()
}

/// Puts a stored clear value back into its (hash-only) field.
fn restore_personal(entry: &mut Entry, row: &PersonalRow) -> Result<(), StoreError> {
    let corrupt = || StoreError::Corrupt(format!("audit_personal {} {}", row.seq, row.field));
    let target = match row.field.as_str() {
        "actor.id" => Some(&mut entry.actor.id),
        "source" => entry.source.as_mut(),
        other => other
            .strip_prefix("details.")
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| entry.details.get_mut(i))
            .map(|d| &mut d.value),
    };
    let Some(Value::Personal(p)) = target else {
        return Err(corrupt());
    };
    p.salt = Some(from_hex(&row.salt).ok_or_else(corrupt)?);
    p.value = Some(row.value.clone());
    Ok(())
}

fn outcome_name(entry: &Entry) -> &'static str {
    match entry.outcome {
        plenum_audit::Outcome::Success => "success",
        plenum_audit::Outcome::Failure => "failure",
        plenum_audit::Outcome::Denied => "denied",
    }
}

pub(crate) fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{value} exceeds the i64 range")))
}

pub(crate) fn to_u64(value: i64, column: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column} {value} is negative")))
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub time_ms: u64,
    pub root: Hash,
    pub key_name: String,
    /// The compact range at `size`: where an export starting at this checkpoint begins.
    pub frontier: CompactRange,
    /// The signed note (C2SP checkpoint).
    pub note: String,
}

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    size: i64,
    time_ms: i64,
    root: String,
    key_name: String,
    frontier: String,
    note: String,
}

const CHECKPOINT_COLUMNS: &str = "size, time_ms, root, key_name, frontier, note";

impl TryFrom<CheckpointRow> for StoredCheckpoint {
    type Error = StoreError;

    fn try_from(row: CheckpointRow) -> Result<Self, StoreError> {
        let size = to_u64(row.size, "audit_checkpoints.size")?;
        Ok(Self {
            size,
            time_ms: to_u64(row.time_ms, "audit_checkpoints.time_ms")?,
            root: hash_from_hex(&row.root)
                .ok_or_else(|| StoreError::Corrupt(format!("audit_checkpoints.root {size}")))?,
            key_name: row.key_name,
            frontier: compact_range(size, &row.frontier, "audit_checkpoints.frontier")?,
            note: row.note,
        })
    }
}

impl Store {
    /// Stores a signed checkpoint. A checkpoint of the same size stored before (by another
    /// replica, or a retry) is kept and `false` returned.
    pub async fn add_audit_checkpoint(
        &self,
        checkpoint: &StoredCheckpoint,
    ) -> Result<bool, StoreError> {
        let done = execute!(
            self,
            "INSERT INTO audit_checkpoints (size, time_ms, root, key_name, frontier, note) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (size) DO NOTHING",
            [
                to_i64(checkpoint.size)?,
                to_i64(checkpoint.time_ms)?,
                to_hex(&checkpoint.root),
                &checkpoint.key_name,
                to_hex(&checkpoint.frontier.to_bytes()),
                &checkpoint.note,
            ]
        )?;
        Ok(done == 1)
    }

    /// The checkpoints with a size in `from..=to`, smallest first.
    pub async fn audit_checkpoints(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows: Vec<CheckpointRow> = fetch!(
            self,
            query_as(&format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints \
                 WHERE size >= $1 AND size <= $2 ORDER BY size"
            )),
            [to_i64(from)?, to_i64(to.min(i64::MAX as u64))?],
            fetch_all
        )?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The newest checkpoint, if any.
    pub async fn latest_audit_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row: Option<CheckpointRow> = fetch!(
            self,
            query_as(&format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
            )),
            [],
            fetch_optional
        )?;
        row.map(TryInto::try_into).transpose()
    }

    /// Every stored `audit.key_valid` entry (the signing keys and their periods), in seq
    /// order.
    pub async fn audit_key_entries(&self) -> Result<Vec<BundleEntry>, StoreError> {
        let rows: Vec<EntryRow> = fetch!(
            self,
            query_as(
                "SELECT seq, leaf_hash, entry FROM audit_entries WHERE action = $1 ORDER BY seq"
            ),
            [plenum_audit::checkpoint::KEY_VALID_ACTION],
            fetch_all
        )?;
        rows.iter().map(EntryRow::decode).collect()
    }
}

impl Store {
    /// The first seq recorded at or after `time_ms`, if any.
    pub async fn audit_seq_from_time(&self, time_ms: u64) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = fetch!(
            self,
            query_scalar("SELECT MIN(seq) FROM audit_entries WHERE time_ms >= $1"),
            [to_i64(time_ms)?],
            fetch_one
        )?;
        seq.map(|s| to_u64(s, "audit_entries.seq")).transpose()
    }

    /// The last seq recorded at or before `time_ms`, if any.
    pub async fn audit_seq_until_time(&self, time_ms: u64) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = fetch!(
            self,
            query_scalar("SELECT MAX(seq) FROM audit_entries WHERE time_ms <= $1"),
            [to_i64(time_ms)?],
            fetch_one
        )?;
        seq.map(|s| to_u64(s, "audit_entries.seq")).transpose()
    }
}

impl Store {
    /// Removes the entries below `cut` (retention). `cut` must be the size of a stored
    /// checkpoint, which seals what is removed and whose compact range becomes the
    /// retained start; the triggers allow exactly this DELETE. Returns how many entries
    /// were removed.
    pub async fn remove_audit_prefix(&self, cut: u64) -> Result<u64, StoreError> {
        let cut_i = to_i64(cut)?;
        let mut tx = self.begin().await?;
        let moved = tx::tx_execute!(
            &mut tx,
            "UPDATE audit_head SET first_seq = $1, \
             first_frontier = (SELECT frontier FROM audit_checkpoints WHERE size = $1) \
             WHERE id = 1 AND first_seq < $1 \
             AND EXISTS (SELECT 1 FROM audit_checkpoints WHERE size = $1)",
            [cut_i]
        )?;
        if moved == 0 {
            tx.rollback().await?;
            return Ok(0);
        }
        tx::tx_execute!(
            &mut tx,
            "DELETE FROM audit_personal WHERE seq < $1",
            [cut_i]
        )?;
        let removed =
            tx::tx_execute!(&mut tx, "DELETE FROM audit_entries WHERE seq < $1", [cut_i])?;
        tx.commit().await?;
        Ok(removed)
    }
}
