//! Ends live connections when the login session behind them ends (SEC-02).
//!
//! A logout, a back-channel logout from an OIDC provider or an administrator's action
//! announces the end here; every signaling socket listens and closes itself (4401) if the
//! end concerns its subject or its login session (`sid` claim, the refresh-token family).
//! Announcements are a broadcast: nothing is stored, so a socket opened later is refused
//! by the token checks instead.

use plenum_protocol::UserId;
use tokio::sync::broadcast;

/// Announcements kept for sockets that are slow to read them; a socket that falls further
/// behind closes itself (it might have missed its own end) and the client reconnects.
const BACKLOG: usize = 1024;

/// What ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// One login session (refresh-token family id, the tokens' `sid`).
    Session(String),
    /// Every session of an account.
    User(UserId),
}

impl Ended {
    /// Whether a connection of `subject` in login session `sid` must close.
    pub fn concerns(&self, subject: UserId, sid: Option<&str>) -> bool {
        match self {
            Ended::Session(ended) => sid == Some(ended.as_str()),
            Ended::User(user) => *user == subject,
        }
    }
}

/// The announcement channel, one per process.
#[derive(Debug)]
pub struct SessionRegistry {
    ended: broadcast::Sender<Ended>,
}

impl Default for SessionRegistry {
    fn default() -> Self {
        Self {
            ended: broadcast::Sender::new(BACKLOG),
        }
    }
}

impl SessionRegistry {
    /// Ends the live connections of one login session.
    pub fn end_session(&self, sid: &str) {
        // Nobody listening is fine: no socket belongs to it.
        let _ = self.ended.send(Ended::Session(sid.to_owned()));
    }

    /// Ends the live connections of every session of `user`.
    pub fn end_user(&self, user: UserId) {
        let _ = self.ended.send(Ended::User(user));
    }

    /// For a socket: the announcements from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Ended> {
        self.ended.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_concern_their_session_or_user_only() {
        let alice = UserId::random();
        let bob = UserId::random();
        let session = Ended::Session("family-1".into());
        assert!(session.concerns(alice, Some("family-1")));
        assert!(!session.concerns(alice, Some("family-2")));
        assert!(!session.concerns(alice, None), "guests have no session");
        let user = Ended::User(alice);
        assert!(user.concerns(alice, None));
        assert!(!user.concerns(bob, Some("family-1")));
    }

    #[tokio::test]
    async fn subscribers_hear_every_end() {
        let registry = SessionRegistry::default();
        let mut socket = registry.subscribe();
        registry.end_session("f");
        let alice = UserId::random();
        registry.end_user(alice);
        assert_eq!(socket.recv().await.unwrap(), Ended::Session("f".into()));
        assert_eq!(socket.recv().await.unwrap(), Ended::User(alice));
    }
}
