//! Joining: roles, display names, the waiting room, bans, and what is refused before joining.

use crate::support::*;
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, LeaveReason, Role, ServerMessage, close_code,
};
use plenum_protocol::{ParticipantId, UserId};
use plenum_room::{BanKey, Identity, SubjectKind};
use std::collections::BTreeSet;

#[test]
fn joining_without_waiting_room_tells_the_joiner_the_others_and_the_bridge() {
    enum Who {
        Owner,
        User,
        Guest,
    }
    let cases = [
        (Who::Owner, Role::Owner, "Olga Owner"),
        (Who::User, Role::Participant, "Ulla"),
        (Who::Guest, Role::Guest, "Gus"),
    ];
    for (who, role, name) in cases {
        let mut m = Meeting::new(false);
        let a = m.join(1, user("Anna"));
        let identity = match who {
            Who::Owner => m.owner(),
            Who::User => user(name),
            Who::Guest => guest(name, "inv-1"),
        };
        assert_eq!(m.connect(2, identity), vec![]);
        let me_id = m.id(2);
        let me = fresh(me_id, name, role);
        assert_eq!(
            m.msg(2, Some("j"), join()),
            vec![
                answer(
                    2,
                    "j",
                    ServerMessage::JoinSuccess {
                        me: me.clone(),
                        participants: vec![fresh(a, "Anna", Role::Participant), me.clone()],
                        room: m.state(false, &[]),
                        chat_history: vec![],
                        ice_lite: true,
                    }
                ),
                send(1, ServerMessage::ParticipantJoined(me)),
                m.add(me_id),
            ],
            "{name}"
        );
    }
}

#[test]
fn the_role_comes_from_the_identity_and_the_meeting_owner() {
    let mut m = Meeting::new(false);
    let owner = m.owner;
    let identity = |subject: UserId, kind: SubjectKind, role: Role| Identity {
        subject,
        kind,
        display_name: "X".into(),
        role,
        invite_code: None,
    };
    let cases = [
        // The meeting's owner is the owner even if the token claims less.
        (
            identity(owner, SubjectKind::User, Role::Participant),
            Role::Owner,
        ),
        (
            identity(UserId::random(), SubjectKind::User, Role::Owner),
            Role::Owner,
        ),
        (
            identity(UserId::random(), SubjectKind::User, Role::Moderator),
            Role::Moderator,
        ),
        (
            identity(UserId::random(), SubjectKind::User, Role::Participant),
            Role::Participant,
        ),
        // A guest never gets more than guest, whatever it claims.
        (
            identity(owner, SubjectKind::Guest, Role::Owner),
            Role::Guest,
        ),
        (
            identity(UserId::random(), SubjectKind::Guest, Role::Guest),
            Role::Guest,
        ),
    ];
    for (conn, (identity, role)) in (1..).zip(cases) {
        m.connect(conn, identity.clone());
        let outputs = m.msg(conn, None, join());
        let Some(plenum_room::RoomOutput::Send { message, .. }) = outputs.first() else {
            panic!("{outputs:?}");
        };
        let ServerMessage::JoinSuccess { me, .. } = &message.message else {
            panic!("{outputs:?}");
        };
        assert_eq!(me.role, role, "{identity:?}");
    }
}

