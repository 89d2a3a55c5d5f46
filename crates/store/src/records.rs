//! The values the store hands out and takes in, independent of the backend.

use plenum_protocol::{AccountRole, MeetingId, UserId};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use time::OffsetDateTime;
use uuid::Uuid;

/// An account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: AccountRole,
    pub tenant_id: String,
    pub created_at: OffsetDateTime,
}

/// A new account; the store assigns its id.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: AccountRole,
    /// An existing tenant (usually [`plenum_protocol::DEFAULT_TENANT`]).
    pub tenant_id: String,
}

/// A meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingRecord {
    pub id: MeetingId,
    pub owner_id: UserId,
    pub title: String,
    /// Argon2id PHC string of the meeting password, if it has one.
    pub password_hash: Option<String>,
    pub waiting_room: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Free text for the participants (agenda, dial-in notes); empty when there is none.
    pub description: String,
    /// When the meeting is scheduled to start, if it is.
    pub starts_at: Option<OffsetDateTime>,
}

/// A new meeting; the store assigns its id.
#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub owner_id: UserId,
    pub title: String,
    pub password_hash: Option<String>,
    pub waiting_room: bool,
    pub description: String,
    pub starts_at: Option<OffsetDateTime>,
}

/// A partial meeting update: `None` keeps a field. `password_hash: Some(None)` clears
/// the password, `starts_at: Some(None)` the scheduled start.
#[derive(Clone, Debug, Default)]
pub struct MeetingUpdate {
    pub title: Option<String>,
    pub password_hash: Option<Option<String>>,
    pub waiting_room: Option<bool>,
    pub description: Option<String>,
    pub starts_at: Option<Option<OffsetDateTime>>,
}

/// An invite code of a meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteRecord {
    pub code: String,
    pub meeting_id: MeetingId,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl InviteRecord {
    /// Whether the invite admits people at `now`.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }
}

/// A new invite. The caller makes the code (random, unguessable).
#[derive(Clone, Debug)]
pub struct NewInvite {
    pub code: String,
    pub meeting_id: MeetingId,
    pub expires_at: Option<OffsetDateTime>,
}

/// A ban of one subject from one meeting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanRecord {
    pub meeting_id: MeetingId,
    pub subject: String,
    pub created_at: OffsetDateTime,
}

/// The SHA-256 (lower-case hex) of a refresh token. Only this is stored, so a leaked
/// database does not hand out sessions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hashes a token as presented by a client.
    pub fn of(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            // Writing into a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_stored(hex: String) -> Self {
        Self(hex)
    }
}

/// One refresh token of a family (a login session).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub id: Uuid,
    pub user_id: UserId,
    pub token_hash: TokenHash,
    pub family_id: Uuid,
    pub expires_at: OffsetDateTime,
    /// Set when the token was used (rotated) or revoked.
    pub revoked_at: Option<OffsetDateTime>,
    /// The token that replaced this one on rotation.
    pub replaced_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// What became of a presented refresh token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was live; here is its replacement (same user and family).
    Rotated(RefreshTokenRecord),
    /// It had already been used or revoked: the whole family is now revoked.
    Reused { user_id: UserId, family_id: Uuid },
    /// It expired; nothing changed.
    Expired,
    /// No such token.
    Unknown,
}
