//! Every action Plenum has so far leaves its entry in the audit trail (SEC-15): each is
//! performed through the real HTTP API and signaling WebSocket, then the trail is read
//! from the store and checked for actor, source, resource, outcome and request id — and
//! for the absence of every secret the actions involved. The rest of the catalogue is in
//! `audit_coverage`, which also guards that no performable action goes untested.

use crate::common::{ALICE_PASSWORD, Req, TestApp};
use crate::signaling::{Served, closed_with, expect, send};
use axum::http::StatusCode;
use plenum_audit::{ActorKind, Entry, Outcome, Value};
use serde_json::json;
use std::time::Duration;

/// Serves the app on a real socket, with peer addresses, as `plenum serve` does.
async fn serve_with_peers() -> Served {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    Served { app, addr }
}

pub(crate) async fn trail(app: &TestApp) -> Vec<Entry> {
    let entries = app.state.store.audit_entries(0, 10_000).await.unwrap();
    entries.into_iter().map(|b| b.entry).collect()
}

/// The last entry of `action` with `outcome`; fails with the whole trail otherwise.
pub(crate) fn find<'a>(trail: &'a [Entry], action: &str, outcome: Outcome) -> &'a Entry {
    trail
        .iter()
        .rev()
        .find(|e| e.action == action && e.outcome == outcome)
        .unwrap_or_else(|| {
            let seen: Vec<_> = trail.iter().map(|e| (&e.action, e.outcome)).collect();
            panic!("no {action} {outcome:?} in {seen:?}")
        })
}

pub(crate) fn clear(value: &Value) -> &str {
    match value {
        Value::Text(text) => text,
        Value::Personal(p) => p.value.as_deref().expect("clear value present"),
    }
}

pub(crate) fn detail<'a>(entry: &'a Entry, key: &str) -> &'a str {
    entry
        .details
        .iter()
        .find(|d| d.key == key)
        .map(|d| clear(&d.value))
        .unwrap_or_else(|| panic!("no detail {key} in {entry:?}"))
}

