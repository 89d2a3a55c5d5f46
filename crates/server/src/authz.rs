//! Authorisation: which account role may do what (docs/permissions.md is this matrix).
//!
//! [`allowed`] is the single source of truth. Handlers call [`require`] before they act; a
//! refusal is a 403 problem `forbidden` that carries a [`Denial`], and the
//! [`record_denials`] middleware turns every denial (this one, and every refused token)
//! into one `access.denied` audit event. Scopes narrower than a role (own tenant, own
//! meeting) are checked by the handlers on top of the permission.

use crate::api::ApiError;
use crate::api::extract::Bearer;
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::state::AppState;
use crate::tokens::{Claims, TokenError, TokenKind};
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use plenum_protocol::{AccountRole, DEFAULT_TENANT};
use plenum_store::StoreError;

/// One protected action. Every REST endpoint that needs more than a valid token names
/// one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create meetings (and then own them: update, delete, invite).
    MeetingCreate,
    /// Join a meeting one was invited to, or owns.
    MeetingJoin,
    /// List the meetings of other accounts of the own tenant (any tenant for the instance
    /// admin).
    MeetingAdminister,
    /// List accounts and read one.
    UserRead,
    /// Create accounts, change their role or name, delete them, end their sessions.
    UserManage,
    /// Create, rename and delete tenants.
    TenantManage,
    /// Read the policy settings.
    SettingsRead,
    /// Change the policy settings.
    SettingsChange,
    /// Create, list and revoke API clients.
    ApiClientManage,
    /// Read and search the audit trail.
    AuditRead,
    /// Export audit bundles.
    AuditExport,
    /// Verify the audit trail (proofs, checkpoints).
    AuditVerify,
    /// Read the votes, protocols and receipts of any meeting in reach (participants and
    /// owners read their own meeting's without it).
    VoteRead,
}

impl Permission {
    /// Every permission, in the order docs/permissions.md lists them.
    pub const ALL: [Permission; 13] = [
        Permission::MeetingCreate,
        Permission::MeetingJoin,
        Permission::MeetingAdminister,
        Permission::UserRead,
        Permission::UserManage,
        Permission::TenantManage,
        Permission::SettingsRead,
        Permission::SettingsChange,
        Permission::ApiClientManage,
        Permission::AuditRead,
        Permission::AuditExport,
        Permission::AuditVerify,
        Permission::VoteRead,
    ];

    /// The stable name used in audit details and the documentation.
    pub fn name(self) -> &'static str {
        match self {
            Permission::MeetingCreate => "meeting_create",
            Permission::MeetingJoin => "meeting_join",
            Permission::MeetingAdminister => "meeting_administer",
            Permission::UserRead => "user_read",
            Permission::UserManage => "user_manage",
            Permission::TenantManage => "tenant_manage",
            Permission::SettingsRead => "settings_read",
            Permission::SettingsChange => "settings_change",
            Permission::ApiClientManage => "api_client_manage",
            Permission::AuditRead => "audit_read",
            Permission::AuditExport => "audit_export",
            Permission::AuditVerify => "audit_verify",
            Permission::VoteRead => "vote_read",
        }
    }

    /// What the permission allows, for docs/permissions.md.
    pub fn description(self) -> &'static str {
        match self {
            Permission::MeetingCreate => "create meetings and manage the own ones",
            Permission::MeetingJoin => "join a meeting by invite (or as its owner)",
            Permission::MeetingAdminister => "list the meetings of the tenant's accounts",
            Permission::UserRead => "list and read accounts",
            Permission::UserManage => "create, change, delete accounts; end their sessions",
            Permission::TenantManage => "create, rename and delete tenants",
            Permission::SettingsRead => "read the policy settings",
            Permission::SettingsChange => "change the policy settings",
            Permission::ApiClientManage => "create, list and revoke API clients",
            Permission::AuditRead => "read and search the audit trail",
            Permission::AuditExport => "export audit bundles",
            Permission::AuditVerify => "verify the audit trail",
            Permission::VoteRead => "read any meeting's vote protocols and receipts",
        }
    }
}

/// The permission matrix. Least privilege: a role has only what its duty needs, and the
/// duties are kept apart (SEC-07): administrators never read or touch the audit trail,
/// auditors change nothing and create no meetings.
pub fn allowed(role: AccountRole, permission: Permission) -> bool {
    use AccountRole as R;
    use Permission as P;
    match permission {
        P::MeetingCreate => matches!(role, R::InstanceAdmin | R::TenantAdmin | R::User),
        P::MeetingJoin => true,
        P::MeetingAdminister
        | P::UserRead
        | P::UserManage
        | P::SettingsRead
        | P::SettingsChange
        | P::ApiClientManage => matches!(role, R::InstanceAdmin | R::TenantAdmin),
        P::TenantManage => role == R::InstanceAdmin,
        P::AuditRead | P::AuditExport | P::AuditVerify | P::VoteRead => role == R::Auditor,
    }
}

