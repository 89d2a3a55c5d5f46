//! A real protocol verifies; each tampering is refused with the error that names it. The
//! same cases run through the Python verifier in `python.rs`.

use crate::fixture::{
    ALL_BALLOTS, ROLL_CALL_BALLOTS, log_with_vote, protocol_of, proven, unrelated,
};
use plenum_audit::checkpoint::{CheckpointError, NoteSignature};
use plenum_audit::{Detail, Value};
use plenum_vote::{Mode, Protocol, Receipt, VerifyError, verify_protocol};

/// One input for both verifiers and what they must say.
pub struct Case {
    pub name: &'static str,
    pub protocol: Protocol,
    pub receipts: Vec<Receipt>,
    /// `None`: verifies.
    pub error: Option<VerifyError>,
    /// A phrase both verifiers' messages contain.
    pub needle: String,
}

fn ok(name: &'static str, protocol: Protocol, receipts: Vec<Receipt>) -> Case {
    Case {
        name,
        protocol,
        receipts,
        error: None,
        needle: "OK".to_owned(),
    }
}

fn bad(
    name: &'static str,
    protocol: Protocol,
    receipts: Vec<Receipt>,
    error: VerifyError,
    needle: &str,
) -> Case {
    Case {
        name,
        protocol,
        receipts,
        error: Some(error),
        needle: needle.to_owned(),
    }
}

fn set_detail(details: &mut [Detail], key: &str, nth: usize, value: &str) {
    let detail = details
        .iter_mut()
        .filter(|d| d.key == key)
        .nth(nth)
        .unwrap();
    detail.value = Value::text(value);
}

