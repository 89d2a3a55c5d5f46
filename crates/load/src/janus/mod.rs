//! The Janus VideoRoom driver (Janus 1.x, multistream): the same synthetic participants
//! as against Plenum, through Janus's JSON API over WebSocket.
//!
//! Each participant has its own Janus session on its own WebSocket, with two handles: the
//! *publisher* handle joins the room as a publisher (and learns of the other publishers
//! from it) and publishes the client's offer; the *subscriber* handle, attached on the
//! first [`Session::view`], subscribes to all viewed feeds in one PeerConnection — Janus
//! sends that offer and the client answers with `start`. The simulcast layer is chosen
//! per video stream with `configure` (`substream`). Candidates travel inside the SDPs.

mod api;

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::driver::{
    Driver, DriverError, FeedId, Layer, PublishOffer, RoomHandle, Session, SessionEvent,
};
use api::{Connection, Unsolicited};

/// Keepalive period: Janus ends sessions silent for `session_timeout` (60 s by default).
const KEEPALIVE: Duration = Duration::from_secs(20);
/// Publishers a room admits: above what any scenario of the benchmark puts in one room.
const MAX_PUBLISHERS_PER_ROOM: u32 = 100;

/// Talks to one Janus instance at `url` (its WebSocket transport).
#[derive(Debug, Clone)]
pub struct JanusDriver {
    url: String,
}

impl JanusDriver {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

impl Driver for JanusDriver {
    type Session = JanusSession;

    async fn create_room(&self, index: usize) -> Result<RoomHandle, DriverError> {
        let mut connection = Connection::open(&self.url).await?;
        let mut ignored = Vec::new();
        let handle = connection.attach(&mut ignored).await?;
        // Janus picks the room number, so repeated runs against one Janus never collide.
        // No periodic keyframe requests (fir_freq 0): neither does Plenum.
        let body = json!({
            "request": "create",
            "description": format!("plenum-load room {index}"),
            "publishers": MAX_PUBLISHERS_PER_ROOM,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "fir_freq": 0,
            "notify_joining": false,
        });
        let reply = connection.plugin(handle, body, None, &mut ignored).await?;
        let room = reply.data["room"]
            .as_u64()
            .ok_or_else(|| DriverError::Protocol(format!("create: no room in {}", reply.data)))?;
        Ok(RoomHandle(room.to_string()))
    }

    async fn join(&self, room: &RoomHandle, name: &str) -> Result<JanusSession, DriverError> {
        let room: u64 = room
            .0
            .parse()
            .map_err(|_| DriverError::Protocol(format!("Janus room {room} is not a number")))?;
        let mut connection = Connection::open(&self.url).await?;
        let mut unsolicited = Vec::new();
        let publisher = connection.attach(&mut unsolicited).await?;
        let body = json!({"request": "join", "ptype": "publisher", "room": room, "display": name});
        let joined = connection
            .plugin(publisher, body, None, &mut unsolicited)
            .await?;
        let own_feed = joined.data["id"]
            .as_u64()
            .ok_or_else(|| DriverError::Protocol(format!("join: no id in {}", joined.data)))?;
        let mut session = JanusSession {
            connection,
            room,
            publisher,
            own_feed,
            subscriber: None,
            feeds: BTreeSet::new(),
            subscribed: BTreeSet::new(),
            video_mids: Vec::new(),
            layer: None,
            pending: VecDeque::new(),
            next_keepalive: Instant::now() + KEEPALIVE,
        };
        session.add_publishers(&joined.data["publishers"]);
        session.pending.push_back(session.feeds_event());
        session.absorb(unsolicited)?;
        Ok(session)
    }
}

/// One participant's Janus session.
#[derive(Debug)]
pub struct JanusSession {
    connection: Connection,
    room: u64,
    publisher: u64,
    own_feed: u64,
    subscriber: Option<u64>,
    /// Publishers in the room other than this participant, as Janus announced them.
    feeds: BTreeSet<u64>,
    /// Feeds with an active stream in the subscriber PeerConnection.
    subscribed: BTreeSet<u64>,
    /// The subscriber's video mids (each gets the viewed simulcast layer).
    video_mids: Vec<String>,
    /// The layer last configured on `video_mids`.
    layer: Option<Layer>,
    pending: VecDeque<SessionEvent>,
    next_keepalive: Instant,
}

impl Session for JanusSession {
    async fn publish(&mut self, offer: PublishOffer) -> Result<String, DriverError> {
        let jsep = json!({"type": "offer", "sdp": offer.sdp});
        let mut unsolicited = Vec::new();
        let reply = self
            .connection
            .plugin(
                self.publisher,
                json!({"request": "publish"}),
                Some(jsep),
                &mut unsolicited,
            )
            .await?;
        self.absorb(unsolicited)?;
        self.connection.end_of_candidates(self.publisher).await?;
        answer_sdp(reply.jsep.as_ref(), "answer")
            .ok_or_else(|| DriverError::Protocol(format!("publish: no answer in {}", reply.data)))
    }

