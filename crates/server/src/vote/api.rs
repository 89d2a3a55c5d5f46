//! REST for votes: a meeting's list, a protocol (JSON) and a voter's receipt.
//!
//! Who may read: anyone holding a meeting or guest token of the vote's meeting (every
//! participant must be able to check a result), the meeting's owner with an account token,
//! and auditors (`vote_read`) within their tenant.

use super::{VoteSealError, protocol};
use crate::api::ApiError;
use crate::api::extract::{ApiPath, Bearer};
use crate::authz::{self, Permission};
use crate::state::AppState;
use crate::tokens::{Claims, TokenKind};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use plenum_protocol::vote::VoteMode;
use plenum_protocol::{MeetingId, VoteId};
use plenum_store::{StoreError, VoteRecord};
use plenum_vote::{Protocol, Receipt};
use plenum_vote_pdf::Lang;
use serde::{Deserialize, Serialize};

/// One vote in a meeting's list.
#[derive(Serialize)]
pub struct VoteListing {
    id: VoteId,
    meeting_id: MeetingId,
    subject: String,
    mode: VoteMode,
    state: &'static str,
    opened_at: String,
    closed_at: Option<String>,
}

#[derive(Deserialize)]
pub struct ReceiptQuery {
    seq: u64,
}

#[derive(Deserialize)]
pub struct PdfQuery {
    lang: Option<String>,
}

/// `GET /meetings/{id}/votes`
pub async fn list(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    ApiPath(meeting): ApiPath<MeetingId>,
) -> Result<Json<Vec<VoteListing>>, ApiError> {
    let votes = state.store.votes_of_meeting(meeting).await?;
    let tenant = votes.first().map(|v| v.tenant_id.clone());
    if !may_read(&state, &claims, meeting, tenant.as_deref()).await? {
        return Err(refusal(&claims, meeting));
    }
    Ok(Json(votes.into_iter().map(listing).collect()))
}

/// `GET /votes/{vote}/protocol`
pub async fn protocol_json(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    ApiPath(vote): ApiPath<VoteId>,
) -> Result<Json<Protocol>, ApiError> {
    let record = readable_vote(&state, &claims, vote).await?;
    Ok(Json(protocol(&state, &record).await.map_err(seal_error)?))
}

/// `GET /votes/{vote}/protocol.pdf?lang=de|en` (German by default): the protocol on paper,
/// rendered only when it verifies.
pub async fn protocol_pdf(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    ApiPath(vote): ApiPath<VoteId>,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let lang = match query.lang.as_deref() {
        None | Some("de") => Lang::De,
        Some("en") => Lang::En,
        Some(_) => return Err(ApiError::bad_request("invalid_query", "lang is de or en")),
    };
    let record = readable_vote(&state, &claims, vote).await?;
    let protocol = protocol(&state, &record).await.map_err(seal_error)?;
    let pdf = plenum_vote_pdf::render(&protocol, lang)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "protocol_invalid", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], pdf))
}

/// `GET /votes/{vote}/receipt?seq=N`
pub async fn receipt(
    State(state): State<AppState>,
    Bearer(claims): Bearer,
    ApiPath(vote): ApiPath<VoteId>,
    query: Result<Query<ReceiptQuery>, QueryRejection>,
) -> Result<Json<Receipt>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    let record = readable_vote(&state, &claims, vote).await?;
    let protocol = protocol(&state, &record).await.map_err(seal_error)?;
    let receipt = protocol
        .receipt_for(query.seq)
        .map_err(|_| ApiError::not_found("no ballot of this vote at that seq"))?;
    Ok(Json(receipt))
}

/// The vote, if the caller may read it. A vote out of the caller's reach answers exactly
/// like an unknown one (404, same body), as meetings do, so vote ids cannot be probed;
/// the refusal is still recorded as `access.denied`.
async fn readable_vote(
    state: &AppState,
    claims: &Claims,
    vote: VoteId,
) -> Result<VoteRecord, ApiError> {
    let no_such_vote = || ApiError::not_found("no such vote");
    let record = match state.store.vote(vote).await {
        Ok(record) => record,
        Err(StoreError::NotFound) => return Err(no_such_vote()),
        Err(error) => return Err(error.into()),
    };
    if may_read(state, claims, record.meeting_id, Some(&record.tenant_id)).await? {
        return Ok(record);
    }
    let mut answer = no_such_vote();
    answer.denial = refusal(claims, record.meeting_id).denial;
    Err(answer)
}

/// Whether the caller may read the votes of `meeting` (in `tenant`, when known).
async fn may_read(
    state: &AppState,
    claims: &Claims,
    meeting: MeetingId,
    tenant: Option<&str>,
) -> Result<bool, ApiError> {
    let participant =
        matches!(claims.kind, TokenKind::Meeting | TokenKind::Guest) && claims.mtg == Some(meeting);
    if participant {
        return Ok(true);
    }
    if claims.kind != TokenKind::User {
        return Ok(false);
    }
    let owner = match state.store.meeting_by_id(meeting).await {
        Ok(stored) => stored.owner_id == claims.sub,
        Err(StoreError::NotFound) => false,
        Err(error) => return Err(error.into()),
    };
    let in_reach = tenant.is_none_or(|tenant| {
        authz::instance_wide(claims.account_role(), claims.tenant()) || claims.tenant() == tenant
    });
    Ok(owner || (authz::allowed(claims.account_role(), Permission::VoteRead) && in_reach))
}

fn refusal(claims: &Claims, meeting: MeetingId) -> ApiError {
    authz::forbidden(
        claims,
        Permission::VoteRead,
        Some(format!("meeting:{meeting}")),
    )
}

fn listing(record: VoteRecord) -> VoteListing {
    VoteListing {
        id: record.id,
        meeting_id: record.meeting_id,
        subject: record.subject,
        mode: record.mode,
        state: record.state.as_str(),
        opened_at: rfc3339(record.opened_at),
        closed_at: record.closed_at.map(rfc3339),
    }
}

fn rfc3339(time: time::OffsetDateTime) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn seal_error(error: VoteSealError) -> ApiError {
    match error {
        VoteSealError::NotClosed | VoteSealError::NotSealed => ApiError::new(
            StatusCode::CONFLICT,
            "not_closed",
            "the vote has no sealed result (still open, cancelled or interrupted)",
        ),
        // Retention removed entries the protocol needs: 410, as for audit proofs.
        VoteSealError::Export(error) => crate::api::audit::export_error(error),
        other => ApiError::internal(&other),
    }
}
