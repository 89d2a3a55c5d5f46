//! What the participant engine needs from a server: joining, SDP exchange in both
//! directions and the choice of what to receive. One [`Driver`] per server kind (Plenum's
//! REST + signaling in [`crate::plenum`], Janus's VideoRoom in `crate::janus`); the engine
//! never learns which one it talks to.
//!
//! Both servers answer the client's *publish* offer and send the *subscribe* offer
//! themselves, so a session has one PeerConnection per direction: the client offers on
//! the first, the server on the second.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use crate::participant::{ParticipantError, ParticipantOutcome, ParticipantSpec, Window};

/// A room prepared by [`Driver::create_room`], in a form that can be handed to another
/// process (sharded runs join the rooms the coordinator created).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoomHandle(pub String);

impl fmt::Display for RoomHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A publisher as the server names it (Plenum: participant id; Janus: feed id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedId(pub String);

/// A simulcast layer, by the rids the publishers send (`q`, `h`, `f`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Low,
    Mid,
    High,
}

impl Layer {
    pub const ALL: [Layer; 3] = [Layer::Low, Layer::Mid, Layer::High];

    /// The RTP stream id of this layer.
    pub fn rid(self) -> &'static str {
        match self {
            Layer::Low => "q",
            Layer::Mid => "h",
            Layer::High => "f",
        }
    }

    /// The layer's index in the publisher's simulcast list (Janus's `substream`).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The client's publish offer and which of its m-lines carry what.
#[derive(Clone, Debug)]
pub struct PublishOffer {
    pub sdp: String,
    /// The microphone's mid, if the participant sends audio.
    pub audio_mid: Option<String>,
    /// The camera's mid (simulcast `q`/`h`/`f`), if the participant sends video.
    pub video_mid: Option<String>,
}

/// Something the server told a session that the engine must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The publishers of the room other than this session changed; the list is complete.
    Feeds(Vec<FeedId>),
    /// The server (re)offers the subscribe connection; answer with [`Session::answer`].
    SubscribeOffer { sdp: String },
}

/// Why a driver operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("HTTP {what}: {source}")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{what} answered {status}: {body}")]
    Status {
        what: String,
        status: u16,
        body: String,
    },
    #[error("WebSocket: {0}")]
    WebSocket(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    #[error("the server closed the signaling connection: {0}")]
    Closed(String),
    #[error("unexpected message from the server: {0}")]
    Protocol(String),
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("timed out waiting for {0}")]
    Timeout(String),
}

/// One kind of server.
pub trait Driver: Send + Sync + 'static {
    type Session: Session;

    /// Creates room number `index` of a run (no waiting room, no password).
    fn create_room(
        &self,
        index: usize,
    ) -> impl Future<Output = Result<RoomHandle, DriverError>> + Send;

    /// Joins `room` under `name`; the session is in the room when this returns.
    fn join(
        &self,
        room: &RoomHandle,
        name: &str,
    ) -> impl Future<Output = Result<Self::Session, DriverError>> + Send;

    /// Runs one participant of a run: the WebRTC participant engine signalling through
    /// this driver. The floor (`crate::floor`) runs its raw-SRTP participants instead.
    fn run_participant(
        self: Arc<Self>,
        spec: ParticipantSpec,
        joined: mpsc::Sender<()>,
        window: watch::Receiver<Option<Window>>,
    ) -> impl Future<Output = Result<ParticipantOutcome, ParticipantError>> + Send
    where
        Self: Sized,
    {
        crate::participant::run(self, spec, joined, window)
    }
}

/// One participant's signaling with the server.
pub trait Session: Send + 'static {
    /// Sends the publish offer; returns the server's answer.
    fn publish(
        &mut self,
        offer: PublishOffer,
    ) -> impl Future<Output = Result<String, DriverError>> + Send;

    /// Waits for the next event; keeps the session alive (token refresh, keepalives)
    /// meanwhile, so the engine calls it whenever it has nothing else to do.
    fn next_event(&mut self) -> impl Future<Output = Result<SessionEvent, DriverError>> + Send;

    /// Answers the latest [`SessionEvent::SubscribeOffer`].
    fn answer(&mut self, sdp: String) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Receive `feeds`: their audio, and their video at `layer`. Called with the complete
    /// list each time (Plenum: `media.view`; Janus: subscribe or update the subscription).
    fn view(
        &mut self,
        feeds: &[FeedId],
        layer: Layer,
    ) -> impl Future<Output = Result<(), DriverError>> + Send;
}
