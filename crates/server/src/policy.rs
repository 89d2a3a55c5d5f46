//! Policy settings of a tenant (docs/permissions.md "Policy"): password rules, session
//! timeouts, enabled identity sources, who may create meetings, whether guests may join.
//!
//! Stored as JSON in the settings table under `policy:<tenant>` and changed through
//! `PUT /api/v1/tenants/{tenant}/policy`; a tenant without stored settings has the
//! defaults, which follow the `[tokens]` configuration.

use crate::api::ApiError;
use crate::authz::Denial;
use crate::config::MAX_REFRESH_LIFETIME;
use crate::state::AppState;
use crate::tokens::Claims;
use plenum_protocol::AccountRole;
use plenum_protocol::admin::Policy;
use plenum_store::MeetingRecord;
use std::time::Duration;
use time::OffsetDateTime;

/// Identity sources a policy can enable.
pub const SOURCES: [&str; 3] = ["password", "ldap", "oidc"];
/// Shortest session timeout a policy may set.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Password length bounds of a policy.
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<u32> = 8..=128;

/// The settings key of a tenant's policy.
pub fn key(tenant: &str) -> String {
    format!("policy:{tenant}")
}

/// The policy of a tenant without stored settings.
pub fn default_policy(state: &AppState) -> Policy {
    let refresh = state.config.tokens.refresh_lifetime.as_secs();
    Policy {
        password_min_length: 12,
        reject_breached_passwords: state.config.security.breached_password_file.is_some(),
        session_idle_timeout_secs: refresh,
        session_absolute_timeout_secs: refresh,
        identity_sources: SOURCES.iter().map(|s| (*s).to_owned()).collect(),
        meeting_creators: vec![
            AccountRole::InstanceAdmin,
            AccountRole::TenantAdmin,
            AccountRole::User,
        ],
        guests_allowed: true,
    }
}

/// The policy in force for `tenant`.
pub async fn of_tenant(state: &AppState, tenant: &str) -> Result<Policy, ApiError> {
    match state.store.setting(&key(tenant)).await? {
        None => Ok(default_policy(state)),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            ApiError::internal(&format!(
                "stored policy of tenant {tenant} does not parse: {e}"
            ))
        }),
    }
}

/// Checks a policy before it is stored; 422 naming the field otherwise.
pub fn validate(state: &AppState, policy: &Policy) -> Result<(), ApiError> {
    let invalid = |text: String| Err(ApiError::invalid(text));
    if !PASSWORD_LENGTH.contains(&policy.password_min_length) {
        return invalid(format!(
            "password_min_length: {}–{}",
            PASSWORD_LENGTH.start(),
            PASSWORD_LENGTH.end()
        ));
    }
    if policy.reject_breached_passwords && state.config.security.breached_password_file.is_none() {
        return invalid(
            "reject_breached_passwords: no security.breached_password_file is configured".into(),
        );
    }
    let range = MIN_TIMEOUT.as_secs()..=MAX_REFRESH_LIFETIME.as_secs();
    for (field, value) in [
        (
            "session_idle_timeout_secs",
            policy.session_idle_timeout_secs,
        ),
        (
            "session_absolute_timeout_secs",
            policy.session_absolute_timeout_secs,
        ),
    ] {
        if !range.contains(&value) {
            return invalid(format!(
                "{field}: {}–{} seconds",
                range.start(),
                range.end()
            ));
        }
    }
    if policy.session_absolute_timeout_secs < policy.session_idle_timeout_secs {
        return invalid(
            "session_absolute_timeout_secs: must not be shorter than the idle timeout".into(),
        );
    }
    if policy.identity_sources.len() > SOURCES.len()
        || policy
            .identity_sources
            .iter()
            .any(|s| !SOURCES.contains(&s.as_str()))
    {
        return invalid(format!("identity_sources: any of {}", SOURCES.join(", ")));
    }
    if policy.meeting_creators.len() > AccountRole::ALL.len()
        || policy
            .meeting_creators
            .iter()
            .any(|r| !crate::authz::allowed(*r, crate::authz::Permission::MeetingCreate))
    {
        return invalid(
            "meeting_creators: only instance_admin, tenant_admin and user can create meetings"
                .into(),
        );
    }
    Ok(())
}

