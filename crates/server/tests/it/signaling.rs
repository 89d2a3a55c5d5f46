//! The signaling WebSocket over a real socket: token checks at connect and on expiry,
//! refresh, bad input answered per contract while the meeting goes on, and two meetings
//! kept apart.

use crate::common::TestApp;
use futures_util::{SinkExt as _, StreamExt as _};
use plenum_protocol::MeetingId;
use plenum_protocol::signaling::Role;
use plenum_server::tokens::{AUDIENCE, Claims, TokenKind, TokenService, generate_pem};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Long enough for any answer on a loaded 2-core machine; only reached when a test fails.
const ANSWER_DEADLINE: Duration = Duration::from_secs(10);

pub(crate) struct Served {
    pub(crate) app: TestApp,
    pub(crate) addr: SocketAddr,
}

pub(crate) async fn serve() -> Served {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Served { app, addr }
}

impl Served {
    /// A meeting owned by alice, and a meeting token of hers for it.
    pub(crate) async fn meeting(&self, waiting_room: bool) -> (MeetingId, String) {
        let token = self.app.login("alice").await;
        let id = self
            .app
            .create_meeting(
                &token,
                json!({"title": "Board", "waiting_room": waiting_room}),
            )
            .await;
        let meeting: MeetingId = id.parse().unwrap();
        let owner = self.app.state.tokens.issue_meeting(
            user_id(&self.app, "alice").await,
            "Alice",
            meeting,
            Role::Owner,
            OffsetDateTime::now_utc(),
        );
        (meeting, owner.token)
    }

    pub(crate) fn guest_token(&self, meeting: MeetingId, name: &str) -> String {
        self.app
            .state
            .tokens
            .issue_guest(
                plenum_protocol::UserId::random(),
                name,
                meeting,
                "code",
                OffsetDateTime::now_utc(),
            )
            .token
    }

    pub(crate) async fn connect(&self) -> Ws {
        let url = format!("ws://{}/api/v1/signaling", self.addr);
        connect_async(url).await.unwrap().0
    }

    /// Connects, authenticates and joins; returns the socket after `room.join_success`.
    pub(crate) async fn join(&self, token: &str) -> Ws {
        let mut ws = self.connect().await;
        send(
            &mut ws,
            json!({"type": "session.auth", "payload": {"token": token}}),
        )
        .await;
        expect(&mut ws, "session.authenticated").await;
        send(&mut ws, json!({"type": "room.join"})).await;
        expect(&mut ws, "room.join_success").await;
        ws
    }
}

async fn user_id(app: &TestApp, name: &str) -> plenum_protocol::UserId {
    app.state.store.user_by_username(name).await.unwrap().id
}

pub(crate) async fn send(ws: &mut Ws, value: Value) {
    ws.send(Message::text(value.to_string())).await.unwrap();
}

/// The next JSON message, skipping none; panics on close or timeout.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(ANSWER_DEADLINE, ws.next())
            .await
            .expect("no message in time")
            .expect("socket ended")
            .expect("socket error");
        match frame {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Close(frame) => panic!("closed unexpectedly: {frame:?}"),
            _ => continue,
        }
    }
}

/// Reads until a message of `kind` arrives (others, e.g. participant events, are skipped).
pub(crate) async fn expect(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let message = next(ws).await;
        if message["type"] == kind {
            return message;
        }
    }
}

/// Reads until the server closes; returns the close code.
pub(crate) async fn closed_with(ws: &mut Ws, deadline: Duration) -> u16 {
    loop {
        let frame = tokio::time::timeout(deadline, ws.next())
            .await
            .expect("not closed in time");
        match frame {
            Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
            Some(Ok(Message::Close(None))) | None => return 1005,
            Some(Ok(_)) => continue,
            Some(Err(_)) => return 1006,
        }
    }
}

fn claims_for(app: &TestApp, meeting: MeetingId, expires_at: OffsetDateTime) -> Claims {
    let now = OffsetDateTime::now_utc();
    Claims {
        iss: app.state.tokens.issuer().to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: plenum_protocol::UserId::random(),
        kind: TokenKind::Guest,
        name: "Eve".into(),
        exp: expires_at.unix_timestamp(),
        iat: now.unix_timestamp(),
        jti: "j".into(),
        mtg: Some(meeting),
        role: Some(Role::Guest),
        inv: Some("code".into()),
        nbf: None,
        arl: None,
        ten: None,
        sid: None,
        scp: None,
    }
}

