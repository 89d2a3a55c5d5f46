//! The offline verifier of a protocol and of voters' receipts ([`verify_protocol`],
//! [`verify_receipt`]). Everything in the document is untrusted: every leaf hash and
//! every root is recomputed, the keys are believed only through their `audit.key_valid`
//! entries proven in the signed checkpoint, and the tally is recounted from the ballots.
//! The first failure is reported, naming the entry (by seq), option or field.

use crate::event::{EventError, SYSTEM_ACTOR, VoteEvent};
use crate::machine::{BallotRecord, TallyLine, tally_lines};
use crate::protocol::{
    FORMAT_VERSION, PROTOCOL_FORMAT, Protocol, ProvenEntry, ProvenSigningKey, RECEIPT_FORMAT,
    Receipt, TallySummary, VoteSummary,
};
use crate::spec::Mode;
use crate::statement::{Outcome, Statement, split_note};
use plenum_audit::checkpoint::{CheckpointError, KEY_VALID_ACTION};
use plenum_audit::entry::{ActorKind, EntryError, Value};
use plenum_audit::merkle::verify_inclusion;
use plenum_audit::{Checkpoint, Hash, KeyRecord, to_hex};
use std::collections::BTreeSet;

/// Why a protocol or receipt does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("unsupported {kind} format {format:?} version {version}")]
    Unsupported {
        kind: &'static str,
        format: String,
        version: u32,
    },
    #[error("checkpoint: {0}")]
    Checkpoint(CheckpointError),
    #[error("key {name}: listed twice")]
    DuplicateKey { name: String },
    #[error("key {name}: its audit.key_valid entry (seq {seq}) {problem}")]
    KeyEntry {
        name: String,
        seq: u64,
        problem: &'static str,
    },
    #[error(
        "checkpoint: key {name} signed at {time_ms}, outside its validity {not_before_ms}..={not_after_ms}"
    )]
    KeyNotValid {
        name: String,
        time_ms: u64,
        not_before_ms: u64,
        not_after_ms: u64,
    },
    #[error("the protocol has no events")]
    NoEvents,
    #[error("event seq {seq}: {source}")]
    Entry { seq: u64, source: EntryError },
    #[error("event seq {seq}: leaf hash mismatch (entry changed)")]
    LeafHash { seq: u64 },
    #[error("event seq {seq}: not included in the checkpoint (inclusion proof fails)")]
    NotIncluded { seq: u64 },
    #[error("event seq {seq}: events must be in increasing seq order")]
    Order { seq: u64 },
    #[error("event seq {seq}: not a well-formed vote event: {source}")]
    Event { seq: u64, source: EventError },
    #[error("event seq {seq}: {problem}")]
    Structure { seq: u64, problem: &'static str },
    #[error("ballot seq {seq}: no option `{option}` in this vote")]
    UnknownOption { seq: u64, option: String },
    #[error("ballot seq {seq}: voter {voter} is not eligible (or not under that name)")]
    NotEligible { seq: u64, voter: String },
    #[error("ballot seq {seq}: {who} already voted")]
    DoubleBallot { seq: u64, who: String },
    #[error("ballot seq {seq}: roll-call ballot whose actor is not its voter")]
    ActorMismatch { seq: u64 },
    #[error("ballot seq {seq}: pseudonymous ballot names its voter (actor, source or request id)")]
    Linkable { seq: u64 },
    #[error("ballot seq {seq}: a {mode} ballot in a vote of another mode")]
    ModeMismatch { seq: u64, mode: &'static str },
    #[error("{tokens} tokens voted but only {eligible} voters are eligible")]
    TooManyTokens { tokens: usize, eligible: usize },
    #[error("tally for option `{option}`: close entry says {close}, ballots give {ballots}")]
    CloseTally {
        option: String,
        close: u64,
        ballots: u64,
    },
    #[error("close entry: {field} is {close}, the ballots give {computed}")]
    CloseCount {
        field: &'static str,
        close: u64,
        computed: u64,
    },
    #[error("vote summary: {field} differs from the vote's entries")]
    Summary { field: &'static str },
    #[error("tally for option `{option}`: the document says {doc}, ballots give {ballots}")]
    DocTally {
        option: String,
        doc: u64,
        ballots: u64,
    },
    #[error("tally: the document's {field} is {doc}, the entries give {computed}")]
    DocCount {
        field: &'static str,
        doc: u64,
        computed: u64,
    },
    #[error("result statement is not a signed note")]
    StatementMalformed,
    #[error("result statement line {line}: expected {expected:?}, found {found:?}")]
    StatementMismatch {
        line: usize,
        expected: String,
        found: String,
    },
    #[error("result statement has no signature by a proven key")]
    StatementUnsigned,
    #[error("result signature invalid")]
    StatementSignature,
    #[error("receipt #{index}: unsupported format {format:?} version {version}")]
    ReceiptFormat {
        index: usize,
        format: String,
        version: u32,
    },
    #[error("receipt seq {seq}: belongs to vote {found}, not {expected}")]
    ReceiptVote {
        seq: u64,
        found: String,
        expected: String,
    },
    #[error("receipt seq {seq}: leaf hash mismatch (entry changed)")]
    ReceiptLeaf { seq: u64 },
    #[error("receipt seq {seq}: checkpoint: {source}")]
    ReceiptCheckpoint { seq: u64, source: CheckpointError },
    #[error("receipt seq {seq}: signed by key {name}, which the protocol does not prove")]
    ReceiptKey { seq: u64, name: String },
    #[error("receipt seq {seq}: not included in its checkpoint (inclusion proof fails)")]
    ReceiptNotIncluded { seq: u64 },
    #[error("receipt seq {seq}: not in this vote's ballots")]
    ReceiptNotInVote { seq: u64 },
}

/// What a verified protocol states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub vote_id: String,
    pub subject: String,
    pub mode: Mode,
    pub outcome: Outcome,
    pub tally: Vec<TallyLine>,
    pub ballots: u64,
    pub eligible: u64,
    pub origin: String,
    pub checkpoint_size: u64,
    pub checkpoint_root: Hash,
    /// Name of the key that signed the checkpoint and the statement.
    pub signer: String,
    /// Receipts verified along with the protocol.
    pub receipts: usize,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "vote {}: {}", self.vote_id, self.subject)?;
        writeln!(f, "mode {}, {}", self.mode.as_str(), self.outcome.as_str())?;
        for line in &self.tally {
            writeln!(f, "  {}: {}", line.option, line.count)?;
        }
        writeln!(f, "ballots {} of {} eligible", self.ballots, self.eligible)?;
        writeln!(
            f,
            "checkpoint {} size {} root {} signed by {}",
            self.origin,
            self.checkpoint_size,
            to_hex(&self.checkpoint_root),
            self.signer
        )?;
        write!(f, "receipts verified: {}\nOK", self.receipts)
    }
}