/// Refuses (403) an account whose role the tenant's policy does not let create meetings.
pub async fn check_meeting_creator(state: &AppState, claims: &Claims) -> Result<(), ApiError> {
    let policy = of_tenant(state, claims.tenant()).await?;
    if policy.meeting_creators.contains(&claims.account_role()) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "forbidden",
        "the policy of this tenant does not let this role create meetings",
    )
    .denied(Denial {
        claims: Some(Box::new(claims.clone())),
        resource: Some(format!("tenant:{}", claims.tenant())),
        reason: "policy_meeting_creators",
    }))
}

/// Refuses (403 `guests_not_allowed`) guests in a meeting whose owner's tenant does not
/// allow guests.
pub async fn check_guests_allowed(
    state: &AppState,
    meeting: &MeetingRecord,
) -> Result<(), ApiError> {
    let owner = state.store.user_by_id(meeting.owner_id).await?;
    if of_tenant(state, &owner.tenant_id).await?.guests_allowed {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "guests_not_allowed",
        "this organisation does not admit guests",
    ))
}

/// Whether `source` (`password`, `ldap`, `oidc`) is enabled for accounts of `tenant`.
pub async fn source_enabled(
    state: &AppState,
    tenant: &str,
    source: &str,
) -> Result<bool, ApiError> {
    Ok(of_tenant(state, tenant)
        .await?
        .identity_sources
        .iter()
        .any(|s| s == source))
}

/// When a session's refresh token should expire: the idle timeout from `now`, but never
/// after the absolute timeout counted from the login at `started`.
pub fn session_expiry(
    policy: &Policy,
    started: OffsetDateTime,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let idle = now + Duration::from_secs(policy.session_idle_timeout_secs);
    let absolute = started + Duration::from_secs(policy.session_absolute_timeout_secs);
    idle.min(absolute)
}

/// The names of the fields that differ between two policies, for the audit trail.
pub fn changed_fields(before: &Policy, after: &Policy) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut note = |changed: bool, name| {
        if changed {
            fields.push(name);
        }
    };
    note(
        before.password_min_length != after.password_min_length,
        "password_min_length",
    );
    note(
        before.reject_breached_passwords != after.reject_breached_passwords,
        "reject_breached_passwords",
    );
    note(
        before.session_idle_timeout_secs != after.session_idle_timeout_secs,
        "session_idle_timeout_secs",
    );
    note(
        before.session_absolute_timeout_secs != after.session_absolute_timeout_secs,
        "session_absolute_timeout_secs",
    );
    note(
        before.identity_sources != after.identity_sources,
        "identity_sources",
    );
    note(
        before.meeting_creators != after.meeting_creators,
        "meeting_creators",
    );
    note(
        before.guests_allowed != after.guests_allowed,
        "guests_allowed",
    );
    fields
}

/// Checks a new local password against the policy.
pub fn check_password(state: &AppState, policy: &Policy, password: &str) -> Result<(), ApiError> {
    let length = password.chars().count();
    if length < policy.password_min_length as usize
        || length > crate::api::validate::MAX_PASSWORD_CHARS
    {
        return Err(ApiError::invalid(format!(
            "password: {}–{} characters",
            policy.password_min_length,
            crate::api::validate::MAX_PASSWORD_CHARS
        )));
    }
    if policy.reject_breached_passwords
        && state.config.security.breached_passwords.contains(password)
    {
        return Err(ApiError::invalid(
            "password: appears in a list of breached passwords; choose another",
        ));
    }
    Ok(())
}