#[tokio::test]
async fn sockets_without_a_valid_meeting_token_are_refused() {
    let served = serve().await;
    let (meeting, _) = served.meeting(false).await;
    let now = OffsetDateTime::now_utc();
    let tokens = &served.app.state.tokens;

    let expired = tokens
        .sign(
            &claims_for(&served.app, meeting, now - time::Duration::minutes(5)),
            now,
        )
        .token;
    let mut wrong_audience_claims =
        claims_for(&served.app, meeting, now + time::Duration::minutes(5));
    wrong_audience_claims.aud = "someone-else".into();
    let wrong_audience = tokens.sign(&wrong_audience_claims, now).token;
    let other_key =
        TokenService::from_pem(&generate_pem(), tokens.issuer(), Duration::from_secs(900)).unwrap();
    let forged = other_key
        .sign(
            &claims_for(&served.app, meeting, now + time::Duration::minutes(5)),
            now,
        )
        .token;
    let account_token = served.app.login("bob").await;
    let unknown_meeting = served.guest_token(MeetingId::random(), "Eve");

    let cases: [(&str, Value, u16); 7] = [
        (
            "missing token",
            json!({"type": "session.auth", "payload": {"token": ""}}),
            4401,
        ),
        (
            "expired",
            json!({"type": "session.auth", "payload": {"token": expired}}),
            4401,
        ),
        (
            "forged signature",
            json!({"type": "session.auth", "payload": {"token": forged}}),
            4401,
        ),
        (
            "wrong audience",
            json!({"type": "session.auth", "payload": {"token": wrong_audience}}),
            4401,
        ),
        (
            "account token, not a meeting token",
            json!({"type": "session.auth", "payload": {"token": account_token}}),
            4401,
        ),
        (
            "meeting that does not exist",
            json!({"type": "session.auth", "payload": {"token": unknown_meeting}}),
            4404,
        ),
        (
            "anything but auth first",
            json!({"type": "room.join"}),
            4400,
        ),
    ];
    for (case, first, code) in cases {
        let mut ws = served.connect().await;
        send(&mut ws, first).await;
        assert_eq!(closed_with(&mut ws, ANSWER_DEADLINE).await, code, "{case}");
    }
}

#[tokio::test]
async fn a_socket_closes_at_token_expiry_unless_refreshed() {
    let served = serve().await;
    let (meeting, _) = served.meeting(false).await;
    let tokens = &served.app.state.tokens;
    let short = |seconds: i64, subject| {
        let now = OffsetDateTime::now_utc();
        let mut claims = claims_for(&served.app, meeting, now + time::Duration::seconds(seconds));
        claims.sub = subject;
        tokens.sign(&claims, now).token
    };

    // Not refreshed: closed with 4401 once the token's two seconds are over.
    let subject = plenum_protocol::UserId::random();
    let mut ws = served.join(&short(2, subject)).await;
    assert_eq!(closed_with(&mut ws, Duration::from_secs(6)).await, 4401);

    // Refreshed in time with a token for the same subject: still open after the first
    // expiry, closed after the second.
    let subject = plenum_protocol::UserId::random();
    let mut ws = served.join(&short(2, subject)).await;
    send(
        &mut ws,
        json!({"type": "session.refresh", "txn": "r", "payload": {"token": short(5, subject)}}),
    )
    .await;
    let refreshed = expect(&mut ws, "session.refreshed").await;
    assert_eq!(refreshed["txn"], "r");
    tokio::time::sleep(Duration::from_secs(3)).await;
    send(
        &mut ws,
        json!({"type": "chat.send", "txn": "c", "payload": {"text": "still here"}}),
    )
    .await;
    assert_eq!(expect(&mut ws, "chat.sent").await["txn"], "c");
    assert_eq!(closed_with(&mut ws, Duration::from_secs(6)).await, 4401);

    // A refresh token of someone else does not extend the socket.
    let mut ws = served
        .join(&short(30, plenum_protocol::UserId::random()))
        .await;
    let stranger = short(60, plenum_protocol::UserId::random());
    send(
        &mut ws,
        json!({"type": "session.refresh", "txn": "x", "payload": {"token": stranger}}),
    )
    .await;
    let refused = expect(&mut ws, "error").await;
    assert_eq!(refused["payload"]["code"], "invalid_token");
    assert_eq!(refused["txn"], "x");
}

