//! Meetings and their invites, for their owner; and join tokens for registered users.
//!
//! A meeting that exists but belongs to someone else answers 404, exactly like one that
//! does not exist, so meeting ids cannot be probed.

use super::extract::{ApiJson, ApiPath, AuthUser};
use super::problem::{ApiError, not_found_as};
use super::{
    check_meeting_password, invite_body, invite_code_is_wellformed, meeting_token_body, rfc3339,
    validate,
};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::authz::{Permission, require};
use crate::passwords;
use crate::state::{AppState, MeetingEvent};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use plenum_protocol::rest::{
    CreateInvite, CreateMeeting, Invite, JoinTokenRequest, Meeting, MeetingTokenResponse,
    UpdateMeeting,
};
use plenum_protocol::signaling::Role;
use plenum_protocol::{MeetingId, UserId};
use plenum_store::{MeetingRecord, MeetingUpdate, NewInvite, NewMeeting, StoreError};
use rand::RngCore as _;
use time::OffsetDateTime;

pub async fn list(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Json<Vec<Meeting>>, ApiError> {
    let meetings = state.store.meetings_by_owner(claims.sub).await?;
    Ok(Json(meetings.iter().map(meeting_body).collect()))
}

pub async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    AuthUser(claims): AuthUser,
    ApiJson(body): ApiJson<CreateMeeting>,
) -> Result<(StatusCode, Json<Meeting>), ApiError> {
    require(&claims, Permission::MeetingCreate)?;
    crate::policy::check_meeting_creator(&state, &claims).await?;
    let title = validate::title(&body.title)?;
    let description = validate::description(body.description.as_deref().unwrap_or(""))?;
    let starts_at = body
        .starts_at
        .as_deref()
        .map(|text| validate::rfc3339_time("starts_at", text))
        .transpose()?;
    let password_hash = match validate::new_password(body.password.as_deref())? {
        Some(p) => Some(passwords::hash(p).await?),
        None => None,
    };
    let mut tx = state.store.begin().await?;
    let record = tx
        .create_meeting(
            NewMeeting {
                owner_id: claims.sub,
                title,
                password_hash,
                waiting_room: body.waiting_room,
                description,
                starts_at,
            },
            OffsetDateTime::now_utc(),
        )
        .await
        // The owner is the account behind the token; NotFound means it no longer exists.
        .map_err(not_found_as(ApiError::account_gone))?;
    let event = meeting_event("meeting.create", &claims, record.id)
        .personal("title", record.title.clone())
        .detail("password", record.password_hash.is_some().to_string())
        .detail("waiting_room", record.waiting_room.to_string());
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(meeting_body(&record))))
}

pub async fn get(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> Result<Json<Meeting>, ApiError> {
    let record = owned_meeting(&state, claims.sub, id).await?;
    Ok(Json(meeting_body(&record)))
}

pub async fn update(
    State(state): State<AppState>,
    meta: RequestMeta,
    AuthUser(claims): AuthUser,
    ApiPath(id): ApiPath<MeetingId>,
    ApiJson(body): ApiJson<UpdateMeeting>,
) -> Result<Json<Meeting>, ApiError> {
    owned_meeting(&state, claims.sub, id).await?;
    let title = body.title.as_deref().map(validate::title).transpose()?;
    let description = body
        .description
        .as_deref()
        .map(validate::description)
        .transpose()?;
    let starts_at = body
        .starts_at
        .map(|at| {
            at.map(|text| validate::rfc3339_time("starts_at", &text))
                .transpose()
        })
        .transpose()?;
    let password_hash = match body.password {
        None => None,
        Some(new) => match validate::new_password(new.as_deref())? {
            Some(p) => Some(Some(passwords::hash(p).await?)),
            None => Some(None),
        },
    };
    let changed = [
        ("title", title.is_some()),
        ("password", password_hash.is_some()),
        ("waiting_room", body.waiting_room.is_some()),
        ("description", description.is_some()),
        ("starts_at", starts_at.is_some()),
    ]
    .iter()
    .filter(|(_, changed)| *changed)
    .map(|(field, _)| *field)
    .collect::<Vec<_>>()
    .join(",");
    let mut tx = state.store.begin().await?;
    let record = tx
        .update_meeting(
            id,
            MeetingUpdate {
                title,
                password_hash,
                waiting_room: body.waiting_room,
                description,
                starts_at,
            },
            OffsetDateTime::now_utc(),
        )
        .await?;
    let event = meeting_event("meeting.update", &claims, id).detail("changed", changed);
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    state.publish(MeetingEvent::Updated(id));
    Ok(Json(meeting_body(&record)))
}

pub async fn delete(
    State(state): State<AppState>,
    meta: RequestMeta,
    AuthUser(claims): AuthUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> Result<StatusCode, ApiError> {
    owned_meeting(&state, claims.sub, id).await?;
    let mut tx = state.store.begin().await?;
    tx.delete_meeting(id).await?;
    state
        .audit_in(&mut tx, &meta, meeting_event("meeting.delete", &claims, id))
        .await?;
    tx.commit().await?;
    state.publish(MeetingEvent::Deleted(id));
    Ok(StatusCode::NO_CONTENT)
}

pub async fn create_invite(
    State(state): State<AppState>,
    meta: RequestMeta,
    AuthUser(claims): AuthUser,
    ApiPath(id): ApiPath<MeetingId>,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<(StatusCode, Json<Invite>), ApiError> {
    owned_meeting(&state, claims.sub, id).await?;
    let now = OffsetDateTime::now_utc();
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(text) => {
            let at = validate::rfc3339_time("expires_at", text)?;
            if at <= now {
                return Err(ApiError::invalid("expires_at: must be in the future"));
            }
            Some(at)
        }
    };
    let mut tx = state.store.begin().await?;
    let record = tx
        .create_invite(
            NewInvite {
                code: new_invite_code(),
                meeting_id: id,
                expires_at,
            },
            now,
        )
        .await?;
    let mut event = AuditEvent::new(
        "invite.create",
        Outcome::Success,
        EventActor::from_claims(&claims),
        invite_resource(id, &record.code),
    );
    if let Some(at) = record.expires_at {
        event = event.detail("expires_at", rfc3339(at));
    }
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(invite_body(&state, &record))))
}

