//! Meetings CRUD, ownership, join tokens and the events live meetings react to.

use crate::common::{Req, TestApp};
use axum::http::{Method, StatusCode};
use plenum_protocol::signaling::Role;
use plenum_server::{MeetingEvent, TokenKind};
use serde_json::json;

#[tokio::test]
async fn meetings_crud_for_the_owner() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let created = app
        .send(
            Req::post("/api/v1/meetings")
                .bearer(&alice)
                .json(json!({"title": "  Standup  "})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["title"], "Standup");
    assert_eq!(created.body["has_password"], false);
    assert_eq!(created.body["waiting_room"], false);
    let me = app.state.tokens.verify(&alice).unwrap();
    assert_eq!(created.body["owner_id"], me.sub.to_string());
    assert!(created.body["created_at"].as_str().unwrap().ends_with('Z'));

    let second = app
        .create_meeting(
            &alice,
            json!({"title": "Retro", "password": "pw", "waiting_room": true}),
        )
        .await;
    let list = app.send(Req::get("/api/v1/meetings").bearer(&alice)).await;
    let ids: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id.as_str()) && ids.contains(&second.as_str()));

    let path = format!("/api/v1/meetings/{id}");
    let got = app.send(Req::get(&path).bearer(&alice)).await;
    assert_eq!(got.body, created.body);

    // (patch body, expected title, has_password, waiting_room)
    let patches = [
        (json!({}), "Standup", false, false),
        (json!({"title": "Daily"}), "Daily", false, false),
        (json!({"password": "secret"}), "Daily", true, false),
        (json!({"waiting_room": true}), "Daily", true, true),
        (
            json!({"title": "Daily 2", "password": null}),
            "Daily 2",
            false,
            true,
        ),
        (json!({"password": ""}), "Daily 2", false, true),
    ];
    for (patch, title, has_password, waiting_room) in patches {
        let answer = app
            .send(
                Req::new(Method::PATCH, &path)
                    .bearer(&alice)
                    .json(patch.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{patch} {answer:?}");
        assert_eq!(answer.body["title"], title, "{patch}");
        assert_eq!(answer.body["has_password"], has_password, "{patch}");
        assert_eq!(answer.body["waiting_room"], waiting_room, "{patch}");
    }

    let mut events = app.state.meeting_events.subscribe();
    let deleted = app
        .send(Req::new(Method::DELETE, &path).bearer(&alice))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let event = events.try_recv().unwrap();
    assert_eq!(event, MeetingEvent::Deleted(id.parse().unwrap()));
    app.send(Req::get(&path).bearer(&alice))
        .await
        .assert_problem(404, "not_found");
    app.send(Req::new(Method::DELETE, &path).bearer(&alice))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn other_users_cannot_see_or_touch_a_meeting() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = app
        .create_meeting(&alice, json!({"title": "Private"}))
        .await;
    let base = format!("/api/v1/meetings/{id}");

    // Someone else's meeting answers exactly like a missing one.
    let cases = [
        Req::get(&base),
        Req::new(Method::PATCH, &base).json(json!({"title": "mine now"})),
        Req::new(Method::DELETE, &base),
        Req::get(&format!("{base}/invites")),
        Req::post(&format!("{base}/invites")).json(json!({})),
        Req::new(
            Method::DELETE,
            &format!("{base}/invites/AAAAAAAAAAAAAAAAAAAAAA"),
        ),
    ];
    for req in cases {
        app.send(req.bearer(&bob))
            .await
            .assert_problem(404, "not_found");
    }
    let bobs = app.send(Req::get("/api/v1/meetings").bearer(&bob)).await;
    assert_eq!(bobs.body, json!([]));
    // Still intact for alice.
    let got = app.send(Req::get(&base).bearer(&alice)).await;
    assert_eq!(got.body["title"], "Private");
}

#[tokio::test]
async fn join_tokens_give_roles_by_ownership_and_invite() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let meeting = app
        .create_meeting(&alice, json!({"title": "M", "password": "open sesame"}))
        .await;
    let other = app.create_meeting(&alice, json!({"title": "Other"})).await;
    let code = app.create_invite(&alice, &meeting).await;
    let other_code = app.create_invite(&alice, &other).await;
    let path = format!("/api/v1/meetings/{meeting}/join-token");

    // The owner needs neither invite nor password.
    let owner = app
        .send(Req::post(&path).bearer(&alice).json(json!({})))
        .await;
    assert_eq!(owner.status, StatusCode::OK, "{owner:?}");
    assert_eq!(owner.body["meeting_id"], meeting);
    let claims = app.claims_of(&owner);
    assert_eq!(
        (claims.kind, claims.role),
        (TokenKind::Meeting, Some(Role::Owner))
    );
    assert_eq!(claims.mtg.unwrap().to_string(), meeting);
    assert_eq!(claims.name, "alice display");

    // (body, expected status, expected code)
    let cases = [
        (json!({}), 403, "invite_required"),
        (json!({"invite_code": "nonsense!"}), 403, "invite_required"),
        (
            json!({"invite_code": other_code, "password": "open sesame"}),
            403,
            "invite_required",
        ),
        (json!({"invite_code": code}), 401, "password_required"),
        (
            json!({"invite_code": code, "password": "wrong"}),
            401,
            "wrong_password",
        ),
        (
            json!({"invite_code": code, "password": "open sesame"}),
            200,
            "",
        ),
    ];
    for (body, status, code) in cases {
        let answer = app
            .send(Req::post(&path).bearer(&bob).json(body.clone()))
            .await;
        if status == 200 {
            assert_eq!(answer.status, StatusCode::OK, "{body} {answer:?}");
            let claims = app.claims_of(&answer);
            assert_eq!(
                (claims.kind, claims.role),
                (TokenKind::Meeting, Some(Role::Participant))
            );
        } else {
            answer.assert_problem(status, code);
        }
    }

    // A banned user is refused even with a valid invite.
    let bob_id = app.state.tokens.verify(&bob).unwrap().sub;
    app.state
        .store
        .add_ban(
            meeting.parse().unwrap(),
            &bob_id.to_string(),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    app.send(
        Req::post(&path)
            .bearer(&bob)
            .json(json!({"invite_code": code, "password": "open sesame"})),
    )
    .await
    .assert_problem(403, "banned");

    // Unknown meeting; a meeting token instead of an account token.
    app.send(
        Req::post(&format!(
            "/api/v1/meetings/{}/join-token",
            uuid::Uuid::new_v4()
        ))
        .bearer(&bob)
        .json(json!({})),
    )
    .await
    .assert_problem(404, "not_found");
    let meeting_token = owner.body["access_token"].as_str().unwrap();
    app.send(Req::post(&path).bearer(meeting_token).json(json!({})))
        .await
        .assert_problem(401, "token_wrong_kind");
}

#[tokio::test]
async fn updates_are_published_for_live_meetings() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let id = app.create_meeting(&alice, json!({"title": "Live"})).await;
    let code = app.create_invite(&alice, &id).await;
    let mut events = app.state.meeting_events.subscribe();
    app.send(
        Req::new(Method::PATCH, &format!("/api/v1/meetings/{id}"))
            .bearer(&alice)
            .json(json!({"waiting_room": true})),
    )
    .await;
    app.send(
        Req::new(
            Method::DELETE,
            &format!("/api/v1/meetings/{id}/invites/{code}"),
        )
        .bearer(&alice),
    )
    .await;
    let meeting_id = id.parse().unwrap();
    assert_eq!(
        events.try_recv().unwrap(),
        MeetingEvent::Updated(meeting_id)
    );
    assert_eq!(
        events.try_recv().unwrap(),
        MeetingEvent::InviteRevoked { meeting_id, code }
    );
}