#[tokio::test]
async fn bad_input_gets_errors_and_the_meeting_goes_on() {
    let served = serve().await;
    let (meeting, owner_token) = served.meeting(false).await;
    let mut owner = served.join(&owner_token).await;
    let mut guest = served.join(&served.guest_token(meeting, "Gus")).await;

    let unknown = plenum_protocol::ParticipantId::random();
    let cases: [(&str, String, &str); 6] = [
        ("not JSON", "{nope".into(), "bad_message"),
        ("not an object", "[1,2]".into(), "bad_message"),
        (
            "unknown type",
            json!({"type": "x.y", "txn": "t1"}).to_string(),
            "unknown_type",
        ),
        (
            "wrong payload",
            json!({"type": "chat.send", "payload": {"text": 5}}).to_string(),
            "bad_message",
        ),
        (
            "unknown participant",
            json!({"type": "moderation.mute", "payload": {"participant_id": unknown}}).to_string(),
            "not_found",
        ),
        (
            "invalid SDP",
            json!({"type": "media.publish_offer", "payload": {"sdp": "v=0 garbage", "tracks": []}})
                .to_string(),
            "invalid_sdp",
        ),
    ];
    for (case, text, code) in cases {
        owner.send(Message::text(text)).await.unwrap();
        let error = expect(&mut owner, "error").await;
        assert_eq!(error["payload"]["code"], code, "{case}");
    }
    // A guest is no moderator.
    send(&mut guest, json!({"type": "moderation.mute_all"})).await;
    assert_eq!(
        expect(&mut guest, "error").await["payload"]["code"],
        "forbidden"
    );

    // Both sockets still work: chat reaches the other side.
    send(
        &mut owner,
        json!({"type": "chat.send", "payload": {"text": "after the noise"}}),
    )
    .await;
    let message = expect(&mut guest, "chat.message").await;
    assert_eq!(message["payload"]["text"], "after the noise");

    // An oversized frame ends that socket only (1009), the other keeps working.
    let huge = json!({"type": "chat.send", "payload": {"text": "x".repeat(70_000)}}).to_string();
    guest.send(Message::text(huge)).await.unwrap();
    let code = closed_with(&mut guest, ANSWER_DEADLINE).await;
    assert_eq!(CloseCode::from(code), CloseCode::Size);
    let left = expect(&mut owner, "participant.left").await;
    assert!(left["payload"]["id"].is_string());
    send(
        &mut owner,
        json!({"type": "chat.send", "txn": "ok", "payload": {"text": "alone"}}),
    )
    .await;
    assert_eq!(expect(&mut owner, "chat.sent").await["txn"], "ok");
}

#[tokio::test]
async fn two_meetings_never_see_each_other() {
    let served = serve().await;
    let (first, first_owner) = served.meeting(false).await;
    let (second, second_owner) = served.meeting(false).await;
    let mut a = served.join(&first_owner).await;
    let mut b = served.join(&served.guest_token(first, "Bea")).await;
    let mut c = served.join(&second_owner).await;

    send(
        &mut a,
        json!({"type": "chat.send", "payload": {"text": "only for the first"}}),
    )
    .await;
    assert_eq!(
        expect(&mut b, "chat.message").await["payload"]["text"],
        "only for the first"
    );
    // The second meeting's socket gets its own chat and nothing else in between.
    send(
        &mut c,
        json!({"type": "chat.send", "txn": "m2", "payload": {"text": "second"}}),
    )
    .await;
    let first_seen = next(&mut c).await;
    assert_eq!(first_seen["type"], "chat.sent", "{first_seen}");
    let echo = next(&mut c).await;
    assert_eq!(echo["type"], "chat.message");
    assert_eq!(echo["payload"]["text"], "second");
    assert_ne!(first, second);
}
