//! Control plane ↔ media bridge messages.
//!
//! The bridge knows nothing about users or permissions. The control plane (a room actor)
//! tells it who publishes, who may be heard and which videos each participant views; the
//! bridge answers with SDP and media events. Each command names its conference, and the
//! bridge keeps conferences strictly apart: no command or packet of one ever reaches another.

use crate::ids::{MeetingId, ParticipantId};
use serde::{Deserialize, Serialize};

/// Where a published track comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackSource {
    Microphone,
    Camera,
    Screen,
}

impl TrackSource {
    /// Whether the track carries video (camera or screen).
    pub fn is_video(self) -> bool {
        !matches!(self, TrackSource::Microphone)
    }
}

/// A transceiver of the publishing client, by its SDP media id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTrack {
    pub mid: String,
    pub source: TrackSource,
}

/// An m-line of a subscribe offer that carries one remote track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedTrack {
    pub mid: String,
    pub participant_id: ParticipantId,
    pub source: TrackSource,
}

/// A video tile the client shows, with its size in device pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewedTile {
    pub participant_id: ParticipantId,
    pub source: TrackSource,
    pub width: u32,
    pub height: u32,
}

/// Control plane → bridge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BridgeCommand {
    /// A participant was admitted: the bridge may accept its publish offer and will offer it
    /// the conference's tracks.
    AddParticipant {
        conference: MeetingId,
        participant: ParticipantId,
    },
    /// The participant's publish offer (first one or a renegotiation).
    PublishOffer {
        conference: MeetingId,
        participant: ParticipantId,
        sdp: String,
        tracks: Vec<PublishedTrack>,
    },
    /// The participant's answer to the bridge's last subscribe offer.
    SubscribeAnswer {
        conference: MeetingId,
        participant: ParticipantId,
        sdp: String,
    },
    /// Which videos the participant shows, and how large.
    View {
        conference: MeetingId,
        participant: ParticipantId,
        tiles: Vec<ViewedTile>,
    },
    /// Whether the participant's audio is forwarded (false while muted by a moderator).
    SetAudioAllowed {
        conference: MeetingId,
        participant: ParticipantId,
        allowed: bool,
    },
    /// The participant left or was removed: drop its connections and tracks.
    RemoveParticipant {
        conference: MeetingId,
        participant: ParticipantId,
    },
    /// The meeting ended: drop everything of it.
    CloseConference { conference: MeetingId },
}

impl BridgeCommand {
    /// The conference the command belongs to.
    pub fn conference(&self) -> MeetingId {
        match self {
            BridgeCommand::AddParticipant { conference, .. }
            | BridgeCommand::PublishOffer { conference, .. }
            | BridgeCommand::SubscribeAnswer { conference, .. }
            | BridgeCommand::View { conference, .. }
            | BridgeCommand::SetAudioAllowed { conference, .. }
            | BridgeCommand::RemoveParticipant { conference, .. }
            | BridgeCommand::CloseConference { conference } => *conference,
        }
    }
}

/// Bridge → control plane. Each event belongs to the conference it is delivered for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BridgeEvent {
    PublishAnswer {
        participant: ParticipantId,
        sdp: String,
    },
    SubscribeOffer {
        participant: ParticipantId,
        sdp: String,
        tracks: Vec<SubscribedTrack>,
    },
    ActiveSpeaker {
        participant: ParticipantId,
    },
    /// A command about this participant could not be carried out (e.g. invalid SDP).
    /// `code` is a signaling error code (`invalid_sdp`, `invalid_state`).
    Error {
        participant: ParticipantId,
        code: String,
        message: String,
    },
    /// The participant's media connection failed or timed out.
    MediaDisconnected {
        participant: ParticipantId,
    },
    /// The bridge hit an internal error (a bug) while handling this conference and dropped
    /// it with all its media; other conferences are unaffected. The control plane should end
    /// the meeting (`room.ended {reason: "internal_error"}`).
    ConferenceFailed {
        message: String,
    },
}
