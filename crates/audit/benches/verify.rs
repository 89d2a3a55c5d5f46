//! Audit log throughput, printed (not asserted): appending 1 M realistic entries (personal
//! fields hashed, a signed checkpoint every 1000 entries), verifying the resulting 1 M-entry
//! bundle, and the JSON round trip of that bundle.
//!
//! `cargo bench -p plenum-audit --bench verify` (release build; well under a minute).

use plenum_audit::{
    Actor, ActorKind, AuditLog, Bundle, Detail, Entry, MerkleLog, Outcome, Personal, SigningKey,
    Value, verify_bundle,
};
use std::time::Instant;

const ENTRIES: u64 = 1_000_000;
const CHECKPOINT_EVERY: u64 = 1000;
const T0: u64 = 1_764_000_000_000;

fn event(seq: u64) -> Result<Entry, plenum_audit::EntryError> {
    // Deterministic stand-in for 16 random bytes: the benchmark measures hashing, not RNG.
    let salt = (seq as u128 * 0x9e37_79b9_7f4a_7c15).to_be_bytes();
    Ok(Entry {
        seq,
        time_ms: T0 + seq,
        tenant: "tenant-1".to_owned(),
        actor: Actor {
            kind: ActorKind::User,
            id: Value::Personal(Personal::new(&format!("user-{}", seq % 5000), &salt)?),
        },
        source: Some(Value::Personal(Personal::new(
            &format!("192.0.2.{}", seq % 250),
            &salt,
        )?)),
        action: "meeting.join".to_owned(),
        resource: format!("meeting/{}", seq % 300),
        outcome: Outcome::Success,
        request_id: Some(format!("req-{seq:016x}")),
        details: vec![Detail {
            key: "role".to_owned(),
            value: Value::text("participant"),
        }],
    })
}

fn rate(n: u64, seconds: f64) -> String {
    format!("{:>12.0} entries/s  ({seconds:.2} s)", n as f64 / seconds)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let mut tree = MerkleLog::new();
    for seq in 0..ENTRIES {
        tree.append(&seq.to_be_bytes());
    }
    let root = tree.root();
    println!(
        "merkle append (tree only):      {}",
        rate(ENTRIES, start.elapsed().as_secs_f64())
    );
    std::hint::black_box(root);

    let key = SigningKey::from_seed("bench-audit-1", &[7; 32], T0, T0 + 86_400_000 * 365)?;
    let start = Instant::now();
    let mut log = AuditLog::new("bench.example/audit")?;
    log.record_key(key.record(), T0, "tenant-1")?;
    for seq in 1..ENTRIES {
        log.append(event(seq)?)?;
        if (seq + 1).is_multiple_of(CHECKPOINT_EVERY) {
            log.checkpoint(&key, T0 + seq)?;
        }
    }
    log.checkpoint(&key, T0 + ENTRIES)?;
    println!(
        "audit append (encode+hash+sign): {}",
        rate(ENTRIES, start.elapsed().as_secs_f64())
    );
    let bundle = log.into_bundle();

    let start = Instant::now();
    let report = verify_bundle(&bundle, None)?;
    println!(
        "verify 1 M-entry bundle:         {}  [{} checkpoints]",
        rate(report.entries, start.elapsed().as_secs_f64()),
        report.checkpoints
    );

    let start = Instant::now();
    let json = bundle.to_json()?;
    let write = start.elapsed().as_secs_f64();
    drop(bundle);
    let start = Instant::now();
    let parsed = Bundle::from_json(&json)?;
    let read = start.elapsed().as_secs_f64();
    println!(
        "bundle JSON: {} MB, write {}, parse {}",
        json.len() / 1_000_000,
        rate(ENTRIES, write).trim_start(),
        rate(ENTRIES, read).trim_start()
    );
    std::hint::black_box(parsed);
    Ok(())
}
