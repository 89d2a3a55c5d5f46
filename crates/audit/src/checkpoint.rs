//! Signed checkpoints in the C2SP `signed-note` / `tlog-checkpoint` text format, signed
//! with Ed25519, and the signing keys with their validity periods.
//!
//! ```text
//! <origin>
//! <tree size, decimal>
//! <root hash, base64>
//! time <checkpoint time, Unix ms>
//!
//! — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>
//! ```
//! The signature covers the note body: every line above the blank line, each ending in
//! `\n`. The key id is the first four bytes of `SHA-256(name || "\n" || 0x01 || public
//! key)` as in C2SP signed-note, so generic note tooling can check our checkpoints. The
//! `time` line is a checkpoint extension line; it is what a key's validity period is
//! checked against.
//!
//! A key's validity is itself logged: [`KeyRecord::to_entry`] makes the `audit.key_valid`
//! entry, so the log proves which key was valid when.
//!
//! Ed25519 comes from aws-lc-rs, which the tree already uses for str0m and JWTs: no new
//! crypto dependency to audit, and its implementation is FIPS-validated where that is
//! required.

use crate::entry::{Actor, ActorKind, Detail, Entry, Outcome, Value};
use crate::merkle::Hash;
use aws_lc_rs::digest::{Context, SHA256};
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// Action of the log entry that records a signing key and its validity period.
pub const KEY_VALID_ACTION: &str = "audit.key_valid";
/// Largest checkpoint note accepted, in bytes.
pub const MAX_NOTE: usize = 16 * 1024;
/// Signature type byte of Ed25519 in C2SP signed-note key ids.
const ALG_ED25519: u8 = 0x01;
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a checkpoint or key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error("invalid key name {0:?} (non-empty, no spaces, no '+', at most 128 bytes)")]
    KeyName(String),
    #[error("invalid origin (non-empty, one line, at most 256 bytes)")]
    Origin,
    #[error("invalid Ed25519 key {0}")]
    Key(String),
    #[error("signature by {0} does not verify")]
    BadSignature(String),
    #[error("no signature by a known key")]
    NoKnownSignature,
    #[error("malformed {KEY_VALID_ACTION} entry: {0}")]
    KeyRecord(&'static str),
}

/// A signing key's public half, its name and validity period (inclusive, Unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub name: String,
    #[serde(with = "crate::entry::hex_hash")]
    pub public_key: [u8; 32],
    pub not_before_ms: u64,
    pub not_after_ms: u64,
}

impl KeyRecord {
    /// The C2SP signed-note key id.
    pub fn key_id(&self) -> [u8; 4] {
        let mut ctx = Context::new(&SHA256);
        ctx.update(self.name.as_bytes());
        ctx.update(b"\n");
        ctx.update(&[ALG_ED25519]);
        ctx.update(&self.public_key);
        let mut id = [0u8; 4];
        for (o, b) in id.iter_mut().zip(ctx.finish().as_ref()) {
            *o = *b;
        }
        id
    }

    /// Whether `time_ms` lies within the validity period.
    pub fn valid_at(&self, time_ms: u64) -> bool {
        self.not_before_ms <= time_ms && time_ms <= self.not_after_ms
    }

