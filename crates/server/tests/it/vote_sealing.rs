//! Sealing votes on a trail the retention job has cut (the Merkle tree then starts from
//! the compact range kept at the first seq), the proofs the seal keeps, and a vote whose
//! sealing fails: it ends cancelled in the store as its participants are told.

use crate::common::{Answer, Req};
use crate::signaling::{Served, Ws, expect, send, serve};
use plenum_protocol::signaling::Role;
use plenum_protocol::{AccountRole, MeetingId, UserId};
use plenum_server::audit::checkpoints::seal_now;
use plenum_store::VoteState;
use plenum_vote::{Protocol, Receipt, verify_protocol, verify_receipt};
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;

/// Alice (owner) and Bob (participant), both accounts, joined to one meeting.
struct Pair {
    served: Served,
    meeting: MeetingId,
    tokens: [String; 2],
    sockets: [Ws; 2],
}

async fn pair(served: Served, meeting: MeetingId, alice: String) -> Pair {
    let bob = served
        .app
        .state
        .tokens
        .issue_meeting(
            UserId::random(),
            "Bob",
            meeting,
            Role::Participant,
            OffsetDateTime::now_utc(),
        )
        .token;
    let sockets = [served.join(&alice).await, served.join(&bob).await];
    Pair {
        served,
        meeting,
        tokens: [alice, bob],
        sockets,
    }
}

impl Pair {
    /// Alice opens a roll-call vote; both see it; its id.
    async fn open(&mut self) -> String {
        let open = json!({"subject": "Adopt the budget", "mode": "roll_call"});
        send(
            &mut self.sockets[0],
            json!({"type": "vote.open", "txn": "open", "payload": open}),
        )
        .await;
        let mut id = String::new();
        for socket in &mut self.sockets {
            let opened = expect(socket, "vote.opened").await;
            id = opened["payload"]["vote_id"].as_str().unwrap().to_owned();
        }
        id
    }

    /// `who` votes `option`; the ballot's seq.
    async fn ballot(&mut self, who: usize, vote: &str, option: &str) -> u64 {
        let ballot = json!({"vote_id": vote, "option": option});
        send(
            &mut self.sockets[who],
            json!({"type": "vote.ballot", "txn": "ballot", "payload": ballot}),
        )
        .await;
        let accepted = expect(&mut self.sockets[who], "vote.ballot_accepted").await;
        accepted["payload"]["seq"].as_u64().unwrap()
    }

    /// The message of `kind` each participant gets next, checked to be the same.
    async fn everyone(&mut self, kind: &str) -> Value {
        let mut seen = Vec::new();
        for socket in &mut self.sockets {
            seen.push(expect(socket, kind).await["payload"].clone());
        }
        assert_eq!(seen[0], seen[1]);
        seen.remove(0)
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.served.app.send(Req::get(path).bearer(token)).await
    }

    async fn protocol(&self, vote: &str) -> Protocol {
        let answer = self
            .get(&self.tokens[1], &format!("/api/v1/votes/{vote}/protocol"))
            .await;
        assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
        serde_json::from_value(answer.body).unwrap()
    }

    async fn receipt(&self, who: usize, vote: &str, seq: u64) -> Receipt {
        let path = format!("/api/v1/votes/{vote}/receipt?seq={seq}");
        let answer = self.get(&self.tokens[who], &path).await;
        assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
        serde_json::from_value(answer.body).unwrap()
    }

    async fn database(&self) -> sqlx::SqlitePool {
        let url = &self.served.app.state.config.store.database_url;
        sqlx::SqlitePool::connect(url).await.unwrap()
    }
}

