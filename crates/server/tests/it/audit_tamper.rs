//! Tampering with the live database (SQLite and PostgreSQL): the test bypasses the
//! append-only triggers as the database's owner, changes the stored trail, then runs the
//! real `plenum audit export` and `plenum audit verify`. Every change fails verification,
//! names the entry and exits non-zero; the untouched database verifies, also as a range
//! export that starts at a checkpoint.

use crate::common::{TempDir, TestApp};
use serde_json::json;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenum");

/// A database with a sealed trail of a few dozen entries over several checkpoints.
async fn trail(app: &TestApp) {
    let token = app.login("alice").await;
    for n in 0..6 {
        app.create_meeting(&token, json!({"title": format!("Meeting {n}")}))
            .await;
        plenum_server::audit::checkpoints::seal_now(&app.state)
            .await
            .expect("a checkpoint");
    }
    app.login("bob").await;
    plenum_server::audit::checkpoints::seal_now(&app.state)
        .await
        .expect("a checkpoint");
}

/// Runs the binary; returns (exit code, stdout + stderr).
fn plenum(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// `plenum audit export` of the database `url` into `dir`; returns the bundle path.
fn export(dir: &Path, url: &str, range: &[&str]) -> String {
    let config = dir.join("export.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\ndata_dir = {:?}\ndatabase_url = {url:?}\n",
            dir.join("export-data").display().to_string()
        ),
    )
    .unwrap();
    let bundle = dir.join(format!("bundle-{}.json", uuid::Uuid::new_v4().simple()));
    let mut args = vec!["audit", "export", "--config", config.to_str().unwrap()];
    args.extend_from_slice(range);
    args.push(bundle.to_str().unwrap());
    let (code, text) = plenum(&args);
    assert_eq!(code, 0, "export failed: {text}");
    bundle.to_str().unwrap().to_owned()
}

fn verify(bundle: &str, witness: Option<&str>) -> (i32, String) {
    let mut args = vec!["audit", "verify", bundle];
    if let Some(w) = witness {
        args.extend_from_slice(&["--witness", w]);
    }
    plenum(&args)
}

