//! Moderation: who may, what happens to whom, bans, roles, the waiting room, ending.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::bridge::BridgeCommand;
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, LeaveReason, Role, ServerMessage, close_code,
};
use plenum_room::{BanKey, RoomOutput};

/// Owner (1), Bea (2, user), Gus (3, guest via "inv-g"); waiting room off.
fn meeting() -> (Meeting, [ParticipantId; 3]) {
    let mut m = Meeting::new(false);
    let a = m.join(1, m.owner());
    let b = m.join(2, user("Bea"));
    let g = m.join(3, guest("Gus", "inv-g"));
    (m, [a, b, g])
}

fn left(id: ParticipantId) -> ServerMessage {
    ServerMessage::ParticipantLeft { id }
}

#[test]
fn only_owner_and_moderators_may_moderate() {
    let (mut m, [a, b, _]) = meeting();
    for conn in [2, 3] {
        for message in moderation_messages(a) {
            assert_eq!(
                m.msg(conn, Some("no"), message.clone()),
                vec![error(conn, Some("no"), ErrorCode::Forbidden)],
                "{conn} {message:?}"
            );
        }
    }
    // Once granted, Bea may.
    m.msg(1, None, ClientMessage::GrantModerator { participant_id: b });
    let outputs = m.msg(
        2,
        Some("yes"),
        ClientMessage::SetWaitingRoom { enabled: true },
    );
    assert_eq!(
        outputs,
        vec![
            send(1, ServerMessage::RoomState(m.state(true, &[]))),
            answer(2, "yes", ServerMessage::RoomState(m.state(true, &[]))),
            send(3, ServerMessage::RoomState(m.state(true, &[]))),
        ]
    );
}

#[test]
fn targets_must_be_in_the_right_place() {
    let mut m = Meeting::new(true);
    let _owner = m.join(1, m.owner());
    let waiting = m.wait(2, user("Wim"));
    m.connect(3, user("Not Joined"));
    let connected = m.id(3);
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: false });
    let joined = m.join(4, user("Jo"));
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: true });
    let waiting2 = m.wait(5, user("Wes"));
    let unknown = ParticipantId::random();
    use ClientMessage as M;
    type Make = fn(ParticipantId) -> ClientMessage;
    let joined_only: [Make; 4] = [
        |participant_id| M::Mute { participant_id },
        |participant_id| M::GrantModerator { participant_id },
        |participant_id| M::RevokeModerator { participant_id },
        |participant_id| M::LowerHandOf { participant_id },
    ];
    let waiting_only: [Make; 2] = [
        |participant_id| M::Admit { participant_id },
        |participant_id| M::Deny { participant_id },
    ];
    let present: [Make; 2] = [
        |participant_id| M::Remove { participant_id },
        |participant_id| M::Ban { participant_id },
    ];
    let mut cases: Vec<(ClientMessage, &str)> = vec![];
    for make in joined_only {
        for (target, name) in [
            (unknown, "unknown"),
            (waiting2, "waiting"),
            (connected, "connected"),
        ] {
            cases.push((make(target), name));
        }
    }
    for make in waiting_only {
        for (target, name) in [
            (unknown, "unknown"),
            (joined, "joined"),
            (connected, "connected"),
        ] {
            cases.push((make(target), name));
        }
    }
    for make in present {
        for (target, name) in [(unknown, "unknown"), (connected, "connected")] {
            cases.push((make(target), name));
        }
    }
    for (message, name) in cases {
        assert_eq!(
            m.msg(1, Some("t"), message.clone()),
            vec![error(1, Some("t"), ErrorCode::NotFound)],
            "{message:?} on someone {name}"
        );
    }
    assert_eq!(m.id(2), waiting);
}

#[test]
fn remove_closes_the_target_and_tells_the_others_and_the_bridge() {
    let (mut m, [_, b, _]) = meeting();
    let mut expected = vec![
        send(
            2,
            ServerMessage::Removed {
                reason: LeaveReason::Removed,
            },
        ),
        close(2, close_code::FORBIDDEN, "removed"),
    ];
    expected.extend(to_each(&[1, 3], Some((1, "r")), &left(b)));
    expected.push(m.remove(b));
    assert_eq!(
        m.msg(1, Some("r"), ClientMessage::Remove { participant_id: b }),
        expected
    );
    // Gone for good: a second remove finds nobody; the socket's disconnect changes nothing.
    assert_eq!(
        m.msg(1, None, ClientMessage::Remove { participant_id: b }),
        vec![error(1, None, ErrorCode::NotFound)]
    );
    assert_eq!(m.disconnect(2), vec![]);
}

