//! Leaving, disconnecting, ending from outside, REST settings, and ban keys as text.

use crate::support::*;
use plenum_protocol::UserId;
use plenum_protocol::bridge::BridgeCommand;
use plenum_protocol::signaling::{ClientMessage, LeaveReason, Role, ServerMessage, close_code};
use plenum_room::{BanKey, BanKeyParseError, ConnectionId, RoomOutput};

#[test]
fn leaving_and_disconnecting_tell_the_others_and_the_bridge() {
    // (leave explicitly?) — a leave closes with 1000, a disconnect has no socket to close.
    for leave in [true, false] {
        let mut m = Meeting::new(false);
        m.join(1, m.owner());
        let b = m.join(2, user("Bea"));
        m.join(3, user("Cem"));
        m.msg(2, None, ClientMessage::RaiseHand {});
        let mut expected = vec![];
        let outputs = if leave {
            expected.push(close(2, 1000, "left"));
            m.msg(2, Some("bye"), ClientMessage::Leave {})
        } else {
            m.disconnect(2)
        };
        expected.extend(to_each(
            &[1, 3],
            None,
            &ServerMessage::ParticipantLeft { id: b },
        ));
        expected.push(m.remove(b));
        assert_eq!(outputs, expected, "leave: {leave}");
        assert_eq!(m.room.participant_id(ConnectionId(2)), None);
        // Whoever joins next sees neither Bea nor her hand.
        m.join(4, user("Dee"));
        let late = m.msg(4, None, ClientMessage::RaiseHand {});
        assert_eq!(late.len(), 3, "{late:?}");
    }
}

#[test]
fn the_room_is_empty_once_every_connection_is_gone() {
    let mut m = Meeting::new(true);
    assert!(m.room.is_empty());
    m.join(1, m.owner());
    m.wait(2, user("Wim"));
    m.connect(3, user("Not Yet"));
    // Each way out: leave while waiting, disconnect before joining, leave when joined.
    assert_eq!(
        m.msg(2, None, ClientMessage::Leave {}),
        vec![
            close(2, 1000, "left"),
            send(1, ServerMessage::RoomState(m.state(true, &[]))),
        ]
    );
    assert_eq!(m.disconnect(3), vec![]);
    assert!(!m.room.is_empty());
    let owner = m.id(1);
    assert_eq!(
        m.msg(1, None, ClientMessage::Leave {}),
        vec![close(1, 1000, "left"), m.remove(owner)]
    );
    assert!(m.room.is_empty());
}

#[test]
fn inputs_about_unknown_connections_are_ignored() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    assert_eq!(m.msg(99, Some("x"), join()), vec![]);
    assert_eq!(m.msg(99, None, ClientMessage::End {}), vec![]);
    assert_eq!(m.disconnect(99), vec![]);
    // A second connect with a known id keeps the first registration.
    let id = m.id(1);
    assert_eq!(m.connect(1, user("Impostor")), vec![]);
    assert_eq!(m.id(1), id);
}

#[test]
fn ending_from_outside_uses_the_reasons_close_code() {
    let cases = [
        (
            LeaveReason::Deleted,
            close_code::MEETING_GONE,
            "meeting deleted",
        ),
        (
            LeaveReason::InternalError,
            close_code::INTERNAL_ERROR,
            "internal error",
        ),
        (
            LeaveReason::EndedByModerator,
            close_code::MEETING_GONE,
            "meeting ended",
        ),
    ];
    for (reason, code, text) in cases {
        let mut m = Meeting::new(true);
        m.join(1, m.owner());
        m.wait(2, user("Wim"));
        m.drain();
        m.room.end(reason);
        let ended = ServerMessage::Ended { reason };
        assert_eq!(
            m.drain(),
            vec![
                send(1, ended.clone()),
                close(1, code, text),
                send(2, ended),
                close(2, code, text),
                RoomOutput::Bridge(BridgeCommand::CloseConference { conference: m.id }),
                RoomOutput::Ended,
            ],
            "{reason:?}"
        );
        // Ending twice does nothing.
        m.room.end(LeaveReason::Deleted);
        assert_eq!(m.drain(), vec![]);
        assert!(m.room.is_empty());
    }
}

#[test]
fn settings_changes_reach_the_room() {
    let mut m = Meeting::new(false);
    m.join(1, m.owner());
    m.join(2, user("Bea"));
    let renamed =
        |m: &Meeting, waiting_room, waiting: &[(plenum_protocol::ParticipantId, &str)]| {
            let mut state = m.state(waiting_room, waiting);
            state.title = "Renamed".into();
            ServerMessage::RoomState(state)
        };

    // Unchanged settings: nothing.
    m.room.handle_settings(m.settings(TITLE, false));
    assert_eq!(m.drain(), vec![]);

    // Title and waiting room: room.state to everyone.
    m.room.handle_settings(m.settings("Renamed", true));
    assert_eq!(m.drain(), to_each(&[1, 2], None, &renamed(&m, true, &[])));

    // Someone waits; turning the waiting room off over REST admits them.
    let w = m.wait(3, user("Wim"));
    m.drain();
    m.room.handle_settings(m.settings("Renamed", false));
    let outputs = m.drain();
    assert_eq!(
        outputs[..2],
        to_each(&[1, 2], None, &renamed(&m, false, &[]))
    );
    assert_eq!(outputs[2], send(3, ServerMessage::Admitted {}));
    assert!(outputs.contains(&m.add(w)), "{outputs:?}");

    // Settings for another meeting are not ours.
    let mut other = m.settings("Hijack", true);
    other.id = plenum_protocol::MeetingId::random();
    m.room.handle_settings(other);
    assert_eq!(m.drain(), vec![]);

    // A new owner applies to later joins.
    let heir = UserId::random();
    let mut settings = m.settings("Renamed", false);
    settings.owner = heir;
    m.room.handle_settings(settings);
    m.connect(
        4,
        plenum_room::Identity {
            subject: heir,
            ..user("Heir")
        },
    );
    let outputs = m.msg(4, None, join());
    assert!(
        matches!(&outputs[0], RoomOutput::Send { message, .. }
            if matches!(&message.message, ServerMessage::JoinSuccess { me, .. } if me.role == Role::Owner)),
        "{outputs:?}"
    );
}

#[test]
fn ban_keys_round_trip_as_text() {
    let subject = UserId::random();
    let cases: Vec<(String, Result<BanKey, BanKeyParseError>)> = vec![
        (format!("subject:{subject}"), Ok(BanKey::Subject(subject))),
        (
            "invite:abc-123".into(),
            Ok(BanKey::InviteCode("abc-123".into())),
        ),
        ("invite:".into(), Err(BanKeyParseError::EmptyInviteCode)),
        (
            "subject:not-a-uuid".into(),
            Err(BanKeyParseError::InvalidSubject),
        ),
        ("user:abc".into(), Err(BanKeyParseError::UnknownKind)),
        (String::new(), Err(BanKeyParseError::UnknownKind)),
    ];
    for (text, parsed) in cases {
        assert_eq!(text.parse::<BanKey>(), parsed, "{text}");
        assert_eq!(BanKey::parse(&text), parsed.clone().ok(), "{text}");
        if let Ok(key) = parsed {
            assert_eq!(key.to_string(), text);
        }
    }
}
