//! Recording audit and security events (SEC-15): the one way server code writes to the
//! tamper-evident trail.
//!
//! A handler builds an [`AuditEvent`] (a catalogue action, its outcome, who, on what, and
//! details) and either appends it on its own ([`AppState::audit`], for events that change
//! nothing else: logins, denials, reads) or inside the transaction of the change it
//! records ([`AppState::audit_in`]), so that no change commits without its entry.
//!
//! Personal data — the actor's id, the source address, details marked
//! [`AuditEvent::personal`] — enters the Merkle leaf only as a salted hash with a fresh
//! random salt; the clear value is stored beside it and can be erased later (see
//! `docs/audit-format.md`). Secrets never enter an event at all: no passwords, tokens,
//! refresh tokens or whole invite codes.
//!
//! Where a request came from is [`RequestMeta`]: the peer address and the request id the
//! [`request_id`] middleware assigns (or accepts from the client) and echoes.

pub mod checkpoints;
pub mod export;
pub mod meeting;
pub mod request_id;
pub mod retention;

pub use plenum_audit::{ActorKind, Outcome};
pub use request_id::{REQUEST_ID_HEADER, RequestId};

use crate::state::AppState;
use crate::tokens::{Claims, TokenKind};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use plenum_audit::{Actor, Detail, Entry, Personal, Value};
use plenum_store::{AppendedEntry, StoreError, Tx};
use rand::RngCore as _;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// Length of the random salt of each personal field.
const SALT_BYTES: usize = 16;
/// The id the system itself acts under.
pub const SYSTEM_ACTOR_ID: &str = "plenum";

/// Why an event could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot store the audit entry: {0}")]
    Store(#[from] StoreError),
}

impl From<AuditError> for crate::api::ApiError {
    /// A change whose entry cannot be recorded must not happen: the request fails (500)
    /// and its transaction rolls back.
    fn from(e: AuditError) -> Self {
        crate::api::ApiError::internal(&e)
    }
}

/// Who did it. `id` is personal data (stored as a salted hash in the leaf, clear beside it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventActor {
    pub kind: ActorKind,
    pub id: String,
    pub tenant: String,
}

impl EventActor {
    /// Plenum itself (timers, retention, key rotation).
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: SYSTEM_ACTOR_ID.to_owned(),
            tenant: plenum_protocol::DEFAULT_TENANT.to_owned(),
        }
    }

    /// The subject of a verified token: an account (account or meeting token) or a guest
    /// by its meeting-scoped id.
    pub fn from_claims(claims: &Claims) -> Self {
        Self {
            kind: match claims.kind {
                TokenKind::User | TokenKind::Meeting => ActorKind::User,
                TokenKind::Guest => ActorKind::Guest,
                TokenKind::Client => ActorKind::Service,
            },
            id: claims.sub.to_string(),
            tenant: claims.tenant().to_owned(),
        }
    }

    /// The actor as an entry carries it: the system by name, anyone else by the salted
    /// hash of its id.
    pub fn entry_actor(&self) -> Actor {
        Actor {
            kind: self.kind,
            id: if self.kind == ActorKind::System {
                Value::text(self.id.clone())
            } else {
                personal(&self.id)
            },
        }
    }

    /// Someone not (yet) authenticated: a failed login, a refused token.
    pub fn anonymous(tenant: &str) -> Self {
        Self {
            kind: ActorKind::Guest,
            id: "anonymous".to_owned(),
            tenant: tenant.to_owned(),
        }
    }
}

/// Where a request came from; an axum extractor reading the peer address (ConnectInfo,
/// absent when the router is driven without a socket) and the `x-request-id` set by the
/// request-id middleware.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub source: Option<IpAddr>,
    pub request_id: String,
}

impl RequestMeta {
    /// For events not caused by a request (timers, shutdown, the meeting actor's own
    /// decisions): no source, a fresh request id so log lines still correlate.
    pub fn internal() -> Self {
        Self {
            source: None,
            request_id: request_id::generate(),
        }
    }

