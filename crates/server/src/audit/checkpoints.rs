//! Signed checkpoints and their keys: a background task signs a checkpoint of the audit
//! trail every `audit.checkpoint_interval` or `audit.checkpoint_entries` new entries,
//! whichever comes first, and once more at shutdown; other parts of the server seal the
//! trail at important moments with [`Signer::checkpoint`].
//!
//! The Ed25519 key lives in `audit.signing_key_file` (JSON: name, seed, validity; mode
//! 0600), generated on first start. Its validity period is recorded in the trail itself as
//! an `audit.key_valid` entry before the key signs anything, so a verifier learns from the
//! log which key was valid when. When the period ends (`audit.key_rotation`) a new key is
//! generated, recorded and used; the old seed is overwritten.

use super::now_ms;
use crate::config::audit::AuditConfig;
use crate::state::AppState;
use plenum_audit::{CheckpointBody, KeyRecord, SigningKey};
use plenum_store::{Store, StoredCheckpoint};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;
use tokio::sync::Mutex;

/// How often the task looks at the head row.
const POLL: Duration = Duration::from_secs(1);
/// A key is replaced this long before its period ends, so no checkpoint is ever signed
/// at the edge of it.
const ROTATION_MARGIN_MS: u64 = 60_000;

/// Why a checkpoint could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointFailure {
    #[error("audit signing key {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("audit signing: {0}")]
    Sign(#[from] plenum_audit::CheckpointError),
    #[error(transparent)]
    Store(#[from] plenum_store::StoreError),
    #[error("the audit signing key is not loaded")]
    NoKey,
}

/// The key file's content.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    name: String,
    /// 32-byte Ed25519 seed, hex.
    seed: String,
    not_before_ms: u64,
    not_after_ms: u64,
}

/// The checkpoint signer: the current key (and whether the trail records it yet), behind
/// a lock that also serialises signing.
#[derive(Debug, Default)]
pub struct Signer {
    key: Mutex<Option<(SigningKey, Record)>>,
}

/// Whether the current key's `audit.key_valid` entry must be appended before the next
/// checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Done,
    /// Unless the trail already has it (a key loaded at start).
    IfMissing,
    /// Again, even though the trail has it (retention is about to remove the old one).
    Again,
}

impl Signer {
    /// Loads (or generates) the key. Its `audit.key_valid` entry is appended before its
    /// first checkpoint.
    pub async fn load(&self, config: &AuditConfig) -> Result<(), CheckpointFailure> {
        let mut slot = self.key.lock().await;
        let key = match read_key(&config.signing_key_file)? {
            Some(key) => key,
            None => new_key(config, now_ms())?,
        };
        *slot = Some((key, Record::IfMissing));
        Ok(())
    }

    /// Makes the next checkpoint record the current key again.
    pub async fn record_again(&self) {
        if let Some((_, record)) = self.key.lock().await.as_mut() {
            *record = Record::Again;
        }
    }

    /// Signs and stores a checkpoint of the trail as it is now, unless the newest
    /// checkpoint already covers every entry. Rotates the key first if its period is
    /// (nearly) over. Returns the checkpoint signed, if any.
    pub async fn checkpoint(
        &self,
        config: &AuditConfig,
        store: &Store,
    ) -> Result<Option<StoredCheckpoint>, CheckpointFailure> {
        let mut slot = self.key.lock().await;
        let now = now_ms();
        let rotate = match slot.as_ref() {
            None => return Err(CheckpointFailure::NoKey),
            Some((key, _)) => now + ROTATION_MARGIN_MS > key.record().not_after_ms,
        };
        if rotate {
            let key = new_key(config, now)?;
            tracing::info!(key = %key.record().name, "rotated the audit signing key");
            *slot = Some((key, Record::IfMissing));
        }
        let Some((key, recorded)) = slot.as_mut() else {
            return Err(CheckpointFailure::NoKey);
        };
        if *recorded != Record::Done {
            record(store, key.record(), *recorded == Record::Again).await?;
            *recorded = Record::Done;
        }
        let head = store.audit_head().await?;
        let latest = store.latest_audit_checkpoint().await?;
        if latest.as_ref().is_some_and(|c| c.size >= head.size) {
            return Ok(None);
        }
        // Never before the entries it covers, nor before the previous checkpoint.
        let time_ms = [
            Some(now),
            Some(head.last_time_ms),
            latest.map(|c| c.time_ms),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now);
        let signed = key.sign(CheckpointBody {
            origin: config.origin.clone(),
            size: head.size,
            root: head.frontier.root(),
            time_ms,
        })?;
        let stored = StoredCheckpoint {
            size: head.size,
            time_ms,
            root: head.frontier.root(),
            key_name: key.record().name.clone(),
            frontier: head.frontier,
            note: signed.to_note(),
        };
        store.add_audit_checkpoint(&stored).await?;
        Ok(Some(stored))
    }
}

