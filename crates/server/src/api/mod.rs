//! The REST API under `/api/v1` (docs/signaling.md is the contract).
//!
//! Every error is an RFC 9457 problem body ([`ApiError`]): the extractors in [`extract`]
//! turn axum's rejections into problems, and unknown routes and methods get problems too.

pub mod admin;
pub mod api_clients;
pub mod audit;
pub mod auth;
pub mod external;
pub mod extract;
pub mod invites;
pub mod ldap;
pub mod meetings;
pub mod oauth;
pub mod oidc;
pub mod problem;
pub mod tenants;
pub mod validate;

use crate::passwords;
use crate::state::AppState;
use crate::tokens::IssuedToken;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plenum_protocol::MeetingId;
use plenum_protocol::rest::{ClientConfig, Invite, MeetingTokenResponse};
use plenum_store::{InviteRecord, MeetingRecord};
pub use problem::ApiError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Largest request body accepted anywhere.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes below `/api/v1`, without state.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/meetings", get(meetings::list).post(meetings::create))
        .route(
            "/meetings/{id}",
            get(meetings::get)
                .patch(meetings::update)
                .delete(meetings::delete),
        )
        .route(
            "/meetings/{id}/invites",
            get(meetings::list_invites).post(meetings::create_invite),
        )
        .route(
            "/meetings/{id}/invites/{code}",
            axum::routing::delete(meetings::revoke_invite),
        )
        .route("/meetings/{id}/join-token", post(meetings::join_token))
        .route("/invites/{code}", get(invites::info))
        .route("/invites/{code}/guest-token", post(invites::guest_token))
        .route(
            "/invites/{code}/guest-token/refresh",
            post(invites::guest_token_refresh),
        )
        .route("/config", get(client_config))
        .route("/audit/entries", get(audit::entries))
        .route("/audit/checkpoint", get(audit::checkpoint))
        .route("/audit/export", get(audit::export_bundle))
        .route("/audit/entries/{seq}/proof", get(audit::proof))
        .route("/meetings/{id}/votes", get(crate::vote::api::list))
        .route(
            "/votes/{vote}/protocol",
            get(crate::vote::api::protocol_json),
        )
        .route("/votes/{vote}/receipt", get(crate::vote::api::receipt))
        .route(
            "/votes/{vote}/protocol.pdf",
            get(crate::vote::api::protocol_pdf),
        )
        .route("/auth/ldap/login", post(ldap::login))
        .merge(oidc::routes())
        .merge(admin::routes())
        .merge(tenants::routes())
        .merge(api_clients::routes())
        .merge(oauth::routes())
}

async fn client_config(State(state): State<AppState>) -> Json<ClientConfig> {
    Json(crate::branding::client_config(&state))
}

/// Fallback for any path under `/api` that names no route.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such API route")
}

/// Fallback for a known path with a method it does not support.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not support that method",
    )
}

/// Refuses bodies announced as larger than [`MAX_BODY_BYTES`] before any handler runs;
/// bodies that turn out larger while streaming are stopped by `DefaultBodyLimit` and
/// answered with the same problem by [`extract::ApiJson`].
pub async fn limit_body(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > MAX_BODY_BYTES as u64 => ApiError::too_large().into_response(),
        _ => next.run(request).await,
    }
}

/// Cuts off requests that take longer than `http.request_timeout` to read and answer, so
/// a client trickling its body cannot hold a handler forever.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.http.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long",
        )
        .into_response(),
    }
}

/// RFC 3339 in UTC, as every time in the API.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .expect("every OffsetDateTime within year 0..=9999 formats as RFC 3339")
}

/// Invite codes are 22 base64url characters; anything else cannot be one, and is refused
/// before touching the store.
pub fn invite_code_is_wellformed(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The answer to every request for a meeting-scoped token.
pub fn meeting_token_body(
    issued: IssuedToken,
    meeting_id: MeetingId,
) -> Json<MeetingTokenResponse> {
    Json(MeetingTokenResponse {
        access_token: issued.token,
        expires_at: rfc3339(issued.expires_at),
        meeting_id,
    })
}

pub fn invite_body(state: &AppState, invite: &InviteRecord) -> Invite {
    Invite {
        code: invite.code.clone(),
        meeting_id: invite.meeting_id,
        url: format!("{}/j/{}", state.config.http.public_url, invite.code),
        expires_at: invite.expires_at.map(rfc3339),
        created_at: rfc3339(invite.created_at),
    }
}

/// Checks the meeting password, if the meeting has one: absent → 401 `password_required`,
/// wrong → 401 `wrong_password` (the password is a credential; the web client shows
/// "wrong password" on 401).
pub async fn check_meeting_password(
    meeting: &MeetingRecord,
    given: Option<String>,
) -> Result<(), ApiError> {
    let Some(phc) = &meeting.password_hash else {
        return Ok(());
    };
    let Some(given) = given.filter(|p| !p.is_empty()) else {
        return Err(ApiError::unauthorized(
            "password_required",
            "this meeting needs a password",
        ));
    };
    if given.chars().count() > validate::MAX_PASSWORD_CHARS
        || !passwords::verify(given, phc.clone()).await?
    {
        return Err(ApiError::unauthorized(
            "wrong_password",
            "wrong meeting password",
        ));
    }
    Ok(())
}
