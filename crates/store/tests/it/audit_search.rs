//! Contract tests of the auditor's search: every filter alone and combined, tenant scope,
//! paging by seq, and erased actors that can no longer be found.

use super::TestStore;
use crate::audit::sample;
use plenum_audit::Outcome;
use plenum_store::AuditSearch;

contract!(audit_search_filters_and_pages,);

async fn audit_search_filters_and_pages(s: &TestStore) {
    // 12 entries: tenants alternate, actions in threes, every fourth a denial.
    for n in 0..12u32 {
        let mut entry = sample(n, 10_000 + u64::from(n) * 100);
        entry.tenant = if n % 2 == 0 { "default" } else { "acme" }.into();
        entry.action =
            ["meeting.create", "participant.join", "access.denied"][n as usize % 3].into();
        entry.outcome = if n % 4 == 3 {
            Outcome::Denied
        } else {
            Outcome::Success
        };
        entry.resource = match n {
            5 => "invite:m1/ab12cd".into(),
            6 => "meeting:m10".into(),
            _ => format!("meeting:m{}", n % 2),
        };
        s.append_audit(entry).await.unwrap();
    }
    let seqs = |search: AuditSearch, limit: u32| async move {
        s.search_audit(&search, limit)
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.entry.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        seqs(AuditSearch::default(), 100).await,
        (0..12).collect::<Vec<_>>()
    );
    let tenant = AuditSearch {
        tenant: Some("acme".into()),
        ..AuditSearch::default()
    };
    assert_eq!(seqs(tenant.clone(), 100).await, [1, 3, 5, 7, 9, 11]);
    let time = AuditSearch {
        from_ms: Some(10_300),
        to_ms: Some(10_600),
        ..AuditSearch::default()
    };
    assert_eq!(seqs(time, 100).await, [3, 4, 5]);
    let action = AuditSearch {
        action: Some("participant.join".into()),
        ..AuditSearch::default()
    };
    assert_eq!(seqs(action, 100).await, [1, 4, 7, 10]);
    let outcome = AuditSearch {
        outcome: Some(Outcome::Denied),
        ..AuditSearch::default()
    };
    assert_eq!(seqs(outcome, 100).await, [3, 7, 11]);
    // The meeting's own entries and its invites', not another meeting with a longer id.
    let meeting = AuditSearch {
        meeting: Some("m1".into()),
        ..AuditSearch::default()
    };
    assert_eq!(seqs(meeting, 100).await, [1, 3, 5, 7, 9, 11]);
    let actor = AuditSearch {
        actor: Some("user-7".into()),
        ..AuditSearch::default()
    };
    let found = s.search_audit(&actor, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].entry.seq, 7);
    assert!(found[0].entry.check_personal().is_ok());
    // Combined, and paged by the last seq seen.
    let combined = AuditSearch {
        outcome: Some(Outcome::Success),
        ..tenant
    };
    assert_eq!(seqs(combined.clone(), 2).await, [1, 5]);
    let next = AuditSearch {
        after_seq: Some(5),
        ..combined
    };
    assert_eq!(seqs(next, 2).await, [9]);
    assert!(
        seqs(
            AuditSearch {
                actor: Some("nobody".into()),
                ..AuditSearch::default()
            },
            10
        )
        .await
        .is_empty()
    );
}
