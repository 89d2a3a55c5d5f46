//! What a vote is about and who may vote: the validated input of [`crate::Vote::open`].
//!
//! Every text that later appears in an audit entry or in the result statement is checked
//! here once, so the statement's line format (one field per line, space-separated) can
//! never be broken by a value: identifiers have no whitespace, free texts no control
//! characters (and so no line breaks).

use serde::{Deserialize, Serialize};

/// Subject length in characters.
pub const SUBJECT_CHARS: std::ops::RangeInclusive<usize> = 1..=500;
/// Cancellation reason length in characters.
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 1..=500;
/// Number of custom options.
pub const CUSTOM_OPTIONS: std::ops::RangeInclusive<usize> = 2..=20;
/// Longest option id in bytes (`[a-z0-9_-]`).
pub const MAX_OPTION_ID: usize = 32;
/// Longest option label in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest voter id (an account id) in bytes.
pub const MAX_VOTER_ID: usize = 128;
/// Longest voter display name in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Most eligible voters of one vote. The eligible list is one detail of the `vote.open`
/// entry, which must also fit the leaf's 64 KiB text limit (checked separately).
pub const MAX_ELIGIBLE: usize = 1000;
/// Longest vote id, tenant or meeting id in bytes.
pub const MAX_ID: usize = 128;
/// Longest duration of a vote: one week.
pub const MAX_DURATION_MS: u64 = 7 * 24 * 3600 * 1000;

/// Why a vote cannot be opened as specified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("{field} must be 1 to {MAX_ID} bytes without whitespace or control characters")]
    Id { field: &'static str },
    #[error("subject must be 1 to 500 characters without control characters")]
    Subject,
    #[error("custom options must be 2 to 20")]
    OptionCount,
    #[error("option id {0:?} must be 1 to {MAX_OPTION_ID} characters of a-z, 0-9, '_' or '-'")]
    OptionId(String),
    #[error(
        "option {0:?}: label must be 1 to {MAX_LABEL_CHARS} characters without control characters"
    )]
    OptionLabel(String),
    #[error("option id {0:?} appears twice")]
    DuplicateOptionId(String),
    #[error("option label {0:?} appears twice")]
    DuplicateOptionLabel(String),
    #[error("there must be 1 to {MAX_ELIGIBLE} eligible voters")]
    EligibleCount,
    #[error(
        "voter id {0:?} must be 1 to {MAX_VOTER_ID} bytes without whitespace or control characters"
    )]
    VoterId(String),
    #[error(
        "voter {0:?}: name must be 1 to {MAX_NAME_CHARS} characters without control characters"
    )]
    VoterName(String),
    #[error("voter {0:?} is listed twice")]
    DuplicateVoter(String),
    #[error("the eligible list is longer than an audit detail may be (64 KiB)")]
    EligibleTooLong,
    #[error("duration must be 1 ms to 7 days")]
    Duration,
    #[error(
        "pseudonymous votes need one token secret per eligible voter ({expected}), got {found}"
    )]
    TokenSecrets { expected: usize, found: usize },
    #[error("two voters got the same token secret")]
    DuplicateToken,
}

/// How ballots are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Names and choices are part of the result.
    RollCall,
    /// Each voter gets a random token; the result lists token → choice.
    Pseudonymous,
}

impl Mode {
    /// The name used in entries and statements: `roll_call` or `pseudonymous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::RollCall => "roll_call",
            Mode::Pseudonymous => "pseudonymous",
        }
    }

    /// The mode named by [`Self::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "roll_call" => Some(Mode::RollCall),
            "pseudonymous" => Some(Mode::Pseudonymous),
            _ => None,
        }
    }
}

/// One choice on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteOption {
    /// Stable id (`[a-z0-9_-]{1,32}`), what ballots name.
    pub id: String,
    /// What voters read.
    pub label: String,
}

impl VoteOption {
    pub fn new(id: &str, label: &str) -> Self {
        Self {
            id: id.to_owned(),
            label: label.to_owned(),
        }
    }
}

/// The options of a vote as the moderator chose them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Options {
    /// `yes`, `no` and, unless disabled, `abstain` (labels `Yes`, `No`, `Abstain`;
    /// clients translate by id).
    YesNo { abstain: bool },
    /// 2 to 20 options with unique ids and labels.
    Custom(Vec<VoteOption>),
}

