//! The state every request handler (and the signaling part) shares.

use crate::clock::Clock;
use crate::config::Config;
use crate::ldap::LdapDirectory;
use crate::meeting_actor::Meetings;
use crate::oidc::Oidc;
use crate::sessions::SessionRegistry;
use crate::tokens::TokenService;
use plenum_protocol::MeetingId;
use plenum_store::Store;
use std::ops::Deref;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Shared application state: cheap to clone (one `Arc`).
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<AppInner>,
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct AppInner {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenService,
    /// The live meetings' actors and the media bridge they drive.
    pub meetings: Meetings,
    /// Fires once when the process is asked to stop; long-lived tasks (WebSockets, room
    /// actors) watch it and wind down.
    pub shutdown: Shutdown,
    /// Changes made through the REST API that live meetings must react to.
    pub meeting_events: broadcast::Sender<MeetingEvent>,
    /// A valid Argon2id hash of a random password. Logins for unknown users are verified
    /// against it so they take as long as logins with a wrong password.
    pub(crate) dummy_hash: String,
    /// The time of login locks and session timeouts; tests move it.
    pub clock: Clock,
    /// The configured OpenID Connect providers and the logins in progress.
    pub oidc: Oidc,
    /// The LDAP / Active Directory source, if configured.
    pub ldap: Option<LdapDirectory>,
    /// Where the end of a login session is announced to its live connections.
    pub sessions: SessionRegistry,
    /// Signs the audit trail's checkpoints (loaded by `serve::build_state`).
    pub audit_signer: crate::audit::checkpoints::Signer,
    /// Recent `access.denied` counts per source, for `access.denied_burst` alerts.
    pub denial_bursts: crate::denial_burst::DenialBursts,
}

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.inner
    }
}

impl AppState {
    /// Builds the state. `dummy_hash` is any valid hash from [`crate::passwords::hash`].
    pub fn new(
        config: Config,
        store: Store,
        tokens: TokenService,
        meetings: Meetings,
        dummy_hash: String,
    ) -> Self {
        let (meeting_events, _) = broadcast::channel(256);
        let oidc = Oidc::new(&config);
        let ldap = config.identity.ldap.clone().map(LdapDirectory::new);
        Self {
            inner: Arc::new(AppInner {
                config,
                store,
                tokens,
                meetings,
                shutdown: Shutdown::new(),
                meeting_events,
                dummy_hash,
                clock: Clock::default(),
                oidc,
                ldap,
                sessions: SessionRegistry::default(),
                audit_signer: crate::audit::checkpoints::Signer::default(),
                denial_bursts: crate::denial_burst::DenialBursts::default(),
            }),
        }
    }

    /// Publishes a meeting event; nobody listening is fine.
    pub(crate) fn publish(&self, event: MeetingEvent) {
        let _ = self.meeting_events.send(event);
    }
}

/// A meeting changed through the REST API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeetingEvent {
    /// Title, password or waiting-room setting changed.
    Updated(MeetingId),
    /// The meeting was deleted: a running one must end.
    Deleted(MeetingId),
    /// An invite was revoked: guests who came with it may be shown out.
    InviteRevoked { meeting_id: MeetingId, code: String },
}

/// A one-shot, cloneable stop signal.
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            tx: watch::Sender::new(false),
        }
    }

    /// Asks everything to stop. Idempotent.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once [`Shutdown::trigger`] was called (at once if it already was).
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}
