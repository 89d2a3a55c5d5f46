//! A generated log: the key record at seq 0, then user/guest events with personal fields,
//! a checkpoint every 5 entries and one at the end.

use plenum_audit::{
    Actor, ActorKind, AuditLog, Detail, Entry, Outcome, Personal, SigningKey, Value,
};

pub const ORIGIN: &str = "meet.example.org/audit";
pub const TENANT: &str = "tenant-1";
/// 2025-11-24T16:00:00Z.
pub const T0: u64 = 1_764_000_000_000;
pub const DAY: u64 = 86_400_000;

pub fn key(name: &str, seed: u8, not_before_ms: u64, not_after_ms: u64) -> SigningKey {
    SigningKey::from_seed(name, &[seed; 32], not_before_ms, not_after_ms).unwrap()
}

pub fn real_key() -> SigningKey {
    key("meet.example.org-audit-1", 1, T0, T0 + 365 * DAY)
}

pub fn time_of(seq: u64) -> u64 {
    T0 + seq * 1000
}

/// An ordinary event with personal actor id and source address.
pub fn event(seq: u64) -> Entry {
    let salt = [seq as u8 ^ 0x5a; 16];
    let guest = seq.is_multiple_of(3);
    Entry {
        seq,
        time_ms: time_of(seq),
        tenant: TENANT.to_owned(),
        actor: Actor {
            kind: if guest {
                ActorKind::Guest
            } else {
                ActorKind::User
            },
            id: Value::Personal(Personal::new(&format!("user-{}", seq % 4), &salt).unwrap()),
        },
        source: Some(Value::Personal(
            Personal::new(&format!("192.0.2.{}", seq % 250), &salt).unwrap(),
        )),
        action: if seq.is_multiple_of(2) {
            "meeting.join".to_owned()
        } else {
            "auth.login".to_owned()
        },
        resource: format!("meeting/{seq}"),
        outcome: if seq.is_multiple_of(5) {
            Outcome::Denied
        } else {
            Outcome::Success
        },
        request_id: Some(format!("req-{seq}")),
        details: vec![
            Detail {
                key: "display_name".to_owned(),
                value: Value::Personal(Personal::new("Zoë | =\\\n\u{1b}[31m", &salt).unwrap()),
            },
            Detail {
                key: "role".to_owned(),
                value: Value::text("participant"),
            },
        ],
    }
}

/// A log of `size` entries (seq 0 records `key`), checkpointed every `every` entries and at
/// the end, each checkpoint one second after its last entry.
pub fn log_with(key: &SigningKey, size: u64, every: u64, change: Option<u64>) -> AuditLog {
    let mut log = AuditLog::new(ORIGIN).unwrap();
    log.record_key(key.record(), time_of(0), TENANT).unwrap();
    for seq in 1..size {
        let mut entry = event(seq);
        if change == Some(seq) {
            entry.resource.push_str("-forked");
        }
        log.append(entry).unwrap();
        if (seq + 1).is_multiple_of(every) {
            log.checkpoint(key, time_of(seq) + 500).unwrap();
        }
    }
    if log.checkpoints().last().map(|c| c.body.size) != Some(size) {
        log.checkpoint(key, time_of(size) + 500).unwrap();
    }
    log
}

/// 23 entries, checkpoints at sizes 5, 10, 15, 20, 23.
pub fn standard() -> AuditLog {
    log_with(&real_key(), 23, 5, None)
}
