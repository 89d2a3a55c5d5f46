//! Formal votes (table `votes`, migration `20261203100000_votes`): one row per vote, naming
//! its audit entries by seq and keeping the signed result statement of its close.
//!
//! A vote is written in three steps, each in the transaction of its audit entry where it
//! has one: [`Tx::insert_vote`] with `vote.open`, [`Tx::finish_vote`] with `vote.close` or
//! `vote.cancel`, and [`Store::seal_vote`] once the trail is sealed and the statement signed.
//! A closed vote that could not be sealed ends cancelled after all
//! ([`Tx::cancel_unsealed_vote`], with the `vote.cancel` entry saying why).

use crate::audit::{to_i64, to_u64};
use crate::tx::{Tx, tx_execute};
use crate::{Backend, Store, StoreError};
use plenum_protocol::vote::VoteMode;
use plenum_protocol::{MeetingId, VoteId};
use time::OffsetDateTime;

/// Most votes [`Store::votes_of_meeting`] returns.
pub const MAX_VOTES_PER_MEETING: u32 = 1000;

/// Where a vote stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteState {
    Open,
    Closed,
    Cancelled,
    /// The server stopped while it was open: it has no result.
    Interrupted,
}

impl VoteState {
    pub fn as_str(self) -> &'static str {
        match self {
            VoteState::Open => "open",
            VoteState::Closed => "closed",
            VoteState::Cancelled => "cancelled",
            VoteState::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "open" => VoteState::Open,
            "closed" => VoteState::Closed,
            "cancelled" => VoteState::Cancelled,
            "interrupted" => VoteState::Interrupted,
            other => return Err(StoreError::Corrupt(format!("votes.state {other:?}"))),
        })
    }
}

/// A vote as it opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVote {
    pub id: VoteId,
    pub tenant_id: String,
    pub meeting_id: MeetingId,
    pub subject: String,
    pub mode: VoteMode,
    pub opened_at: OffsetDateTime,
}

/// What sealing a closed vote adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteSeal {
    /// Tree size of the signed checkpoint the result is bound to.
    pub checkpoint_size: u64,
    /// Seq of the `audit.key_valid` entry of the key that signed.
    pub key_seq: u64,
    /// The protocol's vote summary and tally as JSON (the parts of a protocol that are not
    /// entries, proofs or signatures).
    pub summary: String,
    /// The result statement's body and its signature line(s).
    pub statement: String,
    pub signature: String,
    /// The inclusion proofs of the vote's entries and its key's entry in the checkpoint
    /// (JSON, see migration `20261204100000_vote_proofs`); `None` for a vote sealed
    /// before they were kept.
    pub proofs: Option<String>,
}

/// A stored vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteRecord {
    pub id: VoteId,
    pub tenant_id: String,
    pub meeting_id: MeetingId,
    pub subject: String,
    pub mode: VoteMode,
    pub state: VoteState,
    pub opened_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    /// Its audit entries in log order (empty while open).
    pub entry_seqs: Vec<u64>,
    /// Present once the closed vote is sealed.
    pub seal: Option<VoteSeal>,
}

const VOTE_COLUMNS: &str = "id, tenant_id, meeting_id, subject, mode, state, opened_at, closed_at, \
     entry_seqs, checkpoint_size, key_seq, summary, statement, signature, proofs";

#[derive(sqlx::FromRow)]
struct VoteRow {
    id: String,
    tenant_id: String,
    meeting_id: String,
    subject: String,
    mode: String,
    state: String,
    opened_at: i64,
    closed_at: Option<i64>,
    entry_seqs: String,
    checkpoint_size: Option<i64>,
    key_seq: Option<i64>,
    summary: Option<String>,
    statement: Option<String>,
    signature: Option<String>,
    proofs: Option<String>,
}

fn mode_name(mode: VoteMode) -> &'static str {
    match mode {
        VoteMode::RollCall => "roll_call",
        VoteMode::Pseudonymous => "pseudonymous",
    }
}

fn seqs_json(entry_seqs: &[u64]) -> Result<String, StoreError> {
    serde_json::to_string(entry_seqs)
        .map_err(|e| StoreError::Corrupt(format!("vote seqs as JSON: {e}")))
}

fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("votes.{column} {value:?}"))
}

fn time_of(seconds: i64, column: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| corrupt(column, &seconds.to_string()))
}

impl VoteRow {
    fn decode(self) -> Result<VoteRecord, StoreError> {
        let mode = match self.mode.as_str() {
            "roll_call" => VoteMode::RollCall,
            "pseudonymous" => VoteMode::Pseudonymous,
            other => return Err(corrupt("mode", other)),
        };
        let entry_seqs: Vec<u64> = serde_json::from_str(&self.entry_seqs)
            .map_err(|_| corrupt("entry_seqs", &self.entry_seqs))?;
        let seal = match (
            self.checkpoint_size,
            self.key_seq,
            self.summary,
            self.statement,
            self.signature,
        ) {
            (Some(size), Some(key), Some(summary), Some(statement), Some(signature)) => {
                Some(VoteSeal {
                    checkpoint_size: to_u64(size, "votes.checkpoint_size")?,
                    key_seq: to_u64(key, "votes.key_seq")?,
                    summary,
                    statement,
                    signature,
                    proofs: self.proofs,
                })
            }
            (None, None, None, None, None) if self.proofs.is_none() => None,
            _ => return Err(corrupt("seal", "partly present")),
        };
        Ok(VoteRecord {
            id: self.id.parse().map_err(|_| corrupt("id", &self.id))?,
            tenant_id: self.tenant_id,
            meeting_id: self
                .meeting_id
                .parse()
                .map_err(|_| corrupt("meeting_id", &self.meeting_id))?,
            subject: self.subject,
            mode,
            state: VoteState::parse(&self.state)?,
            opened_at: time_of(self.opened_at, "opened_at")?,
            closed_at: self
                .closed_at
                .map(|t| time_of(t, "closed_at"))
                .transpose()?,
            entry_seqs,
            seal,
        })
    }
}

