//! Invites: creation, listing, revocation, expiry, guest tokens and their refresh.

use crate::common::{Req, TestApp};
use axum::http::{Method, StatusCode};
use plenum_protocol::signaling::Role;
use plenum_server::TokenKind;
use plenum_store::NewInvite;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

#[tokio::test]
async fn invites_lead_guests_in_until_revoked() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let meeting = app
        .create_meeting(&alice, json!({"title": "Town hall"}))
        .await;
    let invites_path = format!("/api/v1/meetings/{meeting}/invites");

    let in_a_day = (OffsetDateTime::now_utc() + Duration::days(1))
        .replace_nanosecond(0)
        .unwrap();
    let created = app
        .send(
            Req::post(&invites_path)
                .bearer(&alice)
                .json(json!({"expires_at": in_a_day.format(&Rfc3339).unwrap()})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let code = created.body["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 22, "128 bits in base64url");
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        created.body["url"],
        format!("{}/j/{code}", app.state.config.http.public_url)
    );
    assert_eq!(created.body["meeting_id"], meeting);
    let expires =
        OffsetDateTime::parse(created.body["expires_at"].as_str().unwrap(), &Rfc3339).unwrap();
    assert_eq!(expires, in_a_day);

    let forever = app.create_invite(&alice, &meeting).await;
    let listed = app.send(Req::get(&invites_path).bearer(&alice)).await;
    let codes: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 2);
    assert!(codes.contains(&code.as_str()) && codes.contains(&forever.as_str()));

    let info = app.send(Req::get(&format!("/api/v1/invites/{code}"))).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(
        info.body,
        json!({"meeting_id": meeting, "title": "Town hall", "password_required": false})
    );

    let guest_path = format!("/api/v1/invites/{code}/guest-token");
    let guest = app
        .send(Req::post(&guest_path).json(json!({"display_name": " Guest Gus "})))
        .await;
    assert_eq!(guest.status, StatusCode::OK, "{guest:?}");
    assert_eq!(guest.body["meeting_id"], meeting);
    let claims = app.claims_of(&guest);
    assert_eq!(
        (claims.kind, claims.role),
        (TokenKind::Guest, Some(Role::Guest))
    );
    assert_eq!(claims.name, "Guest Gus");
    assert_eq!(claims.mtg.unwrap().to_string(), meeting);
    assert_eq!(claims.inv.as_deref(), Some(code.as_str()));

    // Revoke: info, guest tokens and listing all forget it; revoking again is 204 too.
    let revoke = Req::new(Method::DELETE, &format!("{invites_path}/{code}"));
    assert_eq!(
        app.send(revoke.bearer(&alice)).await.status,
        StatusCode::NO_CONTENT
    );
    app.send(Req::get(&format!("/api/v1/invites/{code}")))
        .await
        .assert_problem(404, "not_found");
    app.send(Req::post(&guest_path).json(json!({"display_name": "Late"})))
        .await
        .assert_problem(404, "not_found");
    let listed = app.send(Req::get(&invites_path).bearer(&alice)).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let again = Req::new(Method::DELETE, &format!("{invites_path}/{code}"));
    assert_eq!(
        app.send(again.bearer(&alice)).await.status,
        StatusCode::NO_CONTENT
    );
    let unknown = Req::new(
        Method::DELETE,
        &format!("{invites_path}/AAAAAAAAAAAAAAAAAAAAAA"),
    );
    app.send(unknown.bearer(&alice))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn expired_invites_admit_nobody() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let meeting = app.create_meeting(&alice, json!({"title": "Old"})).await;
    let now = OffsetDateTime::now_utc();
    // Written straight to the store: the API refuses to create an invite in the past.
    app.state
        .store
        .create_invite(
            NewInvite {
                code: "expiredexpiredexpired1".into(),
                meeting_id: meeting.parse().unwrap(),
                expires_at: Some(now - Duration::seconds(1)),
            },
            now - Duration::hours(1),
        )
        .await
        .unwrap();
    app.send(Req::get("/api/v1/invites/expiredexpiredexpired1"))
        .await
        .assert_problem(404, "not_found");
    app.send(
        Req::post("/api/v1/invites/expiredexpiredexpired1/guest-token")
            .json(json!({"display_name": "G"})),
    )
    .await
    .assert_problem(404, "not_found");
    let listed = app
        .send(Req::get(&format!("/api/v1/meetings/{meeting}/invites")).bearer(&alice))
        .await;
    assert_eq!(listed.body, json!([]));

    // (expires_at, expected status)
    let past = (now - Duration::minutes(1)).format(&Rfc3339).unwrap();
    let cases = [
        (json!(past), 422),
        (json!("tomorrow"), 422),
        (json!(5), 422),
        // Year 10000 in UTC: beyond what the store and every RFC 3339 answer can hold.
        (json!("9999-12-31T23:59:59-10:00"), 422),
        (json!(null), 201),
    ];
    for (expires_at, status) in cases {
        let answer = app
            .send(
                Req::post(&format!("/api/v1/meetings/{meeting}/invites"))
                    .bearer(&alice)
                    .json(json!({"expires_at": expires_at})),
            )
            .await;
        assert_eq!(answer.status.as_u16(), status, "{expires_at} {answer:?}");
    }
    // Nothing refused was stored: the list still answers.
    let listed = app
        .send(Req::get(&format!("/api/v1/meetings/{meeting}/invites")).bearer(&alice))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
}