    /// The C2SP verifier key string `name+hex(key id)+base64(0x01 || public key)`.
    pub fn verifier_key(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.public_key);
        format!(
            "{}+{}+{}",
            self.name,
            crate::to_hex(&self.key_id()),
            B64.encode(raw)
        )
    }

    /// The `audit.key_valid` entry recording this key.
    pub fn to_entry(&self, seq: u64, time_ms: u64, tenant: &str) -> Entry {
        let text = |key: &str, value: String| Detail {
            key: key.to_owned(),
            value: Value::Text(value),
        };
        Entry {
            seq,
            time_ms,
            tenant: tenant.to_owned(),
            actor: Actor {
                kind: ActorKind::System,
                id: Value::text("plenum"),
            },
            source: None,
            action: KEY_VALID_ACTION.to_owned(),
            resource: format!("audit-key:{}", self.name),
            outcome: Outcome::Success,
            request_id: None,
            details: vec![
                text("key_name", self.name.clone()),
                text("public_key", crate::to_hex(&self.public_key)),
                text("not_before_ms", self.not_before_ms.to_string()),
                text("not_after_ms", self.not_after_ms.to_string()),
            ],
        }
    }

    /// The key recorded by an `audit.key_valid` entry.
    pub fn from_entry(entry: &Entry) -> Result<Self, CheckpointError> {
        if entry.action != KEY_VALID_ACTION {
            return Err(CheckpointError::KeyRecord("wrong action"));
        }
        let get = |key: &'static str| {
            entry
                .detail_text(key)
                .ok_or(CheckpointError::KeyRecord(key))
        };
        let number = |key: &'static str| {
            get(key)?
                .parse::<u64>()
                .map_err(|_| CheckpointError::KeyRecord(key))
        };
        let record = Self {
            name: get("key_name")?.to_owned(),
            public_key: crate::hash_from_hex(get("public_key")?)
                .ok_or(CheckpointError::KeyRecord("public_key"))?,
            not_before_ms: number("not_before_ms")?,
            not_after_ms: number("not_after_ms")?,
        };
        check_key_name(&record.name)?;
        Ok(record)
    }
}

/// An Ed25519 signing key with its record.
pub struct SigningKey {
    record: KeyRecord,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("SigningKey")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A key from its 32-byte seed (randomness is the caller's job: sans-IO).
    pub fn from_seed(
        name: &str,
        seed: &[u8; 32],
        not_before_ms: u64,
        not_after_ms: u64,
    ) -> Result<Self, CheckpointError> {
        check_key_name(name)?;
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| CheckpointError::Key(e.to_string()))?;
        let mut public_key = [0u8; 32];
        for (o, b) in public_key.iter_mut().zip(pair.public_key().as_ref()) {
            *o = *b;
        }
        Ok(Self {
            record: KeyRecord {
                name: name.to_owned(),
                public_key,
                not_before_ms,
                not_after_ms,
            },
            pair,
        })
    }

    pub fn record(&self) -> &KeyRecord {
        &self.record
    }

    /// Signs a checkpoint body. Whether the key is valid at its time is the caller's
    /// policy (see [`crate::AuditLog::checkpoint`]); verifiers check it.
    pub fn sign(&self, body: CheckpointBody) -> Result<Checkpoint, CheckpointError> {
        check_origin(&body.origin)?;
        let text = body.text();
        let signature = self.sign_note_body(&text);
        Ok(Checkpoint {
            body,
            body_text: text,
            signatures: vec![signature],
        })
    }

    /// Signs the body of any C2SP signed note (a checkpoint, a vote's result statement):
    /// the signature line's `key id || Ed25519 signature` over the body bytes.
    pub fn sign_note_body(&self, body: &str) -> NoteSignature {
        let mut bytes = self.record.key_id().to_vec();
        bytes.extend_from_slice(self.pair.sign(body.as_bytes()).as_ref());
        NoteSignature {
            name: self.record.name.clone(),
            bytes,
        }
    }
}

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointBody {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub time_ms: u64,
}

impl CheckpointBody {
    /// The signed text.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            B64.encode(self.root),
            self.time_ms
        )
    }
}