/// Whether a role's permissions reach beyond its own tenant: the instance admin's do;
/// an auditor's do when the auditor belongs to the default tenant.
pub fn instance_wide(role: AccountRole, tenant: &str) -> bool {
    match role {
        AccountRole::InstanceAdmin => true,
        AccountRole::Auditor => tenant == plenum_protocol::DEFAULT_TENANT,
        AccountRole::TenantAdmin | AccountRole::User | AccountRole::None => false,
    }
}

/// Why a request was refused, attached to the refusing [`ApiError`] so
/// [`record_denials`] can write one `access.denied` event for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The verified token of the refused requester; `None` when the token itself was
    /// refused (then nothing in it can be trusted).
    pub claims: Option<Box<Claims>>,
    /// The resource asked for (`instance`, `tenant:<id>`, `user:<uuid>`, …); `None`
    /// names the route.
    pub resource: Option<String>,
    /// The permission missing, or the token error code.
    pub reason: &'static str,
}

/// `Ok` if the token's account role has `permission`; otherwise a 403 `forbidden` problem
/// that is recorded as an `access.denied` event.
pub fn require(claims: &Claims, permission: Permission) -> Result<(), ApiError> {
    if allowed(claims.account_role(), permission) {
        return Ok(());
    }
    Err(forbidden(claims, permission, None))
}

/// A refusal of `permission` on `resource` (for scope checks a handler makes on top of
/// [`require`], such as "this user is in another tenant").
pub fn forbidden(claims: &Claims, permission: Permission, resource: Option<String>) -> ApiError {
    ApiError::forbidden(
        "forbidden",
        format!("this account may not {}", permission.description()),
    )
    .denied(Denial {
        claims: Some(Box::new(claims.clone())),
        resource,
        reason: permission.name(),
    })
}

/// Requires `permission` and that `tenant` is within the caller's reach: its own tenant,
/// or any tenant for an instance-wide role.
pub fn require_in_tenant(
    claims: &Claims,
    permission: Permission,
    tenant: &str,
) -> Result<(), ApiError> {
    require(claims, permission)?;
    if instance_wide(claims.account_role(), claims.tenant()) || claims.tenant() == tenant {
        return Ok(());
    }
    Err(forbidden(
        claims,
        permission,
        Some(format!("tenant:{tenant}")),
    ))
}

/// Whether the caller may create, change or delete an account holding `role`: never a
/// role above its own; only the instance admin hands out `instance_admin` and `auditor`
/// (an administrator who could make auditors could read the trail of their own actions).
pub fn may_assign(claims: &Claims, role: AccountRole) -> Result<(), ApiError> {
    let allowed = match claims.account_role() {
        AccountRole::InstanceAdmin => true,
        AccountRole::TenantAdmin => matches!(
            role,
            AccountRole::TenantAdmin | AccountRole::User | AccountRole::None
        ),
        AccountRole::Auditor | AccountRole::User | AccountRole::None => false,
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "forbidden",
        format!("this account may not manage accounts with the role {role}"),
    )
    .denied(Denial {
        claims: Some(Box::new(claims.clone())),
        resource: None,
        reason: "role_assignment",
    }))
}

/// `Ok` for an account token whose role has `permission`, or a client token granted
/// `scope`; otherwise the refusal of [`require`].
pub fn require_or_scope(
    claims: &Claims,
    permission: Permission,
    scope: &str,
) -> Result<(), ApiError> {
    if claims.has_scope(scope) {
        return Ok(());
    }
    require(claims, permission)
}

/// An account or API-client token that may act in the tenant named by the `{tenant}` path segment: its
/// own tenant, or any tenant for an instance-wide role. A token of another tenant is
/// refused like a bad token (401 `token_wrong_tenant`), before any permission is looked at.
#[derive(Clone, Debug)]
pub struct TenantAccess {
    pub claims: Claims,
    pub tenant: String,
}

impl FromRequestParts<AppState> for TenantAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Bearer(claims) = Bearer::from_request_parts(parts, state).await?;
        if !matches!(claims.kind, TokenKind::User | TokenKind::Client) {
            return Err(TokenError::WrongKind.into());
        }
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("no such tenant"))?;
        let tenant = params
            .iter()
            .find(|(name, _)| *name == "tenant")
            .map(|(_, value)| value.to_owned())
            .ok_or_else(|| ApiError::not_found("no such tenant"))?;
        if !instance_wide(claims.account_role(), claims.tenant()) && claims.tenant() != tenant {
            let error = TokenError::WrongTenant;
            return Err(
                ApiError::unauthorized(error.code(), error.to_string()).denied(Denial {
                    claims: Some(Box::new(claims)),
                    resource: Some(format!("tenant:{tenant}")),
                    reason: error.code(),
                }),
            );
        }
        Ok(TenantAccess { claims, tenant })
    }
}

/// SEC-09: a browser request that carries credentials by itself (the refresh cookie) or
/// opens a WebSocket must come from Plenum's own origin. Browsers always send `Origin` on
/// such requests; a request without one is not from a browser page and cannot have been
/// forged by another site. A foreign origin is refused (403 `origin_not_allowed`, an
/// `access.denied` event).
pub fn check_origin(state: &AppState, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return Ok(());
    };
    if origin.as_bytes() == state.config.http.public_url.as_bytes() {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "origin_not_allowed",
        "requests from other sites are not accepted",
    )
    .denied(Denial {
        claims: None,
        resource: None,
        reason: "origin_not_allowed",
    }))
}

