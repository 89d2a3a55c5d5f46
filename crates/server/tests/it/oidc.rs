//! OIDC login against a real provider: the npm `oidc-provider` in
//! tests/fixtures/oidc/server.mjs, started per test on 127.0.0.1, with Plenum serving on a
//! real socket (the provider calls it back for back-channel logout). The code flow is
//! driven over HTTP like a browser would: redirects followed by hand, the provider's login
//! form posted.

use crate::common::TestApp;
use crate::processes::{KillOnDrop, app_from_toml, npm_ci, repo_root};
use futures_util::{SinkExt as _, StreamExt as _};
use plenum_audit::Outcome;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const CLIENT_ID: &str = "plenum";
const CLIENT_SECRET: &str = "test-client-secret-0123456789";
/// Long enough for any answer on a loaded machine; only reached when a test fails.
const DEADLINE: Duration = Duration::from_secs(15);

/// The test provider and a Plenum instance that trusts it as provider `corp`.
struct Setup {
    _idp: KillOnDrop,
    issuer: String,
    plenum: String,
    app: TestApp,
}

impl Setup {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let plenum = format!("http://{}", listener.local_addr().unwrap());
        let (idp, issuer) = start_provider(&plenum);
        let app = app_from_toml(&config(&plenum, &issuer)).await;
        let router = app.router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        Self {
            _idp: idp,
            issuer,
            plenum,
            app,
        }
    }

    /// Logs `user` in through the provider's form; the browser-like client ends up with
    /// Plenum's refresh cookie. Returns the client and the callback URL it passed.
    async fn login(&self, user: &str, password: &str) -> (reqwest::Client, String) {
        let client = browser();
        let posted = self.submit_login_form(&client, user, password).await;
        let (landed, visited) = follow_response(&client, posted).await;
        let callback = visited
            .iter()
            .find(|u| u.contains("/api/v1/auth/oidc/corp/callback"))
            .unwrap_or_else(|| panic!("never came back to Plenum: {visited:?}"))
            .clone();
        assert_eq!(
            landed.url().path(),
            "/after",
            "landed on return_to: {visited:?}"
        );
        (client, callback)
    }

    /// Starts a login at Plenum (return_to `/after`), follows it to the provider's form and
    /// posts `user` and `password` there; returns the provider's answer to the form.
    async fn submit_login_form(
        &self,
        client: &reqwest::Client,
        user: &str,
        password: &str,
    ) -> reqwest::Response {
        let start = format!(
            "{}/api/v1/auth/oidc/corp/login?return_to=/after",
            self.plenum
        );
        let (form_page, visited) = follow(client, &start).await;
        assert_eq!(form_page.status(), StatusCode::OK, "{visited:?}");
        assert!(
            visited
                .iter()
                .any(|u| u.contains("code_challenge_method=S256"))
        );
        let action = attribute(&form_page.text().await.unwrap(), "action");
        client
            .post(format!("{}{action}", self.issuer))
            .form(&[("login", user), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// The session the client's refresh cookie holds: access token and user.
    async fn session(&self, client: &reqwest::Client) -> Value {
        let answer = client
            .post(format!("{}/api/v1/auth/refresh", self.plenum))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json().await.unwrap()
    }

    async fn create_meeting(&self, token: &str) -> reqwest::Response {
        browser()
            .post(format!("{}/api/v1/meetings", self.plenum))
            .bearer_auth(token)
            .json(&json!({"title": "Standup"}))
            .send()
            .await
            .unwrap()
    }

    /// The audit trail as (action, outcome, value of the `method` detail).
    async fn trail(&self) -> Vec<(String, Outcome, String)> {
        let entries = self.app.state.store.audit_entries(0, 10_000).await.unwrap();
        entries
            .into_iter()
            .map(|bundled| {
                let entry = bundled.entry;
                let method = entry
                    .details
                    .iter()
                    .find(|d| d.key == "method")
                    .map(|d| match &d.value {
                        plenum_audit::Value::Text(text) => text.clone(),
                        plenum_audit::Value::Personal(_) => String::new(),
                    })
                    .unwrap_or_default();
                (entry.action, entry.outcome, method)
            })
            .collect()
    }

    async fn idp_admin(&self, path: &str) -> Value {
        let answer = browser()
            .post(format!("{}{path}", self.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json().await.unwrap()
    }
}

fn start_provider(plenum: &str) -> (KillOnDrop, String) {
    let dir = repo_root().join("tests/fixtures/oidc");
    npm_ci(&dir);
    let mut child = Command::new("node")
        .arg("server.mjs")
        .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
        .args([
            "--redirect-uri",
            &format!("{plenum}/api/v1/auth/oidc/corp/callback"),
        ])
        .args(["--post-logout-uri", &format!("{plenum}/")])
        .args([
            "--backchannel-uri",
            &format!("{plenum}/api/v1/auth/oidc/corp/backchannel-logout"),
        ])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep reading, so the provider never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("provider did not start ({e}): {line:?}"));
    (
        KillOnDrop(child),
        ready["issuer"].as_str().unwrap().to_owned(),
    )
}

/// The `[http]` and `[[oidc.providers]]` sections for a Plenum at `plenum`.
fn config(plenum: &str, issuer: &str) -> String {
    format!(
        r#"
[http]
public_url = "{plenum}"
insecure_cookies = true

[[oidc.providers]]
id = "corp"
display_name = "Corp sign-in"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
scopes = ["openid", "profile", "email", "groups"]
roles = [
  {{ group = "plenum-admins", role = "instance_admin" }},
  {{ group = "plenum-users", role = "user" }},
]
"#
    )
}

/// A client like a browser: keeps cookies, but redirects are followed by [`follow`] so
/// every hop is seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(DEADLINE)
        .build()
        .unwrap()
}

async fn follow(client: &reqwest::Client, url: &str) -> (reqwest::Response, Vec<String>) {
    let first = client.get(url).send().await.unwrap();
    follow_response(client, first).await
}

/// Follows redirects from `response` (at most 20); returns the last answer and every URL
/// passed, in order.
async fn follow_response(
    client: &reqwest::Client,
    mut response: reqwest::Response,
) -> (reqwest::Response, Vec<String>) {
    let mut visited = vec![response.url().to_string()];
    for _ in 0..20 {
        if !response.status().is_redirection() {
            return (response, visited);
        }
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let next = response.url().join(&location).unwrap();
        visited.push(next.to_string());
        response = client.get(next).send().await.unwrap();
    }
    panic!("redirect loop: {visited:?}");
}

/// The value of the first `name="…"` attribute in `html`.
fn attribute(html: &str, name: &str) -> String {
    let marker = format!("{name}=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn oidc_login_maps_groups_to_roles_and_survives_key_rotation() {
    let setup = Setup::start().await;
    let providers: Value = browser()
        .get(format!("{}/api/v1/auth/providers", setup.plenum))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        providers,
        json!({"oidc": [{"id": "corp", "display_name": "Corp sign-in"}], "ldap": false})
    );

    // alice is in plenum-users: role user, may create meetings.
    let (alice, alice_callback) = setup.login("alice", "alice-oidc-pw").await;
    let session = setup.session(&alice).await;
    assert_eq!(session["user"]["role"], "user", "{session}");
    assert_eq!(session["user"]["username"], "alice@corp");
    assert_eq!(session["user"]["display_name"], "Alice Example");
    let alice_id = session["user"]["id"].clone();
    let trail = setup.trail().await;
    for expected in [
        ("user.create", Outcome::Success, ""),
        ("auth.login", Outcome::Success, "oidc"),
    ] {
        assert!(
            trail
                .iter()
                .any(|(a, o, m)| (a.as_str(), *o, m.as_str()) == expected),
            "{expected:?} not in {trail:?}"
        );
    }
    let token = session["access_token"].as_str().unwrap();
    assert_eq!(
        setup.create_meeting(token).await.status(),
        StatusCode::CREATED
    );

    // carol is in plenum-admins: the first matching rule makes her instance admin.
    let (carol, _) = setup.login("carol", "carol-oidc-pw").await;
    assert_eq!(
        setup.session(&carol).await["user"]["role"],
        "instance_admin"
    );

    // dave is in no mapped group: role none, and no rights (deny by default).
    let (dave, _) = setup.login("dave", "dave-oidc-pw").await;
    let session = setup.session(&dave).await;
    assert_eq!(session["user"]["role"], "none");
    let refused = setup
        .create_meeting(session["access_token"].as_str().unwrap())
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A callback is single use: replaying alice's (code and state) fails.
    let (replayed, visited) = follow(&alice, &alice_callback).await;
    assert_eq!(
        replayed.url().query(),
        Some("login_error=oidc_failed"),
        "{visited:?}"
    );
    assert!(
        setup
            .trail()
            .await
            .iter()
            .any(|(a, o, m)| a == "auth.login" && *o == Outcome::Failure && m == "oidc")
    );

    // The provider rotates its signing key; the next login is signed with a key id
    // Plenum has not seen and works without a restart (the JWKS is fetched again).
    let rotated = setup.idp_admin("/admin/rotate-keys").await;
    assert!(rotated["kid"].is_string());
    let (alice_again, _) = setup.login("alice", "alice-oidc-pw").await;
    let session = setup.session(&alice_again).await;
    assert_eq!(
        session["user"]["id"], alice_id,
        "linked by subject, same account"
    );
}

#[tokio::test]
async fn a_callback_in_another_browser_is_refused() {
    let setup = Setup::start().await;
    let victim = browser();
    let posted = setup
        .submit_login_form(&victim, "alice", "alice-oidc-pw")
        .await;
    // Stop before the callback and replay it from a browser without the binding cookie
    // (login CSRF: an attacker's finished login planted in someone else's browser).
    let mut response = posted;
    let callback = loop {
        assert!(response.status().is_redirection());
        let next = response
            .url()
            .join(response.headers()["location"].to_str().unwrap())
            .unwrap();
        if next.path().ends_with("/callback") {
            break next;
        }
        response = victim.get(next).send().await.unwrap();
    };
    let (landed, _) = follow(&browser(), callback.as_str()).await;
    assert_eq!(landed.url().query(), Some("login_error=oidc_failed"));

    // Wrong password at the provider: no callback at all, the form again.
    let again = setup.submit_login_form(&browser(), "alice", "wrong").await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Wrong username or password")
    );
}

#[tokio::test]
async fn backchannel_logout_ends_the_session_and_its_live_socket_within_a_second() {
    let setup = Setup::start().await;
    let (alice, _) = setup.login("alice", "alice-oidc-pw").await;
    let session = setup.session(&alice).await;
    let token = session["access_token"].as_str().unwrap();
    let meeting: Value = setup.create_meeting(token).await.json().await.unwrap();
    let join: Value = browser()
        .post(format!(
            "{}/api/v1/meetings/{}/join-token",
            setup.plenum,
            meeting["id"].as_str().unwrap()
        ))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ws_url = format!("{}/api/v1/signaling", setup.plenum.replace("http", "ws"));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let auth = json!({"type": "session.auth", "payload": {"token": join["access_token"]}});
    ws.send(Message::text(auth.to_string())).await.unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    assert!(
        reply.to_text().unwrap().contains("session.authenticated"),
        "{reply:?}"
    );

    // The provider ends alice's session and tells Plenum on the back channel.
    let started = Instant::now();
    let sent = setup.idp_admin("/admin/logout/alice").await;
    assert_eq!(sent["sent"], 1);
    let code = loop {
        match tokio::time::timeout(DEADLINE, ws.next())
            .await
            .expect("socket not closed")
        {
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            Some(Ok(_)) => continue,
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    };
    let took = started.elapsed();
    assert_eq!(code, 4401);
    assert!(
        took < Duration::from_secs(1),
        "socket closed after {took:?}"
    );
    eprintln!("back-channel logout closed the live socket after {took:?}");

    assert!(
        setup
            .trail()
            .await
            .iter()
            .any(|(a, o, _)| a == "auth.backchannel_logout" && *o == Outcome::Success)
    );

    // The session's refresh token is dead.
    let refresh = alice
        .post(format!("{}/api/v1/auth/refresh", setup.plenum))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);

    // Anything but a valid logout token is refused with a problem, never a 5xx.
    for body in [
        "",
        "logout_token=",
        "logout_token=a.b.c",
        "logout_token=eyJhbGciOiJub25lIn0.e30.",
    ] {
        let answer = browser()
            .post(format!(
                "{}/api/v1/auth/oidc/corp/backchannel-logout",
                setup.plenum
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{body}");
        let problem: Value = answer.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_logout_token");
    }
}

#[tokio::test]
async fn logout_of_an_oidc_session_continues_at_the_provider() {
    let setup = Setup::start().await;
    let (alice, _) = setup.login("alice", "alice-oidc-pw").await;
    setup.session(&alice).await;
    let answer = alice
        .post(format!("{}/api/v1/auth/logout", setup.plenum))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    let url = reqwest::Url::parse(body["end_session_url"].as_str().unwrap()).unwrap();
    assert!(
        url.as_str()
            .starts_with(&format!("{}/session/end", setup.issuer))
    );
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query["post_logout_redirect_uri"],
        format!("{}/", setup.plenum)
    );
    assert_eq!(query["client_id"], CLIENT_ID);
    assert!(query["id_token_hint"].split('.').count() == 3);
    // The provider accepts the request (its logout confirmation page).
    let (page, _) = follow(&alice, url.as_str()).await;
    assert_eq!(page.status(), StatusCode::OK);
}
