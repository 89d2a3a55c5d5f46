//! The exporter against Debian's real rsyslog as a TLS syslog receiver (RFC 5425): a test
//! CA and server certificate are generated here, rsyslog runs as a child process with its
//! own configuration, work directory and port, and writes every message it receives,
//! raw, to a file that the test reads.

mod support;

use plenum_audit::Outcome;
use plenum_audit::checkpoint::Checkpoint;
use plenum_siem::{
    Cursor, ExportError, ExportSettings, Exporter, Facility, Formatter, PayloadFormat, Sender,
    TlsSettings, Transport, TransportError,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{MemoryCursors, MemoryLog, SharedLog, free_port, temp_dir};

const HOSTILE_NAME: &str = "Mallory\nCEF:0|evil|x=1 \\ \u{1b}[2J\u{1b}[31mrm -rf\u{1b}[0m";

// ----- rsyslog as a child process ---------------------------------------------------------

/// A running rsyslogd; stopped (and waited for) when dropped, also when a test fails.
struct Rsyslog {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl Rsyslog {
    /// Starts rsyslogd listening for TLS syslog on `port` with the given certificate,
    /// appending what it receives to `dir/received.log`.
    /// `auth_mode` is rsyslog's `streamDriver.authMode`: `anon` accepts any client,
    /// `x509/certvalid` requires a client certificate signed by the CA.
    fn start(dir: &Path, port: u16, pki: &TestPki, auth_mode: &str) -> Self {
        let work = dir.join("work");
        std::fs::create_dir_all(&work).expect("work dir");
        let conf = dir.join("rsyslog.conf");
        std::fs::write(
            &conf,
            format!(
                r#"global(
  workDirectory="{work}"
  maxMessageSize="64k"
  parser.escapeControlCharactersOnReceive="off"
  defaultNetstreamDriverCAFile="{ca}"
  defaultNetstreamDriverCertFile="{cert}"
  defaultNetstreamDriverKeyFile="{key}"
)
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="{auth_mode}")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{out}" template="raw")
"#,
                work = work.display(),
                ca = pki.ca.display(),
                cert = pki.cert.display(),
                key = pki.key.display(),
                out = dir.join("received.log").display(),
            ),
        )
        .expect("write rsyslog.conf");
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("rsyslogd.stderr"))
                    .expect("stderr file"),
            ))
            .spawn()
            .expect("rsyslogd (Debian package rsyslog) must be installed");
        let mut rsyslog = Self {
            child: Some(child),
            dir: dir.to_owned(),
            port,
        };
        rsyslog.wait_listening();
        rsyslog
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "rsyslogd exited with {status}: {}",
                    std::fs::read_to_string(self.dir.join("rsyslogd.stderr")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "rsyslogd does not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops rsyslogd with SIGTERM (it writes out what it has received) and waits.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn received(&self) -> String {
        std::fs::read_to_string(self.dir.join("received.log")).unwrap_or_default()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}

// ----- certificates -----------------------------------------------------------------------

/// A CA and a server certificate for 127.0.0.1 signed by it, written as PEM files.
struct TestPki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    /// A client certificate (and key) signed by the same CA.
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn make_pki(dir: &Path, name: &str) -> TestPki {
    std::fs::create_dir_all(dir).expect("pki dir");
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} test CA"));
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server params");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server cert");
    let client_key = KeyPair::generate().expect("client key");
    let client_cert = CertificateParams::new(vec!["plenum.example".to_owned()])
        .expect("client params")
        .signed_by(&client_key, &issuer)
        .expect("client cert");
    let pki = TestPki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    };
    std::fs::write(&pki.client_cert, client_cert.pem()).expect("write client cert");
    std::fs::write(&pki.client_key, client_key.serialize_pem()).expect("write client key");
    std::fs::write(&pki.ca, ca_cert.pem()).expect("write CA");
    std::fs::write(&pki.cert, server_cert.pem()).expect("write cert");
    std::fs::write(&pki.key, server_key.serialize_pem()).expect("write key");
    pki
}

// ----- helpers -----------------------------------------------------------------------------

fn tls_exporter(
    name: &str,
    format: PayloadFormat,
    port: u16,
    ca: &Path,
    source: &SharedLog,
    cursors: &MemoryCursors,
) -> Exporter<SharedLog, MemoryCursors> {
    let tls = TlsSettings {
        ca_file: ca.to_owned(),
        client_cert_file: None,
        client_key_file: None,
    };
    exporter_with(name, format, port, tls, source, cursors)
}

