//! plenum-vote: formal, verifiable votes as a sans-IO library (issue #6).
//!
//! - [`spec`]: what a vote is about and who may vote ([`VoteSpec`]), validated once.
//! - [`machine`]: [`Vote`], the state machine of one vote: ballots, close, cancel,
//!   deadline, tally. Time and randomness are inputs.
//! - [`event`]: [`VoteEvent`], the audit entries the server appends for each record, and
//!   their strict parser.
//! - [`protocol`]: the protocol document and the voter's receipt ([`Protocol::assemble`],
//!   [`Protocol::receipt_for`]).
//! - [`statement`]: the signed, line-based result statement.
//! - [`verify`]: [`verify_protocol`] and [`verify_receipt`], the offline verifier behind
//!   `plenum vote verify`.
//!
//! The formats are documented in `docs/vote-protocol.md`.

pub mod event;
pub mod machine;
pub mod protocol;
pub mod spec;
pub mod statement;
pub mod verify;

pub use event::{EventError, VoteEvent};
pub use machine::{
    BallotError, BallotRecord, CancelRecord, CloseReason, CloseRecord, EndError, NotPending,
    OpenRecord, TOKEN_BYTES, TallyLine, Vote, VoteState,
};
pub use protocol::{
    AssembleError, Protocol, ProvenEntry, ProvenSigningKey, Receipt, TallySummary, VoteSummary,
};
pub use spec::{Mode, Options, SpecError, VoteOption, VoteSpec, Voter};
pub use statement::{Outcome, Statement};
pub use verify::{Report, VerifyError, verify_protocol, verify_receipt};
