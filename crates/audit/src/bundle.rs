//! The bundle (an export of the log for offline verification) and its verifier.
//!
//! A bundle is one JSON document (see `docs/audit-format.md`): the origin, the public
//! signing keys, every entry from seq 0 with the clear values still present and its leaf
//! hash, and the signed checkpoints in tree-size order. [`verify_bundle`] treats all of it
//! as untrusted: it recomputes every leaf and root itself and only believes signatures.
//!
//! The stored leaf hash beside each entry is a *locator*, not evidence: it lets the
//! verifier name the exact entry that was changed. If someone rewrote an entry and its
//! stored leaf hash consistently, the signed root still exposes the change, and the error
//! then names the checkpoint and the seq range since the last good checkpoint.

use crate::checkpoint::{Checkpoint, CheckpointError, KEY_VALID_ACTION, KeyRecord, check_origin};
use crate::compact::CompactRange;
use crate::entry::{Entry, EntryError};
use crate::merkle::{Hash, verify_inclusion};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `format` value of a bundle.
pub const BUNDLE_FORMAT: &str = "plenum-audit-bundle";
/// The bundle version this crate writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

/// An exported log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub version: u32,
    pub origin: String,
    pub keys: Vec<KeyRecord>,
    pub entries: Vec<BundleEntry>,
    /// Signed notes (see [`crate::checkpoint`]), in increasing tree size.
    pub checkpoints: Vec<String>,
    /// Where a bundle that does not begin at seq 0 begins (a range export, or a log whose
    /// oldest entries were removed by retention). Absent: the bundle starts at seq 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<BundleStart>,
}

/// The part of the log before a bundle's first entry, as far as a verifier needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleStart {
    /// Seq of the first entry in the bundle (= the number of entries before it).
    pub size: u64,
    /// The compact range of the first `size` entries (see [`CompactRange`]). It is
    /// trusted only through the first checkpoint's signed root, which it must produce
    /// together with the bundle's entries.
    #[serde(with = "hex_hashes")]
    pub frontier: Vec<Hash>,
    /// The `audit.key_valid` entries before `size` of the keys the bundle's checkpoints
    /// use, each with its inclusion proof in the tree of the first checkpoint.
    pub keys: Vec<ProvenKey>,
}

/// An entry with its RFC 6962 inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenKey {
    pub entry: BundleEntry,
    #[serde(with = "hex_hashes")]
    pub proof: Vec<Hash>,
}

/// One entry and its leaf hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleEntry {
    #[serde(with = "crate::entry::hex_hash")]
    pub leaf_hash: Hash,
    pub entry: Entry,
}

impl Bundle {
    /// Parses a bundle's JSON. Only the shape is checked here; [`verify_bundle`] does the rest.
    pub fn from_json(bytes: &[u8]) -> Result<Self, VerifyError> {
        serde_json::from_slice(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))
    }

    /// The bundle as JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

