//! Formal votes on the server side: sealing a closed vote (checkpoint, proofs, signed
//! result statement, stored seal) and re-assembling its protocol from the audit trail for
//! the REST API (`api.rs`).
//!
//! The room decides; the meeting actor appends each vote event through the meeting's
//! audit writer; this module runs after a close, off the actor, and reports back.

pub mod api;

use crate::audit::checkpoints::{CheckpointFailure, seal_now};
use crate::audit::export::{self, ExportError};
use crate::state::AppState;
use plenum_audit::KeyRecord;
use plenum_protocol::VoteId;
use plenum_protocol::vote::VoteCheckpoint;
use plenum_store::{StoreError, VoteRecord, VoteSeal, VoteState};
use plenum_vote::{AssembleError, Protocol, ProvenSigningKey, TallySummary, VoteSummary};
use serde::{Deserialize, Serialize};

/// Why a vote could not be sealed or its protocol assembled.
#[derive(Debug, thiserror::Error)]
pub enum VoteSealError {
    #[error("the vote's close was not recorded")]
    CloseNotRecorded,
    #[error("no checkpoint covers the vote's close yet")]
    NotSealed,
    #[error("the key {0} that signed the checkpoint is not recorded in the trail")]
    UnknownKey(String),
    #[error("the vote is not closed and sealed")]
    NotClosed,
    #[error("the stored seal is unreadable: {0}")]
    BadSeal(String),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sign(#[from] CheckpointFailure),
    #[error(transparent)]
    Assemble(#[from] AssembleError),
}

/// The parts of a protocol that are neither entries, proofs nor signatures: kept with the
/// seal, so an export needs no signing key.
#[derive(Serialize, Deserialize)]
struct Summary {
    vote: VoteSummary,
    tally: TallySummary,
}

/// Seals a vote whose `vote.close` entry is being appended (`close_seq` answers with its
/// seq): signs a checkpoint covering it, assembles and signs the protocol, stores the
/// seal. Returns the checkpoint the result is bound to.
pub async fn seal(
    state: &AppState,
    vote_id: VoteId,
    close_seq: Option<u64>,
) -> Result<VoteCheckpoint, VoteSealError> {
    let close_seq = close_seq.ok_or(VoteSealError::CloseNotRecorded)?;
    seal_now(state).await;
    let checkpoint = state
        .store
        .latest_audit_checkpoint()
        .await?
        .filter(|c| c.size > close_seq)
        .ok_or(VoteSealError::NotSealed)?;
    let record = state.store.vote(vote_id).await?;
    let (key, key_seq) = signing_key(state, &checkpoint.key_name).await?;
    let (events, keys) = proven(state, &record, checkpoint.size, key, key_seq).await?;
    let protocol = state
        .audit_signer
        .with_current_key(|signer| {
            Protocol::assemble(events, checkpoint.note.clone(), keys, signer)
        })
        .await??;
    let (statement, signature) = split_note(&protocol.statement)
        .ok_or_else(|| VoteSealError::BadSeal("statement without signature".into()))?;
    let summary = serde_json::to_string(&Summary {
        vote: protocol.vote.clone(),
        tally: protocol.tally.clone(),
    })
    .map_err(|e| VoteSealError::BadSeal(e.to_string()))?;
    state
        .store
        .seal_vote(
            vote_id,
            &VoteSeal {
                checkpoint_size: checkpoint.size,
                key_seq,
                summary,
                statement: statement.to_owned(),
                signature: signature.to_owned(),
            },
        )
        .await?;
    Ok(VoteCheckpoint {
        size: checkpoint.size,
        root: plenum_audit::to_hex(&checkpoint.root),
    })
}

/// The protocol of a sealed vote, re-assembled from the stored trail: its entries as they
/// are stored now (a changed entry no longer matches its proof), the checkpoint, the key
/// entry and the stored statement. Not verified here: that is the reader's job.
pub async fn protocol(state: &AppState, record: &VoteRecord) -> Result<Protocol, VoteSealError> {
    let seal = match (&record.state, &record.seal) {
        (VoteState::Closed, Some(seal)) => seal,
        _ => return Err(VoteSealError::NotClosed),
    };
    let summary: Summary =
        serde_json::from_str(&seal.summary).map_err(|e| VoteSealError::BadSeal(e.to_string()))?;
    let checkpoint = state
        .store
        .audit_checkpoints(seal.checkpoint_size, seal.checkpoint_size)
        .await?
        .into_iter()
        .find(|c| c.size == seal.checkpoint_size)
        .ok_or(VoteSealError::NotSealed)?;
    // Retention removes the oldest entries first, the key's record among them: gone, not
    // an internal error (410 like every proof that needs removed entries).
    let key_entry = match state.store.audit_entry(seal.key_seq).await {
        Ok(entry) => entry,
        Err(StoreError::NotFound) => {
            let first = state.store.audit_head().await?.first_seq;
            return Err(ExportError::Removed(first).into());
        }
        Err(error) => return Err(error.into()),
    };
    let key = KeyRecord::from_entry(&key_entry.entry)
        .map_err(|e| VoteSealError::BadSeal(format!("key entry {}: {e}", seal.key_seq)))?;
    let (events, keys) = proven(state, record, checkpoint.size, key, seal.key_seq).await?;
    Ok(Protocol {
        format: plenum_vote::protocol::PROTOCOL_FORMAT.to_owned(),
        version: plenum_vote::protocol::FORMAT_VERSION,
        vote: summary.vote,
        events,
        checkpoint: checkpoint.note,
        keys,
        tally: summary.tally,
        statement: format!("{}\n{}", seal.statement, seal.signature),
    })
}

/// The vote's entries and the key's entry, proven in the tree of `size`.
async fn proven(
    state: &AppState,
    record: &VoteRecord,
    size: u64,
    key: KeyRecord,
    key_seq: u64,
) -> Result<(Vec<plenum_vote::ProvenEntry>, Vec<ProvenSigningKey>), VoteSealError> {
    let mut seqs = record.entry_seqs.clone();
    seqs.push(key_seq);
    let mut proven = export::proven_entries(&state.store, size, &seqs).await?;
    let recorded = proven.pop().ok_or(VoteSealError::CloseNotRecorded)?;
    Ok((proven, vec![ProvenSigningKey { key, recorded }]))
}

/// The key named `name` and the seq of its (first) `audit.key_valid` entry.
async fn signing_key(state: &AppState, name: &str) -> Result<(KeyRecord, u64), VoteSealError> {
    state
        .store
        .audit_key_entries()
        .await?
        .iter()
        .find_map(|e| {
            KeyRecord::from_entry(&e.entry)
                .ok()
                .filter(|k| k.name == name)
                .map(|k| (k, e.entry.seq))
        })
        .ok_or_else(|| VoteSealError::UnknownKey(name.to_owned()))
}

/// A signed note split into its body (ending in a newline) and its signature lines.
fn split_note(note: &str) -> Option<(&str, &str)> {
    let at = note.find("\n\n")?;
    Some((&note[..=at], &note[at + 2..]))
}
