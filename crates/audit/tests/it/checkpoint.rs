//! The checkpoint text format: exact rendering, round trip, C2SP key ids, and malformed
//! notes rejected without panicking.

use crate::fixture::{ORIGIN, real_key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use plenum_audit::{Checkpoint, CheckpointBody};

fn body() -> CheckpointBody {
    CheckpointBody {
        origin: ORIGIN.to_owned(),
        size: 23,
        root: [0xab; 32],
        time_ms: 1_764_000_000_000,
    }
}

#[test]
fn renders_the_signed_note_format_and_parses_back() {
    let key = real_key();
    let cp = key.sign(body()).unwrap();
    let note = cp.to_note();
    let (text, sig_line) = note.split_once("\n\n").unwrap();
    assert_eq!(
        text,
        format!(
            "{ORIGIN}\n23\n{}\ntime 1764000000000",
            B64.encode([0xab; 32])
        )
    );
    let sig = sig_line
        .strip_prefix("\u{2014} meet.example.org-audit-1 ")
        .unwrap()
        .strip_suffix('\n')
        .unwrap();
    let sig = B64.decode(sig).unwrap();
    assert_eq!(sig.len(), 4 + 64);
    assert_eq!(sig[..4], key.record().key_id());
    let parsed = Checkpoint::parse(&note).unwrap();
    assert_eq!(parsed, cp);
    assert_eq!(
        parsed.verify(std::slice::from_ref(key.record())).unwrap(),
        key.record()
    );
    assert!(
        key.record()
            .verifier_key()
            .starts_with("meet.example.org-audit-1+")
    );
}

#[test]
fn malformed_notes_are_errors() {
    let good = real_key().sign(body()).unwrap().to_note();
    let root = B64.encode([0xab; 32]);
    let sig = good.split_once("\n\n").unwrap().1;
    let notes = vec![
        String::new(),
        "\n\n".to_owned(),
        good.replace("\n\n", "\n"),
        good.trim_end().to_owned(),
        good.replace("\n23\n", "\n023\n"),
        good.replace("\n23\n", "\n-1\n"),
        good.replace("\n23\n", "\n99999999999999999999999\n"),
        good.replace(&root, "not base64!"),
        good.replace(&root, &B64.encode([1u8; 31])),
        good.replace("time 1764000000000\n", ""),
        good.replace("time 1764000000000", "time soon"),
        good.replace('\u{2014}', "-"),
        good.replace(" meet.example.org-audit-1 ", " meet.example.org-audit-1"),
        good.replace("meet.example.org-audit-1", "bad+name"),
        format!("{ORIGIN}\n23\n{root}\ntime 1\n\n\u{2014} k AAAA\n"),
        format!("\n23\n{root}\ntime 1\n\n{sig}"),
        "x".repeat(20_000),
        "é\n\n—".to_owned(),
    ];
    for note in notes {
        assert!(Checkpoint::parse(&note).is_err(), "{note:?}");
    }
    // Every truncation of a good note is either rejected or (never) accepted unchanged.
    for end in 0..good.len() {
        if let Some(prefix) = good.get(..end) {
            assert!(Checkpoint::parse(prefix).is_err(), "{prefix:?}");
        }
    }
}
