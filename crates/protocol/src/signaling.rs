//! WebSocket signaling messages (docs/signaling.md is the prose version of this module).
//!
//! Every frame is an envelope `{"type": "ns.name", "txn": "…", "payload": {…}}`.
//! [`parse_client_message`] turns a text frame into a typed message or a typed error that
//! still carries the `txn`, so the server can answer even a broken message precisely.

use crate::bridge::{PublishedTrack, SubscribedTrack, ViewedTile};
use crate::ids::{MeetingId, ParticipantId, VoteId};
use crate::vote::{VoteClosed, VoteOpen, VoteOpened};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest text frame the server accepts.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest transaction id echoed back.
pub const MAX_TXN_CHARS: usize = 64;
/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 4000;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;

/// WebSocket close codes (see docs/signaling.md).
pub mod close_code {
    pub const PROTOCOL_VIOLATION: u16 = 4400;
    pub const TOKEN_INVALID: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const MEETING_GONE: u16 = 4404;
    pub const AUTH_TIMEOUT: u16 = 4408;
    /// The same participant came back on a new connection (`room.join` with `resume`).
    pub const REPLACED: u16 = 4409;
    pub const INTERNAL_ERROR: u16 = 4500;
    /// The server is stopping (RFC 6455 "service restart"): reconnect later.
    pub const SERVER_RESTART: u16 = 1012;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Moderator,
    Participant,
    Guest,
}

impl Role {
    /// Owners and moderators may moderate.
    pub fn is_moderator(self) -> bool {
        matches!(self, Role::Owner | Role::Moderator)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaState {
    pub mic: bool,
    pub camera: bool,
    pub screen: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub display_name: String,
    pub role: Role,
    pub hand_raised: bool,
    /// While the hand is raised: the room's count of raises when it went up, so raised
    /// hands sort in the order they were raised (the room's order, not the clients').
    /// `None` while the hand is down.
    pub hand_raised_seq: Option<u64>,
    pub media: MediaState,
    pub muted_by_moderator: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingParticipant {
    pub id: ParticipantId,
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    pub meeting_id: MeetingId,
    pub title: String,
    pub waiting_room: bool,
    /// While locked, only moderators by account and people who were already in the meeting
    /// come in; others wait (waiting room on) or are refused with `meeting_locked`.
    pub locked: bool,
    /// Only filled in for moderators.
    pub waiting: Vec<WaitingParticipant>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSender {
    pub id: ParticipantId,
    pub display_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: u64,
    pub from: ChatSender,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<ParticipantId>,
    pub text: String,
    /// RFC 3339 UTC.
    pub sent_at: String,
}

/// The emoji a participant may send as a reaction: a fixed list, so a reaction can never
/// carry arbitrary text past the chat's moderation and rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reaction {
    #[serde(rename = "👍")]
    ThumbsUp,
    #[serde(rename = "👏")]
    Clap,
    #[serde(rename = "❤️")]
    Heart,
    #[serde(rename = "😂")]
    Laugh,
    #[serde(rename = "😮")]
    Surprised,
    #[serde(rename = "🎉")]
    Celebrate,
    #[serde(rename = "🤔")]
    Thinking,
    #[serde(rename = "👎")]
    ThumbsDown,
}

impl Reaction {
    /// Every reaction, in the order clients offer them.
    pub const ALL: [Reaction; 8] = [
        Reaction::ThumbsUp,
        Reaction::Clap,
        Reaction::Heart,
        Reaction::Laugh,
        Reaction::Surprised,
        Reaction::Celebrate,
        Reaction::Thinking,
        Reaction::ThumbsDown,
    ];
}

/// Longest poll question, in characters.
pub const MAX_POLL_QUESTION_CHARS: usize = 300;
/// Longest poll option, in characters.
pub const MAX_POLL_OPTION_CHARS: usize = 100;
/// How many options a poll has at least and at most.
pub const MIN_POLL_OPTIONS: usize = 2;
pub const MAX_POLL_OPTIONS: usize = 10;
/// Shortest and longest duration of a poll that closes by itself, in seconds.
pub const MIN_POLL_DURATION_SECS: u32 = 10;
pub const MAX_POLL_DURATION_SECS: u32 = 24 * 60 * 60;

/// When participants who are not moderators see a poll's counts (moderators always do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PollResults {
    /// As the answers come in.
    #[default]
    Live,
    /// Once the poll is closed and a moderator shares them.
    AtClose,
}

/// `poll.create`: a moderator's new poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPoll {
    pub question: String,
    pub options: Vec<String>,
    /// Several options may be chosen (otherwise exactly one).
    #[serde(default)]
    pub multiple: bool,
    /// Nobody, moderators included, learns who chose what.
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub results: PollResults,
    /// Closes by itself after this many seconds.
    #[serde(default)]
    pub duration_secs: Option<u32>,
}

/// One named answer of a poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollAnswer {
    pub display_name: String,
    pub choices: Vec<u32>,
}

