//! Chat: delivery, answers, validation, rate limit, ids and history.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::signaling::{
    ChatMessage, ChatSender, ClientMessage, ErrorCode, ServerMessage,
};
use plenum_room::{CHAT_HISTORY_LIMIT, RoomOutput};
use std::time::Duration;

fn say(text: &str, to: Option<ParticipantId>) -> ClientMessage {
    ClientMessage::ChatSend {
        text: text.into(),
        to,
    }
}

fn message(
    id: u64,
    from: (ParticipantId, &str),
    to: Option<ParticipantId>,
    text: &str,
    secs: u64,
) -> ChatMessage {
    ChatMessage {
        id,
        from: ChatSender {
            id: from.0,
            display_name: from.1.into(),
        },
        to,
        text: text.into(),
        sent_at: at(secs),
    }
}

/// Three joined (conns 1, 2, 3) and one waiting (conn 4).
fn meeting() -> (Meeting, [ParticipantId; 4]) {
    let mut m = Meeting::new(true);
    let a = m.join(1, m.owner());
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: false });
    let b = m.join(2, user("Bea"));
    let c = m.join(3, guest("Cem", "inv"));
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: true });
    let w = m.wait(4, user("Wim"));
    m.drain();
    (m, [a, b, c, w])
}

#[test]
fn public_and_private_messages_reach_exactly_their_recipients() {
    let (mut m, [a, b, c, _]) = meeting();
    m.advance(Duration::from_millis(90_700));
    let owner = (a, "Olga Owner");

    let public = ServerMessage::Chat(message(1, owner, None, "hello all", 90));
    let mut expected = vec![answer(1, "c1", ServerMessage::ChatSent { id: 1 })];
    expected.extend(to_each(&[1, 2, 3], None, &public));
    assert_eq!(m.msg(1, Some("c1"), say("  hello all \n", None)), expected);

    let private = ServerMessage::Chat(message(2, owner, Some(b), "psst", 90));
    assert_eq!(
        m.msg(1, Some("c2"), say("psst", Some(b))),
        vec![
            answer(1, "c2", ServerMessage::ChatSent { id: 2 }),
            send(2, private.clone()),
            send(1, private),
        ]
    );

    // To oneself: a single copy.
    let to_self = ServerMessage::Chat(message(3, (c, "Cem"), Some(c), "note", 90));
    assert_eq!(
        m.msg(3, None, say("note", Some(c))),
        vec![send(3, ServerMessage::ChatSent { id: 3 }), send(3, to_self)]
    );
}

#[test]
fn chat_text_and_addressee_are_checked() {
    let (mut m, [_, _, _, w]) = meeting();
    let left = m.wait(5, user("Leo"));
    m.msg(
        1,
        None,
        ClientMessage::Admit {
            participant_id: left,
        },
    );
    m.msg(5, None, ClientMessage::Leave {});
    let longest = "é".repeat(4000);
    let cases: Vec<(String, Option<ParticipantId>, Option<ErrorCode>)> = vec![
        ("x".into(), None, None),
        (format!("  {longest}  "), None, None),
        ("é".repeat(4001), None, Some(ErrorCode::BadMessage)),
        (String::new(), None, Some(ErrorCode::BadMessage)),
        (" \t\n ".into(), None, Some(ErrorCode::BadMessage)),
        (
            "hi".into(),
            Some(ParticipantId::random()),
            Some(ErrorCode::NotFound),
        ),
        // Someone waiting is not in the meeting, nor is someone who left.
        ("hi".into(), Some(w), Some(ErrorCode::NotFound)),
        ("hi".into(), Some(left), Some(ErrorCode::NotFound)),
    ];
    for (text, to, refused) in cases {
        // A fresh minute each time keeps the rate limit out of the way.
        m.advance(Duration::from_secs(60));
        let outputs = m.msg(2, Some("t"), say(&text, to));
        match refused {
            Some(code) => assert_eq!(outputs, vec![error(2, Some("t"), code)], "{to:?}"),
            None => {
                assert!(
                    matches!(&outputs[0], RoomOutput::Send { message, .. }
                        if message.txn.as_deref() == Some("t")
                            && matches!(message.message, ServerMessage::ChatSent { .. })),
                    "{outputs:?}"
                );
                assert_eq!(outputs.len(), 4, "chat.sent and three copies");
            }
        }
    }
}

