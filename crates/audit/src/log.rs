//! [`AuditLog`]: the writer's side in memory — entries, their Merkle tree, the recorded
//! keys and the checkpoints — and the export to a [`Bundle`].
//!
//! It refuses to write what the verifier would reject (a seq gap, time going back, a
//! checkpoint by a key that is unrecorded or outside its period), so an honest writer
//! cannot produce a bundle that fails. The database-backed writer of a later step keeps
//! the same rules.

use crate::bundle::{BUNDLE_FORMAT, BUNDLE_VERSION, Bundle, BundleEntry};
use crate::checkpoint::{Checkpoint, CheckpointBody, CheckpointError, KeyRecord, SigningKey};
use crate::entry::{Entry, EntryError};
use crate::merkle::{Hash, MerkleLog};

/// Why the log refused an append or a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("seq {found} appended where seq {expected} is next")]
    Sequence { expected: u64, found: u64 },
    #[error("time {time_ms} is before the last entry's {previous_ms}")]
    TimeGoesBack { time_ms: u64, previous_ms: u64 },
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("key {0} is not recorded in the log")]
    KeyNotRecorded(String),
    #[error("key {name} is not valid at {time_ms}")]
    KeyNotValid { name: String, time_ms: u64 },
}

/// An in-memory audit log.
#[derive(Debug, Clone)]
pub struct AuditLog {
    origin: String,
    entries: Vec<BundleEntry>,
    merkle: MerkleLog,
    keys: Vec<KeyRecord>,
    checkpoints: Vec<Checkpoint>,
}

impl AuditLog {
    /// An empty log named `origin` (the first line of its checkpoints, e.g.
    /// `meet.example.org/audit`).
    pub fn new(origin: &str) -> Result<Self, LogError> {
        crate::checkpoint::check_origin(origin)?;
        Ok(Self {
            origin: origin.to_owned(),
            entries: Vec::new(),
            merkle: MerkleLog::new(),
            keys: Vec::new(),
            checkpoints: Vec::new(),
        })
    }

    /// The seq the next entry must carry.
    pub fn next_seq(&self) -> u64 {
        self.merkle.size()
    }

    pub fn merkle(&self) -> &MerkleLog {
        &self.merkle
    }

    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// Appends an entry; returns its leaf hash.
    pub fn append(&mut self, entry: Entry) -> Result<Hash, LogError> {
        let expected = self.next_seq();
        if entry.seq != expected {
            return Err(LogError::Sequence {
                expected,
                found: entry.seq,
            });
        }
        if let Some(previous_ms) = self.last_time()
            && entry.time_ms < previous_ms
        {
            return Err(LogError::TimeGoesBack {
                time_ms: entry.time_ms,
                previous_ms,
            });
        }
        entry.check_personal()?;
        let leaf_hash = entry.leaf_hash()?;
        self.merkle.append_hash(leaf_hash);
        self.entries.push(BundleEntry { leaf_hash, entry });
        Ok(leaf_hash)
    }

    /// Records a signing key and its validity period as an `audit.key_valid` entry.
    pub fn record_key(
        &mut self,
        key: &KeyRecord,
        time_ms: u64,
        tenant: &str,
    ) -> Result<Hash, LogError> {
        let hash = self.append(key.to_entry(self.next_seq(), time_ms, tenant))?;
        if !self.keys.contains(key) {
            self.keys.push(key.clone());
        }
        Ok(hash)
    }

    /// Signs a checkpoint of the whole log at `time_ms`.
    pub fn checkpoint(&mut self, key: &SigningKey, time_ms: u64) -> Result<Checkpoint, LogError> {
        let record = key.record();
        if !self.keys.contains(record) {
            return Err(LogError::KeyNotRecorded(record.name.clone()));
        }
        if !record.valid_at(time_ms) {
            return Err(LogError::KeyNotValid {
                name: record.name.clone(),
                time_ms,
            });
        }
        let previous_ms = [
            self.last_time(),
            self.checkpoints.last().map(|c| c.body.time_ms),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(previous_ms) = previous_ms
            && time_ms < previous_ms
        {
            return Err(LogError::TimeGoesBack {
                time_ms,
                previous_ms,
            });
        }
        let checkpoint = key.sign(CheckpointBody {
            origin: self.origin.clone(),
            size: self.merkle.size(),
            root: self.merkle.root(),
            time_ms,
        })?;
        // A second checkpoint at the same size adds nothing and would break the
        // strictly growing order of a bundle's checkpoints.
        if self.checkpoints.last().map(|c| c.body.size) == Some(checkpoint.body.size) {
            self.checkpoints.pop();
        }
        self.checkpoints.push(checkpoint.clone());
        Ok(checkpoint)
    }

    /// The whole log as a bundle.
    pub fn bundle(&self) -> Bundle {
        Bundle {
            format: BUNDLE_FORMAT.to_owned(),
            version: BUNDLE_VERSION,
            origin: self.origin.clone(),
            keys: self.keys.clone(),
            entries: self.entries.clone(),
            checkpoints: self.checkpoints.iter().map(Checkpoint::to_note).collect(),
            start: None,
        }
    }

    /// The whole log as a bundle, without copying the entries.
    pub fn into_bundle(self) -> Bundle {
        Bundle {
            format: BUNDLE_FORMAT.to_owned(),
            version: BUNDLE_VERSION,
            checkpoints: self.checkpoints.iter().map(Checkpoint::to_note).collect(),
            origin: self.origin,
            keys: self.keys,
            entries: self.entries,
            start: None,
        }
    }

    fn last_time(&self) -> Option<u64> {
        self.entries.last().map(|e| e.entry.time_ms)
    }
}