/// Whether the login session a verified token was issued in is still live. Tokens
/// without a session (guests) have nothing to revoke but their expiry.
pub async fn session_is_live(state: &AppState, claims: &Claims) -> Result<bool, StoreError> {
    if claims.kind == TokenKind::Client {
        // A revoked (or deleted) API client's tokens stop working at once.
        return match state.store.api_client(claims.sub.0).await {
            Ok(client) => Ok(client.revoked_at.is_none() && client.tenant_id == claims.tenant()),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        };
    }
    match &claims.sid {
        Some(sid) => state.store.session_is_live(sid, state.clock.now()).await,
        None => Ok(true),
    }
}

/// Middleware over the API: writes one `access.denied` event for every response that
/// carries a [`Denial`] (refused tokens, missing permissions). The route is named by its
/// pattern (`/api/v1/invites/{code}`), never by the request path, which may hold secrets.
pub async fn record_denials(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let meta = RequestMeta::from_parts(&parts);
    let route = format!(
        "{} {}",
        parts.method,
        parts
            .extensions
            .get::<MatchedPath>()
            .map_or("(no route)", MatchedPath::as_str)
    );
    let response = next.run(Request::from_parts(parts, body)).await;
    if let Some(denial) = response.extensions().get::<Denial>() {
        let event = denial_event(denial, "api").detail("route", route);
        // The refusal stands whether or not its record could be written; `audit` logs
        // the failure with the request id.
        let _ = state.audit(&meta, event).await;
        crate::denial_burst::count_denial(&state, &meta).await;
    }
    response
}

/// The `access.denied` event of a denial on `default_resource` (when the denial names
/// none).
pub fn denial_event(denial: &Denial, default_resource: &str) -> AuditEvent {
    let actor = denial.claims.as_deref().map_or_else(
        || EventActor::anonymous(DEFAULT_TENANT),
        EventActor::from_claims,
    );
    let resource = denial
        .resource
        .clone()
        .unwrap_or_else(|| default_resource.to_owned());
    AuditEvent::new("access.denied", Outcome::Denied, actor, resource)
        .detail("reason", denial.reason)
}

/// The matrices of docs/permissions.md, as Markdown: account roles × permissions, and
/// meeting roles × signaling messages. A test keeps the document equal to this.
pub fn permissions_markdown() -> String {
    use plenum_protocol::signaling::{CLIENT_MESSAGE_TYPES, Role};
    let mark = |yes: bool| if yes { "✓" } else { "–" };
    let mut out = String::from("| Permission | Allows | ");
    out.push_str(&AccountRole::ALL.map(AccountRole::as_str).join(" | "));
    out.push_str(" |\n|---|---|");
    out.push_str(&"---|".repeat(AccountRole::ALL.len()));
    out.push('\n');
    for permission in Permission::ALL {
        out.push_str(&format!(
            "| `{}` | {} | ",
            permission.name(),
            permission.description()
        ));
        let marks: Vec<&str> = AccountRole::ALL
            .iter()
            .map(|role| mark(allowed(*role, permission)))
            .collect();
        out.push_str(&marks.join(" | "));
        out.push_str(" |\n");
    }
    let meeting_roles = [Role::Owner, Role::Moderator, Role::Participant, Role::Guest];
    out.push_str("\n| Signaling message | owner | moderator | participant | guest |\n");
    out.push_str("|---|---|---|---|---|\n");
    for message in CLIENT_MESSAGE_TYPES {
        let marks: Vec<&str> = meeting_roles
            .iter()
            .map(|role| mark(signaling_allowed(*role, message)))
            .collect();
        out.push_str(&format!("| `{message}` | {} |\n", marks.join(" | ")));
    }
    out
}

/// Whether a meeting role may send a signaling message: every `moderation.*` message and
/// opening, closing and cancelling a vote need the owner or a moderator (the room enforces
/// it); everything else is open to every participant of the meeting (a ballot is then
/// checked against the vote's eligible voters).
pub fn signaling_allowed(role: plenum_protocol::signaling::Role, message: &str) -> bool {
    let moderating = message.starts_with("moderation.")
        || matches!(message, "vote.open" | "vote.close" | "vote.cancel");
    !moderating || role.is_moderator()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_are_separated() {
        for role in AccountRole::ALL {
            let administers = allowed(role, Permission::UserManage)
                || allowed(role, Permission::SettingsChange)
                || allowed(role, Permission::TenantManage);
            let audits = allowed(role, Permission::AuditRead);
            assert!(
                !(administers && audits),
                "{role} both administers and audits"
            );
        }
        for permission in Permission::ALL {
            if permission != Permission::MeetingJoin {
                assert!(!allowed(AccountRole::None, permission), "{permission:?}");
            }
        }
        assert!(!allowed(AccountRole::Auditor, Permission::MeetingCreate));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Permission::ALL.iter().map(|p| p.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Permission::ALL.len());
    }
}
