//! Formal votes in the room: who may vote, what everyone is told and when, and what the
//! server is asked to record (docs/signaling.md, "Votes"); what is announced and counted
//! follows what the server reports stored.

use crate::support::{Meeting, blank_error_texts, error, guest, join, user};
use plenum_protocol::signaling::{ClientMessage, ErrorCode, ServerMessage};
use plenum_protocol::vote::{
    PublishedBallot, VoteCheckpoint, VoteCloseReason, VoteMode, VoteOpen, VoteOpened,
};
use plenum_protocol::{UserId, VoteId};
use plenum_room::{ConnectionId, RecordedEntry, RoomOutput, VoteOutput};
use plenum_vote::{BallotRecord, VoteEvent};
use std::time::Duration;

/// A meeting with votes enabled (tokens from a counter, so they are distinct) and the owner
/// (1), two users (2, 3) and a guest (4) joined.
fn board() -> (Meeting, [UserId; 4]) {
    let mut meeting = Meeting::new(false);
    let mut counter = 0u8;
    meeting.room.enable_votes(
        "default".into(),
        Box::new(move |bytes: &mut [u8]| {
            counter += 1;
            bytes.fill(counter);
        }),
    );
    let people = [
        meeting.owner(),
        user("Ben"),
        user("Cleo"),
        guest("Gina", "inv"),
    ];
    let subjects = people.clone().map(|p| p.subject);
    for (conn, identity) in (1..).zip(people) {
        meeting.join(conn, identity);
        meeting.drain();
    }
    (meeting, subjects)
}

fn open_request(mode: VoteMode) -> ClientMessage {
    ClientMessage::VoteOpen(VoteOpen {
        subject: "Adopt the budget".into(),
        options: None,
        allow_abstain: true,
        mode,
        duration_s: None,
        include_guests: false,
    })
}

fn ballot(vote_id: VoteId, option: &str) -> ClientMessage {
    ClientMessage::VoteBallot {
        vote_id,
        option: option.into(),
    }
}

/// Every message sent to `conn`.
fn to(outputs: &[RoomOutput], conn: u64) -> Vec<ServerMessage> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Send { to, message } if *to == ConnectionId(conn) => {
                Some(message.message.clone())
            }
            _ => None,
        })
        .collect()
}

fn records(outputs: &[RoomOutput]) -> Vec<VoteOutput> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Vote(output) => Some(output.clone()),
            _ => None,
        })
        .collect()
}

fn opened(messages: &[ServerMessage]) -> VoteOpened {
    messages
        .iter()
        .find_map(|m| match m {
            ServerMessage::VoteOpened(opened) => Some(opened.clone()),
            _ => None,
        })
        .expect("vote.opened")
}

/// The server reports the append of `output`: stored as `seq`, or not (`None`).
fn report(m: &mut Meeting, output: &VoteOutput, seq: Option<u64>) -> Vec<RoomOutput> {
    let entry = output.report.expect("the room waits for this entry");
    m.room
        .handle_vote_recorded(output.vote_id, entry, seq, m.now);
    blank_error_texts(m.drain())
}

/// `request` by conn 1 (txn `o`), its opening stored: the announcement and the vote's id.
fn open_stored(m: &mut Meeting, request: ClientMessage) -> (Vec<RoomOutput>, VoteId) {
    let out = m.msg(1, Some("o"), request);
    let recorded = records(&out);
    assert_eq!(recorded.len(), 1, "{out:?}");
    let out = report(m, &recorded[0], Some(1));
    let vote_id = opened(&to(&out, 1)).vote_id;
    (out, vote_id)
}

/// `conn`'s ballot, stored as `seq`: what everyone is told.
fn ballot_stored(
    m: &mut Meeting,
    conn: u64,
    vote_id: VoteId,
    option: &str,
    seq: u64,
) -> Vec<RoomOutput> {
    let recorded = records(&m.msg(conn, None, ballot(vote_id, option)));
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    report(m, &recorded[0], Some(seq))
}

fn not_recorded(to: u64, txn: Option<&str>) -> RoomOutput {
    error(to, txn, ErrorCode::VoteNotRecorded)
}

fn checkpoint() -> VoteCheckpoint {
    VoteCheckpoint {
        size: 42,
        root: "ab".repeat(32),
    }
}

