//! Events from the media bridge and where they go.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent, SubscribedTrack, TrackSource};
use plenum_protocol::signaling::{
    ErrorCode, LeaveReason, MediaState, Role, ServerMessage, close_code,
};
use plenum_room::RoomOutput;

/// Owner (1) and Bea (2) joined, Wim (3) waiting.
fn meeting() -> (Meeting, [ParticipantId; 3]) {
    let mut m = Meeting::new(true);
    let a = m.join(1, m.owner());
    m.msg(
        1,
        None,
        plenum_protocol::signaling::ClientMessage::SetWaitingRoom { enabled: false },
    );
    let b = m.join(2, user("Bea"));
    m.msg(
        1,
        None,
        plenum_protocol::signaling::ClientMessage::SetWaitingRoom { enabled: true },
    );
    let w = m.wait(3, user("Wim"));
    m.drain();
    (m, [a, b, w])
}

#[test]
fn bridge_events_reach_the_right_participants() {
    let (m, [a, b, w]) = meeting();
    let tracks = vec![SubscribedTrack {
        mid: "3".into(),
        participant_id: a,
        source: TrackSource::Camera,
    }];
    let error = |code: &str| BridgeEvent::Error {
        participant: b,
        code: code.into(),
        message: "bridge says no".into(),
    };
    let bridge_error = |code| {
        send(
            2,
            ServerMessage::Error {
                code,
                message: "bridge says no".into(),
            },
        )
    };
    let cases: Vec<(BridgeEvent, Vec<RoomOutput>)> = vec![
        (
            BridgeEvent::SubscribeOffer {
                participant: b,
                sdp: "offer".into(),
                tracks: tracks.clone(),
            },
            vec![send(
                2,
                ServerMessage::SubscribeOffer {
                    sdp: "offer".into(),
                    tracks,
                },
            )],
        ),
        (
            BridgeEvent::ActiveSpeaker { participant: a },
            to_each(
                &[1, 2],
                None,
                &ServerMessage::ActiveSpeaker { participant_id: a },
            ),
        ),
        (
            error("invalid_sdp"),
            vec![bridge_error(ErrorCode::InvalidSdp)],
        ),
        (
            error("invalid_state"),
            vec![bridge_error(ErrorCode::InvalidState)],
        ),
        (error("not_found"), vec![bridge_error(ErrorCode::NotFound)]),
        (
            error("something new"),
            vec![bridge_error(ErrorCode::InvalidState)],
        ),
        (
            BridgeEvent::PublishAnswer {
                participant: b,
                sdp: "answer".into(),
            },
            vec![send(
                2,
                ServerMessage::PublishAnswer {
                    sdp: "answer".into(),
                },
            )],
        ),
        // Media already off: nothing to tell.
        (BridgeEvent::MediaDisconnected { participant: b }, vec![]),
        // Events about someone waiting, gone or unknown are dropped.
        (BridgeEvent::ActiveSpeaker { participant: w }, vec![]),
        (
            BridgeEvent::SubscribeOffer {
                participant: ParticipantId::random(),
                sdp: "offer".into(),
                tracks: vec![],
            },
            vec![],
        ),
        (
            BridgeEvent::Error {
                participant: w,
                code: "invalid_sdp".into(),
                message: "x".into(),
            },
            vec![],
        ),
        (
            BridgeEvent::PublishAnswer {
                participant: w,
                sdp: "answer".into(),
            },
            vec![],
        ),
        (BridgeEvent::MediaDisconnected { participant: w }, vec![]),
    ];
    let mut m = m;
    for (event, expected) in cases {
        m.room.handle_bridge_event(event.clone(), m.now);
        assert_eq!(m.drain(), expected, "{event:?}");
    }
}

#[test]
fn lost_media_turns_the_participants_media_off_for_everyone() {
    let (mut m, [_, b, _]) = meeting();
    let on = MediaState {
        mic: true,
        camera: true,
        screen: false,
    };
    m.msg(
        2,
        None,
        plenum_protocol::signaling::ClientMessage::MediaState(on),
    );
    m.room
        .handle_bridge_event(BridgeEvent::MediaDisconnected { participant: b }, m.now);
    assert_eq!(
        m.drain(),
        to_each(
            &[1, 2],
            None,
            &ServerMessage::ParticipantUpdated(fresh(b, "Bea", Role::Participant))
        )
    );
}

#[test]
fn a_failed_conference_ends_the_meeting_as_an_internal_error() {
    let (mut m, _) = meeting();
    m.room.handle_bridge_event(
        BridgeEvent::ConferenceFailed {
            message: "panic in sfu".into(),
        },
        m.now,
    );
    let ended = ServerMessage::Ended {
        reason: LeaveReason::InternalError,
    };
    let mut expected = vec![];
    for conn in [1, 2, 3] {
        expected.push(send(conn, ended.clone()));
        expected.push(close(conn, close_code::INTERNAL_ERROR, "internal error"));
    }
    expected.push(RoomOutput::Bridge(BridgeCommand::CloseConference {
        conference: m.id,
    }));
    expected.push(RoomOutput::Ended);
    assert_eq!(m.drain(), expected);
    assert!(m.room.is_empty());
}
