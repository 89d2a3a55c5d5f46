//! Formal votes end to end: five participants (three accounts, two guests) on real
//! signaling sockets; roll-call and pseudonymous votes; refusals while the vote goes on;
//! the exported protocol and every receipt verify with `plenum_vote`; tampering in the
//! database is detected; a pseudonymous vote leaves no voter ↔ token/choice link in the
//! database or the log.

use crate::common::Req;
use crate::signaling::{Served, Ws, expect, send, serve};
use plenum_protocol::signaling::Role;
use plenum_protocol::{MeetingId, UserId};
use plenum_vote::{Protocol, Receipt, verify_protocol, verify_receipt};
use serde_json::{Value, json};
use sqlx::Row as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tower::ServiceExt as _;

/// Five people in one meeting: alice (owner), bob and carol (accounts), two guests.
struct Board {
    served: Served,
    meeting: MeetingId,
    tokens: Vec<String>,
    subjects: Vec<UserId>,
    sockets: Vec<Ws>,
}

const NAMES: [&str; 5] = ["Alice", "Bob", "Carol", "Gina", "Gus"];

async fn board() -> Board {
    let served = serve().await;
    let (meeting, owner) = served.meeting(false).await;
    let issuer = &served.app.state.tokens;
    let now = OffsetDateTime::now_utc();
    let mut tokens = vec![owner];
    for name in ["Bob", "Carol"] {
        tokens.push(
            issuer
                .issue_meeting(UserId::random(), name, meeting, Role::Participant, now)
                .token,
        );
    }
    for name in ["Gina", "Gus"] {
        tokens.push(served.guest_token(meeting, name));
    }
    let subjects = tokens
        .iter()
        .map(|t| issuer.verify_at(t, now).unwrap().sub)
        .collect();
    let mut sockets = Vec::new();
    for token in &tokens {
        sockets.push(served.join(token).await);
    }
    Board {
        served,
        meeting,
        tokens,
        subjects,
        sockets,
    }
}

impl Board {
    async fn send(&mut self, who: usize, kind: &str, payload: Value) {
        send(
            &mut self.sockets[who],
            json!({"type": kind, "txn": kind, "payload": payload}),
        )
        .await;
    }

    async fn expect(&mut self, who: usize, kind: &str) -> Value {
        expect(&mut self.sockets[who], kind).await["payload"].clone()
    }

    /// The error `who` gets next; its code.
    async fn refused(&mut self, who: usize, kind: &str, payload: Value) -> String {
        self.send(who, kind, payload).await;
        let error = self.expect(who, "error").await;
        error["code"].as_str().unwrap().to_owned()
    }

    async fn get(&self, token: &str, path: &str) -> crate::common::Answer {
        self.served.app.send(Req::get(path).bearer(token)).await
    }

    async fn protocol(&self, vote: &str) -> Protocol {
        let answer = self
            .get(&self.tokens[3], &format!("/api/v1/votes/{vote}/protocol"))
            .await;
        assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
        serde_json::from_value(answer.body.clone()).unwrap()
    }

    async fn receipt(&self, who: usize, vote: &str, seq: u64) -> Receipt {
        let path = format!("/api/v1/votes/{vote}/receipt?seq={seq}");
        let answer = self.get(&self.tokens[who], &path).await;
        assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
        serde_json::from_value(answer.body.clone()).unwrap()
    }

    /// Opens a vote as alice; everyone sees it; returns its id.
    async fn open(&mut self, mode: &str) -> String {
        self.send(
            0,
            "vote.open",
            json!({"subject": "Adopt the budget", "mode": mode}),
        )
        .await;
        let mut ids = Vec::new();
        for (who, name) in NAMES.iter().enumerate() {
            let opened = self.expect(who, "vote.opened").await;
            assert_eq!(opened["can_vote"], who < 3, "{name} may vote: {opened}");
            assert_eq!(opened["eligible"], json!(["Alice", "Bob", "Carol"]));
            ids.push(opened["vote_id"].as_str().unwrap().to_owned());
        }
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        ids.remove(0)
    }

