//! OpenID Connect routes (docs/identity.md):
//!
//! - `GET /auth/providers` (public): the identity sources the login page offers.
//! - `GET /auth/oidc/{provider}/login?return_to=/path`: sends the browser to the provider.
//! - `GET /auth/oidc/{provider}/callback`: the provider sends it back; on success the
//!   browser gets the same refresh cookie as after a password login and lands on
//!   `return_to`, where the web client picks the session up with `/auth/refresh`. Failures
//!   land on `/?login_error=<code>` (browser navigations get no problem bodies to read).
//! - `POST /auth/oidc/{provider}/backchannel-logout`: the provider ends a session; its
//!   refresh tokens are revoked and the user's live connections closed.

use super::external::{ExternalPerson, account_for};
use super::extract::ApiPath;
use super::problem::ApiError;
use crate::audit::{ActorKind, AuditEvent, EventActor, Outcome, RequestMeta};
use crate::oidc::{Completed, OidcError, role_for};
use crate::policy;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use plenum_protocol::rest::{AuthProviders, OidcProviderInfo};
use plenum_store::ExternalSession;
use std::time::Instant;

/// Cookie that binds a started login to the browser (`__Host-` needs Secure).
const BINDING_COOKIE: &str = "__Host-plenum_oidc";
const INSECURE_BINDING_COOKIE: &str = "plenum_oidc";
/// Longest `return_to` path accepted.
const MAX_RETURN_TO: usize = 512;
/// Longest logout-token form accepted.
const MAX_LOGOUT_FORM_BYTES: usize = 16 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/providers", get(providers))
        .route("/auth/oidc/{provider}/login", get(login))
        .route("/auth/oidc/{provider}/callback", get(callback))
        .route(
            "/auth/oidc/{provider}/backchannel-logout",
            post(backchannel_logout),
        )
}

/// The sources whose tenant's policy allows them (`identity_sources`).
async fn providers(State(state): State<AppState>) -> Result<Json<AuthProviders>, ApiError> {
    let mut oidc = Vec::new();
    for p in state.oidc.providers() {
        if policy::source_enabled(&state, &p.tenant, "oidc").await? {
            oidc.push(OidcProviderInfo {
                id: p.id.clone(),
                display_name: p.display_name.clone(),
            });
        }
    }
    let ldap = match &state.ldap {
        Some(directory) => {
            policy::source_enabled(&state, &directory.config().tenant, "ldap").await?
        }
        None => false,
    };
    Ok(Json(AuthProviders { oidc, ldap }))
}

/// Whether `provider` is configured and its tenant's policy allows OIDC logins.
async fn provider_enabled(state: &AppState, provider: &str) -> Result<bool, ApiError> {
    match state.oidc.providers().find(|p| p.id == provider) {
        Some(p) => policy::source_enabled(state, &p.tenant, "oidc").await,
        None => Ok(false),
    }
}

async fn login(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    if !provider_enabled(&state, &provider).await? {
        return Err(ApiError::not_found("no such OIDC provider"));
    }
    let return_to = query_param(query.as_deref(), "return_to")
        .filter(|path| is_local_path(path))
        .unwrap_or_else(|| "/".to_owned());
    let started = state
        .oidc
        .start_login(&provider, return_to, Instant::now())
        .await
        .map_err(|error| oidc_problem(&provider, &error))?;
    let mut response = redirect(&started.authorization_url);
    append_cookie(
        &mut response,
        &binding_cookie(
            &state,
            &started.binding,
            crate::oidc::pending::PENDING_LIFETIME.as_secs(),
        ),
    );
    Ok(response)
}

