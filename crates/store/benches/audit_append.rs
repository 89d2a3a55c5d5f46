//! Audit entries appended per second through the real store, printed (not asserted): a
//! meeting-like workload (joins, leaves, moderation; personal actor ids, sources and
//! display names hashed with fresh salts), each entry in its own transaction as the
//! server writes them, on a SQLite file and — if reachable — on PostgreSQL
//! (`PLENUM_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test; `off`
//! skips it). Several writers at once, as concurrent meetings are.
//!
//! `cargo bench -p plenum-store --bench audit_append`

use plenum_audit::{Actor, ActorKind, Detail, Entry, Outcome, Personal, Value};
use plenum_store::Store;
use std::time::Instant;

const ENTRIES: u32 = 4000;
const WRITERS: u32 = 8;

fn event(n: u32) -> Entry {
    let salt = (u128::from(n) * 0x9e37_79b9_7f4a_7c15).to_be_bytes();
    let personal =
        |text: String| Value::Personal(Personal::new(&text, &salt).expect("16-byte salt"));
    let action = match n % 10 {
        0..=3 => "participant.join",
        4..=7 => "participant.leave",
        8 => "moderation.mute",
        _ => "participant.admit",
    };
    Entry {
        seq: 0,
        time_ms: 1_764_000_000_000 + u64::from(n),
        tenant: "default".to_owned(),
        actor: Actor {
            kind: ActorKind::User,
            id: personal(format!("user-{}", n % 500)),
        },
        source: Some(personal(format!("192.0.2.{}", n % 250))),
        action: action.to_owned(),
        resource: format!("meeting:{}", n % 40),
        outcome: Outcome::Success,
        request_id: Some(format!("{n:032x}")),
        details: vec![Detail {
            key: "display_name".to_owned(),
            value: personal(format!("Participant {n}")),
        }],
    }
}

async fn measure(name: &str, store: Store) {
    store.migrate().await.expect("migrations");
    let start = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..ENTRIES / WRITERS {
                store
                    .append_audit(event(i * WRITERS + w))
                    .await
                    .expect("append");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let elapsed = start.elapsed().as_secs_f64();
    let head = store.audit_head().await.expect("head");
    assert_eq!(head.size, u64::from(ENTRIES));
    println!(
        "audit append, {name}: {ENTRIES} entries by {WRITERS} writers in {elapsed:.2} s = {:.0} entries/s",
        f64::from(ENTRIES) / elapsed
    );
    store.close().await;
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("plenum-audit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = Store::open_sqlite_file(&dir.join("bench.db"))
        .await
        .expect("sqlite");
    measure("SQLite file (WAL)", sqlite).await;
    let _ = std::fs::remove_dir_all(&dir);

    let base = std::env::var("PLENUM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if base == "off" {
        return;
    }
    let schema = format!("plenum_bench_{}", std::process::id());
    let Ok(admin) = sqlx::PgPool::connect(&base).await else {
        println!("audit append, PostgreSQL: not reachable at {base}; skipped");
        return;
    };
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("schema");
    let url = format!("{base}?options=-c%20search_path%3D{schema}");
    measure("PostgreSQL", Store::connect(&url).await.expect("postgres")).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .expect("drop schema");
}
