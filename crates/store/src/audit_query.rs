//! Searching the audit trail for the auditor's API: by tenant, time, actor, action,
//! meeting and outcome, paged by seq.
//!
//! The filters run on the query columns of `audit_entries` (each indexed with seq) and, for
//! the actor, on the clear values in `audit_personal`; an actor whose id was erased can no
//! longer be searched for, which is the point of erasing it. The matching entries are then
//! read back with [`Store::audit_entries`] in runs of consecutive seqs.

use crate::audit::to_i64;
use crate::{Backend, Store, StoreError};
use plenum_audit::{BundleEntry, Outcome};

/// Largest page [`Store::search_audit`] returns.
pub const MAX_AUDIT_SEARCH_PAGE: u32 = 1000;

/// What to look for; every filter that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// Only entries after this seq (the previous page's last seq).
    pub after_seq: Option<u64>,
    /// Only this tenant's entries; `None` for all tenants.
    pub tenant: Option<String>,
    /// Entries at or after this time (Unix ms).
    pub from_ms: Option<u64>,
    /// Entries before this time (Unix ms).
    pub to_ms: Option<u64>,
    /// The actor's id (user id, guest id), matched against its clear value.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Entries about this meeting: resource `meeting:<id>` or one of its invites.
    pub meeting: Option<String>,
    pub outcome: Option<Outcome>,
}

impl Store {
    /// Up to `limit` (at most [`MAX_AUDIT_SEARCH_PAGE`]) matching entries in seq order,
    /// with their personal values where not erased.
    pub async fn search_audit(
        &self,
        search: &AuditSearch,
        limit: u32,
    ) -> Result<Vec<BundleEntry>, StoreError> {
        let after = match search.after_seq {
            Some(seq) => to_i64(seq)?,
            None => -1,
        };
        let from_ms = search.from_ms.map(to_i64).transpose()?;
        let to_ms = search.to_ms.map(to_i64).transpose()?;
        let outcome = search.outcome.map(|o| match o {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        });
        let meeting_resource = search.meeting.as_ref().map(|m| format!("meeting:{m}"));
        // Ids are UUIDs or tenant-like names: `%` and `_` in a meeting id match nothing
        // real, but are escaped anyway so the prefix is taken literally.
        let invite_prefix = search.meeting.as_ref().map(|m| {
            let escaped = m
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("invite:{escaped}/%")
        });
        let limit = i64::from(limit.clamp(1, MAX_AUDIT_SEARCH_PAGE));
        let seqs: Vec<i64> = fetch!(
            self,
            query_scalar(
                "SELECT seq FROM audit_entries WHERE seq > $1 \
                 AND ($2 IS NULL OR tenant = $2) \
                 AND ($3 IS NULL OR time_ms >= $3) \
                 AND ($4 IS NULL OR time_ms < $4) \
                 AND ($5 IS NULL OR action = $5) \
                 AND ($6 IS NULL OR resource = $6 OR resource LIKE $7 ESCAPE '\\') \
                 AND ($8 IS NULL OR outcome = $8) \
                 AND ($9 IS NULL OR seq IN \
                      (SELECT seq FROM audit_personal WHERE field = 'actor.id' AND value = $9)) \
                 ORDER BY seq LIMIT $10"
            ),
            [
                after,
                search.tenant.as_deref(),
                from_ms,
                to_ms,
                search.action.as_deref(),
                meeting_resource.as_deref(),
                invite_prefix.as_deref(),
                outcome,
                search.actor.as_deref(),
                limit,
            ],
            fetch_all
        )?;
        let mut out = Vec::with_capacity(seqs.len());
        for (start, len) in runs(&seqs) {
            out.extend(self.audit_entries(start, len).await?);
        }
        Ok(out)
    }
}

/// Consecutive seqs as `(first, count)` runs, so a page costs one read per run.
fn runs(seqs: &[i64]) -> Vec<(u64, u32)> {
    let mut out: Vec<(u64, u32)> = Vec::new();
    for seq in seqs.iter().filter_map(|s| u64::try_from(*s).ok()) {
        match out.last_mut() {
            Some((first, count)) if *first + u64::from(*count) == seq => *count += 1,
            _ => out.push((seq, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn consecutive_seqs_form_runs() {
        assert_eq!(super::runs(&[]), []);
        assert_eq!(
            super::runs(&[3, 4, 5, 9, 11, 12]),
            [(3, 3), (9, 1), (11, 2)]
        );
    }
}
