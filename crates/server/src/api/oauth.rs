//! `POST /api/v1/oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4)
//! for API clients. Credentials come as HTTP Basic (preferred, §2.3.1) or as
//! `client_id`/`client_secret` form fields; errors are problem bodies whose `code` is the
//! RFC 6749 error (`invalid_client`, `invalid_scope`, `unsupported_grant_type`, …).

use super::problem::ApiError;
use crate::api::api_clients::valid_scopes;
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::authz::Denial;
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use axum::{Json, Router, routing::post};
use base64::Engine as _;
use plenum_protocol::admin::OAuthToken;
use plenum_store::{StoreError, TokenHash};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/oauth/token", post(token))
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

fn invalid_client() -> ApiError {
    ApiError::unauthorized(
        "invalid_client",
        "unknown client, wrong secret or revoked client",
    )
    .denied(Denial {
        claims: None,
        resource: None,
        reason: "invalid_client",
    })
}

/// The client id and secret of HTTP Basic authentication, if sent.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

async fn token(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Json<OAuthToken>, ApiError> {
    let Form(body) = form.map_err(|e| ApiError::bad_request("invalid_request", e.body_text()))?;
    if body.grant_type != "client_credentials" {
        return Err(ApiError::bad_request(
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        ));
    }
    let (id, secret) = match (
        basic_credentials(&headers),
        body.client_id,
        body.client_secret,
    ) {
        (Some(credentials), None, None) => credentials,
        (None, Some(id), Some(secret)) => (id, secret),
        _ => return Err(invalid_client()),
    };
    let id = uuid::Uuid::parse_str(&id).map_err(|_| invalid_client())?;
    let client = match state.store.api_client(id).await {
        Ok(client) => client,
        Err(StoreError::NotFound) => return Err(invalid_client()),
        Err(e) => return Err(e.into()),
    };
    // Comparing digests: equal prefixes of two SHA-256 values say nothing about the secret.
    if client.revoked_at.is_some() || TokenHash::of(&secret).as_str() != client.secret_hash {
        return Err(invalid_client());
    }
    // A narrower scope may be asked for; never a wider one.
    let scopes = match body
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => client.scopes.clone(),
        Some(asked) => {
            let asked: Vec<String> = asked.split(' ').map(str::to_owned).collect();
            let asked = valid_scopes(&asked)
                .map_err(|_| ApiError::bad_request("invalid_scope", "unknown scope"))?;
            if asked.iter().any(|s| !client.scopes.contains(s)) {
                return Err(ApiError::bad_request(
                    "invalid_scope",
                    "the client was not granted that scope",
                ));
            }
            asked
        }
    };
    let now = state.clock.now();
    let issued =
        state
            .tokens
            .issue_client(client.id, &client.name, &client.tenant_id, &scopes, now);
    let event = AuditEvent::new(
        "auth.login",
        Outcome::Success,
        EventActor {
            kind: crate::audit::ActorKind::Service,
            id: client.id.to_string(),
            tenant: client.tenant_id.clone(),
        },
        format!("api_client:{}", client.id),
    )
    .detail("method", "client_credentials");
    state.audit(&meta, event).await?;
    let expires_in = u64::try_from((issued.expires_at - now).whole_seconds()).unwrap_or(0);
    Ok(Json(OAuthToken {
        access_token: issued.token,
        token_type: "Bearer".into(),
        expires_in,
        scope: scopes.join(" "),
    }))
}
