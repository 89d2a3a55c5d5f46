//! Random sequences of inputs from several connections, on a fixed set of seeds: the room
//! never panics, and its outputs keep the invariants a server relies on. The model below is
//! built from the outputs alone, so it checks the room against itself over time:
//!
//! - nothing is sent to, or closed on, a connection that is closed or was never opened;
//! - each phase gets only its messages: someone waiting never gets chat, participant events
//!   or media; nothing but `room.join_success` makes a connection joined;
//! - the bridge hears only about joined participants: `AddParticipant` right after their
//!   `room.join_success`, every other command only between that and `RemoveParticipant`,
//!   and anyone who is gone has been removed from it by the end of the step;
//! - a txn comes back at most once, and only to the connection that sent it;
//! - `room.join_success` lists exactly the joined participants, in join order;
//! - after `Ended` every connection is closed and the bridge hears nothing more;
//! - `is_empty` is true exactly when no connection is open.

use crate::support::*;
use plenum_protocol::bridge::{
    BridgeCommand, BridgeEvent, PublishedTrack, TrackSource, ViewedTile,
};
use plenum_protocol::signaling::{ClientMessage, LeaveReason, MediaState, Reaction, ServerMessage};
use plenum_protocol::{MeetingId, ParticipantId};
use plenum_room::{ConnectionId, Identity, RoomOutput};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[test]
fn random_inputs_never_break_the_invariants() {
    let mut seen = BTreeMap::new();
    for seed in 1..=24 {
        for (what, count) in run(seed, 1500) {
            *seen.entry(what).or_insert(0) += count;
        }
    }
    // The walk must reach every kind of outcome often enough to have tested something.
    let kinds = [
        "waiting",
        "admitted",
        "denied",
        "join_success",
        "removed",
        "ended",
        "chat",
        "updated",
        "left",
        "room_state",
        "publish_answer",
        "ban_added",
        "error",
        "reaction",
        "add",
        "remove",
        "set_audio",
        "publish_offer",
        "close",
    ];
    for kind in kinds {
        let count = seen.get(kind).copied().unwrap_or(0);
        assert!(count >= 20, "{kind} seen {count} times only: {seen:?}");
    }
}

/// SplitMix64: tiny, deterministic, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Connected,
    Waiting { admitted: bool },
    Joined,
}

struct Model {
    meeting: MeetingId,
    /// Connections the room may still talk to, and their phase as its outputs showed it.
    open: BTreeMap<ConnectionId, Seen>,
    /// Participant ids the bridge knows, in join order.
    at_bridge: Vec<ParticipantId>,
    /// Which connection sent each txn, and which txns came back.
    txn_sender: BTreeMap<String, ConnectionId>,
    answered: BTreeSet<String>,
    /// The participant of the latest `room.join_success`.
    last_joined: Option<ParticipantId>,
    ended: bool,
    /// How often each kind of outcome occurred, to show the walk got somewhere.
    stats: BTreeMap<&'static str, u64>,
}

impl Model {
    fn new(meeting: MeetingId) -> Self {
        Self {
            meeting,
            open: BTreeMap::new(),
            at_bridge: Vec::new(),
            txn_sender: BTreeMap::new(),
            answered: BTreeSet::new(),
            last_joined: None,
            ended: false,
            stats: BTreeMap::new(),
        }
    }

    fn observe(&mut self, m: &Meeting, outputs: &[RoomOutput], context: &str) {
        for output in outputs {
            *self.stats.entry(kind(output)).or_insert(0) += 1;
            let context = format!("{context}: {output:?}");
            match output {
                RoomOutput::Send { to, message } => {
                    let seen = *self
                        .open
                        .get(to)
                        .unwrap_or_else(|| panic!("sent to a closed connection: {context}"));
                    if let Some(txn) = &message.txn {
                        assert_eq!(
                            self.txn_sender.get(txn),
                            Some(to),
                            "txn to another: {context}"
                        );
                        assert!(self.answered.insert(txn.clone()), "txn twice: {context}");
                    }
                    self.check_phase(m, *to, seen, &message.message, &context);
                }
                // This room runs no votes (`enable_votes` is never called).
                RoomOutput::Vote(_) => panic!("a vote without votes enabled: {context}"),
                RoomOutput::Close { conn, code, .. } => {
                    assert!(
                        self.open.remove(conn).is_some(),
                        "closed twice or unknown: {context}"
                    );
                    assert!([1000, 4403, 4404, 4500].contains(code), "{context}");
                }
                RoomOutput::Bridge(command) => {
                    assert!(!self.ended, "bridge after the end: {context}");
                    assert_eq!(command.conference(), self.meeting, "{context}");
                    self.check_bridge(command, &context);
                }
                RoomOutput::BanAdded(_) => {}
                RoomOutput::Ended => {
                    assert!(
                        self.open.is_empty(),
                        "ended with open connections: {context}"
                    );
                    // CloseConference has dropped everyone at the bridge at once.
                    self.ended = true;
                    self.at_bridge.clear();
                }
            }
        }
        // After every step: the bridge knows exactly the joined participants.
        let joined: BTreeSet<ParticipantId> = self
            .open
            .iter()
            .filter(|(_, seen)| **seen == Seen::Joined)
            .map(|(conn, _)| {
                m.room
                    .participant_id(*conn)
                    .expect("a joined connection is live")
            })
            .collect();
        let at_bridge: BTreeSet<ParticipantId> = self.at_bridge.iter().copied().collect();
        assert_eq!(joined, at_bridge, "{context}: joined vs. bridge");
        assert_eq!(
            m.room.is_empty(),
            self.open.is_empty(),
            "{context}: is_empty"
        );
        for conn in self.open.keys() {
            assert!(
                m.room.participant_id(*conn).is_some() || self.ended,
                "{context}"
            );
        }
    }

