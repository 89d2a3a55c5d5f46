//! Contract tests of the audit tables: appends match the in-memory reference log, writers
//! on separate pools (as separate Plenum replicas would be) never share a seq, a rolled
//! back transaction leaves no entry, and personal values come back beside their hashes.

use super::TestStore;
use plenum_audit::{
    Actor, ActorKind, AuditLog, Detail, Entry, MerkleLog, Outcome, Personal, Value,
};
use plenum_store::Store;

contract!(
    appends_match_the_reference_log_and_read_back,
    concurrent_writers_on_two_pools_never_share_a_seq,
    a_rolled_back_transaction_leaves_no_entry,
    updates_and_deletes_are_refused_through_plenums_connection,
);

/// An entry as the server would build it; `seq` and `time_ms` are assigned by the store.
pub(crate) fn sample(n: u32, time_ms: u64) -> Entry {
    let salt = [n as u8 | 0x80; 16];
    Entry {
        seq: 0,
        time_ms,
        tenant: "default".into(),
        actor: Actor {
            kind: ActorKind::User,
            id: Value::Personal(Personal::new(&format!("user-{n}"), &salt).unwrap()),
        },
        source: Some(Value::Personal(
            Personal::new("192.0.2.7", &[7u8; 16]).unwrap(),
        )),
        action: "meeting.create".into(),
        resource: format!("meeting:{n}"),
        outcome: Outcome::Success,
        request_id: Some(format!("req-{n}")),
        details: vec![
            Detail {
                key: "title".into(),
                value: Value::text(format!("Meeting {n}")),
            },
            Detail {
                key: "display_name".into(),
                value: Value::Personal(Personal::new("Zoë", &salt).unwrap()),
            },
        ],
    }
}

