//! Hands, media flags, moderator mute and self-unmute, and the media messages that go to the
//! bridge.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::bridge::{BridgeCommand, PublishedTrack, TrackSource, ViewedTile};
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, MediaState, Participant, Role, ServerMessage,
};
use plenum_room::RoomOutput;

/// Owner (1), Bea (2), Cem (3), all joined.
fn meeting() -> (Meeting, [ParticipantId; 3]) {
    let mut m = Meeting::new(false);
    let a = m.join(1, m.owner());
    let b = m.join(2, user("Bea"));
    let c = m.join(3, user("Cem"));
    (m, [a, b, c])
}

fn media(mic: bool, camera: bool, screen: bool) -> MediaState {
    MediaState {
        mic,
        camera,
        screen,
    }
}

fn updated(p: &Participant) -> ServerMessage {
    ServerMessage::ParticipantUpdated(p.clone())
}

#[test]
fn own_hand_raise_and_lower_broadcast_only_changes() {
    let (mut m, [_, b, _]) = meeting();
    let mut bea = fresh(b, "Bea", Role::Participant);
    // (message, hand afterwards, broadcast?)
    let steps = [
        (ClientMessage::RaiseHand {}, true, true),
        (ClientMessage::RaiseHand {}, true, false),
        (ClientMessage::LowerHand {}, false, true),
        (ClientMessage::LowerHand {}, false, false),
    ];
    for (message, raised, broadcast) in steps {
        bea.hand_raised = raised;
        // The meeting's first raise; raising again keeps its place.
        bea.hand_raised_seq = raised.then_some(1);
        let expected = if broadcast {
            to_each(&[1, 2, 3], Some((2, "h")), &updated(&bea))
        } else {
            vec![answer(2, "h", updated(&bea))]
        };
        assert_eq!(
            m.msg(2, Some("h"), message.clone()),
            expected,
            "{message:?}"
        );
    }
}

#[test]
fn moderators_lower_other_hands() {
    let (mut m, [_, b, c]) = meeting();
    m.msg(2, None, ClientMessage::RaiseHand {});
    let mut bea = fresh(b, "Bea", Role::Participant);
    bea.hand_raised = true;
    bea.hand_raised_seq = Some(1);
    // Cem is no moderator.
    assert_eq!(
        m.msg(
            3,
            Some("x"),
            ClientMessage::LowerHandOf { participant_id: b }
        ),
        vec![error(3, Some("x"), ErrorCode::Forbidden)]
    );
    bea.hand_raised = false;
    bea.hand_raised_seq = None;
    assert_eq!(
        m.msg(
            1,
            Some("l"),
            ClientMessage::LowerHandOf { participant_id: b }
        ),
        to_each(&[1, 2, 3], Some((1, "l")), &updated(&bea))
    );
    // Lowering a lowered hand changes nothing: the moderator alone sees the state.
    assert_eq!(
        m.msg(
            1,
            Some("l2"),
            ClientMessage::LowerHandOf { participant_id: c }
        ),
        vec![answer(
            1,
            "l2",
            updated(&fresh(c, "Cem", Role::Participant))
        )]
    );
}

#[test]
fn media_state_updates_flags_and_broadcasts_changes() {
    let (mut m, [_, b, _]) = meeting();
    let mut bea = fresh(b, "Bea", Role::Participant);
    for (state, broadcast) in [
        (media(true, true, false), true),
        (media(true, true, false), false),
        (media(false, true, true), true),
        (media(false, false, false), true),
    ] {
        bea.media = state;
        let expected = if broadcast {
            to_each(&[1, 2, 3], Some((2, "s")), &updated(&bea))
        } else {
            vec![answer(2, "s", updated(&bea))]
        };
        assert_eq!(
            m.msg(2, Some("s"), ClientMessage::MediaState(state)),
            expected
        );
    }
}

#[test]
fn a_muted_participant_may_unmute_itself() {
    let (mut m, [_, b, _]) = meeting();
    m.msg(2, None, ClientMessage::MediaState(media(true, true, false)));
    let mut bea = fresh(b, "Bea", Role::Participant);

    // The moderator mutes: flag on, mic off, audio stops at the bridge.
    bea.media = media(false, true, false);
    bea.muted_by_moderator = true;
    let mut expected = to_each(&[1, 2, 3], Some((1, "m")), &updated(&bea));
    expected.push(m.audio(b, false));
    assert_eq!(
        m.msg(1, Some("m"), ClientMessage::Mute { participant_id: b }),
        expected
    );

    // Muting again changes nothing and does not bother the bridge.
    assert_eq!(
        m.msg(1, Some("m2"), ClientMessage::Mute { participant_id: b }),
        vec![answer(1, "m2", updated(&bea))]
    );

    // Other flags do not lift the mute.
    bea.media = media(false, false, true);
    assert_eq!(
        m.msg(
            2,
            None,
            ClientMessage::MediaState(media(false, false, true))
        ),
        to_each(&[1, 2, 3], None, &updated(&bea))
    );

    // mic: true is the participant unmuting itself: flag cleared, audio flows again.
    bea.media = media(true, false, true);
    bea.muted_by_moderator = false;
    let mut expected = to_each(&[1, 2, 3], Some((2, "u")), &updated(&bea));
    expected.push(m.audio(b, true));
    assert_eq!(
        m.msg(
            2,
            Some("u"),
            ClientMessage::MediaState(media(true, false, true))
        ),
        expected
    );
}