#[tokio::test]
async fn the_api_runs_on_postgres_too() {
    let Some((app, schema)) = TestApp::postgres().await else {
        return;
    };
    assert_eq!(app.state.store.backend_name(), "postgres");
    let login = app
        .login_answer("alice", crate::common::ALICE_PASSWORD)
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    let alice = login.body["access_token"].as_str().unwrap().to_owned();
    let meeting = app
        .create_meeting(&alice, json!({"title": "On PG", "password": "pw"}))
        .await;
    let code = app.create_invite(&alice, &meeting).await;
    let guest = app
        .send(
            Req::post(&format!("/api/v1/invites/{code}/guest-token"))
                .json(json!({"display_name": "G", "password": "pw"})),
        )
        .await;
    assert_eq!(guest.status, StatusCode::OK, "{guest:?}");
    let cookie = login.refresh_cookie().unwrap();
    let refresh = |c: &str| {
        Req::post("/api/v1/auth/refresh").header("cookie", &format!("__Host-plenum_refresh={c}"))
    };
    assert_eq!(app.send(refresh(&cookie)).await.status, StatusCode::OK);
    app.send(refresh(&cookie))
        .await
        .assert_problem(401, "refresh_reused");
    // The reuse revoked the session, and with it the access tokens issued in it.
    app.send(Req::new(Method::DELETE, &format!("/api/v1/meetings/{meeting}")).bearer(&alice))
        .await
        .assert_problem(401, "token_revoked");
    let alice = app.login("alice").await;
    let deleted = app
        .send(Req::new(Method::DELETE, &format!("/api/v1/meetings/{meeting}")).bearer(&alice))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.drop_schema(&schema).await;
}

