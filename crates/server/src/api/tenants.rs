//! Tenants (instance admin only) and each tenant's policy settings:
//! `/api/v1/tenants[/{tenant}]`, `/api/v1/tenants/{tenant}/policy`.

use super::extract::{ApiJson, AuthUser};
use super::problem::ApiError;
use super::{rfc3339, validate};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::authz::{Permission, TenantAccess, require};
use crate::policy;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use plenum_protocol::admin::{CreateTenant, Policy, Tenant, UpdateTenant};
use plenum_store::{StoreError, TenantRecord};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tenants", get(list).post(create))
        .route(
            "/tenants/{tenant}",
            get(get_one).patch(update).delete(delete),
        )
        .route("/tenants/{tenant}/policy", get(get_policy).put(put_policy))
}

fn tenant_body(t: &TenantRecord) -> Tenant {
    Tenant {
        id: t.id.clone(),
        name: t.name.clone(),
        created_at: rfc3339(t.created_at),
    }
}

/// A tenant id: `[a-z0-9-]{1,32}`, as it appears in tokens, paths and the audit trail.
fn tenant_id(raw: &str) -> Result<String, ApiError> {
    let fine = (1..=32).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !fine {
        return Err(ApiError::invalid("id: 1–32 of a-z, 0-9 and -"));
    }
    Ok(raw.to_owned())
}

async fn list(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Json<Vec<Tenant>>, ApiError> {
    require(&claims, Permission::TenantManage)?;
    let tenants = state.store.tenants().await?;
    Ok(Json(tenants.iter().map(tenant_body).collect()))
}

async fn get_one(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Tenant>, ApiError> {
    require(&access.claims, Permission::TenantManage)?;
    let tenant = state.store.tenant_by_id(&access.tenant).await?;
    Ok(Json(tenant_body(&tenant)))
}

fn tenant_event(claims: &crate::tokens::Claims, action: &'static str, id: &str) -> AuditEvent {
    AuditEvent::new(
        action,
        Outcome::Success,
        EventActor::from_claims(claims),
        format!("tenant:{id}"),
    )
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    AuthUser(claims): AuthUser,
    ApiJson(body): ApiJson<CreateTenant>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    require(&claims, Permission::TenantManage)?;
    let id = tenant_id(&body.id)?;
    let name = validate::display_name(&body.name)?;
    let mut tx = state.store.begin().await?;
    let tenant = tx
        .create_tenant(&id, &name, state.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "tenant_exists",
                "a tenant with this id exists",
            ),
            other => other.into(),
        })?;
    state
        .audit_in(&mut tx, &meta, tenant_event(&claims, "tenant.create", &id))
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(tenant_body(&tenant))))
}

async fn update(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiJson(body): ApiJson<UpdateTenant>,
) -> Result<Json<Tenant>, ApiError> {
    require(&access.claims, Permission::TenantManage)?;
    let name = validate::display_name(&body.name)?;
    let mut tx = state.store.begin().await?;
    let tenant = tx.rename_tenant(&access.tenant, &name).await?;
    let event =
        tenant_event(&access.claims, "tenant.update", &access.tenant).detail("field", "name");
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok(Json(tenant_body(&tenant)))
}

async fn delete(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
) -> Result<StatusCode, ApiError> {
    require(&access.claims, Permission::TenantManage)?;
    let mut tx = state.store.begin().await?;
    tx.delete_tenant(&access.tenant)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(reason) => {
                ApiError::new(StatusCode::CONFLICT, "tenant_in_use", reason)
            }
            other => other.into(),
        })?;
    tx.delete_setting(&policy::key(&access.tenant)).await?;
    state
        .audit_in(
            &mut tx,
            &meta,
            tenant_event(&access.claims, "tenant.delete", &access.tenant),
        )
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_policy(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Policy>, ApiError> {
    require(&access.claims, Permission::SettingsRead)?;
    state.store.tenant_by_id(&access.tenant).await?;
    Ok(Json(policy::of_tenant(&state, &access.tenant).await?))
}

/// Replaces the policy; one `config.change` event names every field that changed.
async fn put_policy(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiJson(body): ApiJson<Policy>,
) -> Result<Json<Policy>, ApiError> {
    require(&access.claims, Permission::SettingsChange)?;
    state.store.tenant_by_id(&access.tenant).await?;
    policy::validate(&state, &body)?;
    let before = policy::of_tenant(&state, &access.tenant).await?;
    let changed = policy::changed_fields(&before, &body);
    if changed.is_empty() {
        return Ok(Json(body));
    }
    let json = serde_json::to_string(&body).map_err(|e| ApiError::internal(&e))?;
    let mut tx = state.store.begin().await?;
    tx.set_setting(&policy::key(&access.tenant), &json).await?;
    let event = AuditEvent::new(
        "config.change",
        Outcome::Success,
        EventActor::from_claims(&access.claims),
        format!("tenant:{}", access.tenant),
    )
    .detail("setting", "policy")
    .detail("fields", changed.join(","));
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok(Json(body))
}
