//! The administration API: tenants, accounts, policy settings — scoped per tenant, with
//! every change in the audit trail, and role removal cutting live connections (SEC-02).

use crate::common::{ALICE_PASSWORD, Req, TestApp};
use crate::signaling::{closed_with, serve};
use plenum_protocol::AccountRole;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const ROOT_PASSWORD: &str = "root-secret-password-1";

/// Creates an account with `role` in `tenant` straight in the store; returns its token
/// from a real password login.
pub async fn account(app: &TestApp, username: &str, role: AccountRole, tenant: &str) -> String {
    let hash = plenum_server::passwords::hash(ROOT_PASSWORD.into())
        .await
        .unwrap();
    app.state
        .store
        .create_user(
            plenum_store::NewUser {
                username: username.into(),
                display_name: username.into(),
                password_hash: hash,
                role,
                tenant_id: tenant.into(),
            },
            app.state.clock.now(),
        )
        .await
        .unwrap();
    let answer = app.login_answer(username, ROOT_PASSWORD).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["access_token"].as_str().unwrap().to_owned()
}

async fn actions(app: &TestApp) -> Vec<String> {
    let entries = app.state.store.audit_entries(0, 10_000).await.unwrap();
    entries.into_iter().map(|b| b.entry.action).collect()
}

fn post(path: &str, token: &str, body: Value) -> Req {
    Req::post(path).bearer(token).json(body)
}

#[tokio::test]
async fn tenants_and_accounts_are_managed_within_their_scope() {
    let app = TestApp::new().await;
    let root = account(&app, "root", AccountRole::InstanceAdmin, "default").await;
    let created = app
        .send(post(
            "/api/v1/tenants",
            &root,
            json!({"id": "acme", "name": "Acme"}),
        ))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    app.send(post(
        "/api/v1/tenants",
        &root,
        json!({"id": "Bad Id", "name": "x"}),
    ))
    .await
    .assert_problem(422, "invalid_field");
    app.send(post(
        "/api/v1/tenants",
        &root,
        json!({"id": "acme", "name": "again"}),
    ))
    .await
    .assert_problem(409, "tenant_exists");

    // The instance admin creates Acme's tenant admin, who manages Acme only.
    let admin = app
        .send(post(
            "/api/v1/tenants/acme/users",
            &root,
            json!({"username": "ada", "display_name": "Ada", "password": ROOT_PASSWORD, "role": "tenant_admin"}),
        ))
        .await;
    assert_eq!(admin.status, 201, "{admin:?}");
    assert_eq!(admin.body["tenant_id"], "acme");
    let ada = app.login_answer("ada", ROOT_PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app.send(Req::get("/api/v1/me").bearer(&ada)).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["tenant_id"].as_str()),
        (Some("tenant_admin"), Some("acme"))
    );

    let made = app
        .send(post(
            "/api/v1/tenants/acme/users",
            &ada,
            json!({"username": "carl", "display_name": "Carl", "password": ROOT_PASSWORD, "role": "user"}),
        ))
        .await;
    assert_eq!(made.status, 201, "{made:?}");
    // Too short for the policy; a role above a tenant admin's reach; a taken name.
    for (body, status, code) in [
        (
            json!({"username": "dan", "display_name": "D", "password": "short", "role": "user"}),
            422,
            "invalid_field",
        ),
        (
            json!({"username": "eve", "display_name": "E", "password": ROOT_PASSWORD, "role": "auditor"}),
            403,
            "forbidden",
        ),
        (
            json!({"username": "eve", "display_name": "E", "password": ROOT_PASSWORD, "role": "instance_admin"}),
            403,
            "forbidden",
        ),
        (
            json!({"username": "carl", "display_name": "C", "password": ROOT_PASSWORD, "role": "user"}),
            409,
            "username_taken",
        ),
    ] {
        app.send(post("/api/v1/tenants/acme/users", &ada, body))
            .await
            .assert_problem(status, code);
    }
    let listed = app
        .send(Req::get("/api/v1/tenants/acme/users").bearer(&ada))
        .await;
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ada", "carl"]);
    // Other tenants are out of reach: a token of another tenant is refused.
    app.send(Req::get("/api/v1/tenants/default/users").bearer(&ada))
        .await
        .assert_problem(401, "token_wrong_tenant");
    // An account id of another tenant is not found under this one.
    let alice = app.state.store.user_by_username("alice").await.unwrap();
    app.send(Req::get(&format!("/api/v1/tenants/acme/users/{}", alice.id)).bearer(&ada))
        .await
        .assert_problem(404, "not_found");
    // A tenant with accounts cannot be deleted.
    app.send(Req::new(axum::http::Method::DELETE, "/api/v1/tenants/acme").bearer(&root))
        .await
        .assert_problem(409, "tenant_in_use");
    let trail = actions(&app).await;
    for action in ["tenant.create", "user.create"] {
        assert!(trail.iter().any(|a| a == action), "{action} in {trail:?}");
    }
}

