//! The audit entries of a vote: what the server appends for each record of the state
//! machine, and the strict parser the verifier reads them back with.
//!
//! Every detail is plain text (not personal): a vote's record is meant to be kept as it
//! is. What that discloses is decided by the mode: a roll-call ballot names the voter (by
//! design), a pseudonymous ballot names only the token, and its entry has the system as
//! actor and no source address or request id. The exact detail lists are in
//! `docs/vote-protocol.md`.

use crate::machine::{BallotRecord, CancelRecord, CloseReason, CloseRecord, OpenRecord, TallyLine};
use crate::spec::{
    Mode, REASON_CHARS, SUBJECT_CHARS, SpecError, VoteOption, Voter, check_eligible, check_id,
    check_options, is_line_text, is_token_text,
};
use plenum_audit::entry::{Actor, ActorKind, Detail, Entry, Outcome, Value};

pub const OPEN_ACTION: &str = "vote.open";
pub const BALLOT_ACTION: &str = "vote.ballot";
pub const CLOSE_ACTION: &str = "vote.close";
pub const CANCEL_ACTION: &str = "vote.cancel";
/// The actor id of entries written by Plenum itself.
pub const SYSTEM_ACTOR: &str = "plenum";

/// Why an entry is not a well-formed vote event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("action {0:?} is not a vote action")]
    NotVote(String),
    #[error("detail #{index}: expected `{expected}`")]
    Detail {
        index: usize,
        expected: &'static str,
    },
    #[error("detail `{0}` is malformed")]
    Value(&'static str),
    #[error("more details than the action has")]
    ExtraDetails,
    #[error(transparent)]
    Spec(#[from] SpecError),
}

/// One record of a vote, as an audit entry carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteEvent {
    Open(OpenRecord),
    Ballot(BallotRecord),
    Close(CloseRecord),
    Cancel(CancelRecord),
}

/// The `eligible` detail: one line `<voter id> <name>` per voter, joined by `\n`.
pub fn eligible_text(eligible: &[Voter]) -> String {
    let lines: Vec<String> = eligible
        .iter()
        .map(|v| format!("{} {}", v.id, v.name))
        .collect();
    lines.join("\n")
}

/// The resource of every entry of a vote in `meeting`.
pub fn resource(meeting: &str) -> String {
    format!("meeting:{meeting}")
}

