//! Formal votes in the room (docs/signaling.md, "Votes"): who may vote and what everyone
//! is told. The rules of a vote itself (one ballot per voter, options, tally, tokens) are
//! `plenum_vote::Vote`'s; this module feeds it the room's people and time and turns its
//! records into messages and into [`VoteOutput`]s the server appends to the audit trail.
//!
//! One vote is open per meeting at a time. A voter is an account (token subject), so a
//! reconnect keeps eligibility, token and the one-ballot rule. A ballot is confirmed to
//! its voter (`vote.ballot_accepted`) only once the server reports its audit seq
//! ([`Votes::ballot_recorded`]); the result goes out once the server has sealed it
//! ([`Votes::sealed`]). In a pseudonymous vote this module (like the machine) holds the
//! subject → token/ballot link in memory while the vote runs and forgets it at its end.

use crate::WallClock;
use crate::chat;
use plenum_protocol::signaling::{ErrorCode, ServerMessage};
use plenum_protocol::vote::{
    PublishedBallot, VoteCheckpoint, VoteChoice, VoteCloseReason, VoteClosed, VoteCount, VoteMode,
    VoteOpen, VoteOpened,
};
use plenum_protocol::{MeetingId, UserId, VoteId};
use plenum_vote::{
    BallotError, BallotRecord, CloseReason, CloseRecord, EndError, Mode, Options, SpecError,
    TOKEN_BYTES, Vote, VoteEvent, VoteOption, VoteSpec, Voter,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// The id of the option a vote adds when abstaining is allowed.
const ABSTAIN: &str = "abstain";

/// A vote event for the server to append to the audit trail, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteOutput {
    pub vote_id: VoteId,
    pub event: VoteEvent,
    /// Who acted: the moderator, or a roll-call voter. `None` when the system acted (an
    /// automatic close) and for every pseudonymous ballot, whose entry must not name its
    /// voter.
    pub by: Option<UserId>,
    /// The voter of a ballot, to hand its seq back with [`crate::Room::handle_ballot_recorded`].
    /// Never part of the entry.
    pub voter: Option<UserId>,
}

/// Someone joined, as the votes see them.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub subject: UserId,
    pub guest: bool,
    pub name: String,
}

/// What a request or event asks the room to send or record.
#[derive(Debug)]
pub(crate) enum Effect {
    /// `vote.opened` to everyone joined, each with its own `can_vote`.
    AnnounceOpened,
    /// One message to everyone joined.
    Broadcast(ServerMessage),
    /// One message to every connection of a subject.
    ToSubject(UserId, ServerMessage, Option<String>),
    Record(VoteOutput),
}

/// A refusal: the `error` the sender gets.
pub(crate) type Refusal = (ErrorCode, String);

/// A ballot recorded by the machine whose audit seq has not come back yet.
#[derive(Debug)]
struct Pending {
    option: String,
    /// The voter's token (pseudonymous), for its confirmation.
    token: Option<String>,
    txn: Option<String>,
}

/// A ballot whose seq has come back: re-sent to its voter on reconnect.
#[derive(Debug, Clone)]
struct Accepted {
    option: String,
    token: Option<String>,
    seq: u64,
}

