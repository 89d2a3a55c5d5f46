//! Polls: who may create, answer, close and share; what each participant sees in every
//! mode; late joiners; auto-close on the simulated clock; bad input.

use crate::support::*;
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, NewPoll, Poll, PollAnswer, PollResults, ServerMessage,
};
use plenum_room::{POLL_ANSWER_RATE_LIMIT, POLL_ANSWER_RATE_WINDOW, RoomOutput};
use std::time::Duration;

/// Owner (1), Bea (2, participant), Gus (3, guest) joined.
fn meeting() -> Meeting {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.join(2, user("Bea"));
    m.join(3, guest("Gus", "inv"));
    m
}

fn new_poll(multiple: bool, anonymous: bool, results: PollResults) -> NewPoll {
    NewPoll {
        question: "  Where do we meet?  ".into(),
        options: vec!["Berlin".into(), "Hamburg".into(), "Online".into()],
        multiple,
        anonymous,
        results,
        duration_secs: None,
    }
}

fn create(poll: NewPoll) -> ClientMessage {
    ClientMessage::CreatePoll(poll)
}

fn answer_poll(poll_id: u64, choices: &[u32]) -> ClientMessage {
    ClientMessage::AnswerPoll {
        poll_id,
        choices: choices.to_vec(),
    }
}

/// The poll views in `outputs`, by connection, in output order.
fn views(outputs: &[RoomOutput]) -> Vec<(u64, Poll)> {
    outputs
        .iter()
        .map(|output| match output {
            RoomOutput::Send { to, message } => match &message.message {
                ServerMessage::PollState(poll) => (to.0, poll.clone()),
                other => panic!("expected poll.state, got {other:?}"),
            },
            other => panic!("expected a send, got {other:?}"),
        })
        .collect()
}

fn view_of(outputs: &[RoomOutput], conn: u64) -> Poll {
    views(outputs)
        .into_iter()
        .find(|(to, _)| *to == conn)
        .map(|(_, poll)| poll)
        .expect("a view for the connection")
}

fn named(entries: &[(&str, &[u32])]) -> Option<Vec<PollAnswer>> {
    Some(
        entries
            .iter()
            .map(|(name, choices)| PollAnswer {
                display_name: (*name).into(),
                choices: choices.to_vec(),
            })
            .collect(),
    )
}

