//! Brute-force protection (SEC-08): failed logins lock the account and the source for a
//! while; the clock is moved, never slept on.

use crate::common::{ALICE_PASSWORD, Answer, Req, TestApp};
use axum::http::StatusCode;
use plenum_audit::Entry;
use serde_json::json;
use std::time::Duration;

const ATTACKER: &str = "198.51.100.7:40000";
const ALICE_AT_HOME: &str = "203.0.113.9:50000";
const MINUTE: Duration = Duration::from_secs(60);

async fn attempt(app: &TestApp, username: &str, password: &str, from: &str) -> Answer {
    app.send(
        Req::post("/api/v1/auth/login")
            .peer(from)
            .json(json!({ "username": username, "password": password })),
    )
    .await
}

/// The `auth.lockout` entries of the trail with this scope.
async fn lockouts(app: &TestApp, scope: &str) -> Vec<Entry> {
    let entries = app.state.store.audit_entries(0, 10_000).await.unwrap();
    entries
        .into_iter()
        .map(|b| b.entry)
        .filter(|e| e.action == "auth.lockout")
        .filter(|e| {
            e.details.iter().any(|d| {
                d.key == "scope" && matches!(&d.value, plenum_audit::Value::Text(t) if t == scope)
            })
        })
        .collect()
}

/// Asserts `Retry-After` is `expected` seconds, less the few seconds the requests took in
/// real time (the clock moves with the wall clock between jumps).
#[track_caller]
fn assert_retry_after(answer: &Answer, expected: u64) {
    let seconds = retry_after(answer);
    assert!(
        (expected.saturating_sub(15)..=expected).contains(&seconds),
        "Retry-After {seconds}, expected about {expected}: {answer:?}"
    );
}

fn retry_after(answer: &Answer) -> u64 {
    answer
        .header("retry-after")
        .parse()
        .unwrap_or_else(|_| panic!("no Retry-After in {answer:?}"))
}

#[tokio::test]
async fn five_failures_within_ten_minutes_lock_the_account_until_the_lock_ends() {
    let app = TestApp::new().await;
    // Four failures spread over nine minutes: still open.
    for i in 0..4 {
        if i > 0 {
            app.state.clock.advance(3 * MINUTE);
        }
        let answer = attempt(&app, "alice", "wrong", ATTACKER).await;
        answer.assert_problem(401, "invalid_credentials");
        assert!(answer.header("retry-after").is_empty(), "{answer:?}");
    }
    // 9 min 30 s after the first (leaving slack for the real time the requests take):
    // the fifth failure locks.
    app.state.clock.advance(Duration::from_secs(30));
    let fifth = attempt(&app, "alice", "wrong", ATTACKER).await;
    fifth.assert_problem(401, "invalid_credentials");
    assert_retry_after(&fifth, 15 * 60);
    assert_eq!(lockouts(&app, "account").await.len(), 1);
    assert_eq!(lockouts(&app, "source").await.len(), 1);

    // Locked: even the right password, from another address, is answered exactly like a
    // wrong one, with Retry-After: the account's remaining 5 minutes.
    let locked = attempt(&app, "alice", ALICE_PASSWORD, ALICE_AT_HOME).await;
    locked.assert_problem(401, "invalid_credentials");
    assert_retry_after(&locked, 5 * 60);
    assert!(locked.header("set-cookie").is_empty());
    // Attempts during the lock change nothing: no further event, no longer lock.
    for _ in 0..10 {
        let again = attempt(&app, "alice", "wrong", ALICE_AT_HOME).await;
        again.assert_problem(401, "invalid_credentials");
    }
    app.state.clock.advance(MINUTE);
    assert_retry_after(
        &attempt(&app, "alice", "wrong", ALICE_AT_HOME).await,
        4 * 60,
    );
    assert_eq!(
        lockouts(&app, "account").await.len(),
        1,
        "one event per lock"
    );

    // Other accounts are not affected.
    let bob = attempt(&app, "bob", crate::common::BOB_PASSWORD, ALICE_AT_HOME).await;
    assert_eq!(bob.status, StatusCode::OK, "{bob:?}");

    // After the lock period the right password works again.
    app.state.clock.advance(4 * MINUTE);
    let after = attempt(&app, "alice", ALICE_PASSWORD, ALICE_AT_HOME).await;
    assert_eq!(after.status, StatusCode::OK, "{after:?}");
}

