//! Raw rows as the database returns them, and their checked conversion into records.
//! `FromRow` is derived generically, so the same row types serve every backend.

use crate::error::StoreError;
use crate::records::{
    BanRecord, InviteRecord, MeetingRecord, RefreshTokenRecord, TokenHash, UserRecord,
};
use plenum_protocol::{MeetingId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    username: String,
    display_name: String,
    password_hash: String,
    role: String,
    tenant_id: String,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MeetingRow {
    id: String,
    owner_id: String,
    title: String,
    password_hash: Option<String>,
    waiting_room: bool,
    created_at: i64,
    updated_at: i64,
    description: String,
    starts_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    code: String,
    meeting_id: String,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    id: String,
    user_id: String,
    token_hash: String,
    family_id: String,
    expires_at: i64,
    revoked_at: Option<i64>,
    replaced_by: Option<String>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(crate) struct BanRow {
    meeting_id: String,
    subject: String,
    created_at: i64,
}

fn uuid(column: &str, text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Corrupt(format!("{column} {text:?}: {e}")))
}

pub(crate) fn when(column: &str, seconds: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|e| StoreError::Corrupt(format!("{column} {seconds}: {e}")))
}

fn maybe_when(column: &str, seconds: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    seconds.map(|s| when(column, s)).transpose()
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: UserId(uuid("users.id", &row.id)?),
            username: row.username,
            display_name: row.display_name,
            password_hash: row.password_hash,
            role: row
                .role
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("users.role: {e}")))?,
            tenant_id: row.tenant_id,
            created_at: when("users.created_at", row.created_at)?,
        })
    }
}

impl TryFrom<MeetingRow> for MeetingRecord {
    type Error = StoreError;
    fn try_from(row: MeetingRow) -> Result<Self, StoreError> {
        Ok(MeetingRecord {
            id: MeetingId(uuid("meetings.id", &row.id)?),
            owner_id: UserId(uuid("meetings.owner_id", &row.owner_id)?),
            title: row.title,
            password_hash: row.password_hash,
            waiting_room: row.waiting_room,
            created_at: when("meetings.created_at", row.created_at)?,
            updated_at: when("meetings.updated_at", row.updated_at)?,
            description: row.description,
            starts_at: maybe_when("meetings.starts_at", row.starts_at)?,
        })
    }
}

impl TryFrom<InviteRow> for InviteRecord {
    type Error = StoreError;
    fn try_from(row: InviteRow) -> Result<Self, StoreError> {
        Ok(InviteRecord {
            code: row.code,
            meeting_id: MeetingId(uuid("invites.meeting_id", &row.meeting_id)?),
            expires_at: maybe_when("invites.expires_at", row.expires_at)?,
            revoked_at: maybe_when("invites.revoked_at", row.revoked_at)?,
            created_at: when("invites.created_at", row.created_at)?,
        })
    }
}

impl TryFrom<RefreshRow> for RefreshTokenRecord {
    type Error = StoreError;
    fn try_from(row: RefreshRow) -> Result<Self, StoreError> {
        Ok(RefreshTokenRecord {
            id: uuid("refresh_tokens.id", &row.id)?,
            user_id: UserId(uuid("refresh_tokens.user_id", &row.user_id)?),
            token_hash: TokenHash::from_stored(row.token_hash),
            family_id: uuid("refresh_tokens.family_id", &row.family_id)?,
            expires_at: when("refresh_tokens.expires_at", row.expires_at)?,
            revoked_at: maybe_when("refresh_tokens.revoked_at", row.revoked_at)?,
            replaced_by: row
                .replaced_by
                .as_deref()
                .map(|s| uuid("refresh_tokens.replaced_by", s))
                .transpose()?,
            created_at: when("refresh_tokens.created_at", row.created_at)?,
        })
    }
}

impl TryFrom<BanRow> for BanRecord {
    type Error = StoreError;
    fn try_from(row: BanRow) -> Result<Self, StoreError> {
        Ok(BanRecord {
            meeting_id: MeetingId(uuid("meeting_bans.meeting_id", &row.meeting_id)?),
            subject: row.subject,
            created_at: when("meeting_bans.created_at", row.created_at)?,
        })
    }
}