#[tokio::test]
async fn policy_settings_are_enforced_and_audited() {
    let app = TestApp::new().await;
    let root = account(&app, "root", AccountRole::InstanceAdmin, "default").await;
    let policy = app
        .send(Req::get("/api/v1/tenants/default/policy").bearer(&root))
        .await;
    assert_eq!(policy.status, 200, "{policy:?}");
    let mut changed = policy.body.clone();
    changed["meeting_creators"] = json!(["instance_admin"]);
    changed["guests_allowed"] = json!(false);
    changed["session_idle_timeout_secs"] = json!(600);
    let put = app
        .send(
            Req::new(axum::http::Method::PUT, "/api/v1/tenants/default/policy")
                .bearer(&root)
                .json(changed.clone()),
        )
        .await;
    assert_eq!(put.status, 200, "{put:?}");
    assert!(actions(&app).await.iter().any(|a| a == "config.change"));
    let mut bad = changed.clone();
    bad["meeting_creators"] = json!(["auditor"]);
    app.send(
        Req::new(axum::http::Method::PUT, "/api/v1/tenants/default/policy")
            .bearer(&root)
            .json(bad),
    )
    .await
    .assert_problem(422, "invalid_field");

    // Users may no longer create meetings; the admin may, and guests are refused.
    let alice = app.login("alice").await;
    app.send(post("/api/v1/meetings", &alice, json!({"title": "No"})))
        .await
        .assert_problem(403, "forbidden");
    let meeting = app.create_meeting(&root, json!({"title": "Board"})).await;
    let invite = app.create_invite(&root, &meeting).await;
    app.send(
        Req::post(&format!("/api/v1/invites/{invite}/guest-token"))
            .json(json!({"display_name": "G"})),
    )
    .await
    .assert_problem(403, "guests_not_allowed");

    // The idle timeout (10 min) ends a session that was not refreshed in time.
    let login = app.login_answer("bob", crate::common::BOB_PASSWORD).await;
    let cookie = format!("__Host-plenum_refresh={}", login.refresh_cookie().unwrap());
    app.state.clock.advance(Duration::from_secs(9 * 60));
    let refreshed = app
        .send(Req::post("/api/v1/auth/refresh").header("cookie", &cookie))
        .await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let cookie = format!(
        "__Host-plenum_refresh={}",
        refreshed.refresh_cookie().unwrap()
    );
    app.state.clock.advance(Duration::from_secs(11 * 60));
    app.send(Req::post("/api/v1/auth/refresh").header("cookie", &cookie))
        .await
        .assert_problem(401, "refresh_expired");
}

