//! [`Vote`]: the state machine of one formal vote, sans-IO.
//!
//! Time is an input (Unix milliseconds), and so is randomness (the token secrets of a
//! pseudonymous vote). Every operation returns the record the caller appends to the audit
//! trail ([`crate::VoteEvent`]); the machine never writes anything itself.
//!
//! A ballot counts only once its record is in the trail: [`Vote::cast`] holds it as
//! pending, and the caller [`Vote::commit`]s it after the append or [`Vote::discard`]s it
//! when the append failed (the voter may then cast again). A close waits for the pending
//! ballots, so the tally it records is always the ballots recorded before it.
//!
//! In pseudonymous mode the machine is the only place that knows which voter holds which
//! token: it needs that link to route ballots and refuse a second one, and keeps it in
//! memory only. Nothing it returns for a pseudonymous ballot names the voter.

use crate::spec::{Mode, REASON_CHARS, SpecError, VoteOption, VoteSpec, Voter, is_line_text};
use std::collections::{BTreeMap, BTreeSet};

/// Random bytes behind one voting token (the token is their lowercase hex).
pub const TOKEN_BYTES: usize = 16;

/// Why a ballot was refused. The vote goes on either way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    #[error("no option {0:?} in this vote")]
    UnknownOption(String),
    #[error("not eligible to vote")]
    NotEligible,
    #[error("already voted; a cast ballot cannot be changed")]
    AlreadyVoted,
    #[error("the vote is not open")]
    NotOpen,
}

/// Why a vote cannot be cancelled or closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndError {
    #[error("the vote is not open")]
    NotOpen,
    #[error("the reason must be 1 to 500 characters without control characters")]
    Reason,
}

/// Why a vote ended with a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Every eligible voter has voted.
    AllVoted,
    /// The duration ran out.
    Deadline,
    /// A moderator closed it.
    Moderator,
}

impl CloseReason {
    /// `all_voted`, `deadline` or `moderator`.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::AllVoted => "all_voted",
            CloseReason::Deadline => "deadline",
            CloseReason::Moderator => "moderator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::AllVoted, Self::Deadline, Self::Moderator]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// No ballot of this voter is waiting for its record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no ballot of this voter awaits its record")]
pub struct NotPending;

/// Where a vote stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteState {
    Open,
    /// Closed for ballots at `at_ms`, waiting for pending ballots to be committed or
    /// discarded before the result is taken.
    Closing {
        reason: CloseReason,
        at_ms: u64,
    },
    Closed {
        reason: CloseReason,
        at_ms: u64,
    },
    Cancelled {
        reason: String,
        at_ms: u64,
    },
}

/// Ballots per option, in ballot order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TallyLine {
    pub option: String,
    pub count: u64,
}

/// The tally lines of `counts` (ballots per option index).
pub(crate) fn tally_lines(options: &[VoteOption], counts: &[u64]) -> Vec<TallyLine> {
    options
        .iter()
        .zip(counts)
        .map(|(option, count)| TallyLine {
            option: option.id.clone(),
            count: *count,
        })
        .collect()
}

/// The `vote.open` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRecord {
    pub vote_id: String,
    pub subject: String,
    pub mode: Mode,
    pub options: Vec<VoteOption>,
    pub eligible: Vec<Voter>,
    pub deadline_ms: Option<u64>,
}

/// One cast ballot as it is recorded. A pseudonymous ballot carries only its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotRecord {
    RollCall {
        vote_id: String,
        /// The voter's account id (also the entry's actor).
        voter: String,
        /// The voter's display name.
        name: String,
        option: String,
    },
    Pseudonymous {
        vote_id: String,
        token: String,
        option: String,
    },
}

impl BallotRecord {
    pub fn vote_id(&self) -> &str {
        match self {
            BallotRecord::RollCall { vote_id, .. } | BallotRecord::Pseudonymous { vote_id, .. } => {
                vote_id
            }
        }
    }

    pub fn option(&self) -> &str {
        match self {
            BallotRecord::RollCall { option, .. } | BallotRecord::Pseudonymous { option, .. } => {
                option
            }
        }
    }
}

/// The `vote.close` record: the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRecord {
    pub vote_id: String,
    pub reason: CloseReason,
    pub tally: Vec<TallyLine>,
    /// Ballots cast.
    pub ballots: u64,
    /// Eligible voters.
    pub eligible: u64,
}

/// The `vote.cancel` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRecord {
    pub vote_id: String,
    pub reason: String,
}

/// One formal vote.
#[derive(Debug, Clone)]
pub struct Vote {
    open: OpenRecord,
    opened_ms: u64,
    state: VoteState,
    /// Voter id → index in `open.eligible`.
    voters: BTreeMap<String, usize>,
    /// Pseudonymous only: the token of each eligible voter, by index. In memory only.
    tokens: Vec<String>,
    /// Cast ballots whose record is not yet in the trail: voter index → option index.
    pending: BTreeMap<usize, usize>,
    /// Indices of voters whose ballot is recorded and counted.
    voted: BTreeSet<usize>,
    /// Ballots per option index.
    counts: Vec<u64>,
}