impl Tx {
    /// Records a vote that has just opened (with its `vote.open` entry in this transaction).
    pub async fn insert_vote(&mut self, vote: &NewVote) -> Result<(), StoreError> {
        tx_execute!(
            self,
            "INSERT INTO votes (id, tenant_id, meeting_id, subject, mode, state, opened_at, \
             entry_seqs) VALUES ($1, $2, $3, $4, $5, $6, $7, '[]')",
            [
                vote.id.to_string(),
                vote.tenant_id.clone(),
                vote.meeting_id.to_string(),
                vote.subject.clone(),
                mode_name(vote.mode),
                VoteState::Open.as_str(),
                vote.opened_at.unix_timestamp(),
            ]
        )?;
        Ok(())
    }

    /// Ends an open vote as `state` (closed or cancelled) with its audit entries; `NotFound`
    /// unless it was open.
    pub async fn finish_vote(
        &mut self,
        id: VoteId,
        state: VoteState,
        closed_at: OffsetDateTime,
        entry_seqs: &[u64],
    ) -> Result<(), StoreError> {
        let seqs = seqs_json(entry_seqs)?;
        let changed = tx_execute!(
            self,
            "UPDATE votes SET state = $1, closed_at = $2, entry_seqs = $3 \
             WHERE id = $4 AND state = 'open'",
            [
                state.as_str(),
                closed_at.unix_timestamp(),
                seqs,
                id.to_string()
            ]
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Ends a closed vote that could not be sealed as cancelled (with its `vote.cancel`
    /// entry in this transaction); `entry_seqs` now end with that entry. `NotFound` unless
    /// it is closed and unsealed.
    pub async fn cancel_unsealed_vote(
        &mut self,
        id: VoteId,
        entry_seqs: &[u64],
    ) -> Result<(), StoreError> {
        let seqs = seqs_json(entry_seqs)?;
        let changed = tx_execute!(
            self,
            "UPDATE votes SET state = $1, entry_seqs = $2 \
             WHERE id = $3 AND state = 'closed' AND statement IS NULL",
            [VoteState::Cancelled.as_str(), seqs, id.to_string()]
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl Store {
    /// Stores the seal of a closed vote, once; `NotFound` unless it is closed and unsealed.
    pub async fn seal_vote(&self, id: VoteId, seal: &VoteSeal) -> Result<(), StoreError> {
        let changed = execute!(
            self,
            "UPDATE votes SET checkpoint_size = $1, key_seq = $2, summary = $3, statement = $4, \
             signature = $5, proofs = $6 WHERE id = $7 AND state = 'closed' AND statement IS NULL",
            [
                to_i64(seal.checkpoint_size)?,
                to_i64(seal.key_seq)?,
                seal.summary.clone(),
                seal.statement.clone(),
                seal.signature.clone(),
                seal.proofs.clone(),
                id.to_string(),
            ]
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Marks the votes of `meeting` still open as interrupted: called when its meeting
    /// starts, since a fresh meeting has no vote running.
    pub async fn interrupt_open_votes(
        &self,
        meeting: MeetingId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        execute!(
            self,
            "UPDATE votes SET state = 'interrupted', closed_at = $1 \
             WHERE meeting_id = $2 AND state = 'open'",
            [now.unix_timestamp(), meeting.to_string()]
        )
    }

    /// Removes the votes that ended (closed, cancelled or interrupted) before `horizon`:
    /// the retention job's part for `retention.votes`. Open votes stay. The votes' audit
    /// entries follow `retention.audit`, not this.
    pub async fn remove_votes_ended_before(
        &self,
        horizon: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        execute!(
            self,
            "DELETE FROM votes WHERE state <> 'open' AND closed_at < $1",
            [horizon.unix_timestamp()]
        )
    }

    pub async fn vote(&self, id: VoteId) -> Result<VoteRecord, StoreError> {
        let row: Option<VoteRow> = fetch!(
            self,
            query_as(&format!("SELECT {VOTE_COLUMNS} FROM votes WHERE id = $1")),
            [id.to_string()],
            fetch_optional
        )?;
        row.ok_or(StoreError::NotFound)?.decode()
    }

    /// The votes of a meeting, oldest first (at most [`MAX_VOTES_PER_MEETING`]).
    pub async fn votes_of_meeting(
        &self,
        meeting: MeetingId,
    ) -> Result<Vec<VoteRecord>, StoreError> {
        let rows: Vec<VoteRow> = fetch!(
            self,
            query_as(&format!(
                "SELECT {VOTE_COLUMNS} FROM votes WHERE meeting_id = $1 \
                 ORDER BY opened_at, id LIMIT $2"
            )),
            [meeting.to_string(), i64::from(MAX_VOTES_PER_MEETING)],
            fetch_all
        )?;
        rows.into_iter().map(VoteRow::decode).collect()
    }
}
