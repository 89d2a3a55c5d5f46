//! The [`Driver`] for Plenum: its real REST API and signaling (docs/signaling.md).
//!
//! Rooms: an administrator logs in, creates a meeting without waiting room and an invite;
//! the room handle is the invite code. Participants join as guests through the invite
//! (`guest-token`), open `/api/v1/signaling`, authenticate and join, and refresh their
//! token before it expires.

use crate::driver::{
    Driver, DriverError, FeedId, Layer, PublishOffer, RoomHandle, Session, SessionEvent,
};
use futures_util::{SinkExt, StreamExt};
use plenum_protocol::ParticipantId;
use plenum_protocol::bridge::{PublishedTrack, TrackSource, ViewedTile};
use plenum_protocol::rest::{
    CreateInvite, CreateMeeting, GuestTokenRequest, Invite, LoginRequest, Meeting,
    MeetingTokenResponse, SessionResponse,
};
use plenum_protocol::signaling::{ClientMessage, ServerMessage};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long to wait for a direct answer of the server.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// Refresh the meeting token this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Plenum's REST API, logged in as the administrator that creates the rooms.
#[derive(Debug)]
pub struct PlenumDriver {
    http: reqwest::Client,
    /// `http://host:port`, without trailing slash.
    base: String,
    /// The administrator's access token; only needed to create rooms.
    admin_token: Option<String>,
}

impl PlenumDriver {
    /// A driver that only joins existing rooms (a shard of a coordinated run).
    pub fn new(base_url: &str) -> PlenumDriver {
        PlenumDriver {
            http: reqwest::Client::new(),
            base: base_url.trim_end_matches('/').to_owned(),
            admin_token: None,
        }
    }

    /// Logs in as `username` so rooms can be created.
    pub async fn login(
        base_url: &str,
        username: &str,
        password: &str,
    ) -> Result<PlenumDriver, DriverError> {
        let mut driver = PlenumDriver::new(base_url);
        let session: SessionResponse = driver
            .post(
                "/auth/login",
                None,
                &LoginRequest {
                    username: username.to_owned(),
                    password: password.to_owned(),
                },
            )
            .await?;
        driver.admin_token = Some(session.access_token);
        Ok(driver)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> Result<T, DriverError> {
        post(&self.http, &self.base, path, token, body).await
    }
}

async fn post<T: DeserializeOwned>(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &impl Serialize,
) -> Result<T, DriverError> {
    let what = format!("POST {path}");
    let http_error = |source| DriverError::Http {
        what: what.clone(),
        source,
    };
    let mut request = http.post(format!("{base}/api/v1{path}")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(http_error)?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(DriverError::Status {
            what,
            status: status.as_u16(),
            body,
        });
    }
    response.json().await.map_err(http_error)
}

impl Driver for PlenumDriver {
    type Session = PlenumSession;

    async fn create_room(&self, index: usize) -> Result<RoomHandle, DriverError> {
        let token = self.admin_token.as_deref().ok_or_else(|| {
            DriverError::Refused("creating rooms needs the administrator's login".into())
        })?;
        let meeting: Meeting = self
            .post(
                "/meetings",
                Some(token),
                &CreateMeeting {
                    title: format!("plenum-load room {index}"),
                    description: None,
                    password: None,
                    waiting_room: false,
                    starts_at: None,
                },
            )
            .await?;
        let invite: Invite = self
            .post(
                &format!("/meetings/{}/invites", meeting.id),
                Some(token),
                &CreateInvite::default(),
            )
            .await?;
        Ok(RoomHandle(invite.code))
    }

