//! The test harness: a real store in a temp dir, a real router, real tokens.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use plenum_server::config::{Layer, Origin, RawValue};
use plenum_server::tokens::Claims;
use plenum_server::{AppState, Config, app};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tower::ServiceExt as _;

pub const ALICE_PASSWORD: &str = "alice-secret-1";
pub const BOB_PASSWORD: &str = "bob-secret-2";

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("plenum-server-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub _dir: TempDir,
}

/// An answer: status, headers, body parsed as JSON (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{self:?}"
        );
        assert_eq!(self.body["status"], status, "{self:?}");
        assert_eq!(self.body["code"], code, "{self:?}");
        assert_eq!(self.body["type"], "about:blank");
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
    }

    /// The value of the refresh cookie this answer sets, if any.
    pub fn refresh_cookie(&self) -> Option<String> {
        let set = self.header("set-cookie");
        let value = set
            .strip_prefix("__Host-plenum_refresh=")?
            .split(';')
            .next()?;
        (!value.is_empty()).then(|| value.to_owned())
    }
}

/// A request under construction.
pub struct Req {
    builder: axum::http::request::Builder,
    body: Body,
}

impl Req {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            builder: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    pub fn bearer(mut self, token: &str) -> Self {
        self.builder = self
            .builder
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// Sends the request as if from the peer `addr` (`ip:port`), as `plenum serve` sees
    /// peers through `ConnectInfo`.
    pub fn peer(mut self, addr: &str) -> Self {
        let peer: std::net::SocketAddr = addr.parse().unwrap();
        self.builder = self.builder.extension(axum::extract::ConnectInfo(peer));
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(body.to_string());
        self
    }

    pub fn raw(mut self, content_type: Option<&str>, body: impl Into<Body>) -> Self {
        if let Some(ct) = content_type {
            self.builder = self.builder.header(header::CONTENT_TYPE, ct);
        }
        self.body = body.into();
        self
    }
}

/// Config for a test instance with its data in `dir`.
pub fn test_config(dir: &Path, extra: &[(&str, &str)]) -> Config {
    let mut layer = Layer::default();
    let data = dir.join("data");
    let mut set = |k: &str, v: &str| layer.set(k, RawValue::Text(v.into()), Origin::Default);
    set("store.data_dir", data.to_str().unwrap());
    set("web.assets_dir", dir.join("no-assets").to_str().unwrap());
    // Tests run in parallel: each instance's media socket takes a free port.
    set("media.bind", "127.0.0.1:0");
    for (k, v) in extra {
        set(k, v);
    }
    Config::from_layer(&layer).unwrap()
}

/// The PostgreSQL server of the machine; `PLENUM_TEST_POSTGRES_URL=off` skips tests that
/// need it.
pub fn postgres_base_url() -> Option<String> {
    let url = std::env::var("PLENUM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    (url != "off").then_some(url)
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(&[]).await
    }

    /// An instance whose store is a fresh schema in PostgreSQL; `None` when skipped.
    /// Returns the schema too, for [`drop_schema`].
    pub async fn postgres() -> Option<(Self, String)> {
        let base = postgres_base_url()?;
        let schema = format!("plenum_server_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let url = format!("{base}?options=-c%20search_path%3D{schema}");
        Some((
            Self::with_config(&[("store.database_url", &url)]).await,
            schema,
        ))
    }

    pub async fn drop_schema(self, schema: &str) {
        self.state.store.close().await;
        let base = postgres_base_url().unwrap();
        let admin = sqlx::PgPool::connect(&base).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    }

    /// An instance with users alice and bob; `extra` are config keys for this test.
    pub async fn with_config(extra: &[(&str, &str)]) -> Self {
        let dir = TempDir::new();
        let config = test_config(dir.path(), extra);
        let store = plenum_server::serve::open_store(&config).await.unwrap();
        for (name, password) in [("alice", ALICE_PASSWORD), ("bob", BOB_PASSWORD)] {
            let hash = plenum_server::passwords::hash(password.into())
                .await
                .unwrap();
            store
                .create_user(
                    plenum_store::NewUser {
                        username: name.into(),
                        display_name: format!("{name} display"),
                        password_hash: hash,
                        role: plenum_protocol::AccountRole::User,
                        tenant_id: plenum_protocol::DEFAULT_TENANT.into(),
                    },
                    time::OffsetDateTime::now_utc(),
                )
                .await
                .unwrap();
        }
        let state = plenum_server::serve::build_state(config, store)
            .await
            .unwrap();
        let router = app(state.clone());
        Self {
            state,
            router,
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Req) -> Answer {
        let request = req.builder.body(req.body).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// The verified claims of the access token an answer carries.
    #[track_caller]
    pub fn claims_of(&self, answer: &Answer) -> Claims {
        let token = answer.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token in {answer:?}"));
        self.state.tokens.verify(token).unwrap()
    }

    pub async fn login_answer(&self, username: &str, password: &str) -> Answer {
        self.send(Req::post("/api/v1/auth/login").json(serde_json::json!({
            "username": username, "password": password
        })))
        .await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, username: &str) -> String {
        let password = if username == "alice" {
            ALICE_PASSWORD
        } else {
            BOB_PASSWORD
        };
        let answer = self.login_answer(username, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates a meeting as the owner of `token`; returns its id.
    pub async fn create_meeting(&self, token: &str, body: Value) -> String {
        let answer = self
            .send(Req::post("/api/v1/meetings").bearer(token).json(body))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates an invite for a meeting; returns its code.
    pub async fn create_invite(&self, token: &str, meeting: &str) -> String {
        let answer = self
            .send(
                Req::post(&format!("/api/v1/meetings/{meeting}/invites"))
                    .bearer(token)
                    .json(serde_json::json!({})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        answer.body["code"].as_str().unwrap().to_owned()
    }
}

/// `GET path` on a router: status, headers and the body as bytes (for non-JSON answers).
pub async fn get_raw(router: &Router, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let request = Request::get(path).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

/// Runs `state`'s retention job with audit entries recorded before `horizon` (Unix ms)
/// expired.
pub async fn run_retention(
    state: &AppState,
    horizon: u64,
) -> plenum_server::audit::retention::RetentionReport {
    plenum_server::audit::retention::run_at(
        &state.store,
        &state.config,
        &state.audit_signer,
        horizon,
    )
    .await
    .expect("retention run")
}
