//! API clients of a tenant (OAuth 2.0 client credentials, see [`super::oauth`]):
//! `/api/v1/tenants/{tenant}/api-clients[/{id}]`, for tenant and instance admins.
//!
//! The secret is 256 random bits, shown once in the answer to its creation and stored as
//! its SHA-256 only. A slow password hash (Argon2id) would add nothing: it protects
//! guessable human passwords, while a 256-bit random secret cannot be guessed from its
//! digest; and it would make every token request cost ~19 MiB and tens of milliseconds —
//! a lever for denial of service. Revoking a client ends its tokens at once (every
//! request checks the client).

use super::extract::{ApiJson, ApiPath};
use super::problem::ApiError;
use super::{rfc3339, validate};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::authz::{Permission, TenantAccess, require};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use base64::Engine as _;
use plenum_protocol::admin::{ApiClient, CreateApiClient, CreatedApiClient};
use plenum_store::{ApiClientRecord, NewApiClient, TokenHash};
use rand::RngCore as _;

/// Every scope a client can be granted, and what it opens.
pub const SCOPES: [(&str, &str); 2] = [
    ("users:read", "GET /api/v1/tenants/{tenant}/users"),
    ("meetings:read", "GET /api/v1/tenants/{tenant}/meetings"),
];
/// Most clients per tenant.
pub const MAX_CLIENTS: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tenants/{tenant}/api-clients", get(list).post(create))
        .route("/tenants/{tenant}/api-clients/{id}", delete(revoke))
}

pub fn client_body(c: &ApiClientRecord) -> ApiClient {
    ApiClient {
        client_id: c.id.to_string(),
        name: c.name.clone(),
        tenant_id: c.tenant_id.clone(),
        scopes: c.scopes.clone(),
        created_by: c.created_by,
        created_at: rfc3339(c.created_at),
        revoked_at: c.revoked_at.map(rfc3339),
    }
}

async fn list(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Vec<ApiClient>>, ApiError> {
    require(&access.claims, Permission::ApiClientManage)?;
    let clients = state.store.api_clients(&access.tenant).await?;
    Ok(Json(clients.iter().map(client_body).collect()))
}

/// Checks requested scopes: known, at least one, no repeats.
pub fn valid_scopes(requested: &[String]) -> Result<Vec<String>, ApiError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested {
        if !SCOPES.iter().any(|(name, _)| name == scope) {
            return Err(ApiError::invalid(format!(
                "scopes: unknown scope {scope:?} (known: {})",
                SCOPES.map(|(name, _)| name).join(", ")
            )));
        }
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes: at least one scope"));
    }
    Ok(scopes)
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiJson(body): ApiJson<CreateApiClient>,
) -> Result<(StatusCode, Json<CreatedApiClient>), ApiError> {
    require(&access.claims, Permission::ApiClientManage)?;
    state.store.tenant_by_id(&access.tenant).await?;
    let name = validate::display_name(&body.name)?;
    let scopes = valid_scopes(&body.scopes)?;
    if state.store.api_clients(&access.tenant).await?.len() >= MAX_CLIENTS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_clients",
            format!("a tenant has at most {MAX_CLIENTS} API clients"),
        ));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let mut tx = state.store.begin().await?;
    let client = tx
        .create_api_client(
            NewApiClient {
                id: uuid::Uuid::new_v4(),
                tenant_id: access.tenant.clone(),
                name,
                secret_hash: TokenHash::of(&secret).as_str().to_owned(),
                scopes,
                created_by: access.claims.sub,
            },
            state.clock.now(),
        )
        .await?;
    let event = AuditEvent::new(
        "api_client.create",
        Outcome::Success,
        EventActor::from_claims(&access.claims),
        format!("api_client:{}", client.id),
    )
    .detail("scopes", client.scopes.join(" "));
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiClient {
            client: client_body(&client),
            client_secret: secret,
        }),
    ))
}

async fn revoke(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiPath((_, id)): ApiPath<(String, uuid::Uuid)>,
) -> Result<StatusCode, ApiError> {
    require(&access.claims, Permission::ApiClientManage)?;
    let mut tx = state.store.begin().await?;
    tx.revoke_api_client(&access.tenant, id, state.clock.now())
        .await?;
    let event = AuditEvent::new(
        "api_client.revoke",
        Outcome::Success,
        EventActor::from_claims(&access.claims),
        format!("api_client:{id}"),
    );
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
