//! Quick, informal polls: at most one open poll per meeting, the last one kept for late
//! joiners. Moderators create, close and share; everyone joined (guests too) answers and
//! may change the answer while the poll is open. Answers are keyed by the token's subject,
//! so a second tab or a reconnect of the same person replaces, never adds.
//!
//! Anonymous polls: the room must know who answered what while the poll is open (to
//! replace a changed answer without counting it twice), so it keeps that in memory only,
//! never sends it to anyone and forgets it when the poll closes, keeping only the counts.

use crate::WallClock;
use crate::chat;
use crate::rate::RateLimit;
use plenum_protocol::UserId;
use plenum_protocol::signaling::{
    ErrorCode, MAX_POLL_DURATION_SECS, MAX_POLL_OPTION_CHARS, MAX_POLL_OPTIONS,
    MAX_POLL_QUESTION_CHARS, MIN_POLL_DURATION_SECS, MIN_POLL_OPTIONS, NewPoll, Poll, PollAnswer,
    PollResults,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How many answers (or changes of answer) one person may send within
/// [`POLL_ANSWER_RATE_WINDOW`]: each one reaches everyone in the meeting.
pub const POLL_ANSWER_RATE_LIMIT: usize = 5;
/// The sliding window of the poll answer rate limit.
pub const POLL_ANSWER_RATE_WINDOW: Duration = Duration::from_secs(5);

/// Who sends a poll request, as the room knows them.
#[derive(Debug)]
pub(crate) struct Asker<'a> {
    pub(crate) subject: UserId,
    pub(crate) display_name: &'a str,
    pub(crate) moderator: bool,
}

/// Why a poll request is refused: the signaling error code and its text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct PollError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl PollError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The polls of one room.
#[derive(Debug, Default)]
pub(crate) struct Polls {
    last_id: u64,
    /// The open poll, or the last one closed.
    current: Option<PollState>,
}

#[derive(Debug)]
struct PollState {
    id: u64,
    question: String,
    options: Vec<String>,
    multiple: bool,
    anonymous: bool,
    results: PollResults,
    status: Status,
    shared: bool,
    counts: Vec<u32>,
    answer_count: u32,
    /// Who answered what; emptied at close for anonymous polls.
    answers: BTreeMap<UserId, Answered>,
    /// Source of [`Answered::order`].
    answers_received: u64,
    limits: BTreeMap<UserId, RateLimit<POLL_ANSWER_RATE_LIMIT>>,
    /// Shown after close too, so everyone sees when it was due.
    closes_at: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// `closes`: when it closes by itself, if it does.
    Open {
        closes: Option<Instant>,
    },
    Closed,
}

#[derive(Debug)]
struct Answered {
    /// Order of the first answer: named results list people in answering order.
    order: u64,
    display_name: String,
    choices: Vec<u32>,
}

impl Polls {
    /// `poll.create`: moderators only, one open poll at a time; replaces the last closed one.
    pub(crate) fn create(
        &mut self,
        by: &Asker,
        request: NewPoll,
        now: Instant,
        clock: &WallClock,
    ) -> Result<(), PollError> {
        require_moderator(by)?;
        if let Some(open) = self.current.as_ref().filter(|p| p.is_open()) {
            return Err(PollError::new(
                ErrorCode::PollAlreadyOpen,
                format!("poll {} is still open; close it first", open.id),
            ));
        }
        let question = clean_text(&request.question, MAX_POLL_QUESTION_CHARS).ok_or_else(|| {
            PollError::new(
                ErrorCode::BadMessage,
                format!(
                    "a poll question has 1 to {MAX_POLL_QUESTION_CHARS} characters and no \
                     control characters"
                ),
            )
        })?;
        if !(MIN_POLL_OPTIONS..=MAX_POLL_OPTIONS).contains(&request.options.len()) {
            return Err(PollError::new(
                ErrorCode::BadMessage,
                format!("a poll has {MIN_POLL_OPTIONS} to {MAX_POLL_OPTIONS} options"),
            ));
        }
        let mut options: Vec<String> = Vec::with_capacity(request.options.len());
        for raw in &request.options {
            let option = clean_text(raw, MAX_POLL_OPTION_CHARS).ok_or_else(|| {
                PollError::new(
                    ErrorCode::BadMessage,
                    format!(
                        "a poll option has 1 to {MAX_POLL_OPTION_CHARS} characters and no \
                         control characters"
                    ),
                )
            })?;
            if options.contains(&option) {
                return Err(PollError::new(
                    ErrorCode::BadMessage,
                    format!("the option {option:?} is there twice"),
                ));
            }
            options.push(option);
        }
        let deadline = match request.duration_secs {
            None => None,
            Some(secs) if (MIN_POLL_DURATION_SECS..=MAX_POLL_DURATION_SECS).contains(&secs) => {
                Some(now + Duration::from_secs(u64::from(secs)))
            }
            Some(_) => {
                return Err(PollError::new(
                    ErrorCode::BadMessage,
                    format!(
                        "a poll lasts {MIN_POLL_DURATION_SECS} to {MAX_POLL_DURATION_SECS} \
                         seconds, or until closed"
                    ),
                ));
            }
        };
        self.last_id += 1;
        self.current = Some(PollState {
            id: self.last_id,
            question,
            counts: vec![0; options.len()],
            options,
            multiple: request.multiple,
            anonymous: request.anonymous,
            results: request.results,
            status: Status::Open { closes: deadline },
            shared: false,
            answer_count: 0,
            answers: BTreeMap::new(),
            answers_received: 0,
            limits: BTreeMap::new(),
            closes_at: deadline.map(|at| chat::timestamp(clock, at)),
        });
        Ok(())
    }

