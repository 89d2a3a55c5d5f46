//! plenum-server: the `plenum` binary's library half — configuration, the HTTP API,
//! accounts and tokens, the static web client, and the demo data of a first start.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it without a
//! socket; [`serve`] runs it (and everything else) until SIGINT/SIGTERM.

pub mod api;
pub mod audit;
pub mod audit_cli;
pub mod authz;
pub mod branding;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod denial_burst;
pub mod ldap;
pub mod lockout;
pub mod meeting_actor;
pub mod oidc;
pub mod passwords;
pub mod policy;
pub mod serve;
pub mod sessions;
pub mod siem_task;
pub mod signaling;
pub mod state;
pub mod tokens;
pub mod vote;
pub mod vote_cli;
pub mod web;

pub use config::Config;
pub use state::{AppState, MeetingEvent, Shutdown};
pub use tokens::{Claims, TokenError, TokenKind, TokenService};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;

/// The complete HTTP application: `/api/v1/...`, then the web client for everything else.
pub fn app(state: AppState) -> Router {
    let api = api::routes()
        .merge(signaling::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authz::record_denials,
        ))
        .layer(web::no_store());
    let web_client = web::WebClient::new(&state.config.web.assets_dir);
    let mut router = Router::new()
        .nest("/api/v1", api)
        .merge(branding::routes())
        .route(
            "/.well-known/jwks.json",
            axum::routing::get(api::auth::jwks),
        )
        .fallback(move |request| {
            let web_client = web_client.clone();
            async move { web_client.handle(request).await }
        })
        .layer(DefaultBodyLimit::max(api::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(api::limit_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::deadline,
        ));
    for layer in web::security_headers() {
        router = router.layer(layer);
    }
    router
        .layer(axum::middleware::from_fn(audit::request_id::assign))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