/// A raw connection as the database owner, for tampering.
enum Owner {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Owner {
    async fn connect(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Owner::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Owner::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    async fn run(&self, sql: &str) {
        match self {
            Owner::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
            Owner::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Removes the append-only protection, as someone with the owner's rights could.
    async fn bypass_triggers(&self) {
        match self {
            Owner::Sqlite(_) => {
                for trigger in [
                    "audit_entries_no_update",
                    "audit_entries_no_delete",
                    "audit_checkpoints_no_delete",
                ] {
                    self.run(&format!("DROP TRIGGER {trigger}")).await;
                }
            }
            Owner::Postgres(_) => {
                self.run("ALTER TABLE audit_entries DISABLE TRIGGER ALL; ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL")
                    .await;
            }
        }
    }

    async fn close(self) {
        match self {
            Owner::Sqlite(pool) => pool.close().await,
            Owner::Postgres(pool) => pool.close().await,
        }
    }
}

/// One tampering: the SQL, the seq the verifier must name, and whether it is only caught
/// against a witness (the newest checkpoint, kept outside).
struct Case {
    name: &'static str,
    sql: String,
    names: String,
    with_witness: bool,
}

fn cases(k: u64, size: u64) -> Vec<Case> {
    vec![
        Case {
            name: "change one byte",
            sql: format!(
                "UPDATE audit_entries SET entry = replace(entry, '\"tenant\":\"default\"', '\"tenant\":\"defaulT\"') WHERE seq = {k}"
            ),
            names: format!("entry seq {k}"),
            with_witness: false,
        },
        Case {
            name: "delete an entry",
            sql: format!("DELETE FROM audit_entries WHERE seq = {k}"),
            names: format!("seq {k}"),
            with_witness: false,
        },
        Case {
            name: "insert an entry",
            sql: format!(
                "UPDATE audit_entries SET seq = seq + 1000000 WHERE seq >= {k}; \
                 UPDATE audit_entries SET seq = seq - 999999 WHERE seq >= 1000000; \
                 INSERT INTO audit_entries (seq, time_ms, tenant, action, outcome, resource, request_id, leaf_hash, entry) \
                 SELECT {k}, time_ms, tenant, action, outcome, resource, request_id, leaf_hash, entry \
                 FROM audit_entries WHERE seq = {k} + 1"
            ),
            names: format!("seq {}", k + 1),
            with_witness: false,
        },
        Case {
            name: "swap two entries",
            sql: format!(
                "UPDATE audit_entries SET seq = -1 WHERE seq = {k}; \
                 UPDATE audit_entries SET seq = {k} WHERE seq = {k} + 1; \
                 UPDATE audit_entries SET seq = {k} + 1 WHERE seq = -1"
            ),
            names: format!("seq {k}"),
            with_witness: false,
        },
        Case {
            name: "truncate",
            sql: format!(
                "DELETE FROM audit_entries WHERE seq >= {k}; \
                 DELETE FROM audit_checkpoints WHERE size > {k}"
            ),
            names: format!("truncated: the witness covers {size} entries"),
            with_witness: true,
        },
    ]
}

async fn run_cases(backend: &str, fresh: impl AsyncFn() -> (TestApp, String, Option<String>)) {
    let dir = TempDir::new();
    for i in 0..cases(0, 0).len() {
        let (app, url, schema) = fresh().await;
        trail(&app).await;
        let head = app.state.store.audit_head().await.unwrap();
        let checkpoints = app
            .state
            .store
            .audit_checkpoints(0, u64::MAX)
            .await
            .unwrap();
        let newest = checkpoints.last().unwrap();
        // An entry in the middle, right after a checkpoint that then stays valid.
        let k = checkpoints[checkpoints.len() / 2].size;
        let case = &cases(k, newest.size)[i];
        let witness = dir.path().join(format!("witness-{backend}-{i}.txt"));
        std::fs::write(&witness, &newest.note).unwrap();
        let witness = witness.to_str().unwrap().to_owned();
        assert_eq!(head.size, newest.size, "everything is sealed");

        if i == 0 {
            // Untouched: the whole trail and a range from a middle checkpoint verify.
            let (code, text) = verify(&export(dir.path(), &url, &[]), Some(&witness));
            assert_eq!(code, 0, "{backend} untouched: {text}");
            let from = k.to_string();
            let ranged = export(dir.path(), &url, &["--from", &from, "--to", &from]);
            let (code, text) = verify(&ranged, None);
            assert_eq!(code, 0, "{backend} range: {text}");
            let bundle: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&ranged).unwrap()).unwrap();
            assert_eq!(
                bundle["start"]["size"], k,
                "the range starts at a checkpoint"
            );
        }

        let owner = Owner::connect(&url).await;
        owner.bypass_triggers().await;
        owner.run(&case.sql).await;
        owner.close().await;
        let bundle = export(dir.path(), &url, &[]);
        let (code, text) = verify(&bundle, case.with_witness.then_some(witness.as_str()));
        assert_eq!(code, 1, "{backend} {}: {text}", case.name);
        assert!(
            text.contains("FAILED") && text.contains(&case.names),
            "{backend} {}: expected {:?} in {text}",
            case.name,
            case.names
        );
        if let Some(schema) = schema {
            app.drop_schema(&schema).await;
        }
    }
}

#[tokio::test]
async fn tampering_with_a_sqlite_trail_is_detected() {
    run_cases("sqlite", async || {
        let app = TestApp::new().await;
        let url = app.state.config.store.database_url.clone();
        (app, url, None)
    })
    .await;
}

#[tokio::test]
async fn tampering_with_a_postgres_trail_is_detected() {
    if crate::common::postgres_base_url().is_none() {
        return;
    }
    run_cases("postgres", async || {
        let (app, schema) = TestApp::postgres().await.unwrap();
        let url = app.state.config.store.database_url.clone();
        (app, url, Some(schema))
    })
    .await;
}