#[tokio::test]
async fn absolute_session_timeout_ends_even_a_refreshed_session() {
    let app = TestApp::new().await;
    let root = account(&app, "root", AccountRole::InstanceAdmin, "default").await;
    let mut policy = app
        .send(Req::get("/api/v1/tenants/default/policy").bearer(&root))
        .await
        .body;
    policy["session_idle_timeout_secs"] = json!(600);
    policy["session_absolute_timeout_secs"] = json!(1800);
    let put = app
        .send(
            Req::new(axum::http::Method::PUT, "/api/v1/tenants/default/policy")
                .bearer(&root)
                .json(policy),
        )
        .await;
    assert_eq!(put.status, 200, "{put:?}");
    let login = app.login_answer("alice", ALICE_PASSWORD).await;
    let mut cookie = login.refresh_cookie().unwrap();
    for _ in 0..3 {
        app.state.clock.advance(Duration::from_secs(9 * 60));
        let answer = app
            .send(
                Req::post("/api/v1/auth/refresh")
                    .header("cookie", &format!("__Host-plenum_refresh={cookie}")),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        cookie = answer.refresh_cookie().unwrap();
    }
    // 36 minutes after the login: past the absolute timeout, however active.
    app.state.clock.advance(Duration::from_secs(9 * 60));
    app.send(
        Req::post("/api/v1/auth/refresh")
            .header("cookie", &format!("__Host-plenum_refresh={cookie}")),
    )
    .await
    .assert_problem(401, "refresh_expired");
}

/// Joins alice's own meeting over a real socket; returns the socket.
async fn alice_in_her_meeting(served: &crate::signaling::Served) -> (crate::signaling::Ws, String) {
    let app = &served.app;
    let login = app.login_answer("alice", ALICE_PASSWORD).await;
    let token = login.body["access_token"].as_str().unwrap().to_owned();
    let meeting = app.create_meeting(&token, json!({"title": "Live"})).await;
    let join = app
        .send(post(
            &format!("/api/v1/meetings/{meeting}/join-token"),
            &token,
            json!({}),
        ))
        .await;
    let meeting_token = join.body["access_token"].as_str().unwrap().to_owned();
    (
        served.join(&meeting_token).await,
        login.refresh_cookie().unwrap(),
    )
}

#[tokio::test]
async fn role_removal_deletion_and_logout_close_live_sockets_within_a_second() {
    let served = serve().await;
    let app = &served.app;
    let root = account(app, "root", AccountRole::InstanceAdmin, "default").await;
    let alice_id = app.state.store.user_by_username("alice").await.unwrap().id;

    // Role removal.
    let (mut ws, _) = alice_in_her_meeting(&served).await;
    let started = Instant::now();
    let changed = app
        .send(
            Req::new(
                axum::http::Method::PATCH,
                &format!("/api/v1/tenants/default/users/{alice_id}"),
            )
            .bearer(&root)
            .json(json!({"role": "none"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    assert_eq!(closed_with(&mut ws, Duration::from_secs(1)).await, 4401);
    let role_change = started.elapsed();
    assert!(actions(app).await.iter().any(|a| a == "user.role_change"));

    // Logout.
    let (mut ws, cookie) = alice_in_her_meeting_again(&served, &root, alice_id).await;
    let started = Instant::now();
    let out = app
        .send(
            Req::post("/api/v1/auth/logout")
                .header("cookie", &format!("__Host-plenum_refresh={cookie}")),
        )
        .await;
    assert!(out.status.is_success(), "{out:?}");
    assert_eq!(closed_with(&mut ws, Duration::from_secs(1)).await, 4401);
    let logout = started.elapsed();

    // Deletion.
    let (mut ws, _) = alice_in_her_meeting_again(&served, &root, alice_id).await;
    let started = Instant::now();
    let deleted = app
        .send(
            Req::new(
                axum::http::Method::DELETE,
                &format!("/api/v1/tenants/default/users/{alice_id}"),
            )
            .bearer(&root),
        )
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert_eq!(closed_with(&mut ws, Duration::from_secs(1)).await, 4401);
    let deletion = started.elapsed();
    println!(
        "socket closed after role change {role_change:?}, logout {logout:?}, deletion {deletion:?}"
    );
}

/// Gives alice back the user role and joins again.
async fn alice_in_her_meeting_again(
    served: &crate::signaling::Served,
    root: &str,
    alice: plenum_protocol::UserId,
) -> (crate::signaling::Ws, String) {
    let back = served
        .app
        .send(
            Req::new(
                axum::http::Method::PATCH,
                &format!("/api/v1/tenants/default/users/{alice}"),
            )
            .bearer(root)
            .json(json!({"role": "user"})),
        )
        .await;
    assert_eq!(back.status, 200, "{back:?}");
    alice_in_her_meeting(served).await
}
