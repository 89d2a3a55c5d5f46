//! How fast one exporter formats audit entries (printed, not asserted): RFC 5424 lines with
//! ECS JSON and with CEF, for a typical entry with personal fields and three details.
//! `cargo bench -p plenum-siem`

use plenum_audit::{Actor, ActorKind, Detail, Entry, Outcome, Personal, Value};
use plenum_siem::{Facility, Formatter, PayloadFormat, Record};
use std::hint::black_box;
use std::time::Instant;

const ENTRIES: u64 = 200_000;

fn entry(seq: u64) -> Entry {
    let salt = [7u8; 16];
    let personal = |v: &str| Value::Personal(Personal::new(v, &salt).expect("salt"));
    Entry {
        seq,
        time_ms: 1_795_760_000_000 + seq,
        tenant: "default".to_owned(),
        actor: Actor {
            kind: ActorKind::User,
            id: personal("6f1d0c52-0e0b-4f57-9a53-0f6d2b0c9d11"),
        },
        source: Some(personal("192.0.2.7")),
        action: "participant.join".to_owned(),
        resource: "meeting:0b6f2c1e-9a7d-4e55-8d1c-3f0a2b4c6d8e".to_owned(),
        outcome: Outcome::Success,
        request_id: Some("0b6f2c1e9a7d4e55".to_owned()),
        details: vec![
            Detail {
                key: "display_name".to_owned(),
                value: personal("Erika Mustermann"),
            },
            Detail {
                key: "role".to_owned(),
                value: Value::text("participant"),
            },
            Detail {
                key: "via".to_owned(),
                value: Value::text("invite"),
            },
        ],
    }
}

fn main() {
    let entries: Vec<Entry> = (0..ENTRIES).map(entry).collect();
    for format in [PayloadFormat::Json, PayloadFormat::Cef] {
        let formatter = Formatter::new(
            format,
            Facility::AUTHPRIV,
            "meet.example.org",
            "4242",
            "0.1.0",
        );
        let start = Instant::now();
        let mut bytes = 0usize;
        for e in &entries {
            bytes += black_box(formatter.message(Record::Entry(e))).len();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "siem format {format:?}: {:.0} entries/s ({:.0} bytes per message)",
            ENTRIES as f64 / secs,
            bytes as f64 / ENTRIES as f64
        );
    }
}
