//! Real protocols: a Merkle log written by `plenum_audit::AuditLog`, a real Ed25519 key,
//! unrelated entries between the vote's, a checkpoint after the close.

use plenum_audit::entry::{Actor, ActorKind, Personal, Value};
use plenum_audit::{AuditLog, BundleEntry, ProvenKey, SigningKey};
use plenum_vote::{
    CloseReason, Mode, Options, Protocol, ProvenSigningKey, Vote, VoteEvent, VoteSpec, Voter,
};

pub const ORIGIN: &str = "meet.example.org/audit";
pub const T0: u64 = 1_764_000_000_000;

pub fn key() -> SigningKey {
    SigningKey::from_seed("meet.example.org-audit-1", &[7; 32], T0, T0 + 86_400_000).unwrap()
}

pub fn spec(mode: Mode) -> VoteSpec {
    VoteSpec {
        id: "v-1".to_owned(),
        tenant: "default".to_owned(),
        meeting: "3f2a9c1e-0000-4000-8000-000000000001".to_owned(),
        subject: "Adopt the 2026 budget".to_owned(),
        options: Options::YesNo { abstain: true },
        mode,
        eligible: vec![
            Voter::new("u-anna", "Anna Berger"),
            Voter::new("u-ben", "Ben Czerny"),
            Voter::new("u-cleo", "Cleo Dahl"),
        ],
        duration_ms: Some(600_000),
    }
}

/// The actor of an account's entry, its id committed to with a fixed salt.
fn user(id: &str) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: Value::Personal(Personal::new(id, &[9; 16]).unwrap()),
    }
}

/// A vote in `log`: opened by Anna, ballots (voter, option) in order, closed by the
/// moderator (or cancelled with a reason); unrelated entries in between. Returns the
/// seqs of the ballots.
pub fn run_vote(
    log: &mut AuditLog,
    mode: Mode,
    ballots: &[(&str, &str)],
    cancel: Option<&str>,
) -> Vec<u64> {
    let spec = spec(mode);
    let (tenant, meeting) = (spec.tenant.clone(), spec.meeting.clone());
    let secrets: Vec<[u8; 16]> = (1..=3u8).map(|i| [i * 17; 16]).collect();
    let secrets = if mode == Mode::Pseudonymous {
        &secrets[..]
    } else {
        &[]
    };
    let mut time = T0 + 1000;
    let mut vote = Vote::open(spec, time, secrets).unwrap();
    let append = |log: &mut AuditLog, event: VoteEvent, actor: Actor, time: u64| {
        let seq = log.next_seq();
        log.append(event.entry(seq, time, &tenant, &meeting, actor))
            .unwrap();
        seq
    };
    append(
        log,
        VoteEvent::Open(vote.open_record().clone()),
        user("u-anna"),
        time,
    );
    let mut seqs = Vec::new();
    for (voter, option) in ballots {
        time += 1000;
        unrelated(log, time);
        let ballot = vote.cast(voter, option, time).unwrap();
        seqs.push(append(log, VoteEvent::Ballot(ballot), user(voter), time));
        if let Some(close) = vote.commit(voter, time).unwrap() {
            append(
                log,
                VoteEvent::Close(close),
                plenum_vote::event::system_actor(),
                time,
            );
        }
    }
    time += 1000;
    match cancel {
        Some(reason) => {
            let record = vote.cancel(reason, time).unwrap();
            append(log, VoteEvent::Cancel(record), user("u-anna"), time);
        }
        None if *vote.state() == plenum_vote::VoteState::Open => {
            let record = vote.close(CloseReason::Moderator, time).unwrap();
            let record = record.expect("no ballot is pending");
            append(log, VoteEvent::Close(record), user("u-anna"), time);
        }
        None => {}
    }
    seqs
}

/// An entry of another kind (a chat-free meeting has joins and leaves).
pub fn unrelated(log: &mut AuditLog, time: u64) {
    let key_entry = plenum_audit::Entry {
        seq: log.next_seq(),
        time_ms: time,
        tenant: "default".to_owned(),
        actor: user("u-zoe"),
        source: None,
        action: "participant.join".to_owned(),
        resource: "meeting:3f2a9c1e-0000-4000-8000-000000000001".to_owned(),
        outcome: plenum_audit::Outcome::Success,
        request_id: None,
        details: vec![],
    };
    log.append(key_entry).unwrap();
}

/// A log with the key recorded, the vote, and a checkpoint after it.
pub fn log_with_vote(
    mode: Mode,
    ballots: &[(&str, &str)],
    cancel: Option<&str>,
) -> (AuditLog, Vec<u64>) {
    let mut log = AuditLog::new(ORIGIN).unwrap();
    log.record_key(key().record(), T0, "default").unwrap();
    unrelated(&mut log, T0 + 500);
    let seqs = run_vote(&mut log, mode, ballots, cancel);
    unrelated(&mut log, T0 + 60_000);
    log.checkpoint(&key(), T0 + 60_000).unwrap();
    (log, seqs)
}

/// The entry at `seq` with its inclusion proof in the log's last checkpoint.
pub fn proven(log: &AuditLog, seq: u64) -> ProvenKey {
    let bundle = log.bundle();
    let size = log.checkpoints().last().unwrap().body.size;
    let entry: BundleEntry = bundle.entries[seq as usize].clone();
    ProvenKey {
        entry,
        proof: log.merkle().inclusion_proof(seq, size).unwrap(),
    }
}

/// The protocol of the (only) vote in `log`.
pub fn protocol_of(log: &AuditLog) -> Protocol {
    let bundle = log.bundle();
    let events = bundle
        .entries
        .iter()
        .filter(|e| e.entry.action.starts_with("vote."))
        .map(|e| proven(log, e.entry.seq))
        .collect();
    let key_seq = bundle
        .entries
        .iter()
        .find(|e| e.entry.action == "audit.key_valid")
        .unwrap()
        .entry
        .seq;
    let keys = vec![ProvenSigningKey {
        key: key().record().clone(),
        recorded: proven(log, key_seq),
    }];
    let checkpoint = bundle.checkpoints.last().unwrap().clone();
    Protocol::assemble(events, checkpoint, keys, &key()).unwrap()
}

pub const ROLL_CALL_BALLOTS: &[(&str, &str)] = &[("u-anna", "yes"), ("u-ben", "no")];
pub const ALL_BALLOTS: &[(&str, &str)] =
    &[("u-anna", "yes"), ("u-ben", "yes"), ("u-cleo", "abstain")];