/// Why a bundle does not verify. Each names the first bad entry (by seq) or checkpoint
/// (by its 0-based index in the bundle).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed bundle: {0}")]
    Malformed(String),
    #[error("unsupported bundle format {format:?} version {version}")]
    Unsupported { format: String, version: u32 },
    #[error("bundle origin: {0}")]
    Origin(CheckpointError),
    #[error("key {0} is listed twice")]
    DuplicateKey(String),
    #[error("entry #{position}: seq {found} where seq {expected} was expected")]
    Sequence {
        position: u64,
        expected: u64,
        found: u64,
    },
    #[error("entry seq {seq}: time {time_ms} is before the previous entry's {previous_ms}")]
    TimeGoesBack {
        seq: u64,
        time_ms: u64,
        previous_ms: u64,
    },
    #[error("entry seq {seq}: {source}")]
    Entry { seq: u64, source: EntryError },
    #[error("entry seq {seq}: content does not match its leaf hash (entry changed)")]
    LeafHash { seq: u64 },
    #[error("entry seq {seq}: {source}")]
    KeyRecord { seq: u64, source: CheckpointError },
    #[error("entry seq {seq}: key {name} differs from the bundle's key of that name")]
    KeyMismatch { seq: u64, name: String },
    #[error("checkpoint #{index}: {source}")]
    Checkpoint {
        index: usize,
        source: CheckpointError,
    },
    #[error("checkpoint #{index}: origin differs from the bundle's")]
    CheckpointOrigin { index: usize },
    #[error("checkpoint #{index}: tree size does not grow")]
    CheckpointOrder { index: usize },
    #[error(
        "checkpoint #{index}: time goes back (before its last entry or the previous checkpoint)"
    )]
    CheckpointTime { index: usize },
    #[error("checkpoint #{index}: key {name} is not recorded in the log before it")]
    KeyNotRecorded { index: usize, name: String },
    #[error(
        "checkpoint #{index}: key {name} used at {time_ms} outside its validity {not_before_ms}..={not_after_ms}"
    )]
    KeyNotValid {
        index: usize,
        name: String,
        time_ms: u64,
        not_before_ms: u64,
        not_after_ms: u64,
    },
    #[error(
        "checkpoint #{index} (tree size {size}): root differs from the entries; the first bad entry is among seq {first_seq}..={last_seq}"
    )]
    RootMismatch {
        index: usize,
        size: u64,
        first_seq: u64,
        last_seq: u64,
    },
    #[error(
        "checkpoint #{index} covers {size} entries but the bundle ends before seq {first_missing_seq}"
    )]
    MissingEntries {
        index: usize,
        size: u64,
        first_missing_seq: u64,
    },
    #[error(
        "unsealed tail: entries from seq {first_seq} on ({count}) are covered by no checkpoint"
    )]
    UnsealedTail { first_seq: u64, count: u64 },
    #[error("bundle start: {0}")]
    Start(String),
    #[error("bundle start: key entry seq {seq} is not included in checkpoint #0")]
    KeyNotIncluded { seq: u64 },
    #[error("witness: {0}")]
    Witness(CheckpointError),
    #[error("witness: origin differs from the bundle's")]
    WitnessOrigin,
    #[error("witness: tree size {witness_size} lies before the bundle's first entry {start}")]
    WitnessBeforeStart { witness_size: u64, start: u64 },
    #[error(
        "truncated: the witness covers {witness_size} entries but the bundle ends before seq {first_missing_seq}"
    )]
    Truncated {
        witness_size: u64,
        first_missing_seq: u64,
    },
    #[error(
        "fork: the witness has another root for tree size {size}; the first bad entry is at or below seq {last_seq}"
    )]
    Fork { size: u64, last_seq: u64 },
}

/// What a verified bundle contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub origin: String,
    pub entries: u64,
    pub checkpoints: usize,
    pub root: Hash,
    /// Names of the keys that signed checkpoints, sorted.
    pub signers: Vec<String>,
    /// Tree size of the witness checkpoint, if one was checked.
    pub witness_size: Option<u64>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OK: {} entries, {} checkpoints, tree size {}, root {}, signed by {}",
            self.entries,
            self.checkpoints,
            self.entries,
            crate::to_hex(&self.root),
            if self.signers.is_empty() {
                "nobody".to_owned()
            } else {
                self.signers.join(", ")
            },
        )?;
        match self.witness_size {
            Some(size) => write!(f, "; witness at tree size {size} matches"),
            None => write!(f, "; no witness checked"),
        }
    }
}