#[test]
fn roll_call_vote_runs_from_open_to_sealed_result() {
    let (mut m, [owner, ben, cleo, _gina]) = board();
    let out = m.msg(1, Some("o"), open_request(VoteMode::RollCall));
    let recorded = records(&out);
    assert_eq!(recorded.len(), 1);
    let VoteEvent::Open(open) = &recorded[0].event else {
        panic!("{recorded:?}");
    };
    assert_eq!(recorded[0].by, Some(owner));
    assert_eq!(recorded[0].report, Some(RecordedEntry::Open));
    // Nobody hears of the vote before its opening is stored.
    assert_eq!(out.len(), 1, "{out:?}");
    let names: Vec<&str> = open.eligible.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        ["Olga Owner", "Ben", "Cleo"],
        "the guest is not eligible"
    );
    let options: Vec<&str> = open.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(options, ["yes", "no", "abstain"]);
    let out = report(&mut m, &recorded[0], Some(5));
    // Everyone learns of it, each with whether it may vote; the sender's copy answers.
    for conn in 1..=4 {
        let opened = opened(&to(&out, conn));
        assert_eq!(opened.can_vote, conn != 4, "conn {conn}");
        assert_eq!(opened.eligible, ["Olga Owner", "Ben", "Cleo"]);
        assert_eq!(opened.deadline, None);
    }
    let first = out
        .iter()
        .find(|o| matches!(o, RoomOutput::Send { to, .. } if *to == ConnectionId(1)));
    assert!(
        matches!(first, Some(RoomOutput::Send { message, .. }) if message.txn.as_deref() == Some("o"))
    );
    let vote_id = opened(&to(&out, 1)).vote_id;
    // Roll-call votes send no tokens.
    assert!(
        !to(&out, 2)
            .iter()
            .any(|m| matches!(m, ServerMessage::VoteToken { .. }))
    );

    // A ballot is recorded by its voter; nothing is told before it is stored.
    let out = m.msg(2, Some("b"), ballot(vote_id, "yes"));
    let recorded = records(&out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(recorded[0].by, Some(ben));
    assert_eq!(recorded[0].report, Some(RecordedEntry::Ballot(ben)));
    assert!(
        matches!(&recorded[0].event, VoteEvent::Ballot(BallotRecord::RollCall { option, .. }) if option == "yes")
    );
    // Stored: the confirmation carries the seq and the request's txn; participation
    // (with names, never choices) to all.
    let out = report(&mut m, &recorded[0], Some(17));
    let accepted = ServerMessage::VoteBallotAccepted {
        vote_id,
        option: "yes".into(),
        seq: 17,
        token: None,
    };
    assert_eq!(out[0], crate::support::answer(2, "b", accepted));
    let participation = ServerMessage::VoteParticipation {
        vote_id,
        cast: 1,
        eligible: 3,
        voted: Some(vec!["Ben".into()]),
    };
    for conn in 1..=4 {
        let told = to(&out, conn);
        assert_eq!(told.last(), Some(&participation), "conn {conn}");
        assert_eq!(told.len(), if conn == 2 { 2 } else { 1 }, "conn {conn}");
    }

    // Refusals; the vote goes on.
    assert_eq!(
        m.msg(2, Some("x"), ballot(vote_id, "no")),
        [error(2, Some("x"), ErrorCode::VoteAlreadyVoted)]
    );
    assert_eq!(
        m.msg(3, None, ballot(vote_id, "maybe")),
        [error(3, None, ErrorCode::VoteUnknownOption)]
    );
    assert_eq!(
        m.msg(4, None, ballot(vote_id, "yes")),
        [error(4, None, ErrorCode::VoteNotEligible)]
    );
    assert_eq!(
        m.msg(3, None, ballot(VoteId::random(), "yes")),
        [error(3, None, ErrorCode::VoteUnknown)]
    );
    assert_eq!(
        m.msg(2, None, open_request(VoteMode::RollCall)),
        [error(2, None, ErrorCode::Forbidden)]
    );
    assert_eq!(
        m.msg(1, None, open_request(VoteMode::RollCall)),
        [error(1, None, ErrorCode::VoteAlreadyOpen)]
    );

    // The last eligible ballot closes the vote by itself once it is stored.
    ballot_stored(&mut m, 3, vote_id, "no", 18);
    let out = ballot_stored(&mut m, 1, vote_id, "yes", 19);
    let recorded = records(&out);
    assert_eq!(recorded.len(), 1);
    let VoteEvent::Close(close) = &recorded[0].event else {
        panic!("{recorded:?}");
    };
    assert_eq!(recorded[0].by, None, "an automatic close is the system's");
    assert_eq!(close.ballots, 3);
    let counts: Vec<u64> = close.tally.iter().map(|t| t.count).collect();
    assert_eq!(counts, [2, 1, 0]);
    // Nothing is published before the seal; ballots are refused as closed.
    assert!(!out.iter().any(|o| matches!(o, RoomOutput::Send { message, .. } if matches!(message.message, ServerMessage::VoteClosed(_)))));
    assert_eq!(
        m.msg(4, None, ballot(vote_id, "yes")),
        [error(4, None, ErrorCode::VoteClosed)]
    );

    m.room.handle_vote_sealed(vote_id, Some(checkpoint()));
    let out = m.drain();
    let results: Vec<ServerMessage> = (1..=4)
        .map(|c| to(&out, c))
        .map(|mut v| v.remove(0))
        .collect();
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "everyone gets the same result"
    );
    let ServerMessage::VoteClosed(result) = &results[0] else {
        panic!("{results:?}");
    };
    assert_eq!(result.reason, VoteCloseReason::AllVoted);
    assert_eq!(result.checkpoint, checkpoint());
    assert_eq!(
        result.ballots,
        [("Ben", "yes"), ("Cleo", "no"), ("Olga Owner", "yes")].map(|(name, option)| {
            PublishedBallot {
                name: Some(name.into()),
                token: None,
                option: option.into(),
            }
        })
    );
    // After the seal the id is a closed vote; a late joiner sees the result.
    assert_eq!(
        m.msg(2, None, ballot(vote_id, "no")),
        [error(2, None, ErrorCode::VoteClosed)]
    );
    m.connect(9, user("Dora"));
    let out = m.msg(9, None, join());
    assert_eq!(to(&out, 9)[1], results[0]);
    let _ = cleo;
}

