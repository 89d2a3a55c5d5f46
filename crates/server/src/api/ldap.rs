//! `POST /auth/ldap/login`: logs in with a directory account (docs/identity.md). The body
//! and the answer are those of `POST /auth/login`; failures count against the same
//! brute-force protection as password logins ([`crate::lockout`]), keyed by the typed
//! username and the source address.

use super::external::{ExternalPerson, account_for};
use super::extract::ApiJson;
use super::problem::ApiError;
use super::validate::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::ldap::LdapError;
use crate::lockout;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use plenum_protocol::rest::LoginRequest;

pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let Some(directory) = &state.ldap else {
        return Err(ApiError::not_found("LDAP login is not enabled"));
    };
    let tenant = directory.config().tenant.clone();
    if !crate::policy::source_enabled(&state, &tenant, "ldap").await? {
        return Err(ApiError::not_found("LDAP login is not enabled"));
    }
    if let Err(refused) = lockout::check(&state, &body.username, &meta).await {
        login_failed(&state, &meta, &tenant, &body.username, "locked").await;
        return Err(refused);
    }
    let plausible = body.username.chars().count() <= MAX_USERNAME_CHARS
        && body.password.chars().count() <= MAX_PASSWORD_CHARS;
    let outcome = if plausible {
        directory.authenticate(&body.username, &body.password).await
    } else {
        Err(LdapError::InvalidCredentials)
    };
    let person = match outcome {
        Ok(person) => person,
        Err(LdapError::InvalidCredentials) => {
            let refused = lockout::failed(&state, &body.username, &meta).await;
            login_failed(
                &state,
                &meta,
                &tenant,
                &body.username,
                "invalid_credentials",
            )
            .await;
            return Err(refused);
        }
        Err(LdapError::Unavailable(reason)) => {
            tracing::error!(reason, request_id = meta.request_id, "LDAP login failed");
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "directory_unavailable",
                "the directory cannot be reached; try again later",
            ));
        }
    };
    lockout::succeeded(&state, &body.username).await?;
    let now = state.clock.now();
    let external = ExternalPerson {
        source: "ldap".into(),
        subject: person.id.clone(),
        username_hint: Some(body.username.trim().to_owned()),
        display_name: person.display_name.clone(),
        email: person.email.clone(),
        role: person.role,
        tenant,
    };
    let (user, _created) = account_for(&state, &meta, &external, now).await?;
    let (refresh, family) = super::auth::start_session(&state, &user, now).await?;
    let event = AuditEvent::new(
        "auth.login",
        Outcome::Success,
        super::auth::user_actor(&user),
        format!("user:{}", user.id),
    )
    .detail("method", "ldap")
    .detail("session", family.to_string())
    .detail("role", user.role.as_str());
    if let Err(error) = state.audit(&meta, event).await {
        tracing::error!(%error, "could not record an LDAP login");
    }
    tracing::info!(user_id = %user.id, role = %user.role, groups = person.groups.len(), "LDAP login");
    Ok(super::auth::session(&state, &user, family, &refresh, now))
}

/// Records a refused LDAP login (the typed name as personal data).
async fn login_failed(
    state: &AppState,
    meta: &RequestMeta,
    tenant: &str,
    username: &str,
    reason: &'static str,
) {
    let event = AuditEvent::new(
        "auth.login",
        Outcome::Failure,
        EventActor::anonymous(tenant),
        "instance",
    )
    .detail("method", "ldap")
    .detail("reason", reason)
    .personal(
        "username",
        username
            .chars()
            .take(MAX_USERNAME_CHARS)
            .collect::<String>(),
    );
    // A refusal changes nothing; if its entry cannot be stored, the error is logged and
    // the refusal stands.
    let _ = state.audit(meta, event).await;
}
