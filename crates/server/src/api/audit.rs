//! The auditor's API (SEC-16, SEC-07): searching the audit trail, exporting bundles for the
//! offline verifier, inclusion proofs of single entries and the latest signed checkpoint.
//! Only the auditor role has these permissions — administrators get 403 like everyone
//! else. An auditor outside the default tenant sees only the own tenant's entries and
//! cannot export (a bundle must hold every tenant's entries to verify). Every read is
//! itself recorded (`audit.read`, `audit.export`) before the answer is sent; if it cannot
//! be recorded, nothing is answered.

use super::ApiError;
use super::extract::ApiPath;
use super::extract::AuthUser;
use crate::audit::export::{self, ExportError, InclusionProof};
use crate::audit::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::authz::{self, Permission};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use plenum_audit::{Bundle, BundleEntry};
use plenum_store::{AuditSearch, MAX_AUDIT_SEARCH_PAGE};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Entries per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: u32 = 100;
/// Longest filter value accepted (an actor id, an action name).
const MAX_FILTER_LEN: usize = 256;
/// Most entries one export over the API may span (a bundle of this size is about 70 MB
/// of JSON); `plenum audit export` on the server has no such limit.
pub const MAX_EXPORT_ENTRIES: u64 = 100_000;

/// The query string of `GET /audit/entries`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntriesQuery {
    /// RFC 3339; entries at or after it.
    from: Option<String>,
    /// RFC 3339; entries before it.
    to: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    meeting: Option<String>,
    outcome: Option<String>,
    /// The `next` of the previous page.
    after: Option<u64>,
    limit: Option<u32>,
}

/// A page of entries.
#[derive(Debug, Serialize)]
pub struct EntriesPage {
    /// Entries in seq order, with leaf hashes and the personal values not yet erased.
    pub entries: Vec<BundleEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// `GET /api/v1/audit/entries?from&to&actor&action&meeting&outcome&after&limit`
pub async fn entries(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    meta: RequestMeta,
    uri: Uri,
) -> Result<Json<EntriesPage>, ApiError> {
    authz::require(&claims, Permission::AuditRead)?;
    let query: EntriesQuery = parse_query(&uri)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_AUDIT_SEARCH_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be 1 to {MAX_AUDIT_SEARCH_PAGE}"),
        ));
    }
    let search = search_of(&query, &claims)?;
    // One more than asked tells whether another page follows.
    let mut found = state.store.search_audit(&search, limit + 1).await?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next = more.then(|| found.last().map(|e| e.entry.seq)).flatten();
    let event = AuditEvent::new(
        "audit.read",
        Outcome::Success,
        EventActor::from_claims(&claims),
        "audit",
    )
    .detail("scope", search.tenant.as_deref().unwrap_or("instance"))
    .detail("query", uri.query().unwrap_or_default())
    .detail("returned", found.len().to_string());
    state.audit(&meta, event).await?;
    Ok(Json(EntriesPage {
        entries: found,
        next,
    }))
}

/// Parses the query string; anything malformed or unknown is a 400 problem.
fn parse_query<T: serde::de::DeserializeOwned + Default>(uri: &Uri) -> Result<T, ApiError> {
    if uri.query().is_none_or(str::is_empty) {
        return Ok(T::default());
    }
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|axum::extract::Query(q)| q)
        .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
}

