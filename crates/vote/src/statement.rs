//! The result statement: a byte-exact, line-based text binding a vote's result to the
//! audit log, signed like a checkpoint (C2SP signed note, Ed25519, the audit signing key).
//!
//! ```text
//! plenum-vote-result v1
//! vote <vote id>
//! tenant <tenant>
//! meeting <meeting id>
//! subject <subject>
//! mode <roll_call|pseudonymous>
//! outcome <closed|cancelled>
//! option <option id> <label>        one line per option, in ballot order
//! tally <option id> <count>         one line per option, in ballot order
//! ballots <ballots cast>
//! eligible <eligible voters>
//! checkpoint <origin>
//! checkpoint-size <tree size>
//! checkpoint-root <root, 64 lowercase hex digits>
//! event <seq> <leaf hash, 64 lowercase hex digits>   one line per vote event, by seq
//!
//! — <key name> <base64(key id || Ed25519 signature of the lines above)>
//! ```
//! Every body line ends in `\n`; the signature covers the body, as in a checkpoint note.
//! Every value was validated to be one line (ids without whitespace, texts without
//! control characters), so the text cannot be ambiguous.

use crate::machine::TallyLine;
use crate::spec::{Mode, VoteOption};
use plenum_audit::checkpoint::{CheckpointBody, NoteSignature};
use plenum_audit::{Hash, to_hex};
use serde::{Deserialize, Serialize};

/// The first line of every statement.
pub const STATEMENT_HEADER: &str = "plenum-vote-result v1";

/// How a vote ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// With a result (`vote.close`).
    Closed,
    /// Without one (`vote.cancel`).
    Cancelled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Closed => "closed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// What the statement states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    pub vote_id: &'a str,
    pub tenant: &'a str,
    pub meeting: &'a str,
    pub subject: &'a str,
    pub mode: Mode,
    pub outcome: Outcome,
    pub options: &'a [VoteOption],
    pub tally: &'a [TallyLine],
    pub ballots: u64,
    pub eligible: u64,
    pub checkpoint: &'a CheckpointBody,
    /// `(seq, leaf hash)` of every event of the vote, by seq.
    pub events: Vec<(u64, Hash)>,
}

impl Statement<'_> {
    /// The signed body text.
    pub fn text(&self) -> String {
        let mut lines = vec![
            STATEMENT_HEADER.to_owned(),
            format!("vote {}", self.vote_id),
            format!("tenant {}", self.tenant),
            format!("meeting {}", self.meeting),
            format!("subject {}", self.subject),
            format!("mode {}", self.mode.as_str()),
            format!("outcome {}", self.outcome.as_str()),
        ];
        lines.extend(
            self.options
                .iter()
                .map(|o| format!("option {} {}", o.id, o.label)),
        );
        lines.extend(
            self.tally
                .iter()
                .map(|t| format!("tally {} {}", t.option, t.count)),
        );
        lines.push(format!("ballots {}", self.ballots));
        lines.push(format!("eligible {}", self.eligible));
        lines.push(format!("checkpoint {}", self.checkpoint.origin));
        lines.push(format!("checkpoint-size {}", self.checkpoint.size));
        lines.push(format!("checkpoint-root {}", to_hex(&self.checkpoint.root)));
        lines.extend(
            self.events
                .iter()
                .map(|(seq, hash)| format!("event {seq} {}", to_hex(hash))),
        );
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}

/// A signed note split into its body and its signature lines.
pub(crate) fn split_note(note: &str) -> Option<(&str, Vec<NoteSignature>)> {
    let split = note.find("\n\n")?;
    let body = &note[..=split];
    let signatures = note[split + 2..].strip_suffix('\n')?;
    let signatures = signatures
        .split('\n')
        .map(NoteSignature::parse_line)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some((body, signatures))
}

/// The signed note of `body` with one signature line.
pub(crate) fn note(body: &str, signature: &NoteSignature) -> String {
    format!("{body}\n{}", signature.line())
}
