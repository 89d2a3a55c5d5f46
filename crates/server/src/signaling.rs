//! The signaling WebSocket, `GET /api/v1/signaling` (docs/signaling.md).
//!
//! One task per socket. It authenticates the socket with a meeting-scoped token, keeps the
//! token's expiry (closing with 4401 when it passes without `session.refresh`), enforces the
//! frame size and rate limits, parses frames into typed messages and hands them to the
//! meeting's actor. Everything about the meeting itself is the actor's business.

use crate::audit::meeting::Participant;
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::meeting_actor::{ActorInput, MeetingError, OUTBOUND_QUEUE, Outbound};
use crate::state::AppState;
use crate::tokens::{Claims, TokenError, TokenKind};
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, MAX_FRAME_BYTES, ServerEnvelope, ServerMessage, close_code,
    parse_client_message,
};
use plenum_protocol::{MeetingId, UserId};
use plenum_room::{ConnectionId, Identity, SubjectKind};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, sleep_until, timeout};

/// How long a new socket may take to send `session.auth`.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Sustained messages per second per socket, and the burst allowed above it.
const RATE_PER_SECOND: f64 = 50.0;
const RATE_BURST: f64 = 100.0;

pub fn routes() -> Router<AppState> {
    Router::new().route("/signaling", get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = crate::authz::check_origin(&state, &headers) {
        return axum::response::IntoResponse::into_response(refused);
    }
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            let mut socket = Socket { ws: socket };
            if let Err(close) = serve(state, &mut socket, meta).await {
                socket.close(close.code, close.reason).await;
            }
        })
}

/// Why a socket is being closed.
struct Close {
    code: u16,
    reason: &'static str,
}

impl Close {
    fn new(code: u16, reason: &'static str) -> Self {
        Self { code, reason }
    }
}

struct Socket {
    ws: WebSocket,
}

impl Socket {
    async fn send(&mut self, message: ServerMessage, txn: Option<String>) -> Result<(), Close> {
        let text = ServerEnvelope { message, txn }.to_json();
        self.send_text(text).await
    }

    async fn send_text(&mut self, text: String) -> Result<(), Close> {
        self.ws
            .send(Message::Text(Utf8Bytes::from(text)))
            .await
            .map_err(|_| Close::new(1006, "send failed"))
    }

    async fn error(
        &mut self,
        txn: Option<String>,
        code: ErrorCode,
        message: String,
    ) -> Result<(), Close> {
        self.send(ServerMessage::Error { code, message }, txn).await
    }

    async fn close(&mut self, code: u16, reason: impl Into<String>) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.into()),
        };
        // The peer may already be gone; there is nobody left to tell.
        let _ = self.ws.send(Message::Close(Some(frame))).await;
    }

    /// The next text frame; `None` when the peer closed. Binary frames are protocol errors.
    async fn next_text(&mut self) -> Result<Option<String>, Close> {
        loop {
            match self.ws.recv().await {
                None | Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Ok(Message::Text(text))) => return Ok(Some(text.to_string())),
                Some(Ok(Message::Binary(_))) => {
                    return Err(Close::new(
                        close_code::PROTOCOL_VIOLATION,
                        "binary frames are not part of the protocol",
                    ));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                // Oversized frames and broken framing end up here.
                Some(Err(_)) => return Err(Close::new(1009, "frame too large or malformed")),
            }
        }
    }
}

/// A validated meeting token bound to this socket.
struct Session {
    /// Where the socket came from, for audit entries.
    meta: RequestMeta,
    meeting: MeetingId,
    subject: UserId,
    /// The login session the token belongs to (none for guests).
    sid: Option<String>,
    expires_at: Instant,
}

async fn serve(state: AppState, socket: &mut Socket, meta: RequestMeta) -> Result<(), Close> {
    let (session, claims) = authenticate(&state, socket, &meta).await?;
    let actor = match state.meetings.actor(&state, session.meeting).await {
        Ok(actor) => actor,
        Err(MeetingError::NotFound) => {
            return Err(Close::new(close_code::MEETING_GONE, "meeting not found"));
        }
        Err(error) => {
            tracing::error!(%error, "could not start the meeting");
            return Err(Close::new(
                close_code::INTERNAL_ERROR,
                "meeting unavailable",
            ));
        }
    };
    let conn = state.meetings.next_connection_id();
    let (outbound_tx, outbound) = mpsc::channel(OUTBOUND_QUEUE);
    let identity = identity(&claims);
    if actor
        .send(ActorInput::Connect {
            conn,
            identity,
            participant: Participant::new(&claims, meta.clone()),
            outbound: outbound_tx,
        })
        .is_err()
    {
        return Err(Close::new(close_code::MEETING_GONE, "meeting ended"));
    }
    let result = pump(&state, socket, session, conn, &actor, outbound).await;
    // The actor may have ended already; then there is nobody to tell.
    let _ = actor.send(ActorInput::Disconnect { conn });
    result
}