#[test]
fn display_names_are_trimmed_and_checked() {
    let long = "n".repeat(64);
    let too_long = "n".repeat(65);
    // (requested, the token's name, the name shown or None for bad_message)
    let cases: [(Option<&str>, &str, Option<&str>); 11] = [
        (None, "Token Name", Some("Token Name")),
        (None, "  Token Name ", Some("Token Name")),
        (Some("  Ada  "), "Token Name", Some("Ada")),
        (Some("Zoë 🎉"), "Token Name", Some("Zoë 🎉")),
        (Some(&long), "Token Name", Some(&long)),
        (Some(&too_long), "Token Name", None),
        (Some(""), "Token Name", None),
        (Some("   "), "Token Name", None),
        (Some("a\u{7}b"), "Token Name", None),
        (Some("two\nlines"), "Token Name", None),
        (None, "", None),
    ];
    for (requested, token_name, shown) in cases {
        let mut m = Meeting::new(false);
        m.connect(1, user(token_name));
        let outputs = m.msg(
            1,
            Some("j"),
            ClientMessage::Join {
                display_name: requested.map(str::to_owned),
                resume: None,
            },
        );
        match shown {
            Some(name) => {
                let expected = fresh(m.id(1), name, Role::Participant);
                assert_eq!(
                    outputs,
                    vec![
                        answer(
                            1,
                            "j",
                            ServerMessage::JoinSuccess {
                                me: expected.clone(),
                                participants: vec![expected],
                                room: m.state(false, &[]),
                                chat_history: vec![],
                                ice_lite: true,
                            }
                        ),
                        m.add(m.id(1)),
                    ],
                    "{requested:?}"
                );
            }
            None => {
                assert_eq!(
                    outputs,
                    vec![error(1, Some("j"), ErrorCode::BadMessage)],
                    "{requested:?}"
                );
                // The connection stays and may try again with a valid name.
                let outputs = m.msg(
                    1,
                    None,
                    ClientMessage::Join {
                        display_name: Some("Valid".into()),
                        resume: None,
                    },
                );
                assert!(
                    matches!(&outputs[0], plenum_room::RoomOutput::Send { message, .. }
                        if matches!(&message.message, ServerMessage::JoinSuccess { me, .. } if me.display_name == "Valid")),
                    "{outputs:?}"
                );
            }
        }
    }
}

#[test]
fn joining_again_is_an_invalid_state() {
    // Joined, and waiting: both refuse a second join and stay as they are.
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    let w = m.wait(2, user("Wanda"));
    for conn in [1, 2] {
        assert_eq!(
            m.msg(conn, Some("again"), join()),
            vec![error(conn, Some("again"), ErrorCode::InvalidState)]
        );
    }
    assert_eq!(m.id(2), w);
}

#[test]
fn only_join_and_leave_are_allowed_before_joining() {
    let mut m = Meeting::new(true);
    let owner = m.join(1, m.owner());
    m.wait(2, guest("Wanda", "inv"));
    m.connect(3, user("Not Yet"));
    for conn in [2, 3] {
        for message in joined_only_messages(owner) {
            assert_eq!(
                m.msg(conn, Some("t"), message.clone()),
                vec![error(conn, Some("t"), ErrorCode::NotJoined)],
                "{conn} {message:?}"
            );
        }
    }
}

#[test]
fn session_messages_belong_to_the_server() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    m.wait(2, user("Wanda"));
    m.connect(3, user("Not Yet"));
    for conn in [1, 2, 3] {
        for message in [
            ClientMessage::Auth { token: "t".into() },
            ClientMessage::Refresh { token: "t".into() },
        ] {
            assert_eq!(
                m.msg(conn, Some("s"), message),
                vec![error(conn, Some("s"), ErrorCode::InvalidState)]
            );
        }
    }
}

#[test]
fn banned_subjects_and_invite_codes_are_refused_at_join() {
    let banned_user = UserId::random();
    let banned_guest = UserId::random();
    let bans = BTreeSet::from([
        BanKey::Subject(banned_user),
        BanKey::Subject(banned_guest),
        BanKey::InviteCode("burned".into()),
    ]);
    let with = |subject, kind, code: Option<&str>| Identity {
        subject,
        kind,
        display_name: "Someone".into(),
        role: if kind == SubjectKind::Guest {
            Role::Guest
        } else {
            Role::Participant
        },
        invite_code: code.map(str::to_owned),
    };
    let cases = [
        (with(banned_user, SubjectKind::User, None), true),
        (with(banned_guest, SubjectKind::Guest, Some("fresh")), true),
        // A new guest id through a burned invite link.
        (
            with(UserId::random(), SubjectKind::Guest, Some("burned")),
            true,
        ),
        // Registered users are banned by their id only.
        (
            with(UserId::random(), SubjectKind::User, Some("burned")),
            false,
        ),
        (
            with(UserId::random(), SubjectKind::Guest, Some("fresh")),
            false,
        ),
        (with(UserId::random(), SubjectKind::User, None), false),
    ];
    for (identity, refused) in cases {
        let mut m = Meeting::with_bans(false, bans.clone());
        m.connect(1, identity.clone());
        let outputs = m.msg(1, Some("j"), join());
        if refused {
            assert_eq!(
                outputs,
                vec![
                    answer(
                        1,
                        "j",
                        ServerMessage::Removed {
                            reason: LeaveReason::Banned
                        }
                    ),
                    close(1, close_code::FORBIDDEN, "banned"),
                ],
                "{identity:?}"
            );
            assert!(m.room.is_empty());
        } else {
            assert_eq!(outputs.len(), 2, "{identity:?}: {outputs:?}");
            assert!(!m.room.is_empty());
        }
    }
}

