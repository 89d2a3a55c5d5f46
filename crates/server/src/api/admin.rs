//! Account administration within a tenant: `/api/v1/tenants/{tenant}/users[/{id}]`.
//!
//! Tenant admins manage their own tenant, the instance admin every tenant
//! ([`TenantAccess`]). Who may hand out which role is [`authz::may_assign`]: nobody
//! creates a role above their own, and only the instance admin makes auditors, so no
//! administrator can give themselves the means to read the trail of what they did. A role
//! change or a deletion ends the account's sessions and closes its live connections
//! (SEC-02). Every change commits together with its audit entry.

use super::extract::{ApiJson, ApiPath};
use super::problem::ApiError;
use super::{rfc3339, validate};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::authz::{self, Permission, TenantAccess, require};
use crate::passwords;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use plenum_protocol::UserId;
use plenum_protocol::admin::{CreateUser, UpdateUser};
use plenum_protocol::rest::User;
use plenum_store::{NewUser, StoreError, UserRecord, UserUpdate};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tenants/{tenant}/users", get(list_users).post(create_user))
        .route(
            "/tenants/{tenant}/users/{id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/tenants/{tenant}/meetings", get(list_meetings))
}

/// The meetings of a tenant's accounts (tenant and instance admins, or API clients with
/// `meetings:read`).
async fn list_meetings(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Vec<plenum_protocol::rest::Meeting>>, ApiError> {
    authz::require_or_scope(
        &access.claims,
        Permission::MeetingAdminister,
        "meetings:read",
    )?;
    state.store.tenant_by_id(&access.tenant).await?;
    let meetings = state.store.meetings_of_tenant(&access.tenant).await?;
    Ok(Json(
        meetings.iter().map(super::meetings::meeting_body).collect(),
    ))
}

/// An account as the admin API shows it.
#[derive(serde::Serialize)]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: User,
    pub created_at: String,
}

fn admin_user(record: &UserRecord) -> AdminUser {
    AdminUser {
        user: super::auth::user_body(record),
        created_at: rfc3339(record.created_at),
    }
}

async fn list_users(
    State(state): State<AppState>,
    access: TenantAccess,
) -> Result<Json<Vec<AdminUser>>, ApiError> {
    authz::require_or_scope(&access.claims, Permission::UserRead, "users:read")?;
    state.store.tenant_by_id(&access.tenant).await?;
    let users = state.store.users(Some(&access.tenant)).await?;
    Ok(Json(users.iter().map(admin_user).collect()))
}

/// The account `id` if it belongs to the tenant of the path; 404 otherwise, so account
/// ids of other tenants cannot be probed.
async fn account_in_tenant(
    state: &AppState,
    access: &TenantAccess,
    id: UserId,
) -> Result<UserRecord, ApiError> {
    match state.store.user_by_id(id).await {
        Ok(user) if user.tenant_id == access.tenant => Ok(user),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found("no such account")),
        Err(e) => Err(e.into()),
    }
}

async fn get_user(
    State(state): State<AppState>,
    access: TenantAccess,
    ApiPath((_, id)): ApiPath<(String, UserId)>,
) -> Result<Json<AdminUser>, ApiError> {
    require(&access.claims, Permission::UserRead)?;
    let user = account_in_tenant(&state, &access, id).await?;
    Ok(Json(admin_user(&user)))
}

async fn create_user(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<AdminUser>), ApiError> {
    require(&access.claims, Permission::UserManage)?;
    authz::may_assign(&access.claims, body.role)?;
    let username = validate::username(&body.username)?;
    let display_name = validate::display_name(&body.display_name)?;
    let policy = crate::policy::of_tenant(&state, &access.tenant).await?;
    crate::policy::check_password(&state, &policy, &body.password)?;
    let password_hash = passwords::hash(body.password).await?;
    let mut tx = state.store.begin().await?;
    let user = tx
        .create_user(
            NewUser {
                username,
                display_name,
                password_hash,
                role: body.role,
                tenant_id: access.tenant.clone(),
            },
            state.clock.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "username_taken",
                "an account with this username exists",
            ),
            StoreError::NotFound => ApiError::not_found("no such tenant"),
            other => other.into(),
        })?;
    let event = AuditEvent::new(
        "user.create",
        Outcome::Success,
        EventActor::from_claims(&access.claims),
        format!("user:{}", user.id),
    )
    .detail("role", user.role.as_str())
    .detail("tenant", user.tenant_id.clone())
    .personal("username", user.username.clone());
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(admin_user(&user))))
}

async fn update_user(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiPath((_, id)): ApiPath<(String, UserId)>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<AdminUser>, ApiError> {
    require(&access.claims, Permission::UserManage)?;
    let before = account_in_tenant(&state, &access, id).await?;
    // Changing an account needs the right to hand out both its old and its new role.
    authz::may_assign(&access.claims, before.role)?;
    if let Some(role) = body.role {
        authz::may_assign(&access.claims, role)?;
    }
    let display_name = body
        .display_name
        .as_deref()
        .map(validate::display_name)
        .transpose()?;
    let role_changes = body.role.is_some_and(|r| r != before.role);
    let mut tx = state.store.begin().await?;
    let after = tx
        .update_user(
            id,
            UserUpdate {
                display_name,
                role: body.role,
            },
        )
        .await?;
    let actor = EventActor::from_claims(&access.claims);
    let resource = format!("user:{id}");
    if after.display_name != before.display_name {
        let event = AuditEvent::new("user.update", Outcome::Success, actor.clone(), &resource)
            .detail("field", "display_name");
        state.audit_in(&mut tx, &meta, event).await?;
    }
    if role_changes {
        tx.revoke_user_sessions(id, state.clock.now()).await?;
        let event = AuditEvent::new("user.role_change", Outcome::Success, actor, &resource)
            .detail("from", before.role.as_str())
            .detail("to", after.role.as_str());
        state.audit_in(&mut tx, &meta, event).await?;
    }
    tx.commit().await?;
    if role_changes {
        // Its tokens carry the old role: its sessions are over, and so are its sockets.
        state.sessions.end_user(id);
    }
    Ok(Json(admin_user(&after)))
}

async fn delete_user(
    State(state): State<AppState>,
    meta: RequestMeta,
    access: TenantAccess,
    ApiPath((_, id)): ApiPath<(String, UserId)>,
) -> Result<StatusCode, ApiError> {
    require(&access.claims, Permission::UserManage)?;
    let user = account_in_tenant(&state, &access, id).await?;
    authz::may_assign(&access.claims, user.role)?;
    let mut tx = state.store.begin().await?;
    tx.delete_user(id).await?;
    let event = AuditEvent::new(
        "user.delete",
        Outcome::Success,
        EventActor::from_claims(&access.claims),
        format!("user:{id}"),
    )
    .detail("role", user.role.as_str());
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    state.sessions.end_user(id);
    Ok(StatusCode::NO_CONTENT)
}
