//! Formal votes in the room (docs/signaling.md, "Votes"): who may vote and what everyone
//! is told. The rules of a vote itself (one ballot per voter, options, tally, tokens) are
//! `plenum_vote::Vote`'s; this module feeds it the room's people and time and turns its
//! records into messages and into [`VoteOutput`]s the server appends to the audit trail.
//!
//! One vote is open per meeting at a time. A voter is an account (token subject), so a
//! reconnect keeps eligibility, token and the one-ballot rule. In a pseudonymous vote this
//! module (like the machine) holds the subject → token/ballot link in memory while the
//! vote runs and forgets it at its end.
//!
//! What is announced is what the audit trail holds: the server reports each append back
//! ([`Votes::recorded`]). A vote is announced once its `vote.open` entry is stored; a
//! ballot counts, and its voter gets `vote.ballot_accepted`, once its entry is stored; a
//! close waits for the ballots still being stored, so its tally is the ballots before it
//! in the trail; the result goes out once the server has sealed it ([`Votes::sealed`]).
//! When an append fails, the requester gets `vote_not_recorded` and may try again (the
//! vote goes on); a close that could not be stored ends the vote as cancelled, recorded
//! with its reason.

use crate::chat;
use crate::{ConnectionId, WallClock};
use plenum_protocol::signaling::{ErrorCode, ServerMessage};
use plenum_protocol::vote::{
    PublishedBallot, VoteCheckpoint, VoteChoice, VoteCloseReason, VoteClosed, VoteCount, VoteMode,
    VoteOpen, VoteOpened,
};
use plenum_protocol::{MeetingId, UserId, VoteId};
use plenum_vote::{
    BallotError, BallotRecord, CancelRecord, CloseReason, CloseRecord, EndError, Mode, Options,
    SpecError, TOKEN_BYTES, Vote, VoteEvent, VoteOption, VoteSpec, VoteState, Voter,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// The id of the option a vote adds when abstaining is allowed.
const ABSTAIN: &str = "abstain";

/// The recorded reason of a vote whose `vote.close` entry could not be stored.
const CLOSE_NOT_RECORDED: &str = "the result could not be recorded in the audit trail";

/// A vote event for the server to append to the audit trail, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteOutput {
    pub vote_id: VoteId,
    pub event: VoteEvent,
    /// Who acted: the moderator, or a roll-call voter. `None` when the system acted (an
    /// automatic close) and for every pseudonymous ballot, whose entry must not name its
    /// voter.
    pub by: Option<UserId>,
    /// What to hand back with [`crate::Room::handle_vote_recorded`] once the append is
    /// over; never part of the entry. `None` for a cancel: nothing waits for it.
    pub report: Option<RecordedEntry>,
}

/// A vote entry whose append the room waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordedEntry {
    /// `vote.open`: the vote is announced once it is stored.
    Open,
    /// `vote.ballot` of this voter: it counts once it is stored.
    Ballot(UserId),
    /// `vote.close`: reported only when it could not be stored; a stored close is sealed
    /// and comes back through [`crate::Room::handle_vote_sealed`].
    Close,
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
    /// `vote.opened` to everyone joined, each with its own `can_vote`; the copy to the
    /// requesting connection carries the `vote.open` request's txn.
    AnnounceOpened(Option<(ConnectionId, String)>),
    /// One message to everyone joined.
    Broadcast(ServerMessage),
    /// One message to every connection of a subject.
    ToSubject(UserId, ServerMessage, Option<String>),
    Record(VoteOutput),
}

/// A refusal: the `error` the sender gets.
pub(crate) type Refusal = (ErrorCode, String);

/// A ballot the machine holds as pending until its append is reported.
#[derive(Debug)]
struct Pending {
    option: String,
    /// The voter's token (pseudonymous), for its confirmation.
    token: Option<String>,
    txn: Option<String>,
    /// How it is published at close, once it counts.
    published: PublishedBallot,
}

