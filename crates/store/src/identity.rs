//! Tenants and account administration (docs/permissions.md).

use crate::rows::{UserRow, when};
use crate::tx::{tx_execute, tx_fetch};
use crate::{
    Backend, MEETING_COLUMNS, NewUser, StoreError, Tx, USER_COLUMNS, UserRecord, found, touched,
};
use plenum_protocol::{AccountRole, DEFAULT_TENANT, UserId};
use time::OffsetDateTime;

/// A tenant: an organisation sharing the instance. Accounts, and what they own, belong to
/// exactly one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRecord {
    pub id: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

/// A partial account update: `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<AccountRole>,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    name: String,
    created_at: i64,
}

impl TryFrom<TenantRow> for TenantRecord {
    type Error = StoreError;
    fn try_from(row: TenantRow) -> Result<Self, StoreError> {
        Ok(TenantRecord {
            id: row.id,
            name: row.name,
            created_at: when("tenants.created_at", row.created_at)?,
        })
    }
}

const TENANT_COLUMNS: &str = "id, name, created_at";

impl crate::Store {
    /// Creates a tenant; a taken id is [`StoreError::Conflict`].
    pub async fn create_tenant(
        &self,
        id: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<TenantRecord, StoreError> {
        let mut tx = self.begin().await?;
        let tenant = tx.create_tenant(id, name, now).await?;
        tx.commit().await?;
        Ok(tenant)
    }

    /// The tenant with this id, or [`StoreError::NotFound`].
    pub async fn tenant_by_id(&self, id: &str) -> Result<TenantRecord, StoreError> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1");
        let row: Option<TenantRow> = fetch!(self, query_as(&sql), [id], fetch_optional)?;
        found(row)
    }