impl Vote {
    /// Opens a vote at `now_ms`. A pseudonymous vote needs one secret of [`TOKEN_BYTES`]
    /// random bytes per eligible voter, in eligible order (a roll-call vote takes none);
    /// the caller draws them from a CSPRNG.
    pub fn open(
        spec: VoteSpec,
        now_ms: u64,
        token_secrets: &[[u8; TOKEN_BYTES]],
    ) -> Result<Self, SpecError> {
        let options = spec.check()?;
        let tokens: Vec<String> = match spec.mode {
            Mode::RollCall => Vec::new(),
            Mode::Pseudonymous => {
                if token_secrets.len() != spec.eligible.len() {
                    return Err(SpecError::TokenSecrets {
                        expected: spec.eligible.len(),
                        found: token_secrets.len(),
                    });
                }
                token_secrets
                    .iter()
                    .map(|s| plenum_audit::to_hex(s))
                    .collect()
            }
        };
        if tokens.iter().collect::<BTreeSet<_>>().len() != tokens.len() {
            return Err(SpecError::DuplicateToken);
        }
        let voters = spec
            .eligible
            .iter()
            .enumerate()
            .map(|(index, voter)| (voter.id.clone(), index))
            .collect();
        let counts = vec![0; options.len()];
        Ok(Self {
            open: OpenRecord {
                vote_id: spec.id,
                subject: spec.subject,
                mode: spec.mode,
                options,
                eligible: spec.eligible,
                deadline_ms: spec.duration_ms.map(|d| now_ms.saturating_add(d)),
            },
            opened_ms: now_ms,
            state: VoteState::Open,
            voters,
            tokens,
            pending: BTreeMap::new(),
            voted: BTreeSet::new(),
            counts,
        })
    }

    /// The `vote.open` record to append.
    pub fn open_record(&self) -> &OpenRecord {
        &self.open
    }

    pub fn id(&self) -> &str {
        &self.open.vote_id
    }

    pub fn mode(&self) -> Mode {
        self.open.mode
    }

    pub fn options(&self) -> &[VoteOption] {
        &self.open.options
    }

    pub fn eligible(&self) -> &[Voter] {
        &self.open.eligible
    }

    pub fn opened_ms(&self) -> u64 {
        self.opened_ms
    }

    pub fn state(&self) -> &VoteState {
        &self.state
    }

    /// Whether `voter` may vote (regardless of whether they have).
    pub fn is_eligible(&self, voter: &str) -> bool {
        self.voters.contains_key(voter)
    }

    /// Whether `voter`'s ballot is recorded and counted.
    pub fn has_voted(&self, voter: &str) -> bool {
        self.voters
            .get(voter)
            .is_some_and(|index| self.voted.contains(index))
    }

    /// The voting token of `voter` in a pseudonymous vote — to be shown to that voter
    /// only (it is how they find their ballot in the result). Forgotten when the vote
    /// ends, so the link lives no longer than the vote: the server hands each voter their
    /// token and their ballot's seq while the vote runs.
    pub fn token_of(&self, voter: &str) -> Option<&str> {
        let index = *self.voters.get(voter)?;
        self.tokens.get(index).map(String::as_str)
    }

    /// When the vote closes by itself, while it is open.
    pub fn deadline(&self) -> Option<u64> {
        match self.state {
            VoteState::Open => self.open.deadline_ms,
            _ => None,
        }
    }

    /// Counted ballots and eligible voters (what may be shown while the vote runs).
    pub fn participation(&self) -> (u64, u64) {
        (self.voted.len() as u64, self.open.eligible.len() as u64)
    }

    /// Counted ballots per option so far, in ballot order.
    pub fn tally(&self) -> Vec<TallyLine> {
        tally_lines(&self.open.options, &self.counts)
    }

