//! The token rejection matrix (SEC-03): every kind of bad token is refused with 401 on
//! the REST API and closes the signaling socket with 4401 — never a 5xx — and every
//! refusal leaves one `access.denied` event in the audit trail.

use crate::common::{Req, TestApp};
use crate::signaling::{closed_with, send};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use plenum_audit::{Entry, Value};
use plenum_protocol::signaling::Role;
use plenum_protocol::{AccountRole, MeetingId};
use plenum_server::tokens::{Account, Claims, TokenService, generate_pem};
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

async fn denials(app: &TestApp) -> Vec<Entry> {
    let entries = app.state.store.audit_entries(0, 10_000).await.unwrap();
    entries
        .into_iter()
        .map(|b| b.entry)
        .filter(|e| e.action == "access.denied")
        .collect()
}

fn reason(entry: &Entry) -> &str {
    entry
        .details
        .iter()
        .find(|d| d.key == "reason")
        .map(|d| match &d.value {
            Value::Text(t) => t.as_str(),
            Value::Personal(_) => "(personal)",
        })
        .unwrap_or("")
}

/// An RSA private key made for this test by openssl.
fn rsa_key() -> EncodingKey {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "{out:?}");
    EncodingKey::from_rsa_pem(&out.stdout).unwrap()
}

/// Every bad variant of the valid token `good` (claims `base`), by case name and the
/// problem code expected.
fn bad_tokens(
    app: &TestApp,
    good: &str,
    base: &Claims,
) -> Vec<(&'static str, String, &'static str)> {
    let tokens = &app.state.tokens;
    let now = OffsetDateTime::now_utc();
    let sign = |claims: &Claims| tokens.sign(claims, now).token;
    let header_and_body = |alg: &str| {
        let header = B64.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
        let body = B64.encode(serde_json::to_vec(base).unwrap());
        format!("{header}.{body}")
    };
    // The key confusion attack: HS256 with the server's public key as the HMAC secret.
    let public_key = B64
        .decode(tokens.jwks()["keys"][0]["x"].as_str().unwrap())
        .unwrap();
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        base,
        &EncodingKey::from_secret(&public_key),
    )
    .unwrap();
    let rs256 = jsonwebtoken::encode(&Header::new(Algorithm::RS256), base, &rsa_key()).unwrap();
    let other_key =
        TokenService::from_pem(&generate_pem(), tokens.issuer(), Duration::from_secs(900))
            .unwrap()
            .sign(base, now)
            .token;
    let (head, signature) = good.rsplit_once('.').unwrap();
    let mut flipped: Vec<u8> = B64.decode(signature).unwrap();
    flipped[0] ^= 1;
    let tampered_signature = format!("{head}.{}", B64.encode(flipped));
    let mut elevated = base.clone();
    elevated.arl = Some(AccountRole::InstanceAdmin);
    let elevated_body = B64.encode(serde_json::to_vec(&elevated).unwrap());
    let (header, _) = good.split_once('.').unwrap();
    let tampered_claims = format!("{header}.{elevated_body}.{signature}");
    let minutes = |m: i64| time::Duration::minutes(m);
    vec![
        (
            "alg none",
            format!("{}.", header_and_body("none")),
            "token_invalid_signature",
        ),
        (
            "HS256 with the public key",
            hs256,
            "token_invalid_signature",
        ),
        ("RS256", rs256, "token_invalid_signature"),
        ("another key", other_key, "token_invalid_signature"),
        (
            "tampered signature",
            tampered_signature,
            "token_invalid_signature",
        ),
        (
            "tampered claims",
            tampered_claims,
            "token_invalid_signature",
        ),
        (
            "wrong issuer",
            sign(&Claims {
                iss: "https://evil.example".into(),
                ..base.clone()
            }),
            "token_wrong_issuer",
        ),
        (
            "wrong audience",
            sign(&Claims {
                aud: "another-service".into(),
                ..base.clone()
            }),
            "token_wrong_audience",
        ),
        (
            "expired",
            sign(&Claims {
                exp: (now - minutes(2)).unix_timestamp(),
                ..base.clone()
            }),
            "token_expired",
        ),
        (
            "not valid before",
            sign(&Claims {
                nbf: Some((now + minutes(2)).unix_timestamp()),
                ..base.clone()
            }),
            "token_not_yet_valid",
        ),
        (
            "issued in the future",
            sign(&Claims {
                iat: (now + minutes(2)).unix_timestamp(),
                ..base.clone()
            }),
            "token_not_yet_valid",
        ),
        ("garbage", "not.a.jwt".into(), "token_malformed"),
    ]
}