impl Options {
    /// The options in ballot order, validated.
    pub fn resolve(&self) -> Result<Vec<VoteOption>, SpecError> {
        let options = match self {
            Options::YesNo { abstain } => {
                let mut options = vec![VoteOption::new("yes", "Yes"), VoteOption::new("no", "No")];
                if *abstain {
                    options.push(VoteOption::new("abstain", "Abstain"));
                }
                options
            }
            Options::Custom(options) => {
                if !CUSTOM_OPTIONS.contains(&options.len()) {
                    return Err(SpecError::OptionCount);
                }
                options.clone()
            }
        };
        check_options(&options)?;
        Ok(options)
    }
}

/// Checks ids, labels and their uniqueness (also used on options read from an entry).
pub(crate) fn check_options(options: &[VoteOption]) -> Result<(), SpecError> {
    for (index, option) in options.iter().enumerate() {
        let id_ok = (1..=MAX_OPTION_ID).contains(&option.id.len())
            && option
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(SpecError::OptionId(option.id.clone()));
        }
        if !is_line_text(&option.label, 1..=MAX_LABEL_CHARS) {
            return Err(SpecError::OptionLabel(option.id.clone()));
        }
        let earlier = &options[..index];
        if earlier.iter().any(|o| o.id == option.id) {
            return Err(SpecError::DuplicateOptionId(option.id.clone()));
        }
        if earlier.iter().any(|o| o.label == option.label) {
            return Err(SpecError::DuplicateOptionLabel(option.label.clone()));
        }
    }
    Ok(())
}

/// Someone who may vote: an account id and the name shown in the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voter {
    /// The account id (the key ballots are routed and de-duplicated by).
    pub id: String,
    /// Display name at the time the vote opened.
    pub name: String,
}

impl Voter {
    pub fn new(id: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// Checks voter ids and names, their uniqueness and the encoded list's size.
pub(crate) fn check_eligible(eligible: &[Voter]) -> Result<(), SpecError> {
    if !(1..=MAX_ELIGIBLE).contains(&eligible.len()) {
        return Err(SpecError::EligibleCount);
    }
    let mut seen = std::collections::BTreeSet::new();
    for voter in eligible {
        if !is_token_text(&voter.id, MAX_VOTER_ID) {
            return Err(SpecError::VoterId(voter.id.clone()));
        }
        if !is_line_text(&voter.name, 1..=MAX_NAME_CHARS) {
            return Err(SpecError::VoterName(voter.id.clone()));
        }
        if !seen.insert(voter.id.as_str()) {
            return Err(SpecError::DuplicateVoter(voter.id.clone()));
        }
    }
    if crate::event::eligible_text(eligible).len() > plenum_audit::entry::MAX_TEXT {
        return Err(SpecError::EligibleTooLong);
    }
    Ok(())
}

/// Everything needed to open a vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteSpec {
    /// Unique id of the vote (no whitespace, ≤ 128 bytes; the server uses a UUID).
    pub id: String,
    /// The tenant of the meeting; every entry of the vote carries it.
    pub tenant: String,
    /// The meeting the vote belongs to; every entry's resource is `meeting:<meeting>`.
    pub meeting: String,
    pub subject: String,
    pub options: Options,
    pub mode: Mode,
    /// Who may vote, in the order the result lists them.
    pub eligible: Vec<Voter>,
    /// Closes the vote this long after it opened.
    pub duration_ms: Option<u64>,
}

impl VoteSpec {
    /// Validates the spec; returns the options in ballot order.
    pub fn check(&self) -> Result<Vec<VoteOption>, SpecError> {
        check_id("vote id", &self.id)?;
        check_id("tenant", &self.tenant)?;
        check_id("meeting", &self.meeting)?;
        if !is_line_text(&self.subject, SUBJECT_CHARS) {
            return Err(SpecError::Subject);
        }
        if let Some(duration) = self.duration_ms
            && !(1..=MAX_DURATION_MS).contains(&duration)
        {
            return Err(SpecError::Duration);
        }
        check_eligible(&self.eligible)?;
        self.options.resolve()
    }
}

pub(crate) fn check_id(field: &'static str, id: &str) -> Result<(), SpecError> {
    if is_token_text(id, MAX_ID) {
        Ok(())
    } else {
        Err(SpecError::Id { field })
    }
}

/// 1..=`max` bytes, no whitespace, no control characters: safe as one space-separated field.
pub(crate) fn is_token_text(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len()) && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A one-line text of `chars` characters: no control characters (so no line breaks), not
/// blank.
pub(crate) fn is_line_text(text: &str, chars: std::ops::RangeInclusive<usize>) -> bool {
    chars.contains(&text.chars().count())
        && !text.chars().any(char::is_control)
        && !text.trim().is_empty()
}
