//! The Janus API over one WebSocket (subprotocol `janus-protocol`): requests carry a
//! transaction id; the core answers `success`/`error` at once, a plugin answers `ack` and
//! then an `event` with the same transaction. Messages without a transaction of ours are
//! events for the session (new publishers, offers, hangups); they are handed back to the
//! caller in order.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::driver::DriverError;

/// How long Janus may take to answer one request (a subscriber offer waits for ICE
/// gathering on the server, which takes a few hundred ms on loopback).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Largest message accepted from Janus: SDPs of a few dozen m-lines fit many times over.
const MAX_MESSAGE_BYTES: usize = 1 << 20;
pub const VIDEOROOM: &str = "janus.plugin.videoroom";
/// VideoRoom's `JANUS_VIDEOROOM_ERROR_NO_SUCH_FEED`: also the answer while a publisher
/// Janus already announced has not finished its ICE/DTLS setup.
const NO_SUCH_FEED: u64 = 428;
/// Pause between subscription attempts to a feed that is not up yet.
const FEED_RETRY: Duration = Duration::from_millis(100);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A message from Janus that was not the answer to a pending request.
#[derive(Debug)]
pub struct Unsolicited(pub Value);

/// The answer to a plugin request: the plugin's data and the JSEP, if any.
#[derive(Debug)]
pub struct PluginReply {
    pub data: Value,
    pub jsep: Option<Value>,
}

/// A plugin's `error` answer.
struct PluginRefusal {
    code: Option<u64>,
    reason: String,
}

