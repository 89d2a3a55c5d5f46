//! The v1 leaf encoding, built here by hand from docs/audit-format.md and compared with
//! the library's, so an accidental change of the format fails a test.

use crate::fixture::event;
use plenum_audit::entry::{EntryError, MAX_TEXT};
use plenum_audit::{Actor, ActorKind, Detail, Entry, Outcome, Personal, Value};

fn text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

#[test]
fn leaf_bytes_follow_the_documented_layout() {
    let salt = [7u8; 16];
    let address = Personal::new("198.51.100.7", &salt).unwrap();
    let entry = Entry {
        seq: 258,
        time_ms: 1_764_000_000_123,
        tenant: "acme".to_owned(),
        actor: Actor {
            kind: ActorKind::Guest,
            id: Value::text("g-42"),
        },
        source: Some(Value::Personal(address.clone())),
        action: "meeting.join".to_owned(),
        resource: "meeting/9".to_owned(),
        outcome: Outcome::Denied,
        request_id: None,
        details: vec![Detail {
            key: "reason".to_owned(),
            value: Value::text("banned"),
        }],
    };
    let mut expected = vec![1u8];
    expected.extend_from_slice(&258u64.to_be_bytes());
    expected.extend_from_slice(&1_764_000_000_123u64.to_be_bytes());
    text(&mut expected, "acme");
    expected.push(2); // guest
    expected.push(1); // actor id: text
    text(&mut expected, "g-42");
    expected.push(2); // source: personal
    expected.extend_from_slice(&Personal::hash_of(&salt, "198.51.100.7"));
    text(&mut expected, "meeting.join");
    text(&mut expected, "meeting/9");
    expected.push(3); // denied
    expected.push(0); // no request id
    expected.extend_from_slice(&1u32.to_be_bytes());
    text(&mut expected, "reason");
    expected.push(1);
    text(&mut expected, "banned");
    assert_eq!(entry.leaf_bytes().unwrap(), expected);
    assert_eq!(
        entry.leaf_hash().unwrap(),
        plenum_audit::merkle::leaf_hash(&expected)
    );
    assert_eq!(address.hash, Personal::hash_of(&salt, "198.51.100.7"));
}

#[test]
fn erasing_personal_data_keeps_the_leaf() {
    let mut entry = event(4);
    let before = entry.leaf_hash().unwrap();
    entry.erase_personal();
    assert_eq!(entry.leaf_hash().unwrap(), before);
    entry.check_personal().unwrap();
    let json = serde_json::to_string(&entry).unwrap();
    assert!(!json.contains("user-0") && !json.contains("salt"), "{json}");
}

#[test]
fn bad_entries_are_errors() {
    let mut long = event(1);
    long.resource = "x".repeat(MAX_TEXT + 1);
    assert_eq!(
        long.leaf_bytes(),
        Err(EntryError::TooLong {
            field: "resource".to_owned()
        })
    );
    let mut half = event(1);
    if let Value::Personal(p) = &mut half.actor.id {
        p.salt = None;
    }
    assert_eq!(
        half.check_personal(),
        Err(EntryError::HalfErased {
            field: "actor.id".to_owned()
        })
    );
    assert!(Personal::new("x", &[0; 4]).is_err());
}

#[test]
fn json_shape_matches_the_documentation() {
    let json = serde_json::to_value(event(1)).unwrap();
    assert_eq!(json["actor"]["kind"], "user");
    assert!(json["actor"]["id"]["personal"]["hash"].is_string());
    assert!(json["actor"]["id"]["personal"]["salt"].is_string());
    assert_eq!(json["details"][1]["value"]["text"], "participant");
    assert_eq!(json["outcome"], "success");
}