    async fn join(&self, room: &RoomHandle, name: &str) -> Result<PlenumSession, DriverError> {
        let grant: MeetingTokenResponse = self
            .post(
                &format!("/invites/{}/guest-token", room.0),
                None,
                &GuestTokenRequest {
                    display_name: name.to_owned(),
                    password: None,
                },
            )
            .await?;
        let url = format!("{}/api/v1/signaling", self.base.replacen("http", "ws", 1));
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| DriverError::WebSocket(Box::new(e)))?;
        let mut session = PlenumSession {
            socket,
            http: self.http.clone(),
            base: self.base.clone(),
            invite: room.0.clone(),
            refresh_at: refresh_time(&grant.expires_at),
            token: grant.access_token,
            own_id: None,
            feeds: BTreeMap::new(),
            events: VecDeque::new(),
        };
        let token = session.token.clone();
        session.send(&ClientMessage::Auth { token }).await?;
        session
            .wait_for("session.authenticated", |m| {
                matches!(m, ServerMessage::Authenticated { .. })
            })
            .await?;
        session
            .send(&ClientMessage::Join {
                display_name: Some(name.to_owned()),
                resume: None,
            })
            .await?;
        let joined = session
            .wait_for("room.join_success", |m| {
                matches!(m, ServerMessage::JoinSuccess { .. })
            })
            .await?;
        if let ServerMessage::JoinSuccess { me, .. } = joined {
            session.own_id = Some(me.id);
        }
        Ok(session)
    }
}

/// When to refresh a token that expires at `expires_at` (RFC 3339).
fn refresh_time(expires_at: &str) -> Instant {
    let format = time::format_description::well_known::Rfc3339;
    let left = time::OffsetDateTime::parse(expires_at, &format)
        .map(|at| at - time::OffsetDateTime::now_utc())
        .ok()
        .and_then(|left| Duration::try_from(left).ok())
        .unwrap_or_default();
    // Halfway at the latest, so even a short-lived token is refreshed in time.
    Instant::now() + left.saturating_sub(REFRESH_MARGIN).max(left / 2)
}

/// One guest's signaling connection.
pub struct PlenumSession {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    http: reqwest::Client,
    base: String,
    invite: String,
    token: String,
    refresh_at: Instant,
    own_id: Option<ParticipantId>,
    /// Remote publishers by the latest subscribe offer, and whether they send a camera.
    feeds: BTreeMap<ParticipantId, bool>,
    /// Events that arrived while waiting for a direct answer.
    events: VecDeque<SessionEvent>,
}

impl PlenumSession {
    async fn send(&mut self, message: &ClientMessage) -> Result<(), DriverError> {
        let text = serde_json::to_string(message)
            .map_err(|e| DriverError::Protocol(format!("cannot encode: {e}")))?;
        self.socket
            .send(Message::text(text))
            .await
            .map_err(|e| DriverError::WebSocket(Box::new(e)))
    }

