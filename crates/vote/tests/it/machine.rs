//! The state machine alone.

use crate::fixture::{T0, spec};
use plenum_vote::{
    BallotError, BallotRecord, CloseReason, CloseRecord, EndError, Mode, NotPending, Options,
    SpecError, Vote, VoteEvent, VoteOption, VoteState,
};

fn roll_call() -> Vote {
    Vote::open(spec(Mode::RollCall), T0, &[]).unwrap()
}

fn pseudonymous() -> Vote {
    let secrets: Vec<[u8; 16]> = (1..=3u8).map(|i| [i; 16]).collect();
    Vote::open(spec(Mode::Pseudonymous), T0, &secrets).unwrap()
}

/// Casts a ballot and commits it as recorded at once; the close it brought, if any.
fn recorded(vote: &mut Vote, voter: &str, option: &str, now: u64) -> Option<CloseRecord> {
    vote.cast(voter, option, now).unwrap();
    vote.commit(voter, now).unwrap()
}

fn counts(vote: &Vote) -> Vec<u64> {
    vote.tally().iter().map(|t| t.count).collect()
}

#[test]
fn a_second_ballot_is_refused_and_the_first_stands() {
    let mut vote = roll_call();
    recorded(&mut vote, "u-anna", "yes", T0 + 1);
    assert_eq!(
        vote.cast("u-anna", "no", T0 + 2),
        Err(BallotError::AlreadyVoted)
    );
    assert_eq!(vote.tally()[0].count, 1);
    assert_eq!(vote.tally()[1].count, 0);
    assert_eq!(vote.participation(), (1, 3));
}

#[test]
fn unknown_options_and_ineligible_voters_are_refused_and_the_vote_goes_on() {
    let mut vote = roll_call();
    assert_eq!(
        vote.cast("u-anna", "maybe", T0 + 1),
        Err(BallotError::UnknownOption("maybe".to_owned()))
    );
    assert_eq!(
        vote.cast("guest-7", "yes", T0 + 1),
        Err(BallotError::NotEligible)
    );
    assert_eq!(vote.participation(), (0, 3));
    assert!(vote.cast("u-anna", "yes", T0 + 2).is_ok());
}

#[test]
fn a_ballot_counts_only_once_recorded_and_a_failed_one_may_be_cast_again() {
    let mut vote = roll_call();
    vote.cast("u-anna", "yes", T0 + 1).unwrap();
    assert_eq!(
        (counts(&vote), vote.participation()),
        (vec![0, 0, 0], (0, 3))
    );
    assert!(!vote.has_voted("u-anna"));
    // While its record is being appended, the voter cannot cast another.
    assert_eq!(
        vote.cast("u-anna", "no", T0 + 2),
        Err(BallotError::AlreadyVoted)
    );
    // The append failed: nothing counts, and the voter votes again.
    assert_eq!(vote.discard("u-anna", T0 + 3), Ok(None));
    assert_eq!(
        (counts(&vote), vote.participation()),
        (vec![0, 0, 0], (0, 3))
    );
    vote.cast("u-anna", "no", T0 + 4).unwrap();
    assert_eq!(vote.commit("u-anna", T0 + 5), Ok(None));
    assert_eq!(
        (counts(&vote), vote.participation()),
        (vec![0, 1, 0], (1, 3))
    );
    assert!(vote.has_voted("u-anna"));
    // Only a pending ballot can be committed or discarded, once.
    assert_eq!(vote.commit("u-anna", T0 + 6), Err(NotPending));
    assert_eq!(vote.discard("u-anna", T0 + 6), Err(NotPending));
    assert_eq!(vote.commit("u-ben", T0 + 6), Err(NotPending));
    assert_eq!(vote.commit("guest-7", T0 + 6), Err(NotPending));
    assert_eq!(counts(&vote), [0, 1, 0]);
}

#[test]
fn a_close_waits_for_pending_ballots_and_counts_only_the_recorded() {
    let mut vote = roll_call();
    vote.cast("u-anna", "yes", T0 + 1).unwrap();
    vote.cast("u-ben", "no", T0 + 2).unwrap();
    assert_eq!(vote.close(CloseReason::Moderator, T0 + 3), Ok(None));
    assert_eq!(
        *vote.state(),
        VoteState::Closing {
            reason: CloseReason::Moderator,
            at_ms: T0 + 3
        }
    );
    assert_eq!(
        vote.cast("u-cleo", "yes", T0 + 4),
        Err(BallotError::NotOpen)
    );
    assert_eq!(
        vote.close(CloseReason::Moderator, T0 + 4),
        Err(EndError::NotOpen)
    );
    assert_eq!(vote.commit("u-anna", T0 + 5), Ok(None));
    // Ben's append failed: the result comes with the last pending ballot, without his.
    let close = vote.discard("u-ben", T0 + 6).unwrap().unwrap();
    assert_eq!(close.reason, CloseReason::Moderator);
    assert_eq!((close.ballots, close.eligible), (1, 3));
    let tally: Vec<u64> = close.tally.iter().map(|t| t.count).collect();
    assert_eq!(tally, [1, 0, 0]);
    assert_eq!(
        *vote.state(),
        VoteState::Closed {
            reason: CloseReason::Moderator,
            at_ms: T0 + 3
        }
    );
}