/// A poll as one participant may see it (`poll.state`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: u64,
    pub question: String,
    pub options: Vec<String>,
    pub multiple: bool,
    pub anonymous: bool,
    pub results: PollResults,
    pub open: bool,
    /// A moderator shared the results with everyone.
    pub shared: bool,
    /// RFC 3339 UTC, when the poll closes by itself.
    pub closes_at: Option<String>,
    /// How many people have answered.
    pub answer_count: u32,
    /// How many chose each option; `None` while hidden from this participant.
    pub counts: Option<Vec<u32>>,
    /// Who chose what, first answer first; `None` in anonymous polls and while hidden
    /// from this participant.
    pub answers: Option<Vec<PollAnswer>>,
    /// This participant's own choices (empty before answering); `None` once an anonymous
    /// poll is closed, since the server then forgets who answered what.
    pub my_choices: Option<Vec<u32>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Removed,
    Banned,
    EndedByModerator,
    Deleted,
    InternalError,
}

/// Messages from the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum ClientMessage {
    #[serde(rename = "session.auth")]
    Auth { token: String },
    #[serde(rename = "session.refresh")]
    Refresh { token: String },
    #[serde(rename = "room.join")]
    Join {
        #[serde(default)]
        display_name: Option<String>,
        /// The participant this client was before its connection dropped: a connection of
        /// the same subject still in the meeting under that id is replaced by this one.
        #[serde(default)]
        resume: Option<ParticipantId>,
    },
    #[serde(rename = "room.leave")]
    Leave {},
    #[serde(rename = "chat.send")]
    ChatSend {
        text: String,
        #[serde(default)]
        to: Option<ParticipantId>,
    },
    #[serde(rename = "reaction.send")]
    SendReaction { emoji: Reaction },
    #[serde(rename = "poll.create")]
    CreatePoll(NewPoll),
    /// `choices` are option indexes; answering again replaces the answer while open.
    #[serde(rename = "poll.answer")]
    AnswerPoll { poll_id: u64, choices: Vec<u32> },
    #[serde(rename = "poll.close")]
    ClosePoll { poll_id: u64 },
    #[serde(rename = "poll.share")]
    SharePoll { poll_id: u64 },
    #[serde(rename = "hand.raise")]
    RaiseHand {},
    #[serde(rename = "hand.lower")]
    LowerHand {},
    #[serde(rename = "media.state")]
    MediaState(MediaState),
    #[serde(rename = "media.publish_offer")]
    PublishOffer {
        sdp: String,
        tracks: Vec<PublishedTrack>,
    },
    #[serde(rename = "media.subscribe_answer")]
    SubscribeAnswer { sdp: String },
    #[serde(rename = "media.view")]
    View { tiles: Vec<ViewedTile> },
    #[serde(rename = "moderation.mute")]
    Mute { participant_id: ParticipantId },
    #[serde(rename = "moderation.mute_all")]
    MuteAll {},
    #[serde(rename = "moderation.remove")]
    Remove { participant_id: ParticipantId },
    #[serde(rename = "moderation.ban")]
    Ban { participant_id: ParticipantId },
    #[serde(rename = "moderation.grant_moderator")]
    GrantModerator { participant_id: ParticipantId },
    #[serde(rename = "moderation.revoke_moderator")]
    RevokeModerator { participant_id: ParticipantId },
    #[serde(rename = "moderation.lower_hand")]
    LowerHandOf { participant_id: ParticipantId },
    #[serde(rename = "moderation.lower_all_hands")]
    LowerAllHands {},
    #[serde(rename = "moderation.set_waiting_room")]
    SetWaitingRoom { enabled: bool },
    #[serde(rename = "moderation.set_locked")]
    SetLocked { locked: bool },
    #[serde(rename = "moderation.admit")]
    Admit { participant_id: ParticipantId },
    #[serde(rename = "moderation.deny")]
    Deny { participant_id: ParticipantId },
    #[serde(rename = "moderation.end")]
    End {},
    /// Moderators: opens a formal vote.
    #[serde(rename = "vote.open")]
    VoteOpen(VoteOpen),
    #[serde(rename = "vote.ballot")]
    VoteBallot { vote_id: VoteId, option: String },
    /// Moderators: closes the vote now.
    #[serde(rename = "vote.close")]
    VoteClose { vote_id: VoteId },
    /// Moderators: cancels the vote; no result is published.
    #[serde(rename = "vote.cancel")]
    VoteCancel { vote_id: VoteId, reason: String },
}

