//! Bundles and proofs from the stored trail: what `plenum audit export` writes and what
//! the audit API hands out.
//!
//! A bundle always ends at a checkpoint (an unsealed tail would not verify) and begins
//! either at seq 0 or at a checkpoint, whose stored compact range lets the verifier
//! continue from there; the keys recorded before that point come with inclusion proofs
//! in the first checkpoint's tree (docs/audit-format.md).

use plenum_audit::merkle::MerkleLog;
use plenum_audit::{
    Bundle, BundleEntry, BundleStart, Hash, KeyRecord, ProvenKey, bundle::BUNDLE_FORMAT,
    bundle::BUNDLE_VERSION,
};
use plenum_store::{MAX_AUDIT_PAGE, Store, StoreError, StoredCheckpoint};

/// Why an export or proof cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "no checkpoint covers seq {0} yet; the next checkpoint will (or run `plenum serve` once)"
    )]
    NotSealed(u64),
    #[error("the range {from}..={to} is empty or reversed")]
    BadRange { from: u64, to: u64 },
    #[error("seq {0} is not in the stored trail")]
    NoSuchEntry(u64),
    #[error(
        "proofs against the full tree need entries the retention job removed (the trail starts at seq {0})"
    )]
    Removed(u64),
    #[error("stored trail is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An entry with its inclusion proof in a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    pub entry: BundleEntry,
    /// The checkpoint (signed note) the proof leads to.
    pub checkpoint: StoredCheckpoint,
    /// RFC 6962 audit path, leaf to root.
    pub proof: Vec<Hash>,
}

/// The bundle of entries `from..=to` (seqs), widened to checkpoint boundaries: it starts
/// at the newest checkpoint at or before `from` (or at seq 0) and ends at the first
/// checkpoint covering `to`.
pub async fn bundle(
    store: &Store,
    origin: &str,
    from: u64,
    to: u64,
) -> Result<Bundle, ExportError> {
    if from > to {
        return Err(ExportError::BadRange { from, to });
    }
    let checkpoints = store.audit_checkpoints(0, u64::MAX).await?;
    let end = checkpoints
        .iter()
        .find(|c| c.size > to)
        .ok_or(ExportError::NotSealed(to))?
        .size;
    let head = store.audit_head().await?;
    let start = if head.first_seq > 0 {
        // After retention every bundle starts where the trail does; the keys its
        // checkpoints use were recorded again after that point.
        Some(BundleStart {
            size: head.first_seq,
            frontier: head.first_frontier.hashes().to_vec(),
            keys: Vec::new(),
        })
    } else {
        match checkpoints
            .iter()
            .rev()
            .find(|c| c.size <= from && c.size > 0)
        {
            None => None,
            Some(checkpoint) => Some(BundleStart {
                size: checkpoint.size,
                frontier: checkpoint.frontier.hashes().to_vec(),
                keys: prior_keys(store, checkpoint.size).await?,
            }),
        }
    };
    let start_size = start.as_ref().map_or(0, |s| s.size);
    let entries = entries(store, start_size, end).await?;
    let keys = key_records(store).await?;
    // A checkpoint belongs in the bundle once its key is recorded before it.
    let recorded_at = |name: &str| {
        let prior = start.iter().flat_map(|s| &s.keys).map(|k| &k.entry);
        prior
            .chain(&entries)
            .filter(|e| e.entry.action == plenum_audit::checkpoint::KEY_VALID_ACTION)
            .find(|e| e.entry.detail_text("key_name") == Some(name))
            .map(|e| e.entry.seq)
    };
    let notes = checkpoints
        .iter()
        .filter(|c| c.size >= start_size && c.size <= end && c.size > 0)
        .filter(|c| recorded_at(&c.key_name).is_some_and(|seq| seq < c.size))
        .map(|c| c.note.clone())
        .collect();
    Ok(Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        origin: origin.to_owned(),
        keys,
        entries,
        checkpoints: notes,
        start,
    })
}