    /// `poll.answer`: anyone joined, while the poll is open; a new answer replaces the
    /// person's previous one.
    pub(crate) fn answer(
        &mut self,
        by: &Asker,
        poll_id: u64,
        choices: &[u32],
        now: Instant,
    ) -> Result<(), PollError> {
        let poll = self.poll_mut(poll_id)?;
        if !poll.is_open() {
            return Err(closed(poll_id));
        }
        let choices = poll.valid_choices(choices)?;
        let limit = poll
            .limits
            .entry(by.subject)
            .or_insert_with(|| RateLimit::new(POLL_ANSWER_RATE_WINDOW));
        if !limit.allow(now) {
            return Err(PollError::new(
                ErrorCode::RateLimited,
                format!(
                    "at most {POLL_ANSWER_RATE_LIMIT} answers per {} seconds",
                    POLL_ANSWER_RATE_WINDOW.as_secs()
                ),
            ));
        }
        for &choice in &choices {
            poll.count_mut(choice, |count| count.saturating_add(1));
        }
        let order = poll.answers_received;
        let previous = poll.answers.insert(
            by.subject,
            Answered {
                order,
                display_name: by.display_name.to_owned(),
                choices,
            },
        );
        match previous {
            Some(previous) => {
                for choice in previous.choices {
                    poll.count_mut(choice, |count| count.saturating_sub(1));
                }
                // A changed answer keeps its place in the named list.
                if let Some(answered) = poll.answers.get_mut(&by.subject) {
                    answered.order = previous.order;
                }
            }
            None => {
                poll.answers_received += 1;
                poll.answer_count = poll.answer_count.saturating_add(1);
            }
        }
        Ok(())
    }

    /// `poll.close`: moderators only, while open.
    pub(crate) fn close(&mut self, by: &Asker, poll_id: u64) -> Result<(), PollError> {
        require_moderator(by)?;
        let poll = self.poll_mut(poll_id)?;
        if !poll.is_open() {
            return Err(closed(poll_id));
        }
        poll.close();
        Ok(())
    }

    /// `poll.share`: moderators only, once the poll is closed; counts (and, in named polls,
    /// who chose what) go to everyone.
    pub(crate) fn share(&mut self, by: &Asker, poll_id: u64) -> Result<(), PollError> {
        require_moderator(by)?;
        let poll = self.poll_mut(poll_id)?;
        if poll.is_open() {
            return Err(PollError::new(
                ErrorCode::InvalidState,
                "close the poll before sharing its results",
            ));
        }
        poll.shared = true;
        Ok(())
    }