/// The vote that is open, or closed and waiting for its seal.
#[derive(Debug)]
struct Current {
    id: VoteId,
    vote: Vote,
    opened_at: String,
    /// When it closes by itself, monotonic and as RFC 3339.
    deadline: Option<(Instant, String)>,
    /// Ballots as published at close, in log order.
    ballots: Vec<PublishedBallot>,
    /// Ballots whose seq has not come back yet, by voter.
    pending: BTreeMap<UserId, Pending>,
    accepted: BTreeMap<UserId, Accepted>,
    /// Set at close: the result without its checkpoint.
    closing: Option<(CloseRecord, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct Votes {
    current: Option<Current>,
    /// The last sealed result, for late joiners.
    last: Option<VoteClosed>,
}

impl Votes {
    /// `vote.open` by a moderator, with the people joined now (in join order) and one
    /// token secret per eligible voter for a pseudonymous vote (`draw`).
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        &mut self,
        meeting: MeetingId,
        tenant: &str,
        by: UserId,
        request: VoteOpen,
        people: &[Person],
        draw: &mut dyn FnMut(&mut [u8]),
        clock: &WallClock,
        now: Instant,
    ) -> Result<Vec<Effect>, Refusal> {
        if self.current.is_some() {
            return Err((
                ErrorCode::VoteAlreadyOpen,
                "another vote is open in this meeting; close or cancel it first".into(),
            ));
        }
        let mut eligible: Vec<Voter> = Vec::new();
        for person in people {
            let subject = person.subject.to_string();
            if (request.include_guests || !person.guest)
                && !eligible.iter().any(|v| v.id == subject)
            {
                eligible.push(Voter::new(&subject, &person.name));
            }
        }
        if eligible.is_empty() {
            return Err((
                ErrorCode::InvalidState,
                "nobody who may vote is in the meeting".into(),
            ));
        }
        let mode = match request.mode {
            VoteMode::RollCall => Mode::RollCall,
            VoteMode::Pseudonymous => Mode::Pseudonymous,
        };
        let secrets: Vec<[u8; TOKEN_BYTES]> = match mode {
            Mode::RollCall => Vec::new(),
            Mode::Pseudonymous => eligible
                .iter()
                .map(|_| {
                    let mut secret = [0u8; TOKEN_BYTES];
                    draw(&mut secret);
                    secret
                })
                .collect(),
        };
        let id = VoteId::random();
        let spec = VoteSpec {
            id: id.to_string(),
            tenant: tenant.to_owned(),
            meeting: meeting.to_string(),
            subject: request.subject,
            options: options(request.options, request.allow_abstain),
            mode,
            eligible,
            duration_ms: request.duration_s.map(|s| u64::from(s) * 1000),
        };
        let now_ms = unix_ms(clock, now);
        let vote = Vote::open(spec, now_ms, &secrets).map_err(spec_refusal)?;
        let deadline = vote.deadline().map(|ms| {
            let at = now
                .checked_add(Duration::from_millis(ms.saturating_sub(now_ms)))
                .unwrap_or(now);
            (at, chat::timestamp(clock, at))
        });
        let event = VoteEvent::Open(vote.open_record().clone());
        self.current = Some(Current {
            id,
            opened_at: chat::timestamp(clock, now),
            deadline,
            vote,
            ballots: Vec::new(),
            pending: BTreeMap::new(),
            accepted: BTreeMap::new(),
            closing: None,
        });
        let mut effects = vec![
            Effect::Record(VoteOutput {
                vote_id: id,
                event,
                by: Some(by),
                voter: None,
            }),
            Effect::AnnounceOpened,
        ];
        if let Some(current) = &self.current {
            for voter in current.vote.eligible() {
                let token = current.vote.token_of(&voter.id);
                if let (Some(token), Ok(subject)) = (token, voter.id.parse()) {
                    let message = ServerMessage::VoteToken {
                        vote_id: id,
                        token: token.to_owned(),
                    };
                    effects.push(Effect::ToSubject(subject, message, None));
                }
            }
            effects.push(Effect::Broadcast(current.participation()));
        }
        Ok(effects)
    }

    /// `vote.ballot`. `txn` is the request's, for the `vote.ballot_accepted` it gets later.
    pub fn ballot(
        &mut self,
        voter: UserId,
        vote_id: VoteId,
        option: &str,
        txn: Option<String>,
        clock: &WallClock,
        now: Instant,
    ) -> Result<Vec<Effect>, Refusal> {
        let current = self.current_vote(vote_id)?;
        let cast = current
            .vote
            .cast(&voter.to_string(), option, unix_ms(clock, now))
            .map_err(ballot_refusal)?;
        // From the record: the machine forgets its tokens when this ballot closes the vote.
        let token = match &cast.ballot {
            BallotRecord::Pseudonymous { token, .. } => Some(token.clone()),
            BallotRecord::RollCall { .. } => None,
        };
        let (published, by) = match &cast.ballot {
            BallotRecord::RollCall { name, option, .. } => (
                PublishedBallot {
                    name: Some(name.clone()),
                    token: None,
                    option: option.clone(),
                },
                Some(voter),
            ),
            BallotRecord::Pseudonymous { token, option, .. } => (
                PublishedBallot {
                    name: None,
                    token: Some(token.clone()),
                    option: option.clone(),
                },
                None,
            ),
        };
        current.ballots.push(published);
        current.pending.insert(
            voter,
            Pending {
                option: option.to_owned(),
                token,
                txn,
            },
        );
        let mut effects = vec![
            Effect::Record(VoteOutput {
                vote_id,
                event: VoteEvent::Ballot(cast.ballot),
                by,
                voter: Some(voter),
            }),
            Effect::Broadcast(current.participation()),
        ];
        if let Some(closed) = cast.closed {
            effects.extend(self.closing(closed, None, clock, now));
        }
        Ok(effects)
    }

    /// `vote.close` by a moderator.
    pub fn close(
        &mut self,
        by: UserId,
        vote_id: VoteId,
        clock: &WallClock,
        now: Instant,
    ) -> Result<Vec<Effect>, Refusal> {
        let current = self.current_vote(vote_id)?;
        let closed = current
            .vote
            .close(CloseReason::Moderator, unix_ms(clock, now))
            .map_err(end_refusal)?;
        Ok(self.closing(closed, Some(by), clock, now))
    }

    /// `vote.cancel` by a moderator: no result; everyone is told at once.
    pub fn cancel(
        &mut self,
        by: UserId,
        vote_id: VoteId,
        reason: &str,
        clock: &WallClock,
        now: Instant,
    ) -> Result<Vec<Effect>, Refusal> {
        let current = self.current_vote(vote_id)?;
        let cancelled = current
            .vote
            .cancel(reason, unix_ms(clock, now))
            .map_err(end_refusal)?;
        self.current = None;
        Ok(vec![
            Effect::Record(VoteOutput {
                vote_id,
                event: VoteEvent::Cancel(cancelled),
                by: Some(by),
                voter: None,
            }),
            Effect::Broadcast(ServerMessage::VoteCancelled {
                vote_id,
                reason: reason.to_owned(),
            }),
        ])
    }

    /// When the open vote closes by itself, if it has a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.current
            .as_ref()
            .filter(|c| c.closing.is_none())
            .and_then(|c| c.deadline.as_ref().map(|(at, _)| *at))
    }