    async fn next_event(&mut self) -> Result<SessionEvent, DriverError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            let message = tokio::select! {
                message = self.connection.next_message() => message?,
                () = tokio::time::sleep_until(self.next_keepalive) => {
                    self.connection.keepalive().await?;
                    self.next_keepalive = Instant::now() + KEEPALIVE;
                    continue;
                }
            };
            self.handle(message)?;
        }
    }

    async fn answer(&mut self, sdp: String) -> Result<(), DriverError> {
        let subscriber = self
            .subscriber
            .ok_or_else(|| DriverError::Protocol("an answer without a subscription".into()))?;
        let jsep = json!({"type": "answer", "sdp": sdp});
        let mut unsolicited = Vec::new();
        self.connection
            .plugin(
                subscriber,
                json!({"request": "start"}),
                Some(jsep),
                &mut unsolicited,
            )
            .await?;
        self.absorb(unsolicited)?;
        self.connection.end_of_candidates(subscriber).await
    }

    async fn view(&mut self, feeds: &[FeedId], layer: Layer) -> Result<(), DriverError> {
        let wanted = feeds
            .iter()
            .map(|feed| {
                feed.0.parse::<u64>().map_err(|_| {
                    DriverError::Protocol(format!("Janus feed {} is not a number", feed.0))
                })
            })
            .collect::<Result<BTreeSet<u64>, _>>()?;
        let mut unsolicited = Vec::new();
        let reply = match self.subscriber {
            None if wanted.is_empty() => return Ok(()),
            None => {
                let handle = self.connection.attach(&mut unsolicited).await?;
                self.subscriber = Some(handle);
                let body = json!({
                    "request": "join", "ptype": "subscriber", "room": self.room,
                    "streams": feed_list(&wanted),
                });
                Some(
                    self.connection
                        .subscribe(handle, body, &mut unsolicited)
                        .await?,
                )
            }
            Some(handle) => {
                let subscribe: BTreeSet<u64> =
                    wanted.difference(&self.subscribed).copied().collect();
                let unsubscribe: BTreeSet<u64> =
                    self.subscribed.difference(&wanted).copied().collect();
                if subscribe.is_empty() && unsubscribe.is_empty() {
                    None
                } else {
                    let mut body = json!({"request": "update"});
                    if !subscribe.is_empty() {
                        body["subscribe"] = feed_list(&subscribe);
                    }
                    if !unsubscribe.is_empty() {
                        body["unsubscribe"] = feed_list(&unsubscribe);
                    }
                    Some(
                        self.connection
                            .subscribe(handle, body, &mut unsolicited)
                            .await?,
                    )
                }
            }
        };
        if let Some(reply) = reply {
            // Janus's answer to `update` may carry no stream list (it follows in a later
            // event): record the requested set meanwhile, or the next view would
            // subscribe the same feeds again (multistream allows duplicates).
            if reply.data["streams"].as_array().is_none() {
                self.subscribed = wanted;
            }
            self.subscription_changed(&reply.data, reply.jsep.as_ref());
            // A new stream starts at Janus's default layer: configure again.
            self.layer = None;
        }
        self.absorb(unsolicited)?;
        self.configure_layer(layer).await
    }
}