    /// `who` votes for `option`; returns the ballot's seq (and token).
    async fn vote(&mut self, who: usize, vote: &str, option: &str) -> (u64, Option<String>) {
        self.send(
            who,
            "vote.ballot",
            json!({"vote_id": vote, "option": option}),
        )
        .await;
        let accepted = self.expect(who, "vote.ballot_accepted").await;
        assert_eq!(accepted["option"], option);
        (
            accepted["seq"].as_u64().unwrap(),
            accepted["token"].as_str().map(str::to_owned),
        )
    }

    /// The `vote.closed` every participant got, checked to be the same for all.
    async fn closed(&mut self) -> Value {
        let mut results = Vec::new();
        for who in 0..5 {
            results.push(self.expect(who, "vote.closed").await);
        }
        assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
        results.remove(0)
    }
}

#[tokio::test]
async fn roll_call_vote_refusals_result_protocol_and_receipts() {
    let mut b = board().await;
    let vote = b.open("roll_call").await;
    let (bob_seq, token) = b.vote(1, &vote, "yes").await;
    assert_eq!(token, None);
    // Refusals with their codes; the vote goes on.
    let ballot = |option: &str| json!({"vote_id": vote, "option": option});
    assert_eq!(
        b.refused(1, "vote.ballot", ballot("no")).await,
        "vote_already_voted"
    );
    assert_eq!(
        b.refused(3, "vote.ballot", ballot("yes")).await,
        "vote_not_eligible"
    );
    assert_eq!(
        b.refused(2, "vote.ballot", ballot("perhaps")).await,
        "vote_unknown_option"
    );
    assert_eq!(
        b.refused(2, "vote.ballot", json!({"vote_id": vote})).await,
        "bad_message"
    );
    assert_eq!(
        b.refused(
            2,
            "vote.ballot",
            json!({"vote_id": uuid::Uuid::new_v4(), "option": "yes"})
        )
        .await,
        "vote_unknown"
    );
    assert_eq!(
        b.refused(1, "vote.open", json!({"subject": "x", "mode": "roll_call"}))
            .await,
        "forbidden"
    );
    // The protocol is not there before the close.
    let early = b
        .get(&b.tokens[1], &format!("/api/v1/votes/{vote}/protocol"))
        .await;
    early.assert_problem(409, "not_closed");

    let (carol_seq, _) = b.vote(2, &vote, "no").await;
    let (alice_seq, _) = b.vote(0, &vote, "yes").await;
    // The last ballot closed it by itself; everyone got the same sealed result.
    let result = b.closed().await;
    assert_eq!(result["reason"], "all_voted");
    assert_eq!(
        result["tally"],
        json!([{"option": "yes", "count": 2}, {"option": "no", "count": 1}, {"option": "abstain", "count": 0}])
    );
    assert_eq!(
        result["ballots"],
        json!([{"name": "Bob", "option": "yes"}, {"name": "Carol", "option": "no"}, {"name": "Alice", "option": "yes"}])
    );
    assert_eq!(
        b.refused(1, "vote.ballot", ballot("no")).await,
        "vote_closed"
    );

    let protocol = b.protocol(&vote).await;
    assert_eq!(
        protocol.checkpoint.lines().nth(1).unwrap(),
        result["checkpoint"]["size"].to_string()
    );
    let mut receipts = Vec::new();
    for (who, seq) in [(1, bob_seq), (2, carol_seq), (0, alice_seq)] {
        let receipt = b.receipt(who, &vote, seq).await;
        assert_eq!(verify_receipt(&receipt).unwrap(), seq);
        receipts.push(receipt);
    }
    verify_protocol(&protocol, &receipts).unwrap();
    for lang in ["de", "en"] {
        let path = format!("/api/v1/votes/{vote}/protocol.pdf?lang={lang}");
        let request = axum::http::Request::get(path)
            .header("authorization", format!("Bearer {}", b.tokens[4]))
            .body(axum::body::Body::empty())
            .unwrap();
        let response = b.served.app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200, "{lang}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let pdf = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{lang}");
    }
    b.get(
        &b.tokens[4],
        &format!("/api/v1/votes/{vote}/protocol.pdf?lang=fr"),
    )
    .await
    .assert_problem(400, "invalid_query");
    // Not a ballot of this vote; unknown vote.
    b.get(&b.tokens[1], &format!("/api/v1/votes/{vote}/receipt?seq=0"))
        .await
        .assert_problem(404, "not_found");
    let unknown = uuid::Uuid::new_v4();
    b.get(&b.tokens[1], &format!("/api/v1/votes/{unknown}/protocol"))
        .await
        .assert_problem(404, "not_found");
    // An account from elsewhere cannot tell this vote from one that does not exist.
    let bob = b.served.app.login("bob").await;
    for document in [
        "protocol".to_owned(),
        "protocol.pdf?lang=en".to_owned(),
        format!("receipt?seq={bob_seq}"),
    ] {
        let existing = b
            .get(&bob, &format!("/api/v1/votes/{vote}/{document}"))
            .await;
        existing.assert_problem(404, "not_found");
        let missing = b
            .get(&bob, &format!("/api/v1/votes/{unknown}/{document}"))
            .await;
        assert_eq!(existing.body, missing.body, "{document}");
    }
    // The operator still sees each refusal of an existing vote.
    let resource = format!("meeting:{}", b.meeting);
    let entries = b.served.app.state.store.audit_entries(0, 10_000).await;
    let denied = entries
        .unwrap()
        .into_iter()
        .filter(|e| e.entry.action == "access.denied" && e.entry.resource == resource)
        .count();
    assert_eq!(denied, 3);
    let list = b
        .get(
            &b.tokens[4],
            &format!("/api/v1/meetings/{}/votes", b.meeting),
        )
        .await;
    assert_eq!(list.body[0]["state"], "closed");
    assert_eq!(list.body[0]["mode"], "roll_call");
}

