//! Bodies of the REST API under `/api/v1` (see docs/signaling.md for the routes).
//! Times are RFC 3339 strings in UTC.

use crate::ids::{MeetingId, UserId};
use crate::roles::AccountRole;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// The account's one role (docs/permissions.md).
    pub role: AccountRole,
    /// The tenant the account belongs to.
    pub tenant_id: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SessionResponse {
    pub access_token: String,
    pub expires_at: String,
    pub user: User,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CreateMeeting {
    pub title: String,
    /// Free text, at most 2000 characters; absent or empty means none.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub waiting_room: bool,
    /// The scheduled start, RFC 3339; absent or `null` means not scheduled.
    #[serde(default)]
    pub starts_at: Option<String>,
}

/// A partial update; `password: null` clears the password, an absent field keeps it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct UpdateMeeting {
    #[serde(default)]
    pub title: Option<String>,
    /// `""` clears the description.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, with = "double_option")]
    pub password: Option<Option<String>>,
    #[serde(default)]
    pub waiting_room: Option<bool>,
    /// RFC 3339; `null` clears the scheduled start, an absent field keeps it.
    #[serde(default, with = "double_option")]
    pub starts_at: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Meeting {
    pub id: MeetingId,
    pub title: String,
    /// Empty when there is none.
    pub description: String,
    pub has_password: bool,
    pub waiting_room: bool,
    pub owner_id: UserId,
    pub created_at: String,
    /// The scheduled start (RFC 3339, UTC), if any.
    #[serde(default)]
    pub starts_at: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct CreateInvite {
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Invite {
    pub code: String,
    pub meeting_id: MeetingId,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct InviteInfo {
    pub meeting_id: MeetingId,
    pub title: String,
    pub password_required: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct GuestTokenRequest {
    pub display_name: String,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct JoinTokenRequest {
    #[serde(default)]
    pub invite_code: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct MeetingTokenResponse {
    pub access_token: String,
    pub expires_at: String,
    pub meeting_id: MeetingId,
}

/// What the web client needs before anything else: the operator's branding and the version.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ClientConfig {
    pub product_name: String,
    pub version: String,
    /// Where the configured logo is served (`/branding/logo`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// The operator's text for the sign-in page, in both languages; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_text: Option<LocalizedText>,
}

/// A text in both languages of the client.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct LocalizedText {
    pub de: String,
    pub en: String,
}

/// RFC 9457 problem details, with a stable `code`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
}

/// `GET /auth/providers`: the identity sources the login page offers besides local
/// accounts (docs/identity.md).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct AuthProviders {
    /// OpenID Connect providers, in config order.
    pub oidc: Vec<OidcProviderInfo>,
    /// Whether `POST /auth/ldap/login` is enabled.
    pub ldap: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OidcProviderInfo {
    /// Used in `/auth/oidc/{id}/login`.
    pub id: String,
    pub display_name: String,
}

/// `POST /auth/logout` of a session that came from an OIDC provider: the browser should
/// go on to the provider's logout (RP-initiated logout). Other sessions answer 204.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogoutResponse {
    pub end_session_url: String,
}

/// Tells "field absent" (outer `None`) from "field is null" (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }

    pub fn serialize<T, S>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error>
    where
        T: Serialize,
        S: Serializer,
    {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}
