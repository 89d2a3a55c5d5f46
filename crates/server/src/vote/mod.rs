//! Formal votes on the server side: sealing a closed vote (checkpoint, proofs, signed
//! result statement, stored seal) and re-assembling its protocol from the audit trail for
//! the REST API (`api.rs`).
//!
//! The room decides; the meeting actor appends each vote event through the meeting's
//! audit writer; this module runs after a close, off the actor, and reports back.
//!
//! The seal keeps the inclusion proofs of the vote's entries (and its key's entry) in the
//! seal's checkpoint. That checkpoint never changes, so a protocol, receipt or PDF is the
//! entries as stored now plus those proofs: the trail is read and hashed once per vote,
//! at the seal, not on every download. An entry changed in the database afterwards no
//! longer matches its proof, which every verifier checks. A vote that cannot be sealed
//! ends cancelled, recorded like any cancel, as its participants are told.

pub mod api;

use crate::audit::checkpoints::{CheckpointFailure, seal_now};
use crate::audit::export::{self, ExportError};
use crate::state::AppState;
use plenum_audit::{KeyRecord, hash_from_hex, to_hex};
use plenum_protocol::VoteId;
use plenum_protocol::vote::VoteCheckpoint;
use plenum_store::{StoreError, VoteRecord, VoteSeal, VoteState};
use plenum_vote::spec::REASON_CHARS;
use plenum_vote::{
    AssembleError, CancelRecord, Protocol, ProvenEntry, ProvenSigningKey, TallySummary, VoteEvent,
    VoteSummary,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a vote could not be sealed or its protocol assembled.
#[derive(Debug, thiserror::Error)]
pub enum VoteSealError {
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

/// The inclusion proof of one entry in the seal's checkpoint, as the seal keeps it.
#[derive(Serialize, Deserialize)]
struct KeptProof {
    seq: u64,
    /// RFC 6962 audit path, leaf to root, hex.
    proof: Vec<String>,
}

/// Seals a vote whose `vote.close` entry is stored at `close_seq`: signs a checkpoint
/// covering it, assembles and signs the protocol, stores the seal. Returns the checkpoint
/// the result is bound to. When that fails, the closed vote ends cancelled (its
/// participants hear so), with the error as the recorded reason.
pub async fn seal(
    state: &AppState,
    vote_id: VoteId,
    close_seq: u64,
) -> Result<VoteCheckpoint, VoteSealError> {
    let sealed = seal_closed(state, vote_id, close_seq).await;
    if let Err(error) = &sealed
        && let Err(failure) = cancel_unsealed(state, vote_id, error).await
    {
        tracing::error!(%failure, %vote_id, "could not record the cancel of an unsealed vote");
    }
    sealed
}

async fn seal_closed(
    state: &AppState,
    vote_id: VoteId,
    close_seq: u64,
) -> Result<VoteCheckpoint, VoteSealError> {
    seal_now(state).await;
    let checkpoint = state
        .store
        .latest_audit_checkpoint()
        .await?
        .filter(|c| c.size > close_seq)
        .ok_or(VoteSealError::NotSealed)?;
    let record = state.store.vote(vote_id).await?;
    let (key, key_seq) = signing_key(state, &checkpoint.key_name).await?;
    let seqs = proven_seqs(&record, key_seq);
    let proven = export::proven_entries(&state.store, checkpoint.size, &seqs).await?;
    let kept: Vec<KeptProof> = proven
        .iter()
        .map(|p| KeptProof {
            seq: p.entry.entry.seq,
            proof: p.proof.iter().map(|h| to_hex(h)).collect(),
        })
        .collect();
    let proofs = serde_json::to_string(&kept).map_err(|e| VoteSealError::BadSeal(e.to_string()))?;
    let (events, keys) = with_key(proven, key)?;
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
                proofs: Some(proofs),
            },
        )
        .await?;
    Ok(VoteCheckpoint {
        size: checkpoint.size,
        root: plenum_audit::to_hex(&checkpoint.root),
    })
}