/// Every `type` a client may send, for telling an unknown type from a malformed payload.
pub const CLIENT_MESSAGE_TYPES: &[&str] = &[
    "session.auth",
    "session.refresh",
    "room.join",
    "room.leave",
    "chat.send",
    "reaction.send",
    "poll.create",
    "poll.answer",
    "poll.close",
    "poll.share",
    "hand.raise",
    "hand.lower",
    "media.state",
    "media.publish_offer",
    "media.subscribe_answer",
    "media.view",
    "moderation.mute",
    "moderation.mute_all",
    "moderation.remove",
    "moderation.ban",
    "moderation.grant_moderator",
    "moderation.revoke_moderator",
    "moderation.lower_hand",
    "moderation.lower_all_hands",
    "moderation.set_waiting_room",
    "moderation.set_locked",
    "moderation.admit",
    "moderation.deny",
    "moderation.end",
    "vote.open",
    "vote.ballot",
    "vote.close",
    "vote.cancel",
];

/// Messages from the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload")]
pub enum ServerMessage {
    #[serde(rename = "session.authenticated")]
    Authenticated {
        expires_at: String,
        meeting_id: MeetingId,
    },
    #[serde(rename = "session.refreshed")]
    Refreshed { expires_at: String },
    #[serde(rename = "room.join_success")]
    JoinSuccess {
        #[serde(rename = "self")]
        me: Participant,
        participants: Vec<Participant>,
        room: RoomState,
        chat_history: Vec<ChatMessage>,
        ice_lite: bool,
    },
    #[serde(rename = "room.waiting")]
    Waiting {},
    #[serde(rename = "room.admitted")]
    Admitted {},
    #[serde(rename = "room.denied")]
    Denied {},
    #[serde(rename = "room.state")]
    RoomState(RoomState),
    #[serde(rename = "room.removed")]
    Removed { reason: LeaveReason },
    #[serde(rename = "room.ended")]
    Ended { reason: LeaveReason },
    #[serde(rename = "participant.joined")]
    ParticipantJoined(Participant),
    #[serde(rename = "participant.updated")]
    ParticipantUpdated(Participant),
    #[serde(rename = "participant.left")]
    ParticipantLeft { id: ParticipantId },
    #[serde(rename = "chat.message")]
    Chat(ChatMessage),
    #[serde(rename = "chat.sent")]
    ChatSent { id: u64 },
    #[serde(rename = "reaction")]
    Reaction {
        participant_id: ParticipantId,
        emoji: Reaction,
    },
    #[serde(rename = "poll.state")]
    PollState(Poll),
    #[serde(rename = "media.publish_answer")]
    PublishAnswer { sdp: String },
    #[serde(rename = "media.subscribe_offer")]
    SubscribeOffer {
        sdp: String,
        tracks: Vec<SubscribedTrack>,
    },
    #[serde(rename = "media.active_speaker")]
    ActiveSpeaker { participant_id: ParticipantId },
    #[serde(rename = "vote.opened")]
    VoteOpened(VoteOpened),
    /// Privately to an eligible voter of a pseudonymous vote: its voting token.
    #[serde(rename = "vote.token")]
    VoteToken { vote_id: VoteId, token: String },
    /// To the voter: its ballot is recorded as entry `seq` of the audit trail.
    #[serde(rename = "vote.ballot_accepted")]
    VoteBallotAccepted {
        vote_id: VoteId,
        option: String,
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// How many have voted; in roll-call votes also who (never what).
    #[serde(rename = "vote.participation")]
    VoteParticipation {
        vote_id: VoteId,
        cast: u64,
        eligible: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voted: Option<Vec<String>>,
    },
    #[serde(rename = "vote.closed")]
    VoteClosed(VoteClosed),
    #[serde(rename = "vote.cancelled")]
    VoteCancelled { vote_id: VoteId, reason: String },
    #[serde(rename = "error")]
    Error { code: ErrorCode, message: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadMessage,
    UnknownType,
    TooLarge,
    RateLimited,
    /// No poll with this id (any more).
    PollUnknown,
    /// The answer names an option the poll does not have.
    PollUnknownOption,
    /// The poll is closed.
    PollClosed,
    /// Another poll is open in this meeting (one at a time).
    PollAlreadyOpen,
    Forbidden,
    NotFound,
    InvalidSdp,
    MutedByModerator,
    NotJoined,
    InvalidState,
    InvalidToken,
    MeetingLocked,
    /// No open vote with this id.
    VoteUnknown,
    /// The ballot names an option the vote does not have.
    VoteUnknownOption,
    /// The sender is not an eligible voter of this vote.
    VoteNotEligible,
    /// The voter has already cast its ballot (a ballot cannot be changed).
    VoteAlreadyVoted,
    /// The vote is closed or cancelled.
    VoteClosed,
    /// Another vote is open in this meeting (one at a time).
    VoteAlreadyOpen,
    /// The vote's opening or the ballot could not be stored in the audit trail, so it did
    /// not take effect; it may be sent again.
    VoteNotRecorded,
}

/// A server message with the transaction id of the client message it answers, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerEnvelope {
    #[serde(flatten)]
    pub message: ServerMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn: Option<String>,
}

impl ServerEnvelope {
    /// The JSON text frame.
    pub fn to_json(&self) -> String {
        // Serializing these plain data types cannot fail: no maps with non-string keys,
        // no custom serializers.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Why a client frame could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The transaction id, when the frame was at least an object with a usable `txn`.
    pub txn: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

/// Parses one client text frame.
pub fn parse_client_message(text: &str) -> Result<(Option<String>, ClientMessage), ParseError> {
    let fail = |txn: Option<String>, code, message: String| ParseError { txn, code, message };
    if text.len() > MAX_FRAME_BYTES {
        return Err(fail(
            None,
            ErrorCode::TooLarge,
            format!("frame exceeds {MAX_FRAME_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| fail(None, ErrorCode::BadMessage, format!("not JSON: {e}")))?;
    let Value::Object(mut object) = value else {
        return Err(fail(
            None,
            ErrorCode::BadMessage,
            "a message must be a JSON object".into(),
        ));
    };
    let txn = match object.remove("txn") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t.chars().count() <= MAX_TXN_CHARS => Some(t),
        Some(_) => {
            return Err(fail(
                None,
                ErrorCode::BadMessage,
                format!("txn must be a string of at most {MAX_TXN_CHARS} characters"),
            ));
        }
    };
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => {
            return Err(fail(
                txn,
                ErrorCode::BadMessage,
                "missing string field \"type\"".into(),
            ));
        }
    };
    if !CLIENT_MESSAGE_TYPES.contains(&kind.as_str()) {
        return Err(fail(
            txn,
            ErrorCode::UnknownType,
            format!("unknown message type {kind:?}"),
        ));
    }
    // Messages without arguments may omit the payload.
    let payload = object
        .remove("payload")
        .filter(|p| !p.is_null())
        .unwrap_or_else(|| Value::Object(Default::default()));
    let envelope = serde_json::json!({ "type": kind, "payload": payload });
    match serde_json::from_value(envelope) {
        Ok(message) => Ok((txn, message)),
        Err(e) => Err(fail(
            txn,
            ErrorCode::BadMessage,
            format!("invalid payload for {kind}: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_type_is_a_variant_and_parses_with_minimal_payloads() {
        let pid = ParticipantId::random();
        let cases = [
            (r#"{"type":"session.auth","payload":{"token":"t"}}"#, true),
            (r#"{"type":"room.join"}"#, true),
            (
                r#"{"type":"room.join","payload":{"display_name":"Ada"}}"#,
                true,
            ),
            (
                r#"{"type":"room.join","payload":{"resume":"8d3b2f8e-3c1a-4f6e-9b7d-2a5c4e6f8a10"}}"#,
                true,
            ),
            (
                r#"{"type":"room.join","payload":{"resume":"not-an-id"}}"#,
                false,
            ),
            (r#"{"type":"hand.raise","txn":"1"}"#, true),
            (
                r#"{"type":"media.state","payload":{"mic":true,"camera":false,"screen":false}}"#,
                true,
            ),
            (r#"{"type":"chat.send","payload":{}}"#, false),
            (
                r#"{"type":"vote.open","payload":{"subject":"Budget","mode":"pseudonymous"}}"#,
                true,
            ),
            (
                r#"{"type":"vote.ballot","payload":{"vote_id":"8d3b2f8e-3c1a-4f6e-9b7d-2a5c4e6f8a10","option":"yes"}}"#,
                true,
            ),
            (
                r#"{"type":"vote.ballot","payload":{"vote_id":"8d3b2f8e-3c1a-4f6e-9b7d-2a5c4e6f8a10"}}"#,
                false,
            ),
            (
                r#"{"type":"vote.close","payload":{"vote_id":"8d3b2f8e-3c1a-4f6e-9b7d-2a5c4e6f8a10"}}"#,
                true,
            ),
            (
                r#"{"type":"vote.cancel","payload":{"vote_id":"x","reason":"wrong"}}"#,
                false,
            ),
            (
                r#"{"type":"moderation.mute","payload":{"participant_id":"nope"}}"#,
                false,
            ),
        ];
        for (text, ok) in cases {
            assert_eq!(parse_client_message(text).is_ok(), ok, "{text}");
        }
        let text = format!(
            r#"{{"type":"moderation.ban","txn":"x","payload":{{"participant_id":"{pid}"}}}}"#
        );
        assert_eq!(
            parse_client_message(&text),
            Ok((
                Some("x".into()),
                ClientMessage::Ban {
                    participant_id: pid
                }
            ))
        );
    }

    #[test]
    fn errors_keep_the_txn_and_name_the_problem() {
        let unknown = parse_client_message(r#"{"type":"x.y","txn":"7"}"#).unwrap_err();
        assert_eq!(unknown.code, ErrorCode::UnknownType);
        assert_eq!(unknown.txn.as_deref(), Some("7"));
        let bad = parse_client_message(r#"{"type":"chat.send","txn":"8","payload":{"text":5}}"#)
            .unwrap_err();
        assert_eq!(bad.code, ErrorCode::BadMessage);
        assert_eq!(bad.txn.as_deref(), Some("8"));
        for text in ["", "[]", "null", "{\"txn\":\"1\"}", "{\"type\":3}"] {
            assert_eq!(
                parse_client_message(text).unwrap_err().code,
                ErrorCode::BadMessage,
                "{text}"
            );
        }
        let huge = "x".repeat(MAX_FRAME_BYTES + 1);
        assert_eq!(
            parse_client_message(&huge).unwrap_err().code,
            ErrorCode::TooLarge
        );
    }

    #[test]
    fn reactions_come_from_the_allow_list_only() {
        for reaction in Reaction::ALL {
            let emoji = serde_json::to_value(reaction).unwrap();
            let text = format!(r#"{{"type":"reaction.send","payload":{{"emoji":{emoji}}}}}"#);
            assert_eq!(
                parse_client_message(&text),
                Ok((None, ClientMessage::SendReaction { emoji: reaction }))
            );
        }
        // Lookalikes (no variation selector), text and markup are refused.
        for emoji in [r#""❤""#, r#""ok""#, r#""<b>""#, r#""👍👍""#, "1", "null"] {
            let text =
                format!(r#"{{"type":"reaction.send","txn":"r","payload":{{"emoji":{emoji}}}}}"#);
            let error = parse_client_message(&text).unwrap_err();
            assert_eq!(error.code, ErrorCode::BadMessage, "{emoji}");
            assert_eq!(error.txn.as_deref(), Some("r"));
        }
    }

    #[test]
    fn polls_parse_with_defaults_and_refuse_malformed_answers() {
        let text =
            r#"{"type":"poll.create","payload":{"question":"Lunch?","options":["Yes","No"]}}"#;
        assert_eq!(
            parse_client_message(text),
            Ok((
                None,
                ClientMessage::CreatePoll(NewPoll {
                    question: "Lunch?".into(),
                    options: vec!["Yes".into(), "No".into()],
                    multiple: false,
                    anonymous: false,
                    results: PollResults::Live,
                    duration_secs: None,
                })
            ))
        );
        let text = r#"{"type":"poll.create","payload":{"question":"Q","options":["a","b"],"results":"at_close","duration_secs":60}}"#;
        assert!(matches!(
            parse_client_message(text),
            Ok((
                None,
                ClientMessage::CreatePoll(NewPoll {
                    results: PollResults::AtClose,
                    duration_secs: Some(60),
                    ..
                })
            ))
        ));
        for text in [
            r#"{"type":"poll.answer","payload":{"poll_id":1,"choices":[-1]}}"#,
            r#"{"type":"poll.answer","payload":{"poll_id":1,"choices":"a"}}"#,
            r#"{"type":"poll.answer","payload":{"choices":[0]}}"#,
            r#"{"type":"poll.create","payload":{"question":"Q","options":["a"],"results":"later"}}"#,
        ] {
            assert_eq!(
                parse_client_message(text).unwrap_err().code,
                ErrorCode::BadMessage,
                "{text}"
            );
        }
    }

    #[test]
    fn server_envelope_serializes_flat() {
        let envelope = ServerEnvelope {
            message: ServerMessage::ChatSent { id: 3 },
            txn: Some("a".into()),
        };
        assert_eq!(
            envelope.to_json(),
            r#"{"type":"chat.sent","payload":{"id":3},"txn":"a"}"#
        );
    }
}
