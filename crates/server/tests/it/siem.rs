//! The SIEM export wired into the server: a `[[siem.targets]]` entry starts a task that
//! reads the audit tables, delivers to the receiver and persists its cursor. The receiver
//! here is a plain-TCP syslog listener in the test (octet-counted frames, RFC 6587); the
//! TLS path against rsyslog is tested in crates/siem.

use crate::common::{TempDir, test_config};
use plenum_audit::{Actor, ActorKind, Detail, Entry, Outcome, Value};
use plenum_server::config::siem::{SiemFormat, SiemTarget, SiemTransport};
use serde_json::Value as Json;
use std::time::Duration;
use tokio::io::AsyncReadExt as _;
use tokio::sync::mpsc;

/// Accepts connections and sends every octet-counted frame it reads to the channel.
async fn receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut bytes = Vec::new();
                // The sender closes its side after each batch; dropping ours confirms it.
                socket.read_to_end(&mut bytes).await.unwrap();
                let mut rest = bytes.as_slice();
                while !rest.is_empty() {
                    let space = rest.iter().position(|b| *b == b' ').unwrap();
                    let len: usize = std::str::from_utf8(&rest[..space])
                        .unwrap()
                        .parse()
                        .unwrap();
                    let message = &rest[space + 1..space + 1 + len];
                    tx.send(String::from_utf8(message.to_vec()).unwrap())
                        .unwrap();
                    rest = &rest[space + 1 + len..];
                }
            });
        }
    });
    (address, rx)
}

fn entry(action: &str, resource: &str) -> Entry {
    Entry {
        seq: 0,
        time_ms: u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap() * 1000,
        tenant: "default".into(),
        actor: Actor {
            kind: ActorKind::System,
            id: Value::text("plenum"),
        },
        source: None,
        action: action.into(),
        resource: resource.into(),
        outcome: Outcome::Success,
        request_id: Some("req-siem".into()),
        details: vec![Detail {
            key: "title".into(),
            value: Value::text("Board meeting"),
        }],
    }
}

/// The JSON payload of a received RFC 5424 message.
fn payload(message: &str) -> Json {
    let msg = message.splitn(8, ' ').nth(7).unwrap();
    serde_json::from_str(msg).unwrap()
}

async fn next(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the export delivers within 20 s")
        .unwrap()
}

#[tokio::test]
async fn audit_entries_reach_a_configured_target_and_the_cursor_is_persisted() {
    let dir = TempDir::new();
    let (address, mut rx) = receiver().await;
    let mut config = test_config(dir.path(), &[]);
    config.siem.targets.push(SiemTarget {
        name: "it".into(),
        address,
        transport: SiemTransport::Tcp,
        format: SiemFormat::Json,
        facility: "authpriv".into(),
    });
    let store = plenum_server::serve::open_store(&config).await.unwrap();
    // Entries from before the start are the backlog the task sends first.
    for n in 0..3 {
        store
            .append_audit(entry("meeting.create", &format!("meeting:{n}")))
            .await
            .unwrap();
    }
    let state = plenum_server::serve::build_state(config, store)
        .await
        .unwrap();
    plenum_server::siem_task::start(&state).unwrap();
    // Whatever the server itself records meanwhile (its start), every entry arrives in
    // seq order without a gap, checkpoints after the entries they cover.
    let mut next_seq = 0;
    let mut receive_until = async |action: &str, resource: &str| {
        loop {
            let message = next(&mut rx).await;
            assert!(message.contains(" 127.0.0.1 plenum "), "{message}");
            let doc = payload(&message);
            if doc["event"]["action"] == "audit.checkpoint" {
                let size = doc["plenum"]["checkpoint"]["size"].as_u64().unwrap();
                assert!(size <= next_seq, "checkpoint {size} before its entries");
                continue;
            }
            assert_eq!(doc["event"]["sequence"], next_seq, "{message}");
            next_seq += 1;
            if doc["event"]["action"] == action && doc["plenum"]["resource"] == resource {
                return (message, doc);
            }
        }
    };
    // The backlog from before the start.
    for n in 0..3 {
        let (message, doc) = receive_until("meeting.create", &format!("meeting:{n}")).await;
        // authpriv (10) * 8 + informational (6)
        assert!(message.starts_with("<86>1 2"), "{message}");
        assert_eq!(doc["plenum"]["details"]["title"], "Board meeting");
        assert_eq!(doc["http"]["request"]["id"], "req-siem");
    }
    // A new entry follows within the poll interval.
    state
        .store
        .append_audit(entry("meeting.delete", "meeting:0"))
        .await
        .unwrap();
    receive_until("meeting.delete", "meeting:0").await;
    // A signed checkpoint follows the entries it covers: the witnessed copy.
    let signed = state
        .audit_signer
        .checkpoint(&state.config.audit, &state.store)
        .await
        .unwrap()
        .expect("a checkpoint");
    loop {
        let doc = payload(&next(&mut rx).await);
        if doc["event"]["action"] == "audit.checkpoint"
            && doc["plenum"]["checkpoint"]["size"] == signed.size
        {
            assert_eq!(doc["plenum"]["checkpoint"]["note"], signed.note.as_str());
            break;
        }
    }
    let size = signed.size;
    // The cursor is saved right after the confirmation.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let cursor = state.store.siem_cursor("it").await.unwrap();
        if cursor.is_some_and(|c| c.next_seq >= size && c.checkpoint_size >= size) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{cursor:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    state.shutdown.trigger();
}