/// The log-side facts of a vote, checked: what [`crate::Protocol::assemble`] derives a
/// protocol from and [`verify_protocol`] compares a protocol with.
pub(crate) struct Checked {
    pub summary: VoteSummary,
    pub tally: TallySummary,
    pub checkpoint: Checkpoint,
    /// The keys proven by entries in the checkpoint.
    pub keys: Vec<KeyRecord>,
    pub signer: String,
    /// `(seq, leaf hash)` of every event, and of the ballots alone.
    pub events: Vec<(u64, Hash)>,
    pub ballots: Vec<(u64, Hash)>,
}

impl Checked {
    /// The statement these facts make.
    pub fn statement(&self) -> Statement<'_> {
        Statement {
            vote_id: &self.summary.id,
            tenant: &self.summary.tenant,
            meeting: &self.summary.meeting,
            subject: &self.summary.subject,
            mode: self.summary.mode,
            outcome: self.summary.outcome,
            options: &self.summary.options,
            tally: &self.tally.options,
            ballots: self.tally.ballots,
            eligible: self.tally.eligible,
            checkpoint: &self.checkpoint.body,
            events: self.events.clone(),
        }
    }
}

/// Verifies a protocol and, with it, each receipt.
pub fn verify_protocol(doc: &Protocol, receipts: &[Receipt]) -> Result<Report, VerifyError> {
    if doc.format != PROTOCOL_FORMAT || doc.version != FORMAT_VERSION {
        return Err(VerifyError::Unsupported {
            kind: "protocol",
            format: doc.format.clone(),
            version: doc.version,
        });
    }
    let checked = check_log(&doc.events, &doc.checkpoint, &doc.keys)?;
    compare_summary(&doc.vote, &checked.summary)?;
    compare_tally(&doc.tally, &checked.tally)?;
    check_statement(&doc.statement, &checked)?;
    for (index, receipt) in receipts.iter().enumerate() {
        let seq = check_receipt(index, receipt, Some(&checked.keys))?;
        if receipt.vote_id != checked.summary.id {
            return Err(VerifyError::ReceiptVote {
                seq,
                found: receipt.vote_id.clone(),
                expected: checked.summary.id.clone(),
            });
        }
        if !checked
            .ballots
            .contains(&(seq, receipt.ballot.entry.leaf_hash))
        {
            return Err(VerifyError::ReceiptNotInVote { seq });
        }
    }
    Ok(Report {
        vote_id: checked.summary.id,
        subject: checked.summary.subject,
        mode: checked.summary.mode,
        outcome: checked.summary.outcome,
        tally: checked.tally.options,
        ballots: checked.tally.ballots,
        eligible: checked.tally.eligible,
        origin: checked.checkpoint.body.origin,
        checkpoint_size: checked.checkpoint.body.size,
        checkpoint_root: checked.checkpoint.body.root,
        signer: checked.signer,
        receipts: receipts.len(),
    })
}