#[tokio::test]
async fn rest_refuses_every_bad_token_with_401_and_records_each_refusal() {
    let app = TestApp::new().await;
    let good = app.login("alice").await;
    let base = app.state.tokens.verify(&good).unwrap();
    assert_eq!(
        app.send(Req::get("/api/v1/me").bearer(&good)).await.status,
        200
    );

    let mut cases = bad_tokens(&app, &good, &base);
    // Logged out: the session is over, and so is every access token issued in it.
    let revoked = app.login("bob").await;
    let refresh = app.login_answer("bob", crate::common::BOB_PASSWORD).await;
    let cookie = refresh.refresh_cookie().unwrap();
    let bob_token = refresh.body["access_token"].as_str().unwrap().to_owned();
    let logout = app
        .send(
            Req::post("/api/v1/auth/logout")
                .header("cookie", &format!("__Host-plenum_refresh={cookie}")),
        )
        .await;
    assert_eq!(logout.status, 204, "{logout:?}");
    cases.push(("revoked by logout", bob_token, "token_revoked"));
    assert_eq!(
        app.send(Req::get("/api/v1/me").bearer(&revoked))
            .await
            .status,
        200,
        "another session of the same account lives on"
    );

    for (case, token, code) in cases {
        let before = denials(&app).await.len();
        let answer = app.send(Req::get("/api/v1/me").bearer(&token)).await;
        answer.assert_problem(401, code);
        assert_eq!(answer.header("www-authenticate"), "Bearer", "{case}");
        let after = denials(&app).await;
        assert_eq!(after.len(), before + 1, "{case}: one access.denied event");
        assert_eq!(reason(after.last().unwrap()), code, "{case}");
    }

    // No token at all, and a scheme that is not Bearer.
    for request in [
        Req::get("/api/v1/me"),
        Req::get("/api/v1/me").header("authorization", &format!("Basic {good}")),
    ] {
        let before = denials(&app).await.len();
        app.send(request).await.assert_problem(401, "token_missing");
        assert_eq!(denials(&app).await.len(), before + 1);
    }
}

#[tokio::test]
async fn a_token_of_another_tenant_is_refused_on_tenant_resources() {
    let app = TestApp::new().await;
    let now = OffsetDateTime::now_utc();
    app.state
        .store
        .create_tenant("acme", "Acme", now)
        .await
        .unwrap();
    let alice = app.state.store.user_by_username("alice").await.unwrap();
    let acme_admin = app
        .state
        .tokens
        .issue_user(
            &Account {
                id: alice.id,
                name: "Alice".into(),
                role: AccountRole::TenantAdmin,
                tenant: "acme".into(),
                session: None,
            },
            now,
        )
        .token;
    let before = denials(&app).await.len();
    let answer = app
        .send(Req::get("/api/v1/tenants/default/users").bearer(&acme_admin))
        .await;
    answer.assert_problem(401, "token_wrong_tenant");
    let after = denials(&app).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(after.last().unwrap().resource, "tenant:default");
    // Its own tenant is open to it.
    let own = app
        .send(Req::get("/api/v1/tenants/acme/users").bearer(&acme_admin))
        .await;
    assert_eq!(own.status, 200, "{own:?}");
}