#[test]
fn pseudonymous_tokens_are_private_and_survive_a_reconnect() {
    let (mut m, [_owner, ben, cleo, gina]) = board();
    let mut request = open_request(VoteMode::Pseudonymous);
    if let ClientMessage::VoteOpen(open) = &mut request {
        open.include_guests = true;
        open.options = Some(vec!["Plan A".into(), "Plan B".into()]);
        open.allow_abstain = false;
    }
    let (out, _) = open_stored(&mut m, request);
    let tokens: Vec<String> = (1..=4)
        .map(|conn| {
            let tokens: Vec<String> = to(&out, conn)
                .into_iter()
                .filter_map(|m| match m {
                    ServerMessage::VoteToken { token, .. } => Some(token),
                    _ => None,
                })
                .collect();
            assert_eq!(tokens.len(), 1, "exactly its own token to conn {conn}");
            tokens[0].clone()
        })
        .collect();
    assert!(tokens.iter().all(|t| t.len() == 32));
    let vote = opened(&to(&out, 4));
    assert!(vote.can_vote, "guests vote when included");
    let options: Vec<&str> = vote.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(options, ["1", "2"]);

    // A pseudonymous ballot names nobody: no actor, only its token.
    let out = m.msg(3, None, ballot(vote.vote_id, "2"));
    let recorded = records(&out);
    assert_eq!(recorded[0].by, None);
    assert_eq!(recorded[0].report, Some(RecordedEntry::Ballot(cleo)));
    assert!(
        matches!(&recorded[0].event, VoteEvent::Ballot(BallotRecord::Pseudonymous { token, .. }) if *token == tokens[2])
    );
    let out = report(&mut m, &recorded[0], Some(30));
    assert!(matches!(
        &to(&out, 1)[0],
        ServerMessage::VoteParticipation {
            cast: 1,
            voted: None,
            ..
        }
    ));

    // Cleo reconnects: same eligibility, token, ballot; no second ballot.
    m.disconnect(3);
    m.connect(13, user_as(cleo, "Cleo"));
    let out = m.msg(13, None, join());
    let snapshot = to(&out, 13);
    assert!(opened(&snapshot).can_vote);
    assert!(snapshot.contains(&ServerMessage::VoteToken {
        vote_id: vote.vote_id,
        token: tokens[2].clone()
    }));
    assert!(snapshot.contains(&ServerMessage::VoteBallotAccepted {
        vote_id: vote.vote_id,
        option: "2".into(),
        seq: 30,
        token: Some(tokens[2].clone()),
    }));
    assert_eq!(
        m.msg(13, None, ballot(vote.vote_id, "1")),
        [error(13, None, ErrorCode::VoteAlreadyVoted)]
    );
    // Someone who joined after the opening does not vote.
    m.connect(9, user("Dora"));
    let out = m.msg(9, None, join());
    assert!(!opened(&to(&out, 9)).can_vote);
    assert_eq!(
        m.msg(9, None, ballot(vote.vote_id, "1")),
        [error(9, None, ErrorCode::VoteNotEligible)]
    );

    // Closed by the moderator; the result lists tokens only.
    ballot_stored(&mut m, 2, vote.vote_id, "1", 31);
    ballot_stored(&mut m, 4, vote.vote_id, "1", 32);
    let out = m.msg(
        1,
        None,
        ClientMessage::VoteClose {
            vote_id: vote.vote_id,
        },
    );
    assert!(matches!(&records(&out)[0].event, VoteEvent::Close(c) if c.ballots == 3));
    m.room.handle_vote_sealed(vote.vote_id, Some(checkpoint()));
    let ServerMessage::VoteClosed(result) = to(&m.drain(), 2).remove(0) else {
        panic!("no result");
    };
    assert_eq!(result.reason, VoteCloseReason::Moderator);
    assert!(
        result
            .ballots
            .iter()
            .all(|b| b.name.is_none() && b.token.is_some())
    );
    let published: Vec<&str> = result
        .ballots
        .iter()
        .filter_map(|b| b.token.as_deref())
        .collect();
    assert_eq!(published, [&tokens[2], &tokens[1], &tokens[3]]);
    let _ = (ben, gina);
}

