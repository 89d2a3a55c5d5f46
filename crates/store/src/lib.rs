//! plenum-store: everything Plenum keeps on disk, behind one facade, [`Store`].
//!
//! The facade hides which database runs underneath: SQLite (one file in the data
//! directory, the default for a self-hosted instance) or PostgreSQL (for deployments that
//! already run one, or several control-plane nodes). The SQL is written once: both
//! backends accept `$N` placeholders, ids are stored as hyphenated UUID text and times as
//! Unix seconds, so every query body is shared and only the migrations differ per backend
//! (`migrations/<backend>/`). One contract test suite runs against both.
//!
//! Callers pass the current time in (`now`) instead of the store reading a clock, so tests
//! can move through expiry deterministically.
//!
//! What is stored: `tenants` and their accounts (`users`, each with one role),
//! refresh-token families (`refresh_tokens`, only the SHA-256 of each token), `meetings`,
//! their `invites` and `meeting_bans`, and small instance facts in `settings` (for
//! example whether the demo data was created), and formal `votes` (the `votes` module).
//! The audit trail lives in `audit_*` tables (see the `audit` module); a [`Tx`] lets a
//! change and its audit entry commit together.

mod error;
mod records;
mod rows;

pub use error::StoreError;
pub use records::{
    BanRecord, InviteRecord, MeetingRecord, MeetingUpdate, NewInvite, NewMeeting, NewUser,
    RefreshTokenRecord, Rotation, TokenHash, UserRecord,
};

use plenum_protocol::{MeetingId, UserId};
use rows::{BanRow, InviteRow, MeetingRow, RefreshRow, UserRow};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// How long a connection waits for a lock held by another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The persistence facade. Cheap to clone (a connection pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