    fn check_phase(
        &mut self,
        m: &Meeting,
        to: ConnectionId,
        seen: Seen,
        message: &ServerMessage,
        context: &str,
    ) {
        use ServerMessage as S;
        match message {
            S::Error { .. } | S::Removed { .. } | S::Ended { .. } => {}
            S::Waiting {} => {
                assert_eq!(seen, Seen::Connected, "{context}");
                self.open.insert(to, Seen::Waiting { admitted: false });
            }
            S::Admitted {} => {
                assert_eq!(seen, Seen::Waiting { admitted: false }, "{context}");
                self.open.insert(to, Seen::Waiting { admitted: true });
            }
            S::Denied {} => assert!(matches!(seen, Seen::Waiting { .. }), "{context}"),
            S::JoinSuccess {
                me, participants, ..
            } => {
                assert!(
                    matches!(seen, Seen::Connected | Seen::Waiting { admitted: true }),
                    "{context}"
                );
                assert_eq!(m.room.participant_id(to), Some(me.id), "{context}");
                let mut expected = self.at_bridge.clone();
                expected.push(me.id);
                let listed: Vec<ParticipantId> = participants.iter().map(|p| p.id).collect();
                assert_eq!(listed, expected, "{context}: participants");
                self.open.insert(to, Seen::Joined);
                self.last_joined = Some(me.id);
            }
            S::ParticipantJoined(p) => {
                assert_eq!(seen, Seen::Joined, "{context}");
                assert_eq!(Some(p.id), self.last_joined, "{context}");
            }
            _ => assert_eq!(seen, Seen::Joined, "only joined get this: {context}"),
        }
    }

    fn check_bridge(&mut self, command: &BridgeCommand, context: &str) {
        match command {
            BridgeCommand::AddParticipant { participant, .. } => {
                assert_eq!(Some(*participant), self.last_joined, "{context}");
                assert!(
                    !self.at_bridge.contains(participant),
                    "added twice: {context}"
                );
                self.at_bridge.push(*participant);
            }
            BridgeCommand::PublishOffer { participant, .. }
            | BridgeCommand::SubscribeAnswer { participant, .. }
            | BridgeCommand::View { participant, .. }
            | BridgeCommand::SetAudioAllowed { participant, .. } => {
                assert!(
                    self.at_bridge.contains(participant),
                    "not joined: {context}"
                );
            }
            BridgeCommand::RemoveParticipant { participant, .. } => {
                let before = self.at_bridge.len();
                self.at_bridge.retain(|p| p != participant);
                assert_eq!(
                    self.at_bridge.len() + 1,
                    before,
                    "not at the bridge: {context}"
                );
            }
            BridgeCommand::CloseConference { .. } => {}
        }
    }
}