/// Verifies a receipt alone: its ballot entry is included under its checkpoint, which
/// its key signed. (Whether that key is Plenum's is for the reader to compare; with the
/// protocol, [`verify_protocol`] checks it.) Returns the ballot's seq.
pub fn verify_receipt(receipt: &Receipt) -> Result<u64, VerifyError> {
    check_receipt(0, receipt, None)
}

fn check_receipt(
    index: usize,
    receipt: &Receipt,
    proven_keys: Option<&[KeyRecord]>,
) -> Result<u64, VerifyError> {
    if receipt.format != RECEIPT_FORMAT || receipt.version != FORMAT_VERSION {
        return Err(VerifyError::ReceiptFormat {
            index,
            format: receipt.format.clone(),
            version: receipt.version,
        });
    }
    let entry = &receipt.ballot.entry.entry;
    let seq = entry.seq;
    let hash = entry
        .leaf_hash()
        .map_err(|_| VerifyError::ReceiptLeaf { seq })?;
    if hash != receipt.ballot.entry.leaf_hash {
        return Err(VerifyError::ReceiptLeaf { seq });
    }
    let checkpoint = Checkpoint::parse(&receipt.checkpoint)
        .map_err(|source| VerifyError::ReceiptCheckpoint { seq, source })?;
    if let Some(keys) = proven_keys
        && !keys.contains(&receipt.key)
    {
        return Err(VerifyError::ReceiptKey {
            seq,
            name: receipt.key.name.clone(),
        });
    }
    checkpoint
        .verify(std::slice::from_ref(&receipt.key))
        .map_err(|source| VerifyError::ReceiptCheckpoint { seq, source })?;
    let body = &checkpoint.body;
    verify_inclusion(&hash, seq, body.size, &receipt.ballot.proof, &body.root)
        .map_err(|_| VerifyError::ReceiptNotIncluded { seq })?;
    Ok(seq)
}