#[test]
fn mute_all_mutes_everyone_but_the_caller() {
    let (mut m, [a, b, c]) = meeting();
    let d = m.join(4, guest("Dee", "inv"));
    m.msg(1, None, ClientMessage::GrantModerator { participant_id: b });
    m.msg(1, None, ClientMessage::Mute { participant_id: d });
    m.msg(
        3,
        None,
        ClientMessage::MediaState(media(true, false, false)),
    );

    // Bea (a moderator) mutes all: the owner and Cem; Dee is already muted.
    let mut owner = fresh(a, "Olga Owner", Role::Owner);
    owner.muted_by_moderator = true;
    let mut cem = fresh(c, "Cem", Role::Participant);
    cem.muted_by_moderator = true;
    let mut expected = to_each(&[1, 2, 3, 4], Some((2, "all")), &updated(&owner));
    expected.push(m.audio(a, false));
    // The txn went with the first answer; later copies carry none.
    expected.extend(to_each(&[1, 2, 3, 4], None, &updated(&cem)));
    expected.push(m.audio(c, false));
    assert_eq!(m.msg(2, Some("all"), ClientMessage::MuteAll {}), expected);

    // Everyone is muted now: nothing to do.
    assert_eq!(m.msg(2, Some("again"), ClientMessage::MuteAll {}), vec![]);
}

#[test]
fn media_messages_become_bridge_commands_and_answers_keep_the_publish_txn() {
    let (mut m, [a, b, _]) = meeting();
    let tracks = vec![
        PublishedTrack {
            mid: "0".into(),
            source: TrackSource::Microphone,
        },
        PublishedTrack {
            mid: "1".into(),
            source: TrackSource::Camera,
        },
    ];
    assert_eq!(
        m.msg(
            2,
            Some("pub"),
            ClientMessage::PublishOffer {
                sdp: "offer".into(),
                tracks: tracks.clone()
            }
        ),
        vec![RoomOutput::Bridge(BridgeCommand::PublishOffer {
            conference: m.id,
            participant: b,
            sdp: "offer".into(),
            tracks,
        })]
    );
    assert_eq!(
        m.msg(
            2,
            Some("sub"),
            ClientMessage::SubscribeAnswer {
                sdp: "answer".into()
            }
        ),
        vec![RoomOutput::Bridge(BridgeCommand::SubscribeAnswer {
            conference: m.id,
            participant: b,
            sdp: "answer".into(),
        })]
    );
    let tiles = vec![ViewedTile {
        participant_id: a,
        source: TrackSource::Camera,
        width: 640,
        height: 360,
    }];
    assert_eq!(
        m.msg(
            2,
            None,
            ClientMessage::View {
                tiles: tiles.clone()
            }
        ),
        vec![RoomOutput::Bridge(BridgeCommand::View {
            conference: m.id,
            participant: b,
            tiles,
        })]
    );

    let answer_event = |sdp: &str| plenum_protocol::bridge::BridgeEvent::PublishAnswer {
        participant: b,
        sdp: sdp.into(),
    };
    m.room.handle_bridge_event(answer_event("a1"), m.now);
    assert_eq!(
        m.drain(),
        vec![answer(
            2,
            "pub",
            ServerMessage::PublishAnswer { sdp: "a1".into() }
        )]
    );
    // A later answer (say, after a bridge-side renegotiation) answers nothing of the client's.
    m.room.handle_bridge_event(answer_event("a2"), m.now);
    assert_eq!(
        m.drain(),
        vec![send(2, ServerMessage::PublishAnswer { sdp: "a2".into() })]
    );
}

#[test]
fn nothing_reaches_the_bridge_for_someone_waiting() {
    let mut m = Meeting::new(true);
    m.join(1, m.owner());
    m.wait(2, user("Wim"));
    for message in [
        ClientMessage::PublishOffer {
            sdp: "offer".into(),
            tracks: vec![],
        },
        ClientMessage::SubscribeAnswer { sdp: "a".into() },
        ClientMessage::View { tiles: vec![] },
        ClientMessage::MediaState(media(true, true, true)),
    ] {
        assert_eq!(
            m.msg(2, None, message),
            vec![error(2, None, ErrorCode::NotJoined)]
        );
    }
    // Media events the bridge might still send about them are dropped.
    m.room.handle_bridge_event(
        plenum_protocol::bridge::BridgeEvent::SubscribeOffer {
            participant: m.id(2),
            sdp: "o".into(),
            tracks: vec![],
        },
        m.now,
    );
    m.room.handle_bridge_event(
        plenum_protocol::bridge::BridgeEvent::ActiveSpeaker {
            participant: m.id(2),
        },
        m.now,
    );
    assert_eq!(m.drain(), vec![]);
}