fn kind(output: &RoomOutput) -> &'static str {
    use ServerMessage as S;
    match output {
        RoomOutput::Send { message, .. } => match message.message {
            S::Waiting {} => "waiting",
            S::Admitted {} => "admitted",
            S::Denied {} => "denied",
            S::JoinSuccess { .. } => "join_success",
            S::Removed { .. } => "removed",
            S::Ended { .. } => "ended",
            S::Chat(_) => "chat",
            S::ParticipantUpdated(_) => "updated",
            S::ParticipantLeft { .. } => "left",
            S::RoomState(_) => "room_state",
            S::PublishAnswer { .. } => "publish_answer",
            S::Error { .. } => "error",
            S::Reaction { .. } => "reaction",
            _ => "other",
        },
        RoomOutput::Close { .. } => "close",
        RoomOutput::BanAdded(_) => "ban_added",
        RoomOutput::Vote(_) => "vote",
        RoomOutput::Ended => "room_ended",
        RoomOutput::Bridge(command) => match command {
            BridgeCommand::AddParticipant { .. } => "add",
            BridgeCommand::RemoveParticipant { .. } => "remove",
            BridgeCommand::SetAudioAllowed { .. } => "set_audio",
            BridgeCommand::PublishOffer { .. } => "publish_offer",
            _ => "bridge_other",
        },
    }
}

/// Runs one random walk; returns how often each kind of output occurred.
fn run(seed: u64, steps: usize) -> BTreeMap<&'static str, u64> {
    let mut rng = Rng(seed);
    let mut m = Meeting::new(rng.percent(50));
    let mut model = Model::new(m.id);
    let mut identities: Vec<Identity> = vec![];
    let mut conns: Vec<ConnectionId> = vec![];
    let mut pids: Vec<ParticipantId> = vec![];
    let mut next_txn = 0u64;
    let mut title_flip = false;
    // Ending is scheduled late (or past the walk) so that most steps hit a live meeting,
    // and some hit an ended one.
    let end_at = steps * 3 / 4 + rng.below(steps / 2);

    for step in 0..steps {
        let roll = rng.below(1000);
        let context = format!("seed {seed} step {step}");
        let live: Vec<ParticipantId> = model
            .open
            .keys()
            .filter_map(|conn| m.room.participant_id(*conn))
            .collect();
        let open: Vec<ConnectionId> = model.open.keys().copied().collect();
        // Mostly someone still connected; now and then a connection that is gone.
        let sender = |rng: &mut Rng| {
            if open.is_empty() || rng.percent(10) {
                rng.pick(&conns)
            } else {
                rng.pick(&open)
            }
        };
        let outputs = if step == end_at {
            match rng.below(3) {
                0 => m
                    .room
                    .end(rng.pick(&[LeaveReason::Deleted, LeaveReason::InternalError])),
                1 => m.room.handle_bridge_event(
                    BridgeEvent::ConferenceFailed {
                        message: "boom".into(),
                    },
                    m.now,
                ),
                // Forbidden unless the sender happens to moderate: then the walk goes on.
                _ if !conns.is_empty() => {
                    m.room
                        .handle_message(sender(&mut rng), None, ClientMessage::End {}, m.now)
                }
                _ => {}
            }
            m.drain()
        } else if roll < 110 || conns.is_empty() {
            // A new connection: the owner, a user, a guest, or someone seen before.
            let identity = if !identities.is_empty() && rng.percent(20) {
                rng.pick(&identities)
            } else {
                match rng.below(8) {
                    0 | 1 => m.owner(),
                    2..=4 => user("U"),
                    _ => guest("G", rng.pick(&["a", "b", "c", "d", "e", "f"])),
                }
            };
            identities.push(identity.clone());
            let conn = ConnectionId(conns.len() as u64 + 1);
            conns.push(conn);
            model.open.insert(conn, Seen::Connected);
            m.room.handle_connect(conn, identity, m.now);
            if let Some(pid) = m.room.participant_id(conn) {
                pids.push(pid);
            }
            m.drain()
        } else if roll < 160 {
            let conn = sender(&mut rng);
            model.open.remove(&conn);
            m.room.handle_disconnect(conn, m.now);
            m.drain()
        } else if roll < 820 {
            let conn = sender(&mut rng);
            let txn = rng.percent(60).then(|| {
                next_txn += 1;
                let txn = format!("t{next_txn}");
                model.txn_sender.insert(txn.clone(), conn);
                txn
            });
            let target = pick_target(&mut rng, &live, &pids);
            let waiting: Vec<ParticipantId> = model
                .open
                .iter()
                .filter(|(_, seen)| matches!(seen, Seen::Waiting { .. }))
                .filter_map(|(conn, _)| m.room.participant_id(*conn))
                .collect();
            // Admit and deny are about someone waiting, when there is anyone.
            let waiting_target = if waiting.is_empty() || rng.percent(20) {
                target
            } else {
                rng.pick(&waiting)
            };
            // Someone connected mostly joins, so that most of the walk happens inside.
            let message = if model.open.get(&conn) == Some(&Seen::Connected) && rng.percent(70) {
                ClientMessage::Join {
                    display_name: None,
                    resume: None,
                }
            } else {
                random_message(&mut rng, target, waiting_target)
            };
            m.room.handle_message(conn, txn, message, m.now);
            m.drain()
        } else if roll < 930 {
            let target = pick_target(&mut rng, &live, &pids);
            let event = random_event(&mut rng, target);
            m.room.handle_bridge_event(event, m.now);
            m.drain()
        } else if roll < 980 {
            m.advance(Duration::from_millis(rng.below(3000) as u64));
            vec![]
        } else {
            title_flip = !title_flip;
            let title = if title_flip { "Other" } else { TITLE };
            m.room.handle_settings(m.settings(title, rng.percent(50)));
            m.drain()
        };
        model.observe(&m, &outputs, &context);
    }
    model.stats
}

