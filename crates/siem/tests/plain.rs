//! The exporter over plain TCP and UDP against receivers in the test: the order of
//! entries and checkpoints across batches, gaps refused, entries removed by retention
//! skipped, one datagram per message over UDP.

mod support;

use plenum_audit::Outcome;
use plenum_siem::{
    ExportError, ExportSettings, Exporter, Facility, Formatter, PayloadFormat, Sender, Transport,
};
use serde_json::Value as Json;
use std::sync::{Arc, Mutex};
use support::{MemoryCursors, MemoryLog, SharedLog};
use tokio::io::AsyncReadExt as _;
use tokio::sync::mpsc;

/// A syslog-over-TCP receiver: reads each connection to its end, splits the
/// octet-counted frames and closes (which confirms the batch).
async fn tcp_receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut bytes = Vec::new();
            socket.read_to_end(&mut bytes).await.expect("read");
            let mut rest = bytes.as_slice();
            while let Some(space) = rest.iter().position(|b| *b == b' ') {
                let len: usize = std::str::from_utf8(&rest[..space])
                    .expect("length")
                    .parse()
                    .expect("length");
                let end = space + 1 + len;
                let message = String::from_utf8(rest[space + 1..end].to_vec()).expect("UTF-8");
                tx.send(message).expect("channel");
                rest = &rest[end..];
            }
        }
    });
    (address, rx)
}

fn exporter(
    address: &str,
    transport: &Transport,
    log: &SharedLog,
    batch: usize,
) -> Exporter<SharedLog, MemoryCursors> {
    Exporter::new(
        "plain",
        Formatter::new(PayloadFormat::Json, Facility::AUTHPRIV, "h", "1", "0.1.0"),
        Sender::new(address, transport).expect("sender"),
        ExportSettings {
            batch_size: batch,
            ..ExportSettings::default()
        },
        log.clone(),
        MemoryCursors::default(),
    )
}

/// `seq:<n>` for an entry, `cp:<size>` for a checkpoint.
fn label(message: &str) -> String {
    let msg = message.splitn(8, ' ').nth(7).expect("MSG");
    let doc: Json = serde_json::from_str(msg).expect("JSON");
    match doc["event"]["sequence"].as_u64() {
        Some(seq) => format!("seq:{seq}"),
        None => format!("cp:{}", doc["plenum"]["checkpoint"]["size"]),
    }
}

fn drain(rx: &mut mpsc::UnboundedReceiver<String>) -> Vec<String> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .map(|m| label(&m))
        .collect()
}

fn log_with(entries: u64) -> SharedLog {
    let mut log = MemoryLog::new();
    for _ in 1..entries {
        log.append("meeting.create", Outcome::Success, "Alice");
    }
    SharedLog(Arc::new(Mutex::new(log)))
}

#[tokio::test]
async fn checkpoints_follow_the_entry_that_completes_their_tree() {
    let (address, mut rx) = tcp_receiver().await;
    let log = log_with(3);
    log.0.lock().expect("lock").checkpoint(); // size 3
    for _ in 3..7 {
        log.0
            .lock()
            .expect("lock")
            .append("meeting.create", Outcome::Success, "Bob");
    }
    log.0.lock().expect("lock").checkpoint(); // size 7
    let mut exporter = exporter(&address, &Transport::Tcp, &log, 4);
    let first = exporter.round().await.expect("round");
    assert_eq!(
        (
            first.delivered,
            first.cursor.next_seq,
            first.cursor.checkpoint_size
        ),
        (5, 4, 3)
    );
    let second = exporter.round().await.expect("round");
    assert_eq!(
        (
            second.delivered,
            second.cursor.next_seq,
            second.cursor.checkpoint_size
        ),
        (4, 7, 7)
    );
    // A checkpoint over entries already delivered comes first in the next round.
    log.0
        .lock()
        .expect("lock")
        .append("meeting.create", Outcome::Success, "Carol");
    log.0.lock().expect("lock").checkpoint(); // size 8
    let third = exporter.round().await.expect("round");
    assert_eq!(third.delivered, 2);
    let idle = exporter.round().await.expect("round");
    assert_eq!(idle.delivered, 0);
    // Give the receiver task the last connection.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        drain(&mut rx),
        [
            "seq:0", "seq:1", "seq:2", "cp:3", "seq:3", //
            "seq:4", "seq:5", "seq:6", "cp:7", //
            "seq:7", "cp:8",
        ]
    );
}

#[tokio::test]
async fn a_gap_in_the_log_is_refused_and_the_cursor_stays() {
    let (address, mut rx) = tcp_receiver().await;
    let log = log_with(5);
    log.0.lock().expect("lock").entries.remove(2);
    let mut exporter = exporter(&address, &Transport::Tcp, &log, 10);
    let error = exporter.round().await.expect_err("gap");
    assert!(
        matches!(
            error,
            ExportError::Gap {
                expected: 2,
                found: 3
            }
        ),
        "{error}"
    );
    assert!(drain(&mut rx).is_empty());
    let error = exporter.round().await.expect_err("still a gap");
    assert!(matches!(error, ExportError::Gap { .. }), "{error}");
}

#[tokio::test]
async fn entries_removed_by_retention_before_delivery_are_skipped() {
    let (address, mut rx) = tcp_receiver().await;
    let log = log_with(6);
    {
        let mut inner = log.0.lock().expect("lock");
        inner.entries.drain(..4);
        inner.first_seq = 4;
    }
    let mut exporter = exporter(&address, &Transport::Tcp, &log, 10);
    let round = exporter.round().await.expect("round");
    assert_eq!((round.delivered, round.cursor.next_seq), (2, 6));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(drain(&mut rx), ["seq:4", "seq:5"]);
}

#[tokio::test]
async fn udp_sends_one_datagram_per_message() {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = socket.local_addr().expect("address").to_string();
    let log = log_with(3);
    let mut exporter = exporter(&address, &Transport::Udp, &log, 10);
    let round = exporter.round().await.expect("round");
    assert_eq!(round.delivered, 3);
    let mut buffer = vec![0u8; 65_536];
    for seq in 0..3 {
        let n = socket.recv(&mut buffer).await.expect("datagram");
        let message = std::str::from_utf8(&buffer[..n]).expect("UTF-8");
        assert!(message.starts_with('<'), "no framing over UDP: {message}");
        assert_eq!(label(message), format!("seq:{seq}"));
    }
}
