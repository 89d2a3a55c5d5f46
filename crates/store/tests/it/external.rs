//! Contract tests of external identities: accounts linked by (source, subject) only, and
//! the OIDC sessions a back-channel logout takes out by sid or by subject.

use super::TestStore;
use plenum_protocol::{AccountRole, DEFAULT_TENANT};
use plenum_store::{ExternalSession, NewUser, StoreError};
use time::Duration;

contract!(
    external_accounts_are_linked_by_source_and_subject,
    external_sessions_are_taken_by_sid_or_subject,
);

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: "Ext".into(),
        password_hash: "not-a-phc".into(),
        role: AccountRole::None,
        tenant_id: DEFAULT_TENANT.into(),
    }
}

async fn external_accounts_are_linked_by_source_and_subject(s: &TestStore) {
    let now = super::t0();
    assert_eq!(
        s.external_user("oidc:corp", "sub-1", None, now)
            .await
            .unwrap(),
        None
    );
    let mut tx = s.begin().await.unwrap();
    let created = tx
        .create_external_user(
            new_user("ann@corp"),
            "oidc:corp",
            "sub-1",
            Some("ann@example.org"),
            now,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let found = s
        .external_user("oidc:corp", "sub-1", Some("ann@new.example"), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, created);
    assert_eq!(
        s.external_user_id("oidc:corp", "sub-1").await.unwrap(),
        Some(created.id)
    );
    // The same subject at another source is someone else.
    assert_eq!(
        s.external_user("ldap", "sub-1", None, now).await.unwrap(),
        None
    );
    assert_eq!(
        s.external_user_id("oidc:other", "sub-1").await.unwrap(),
        None
    );
    // Linking the same person twice is a conflict, and the transaction leaves nothing.
    let mut tx = s.begin().await.unwrap();
    let twice = tx
        .create_external_user(new_user("ann2@corp"), "oidc:corp", "sub-1", None, now)
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    drop(tx);
    assert!(matches!(
        s.user_by_username("ann2@corp").await,
        Err(StoreError::NotFound)
    ));
    // Deleting the account removes its link.
    let mut tx = s.begin().await.unwrap();
    tx.delete_user(created.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        s.external_user_id("oidc:corp", "sub-1").await.unwrap(),
        None
    );
}

async fn external_sessions_are_taken_by_sid_or_subject(s: &TestStore) {
    let now = super::t0();
    let session = |subject: &str, sid: Option<&str>| ExternalSession {
        family_id: uuid::Uuid::new_v4(),
        source: "oidc:corp".into(),
        subject: subject.into(),
        sid: sid.map(str::to_owned),
        id_token: "h.p.s".into(),
        expires_at: now + Duration::hours(12),
    };
    let a1 = session("alice", Some("sid-1"));
    let a2 = session("alice", Some("sid-2"));
    let b = session("bob", Some("sid-3"));
    for one in [&a1, &a2, &b] {
        s.save_external_session(one, now).await.unwrap();
    }
    assert_eq!(
        s.external_session(a1.family_id).await.unwrap(),
        Some(a1.clone())
    );

    // By sid: only that session; a sid of another subject takes nothing.
    let taken = s
        .take_external_sessions("oidc:corp", Some("bob"), Some("sid-1"))
        .await
        .unwrap();
    assert!(taken.is_empty());
    let taken = s
        .take_external_sessions("oidc:corp", None, Some("sid-1"))
        .await
        .unwrap();
    assert_eq!(taken, vec![a1.clone()]);
    assert_eq!(s.external_session(a1.family_id).await.unwrap(), None);
    // By subject: all of that person's sessions at that source, nothing elsewhere.
    assert!(
        s.take_external_sessions("oidc:other", Some("alice"), None)
            .await
            .unwrap()
            .is_empty()
    );
    let taken = s
        .take_external_sessions("oidc:corp", Some("alice"), None)
        .await
        .unwrap();
    assert_eq!(taken, vec![a2]);
    // Neither sid nor subject names nobody.
    assert!(
        s.take_external_sessions("oidc:corp", None, None)
            .await
            .unwrap()
            .is_empty()
    );
    // Expired rows go.
    assert_eq!(
        s.delete_expired_external_sessions(now + Duration::hours(13))
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.external_session(b.family_id).await.unwrap(), None);
}
