//! Accounts from external identity sources (OIDC providers, LDAP) and the OIDC login
//! sessions a back-channel logout must find (docs/identity.md).
//!
//! A person is linked to an account by `(source, subject)` only — `oidc:<provider>` and
//! the provider's `sub`, or `ldap` and the directory's stable id — never by e-mail or
//! name, which another person could hold at another source.

use crate::rows::{UserRow, when};
use crate::tx::on_tx;
use crate::{Backend, NewUser, Store, StoreError, Tx, USER_COLUMNS, UserRecord};
use plenum_protocol::UserId;
use time::OffsetDateTime;
use uuid::Uuid;

/// A login session (refresh-token family) that came from an OIDC provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalSession {
    pub family_id: Uuid,
    /// `oidc:<provider id>`.
    pub source: String,
    /// The provider's `sub`.
    pub subject: String,
    /// The provider's session id (`sid`), when it sends one.
    pub sid: Option<String>,
    /// The ID token of the login, kept as `id_token_hint` for logging out at the provider.
    pub id_token: String,
    /// When the family's refresh tokens expire at the latest; the row is useless after.
    pub expires_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ExternalSessionRow {
    family_id: String,
    source: String,
    subject: String,
    sid: Option<String>,
    id_token: String,
    expires_at: i64,
}

impl TryFrom<ExternalSessionRow> for ExternalSession {
    type Error = StoreError;
    fn try_from(row: ExternalSessionRow) -> Result<Self, StoreError> {
        Ok(ExternalSession {
            family_id: Uuid::parse_str(&row.family_id).map_err(|e| {
                StoreError::Corrupt(format!(
                    "external_sessions.family_id {}: {e}",
                    row.family_id
                ))
            })?,
            source: row.source,
            subject: row.subject,
            sid: row.sid,
            id_token: row.id_token,
            expires_at: when("external_sessions.expires_at", row.expires_at)?,
        })
    }
}

const SESSION_COLUMNS: &str = "family_id, source, subject, sid, id_token, expires_at";

impl Store {
    /// The account linked to `(source, subject)`, if any; records the login time and the
    /// e-mail address the source names now.
    pub async fn external_user(
        &self,
        source: &str,
        subject: &str,
        email: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Option<UserRecord>, StoreError> {
        let linked = execute!(
            self,
            "UPDATE external_identities SET last_login_at = $3, email = $4 \
             WHERE source = $1 AND subject = $2",
            [source, subject, now.unix_timestamp(), email]
        )?;
        if linked == 0 {
            return Ok(None);
        }
        let columns = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM users u JOIN external_identities e ON e.user_id = u.id \
             WHERE e.source = $1 AND e.subject = $2"
        );
        let row: Option<UserRow> = fetch!(self, query_as(&sql), [source, subject], fetch_optional)?;
        row.map(TryInto::try_into).transpose()
    }

    /// The id of the account linked to `(source, subject)`, if any.
    pub async fn external_user_id(
        &self,
        source: &str,
        subject: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let id: Option<String> = fetch!(
            self,
            query_scalar(
                "SELECT user_id FROM external_identities WHERE source = $1 AND subject = $2"
            ),
            [source, subject],
            fetch_optional
        )?;
        id.map(|id| {
            id.parse()
                .map_err(|_| StoreError::Corrupt(format!("external_identities.user_id {id}")))
        })
        .transpose()
    }

    /// Remembers an OIDC login session.
    pub async fn save_external_session(
        &self,
        session: &ExternalSession,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO external_sessions (family_id, source, subject, sid, id_token, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                session.family_id.to_string(),
                &session.source,
                &session.subject,
                session.sid.as_deref(),
                &session.id_token,
                session.expires_at.unix_timestamp(),
                now.unix_timestamp(),
            ]
        )?;
        Ok(())
    }

    /// The OIDC login session of a refresh-token family, if it came from a provider.
    pub async fn external_session(
        &self,
        family_id: Uuid,
    ) -> Result<Option<ExternalSession>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM external_sessions WHERE family_id = $1");
        let row: Option<ExternalSessionRow> = fetch!(
            self,
            query_as(&sql),
            [family_id.to_string()],
            fetch_optional
        )?;
        row.map(TryInto::try_into).transpose()
    }

    /// Removes and returns the sessions a back-channel logout names: those with this `sid`
    /// (and, if given, this subject), or with only a subject, every session of it.
    pub async fn take_external_sessions(
        &self,
        source: &str,
        subject: Option<&str>,
        sid: Option<&str>,
    ) -> Result<Vec<ExternalSession>, StoreError> {
        if subject.is_none() && sid.is_none() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "DELETE FROM external_sessions WHERE source = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR subject = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR sid = $3) RETURNING {SESSION_COLUMNS}"
        );
        let rows: Vec<ExternalSessionRow> =
            fetch!(self, query_as(&sql), [source, subject, sid], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Forgets the OIDC session of a family (after a logout).
    pub async fn delete_external_session(&self, family_id: Uuid) -> Result<(), StoreError> {
        execute!(
            self,
            "DELETE FROM external_sessions WHERE family_id = $1",
            [family_id.to_string()]
        )?;
        Ok(())
    }

    /// Forgets OIDC sessions whose refresh tokens have all expired.
    pub async fn delete_expired_external_sessions(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        execute!(
            self,
            "DELETE FROM external_sessions WHERE expires_at <= $1",
            [now.unix_timestamp()]
        )
    }
}

impl Tx {
    /// Creates an account for a person seen for the first time at an external source and
    /// links it to `(source, subject)`. If another login linked the same person a moment
    /// earlier, the link is [`StoreError::Conflict`] and the transaction must be dropped.
    pub async fn create_external_user(
        &mut self,
        new: NewUser,
        source: &str,
        subject: &str,
        email: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<UserRecord, StoreError> {
        let id = UserId::random();
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        );
        let at = now.unix_timestamp();
        let row: UserRow = on_tx!(self, conn => sqlx::query_as(&sql)
            .bind(id.to_string())
            .bind(&new.username)
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(new.role.as_str())
            .bind(&new.tenant_id)
            .bind(at)
            .fetch_one(&mut **conn)
            .await)
        .map_err(StoreError::from_sqlx)?;
        on_tx!(self, conn => sqlx::query(
            "INSERT INTO external_identities (source, subject, user_id, email, created_at, last_login_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(source)
        .bind(subject)
        .bind(id.to_string())
        .bind(email)
        .bind(at)
        .execute(&mut **conn)
        .await
        .map(|_| ()))
        .map_err(StoreError::from_sqlx)?;
        row.try_into()
    }
}