    /// When the open poll closes by itself, if it does.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.current.as_ref()?.status {
            Status::Open { closes } => closes,
            Status::Closed => None,
        }
    }

    /// Closes the open poll if its time is up at `now`; true when it did.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let due = self.deadline().is_some_and(|at| at <= now);
        if let Some(poll) = self.current.as_mut().filter(|_| due) {
            poll.close();
        }
        due
    }

    /// The current poll as `subject` may see it; `None` when there has been no poll.
    pub(crate) fn view(&self, subject: UserId, moderator: bool) -> Option<Poll> {
        let poll = self.current.as_ref()?;
        let results_visible = moderator || poll.shared || poll.results == PollResults::Live;
        let names_visible = !poll.anonymous && (moderator || poll.shared);
        let forgotten = poll.anonymous && !poll.is_open();
        let answers = names_visible.then(|| {
            let mut named: Vec<&Answered> = poll.answers.values().collect();
            named.sort_by_key(|a| a.order);
            named
                .into_iter()
                .map(|a| PollAnswer {
                    display_name: a.display_name.clone(),
                    choices: a.choices.clone(),
                })
                .collect()
        });
        Some(Poll {
            id: poll.id,
            question: poll.question.clone(),
            options: poll.options.clone(),
            multiple: poll.multiple,
            anonymous: poll.anonymous,
            results: poll.results,
            open: poll.is_open(),
            shared: poll.shared,
            closes_at: poll.closes_at.clone(),
            answer_count: poll.answer_count,
            counts: results_visible.then(|| poll.counts.clone()),
            answers,
            my_choices: (!forgotten).then(|| {
                poll.answers
                    .get(&subject)
                    .map(|a| a.choices.clone())
                    .unwrap_or_default()
            }),
        })
    }

    fn poll_mut(&mut self, poll_id: u64) -> Result<&mut PollState, PollError> {
        self.current
            .as_mut()
            .filter(|p| p.id == poll_id)
            .ok_or_else(|| {
                PollError::new(
                    ErrorCode::PollUnknown,
                    format!("there is no poll {poll_id} in this meeting"),
                )
            })
    }
}

impl PollState {
    fn is_open(&self) -> bool {
        matches!(self.status, Status::Open { .. })
    }

    fn close(&mut self) {
        self.status = Status::Closed;
        self.limits.clear();
        if self.anonymous {
            self.answers.clear();
        }
    }

    /// The choices, sorted, if they fit this poll: at least one, exactly one in a single
    /// choice poll, each an existing option, none twice.
    fn valid_choices(&self, choices: &[u32]) -> Result<Vec<u32>, PollError> {
        if let Some(&unknown) = choices
            .iter()
            .find(|&&c| usize::try_from(c).map_or(true, |c| c >= self.options.len()))
        {
            return Err(PollError::new(
                ErrorCode::PollUnknownOption,
                format!(
                    "poll {} has no option {unknown}; its options are 0 to {}",
                    self.id,
                    self.options.len().saturating_sub(1)
                ),
            ));
        }
        let mut sorted = choices.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let fits = if self.multiple {
            !sorted.is_empty() && sorted.len() == choices.len()
        } else {
            sorted.len() == 1 && choices.len() == 1
        };
        if !fits {
            let rule = if self.multiple {
                "one or more different options"
            } else {
                "exactly one option"
            };
            return Err(PollError::new(
                ErrorCode::BadMessage,
                format!("an answer to poll {} names {rule}", self.id),
            ));
        }
        Ok(sorted)
    }

    fn count_mut(&mut self, choice: u32, change: impl FnOnce(u32) -> u32) {
        let slot = usize::try_from(choice)
            .ok()
            .and_then(|c| self.counts.get_mut(c));
        if let Some(count) = slot {
            *count = change(*count);
        }
    }
}

fn require_moderator(by: &Asker) -> Result<(), PollError> {
    if by.moderator {
        Ok(())
    } else {
        Err(PollError::new(
            ErrorCode::Forbidden,
            "only the owner and moderators may create, close and share polls",
        ))
    }
}

fn closed(poll_id: u64) -> PollError {
    PollError::new(ErrorCode::PollClosed, format!("poll {poll_id} is closed"))
}

/// Text as shown: trimmed, 1 to `max` characters, no control characters.
pub(crate) fn clean_text(raw: &str, max: usize) -> Option<String> {
    let text = raw.trim();
    let chars = text.chars().count();
    ((1..=max).contains(&chars) && !text.chars().any(char::is_control)).then(|| text.to_owned())
}
