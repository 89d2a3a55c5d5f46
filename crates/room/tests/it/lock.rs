//! Locking a meeting: who still comes in, who waits, who is refused, and who sees the lock.

use crate::support::*;
use plenum_protocol::UserId;
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, Role, RoomState, ServerMessage, close_code,
};
use plenum_room::{Identity, RoomOutput, SubjectKind};

fn locked(mut state: RoomState) -> RoomState {
    state.locked = true;
    state
}

fn lock(on: bool) -> ClientMessage {
    ClientMessage::SetLocked { locked: on }
}

fn moderator_by_account(name: &str) -> Identity {
    Identity {
        role: Role::Moderator,
        ..user(name)
    }
}

#[test]
fn everyone_sees_the_lock_and_only_moderators_may_set_it() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.join(2, user("Bea"));
    assert_eq!(
        m.msg(2, Some("no"), lock(true)),
        vec![error(2, Some("no"), ErrorCode::Forbidden)]
    );
    let state = locked(m.state(false, &[]));
    assert_eq!(
        m.msg(1, Some("l"), lock(true)),
        to_each(
            &[1, 2],
            Some((1, "l")),
            &ServerMessage::RoomState(state.clone())
        )
    );
    // Locking a locked meeting changes nothing: the moderator alone gets the state.
    assert_eq!(
        m.msg(1, Some("again"), lock(true)),
        vec![answer(1, "again", ServerMessage::RoomState(state))]
    );
    assert_eq!(
        m.msg(1, None, lock(false)),
        to_each(
            &[1, 2],
            None,
            &ServerMessage::RoomState(m.state(false, &[]))
        )
    );
}

#[test]
fn a_locked_meeting_without_waiting_room_refuses_newcomers_with_a_clear_error() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.msg(1, None, lock(true));
    for (conn, who) in [(2, user("Nia")), (3, guest("Gus", "inv"))] {
        assert_eq!(m.connect(conn, who), vec![]);
        assert_eq!(
            m.msg(conn, Some("j"), join()),
            vec![
                error(conn, Some("j"), ErrorCode::MeetingLocked),
                close(conn, close_code::FORBIDDEN, "locked"),
            ]
        );
    }
    // Nobody inside heard about them, and unlocking lets the next one in.
    m.msg(1, None, lock(false));
    m.join(4, user("Nia again"));
}

#[test]
fn owner_and_moderators_by_account_still_come_in() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.msg(1, None, lock(true));
    m.join(2, moderator_by_account("Mo"));
    // The owner on a second device too.
    m.join(3, m.owner());
}

#[test]
fn people_who_were_in_may_come_back_but_removed_ones_may_not() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    let bea = user("Bea");
    let cem = user("Cem");
    m.join(2, bea.clone());
    let c = m.join(3, cem.clone());
    m.msg(1, None, lock(true));
    // Bea's connection drops; she reconnects with the same account.
    m.disconnect(2);
    m.join(4, bea);
    // Cem is removed: he does not count as returning.
    m.msg(1, None, ClientMessage::Remove { participant_id: c });
    assert_eq!(m.connect(5, cem), vec![]);
    assert_eq!(
        m.msg(5, None, join()),
        vec![
            error(5, None, ErrorCode::MeetingLocked),
            close(5, close_code::FORBIDDEN, "locked"),
        ]
    );
}

#[test]
fn with_a_waiting_room_newcomers_wait_and_a_moderator_may_admit_them() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    m.msg(1, None, lock(true));
    let w = m.wait(2, user("Wim"));
    let outputs = m.msg(1, None, ClientMessage::Admit { participant_id: w });
    assert!(
        outputs.iter().any(|o| matches!(
            o,
            RoomOutput::Send { to, message } if to.0 == 2
                && matches!(message.message, ServerMessage::JoinSuccess { ref room, .. } if room.locked)
        )),
        "{outputs:?}"
    );
}

#[test]
fn a_guest_token_claiming_moderator_does_not_open_the_lock() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.msg(1, None, lock(true));
    let forged = Identity {
        subject: UserId::random(),
        kind: SubjectKind::Guest,
        display_name: "Mallory".into(),
        role: Role::Moderator,
        invite_code: Some("inv".into()),
    };
    assert_eq!(m.connect(2, forged), vec![]);
    assert_eq!(
        m.msg(2, None, join()),
        vec![
            error(2, None, ErrorCode::MeetingLocked),
            close(2, close_code::FORBIDDEN, "locked"),
        ]
    );
}