/// The store search for a validated query, scoped to what the caller may see.
fn search_of(query: &EntriesQuery, claims: &crate::Claims) -> Result<AuditSearch, ApiError> {
    let invalid = |detail: String| ApiError::bad_request("invalid_query", detail);
    let time = |name: &str, value: &Option<String>| -> Result<Option<u64>, ApiError> {
        value
            .as_deref()
            .map(|text| {
                OffsetDateTime::parse(text, &Rfc3339)
                    .ok()
                    .and_then(|t| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
                    .ok_or_else(|| invalid(format!("{name} must be an RFC 3339 time after 1970")))
            })
            .transpose()
    };
    let from_ms = time("from", &query.from)?;
    let to_ms = time("to", &query.to)?;
    if let (Some(from), Some(to)) = (from_ms, to_ms)
        && from > to
    {
        return Err(invalid("from is after to".into()));
    }
    for (name, value) in [
        ("actor", &query.actor),
        ("action", &query.action),
        ("meeting", &query.meeting),
    ] {
        if value.as_deref().is_some_and(|v| {
            v.is_empty() || v.len() > MAX_FILTER_LEN || v.chars().any(char::is_control)
        }) {
            return Err(invalid(format!(
                "{name} must be 1 to {MAX_FILTER_LEN} characters without control characters"
            )));
        }
    }
    if let Some(action) = &query.action
        && plenum_audit::catalogue::lookup(action).is_none()
    {
        return Err(invalid(format!(
            "action {action:?} is not in the event catalogue (docs/audit-events.md)"
        )));
    }
    if let Some(meeting) = &query.meeting
        && meeting.parse::<uuid::Uuid>().is_err()
    {
        return Err(invalid("meeting must be a meeting id (UUID)".into()));
    }
    let outcome = match query.outcome.as_deref() {
        None => None,
        Some("success") => Some(Outcome::Success),
        Some("failure") => Some(Outcome::Failure),
        Some("denied") => Some(Outcome::Denied),
        Some(_) => return Err(invalid("outcome must be success, failure or denied".into())),
    };
    let tenant = (!authz::instance_wide(claims.account_role(), claims.tenant()))
        .then(|| claims.tenant().to_owned());
    Ok(AuditSearch {
        after_seq: query.after,
        tenant,
        from_ms,
        to_ms,
        actor: query.actor.clone(),
        action: query.action.clone(),
        meeting: query.meeting.clone(),
        outcome,
    })
}

/// The latest signed checkpoint.
#[derive(Debug, Serialize)]
pub struct LatestCheckpoint {
    /// Tree size it commits to.
    pub size: u64,
    /// Signing time, Unix ms.
    pub time_ms: u64,
    /// The signed note (C2SP signed-note text), to keep as a witness or to check with
    /// `plenum audit verify BUNDLE --witness FILE`.
    pub note: String,
}

/// `GET /api/v1/audit/checkpoint`
pub async fn checkpoint(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    meta: RequestMeta,
) -> Result<Json<LatestCheckpoint>, ApiError> {
    authz::require(&claims, Permission::AuditVerify)?;
    let latest = state
        .store
        .latest_audit_checkpoint()
        .await?
        .ok_or_else(|| ApiError::not_found("no checkpoint has been signed yet"))?;
    let event = AuditEvent::new(
        "audit.read",
        Outcome::Success,
        EventActor::from_claims(&claims),
        "audit",
    )
    .detail("checkpoint_size", latest.size.to_string());
    state.audit(&meta, event).await?;
    Ok(Json(LatestCheckpoint {
        size: latest.size,
        time_ms: latest.time_ms,
        note: latest.note,
    }))
}

/// The query string of `GET /audit/export`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    /// A seq, or an RFC 3339 time (the first entry at or after it).
    from: Option<String>,
    /// A seq, or an RFC 3339 time (the last entry at or before it); default: the newest
    /// sealed entry.
    to: Option<String>,
}

/// `GET /api/v1/audit/export?from&to`: the bundle `plenum audit verify` reads, widened to
/// the checkpoints around the range.
pub async fn export_bundle(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    meta: RequestMeta,
    uri: Uri,
) -> Result<Json<Bundle>, ApiError> {
    authz::require(&claims, Permission::AuditExport)?;
    if !authz::instance_wide(claims.account_role(), claims.tenant()) {
        return Err(authz::forbidden(
            &claims,
            Permission::AuditExport,
            Some("audit".to_owned()),
        ));
    }
    let query: ExportQuery = parse_query(&uri)?;
    let store = &state.store;
    let from = match query.from.as_deref() {
        None => 0,
        Some(text) => seq_at(store, "from", text, Bound::From)
            .await?
            .ok_or_else(|| ApiError::not_found("no entry at or after from"))?,
    };
    let to = match query.to.as_deref() {
        Some(text) => seq_at(store, "to", text, Bound::To)
            .await?
            .ok_or_else(|| ApiError::not_found("no entry at or before to"))?,
        None => match store.latest_audit_checkpoint().await? {
            Some(checkpoint) if checkpoint.size > 0 => checkpoint.size - 1,
            _ => return Err(not_sealed("nothing is sealed yet")),
        },
    };
    if to.saturating_sub(from) >= MAX_EXPORT_ENTRIES {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "an export spans at most {MAX_EXPORT_ENTRIES} entries; use plenum audit export for more"
            ),
        ));
    }
    let bundle = export::bundle(store, &state.config.audit.origin, from, to)
        .await
        .map_err(export_error)?;
    let first = bundle.entries.first().map_or(0, |e| e.entry.seq);
    let event = AuditEvent::new(
        "audit.export",
        Outcome::Success,
        EventActor::from_claims(&claims),
        "audit",
    )
    .detail("first_seq", first.to_string())
    .detail("entries", bundle.entries.len().to_string())
    .detail("via", "api");
    state.audit(&meta, event).await?;
    Ok(Json(bundle))
}