fn exporter_with(
    name: &str,
    format: PayloadFormat,
    port: u16,
    tls: TlsSettings,
    source: &SharedLog,
    cursors: &MemoryCursors,
) -> Exporter<SharedLog, MemoryCursors> {
    let sender = Sender::new(&format!("127.0.0.1:{port}"), &Transport::Tls(tls)).expect("sender");
    let settings = ExportSettings {
        batch_size: 7,
        poll_interval: Duration::from_millis(50),
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        status_interval: Duration::from_secs(1),
    };
    Exporter::new(
        name,
        Formatter::new(format, Facility::AUTHPRIV, "plenum-test", "4242", "0.1.0"),
        sender,
        settings,
        source.clone(),
        cursors.clone(),
    )
}

/// One received RFC 5424 line split into its header fields and MSG.
struct Syslog<'a> {
    pri: u16,
    timestamp: &'a str,
    hostname: &'a str,
    app: &'a str,
    msgid: &'a str,
    msg: &'a str,
}

fn parse_rfc5424(line: &str) -> Syslog<'_> {
    let rest = line.strip_prefix('<').expect("PRI");
    let (pri, rest) = rest.split_once('>').expect("PRI end");
    // VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
    let fields: Vec<&str> = rest.splitn(8, ' ').collect();
    assert_eq!(fields.len(), 8, "{line}");
    assert_eq!(fields[0], "1", "version: {line}");
    assert_eq!(fields[4], "4242", "procid: {line}");
    assert_eq!(fields[6], "-", "structured data: {line}");
    Syslog {
        pri: pri.parse().expect("PRI number"),
        timestamp: fields[1],
        hostname: fields[2],
        app: fields[3],
        msgid: fields[5],
        msg: fields[7],
    }
}

// ----- the tests ---------------------------------------------------------------------------

