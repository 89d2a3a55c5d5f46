//! Contract tests of the `votes` table: a vote opens, closes or is cancelled once, is sealed
//! once (or, when sealing failed, cancelled after its close), lists per meeting in opening
//! order, and open votes of a restarted meeting are marked interrupted.

use super::TestStore;
use plenum_protocol::vote::VoteMode;
use plenum_protocol::{DEFAULT_TENANT, MeetingId, VoteId};
use plenum_store::{NewVote, StoreError, VoteSeal, VoteState};
use time::Duration;

contract!(
    a_vote_opens_closes_and_is_sealed_once,
    a_closed_vote_that_could_not_be_sealed_is_cancelled_once,
    votes_list_per_meeting_and_open_ones_are_interrupted,
    retention_removes_ended_votes_only,
);

fn new_vote(meeting: MeetingId, minutes: i64, mode: VoteMode) -> NewVote {
    NewVote {
        id: VoteId::random(),
        tenant_id: DEFAULT_TENANT.to_owned(),
        meeting_id: meeting,
        subject: format!("motion {minutes}"),
        mode,
        opened_at: super::t0() + Duration::minutes(minutes),
    }
}

async fn open(s: &TestStore, vote: &NewVote) {
    let mut tx = s.begin().await.unwrap();
    tx.insert_vote(vote).await.unwrap();
    tx.commit().await.unwrap();
}