impl Signer {
    /// Runs `sign` with the current key (a vote's result statement), serialised with
    /// checkpoint signing, so the key cannot rotate in between.
    pub async fn with_current_key<T>(
        &self,
        sign: impl FnOnce(&SigningKey) -> T,
    ) -> Result<T, CheckpointFailure> {
        let slot = self.key.lock().await;
        let (key, _) = slot.as_ref().ok_or(CheckpointFailure::NoKey)?;
        Ok(sign(key))
    }
}

/// Appends the `audit.key_valid` entry of `key` unless the trail already has it (or
/// always, with `again`).
async fn record(store: &Store, key: &KeyRecord, again: bool) -> Result<(), CheckpointFailure> {
    let known = store.audit_key_entries().await?;
    let recorded = known
        .iter()
        .filter_map(|e| KeyRecord::from_entry(&e.entry).ok())
        .any(|k| k == *key);
    if again || !recorded {
        let entry = key.to_entry(0, now_ms(), plenum_protocol::DEFAULT_TENANT);
        store.append_audit(entry).await?;
    }
    Ok(())
}

fn key_error(path: &Path, reason: impl Into<String>) -> CheckpointFailure {
    CheckpointFailure::KeyFile {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// The key in `path`, or `None` if there is no file yet.
fn read_key(path: &Path) -> Result<Option<SigningKey>, CheckpointFailure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(key_error(path, e.to_string())),
    };
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| key_error(path, e.to_string()))?;
    let seed: [u8; 32] = plenum_audit::hash_from_hex(&file.seed)
        .ok_or_else(|| key_error(path, "seed is not 64 hex digits"))?;
    let key = SigningKey::from_seed(&file.name, &seed, file.not_before_ms, file.not_after_ms)
        .map_err(|e| key_error(path, e.to_string()))?;
    Ok(Some(key))
}

/// Generates a key valid from `now` for `audit.key_rotation` and writes it (0600),
/// replacing the previous one.
fn new_key(config: &AuditConfig, now: u64) -> Result<SigningKey, CheckpointFailure> {
    let path = &config.signing_key_file;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let lifetime = u64::try_from(config.key_rotation.as_millis()).unwrap_or(u64::MAX);
    let name = format!("plenum-audit-{now}");
    let key = SigningKey::from_seed(&name, &seed, now, now.saturating_add(lifetime))?;
    let file = KeyFile {
        name,
        seed: plenum_audit::to_hex(&seed),
        not_before_ms: key.record().not_before_ms,
        not_after_ms: key.record().not_after_ms,
    };
    let text = serde_json::to_string_pretty(&file).map_err(|e| key_error(path, e.to_string()))?;
    write_private(path, text.as_bytes()).map_err(|e| key_error(path, e.to_string()))?;
    Ok(key)
}

/// Writes a file only the owner can read, atomically (temporary file, then rename).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}

/// The background task: checkpoints by time and by count until shutdown (`plenum serve`
/// signs the last one with [`seal_now`] once the meetings have ended).
pub async fn run(state: AppState) {
    let config = &state.config.audit;
    let mut last_size = match state.store.latest_audit_checkpoint().await {
        Ok(latest) => latest.map_or(0, |c| c.size),
        Err(error) => {
            tracing::warn!(%error, "cannot read the latest audit checkpoint");
            0
        }
    };
    let mut last_at = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(POLL.min(config.checkpoint_interval));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.shutdown.wait() => break,
        }
        let size = match state.store.audit_head().await {
            Ok(head) => head.size,
            Err(error) => {
                tracing::warn!(%error, "cannot read the audit head");
                continue;
            }
        };
        let due = size > last_size
            && (size - last_size >= config.checkpoint_entries
                || last_at.elapsed() >= config.checkpoint_interval);
        if due {
            if let Some(sealed) = seal_now(&state).await {
                last_size = sealed;
            }
            last_at = tokio::time::Instant::now();
        }
    }
}

/// Signs a checkpoint of everything recorded so far (if anything is unsealed); returns
/// the tree size now sealed. Failures are logged.
pub async fn seal_now(state: &AppState) -> Option<u64> {
    match state
        .audit_signer
        .checkpoint(&state.config.audit, &state.store)
        .await
    {
        Ok(Some(checkpoint)) => Some(checkpoint.size),
        Ok(None) => None,
        Err(error) => {
            tracing::error!(%error, "cannot sign an audit checkpoint");
            None
        }
    }
}
