//! The breached-password list (`security.breached_password_file`): a tenant policy with
//! `reject_breached_passwords` refuses new passwords found in it.

use crate::admin::account;
use crate::common::{Req, TempDir, TestApp};
use axum::http::Method;
use plenum_protocol::AccountRole;
use serde_json::{Value, json};

const BREACHED: &str = "correcthorsebatterystaple";

fn new_user(token: &str, username: &str, password: &str) -> Req {
    Req::post("/api/v1/tenants/default/users")
        .bearer(token)
        .json(json!({
            "username": username, "display_name": username, "password": password, "role": "user"
        }))
}

fn put_policy(token: &str, policy: Value) -> Req {
    Req::new(Method::PUT, "/api/v1/tenants/default/policy")
        .bearer(token)
        .json(policy)
}

/// An instance admin's token and the default tenant's policy in force.
async fn admin_and_policy(app: &TestApp) -> (String, Value) {
    let root = account(app, "root", AccountRole::InstanceAdmin, "default").await;
    let policy = app
        .send(Req::get("/api/v1/tenants/default/policy").bearer(&root))
        .await;
    assert_eq!(policy.status, 200, "{policy:?}");
    (root, policy.body)
}

#[tokio::test]
async fn a_password_in_the_breached_list_is_refused_while_the_policy_says_so() {
    let dir = TempDir::new();
    let list = dir.path().join("breached.txt");
    // CRLF line ends and blank lines, as downloaded lists come.
    std::fs::write(
        &list,
        format!("password123456\r\n\r\n{BREACHED}\r\nqwertyuiop12\n"),
    )
    .unwrap();
    let app =
        TestApp::with_config(&[("security.breached_password_file", list.to_str().unwrap())]).await;
    let (root, policy) = admin_and_policy(&app).await;
    assert_eq!(
        policy["reject_breached_passwords"], true,
        "on by default once a list is configured: {policy}"
    );

    let refused = app.send(new_user(&root, "dora", BREACHED)).await;
    refused.assert_problem(422, "invalid_field");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("breached"), "{detail}");
    assert!(
        !detail.contains(BREACHED),
        "the password is not echoed: {detail}"
    );
    assert!(app.state.store.user_by_username("dora").await.is_err());

    // A password that is not in the list (nor a line of it cut short) is accepted.
    let accepted = app
        .send(new_user(&root, "dora", "correcthorsebatterystaple!"))
        .await;
    assert_eq!(accepted.status, 201, "{accepted:?}");

    // With the check switched off in the policy, the list no longer applies.
    let mut relaxed = policy;
    relaxed["reject_breached_passwords"] = json!(false);
    let put = app.send(put_policy(&root, relaxed)).await;
    assert_eq!(put.status, 200, "{put:?}");
    let created = app.send(new_user(&root, "emil", BREACHED)).await;
    assert_eq!(created.status, 201, "{created:?}");
}

#[tokio::test]
async fn the_check_cannot_be_switched_on_without_a_list() {
    let app = TestApp::new().await;
    let (root, mut policy) = admin_and_policy(&app).await;
    assert_eq!(policy["reject_breached_passwords"], false);
    policy["reject_breached_passwords"] = json!(true);
    let refused = app.send(put_policy(&root, policy)).await;
    refused.assert_problem(422, "invalid_field");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("security.breached_password_file"),
        "{refused:?}"
    );
}
