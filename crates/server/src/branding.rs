//! Serving the operator's branding (`[branding]` in the config): the generated stylesheet at
//! `/branding.css`, the logo at `/branding/logo`, and the branding part of `GET /api/v1/config`.
//!
//! The web client links `/branding.css` after its own stylesheet, so the configured colours
//! override the theme's CSS variables without inline styles (the CSP stays `style-src 'self'`).

use crate::api::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use plenum_protocol::rest::{ClientConfig, LocalizedText};

/// Where the logo is served.
pub const LOGO_PATH: &str = "/branding/logo";

/// A logo is an image, never a document: an SVG opened directly gets no scripts, no
/// plugins, and a unique origin.
const LOGO_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/branding.css", get(stylesheet))
        .route(LOGO_PATH, get(logo))
}

/// The body of `GET /api/v1/config`.
pub fn client_config(state: &AppState) -> ClientConfig {
    let branding = &state.config.branding;
    ClientConfig {
        product_name: branding.product_name().to_owned(),
        version: env!("CARGO_PKG_VERSION").into(),
        logo_url: branding.logo.as_ref().map(|_| LOGO_PATH.to_owned()),
        login_text: branding.login_text.as_ref().map(|text| LocalizedText {
            de: text.de.clone(),
            en: text.en.clone(),
        }),
    }
}

async fn stylesheet(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            // The config can change with a restart; browsers revalidate instead of keeping
            // an old brand.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        state.config.branding.colors.stylesheet(),
    )
        .into_response()
}

async fn logo(State(state): State<AppState>) -> Response {
    let Some(logo) = &state.config.branding.logo else {
        return ApiError::not_found("no logo is configured").into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(logo.kind.content_type()),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(LOGO_CSP),
            ),
        ],
        logo.bytes.clone(),
    )
        .into_response()
}