/// Mostly someone live, sometimes someone gone, rarely a stranger.
fn pick_target(rng: &mut Rng, live: &[ParticipantId], all: &[ParticipantId]) -> ParticipantId {
    match rng.below(100) {
        0..=74 if !live.is_empty() => rng.pick(live),
        0..=94 if !all.is_empty() => rng.pick(all),
        _ => ParticipantId::random(),
    }
}

fn random_message(
    rng: &mut Rng,
    participant_id: ParticipantId,
    waiting: ParticipantId,
) -> ClientMessage {
    use ClientMessage as M;
    let flag = |rng: &mut Rng| rng.percent(50);
    match rng.below(100) {
        0..=14 => M::Join {
            display_name: rng.pick(&[
                None,
                Some("Named".into()),
                Some(String::new()),
                Some("\u{1}".into()),
            ]),
            resume: None,
        },
        15..=17 => M::Leave {},
        18..=29 => M::ChatSend {
            text: rng.pick(&[
                "hi".to_owned(),
                String::new(),
                " x ".into(),
                "y".repeat(4001),
            ]),
            to: rng.percent(30).then_some(participant_id),
        },
        30..=33 => M::RaiseHand {},
        34..=36 => M::LowerHand {},
        37..=42 => M::MediaState(MediaState {
            mic: flag(rng),
            camera: flag(rng),
            screen: flag(rng),
        }),
        43..=45 => M::PublishOffer {
            sdp: "offer".into(),
            tracks: vec![PublishedTrack {
                mid: "0".into(),
                source: TrackSource::Microphone,
            }],
        },
        46..=47 => M::SubscribeAnswer {
            sdp: "answer".into(),
        },
        48..=49 => M::View {
            tiles: vec![ViewedTile {
                participant_id,
                source: TrackSource::Camera,
                width: 320,
                height: 180,
            }],
        },
        50..=54 => M::Mute { participant_id },
        55..=56 => M::MuteAll {},
        57..=60 => M::Remove { participant_id },
        61..=63 => M::Ban { participant_id },
        64..=70 => M::GrantModerator { participant_id },
        71..=74 => M::RevokeModerator { participant_id },
        75..=77 => M::LowerHandOf { participant_id },
        78..=81 => M::SetWaitingRoom { enabled: flag(rng) },
        82..=83 => M::SetLocked { locked: flag(rng) },
        84..=90 => M::Admit {
            participant_id: waiting,
        },
        91..=95 => M::Deny {
            participant_id: waiting,
        },
        96 => M::SendReaction {
            emoji: Reaction::Celebrate,
        },
        97 => M::Auth { token: "t".into() },
        // `moderation.end` comes from the walk's schedule, not from here.
        _ => M::Refresh { token: "t".into() },
    }
}

fn random_event(rng: &mut Rng, participant: ParticipantId) -> BridgeEvent {
    match rng.below(100) {
        0..=24 => BridgeEvent::PublishAnswer {
            participant,
            sdp: "answer".into(),
        },
        25..=49 => BridgeEvent::SubscribeOffer {
            participant,
            sdp: "offer".into(),
            tracks: vec![],
        },
        50..=69 => BridgeEvent::ActiveSpeaker { participant },
        70..=84 => BridgeEvent::Error {
            participant,
            code: rng.pick(&["invalid_sdp".to_owned(), "whatever".into()]),
            message: "m".into(),
        },
        // ConferenceFailed comes from the walk's schedule.
        _ => BridgeEvent::MediaDisconnected { participant },
    }
}

#[test]
fn the_model_catches_a_send_to_a_closed_connection() {
    // The invariant checker must be able to fail: feed it a forged output.
    let m = Meeting::new(false);
    let mut model = Model::new(m.id);
    let forged = vec![send(7, ServerMessage::Waiting {})];
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        model.observe(&m, &forged, "forged");
    }));
    assert!(result.is_err());
}
