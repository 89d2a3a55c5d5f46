//! The live state of one meeting, as a sans-IO state machine.
//!
//! A [`Room`] holds everything about a running meeting: who is connected, who waits in the
//! waiting room, who has joined, their hands and media flags, moderators, the chat history,
//! the bans and the current poll (`polls`). The server runs one room per meeting inside its
//! own task and feeds it inputs in order; the room never does IO and never reads a clock:
//!
//! - inputs: [`Room::handle_connect`], [`Room::handle_message`], [`Room::handle_disconnect`],
//!   [`Room::handle_bridge_event`], [`Room::handle_settings`], [`Room::end`],
//!   [`Room::handle_timeout`] (when [`Room::poll_timeout`] says, e.g. a poll closing by
//!   itself); every input that depends on time gets `now` from the caller;
//! - outputs: [`Room::poll_output`] yields [`RoomOutput`]s (frames for sockets, closes,
//!   commands for the media bridge, bans to persist, the end of the meeting). Drain it after
//!   every input; outputs are ordered, and a [`RoomOutput::Close`] comes after the messages
//!   queued for that connection before it.
//!
//! The server owns sockets and token checks: a connection reaches the room only once its
//! token is verified ([`Identity`] is what the token says). Everything docs/signaling.md
//! says about a meeting's logic happens here.
//!
//! Answers: a client message's `txn` is echoed on exactly one message, the first one the
//! sender receives because of it: the `error`, `room.join_success` / `room.waiting`,
//! `chat.sent`, or the sender's copy of the broadcast its request caused (for example the
//! `participant.updated` after `hand.raise`, or the `participant.left` after
//! `moderation.remove`). A request that changes nothing (raising a raised hand, muting a
//! muted participant) is answered with the current state to the sender alone;
//! `moderation.mute_all` with nobody left to mute, `media.subscribe_answer` and `media.view`
//! have no answer. `media.publish_answer` from the bridge carries the `txn` of the publish
//! offer it answers.
//!
//! Policy decisions beyond docs/signaling.md: `media.state {mic: true}` while muted by a
//! moderator is a self-unmute (moderators may mute, not keep muted); the owner cannot be
//! removed or banned; a ban closes every connection of the banned subject; a lost media
//! connection turns the participant's media flags off; a failed bridge conference ends the
//! meeting as an internal error. Locking a meeting keeps out newcomers who are neither
//! moderators by account nor people who have been in it (so reconnecting works), unless a
//! moderator admits them from the waiting room; it removes nobody. Turning the waiting room
//! off admits everyone waiting, locked or not: that is a moderator's explicit choice.
//!
//! Connections the room has closed are forgotten at once, so later inputs about them (a
//! message still in flight, the socket's disconnect) are ignored and nothing is ever sent
//! to them again.

mod chat;
mod polls;
mod rate;
mod room;
mod votes;

pub use chat::{CHAT_HISTORY_LIMIT, CHAT_RATE_LIMIT, CHAT_RATE_WINDOW};
pub use polls::{POLL_ANSWER_RATE_LIMIT, POLL_ANSWER_RATE_WINDOW};
pub use room::{REACTION_RATE_LIMIT, REACTION_RATE_WINDOW, RandomSource, Room};
pub use votes::{RecordedEntry, VoteOutput};

use plenum_protocol::bridge::BridgeCommand;
use plenum_protocol::signaling::{Role, ServerEnvelope};
use plenum_protocol::{MeetingId, UserId};
use std::fmt;
use std::str::FromStr;
use std::time::{Instant, SystemTime};

/// One WebSocket of the server, named by the server; unique for the room's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub u64);

/// Whether a token's subject is a registered account or a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    User,
    Guest,
}

/// Who is on a connection, as its verified meeting token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The user id, or the guest's random subject.
    pub subject: UserId,
    pub kind: SubjectKind,
    /// The token's name; used when `room.join` names no display name.
    pub display_name: String,
    /// The token's role claim. A guest is always [`Role::Guest`] whatever it says; a user is
    /// the owner when this says so or when it is the meeting's owner.
    pub role: Role,
    /// The invite code the token was issued through, if any.
    pub invite_code: Option<String>,
}

/// The stored settings of a meeting that matter while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingSettings {
    pub id: MeetingId,
    pub title: String,
    pub waiting_room: bool,
    pub owner: UserId,
}

/// Ties the monotonic `now` of the inputs to wall-clock time, read once by the caller when it
/// creates the room. Chat timestamps are `time + (now - at)`, so they never jump when the
/// system clock is adjusted during a meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallClock {
    pub at: Instant,
    pub time: SystemTime,
}

/// What a ban refers to. Persisted as text: `subject:<uuid>` or `invite:<code>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BanKey {
    /// A user id, or a guest's subject.
    Subject(UserId),
    /// An invite code: guests can no longer join through it.
    InviteCode(String),
}

impl BanKey {
    /// The key in its persisted form, or `None` when the text is not one.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl fmt::Display for BanKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BanKey::Subject(subject) => write!(f, "subject:{subject}"),
            BanKey::InviteCode(code) => write!(f, "invite:{code}"),
        }
    }
}

/// Text that is not a persisted [`BanKey`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BanKeyParseError {
    #[error("a ban key starts with \"subject:\" or \"invite:\"")]
    UnknownKind,
    #[error("the subject of a ban key is not a UUID")]
    InvalidSubject,
    #[error("the invite code of a ban key is empty")]
    EmptyInviteCode,
}

impl FromStr for BanKey {
    type Err = BanKeyParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(subject) = text.strip_prefix("subject:") {
            subject
                .parse()
                .map(BanKey::Subject)
                .map_err(|_| BanKeyParseError::InvalidSubject)
        } else if let Some(code) = text.strip_prefix("invite:") {
            if code.is_empty() {
                Err(BanKeyParseError::EmptyInviteCode)
            } else {
                Ok(BanKey::InviteCode(code.to_owned()))
            }
        } else {
            Err(BanKeyParseError::UnknownKind)
        }
    }
}

/// What the room asks its server to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomOutput {
    /// Send one frame on a connection.
    Send {
        to: ConnectionId,
        message: ServerEnvelope,
    },
    /// Close a connection, after the messages queued for it before this output. The room has
    /// already forgotten it.
    Close {
        conn: ConnectionId,
        code: u16,
        reason: String,
    },
    /// A command for the media bridge.
    Bridge(BridgeCommand),
    /// A new ban, for the server to persist.
    BanAdded(BanKey),
    /// A vote event for the server to append to the audit trail (in this order); how the
    /// append went goes back with [`Room::handle_vote_recorded`] (as its
    /// [`VoteOutput::report`] asks), a stored close is sealed and reported with
    /// [`Room::handle_vote_sealed`].
    Vote(VoteOutput),
    /// The meeting is over: every connection has been closed. Stop the room after draining.
    Ended,
}
