//! The retention job on a real database: it cuts the trail at a checkpoint, records its
//! run, and the trail that remains still exports and verifies (`plenum audit export` and
//! `plenum audit verify`), also against a checkpoint witnessed before the run.

use crate::common::{TempDir, TestApp};
use plenum_server::audit::checkpoints::seal_now;
use serde_json::json;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenum");

#[tokio::test]
async fn retention_removes_a_sealed_prefix_and_the_rest_still_verifies() {
    let app = TestApp::new().await;
    let token = app.login("alice").await;
    app.create_meeting(&token, json!({"title": "Old"})).await;
    let cut = seal_now(&app.state).await.expect("a checkpoint");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let horizon = plenum_server::audit::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.create_meeting(&token, json!({"title": "New"})).await;
    app.login("bob").await;
    seal_now(&app.state).await.expect("a checkpoint");
    let witness = app
        .state
        .store
        .latest_audit_checkpoint()
        .await
        .unwrap()
        .unwrap();

    let state = &app.state;
    let report = crate::common::run_retention(state, horizon).await;
    assert_eq!(
        report.audit_entries, cut,
        "everything before the checkpoint at {cut}"
    );
    let head = state.store.audit_head().await.unwrap();
    assert_eq!(head.first_seq, cut);
    assert!(state.store.audit_entry(0).await.is_err());
    let run = state.store.audit_entries(cut, 1000).await.unwrap();
    let run = run
        .iter()
        .find(|e| e.entry.action == "retention.run")
        .unwrap();
    assert_eq!(
        run.entry.detail_text("audit"),
        Some(cut.to_string().as_str())
    );
    assert_eq!(run.entry.detail_text("chat"), Some("0"));
    let newest = state
        .store
        .latest_audit_checkpoint()
        .await
        .unwrap()
        .unwrap();
    assert!(newest.size > run.entry.seq, "the run itself is sealed");

    // What remains verifies, against the witness from before the run too.
    let dir = TempDir::new();
    let config = dir.path().join("export.toml");
    let url = &state.config.store.database_url;
    std::fs::write(
        &config,
        format!(
            "[store]\ndata_dir = {:?}\ndatabase_url = {url:?}\n",
            dir.path().join("data").display().to_string()
        ),
    )
    .unwrap();
    let bundle = dir.path().join("bundle.json");
    let witness_file = dir.path().join("witness.txt");
    std::fs::write(&witness_file, &witness.note).unwrap();
    let out = Command::new(BIN)
        .args(["audit", "export", "--config", config.to_str().unwrap()])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args(["audit", "verify"])
        .arg(&bundle)
        .arg("--witness")
        .arg(&witness_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Retention deletes nothing else: a newer entry is still protected.
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let refused = sqlx::query("DELETE FROM audit_entries WHERE seq = $1")
        .bind(i64::try_from(cut).unwrap())
        .execute(&pool)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    pool.close().await;
}