#[tokio::test]
async fn meetings_carry_a_description() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    let created = app
        .send(Req::post("/api/v1/meetings").bearer(&alice).json(
            json!({"title": "Budget", "description": "  Agenda:\n1. Numbers\n2. Questions  "}),
        ))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(
        created.body["description"],
        "Agenda:\n1. Numbers\n2. Questions"
    );
    let plain = app
        .send(
            Req::post("/api/v1/meetings")
                .bearer(&alice)
                .json(json!({"title": "Plain"})),
        )
        .await;
    assert_eq!(plain.body["description"], "");

    let path = format!("/api/v1/meetings/{}", created.body["id"].as_str().unwrap());
    // (patch, expected description): other fields keep it, "" clears it.
    let patches = [
        (
            json!({"title": "Budget 2027"}),
            "Agenda:\n1. Numbers\n2. Questions",
        ),
        (json!({"description": "Slides attached"}), "Slides attached"),
        (json!({"description": ""}), ""),
    ];
    for (patch, description) in patches {
        let answer = app
            .send(
                Req::new(Method::PATCH, &path)
                    .bearer(&alice)
                    .json(patch.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{patch} {answer:?}");
        assert_eq!(answer.body["description"], description, "{patch}");
    }

    let too_long = "d".repeat(2001);
    for bad in [json!(too_long), json!("tab\there"), json!(5)] {
        let answer = app
            .send(
                Req::new(Method::PATCH, &path)
                    .bearer(&alice)
                    .json(json!({ "description": bad })),
            )
            .await;
        assert!(answer.status.is_client_error(), "{bad} {answer:?}");
        assert_eq!(answer.header("content-type"), "application/problem+json");
    }
}

#[tokio::test]
async fn meetings_carry_a_scheduled_start() {
    let app = TestApp::new().await;
    let alice = app.login("alice").await;
    // Any offset is accepted and answered in UTC.
    let created = app
        .send(
            Req::post("/api/v1/meetings")
                .bearer(&alice)
                .json(json!({"title": "Review", "starts_at": "2030-05-04T09:30:00+02:00"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.body["starts_at"], "2030-05-04T07:30:00Z");
    let plain = app
        .send(
            Req::post("/api/v1/meetings")
                .bearer(&alice)
                .json(json!({"title": "Ad hoc"})),
        )
        .await;
    assert_eq!(plain.body["starts_at"], json!(null));

    let path = format!("/api/v1/meetings/{}", created.body["id"].as_str().unwrap());
    // (patch, expected starts_at): other fields keep it, null clears it.
    let patches = [
        (json!({"title": "Review 2"}), json!("2030-05-04T07:30:00Z")),
        (
            json!({"starts_at": "2031-01-02T03:04:05Z"}),
            json!("2031-01-02T03:04:05Z"),
        ),
        (json!({"starts_at": null}), json!(null)),
    ];
    for (patch, starts_at) in patches {
        let answer = app
            .send(
                Req::new(Method::PATCH, &path)
                    .bearer(&alice)
                    .json(patch.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{patch} {answer:?}");
        assert_eq!(answer.body["starts_at"], starts_at, "{patch}");
        let fetched = app.send(Req::get(&path).bearer(&alice)).await;
        assert_eq!(fetched.body["starts_at"], starts_at, "{patch}");
    }

    // Malformed, out of range once in UTC, or not a string: a problem naming the field.
    for bad in [
        json!("tomorrow"),
        json!("2030-05-04 09:30"),
        json!("9999-12-31T23:30:00-01:00"),
        json!(1_900_000_000),
    ] {
        for request in [
            Req::new(Method::PATCH, &path),
            Req::post("/api/v1/meetings"),
        ] {
            let answer = app
                .send(
                    request
                        .bearer(&alice)
                        .json(json!({"title": "x", "starts_at": bad})),
                )
                .await;
            assert!(answer.status.is_client_error(), "{bad} {answer:?}");
            assert_eq!(answer.header("content-type"), "application/problem+json");
            assert!(
                answer.body["detail"].to_string().contains("starts_at"),
                "{bad} {answer:?}"
            );
        }
    }
    let kept = app.send(Req::get(&path).bearer(&alice)).await;
    assert_eq!(kept.body["title"], "Review 2");
}