/// Checks the keys, the checkpoint, every event's leaf and inclusion, and the vote's
/// rules; recounts the tally.
pub(crate) fn check_log(
    events: &[ProvenEntry],
    checkpoint: &str,
    keys: &[ProvenSigningKey],
) -> Result<Checked, VerifyError> {
    let checkpoint = Checkpoint::parse(checkpoint).map_err(VerifyError::Checkpoint)?;
    let body = &checkpoint.body;
    let included = |item: &ProvenEntry| -> Result<Hash, Option<EntryError>> {
        let hash = item.entry.entry.leaf_hash().map_err(Some)?;
        if hash != item.entry.leaf_hash {
            return Err(None);
        }
        verify_inclusion(
            &hash,
            item.entry.entry.seq,
            body.size,
            &item.proof,
            &body.root,
        )
        .map_err(|_| None)?;
        Ok(hash)
    };
    let mut records = Vec::new();
    for proven in keys {
        let name = proven.key.name.clone();
        let seq = proven.recorded.entry.entry.seq;
        let problem = |problem| VerifyError::KeyEntry {
            name: name.clone(),
            seq,
            problem,
        };
        if records.iter().any(|k: &KeyRecord| k.name == name) {
            return Err(VerifyError::DuplicateKey { name });
        }
        let entry = &proven.recorded.entry.entry;
        if entry.action != KEY_VALID_ACTION
            || KeyRecord::from_entry(entry).ok().as_ref() != Some(&proven.key)
        {
            return Err(problem("does not record this key"));
        }
        records.push(proven.key.clone());
    }
    // The signature first: with a changed root every proof would fail, and the
    // checkpoint is what was changed.
    let signer = checkpoint
        .verify(&records)
        .map_err(VerifyError::Checkpoint)?;
    check_valid_at(signer, body.time_ms)?;
    let signer = signer.name.clone();
    for proven in keys {
        included(&proven.recorded).map_err(|_| VerifyError::KeyEntry {
            name: proven.key.name.clone(),
            seq: proven.recorded.entry.entry.seq,
            problem: "is not included in the checkpoint",
        })?;
    }

    let mut leaves = Vec::with_capacity(events.len());
    for item in events {
        let seq = item.entry.entry.seq;
        let hash = included(item).map_err(|e| match e {
            Some(source) => VerifyError::Entry { seq, source },
            None if item.entry.entry.leaf_hash().ok() != Some(item.entry.leaf_hash) => {
                VerifyError::LeafHash { seq }
            }
            None => VerifyError::NotIncluded { seq },
        })?;
        if leaves.last().is_some_and(|(previous, _)| *previous >= seq) {
            return Err(VerifyError::Order { seq });
        }
        leaves.push((seq, hash));
    }
    let mut rules = Rules::read(events)?;
    for item in events {
        rules.ballot(item)?;
    }
    let tally = rules.finish()?;
    let ballots = leaves
        .iter()
        .zip(events)
        .filter(|(_, e)| e.entry.entry.action == crate::event::BALLOT_ACTION)
        .map(|(leaf, _)| *leaf)
        .collect();
    Ok(Checked {
        summary: rules.summary,
        tally,
        checkpoint,
        keys: records,
        signer,
        events: leaves,
        ballots,
    })
}

fn check_valid_at(key: &KeyRecord, time_ms: u64) -> Result<(), VerifyError> {
    if key.valid_at(time_ms) {
        Ok(())
    } else {
        Err(VerifyError::KeyNotValid {
            name: key.name.clone(),
            time_ms,
            not_before_ms: key.not_before_ms,
            not_after_ms: key.not_after_ms,
        })
    }
}

/// The vote's rules applied to its events in order.
struct Rules {
    summary: VoteSummary,
    /// The close entry's statement of the result, if the vote closed.
    close: Option<crate::machine::CloseRecord>,
    /// Seq of the first and last event.
    first_seq: u64,
    last_seq: u64,
    counts: Vec<u64>,
    voted: BTreeSet<String>,
}