/// A vote whose `vote.open` entry is being appended: nobody has heard of it yet.
#[derive(Debug)]
struct Opening {
    by: UserId,
    /// The requesting connection and the request's txn.
    answer: Option<(ConnectionId, String)>,
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
    /// Set until the `vote.open` entry is stored.
    opening: Option<Opening>,
    /// Counted ballots as published at close, by seq (log order).
    ballots: BTreeMap<u64, PublishedBallot>,
    /// Ballots whose append has not been reported yet, by voter.
    pending: BTreeMap<UserId, Pending>,
    accepted: BTreeMap<UserId, Accepted>,
    /// The moderator whose close waits for pending ballots.
    close_by: Option<UserId>,
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
    /// token secret per eligible voter for a pseudonymous vote (`draw`). `answer` is the
    /// requesting connection and txn, for the `vote.opened` it gets once the opening is
    /// recorded.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        &mut self,
        meeting: MeetingId,
        tenant: &str,
        by: UserId,
        answer: Option<(ConnectionId, String)>,
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
            opening: Some(Opening { by, answer }),
            ballots: BTreeMap::new(),
            pending: BTreeMap::new(),
            accepted: BTreeMap::new(),
            close_by: None,
            closing: None,
        });
        Ok(vec![Effect::Record(VoteOutput {
            vote_id: id,
            event,
            by: Some(by),
            report: Some(RecordedEntry::Open),
        })])
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
        let ballot = current
            .vote
            .cast(&voter.to_string(), option, unix_ms(clock, now))
            .map_err(ballot_refusal)?;
        // From the record: the machine forgets its tokens when this ballot closes the vote.
        let token = match &ballot {
            BallotRecord::Pseudonymous { token, .. } => Some(token.clone()),
            BallotRecord::RollCall { .. } => None,
        };
        let (published, by) = match &ballot {
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
        current.pending.insert(
            voter,
            Pending {
                option: option.to_owned(),
                token,
                txn,
                published,
            },
        );
        Ok(vec![Effect::Record(VoteOutput {
            vote_id,
            event: VoteEvent::Ballot(ballot),
            by,
            report: Some(RecordedEntry::Ballot(voter)),
        })])
    }

    /// `vote.close` by a moderator; with ballots still being recorded, the close follows
    /// the last of them.
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
        match closed {
            Some(closed) => Ok(self.closing(closed, Some(by), clock, now)),
            None => {
                current.close_by = Some(by);
                Ok(Vec::new())
            }
        }
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
                report: None,
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
            .filter(|c| c.opening.is_none() && c.vote.deadline().is_some())
            .and_then(|c| c.deadline.as_ref().map(|(at, _)| *at))
    }

    /// Closes the open vote if its deadline has come (once its pending ballots are
    /// reported, if any).
    pub fn expire(&mut self, clock: &WallClock, now: Instant) -> Vec<Effect> {
        let Some(current) = self.current.as_mut().filter(|c| c.opening.is_none()) else {
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

    /// The server's append of `entry` is over: stored as `seq`, or not stored (`None`).
    pub fn recorded(
        &mut self,
        vote_id: VoteId,
        entry: RecordedEntry,
        seq: Option<u64>,
        clock: &WallClock,
        now: Instant,
    ) -> Vec<Effect> {
        match (entry, seq) {
            (RecordedEntry::Open, _) => self.open_recorded(vote_id, seq.is_some()),
            (RecordedEntry::Ballot(voter), _) => {
                self.ballot_recorded(vote_id, voter, seq, clock, now)
            }
            (RecordedEntry::Close, None) => self.close_not_recorded(vote_id),
            // A stored close is sealed next; its result comes with the seal.
            (RecordedEntry::Close, Some(_)) => Vec::new(),
        }
    }

    /// The vote is announced once its opening is stored; otherwise it never was, and the
    /// moderator may open it again.
    fn open_recorded(&mut self, vote_id: VoteId, stored: bool) -> Vec<Effect> {
        let Some(current) = self.current.as_mut().filter(|c| c.id == vote_id) else {
            return Vec::new();
        };
        let Some(opening) = current.opening.take() else {
            return Vec::new();
        };
        if !stored {
            self.current = None;
            let message = not_recorded("the vote could not be recorded, so it was not opened");
            let txn = opening.answer.map(|(_, txn)| txn);
            return vec![Effect::ToSubject(opening.by, message, txn)];
        }
        let mut effects = vec![Effect::AnnounceOpened(opening.answer)];
        for voter in current.vote.eligible() {
            let token = current.vote.token_of(&voter.id);
            if let (Some(token), Ok(subject)) = (token, voter.id.parse()) {
                let message = ServerMessage::VoteToken {
                    vote_id,
                    token: token.to_owned(),
                };
                effects.push(Effect::ToSubject(subject, message, None));
            }
        }
        effects.push(Effect::Broadcast(current.participation()));
        effects
    }

    /// A stored ballot counts and its voter learns its seq; one that could not be stored
    /// does not count, and its voter is told (and may vote again while the vote is open).
    /// Either may be the last one a close was waiting for.
    fn ballot_recorded(
        &mut self,
        vote_id: VoteId,
        voter: UserId,
        seq: Option<u64>,
        clock: &WallClock,
        now: Instant,
    ) -> Vec<Effect> {
        let Some(current) = self.current.as_mut().filter(|c| c.id == vote_id) else {
            return Vec::new();
        };
        let Some(pending) = current.pending.remove(&voter) else {
            return Vec::new();
        };
        let subject = voter.to_string();
        let now_ms = unix_ms(clock, now);
        let (mut effects, closed) = match seq {
            Some(seq) => {
                let Ok(closed) = current.vote.commit(&subject, now_ms) else {
                    return Vec::new();
                };
                current.ballots.insert(seq, pending.published);
                let accepted = Accepted {
                    option: pending.option,
                    token: pending.token,
                    seq,
                };
                let message = current.accepted_message(&accepted);
                current.accepted.insert(voter, accepted);
                let effects = vec![
                    Effect::ToSubject(voter, message, pending.txn),
                    Effect::Broadcast(current.participation()),
                ];
                (effects, closed)
            }
            None => {
                let message = not_recorded(if *current.vote.state() == VoteState::Open {
                    "your ballot could not be recorded and does not count; cast it again"
                } else {
                    "your ballot could not be recorded and does not count; the vote has closed"
                });
                let Ok(closed) = current.vote.discard(&subject, now_ms) else {
                    return Vec::new();
                };
                (vec![Effect::ToSubject(voter, message, pending.txn)], closed)
            }
        };
        if let Some(closed) = closed {
            let by = current.close_by;
            effects.extend(self.closing(closed, by, clock, now));
        }
        effects
    }

    /// The close could not be stored, so the trail holds no result: the vote ends as
    /// cancelled, with the reason recorded (by the system) and told to everyone.
    fn close_not_recorded(&mut self, vote_id: VoteId) -> Vec<Effect> {
        let Some(current) = self
            .current
            .take_if(|c| c.id == vote_id && c.closing.is_some())
        else {
            return Vec::new();
        };
        let cancelled = CancelRecord {
            vote_id: current.vote.id().to_owned(),
            reason: CLOSE_NOT_RECORDED.to_owned(),
        };
        vec![
            Effect::Record(VoteOutput {
                vote_id,
                event: VoteEvent::Cancel(cancelled),
                by: None,
                report: None,
            }),
            Effect::Broadcast(ServerMessage::VoteCancelled {
                vote_id,
                reason: CLOSE_NOT_RECORDED.to_owned(),
            }),
        ]
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
            ballots: current.ballots.into_values().collect(),
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
        let Some(current) = self.current.as_ref().filter(|c| c.opening.is_none()) else {
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
            // A vote still opening is unknown: nobody has heard of it.
            Some(current) if current.id == vote_id && current.opening.is_none() => Ok(current),
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
            report: Some(RecordedEntry::Close),
        })]
    }
}

impl Current {
    fn opened(&self, subject: UserId) -> Option<ServerMessage> {
        if self.opening.is_some() || *self.vote.state() != VoteState::Open {
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

/// `vote_not_recorded`: an append failed; what was asked did not happen.
fn not_recorded(message: &str) -> ServerMessage {
    ServerMessage::Error {
        code: ErrorCode::VoteNotRecorded,
        message: message.to_owned(),
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
