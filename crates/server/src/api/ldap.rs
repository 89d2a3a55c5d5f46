//! `POST /auth/ldap/login`: logs in with a directory account (docs/identity.md). The body
//! and the answer are those of `POST /auth/login`; failures count against the same
//! brute-force limit as password logins, keyed by the typed username.

use super::external::{ExternalPerson, account_for};
use super::extract::ApiJson;
use super::problem::ApiError;
use super::validate::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::ldap::LdapError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use plenum_protocol::rest::LoginRequest;
use std::time::Instant;
use time::OffsetDateTime;

pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let Some(directory) = &state.ldap else {
        return Err(ApiError::not_found("LDAP login is not enabled"));
    };
    let failed = || ApiError::unauthorized("invalid_credentials", "wrong username or password");
    let instant = Instant::now();
    if let Err(wait) = state.login_throttle.check(&body.username, instant) {
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many failed logins for this account; try again later",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        return Ok(response);
    }
    let tenant = directory.config().tenant.clone();
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
            state.login_throttle.record_failure(&body.username, instant);
            let event = AuditEvent::new(
                "auth.login",
                Outcome::Failure,
                EventActor::anonymous(&tenant),
                "instance",
            )
            .detail("method", "ldap")
            .personal(
                "username",
                body.username
                    .chars()
                    .take(MAX_USERNAME_CHARS)
                    .collect::<String>(),
            );
            if let Err(error) = state.audit(&meta, event).await {
                tracing::error!(%error, "could not record a failed LDAP login");
            }
            return Err(failed());
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
    state.login_throttle.record_success(&body.username);
    let now = OffsetDateTime::now_utc();
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
        EventActor {
            kind: crate::audit::ActorKind::User,
            id: user.id.to_string(),
            tenant: user.tenant_id.clone(),
        },
        format!("user:{}", user.id),
    )
    .detail("method", "ldap")
    .detail("role", user.role.as_str());
    if let Err(error) = state.audit(&meta, event).await {
        tracing::error!(%error, "could not record an LDAP login");
    }
    tracing::info!(user_id = %user.id, role = %user.role, groups = person.groups.len(), "LDAP login");
    Ok(super::auth::session(&state, &user, family, &refresh, now))
}