    /// Every tenant, by id.
    pub async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let sql = format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY id");
        let rows: Vec<TenantRow> = fetch!(self, query_as(&sql), [], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The accounts of one tenant, or of every tenant with `None`, by username.
    pub async fn users(&self, tenant: Option<&str>) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE (CAST($1 AS TEXT) IS NULL OR tenant_id = $1) \
             ORDER BY username, id"
        );
        let rows: Vec<UserRow> = fetch!(self, query_as(&sql), [tenant], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Changes an account's display name and/or role (see [`Tx::update_user`]).
    pub async fn update_user(
        &self,
        id: UserId,
        update: UserUpdate,
    ) -> Result<UserRecord, StoreError> {
        let mut tx = self.begin().await?;
        let user = tx.update_user(id, update).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// When the login session (refresh-token family) `family_id` began: its first token.
    pub async fn session_started(
        &self,
        family_id: uuid::Uuid,
    ) -> Result<OffsetDateTime, StoreError> {
        let first: Option<i64> = fetch!(
            self,
            query_scalar("SELECT MIN(created_at) FROM refresh_tokens WHERE family_id = $1"),
            [family_id.to_string()],
            fetch_one
        )?;
        when(
            "refresh_tokens.created_at",
            first.ok_or(StoreError::NotFound)?,
        )
    }

    /// The meetings owned by accounts of `tenant`, oldest first.
    pub async fn meetings_of_tenant(
        &self,
        tenant: &str,
    ) -> Result<Vec<crate::MeetingRecord>, StoreError> {
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings \
             WHERE owner_id IN (SELECT id FROM users WHERE tenant_id = $1) \
             ORDER BY created_at, id"
        );
        let rows: Vec<crate::rows::MeetingRow> = fetch!(self, query_as(&sql), [tenant], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Whether the login session (refresh-token family) `family_id` is still live at `now`:
    /// not logged out, not revoked, not expired. Access tokens carry their session as
    /// `sid` and are refused once it has ended.
    pub async fn session_is_live(
        &self,
        family_id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let hit: Option<i64> = fetch!(
            self,
            query_scalar(
                "SELECT CAST(1 AS BIGINT) FROM refresh_tokens WHERE family_id = $1 \
                 AND revoked_at IS NULL AND expires_at > $2 LIMIT 1"
            ),
            [family_id, now.unix_timestamp()],
            fetch_optional
        )?;
        Ok(hit.is_some())
    }
}

/// Changes to tenants and accounts, each inside the transaction that also records it.
impl Tx {
    /// Creates a tenant; a taken id is [`StoreError::Conflict`].
    pub async fn create_tenant(
        &mut self,
        id: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<TenantRecord, StoreError> {
        let sql = format!(
            "INSERT INTO tenants ({TENANT_COLUMNS}) VALUES ($1, $2, $3) RETURNING {TENANT_COLUMNS}"
        );
        let row: TenantRow = tx_fetch!(
            self,
            query_as(&sql),
            [id, name, now.unix_timestamp()],
            fetch_one
        )?;
        row.try_into()
    }

    /// Renames a tenant.
    pub async fn rename_tenant(
        &mut self,
        id: &str,
        name: &str,
    ) -> Result<TenantRecord, StoreError> {
        let sql = format!("UPDATE tenants SET name = $2 WHERE id = $1 RETURNING {TENANT_COLUMNS}");
        let row: Option<TenantRow> = tx_fetch!(self, query_as(&sql), [id, name], fetch_optional)?;
        found(row)
    }

    /// Deletes an empty tenant. The default tenant, or one that still has accounts, is
    /// [`StoreError::Conflict`]: accounts are never deleted as a side effect. An unknown
    /// tenant is [`StoreError::NotFound`].
    pub async fn delete_tenant(&mut self, id: &str) -> Result<(), StoreError> {
        if id == DEFAULT_TENANT {
            return Err(StoreError::Conflict(
                "the default tenant cannot be deleted".into(),
            ));
        }
        let accounts: i64 = tx_fetch!(
            self,
            query_scalar("SELECT COUNT(*) FROM users WHERE tenant_id = $1"),
            [id],
            fetch_one
        )?;
        if accounts > 0 {
            return Err(StoreError::Conflict("the tenant still has accounts".into()));
        }
        let done = tx_execute!(self, "DELETE FROM tenants WHERE id = $1", [id])?;
        touched(done)
    }

    /// Creates an account in an existing tenant; a taken username is
    /// [`StoreError::Conflict`], an unknown tenant [`StoreError::NotFound`].
    pub async fn create_user(
        &mut self,
        new: NewUser,
        now: OffsetDateTime,
    ) -> Result<UserRecord, StoreError> {
        // SQLite has no foreign key on users.tenant_id (see the migration).
        let tenant: Option<String> = tx_fetch!(
            self,
            query_scalar("SELECT id FROM tenants WHERE id = $1"),
            [&new.tenant_id],
            fetch_optional
        )?;
        if tenant.is_none() {
            return Err(StoreError::NotFound);
        }
        let sql = format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = tx_fetch!(
            self,
            query_as(&sql),
            [
                UserId::random().to_string(),
                &new.username,
                &new.display_name,
                &new.password_hash,
                new.role.as_str(),
                &new.tenant_id,
                now.unix_timestamp(),
            ],
            fetch_one
        )?;
        row.try_into()
    }

    /// Changes an account's display name and/or role.
    pub async fn update_user(
        &mut self,
        id: UserId,
        update: UserUpdate,
    ) -> Result<UserRecord, StoreError> {
        let sql = format!(
            "UPDATE users SET display_name = COALESCE($2, display_name), \
             role = COALESCE($3, role) WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let row: Option<UserRow> = tx_fetch!(
            self,
            query_as(&sql),
            [
                id.to_string(),
                update.display_name.as_deref(),
                update.role.map(AccountRole::as_str),
            ],
            fetch_optional
        )?;
        found(row)
    }

    /// Deletes an account with its sessions and meetings.
    pub async fn delete_user(&mut self, id: UserId) -> Result<(), StoreError> {
        let done = tx_execute!(self, "DELETE FROM users WHERE id = $1", [id.to_string()])?;
        touched(done)
    }

    /// Sets a setting, replacing any previous value.
    pub async fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        tx_execute!(
            self,
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value]
        )?;
        Ok(())
    }

    /// Removes a setting; absent is fine.
    pub async fn delete_setting(&mut self, key: &str) -> Result<(), StoreError> {
        tx_execute!(self, "DELETE FROM settings WHERE key = $1", [key])?;
        Ok(())
    }

    /// Revokes every live session of an account (a role change, a deletion); returns how
    /// many refresh tokens were revoked.
    pub async fn revoke_user_sessions(
        &mut self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        tx_execute!(
            self,
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            [user.to_string(), now.unix_timestamp()]
        )
    }
}

/// An API client (OAuth 2.0 client credentials) of a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiClientRecord {
    pub id: uuid::Uuid,
    pub tenant_id: String,
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A new API client; the caller makes the id and the secret.
#[derive(Clone, Debug)]
pub struct NewApiClient {
    pub id: uuid::Uuid,
    pub tenant_id: String,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    pub created_by: UserId,
}

#[derive(sqlx::FromRow)]
struct ApiClientRow {
    id: String,
    tenant_id: String,
    name: String,
    secret_hash: String,
    scopes: String,
    created_by: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiClientRow> for ApiClientRecord {
    type Error = StoreError;
    fn try_from(row: ApiClientRow) -> Result<Self, StoreError> {
        let uuid = |column: &str, text: &str| {
            uuid::Uuid::parse_str(text)
                .map_err(|e| StoreError::Corrupt(format!("{column} {text:?}: {e}")))
        };
        Ok(ApiClientRecord {
            id: uuid("api_clients.id", &row.id)?,
            tenant_id: row.tenant_id,
            name: row.name,
            secret_hash: row.secret_hash,
            scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            created_by: UserId(uuid("api_clients.created_by", &row.created_by)?),
            created_at: when("api_clients.created_at", row.created_at)?,
            revoked_at: row
                .revoked_at
                .map(|s| when("api_clients.revoked_at", s))
                .transpose()?,
        })
    }
}

const API_CLIENT_COLUMNS: &str =
    "id, tenant_id, name, secret_hash, scopes, created_by, created_at, revoked_at";

impl crate::Store {
    /// The API clients of a tenant, oldest first (revoked ones included).
    pub async fn api_clients(&self, tenant: &str) -> Result<Vec<ApiClientRecord>, StoreError> {
        let sql = format!(
            "SELECT {API_CLIENT_COLUMNS} FROM api_clients WHERE tenant_id = $1 \
             ORDER BY created_at, id"
        );
        let rows: Vec<ApiClientRow> = fetch!(self, query_as(&sql), [tenant], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The API client with this id, whatever its state, or [`StoreError::NotFound`].
    pub async fn api_client(&self, id: uuid::Uuid) -> Result<ApiClientRecord, StoreError> {
        let sql = format!("SELECT {API_CLIENT_COLUMNS} FROM api_clients WHERE id = $1");
        let row: Option<ApiClientRow> =
            fetch!(self, query_as(&sql), [id.to_string()], fetch_optional)?;
        found(row)
    }
}

impl Tx {
    pub async fn create_api_client(
        &mut self,
        new: NewApiClient,
        now: OffsetDateTime,
    ) -> Result<ApiClientRecord, StoreError> {
        let sql = format!(
            "INSERT INTO api_clients ({API_CLIENT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) RETURNING {API_CLIENT_COLUMNS}"
        );
        let row: ApiClientRow = tx_fetch!(
            self,
            query_as(&sql),
            [
                new.id.to_string(),
                &new.tenant_id,
                &new.name,
                &new.secret_hash,
                new.scopes.join(" "),
                new.created_by.to_string(),
                now.unix_timestamp(),
            ],
            fetch_one
        )?;
        row.try_into()
    }

    /// Revokes an API client of `tenant`; revoking twice keeps the first time.
    pub async fn revoke_api_client(
        &mut self,
        tenant: &str,
        id: uuid::Uuid,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let done = tx_execute!(
            self,
            "UPDATE api_clients SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE id = $1 AND tenant_id = $2",
            [id.to_string(), tenant, now.unix_timestamp()]
        )?;
        touched(done)
    }
}
