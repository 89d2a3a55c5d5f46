//! Tamper cases on a generated bundle: each must fail with the error that names the first
//! bad entry (or checkpoint); the untouched bundle, and one with personal data erased,
//! must verify.

use crate::fixture::{DAY, ORIGIN, T0, TENANT, event, key, log_with, real_key, standard, time_of};
use plenum_audit::checkpoint::{CheckpointError, KEY_VALID_ACTION};
use plenum_audit::entry::EntryError;
use plenum_audit::{AuditLog, Bundle, Checkpoint, CheckpointBody, VerifyError, verify_bundle};

type Mutation = Box<dyn Fn(&mut Bundle)>;

fn witness_of(log: &AuditLog) -> Checkpoint {
    log.checkpoints().last().unwrap().clone()
}

/// Rewrites the stored leaf hashes to match the (tampered) entries, as a careful forger
/// would; only the signed roots can then tell.
fn rehash(bundle: &mut Bundle) {
    for item in &mut bundle.entries {
        item.leaf_hash = item.entry.leaf_hash().unwrap();
    }
}

#[test]
fn untouched_bundle_verifies_with_and_without_witness() {
    let log = standard();
    let bundle = log.bundle();
    let report = verify_bundle(&bundle, None).unwrap();
    assert_eq!(report.entries, 23);
    assert_eq!(report.checkpoints, 5);
    assert_eq!(report.root, log.merkle().root());
    assert_eq!(report.signers, vec!["meet.example.org-audit-1".to_owned()]);
    for witness in log.checkpoints() {
        let report = verify_bundle(&bundle, Some(witness)).unwrap();
        assert_eq!(report.witness_size, Some(witness.body.size));
    }
    // Through JSON and back, as the CLI reads it.
    let parsed = Bundle::from_json(&bundle.to_json().unwrap()).unwrap();
    assert_eq!(parsed, bundle);
    assert!(
        verify_bundle(&parsed, None)
            .unwrap()
            .to_string()
            .starts_with("OK: 23 entries")
    );
}

#[test]
fn erased_personal_data_still_verifies() {
    let mut bundle = standard().bundle();
    for item in &mut bundle.entries {
        item.entry.erase_personal();
    }
    let json = String::from_utf8(bundle.to_json().unwrap()).unwrap();
    assert!(!json.contains("192.0.2."), "clear values must be gone");
    verify_bundle(&bundle, None).unwrap();
}