impl Rules {
    /// Reads the open and the closing event, which frame the ballots.
    fn read(events: &[ProvenEntry]) -> Result<Self, VerifyError> {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Err(VerifyError::NoEvents);
        };
        let (first, last) = (&first.entry.entry, &last.entry.entry);
        let parse = |entry| {
            VoteEvent::from_entry(entry).map_err(|source| VerifyError::Event {
                seq: entry.seq,
                source,
            })
        };
        let VoteEvent::Open(open) = parse(first)? else {
            return Err(VerifyError::Structure {
                seq: first.seq,
                problem: "the first event must be vote.open",
            });
        };
        let last_is_end = events.len() >= 2;
        let (outcome, reason, close) = match parse(last)? {
            VoteEvent::Close(close) if last_is_end => (
                Outcome::Closed,
                close.reason.as_str().to_owned(),
                Some(close),
            ),
            VoteEvent::Cancel(cancel) if last_is_end => (Outcome::Cancelled, cancel.reason, None),
            _ => {
                return Err(VerifyError::Structure {
                    seq: last.seq,
                    problem: "the last event must be vote.close or vote.cancel",
                });
            }
        };
        let meeting = first
            .resource
            .strip_prefix("meeting:")
            .ok_or(VerifyError::Structure {
                seq: first.seq,
                problem: "resource is not meeting:<id>",
            })?;
        let counts = vec![0; open.options.len()];
        Ok(Self {
            summary: VoteSummary {
                id: open.vote_id,
                tenant: first.tenant.clone(),
                meeting: meeting.to_owned(),
                subject: open.subject,
                mode: open.mode,
                options: open.options,
                eligible: open.eligible,
                deadline_ms: open.deadline_ms,
                opened_ms: first.time_ms,
                ended_ms: last.time_ms,
                outcome,
                reason,
            },
            close,
            first_seq: first.seq,
            last_seq: last.seq,
            counts,
            voted: BTreeSet::new(),
        })
    }

    /// Checks one event against the open one; counts it if it is a ballot.
    fn ballot(&mut self, item: &ProvenEntry) -> Result<(), VerifyError> {
        let entry = &item.entry.entry;
        let seq = entry.seq;
        let structure = |problem| VerifyError::Structure { seq, problem };
        let event =
            VoteEvent::from_entry(entry).map_err(|source| VerifyError::Event { seq, source })?;
        if event.vote_id() != self.summary.id {
            return Err(structure("belongs to another vote"));
        }
        if entry.tenant != self.summary.tenant
            || entry.resource != crate::event::resource(&self.summary.meeting)
        {
            return Err(structure(
                "tenant or meeting differs from the vote.open entry",
            ));
        }
        let framing = seq == self.first_seq || seq == self.last_seq;
        let ballot = match event {
            VoteEvent::Ballot(ballot) if !framing => ballot,
            _ if framing => return Ok(()),
            _ => return Err(structure("only ballots may lie between open and close")),
        };
        // Ballot times are not compared with the deadline: the room refuses late ballots on
        // the meeting's clock, while an entry's time is the trail's (raised to the previous
        // entry's), which may lie a little later. What binds is the order: every counted
        // ballot precedes the signed close.
        let option = ballot.option();
        let Some(index) = self.summary.options.iter().position(|o| o.id == option) else {
            return Err(VerifyError::UnknownOption {
                seq,
                option: option.to_owned(),
            });
        };
        let who = match (&ballot, self.summary.mode) {
            (BallotRecord::RollCall { voter, name, .. }, Mode::RollCall) => {
                if !self
                    .summary
                    .eligible
                    .iter()
                    .any(|v| v.id == *voter && v.name == *name)
                {
                    return Err(VerifyError::NotEligible {
                        seq,
                        voter: voter.clone(),
                    });
                }
                let actor_is_voter = matches!(entry.actor.kind, ActorKind::User | ActorKind::Guest)
                    && match &entry.actor.id {
                        Value::Text(id) => id == voter,
                        Value::Personal(p) => p.value.as_ref().is_none_or(|id| id == voter),
                    };
                if !actor_is_voter {
                    return Err(VerifyError::ActorMismatch { seq });
                }
                format!("voter {voter}")
            }
            (BallotRecord::Pseudonymous { token, .. }, Mode::Pseudonymous) => {
                let anonymous = entry.actor.kind == ActorKind::System
                    && entry.actor.id == Value::text(SYSTEM_ACTOR)
                    && entry.source.is_none()
                    && entry.request_id.is_none();
                if !anonymous {
                    return Err(VerifyError::Linkable { seq });
                }
                format!("token {token}")
            }
            (BallotRecord::RollCall { .. }, _) => {
                return Err(VerifyError::ModeMismatch {
                    seq,
                    mode: "roll_call",
                });
            }
            (BallotRecord::Pseudonymous { .. }, _) => {
                return Err(VerifyError::ModeMismatch {
                    seq,
                    mode: "pseudonymous",
                });
            }
        };
        if !self.voted.insert(who.clone()) {
            return Err(VerifyError::DoubleBallot { seq, who });
        }
        if self.voted.len() > self.summary.eligible.len() {
            return Err(VerifyError::TooManyTokens {
                tokens: self.voted.len(),
                eligible: self.summary.eligible.len(),
            });
        }
        self.counts[index] += 1;
        Ok(())
    }

    /// The recounted tally, compared with the close entry's.
    fn finish(&self) -> Result<TallySummary, VerifyError> {
        let tally = TallySummary {
            options: tally_lines(&self.summary.options, &self.counts),
            ballots: self.voted.len() as u64,
            eligible: self.summary.eligible.len() as u64,
        };
        if let Some(close) = &self.close {
            for (index, line) in tally.options.iter().enumerate() {
                let stated = close.tally.get(index).filter(|t| t.option == line.option);
                let Some(stated) = stated else {
                    return Err(VerifyError::Structure {
                        seq: self.last_seq,
                        problem: "the close entry's tally does not list the options in order",
                    });
                };
                if stated.count != line.count {
                    return Err(VerifyError::CloseTally {
                        option: line.option.clone(),
                        close: stated.count,
                        ballots: line.count,
                    });
                }
            }
            if close.tally.len() != tally.options.len() {
                return Err(VerifyError::Structure {
                    seq: self.last_seq,
                    problem: "the close entry's tally does not list the options in order",
                });
            }
            for (field, stated, computed) in [
                ("ballots", close.ballots, tally.ballots),
                ("eligible", close.eligible, tally.eligible),
            ] {
                if stated != computed {
                    return Err(VerifyError::CloseCount {
                        field,
                        close: stated,
                        computed,
                    });
                }
            }
        }
        Ok(tally)
    }
}