    /// Closes the open vote if its deadline has come.
    pub fn expire(&mut self, clock: &WallClock, now: Instant) -> Vec<Effect> {
        let Some(current) = self.current.as_mut() else {
            return Vec::new();
        };
        if current.deadline.as_ref().is_none_or(|(at, _)| now < *at) {
            return Vec::new();
        }
        // The machine checks the deadline in wall-clock ms; the room's timer is monotonic.
        // Past the monotonic deadline the vote is over, whatever the wall clock says.
        let now_ms = unix_ms(clock, now).max(current.vote.deadline().unwrap_or(0));
        match current.vote.handle_timeout(now_ms) {
            Some(closed) => self.closing(closed, None, clock, now),
            None => Vec::new(),
        }
    }

    /// The server appended the ballot of `voter` as entry `seq`: the voter learns it.
    pub fn ballot_recorded(&mut self, vote_id: VoteId, voter: UserId, seq: u64) -> Vec<Effect> {
        let Some(current) = self.current.as_mut().filter(|c| c.id == vote_id) else {
            return Vec::new();
        };
        let Some(pending) = current.pending.remove(&voter) else {
            return Vec::new();
        };
        let accepted = Accepted {
            option: pending.option,
            token: pending.token,
            seq,
        };
        let message = current.accepted_message(&accepted);
        current.accepted.insert(voter, accepted);
        vec![Effect::ToSubject(voter, message, pending.txn)]
    }

    /// The server sealed the closed vote: the result goes to everyone and stays for late
    /// joiners. `None` when sealing failed: the vote ends without a published result.
    pub fn sealed(&mut self, vote_id: VoteId, checkpoint: Option<VoteCheckpoint>) -> Vec<Effect> {
        let Some(current) = self
            .current
            .take_if(|c| c.id == vote_id && c.closing.is_some())
        else {
            return Vec::new();
        };
        let Some((record, closed_at)) = current.closing else {
            return Vec::new();
        };
        let Some(checkpoint) = checkpoint else {
            return vec![Effect::Broadcast(ServerMessage::VoteCancelled {
                vote_id,
                reason: "the result could not be sealed; the administrator has the details".into(),
            })];
        };
        let result = VoteClosed {
            vote_id,
            subject: current.vote.open_record().subject.clone(),
            mode: wire_mode(current.vote.mode()),
            reason: match record.reason {
                CloseReason::AllVoted => VoteCloseReason::AllVoted,
                CloseReason::Deadline => VoteCloseReason::Deadline,
                CloseReason::Moderator => VoteCloseReason::Moderator,
            },
            tally: record
                .tally
                .iter()
                .map(|line| VoteCount {
                    option: line.option.clone(),
                    count: line.count,
                })
                .collect(),
            options: choices(current.vote.options()),
            ballots: current.ballots,
            eligible: record.eligible,
            checkpoint,
            closed_at,
        };
        self.last = Some(result.clone());
        vec![Effect::Broadcast(ServerMessage::VoteClosed(result))]
    }

    /// What someone who just joined is told: the last result, the open vote and its
    /// participation, and its own token and ballot.
    pub fn snapshot(&self, subject: UserId) -> Vec<ServerMessage> {
        let mut out: Vec<ServerMessage> = self
            .last
            .iter()
            .map(|r| ServerMessage::VoteClosed(r.clone()))
            .collect();
        let Some(current) = &self.current else {
            return out;
        };
        out.extend(current.opened(subject));
        out.push(current.participation());
        if let Some(token) = current.vote.token_of(&subject.to_string()) {
            out.push(ServerMessage::VoteToken {
                vote_id: current.id,
                token: token.to_owned(),
            });
        }
        if let Some(accepted) = current.accepted.get(&subject) {
            out.push(current.accepted_message(accepted));
        }
        out
    }

