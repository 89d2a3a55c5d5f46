//! `plenum audit verify` on bundles written here with plenum-audit: a good one verifies
//! (exit 0), a tampered one fails naming the entry (exit 1), a truncated one fails only
//! against a witness, and unreadable input exits 2.

use crate::common::TempDir;
use plenum_audit::{Actor, ActorKind, AuditLog, Entry, Outcome, Personal, SigningKey, Value};
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_plenum");
const T0: u64 = 1_764_000_000_000;

fn log(entries: u64) -> AuditLog {
    let key = SigningKey::from_seed("test-audit-1", &[1; 32], T0, T0 + 86_400_000).unwrap();
    let mut log = AuditLog::new("test.example/audit").unwrap();
    log.record_key(key.record(), T0, "t").unwrap();
    for seq in 1..entries {
        log.append(Entry {
            seq,
            time_ms: T0 + seq,
            tenant: "t".to_owned(),
            actor: Actor {
                kind: ActorKind::User,
                id: Value::Personal(
                    Personal::new(&format!("user-{seq}"), &[seq as u8; 16]).unwrap(),
                ),
            },
            source: Some(Value::text("192.0.2.1")),
            action: "auth.login".to_owned(),
            resource: format!("account/{seq}"),
            outcome: Outcome::Success,
            request_id: None,
            details: Vec::new(),
        })
        .unwrap();
        if seq % 4 == 0 {
            log.checkpoint(&key, T0 + seq).unwrap();
        }
    }
    log.checkpoint(&key, T0 + entries).unwrap();
    log
}

fn run(args: &[&Path]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .args(["audit", "verify"])
        .args(args)
        .output()
        .unwrap();
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn audit_verify_reports_ok_or_the_first_bad_entry() {
    let dir = TempDir::new();
    let path = |name: &str| dir.path().join(name);
    let full = log(10);
    std::fs::write(path("good.json"), full.bundle().to_json().unwrap()).unwrap();
    let witness = full.checkpoints().last().unwrap().to_note();
    std::fs::write(path("witness.txt"), &witness).unwrap();

    let mut tampered = full.bundle();
    tampered.entries[6].entry.resource = "account/7".to_owned();
    std::fs::write(path("tampered.json"), tampered.to_json().unwrap()).unwrap();

    let mut short = full.bundle();
    short.entries.truncate(9);
    short.checkpoints.truncate(2);
    std::fs::write(path("short.json"), short.to_json().unwrap()).unwrap();
    std::fs::write(path("garbage.json"), b"{not json").unwrap();

    let (code, stdout, _) = run(&[&path("good.json")]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("OK: 10 entries, 3 checkpoints"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);

    let (code, stdout, _) = run(&[
        &path("good.json"),
        Path::new("--witness"),
        &path("witness.txt"),
    ]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("witness at tree size 10 matches"),
        "{stdout}"
    );

    let (code, _, stderr) = run(&[&path("tampered.json")]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("entry seq 6:"), "{stderr}");

    // A shorter log with intact checkpoints verifies alone; the witness exposes it.
    let (code, _, _) = run(&[&path("short.json")]);
    assert_eq!(code, Some(0));
    let (code, _, stderr) = run(&[
        &path("short.json"),
        Path::new("--witness"),
        &path("witness.txt"),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("truncated") && stderr.contains("seq 9"),
        "{stderr}"
    );

    for args in [
        vec![path("missing.json")],
        vec![path("garbage.json")],
        vec![path("good.json"), "--witness".into(), path("garbage.json")],
    ] {
        let args: Vec<&Path> = args.iter().map(|p| p.as_path()).collect();
        let (code, _, stderr) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot read input"), "{stderr}");
    }
}