#[test]
fn deadline_cancel_and_refusals() {
    let (mut m, _) = board();
    let mut request = open_request(VoteMode::RollCall);
    if let ClientMessage::VoteOpen(open) = &mut request {
        open.duration_s = Some(60);
    }
    let (out, _) = open_stored(&mut m, request);
    let vote = opened(&to(&out, 2));
    assert!(vote.deadline.is_some());
    assert_eq!(m.room.poll_timeout(), Some(m.now + Duration::from_secs(60)));
    m.advance(Duration::from_secs(59));
    m.room.handle_timeout(m.now);
    assert!(m.drain().is_empty());
    m.advance(Duration::from_secs(1));
    m.room.handle_timeout(m.now);
    let out = m.drain();
    assert!(
        matches!(&records(&out)[0].event, VoteEvent::Close(c) if c.reason == plenum_vote::CloseReason::Deadline)
    );
    assert_eq!(m.room.poll_timeout(), None);
    m.room.handle_vote_sealed(vote.vote_id, Some(checkpoint()));
    m.drain();

    // A cancel needs a reason; it ends the vote without a result.
    let (_, vote_id) = open_stored(&mut m, open_request(VoteMode::Pseudonymous));
    let cancel = |reason: &str| ClientMessage::VoteCancel {
        vote_id,
        reason: reason.into(),
    };
    assert_eq!(
        m.msg(2, None, cancel("no")),
        [error(2, None, ErrorCode::Forbidden)]
    );
    assert_eq!(
        m.msg(1, None, cancel("")),
        [error(1, None, ErrorCode::BadMessage)]
    );
    let out = m.msg(1, None, cancel("wrong agenda item"));
    assert!(
        matches!(&records(&out)[0].event, VoteEvent::Cancel(c) if c.reason == "wrong agenda item")
    );
    assert!(to(&out, 3).contains(&ServerMessage::VoteCancelled {
        vote_id,
        reason: "wrong agenda item".into()
    }));
    assert_eq!(
        m.msg(2, None, ballot(vote_id, "yes")),
        [error(2, None, ErrorCode::VoteUnknown)]
    );
    // A malformed spec is refused by the vote's rules.
    let mut request = open_request(VoteMode::RollCall);
    if let ClientMessage::VoteOpen(open) = &mut request {
        open.options = Some(vec!["only one".into()]);
        open.allow_abstain = false;
    }
    assert_eq!(
        m.msg(1, None, request),
        [error(1, None, ErrorCode::BadMessage)]
    );
}

