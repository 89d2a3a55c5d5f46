//! Contract tests of tenants, account administration, login locks, sessions and API
//! clients, on both backends.

use super::TestStore;
use plenum_protocol::AccountRole;
use plenum_store::{LockRule, NewApiClient, NewUser, StoreError, TokenHash, UserUpdate};
use std::time::Duration;
use time::OffsetDateTime;

contract!(
    login_failures_lock_once_per_crossing_and_locks_grow,
    tenants_and_accounts_are_administered,
    sessions_and_api_clients_can_be_revoked,
);

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000 + seconds).unwrap()
}

const RULE: LockRule = LockRule {
    max_failures: 3,
    window: Duration::from_secs(600),
    first_lock: Duration::from_secs(60),
    max_lock: Duration::from_secs(180),
    strike_memory: Duration::from_secs(3600),
};

async fn login_failures_lock_once_per_crossing_and_locks_grow(s: &TestStore) {
    let subject = "account:alice";
    for n in 0..2 {
        let outcome = s.record_login_failure(subject, &RULE, at(n)).await.unwrap();
        assert!(!outcome.locked && outcome.locked_until.is_none());
    }
    let third = s.record_login_failure(subject, &RULE, at(2)).await.unwrap();
    assert!(third.locked);
    assert_eq!((third.locked_until, third.strikes), (Some(at(62)), 1));
    assert_eq!(
        s.login_locked_until(subject, at(3)).await.unwrap(),
        Some(at(62))
    );
    assert_eq!(
        s.login_locked_until("account:bob", at(3)).await.unwrap(),
        None
    );
    // Lock over; three more failures: the second lock is twice as long, the third capped.
    assert_eq!(s.login_locked_until(subject, at(62)).await.unwrap(), None);
    for n in 0..3 {
        let outcome = s
            .record_login_failure(subject, &RULE, at(100 + n))
            .await
            .unwrap();
        assert_eq!(outcome.locked, n == 2);
    }
    assert_eq!(
        s.login_locked_until(subject, at(103)).await.unwrap(),
        Some(at(222))
    );
    for n in 0..3 {
        s.record_login_failure(subject, &RULE, at(300 + n))
            .await
            .unwrap();
    }
    assert_eq!(
        s.login_locked_until(subject, at(303)).await.unwrap(),
        Some(at(482))
    );
    // Failures older than the window do not count.
    for n in [0, 700, 1400] {
        let outcome = s
            .record_login_failure("source:192.0.2.1", &RULE, at(n))
            .await
            .unwrap();
        assert!(!outcome.locked);
    }
    // A success forgets the failures and, once the lock ended, the strikes.
    s.clear_login_failures(subject, at(600)).await.unwrap();
    for n in 0..3 {
        s.record_login_failure(subject, &RULE, at(700 + n))
            .await
            .unwrap();
    }
    assert_eq!(
        s.login_locked_until(subject, at(703)).await.unwrap(),
        Some(at(762))
    );
    assert_eq!(s.prune_login_locks(&RULE, at(100_000)).await.unwrap(), 1);
}

async fn tenants_and_accounts_are_administered(s: &TestStore) {
    let acme = s.create_tenant("acme", "Acme", at(0)).await.unwrap();
    assert_eq!(s.tenant_by_id("acme").await.unwrap(), acme);
    assert!(matches!(
        s.create_tenant("acme", "Again", at(0)).await,
        Err(StoreError::Conflict(_))
    ));
    let ids: Vec<String> = s
        .tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["acme", "default"]);
    let mut tx = s.begin().await.unwrap();
    let user = tx
        .create_user(
            NewUser {
                username: "ada".into(),
                display_name: "Ada".into(),
                password_hash: "$argon2id$x".into(),
                role: AccountRole::TenantAdmin,
                tenant_id: "acme".into(),
            },
            at(1),
        )
        .await
        .unwrap();
    assert!(matches!(
        tx.create_user(
            NewUser {
                username: "nobody".into(),
                display_name: "N".into(),
                password_hash: "x".into(),
                role: AccountRole::User,
                tenant_id: "missing".into(),
            },
            at(1),
        )
        .await,
        Err(StoreError::NotFound)
    ));
    tx.commit().await.unwrap();
    assert_eq!(
        s.users(Some("acme")).await.unwrap(),
        std::slice::from_ref(&user)
    );
    assert!(s.users(Some("default")).await.unwrap().is_empty());
    let changed = s
        .update_user(
            user.id,
            UserUpdate {
                display_name: None,
                role: Some(AccountRole::User),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.role, changed.display_name.as_str()),
        (AccountRole::User, "Ada")
    );
    let mut tx = s.begin().await.unwrap();
    for (id, expected) in [("default", "default"), ("acme", "accounts")] {
        match tx.delete_tenant(id).await {
            Err(StoreError::Conflict(reason)) => assert!(reason.contains(expected), "{reason}"),
            other => panic!("{id}: {other:?}"),
        }
    }
    tx.delete_user(user.id).await.unwrap();
    tx.delete_tenant("acme").await.unwrap();
    assert!(matches!(
        tx.delete_tenant("acme").await,
        Err(StoreError::NotFound)
    ));
    tx.commit().await.unwrap();
}

async fn sessions_and_api_clients_can_be_revoked(s: &TestStore) {
    let user = super::user(s, "alice").await;
    let token = s
        .create_refresh_token(user, &TokenHash::of("r1"), at(1000), at(0))
        .await
        .unwrap();
    let family = token.family_id.to_string();
    assert!(s.session_is_live(&family, at(1)).await.unwrap());
    assert!(
        !s.session_is_live(&family, at(1000)).await.unwrap(),
        "expired"
    );
    assert_eq!(s.session_started(token.family_id).await.unwrap(), at(0));
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.revoke_user_sessions(user, at(2)).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(!s.session_is_live(&family, at(3)).await.unwrap());

    let id = uuid::Uuid::new_v4();
    let mut tx = s.begin().await.unwrap();
    let client = tx
        .create_api_client(
            NewApiClient {
                id,
                tenant_id: "default".into(),
                name: "Reports".into(),
                secret_hash: TokenHash::of("secret").as_str().to_owned(),
                scopes: vec!["meetings:read".into(), "users:read".into()],
                created_by: user,
            },
            at(5),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.api_client(id).await.unwrap(), client);
    assert_eq!(s.api_clients("default").await.unwrap(), [client]);
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(
        tx.revoke_api_client("acme", id, at(6)).await,
        Err(StoreError::NotFound)
    ));
    tx.revoke_api_client("default", id, at(6)).await.unwrap();
    tx.revoke_api_client("default", id, at(9)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.api_client(id).await.unwrap().revoked_at, Some(at(6)));
    assert!(matches!(
        s.api_client(uuid::Uuid::new_v4()).await,
        Err(StoreError::NotFound)
    ));
}
