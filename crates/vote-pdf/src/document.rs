//! What the protocol says, as layout blocks: overview, mode, eligible voters,
//! participation, result, ballots, and the values that tie the paper to the JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use plenum_audit::{Checkpoint, KeyRecord, NoteSignature, to_hex};
use plenum_vote::{
    BallotRecord, CloseReason, Mode, Outcome, Protocol, Report, VoteEvent, VoteOption,
};

use crate::PdfError;
use crate::layout::{Block, Column, Style, Table};
use crate::texts::Texts;

/// The blocks of a verified protocol (`report` is what verification found).
pub(crate) fn blocks(
    protocol: &Protocol,
    report: &Report,
    texts: &Texts,
) -> Result<Vec<Block>, PdfError> {
    let vote = &protocol.vote;
    let mut blocks = vec![
        Block::Title(texts.title.to_owned()),
        Block::Paragraph(vote.subject.clone(), Style::SUBJECT),
        Block::Heading(texts.overview.to_owned()),
    ];

    let mut overview = vec![
        (texts.meeting, vote.meeting.clone()),
        (texts.vote_id, vote.id.clone()),
        (texts.tenant, vote.tenant.clone()),
        (texts.opened, texts.time(vote.opened_ms)?),
    ];
    if let Some(deadline) = vote.deadline_ms {
        overview.push((texts.deadline, texts.time(deadline)?));
    }
    let ended = texts.time(vote.ended_ms)?;
    match vote.outcome {
        Outcome::Closed => {
            let why = match CloseReason::parse(&vote.reason) {
                Some(CloseReason::AllVoted) => texts.close_all_voted,
                Some(CloseReason::Deadline) => texts.close_deadline,
                Some(CloseReason::Moderator) => texts.close_moderator,
                None => vote.reason.as_str(),
            };
            overview.push((texts.closed, format!("{ended}; {why}")));
        }
        Outcome::Cancelled => {
            overview.push((texts.cancelled, ended));
            overview.push((texts.cancel_reason, vote.reason.clone()));
        }
    }
    let (mode_name, mode_note) = match vote.mode {
        Mode::RollCall => (texts.roll_call, texts.roll_call_note),
        Mode::Pseudonymous => (texts.pseudonymous, texts.pseudonymous_note),
    };
    overview.push((texts.mode, mode_name.to_owned()));
    blocks.push(fields(overview));
    blocks.push(Block::Paragraph(mode_note.to_owned(), Style::BODY));

    let names: Vec<&str> = vote
        .eligible
        .iter()
        .map(|voter| voter.name.as_str())
        .collect();
    blocks.push(Block::Heading(format!(
        "{} ({})",
        texts.eligible,
        names.len()
    )));
    blocks.push(Block::Paragraph(names.join(", "), Style::BODY));

    blocks.push(Block::Heading(texts.participation.to_owned()));
    let participation = texts.participation_line(protocol.tally.ballots, protocol.tally.eligible);
    blocks.push(Block::Paragraph(participation, Style::BODY));

    blocks.push(Block::Heading(texts.result.to_owned()));
    match vote.outcome {
        Outcome::Closed => blocks.push(result_table(protocol, texts)),
        Outcome::Cancelled => {
            blocks.push(Block::Paragraph(
                texts.no_result_cancelled.to_owned(),
                Style::STRONG,
            ));
            blocks.push(fields(vec![(texts.cancel_reason, vote.reason.clone())]));
        }
    }

    let ballots = ballot_table(protocol, texts)?;
    if !ballots.rows.is_empty() {
        let heading = match vote.mode {
            Mode::RollCall => texts.ballots_by_voter,
            Mode::Pseudonymous => texts.ballots_by_token,
        };
        blocks.push(Block::Heading(heading.to_owned()));
        blocks.push(Block::Table(ballots));
    }

    blocks.extend(verification(protocol, report, texts)?);
    Ok(blocks)
}

/// Label/value rows without rules.
fn fields(rows: Vec<(&str, String)>) -> Block {
    Block::Table(Table {
        columns: vec![
            Column {
                share: 0.34,
                style: Style::STRONG,
            },
            Column {
                share: 0.66,
                style: Style::BODY,
            },
        ],
        header: None,
        rows: rows
            .into_iter()
            .map(|(label, value)| vec![label.to_owned(), value])
            .collect(),
    })
}

/// The label voters read: the default yes/no/abstain options in the protocol's language
/// (their stored labels are English and clients translate them by id), custom ones as set.
fn option_label<'a>(options: &'a [VoteOption], id: &'a str, texts: &'a Texts) -> &'a str {
    let Some(option) = options.iter().find(|option| option.id == id) else {
        return id;
    };
    match (option.id.as_str(), option.label.as_str()) {
        ("yes", "Yes") => texts.yes,
        ("no", "No") => texts.no,
        ("abstain", "Abstain") => texts.abstain,
        (_, label) => label,
    }
}

