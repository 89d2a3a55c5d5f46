//! One audit entry and its canonical leaf encoding, version 1.
//!
//! The leaf is what the Merkle tree commits to, so it must be byte-for-byte reproducible
//! from the entry by any verifier: fixed field order, big-endian integers, every string
//! length-prefixed, no JSON (whose key order, escaping and number forms are not canonical).
//! The exact layout is in `docs/audit-format.md`; [`Entry::leaf_bytes`] is its reference.
//!
//! Personal data (an actor's id, a source address, personal detail values) enters the leaf
//! only as `SHA-256(salt || value)`. The clear value and its salt travel beside the leaf
//! and can be erased later ([`Personal::erase`]); the leaf, and with it every root and
//! signature, stays valid. Erasing the salt too matters: without it a guessable value
//! (an IP address) could be confirmed by hashing candidates.

use crate::merkle::{self, Hash};
use aws_lc_rs::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

/// The version byte that starts every v1 leaf.
pub const LEAF_VERSION: u8 = 1;
/// Longest string field, in bytes. Bounds what one untrusted entry can make us hash.
pub const MAX_TEXT: usize = 64 * 1024;
/// Most detail pairs per entry.
pub const MAX_DETAILS: usize = 256;
/// Salt lengths accepted for personal fields (16 random bytes are recommended).
pub const SALT_LEN: std::ops::RangeInclusive<usize> = 8..=64;

/// Why an entry cannot be encoded or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("field {field} is longer than {MAX_TEXT} bytes")]
    TooLong { field: String },
    #[error("more than {MAX_DETAILS} details")]
    TooManyDetails,
    #[error("personal field {field}: salt must be 8 to 64 bytes")]
    BadSalt { field: String },
    #[error("personal field {field}: clear value and salt must be present or erased together")]
    HalfErased { field: String },
    #[error("personal field {field}: the clear value does not match its hash")]
    PersonalMismatch { field: String },
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log, from 0 without gaps; equal to the Merkle leaf index.
    pub seq: u64,
    /// UTC time of the event in milliseconds since the Unix epoch.
    pub time_ms: u64,
    pub tenant: String,
    pub actor: Actor,
    /// Network address the request came from, if any.
    pub source: Option<Value>,
    /// Dotted event name from the catalogue, e.g. `auth.login` or `audit.key_valid`.
    pub action: String,
    pub resource: String,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    /// Action-specific details; their order is part of the entry.
    pub details: Vec<Detail>,
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    /// User id or pseudonym; guests by their meeting-scoped id.
    pub id: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    Guest,
    System,
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

/// One detail of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub key: String,
    pub value: Value,
}

/// A field value: plain text, or personal data committed to by a salted hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Text(String),
    Personal(Personal),
}

/// Personal data: the salted hash is in the leaf; salt and clear value beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Personal {
    #[serde(with = "hex_hash")]
    pub hash: Hash,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_opt")]
    pub salt: Option<Vec<u8>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Personal {
    /// Commits to `value` with `salt` (caller-supplied randomness; 16 bytes recommended).
    pub fn new(value: &str, salt: &[u8]) -> Result<Self, EntryError> {
        if !SALT_LEN.contains(&salt.len()) {
            return Err(EntryError::BadSalt {
                field: "(new)".to_owned(),
            });
        }
        Ok(Self {
            hash: Self::hash_of(salt, value),
            salt: Some(salt.to_vec()),
            value: Some(value.to_owned()),
        })
    }

    /// `SHA-256(salt || UTF-8 value)`.
    pub fn hash_of(salt: &[u8], value: &str) -> Hash {
        let mut ctx = Context::new(&SHA256);
        ctx.update(salt);
        ctx.update(value.as_bytes());
        let mut out = [0u8; 32];
        for (o, b) in out.iter_mut().zip(ctx.finish().as_ref()) {
            *o = *b;
        }
        out
    }

    /// Forgets the clear value and its salt; the hash (and so the leaf) is unchanged.
    pub fn erase(&mut self) {
        self.salt = None;
        self.value = None;
    }

    /// Checks the clear value against the hash, if it is still there.
    fn check(&self, field: &str) -> Result<(), EntryError> {
        match (&self.salt, &self.value) {
            (None, None) => Ok(()),
            (Some(salt), Some(value)) => {
                if !SALT_LEN.contains(&salt.len()) {
                    Err(EntryError::BadSalt {
                        field: field.to_owned(),
                    })
                } else if Self::hash_of(salt, value) != self.hash {
                    Err(EntryError::PersonalMismatch {
                        field: field.to_owned(),
                    })
                } else {
                    Ok(())
                }
            }
            _ => Err(EntryError::HalfErased {
                field: field.to_owned(),
            }),
        }
    }
}