/// Verifies a bundle, optionally against a witnessed checkpoint held elsewhere (a SIEM,
/// an auditor). Without a witness, a log truncated and re-signed with the real key cannot
/// be told from an honest shorter log; with one, truncation and forks are detected.
pub fn verify_bundle(bundle: &Bundle, witness: Option<&Checkpoint>) -> Result<Report, VerifyError> {
    if bundle.format != BUNDLE_FORMAT || bundle.version != BUNDLE_VERSION {
        return Err(VerifyError::Unsupported {
            format: bundle.format.clone(),
            version: bundle.version,
        });
    }
    check_origin(&bundle.origin).map_err(VerifyError::Origin)?;
    for (i, key) in bundle.keys.iter().enumerate() {
        if bundle.keys[..i].iter().any(|k| k.name == key.name) {
            return Err(VerifyError::DuplicateKey(key.name.clone()));
        }
    }
    let mut checkpoints = Vec::with_capacity(bundle.checkpoints.len());
    for (index, note) in bundle.checkpoints.iter().enumerate() {
        let cp =
            Checkpoint::parse(note).map_err(|source| VerifyError::Checkpoint { index, source })?;
        if cp.body.origin != bundle.origin {
            return Err(VerifyError::CheckpointOrigin { index });
        }
        if let Some(prev) = checkpoints.last().map(|p: &Checkpoint| p.body.size)
            && cp.body.size <= prev
        {
            return Err(VerifyError::CheckpointOrder { index });
        }
        checkpoints.push(cp);
    }

    let (start, log) = match &bundle.start {
        None => (0, CompactRange::new()),
        Some(start) => (
            start.size,
            CompactRange::from_parts(start.size, start.frontier.clone())
                .map_err(|e| VerifyError::Start(e.to_string()))?,
        ),
    };
    if let Some(w) = witness
        && w.body.size < start
    {
        return Err(VerifyError::WitnessBeforeStart {
            witness_size: w.body.size,
            start,
        });
    }
    let mut state = State {
        bundle,
        checkpoints: &checkpoints,
        log,
        recorded: BTreeMap::new(),
        next: 0,
        last_time: None,
        previous: None,
        signers: Vec::new(),
        witness_size: witness.map(|w| w.body.size),
        witness_root: None,
    };
    state.seal_ready()?;
    for (position, item) in bundle.entries.iter().enumerate() {
        state.add(position as u64, start + position as u64, item)?;
        state.seal_ready()?;
    }
    let size = state.log.size();
    if let Some(cp) = checkpoints.get(state.next) {
        return Err(VerifyError::MissingEntries {
            index: state.next,
            size: cp.body.size,
            first_missing_seq: size,
        });
    }
    let sealed = checkpoints.last().map_or(0, |c| c.body.size);
    if size > sealed {
        return Err(VerifyError::UnsealedTail {
            first_seq: sealed,
            count: size - sealed,
        });
    }
    if let Some(w) = witness {
        if w.body.origin != bundle.origin {
            return Err(VerifyError::WitnessOrigin);
        }
        w.verify(&bundle.keys).map_err(VerifyError::Witness)?;
        if w.body.size > size {
            return Err(VerifyError::Truncated {
                witness_size: w.body.size,
                first_missing_seq: size,
            });
        }
        let root = state.witness_root.ok_or(VerifyError::Truncated {
            witness_size: w.body.size,
            first_missing_seq: size,
        })?;
        if root != w.body.root {
            return Err(VerifyError::Fork {
                size: w.body.size,
                last_seq: w.body.size.saturating_sub(1),
            });
        }
    }
    let mut signers = state.signers;
    signers.sort();
    signers.dedup();
    Ok(Report {
        origin: bundle.origin.clone(),
        entries: size,
        checkpoints: checkpoints.len(),
        root: state.log.root(),
        signers,
        witness_size: witness.map(|w| w.body.size),
    })
}

/// The verifier's running state while it walks the entries in order.
struct State<'a> {
    bundle: &'a Bundle,
    checkpoints: &'a [Checkpoint],
    /// The compact range of the entries so far (from the bundle's start on).
    log: CompactRange,
    /// Keys recorded by `audit.key_valid` entries so far.
    recorded: BTreeMap<String, KeyRecord>,
    /// Index of the next checkpoint to check.
    next: usize,
    last_time: Option<u64>,
    /// Size and time of the last checked checkpoint.
    previous: Option<(u64, u64)>,
    signers: Vec<String>,
    /// The witness's tree size, and the root the entries give at that size once reached.
    witness_size: Option<u64>,
    witness_root: Option<Hash>,
}

