//! A client coming back after a network drop (`room.join` with `resume`): it replaces its
//! old connection, which the server may not have noticed is dead, so the others never see
//! the same person twice.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::signaling::{ClientMessage, Participant, Role, ServerMessage, close_code};
use plenum_room::{Identity, RoomOutput};

fn resume(id: ParticipantId) -> ClientMessage {
    ClientMessage::Join {
        display_name: None,
        resume: Some(id),
    }
}

/// Connects `conn` as `identity` and sends `room.join` with `resume: old`.
fn come_back(
    m: &mut Meeting,
    conn: u64,
    identity: Identity,
    old: ParticipantId,
) -> Vec<RoomOutput> {
    assert_eq!(m.connect(conn, identity), vec![]);
    m.msg(conn, None, resume(old))
}

fn joined_as(outputs: &[RoomOutput], conn: u64) -> Option<Participant> {
    outputs.iter().find_map(|o| match o {
        RoomOutput::Send { to, message } if to.0 == conn => match &message.message {
            ServerMessage::JoinSuccess {
                me, participants, ..
            } => {
                assert!(
                    participants
                        .iter()
                        .filter(|p| p.display_name == me.display_name)
                        .count()
                        == 1
                );
                Some(me.clone())
            }
            _ => None,
        },
        _ => None,
    })
}

/// Waits in the waiting room and is admitted by the owner on connection 1.
fn admitted(m: &mut Meeting, conn: u64, identity: Identity) -> ParticipantId {
    let id = m.wait(conn, identity);
    let outputs = m.msg(1, None, ClientMessage::Admit { participant_id: id });
    assert_eq!(
        outputs.first(),
        Some(&send(conn, ServerMessage::Admitted {}))
    );
    id
}

#[test]
fn the_new_connection_replaces_the_old_one_of_the_same_subject() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    let bea = user("Bea");
    let old = m.join(2, bea.clone());
    let outputs = come_back(&mut m, 3, bea, old);
    let me = joined_as(&outputs, 3).expect("the returning client joins");
    assert_ne!(me.id, old, "participant ids are per connection");
    // The old connection is closed and leaves everywhere before the new one joins.
    assert_eq!(
        outputs[..3],
        [
            close(2, close_code::REPLACED, "replaced by a new connection"),
            send(1, ServerMessage::ParticipantLeft { id: old }),
            m.remove(old),
        ],
        "{outputs:#?}"
    );
    assert!(outputs.contains(&send(1, ServerMessage::ParticipantJoined(me.clone()))));
    assert!(outputs.contains(&m.add(me.id)));
    // Someone joining now finds Bea once, under her new id.
    assert_eq!(m.connect(4, user("Cid")), vec![]);
    let outputs = m.msg(4, None, join());
    let Some(RoomOutput::Send { message, .. }) = outputs.first() else {
        panic!("{outputs:?}")
    };
    let ServerMessage::JoinSuccess { participants, .. } = &message.message else {
        panic!("{outputs:?}")
    };
    let people: Vec<_> = participants
        .iter()
        .map(|p| (p.display_name.as_str(), p.id))
        .collect();
    assert_eq!(
        people,
        [("Olga Owner", m.id(1)), ("Bea", me.id), ("Cid", m.id(4))]
    );
}

#[test]
fn another_subject_cannot_take_over_a_participant() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    let old = m.join(2, user("Bea"));
    let outputs = come_back(&mut m, 3, user("Mallory"), old);
    assert!(joined_as(&outputs, 3).is_some());
    assert!(
        !outputs
            .iter()
            .any(|o| matches!(o, RoomOutput::Close { .. })),
        "nobody is closed: {outputs:?}"
    );
    assert!(!outputs.contains(&send(1, ServerMessage::ParticipantLeft { id: old })));
    // Bea is still there and hears about Mallory.
    assert!(outputs.iter().any(|o| matches!(o,
        RoomOutput::Send { to, message } if to.0 == 2 && matches!(message.message, ServerMessage::ParticipantJoined(_)))));
}

#[test]
fn an_unknown_or_gone_participant_means_a_normal_join() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    let bea = user("Bea");
    let old = admitted(&mut m, 2, bea.clone());
    m.disconnect(2);
    // The server noticed the drop: nothing to replace, so the waiting room applies again.
    let outputs = come_back(&mut m, 3, bea, old);
    assert_eq!(
        outputs.first(),
        Some(&send(3, ServerMessage::Waiting {})),
        "{outputs:?}"
    );
    let outputs = come_back(&mut m, 4, user("Dan"), ParticipantId::random());
    assert_eq!(
        outputs.first(),
        Some(&send(4, ServerMessage::Waiting {})),
        "{outputs:?}"
    );
}

#[test]
fn a_replacing_connection_skips_the_waiting_room_and_keeps_the_role_granted_in_the_meeting() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    let bea = user("Bea");
    let old = admitted(&mut m, 2, bea.clone());
    m.msg(
        1,
        None,
        ClientMessage::GrantModerator {
            participant_id: old,
        },
    );
    let outputs = come_back(&mut m, 3, bea, old);
    let me = joined_as(&outputs, 3).expect("no second pass through the waiting room");
    assert_eq!(me.role, Role::Moderator);
}

#[test]
fn a_connection_cannot_replace_itself_or_a_waiting_one() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    let bea = user("Bea");
    let waiting = m.wait(2, bea.clone());
    // Resuming a participant who is only waiting replaces nothing: the newcomer waits too.
    let outputs = come_back(&mut m, 3, bea.clone(), waiting);
    assert_eq!(
        outputs.first(),
        Some(&send(3, ServerMessage::Waiting {})),
        "{outputs:?}"
    );
    // A connection naming its own id is an ordinary join.
    assert_eq!(m.connect(4, bea), vec![]);
    let own = m.id(4);
    let outputs = m.msg(4, None, resume(own));
    assert_eq!(
        outputs.first(),
        Some(&send(4, ServerMessage::Waiting {})),
        "{outputs:?}"
    );
}
