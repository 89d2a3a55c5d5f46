//! The protocol document (`plenum-vote-protocol` v1) and the voter's receipt
//! (`plenum-vote-receipt` v1): JSON, verifiable offline (see `docs/vote-protocol.md`).
//!
//! The server fetches a closed or cancelled vote's entries, their inclusion proofs in a
//! checkpoint signed after the vote ended, and the `audit.key_valid` entries of the keys,
//! and calls [`Protocol::assemble`]; everything else (the summary, the tally, the signed
//! result statement) is derived here, and the result is verified before it is returned,
//! so an honest server cannot hand out a protocol that fails.

use crate::machine::TallyLine;
use crate::spec::{Mode, VoteOption, Voter};
use crate::statement::{self, Outcome};
use crate::verify::{self, VerifyError};
use plenum_audit::bundle::ProvenKey;
use plenum_audit::{KeyRecord, SigningKey};
use serde::{Deserialize, Serialize};

/// `format` of a protocol document.
pub const PROTOCOL_FORMAT: &str = "plenum-vote-protocol";
/// `format` of a receipt.
pub const RECEIPT_FORMAT: &str = "plenum-vote-receipt";
/// The version of both formats.
pub const FORMAT_VERSION: u32 = 1;

/// An audit entry with its leaf hash and RFC 6962 inclusion proof in the protocol's
/// checkpoint (the same JSON shape as a bundle's `start.keys`).
pub type ProvenEntry = ProvenKey;

/// A closed or cancelled vote with everything needed to verify it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub format: String,
    pub version: u32,
    pub vote: VoteSummary,
    /// Every entry of the vote (open, ballots, close or cancel), by seq.
    pub events: Vec<ProvenEntry>,
    /// The signed checkpoint note all proofs lead to.
    pub checkpoint: String,
    /// The signing keys, each proven by its `audit.key_valid` entry in the checkpoint.
    pub keys: Vec<ProvenSigningKey>,
    pub tally: TallySummary,
    /// The result statement as a signed note (see [`crate::statement`]).
    pub statement: String,
}

/// What the vote was; each field is also in the entries, and the verifier checks they agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteSummary {
    pub id: String,
    pub tenant: String,
    pub meeting: String,
    pub subject: String,
    pub mode: Mode,
    pub options: Vec<VoteOption>,
    pub eligible: Vec<Voter>,
    pub deadline_ms: Option<u64>,
    /// Time of the `vote.open` entry.
    pub opened_ms: u64,
    /// Time of the `vote.close` or `vote.cancel` entry.
    pub ended_ms: u64,
    pub outcome: Outcome,
    /// The close reason (`all_voted`, `deadline`, `moderator`) or the cancellation text.
    pub reason: String,
}

/// The result, as recomputed from the ballots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TallySummary {
    /// Ballots per option, in ballot order.
    pub options: Vec<TallyLine>,
    /// Ballots cast.
    pub ballots: u64,
    /// Eligible voters.
    pub eligible: u64,
}

/// A signing key with the `audit.key_valid` entry that records it, proven included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenSigningKey {
    pub key: KeyRecord,
    pub recorded: ProvenEntry,
}

/// A voter's proof that their ballot is in the log (and, with the protocol, counted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub format: String,
    pub version: u32,
    pub vote_id: String,
    /// The ballot's entry, leaf hash and inclusion proof (its seq is the leaf index).
    pub ballot: ProvenEntry,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: String,
    /// The key that signed the checkpoint.
    pub key: KeyRecord,
}

/// Why a protocol could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssembleError {
    #[error("the signing key {0} is not among the protocol's keys")]
    UnknownSigner(String),
    #[error("the assembled protocol does not verify: {0}")]
    Verify(#[from] VerifyError),
    #[error("no ballot at seq {0} in this vote")]
    NoBallot(u64),
}

impl Protocol {
    /// Builds the protocol of a vote from its entries (with proofs, by seq), the signed
    /// checkpoint note they are proven in, the proven signing keys, and the key that signs
    /// the result statement (which must be one of `keys` and valid at the checkpoint's
    /// time). The protocol is verified before it is returned.
    pub fn assemble(
        events: Vec<ProvenEntry>,
        checkpoint: String,
        keys: Vec<ProvenSigningKey>,
        signer: &SigningKey,
    ) -> Result<Self, AssembleError> {
        if !keys.iter().any(|k| k.key == *signer.record()) {
            return Err(AssembleError::UnknownSigner(signer.record().name.clone()));
        }
        let checked = verify::check_log(&events, &checkpoint, &keys)?;
        let body = checked.statement().text();
        let statement = statement::note(&body, &signer.sign_note_body(&body));
        let protocol = Self {
            format: PROTOCOL_FORMAT.to_owned(),
            version: FORMAT_VERSION,
            vote: checked.summary,
            events,
            checkpoint,
            keys,
            tally: checked.tally,
            statement,
        };
        verify::verify_protocol(&protocol, &[])?;
        Ok(protocol)
    }

    /// The receipt of the ballot at `seq`: its proven entry, the checkpoint and the key
    /// that signed it.
    pub fn receipt_for(&self, seq: u64) -> Result<Receipt, AssembleError> {
        let ballot = self
            .events
            .iter()
            .find(|e| {
                e.entry.entry.seq == seq && e.entry.entry.action == crate::event::BALLOT_ACTION
            })
            .ok_or(AssembleError::NoBallot(seq))?;
        let checkpoint = plenum_audit::Checkpoint::parse(&self.checkpoint)
            .map_err(|e| AssembleError::Verify(VerifyError::Checkpoint(e)))?;
        let records: Vec<KeyRecord> = self.keys.iter().map(|k| k.key.clone()).collect();
        let key = checkpoint
            .verify(&records)
            .map_err(|e| AssembleError::Verify(VerifyError::Checkpoint(e)))?;
        Ok(Receipt {
            format: RECEIPT_FORMAT.to_owned(),
            version: FORMAT_VERSION,
            vote_id: self.vote.id.clone(),
            ballot: ballot.clone(),
            checkpoint: self.checkpoint.clone(),
            key: key.clone(),
        })
    }

    /// Parses a protocol's JSON (shape only; [`verify::verify_protocol`] checks the rest).
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

impl Receipt {
    /// Parses a receipt's JSON (shape only).
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