#[tokio::test]
async fn signaling_refuses_every_bad_token_with_4401_and_records_each_refusal() {
    let served = crate::signaling::serve().await;
    let app = &served.app;
    let alice = app.login("alice").await;
    let meeting = app.create_meeting(&alice, json!({"title": "Matrix"})).await;
    let meeting: MeetingId = meeting.parse().unwrap();
    let join = |token: String| async move {
        let answer = app
            .send(
                Req::post(&format!("/api/v1/meetings/{meeting}/join-token"))
                    .bearer(&token)
                    .json(json!({})),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.body["access_token"].as_str().unwrap().to_owned()
    };
    let good = join(alice.clone()).await;
    let base = app.state.tokens.verify(&good).unwrap();
    assert_eq!(base.role, Some(Role::Owner));

    let mut cases = bad_tokens(app, &good, &base);
    // A meeting token from a session that was logged out since.
    let login = app
        .login_answer("alice", crate::common::ALICE_PASSWORD)
        .await;
    let cookie = login.refresh_cookie().unwrap();
    let revoked = join(login.body["access_token"].as_str().unwrap().to_owned()).await;
    app.send(
        Req::post("/api/v1/auth/logout")
            .header("cookie", &format!("__Host-plenum_refresh={cookie}")),
    )
    .await;
    cases.push(("revoked by logout", revoked, "token_revoked"));
    cases.push(("no token", String::new(), "token_missing"));
    // An account token is not a meeting token.
    cases.push(("account token", alice, "token_wrong_kind"));

    for (case, token, code) in cases {
        let before = denials(app).await.len();
        let mut ws = served.connect().await;
        send(
            &mut ws,
            json!({"type": "session.auth", "payload": {"token": token}}),
        )
        .await;
        assert_eq!(
            closed_with(&mut ws, Duration::from_secs(10)).await,
            4401,
            "{case}"
        );
        let after = denials(app).await;
        assert_eq!(after.len(), before + 1, "{case}: one access.denied event");
        assert_eq!(reason(after.last().unwrap()), code, "{case}");
    }
    // The good token still opens the meeting.
    served.join(&good).await;
}

#[tokio::test]
async fn other_origins_cannot_use_the_refresh_cookie_or_open_sockets() {
    let served = crate::signaling::serve().await;
    let app = &served.app;
    let login = app
        .login_answer("alice", crate::common::ALICE_PASSWORD)
        .await;
    let cookie = format!("__Host-plenum_refresh={}", login.refresh_cookie().unwrap());
    let own = app.state.config.http.public_url.clone();
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let before = denials(app).await.len();
        app.send(
            Req::post(path)
                .header("cookie", &cookie)
                .header("origin", "https://evil.example"),
        )
        .await
        .assert_problem(403, "origin_not_allowed");
        assert_eq!(denials(app).await.len(), before + 1, "{path}");
    }
    // The own origin (and no origin: not a browser page) still works.
    let refreshed = app
        .send(
            Req::post("/api/v1/auth/refresh")
                .header("cookie", &cookie)
                .header("origin", &own),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");

    let url = format!("ws://{}/api/v1/signaling", served.addr);
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            url.as_str(),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("a foreign origin opened a socket: {other:?}"),
    }
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            url.as_str(),
        )
        .unwrap();
    request.headers_mut().insert("origin", own.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}

/// The `entries` with this action.
async fn entries_of(app: &TestApp, action: &str) -> Vec<Entry> {
    let entries = app.state.store.audit_entries(0, 10_000).await.unwrap();
    entries
        .into_iter()
        .map(|b| b.entry)
        .filter(|e| e.action == action)
        .collect()
}

#[tokio::test]
async fn a_burst_of_denials_from_one_source_is_alerted_once() {
    use plenum_server::denial_burst::{BURST_THRESHOLD, BURST_WINDOW};
    let app = TestApp::new().await;
    let bad = |from: &'static str| {
        let app = &app;
        async move {
            app.send(Req::get("/api/v1/me").bearer("not.a.token").peer(from))
                .await
                .assert_problem(401, "token_malformed");
        }
    };
    // One short of the threshold: no alert; another source does not add to it.
    for _ in 0..BURST_THRESHOLD - 1 {
        bad("198.51.100.7:40000").await;
    }
    bad("203.0.113.9:50000").await;
    assert!(entries_of(&app, "access.denied_burst").await.is_empty());
    // The threshold-th denial is the burst; the flood going on adds no second alert.
    for _ in 0..2 * BURST_THRESHOLD {
        bad("198.51.100.7:40001").await;
    }
    let bursts = entries_of(&app, "access.denied_burst").await;
    assert_eq!(bursts.len(), 1, "{bursts:?}");
    assert_eq!(
        plenum_audit::catalogue::severity(&bursts[0].action, bursts[0].outcome),
        plenum_audit::catalogue::Severity::Alert
    );
    assert_eq!(
        denials(&app).await.len(),
        3 * BURST_THRESHOLD,
        "every denial is still recorded"
    );
    // After a quiet window a new burst is alerted again.
    app.state.clock.advance(Duration::from_secs(
        BURST_WINDOW.whole_seconds().unsigned_abs() + 1,
    ));
    for _ in 0..BURST_THRESHOLD {
        bad("198.51.100.7:40002").await;
    }
    assert_eq!(entries_of(&app, "access.denied_burst").await.len(), 2);
}