#[test]
fn the_owner_cannot_be_removed_banned_or_demoted() {
    let (mut m, [a, b, _]) = meeting();
    m.msg(1, None, ClientMessage::GrantModerator { participant_id: b });
    for message in [
        ClientMessage::Remove { participant_id: a },
        ClientMessage::Ban { participant_id: a },
        ClientMessage::RevokeModerator { participant_id: a },
    ] {
        assert_eq!(
            m.msg(2, Some("x"), message.clone()),
            vec![error(2, Some("x"), ErrorCode::Forbidden)],
            "{message:?}"
        );
    }
}

#[test]
fn banning_a_user_closes_all_their_connections_and_keeps_them_out() {
    let (mut m, [_, b, _]) = meeting();
    let bea = user("Bea");
    let bea_subject = bea.subject;
    // Bea again, in two more tabs: one joined, one only connected.
    m.join(4, bea.clone());
    let b2 = m.id(4);
    m.connect(5, bea.clone());
    let mut expected = vec![
        RoomOutput::BanAdded(BanKey::Subject(bea_subject)),
        send(
            4,
            ServerMessage::Removed {
                reason: LeaveReason::Banned,
            },
        ),
        close(4, close_code::FORBIDDEN, "banned"),
    ];
    expected.extend(to_each(&[1, 2, 3], Some((1, "ban")), &left(b2)));
    expected.push(m.remove(b2));
    expected.push(send(
        5,
        ServerMessage::Removed {
            reason: LeaveReason::Banned,
        },
    ));
    expected.push(close(5, close_code::FORBIDDEN, "banned"));
    assert_eq!(
        m.msg(1, Some("ban"), ClientMessage::Ban { participant_id: b2 }),
        expected
    );
    // Conn 2 was "Bea" under another subject (a different account), so it stays.
    assert_eq!(m.room.participant_id(plenum_room::ConnectionId(2)), Some(b));
    // The banned account cannot come back.
    m.connect(6, bea);
    assert_eq!(
        m.msg(6, None, join()),
        vec![
            send(
                6,
                ServerMessage::Removed {
                    reason: LeaveReason::Banned
                }
            ),
            close(6, close_code::FORBIDDEN, "banned"),
        ]
    );
}

#[test]
fn banning_a_guest_burns_their_invite_code_too() {
    let (mut m, [_, _, g]) = meeting();
    let outputs = m.msg(1, None, ClientMessage::Ban { participant_id: g });
    let bans: Vec<&RoomOutput> = outputs
        .iter()
        .filter(|o| matches!(o, RoomOutput::BanAdded(_)))
        .collect();
    assert_eq!(bans.len(), 2, "{outputs:?}");
    assert!(matches!(bans[0], RoomOutput::BanAdded(BanKey::Subject(_))));
    assert_eq!(
        bans[1],
        &RoomOutput::BanAdded(BanKey::InviteCode("inv-g".into()))
    );
    // (identity, refused?)
    let cases = [
        (guest("Gus again", "inv-g"), true),
        (guest("Other guest", "inv-other"), false),
        (user("Registered"), false),
    ];
    for (conn, (identity, refused)) in (10..).zip(cases) {
        m.connect(conn, identity);
        let outputs = m.msg(conn, None, join());
        let was_refused = outputs.contains(&close(conn, close_code::FORBIDDEN, "banned"));
        assert_eq!(was_refused, refused, "{outputs:?}");
    }
}

#[test]
fn banning_someone_waiting_removes_them_from_the_waiting_list() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    let w = m.wait(2, guest("Wim", "inv-w"));
    let x = m.wait(3, user("Xia"));
    m.drain();
    let keys = m.msg(1, Some("b"), ClientMessage::Ban { participant_id: w });
    let wim_subject = match &keys[0] {
        RoomOutput::BanAdded(BanKey::Subject(subject)) => *subject,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        keys,
        vec![
            RoomOutput::BanAdded(BanKey::Subject(wim_subject)),
            RoomOutput::BanAdded(BanKey::InviteCode("inv-w".into())),
            send(
                2,
                ServerMessage::Removed {
                    reason: LeaveReason::Banned
                }
            ),
            close(2, close_code::FORBIDDEN, "banned"),
            answer(
                1,
                "b",
                ServerMessage::RoomState(m.state(true, &[(x, "Xia")]))
            ),
        ]
    );
}

