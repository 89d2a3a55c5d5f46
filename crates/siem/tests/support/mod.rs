//! Shared by the integration tests: a signed audit log in memory as the exporter's
//! source, cursors in memory, and small helpers.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use plenum_audit::{
    Actor, ActorKind, AuditLog, Detail, Entry, Outcome, Personal, SigningKey, Value,
};
use plenum_siem::{CheckpointNote, Cursor, CursorStore, EntrySource, SourceError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const ORIGIN: &str = "siem-test.example/audit";
pub const START_MS: u64 = 1_795_760_000_000;

// ----- an audit log in memory, as the exporter's source -------------------------------------

/// A real signed audit log (plenum-audit's writer) with the records the exporter reads.
pub struct MemoryLog {
    pub log: AuditLog,
    pub key: SigningKey,
    pub entries: Vec<Entry>,
    pub checkpoints: Vec<CheckpointNote>,
    /// The oldest entry still "stored" (as if retention removed the ones before).
    pub first_seq: u64,
}

impl MemoryLog {
    pub fn new() -> Self {
        let key = SigningKey::from_seed("siem-test", &[3; 32], 0, u64::MAX).expect("key");
        let mut log = AuditLog::new(ORIGIN).expect("log");
        let record = key.record().clone();
        let entry = record.to_entry(0, START_MS, "default");
        log.record_key(&record, START_MS, "default")
            .expect("key entry");
        Self {
            log,
            key,
            entries: vec![entry],
            checkpoints: Vec::new(),
            first_seq: 0,
        }
    }

    pub fn append(&mut self, action: &str, outcome: Outcome, display_name: &str) {
        let seq = self.log.next_seq();
        let salt = [u8::try_from(seq % 200).expect("small") + 8; 16];
        let entry = Entry {
            seq,
            time_ms: START_MS + seq * 10,
            tenant: "default".to_owned(),
            actor: Actor {
                kind: ActorKind::User,
                id: Value::Personal(Personal::new(&format!("user-{seq}"), &salt).expect("salt")),
            },
            source: Some(Value::Personal(
                Personal::new("192.0.2.10", &salt).expect("salt"),
            )),
            action: action.to_owned(),
            resource: format!("meeting:m{seq}"),
            outcome,
            request_id: Some(format!("req-{seq}")),
            details: vec![Detail {
                key: "display_name".to_owned(),
                value: Value::Personal(Personal::new(display_name, &salt).expect("salt")),
            }],
        };
        self.log.append(entry.clone()).expect("append");
        self.entries.push(entry);
    }

    pub fn checkpoint(&mut self) {
        let time_ms = START_MS + self.log.next_seq() * 10;
        let checkpoint = self.log.checkpoint(&self.key, time_ms).expect("checkpoint");
        self.checkpoints.push(CheckpointNote {
            size: checkpoint.body.size,
            time_ms,
            note: checkpoint.to_note(),
        });
    }
}

#[derive(Clone)]
pub struct SharedLog(pub Arc<Mutex<MemoryLog>>);

impl SharedLog {
    /// The key entry and one successful login.
    pub fn with_one_login() -> Self {
        let mut log = MemoryLog::new();
        log.append("auth.login", Outcome::Success, "Alice");
        Self(Arc::new(Mutex::new(log)))
    }
}

impl EntrySource for SharedLog {
    async fn entries(&self, from_seq: u64, limit: usize) -> Result<Vec<Entry>, SourceError> {
        let log = self.0.lock().expect("lock");
        Ok(log
            .entries
            .iter()
            .filter(|e| e.seq >= from_seq.max(log.first_seq))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn checkpoints(
        &self,
        after_size: u64,
        up_to_size: u64,
        limit: usize,
    ) -> Result<Vec<CheckpointNote>, SourceError> {
        let log = self.0.lock().expect("lock");
        Ok(log
            .checkpoints
            .iter()
            .filter(|c| after_size < c.size && c.size <= up_to_size)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn log_size(&self) -> Result<u64, SourceError> {
        Ok(self.0.lock().expect("lock").log.next_seq())
    }

    async fn first_seq(&self) -> Result<u64, SourceError> {
        Ok(self.0.lock().expect("lock").first_seq)
    }
}

#[derive(Clone, Default)]
pub struct MemoryCursors(Arc<Mutex<BTreeMap<String, Cursor>>>);

impl MemoryCursors {
    pub fn get(&self, target: &str) -> Option<Cursor> {
        self.0.lock().expect("lock").get(target).copied()
    }
}

impl CursorStore for MemoryCursors {
    async fn load(&self, target: &str) -> Result<Option<Cursor>, SourceError> {
        Ok(self.get(target))
    }

    async fn save(&self, target: &str, cursor: Cursor) -> Result<(), SourceError> {
        self.0
            .lock()
            .expect("lock")
            .insert(target.to_owned(), cursor);
        Ok(())
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plenum-siem-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
