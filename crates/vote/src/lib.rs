//! plenum-vote: formal, verifiable votes as a sans-IO library (issue #6).
//!
//! - [`spec`]: what a vote is about and who may vote ([`VoteSpec`]), validated once.
//! - [`machine`]: [`Vote`], the state machine of one vote: ballots, close, cancel,
//!   deadline, tally. Time and randomness are inputs.
//! - [`event`]: [`VoteEvent`], the audit entries the server appends for each record, and
//!   their strict parser.
//!
//! The formats are documented in `docs/vote-protocol.md`.

pub mod event;
pub mod machine;
pub mod spec;

pub use event::{EventError, VoteEvent};
pub use machine::{
    BallotError, BallotRecord, CancelRecord, Cast, CloseReason, CloseRecord, EndError, OpenRecord,
    TOKEN_BYTES, TallyLine, Vote, VoteState,
};
pub use spec::{Mode, Options, SpecError, VoteOption, VoteSpec, Voter};