#[test]
fn ids_grow_across_public_and_private_messages() {
    let (mut m, [_, b, _, _]) = meeting();
    let mut ids = vec![];
    for (conn, to) in [(1, None), (2, None), (3, Some(b)), (1, None)] {
        let outputs = m.msg(conn, None, say("x", to));
        match &outputs[0] {
            RoomOutput::Send { message, .. } => match message.message {
                ServerMessage::ChatSent { id } => ids.push(id),
                ref other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ids, vec![1, 2, 3, 4]);
}

#[test]
fn each_participant_may_send_five_messages_per_five_seconds() {
    // (milliseconds since the first message, accepted?)
    let cases = [
        (0, true),
        (1000, true),
        (2000, true),
        (3000, true),
        (4000, true),
        (4999, false),
        (5000, true), // the message at 0 has left the window
        (5500, false),
        (6000, true),
        (6001, false),
        (60_000, true),
    ];
    let (mut m, _) = meeting();
    let start = m.now;
    for (ms, accepted) in cases {
        m.now = start + Duration::from_millis(ms);
        let outputs = m.msg(2, Some("r"), say("spam", None));
        if accepted {
            assert_eq!(outputs.len(), 4, "at {ms} ms: {outputs:?}");
        } else {
            assert_eq!(
                outputs,
                vec![error(2, Some("r"), ErrorCode::RateLimited)],
                "at {ms} ms"
            );
            // The limit is per participant: someone else may still talk.
            assert_eq!(m.msg(3, None, say("me too", None)).len(), 4, "at {ms} ms");
        }
    }
}

#[test]
fn refused_messages_do_not_count_toward_the_rate_limit() {
    let (mut m, _) = meeting();
    for _ in 0..10 {
        assert_eq!(
            m.msg(2, None, say("", None)),
            vec![error(2, None, ErrorCode::BadMessage)]
        );
    }
    for _ in 0..5 {
        assert_eq!(m.msg(2, None, say("ok", None)).len(), 4);
    }
}

#[test]
fn late_joiners_see_the_last_public_messages_only() {
    let (mut m, [a, b, _, _]) = meeting();
    let total = CHAT_HISTORY_LIMIT as u64 + 2;
    for i in 1..=total {
        m.advance(Duration::from_secs(1));
        assert_eq!(m.msg(1, None, say(&format!("m{i}"), None)).len(), 4);
    }
    m.msg(2, None, say("private", Some(a)));
    m.msg(1, None, say("private", Some(b)));
    m.connect(7, user("Late"));
    // The owner admits the late joiner so the history goes through the admit flow too.
    let late = m.id(7);
    m.msg(7, None, join());
    let outputs = m.msg(
        1,
        None,
        ClientMessage::Admit {
            participant_id: late,
        },
    );
    let history = outputs
        .iter()
        .find_map(|o| match o {
            RoomOutput::Send { message, .. } => match &message.message {
                ServerMessage::JoinSuccess { chat_history, .. } => Some(chat_history.clone()),
                _ => None,
            },
            _ => None,
        })
        .expect("join_success");
    let expected: Vec<ChatMessage> = (3..=total)
        .map(|i| message(i, (a, "Olga Owner"), None, &format!("m{i}"), i))
        .collect();
    assert_eq!(history.len(), CHAT_HISTORY_LIMIT);
    assert_eq!(history, expected);
}

#[test]
fn nobody_waiting_receives_chat() {
    let (mut m, _) = meeting();
    let outputs = m.msg(2, None, say("hello", None));
    assert!(
        outputs
            .iter()
            .all(|o| !matches!(o, RoomOutput::Send { to, .. } if to.0 == 4)),
        "{outputs:?}"
    );
}