/// N events in JSON and CEF to one receiver (two targets), the receiver stopped and
/// restarted while events keep coming: afterwards every seq and every checkpoint arrived,
/// each line is RFC 5424 with ECS JSON (or CEF), and the hostile display name arrives
/// escaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_events_arrive_across_a_receiver_restart() {
    const N: u64 = 80;
    let dir = temp_dir("restart");
    let pki = make_pki(&dir.join("pki"), "good");
    let port = free_port();
    let mut rsyslog = Rsyslog::start(&dir, port, &pki, "anon");

    let source = SharedLog(Arc::new(Mutex::new(MemoryLog::new())));
    let cursors = MemoryCursors::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for (name, format) in [("json", PayloadFormat::Json), ("cef", PayloadFormat::Cef)] {
        let exporter = tls_exporter(name, format, port, &pki.ca, &source, &cursors);
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(exporter.run(async move {
            let _ = stop.wait_for(|stop| *stop).await;
        })));
    }

    let emit = |from: u64, to: u64| {
        let mut log = source.0.lock().expect("lock");
        for i in from..to {
            let (action, outcome, name) = match i % 5 {
                0 => ("auth.login", Outcome::Failure, "Alice"),
                1 => ("participant.join", Outcome::Success, HOSTILE_NAME),
                2 => ("access.denied", Outcome::Denied, "Bob"),
                3 => ("auth.lockout", Outcome::Success, "Carol"),
                _ => ("meeting.create", Outcome::Success, "Dave"),
            };
            log.append(action, outcome, name);
            if i % 13 == 12 {
                log.checkpoint();
            }
        }
    };
    // The first half while the receiver runs, in bursts.
    for burst in 0..4 {
        emit(burst * 10, burst * 10 + 10);
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    // Stop the receiver in the middle of the stream; events keep coming meanwhile.
    rsyslog.stop();
    emit(40, 60);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let while_down = cursors.get("json").map_or(0, |c| c.next_seq);
    assert!(
        while_down <= 41,
        "cursor moved while the receiver was down: {while_down}"
    );
    rsyslog = Rsyslog::start(&dir, port, &pki, "anon");
    emit(60, N);
    {
        let mut log = source.0.lock().expect("lock");
        log.checkpoint();
    }
    let total = source.0.lock().expect("lock").log.next_seq();
    let checkpoint_sizes: BTreeSet<u64> = source
        .0
        .lock()
        .expect("lock")
        .checkpoints
        .iter()
        .map(|c| c.size)
        .collect();
    // Every cursor at the end of the log, checkpoints included.
    let deadline = Instant::now() + Duration::from_secs(60);
    for name in ["json", "cef"] {
        while cursors.get(name)
            != Some(Cursor {
                next_seq: total,
                checkpoint_size: total,
            })
        {
            assert!(
                Instant::now() < deadline,
                "{name} stuck at {:?}",
                cursors.get(name)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let _ = stop_tx.send(true);
    for task in tasks {
        task.await.expect("exporter task");
    }
    // rsyslog writes out what it received when it stops.
    rsyslog.stop();
    let received = rsyslog.received();

    let key = source.0.lock().expect("lock").key.record().clone();
    let mut json_seqs = BTreeSet::new();
    let mut cef_seqs = BTreeSet::new();
    let mut json_checkpoints = BTreeSet::new();
    let mut cef_checkpoints = 0;
    let mut hostile_json = 0;
    let mut hostile_cef = 0;
    for line in received.lines() {
        assert!(
            !line.chars().any(|c| c.is_control()),
            "raw control character in {line:?}"
        );
        let syslog = parse_rfc5424(line);
        assert_eq!(syslog.app, "plenum");
        assert_eq!(syslog.hostname, "plenum-test");
        assert_eq!(syslog.pri / 8, 10, "facility authpriv: {line}");
        assert!(
            time::OffsetDateTime::parse(
                syslog.timestamp,
                &time::format_description::well_known::Rfc3339
            )
            .is_ok(),
            "timestamp {}",
            syslog.timestamp
        );
        if syslog.msg.starts_with("CEF:0|Plenum|Plenum|0.1.0|") {
            if syslog.msgid == "audit.checkpoint" {
                cef_checkpoints += 1;
                continue;
            }
            let seq = syslog
                .msg
                .split(" cn1=")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no cn1 sequence in {line}"));
            cef_seqs.insert(seq);
            if syslog.msg.contains("Mallory") {
                assert!(
                    syslog.msg.contains(
                        "suser=Mallory\\nCEF:0|evil|x\\=1 \\\\ \\u001b[2J\\u001b[31mrm -rf\\u001b[0m"
                    ),
                    "CEF escaping: {line}"
                );
                hostile_cef += 1;
            }
            continue;
        }
        let doc: Json = serde_json::from_str(syslog.msg)
            .unwrap_or_else(|e| panic!("MSG is not JSON ({e}): {line}"));
        assert!(doc["@timestamp"].is_string(), "{line}");
        assert_eq!(doc["event"]["action"], syslog.msgid, "{line}");
        if syslog.msgid == "audit.checkpoint" {
            let note = doc["plenum"]["checkpoint"]["note"].as_str().expect("note");
            let checkpoint = Checkpoint::parse(note).expect("checkpoint parses");
            checkpoint
                .verify(std::slice::from_ref(&key))
                .expect("checkpoint signature verifies");
            json_checkpoints.insert(checkpoint.body.size);
            continue;
        }
        let seq = doc["event"]["sequence"].as_u64().expect("event.sequence");
        json_seqs.insert(seq);
        let severity = doc["event"]["severity"].as_u64().expect("event.severity");
        assert_eq!(u64::from(syslog.pri % 8), severity, "{line}");
        assert!(doc["event"]["outcome"].is_string(), "{line}");
        assert!(doc["event"]["category"][0].is_string(), "{line}");
        assert!(doc["log"]["level"].is_string(), "{line}");
        assert_eq!(doc["organization"]["id"], "default", "{line}");
        if seq > 0 {
            assert_eq!(doc["user"]["id"], format!("user-{seq}"), "{line}");
            assert_eq!(doc["source"]["ip"], "192.0.2.10", "{line}");
            assert_eq!(doc["http"]["request"]["id"], format!("req-{seq}"), "{line}");
        }
        match doc["event"]["action"].as_str() {
            Some("auth.lockout") => assert_eq!(doc["log"]["level"], "alert", "{line}"),
            Some("access.denied") => assert_eq!(doc["log"]["level"], "warning", "{line}"),
            _ => {}
        }
        if doc["user"]["name"] == HOSTILE_NAME {
            assert!(line.contains("\\u001b[2J"), "{line}");
            assert_eq!(doc["plenum"]["details"]["display_name"], HOSTILE_NAME);
            hostile_json += 1;
        }
    }
    let all: BTreeSet<u64> = (0..total).collect();
    assert_eq!(json_seqs, all, "JSON target: missing or extra seqs");
    assert_eq!(cef_seqs, all, "CEF target: missing or extra seqs");
    assert_eq!(json_checkpoints, checkpoint_sizes, "checkpoints (JSON)");
    assert!(
        cef_checkpoints >= checkpoint_sizes.len(),
        "checkpoints (CEF)"
    );
    assert!(
        hostile_json >= 16 && hostile_cef >= 16,
        "{hostile_json} {hostile_cef}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A receiver whose certificate comes from another CA is refused: the TLS handshake
/// fails with a certificate error, nothing arrives, and the cursor stays where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_another_ca_is_refused() {
    let dir = temp_dir("rogue");
    let trusted = make_pki(&dir.join("trusted"), "trusted");
    let rogue = make_pki(&dir.join("rogue"), "rogue");
    let port = free_port();
    let rsyslog = Rsyslog::start(&dir, port, &rogue, "anon");

    let source = SharedLog::with_one_login();
    let cursors = MemoryCursors::default();
    let mut exporter = tls_exporter(
        "siem",
        PayloadFormat::Json,
        port,
        &trusted.ca,
        &source,
        &cursors,
    );
    for _ in 0..2 {
        let error = exporter
            .round()
            .await
            .expect_err("must refuse the certificate");
        let text = error.to_string();
        assert!(
            matches!(
                error,
                ExportError::Transport(TransportError::Connect { .. })
            ),
            "{text}"
        );
        assert!(text.contains("certificate"), "{text}");
    }
    assert_eq!(cursors.get("siem"), None, "cursor must not move");
    // The same receiver is accepted with its own CA: the refusal was the certificate.
    let mut trusting = tls_exporter(
        "other",
        PayloadFormat::Json,
        port,
        &rogue.ca,
        &source,
        &cursors,
    );
    let round = trusting.round().await.expect("delivers with the right CA");
    assert_eq!(round.cursor.next_seq, 2);
    drop(rsyslog);
    let received = std::fs::read_to_string(dir.join("received.log")).unwrap_or_default();
    assert_eq!(received.lines().count(), 2, "{received}");
    assert_eq!(
        cursors.get("siem"),
        None,
        "the refused target's cursor never moved"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A receiver that requires client certificates: without one nothing is delivered and
/// the cursor stays; with the configured client certificate and key the batch arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_is_presented_when_the_receiver_requires_one() {
    let dir = temp_dir("client-cert");
    let pki = make_pki(&dir.join("pki"), "mutual");
    let port = free_port();
    let rsyslog = Rsyslog::start(&dir, port, &pki, "x509/certvalid");
    let source = SharedLog::with_one_login();
    let cursors = MemoryCursors::default();
    let mut anonymous = tls_exporter(
        "anonymous",
        PayloadFormat::Json,
        port,
        &pki.ca,
        &source,
        &cursors,
    );
    let error = anonymous
        .round()
        .await
        .expect_err("the receiver requires a client certificate");
    assert!(matches!(error, ExportError::Transport(_)), "{error}");
    assert_eq!(cursors.get("anonymous"), None, "cursor must not move");
    let tls = TlsSettings {
        ca_file: pki.ca.clone(),
        client_cert_file: Some(pki.client_cert.clone()),
        client_key_file: Some(pki.client_key.clone()),
    };
    let mut mutual = exporter_with("mutual", PayloadFormat::Json, port, tls, &source, &cursors);
    let round = mutual
        .round()
        .await
        .expect("delivers with a client certificate");
    assert_eq!(round.cursor.next_seq, 2);
    drop(rsyslog);
    let received = std::fs::read_to_string(dir.join("received.log")).unwrap_or_default();
    let seqs: Vec<u64> = received
        .lines()
        .map(|line| {
            let doc: Json = serde_json::from_str(parse_rfc5424(line).msg).expect("JSON");
            doc["event"]["sequence"].as_u64().expect("seq")
        })
        .collect();
    assert_eq!(seqs, [0, 1], "{received}");
    let _ = std::fs::remove_dir_all(&dir);
}