async fn a_vote_opens_closes_and_is_sealed_once(s: &TestStore) {
    let owner = super::user(s, "ada").await;
    let meeting = super::meeting(s, owner, "Board").await;
    let vote = new_vote(meeting, 0, VoteMode::Pseudonymous);
    open(s, &vote).await;
    let stored = s.vote(vote.id).await.unwrap();
    assert_eq!(stored.state, VoteState::Open);
    assert_eq!(stored.mode, VoteMode::Pseudonymous);
    assert_eq!(stored.subject, vote.subject);
    assert_eq!(stored.opened_at, vote.opened_at);
    assert!(stored.entry_seqs.is_empty());
    assert_eq!(stored.seal, None);
    let seal = VoteSeal {
        checkpoint_size: 12,
        key_seq: 1,
        summary: "{}".into(),
        statement: "plenum vote result\n".into(),
        signature: "— key AAAA\n".into(),
        proofs: Some(r#"[{"seq":4,"proof":[]}]"#.into()),
    };
    // Only a closed vote is sealed.
    assert!(matches!(
        s.seal_vote(vote.id, &seal).await,
        Err(StoreError::NotFound)
    ));
    let closed_at = vote.opened_at + Duration::minutes(3);
    let mut tx = s.begin().await.unwrap();
    tx.finish_vote(vote.id, VoteState::Closed, closed_at, &[4, 6, 9])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A vote ends once: a second close or a cancel finds no open vote.
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(
        tx.finish_vote(vote.id, VoteState::Cancelled, closed_at, &[4])
            .await,
        Err(StoreError::NotFound)
    ));
    tx.rollback().await.unwrap();
    s.seal_vote(vote.id, &seal).await.unwrap();
    assert!(matches!(
        s.seal_vote(vote.id, &seal).await,
        Err(StoreError::NotFound)
    ));
    let stored = s.vote(vote.id).await.unwrap();
    assert_eq!(stored.state, VoteState::Closed);
    assert_eq!(stored.closed_at, Some(closed_at));
    assert_eq!(stored.entry_seqs, vec![4, 6, 9]);
    assert_eq!(stored.seal, Some(seal));
    assert!(matches!(
        s.vote(VoteId::random()).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_closed_vote_that_could_not_be_sealed_is_cancelled_once(s: &TestStore) {
    let owner = super::user(s, "ada").await;
    let meeting = super::meeting(s, owner, "Board").await;
    let unsealed = new_vote(meeting, 0, VoteMode::RollCall);
    let sealed = new_vote(meeting, 1, VoteMode::RollCall);
    for vote in [&unsealed, &sealed] {
        open(s, vote).await;
    }
    let cancel = |id, seqs: &'static [u64]| async move {
        let mut tx = s.begin().await.unwrap();
        let result = tx.cancel_unsealed_vote(id, seqs).await;
        tx.commit().await.unwrap();
        result
    };
    // Only a closed vote is cancelled this way.
    assert!(matches!(
        cancel(unsealed.id, &[1]).await,
        Err(StoreError::NotFound)
    ));
    let closed_at = super::t0() + Duration::minutes(2);
    let mut tx = s.begin().await.unwrap();
    tx.finish_vote(unsealed.id, VoteState::Closed, closed_at, &[1, 2])
        .await
        .unwrap();
    tx.finish_vote(sealed.id, VoteState::Closed, closed_at, &[3, 4])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A seal from before the proofs were kept reads back without them.
    let seal = VoteSeal {
        checkpoint_size: 5,
        key_seq: 0,
        summary: "{}".into(),
        statement: "plenum vote result\n".into(),
        signature: "— key AAAA\n".into(),
        proofs: None,
    };
    s.seal_vote(sealed.id, &seal).await.unwrap();
    assert_eq!(s.vote(sealed.id).await.unwrap().seal, Some(seal));
    assert!(matches!(
        cancel(sealed.id, &[3, 4, 5]).await,
        Err(StoreError::NotFound)
    ));

    cancel(unsealed.id, &[1, 2, 6]).await.unwrap();
    let stored = s.vote(unsealed.id).await.unwrap();
    assert_eq!(stored.state, VoteState::Cancelled);
    assert_eq!(stored.entry_seqs, vec![1, 2, 6]);
    assert_eq!(stored.closed_at, Some(closed_at));
    assert_eq!(stored.seal, None);
    assert!(matches!(
        cancel(unsealed.id, &[1, 2, 6, 7]).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.vote(sealed.id).await.unwrap().state, VoteState::Closed);
}

async fn votes_list_per_meeting_and_open_ones_are_interrupted(s: &TestStore) {
    let owner = super::user(s, "ada").await;
    let board = super::meeting(s, owner, "Board").await;
    let council = super::meeting(s, owner, "Council").await;
    let later = new_vote(board, 5, VoteMode::RollCall);
    let earlier = new_vote(board, 1, VoteMode::Pseudonymous);
    let elsewhere = new_vote(council, 2, VoteMode::RollCall);
    for vote in [&later, &earlier, &elsewhere] {
        open(s, vote).await;
    }
    let mut tx = s.begin().await.unwrap();
    tx.finish_vote(earlier.id, VoteState::Cancelled, super::t0(), &[1, 2])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let listed: Vec<_> = s
        .votes_of_meeting(board)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v.state))
        .collect();
    assert_eq!(
        listed,
        vec![
            (earlier.id, VoteState::Cancelled),
            (later.id, VoteState::Open)
        ]
    );
    assert_eq!(s.interrupt_open_votes(board, super::t0()).await.unwrap(), 1);
    assert_eq!(
        s.vote(later.id).await.unwrap().state,
        VoteState::Interrupted
    );
    assert_eq!(
        s.vote(earlier.id).await.unwrap().state,
        VoteState::Cancelled
    );
    assert_eq!(s.vote(elsewhere.id).await.unwrap().state, VoteState::Open);
}

async fn retention_removes_ended_votes_only(s: &TestStore) {
    let owner = super::user(s, "ada").await;
    let board = super::meeting(s, owner, "Board").await;
    let old = new_vote(board, 0, VoteMode::RollCall);
    let recent = new_vote(board, 10, VoteMode::RollCall);
    let still_open = new_vote(board, 1, VoteMode::Pseudonymous);
    for vote in [&old, &recent, &still_open] {
        open(s, vote).await;
    }
    let mut tx = s.begin().await.unwrap();
    tx.finish_vote(
        old.id,
        VoteState::Closed,
        super::t0() + Duration::minutes(2),
        &[1],
    )
    .await
    .unwrap();
    tx.finish_vote(
        recent.id,
        VoteState::Cancelled,
        super::t0() + Duration::minutes(12),
        &[2],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let horizon = super::t0() + Duration::minutes(5);
    assert_eq!(s.remove_votes_ended_before(horizon).await.unwrap(), 1);
    assert!(matches!(s.vote(old.id).await, Err(StoreError::NotFound)));
    assert_eq!(s.vote(recent.id).await.unwrap().state, VoteState::Cancelled);
    assert_eq!(s.vote(still_open.id).await.unwrap().state, VoteState::Open);
    assert_eq!(s.remove_votes_ended_before(horizon).await.unwrap(), 0);
}