#[test]
fn a_ban_key_is_added_once() {
    let (mut m, [_, _, g]) = meeting();
    // A second guest through the same link is already inside; banning them later adds only
    // their subject, the invite code is burned already.
    let h = m.join(4, guest("Hal", "inv-g"));
    let first = m.msg(1, None, ClientMessage::Ban { participant_id: g });
    assert_eq!(
        first
            .iter()
            .filter(|o| matches!(o, RoomOutput::BanAdded(_)))
            .count(),
        2
    );
    let second = m.msg(1, None, ClientMessage::Ban { participant_id: h });
    let keys: Vec<&RoomOutput> = second
        .iter()
        .filter(|o| matches!(o, RoomOutput::BanAdded(_)))
        .collect();
    assert!(
        matches!(keys.as_slice(), [RoomOutput::BanAdded(BanKey::Subject(_))]),
        "{second:?}"
    );
}

#[test]
fn granting_and_revoking_moderator_changes_role_and_room_view() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    let b = m.join(2, user("Bea"));
    let g = m.join(3, guest("Gus", "inv"));
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: true });
    let w = m.wait(4, user("Wim"));
    m.drain();
    let waiting = [(w, "Wim")];

    // (message, target conn, target's role afterwards, role changed?)
    let steps = [
        (
            ClientMessage::GrantModerator { participant_id: b },
            2,
            Role::Moderator,
            true,
        ),
        (
            ClientMessage::GrantModerator { participant_id: b },
            2,
            Role::Moderator,
            false,
        ),
        (
            ClientMessage::RevokeModerator { participant_id: b },
            2,
            Role::Participant,
            true,
        ),
        (
            ClientMessage::RevokeModerator { participant_id: b },
            2,
            Role::Participant,
            false,
        ),
        (
            ClientMessage::GrantModerator { participant_id: g },
            3,
            Role::Moderator,
            true,
        ),
        (
            ClientMessage::RevokeModerator { participant_id: g },
            3,
            Role::Guest,
            true,
        ),
    ];
    for (message, target, role, changed) in steps {
        let (id, name) = if target == 2 { (b, "Bea") } else { (g, "Gus") };
        let updated = ServerMessage::ParticipantUpdated(fresh(id, name, role));
        let expected = if changed {
            let mut expected = to_each(&[1, 2, 3], Some((1, "g")), &updated);
            let view = if role.is_moderator() {
                m.state(true, &waiting)
            } else {
                m.state(true, &[])
            };
            expected.push(send(target, ServerMessage::RoomState(view)));
            expected
        } else {
            vec![answer(1, "g", updated)]
        };
        assert_eq!(
            m.msg(1, Some("g"), message.clone()),
            expected,
            "{message:?}"
        );
    }
}

#[test]
fn turning_the_waiting_room_on_and_off() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.join(2, user("Bea"));

    assert_eq!(
        m.msg(
            1,
            Some("on"),
            ClientMessage::SetWaitingRoom { enabled: true }
        ),
        vec![
            answer(1, "on", ServerMessage::RoomState(m.state(true, &[]))),
            send(2, ServerMessage::RoomState(m.state(true, &[]))),
        ]
    );
    // The same value again: only the sender hears the current state.
    assert_eq!(
        m.msg(
            1,
            Some("on2"),
            ClientMessage::SetWaitingRoom { enabled: true }
        ),
        vec![answer(
            1,
            "on2",
            ServerMessage::RoomState(m.state(true, &[]))
        )]
    );

    let w = m.wait(3, user("Wim"));
    let x = m.wait(4, guest("Xia", "inv"));
    m.drain();
    // Off: everyone hears it, then each waiting person is admitted in arrival order.
    let wim = fresh(w, "Wim", Role::Participant);
    let xia = fresh(x, "Xia", Role::Guest);
    let owner = fresh(m.id(1), "Olga Owner", Role::Owner);
    let bea = fresh(m.id(2), "Bea", Role::Participant);
    let mut expected = vec![
        answer(1, "off", ServerMessage::RoomState(m.state(false, &[]))),
        send(2, ServerMessage::RoomState(m.state(false, &[]))),
        send(3, ServerMessage::Admitted {}),
        send(
            3,
            ServerMessage::JoinSuccess {
                me: wim.clone(),
                participants: vec![owner.clone(), bea.clone(), wim.clone()],
                room: m.state(false, &[]),
                chat_history: vec![],
                ice_lite: true,
            },
        ),
    ];
    expected.extend(to_each(
        &[1, 2],
        None,
        &ServerMessage::ParticipantJoined(wim.clone()),
    ));
    expected.push(m.add(w));
    expected.push(send(4, ServerMessage::Admitted {}));
    expected.push(send(
        4,
        ServerMessage::JoinSuccess {
            me: xia.clone(),
            participants: vec![owner, bea, wim, xia.clone()],
            room: m.state(false, &[]),
            chat_history: vec![],
            ice_lite: true,
        },
    ));
    expected.extend(to_each(
        &[1, 2, 3],
        None,
        &ServerMessage::ParticipantJoined(xia),
    ));
    expected.push(m.add(x));
    assert_eq!(
        m.msg(
            1,
            Some("off"),
            ClientMessage::SetWaitingRoom { enabled: false }
        ),
        expected
    );
}