/// The invites of a meeting that still admit people (revoked and expired ones are left out).
pub async fn list_invites(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    ApiPath(id): ApiPath<MeetingId>,
) -> Result<Json<Vec<Invite>>, ApiError> {
    owned_meeting(&state, claims.sub, id).await?;
    let now = OffsetDateTime::now_utc();
    let invites = state.store.invites_for_meeting(id).await?;
    Ok(Json(
        invites
            .iter()
            .filter(|i| i.is_active(now))
            .map(|i| invite_body(&state, i))
            .collect(),
    ))
}

pub async fn revoke_invite(
    State(state): State<AppState>,
    meta: RequestMeta,
    AuthUser(claims): AuthUser,
    ApiPath((id, code)): ApiPath<(MeetingId, String)>,
) -> Result<StatusCode, ApiError> {
    owned_meeting(&state, claims.sub, id).await?;
    if !invite_code_is_wellformed(&code) {
        return Err(ApiError::not_found("no such invite"));
    }
    let mut tx = state.store.begin().await?;
    tx.revoke_invite(id, &code, OffsetDateTime::now_utc())
        .await
        .map_err(not_found_as(|| ApiError::not_found("no such invite")))?;
    let event = AuditEvent::new(
        "invite.revoke",
        Outcome::Success,
        EventActor::from_claims(&claims),
        invite_resource(id, &code),
    );
    state.audit_in(&mut tx, &meta, event).await?;
    tx.commit().await?;
    state.publish(MeetingEvent::InviteRevoked {
        meeting_id: id,
        code,
    });
    Ok(StatusCode::NO_CONTENT)
}

/// An audit event of the meeting's owner acting on it.
fn meeting_event(
    action: &'static str,
    claims: &crate::tokens::Claims,
    id: MeetingId,
) -> AuditEvent {
    AuditEvent::new(
        action,
        Outcome::Success,
        EventActor::from_claims(claims),
        format!("meeting:{id}"),
    )
}

/// How the audit trail names an invite: the meeting and the first characters of the code,
/// never the whole code (it is a credential).
pub fn invite_resource(meeting: MeetingId, code: &str) -> String {
    let prefix: String = code.chars().take(INVITE_PREFIX_CHARS).collect();
    format!("invite:{meeting}/{prefix}")
}

/// Characters of an invite code named in the audit trail: enough to tell a meeting's
/// invites apart, far too few to use (codes have 22).
pub const INVITE_PREFIX_CHARS: usize = 6;

/// A registered user's ticket into a meeting: the owner as `owner` without an invite;
/// anyone else as `participant` with a live invite of this meeting (and its password).
pub async fn join_token(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    ApiPath(id): ApiPath<MeetingId>,
    ApiJson(body): ApiJson<JoinTokenRequest>,
) -> Result<Json<MeetingTokenResponse>, ApiError> {
    require(&claims, Permission::MeetingJoin)?;
    let now = state.clock.now();
    let meeting = state
        .store
        .meeting_by_id(id)
        .await
        .map_err(not_found_as(|| ApiError::not_found("no such meeting")))?;
    let user = state
        .store
        .user_by_id(claims.sub)
        .await
        .map_err(not_found_as(ApiError::account_gone))?;
    let role = if meeting.owner_id == user.id {
        Role::Owner
    } else {
        let code = body.invite_code.as_deref().unwrap_or("");
        let invite = if invite_code_is_wellformed(code) {
            state.store.active_invite(code, now).await.ok()
        } else {
            None
        };
        // An invite of another meeting is as good as none; the answer does not say which.
        if invite.is_none_or(|i| i.meeting_id != id) {
            return Err(ApiError::forbidden(
                "invite_required",
                "a valid invite of this meeting is needed to join it",
            ));
        }
        check_meeting_password(&meeting, body.password).await?;
        if state.store.is_banned(id, &[&user.id.to_string()]).await? {
            return Err(ApiError::forbidden(
                "banned",
                "you were banned from this meeting",
            ));
        }
        Role::Participant
    };
    let issued = state.tokens.issue_meeting_for(&claims, id, role, now);
    Ok(meeting_token_body(issued, id))
}

/// The meeting if `user` owns it; 404 otherwise (see the module doc).
async fn owned_meeting(
    state: &AppState,
    user: UserId,
    id: MeetingId,
) -> Result<MeetingRecord, ApiError> {
    match state.store.meeting_by_id(id).await {
        Ok(m) if m.owner_id == user => Ok(m),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found("no such meeting")),
        Err(e) => Err(e.into()),
    }
}

pub fn meeting_body(m: &MeetingRecord) -> Meeting {
    Meeting {
        id: m.id,
        title: m.title.clone(),
        description: m.description.clone(),
        has_password: m.password_hash.is_some(),
        waiting_room: m.waiting_room,
        owner_id: m.owner_id,
        created_at: rfc3339(m.created_at),
        starts_at: m.starts_at.map(rfc3339),
    }
}

/// 128 random bits, base64url (22 characters).
pub fn new_invite_code() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