/// Every case: valid roll-call, pseudonymous and cancelled protocols with receipts, and
/// each tampering.
pub fn cases() -> Vec<Case> {
    let (log, seqs) = log_with_vote(Mode::RollCall, ROLL_CALL_BALLOTS, None);
    let good = protocol_of(&log);
    let receipt_a = good.receipt_for(seqs[0]).unwrap();
    let receipt_b = good.receipt_for(seqs[1]).unwrap();
    let close_seq = good.events.last().unwrap().entry.entry.seq;
    let (pseudo_log, pseudo_seqs) = log_with_vote(Mode::Pseudonymous, ALL_BALLOTS, None);
    let pseudo = protocol_of(&pseudo_log);
    let pseudo_receipts = pseudo_seqs
        .iter()
        .map(|seq| pseudo.receipt_for(*seq).unwrap())
        .collect();
    let (cancel_log, _) = log_with_vote(
        Mode::RollCall,
        &[("u-cleo", "no")],
        Some("Wrong agenda item"),
    );

    let mut cases = vec![
        ok(
            "valid-roll-call",
            good.clone(),
            vec![receipt_a.clone(), receipt_b.clone()],
        ),
        ok("valid-pseudonymous", pseudo, pseudo_receipts),
        ok("valid-cancelled", protocol_of(&cancel_log), vec![]),
    ];

    let mut doc = good.clone();
    set_detail(&mut doc.events[1].entry.entry.details, "option", 0, "no");
    cases.push(bad(
        "ballot-option-changed",
        doc,
        vec![],
        VerifyError::LeafHash { seq: seqs[0] },
        &format!("seq {}: leaf hash mismatch", seqs[0]),
    ));

    let mut doc = good.clone();
    set_detail(&mut doc.events[1].entry.entry.details, "option", 0, "no");
    doc.events[1].entry.leaf_hash = doc.events[1].entry.entry.leaf_hash().unwrap();
    cases.push(bad(
        "ballot-option-and-leaf-changed",
        doc,
        vec![],
        VerifyError::NotIncluded { seq: seqs[0] },
        &format!("seq {}: not included", seqs[0]),
    ));

    let mut doc = good.clone();
    doc.events.remove(1);
    cases.push(bad(
        "ballot-dropped",
        doc,
        vec![],
        VerifyError::CloseTally {
            option: "yes".to_owned(),
            close: 1,
            ballots: 0,
        },
        "tally for option `yes`: close entry says 1, ballots give 0",
    ));

    // A ballot for Cleo at the seq of an unrelated entry, with that entry's proof.
    let mut doc = good.clone();
    let mut forged = doc.events[1].clone();
    let join_seq = seqs[1] - 1;
    forged.entry.entry.seq = join_seq;
    set_detail(&mut forged.entry.entry.details, "voter", 0, "u-cleo");
    set_detail(&mut forged.entry.entry.details, "name", 0, "Cleo Dahl");
    forged.entry.leaf_hash = forged.entry.entry.leaf_hash().unwrap();
    forged.proof = proven(&log, join_seq).proof;
    doc.events.insert(2, forged);
    cases.push(bad(
        "ballot-added",
        doc,
        vec![],
        VerifyError::NotIncluded { seq: join_seq },
        &format!("seq {join_seq}: not included"),
    ));

    let mut doc = good.clone();
    let last = doc.events.len() - 1;
    set_detail(
        &mut doc.events[last].entry.entry.details,
        "tally",
        0,
        "yes 2",
    );
    cases.push(bad(
        "close-tally-changed",
        doc,
        vec![],
        VerifyError::LeafHash { seq: close_seq },
        &format!("seq {close_seq}: leaf hash mismatch"),
    ));

    let mut doc = good.clone();
    doc.tally.options[0].count = 2;
    cases.push(bad(
        "json-tally-changed",
        doc,
        vec![],
        VerifyError::DocTally {
            option: "yes".to_owned(),
            doc: 2,
            ballots: 1,
        },
        "tally for option `yes`: the document says 2, ballots give 1",
    ));

    let mut doc = good.clone();
    doc.vote.subject = "Adopt the 2027 budget".to_owned();
    cases.push(bad(
        "json-subject-changed",
        doc,
        vec![],
        VerifyError::Summary { field: "subject" },
        "subject differs",
    ));

    let mut doc = good.clone();
    doc.statement = doc.statement.replace("tally no 1", "tally no 2");
    cases.push(bad(
        "statement-text-changed",
        doc,
        vec![],
        VerifyError::StatementMismatch {
            line: 12,
            expected: "tally no 1".to_owned(),
            found: "tally no 2".to_owned(),
        },
        "result statement line 12",
    ));

    let mut doc = good.clone();
    let (body, line) = doc.statement.split_once("\n\n").unwrap();
    let mut signature = NoteSignature::parse_line(line.trim_end()).unwrap();
    signature.bytes[10] ^= 1;
    doc.statement = format!("{body}\n\n{}", signature.line());
    cases.push(bad(
        "statement-signature-changed",
        doc,
        vec![],
        VerifyError::StatementSignature,
        "result signature invalid",
    ));

    let mut doc = good.clone();
    let root_line = doc.checkpoint.lines().nth(2).unwrap().to_owned();
    doc.checkpoint = doc
        .checkpoint
        .replace(&root_line, "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=");
    cases.push(bad(
        "checkpoint-root-changed",
        doc,
        vec![],
        VerifyError::Checkpoint(CheckpointError::BadSignature(
            "meet.example.org-audit-1".to_owned(),
        )),
        "checkpoint: signature by meet.example.org-audit-1 does not verify",
    ));

    let mut swapped = receipt_a.clone();
    swapped.ballot.proof = receipt_b.ballot.proof.clone();
    cases.push(bad(
        "receipt-proof-swapped",
        good.clone(),
        vec![swapped],
        VerifyError::ReceiptNotIncluded { seq: seqs[0] },
        &format!("receipt seq {}: not included", seqs[0]),
    ));

    // Cleo's ballot, never cast, with the proof of an unrelated entry at its seq.
    let mut never_cast = receipt_a.clone();
    never_cast.ballot.entry.entry.seq = join_seq;
    set_detail(
        &mut never_cast.ballot.entry.entry.details,
        "voter",
        0,
        "u-cleo",
    );
    never_cast.ballot.entry.leaf_hash = never_cast.ballot.entry.entry.leaf_hash().unwrap();
    never_cast.ballot.proof = proven(&log, join_seq).proof;
    cases.push(bad(
        "receipt-not-in-log",
        good.clone(),
        vec![never_cast],
        VerifyError::ReceiptNotIncluded { seq: join_seq },
        &format!("receipt seq {join_seq}: not included"),
    ));

    // A real entry of the log, but no ballot of this vote.
    let mut other = receipt_a.clone();
    other.ballot = proven(&log, join_seq);
    cases.push(bad(
        "receipt-not-in-vote",
        good.clone(),
        vec![other],
        VerifyError::ReceiptNotInVote { seq: join_seq },
        &format!("receipt seq {join_seq}: not in this vote's ballots"),
    ));

    let mut doc = good;
    doc.events[1].entry.entry.seq += 1;
    cases.push(bad(
        "ballot-seq-changed",
        doc,
        vec![],
        VerifyError::LeafHash { seq: seqs[0] + 1 },
        &format!("seq {}: leaf hash mismatch", seqs[0] + 1),
    ));
    cases.extend(rule_breaking_logs());
    cases
}