/// An inclusion proof as the API returns it.
#[derive(Debug, Serialize)]
pub struct ProofAnswer {
    pub entry: BundleEntry,
    /// The signed checkpoint (C2SP note) the proof leads to.
    pub checkpoint: String,
    pub tree_size: u64,
    /// RFC 6962 audit path from the leaf to the checkpoint's root, hex.
    pub proof: Vec<String>,
}

/// `GET /api/v1/audit/entries/{seq}/proof`: the entry's inclusion proof in the latest
/// signed checkpoint.
pub async fn proof(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    meta: RequestMeta,
    ApiPath(seq): ApiPath<u64>,
) -> Result<Json<ProofAnswer>, ApiError> {
    authz::require(&claims, Permission::AuditVerify)?;
    let InclusionProof {
        entry,
        checkpoint,
        proof,
    } = export::inclusion_proof(&state.store, seq)
        .await
        .map_err(export_error)?;
    if !authz::instance_wide(claims.account_role(), claims.tenant())
        && entry.entry.tenant != claims.tenant()
    {
        // Another tenant's entry is as absent to this auditor as a missing one.
        return Err(ApiError::not_found("no such audit entry"));
    }
    let event = AuditEvent::new(
        "audit.read",
        Outcome::Success,
        EventActor::from_claims(&claims),
        "audit",
    )
    .detail("proof_seq", seq.to_string())
    .detail("checkpoint_size", checkpoint.size.to_string());
    state.audit(&meta, event).await?;
    Ok(Json(ProofAnswer {
        entry,
        checkpoint: checkpoint.note,
        tree_size: checkpoint.size,
        proof: proof.iter().map(|h| plenum_audit::to_hex(h)).collect(),
    }))
}

#[derive(Clone, Copy)]
enum Bound {
    From,
    To,
}

/// A seq given as a number, or the first (`From`) / last (`To`) seq at an RFC 3339 time.
async fn seq_at(
    store: &plenum_store::Store,
    name: &str,
    text: &str,
    bound: Bound,
) -> Result<Option<u64>, ApiError> {
    if let Ok(seq) = text.parse::<u64>() {
        return Ok(Some(seq));
    }
    let ms = OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("{name} must be a seq or an RFC 3339 time after 1970"),
            )
        })?;
    Ok(match bound {
        Bound::From => store.audit_seq_from_time(ms).await?,
        Bound::To => store.audit_seq_until_time(ms).await?,
    })
}

fn not_sealed(detail: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::CONFLICT, "not_sealed", detail)
}

pub(crate) fn export_error(error: ExportError) -> ApiError {
    match error {
        ExportError::NotSealed(_) => not_sealed(error.to_string()),
        ExportError::BadRange { .. } => ApiError::bad_request("invalid_query", error.to_string()),
        ExportError::NoSuchEntry(_) => ApiError::not_found("no such audit entry"),
        ExportError::Removed(_) => {
            ApiError::new(axum::http::StatusCode::GONE, "removed", error.to_string())
        }
        ExportError::Corrupt(_) => ApiError::internal(&error),
        ExportError::Store(e) => e.into(),
    }
}