async fn callback(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiPath(provider): ApiPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let binding = super::auth::cookie_value(&headers, &[BINDING_COOKIE, INSECURE_BINDING_COOKIE]);
    let param = |name| query_param(query.as_deref(), name);
    let (flow, code, error, iss) = (param("state"), param("code"), param("error"), param("iss"));
    let outcome = match (&flow, &code, &error) {
        (Some(flow), Some(code), None) => state
            .oidc
            .finish_login(
                &provider,
                flow,
                code,
                iss.as_deref(),
                binding,
                Instant::now(),
            )
            .await
            .map_err(|e| (e, "oidc_failed")),
        (_, _, Some(error)) => Err((
            OidcError::Refused(error.chars().take(100).collect()),
            "oidc_refused",
        )),
        _ => Err((
            OidcError::Refused("callback without code or state".into()),
            "oidc_failed",
        )),
    };
    let mut response = match outcome {
        Ok(completed) => match sign_in(&state, &meta, completed).await {
            Ok(response) => response,
            Err(error) => {
                tracing::error!(
                    provider,
                    ?error,
                    request_id = meta.request_id,
                    "OIDC sign-in failed after a valid login"
                );
                redirect("/?login_error=oidc_failed")
            }
        },
        Err((error, code)) => {
            tracing::warn!(provider, %error, request_id = meta.request_id, "OIDC login refused");
            let event = AuditEvent::new(
                "auth.login",
                Outcome::Failure,
                EventActor::anonymous(&tenant_of(&state, &provider)),
                "instance",
            )
            .detail("method", "oidc")
            .detail("provider", provider.chars().take(32).collect::<String>())
            .detail("reason", reason_code(&error));
            if let Err(error) = state.audit(&meta, event).await {
                tracing::error!(%error, "could not record a failed OIDC login");
            }
            redirect(&format!("/?login_error={code}"))
        }
    };
    append_cookie(&mut response, &binding_cookie(&state, "", 0));
    response
}

/// Finds or creates the account, starts a Plenum session and sends the browser on.
async fn sign_in(
    state: &AppState,
    meta: &RequestMeta,
    completed: Completed,
) -> Result<Response, ApiError> {
    let Completed {
        provider,
        claims,
        id_token,
        return_to,
    } = completed;
    let now = state.clock.now();
    let source = format!("oidc:{}", provider.id);
    let person = ExternalPerson {
        source: source.clone(),
        subject: claims.sub.clone(),
        username_hint: claims
            .preferred_username
            .clone()
            .or_else(|| claims.email.clone()),
        display_name: claims.name.clone(),
        email: claims.email.clone(),
        role: role_for(&provider, &claims),
        tenant: provider.tenant.clone(),
    };
    // The policy may have changed while the person was at the provider.
    if !policy::source_enabled(state, &provider.tenant, "oidc").await? {
        return Err(ApiError::not_found("OIDC logins are switched off"));
    }
    let (user, _created) = account_for(state, meta, &person, now).await?;
    let (refresh, family) = super::auth::start_session(state, &user, now).await?;
    state
        .store
        .save_external_session(
            &ExternalSession {
                family_id: family,
                source,
                subject: claims.sub.clone(),
                sid: claims.sid.clone(),
                id_token,
                // The session can last no longer than the absolute timeout.
                expires_at: now
                    + std::time::Duration::from_secs(
                        policy::of_tenant(state, &user.tenant_id)
                            .await?
                            .session_absolute_timeout_secs,
                    ),
            },
            now,
        )
        .await?;
    let event = AuditEvent::new(
        "auth.login",
        Outcome::Success,
        super::auth::user_actor(&user),
        format!("user:{}", user.id),
    )
    .detail("method", "oidc")
    .detail("provider", provider.id.clone())
    .detail("session", family.to_string())
    .detail("role", user.role.as_str());
    if let Err(error) = state.audit(meta, event).await {
        tracing::error!(%error, "could not record an OIDC login");
    }
    tracing::info!(user_id = %user.id, provider = provider.id, role = %user.role, "OIDC login");
    let mut response = redirect(&return_to);
    append_cookie(&mut response, &super::auth::set_cookie(state, &refresh));
    Ok(response)
}

async fn backchannel_logout(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiPath(provider): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let invalid = |detail: &str| ApiError::bad_request("invalid_logout_token", detail);
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected an application/x-www-form-urlencoded body",
        ));
    }
    if body.len() > MAX_LOGOUT_FORM_BYTES {
        return Err(ApiError::too_large());
    }
    let token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| invalid("no logout_token"))?;
    let tenant = tenant_of(&state, &provider);
    // The provider is who asks; its id is cut to the longest valid one.
    let actor = || EventActor {
        kind: ActorKind::Service,
        id: format!("oidc:{}", provider.chars().take(32).collect::<String>()),
        tenant: tenant.clone(),
    };
    let request = match state.oidc.verify_logout_token(&provider, &token).await {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(provider, %error, request_id = meta.request_id, "back-channel logout refused");
            let event = AuditEvent::new(
                "auth.backchannel_logout",
                Outcome::Denied,
                actor(),
                format!("tenant:{tenant}"),
            )
            .detail("reason", reason_code(&error));
            if let Err(error) = state.audit(&meta, event).await {
                tracing::error!(%error, "could not record a refused back-channel logout");
            }
            return Err(match error {
                OidcError::UnknownProvider => ApiError::not_found("no such OIDC provider"),
                _ => invalid("the logout token is not valid"),
            });
        }
    };
    let source = format!("oidc:{provider}");
    let now = state.clock.now();
    let sessions = state
        .store
        .take_external_sessions(&source, request.sub.as_deref(), request.sid.as_deref())
        .await?;
    let mut users = Vec::new();
    for session in &sessions {
        state
            .store
            .revoke_refresh_family(session.family_id, now)
            .await?;
        state.sessions.end_session(&session.family_id.to_string());
        if let Some(user) = state
            .store
            .external_user_id(&source, &session.subject)
            .await?
        {
            users.push(user);
        }
    }
    users.sort();
    users.dedup();
    let resources = if users.is_empty() {
        vec![format!("tenant:{tenant}")]
    } else {
        users.iter().map(|u| format!("user:{u}")).collect()
    };
    for resource in resources {
        let event = AuditEvent::new(
            "auth.backchannel_logout",
            Outcome::Success,
            actor(),
            resource,
        )
        .detail("sessions", sessions.len().to_string());
        if let Err(error) = state.audit(&meta, event).await {
            tracing::error!(%error, "could not record a back-channel logout");
        }
    }
    tracing::info!(provider, sessions = sessions.len(), "back-channel logout");
    Ok(StatusCode::OK)
}