    /// Casts `voter`'s ballot for `option_id` at `now_ms`: returns the record to append
    /// and holds the ballot as pending until [`Self::commit`] or [`Self::discard`]. The
    /// voter cannot cast another meanwhile. A ballot at or after the deadline is refused
    /// as [`BallotError::NotOpen`] even before [`Self::handle_timeout`] has run.
    pub fn cast(
        &mut self,
        voter: &str,
        option_id: &str,
        now_ms: u64,
    ) -> Result<BallotRecord, BallotError> {
        let open = self.state == VoteState::Open
            && self
                .open
                .deadline_ms
                .is_none_or(|deadline| now_ms < deadline);
        if !open {
            return Err(BallotError::NotOpen);
        }
        let index = *self.voters.get(voter).ok_or(BallotError::NotEligible)?;
        let option_index = self
            .open
            .options
            .iter()
            .position(|o| o.id == option_id)
            .ok_or_else(|| BallotError::UnknownOption(option_id.to_owned()))?;
        if self.voted.contains(&index) || self.pending.contains_key(&index) {
            return Err(BallotError::AlreadyVoted);
        }
        self.pending.insert(index, option_index);
        let vote_id = self.open.vote_id.clone();
        let option = option_id.to_owned();
        Ok(match self.open.mode {
            Mode::RollCall => BallotRecord::RollCall {
                vote_id,
                voter: voter.to_owned(),
                name: self.open.eligible[index].name.clone(),
                option,
            },
            Mode::Pseudonymous => BallotRecord::Pseudonymous {
                vote_id,
                token: self.tokens[index].clone(),
                option,
            },
        })
    }

    /// `voter`'s pending ballot is in the trail at `now_ms`: it counts. Returns the close
    /// when it was the last eligible ballot, or the last pending one of a waiting close
    /// (append the close after the ballot).
    pub fn commit(&mut self, voter: &str, now_ms: u64) -> Result<Option<CloseRecord>, NotPending> {
        let (index, option_index) = self.take_pending(voter)?;
        self.voted.insert(index);
        self.counts[option_index] += 1;
        Ok(self.settle(now_ms))
    }

    /// `voter`'s pending ballot could not be recorded: it does not count, and the voter
    /// may cast again while the vote is open. Returns the close when a close was waiting
    /// for this ballot.
    pub fn discard(&mut self, voter: &str, now_ms: u64) -> Result<Option<CloseRecord>, NotPending> {
        self.take_pending(voter)?;
        Ok(self.settle(now_ms))
    }

    /// Closes the vote (a moderator's decision) at `now_ms`. `None` while ballots are
    /// pending: the close then comes from the [`Self::commit`] or [`Self::discard`] of
    /// the last one.
    pub fn close(
        &mut self,
        reason: CloseReason,
        now_ms: u64,
    ) -> Result<Option<CloseRecord>, EndError> {
        if self.state != VoteState::Open {
            return Err(EndError::NotOpen);
        }
        self.state = VoteState::Closing {
            reason,
            at_ms: now_ms,
        };
        Ok(self.settle(now_ms))
    }

    /// Cancels the vote: no result; `reason` (1–500 characters) is recorded. Pending
    /// ballots are dropped with it.
    pub fn cancel(&mut self, reason: &str, now_ms: u64) -> Result<CancelRecord, EndError> {
        if !matches!(self.state, VoteState::Open | VoteState::Closing { .. }) {
            return Err(EndError::NotOpen);
        }
        if !is_line_text(reason, REASON_CHARS) {
            return Err(EndError::Reason);
        }
        self.state = VoteState::Cancelled {
            reason: reason.to_owned(),
            at_ms: now_ms,
        };
        self.tokens.clear();
        self.pending.clear();
        Ok(CancelRecord {
            vote_id: self.open.vote_id.clone(),
            reason: reason.to_owned(),
        })
    }

    /// Closes the vote when its deadline has come; call it at [`Self::deadline`]. `None`
    /// also when ballots are pending: see [`Self::close`].
    pub fn handle_timeout(&mut self, now_ms: u64) -> Option<CloseRecord> {
        let due = self.deadline().is_some_and(|deadline| now_ms >= deadline);
        if !due {
            return None;
        }
        self.close(CloseReason::Deadline, now_ms).ok().flatten()
    }

    fn take_pending(&mut self, voter: &str) -> Result<(usize, usize), NotPending> {
        let index = *self.voters.get(voter).ok_or(NotPending)?;
        let option_index = self.pending.remove(&index).ok_or(NotPending)?;
        Ok((index, option_index))
    }

    /// Takes the result when it is due and no ballot is pending: a close is waiting, or
    /// every eligible ballot counts (then at `now_ms`).
    fn settle(&mut self, now_ms: u64) -> Option<CloseRecord> {
        if !self.pending.is_empty() {
            return None;
        }
        match self.state {
            VoteState::Closing { reason, at_ms } => Some(self.finish(reason, at_ms)),
            VoteState::Open if self.voted.len() == self.open.eligible.len() => {
                Some(self.finish(CloseReason::AllVoted, now_ms))
            }
            _ => None,
        }
    }

    fn finish(&mut self, reason: CloseReason, now_ms: u64) -> CloseRecord {
        self.state = VoteState::Closed {
            reason,
            at_ms: now_ms,
        };
        // The token ↔ voter link is needed no longer; forget it.
        self.tokens.clear();
        let (ballots, eligible) = self.participation();
        CloseRecord {
            vote_id: self.open.vote_id.clone(),
            reason,
            tally: self.tally(),
            ballots,
            eligible,
        }
    }
}