#[test]
fn admit_and_deny() {
    let mut m = Meeting::new(true);
    let a = m.join(1, m.owner());
    let w = m.wait(2, user("Wim"));
    let x = m.wait(3, user("Xia"));
    let y = m.wait(4, user("Yan"));
    m.drain();
    let wim = fresh(w, "Wim", Role::Participant);
    assert_eq!(
        m.msg(1, Some("a"), ClientMessage::Admit { participant_id: w }),
        vec![
            send(2, ServerMessage::Admitted {}),
            send(
                2,
                ServerMessage::JoinSuccess {
                    me: wim.clone(),
                    participants: vec![fresh(a, "Olga Owner", Role::Owner), wim.clone()],
                    room: m.state(true, &[]),
                    chat_history: vec![],
                    ice_lite: true,
                }
            ),
            answer(1, "a", ServerMessage::ParticipantJoined(wim)),
            m.add(w),
            send(
                1,
                ServerMessage::RoomState(m.state(true, &[(x, "Xia"), (y, "Yan")]))
            ),
        ]
    );
    assert_eq!(
        m.msg(1, Some("d"), ClientMessage::Deny { participant_id: x }),
        vec![
            send(3, ServerMessage::Denied {}),
            close(3, close_code::FORBIDDEN, "denied"),
            answer(
                1,
                "d",
                ServerMessage::RoomState(m.state(true, &[(y, "Yan")]))
            ),
        ]
    );
    // Neither is waiting any more.
    for message in [
        ClientMessage::Admit { participant_id: w },
        ClientMessage::Deny { participant_id: x },
    ] {
        assert_eq!(
            m.msg(1, None, message),
            vec![error(1, None, ErrorCode::NotFound)]
        );
    }
}

#[test]
fn the_waiting_list_changes_reach_moderators_only() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.join(2, user("Bea"));
    let mo = m.join(3, user("Mo"));
    m.msg(
        1,
        None,
        ClientMessage::GrantModerator { participant_id: mo },
    );
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: true });
    m.wait(4, user("Wim"));
    // Leaving the waiting room (disconnect) updates the moderators' list.
    assert_eq!(
        m.disconnect(4),
        to_each(&[1, 3], None, &ServerMessage::RoomState(m.state(true, &[])))
    );
}

#[test]
fn ending_closes_everyone_including_waiting_and_not_yet_joined() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    m.wait(2, user("Wim"));
    m.connect(3, user("Not Yet"));
    let ended = ServerMessage::Ended {
        reason: LeaveReason::EndedByModerator,
    };
    assert_eq!(
        m.msg(1, Some("end"), ClientMessage::End {}),
        vec![
            answer(1, "end", ended.clone()),
            close(1, close_code::MEETING_GONE, "meeting ended"),
            send(2, ended.clone()),
            close(2, close_code::MEETING_GONE, "meeting ended"),
            send(3, ended.clone()),
            close(3, close_code::MEETING_GONE, "meeting ended"),
            RoomOutput::Bridge(BridgeCommand::CloseConference { conference: m.id }),
            RoomOutput::Ended,
        ]
    );
    assert!(m.room.is_empty());
    // Late arrivals are told and closed; stray inputs do nothing.
    assert_eq!(
        m.connect(4, user("Late")),
        vec![
            send(4, ended),
            close(4, close_code::MEETING_GONE, "meeting ended")
        ]
    );
    assert_eq!(m.msg(1, None, join()), vec![]);
    assert_eq!(m.disconnect(2), vec![]);
    assert!(m.room.is_empty());
}
