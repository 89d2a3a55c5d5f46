//! plenum-audit: the tamper-evident audit trail as a sans-IO library.
//!
//! - [`merkle`]: the RFC 6962 Merkle tree (SHA-256), the append-only [`MerkleLog`], and
//!   inclusion/consistency proofs with their RFC 9162 verifiers.
//! - [`catalogue`]: every action name an entry may carry, with its category and the
//!   syslog severity the SIEM export gives it.
//! - [`entry`]: one audit entry and its canonical, versioned leaf encoding; personal
//!   fields as salted hashes that can be erased without breaking verification.
//! - [`compact`]: the compact range (frontier) of a log, all a writer needs to append and
//!   compute the root without reading old leaves.
//! - [`checkpoint`]: Ed25519-signed checkpoints in the C2SP signed-note format, and the
//!   signing keys with validity periods that are themselves log entries.
//! - [`log`]: [`AuditLog`], the in-memory writer, which exports a [`Bundle`].
//! - [`bundle`]: the bundle format and [`verify_bundle`], the offline verifier.
//!
//! Nothing here touches a database, the network or the clock: times are inputs, and so is
//! randomness (salts, key seeds). The byte formats are documented in `docs/audit-format.md`.

pub mod bundle;
pub mod catalogue;
pub mod checkpoint;
pub mod compact;
pub mod entry;
pub mod log;
pub mod merkle;

pub use bundle::{Bundle, BundleEntry, BundleStart, ProvenKey, Report, VerifyError, verify_bundle};
pub use checkpoint::{
    Checkpoint, CheckpointBody, CheckpointError, KeyRecord, NoteSignature, SigningKey,
};
pub use compact::{CompactError, CompactRange};
pub use entry::{Actor, ActorKind, Detail, Entry, EntryError, Outcome, Personal, Value};
pub use log::{AuditLog, LogError};
pub use merkle::{Hash, MerkleError, MerkleLog};

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Bytes of a hex string (either case); `None` if it is not hex of whole bytes.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// A 32-byte hash from hex; `None` for anything else.
pub fn hash_from_hex(text: &str) -> Option<Hash> {
    from_hex(text)?.try_into().ok()
}