#[test]
fn tampered_bundles_fail_naming_the_first_bad_entry() {
    let cases: Vec<(&str, Mutation, VerifyError)> = vec![
        (
            "one byte of an entry changed",
            Box::new(|b| b.entries[7].entry.resource = "meeting/8".to_owned()),
            VerifyError::LeafHash { seq: 7 },
        ),
        (
            "one byte changed and the leaf hash rewritten",
            Box::new(|b| {
                b.entries[7].entry.resource = "meeting/8".to_owned();
                rehash(b);
            }),
            VerifyError::RootMismatch {
                index: 1,
                size: 10,
                first_seq: 5,
                last_seq: 9,
            },
        ),
        (
            "clear personal value changed",
            Box::new(|b| {
                if let plenum_audit::Value::Personal(p) = &mut b.entries[8].entry.actor.id {
                    p.value = Some("someone-else".to_owned());
                }
            }),
            VerifyError::Entry {
                seq: 8,
                source: EntryError::PersonalMismatch {
                    field: "actor.id".to_owned(),
                },
            },
        ),
        (
            "entry deleted",
            Box::new(|b| {
                b.entries.remove(7);
            }),
            VerifyError::Sequence {
                position: 7,
                expected: 7,
                found: 8,
            },
        ),
        (
            "entry inserted",
            Box::new(|b| {
                let copy = b.entries[7].clone();
                b.entries.insert(8, copy);
            }),
            VerifyError::Sequence {
                position: 8,
                expected: 8,
                found: 7,
            },
        ),
        (
            "entry inserted, later ones renumbered and rehashed",
            Box::new(|b| {
                let mut extra = b.entries[7].clone();
                extra.entry.action = "auth.logout".to_owned();
                b.entries.insert(8, extra);
                for (i, item) in b.entries.iter_mut().enumerate() {
                    item.entry.seq = i as u64;
                }
                rehash(b);
            }),
            VerifyError::RootMismatch {
                index: 1,
                size: 10,
                first_seq: 5,
                last_seq: 9,
            },
        ),
        (
            "two entries swapped",
            Box::new(|b| b.entries.swap(7, 8)),
            VerifyError::Sequence {
                position: 7,
                expected: 7,
                found: 8,
            },
        ),
        (
            "time goes back",
            Box::new(|b| b.entries[9].entry.time_ms = time_of(3)),
            VerifyError::TimeGoesBack {
                seq: 9,
                time_ms: time_of(3),
                previous_ms: time_of(8),
            },
        ),
        (
            "tail entries dropped, checkpoints kept",
            Box::new(|b| b.entries.truncate(21)),
            VerifyError::MissingEntries {
                index: 4,
                size: 23,
                first_missing_seq: 21,
            },
        ),
        (
            "last checkpoint dropped: unsealed tail",
            Box::new(|b| {
                b.checkpoints.pop();
            }),
            VerifyError::UnsealedTail {
                first_seq: 20,
                count: 3,
            },
        ),
        (
            "checkpoints reordered",
            Box::new(|b| b.checkpoints.swap(1, 2)),
            VerifyError::CheckpointOrder { index: 2 },
        ),
        (
            "checkpoint signed by another key under the real name",
            Box::new(|b| {
                let forger = key("meet.example.org-audit-1", 66, T0, T0 + DAY);
                let real = Checkpoint::parse(&b.checkpoints[2]).unwrap();
                let mut forged = forger.sign(real.body).unwrap();
                // Claim the real key's id so the verifier tries the real key.
                forged.signatures[0].bytes[..4].copy_from_slice(&real_key().record().key_id());
                b.checkpoints[2] = forged.to_note();
            }),
            VerifyError::Checkpoint {
                index: 2,
                source: CheckpointError::BadSignature("meet.example.org-audit-1".to_owned()),
            },
        ),
        (
            "key record entry rewritten",
            Box::new(|b| {
                let other = key("meet.example.org-audit-1", 9, T0, T0 + DAY);
                b.entries[0].entry = other.record().to_entry(0, time_of(0), TENANT);
                rehash(b);
            }),
            VerifyError::KeyMismatch {
                seq: 0,
                name: "meet.example.org-audit-1".to_owned(),
            },
        ),
        (
            "unknown bundle version",
            Box::new(|b| b.version = 2),
            VerifyError::Unsupported {
                format: "plenum-audit-bundle".to_owned(),
                version: 2,
            },
        ),
    ];
    for (what, mutate, expected) in cases {
        let mut bundle = standard().bundle();
        mutate(&mut bundle);
        assert_eq!(verify_bundle(&bundle, None), Err(expected), "{what}");
    }
}

#[test]
fn unsealed_tail_fails() {
    let mut log = standard();
    for seq in 23..25 {
        log.append(event(seq)).unwrap();
    }
    assert_eq!(
        verify_bundle(&log.bundle(), None),
        Err(VerifyError::UnsealedTail {
            first_seq: 23,
            count: 2
        })
    );
}

#[test]
fn truncated_and_resigned_log_is_caught_only_by_a_witness() {
    let original = standard();
    let witness = witness_of(&original);
    // Replay the first 12 entries into a fresh log and seal it with the real key.
    let key = real_key();
    let mut truncated = AuditLog::new(ORIGIN).unwrap();
    for item in original.bundle().entries.into_iter().take(12) {
        if item.entry.action == KEY_VALID_ACTION {
            truncated
                .record_key(key.record(), item.entry.time_ms, TENANT)
                .unwrap();
        } else {
            truncated.append(item.entry).unwrap();
        }
    }
    truncated.checkpoint(&key, time_of(30)).unwrap();
    let bundle = truncated.bundle();

    // Alone it is a perfectly good shorter log.
    verify_bundle(&bundle, None).unwrap();
    assert_eq!(
        verify_bundle(&bundle, Some(&witness)),
        Err(VerifyError::Truncated {
            witness_size: 23,
            first_missing_seq: 12
        })
    );
}