#[test]
fn a_room_without_votes_enabled_refuses_them() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    assert_eq!(
        m.msg(1, None, open_request(VoteMode::RollCall)),
        [error(1, None, ErrorCode::InvalidState)]
    );
}

#[test]
fn an_opening_that_could_not_be_stored_is_never_announced() {
    let (mut m, _) = board();
    let out = m.msg(1, Some("o"), open_request(VoteMode::Pseudonymous));
    let recorded = records(&out);
    let vote_id = recorded[0].vote_id;
    // While it is being stored: one vote at a time, and nobody can reach it.
    assert_eq!(
        m.msg(1, None, open_request(VoteMode::RollCall)),
        [error(1, None, ErrorCode::VoteAlreadyOpen)]
    );
    assert_eq!(
        m.msg(2, None, ballot(vote_id, "yes")),
        [error(2, None, ErrorCode::VoteUnknown)]
    );
    m.connect(9, user("Dora"));
    let out = m.msg(9, None, join());
    assert!(
        !to(&out, 9).iter().any(|m| matches!(
            m,
            ServerMessage::VoteOpened(_) | ServerMessage::VoteToken { .. }
        )),
        "{out:?}"
    );
    assert_eq!(m.room.poll_timeout(), None);
    // Not stored: the moderator is told (answering the request), nobody else hears of it.
    assert_eq!(
        report(&mut m, &recorded[0], None),
        [not_recorded(1, Some("o"))]
    );
    assert_eq!(
        m.msg(2, None, ballot(vote_id, "yes")),
        [error(2, None, ErrorCode::VoteUnknown)]
    );
    // The moderator opens it again.
    let (out, _) = open_stored(&mut m, open_request(VoteMode::RollCall));
    assert!(opened(&to(&out, 2)).can_vote);
}

#[test]
fn a_ballot_that_could_not_be_stored_does_not_count_and_may_be_cast_again() {
    let (mut m, [_owner, ben, _cleo, _gina]) = board();
    let (_, vote_id) = open_stored(&mut m, open_request(VoteMode::RollCall));
    let recorded = records(&m.msg(2, Some("b"), ballot(vote_id, "yes")));
    // While it is being stored, Ben cannot cast another.
    assert_eq!(
        m.msg(2, Some("x"), ballot(vote_id, "no")),
        [error(2, Some("x"), ErrorCode::VoteAlreadyVoted)]
    );
    // Not stored: only Ben is told, answering his ballot; no participation changes.
    assert_eq!(
        report(&mut m, &recorded[0], None),
        [not_recorded(2, Some("b"))]
    );
    // He votes again, differently; this one is stored and counts.
    let recorded = records(&m.msg(2, Some("c"), ballot(vote_id, "no")));
    assert_eq!(recorded[0].report, Some(RecordedEntry::Ballot(ben)));
    let out = report(&mut m, &recorded[0], Some(21));
    assert_eq!(
        out[0],
        crate::support::answer(
            2,
            "c",
            ServerMessage::VoteBallotAccepted {
                vote_id,
                option: "no".into(),
                seq: 21,
                token: None,
            }
        )
    );
    assert!(to(&out, 1).contains(&ServerMessage::VoteParticipation {
        vote_id,
        cast: 1,
        eligible: 3,
        voted: Some(vec!["Ben".into()]),
    }));
    ballot_stored(&mut m, 3, vote_id, "no", 22);
    let out = ballot_stored(&mut m, 1, vote_id, "yes", 23);
    let VoteEvent::Close(close) = &records(&out)[0].event else {
        panic!("{out:?}");
    };
    let counts: Vec<u64> = close.tally.iter().map(|t| t.count).collect();
    assert_eq!((close.ballots, counts), (3, vec![1, 2, 0]));
}

