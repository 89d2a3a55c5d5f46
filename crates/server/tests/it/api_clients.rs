//! API clients: created and revoked by admins, OAuth 2.0 client credentials, scopes,
//! the secret shown once and stored hashed, revocation effective at once.

use crate::admin::account;
use crate::common::{Req, TestApp};
use base64::Engine as _;
use plenum_protocol::AccountRole;
use serde_json::json;

fn form(body: &str) -> Req {
    Req::post("/api/v1/oauth/token").raw(Some("application/x-www-form-urlencoded"), body.to_owned())
}

#[tokio::test]
async fn client_credentials_open_exactly_the_granted_scopes_until_revoked() {
    let app = TestApp::new().await;
    let admin = account(&app, "ta", AccountRole::TenantAdmin, "default").await;
    let created = app
        .send(
            Req::post("/api/v1/tenants/default/api-clients")
                .bearer(&admin)
                .json(json!({"name": "Reporting", "scopes": ["meetings:read"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.body["client"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&secret)
            .unwrap()
            .len(),
        32,
        "256-bit secret"
    );
    // Shown once: the list has no secret, the store only its SHA-256.
    let listed = app
        .send(Req::get("/api/v1/tenants/default/api-clients").bearer(&admin))
        .await;
    assert!(!listed.body.to_string().contains(&secret));
    let stored = app
        .state
        .store
        .api_client(id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        stored.secret_hash,
        plenum_store::TokenHash::of(&secret).as_str()
    );

    // Basic authentication.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let token = app
        .send(
            form("grant_type=client_credentials")
                .header("authorization", &format!("Basic {basic}")),
        )
        .await;
    assert_eq!(token.status, 200, "{token:?}");
    assert_eq!(token.body["token_type"], "Bearer");
    assert_eq!(token.body["scope"], "meetings:read");
    assert!(token.body["expires_in"].as_u64().unwrap() <= 3600);
    let access = token.body["access_token"].as_str().unwrap().to_owned();
    // Form secret works too.
    let by_form = app
        .send(form(&format!(
            "grant_type=client_credentials&client_id={id}&client_secret={secret}"
        )))
        .await;
    assert_eq!(by_form.status, 200, "{by_form:?}");

    // The scope opens its endpoint and nothing else.
    let meetings = app
        .send(Req::get("/api/v1/tenants/default/meetings").bearer(&access))
        .await;
    assert_eq!(meetings.status, 200, "{meetings:?}");
    for path in [
        "/api/v1/tenants/default/users",
        "/api/v1/tenants/default/policy",
        "/api/v1/tenants/default/api-clients",
    ] {
        app.send(Req::get(path).bearer(&access))
            .await
            .assert_problem(403, "forbidden");
    }
    app.send(Req::get("/api/v1/me").bearer(&access))
        .await
        .assert_problem(401, "token_wrong_kind");
    app.send(Req::get("/api/v1/tenants/other/meetings").bearer(&access))
        .await
        .assert_problem(401, "token_wrong_tenant");

    // Wrong secret, unknown client, unsupported grant, a scope not granted.
    for (request, status, code) in [
        (
            form(&format!(
                "grant_type=client_credentials&client_id={id}&client_secret=nope"
            )),
            401,
            "invalid_client",
        ),
        (
            form(&format!(
                "grant_type=client_credentials&client_id={}&client_secret={secret}",
                uuid::Uuid::new_v4()
            )),
            401,
            "invalid_client",
        ),
        (
            form(&format!(
                "grant_type=password&client_id={id}&client_secret={secret}"
            )),
            400,
            "unsupported_grant_type",
        ),
        (
            form(&format!(
                "grant_type=client_credentials&scope=users:read&client_id={id}&client_secret={secret}"
            )),
            400,
            "invalid_scope",
        ),
        (form("grant_type=client_credentials"), 401, "invalid_client"),
    ] {
        app.send(request).await.assert_problem(status, code);
    }

    // Revoked: the token in hand stops working on the next request, no new ones.
    let revoked = app
        .send(
            Req::new(
                axum::http::Method::DELETE,
                &format!("/api/v1/tenants/default/api-clients/{id}"),
            )
            .bearer(&admin),
        )
        .await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    app.send(Req::get("/api/v1/tenants/default/meetings").bearer(&access))
        .await
        .assert_problem(401, "token_revoked");
    app.send(
        form("grant_type=client_credentials").header("authorization", &format!("Basic {basic}")),
    )
    .await
    .assert_problem(401, "invalid_client");
    let entries = app.state.store.audit_entries(0, 10_000).await.unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e.entry.action.as_str()).collect();
    for action in ["api_client.create", "api_client.revoke"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn only_admins_manage_clients_and_scopes_are_checked() {
    let app = TestApp::new().await;
    let admin = account(&app, "ta", AccountRole::TenantAdmin, "default").await;
    let user = app.login("alice").await;
    let create = |token: &str, scopes: serde_json::Value| {
        Req::post("/api/v1/tenants/default/api-clients")
            .bearer(token)
            .json(json!({"name": "x", "scopes": scopes}))
    };
    app.send(create(&user, json!(["meetings:read"])))
        .await
        .assert_problem(403, "forbidden");
    for scopes in [json!([]), json!(["everything"])] {
        app.send(create(&admin, scopes))
            .await
            .assert_problem(422, "invalid_field");
    }
}
