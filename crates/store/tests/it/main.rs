//! Contract tests of the store facade: every case runs against a fresh SQLite file and a
//! fresh PostgreSQL schema, and both backends must pass it.

// A test binary: a failing unwrap in a helper is a failing test.
#![allow(clippy::unwrap_used)]

use plenum_protocol::{AccountRole, DEFAULT_TENANT, MeetingId, UserId};
use plenum_store::{
    MeetingUpdate, NewInvite, NewMeeting, NewUser, Rotation, Store, StoreError, TokenHash,
};
use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

/// The PostgreSQL server the contract tests also run against. `PLENUM_TEST_POSTGRES_URL`
/// overrides it; setting it to `off` skips the PostgreSQL half (for machines without one).
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A migrated, empty store: a SQLite file in a temporary directory, or a fresh schema in
/// the PostgreSQL test database. Removed by [`TestStore::cleanup`].
struct TestStore {
    store: Store,
    /// How to open the same database again.
    url: String,
    dir: Option<PathBuf>,
    schema: Option<(String, String)>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestStore {
    async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("plenum-store-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plenum.db");
        let store = Store::open_sqlite_file(&path).await.unwrap();
        store.migrate().await.unwrap();
        let url = format!("sqlite://{}", path.display());
        TestStore {
            store,
            url,
            dir: Some(dir),
            schema: None,
        }
    }

    async fn postgres() -> Option<Self> {
        let base = std::env::var("PLENUM_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
        if base == "off" {
            return None;
        }
        let schema = format!("plenum_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&base).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {base} is needed (PLENUM_TEST_POSTGRES_URL=off skips): {e}")
        });
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(store.backend_name(), "postgres");
        store.migrate().await.unwrap();
        Some(TestStore {
            store,
            url,
            dir: None,
            schema: Some((base, schema)),
        })
    }

    async fn cleanup(self) {
        self.store.close().await;
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, schema)) = &self.schema {
            let admin = sqlx::PgPool::connect(base).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
        }
    }
}

/// Runs each contract case once per backend.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let store = super::TestStore::sqlite().await;
                    super::$case(&store).await;
                    store.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(store) = super::TestStore::postgres().await else { return };
                    super::$case(&store).await;
                    store.cleanup().await;
                }
            )*
        }
    };
}

contract!(
    users_round_trip_and_usernames_are_unique,
    meetings_crud_and_listing_by_owner,
    invites_expire_and_revoke,
    refresh_tokens_rotate_and_reuse_revokes_the_family,
    concurrent_rotation_lets_exactly_one_win,
    refresh_token_hashes_are_unique,
    bans_are_per_meeting_and_idempotent,
    settings_set_get_and_insert_once,
    migrations_are_idempotent_and_data_survives_reopen,
);

// After `contract!` so the audit cases can use it.
mod audit;
mod audit_search;
mod external;
mod identity;
mod schedule;
mod siem;
mod votes;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

async fn user(store: &Store, name: &str) -> UserId {
    store
        .create_user(
            NewUser {
                username: name.into(),
                display_name: format!("{name} display"),
                password_hash: "$argon2id$fake".into(),
                role: AccountRole::User,
                tenant_id: DEFAULT_TENANT.into(),
            },
            t0(),
        )
        .await
        .unwrap()
        .id
}

async fn meeting(store: &Store, owner: UserId, title: &str) -> MeetingId {
    store
        .create_meeting(
            NewMeeting {
                owner_id: owner,
                title: title.into(),
                password_hash: None,
                waiting_room: false,
                description: String::new(),
                starts_at: None,
            },
            t0(),
        )
        .await
        .unwrap()
        .id
}