async fn appends_match_the_reference_log_and_read_back(s: &TestStore) {
    let mut reference = AuditLog::new("test/audit").unwrap();
    let mut expected = Vec::new();
    for n in 0..37u32 {
        // The clock goes back at n = 20: the store keeps times monotonic.
        let time = if n == 20 { 1_000 } else { 5_000 + u64::from(n) };
        let appended = s.append_audit(sample(n, time)).await.unwrap();
        let mut entry = sample(n, time);
        entry.seq = u64::from(n);
        entry.time_ms = appended.time_ms;
        assert_eq!(appended.seq, u64::from(n));
        assert_eq!(reference.append(entry.clone()).unwrap(), appended.leaf_hash);
        assert_eq!(appended.size, u64::from(n) + 1);
        assert_eq!(appended.root, reference.merkle().root());
        expected.push(entry);
    }
    assert_eq!(expected[20].time_ms, expected[19].time_ms);

    let head = s.audit_head().await.unwrap();
    assert_eq!(head.size, 37);
    assert_eq!(head.frontier.root(), reference.merkle().root());
    assert_eq!(head.last_time_ms, 5_036);
    assert_eq!(head.first_seq, 0);

    let all = s.audit_entries(0, 100).await.unwrap();
    let entries: Vec<Entry> = all.iter().map(|b| b.entry.clone()).collect();
    assert_eq!(entries, expected, "personal values are restored");
    assert_eq!(all, reference.bundle().entries);
    let page = s.audit_entries(30, 5).await.unwrap();
    assert_eq!(
        page.iter().map(|b| b.entry.seq).collect::<Vec<_>>(),
        [30, 31, 32, 33, 34]
    );
    assert_eq!(s.audit_entry(36).await.unwrap().entry, expected[36]);
    assert!(matches!(
        s.audit_entry(37).await,
        Err(plenum_store::StoreError::NotFound)
    ));

    // No clear personal value is in the entries table itself.
    let stored: Vec<String> = raw_strings(s, "SELECT entry FROM audit_entries").await;
    assert_eq!(stored.len(), 37);
    for text in stored {
        for secret in ["user-", "192.0.2.7", "Zoë"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

async fn concurrent_writers_on_two_pools_never_share_a_seq(s: &TestStore) {
    let other = Store::connect(&s.url).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..24u32 {
        let store = if n % 2 == 0 {
            s.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            store.append_audit(sample(n, 9_000)).await.unwrap().seq
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (0..24).collect::<Vec<u64>>());
    // The head's compact range matches the leaves actually stored.
    let mut tree = MerkleLog::new();
    for item in s.audit_entries(0, 100).await.unwrap() {
        assert_eq!(item.entry.leaf_hash().unwrap(), item.leaf_hash);
        tree.append_hash(item.leaf_hash);
    }
    let head = s.audit_head().await.unwrap();
    assert_eq!((head.size, head.frontier.root()), (24, tree.root()));
    other.close().await;
}

async fn a_rolled_back_transaction_leaves_no_entry(s: &TestStore) {
    let mut tx = s.begin().await.unwrap();
    tx.append_audit(sample(1, 10)).await.unwrap();
    tx.rollback().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    tx.append_audit(sample(2, 10)).await.unwrap();
    drop(tx);
    assert_eq!(s.audit_head().await.unwrap().size, 0);
    assert!(s.audit_entries(0, 10).await.unwrap().is_empty());
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.append_audit(sample(3, 10)).await.unwrap().seq, 0);
    tx.commit().await.unwrap();
    assert_eq!(s.audit_head().await.unwrap().size, 1);
}

/// One text column of every row a query returns, through a separate raw connection.
pub(crate) async fn raw_strings(s: &TestStore, sql: &str) -> Vec<String> {
    if s.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&s.url).await.unwrap();
        let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(&s.url).await.unwrap();
        let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

async fn updates_and_deletes_are_refused_through_plenums_connection(s: &TestStore) {
    for n in 0..3 {
        s.append_audit(sample(n, 100)).await.unwrap();
    }
    let refused = [
        "UPDATE audit_entries SET action = 'auth.logout' WHERE seq = 1",
        "UPDATE audit_entries SET time_ms = time_ms + 1",
        "DELETE FROM audit_entries WHERE seq = 2",
        "DELETE FROM audit_entries",
        "UPDATE audit_personal SET value = 'someone else'",
        "UPDATE audit_head SET size = 1",
        "UPDATE audit_head SET first_seq = 1",
        "DELETE FROM audit_head",
    ];
    for sql in refused {
        let error = raw_execute(s, sql).await.expect_err(sql);
        assert!(
            error.contains("append-only")
                || error.contains("only moves forward")
                || error.contains("cannot be"),
            "{sql}: {error}"
        );
    }
    if !s.url.starts_with("sqlite:") {
        raw_execute(s, "TRUNCATE audit_entries")
            .await
            .expect_err("TRUNCATE");
    }
    // Erasing a personal value is allowed, and only that.
    raw_execute(
        s,
        "DELETE FROM audit_personal WHERE seq = 0 AND field = 'source'",
    )
    .await
    .unwrap();
    let entries = s.audit_entries(0, 10).await.unwrap();
    assert_eq!(entries.len(), 3);
    let source = entries[0].entry.source.as_ref().unwrap();
    assert!(matches!(source, Value::Personal(p) if p.value.is_none() && p.salt.is_none()));
    assert_eq!(entries[0].entry.leaf_hash().unwrap(), entries[0].leaf_hash);
    assert_eq!(s.audit_head().await.unwrap().size, 3);
}

/// Runs one statement through a separate connection with the store's own credentials;
/// the database's error message on failure.
pub(crate) async fn raw_execute(s: &TestStore, sql: &str) -> Result<u64, String> {
    if s.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&s.url).await.unwrap();
        let done = sqlx::query(sql).execute(&pool).await;
        pool.close().await;
        done.map(|r| r.rows_affected()).map_err(|e| e.to_string())
    } else {
        let pool = sqlx::PgPool::connect(&s.url).await.unwrap();
        let done = sqlx::query(sql).execute(&pool).await;
        pool.close().await;
        done.map(|r| r.rows_affected()).map_err(|e| e.to_string())
    }
}

/// The PostgreSQL role setup of docs/audit-format.md: Plenum runs as a role without
/// UPDATE/DELETE on the trail, so even with the triggers gone (dropped by the owner) it
/// cannot change an entry, while appending keeps working.
#[tokio::test]
async fn postgres_app_role_cannot_change_the_trail_even_without_triggers() {
    let Some(s) = TestStore::postgres().await else {
        return;
    };
    let (base, schema) = s.schema.clone().unwrap();
    let role = format!("plenum_app_{}", uuid::Uuid::new_v4().simple());
    let owner = sqlx::PgPool::connect(&s.url).await.unwrap();
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, audit_checkpoints FROM {role}"),
        format!("REVOKE UPDATE, TRUNCATE ON audit_personal FROM {role}"),
    ] {
        sqlx::query(&sql).execute(&owner).await.unwrap();
    }
    let app_url = s.url.replacen("postgres@", &format!("{role}@"), 1);
    assert_ne!(app_url, s.url, "the test URL names the postgres user");
    let app = Store::connect(&app_url).await.unwrap();
    for n in 0..3 {
        app.append_audit(sample(n, 100)).await.unwrap();
    }
    sqlx::raw_sql(
        "ALTER TABLE audit_entries DISABLE TRIGGER ALL; ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL",
    )
    .execute(&owner)
    .await
    .unwrap();
    let as_app = sqlx::PgPool::connect(&app_url).await.unwrap();
    for sql in [
        "UPDATE audit_entries SET action = 'auth.logout' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 2",
        "TRUNCATE audit_entries",
        "DELETE FROM audit_checkpoints",
        "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_entries_append_only ON audit_entries",
    ] {
        let error = sqlx::query(sql).execute(&as_app).await.expect_err(sql);
        assert!(
            error.to_string().contains("permission denied")
                || error.to_string().contains("must be owner"),
            "{sql}: {error}"
        );
    }
    assert_eq!(app.audit_head().await.unwrap().size, 3);
    as_app.close().await;
    app.close().await;
    owner.close().await;
    s.cleanup().await;
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP ROLE {role}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}
