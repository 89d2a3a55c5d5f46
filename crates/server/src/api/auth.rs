//! Login, refresh-token rotation, logout and `GET /me` (which shows the account's role and
//! tenant).
//!
//! A login starts a refresh-token family; the token (256 random bits) lives only in the
//! `__Host-plenum_refresh` cookie and as a SHA-256 in the store. Every refresh replaces it;
//! presenting a replaced token again means it was copied, so the whole family is revoked.

use super::extract::{ApiJson, AuthUser};
use super::problem::{ApiError, not_found_as};
use super::validate::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::state::AppState;
use crate::tokens::Account;
use crate::{lockout, passwords};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use plenum_protocol::rest::{LoginRequest, LogoutResponse, SessionResponse, User};
use plenum_store::{Rotation, TokenHash, UserRecord};
use rand::RngCore as _;
use time::OffsetDateTime;

/// Cookie name when cookies are `Secure` (the prefix makes browsers enforce Secure,
/// Path=/ and no Domain).
pub const REFRESH_COOKIE: &str = "__Host-plenum_refresh";
/// Cookie name with `http.insecure_cookies = true` (the `__Host-` prefix requires Secure).
pub const INSECURE_REFRESH_COOKIE: &str = "plenum_refresh";

pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    if let Err(refused) = lockout::check(&state, &body.username, &meta).await {
        login_failed(&state, &meta, &body.username, None, "locked").await;
        return Err(refused);
    }
    let plausible = !body.username.is_empty()
        && body.username.chars().count() <= MAX_USERNAME_CHARS
        && body.password.chars().count() <= MAX_PASSWORD_CHARS;
    let user = if plausible {
        match state.store.user_by_username(&body.username).await {
            Ok(user) => Some(user),
            Err(plenum_store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    // Unknown users are checked against a dummy hash, so the answer takes as long as for a
    // known user with a wrong password and does not reveal which usernames exist.
    let phc = user
        .as_ref()
        .map_or_else(|| state.dummy_hash.clone(), |u| u.password_hash.clone());
    let matches = passwords::verify(body.password, phc).await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            let refused = lockout::failed(&state, &body.username, &meta).await;
            login_failed(
                &state,
                &meta,
                &body.username,
                user.as_ref(),
                "invalid_credentials",
            )
            .await;
            return Err(refused);
        }
    };
    lockout::succeeded(&state, &body.username).await?;
    // Password logins can be switched off per tenant (policy `identity_sources`); the
    // answer is that of a wrong password, so it says nothing about the account.
    if !crate::policy::source_enabled(&state, &user.tenant_id, "password").await? {
        login_failed(
            &state,
            &meta,
            &body.username,
            Some(&user),
            "source_disabled",
        )
        .await;
        return Err(lockout::invalid_credentials());
    }
    let (refresh, family) = start_session(&state, &user, now).await?;
    state
        .audit(
            &meta,
            AuditEvent::new(
                "auth.login",
                Outcome::Success,
                user_actor(&user),
                format!("user:{}", user.id),
            )
            .detail("method", "password")
            .detail("session", family.to_string()),
        )
        .await?;
    tracing::info!(user_id = %user.id, "login");
    Ok(session(&state, &user, family, &refresh, now))
}

/// Records a refused password login. The typed username is personal data (it may be a
/// mistyped password, too), so it is stored erasably; the password never is.
async fn login_failed(
    state: &AppState,
    meta: &RequestMeta,
    username: &str,
    user: Option<&UserRecord>,
    reason: &'static str,
) {
    let (actor, resource) = match user {
        Some(user) => (user_actor(user), format!("user:{}", user.id)),
        None => (
            EventActor::anonymous(plenum_protocol::DEFAULT_TENANT),
            "instance".to_owned(),
        ),
    };
    let username: String = username.chars().take(MAX_USERNAME_CHARS).collect();
    let event = AuditEvent::new("auth.login", Outcome::Failure, actor, resource)
        .detail("method", "password")
        .detail("reason", reason)
        .personal("username", username);
    // A failed login changes nothing; if its entry cannot be stored, the error is logged
    // and the refusal stands.
    let _ = state.audit(meta, event).await;
}

/// The audit actor for an account.
pub(crate) fn user_actor(user: &UserRecord) -> EventActor {
    EventActor {
        kind: crate::audit::ActorKind::User,
        id: user.id.to_string(),
        tenant: user.tenant_id.clone(),
    }
}