impl State<'_> {
    fn add(&mut self, position: u64, expected: u64, item: &BundleEntry) -> Result<(), VerifyError> {
        let entry = &item.entry;
        let seq = entry.seq;
        if seq != expected {
            return Err(VerifyError::Sequence {
                position,
                expected,
                found: seq,
            });
        }
        if let Some(previous_ms) = self.last_time
            && entry.time_ms < previous_ms
        {
            return Err(VerifyError::TimeGoesBack {
                seq,
                time_ms: entry.time_ms,
                previous_ms,
            });
        }
        entry
            .check_personal()
            .map_err(|source| VerifyError::Entry { seq, source })?;
        let hash = entry
            .leaf_hash()
            .map_err(|source| VerifyError::Entry { seq, source })?;
        if hash != item.leaf_hash {
            return Err(VerifyError::LeafHash { seq });
        }
        if entry.action == KEY_VALID_ACTION {
            self.record_key(entry)?;
        }
        self.log.append(hash);
        self.last_time = Some(entry.time_ms);
        Ok(())
    }

    /// Learns the key an `audit.key_valid` entry records; it must be the bundle's key of
    /// that name and agree with earlier records of it.
    fn record_key(&mut self, entry: &crate::entry::Entry) -> Result<(), VerifyError> {
        let seq = entry.seq;
        let record = KeyRecord::from_entry(entry)
            .map_err(|source| VerifyError::KeyRecord { seq, source })?;
        let listed = self.bundle.keys.iter().find(|k| k.name == record.name);
        let earlier = self.recorded.get(&record.name);
        if listed != Some(&record) || earlier.is_some_and(|e| *e != record) {
            return Err(VerifyError::KeyMismatch {
                seq,
                name: record.name,
            });
        }
        self.recorded.insert(record.name.clone(), record);
        Ok(())
    }

    /// Admits the key entries before a ranged bundle's start, each proven included in the
    /// first checkpoint (whose signature has just been verified).
    fn admit_prior_keys(&mut self, first: &Checkpoint) -> Result<(), VerifyError> {
        let Some(start) = &self.bundle.start else {
            return Ok(());
        };
        for proven in &start.keys {
            let entry = &proven.entry.entry;
            let seq = entry.seq;
            let hash = entry
                .leaf_hash()
                .map_err(|source| VerifyError::Entry { seq, source })?;
            let included = seq < start.size
                && entry.action == KEY_VALID_ACTION
                && hash == proven.entry.leaf_hash
                && verify_inclusion(&hash, seq, first.body.size, &proven.proof, &first.body.root)
                    .is_ok();
            if !included {
                return Err(VerifyError::KeyNotIncluded { seq });
            }
            self.record_key(entry)?;
        }
        Ok(())
    }

    /// Checks every checkpoint whose tree size the log has just reached.
    fn seal_ready(&mut self) -> Result<(), VerifyError> {
        if self.witness_size == Some(self.log.size()) {
            self.witness_root = Some(self.log.root());
        }
        while let Some(cp) = self.checkpoints.get(self.next)
            && cp.body.size == self.log.size()
        {
            let index = self.next;
            let key = cp
                .verify(&self.bundle.keys)
                .map_err(|source| VerifyError::Checkpoint { index, source })?;
            if index == 0 {
                self.admit_prior_keys(cp)?;
            }
            if self.recorded.get(&key.name) != Some(key) {
                return Err(VerifyError::KeyNotRecorded {
                    index,
                    name: key.name.clone(),
                });
            }
            let time = cp.body.time_ms;
            if !key.valid_at(time) {
                return Err(VerifyError::KeyNotValid {
                    index,
                    name: key.name.clone(),
                    time_ms: time,
                    not_before_ms: key.not_before_ms,
                    not_after_ms: key.not_after_ms,
                });
            }
            let before_entries = self.last_time.is_some_and(|t| time < t);
            let before_previous = self.previous.is_some_and(|(_, t)| time < t);
            if before_entries || before_previous {
                return Err(VerifyError::CheckpointTime { index });
            }
            let size = cp.body.size;
            let root = self.log.root();
            if root != cp.body.root {
                let start = self.bundle.start.as_ref().map_or(0, |s| s.size);
                let first_seq = self.previous.map_or(start, |(s, _)| s);
                return Err(VerifyError::RootMismatch {
                    index,
                    size,
                    first_seq,
                    last_seq: size.saturating_sub(1),
                });
            }
            // Every root is recomputed from the same running entries, so successive
            // checkpoints that match are consistent by construction.
            self.signers.push(key.name.clone());
            self.previous = Some((size, time));
            self.next += 1;
        }
        Ok(())
    }
}

/// Serde for a list of hashes as lowercase hex strings.
mod hex_hashes {
    use crate::{Hash, hash_from_hex, to_hex};
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for hash in hashes {
            seq.serialize_element(&to_hex(hash))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| {
                hash_from_hex(text).ok_or_else(|| D::Error::custom("expected 64 hex digits"))
            })
            .collect()
    }
}