impl JanusSession {
    /// Asks Janus to forward `layer` on every subscribed video stream.
    async fn configure_layer(&mut self, layer: Layer) -> Result<(), DriverError> {
        let Some(subscriber) = self.subscriber else {
            return Ok(());
        };
        if self.layer == Some(layer) || self.video_mids.is_empty() {
            return Ok(());
        }
        let streams: Vec<Value> = self
            .video_mids
            .iter()
            .map(|mid| json!({"mid": mid, "substream": layer.index()}))
            .collect();
        let body = json!({"request": "configure", "streams": streams});
        let mut unsolicited = Vec::new();
        self.connection
            .plugin(subscriber, body, None, &mut unsolicited)
            .await?;
        self.layer = Some(layer);
        self.absorb(unsolicited)
    }

    fn absorb(&mut self, messages: Vec<Unsolicited>) -> Result<(), DriverError> {
        messages
            .into_iter()
            .try_for_each(|Unsolicited(message)| self.handle(message))
    }

    /// Acts on a message Janus sent on its own: publishers coming and going, a new
    /// subscriber offer, the end of a handle or of the session.
    fn handle(&mut self, message: Value) -> Result<(), DriverError> {
        let sender = message["sender"].as_u64();
        match message["janus"].as_str() {
            Some("event") => {
                let data = &message["plugindata"]["data"];
                if sender == Some(self.publisher) {
                    let before = self.feeds.clone();
                    self.add_publishers(&data["publishers"]);
                    for gone in ["unpublished", "leaving", "kicked"] {
                        if let Some(feed) = data[gone].as_u64() {
                            self.feeds.remove(&feed);
                        }
                    }
                    if self.feeds != before {
                        self.pending.push_back(self.feeds_event());
                    }
                } else if sender.is_some() && sender == self.subscriber {
                    self.subscription_changed(data, message.get("jsep"));
                }
                Ok(())
            }
            Some("hangup") | Some("detached") if sender == Some(self.publisher) => {
                Err(DriverError::Closed(format!(
                    "Janus hung up the publisher: {}",
                    message["reason"]
                )))
            }
            Some("timeout") => Err(DriverError::Closed("Janus timed the session out".into())),
            _ => Ok(()),
        }
    }

    /// Records the streams of an `attached`/`updated` event and queues its offer.
    fn subscription_changed(&mut self, data: &Value, jsep: Option<&Value>) {
        if let Some(streams) = data["streams"].as_array() {
            let active = |stream: &&Value| stream["active"].as_bool() != Some(false);
            self.subscribed = streams
                .iter()
                .filter(active)
                .filter_map(|stream| stream["feed_id"].as_u64())
                .collect();
            self.video_mids = streams
                .iter()
                .filter(active)
                .filter(|stream| stream["type"].as_str() == Some("video"))
                .filter_map(|stream| stream["mid"].as_str().map(str::to_owned))
                .collect();
        }
        if let Some(sdp) = answer_sdp(jsep, "offer") {
            self.pending.push_back(SessionEvent::SubscribeOffer { sdp });
        }
    }

    fn add_publishers(&mut self, publishers: &Value) {
        let ids = publishers
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|publisher| publisher["id"].as_u64())
            .filter(|id| *id != self.own_feed);
        self.feeds.extend(ids);
    }

    fn feeds_event(&self) -> SessionEvent {
        SessionEvent::Feeds(self.feeds.iter().map(|id| FeedId(id.to_string())).collect())
    }
}

/// `[{"feed": id}, …]` as Janus's subscribe lists want it.
fn feed_list(feeds: &BTreeSet<u64>) -> Value {
    feeds.iter().map(|feed| json!({"feed": feed})).collect()
}

/// The SDP of a JSEP of the given type.
fn answer_sdp(jsep: Option<&Value>, kind: &str) -> Option<String> {
    let jsep = jsep?;
    (jsep["type"].as_str() == Some(kind))
        .then(|| jsep["sdp"].as_str().map(str::to_owned))
        .flatten()
}