/// The protocol of a sealed vote, re-assembled: its entries as they are stored now (a
/// changed entry no longer matches its proof), the proofs kept with the seal, the
/// checkpoint, the key entry and the stored statement. Not verified here: that is the
/// reader's job.
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
    let key_entry = export::entry(&state.store, seal.key_seq).await?;
    let key = KeyRecord::from_entry(&key_entry.entry)
        .map_err(|e| VoteSealError::BadSeal(format!("key entry {}: {e}", seal.key_seq)))?;
    let seqs = proven_seqs(record, seal.key_seq);
    let proven = match &seal.proofs {
        Some(kept) => with_kept_proofs(state, &seqs, kept).await?,
        // Sealed before the proofs were kept: from the trail, as the seal would.
        None => export::proven_entries(&state.store, checkpoint.size, &seqs).await?,
    };
    let (events, keys) = with_key(proven, key)?;
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

/// The seqs a protocol proves: the vote's entries, then the key's entry.
fn proven_seqs(record: &VoteRecord, key_seq: u64) -> Vec<u64> {
    let mut seqs = record.entry_seqs.clone();
    seqs.push(key_seq);
    seqs
}

/// The proven entries of [`proven_seqs`] split into the vote's events and its key.
fn with_key(
    mut proven: Vec<ProvenEntry>,
    key: KeyRecord,
) -> Result<(Vec<ProvenEntry>, Vec<ProvenSigningKey>), VoteSealError> {
    let recorded = proven
        .pop()
        .ok_or_else(|| VoteSealError::BadSeal("no proof of the signing key".to_owned()))?;
    Ok((proven, vec![ProvenSigningKey { key, recorded }]))
}

/// The entries `seqs` as stored now, each with the proof the seal kept for it.
async fn with_kept_proofs(
    state: &AppState,
    seqs: &[u64],
    kept: &str,
) -> Result<Vec<ProvenEntry>, VoteSealError> {
    let bad = |what: String| VoteSealError::BadSeal(format!("kept proofs: {what}"));
    let kept: Vec<KeptProof> = serde_json::from_str(kept).map_err(|e| bad(e.to_string()))?;
    let mut by_seq: BTreeMap<u64, Vec<String>> =
        kept.into_iter().map(|p| (p.seq, p.proof)).collect();
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let proof = by_seq
            .remove(&seq)
            .ok_or_else(|| bad(format!("none for seq {seq}")))?
            .iter()
            .map(|hex| hash_from_hex(hex))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad(format!("seq {seq} is not hex")))?;
        let entry = export::entry(&state.store, seq).await?;
        out.push(ProvenEntry { entry, proof });
    }
    Ok(out)
}

/// Ends a closed vote that could not be sealed as cancelled: a `vote.cancel` entry by the
/// system, whose reason carries `error`, and the row's state, in one transaction. Nothing
/// to do for a vote that is not closed and unsealed (a close that was not stored leaves
/// it open; its cancel is recorded with the close's failure).
async fn cancel_unsealed(
    state: &AppState,
    vote_id: VoteId,
    error: &VoteSealError,
) -> Result<(), StoreError> {
    let record = state.store.vote(vote_id).await?;
    if record.state != VoteState::Closed || record.seal.is_some() {
        return Ok(());
    }
    let cancel = VoteEvent::Cancel(CancelRecord {
        vote_id: vote_id.to_string(),
        reason: cancel_reason(error),
    });
    let entry = cancel.entry(
        0,
        crate::audit::now_ms(),
        &record.tenant_id,
        &record.meeting_id.to_string(),
        plenum_vote::event::system_actor(),
    );
    let mut tx = state.store.begin().await?;
    let appended = tx.append_audit(entry).await?;
    let mut seqs = record.entry_seqs;
    seqs.push(appended.seq);
    tx.cancel_unsealed_vote(vote_id, &seqs).await?;
    tx.commit().await
}

/// The recorded reason of a vote that could not be sealed: one line of at most the
/// length a cancel reason may have.
fn cancel_reason(error: &VoteSealError) -> String {
    format!("the result could not be sealed: {error}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(*REASON_CHARS.end())
        .collect()
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