#[test]
fn fork_is_caught_by_a_witness_of_the_same_or_a_smaller_size() {
    let original = standard();
    let forked = log_with(&real_key(), 23, 5, Some(16)).bundle();
    verify_bundle(&forked, None).unwrap();
    for (size, index) in [(23, 4), (20, 3)] {
        let witness = &original.checkpoints()[index];
        assert_eq!(witness.body.size, size);
        assert_eq!(
            verify_bundle(&forked, Some(witness)),
            Err(VerifyError::Fork {
                size,
                last_seq: size - 1
            })
        );
    }
    // Before the fork point both agree.
    verify_bundle(&forked, Some(&original.checkpoints()[2])).unwrap();
}

#[test]
fn key_used_outside_its_validity_period() {
    // The key expires after entry 13; the writer refuses to sign later, a forger does not.
    let key = key("short-lived", 3, T0, time_of(13));
    let mut log = log_with(&key, 12, 5, None);
    for seq in 12..15 {
        log.append(event(seq)).unwrap();
    }
    assert!(log.checkpoint(&key, time_of(15)).is_err());
    let late = key
        .sign(CheckpointBody {
            origin: ORIGIN.to_owned(),
            size: 15,
            root: log.merkle().root(),
            time_ms: time_of(15),
        })
        .unwrap();
    let mut bundle = log.bundle();
    bundle.checkpoints.push(late.to_note());
    assert_eq!(
        verify_bundle(&bundle, None),
        Err(VerifyError::KeyNotValid {
            index: 3,
            name: "short-lived".to_owned(),
            time_ms: time_of(15),
            not_before_ms: T0,
            not_after_ms: time_of(13),
        })
    );
}

#[test]
fn rotated_keys_each_sign_within_their_period() {
    let (old, new) = (
        key("audit-2025", 4, T0, time_of(10)),
        key("audit-2026", 5, time_of(8), T0 + DAY),
    );
    let mut log = log_with(&old, 8, 4, None);
    log.record_key(new.record(), time_of(8), TENANT).unwrap();
    for seq in 9..14 {
        log.append(event(seq)).unwrap();
    }
    log.checkpoint(&new, time_of(14)).unwrap();
    let report = verify_bundle(&log.bundle(), None).unwrap();
    assert_eq!(report.signers, vec!["audit-2025", "audit-2026"]);

    // A key that is listed in the bundle but never recorded in the log may not sign.
    let stranger = key("stranger", 6, T0, T0 + DAY);
    let mut bundle = log.bundle();
    bundle.keys.push(stranger.record().clone());
    let cp = stranger
        .sign(CheckpointBody {
            origin: ORIGIN.to_owned(),
            size: 14,
            root: log.merkle().root(),
            time_ms: time_of(14),
        })
        .unwrap();
    *bundle.checkpoints.last_mut().unwrap() = cp.to_note();
    assert_eq!(
        verify_bundle(&bundle, None),
        Err(VerifyError::KeyNotRecorded {
            index: 2,
            name: "stranger".to_owned()
        })
    );
}

#[test]
fn witness_by_an_unknown_key_is_refused() {
    let log = standard();
    let stranger = key("stranger", 7, T0, T0 + DAY);
    let witness = stranger.sign(witness_of(&log).body).unwrap();
    assert_eq!(
        verify_bundle(&log.bundle(), Some(&witness)),
        Err(VerifyError::Witness(CheckpointError::NoKnownSignature))
    );
}

/// Every single-bit flip of the serialized bundle is either rejected or meaningless
/// (e.g. the case of a hex digit); nothing panics.
#[test]
fn bit_flips_never_panic_and_never_pass_changed_content() {
    let log = log_with(&real_key(), 6, 3, None);
    let bundle = log.bundle();
    let json = bundle.to_json().unwrap();
    for i in 0..json.len() {
        let mut flipped = json.clone();
        flipped[i] ^= 0x01;
        let Ok(parsed) = Bundle::from_json(&flipped) else {
            continue;
        };
        if verify_bundle(&parsed, None).is_ok() {
            assert_eq!(parsed, bundle, "byte {i} changed content yet verified");
        }
    }
    for garbage in [&b""[..], b"{}", b"[]", b"null", &json[..json.len() / 2]] {
        assert!(Bundle::from_json(garbage).is_err());
    }
}