/// One signature line: key name and `key id || signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl NoteSignature {
    /// Parses one signature line `— <key name> <base64(key id || signature)>` (without
    /// its newline).
    pub fn parse_line(line: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::Malformed;
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(Malformed("signature line must start with an em dash"))?;
        let (name, sig) = rest
            .split_once(' ')
            .ok_or(Malformed("signature line needs a name and a signature"))?;
        check_key_name(name)?;
        let bytes = B64
            .decode(sig)
            .map_err(|_| Malformed("signature is not base64"))?;
        if bytes.len() < 5 {
            return Err(Malformed("signature too short"));
        }
        Ok(Self {
            name: name.to_owned(),
            bytes,
        })
    }

    /// The signature line, ending in `\n`.
    pub fn line(&self) -> String {
        format!("{SIG_PREFIX}{} {}\n", self.name, B64.encode(&self.bytes))
    }

    /// Whether the line claims to be by `key` (same name and key id).
    pub fn claims(&self, key: &KeyRecord) -> bool {
        self.name == key.name && self.bytes.get(..4) == Some(&key.key_id()[..])
    }

    /// Verifies the signature over `body` with `key` (which it must claim).
    pub fn verify(&self, key: &KeyRecord, body: &str) -> Result<(), CheckpointError> {
        let signature = self.bytes.get(4..).filter(|_| self.claims(key));
        signature
            .and_then(|signature| {
                UnparsedPublicKey::new(&ED25519, &key.public_key)
                    .verify(body.as_bytes(), signature)
                    .ok()
            })
            .ok_or_else(|| CheckpointError::BadSignature(key.name.clone()))
    }
}

/// A parsed, not yet verified, checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub body: CheckpointBody,
    /// The body exactly as signed.
    body_text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Checkpoint {
    /// Parses a signed note. Strict: any deviation from the format is an error.
    pub fn parse(note: &str) -> Result<Self, CheckpointError> {
        use CheckpointError::Malformed;
        if note.len() > MAX_NOTE {
            return Err(Malformed("longer than 16 KiB"));
        }
        let split = note.find("\n\n").ok_or(Malformed("no blank line"))?;
        let (body_text, sigs) = (&note[..=split], &note[split + 2..]);
        let mut lines = body_text[..split].split('\n');
        let origin = lines.next().unwrap_or_default();
        check_origin(origin)?;
        let size = lines.next().ok_or(Malformed("no tree size"))?;
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(Malformed("tree size is not a decimal number"));
        }
        let size = size
            .parse::<u64>()
            .map_err(|_| Malformed("tree size too large"))?;
        let root = lines.next().ok_or(Malformed("no root hash"))?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or(Malformed("root hash is not base64 of 32 bytes"))?;
        let mut time_ms = None;
        for line in lines {
            if line.is_empty() {
                return Err(Malformed("empty extension line"));
            }
            if let Some(t) = line.strip_prefix("time ") {
                if time_ms.is_some() {
                    return Err(Malformed("two time lines"));
                }
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Malformed("time is not a decimal number"));
                }
                time_ms = Some(t.parse::<u64>().map_err(|_| Malformed("time too large"))?);
            }
        }
        let time_ms = time_ms.ok_or(Malformed("no time line"))?;
        let sigs = sigs
            .strip_suffix('\n')
            .ok_or(Malformed("signatures must end with a newline"))?;
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            signatures.push(NoteSignature::parse_line(line)?);
        }
        Ok(Self {
            body: CheckpointBody {
                origin: origin.to_owned(),
                size,
                root,
                time_ms,
            },
            body_text: body_text.to_owned(),
            signatures,
        })
    }

    /// The signed note text.
    pub fn to_note(&self) -> String {
        let mut out = self.body_text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out
    }

    /// Verifies the signatures by known keys; returns the key that signed. Signatures by
    /// unknown keys are ignored (as signed-note prescribes: others may cosign), but a
    /// signature claiming a known key that does not verify is an error.
    pub fn verify<'k>(&self, keys: &'k [KeyRecord]) -> Result<&'k KeyRecord, CheckpointError> {
        let mut signer = None;
        for sig in &self.signatures {
            let Some(key) = keys.iter().find(|k| sig.claims(k)) else {
                continue;
            };
            sig.verify(key, &self.body_text)?;
            signer.get_or_insert(key);
        }
        signer.ok_or(CheckpointError::NoKnownSignature)
    }
}

fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty()
        || name.len() > 128
        || name.contains('+')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CheckpointError::KeyName(name.to_owned()));
    }
    Ok(())
}

pub(crate) fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() || origin.len() > 256 || origin.chars().any(char::is_control) {
        return Err(CheckpointError::Origin);
    }
    Ok(())
}