    /// `vote.opened` as `subject` sees it, while a vote is open.
    pub fn opened(&self, subject: UserId) -> Option<ServerMessage> {
        self.current.as_ref().and_then(|c| c.opened(subject))
    }

    fn current_vote(&mut self, vote_id: VoteId) -> Result<&mut Current, Refusal> {
        match self.current.as_mut() {
            Some(current) if current.id == vote_id => Ok(current),
            _ if self.last.as_ref().is_some_and(|l| l.vote_id == vote_id) => {
                Err((ErrorCode::VoteClosed, "this vote is closed".into()))
            }
            _ => Err((ErrorCode::VoteUnknown, "no open vote with this id".into())),
        }
    }

    /// The vote has just closed: its `vote.close` entry is recorded; the result waits for
    /// the seal.
    fn closing(
        &mut self,
        record: CloseRecord,
        by: Option<UserId>,
        clock: &WallClock,
        now: Instant,
    ) -> Vec<Effect> {
        let Some(current) = self.current.as_mut() else {
            return Vec::new();
        };
        current.closing = Some((record.clone(), chat::timestamp(clock, now)));
        vec![Effect::Record(VoteOutput {
            vote_id: current.id,
            event: VoteEvent::Close(record),
            by,
            voter: None,
        })]
    }
}

impl Current {
    fn opened(&self, subject: UserId) -> Option<ServerMessage> {
        if self.closing.is_some() {
            return None;
        }
        let record = self.vote.open_record();
        Some(ServerMessage::VoteOpened(VoteOpened {
            vote_id: self.id,
            subject: record.subject.clone(),
            options: choices(&record.options),
            mode: wire_mode(record.mode),
            eligible: record.eligible.iter().map(|v| v.name.clone()).collect(),
            can_vote: self.vote.is_eligible(&subject.to_string()),
            opened_at: self.opened_at.clone(),
            deadline: self.deadline.as_ref().map(|(_, text)| text.clone()),
        }))
    }

    fn participation(&self) -> ServerMessage {
        let (cast, eligible) = self.vote.participation();
        let voted = (self.vote.mode() == Mode::RollCall).then(|| {
            self.vote
                .eligible()
                .iter()
                .filter(|v| self.vote.has_voted(&v.id))
                .map(|v| v.name.clone())
                .collect()
        });
        ServerMessage::VoteParticipation {
            vote_id: self.id,
            cast,
            eligible,
            voted,
        }
    }

    fn accepted_message(&self, accepted: &Accepted) -> ServerMessage {
        ServerMessage::VoteBallotAccepted {
            vote_id: self.id,
            option: accepted.option.clone(),
            seq: accepted.seq,
            token: accepted.token.clone(),
        }
    }
}

/// The options of a request: custom labels get the ids `1`, `2`, …; `abstain` is added
/// when allowed.
fn options(custom: Option<Vec<String>>, abstain: bool) -> Options {
    match custom {
        None => Options::YesNo { abstain },
        Some(labels) => {
            let mut options: Vec<VoteOption> = labels
                .iter()
                .enumerate()
                .map(|(index, label)| VoteOption::new(&(index + 1).to_string(), label))
                .collect();
            if abstain {
                options.push(VoteOption::new(ABSTAIN, "Abstain"));
            }
            Options::Custom(options)
        }
    }
}

fn choices(options: &[VoteOption]) -> Vec<VoteChoice> {
    options
        .iter()
        .map(|o| VoteChoice {
            id: o.id.clone(),
            label: o.label.clone(),
        })
        .collect()
}

fn wire_mode(mode: Mode) -> VoteMode {
    match mode {
        Mode::RollCall => VoteMode::RollCall,
        Mode::Pseudonymous => VoteMode::Pseudonymous,
    }
}

fn spec_refusal(error: SpecError) -> Refusal {
    (ErrorCode::BadMessage, error.to_string())
}

fn ballot_refusal(error: BallotError) -> Refusal {
    let code = match error {
        BallotError::UnknownOption(_) => ErrorCode::VoteUnknownOption,
        BallotError::NotEligible => ErrorCode::VoteNotEligible,
        BallotError::AlreadyVoted => ErrorCode::VoteAlreadyVoted,
        BallotError::NotOpen => ErrorCode::VoteClosed,
    };
    (code, error.to_string())
}

fn end_refusal(error: EndError) -> Refusal {
    let code = match error {
        EndError::NotOpen => ErrorCode::VoteClosed,
        EndError::Reason => ErrorCode::BadMessage,
    };
    (code, error.to_string())
}

/// `now` in Unix milliseconds, by the room's wall clock.
fn unix_ms(clock: &WallClock, now: Instant) -> u64 {
    let time = if now >= clock.at {
        clock.time.checked_add(now.duration_since(clock.at))
    } else {
        clock.time.checked_sub(clock.at.duration_since(now))
    };
    time.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| u64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}