/// The database behind the facade. Every query body is written once and expanded per arm
/// by [`on_backend!`].
#[derive(Clone, Debug)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool. The body is compiled once per
/// backend, so it must only use SQL and types that every backend supports.
macro_rules! on_backend {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs one statement on whichever backend: `$kind` is the sqlx constructor (`query_as`,
/// `query_scalar`), the `$arg`s are bound to `$1`, `$2`, … in order, and `$finish` is the
/// sqlx method that fetches (`fetch_one`, `fetch_optional`, `fetch_all`). Driver errors
/// become [`StoreError`]s.
macro_rules! fetch {
    ($store:expr, $kind:ident($sql:expr), [$($arg:expr),* $(,)?], $finish:ident) => {
        on_backend!($store, pool => sqlx::$kind($sql)$(.bind($arg))*.$finish(pool).await)
            .map_err(StoreError::from_sqlx)
    };
}

/// Runs one statement that returns no rows; yields how many rows it affected.
macro_rules! execute {
    ($store:expr, $sql:expr, [$($arg:expr),* $(,)?]) => {
        on_backend!($store, pool => sqlx::query($sql)$(.bind($arg))*
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::from_sqlx)
    };
}

mod audit;
mod tx;
pub use audit::{AppendedEntry, AuditHead, MAX_AUDIT_PAGE, StoredCheckpoint};
pub use tx::Tx;

mod siem;
pub use siem::{CheckpointNoteRecord, MAX_CHECKPOINT_PAGE, SiemCursor};

mod audit_query;
pub use audit_query::{AuditSearch, MAX_AUDIT_SEARCH_PAGE};

mod identity;
pub use identity::{ApiClientRecord, NewApiClient, TenantRecord, UserUpdate};
mod lockout;
pub use lockout::{FailureOutcome, LockRule};

mod external;
pub use external::ExternalSession;

mod votes;
pub use votes::{MAX_VOTES_PER_MEETING, NewVote, VoteRecord, VoteSeal, VoteState};

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, tenant_id, created_at";
const MEETING_COLUMNS: &str = "id, owner_id, title, password_hash, waiting_room, created_at, updated_at, description, \
     starts_at";
const INVITE_COLUMNS: &str = "code, meeting_id, expires_at, revoked_at, created_at";
const REFRESH_COLUMNS: &str =
    "id, user_id, token_hash, family_id, expires_at, revoked_at, replaced_by, created_at";

impl Store {
    /// Opens the database named by `url`: `sqlite://path/to/file.db` (created if missing),
    /// `sqlite::memory:`, or `postgres://user@host/db`. Does not apply migrations; call
    /// [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(format!("{url}: {e}")))?;
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            Self::open_sqlite(options, in_memory).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(format!("{}: {e}", redact_url(url))))?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(BUSY_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(StoreError::from_sqlx)?;
            Ok(Self {
                backend: Backend::Postgres(pool),
            })
        } else {
            Err(StoreError::InvalidUrl(format!(
                "{}: expected a sqlite:// or postgres:// URL",
                redact_url(url)
            )))
        }
    }

    /// Opens (creating if missing) the SQLite database file at `path`.
    pub async fn open_sqlite_file(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new().filename(path);
        Self::open_sqlite(options, false).await
    }

    async fn open_sqlite(
        options: SqliteConnectOptions,
        in_memory: bool,
    ) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // WAL lets readers proceed while one writer commits; an in-memory database has no
        // journal file and must stay on a single connection, or every connection would see
        // its own empty database.
        let (options, max_connections) = if in_memory {
            (options, 1)
        } else {
            (options.journal_mode(SqliteJournalMode::Wal), 4)
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(Self {
            backend: Backend::Sqlite(pool),
        })
    }

    /// The backend's name, for logs.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Backend::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        on_backend!(self, pool => pool.close().await)
    }

    // ----- users -----------------------------------------------------------------------

    /// Creates an account (see [`Tx::create_user`]). A taken username is
    /// [`StoreError::Conflict`], an unknown tenant [`StoreError::NotFound`].
    pub async fn create_user(
        &self,
        new: NewUser,
        now: OffsetDateTime,
    ) -> Result<UserRecord, StoreError> {
        let mut tx = self.begin().await?;
        let user = tx.create_user(new, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The account with this id, or [`StoreError::NotFound`].
    pub async fn user_by_id(&self, id: UserId) -> Result<UserRecord, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = fetch!(self, query_as(&sql), [id.to_string()], fetch_optional)?;
        found(row)
    }

    /// The account with this exact username, or [`StoreError::NotFound`].
    pub async fn user_by_username(&self, username: &str) -> Result<UserRecord, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> = fetch!(self, query_as(&sql), [username], fetch_optional)?;
        found(row)
    }

    /// How many accounts exist.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        let count: i64 = fetch!(
            self,
            query_scalar("SELECT COUNT(*) FROM users"),
            [],
            fetch_one
        )?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Replaces an account's password hash.
    pub async fn set_password_hash(
        &self,
        id: UserId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let done = execute!(
            self,
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            [id.to_string(), password_hash]
        )?;
        touched(done)
    }

    // ----- refresh tokens --------------------------------------------------------------

    /// Starts a new refresh-token family (a login) with its first token.
    pub async fn create_refresh_token(
        &self,
        user_id: UserId,
        token_hash: &TokenHash,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<RefreshTokenRecord, StoreError> {
        let id = Uuid::new_v4();
        let family = Uuid::new_v4();
        let row: RefreshRow = fetch!(
            self,
            query_as(&insert_refresh_sql()),
            [
                id.to_string(),
                user_id.to_string(),
                token_hash.as_str(),
                family.to_string(),
                expires_at.unix_timestamp(),
                now.unix_timestamp(),
            ],
            fetch_one
        )?;
        row.try_into()
    }

    /// The refresh token with this hash, in whatever state, or [`StoreError::NotFound`].
    pub async fn refresh_token_by_hash(
        &self,
        token_hash: &TokenHash,
    ) -> Result<RefreshTokenRecord, StoreError> {
        let sql = format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = $1");
        let row: Option<RefreshRow> =
            fetch!(self, query_as(&sql), [token_hash.as_str()], fetch_optional)?;
        found(row)
    }

    /// Uses the refresh token whose hash is `presented`: if it is live, it is marked as
    /// replaced and a new token (`replacement`, same family, expiring at `expires_at`) is
    /// stored in one transaction. If it was already replaced or revoked, someone replays a
    /// stolen or stale token, so the whole family is revoked ([`Rotation::Reused`]).
    pub async fn rotate_refresh_token(
        &self,
        presented: &TokenHash,
        replacement: &TokenHash,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Rotation, StoreError> {
        let new_id = Uuid::new_v4();
        let now_s = now.unix_timestamp();
        let claim_sql = "UPDATE refresh_tokens SET revoked_at = $2, replaced_by = $3 \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2 \
             RETURNING user_id, family_id";
        let insert_sql = insert_refresh_sql();
        // The claiming UPDATE comes first so the transaction takes the write lock at once:
        // two concurrent uses of one token cannot both succeed.
        let rotated: Option<RefreshRow> = on_backend!(self, pool => {
            let mut tx = pool.begin().await.map_err(StoreError::from_sqlx)?;
            let claimed: Option<(String, String)> = sqlx::query_as(claim_sql)
                .bind(presented.as_str())
                .bind(now_s)
                .bind(new_id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            match claimed {
                Some((user_id, family_id)) => {
                    let row: RefreshRow = sqlx::query_as(&insert_sql)
                        .bind(new_id.to_string())
                        .bind(user_id)
                        .bind(replacement.as_str())
                        .bind(family_id)
                        .bind(expires_at.unix_timestamp())
                        .bind(now_s)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(StoreError::from_sqlx)?;
                    tx.commit().await.map_err(StoreError::from_sqlx)?;
                    Some(row)
                }
                None => {
                    tx.rollback().await.map_err(StoreError::from_sqlx)?;
                    None
                }
            }
        });
        if let Some(row) = rotated {
            return Ok(Rotation::Rotated(row.try_into()?));
        }
        // Not claimable: find out why.
        let existing = match self.refresh_token_by_hash(presented).await {
            Ok(record) => record,
            Err(StoreError::NotFound) => return Ok(Rotation::Unknown),
            Err(e) => return Err(e),
        };
        if existing.revoked_at.is_some() {
            self.revoke_refresh_family(existing.family_id, now).await?;
            return Ok(Rotation::Reused {
                user_id: existing.user_id,
                family_id: existing.family_id,
            });
        }
        Ok(Rotation::Expired)
    }

    /// Revokes every still-live token of a family. Returns how many were revoked.
    pub async fn revoke_refresh_family(
        &self,
        family_id: Uuid,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        execute!(
            self,
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            [family_id.to_string(), now.unix_timestamp()]
        )
    }

    /// Deletes refresh tokens that expired before `now`; returns how many.
    pub async fn delete_expired_refresh_tokens(
        &self,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        execute!(
            self,
            "DELETE FROM refresh_tokens WHERE expires_at <= $1",
            [now.unix_timestamp()]
        )
    }

    // ----- meetings --------------------------------------------------------------------

    /// Creates a meeting. An unknown owner is [`StoreError::NotFound`].
    pub async fn create_meeting(
        &self,
        new: NewMeeting,
        now: OffsetDateTime,
    ) -> Result<MeetingRecord, StoreError> {
        let mut tx = self.begin().await?;
        let done = tx.create_meeting(new, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// The meeting with this id, or [`StoreError::NotFound`].
    pub async fn meeting_by_id(&self, id: MeetingId) -> Result<MeetingRecord, StoreError> {
        let sql = format!("SELECT {MEETING_COLUMNS} FROM meetings WHERE id = $1");
        let row: Option<MeetingRow> =
            fetch!(self, query_as(&sql), [id.to_string()], fetch_optional)?;
        found(row)
    }

    /// The meetings `owner` owns, oldest first.
    pub async fn meetings_by_owner(&self, owner: UserId) -> Result<Vec<MeetingRecord>, StoreError> {
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE owner_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<MeetingRow> = fetch!(self, query_as(&sql), [owner.to_string()], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Applies a partial update; absent fields keep their value.
    pub async fn update_meeting(
        &self,
        id: MeetingId,
        update: MeetingUpdate,
        now: OffsetDateTime,
    ) -> Result<MeetingRecord, StoreError> {
        let mut tx = self.begin().await?;
        let done = tx.update_meeting(id, update, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Deletes a meeting with its invites and bans.
    pub async fn delete_meeting(&self, id: MeetingId) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.delete_meeting(id).await?;
        tx.commit().await
    }

    // ----- invites ---------------------------------------------------------------------

    /// Stores an invite. A code already in use is [`StoreError::Conflict`]; an unknown
    /// meeting is [`StoreError::NotFound`].
    pub async fn create_invite(
        &self,
        new: NewInvite,
        now: OffsetDateTime,
    ) -> Result<InviteRecord, StoreError> {
        let mut tx = self.begin().await?;
        let done = tx.create_invite(new, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// The invite with this code, whatever its state.
    pub async fn invite_by_code(&self, code: &str) -> Result<InviteRecord, StoreError> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE code = $1");
        let row: Option<InviteRow> = fetch!(self, query_as(&sql), [code], fetch_optional)?;
        found(row)
    }

    /// The invite with this code if it can be used at `now` (neither revoked nor expired);
    /// otherwise [`StoreError::NotFound`], so callers cannot tell a dead code from a wrong one.
    pub async fn active_invite(
        &self,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<InviteRecord, StoreError> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE code = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)"
        );
        let row: Option<InviteRow> = fetch!(
            self,
            query_as(&sql),
            [code, now.unix_timestamp()],
            fetch_optional
        )?;
        found(row)
    }

    /// All invites of a meeting (including revoked and expired ones), oldest first.
    pub async fn invites_for_meeting(
        &self,
        meeting_id: MeetingId,
    ) -> Result<Vec<InviteRecord>, StoreError> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE meeting_id = $1 ORDER BY created_at, code"
        );
        let rows: Vec<InviteRow> =
            fetch!(self, query_as(&sql), [meeting_id.to_string()], fetch_all)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Revokes an invite of this meeting. Revoking twice keeps the first time; a code
    /// that does not belong to the meeting is [`StoreError::NotFound`].
    pub async fn revoke_invite(
        &self,
        meeting_id: MeetingId,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.revoke_invite(meeting_id, code, now).await?;
        tx.commit().await
    }

    // ----- bans ------------------------------------------------------------------------

    /// Bans `subject` (a user id, `invite:<code>` or `guest:<uuid>`) from a meeting.
    /// Banning twice is not an error.
    pub async fn add_ban(
        &self,
        meeting_id: MeetingId,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.add_ban(meeting_id, subject, now).await?;
        tx.commit().await
    }

    /// Whether any of `subjects` is banned from the meeting.
    pub async fn is_banned(
        &self,
        meeting_id: MeetingId,
        subjects: &[&str],
    ) -> Result<bool, StoreError> {
        for subject in subjects {
            let hit: Option<i64> = fetch!(
                self,
                query_scalar(
                    "SELECT CAST(1 AS BIGINT) FROM meeting_bans \
                     WHERE meeting_id = $1 AND subject = $2"
                ),
                [meeting_id.to_string(), *subject],
                fetch_optional
            )?;
            if hit.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The bans of a meeting, oldest first.
    pub async fn bans_for_meeting(
        &self,
        meeting_id: MeetingId,
    ) -> Result<Vec<BanRecord>, StoreError> {
        let rows: Vec<BanRow> = fetch!(
            self,
            query_as(
                "SELECT meeting_id, subject, created_at FROM meeting_bans WHERE meeting_id = $1 \
                 ORDER BY created_at, subject"
            ),
            [meeting_id.to_string()],
            fetch_all
        )?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Lifts a ban; [`StoreError::NotFound`] if there was none.
    pub async fn remove_ban(&self, meeting_id: MeetingId, subject: &str) -> Result<(), StoreError> {
        let done = execute!(
            self,
            "DELETE FROM meeting_bans WHERE meeting_id = $1 AND subject = $2",
            [meeting_id.to_string(), subject]
        )?;
        touched(done)
    }

    // ----- settings --------------------------------------------------------------------

    /// The value of an instance setting, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        fetch!(
            self,
            query_scalar("SELECT value FROM settings WHERE key = $1"),
            [key],
            fetch_optional
        )
    }

    /// Sets a setting, replacing any previous value.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        execute!(
            self,
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value]
        )?;
        Ok(())
    }

    /// Sets a setting only if it is absent; returns whether this call set it. Lets two
    /// processes starting on one database agree on who does a one-time job.
    pub async fn insert_setting_if_absent(
        &self,
        key: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let done = execute!(
            self,
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            [key, value]
        )?;
        Ok(done == 1)
    }
}

/// The statement that stores a new refresh token, live (not revoked, not replaced).
/// The changes that are audited, inside the caller's transaction, so that the change and
/// its audit entry commit together ([`Tx::append_audit`]). The [`Store`] methods of the
/// same names run each in a transaction of its own.
impl Tx {
    /// Creates a meeting. An unknown owner is [`StoreError::NotFound`].
    pub async fn create_meeting(
        &mut self,
        new: NewMeeting,
        now: OffsetDateTime,
    ) -> Result<MeetingRecord, StoreError> {
        let id = MeetingId::random();
        let sql = format!(
            "INSERT INTO meetings ({MEETING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) \
             RETURNING {MEETING_COLUMNS}"
        );
        let row: MeetingRow = tx::tx_fetch!(
            self,
            query_as(&sql),
            [
                id.to_string(),
                new.owner_id.to_string(),
                &new.title,
                new.password_hash.as_deref(),
                new.waiting_room,
                now.unix_timestamp(),
                &new.description,
                new.starts_at.map(OffsetDateTime::unix_timestamp),
            ],
            fetch_one
        )?;
        row.try_into()
    }

    /// Applies a partial update; absent fields keep their value.
    pub async fn update_meeting(
        &mut self,
        id: MeetingId,
        update: MeetingUpdate,
        now: OffsetDateTime,
    ) -> Result<MeetingRecord, StoreError> {
        let (set_password, password_hash) = match update.password_hash {
            Some(hash) => (true, hash),
            None => (false, None),
        };
        let (set_starts_at, starts_at) = match update.starts_at {
            Some(at) => (true, at.map(OffsetDateTime::unix_timestamp)),
            None => (false, None),
        };
        let sql = format!(
            "UPDATE meetings SET title = COALESCE($2, title), \
             waiting_room = COALESCE($3, waiting_room), \
             password_hash = CASE WHEN $4 THEN $5 ELSE password_hash END, \
             description = COALESCE($7, description), \
             starts_at = CASE WHEN $8 THEN $9 ELSE starts_at END, \
             updated_at = $6 WHERE id = $1 RETURNING {MEETING_COLUMNS}"
        );
        let row: Option<MeetingRow> = tx::tx_fetch!(
            self,
            query_as(&sql),
            [
                id.to_string(),
                update.title.as_deref(),
                update.waiting_room,
                set_password,
                password_hash.as_deref(),
                now.unix_timestamp(),
                update.description.as_deref(),
                set_starts_at,
                starts_at,
            ],
            fetch_optional
        )?;
        found(row)
    }

    /// Deletes a meeting with its invites and bans.
    pub async fn delete_meeting(&mut self, id: MeetingId) -> Result<(), StoreError> {
        let done = tx::tx_execute!(self, "DELETE FROM meetings WHERE id = $1", [id.to_string()])?;
        touched(done)
    }

    /// Stores an invite. A code already in use is [`StoreError::Conflict`]; an unknown
    /// meeting is [`StoreError::NotFound`].
    pub async fn create_invite(
        &mut self,
        new: NewInvite,
        now: OffsetDateTime,
    ) -> Result<InviteRecord, StoreError> {
        let sql = format!(
            "INSERT INTO invites ({INVITE_COLUMNS}) VALUES ($1, $2, $3, NULL, $4) \
             RETURNING {INVITE_COLUMNS}"
        );
        let row: InviteRow = tx::tx_fetch!(
            self,
            query_as(&sql),
            [
                &new.code,
                new.meeting_id.to_string(),
                new.expires_at.map(OffsetDateTime::unix_timestamp),
                now.unix_timestamp(),
            ],
            fetch_one
        )?;
        row.try_into()
    }

    /// Revokes an invite of this meeting. Revoking twice keeps the first time; a code
    /// that does not belong to the meeting is [`StoreError::NotFound`].
    pub async fn revoke_invite(
        &mut self,
        meeting_id: MeetingId,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let done = tx::tx_execute!(
            self,
            "UPDATE invites SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE code = $1 AND meeting_id = $2",
            [code, meeting_id.to_string(), now.unix_timestamp()]
        )?;
        touched(done)
    }

    /// Bans `subject` (a user id, `invite:<code>` or `guest:<uuid>`) from a meeting.
    /// Banning twice is not an error.
    pub async fn add_ban(
        &mut self,
        meeting_id: MeetingId,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        tx::tx_execute!(
            self,
            "INSERT INTO meeting_bans (meeting_id, subject, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (meeting_id, subject) DO NOTHING",
            [meeting_id.to_string(), subject, now.unix_timestamp()]
        )?;
        Ok(())
    }
}

fn insert_refresh_sql() -> String {
    format!(
        "INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6) RETURNING {REFRESH_COLUMNS}"
    )
}

/// The record of a row that must exist; [`StoreError::NotFound`] if the query found none.
fn found<R, T>(row: Option<R>) -> Result<T, StoreError>
where
    R: TryInto<T, Error = StoreError>,
{
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// `Ok` if a statement changed a row; [`StoreError::NotFound`] if it matched none.
fn touched(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A database URL fit for logs and error messages: any password is replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        Some(_) => url.to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        let cases = [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgres://h/db?x=1", "postgres://h/db?x=1"),
            ("nonsense", "nonsense"),
        ];
        for (url, shown) in cases {
            assert_eq!(super::redact_url(url), shown);
        }
    }
}
