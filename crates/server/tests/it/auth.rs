//! Login, access-token checks on a protected route, refresh rotation, logout.

use crate::common::{ALICE_PASSWORD, Req, TestApp};
use axum::http::StatusCode;
use plenum_protocol::signaling::Role;
use plenum_protocol::{MeetingId, UserId};
use plenum_server::tokens::{Claims, TokenKind, TokenService, generate_pem};
use std::time::Duration;
use time::OffsetDateTime;

#[tokio::test]
async fn login_succeeds_only_with_the_right_password() {
    let app = TestApp::new().await;
    let ok = app.login_answer("alice", ALICE_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    assert_eq!(ok.body["user"]["username"], "alice");
    assert_eq!(ok.body["user"]["display_name"], "alice display");
    assert_eq!(ok.body["user"]["role"], "user");
    assert_eq!(ok.body["user"]["tenant_id"], "default");
    let expires_at = ok.body["expires_at"].as_str().unwrap();
    assert!(
        OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339).is_ok()
    );
    let claims = app.claims_of(&ok);
    assert_eq!(claims.kind, TokenKind::User);
    assert_eq!(claims.aud, "plenum");
    assert_eq!(claims.iss, app.state.config.http.public_url);

    // The refresh cookie carries every attribute the contract names.
    let cookie = ok.header("set-cookie");
    assert!(
        ok.refresh_cookie().is_some_and(|v| v.len() >= 43),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            cookie.split("; ").any(|a| a == attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(!cookie.contains("Domain"), "{cookie}");

    // (username, password)
    let failures = [
        ("alice", "wrong"),
        ("alice", ""),
        ("nobody", ALICE_PASSWORD),
        ("", ""),
        ("ALICE", ALICE_PASSWORD),
    ];
    for (username, password) in failures {
        let answer = app.login_answer(username, password).await;
        answer.assert_problem(401, "invalid_credentials");
        assert!(answer.header("set-cookie").is_empty(), "{username}");
    }
}

#[tokio::test]
async fn protected_route_refuses_bad_tokens() {
    let app = TestApp::new().await;
    let good = app.login("alice").await;
    let base = app.state.tokens.verify(&good).unwrap();
    let now = OffsetDateTime::now_utc();
    let sign = |claims: &Claims| app.state.tokens.sign(claims, now).token;

    let expired = sign(&Claims {
        exp: (now - Duration::from_secs(60)).unix_timestamp(),
        ..base.clone()
    });
    let just_expired_within_leeway = sign(&Claims {
        exp: (now - Duration::from_secs(2)).unix_timestamp(),
        ..base.clone()
    });
    let wrong_audience = sign(&Claims {
        aud: "other-service".into(),
        ..base.clone()
    });
    let wrong_issuer = sign(&Claims {
        iss: "https://evil.example".into(),
        ..base.clone()
    });
    let forger =
        TokenService::from_pem(&generate_pem(), &base.iss, Duration::from_secs(900)).unwrap();
    let forged = forger
        .issue_user(
            &plenum_server::tokens::Account {
                id: base.sub,
                name: "alice display".into(),
                role: plenum_protocol::AccountRole::InstanceAdmin,
                tenant: "default".into(),
                session: None,
            },
            now,
        )
        .token;
    let meeting_token = app
        .state
        .tokens
        .issue_meeting(base.sub, "alice", MeetingId::random(), Role::Owner, now)
        .token;
    let guest_token = app
        .state
        .tokens
        .issue_guest(UserId::random(), "guest", MeetingId::random(), "code", now)
        .token;

    // (Authorization header, expected status, expected code)
    let cases: Vec<(Option<String>, u16, &str)> = vec![
        (Some(format!("Bearer {good}")), 200, ""),
        (Some(format!("bearer {good}")), 200, ""),
        (
            Some(format!("Bearer {just_expired_within_leeway}")),
            200,
            "",
        ),
        (None, 401, "token_missing"),
        (Some("Bearer".into()), 401, "token_missing"),
        (Some(format!("Basic {good}")), 401, "token_missing"),
        (Some("Bearer not.a.jwt".into()), 401, "token_malformed"),
        (Some(format!("Bearer {expired}")), 401, "token_expired"),
        (
            Some(format!("Bearer {forged}")),
            401,
            "token_invalid_signature",
        ),
        (
            Some(format!("Bearer {wrong_audience}")),
            401,
            "token_wrong_audience",
        ),
        (
            Some(format!("Bearer {wrong_issuer}")),
            401,
            "token_wrong_issuer",
        ),
        (
            Some(format!("Bearer {meeting_token}")),
            401,
            "token_wrong_kind",
        ),
        (
            Some(format!("Bearer {guest_token}")),
            401,
            "token_wrong_kind",
        ),
    ];
    for (authorization, status, code) in cases {
        for path in ["/api/v1/me", "/api/v1/meetings"] {
            let mut req = Req::get(path);
            if let Some(value) = &authorization {
                req = req.header("authorization", value);
            }
            let answer = app.send(req).await;
            if status == 200 {
                assert_eq!(
                    answer.status,
                    StatusCode::OK,
                    "{authorization:?} {answer:?}"
                );
            } else {
                answer.assert_problem(status, code);
                assert_eq!(answer.header("www-authenticate"), "Bearer");
            }
        }
    }
}

#[tokio::test]
async fn me_returns_the_account() {
    let app = TestApp::new().await;
    let token = app.login("bob").await;
    let me = app.send(Req::get("/api/v1/me").bearer(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "bob");
    assert_eq!(me.header("cache-control"), "no-store");
    let claims = app.state.tokens.verify(&token).unwrap();
    assert_eq!(me.body["id"], claims.sub.to_string());
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::new().await;
    let login = app.login_answer("alice", ALICE_PASSWORD).await;
    let first = login.refresh_cookie().unwrap();
    let refresh = |cookie: &str| {
        Req::post("/api/v1/auth/refresh").header(
            "cookie",
            &format!("theme=dark; __Host-plenum_refresh={cookie}"),
        )
    };

    let second = app.send(refresh(&first)).await;
    assert_eq!(second.status, StatusCode::OK, "{second:?}");
    assert_eq!(second.body["user"]["username"], "alice");
    let second_cookie = second.refresh_cookie().unwrap();
    assert_ne!(second_cookie, first);
    let token = second.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.send(Req::get("/api/v1/me").bearer(token)).await.status,
        StatusCode::OK
    );

    // Replaying the first cookie is reuse: refused, cookie cleared, whole family revoked.
    let replay = app.send(refresh(&first)).await;
    replay.assert_problem(401, "refresh_reused");
    assert!(replay.header("set-cookie").contains("Max-Age=0"));
    app.send(refresh(&second_cookie))
        .await
        .assert_problem(401, "refresh_reused");

    // Other failures.
    app.send(Req::post("/api/v1/auth/refresh"))
        .await
        .assert_problem(401, "refresh_missing");
    app.send(refresh("made-up"))
        .await
        .assert_problem(401, "refresh_invalid");

    // A separate login is unaffected, and logout ends it.
    let other = app
        .login_answer("alice", ALICE_PASSWORD)
        .await
        .refresh_cookie()
        .unwrap();
    let rotated = app.send(refresh(&other)).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let current = rotated.refresh_cookie().unwrap();
    let logout = app
        .send(
            Req::post("/api/v1/auth/logout")
                .header("cookie", &format!("__Host-plenum_refresh={current}")),
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.header("set-cookie").contains("Max-Age=0"));
    app.send(refresh(&current))
        .await
        .assert_problem(401, "refresh_reused");
    // Logging out without a session is harmless.
    assert_eq!(
        app.send(Req::post("/api/v1/auth/logout")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let app = TestApp::new().await;
    let alice = app.state.store.user_by_username("alice").await.unwrap();
    let now = OffsetDateTime::now_utc();
    let hour = time::Duration::hours(1);
    app.state
        .store
        .create_refresh_token(
            alice.id,
            &plenum_store::TokenHash::of("stale"),
            now - time::Duration::seconds(1),
            now - hour,
        )
        .await
        .unwrap();
    let answer = app
        .send(Req::post("/api/v1/auth/refresh").header("cookie", "__Host-plenum_refresh=stale"))
        .await;
    answer.assert_problem(401, "refresh_expired");
    assert!(answer.header("set-cookie").contains("Max-Age=0"));
}

#[tokio::test]
async fn insecure_cookie_mode_drops_secure_and_the_host_prefix() {
    let app = TestApp::with_config(&[
        ("http.public_url", "http://meet.lan:8080"),
        ("http.insecure_cookies", "true"),
    ])
    .await;
    let login = app.login_answer("alice", ALICE_PASSWORD).await;
    let cookie = login.header("set-cookie").to_owned();
    assert!(cookie.starts_with("plenum_refresh="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let value = cookie
        .trim_start_matches("plenum_refresh=")
        .split(';')
        .next()
        .unwrap();
    let answer = app
        .send(
            Req::post("/api/v1/auth/refresh").header("cookie", &format!("plenum_refresh={value}")),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
}