fn compare_summary(doc: &VoteSummary, log: &VoteSummary) -> Result<(), VerifyError> {
    let fields: [(&'static str, bool); 12] = [
        ("id", doc.id == log.id),
        ("tenant", doc.tenant == log.tenant),
        ("meeting", doc.meeting == log.meeting),
        ("subject", doc.subject == log.subject),
        ("mode", doc.mode == log.mode),
        ("options", doc.options == log.options),
        ("eligible", doc.eligible == log.eligible),
        ("deadline_ms", doc.deadline_ms == log.deadline_ms),
        ("opened_ms", doc.opened_ms == log.opened_ms),
        ("ended_ms", doc.ended_ms == log.ended_ms),
        ("outcome", doc.outcome == log.outcome),
        ("reason", doc.reason == log.reason),
    ];
    match fields.iter().find(|(_, same)| !same) {
        Some((field, _)) => Err(VerifyError::Summary { field }),
        None => Ok(()),
    }
}

fn compare_tally(doc: &TallySummary, log: &TallySummary) -> Result<(), VerifyError> {
    for (index, line) in log.options.iter().enumerate() {
        let stated = doc
            .options
            .get(index)
            .filter(|t| t.option == line.option)
            .map_or(0, |t| t.count);
        if stated != line.count || doc.options.get(index).is_none() {
            return Err(VerifyError::DocTally {
                option: line.option.clone(),
                doc: stated,
                ballots: line.count,
            });
        }
    }
    let extra = doc.options.len() as u64;
    for (field, stated, computed) in [
        ("number of options", extra, log.options.len() as u64),
        ("ballots", doc.ballots, log.ballots),
        ("eligible", doc.eligible, log.eligible),
    ] {
        if stated != computed {
            return Err(VerifyError::DocCount {
                field,
                doc: stated,
                computed,
            });
        }
    }
    Ok(())
}

fn check_statement(note: &str, checked: &Checked) -> Result<(), VerifyError> {
    let (body, signatures) = split_note(note).ok_or(VerifyError::StatementMalformed)?;
    let expected = checked.statement().text();
    if body != expected {
        let mut found = body.split('\n');
        for (line, want) in expected.split('\n').enumerate() {
            let got = found.next().unwrap_or_default();
            if got != want {
                return Err(VerifyError::StatementMismatch {
                    line: line + 1,
                    expected: want.to_owned(),
                    found: got.to_owned(),
                });
            }
        }
        return Err(VerifyError::StatementMismatch {
            line: expected.split('\n').count() + 1,
            expected: String::new(),
            found: found.collect::<Vec<_>>().join("\\n"),
        });
    }
    let mut verified = false;
    for signature in &signatures {
        let Some(key) = checked.keys.iter().find(|k| signature.claims(k)) else {
            continue;
        };
        signature
            .verify(key, body)
            .map_err(|_| VerifyError::StatementSignature)?;
        check_valid_at(key, checked.checkpoint.body.time_ms)?;
        verified = true;
    }
    if verified {
        Ok(())
    } else {
        Err(VerifyError::StatementUnsigned)
    }
}