#[test]
fn a_live_named_poll_shows_counts_to_all_and_names_to_moderators() {
    let mut m = meeting();
    let created = m.msg(
        1,
        Some("c"),
        create(new_poll(false, false, PollResults::Live)),
    );
    let all = views(&created);
    assert_eq!(
        all.iter().map(|(to, _)| *to).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    // The creator's copy answers the request.
    assert!(
        matches!(&created[0], RoomOutput::Send { message, .. } if message.txn.as_deref() == Some("c"))
    );
    let poll = &all[0].1;
    assert_eq!(poll.id, 1);
    assert_eq!(poll.question, "Where do we meet?");
    assert!(poll.open && !poll.shared && poll.closes_at.is_none());
    assert_eq!(poll.counts, Some(vec![0, 0, 0]));
    assert_eq!(poll.my_choices, Some(vec![]));

    let answered = m.msg(3, Some("a"), answer_poll(1, &[2]));
    let guest = view_of(&answered, 3);
    assert_eq!(guest.counts, Some(vec![0, 0, 1]));
    assert_eq!(guest.my_choices, Some(vec![2]));
    assert_eq!(guest.answers, None, "names are for moderators until shared");
    assert_eq!(view_of(&answered, 2).my_choices, Some(vec![]));
    assert_eq!(view_of(&answered, 1).answers, named(&[("Gus", &[2])]));

    m.msg(2, None, answer_poll(1, &[0]));
    // Changing an answer moves the count and keeps the person's place in the list.
    let changed = m.msg(3, None, answer_poll(1, &[0]));
    let owner = view_of(&changed, 1);
    assert_eq!(owner.counts, Some(vec![2, 0, 0]));
    assert_eq!(owner.answer_count, 2);
    assert_eq!(owner.answers, named(&[("Gus", &[0]), ("Bea", &[0])]));

    let closed = m.msg(1, None, ClientMessage::ClosePoll { poll_id: 1 });
    assert!(views(&closed).iter().all(|(_, p)| !p.open));
    assert_eq!(view_of(&closed, 2).answers, None);
    let shared = m.msg(1, None, ClientMessage::SharePoll { poll_id: 1 });
    let bea = view_of(&shared, 2);
    assert!(bea.shared);
    assert_eq!(bea.answers, named(&[("Gus", &[0]), ("Bea", &[0])]));
    assert_eq!(bea.my_choices, Some(vec![0]));
}

#[test]
fn results_at_close_stay_hidden_from_participants_until_shared() {
    let mut m = meeting();
    m.msg(1, None, create(new_poll(true, false, PollResults::AtClose)));
    let answered = m.msg(2, None, answer_poll(1, &[2, 0]));
    let bea = view_of(&answered, 2);
    assert_eq!((bea.counts, bea.answer_count), (None, 1));
    assert_eq!(bea.my_choices, Some(vec![0, 2]), "kept sorted");
    assert_eq!(view_of(&answered, 1).counts, Some(vec![1, 0, 1]));
    let closed = m.msg(1, None, ClientMessage::ClosePoll { poll_id: 1 });
    assert_eq!(view_of(&closed, 3).counts, None);
    let shared = m.msg(1, None, ClientMessage::SharePoll { poll_id: 1 });
    assert_eq!(view_of(&shared, 3).counts, Some(vec![1, 0, 1]));
}

#[test]
fn an_anonymous_poll_never_sends_names_and_forgets_them_at_close() {
    let mut m = meeting();
    m.msg(1, None, create(new_poll(false, true, PollResults::Live)));
    let answered = m.msg(2, None, answer_poll(1, &[1]));
    assert!(views(&answered).iter().all(|(_, p)| p.answers.is_none()));
    assert_eq!(view_of(&answered, 2).my_choices, Some(vec![1]));
    m.msg(3, None, answer_poll(1, &[1]));
    m.msg(1, None, ClientMessage::ClosePoll { poll_id: 1 });
    let shared = m.msg(1, None, ClientMessage::SharePoll { poll_id: 1 });
    for (_, poll) in views(&shared) {
        assert_eq!(poll.counts, Some(vec![0, 2, 0]));
        assert_eq!(poll.answers, None);
        assert_eq!(poll.my_choices, None, "the room no longer knows");
    }
}

#[test]
fn late_joiners_and_new_moderators_get_the_poll_as_they_may_see_it() {
    let mut m = meeting();
    m.msg(
        1,
        None,
        create(new_poll(false, false, PollResults::AtClose)),
    );
    m.msg(2, None, answer_poll(1, &[1]));
    assert_eq!(m.connect(4, user("Cem")), vec![]);
    let joined = m.msg(4, Some("j"), join());
    assert!(matches!(&joined[0], RoomOutput::Send { message, .. }
        if matches!(message.message, ServerMessage::JoinSuccess { .. })));
    let poll = match &joined[1] {
        RoomOutput::Send { to, message } if to.0 == 4 => match &message.message {
            ServerMessage::PollState(poll) => poll.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!((poll.id, poll.answer_count, poll.counts), (1, 1, None));
    let cem = m.id(4);
    let granted = m.msg(
        1,
        None,
        ClientMessage::GrantModerator {
            participant_id: cem,
        },
    );
    let promoted = granted
        .iter()
        .find_map(|output| match output {
            RoomOutput::Send { to, message } if to.0 == 4 => match &message.message {
                ServerMessage::PollState(poll) => Some(poll.clone()),
                _ => None,
            },
            _ => None,
        })
        .expect("the new moderator's view");
    assert_eq!(promoted.counts, Some(vec![0, 1, 0]));
    assert_eq!(promoted.answers, named(&[("Bea", &[1])]));
}

#[test]
fn a_poll_with_a_duration_closes_itself_on_the_clock() {
    let mut m = meeting();
    assert_eq!(m.room.poll_timeout(), None);
    let mut poll = new_poll(false, false, PollResults::Live);
    poll.duration_secs = Some(60);
    let created = m.msg(1, None, create(poll));
    assert_eq!(view_of(&created, 2).closes_at, Some(at(60)));
    assert_eq!(m.room.poll_timeout(), Some(m.now + Duration::from_secs(60)));
    m.advance(Duration::from_secs(59));
    m.room.handle_timeout(m.now);
    assert_eq!(m.drain(), vec![]);
    m.advance(Duration::from_secs(1));
    m.room.handle_timeout(m.now);
    let closed = m.drain();
    assert_eq!(views(&closed).len(), 3);
    assert!(views(&closed).iter().all(|(_, p)| !p.open));
    assert_eq!(m.room.poll_timeout(), None);
    assert_eq!(
        m.msg(2, Some("late"), answer_poll(1, &[0])),
        vec![error(2, Some("late"), ErrorCode::PollClosed)]
    );
}

#[test]
fn bad_requests_are_refused_with_clear_codes_and_the_poll_goes_on() {
    let mut m = meeting();
    let refused = |m: &mut Meeting, conn: u64, message: ClientMessage, code: ErrorCode| {
        assert_eq!(
            m.msg(conn, Some("x"), message.clone()),
            vec![error(conn, Some("x"), code)],
            "{message:?}"
        );
    };
    refused(
        &mut m,
        2,
        create(new_poll(false, false, PollResults::Live)),
        ErrorCode::Forbidden,
    );
    refused(&mut m, 3, answer_poll(1, &[0]), ErrorCode::PollUnknown);
    let too_many = |mut poll: NewPoll, n: usize| {
        poll.options = (0..n).map(|i| format!("o{i}")).collect();
        create(poll)
    };
    let base = new_poll(false, false, PollResults::Live);
    for bad in [
        too_many(base.clone(), 1),
        too_many(base.clone(), 11),
        create(NewPoll {
            question: " ".into(),
            ..base.clone()
        }),
        create(NewPoll {
            question: "q".repeat(301),
            ..base.clone()
        }),
        create(NewPoll {
            options: vec!["a".into(), "a ".into()],
            ..base.clone()
        }),
        create(NewPoll {
            options: vec!["a".into(), "b\u{7}".into()],
            ..base.clone()
        }),
        create(NewPoll {
            duration_secs: Some(9),
            ..base.clone()
        }),
        create(NewPoll {
            duration_secs: Some(86_401),
            ..base.clone()
        }),
    ] {
        refused(&mut m, 1, bad, ErrorCode::BadMessage);
    }
    assert_eq!(views(&m.msg(1, None, too_many(base.clone(), 10))).len(), 3);
    refused(&mut m, 1, create(base.clone()), ErrorCode::PollAlreadyOpen);
    refused(
        &mut m,
        3,
        answer_poll(1, &[10]),
        ErrorCode::PollUnknownOption,
    );
    refused(
        &mut m,
        3,
        answer_poll(1, &[u32::MAX]),
        ErrorCode::PollUnknownOption,
    );
    refused(&mut m, 3, answer_poll(1, &[0, 1]), ErrorCode::BadMessage);
    refused(&mut m, 3, answer_poll(1, &[]), ErrorCode::BadMessage);
    refused(&mut m, 3, answer_poll(2, &[0]), ErrorCode::PollUnknown);
    refused(
        &mut m,
        2,
        ClientMessage::ClosePoll { poll_id: 1 },
        ErrorCode::Forbidden,
    );
    refused(
        &mut m,
        1,
        ClientMessage::SharePoll { poll_id: 1 },
        ErrorCode::InvalidState,
    );
    // The poll is untouched by all of that.
    let fine = m.msg(3, None, answer_poll(1, &[9]));
    assert_eq!(view_of(&fine, 3).counts.map(|c| c[9]), Some(1));
    assert_eq!(view_of(&fine, 3).answer_count, 1);

    // Someone not joined gets not_joined, as for every meeting message.
    m.connect(9, user("Nora"));
    refused(&mut m, 9, answer_poll(1, &[0]), ErrorCode::NotJoined);
}

#[test]
fn answers_are_rate_limited_per_person() {
    let mut m = meeting();
    m.msg(1, None, create(new_poll(true, false, PollResults::Live)));
    for _ in 0..POLL_ANSWER_RATE_LIMIT {
        assert_eq!(views(&m.msg(2, None, answer_poll(1, &[0]))).len(), 3);
    }
    assert_eq!(
        m.msg(2, Some("r"), answer_poll(1, &[1])),
        vec![error(2, Some("r"), ErrorCode::RateLimited)]
    );
    // Others are not affected; the limit frees up after its window.
    assert_eq!(views(&m.msg(3, None, answer_poll(1, &[1]))).len(), 3);
    m.advance(POLL_ANSWER_RATE_WINDOW);
    let again = m.msg(2, None, answer_poll(1, &[1]));
    assert_eq!(view_of(&again, 2).counts, Some(vec![0, 2, 0]));
}

#[test]
fn a_new_poll_replaces_the_closed_one_and_the_same_person_answers_once() {
    let mut m = meeting();
    m.msg(1, None, create(new_poll(false, false, PollResults::Live)));
    // A second connection of Bea's subject replaces her answer rather than adding one.
    let bea = user("Bea");
    m.join(4, bea.clone());
    m.join(5, bea);
    m.msg(4, None, answer_poll(1, &[0]));
    let second = m.msg(5, None, answer_poll(1, &[1]));
    assert_eq!(view_of(&second, 4).counts, Some(vec![0, 1, 0]));
    assert_eq!(view_of(&second, 4).my_choices, Some(vec![1]));
    assert_eq!(view_of(&second, 4).answer_count, 1);
    m.msg(1, None, ClientMessage::ClosePoll { poll_id: 1 });
    let next = m.msg(1, None, create(new_poll(false, false, PollResults::Live)));
    let poll = view_of(&next, 4);
    assert_eq!(
        (poll.id, poll.answer_count, poll.my_choices),
        (2, 0, Some(vec![]))
    );
    assert_eq!(
        m.msg(4, Some("old"), answer_poll(1, &[0])),
        vec![error(4, Some("old"), ErrorCode::PollUnknown)]
    );
}