impl VoteEvent {
    /// The catalogue action.
    pub fn action(&self) -> &'static str {
        match self {
            VoteEvent::Open(_) => OPEN_ACTION,
            VoteEvent::Ballot(_) => BALLOT_ACTION,
            VoteEvent::Close(_) => CLOSE_ACTION,
            VoteEvent::Cancel(_) => CANCEL_ACTION,
        }
    }

    pub fn vote_id(&self) -> &str {
        match self {
            VoteEvent::Open(r) => &r.vote_id,
            VoteEvent::Ballot(r) => r.vote_id(),
            VoteEvent::Close(r) => &r.vote_id,
            VoteEvent::Cancel(r) => &r.vote_id,
        }
    }

    /// Whether the entry must have the system as actor and no source or request id: a
    /// pseudonymous ballot, which must not be linkable to its voter.
    pub fn is_pseudonymous_ballot(&self) -> bool {
        matches!(self, VoteEvent::Ballot(BallotRecord::Pseudonymous { .. }))
    }

    /// The details, all plain text, in entry order.
    pub fn details(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("vote_id", self.vote_id().to_owned())];
        match self {
            VoteEvent::Open(r) => {
                out.push(("subject", r.subject.clone()));
                out.push(("mode", r.mode.as_str().to_owned()));
                for option in &r.options {
                    out.push(("option", format!("{} {}", option.id, option.label)));
                }
                out.push(("eligible", eligible_text(&r.eligible)));
                if let Some(deadline) = r.deadline_ms {
                    out.push(("deadline_ms", deadline.to_string()));
                }
            }
            VoteEvent::Ballot(BallotRecord::RollCall {
                voter,
                name,
                option,
                ..
            }) => {
                out.push(("voter", voter.clone()));
                out.push(("name", name.clone()));
                out.push(("option", option.clone()));
            }
            VoteEvent::Ballot(BallotRecord::Pseudonymous { token, option, .. }) => {
                out.push(("token", token.clone()));
                out.push(("option", option.clone()));
            }
            VoteEvent::Close(r) => {
                out.push(("reason", r.reason.as_str().to_owned()));
                for line in &r.tally {
                    out.push(("tally", format!("{} {}", line.option, line.count)));
                }
                out.push(("ballots", r.ballots.to_string()));
                out.push(("eligible", r.eligible.to_string()));
            }
            VoteEvent::Cancel(r) => out.push(("reason", r.reason.clone())),
        }
        out
    }

    /// The entry for this event at `seq`, without source or request id. A pseudonymous
    /// ballot always gets the system as actor, whatever `actor` says; for the others,
    /// `actor` is who acted (the voter of a roll-call ballot, the moderator, or the system).
    pub fn entry(
        &self,
        seq: u64,
        time_ms: u64,
        tenant: &str,
        meeting: &str,
        actor: Actor,
    ) -> Entry {
        let actor = if self.is_pseudonymous_ballot() {
            system_actor()
        } else {
            actor
        };
        Entry {
            seq,
            time_ms,
            tenant: tenant.to_owned(),
            actor,
            source: None,
            action: self.action().to_owned(),
            resource: resource(meeting),
            outcome: Outcome::Success,
            request_id: None,
            details: self
                .details()
                .into_iter()
                .map(|(key, value)| Detail {
                    key: key.to_owned(),
                    value: Value::Text(value),
                })
                .collect(),
        }
    }

    /// Reads a vote event back from an entry: exactly the details [`Self::details`]
    /// writes, in that order, each valid.
    pub fn from_entry(entry: &Entry) -> Result<Self, EventError> {
        let mut details = Details { entry, next: 0 };
        let vote_id = details.take("vote_id")?.to_owned();
        check_id("vote id", &vote_id)?;
        let event = match entry.action.as_str() {
            OPEN_ACTION => {
                let subject = details.take("subject")?.to_owned();
                if !is_line_text(&subject, SUBJECT_CHARS) {
                    return Err(SpecError::Subject.into());
                }
                let mode = Mode::parse(details.take("mode")?).ok_or(EventError::Value("mode"))?;
                let mut options = Vec::new();
                while let Some(text) = details.take_repeated("option") {
                    let (id, label) = text.split_once(' ').ok_or(EventError::Value("option"))?;
                    options.push(VoteOption::new(id, label));
                }
                check_options(&options)?;
                if options.len() < 2 {
                    return Err(SpecError::OptionCount.into());
                }
                let mut eligible = Vec::new();
                for line in details.take("eligible")?.split('\n') {
                    let (id, name) = line.split_once(' ').ok_or(EventError::Value("eligible"))?;
                    eligible.push(Voter::new(id, name));
                }
                check_eligible(&eligible)?;
                let deadline_ms = details
                    .take_repeated("deadline_ms")
                    .map(|text| parse_number(text, "deadline_ms"))
                    .transpose()?;
                VoteEvent::Open(OpenRecord {
                    vote_id,
                    subject,
                    mode,
                    options,
                    eligible,
                    deadline_ms,
                })
            }
            BALLOT_ACTION => {
                if let Some(voter) = details.take_repeated("voter") {
                    let voter = voter.to_owned();
                    let name = details.take("name")?.to_owned();
                    let option = details.take("option")?.to_owned();
                    VoteEvent::Ballot(BallotRecord::RollCall {
                        vote_id,
                        voter,
                        name,
                        option,
                    })
                } else {
                    let token = details.take("token")?.to_owned();
                    if !is_token(&token) {
                        return Err(EventError::Value("token"));
                    }
                    let option = details.take("option")?.to_owned();
                    VoteEvent::Ballot(BallotRecord::Pseudonymous {
                        vote_id,
                        token,
                        option,
                    })
                }
            }
            CLOSE_ACTION => {
                let reason = CloseReason::parse(details.take("reason")?)
                    .ok_or(EventError::Value("reason"))?;
                let mut tally = Vec::new();
                while let Some(text) = details.take_repeated("tally") {
                    let (option, count) = text.split_once(' ').ok_or(EventError::Value("tally"))?;
                    tally.push(TallyLine {
                        option: option.to_owned(),
                        count: parse_number(count, "tally")?,
                    });
                }
                let ballots = parse_number(details.take("ballots")?, "ballots")?;
                let eligible = parse_number(details.take("eligible")?, "eligible")?;
                VoteEvent::Close(CloseRecord {
                    vote_id,
                    reason,
                    tally,
                    ballots,
                    eligible,
                })
            }
            CANCEL_ACTION => {
                let reason = details.take("reason")?.to_owned();
                if !is_line_text(&reason, REASON_CHARS) {
                    return Err(EventError::Value("reason"));
                }
                VoteEvent::Cancel(CancelRecord { vote_id, reason })
            }
            other => return Err(EventError::NotVote(other.to_owned())),
        };
        if details.next != entry.details.len() {
            return Err(EventError::ExtraDetails);
        }
        Ok(event)
    }
}

/// The actor of Plenum's own entries.
pub fn system_actor() -> Actor {
    Actor {
        kind: ActorKind::System,
        id: Value::text(SYSTEM_ACTOR),
    }
}

/// Whether `text` has the form of a voting token: 32 lowercase hex digits.
pub fn is_token(text: &str) -> bool {
    text.len() == 2 * crate::machine::TOKEN_BYTES
        && is_token_text(text, text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A decimal without sign or leading zeros.
fn parse_number(text: &str, field: &'static str) -> Result<u64, EventError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    canonical
        .then(|| text.parse().ok())
        .flatten()
        .ok_or(EventError::Value(field))
}

/// Reads an entry's details in order.
struct Details<'a> {
    entry: &'a Entry,
    next: usize,
}

impl<'a> Details<'a> {
    /// The next detail, which must be the plain-text `key`.
    fn take(&mut self, key: &'static str) -> Result<&'a str, EventError> {
        self.take_repeated(key).ok_or(EventError::Detail {
            index: self.next,
            expected: key,
        })
    }

    /// The next detail if it is the plain-text `key`.
    fn take_repeated(&mut self, key: &str) -> Option<&'a str> {
        let detail = self.entry.details.get(self.next)?;
        match &detail.value {
            Value::Text(text) if detail.key == key => {
                self.next += 1;
                Some(text)
            }
            _ => None,
        }
    }
}
