//! The static web client and the security headers of every response.
//!
//! Files come from `web.assets_dir`; any other non-API path gets `index.html`, so the
//! client's own routes (`/m/{id}`, `/j/{code}`) load the app. If the directory has no
//! `index.html`, every page explains how to build the client instead: the API still works.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::Path;
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Strict by default: only our own origin for scripts, styles and connections (CSP level 3
/// lets `'self'` cover same-origin WebSockets, so no `ws:`/`wss:` wildcard is needed);
/// media elements play `MediaStream`s, which need no source.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Plenum</title></head><body><h1>Plenum is running</h1>\
<p>The web client is not built, so there is no page to show here. Build it with</p>\
<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>\
<p>and restart, or point <code>web.assets_dir</code> at a built client. \
The API under <code>/api/v1</code> works without it.</p></body></html>\n";

/// The fallback handler for every path no API route matched.
#[derive(Clone, Debug)]
pub struct WebClient {
    files: Option<ServeDir<ServeFile>>,
}

impl WebClient {
    pub fn new(assets_dir: &Path) -> Self {
        let index = assets_dir.join("index.html");
        let files = index
            .is_file()
            .then(|| ServeDir::new(assets_dir).fallback(ServeFile::new(index)));
        if files.is_none() {
            tracing::warn!(dir = %assets_dir.display(), "web client not built; serving a placeholder page");
        }
        Self { files }
    }

    pub async fn handle(&self, request: Request) -> Response {
        let path = request.uri().path();
        if path == "/api" || path.starts_with("/api/") {
            return crate::api::not_found().await.into_response();
        }
        match &self.files {
            Some(files) => match files.clone().oneshot(request).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            },
            None => (StatusCode::OK, Html(NOT_BUILT)).into_response(),
        }
    }
}

/// Headers set on every response that does not set them itself.
pub fn security_headers() -> [SetResponseHeaderLayer<HeaderValue>; 5] {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    [
        header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        header(header::REFERRER_POLICY, "no-referrer"),
        header(header::X_FRAME_OPTIONS, "DENY"),
        header(
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(self), display-capture=(self), geolocation=()",
        ),
    ]
}

/// For API answers that must not be cached (tokens, account data).
pub fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}