#[test]
fn a_deadline_with_a_pending_ballot_closes_once_it_is_recorded() {
    let mut vote = roll_call();
    let deadline = vote.deadline().unwrap();
    vote.cast("u-anna", "yes", deadline - 1).unwrap();
    assert_eq!(vote.handle_timeout(deadline), None);
    // No timer is due any more; nobody else may vote.
    assert_eq!(vote.deadline(), None);
    assert_eq!(vote.handle_timeout(deadline + 1), None);
    assert_eq!(
        vote.cast("u-ben", "yes", deadline),
        Err(BallotError::NotOpen)
    );
    let close = vote.commit("u-anna", deadline + 2).unwrap().unwrap();
    assert_eq!(close.reason, CloseReason::Deadline);
    assert_eq!(close.ballots, 1);
}

#[test]
fn a_cancel_drops_pending_ballots() {
    let mut vote = roll_call();
    vote.cast("u-anna", "yes", T0 + 1).unwrap();
    vote.cancel("Wrong agenda item", T0 + 2).unwrap();
    assert_eq!(vote.commit("u-anna", T0 + 3), Err(NotPending));
    // A close that waits for ballots can still be cancelled.
    let mut vote = roll_call();
    vote.cast("u-anna", "yes", T0 + 1).unwrap();
    assert_eq!(vote.close(CloseReason::Moderator, T0 + 2), Ok(None));
    assert!(vote.cancel("Wrong agenda item", T0 + 3).is_ok());
    assert_eq!(vote.discard("u-anna", T0 + 4), Err(NotPending));
}

#[test]
fn nothing_is_accepted_after_close() {
    let mut vote = roll_call();
    recorded(&mut vote, "u-anna", "yes", T0 + 1);
    let close = vote.close(CloseReason::Moderator, T0 + 2).unwrap().unwrap();
    assert_eq!((close.ballots, close.eligible), (1, 3));
    assert_eq!(vote.cast("u-ben", "no", T0 + 3), Err(BallotError::NotOpen));
    assert_eq!(
        vote.close(CloseReason::Moderator, T0 + 4),
        Err(EndError::NotOpen)
    );
    assert_eq!(vote.cancel("too late", T0 + 4), Err(EndError::NotOpen));
}

#[test]
fn the_last_eligible_ballot_closes_the_vote() {
    let mut vote = roll_call();
    assert!(recorded(&mut vote, "u-anna", "yes", T0 + 1).is_none());
    assert!(recorded(&mut vote, "u-ben", "no", T0 + 2).is_none());
    let close = recorded(&mut vote, "u-cleo", "yes", T0 + 3).unwrap();
    assert_eq!(close.reason, CloseReason::AllVoted);
    let counts: Vec<u64> = close.tally.iter().map(|t| t.count).collect();
    assert_eq!(counts, [2, 1, 0]);
    assert_eq!(
        *vote.state(),
        VoteState::Closed {
            reason: CloseReason::AllVoted,
            at_ms: T0 + 3
        }
    );
}

#[test]
fn the_deadline_closes_the_vote_and_refuses_late_ballots() {
    let mut vote = roll_call();
    let deadline = vote.deadline().unwrap();
    assert_eq!(deadline, T0 + 600_000);
    assert!(vote.handle_timeout(deadline - 1).is_none());
    // A ballot at the deadline is late even before the timer has run.
    assert_eq!(
        vote.cast("u-anna", "yes", deadline),
        Err(BallotError::NotOpen)
    );
    let close = vote.handle_timeout(deadline).unwrap();
    assert_eq!(close.reason, CloseReason::Deadline);
    assert_eq!(vote.deadline(), None);
    assert!(vote.handle_timeout(deadline + 1).is_none());
}

#[test]
fn a_cancel_records_its_reason_and_refuses_a_bad_one() {
    let mut vote = roll_call();
    assert_eq!(vote.cancel("", T0 + 1), Err(EndError::Reason));
    assert_eq!(vote.cancel(&"x".repeat(501), T0 + 1), Err(EndError::Reason));
    assert_eq!(vote.cancel("two\nlines", T0 + 1), Err(EndError::Reason));
    let record = vote.cancel("Wrong agenda item", T0 + 1).unwrap();
    assert_eq!(record.reason, "Wrong agenda item");
    assert_eq!(
        vote.cast("u-anna", "yes", T0 + 2),
        Err(BallotError::NotOpen)
    );
    let details = VoteEvent::Cancel(record).details();
    assert_eq!(details[1], ("reason", "Wrong agenda item".to_owned()));
}