/// Waits until the trail holds `action` (the meeting actor writes asynchronously).
async fn wait_for(app: &TestApp, action: &str) -> Vec<Entry> {
    for _ in 0..100 {
        let entries = trail(app).await;
        if entries.iter().any(|e| e.action == action) {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{action} never recorded: {:?}", trail(app).await);
}

#[tokio::test]
async fn every_action_leaves_its_entry_and_no_secret() {
    let served = serve_with_peers().await;
    let app = &served.app;
    let alice = app.state.store.user_by_username("alice").await.unwrap();
    let alice_id = alice.id.to_string();

    // Logins: refused, then accepted, each with the client's request id.
    let refused = app
        .send(
            Req::post("/api/v1/auth/login")
                .header("x-request-id", "req-login-bad")
                .json(json!({"username": "alice", "password": "not-her-password"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.header("x-request-id"), "req-login-bad");
    let login = app
        .send(
            Req::post("/api/v1/auth/login")
                .header("x-request-id", "req-login-ok")
                .json(json!({"username": "alice", "password": ALICE_PASSWORD})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let first_cookie = login.refresh_cookie().unwrap();
    // A hostile request id is replaced, not stored.
    for hostile in ["a b|c=d", &"x".repeat(65)] {
        let answer = app
            .send(
                Req::get("/api/v1/me")
                    .bearer(&token)
                    .header("x-request-id", hostile),
            )
            .await;
        assert_eq!(
            answer.header("x-request-id").len(),
            32,
            "{hostile} replaced"
        );
    }

    // Meetings and invites.
    let meeting = app
        .create_meeting(
            &token,
            json!({"title": "Board of Zoë", "password": "meeting-secret-9"}),
        )
        .await;
    let patched = app
        .send(
            Req::new(
                axum::http::Method::PATCH,
                &format!("/api/v1/meetings/{meeting}"),
            )
            .bearer(&token)
            .json(json!({"title": "Board", "waiting_room": false})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    let code = app.create_invite(&token, &meeting).await;
    let revoked = app
        .send(
            Req::new(
                axum::http::Method::DELETE,
                &format!("/api/v1/meetings/{meeting}/invites/{code}"),
            )
            .bearer(&token),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);

    // Refresh, a replay of the old refresh token, logout.
    let cookie = |value: &str| format!("__Host-plenum_refresh={value}");
    let refreshed = app
        .send(Req::post("/api/v1/auth/refresh").header("cookie", &cookie(&first_cookie)))
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    let second_cookie = refreshed.refresh_cookie().unwrap();
    let replay = app
        .send(Req::post("/api/v1/auth/refresh").header("cookie", &cookie(&first_cookie)))
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    let relog = app.login("alice").await;
    let relog_cookie = {
        let answer = app.login_answer("alice", ALICE_PASSWORD).await;
        answer.refresh_cookie().unwrap()
    };
    let logout = app
        .send(Req::post("/api/v1/auth/logout").header("cookie", &cookie(&relog_cookie)))
        .await;
    assert!(logout.status.is_success(), "{logout:?}");

    // Signaling: a refused token, then a meeting with a guest who is muted and banned.
    let mut intruder = served.connect().await;
    send(
        &mut intruder,
        json!({"type": "session.auth", "payload": {"token": "forged.token.value"}}),
    )
    .await;
    assert_eq!(
        closed_with(&mut intruder, Duration::from_secs(10)).await,
        4401
    );
    let (live, owner_token) = served.meeting(false).await;
    let mut owner = served.join(&owner_token).await;
    let mut guest = served.join(&served.guest_token(live, "Gus")).await;
    let joined = expect(&mut owner, "participant.joined").await;
    let gus = joined["payload"]["id"].as_str().unwrap().to_owned();
    send(
        &mut owner,
        json!({"type": "moderation.mute", "payload": {"participant_id": gus}}),
    )
    .await;
    send(
        &mut guest,
        json!({"type": "moderation.mute_all", "payload": {}}),
    )
    .await;
    expect(&mut guest, "error").await;
    send(
        &mut owner,
        json!({"type": "moderation.ban", "payload": {"participant_id": gus}}),
    )
    .await;
    closed_with(&mut guest, Duration::from_secs(10)).await;
    drop(owner);
    let entries = wait_for(app, "meeting.end").await;

    // Deleting the meeting that was created over REST.
    let deleted = app
        .send(
            Req::new(
                axum::http::Method::DELETE,
                &format!("/api/v1/meetings/{meeting}"),
            )
            .bearer(&relog),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let entries = {
        let mut all = entries;
        all.extend(trail(app).await.into_iter().skip(all.len()));
        all
    };

    // What each entry says.
    let failed = find(&entries, "auth.login", Outcome::Failure);
    assert_eq!(failed.request_id.as_deref(), Some("req-login-bad"));
    assert_eq!(clear(&failed.actor.id), alice_id);
    assert_eq!(detail(failed, "reason"), "invalid_credentials");
    assert_eq!(detail(failed, "username"), "alice");
    let ok = entries
        .iter()
        .find(|e| e.request_id.as_deref() == Some("req-login-ok"))
        .unwrap();
    assert_eq!(
        (ok.action.as_str(), ok.outcome),
        ("auth.login", Outcome::Success)
    );
    assert_eq!(ok.resource, format!("user:{alice_id}"));
    assert_eq!(ok.tenant, "default");
    assert_eq!(ok.actor.kind, ActorKind::User);
    assert!(
        entries
            .iter()
            .all(|e| e.request_id.as_deref() != Some("a b|c=d"))
    );

    let created = entries
        .iter()
        .find(|e| e.action == "meeting.create" && e.resource == format!("meeting:{meeting}"))
        .unwrap();
    assert_eq!(created.outcome, Outcome::Success);
    assert_eq!(detail(created, "title"), "Board of Zoë");
    assert_eq!(detail(created, "password"), "true");
    assert!(matches!(
        created
            .details
            .iter()
            .find(|d| d.key == "title")
            .unwrap()
            .value,
        Value::Personal(_)
    ));
    let updated = find(&entries, "meeting.update", Outcome::Success);
    assert_eq!(detail(updated, "changed"), "title,waiting_room");
    let prefix: String = code.chars().take(6).collect();
    for action in ["invite.create", "invite.revoke"] {
        let entry = find(&entries, action, Outcome::Success);
        assert_eq!(entry.resource, format!("invite:{meeting}/{prefix}"));
    }
    find(&entries, "auth.token_refresh", Outcome::Success);
    let reuse = find(&entries, "auth.refresh_reuse", Outcome::Denied);
    assert_eq!(clear(&reuse.actor.id), alice_id);
    find(&entries, "auth.logout", Outcome::Success);
    find(&entries, "meeting.delete", Outcome::Success);

    let denied = find(&entries, "access.denied", Outcome::Denied);
    assert_eq!(denied.resource, "signaling");
    assert_eq!(denied.source.as_ref().map(clear), Some("127.0.0.1"));
    find(&entries, "meeting.start", Outcome::Success);
    let join = entries
        .iter()
        .find(|e| e.action == "participant.join" && e.actor.kind == ActorKind::Guest)
        .unwrap();
    assert_eq!(detail(join, "display_name"), "Gus");
    assert_eq!(join.resource, format!("meeting:{live}"));
    assert_eq!(join.source.as_ref().map(clear), Some("127.0.0.1"));
    let mute = find(&entries, "moderation.mute", Outcome::Success);
    assert_eq!(detail(mute, "participant"), gus);
    assert_eq!(clear(&mute.actor.id), alice_id);
    let refused_mute = find(&entries, "moderation.mute_all", Outcome::Denied);
    assert_eq!(refused_mute.actor.kind, ActorKind::Guest);
    // The guest came with an invite: the invite is banned too, and only kinds are recorded.
    let banned: Vec<&str> = entries
        .iter()
        .filter(|e| e.action == "moderation.ban" && e.outcome == Outcome::Success)
        .map(|e| detail(e, "banned"))
        .collect();
    assert!(banned.contains(&"invite"), "{banned:?}");
    assert!(banned.contains(&"participant"), "{banned:?}");
    // Every persisted ban has its entry (the guest and the invite it came with).
    let bans = app.state.store.bans_for_meeting(live).await.unwrap().len();
    let ban_entries = entries
        .iter()
        .filter(|e| e.action == "moderation.ban" && e.outcome == Outcome::Success)
        .count();
    assert!(bans >= 1);
    assert_eq!(ban_entries, bans);
    find(&entries, "participant.leave", Outcome::Success);

    // No secret anywhere in the stored rows.
    let secrets = [
        ALICE_PASSWORD,
        "not-her-password",
        "meeting-secret-9",
        code.as_str(),
        token.as_str(),
        owner_token.as_str(),
        first_cookie.as_str(),
        second_cookie.as_str(),
        relog_cookie.as_str(),
        "forged.token.value",
    ];
    let rows = stored_text(app).await;
    for secret in secrets {
        assert!(
            !rows.iter().any(|row| row.contains(secret)),
            "a secret is stored in the audit trail"
        );
    }

    // The rest of the catalogue, on the same instance; then the completeness guard.
    crate::audit_coverage::moderation_actions(&served).await;
    crate::audit_coverage::administration_actions(app).await;
    crate::audit_coverage::security_alarms(app).await;
    crate::audit_coverage::trail_actions(app).await;
    crate::audit_coverage::assert_every_action_seen(&trail(app).await);
}

/// Every text column of every audit row, as stored.
async fn stored_text(app: &TestApp) -> Vec<String> {
    let dir = app.state.config.store.data_dir.clone();
    let url = app.state.config.store.database_url.clone();
    assert!(url.starts_with("sqlite:"), "{url} in {}", dir.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut rows: Vec<String> = Vec::new();
    for sql in [
        "SELECT tenant || action || outcome || resource || COALESCE(request_id, '') || leaf_hash || entry FROM audit_entries",
        "SELECT field || salt || value FROM audit_personal",
    ] {
        rows.extend(
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(&pool)
                .await
                .unwrap(),
        );
    }
    pool.close().await;
    rows
}