    /// The meta of a request from its parts (also usable outside an extractor, e.g.
    /// when a WebSocket upgrade hands it to the socket task).
    pub fn from_parts(parts: &Parts) -> Self {
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map_or_else(request_id::generate, |id| id.0.clone());
        Self { source, request_id }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::from_parts(parts))
    }
}

/// One event to record.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    action: &'static str,
    outcome: Outcome,
    actor: EventActor,
    resource: String,
    details: Vec<(&'static str, DetailValue)>,
}

#[derive(Clone, Debug)]
enum DetailValue {
    Plain(String),
    Personal(String),
}

impl AuditEvent {
    /// `action` must be a catalogue name (debug_assert'ed).
    pub fn new(
        action: &'static str,
        outcome: Outcome,
        actor: EventActor,
        resource: impl Into<String>,
    ) -> Self {
        debug_assert!(
            plenum_audit::catalogue::lookup(action).is_some(),
            "{action} is not in plenum_audit::catalogue::ACTIONS"
        );
        Self {
            action,
            outcome,
            actor,
            resource: resource.into(),
            details: Vec::new(),
        }
    }

    /// Plain detail (never secrets or tokens).
    pub fn detail(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.details.push((key, DetailValue::Plain(value.into())));
        self
    }

    /// Personal detail (a name, an e-mail, a username typed at login): salted hash in
    /// the leaf, clear value erasable.
    pub fn personal(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.details
            .push((key, DetailValue::Personal(value.into())));
        self
    }

    /// The catalogue action.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The entry as the store appends it (seq assigned there), at `time_ms`.
    pub fn into_entry(self, meta: &RequestMeta, time_ms: u64) -> Entry {
        Entry {
            seq: 0,
            time_ms,
            actor: self.actor.entry_actor(),
            tenant: self.actor.tenant,
            source: meta.source.map(|ip| personal(&ip.to_string())),
            action: self.action.to_owned(),
            resource: self.resource,
            outcome: self.outcome,
            request_id: Some(meta.request_id.clone()),
            details: self
                .details
                .into_iter()
                .map(|(key, value)| Detail {
                    key: key.to_owned(),
                    value: match value {
                        DetailValue::Plain(text) => Value::Text(text),
                        DetailValue::Personal(text) => personal(&text),
                    },
                })
                .collect(),
        }
    }
}

/// A personal value committed to with a fresh random salt.
fn personal(value: &str) -> Value {
    let mut salt = [0u8; SALT_BYTES];
    rand::rng().fill_bytes(&mut salt);
    match Personal::new(value, &salt) {
        Ok(p) => Value::Personal(p),
        // SALT_BYTES lies within plenum_audit's accepted salt lengths.
        Err(_) => unreachable!("a {SALT_BYTES}-byte salt is always accepted"),
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    let now = time::OffsetDateTime::now_utc();
    u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

impl AppState {
    /// Appends one entry in its own transaction (for events that change nothing else:
    /// logins, denials, reads). Failures to persist are logged with the request id and
    /// returned as Err (callers on a request path usually log and continue for denials,
    /// but must fail the request for changes).
    pub async fn audit(&self, meta: &RequestMeta, event: AuditEvent) -> Result<(), AuditError> {
        let action = event.action;
        let result = self
            .store
            .append_audit(event.into_entry(meta, now_ms()))
            .await;
        self.audit_result(meta, action, result)
    }

    /// Appends one entry inside `tx`, the transaction of the change it records; the
    /// entry commits (or rolls back) with it.
    pub async fn audit_in(
        &self,
        tx: &mut Tx,
        meta: &RequestMeta,
        event: AuditEvent,
    ) -> Result<(), AuditError> {
        let action = event.action;
        let result = tx.append_audit(event.into_entry(meta, now_ms())).await;
        self.audit_result(meta, action, result)
    }

    fn audit_result(
        &self,
        meta: &RequestMeta,
        action: &'static str,
        result: Result<AppendedEntry, StoreError>,
    ) -> Result<(), AuditError> {
        match result {
            Ok(appended) => {
                tracing::debug!(seq = appended.seq, action, request_id = %meta.request_id, "audit entry appended");
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, action, request_id = %meta.request_id, "cannot record audit event");
                Err(error.into())
            }
        }
    }
}