/// The audit actor for the account `id`, whose tenant is looked up (the default tenant
/// if the account is gone).
async fn account_actor(state: &AppState, id: plenum_protocol::UserId) -> EventActor {
    match state.store.user_by_id(id).await {
        Ok(user) => user_actor(&user),
        Err(_) => EventActor {
            kind: crate::audit::ActorKind::User,
            id: id.to_string(),
            tenant: plenum_protocol::DEFAULT_TENANT.to_owned(),
        },
    }
}

/// Until when the session of the presented refresh token may be extended by this refresh
/// under its tenant's policy (idle and absolute timeout); `None` when the absolute timeout
/// has passed (the session is then revoked). Unknown tokens get the idle timeout of the
/// default tenant: the rotation refuses them anyway.
async fn session_expiry(
    state: &AppState,
    presented: &str,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ApiError> {
    let record = match state
        .store
        .refresh_token_by_hash(&TokenHash::of(presented))
        .await
    {
        Ok(record) => record,
        Err(plenum_store::StoreError::NotFound) => {
            let policy = crate::policy::of_tenant(state, plenum_protocol::DEFAULT_TENANT).await?;
            return Ok(Some(crate::policy::session_expiry(&policy, now, now)));
        }
        Err(e) => return Err(e.into()),
    };
    let tenant = match state.store.user_by_id(record.user_id).await {
        Ok(user) => user.tenant_id,
        Err(plenum_store::StoreError::NotFound) => plenum_protocol::DEFAULT_TENANT.to_owned(),
        Err(e) => return Err(e.into()),
    };
    let policy = crate::policy::of_tenant(state, &tenant).await?;
    let started = state.store.session_started(record.family_id).await?;
    let until = crate::policy::session_expiry(&policy, started, now);
    if until <= now {
        state
            .store
            .revoke_refresh_family(record.family_id, now)
            .await?;
        return Ok(None);
    }
    Ok(Some(until))
}

/// Starts a login session (refresh-token family) for `user`: its first refresh token and
/// the family id. Every way of logging in (password, OIDC, LDAP) goes through here.
pub(crate) async fn start_session(
    state: &AppState,
    user: &UserRecord,
    now: OffsetDateTime,
) -> Result<(String, uuid::Uuid), ApiError> {
    let refresh = new_refresh_token();
    let policy = crate::policy::of_tenant(state, &user.tenant_id).await?;
    let expires_at = crate::policy::session_expiry(&policy, now, now);
    let record = state
        .store
        .create_refresh_token(user.id, &TokenHash::of(&refresh), expires_at, now)
        .await?;
    Ok((refresh, record.family_id))
}

pub async fn refresh(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    crate::authz::check_origin(&state, &headers)?;
    let now = state.clock.now();
    let presented = refresh_cookie(&headers)
        .ok_or_else(|| ApiError::unauthorized("refresh_missing", "no refresh cookie"))?;
    let replacement = new_refresh_token();
    let expires_at = match session_expiry(&state, presented, now).await? {
        Some(at) => at,
        None => {
            let mut response =
                ApiError::unauthorized("refresh_expired", "session expired, log in again")
                    .into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, clear_cookie(&state));
            return Ok(response);
        }
    };
    let rotation = state
        .store
        .rotate_refresh_token(
            &TokenHash::of(presented),
            &TokenHash::of(&replacement),
            expires_at,
            now,
        )
        .await?;
    let refused = |code, detail| {
        let mut response = ApiError::unauthorized(code, detail).into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, clear_cookie(&state));
        Ok(response)
    };
    match rotation {
        Rotation::Rotated(record) => {
            let user = match state.store.user_by_id(record.user_id).await {
                Ok(user) => user,
                // Cannot happen while accounts are only deleted with their tokens (ON
                // DELETE CASCADE), but a missing account must not look like a server fault.
                Err(plenum_store::StoreError::NotFound) => {
                    return refused("account_gone", "account no longer exists");
                }
                Err(e) => return Err(e.into()),
            };
            state
                .audit(
                    &meta,
                    AuditEvent::new(
                        "auth.token_refresh",
                        Outcome::Success,
                        user_actor(&user),
                        format!("user:{}", user.id),
                    )
                    .detail("session", record.family_id.to_string()),
                )
                .await?;
            Ok(session(&state, &user, record.family_id, &replacement, now))
        }
        Rotation::Reused { user_id, family_id } => {
            tracing::warn!(%user_id, %family_id, "refresh token reused; session revoked");
            let event = AuditEvent::new(
                "auth.refresh_reuse",
                Outcome::Denied,
                account_actor(&state, user_id).await,
                format!("user:{user_id}"),
            )
            .detail("session", family_id.to_string());
            // The family is already revoked; a storage failure is logged by audit().
            let _ = state.audit(&meta, event).await;
            refused(
                "refresh_reused",
                "refresh token was already used; the session was revoked, log in again",
            )
        }
        Rotation::Expired => refused("refresh_expired", "session expired, log in again"),
        Rotation::Unknown => refused("refresh_invalid", "unknown refresh token"),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    crate::authz::check_origin(&state, &headers)?;
    let mut provider_logout = None;
    if let Some(token) = refresh_cookie(&headers) {
        match state
            .store
            .refresh_token_by_hash(&TokenHash::of(token))
            .await
        {
            Ok(record) => {
                state
                    .store
                    .revoke_refresh_family(record.family_id, state.clock.now())
                    .await?;
                state.sessions.end_session(&record.family_id.to_string());
                state
                    .audit(
                        &meta,
                        AuditEvent::new(
                            "auth.logout",
                            Outcome::Success,
                            account_actor(&state, record.user_id).await,
                            format!("user:{}", record.user_id),
                        )
                        .detail("session", record.family_id.to_string()),
                    )
                    .await?;
                provider_logout =
                    super::oidc::provider_logout_url(&state, record.family_id).await?;
            }
            Err(plenum_store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // A session from an OIDC provider: the web client continues to the provider's logout.
    let mut response = match provider_logout {
        Some(end_session_url) => Json(LogoutResponse { end_session_url }).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    Ok(response)
}

pub async fn me(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Json<User>, ApiError> {
    let user = state
        .store
        .user_by_id(claims.sub)
        .await
        .map_err(not_found_as(ApiError::account_gone))?;
    Ok(Json(user_body(&user)))
}

/// `GET /.well-known/jwks.json`: the public keys that verify Plenum's tokens (the current
/// one and any previous one still valid after a rotation).
pub async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.tokens.jwks())
}

pub fn user_body(user: &UserRecord) -> User {
    User {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role,
        tenant_id: user.tenant_id.clone(),
    }
}

/// The answer to a login or refresh: an access token for `user` in the session `family`,
/// and the new refresh cookie.
pub(crate) fn session(
    state: &AppState,
    user: &UserRecord,
    family: uuid::Uuid,
    refresh: &str,
    now: OffsetDateTime,
) -> Response {
    let access = state.tokens.issue_user(&account(user, family), now);
    let body = SessionResponse {
        access_token: access.token,
        expires_at: super::rfc3339(access.expires_at),
        user: user_body(user),
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(state, refresh));
    response
}

/// The token subject for `user` logged in with session `family`.
pub fn account(user: &UserRecord, family: uuid::Uuid) -> Account {
    Account {
        id: user.id,
        name: user.display_name.clone(),
        role: user.role,
        tenant: user.tenant_id.clone(),
        session: Some(family.to_string()),
    }
}

/// 256 random bits, base64url.
fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.config.http.insecure_cookies {
        INSECURE_REFRESH_COOKIE
    } else {
        REFRESH_COOKIE
    }
}

pub(crate) fn set_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookie_header(state, token, state.config.tokens.refresh_lifetime.as_secs())
}

fn clear_cookie(state: &AppState) -> HeaderValue {
    cookie_header(state, "", 0)
}

/// `Set-Cookie` for the refresh cookie holding `token` (base64url, or empty to clear it).
fn cookie_header(state: &AppState, token: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.http.insecure_cookies {
        ""
    } else {
        "; Secure"
    };
    let value = format!(
        "{}={token}; HttpOnly{secure}; SameSite=Strict; Path=/; Max-Age={max_age}",
        cookie_name(state)
    );
    HeaderValue::from_str(&value)
        .expect("base64url token and fixed attributes are valid header text")
}

/// The refresh token from the `Cookie` header(s), under either name.
fn refresh_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, &[REFRESH_COOKIE, INSECURE_REFRESH_COOKIE])
}

/// The non-empty value of the first cookie named one of `names`.
pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| names.contains(name))
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}
