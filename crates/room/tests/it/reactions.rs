//! Reactions: who receives them, the allow-list's typed value, and the per-participant limit.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::signaling::{ClientMessage, ErrorCode, Reaction, ServerMessage};
use plenum_room::{REACTION_RATE_LIMIT, REACTION_RATE_WINDOW};
use std::time::Duration;

/// Owner (1), Bea (2) and Cem (3) joined; Wim (4) waits (waiting room on).
fn meeting() -> (Meeting, [ParticipantId; 3]) {
    let mut m = Meeting::new(true);
    let a = m.join(1, m.owner());
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: false });
    let b = m.join(2, user("Bea"));
    let c = m.join(3, user("Cem"));
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: true });
    m.wait(4, user("Wim"));
    (m, [a, b, c])
}

fn react(emoji: Reaction) -> ClientMessage {
    ClientMessage::SendReaction { emoji }
}

fn reaction(participant_id: ParticipantId, emoji: Reaction) -> ServerMessage {
    ServerMessage::Reaction {
        participant_id,
        emoji,
    }
}

#[test]
fn a_reaction_reaches_everyone_joined_and_the_sender_copy_answers() {
    let (mut m, [_, b, _]) = meeting();
    for emoji in Reaction::ALL {
        // Spaced out so the limit does not interfere.
        m.advance(REACTION_RATE_WINDOW);
        assert_eq!(
            m.msg(2, Some("x"), react(emoji)),
            to_each(&[1, 2, 3], Some((2, "x")), &reaction(b, emoji)),
            "{emoji:?}"
        );
    }
}

#[test]
fn nobody_waiting_or_not_yet_joined_may_react_or_sees_reactions() {
    let (mut m, [a, _, _]) = meeting();
    assert_eq!(
        m.msg(4, Some("w"), react(Reaction::Clap)),
        vec![error(4, Some("w"), ErrorCode::NotJoined)]
    );
    m.connect(5, user("Nora"));
    assert_eq!(
        m.msg(5, None, react(Reaction::Clap)),
        vec![error(5, None, ErrorCode::NotJoined)]
    );
    // The owner's reaction goes to the joined three only.
    assert_eq!(
        m.msg(1, None, react(Reaction::Heart)),
        to_each(&[1, 2, 3], None, &reaction(a, Reaction::Heart))
    );
}

#[test]
fn each_participant_may_send_five_reactions_per_five_seconds() {
    assert_eq!(
        (REACTION_RATE_LIMIT, REACTION_RATE_WINDOW.as_secs()),
        (5, 5)
    );
    // (milliseconds since the first reaction, accepted?)
    let cases = [
        (0, true),
        (100, true),
        (200, true),
        (300, true),
        (400, true),
        (401, false),
        (4999, false),
        (5000, true), // the reaction at 0 has left the window
        (5050, false),
        (5100, true),
        (60_000, true),
    ];
    let (mut m, [_, b, c]) = meeting();
    let start = m.now;
    for (ms, accepted) in cases {
        m.now = start + Duration::from_millis(ms);
        let outputs = m.msg(2, Some("r"), react(Reaction::ThumbsUp));
        if accepted {
            assert_eq!(
                outputs,
                to_each(&[1, 2, 3], Some((2, "r")), &reaction(b, Reaction::ThumbsUp)),
                "at {ms} ms"
            );
        } else {
            assert_eq!(
                outputs,
                vec![error(2, Some("r"), ErrorCode::RateLimited)],
                "at {ms} ms"
            );
            // The limit is per participant, and separate from chat.
            assert_eq!(
                m.msg(3, None, react(Reaction::Laugh)),
                to_each(&[1, 2, 3], None, &reaction(c, Reaction::Laugh)),
                "at {ms} ms"
            );
            let chat = ClientMessage::ChatSend {
                text: "still here".into(),
                to: None,
            };
            assert_eq!(m.msg(2, None, chat).len(), 4, "at {ms} ms");
            m.now = start + Duration::from_millis(ms);
        }
    }
}