/// Where the browser should go to log out at the provider too, for a Plenum session that
/// came from one (RP-initiated logout). Forgets the session's OIDC record either way.
pub async fn provider_logout_url(
    state: &AppState,
    family: uuid::Uuid,
) -> Result<Option<String>, ApiError> {
    let Some(session) = state.store.external_session(family).await? else {
        return Ok(None);
    };
    state.store.delete_external_session(family).await?;
    let Some(provider) = session.source.strip_prefix("oidc:") else {
        return Ok(None);
    };
    let after = format!("{}/", state.config.http.public_url);
    match state
        .oidc
        .end_session_url(provider, &session.id_token, &after)
        .await
    {
        Ok(url) => Ok(url),
        // Plenum's own logout has happened; the provider's is a courtesy.
        Err(error) => {
            tracing::warn!(provider, %error, "no RP-initiated logout at the provider");
            Ok(None)
        }
    }
}

fn tenant_of(state: &AppState, provider: &str) -> String {
    state
        .oidc
        .providers()
        .find(|p| p.id == provider)
        .map_or_else(
            || plenum_protocol::DEFAULT_TENANT.to_owned(),
            |p| p.tenant.clone(),
        )
}

/// A stable short code for the audit trail (the log has the detail).
fn reason_code(error: &OidcError) -> &'static str {
    match error {
        OidcError::UnknownProvider => "unknown_provider",
        OidcError::Provider(_) => "provider_unavailable",
        OidcError::UnknownKey => "unknown_key",
        OidcError::InvalidToken(_) => "invalid_token",
        OidcError::Pending(_) => "invalid_state",
        OidcError::Refused(_) => "refused",
        OidcError::Replayed => "replayed",
    }
}

fn oidc_problem(provider: &str, error: &OidcError) -> ApiError {
    match error {
        OidcError::UnknownProvider => ApiError::not_found("no such OIDC provider"),
        OidcError::Pending(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_logins",
            "too many logins in progress; try again in a minute",
        ),
        other => {
            tracing::error!(provider, error = %other, "OIDC provider unavailable");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                "the identity provider cannot be reached",
            )
        }
    }
}

/// The first value of `name` in a query string (a query that does not parse as a form
/// yields what it can, never an error: this is a browser navigation).
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A path on this server: starts with one `/`, no scheme or host, no backslash, no
/// control characters (so it cannot redirect elsewhere).
fn is_local_path(path: &str) -> bool {
    path.len() <= MAX_RETURN_TO
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn append_cookie(response: &mut Response, value: &HeaderValue) {
    response
        .headers_mut()
        .append(header::SET_COOKIE, value.clone());
}

/// The binding cookie. SameSite=Lax, because the provider's redirect back is a cross-site
/// navigation on which Strict cookies are not sent.
fn binding_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let (name, secure) = if state.config.http.insecure_cookies {
        (INSECURE_BINDING_COOKIE, "")
    } else {
        (BINDING_COOKIE, "; Secure")
    };
    let text = format!("{name}={value}; HttpOnly{secure}; SameSite=Lax; Path=/; Max-Age={max_age}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_return_targets() {
        for good in ["/", "/m/123", "/j/abc?x=1"] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "",
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/a\nb",
            "m/1",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
        assert!(!is_local_path(&format!("/{}", "a".repeat(MAX_RETURN_TO))));
    }
}