#[tokio::test]
async fn password_protected_meetings_need_the_password() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let meeting = app
        .create_meeting(&alice, json!({"title": "Board", "password": "hunter2"}))
        .await;
    let code = app.create_invite(&alice, &meeting).await;
    let info = app.send(Req::get(&format!("/api/v1/invites/{code}"))).await;
    assert_eq!(info.body["password_required"], true);
    let path = format!("/api/v1/invites/{code}/guest-token");

    // (body, expected status, code)
    let cases = [
        (json!({"display_name": "G"}), 401, "password_required"),
        (
            json!({"display_name": "G", "password": ""}),
            401,
            "password_required",
        ),
        (
            json!({"display_name": "G", "password": "hunter3"}),
            401,
            "wrong_password",
        ),
        (
            json!({"display_name": "G", "password": "x".repeat(500)}),
            401,
            "wrong_password",
        ),
        (
            json!({"display_name": "", "password": "hunter2"}),
            422,
            "invalid_field",
        ),
        (json!({"display_name": "G", "password": "hunter2"}), 200, ""),
    ];
    for (body, status, code) in cases {
        let answer = app.send(Req::post(&path).json(body.clone())).await;
        if status == 200 {
            assert_eq!(answer.status, StatusCode::OK, "{body} {answer:?}");
        } else {
            answer.assert_problem(status, code);
        }
    }
    // Clearing the password opens the door.
    app.send(
        Req::new(Method::PATCH, &format!("/api/v1/meetings/{meeting}"))
            .bearer(&alice)
            .json(json!({"password": null})),
    )
    .await;
    let open = app
        .send(Req::post(&path).json(json!({"display_name": "G"})))
        .await;
    assert_eq!(open.status, StatusCode::OK);
}

#[tokio::test]
async fn guest_tokens_refresh_only_for_their_own_meeting() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let a = app.create_meeting(&alice, json!({"title": "A"})).await;
    let b = app.create_meeting(&alice, json!({"title": "B"})).await;
    let code_a = app.create_invite(&alice, &a).await;
    let code_b = app.create_invite(&alice, &b).await;
    let guest = app
        .send(
            Req::post(&format!("/api/v1/invites/{code_a}/guest-token"))
                .json(json!({"display_name": "Gail"})),
        )
        .await;
    let token = guest.body["access_token"].as_str().unwrap().to_owned();
    let first = app.state.tokens.verify(&token).unwrap();

    // A guest token for A cannot read meeting B (nor A: it is no account token).
    for meeting in [&a, &b] {
        app.send(Req::get(&format!("/api/v1/meetings/{meeting}")).bearer(&token))
            .await
            .assert_problem(401, "token_wrong_kind");
    }
    // Nor can it be refreshed through B's invite.
    app.send(Req::post(&format!("/api/v1/invites/{code_b}/guest-token/refresh")).bearer(&token))
        .await
        .assert_problem(403, "wrong_meeting");

    let refreshed = app
        .send(Req::post(&format!("/api/v1/invites/{code_a}/guest-token/refresh")).bearer(&token))
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    let second = app.claims_of(&refreshed);
    assert_eq!(
        (second.sub, second.name.as_str(), second.mtg),
        (first.sub, "Gail", first.mtg)
    );
    assert_ne!(second.jti, first.jti);

    // Refresh needs a guest token, and a ban on the guest ends it.
    app.send(Req::post(&format!("/api/v1/invites/{code_a}/guest-token/refresh")).bearer(&alice))
        .await
        .assert_problem(401, "token_wrong_kind");
    app.send(Req::post(&format!(
        "/api/v1/invites/{code_a}/guest-token/refresh"
    )))
    .await
    .assert_problem(401, "token_missing");
    app.state
        .store
        .add_ban(
            a.parse().unwrap(),
            &format!("guest:{}", first.sub),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    app.send(Req::post(&format!("/api/v1/invites/{code_a}/guest-token/refresh")).bearer(&token))
        .await
        .assert_problem(403, "banned");
    // A ban on the invite code stops new guests using it.
    app.state
        .store
        .add_ban(
            a.parse().unwrap(),
            &format!("invite:{code_a}"),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    app.send(
        Req::post(&format!("/api/v1/invites/{code_a}/guest-token"))
            .json(json!({"display_name": "New"})),
    )
    .await
    .assert_problem(403, "banned");
}
