//! Public invite endpoints: what an invite leads to, and guest tokens.

use super::extract::{ApiJson, ApiPath, Bearer};
use super::problem::{ApiError, not_found_as};
use super::{check_meeting_password, invite_code_is_wellformed, meeting_token_body, validate};
use crate::state::AppState;
use crate::tokens::{Claims, TokenError, TokenKind};
use axum::Json;
use axum::extract::State;
use plenum_protocol::UserId;
use plenum_protocol::rest::{GuestTokenRequest, InviteInfo, MeetingTokenResponse};
use plenum_store::{InviteRecord, MeetingRecord};
use time::OffsetDateTime;

pub async fn info(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<InviteInfo>, ApiError> {
    let (_, meeting) = live_invite(&state, &code, OffsetDateTime::now_utc()).await?;
    Ok(Json(InviteInfo {
        meeting_id: meeting.id,
        title: meeting.title,
        password_required: meeting.password_hash.is_some(),
    }))
}

/// A guest token: anyone holding a live invite (and the meeting password, if set).
pub async fn guest_token(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<GuestTokenRequest>,
) -> Result<Json<MeetingTokenResponse>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let name = validate::display_name(&body.display_name)?;
    let (invite, meeting) = live_invite(&state, &code, now).await?;
    crate::policy::check_guests_allowed(&state, &meeting).await?;
    check_meeting_password(&meeting, body.password).await?;
    if state
        .store
        .is_banned(meeting.id, &[&format!("invite:{}", invite.code)])
        .await?
    {
        return Err(ApiError::forbidden(
            "banned",
            "this invite was banned from the meeting",
        ));
    }
    let issued = state
        .tokens
        .issue_guest(UserId::random(), &name, meeting.id, &invite.code, now);
    Ok(meeting_token_body(issued, meeting.id))
}

/// A fresh guest token with the same subject and name, for a guest whose token is still
/// valid and whose invite still is.
pub async fn guest_token_refresh(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    Bearer(claims): Bearer,
) -> Result<Json<MeetingTokenResponse>, ApiError> {
    let now = OffsetDateTime::now_utc();
    if claims.kind != TokenKind::Guest {
        return Err(TokenError::WrongKind.into());
    }
    let (invite, meeting) = live_invite(&state, &code, now).await?;
    if claims.mtg != Some(meeting.id) {
        return Err(ApiError::forbidden(
            "wrong_meeting",
            "the token is for another meeting",
        ));
    }
    let subjects = [
        format!("guest:{}", claims.sub),
        format!("invite:{}", invite.code),
    ];
    let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
    if state.store.is_banned(meeting.id, &subjects).await? {
        return Err(ApiError::forbidden(
            "banned",
            "you were banned from this meeting",
        ));
    }
    let Claims { sub, name, .. } = claims;
    let issued = state
        .tokens
        .issue_guest(sub, &name, meeting.id, &invite.code, now);
    Ok(meeting_token_body(issued, meeting.id))
}

/// The invite and its meeting if the invite admits people now; 404 otherwise (unknown,
/// revoked and expired look the same from outside).
async fn live_invite(
    state: &AppState,
    code: &str,
    now: OffsetDateTime,
) -> Result<(InviteRecord, MeetingRecord), ApiError> {
    let gone = || ApiError::not_found("no such invite, or it was revoked or expired");
    if !invite_code_is_wellformed(code) {
        return Err(gone());
    }
    let invite = state
        .store
        .active_invite(code, now)
        .await
        .map_err(not_found_as(gone))?;
    let meeting = state
        .store
        .meeting_by_id(invite.meeting_id)
        .await
        .map_err(not_found_as(gone))?;
    Ok((invite, meeting))
}