/// Waits for `session.auth` and checks its token.
async fn authenticate(
    state: &AppState,
    socket: &mut Socket,
    meta: &RequestMeta,
) -> Result<(Session, Claims), Close> {
    let first = timeout(AUTH_TIMEOUT, socket.next_text())
        .await
        .map_err(|_| Close::new(close_code::AUTH_TIMEOUT, "no session.auth in time"))??
        .ok_or(Close::new(1000, "closed before auth"))?;
    let (txn, token) = match parse_client_message(&first) {
        Ok((txn, ClientMessage::Auth { token })) => (txn, token),
        _ => {
            return Err(Close::new(
                close_code::PROTOCOL_VIOLATION,
                "the first message must be session.auth",
            ));
        }
    };
    let claims = match verify_meeting_token(state, &token).await {
        Ok(claims) => claims,
        Err(error) => {
            deny(state, meta, error.code()).await;
            return Err(Close::new(
                close_code::TOKEN_INVALID,
                token_close_reason(&error),
            ));
        }
    };
    let session = Session {
        meta: meta.clone(),
        meeting: claims_meeting(&claims)?,
        subject: claims.sub,
        sid: claims.sid.clone(),
        expires_at: expiry_instant(&claims),
    };
    socket
        .send(
            ServerMessage::Authenticated {
                expires_at: claims.expires_at_rfc3339(),
                meeting_id: session.meeting,
            },
            txn,
        )
        .await?;
    Ok((session, claims))
}

/// Records a refused signaling token as `access.denied`. Nothing in a refused token is
/// trusted, so the requester is anonymous; a storage failure is logged by `audit`.
async fn deny(state: &AppState, meta: &RequestMeta, reason: &'static str) {
    let event = AuditEvent::new(
        "access.denied",
        Outcome::Denied,
        EventActor::anonymous(plenum_protocol::DEFAULT_TENANT),
        "signaling",
    )
    .detail("reason", reason);
    let _ = state.audit(meta, event).await;
    crate::denial_burst::count_denial(state, meta).await;
}

/// Checks a meeting token: signature, claims, meeting scope, and that the login session
/// it was issued in has not ended (logout, revocation). A store failure refuses.
async fn verify_meeting_token(state: &AppState, token: &str) -> Result<Claims, TokenError> {
    let claims = state.tokens.verify_at(token, state.clock.now())?;
    if !claims.is_meeting_scoped() {
        return Err(TokenError::WrongKind);
    }
    match crate::authz::session_is_live(state, &claims).await {
        Ok(true) => Ok(claims),
        Ok(false) => Err(TokenError::Revoked),
        Err(error) => {
            tracing::error!(%error, "cannot check the token's session; refusing it");
            Err(TokenError::Revoked)
        }
    }
}

/// The close reason of a refused token (the client shows it; the code is 4401 for all).
fn token_close_reason(error: &TokenError) -> &'static str {
    match error {
        TokenError::Expired => "token expired",
        TokenError::WrongKind => "a meeting token is required",
        TokenError::Revoked => "session ended",
        _ => "invalid token",
    }
}

fn claims_meeting(claims: &Claims) -> Result<MeetingId, Close> {
    claims.mtg.ok_or(Close::new(
        close_code::TOKEN_INVALID,
        "token names no meeting",
    ))
}

/// The instant the token expires, to the sub-second: counting from whole seconds of "now"
/// would let a socket outlive its token by up to a second.
fn expiry_instant(claims: &Claims) -> Instant {
    let expires = std::time::UNIX_EPOCH + Duration::from_secs(claims.expires_at_unix());
    let remaining = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Instant::now() + remaining
}