#[tokio::test]
async fn a_vote_after_the_retention_cut_is_sealed_and_its_documents_verify() {
    let served = serve().await;
    let (meeting, alice) = served.meeting(false).await;
    // Cut the trail: everything up to a checkpoint is older than the horizon.
    let state = &served.app.state;
    let cut = seal_now(state).await.expect("a checkpoint");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let horizon = plenum_server::audit::now_ms();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let report = crate::common::run_retention(state, horizon).await;
    assert_eq!(report.audit_entries, cut);
    assert_eq!(state.store.audit_head().await.unwrap().first_seq, cut);
    assert!(cut > 0);

    let mut p = pair(served, meeting, alice).await;
    let vote = p.open().await;
    let bob_seq = p.ballot(1, &vote, "yes").await;
    let alice_seq = p.ballot(0, &vote, "no").await;
    let result = p.everyone("vote.closed").await;
    assert_eq!(result["reason"], "all_voted");
    let sealed_at = result["checkpoint"]["size"].as_u64().unwrap();
    assert!(sealed_at > alice_seq && alice_seq > bob_seq && bob_seq > cut);

    let protocol = p.protocol(&vote).await;
    assert_eq!(
        protocol.checkpoint.lines().nth(1),
        Some(sealed_at.to_string().as_str())
    );
    let receipts = [
        p.receipt(1, &vote, bob_seq).await,
        p.receipt(0, &vote, alice_seq).await,
    ];
    for (receipt, seq) in receipts.iter().zip([bob_seq, alice_seq]) {
        assert_eq!(verify_receipt(receipt).unwrap(), seq);
    }
    verify_protocol(&protocol, &receipts).unwrap();
    python_verifies(&protocol, &receipts);
    let pdf = p
        .get(
            &p.tokens[0],
            &format!("/api/v1/votes/{vote}/protocol.pdf?lang=en"),
        )
        .await;
    assert_eq!(pdf.status.as_u16(), 200, "{:?}", pdf.body);
    let list = p
        .get(
            &p.tokens[0],
            &format!("/api/v1/meetings/{}/votes", p.meeting),
        )
        .await;
    assert_eq!(list.body[0]["state"], "closed");

    // The seal kept the proofs; a vote sealed before they were kept gets the same ones
    // from the trail.
    let db = p.database().await;
    let kept: Option<String> = sqlx::query_scalar("SELECT proofs FROM votes WHERE id = $1")
        .bind(&vote)
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(kept.is_some());
    sqlx::query("UPDATE votes SET proofs = NULL WHERE id = $1")
        .bind(&vote)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(p.protocol(&vote).await, protocol);
    db.close().await;

    // The audit API proves an entry after the cut and says what happened to one before.
    let auditor =
        crate::admin::account(&p.served.app, "audrey", AccountRole::Auditor, "default").await;
    let answer = p
        .get(&auditor, &format!("/api/v1/audit/entries/{bob_seq}/proof"))
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
    let proof: Vec<plenum_audit::Hash> =
        serde_json::from_value::<Vec<String>>(answer.body["proof"].clone())
            .unwrap()
            .iter()
            .map(|h| plenum_audit::hash_from_hex(h).unwrap())
            .collect();
    let checkpoint =
        plenum_audit::Checkpoint::parse(answer.body["checkpoint"].as_str().unwrap()).unwrap();
    let receipt_leaf = receipts[0].ballot.entry.leaf_hash;
    plenum_audit::merkle::verify_inclusion(
        &receipt_leaf,
        bob_seq,
        checkpoint.body.size,
        &proof,
        &checkpoint.body.root,
    )
    .expect("the proof leads to the signed root");
    p.get(
        &auditor,
        &format!("/api/v1/audit/entries/{}/proof", cut - 1),
    )
    .await
    .assert_problem(410, "removed");
}

#[tokio::test]
async fn a_vote_that_cannot_be_sealed_ends_cancelled_in_the_store_too() {
    let served = serve().await;
    let (meeting, alice) = served.meeting(false).await;
    let mut p = pair(served, meeting, alice).await;
    let vote = p.open().await;
    let bob_seq = p.ballot(1, &vote, "yes").await;
    // The stored ballot is changed before the close: the server must not sign a result
    // that its own trail contradicts.
    let db = p.database().await;
    sqlx::raw_sql("DROP TRIGGER audit_entries_no_update")
        .execute(&db)
        .await
        .unwrap();
    let changed = sqlx::query(
        "UPDATE audit_entries SET entry = replace(entry, '\"text\":\"yes\"', '\"text\":\"no\"') \
         WHERE seq = $1",
    )
    .bind(i64::try_from(bob_seq).unwrap())
    .execute(&db)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    p.ballot(0, &vote, "no").await;
    let cancelled = p.everyone("vote.cancelled").await;
    assert_eq!(cancelled["vote_id"], vote.as_str());

    // The store agrees: cancelled, by a `vote.cancel` entry after the close that says why.
    let store = &p.served.app.state.store;
    let record = store.vote(vote.parse().unwrap()).await.unwrap();
    assert_eq!(record.state, VoteState::Cancelled);
    assert_eq!(record.seal, None);
    let actions: Vec<String> = {
        let mut actions = Vec::new();
        for &seq in &record.entry_seqs {
            actions.push(store.audit_entry(seq).await.unwrap().entry.action);
        }
        actions
    };
    assert_eq!(
        actions,
        [
            "vote.open",
            "vote.ballot",
            "vote.ballot",
            "vote.close",
            "vote.cancel"
        ]
    );
    let cancel = store
        .audit_entry(*record.entry_seqs.last().unwrap())
        .await
        .unwrap()
        .entry;
    assert_eq!(cancel.actor, plenum_vote::event::system_actor());
    let reason = cancel.detail_text("reason").unwrap();
    assert!(
        reason.starts_with("the result could not be sealed: "),
        "{reason}"
    );
    p.get(&p.tokens[1], &format!("/api/v1/votes/{vote}/protocol"))
        .await
        .assert_problem(409, "not_closed");
    let list = p
        .get(
            &p.tokens[0],
            &format!("/api/v1/meetings/{}/votes", p.meeting),
        )
        .await;
    assert_eq!(list.body[0]["state"], "cancelled");
    db.close().await;
}

/// The independent Python verifier (tools/vote-verify) accepts the protocol and every
/// receipt. Run where scripts/test installed its package (`PLENUM_REQUIRE_PY_VERIFIER=1`),
/// as the other vote tests do.
fn python_verifies(protocol: &Protocol, receipts: &[Receipt]) {
    if std::env::var("PLENUM_REQUIRE_PY_VERIFIER").as_deref() != Ok("1") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(&protocol.vote.id);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("protocol.json");
    std::fs::write(&path, serde_json::to_vec(protocol).unwrap()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/vote-verify/plenum_vote_verify.py"
    );
    let mut command = std::process::Command::new("python3");
    command.arg(script).arg(&path);
    for (i, receipt) in receipts.iter().enumerate() {
        let file = dir.join(format!("receipt-{i}.json"));
        std::fs::write(&file, serde_json::to_vec(receipt).unwrap()).unwrap();
        command.arg("--receipt").arg(file);
    }
    let out = command.output().expect("python3 runs the verifier");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