#[test]
fn a_close_waits_for_the_ballots_being_stored() {
    let (mut m, [owner, ben, _cleo, _gina]) = board();
    let (_, vote_id) = open_stored(&mut m, open_request(VoteMode::RollCall));
    let bens = records(&m.msg(2, None, ballot(vote_id, "yes")));
    let cleos = records(&m.msg(3, Some("c"), ballot(vote_id, "no")));
    // The moderator's close waits; nobody may vote meanwhile.
    assert_eq!(m.msg(1, None, ClientMessage::VoteClose { vote_id }), []);
    assert_eq!(
        m.msg(1, None, ballot(vote_id, "yes")),
        [error(1, None, ErrorCode::VoteClosed)]
    );
    assert_eq!(
        m.msg(1, None, ClientMessage::VoteClose { vote_id }),
        [error(1, None, ErrorCode::VoteClosed)]
    );
    let out = report(&mut m, &bens[0], Some(40));
    assert!(records(&out).is_empty(), "Cleo's ballot is still pending");
    assert!(
        to(&out, 2)
            .iter()
            .any(|m| matches!(m, ServerMessage::VoteBallotAccepted { seq: 40, .. }))
    );
    // Cleo's could not be stored: she is told the vote has closed, and the close follows,
    // the moderator's, counting Ben's ballot only.
    let out = report(&mut m, &cleos[0], None);
    assert_eq!(out[0], not_recorded(3, Some("c")));
    let recorded = records(&out);
    assert_eq!(recorded.len(), 1, "{out:?}");
    let VoteEvent::Close(close) = &recorded[0].event else {
        panic!("{recorded:?}");
    };
    assert_eq!(recorded[0].by, Some(owner));
    assert_eq!(close.reason, plenum_vote::CloseReason::Moderator);
    let counts: Vec<u64> = close.tally.iter().map(|t| t.count).collect();
    assert_eq!((close.ballots, counts), (1, vec![1, 0, 0]));
    m.room.handle_vote_sealed(vote_id, Some(checkpoint()));
    let ServerMessage::VoteClosed(result) = to(&m.drain(), 4).remove(0) else {
        panic!("no result");
    };
    assert_eq!(
        result.ballots,
        [PublishedBallot {
            name: Some("Ben".into()),
            token: None,
            option: "yes".into()
        }]
    );
    let _ = ben;

    // At the deadline, too: no timer runs while the close waits.
    let mut request = open_request(VoteMode::RollCall);
    if let ClientMessage::VoteOpen(open) = &mut request {
        open.duration_s = Some(60);
    }
    let (_, vote_id) = open_stored(&mut m, request);
    let bens = records(&m.msg(2, None, ballot(vote_id, "no")));
    m.advance(Duration::from_secs(60));
    m.room.handle_timeout(m.now);
    assert!(records(&m.drain()).is_empty());
    assert_eq!(m.room.poll_timeout(), None);
    let out = report(&mut m, &bens[0], Some(50));
    let VoteEvent::Close(close) = &records(&out)[0].event else {
        panic!("{out:?}");
    };
    assert_eq!(close.reason, plenum_vote::CloseReason::Deadline);
    assert_eq!(close.ballots, 1);
}

#[test]
fn a_close_that_could_not_be_stored_ends_the_vote_as_cancelled_with_its_reason() {
    let (mut m, _) = board();
    let (_, vote_id) = open_stored(&mut m, open_request(VoteMode::RollCall));
    ballot_stored(&mut m, 2, vote_id, "yes", 10);
    let close = records(&m.msg(1, None, ClientMessage::VoteClose { vote_id }));
    assert_eq!(close[0].report, Some(RecordedEntry::Close));
    let out = report(&mut m, &close[0], None);
    let recorded = records(&out);
    let VoteEvent::Cancel(cancel) = &recorded[0].event else {
        panic!("{out:?}");
    };
    assert_eq!(recorded[0].by, None, "the system cancels it");
    assert_eq!(recorded[0].report, None);
    let cancelled = ServerMessage::VoteCancelled {
        vote_id,
        reason: cancel.reason.clone(),
    };
    for conn in 1..=4 {
        assert_eq!(to(&out, conn), vec![cancelled.clone()], "conn {conn}");
    }
    // Nothing is left of it; a new vote may open.
    m.room.handle_vote_sealed(vote_id, Some(checkpoint()));
    assert!(m.drain().is_empty());
    assert_eq!(
        m.msg(2, None, ballot(vote_id, "yes")),
        [error(2, None, ErrorCode::VoteUnknown)]
    );
    open_stored(&mut m, open_request(VoteMode::RollCall));
}

/// A second connection of the account `subject`.
fn user_as(subject: UserId, name: &str) -> plenum_room::Identity {
    plenum_room::Identity {
        subject,
        ..user(name)
    }
}