impl Value {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }
}

impl Entry {
    /// The canonical v1 leaf (see `docs/audit-format.md`).
    pub fn leaf_bytes(&self) -> Result<Vec<u8>, EntryError> {
        let mut out = Vec::with_capacity(256);
        out.push(LEAF_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        put_text(&mut out, "tenant", &self.tenant)?;
        out.push(match self.actor.kind {
            ActorKind::User => 1,
            ActorKind::Guest => 2,
            ActorKind::System => 3,
            ActorKind::Service => 4,
        });
        put_value(&mut out, "actor.id", Some(&self.actor.id))?;
        put_value(&mut out, "source", self.source.as_ref())?;
        put_text(&mut out, "action", &self.action)?;
        put_text(&mut out, "resource", &self.resource)?;
        out.push(match self.outcome {
            Outcome::Success => 1,
            Outcome::Failure => 2,
            Outcome::Denied => 3,
        });
        match &self.request_id {
            None => out.push(0),
            Some(id) => {
                out.push(1);
                put_text(&mut out, "request_id", id)?;
            }
        }
        if self.details.len() > MAX_DETAILS {
            return Err(EntryError::TooManyDetails);
        }
        // MAX_DETAILS fits in a u32.
        out.extend_from_slice(&(self.details.len() as u32).to_be_bytes());
        for detail in &self.details {
            put_text(&mut out, "details key", &detail.key)?;
            put_value(&mut out, &detail.key, Some(&detail.value))?;
        }
        Ok(out)
    }

    /// The Merkle leaf hash of [`Self::leaf_bytes`].
    pub fn leaf_hash(&self) -> Result<Hash, EntryError> {
        Ok(merkle::leaf_hash(&self.leaf_bytes()?))
    }

    /// Checks every personal field whose clear value is present against its hash.
    pub fn check_personal(&self) -> Result<(), EntryError> {
        let mut fields: Vec<(String, &Value)> = vec![("actor.id".to_owned(), &self.actor.id)];
        if let Some(source) = &self.source {
            fields.push(("source".to_owned(), source));
        }
        for detail in &self.details {
            fields.push((format!("details.{}", detail.key), &detail.value));
        }
        for (field, value) in fields {
            if let Value::Personal(p) = value {
                p.check(&field)?;
            }
        }
        Ok(())
    }

    /// Erases the clear values of all personal fields (see [`Personal::erase`]).
    pub fn erase_personal(&mut self) {
        let details = self.details.iter_mut().map(|d| &mut d.value);
        let values = [Some(&mut self.actor.id), self.source.as_mut()];
        for value in values.into_iter().flatten().chain(details) {
            if let Value::Personal(p) = value {
                p.erase();
            }
        }
    }

    /// The value of detail `key` if it is plain text.
    pub fn detail_text(&self, key: &str) -> Option<&str> {
        self.details.iter().find_map(|d| match &d.value {
            Value::Text(t) if d.key == key => Some(t.as_str()),
            _ => None,
        })
    }
}

fn put_text(out: &mut Vec<u8>, field: &str, text: &str) -> Result<(), EntryError> {
    if text.len() > MAX_TEXT {
        return Err(EntryError::TooLong {
            field: field.to_owned(),
        });
    }
    // MAX_TEXT fits in a u32.
    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Tag 0 absent, 1 text, 2 personal (its 32-byte salted hash, never the clear value).
fn put_value(out: &mut Vec<u8>, field: &str, value: Option<&Value>) -> Result<(), EntryError> {
    match value {
        None => out.push(0),
        Some(Value::Text(text)) => {
            out.push(1);
            put_text(out, field, text)?;
        }
        Some(Value::Personal(p)) => {
            out.push(2);
            out.extend_from_slice(&p.hash);
        }
    }
    Ok(())
}

/// Serde for a hash as lowercase hex.
pub(crate) mod hex_hash {
    use crate::{Hash, hash_from_hex, to_hex};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(hash))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        hash_from_hex(&text).ok_or_else(|| D::Error::custom("expected 64 hex digits"))
    }
}

/// Serde for optional bytes as lowercase hex.
pub(crate) mod hex_opt {
    use crate::{from_hex, to_hex};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&to_hex(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => from_hex(&text)
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected hex")),
        }
    }
}
