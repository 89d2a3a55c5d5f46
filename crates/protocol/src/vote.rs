//! The wire types of formal votes inside a meeting (docs/signaling.md, "Votes").
//!
//! A vote's rules (eligibility, one ballot per voter, options, tally) live in
//! `plenum-vote`; these are only the shapes that travel over the signaling socket.

use crate::ids::VoteId;
use serde::{Deserialize, Serialize};

/// How ballots are published at close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteMode {
    /// The result names every voter with their choice.
    RollCall,
    /// Each voter gets a random token; the result lists token → choice.
    Pseudonymous,
}

/// `vote.open`: what a moderator asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteOpen {
    pub subject: String,
    /// Labels of custom options (their ids are `1`, `2`, …); without them the options
    /// are `yes` and `no`.
    #[serde(default)]
    pub options: Option<Vec<String>>,
    /// Adds `abstain` to the options.
    #[serde(default = "yes")]
    pub allow_abstain: bool,
    pub mode: VoteMode,
    /// Closes the vote by itself after this many seconds.
    #[serde(default)]
    pub duration_s: Option<u32>,
    /// Guests joined at the opening are eligible too. The moderator's choice alone: no
    /// tenant policy restricts it.
    #[serde(default)]
    pub include_guests: bool,
}

fn yes() -> bool {
    true
}

/// `vote.opened`: a vote began (also sent to late joiners while it is open).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteOpened {
    pub vote_id: VoteId,
    pub subject: String,
    /// Every option a ballot may name, `abstain` included when allowed.
    pub options: Vec<VoteChoice>,
    pub mode: VoteMode,
    /// Display names of the eligible voters, in the meeting's join order.
    pub eligible: Vec<String>,
    /// Whether the receiving participant is one of them.
    pub can_vote: bool,
    /// RFC 3339 UTC.
    pub opened_at: String,
    /// RFC 3339 UTC; the vote closes by itself then.
    pub deadline: Option<String>,
}

/// One option of a vote: ballots name its `id`; `label` is what voters read (clients
/// translate the labels of `yes`, `no` and `abstain` by id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteChoice {
    pub id: String,
    pub label: String,
}

/// Why a vote closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteCloseReason {
    AllVoted,
    Deadline,
    Moderator,
}

/// One option's count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteCount {
    /// The option's id.
    pub option: String,
    pub count: u64,
}

/// One ballot of the published result: `name` in roll-call votes, `token` in pseudonymous
/// ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedBallot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub option: String,
}

/// The signed audit checkpoint a result is sealed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteCheckpoint {
    /// Tree size of the checkpoint.
    pub size: u64,
    /// Merkle root, hex.
    pub root: String,
}

/// `vote.closed`: the sealed result (also sent to late joiners for the last vote).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteClosed {
    pub vote_id: VoteId,
    pub subject: String,
    pub mode: VoteMode,
    pub reason: VoteCloseReason,
    /// Every option with its count, in the order of the options.
    pub tally: Vec<VoteCount>,
    pub ballots: Vec<PublishedBallot>,
    /// Every option, in ballot order.
    pub options: Vec<VoteChoice>,
    /// How many were eligible.
    pub eligible: u64,
    pub checkpoint: VoteCheckpoint,
    /// RFC 3339 UTC.
    pub closed_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_defaults_to_yes_no_abstain_without_guests() {
        let open: VoteOpen =
            serde_json::from_str(r#"{"subject":"Budget","mode":"roll_call"}"#).unwrap();
        assert_eq!(open.options, None);
        assert!(open.allow_abstain);
        assert!(!open.include_guests);
        assert_eq!(open.duration_s, None);
        assert!(serde_json::from_str::<VoteOpen>(r#"{"subject":"x","mode":"secret"}"#).is_err());
    }

    #[test]
    fn published_ballots_carry_name_or_token() {
        let ballot = PublishedBallot {
            name: None,
            token: Some("k3".into()),
            option: "yes".into(),
        };
        assert_eq!(
            serde_json::to_string(&ballot).unwrap(),
            r#"{"token":"k3","option":"yes"}"#
        );
    }
}
