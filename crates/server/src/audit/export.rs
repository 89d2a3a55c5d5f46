//! Bundles and proofs from the stored trail: what `plenum audit export` writes and what
//! the audit API hands out.
//!
//! A bundle always ends at a checkpoint (an unsealed tail would not verify) and begins
//! either at seq 0 or at a checkpoint, whose stored compact range lets the verifier
//! continue from there; the keys recorded before that point come with inclusion proofs
//! in the first checkpoint's tree (docs/audit-format.md).
//!
//! Proofs come from a Merkle tree of the stored leaves, rebuilt per request from where
//! the stored trail begins: seq 0, or after retention the compact range kept at the first
//! seq. So they work for every entry the trail still holds; an entry before the first seq
//! is [`ExportError::Removed`].

use plenum_audit::merkle::{MerkleError, MerkleLog};
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
    #[error("the retention job removed that entry (the trail starts at seq {0})")]
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
    let entry = entry(store, seq).await?;
    let tree = tree(store, checkpoint.size).await?;
    let proof = prove(&tree, seq, checkpoint.size)?;
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
        let entry = entry(store, seq).await?;
        let proof = prove(&tree, seq, size)?;
        out.push(ProvenKey { entry, proof });
    }
    Ok(out)
}

/// The stored entry `seq`: [`ExportError::Removed`] when retention removed it,
/// [`ExportError::NoSuchEntry`] when it was never appended.
pub async fn entry(store: &Store, seq: u64) -> Result<BundleEntry, ExportError> {
    match store.audit_entry(seq).await {
        Ok(entry) => Ok(entry),
        Err(StoreError::NotFound) => {
            let first = store.audit_head().await?.first_seq;
            Err(if seq < first {
                ExportError::Removed(first)
            } else {
                ExportError::NoSuchEntry(seq)
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Entries `from..to`, page by page, each handed to `visit`.
async fn each_entry(
    store: &Store,
    from: u64,
    to: u64,
    mut visit: impl FnMut(BundleEntry) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut next = from;
    while next < to {
        let page = store.audit_entries(next, MAX_AUDIT_PAGE).await?;
        let Some(last) = page.last().map(|e| e.entry.seq) else {
            break;
        };
        for item in page.into_iter().take_while(|e| e.entry.seq < to) {
            visit(item)?;
        }
        next = last + 1;
    }
    Ok(())
}

/// Entries `from..to`.
async fn entries(store: &Store, from: u64, to: u64) -> Result<Vec<BundleEntry>, ExportError> {
    let mut out = Vec::new();
    each_entry(store, from, to, |item| {
        out.push(item);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The Merkle tree of the first `size` leaves, from the stored leaves after the compact
/// range where the trail starts (as stored: a changed row shows up as a root that
/// differs from the signed one). Only the hashes are kept, not the entries.
async fn tree(store: &Store, size: u64) -> Result<MerkleLog, ExportError> {
    let head = store.audit_head().await?;
    let mut tree = MerkleLog::from_compact(&head.first_frontier);
    each_entry(store, head.first_seq, size, |item| {
        // A missing seq would shift every later leaf. It also shows a retention run that
        // cut the trail after the head was read.
        if item.entry.seq != tree.size() {
            return Err(ExportError::Corrupt(format!(
                "entry {} where {} was expected: the trail changed while it was read",
                item.entry.seq,
                tree.size()
            )));
        }
        tree.append_hash(item.leaf_hash);
        Ok(())
    })
    .await?;
    Ok(tree)
}

/// The inclusion proof of leaf `seq` in the tree of `size`; a leaf before the tree's
/// start was removed by retention.
fn prove(tree: &MerkleLog, seq: u64, size: u64) -> Result<Vec<Hash>, ExportError> {
    tree.inclusion_proof(seq, size).map_err(|e| match e {
        MerkleError::BeforeStart { start, .. } => ExportError::Removed(start),
        other => ExportError::Corrupt(other.to_string()),
    })
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
        let proof = prove(&tree, seq, size)?;
        out.push(ProvenKey { entry: item, proof });
    }
    Ok(out)
}