/// Logs whose entries break the vote's rules although every proof and signature holds
/// (a server writing wrong entries, not someone editing the protocol afterwards).
fn rule_breaking_logs() -> Vec<Case> {
    let mut cases = Vec::new();
    // Ben votes twice: the second ballot is appended behind the state machine's back.
    let (mut log, _) = log_with_vote(Mode::RollCall, ROLL_CALL_BALLOTS, None);
    let doc = protocol_of(&log);
    let mut entries: Vec<_> = doc.events.iter().map(|e| e.entry.entry.clone()).collect();
    let close = entries.pop().unwrap();
    let late = crate::fixture::T0 + 65_000;
    let mut again = entries[2].clone();
    let double_seq = log.next_seq();
    again.seq = double_seq;
    again.time_ms = late;
    log.append(again).unwrap();
    let mut close = close;
    close.seq = log.next_seq();
    close.time_ms = late;
    log.append(close).unwrap();
    unrelated(&mut log, crate::fixture::T0 + 70_000);
    log.checkpoint(&crate::fixture::key(), crate::fixture::T0 + 70_000)
        .unwrap();
    let mut seqs: Vec<u64> = doc.events.iter().map(|e| e.entry.entry.seq).collect();
    seqs.pop();
    seqs.extend([double_seq, double_seq + 1]);
    let mut protocol = doc;
    protocol.events = seqs.iter().map(|seq| proven(&log, *seq)).collect();
    protocol.checkpoint = log.bundle().checkpoints.last().unwrap().clone();
    protocol.keys[0].recorded = proven(&log, protocol.keys[0].recorded.entry.entry.seq);
    cases.push(bad(
        "double-ballot-in-log",
        protocol,
        vec![],
        VerifyError::DoubleBallot {
            seq: double_seq,
            who: "voter u-ben".to_owned(),
        },
        &format!("ballot seq {double_seq}: voter u-ben already voted"),
    ));
    cases
}

#[test]
fn real_protocols_verify_and_every_tampering_is_named() {
    for case in cases() {
        let result = verify_protocol(&case.protocol, &case.receipts);
        match (&case.error, result) {
            (None, Ok(report)) => {
                assert!(report.to_string().contains(&case.needle), "{}", case.name);
                assert_eq!(report.receipts, case.receipts.len());
            }
            (Some(expected), Err(found)) => {
                assert_eq!(&found, expected, "{}", case.name);
                assert!(
                    found.to_string().contains(&case.needle),
                    "{}: {found}",
                    case.name
                );
            }
            (expected, found) => panic!("{}: expected {expected:?}, got {found:?}", case.name),
        }
    }
}

#[test]
fn the_report_states_the_result_and_the_checkpoint() {
    let (log, _) = log_with_vote(Mode::RollCall, ROLL_CALL_BALLOTS, None);
    let report = verify_protocol(&protocol_of(&log), &[]).unwrap();
    let counts: Vec<(&str, u64)> = report
        .tally
        .iter()
        .map(|t| (t.option.as_str(), t.count))
        .collect();
    assert_eq!(counts, [("yes", 1), ("no", 1), ("abstain", 0)]);
    assert_eq!((report.ballots, report.eligible), (2, 3));
    assert_eq!(report.checkpoint_size, log.next_seq());
    assert_eq!(report.checkpoint_root, log.merkle().root());
}

#[test]
fn a_receipt_alone_verifies_and_a_forged_one_does_not() {
    let (log, seqs) = log_with_vote(Mode::Pseudonymous, ALL_BALLOTS, None);
    let doc = protocol_of(&log);
    let receipt = doc.receipt_for(seqs[2]).unwrap();
    assert_eq!(plenum_vote::verify_receipt(&receipt), Ok(seqs[2]));
    let mut forged = receipt;
    set_detail(&mut forged.ballot.entry.entry.details, "option", 0, "no");
    forged.ballot.entry.leaf_hash = forged.ballot.entry.entry.leaf_hash().unwrap();
    assert_eq!(
        plenum_vote::verify_receipt(&forged),
        Err(VerifyError::ReceiptNotIncluded { seq: seqs[2] })
    );
    // Only ballots have receipts.
    assert!(doc.receipt_for(doc.events[0].entry.entry.seq).is_err());
}