#[tokio::test]
async fn failures_spread_wider_than_the_window_never_lock() {
    let app = TestApp::new().await;
    for _ in 0..12 {
        attempt(&app, "alice", "wrong", ATTACKER)
            .await
            .assert_problem(401, "invalid_credentials");
        app.state.clock.advance(3 * MINUTE);
    }
    // 12 failures, but never more than 4 within 10 minutes.
    let ok = attempt(&app, "alice", ALICE_PASSWORD, ATTACKER).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    assert!(lockouts(&app, "account").await.is_empty());
}

#[tokio::test]
async fn unknown_accounts_lock_exactly_like_known_ones() {
    let app = TestApp::new().await;
    let mut answers = Vec::new();
    // Each name guessed from its own address, then tried from a fresh one, so only the
    // account lock shows.
    for (name, guesser, fresh) in [
        ("alice", "192.0.2.1:1", "192.0.2.2:1"),
        ("nobody", "192.0.2.3:1", "192.0.2.4:1"),
    ] {
        for _ in 0..5 {
            attempt(&app, name, "wrong", guesser).await;
        }
        answers.push(attempt(&app, name, "wrong", fresh).await);
    }
    for answer in &answers {
        answer.assert_problem(401, "invalid_credentials");
        assert_retry_after(answer, 5 * 60);
    }
    assert_eq!(answers[0].body, answers[1].body);
}

#[tokio::test]
async fn one_address_cannot_keep_an_account_locked() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        attempt(&app, "alice", "wrong", ATTACKER).await;
    }
    // The account opens after 5 minutes; the attacker's address is still locked, its
    // attempts are refused without counting, and Alice logs in from home.
    app.state.clock.advance(5 * MINUTE + Duration::from_secs(1));
    for _ in 0..10 {
        let refused = attempt(&app, "alice", "wrong", ATTACKER).await;
        refused.assert_problem(401, "invalid_credentials");
        assert!(retry_after(&refused) > 0);
    }
    let home = attempt(&app, "alice", ALICE_PASSWORD, ALICE_AT_HOME).await;
    assert_eq!(home.status, StatusCode::OK, "{home:?}");

    // A whole day of one wrong guess a minute from that address: each lock of the
    // address outlasts the account's by more, so the account's free periods grow and
    // the account is locked only a small part of the day.
    let mut locked_minutes = 0u32;
    let mut free_runs = Vec::new();
    let mut free_run = 0u32;
    for _ in 0..(24 * 60) {
        app.state.clock.advance(MINUTE);
        attempt(&app, "alice", "wrong", ATTACKER).await;
        let now = app.state.clock.now();
        let locked = app
            .state
            .store
            .login_locked_until("account:alice", now)
            .await
            .unwrap()
            .is_some();
        if locked {
            locked_minutes += 1;
            if free_run > 0 {
                free_runs.push(free_run);
            }
            free_run = 0;
        } else {
            free_run += 1;
        }
    }
    // The last free period is cut short by the end of the day.
    let last = free_run;
    assert!(
        locked_minutes * 10 < 24 * 60,
        "locked {locked_minutes} of 1440 minutes"
    );
    assert!(
        free_runs.windows(2).all(|w| w[1] > w[0]),
        "free periods must grow: {free_runs:?} then {last}"
    );
    assert!(
        last >= 7 * 60 && free_runs.last().is_some_and(|l| *l >= 7 * 60),
        "{free_runs:?} then {last}"
    );
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_locked_itself() {
    let app = TestApp::new().await;
    for name in ["a1", "a2", "a3", "a4", "a5"] {
        attempt(&app, name, "guess", ATTACKER).await;
    }
    assert_eq!(lockouts(&app, "source").await.len(), 1);
    // Now even a right password from that address is refused, and bob's account is
    // untouched for everyone else.
    let refused = attempt(&app, "bob", crate::common::BOB_PASSWORD, ATTACKER).await;
    refused.assert_problem(401, "invalid_credentials");
    assert_retry_after(&refused, 15 * 60);
    let elsewhere = attempt(&app, "bob", crate::common::BOB_PASSWORD, ALICE_AT_HOME).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{elsewhere:?}");
}

#[tokio::test]
async fn thresholds_and_lock_lengths_are_configurable() {
    let app = TestApp::with_config(&[
        ("security.max_failures", "2"),
        ("security.source_max_failures", "2"),
        ("security.account_lock", "1m"),
        ("security.source_lock", "2m"),
    ])
    .await;
    attempt(&app, "alice", "wrong", ATTACKER).await;
    let second = attempt(&app, "alice", "wrong", ATTACKER).await;
    assert_retry_after(&second, 120);
    app.state.clock.advance(MINUTE);
    let ok = attempt(&app, "alice", ALICE_PASSWORD, ALICE_AT_HOME).await;
    assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
}