fn result_table(protocol: &Protocol, texts: &Texts) -> Block {
    let options = &protocol.vote.options;
    let mut rows: Vec<Vec<String>> = protocol
        .tally
        .options
        .iter()
        .map(|line| {
            vec![
                option_label(options, &line.option, texts).to_owned(),
                line.count.to_string(),
            ]
        })
        .collect();
    rows.push(vec![
        texts.total.to_owned(),
        protocol.tally.ballots.to_string(),
    ]);
    Block::Table(Table {
        columns: vec![
            Column {
                share: 0.75,
                style: Style::BODY,
            },
            Column {
                share: 0.25,
                style: Style::BODY,
            },
        ],
        header: Some(vec![texts.option.to_owned(), texts.votes.to_owned()]),
        rows,
    })
}

/// Roll-call: every eligible voter with their choice (or that they did not vote), in the
/// eligible order. Pseudonymous: every token with its choice, sorted by token so each
/// voter finds theirs quickly.
fn ballot_table(protocol: &Protocol, texts: &Texts) -> Result<Table, PdfError> {
    let options = &protocol.vote.options;
    let mut by_voter = std::collections::BTreeMap::new();
    let mut by_token = Vec::new();
    for proven in &protocol.events {
        match VoteEvent::from_entry(&proven.entry.entry)? {
            VoteEvent::Ballot(BallotRecord::RollCall { voter, option, .. }) => {
                by_voter.insert(voter, option);
            }
            VoteEvent::Ballot(BallotRecord::Pseudonymous { token, option, .. }) => {
                by_token.push((token, option));
            }
            VoteEvent::Open(_) | VoteEvent::Close(_) | VoteEvent::Cancel(_) => {}
        }
    }
    let label = |option: &str| option_label(options, option, texts).to_owned();
    let (first, first_style, rows) = match protocol.vote.mode {
        Mode::RollCall => {
            let rows = protocol
                .vote
                .eligible
                .iter()
                .map(|voter| {
                    let choice = by_voter
                        .get(&voter.id)
                        .map_or_else(|| texts.did_not_vote.to_owned(), |option| label(option));
                    vec![voter.name.clone(), choice]
                })
                .collect();
            (texts.name, Style::BODY, rows)
        }
        Mode::Pseudonymous => {
            by_token.sort();
            let rows = by_token
                .iter()
                .map(|(token, option)| vec![token.clone(), label(option)]);
            (texts.token, Style::CODE, rows.collect())
        }
    };
    Ok(Table {
        columns: vec![
            Column {
                share: 0.55,
                style: first_style,
            },
            Column {
                share: 0.45,
                style: Style::BODY,
            },
        ],
        header: Some(vec![first.to_owned(), texts.choice.to_owned()]),
        rows,
    })
}

/// The checkpoint, the result signature and the key, printed as they appear in the JSON,
/// and how to check them.
fn verification(
    protocol: &Protocol,
    report: &Report,
    texts: &Texts,
) -> Result<Vec<Block>, PdfError> {
    let checkpoint = Checkpoint::parse(&protocol.checkpoint).map_err(PdfError::Checkpoint)?;
    let key: &KeyRecord = protocol
        .keys
        .iter()
        .map(|proven| &proven.key)
        .find(|key| key.name == report.signer)
        .ok_or_else(|| PdfError::MissingSignature(report.signer.clone()))?;
    let signature = statement_signature(&protocol.statement, key)?;

    let mut blocks = vec![
        Block::Heading(texts.verification.to_owned()),
        Block::Paragraph(texts.verification_intro.to_owned(), Style::BODY),
        fields(vec![
            (texts.checkpoint_origin, checkpoint.body.origin.clone()),
            (texts.checkpoint_size, checkpoint.body.size.to_string()),
            (texts.checkpoint_time, texts.time(checkpoint.body.time_ms)?),
            (texts.key_name, key.name.clone()),
        ]),
    ];
    for (label, value) in [
        (texts.root_hash_hex, to_hex(&checkpoint.body.root)),
        (texts.root_hash_base64, BASE64.encode(checkpoint.body.root)),
        (texts.signature, BASE64.encode(&signature.bytes)),
        (texts.public_key, to_hex(&key.public_key)),
    ] {
        blocks.push(Block::Labelled {
            label: label.to_owned(),
            value,
            style: Style::CODE,
        });
    }
    blocks.push(Block::Paragraph(
        texts.how_to_verify.to_owned(),
        Style::BODY,
    ));
    Ok(blocks)
}

/// The statement's signature line by `key`.
fn statement_signature(statement: &str, key: &KeyRecord) -> Result<NoteSignature, PdfError> {
    let missing = || PdfError::MissingSignature(key.name.clone());
    let (_, signatures) = statement.split_once("\n\n").ok_or_else(missing)?;
    signatures
        .lines()
        .filter_map(|line| NoteSignature::parse_line(line).ok())
        .find(|signature| signature.claims(key))
        .ok_or_else(missing)
}