async fn users_round_trip_and_usernames_are_unique(s: &TestStore) {
    let created = s
        .create_user(
            NewUser {
                username: "alice".into(),
                display_name: "Alice".into(),
                password_hash: "$argon2id$hash".into(),
                role: AccountRole::InstanceAdmin,
                tenant_id: DEFAULT_TENANT.into(),
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(created.username, "alice");
    assert_eq!(created.role, AccountRole::InstanceAdmin);
    assert_eq!(created.tenant_id, DEFAULT_TENANT);
    assert_eq!(created.created_at, t0());
    assert_eq!(s.user_by_id(created.id).await.unwrap(), created);
    assert_eq!(s.user_by_username("alice").await.unwrap(), created);
    assert!(matches!(
        s.user_by_username("bob").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.user_by_id(UserId::random()).await,
        Err(StoreError::NotFound)
    ));

    let again = s
        .create_user(
            NewUser {
                username: "alice".into(),
                display_name: "Other".into(),
                password_hash: "x".into(),
                role: AccountRole::User,
                tenant_id: DEFAULT_TENANT.into(),
            },
            t0(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(s.count_users().await.unwrap(), 1);

    s.set_password_hash(created.id, "$argon2id$new")
        .await
        .unwrap();
    assert_eq!(
        s.user_by_id(created.id).await.unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(matches!(
        s.set_password_hash(UserId::random(), "x").await,
        Err(StoreError::NotFound)
    ));
}

async fn meetings_crud_and_listing_by_owner(s: &TestStore) {
    let alice = user(s, "alice").await;
    let bob = user(s, "bob").await;
    let first = meeting(s, alice, "first").await;
    let second = meeting(s, alice, "second").await;
    meeting(s, bob, "bob's").await;

    let mine = s.meetings_by_owner(alice).await.unwrap();
    let mut expected = vec![first, second];
    expected.sort();
    let mut got: Vec<_> = mine.iter().map(|m| m.id).collect();
    got.sort();
    assert_eq!(got, expected);
    assert!(mine.iter().all(|m| m.owner_id == alice));

    let later = t0() + Duration::minutes(5);
    // (update, expected title, expected password hash, expected waiting room)
    let cases: Vec<(MeetingUpdate, &str, Option<&str>, bool)> = vec![
        (MeetingUpdate::default(), "first", None, false),
        (
            MeetingUpdate {
                title: Some("renamed".into()),
                ..Default::default()
            },
            "renamed",
            None,
            false,
        ),
        (
            MeetingUpdate {
                password_hash: Some(Some("$argon2id$pw".into())),
                ..Default::default()
            },
            "renamed",
            Some("$argon2id$pw"),
            false,
        ),
        (
            MeetingUpdate {
                waiting_room: Some(true),
                ..Default::default()
            },
            "renamed",
            Some("$argon2id$pw"),
            true,
        ),
        (
            MeetingUpdate {
                password_hash: Some(None),
                ..Default::default()
            },
            "renamed",
            None,
            true,
        ),
    ];
    for (update, title, password, waiting) in cases {
        let m = s
            .update_meeting(first, update.clone(), later)
            .await
            .unwrap();
        assert_eq!(m.title, title, "{update:?}");
        assert_eq!(m.password_hash.as_deref(), password, "{update:?}");
        assert_eq!(m.waiting_room, waiting, "{update:?}");
        assert_eq!(m.updated_at, later);
        assert_eq!(m.created_at, t0());
    }

    // The description: empty by default, set on creation or later, kept by other updates,
    // cleared with "".
    assert_eq!(s.meeting_by_id(second).await.unwrap().description, "");
    let notes = "Agenda:\n1. Budget";
    let set = |description: &str| MeetingUpdate {
        description: Some(description.into()),
        ..Default::default()
    };
    assert_eq!(
        s.update_meeting(second, set(notes), later)
            .await
            .unwrap()
            .description,
        notes
    );
    let renamed = MeetingUpdate {
        title: Some("2nd".into()),
        ..Default::default()
    };
    let m = s.update_meeting(second, renamed, later).await.unwrap();
    assert_eq!((m.title.as_str(), m.description.as_str()), ("2nd", notes));
    assert_eq!(s.meeting_by_id(second).await.unwrap().description, notes);
    assert_eq!(
        s.update_meeting(second, set(""), later)
            .await
            .unwrap()
            .description,
        ""
    );
    let described = s
        .create_meeting(
            NewMeeting {
                owner_id: bob,
                title: "with notes".into(),
                password_hash: None,
                waiting_room: false,
                description: "Bring the slides".into(),
                starts_at: None,
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(described.description, "Bring the slides");
    assert_eq!(
        s.meetings_by_owner(bob)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.id == described.id)
            .map(|m| m.description),
        Some("Bring the slides".to_owned())
    );

    assert!(matches!(
        s.update_meeting(MeetingId::random(), MeetingUpdate::default(), later)
            .await,
        Err(StoreError::NotFound)
    ));
    // A meeting needs an existing owner.
    let orphan = s
        .create_meeting(
            NewMeeting {
                owner_id: UserId::random(),
                title: "x".into(),
                password_hash: None,
                waiting_room: false,
                description: String::new(),
                starts_at: None,
            },
            t0(),
        )
        .await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");

    s.delete_meeting(first).await.unwrap();
    assert!(matches!(
        s.meeting_by_id(first).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.delete_meeting(first).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.meetings_by_owner(alice).await.unwrap().len(), 1);
}

async fn invites_expire_and_revoke(s: &TestStore) {
    let alice = user(s, "alice").await;
    let m = meeting(s, alice, "m").await;
    let other = meeting(s, alice, "other").await;
    let soon = t0() + Duration::hours(1);
    for (code, expires_at) in [("forever", None), ("soon", Some(soon))] {
        s.create_invite(
            NewInvite {
                code: code.into(),
                meeting_id: m,
                expires_at,
            },
            t0(),
        )
        .await
        .unwrap();
    }
    let dup = s
        .create_invite(
            NewInvite {
                code: "soon".into(),
                meeting_id: m,
                expires_at: None,
            },
            t0(),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let orphan = s
        .create_invite(
            NewInvite {
                code: "orphan".into(),
                meeting_id: MeetingId::random(),
                expires_at: None,
            },
            t0(),
        )
        .await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");

    // (code, at, usable)
    let cases = [
        ("forever", t0(), true),
        ("forever", t0() + Duration::days(3650), true),
        ("soon", t0(), true),
        ("soon", soon - Duration::seconds(1), true),
        ("soon", soon, false),
        ("soon", soon + Duration::seconds(1), false),
        ("unknown", t0(), false),
    ];
    for (code, at, usable) in cases {
        let got = s.active_invite(code, at).await;
        assert_eq!(got.is_ok(), usable, "{code} at {at}: {got:?}");
        if let Ok(invite) = got {
            assert!(invite.is_active(at));
            assert_eq!(invite.meeting_id, m);
        } else {
            assert!(matches!(got, Err(StoreError::NotFound)));
        }
    }

    // Revoking needs the right meeting; revoking twice keeps the first time.
    assert!(matches!(
        s.revoke_invite(other, "forever", t0()).await,
        Err(StoreError::NotFound)
    ));
    s.revoke_invite(m, "forever", t0()).await.unwrap();
    s.revoke_invite(m, "forever", t0() + Duration::hours(1))
        .await
        .unwrap();
    let revoked = s.invite_by_code("forever").await.unwrap();
    assert_eq!(revoked.revoked_at, Some(t0()));
    assert!(!revoked.is_active(t0()));
    assert!(matches!(
        s.active_invite("forever", t0()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.revoke_invite(m, "nope", t0()).await,
        Err(StoreError::NotFound)
    ));

    let listed: Vec<_> = s
        .invites_for_meeting(m)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(listed, vec!["forever".to_string(), "soon".to_string()]);
    assert!(s.invites_for_meeting(other).await.unwrap().is_empty());

    // Deleting the meeting deletes its invites.
    s.delete_meeting(m).await.unwrap();
    assert!(matches!(
        s.invite_by_code("soon").await,
        Err(StoreError::NotFound)
    ));
}

async fn refresh_tokens_rotate_and_reuse_revokes_the_family(s: &TestStore) {
    let alice = user(s, "alice").await;
    let day = Duration::days(1);
    let first = TokenHash::of("first-secret");
    let record = s
        .create_refresh_token(alice, &first, t0() + day, t0())
        .await
        .unwrap();
    assert_eq!(record.token_hash, first);
    assert_ne!(first.as_str(), "first-secret");
    assert_eq!(first.as_str().len(), 64);

    // An unrelated login is a separate family and survives what happens below.
    let other = TokenHash::of("other-login");
    s.create_refresh_token(alice, &other, t0() + day, t0())
        .await
        .unwrap();

    let second = TokenHash::of("second-secret");
    let rotated = s
        .rotate_refresh_token(&first, &second, t0() + day, t0())
        .await
        .unwrap();
    let Rotation::Rotated(new) = rotated else {
        panic!("expected rotation, got {rotated:?}")
    };
    assert_eq!(new.user_id, alice);
    assert_eq!(new.family_id, record.family_id);
    assert_eq!(new.token_hash, second);
    let old = s.refresh_token_by_hash(&first).await.unwrap();
    assert_eq!(old.replaced_by, Some(new.id));
    assert_eq!(old.revoked_at, Some(t0()));

    // Replaying the first token: reuse, and the whole family (including `second`) dies.
    let third = TokenHash::of("third-secret");
    let replay = s
        .rotate_refresh_token(&first, &third, t0() + day, t0())
        .await
        .unwrap();
    assert_eq!(
        replay,
        Rotation::Reused {
            user_id: alice,
            family_id: record.family_id
        }
    );
    assert!(
        s.refresh_token_by_hash(&second)
            .await
            .unwrap()
            .revoked_at
            .is_some()
    );
    let after = s
        .rotate_refresh_token(&second, &third, t0() + day, t0())
        .await
        .unwrap();
    assert!(matches!(after, Rotation::Reused { .. }), "{after:?}");
    assert!(matches!(
        s.refresh_token_by_hash(&third).await,
        Err(StoreError::NotFound)
    ));

    // The other family is untouched; it expires on time.
    assert!(
        s.refresh_token_by_hash(&other)
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    let late = t0() + day;
    let expired = s
        .rotate_refresh_token(&other, &third, late + day, late)
        .await
        .unwrap();
    assert_eq!(expired, Rotation::Expired);

    let unknown = s
        .rotate_refresh_token(&TokenHash::of("never"), &third, late, t0())
        .await
        .unwrap();
    assert_eq!(unknown, Rotation::Unknown);

    assert_eq!(s.delete_expired_refresh_tokens(late).await.unwrap(), 3);
    assert!(matches!(
        s.refresh_token_by_hash(&other).await,
        Err(StoreError::NotFound)
    ));
}

async fn refresh_token_hashes_are_unique(s: &TestStore) {
    let alice = user(s, "alice").await;
    let hash = TokenHash::of("same");
    s.create_refresh_token(alice, &hash, t0() + Duration::days(1), t0())
        .await
        .unwrap();
    let again = s
        .create_refresh_token(alice, &hash, t0() + Duration::days(1), t0())
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
}

async fn bans_are_per_meeting_and_idempotent(s: &TestStore) {
    let alice = user(s, "alice").await;
    let m = meeting(s, alice, "m").await;
    let other = meeting(s, alice, "other").await;
    let guest = "guest:6b1e3d1c-0d0a-4c7e-9a55-3c3b0a8f2f11";
    s.add_ban(m, guest, t0()).await.unwrap();
    s.add_ban(m, guest, t0() + Duration::minutes(1))
        .await
        .unwrap();
    s.add_ban(m, "invite:abc", t0()).await.unwrap();

    // (meeting, subjects, banned)
    let cases: [(MeetingId, &[&str], bool); 5] = [
        (m, &[guest], true),
        (m, &["someone", "invite:abc"], true),
        (m, &["someone"], false),
        (m, &[], false),
        (other, &[guest], false),
    ];
    for (meeting_id, subjects, banned) in cases {
        assert_eq!(
            s.is_banned(meeting_id, subjects).await.unwrap(),
            banned,
            "{subjects:?}"
        );
    }
    let bans = s.bans_for_meeting(m).await.unwrap();
    let subjects: Vec<_> = bans.iter().map(|b| b.subject.as_str()).collect();
    assert_eq!(subjects, vec![guest, "invite:abc"]);
    assert!(bans.iter().all(|b| b.created_at == t0()));

    s.remove_ban(m, guest).await.unwrap();
    assert!(!s.is_banned(m, &[guest]).await.unwrap());
    assert!(matches!(
        s.remove_ban(m, guest).await,
        Err(StoreError::NotFound)
    ));
}

async fn settings_set_get_and_insert_once(s: &TestStore) {
    assert_eq!(s.setting("demo_created").await.unwrap(), None);
    assert!(
        s.insert_setting_if_absent("demo_created", "1")
            .await
            .unwrap()
    );
    assert!(
        !s.insert_setting_if_absent("demo_created", "2")
            .await
            .unwrap()
    );
    assert_eq!(
        s.setting("demo_created").await.unwrap().as_deref(),
        Some("1")
    );
    s.set_setting("demo_created", "3").await.unwrap();
    assert_eq!(
        s.setting("demo_created").await.unwrap().as_deref(),
        Some("3")
    );
}

async fn migrations_are_idempotent_and_data_survives_reopen(s: &TestStore) {
    let alice = user(s, "alice").await;
    s.migrate().await.unwrap();
    let reopened = Store::connect(&s.url).await.unwrap();
    reopened.migrate().await.unwrap();
    assert_eq!(reopened.user_by_id(alice).await.unwrap().username, "alice");
    assert_eq!(reopened.backend_name(), s.backend_name());
    reopened.close().await;
}

#[tokio::test]
async fn connect_rejects_unknown_urls() {
    let cases = [
        "mysql://localhost/db",
        "",
        "postgres://u:pw@localhost:5432/db?sslmode=bogus",
    ];
    for url in cases {
        let got = Store::connect(url).await;
        assert!(
            matches!(got, Err(StoreError::InvalidUrl(_))),
            "{url}: {got:?}"
        );
        assert!(
            !format!("{got:?}").contains("pw@"),
            "passwords are not echoed"
        );
    }
    // A PostgreSQL server that is not there is a database error, not a hang or a panic.
    let got = Store::connect("postgres://postgres@127.0.0.1:1/none").await;
    assert!(matches!(got, Err(StoreError::Database(_))), "{got:?}");
    let memory = Store::connect("sqlite::memory:").await.unwrap();
    memory.migrate().await.unwrap();
    assert_eq!(memory.count_users().await.unwrap(), 0);
}

async fn concurrent_rotation_lets_exactly_one_win(s: &TestStore) {
    let alice = user(s, "alice").await;
    let day = Duration::days(1);
    let presented = TokenHash::of("contested");
    s.create_refresh_token(alice, &presented, t0() + day, t0())
        .await
        .unwrap();
    let (hash_a, hash_b) = (TokenHash::of("a"), TokenHash::of("b"));
    let (a, b) = tokio::join!(
        s.rotate_refresh_token(&presented, &hash_a, t0() + day, t0()),
        s.rotate_refresh_token(&presented, &hash_b, t0() + day, t0()),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated(_)))
        .count();
    let reused = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Reused { .. }))
        .count();
    assert_eq!((rotated, reused), (1, 1), "{outcomes:?}");
    // The loser's replay revoked the family, including the winner's new token.
    for hash in ["a", "b"] {
        if let Ok(record) = s.refresh_token_by_hash(&TokenHash::of(hash)).await {
            assert!(record.revoked_at.is_some());
        }
    }
}