/// One WebSocket with one Janus session on it.
pub struct Connection {
    socket: Socket,
    session_id: u64,
    next_transaction: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `url` (e.g. `ws://127.0.0.1:8188`) and creates a session.
    pub async fn open(url: &str) -> Result<Self, DriverError> {
        let mut request = url
            .into_client_request()
            .map_err(|e| DriverError::WebSocket(Box::new(e)))?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("janus-protocol"),
        );
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false)
                .await
                .map_err(|e| DriverError::WebSocket(Box::new(e)))?;
        let mut connection = Self {
            socket,
            session_id: 0,
            next_transaction: 0,
        };
        let mut early = Vec::new();
        let created = connection
            .core(json!({"janus": "create"}), &mut early)
            .await?;
        connection.session_id = id_of(&created, "create")?;
        Ok(connection)
    }

    /// Attaches a new handle to the VideoRoom plugin.
    pub async fn attach(&mut self, events: &mut Vec<Unsolicited>) -> Result<u64, DriverError> {
        let request =
            json!({"janus": "attach", "session_id": self.session_id, "plugin": VIDEOROOM});
        let attached = self.core(request, events).await?;
        id_of(&attached, "attach")
    }

    /// Keeps the session alive (Janus drops sessions silent for `session_timeout`).
    pub async fn keepalive(&mut self) -> Result<(), DriverError> {
        let transaction = self.transaction();
        let request = json!({"janus": "keepalive", "session_id": self.session_id, "transaction": transaction});
        self.send(&request).await
    }

    /// Tells Janus that the client's candidates are all in its SDP.
    pub async fn end_of_candidates(&mut self, handle: u64) -> Result<(), DriverError> {
        let transaction = self.transaction();
        let request = json!({
            "janus": "trickle", "session_id": self.session_id, "handle_id": handle,
            "transaction": transaction, "candidate": {"completed": true},
        });
        self.send(&request).await
    }

    /// Sends a plugin request (`body`, and `jsep` if given) and waits for its result:
    /// the synchronous `success` or the `event` that follows the `ack`. Messages that are
    /// not about this transaction are pushed to `events`.
    pub async fn plugin(
        &mut self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
        events: &mut Vec<Unsolicited>,
    ) -> Result<PluginReply, DriverError> {
        self.plugin_once(handle, body, jsep, events)
            .await?
            .map_err(|refusal| DriverError::Refused(refusal.reason))
    }

    /// A subscription request: Janus announces a publisher as soon as it has sent its
    /// offer, but refuses subscriptions to it (`No such feed`) until the publisher's
    /// PeerConnection is up, so that refusal is retried for a while.
    pub async fn subscribe(
        &mut self,
        handle: u64,
        body: Value,
        events: &mut Vec<Unsolicited>,
    ) -> Result<PluginReply, DriverError> {
        let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
        loop {
            match self.plugin_once(handle, body.clone(), None, events).await? {
                Ok(reply) => return Ok(reply),
                Err(refusal)
                    if refusal.code == Some(NO_SUCH_FEED)
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(FEED_RETRY).await;
                }
                Err(refusal) => return Err(DriverError::Refused(refusal.reason)),
            }
        }
    }

    async fn plugin_once(
        &mut self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
        events: &mut Vec<Unsolicited>,
    ) -> Result<Result<PluginReply, PluginRefusal>, DriverError> {
        let transaction = self.transaction();
        let mut request = json!({
            "janus": "message", "session_id": self.session_id, "handle_id": handle,
            "transaction": transaction, "body": body,
        });
        if let Some(jsep) = jsep {
            request["jsep"] = jsep;
        }
        self.send(&request).await?;
        let what = body_request(&request);
        let reply = self.await_transaction(&transaction, &what, events).await?;
        let data = reply["plugindata"]["data"].clone();
        if let Some(error) = data.get("error") {
            return Ok(Err(PluginRefusal {
                code: data["error_code"].as_u64(),
                reason: format!("{what}: {error}"),
            }));
        }
        let jsep = reply.get("jsep").cloned();
        Ok(Ok(PluginReply { data, jsep }))
    }

    /// The next message from Janus that no request is waiting for.
    pub async fn next_message(&mut self) -> Result<Value, DriverError> {
        loop {
            let frame = self
                .socket
                .next()
                .await
                .ok_or_else(|| DriverError::Closed("Janus closed the WebSocket".into()))?
                .map_err(|e| DriverError::WebSocket(Box::new(e)))?;
            match frame {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str())
                        .map_err(|e| DriverError::Protocol(format!("not JSON: {e}")));
                }
                Message::Close(frame) => {
                    return Err(DriverError::Closed(format!("{frame:?}")));
                }
                _ => continue,
            }
        }
    }

    /// A core request (`create`, `attach`): waits for `success` and returns it.
    async fn core(
        &mut self,
        mut request: Value,
        events: &mut Vec<Unsolicited>,
    ) -> Result<Value, DriverError> {
        let transaction = self.transaction();
        request["transaction"] = Value::String(transaction.clone());
        let what = request["janus"].as_str().unwrap_or("request").to_owned();
        self.send(&request).await?;
        self.await_transaction(&transaction, &what, events).await
    }

    async fn await_transaction(
        &mut self,
        transaction: &str,
        what: &str,
        events: &mut Vec<Unsolicited>,
    ) -> Result<Value, DriverError> {
        let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.next_message())
                .await
                .map_err(|_| DriverError::Timeout(format!("Janus's answer to {what}")))??;
            if message["transaction"].as_str() != Some(transaction) {
                events.push(Unsolicited(message));
                continue;
            }
            match message["janus"].as_str() {
                Some("ack") => continue,
                Some("success") | Some("event") => return Ok(message),
                Some("error") => {
                    return Err(DriverError::Refused(format!(
                        "{what}: {}",
                        message["error"]
                    )));
                }
                _ => return Err(DriverError::Protocol(format!("{what}: {message}"))),
            }
        }
    }

    async fn send(&mut self, request: &Value) -> Result<(), DriverError> {
        self.socket
            .send(Message::text(request.to_string()))
            .await
            .map_err(|e| DriverError::WebSocket(Box::new(e)))
    }

    fn transaction(&mut self) -> String {
        self.next_transaction += 1;
        format!("t{}", self.next_transaction)
    }
}

fn id_of(reply: &Value, what: &str) -> Result<u64, DriverError> {
    reply["data"]["id"]
        .as_u64()
        .ok_or_else(|| DriverError::Protocol(format!("{what} answered without an id: {reply}")))
}

fn body_request(request: &Value) -> String {
    request["body"]["request"]
        .as_str()
        .unwrap_or("plugin request")
        .to_owned()
}