#[test]
fn the_waiting_room_holds_everyone_but_owner_and_moderators() {
    let mut m = Meeting::new(false);
    let owner = m.join(1, m.owner());
    let p = m.join(2, user("Paul"));
    let moderator = m.join(3, user("Mona"));
    m.msg(
        1,
        None,
        ClientMessage::GrantModerator {
            participant_id: moderator,
        },
    );
    m.msg(1, None, ClientMessage::SetWaitingRoom { enabled: true });

    // Each waiting joiner: room.waiting to them, the new waiting list to moderators only.
    let mut waiting: Vec<(ParticipantId, &str)> = vec![];
    for (conn, identity, name) in [(4, user("Wanda"), "Wanda"), (5, guest("Gus", "inv"), "Gus")] {
        m.connect(conn, identity);
        waiting.push((m.id(conn), name));
        let state = ServerMessage::RoomState(m.state(true, &waiting));
        assert_eq!(
            m.msg(conn, Some("j"), join()),
            vec![
                answer(conn, "j", ServerMessage::Waiting {}),
                send(1, state.clone()),
                send(3, state),
            ]
        );
    }

    // The owner (in a second tab) goes straight in and sees the waiting list.
    m.connect(6, m.owner());
    let outputs = m.msg(6, None, join());
    let me = fresh(m.id(6), "Olga Owner", Role::Owner);
    let moderator_now = fresh(moderator, "Mona", Role::Moderator);
    assert_eq!(
        outputs,
        vec![
            send(
                6,
                ServerMessage::JoinSuccess {
                    me: me.clone(),
                    participants: vec![
                        fresh(owner, "Olga Owner", Role::Owner),
                        fresh(p, "Paul", Role::Participant),
                        moderator_now,
                        me.clone(),
                    ],
                    room: m.state(true, &waiting),
                    chat_history: vec![],
                    ice_lite: true,
                }
            ),
            send(1, ServerMessage::ParticipantJoined(me.clone())),
            send(2, ServerMessage::ParticipantJoined(me.clone())),
            send(3, ServerMessage::ParticipantJoined(me)),
            m.add(m.id(6)),
        ]
    );
}

#[test]
fn participants_are_listed_in_join_order_not_connection_order() {
    let mut m = Meeting::new(false);
    let c = m.join(9, user("Cleo"));
    let a = m.join(3, user("Arne"));
    m.connect(5, user("Bea"));
    let outputs = m.msg(5, None, join());
    let plenum_room::RoomOutput::Send { message, .. } = &outputs[0] else {
        panic!("{outputs:?}");
    };
    let ServerMessage::JoinSuccess { participants, .. } = &message.message else {
        panic!("{outputs:?}");
    };
    let ids: Vec<ParticipantId> = participants.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![c, a, m.id(5)]);
    // Broadcasts follow the same order.
    let joined_to: Vec<_> = outputs[1..3]
        .iter()
        .map(|o| match o {
            plenum_room::RoomOutput::Send { to, .. } => to.0,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(joined_to, vec![9, 3]);
}
