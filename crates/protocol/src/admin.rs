//! Bodies of the administration API: tenants, accounts, policy settings and API clients
//! (`/api/v1/tenants/...`, docs/permissions.md).

use crate::ids::UserId;
use crate::roles::AccountRole;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// `[a-z0-9-]{1,32}`, stable: it appears in tokens and the audit trail.
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    pub name: String,
}

/// A local account to create in the tenant of the path.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: AccountRole,
}

/// A partial account update; absent fields stay.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<AccountRole>,
}

/// The policy settings of a tenant, stored in the database and changed through the API.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Shortest password of a local account (8–128).
    pub password_min_length: u32,
    /// Refuse passwords found in the configured breached-password list.
    pub reject_breached_passwords: bool,
    /// A session without a refresh for this long ends (seconds, 5 min – 90 days).
    pub session_idle_timeout_secs: u64,
    /// A session ends this long after its login, refreshed or not (seconds, 5 min – 90
    /// days, not shorter than the idle timeout).
    pub session_absolute_timeout_secs: u64,
    /// Enabled identity sources: `password`, `ldap`, `oidc`.
    pub identity_sources: Vec<String>,
    /// Account roles that may create meetings (within what the role allows at all).
    pub meeting_creators: Vec<AccountRole>,
    /// Whether guests may join through invites.
    pub guests_allowed: bool,
}

/// An API client as listed; its secret is never shown again after creation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiClient {
    pub client_id: String,
    pub name: String,
    pub tenant_id: String,
    pub scopes: Vec<String>,
    pub created_by: UserId,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiClient {
    pub name: String,
    pub scopes: Vec<String>,
}

/// The answer to creating an API client: the only time the secret is shown.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CreatedApiClient {
    pub client: ApiClient,
    pub client_secret: String,
}

/// RFC 6749 §5.1 access token response of `POST /api/v1/oauth/token`.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OAuthToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub scope: String,
}