fn identity(claims: &Claims) -> Identity {
    Identity {
        subject: claims.sub,
        kind: match claims.kind {
            TokenKind::Guest => SubjectKind::Guest,
            TokenKind::User | TokenKind::Meeting | TokenKind::Client => SubjectKind::User,
        },
        display_name: claims.name.clone(),
        role: claims.role_or_default(),
        invite_code: claims.inv.clone(),
    }
}

/// Moves frames between the socket and the actor until either side ends.
async fn pump(
    state: &AppState,
    socket: &mut Socket,
    mut session: Session,
    conn: ConnectionId,
    actor: &mpsc::UnboundedSender<ActorInput>,
    mut outbound: mpsc::Receiver<Outbound>,
) -> Result<(), Close> {
    let mut bucket = TokenBucket::new(Instant::now());
    let mut ended = state.sessions.subscribe();
    loop {
        tokio::select! {
            frame = socket.next_text() => {
                let Some(text) = frame? else { return Ok(()) };
                let now = Instant::now();
                if now >= session.expires_at {
                    return Err(Close::new(close_code::TOKEN_INVALID, "token expired"));
                }
                if !bucket.take(now) {
                    socket.error(None, ErrorCode::RateLimited, "too many messages".into()).await?;
                    continue;
                }
                match parse_client_message(&text) {
                    Err(error) => socket.error(error.txn, error.code, error.message).await?,
                    Ok((txn, ClientMessage::Refresh { token })) => {
                        refresh(state, socket, &mut session, txn, &token).await?;
                    }
                    Ok((txn, ClientMessage::Auth { .. })) => {
                        socket.error(txn, ErrorCode::InvalidState, "already authenticated".into()).await?;
                    }
                    Ok((txn, message)) => {
                        if actor.send(ActorInput::Message { conn, txn, message }).is_err() {
                            return Err(Close::new(close_code::MEETING_GONE, "meeting ended"));
                        }
                    }
                }
            }
            out = outbound.recv() => match out {
                Some(Outbound::Frame(text)) => socket.send_text(text).await?,
                Some(Outbound::Close { code, reason }) => {
                    socket.close(code, reason).await;
                    return Ok(());
                }
                // The actor dropped this socket without a close of its own: the socket could not
                // keep up with the meeting (or the actor stopped in that instant). 1013 "try
                // again later" tells the client its connection was lost, not that the meeting is gone.
                None => return Err(Close::new(1013, "too slow for the meeting; reconnect")),
            },
            () = sleep_until(session.expires_at) => {
                return Err(Close::new(close_code::TOKEN_INVALID, "token expired"));
            }
            end = ended.recv() => match end {
                Ok(end) if end.concerns(session.subject, session.sid.as_deref()) => {
                    return Err(Close::new(close_code::TOKEN_INVALID, "session ended"));
                }
                Ok(_) => {}
                // Missed announcements might have named this socket: it closes, and the
                // client reconnects if its session is still valid.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Err(Close::new(close_code::TOKEN_INVALID, "session state unknown; reconnect"));
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(Close::new(1001, "server stopping"));
                }
            },
        }
    }
}

/// `session.refresh`: a new token for the same meeting and subject extends the socket.
async fn refresh(
    state: &AppState,
    socket: &mut Socket,
    session: &mut Session,
    txn: Option<String>,
    token: &str,
) -> Result<(), Close> {
    let claims = match verify_meeting_token(state, token).await {
        Ok(claims) => claims,
        Err(error) => {
            deny(state, &session.meta, error.code()).await;
            return socket
                .error(
                    txn,
                    ErrorCode::InvalidToken,
                    token_close_reason(&error).into(),
                )
                .await;
        }
    };
    if claims.mtg != Some(session.meeting) || claims.sub != session.subject {
        return socket
            .error(
                txn,
                ErrorCode::InvalidToken,
                "token is for another meeting or subject".into(),
            )
            .await;
    }
    session.expires_at = expiry_instant(&claims);
    socket
        .send(
            ServerMessage::Refreshed {
                expires_at: claims.expires_at_rfc3339(),
            },
            txn,
        )
        .await
}

/// A classic token bucket: `RATE_PER_SECOND` sustained, `RATE_BURST` at once.
struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(now: Instant) -> Self {
        Self {
            tokens: RATE_BURST,
            last: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * RATE_PER_SECOND).min(RATE_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
