//! Accounts of people from an external identity source (OIDC provider, LDAP): found by
//! their link `(source, subject)` or created on their first login, with the role their
//! groups map to at every login (docs/identity.md).

use super::problem::ApiError;
use super::validate::{MAX_DISPLAY_NAME_CHARS, MAX_USERNAME_CHARS};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::state::AppState;
use plenum_protocol::AccountRole;
use plenum_store::{NewUser, StoreError, UserRecord, UserUpdate};
use time::OffsetDateTime;

/// What an identity source says about a person who just proved who they are.
#[derive(Debug)]
pub struct ExternalPerson {
    /// `oidc:<provider id>` or `ldap`.
    pub source: String,
    /// The source's stable id of the person (`sub`, entryUUID, objectGUID).
    pub subject: String,
    /// A login name the source suggests (preferred_username, uid); made unique here.
    pub username_hint: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: AccountRole,
    pub tenant: String,
}

/// The person's account, created on first sight; its display name and role follow the
/// source at every login. Records `user.create` and `user.role_change`.
pub async fn account_for(
    state: &AppState,
    meta: &RequestMeta,
    person: &ExternalPerson,
    now: OffsetDateTime,
) -> Result<(UserRecord, bool), ApiError> {
    let display_name = clean_display_name(person);
    if let Some(user) = state
        .store
        .external_user(
            &person.source,
            &person.subject,
            person.email.as_deref(),
            now,
        )
        .await?
    {
        if user.role == person.role && user.display_name == display_name {
            return Ok((user, false));
        }
        let updated = state
            .store
            .update_user(
                user.id,
                UserUpdate {
                    display_name: Some(display_name),
                    role: Some(person.role),
                },
            )
            .await?;
        if user.role != updated.role {
            let event = AuditEvent::new(
                "user.role_change",
                Outcome::Success,
                EventActor::system(),
                format!("user:{}", user.id),
            )
            .detail("from", user.role.as_str())
            .detail("to", updated.role.as_str())
            .detail("source", person.source.clone());
            if let Err(error) = state.audit(meta, event).await {
                tracing::error!(%error, "could not record a role change from an identity source");
            }
        }
        return Ok((updated, false));
    }
    let tenant = match state.store.tenant_by_id(&person.tenant).await {
        Ok(tenant) => tenant,
        Err(StoreError::NotFound) => {
            tracing::error!(
                tenant = person.tenant,
                source = person.source,
                "the identity source's tenant does not exist"
            );
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "tenant_missing",
                "this identity source is not set up completely; ask the administrator",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let username = free_username(state, person).await?;
    let new = NewUser {
        username,
        display_name,
        // No password opens an external account: the dummy hash is of a random password
        // nobody ever saw (state.rs), and a password login against it fails like any
        // wrong password, in the same time.
        password_hash: state.dummy_hash.clone(),
        role: person.role,
        tenant_id: tenant.id,
    };
    let mut tx = state.store.begin().await?;
    let user = tx
        .create_external_user(
            new,
            &person.source,
            &person.subject,
            person.email.as_deref(),
            now,
        )
        .await?;
    let event = AuditEvent::new(
        "user.create",
        Outcome::Success,
        EventActor::system(),
        format!("user:{}", user.id),
    )
    .detail("source", person.source.clone())
    .detail("role", user.role.as_str())
    .personal("username", user.username.clone());
    state.audit_in(&mut tx, meta, event).await?;
    tx.commit().await?;
    Ok((user, true))
}

/// A username no account has: the source's hint with `@<source name>` appended (so it
/// never equals a local account's name), or, if taken or unusable, one made from the
/// subject's hash.
async fn free_username(state: &AppState, person: &ExternalPerson) -> Result<String, ApiError> {
    let suffix = person
        .source
        .strip_prefix("oidc:")
        .unwrap_or(&person.source);
    let hinted = person
        .username_hint
        .as_deref()
        .map(|hint| format!("{}@{suffix}", hint.trim()))
        .filter(|name| {
            name.chars().count() <= MAX_USERNAME_CHARS && !name.chars().any(char::is_control)
        });
    if let Some(name) = hinted {
        match state.store.user_by_username(&name).await {
            Err(StoreError::NotFound) => return Ok(name),
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, person.subject.as_bytes());
    let short: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut name = format!("{suffix}-{short}");
    name.truncate(MAX_USERNAME_CHARS);
    Ok(name)
}

/// The display name: the source's, else the username hint, else the subject; trimmed,
/// without control characters, at most [`MAX_DISPLAY_NAME_CHARS`].
fn clean_display_name(person: &ExternalPerson) -> String {
    let candidates = [
        person.display_name.as_deref(),
        person.username_hint.as_deref(),
        Some(person.subject.as_str()),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|raw| {
            raw.chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
                .trim()
                .chars()
                .take(MAX_DISPLAY_NAME_CHARS)
                .collect::<String>()
        })
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "?".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(display: Option<&str>, hint: Option<&str>, subject: &str) -> ExternalPerson {
        ExternalPerson {
            source: "oidc:corp".into(),
            subject: subject.into(),
            username_hint: hint.map(str::to_owned),
            display_name: display.map(str::to_owned),
            email: None,
            role: AccountRole::None,
            tenant: "default".into(),
        }
    }

    #[test]
    fn display_names_fall_back_and_are_cleaned() {
        assert_eq!(
            clean_display_name(&person(Some(" Ann\u{7} "), None, "s")),
            "Ann"
        );
        assert_eq!(
            clean_display_name(&person(Some("  "), Some("ann"), "s")),
            "ann"
        );
        assert_eq!(clean_display_name(&person(None, None, "s-1")), "s-1");
        let long = "x".repeat(500);
        assert_eq!(
            clean_display_name(&person(Some(&long), None, "s"))
                .chars()
                .count(),
            MAX_DISPLAY_NAME_CHARS
        );
    }
}