/// The inclusion proof of entry `seq` in the newest checkpoint.
pub async fn inclusion_proof(store: &Store, seq: u64) -> Result<InclusionProof, ExportError> {
    let checkpoint = store
        .latest_audit_checkpoint()
        .await?
        .filter(|c| c.size > seq)
        .ok_or(ExportError::NotSealed(seq))?;
    let entry = match store.audit_entry(seq).await {
        Ok(entry) => entry,
        Err(StoreError::NotFound) => return Err(ExportError::NoSuchEntry(seq)),
        Err(e) => return Err(e.into()),
    };
    let tree = tree(store, checkpoint.size).await?;
    let proof = tree
        .inclusion_proof(seq, checkpoint.size)
        .map_err(|e| ExportError::Corrupt(e.to_string()))?;
    if tree.root() != checkpoint.root {
        return Err(ExportError::Corrupt(format!(
            "the stored entries do not give checkpoint {}'s root",
            checkpoint.size
        )));
    }
    Ok(InclusionProof {
        entry,
        checkpoint,
        proof,
    })
}

/// Entries `seqs` with their inclusion proofs in the tree of the first `size` stored leaves
/// (one pass over the trail for all of them). The proofs are of the leaves as stored, so
/// an entry changed in the database no longer matches its proof.
pub async fn proven_entries(
    store: &Store,
    size: u64,
    seqs: &[u64],
) -> Result<Vec<ProvenKey>, ExportError> {
    let tree = tree(store, size).await?;
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let entry = match store.audit_entry(seq).await {
            Ok(entry) => entry,
            Err(StoreError::NotFound) => return Err(ExportError::NoSuchEntry(seq)),
            Err(e) => return Err(e.into()),
        };
        let proof = tree
            .inclusion_proof(seq, size)
            .map_err(|e| ExportError::Corrupt(e.to_string()))?;
        out.push(ProvenKey { entry, proof });
    }
    Ok(out)
}

/// Entries `from..to`, page by page.
async fn entries(store: &Store, from: u64, to: u64) -> Result<Vec<BundleEntry>, ExportError> {
    let mut out = Vec::new();
    let mut next = from;
    while next < to {
        let page = store.audit_entries(next, MAX_AUDIT_PAGE).await?;
        let Some(last) = page.last().map(|e| e.entry.seq) else {
            break;
        };
        out.extend(page.into_iter().take_while(|e| e.entry.seq < to));
        next = last + 1;
    }
    Ok(out)
}

/// The Merkle tree of the first `size` stored leaves (as stored: a changed row shows up
/// as a root that differs from the signed one).
async fn tree(store: &Store, size: u64) -> Result<MerkleLog, ExportError> {
    let first = store.audit_head().await?.first_seq;
    if first > 0 {
        return Err(ExportError::Removed(first));
    }
    let mut tree = MerkleLog::new();
    for item in entries(store, 0, size).await? {
        tree.append_hash(item.leaf_hash);
    }
    Ok(tree)
}

/// Every key the trail records (for the bundle's key list), first record of each name.
async fn key_records(store: &Store) -> Result<Vec<KeyRecord>, ExportError> {
    let mut keys: Vec<KeyRecord> = Vec::new();
    for item in store.audit_key_entries().await? {
        let record = KeyRecord::from_entry(&item.entry)
            .map_err(|e| ExportError::Corrupt(format!("seq {}: {e}", item.entry.seq)))?;
        if !keys.iter().any(|k| k.name == record.name) {
            keys.push(record);
        }
    }
    Ok(keys)
}

/// The key entries before `size`, each with its inclusion proof in the tree of `size`.
async fn prior_keys(store: &Store, size: u64) -> Result<Vec<ProvenKey>, ExportError> {
    let tree = tree(store, size).await?;
    let mut out = Vec::new();
    for item in store.audit_key_entries().await? {
        let seq = item.entry.seq;
        if seq >= size {
            continue;
        }
        let proof = tree
            .inclusion_proof(seq, size)
            .map_err(|e| ExportError::Corrupt(e.to_string()))?;
        out.push(ProvenKey { entry: item, proof });
    }
    Ok(out)
}