    /// Reads frames until one matches `wanted`, queueing the events that came first.
    async fn wait_for(
        &mut self,
        what: &str,
        wanted: impl Fn(&ServerMessage) -> bool,
    ) -> Result<ServerMessage, DriverError> {
        let deadline = tokio::time::Instant::now() + ANSWER_TIMEOUT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.read())
                .await
                .map_err(|_| DriverError::Timeout(what.to_owned()))??;
            if wanted(&message) {
                return Ok(message);
            }
            self.absorb(message)?;
        }
    }

    /// The next server message this client understands.
    async fn read(&mut self) -> Result<ServerMessage, DriverError> {
        loop {
            let frame = self
                .socket
                .next()
                .await
                .ok_or_else(|| DriverError::Closed("end of stream".into()))?
                .map_err(|e| DriverError::WebSocket(Box::new(e)))?;
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(close) => {
                    return Err(DriverError::Closed(
                        close
                            .map(|c| format!("{} {}", c.code, c.reason))
                            .unwrap_or_default(),
                    ));
                }
                _ => continue,
            };
            // Messages this client has no use for (chat, hands, newer features) may not
            // parse into this build's types; those it needs do.
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(message) => return Ok(message),
                Err(e) if text.contains("\"media.") || text.contains("\"error\"") => {
                    return Err(DriverError::Protocol(format!("{e}: {text}")));
                }
                Err(_) => continue,
            }
        }
    }

    /// Turns a server message into session events (or an error).
    fn absorb(&mut self, message: ServerMessage) -> Result<(), DriverError> {
        match message {
            ServerMessage::SubscribeOffer { sdp, tracks } => {
                let mut feeds = BTreeMap::new();
                for track in tracks {
                    let camera = feeds.entry(track.participant_id).or_insert(false);
                    *camera |= track.source == TrackSource::Camera;
                }
                if feeds != self.feeds {
                    self.feeds = feeds;
                    self.events.push_back(self.feeds_event());
                }
                self.events.push_back(SessionEvent::SubscribeOffer { sdp });
            }
            ServerMessage::ParticipantLeft { id } if self.feeds.remove(&id).is_some() => {
                self.events.push_back(self.feeds_event());
            }
            ServerMessage::Error { code, message } => {
                return Err(DriverError::Refused(format!("{code:?}: {message}")));
            }
            ServerMessage::Removed { reason } | ServerMessage::Ended { reason } => {
                return Err(DriverError::Closed(format!("{reason:?}")));
            }
            _ => {}
        }
        Ok(())
    }

    fn feeds_event(&self) -> SessionEvent {
        SessionEvent::Feeds(self.feeds.keys().map(|id| FeedId(id.to_string())).collect())
    }

    async fn refresh(&mut self) -> Result<(), DriverError> {
        let grant: MeetingTokenResponse = post(
            &self.http,
            &self.base,
            &format!("/invites/{}/guest-token/refresh", self.invite),
            Some(&self.token),
            &serde_json::json!({}),
        )
        .await?;
        self.refresh_at = refresh_time(&grant.expires_at);
        self.token = grant.access_token;
        let token = self.token.clone();
        self.send(&ClientMessage::Refresh { token }).await
    }
}

impl Session for PlenumSession {
    async fn publish(&mut self, offer: PublishOffer) -> Result<String, DriverError> {
        let tracks = offer
            .audio_mid
            .map(|mid| PublishedTrack {
                mid,
                source: TrackSource::Microphone,
            })
            .into_iter()
            .chain(offer.video_mid.map(|mid| PublishedTrack {
                mid,
                source: TrackSource::Camera,
            }))
            .collect();
        self.send(&ClientMessage::PublishOffer {
            sdp: offer.sdp,
            tracks,
        })
        .await?;
        match self
            .wait_for("media.publish_answer", |m| {
                matches!(m, ServerMessage::PublishAnswer { .. })
            })
            .await?
        {
            ServerMessage::PublishAnswer { sdp } => Ok(sdp),
            other => Err(DriverError::Protocol(format!("{other:?}"))),
        }
    }

    async fn next_event(&mut self) -> Result<SessionEvent, DriverError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(event);
            }
            let refresh_at = tokio::time::Instant::from(self.refresh_at);
            let message = tokio::select! {
                message = self.read() => Some(message?),
                () = tokio::time::sleep_until(refresh_at) => None,
            };
            match message {
                Some(message) => self.absorb(message)?,
                None => self.refresh().await?,
            }
        }
    }

    async fn answer(&mut self, sdp: String) -> Result<(), DriverError> {
        self.send(&ClientMessage::SubscribeAnswer { sdp }).await
    }

    async fn view(&mut self, feeds: &[FeedId], layer: Layer) -> Result<(), DriverError> {
        // Tiles sized so the SFU picks `layer` (docs/signaling.md: height ≤ 240 → q,
        // ≤ 480 → h, else f).
        let (width, height) = match layer {
            Layer::Low => (320, 180),
            Layer::Mid => (640, 360),
            Layer::High => (1280, 720),
        };
        let wanted: BTreeSet<&str> = feeds.iter().map(|f| f.0.as_str()).collect();
        let tiles = self
            .feeds
            .iter()
            .filter(|(id, camera)| **camera && wanted.contains(id.to_string().as_str()))
            .filter(|(id, _)| Some(**id) != self.own_id)
            .map(|(id, _)| ViewedTile {
                participant_id: *id,
                source: TrackSource::Camera,
                width,
                height,
            })
            .collect();
        self.send(&ClientMessage::View { tiles }).await
    }
}