/// Makes the database refuse to store audit entries of `action` while `on`, as a failing
/// disk or database would: the real store's transaction fails and is rolled back.
async fn refuse(db: &sqlx::SqlitePool, action: &str, on: bool) {
    let trigger = format!("refuse_{}", action.replace('.', "_"));
    let sql = if on {
        format!(
            "CREATE TRIGGER {trigger} BEFORE INSERT ON audit_entries WHEN NEW.action = '{action}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    } else {
        format!("DROP TRIGGER {trigger}")
    };
    sqlx::raw_sql(&sql).execute(db).await.unwrap();
}

#[tokio::test]
async fn a_vote_goes_on_when_the_store_fails_an_entry() {
    let mut b = board().await;
    let url = b.served.app.state.config.store.database_url.clone();
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();

    // An opening that cannot be stored: the moderator is told, nobody else hears of it
    // (the next vote.opened everyone gets is the second attempt's).
    refuse(&db, "vote.open", true).await;
    let open = json!({"subject": "Adopt the budget", "mode": "roll_call"});
    assert_eq!(b.refused(0, "vote.open", open).await, "vote_not_recorded");
    refuse(&db, "vote.open", false).await;
    let vote = b.open("roll_call").await;

    // A ballot that cannot be stored: its voter is told, it does not count, he votes again.
    refuse(&db, "vote.ballot", true).await;
    let ballot = json!({"vote_id": vote, "option": "yes"});
    assert_eq!(
        b.refused(1, "vote.ballot", ballot).await,
        "vote_not_recorded"
    );
    refuse(&db, "vote.ballot", false).await;
    let (bob_seq, _) = b.vote(1, &vote, "no").await;
    // Alice saw participation at the opening, then only the stored ballot.
    for (cast, voted) in [(0, json!([])), (1, json!(["Bob"]))] {
        let participation = b.expect(0, "vote.participation").await;
        assert_eq!(participation["cast"], cast, "{participation}");
        assert_eq!(participation["voted"], voted, "{participation}");
    }
    let (carol_seq, _) = b.vote(2, &vote, "no").await;
    let (alice_seq, _) = b.vote(0, &vote, "yes").await;
    let result = b.closed().await;
    assert_eq!(
        result["tally"],
        json!([{"option": "yes", "count": 1}, {"option": "no", "count": 2}, {"option": "abstain", "count": 0}])
    );
    // The signed result is the stored ballots: the protocol and every receipt verify.
    let protocol = b.protocol(&vote).await;
    let mut receipts = Vec::new();
    for (who, seq) in [(1, bob_seq), (2, carol_seq), (0, alice_seq)] {
        receipts.push(b.receipt(who, &vote, seq).await);
    }
    verify_protocol(&protocol, &receipts).unwrap();

    // A close that cannot be stored: the vote ends as cancelled, with the reason recorded.
    let second = b.open("pseudonymous").await;
    b.vote(1, &second, "yes").await;
    refuse(&db, "vote.close", true).await;
    b.send(0, "vote.close", json!({"vote_id": second})).await;
    let mut reasons = Vec::new();
    for who in 0..5 {
        let cancelled = b.expect(who, "vote.cancelled").await;
        assert_eq!(cancelled["vote_id"], json!(second));
        reasons.push(cancelled["reason"].as_str().unwrap().to_owned());
    }
    assert!(reasons.windows(2).all(|w| w[0] == w[1]), "{reasons:?}");
    refuse(&db, "vote.close", false).await;
    // The meeting's entries are stored in order: once a third vote is announced, the
    // cancel before its opening is stored too.
    let third = b.open("roll_call").await;
    let list = b
        .get(
            &b.tokens[4],
            &format!("/api/v1/meetings/{}/votes", b.meeting),
        )
        .await;
    // Opened within the same second, so listed in no particular order.
    let mut states: Vec<(&str, &str)> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    states.sort();
    let mut expected = [
        (vote.as_str(), "closed"),
        (second.as_str(), "cancelled"),
        (third.as_str(), "open"),
    ];
    expected.sort();
    assert_eq!(states, expected);
    let seqs: String = sqlx::query_scalar("SELECT entry_seqs FROM votes WHERE id = $1")
        .bind(&second)
        .fetch_one(&db)
        .await
        .unwrap();
    let seqs: Vec<u64> = serde_json::from_str(&seqs).unwrap();
    assert_eq!(seqs.len(), 3, "open, ballot, cancel: {seqs:?}");
    let entries = b
        .served
        .app
        .state
        .store
        .audit_entries(0, 10_000)
        .await
        .unwrap();
    let cancel = &entries
        .iter()
        .find(|e| e.entry.seq == seqs[2])
        .unwrap()
        .entry;
    assert_eq!(cancel.action, "vote.cancel");
    assert_eq!(cancel.actor, plenum_vote::event::system_actor());
    let text = serde_json::to_string(cancel).unwrap();
    assert!(text.contains(&reasons[0]), "{text}");
}

/// Collects everything the server logs while a test runs (current-thread runtime: the
/// server's tasks run on this thread).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn pseudonymous_vote_verifies_resists_tampering_and_keeps_voters_apart() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let mut b = board().await;
    let vote = b.open("pseudonymous").await;
    let mut tokens = Vec::new();
    for who in 0..3 {
        let token = b.expect(who, "vote.token").await;
        tokens.push(token["token"].as_str().unwrap().to_owned());
    }
    let choices = ["no", "yes", "abstain"];
    let mut seqs = Vec::new();
    for who in [1, 0, 2] {
        let (seq, token) = b.vote(who, &vote, choices[who]).await;
        assert_eq!(token.as_deref(), Some(tokens[who].as_str()));
        seqs.push((who, seq));
    }
    let result = b.closed().await;
    for (who, token) in tokens.iter().enumerate() {
        assert!(
            result["ballots"]
                .as_array()
                .unwrap()
                .contains(&json!({"token": token, "option": choices[who]}))
        );
    }
    assert!(
        !result.to_string().contains("Bob"),
        "no names in a pseudonymous result"
    );
    let protocol = b.protocol(&vote).await;
    let mut receipts = Vec::new();
    for (who, seq) in &seqs {
        receipts.push(b.receipt(*who, &vote, *seq).await);
    }
    verify_protocol(&protocol, &receipts).unwrap();

    // Privacy: no row and no log line holds a voter (id or name) with their token or
    // choice. Names and ids appear only in the vote.open entry's eligible list.
    let url = b.served.app.state.config.store.database_url.clone();
    let owner = sqlx::SqlitePool::connect(&url).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&owner)
            .await
            .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let dump = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(&owner)
            .await
            .unwrap();
        for row in dump {
            let cells: Vec<String> = (0..row.columns().len())
                .map(|i| {
                    row.try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            row.try_get::<Option<i64>, _>(i)
                                .ok()
                                .flatten()
                                .map(|n| n.to_string())
                        })
                        .unwrap_or_default()
                })
                .collect();
            rows.push(format!("{table}: {}", cells.join(" | ")));
        }
    }
    assert!(!rows.is_empty());
    let lines = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    for (who, token) in tokens.iter().enumerate() {
        let person = [b.subjects[who].to_string(), NAMES[who].to_owned()];
        let secret = [token.clone(), format!("\"{}\"", choices[who])];
        for text in rows.iter().map(String::as_str).chain(lines.lines()) {
            let names_voter = person.iter().any(|p| text.contains(p.as_str()));
            let names_secret = secret.iter().any(|s| text.contains(s.as_str()));
            // The eligible list (the vote.open entry, the vote's summary) names everyone
            // and every option by design; it must carry no token.
            let eligible_list = NAMES[..3].iter().all(|n| text.contains(n));
            let any_token = tokens.iter().any(|t| text.contains(t.as_str()));
            assert!(
                !(names_voter && names_secret) || eligible_list && !any_token,
                "{} linked to their ballot: {text}",
                NAMES[who]
            );
        }
    }

    // Tampering in the database: each change makes the re-exported protocol fail.
    let (_, bob_seq) = seqs[0];
    for trigger in ["audit_entries_no_update"] {
        sqlx::raw_sql(&format!("DROP TRIGGER {trigger}"))
            .execute(&owner)
            .await
            .unwrap();
    }
    let cases = [
        format!(
            "UPDATE audit_entries SET entry = replace(entry, '\"text\":\"yes\"', '\"text\":\"no\"') WHERE seq = {bob_seq}"
        ),
        format!(
            "UPDATE audit_entries SET entry = replace(entry, 'yes 1', 'yes 2') WHERE action = 'vote.close' AND entry LIKE '%{vote}%'"
        ),
        format!(
            "UPDATE votes SET signature = replace(signature, substr(signature, -8, 4), 'AAAA') WHERE id = '{vote}'"
        ),
    ];
    let before: Vec<(i64, String)> = sqlx::query_as("SELECT seq, entry FROM audit_entries")
        .fetch_all(&owner)
        .await
        .unwrap();
    let signature: String = sqlx::query_scalar("SELECT signature FROM votes WHERE id = $1")
        .bind(&vote)
        .fetch_one(&owner)
        .await
        .unwrap();
    for sql in cases {
        let changed = sqlx::raw_sql(&sql)
            .execute(&owner)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(changed, 1, "{sql}");
        let tampered = b.protocol(&vote).await;
        let error = verify_protocol(&tampered, &[]).expect_err(&sql);
        assert!(!error.to_string().is_empty());
        println!("{sql}\n  → {error}");
        if let Some((code, said)) = python_verdict(&tampered) {
            assert_eq!(code, 1, "the Python verifier refuses it too: {said}");
            println!("  → python: {}", said.trim());
        }
        // Restore, so each case is detected on its own.
        for (seq, entry) in &before {
            sqlx::query("UPDATE audit_entries SET entry = $1 WHERE seq = $2")
                .bind(entry)
                .bind(seq)
                .execute(&owner)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE votes SET signature = $1 WHERE id = $2")
            .bind(&signature)
            .bind(&vote)
            .execute(&owner)
            .await
            .unwrap();
        verify_protocol(&b.protocol(&vote).await, &[]).unwrap();
    }
    std::io::stdout().flush().unwrap();
}

/// The independent Python verifier (tools/vote-verify) on a protocol: its exit code and
/// output. Run where scripts/test installed its package (`PLENUM_REQUIRE_PY_VERIFIER=1`);
/// the vote crate's own tests say loudly when Python is missing elsewhere.
fn python_verdict(protocol: &Protocol) -> Option<(i32, String)> {
    if std::env::var("PLENUM_REQUIRE_PY_VERIFIER").as_deref() != Ok("1") {
        return None;
    }
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("db-tampered-protocol.json");
    std::fs::write(&path, serde_json::to_vec(protocol).unwrap()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/vote-verify/plenum_vote_verify.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 runs the verifier");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.code().unwrap_or(-1), said))
}