#[test]
fn abstain_can_be_disabled() {
    let mut spec = spec(Mode::RollCall);
    spec.options = Options::YesNo { abstain: false };
    let mut vote = Vote::open(spec, T0, &[]).unwrap();
    let ids: Vec<&str> = vote.options().iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["yes", "no"]);
    assert_eq!(
        vote.cast("u-anna", "abstain", T0 + 1),
        Err(BallotError::UnknownOption("abstain".to_owned()))
    );
}

#[test]
fn custom_options_are_validated() {
    let with = |options: Vec<VoteOption>| {
        let mut spec = spec(Mode::RollCall);
        spec.options = Options::Custom(options);
        Vote::open(spec, T0, &[]).map(|_| ())
    };
    let option = VoteOption::new;
    assert_eq!(with(vec![option("a", "A")]), Err(SpecError::OptionCount));
    assert_eq!(
        with(vec![option("a", "A"), option("a", "B")]),
        Err(SpecError::DuplicateOptionId("a".to_owned()))
    );
    assert_eq!(
        with(vec![option("a", "Same"), option("b", "Same")]),
        Err(SpecError::DuplicateOptionLabel("Same".to_owned()))
    );
    assert_eq!(
        with(vec![option("A b", "x"), option("c", "y")]),
        Err(SpecError::OptionId("A b".to_owned()))
    );
    assert!(
        with(vec![
            option("north", "Nordflügel"),
            option("south", "Südflügel")
        ])
        .is_ok()
    );
    let many = (0..21)
        .map(|i| option(&format!("o{i}"), &format!("O{i}")))
        .collect();
    assert_eq!(with(many), Err(SpecError::OptionCount));
}

#[test]
fn subjects_voters_and_durations_are_validated() {
    let mut bad = spec(Mode::RollCall);
    bad.subject = "a\nb".to_owned();
    assert_eq!(Vote::open(bad, T0, &[]).err(), Some(SpecError::Subject));
    let mut bad = spec(Mode::RollCall);
    bad.subject = "x".repeat(501);
    assert_eq!(Vote::open(bad, T0, &[]).err(), Some(SpecError::Subject));
    let mut bad = spec(Mode::RollCall);
    bad.eligible.push(bad.eligible[0].clone());
    assert_eq!(
        Vote::open(bad, T0, &[]).err(),
        Some(SpecError::DuplicateVoter("u-anna".to_owned()))
    );
    let mut bad = spec(Mode::RollCall);
    bad.eligible.clear();
    assert_eq!(
        Vote::open(bad, T0, &[]).err(),
        Some(SpecError::EligibleCount)
    );
    let mut bad = spec(Mode::RollCall);
    bad.duration_ms = Some(0);
    assert_eq!(Vote::open(bad, T0, &[]).err(), Some(SpecError::Duration));
    assert_eq!(
        Vote::open(spec(Mode::Pseudonymous), T0, &[[1; 16]]).err(),
        Some(SpecError::TokenSecrets {
            expected: 3,
            found: 1
        })
    );
    assert_eq!(
        Vote::open(spec(Mode::Pseudonymous), T0, &[[1; 16]; 3]).err(),
        Some(SpecError::DuplicateToken)
    );
}

#[test]
fn pseudonymous_records_and_entries_carry_no_voter() {
    let mut vote = pseudonymous();
    let token = vote.token_of("u-ben").unwrap().to_owned();
    assert_eq!(token, "02".repeat(16));
    let ballot = vote.cast("u-ben", "no", T0 + 1).unwrap();
    assert_eq!(
        ballot,
        BallotRecord::Pseudonymous {
            vote_id: "v-1".to_owned(),
            token: token.clone(),
            option: "no".to_owned()
        }
    );
    let user = plenum_audit::Actor {
        kind: plenum_audit::ActorKind::User,
        id: plenum_audit::Value::text("u-ben"),
    };
    let entry = VoteEvent::Ballot(ballot).entry(5, T0 + 1, "default", "m-1", user);
    let text = serde_json::to_string(&entry).unwrap();
    assert!(!text.contains("u-ben") && !text.contains("Ben"), "{text}");
    assert_eq!(entry.actor, plenum_vote::event::system_actor());
    assert!(entry.source.is_none() && entry.request_id.is_none());
    // The link is forgotten when the vote ends.
    vote.commit("u-ben", T0 + 2).unwrap();
    vote.close(CloseReason::Moderator, T0 + 2).unwrap();
    assert_eq!(vote.token_of("u-ben"), None);
}

#[test]
fn entries_parse_back_to_their_records() {
    let mut vote = roll_call();
    let open = VoteEvent::Open(vote.open_record().clone());
    let ballot = VoteEvent::Ballot(vote.cast("u-ben", "abstain", T0 + 1).unwrap());
    vote.commit("u-ben", T0 + 1).unwrap();
    let close = vote.close(CloseReason::Moderator, T0 + 2).unwrap();
    let close = VoteEvent::Close(close.unwrap());
    let actor = plenum_vote::event::system_actor();
    for event in [open, ballot, close] {
        let entry = event.entry(1, T0, "default", "m-1", actor.clone());
        assert_eq!(VoteEvent::from_entry(&entry).unwrap(), event);
    }
}
