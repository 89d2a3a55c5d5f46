//! A meeting under test: a [`Room`] on a simulated clock, identities, and builders for the
//! outputs the tests expect.

use plenum_protocol::bridge::BridgeCommand;
use plenum_protocol::signaling::{
    ClientMessage, ErrorCode, MediaState, Participant, Role, RoomState, ServerEnvelope,
    ServerMessage, WaitingParticipant,
};
use plenum_protocol::{MeetingId, ParticipantId, UserId};
use plenum_room::{
    BanKey, ConnectionId, Identity, MeetingSettings, Room, RoomOutput, SubjectKind, WallClock,
};
use std::collections::BTreeSet;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Wall-clock time at the start of every test meeting: 2027-01-15T08:00:00Z.
pub const START_UNIX: u64 = 1_800_000_000;
pub const TITLE: &str = "Weekly sync";

pub struct Meeting {
    pub room: Room,
    pub id: MeetingId,
    pub owner: UserId,
    pub now: Instant,
}

impl Meeting {
    pub fn new(waiting_room: bool) -> Self {
        Self::with_bans(waiting_room, BTreeSet::new())
    }

    pub fn with_bans(waiting_room: bool, banned: BTreeSet<BanKey>) -> Self {
        let id = MeetingId::random();
        let owner = UserId::random();
        let now = Instant::now();
        let settings = MeetingSettings {
            id,
            title: TITLE.into(),
            waiting_room,
            owner,
        };
        let clock = WallClock {
            at: now,
            time: UNIX_EPOCH + Duration::from_secs(START_UNIX),
        };
        Self {
            room: Room::new(settings, banned, clock),
            id,
            owner,
            now,
        }
    }

    pub fn owner(&self) -> Identity {
        Identity {
            subject: self.owner,
            kind: SubjectKind::User,
            display_name: "Olga Owner".into(),
            role: Role::Owner,
            invite_code: None,
        }
    }

    pub fn settings(&self, title: &str, waiting_room: bool) -> MeetingSettings {
        MeetingSettings {
            id: self.id,
            title: title.into(),
            waiting_room,
            owner: self.owner,
        }
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    pub fn connect(&mut self, conn: u64, identity: Identity) -> Vec<RoomOutput> {
        self.room
            .handle_connect(ConnectionId(conn), identity, self.now);
        self.drain()
    }

    /// One client message; error texts are checked to be present, then blanked so tests can
    /// compare whole outputs.
    pub fn msg(&mut self, conn: u64, txn: Option<&str>, message: ClientMessage) -> Vec<RoomOutput> {
        self.room.handle_message(
            ConnectionId(conn),
            txn.map(str::to_owned),
            message,
            self.now,
        );
        blank_error_texts(self.drain())
    }

    pub fn disconnect(&mut self, conn: u64) -> Vec<RoomOutput> {
        self.room.handle_disconnect(ConnectionId(conn), self.now);
        self.drain()
    }

    pub fn drain(&mut self) -> Vec<RoomOutput> {
        std::iter::from_fn(|| self.room.poll_output()).collect()
    }

    /// Connects and joins without a display name; panics unless it joined directly.
    pub fn join(&mut self, conn: u64, identity: Identity) -> ParticipantId {
        assert_eq!(self.connect(conn, identity), vec![]);
        let outputs = self.msg(conn, None, join());
        match outputs.first() {
            Some(RoomOutput::Send {
                to,
                message:
                    ServerEnvelope {
                        message: ServerMessage::JoinSuccess { me, .. },
                        ..
                    },
            }) if *to == ConnectionId(conn) => me.id,
            _ => panic!("expected join_success for {conn}, got {outputs:?}"),
        }
    }

    /// Connects and joins into the waiting room; panics unless it waits.
    pub fn wait(&mut self, conn: u64, identity: Identity) -> ParticipantId {
        assert_eq!(self.connect(conn, identity), vec![]);
        let outputs = self.msg(conn, None, join());
        assert_eq!(
            outputs.first(),
            Some(&send(conn, ServerMessage::Waiting {})),
            "{outputs:?}"
        );
        self.id(conn)
    }

    pub fn id(&self, conn: u64) -> ParticipantId {
        self.room
            .participant_id(ConnectionId(conn))
            .expect("the connection is live")
    }

    pub fn state(&self, waiting_room: bool, waiting: &[(ParticipantId, &str)]) -> RoomState {
        RoomState {
            meeting_id: self.id,
            title: TITLE.into(),
            waiting_room,
            locked: false,
            waiting: waiting
                .iter()
                .map(|(id, name)| WaitingParticipant {
                    id: *id,
                    display_name: (*name).into(),
                })
                .collect(),
        }
    }

    pub fn add(&self, participant: ParticipantId) -> RoomOutput {
        RoomOutput::Bridge(BridgeCommand::AddParticipant {
            conference: self.id,
            participant,
        })
    }

    pub fn remove(&self, participant: ParticipantId) -> RoomOutput {
        RoomOutput::Bridge(BridgeCommand::RemoveParticipant {
            conference: self.id,
            participant,
        })
    }

    pub fn audio(&self, participant: ParticipantId, allowed: bool) -> RoomOutput {
        RoomOutput::Bridge(BridgeCommand::SetAudioAllowed {
            conference: self.id,
            participant,
            allowed,
        })
    }
}

pub fn user(name: &str) -> Identity {
    Identity {
        subject: UserId::random(),
        kind: SubjectKind::User,
        display_name: name.into(),
        role: Role::Participant,
        invite_code: None,
    }
}

pub fn guest(name: &str, invite_code: &str) -> Identity {
    Identity {
        subject: UserId::random(),
        kind: SubjectKind::Guest,
        display_name: name.into(),
        role: Role::Guest,
        invite_code: Some(invite_code.into()),
    }
}

pub fn join() -> ClientMessage {
    ClientMessage::Join {
        display_name: None,
        resume: None,
    }
}

/// A freshly joined participant as others see it.
pub fn fresh(id: ParticipantId, name: &str, role: Role) -> Participant {
    Participant {
        id,
        display_name: name.into(),
        role,
        hand_raised: false,
        hand_raised_seq: None,
        media: MediaState::default(),
        muted_by_moderator: false,
    }
}

pub fn send(to: u64, message: ServerMessage) -> RoomOutput {
    RoomOutput::Send {
        to: ConnectionId(to),
        message: ServerEnvelope { message, txn: None },
    }
}

pub fn answer(to: u64, txn: &str, message: ServerMessage) -> RoomOutput {
    RoomOutput::Send {
        to: ConnectionId(to),
        message: ServerEnvelope {
            message,
            txn: Some(txn.into()),
        },
    }
}

/// An error as [`Meeting::msg`] returns it (text blanked).
pub fn error(to: u64, txn: Option<&str>, code: ErrorCode) -> RoomOutput {
    RoomOutput::Send {
        to: ConnectionId(to),
        message: ServerEnvelope {
            message: ServerMessage::Error {
                code,
                message: String::new(),
            },
            txn: txn.map(str::to_owned),
        },
    }
}

pub fn close(conn: u64, code: u16, reason: &str) -> RoomOutput {
    RoomOutput::Close {
        conn: ConnectionId(conn),
        code,
        reason: reason.into(),
    }
}

/// `message` to each of `to`, in that order; the copy for `txn_to` carries `txn`.
pub fn to_each(to: &[u64], txn: Option<(u64, &str)>, message: &ServerMessage) -> Vec<RoomOutput> {
    to.iter()
        .map(|&conn| match txn {
            Some((sender, txn)) if sender == conn => answer(conn, txn, message.clone()),
            _ => send(conn, message.clone()),
        })
        .collect()
}

pub fn blank_error_texts(outputs: Vec<RoomOutput>) -> Vec<RoomOutput> {
    outputs
        .into_iter()
        .map(|output| match output {
            RoomOutput::Send {
                to,
                message:
                    ServerEnvelope {
                        message: ServerMessage::Error { code, message },
                        txn,
                    },
            } => {
                assert!(!message.is_empty(), "error {code:?} without a text");
                RoomOutput::Send {
                    to,
                    message: ServerEnvelope {
                        message: ServerMessage::Error {
                            code,
                            message: String::new(),
                        },
                        txn,
                    },
                }
            }
            other => other,
        })
        .collect()
}

/// The wall-clock time `elapsed` after the start, as the room formats it.
pub fn at(elapsed_secs: u64) -> String {
    let seconds = START_UNIX + elapsed_secs;
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // 2027-01-15 is day 20_833 since the epoch; the tests stay within that January.
    let day_of_month = 15 + (days - 20_833);
    format!(
        "2027-01-{day_of_month:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Every client message that needs a joined participant, with `target` where one is named.
pub fn joined_only_messages(target: ParticipantId) -> Vec<ClientMessage> {
    use ClientMessage as M;
    vec![
        M::ChatSend {
            text: "hi".into(),
            to: None,
        },
        M::SendReaction {
            emoji: plenum_protocol::signaling::Reaction::Clap,
        },
        M::RaiseHand {},
        M::LowerHand {},
        M::MediaState(MediaState {
            mic: true,
            camera: false,
            screen: false,
        }),
        M::PublishOffer {
            sdp: "v=0".into(),
            tracks: vec![],
        },
        M::SubscribeAnswer { sdp: "v=0".into() },
        M::View { tiles: vec![] },
    ]
    .into_iter()
    .chain(moderation_messages(target))
    .collect()
}

/// Every moderation message, with `target` where one is named.
pub fn moderation_messages(target: ParticipantId) -> Vec<ClientMessage> {
    use ClientMessage as M;
    let participant_id = target;
    vec![
        M::Mute { participant_id },
        M::MuteAll {},
        M::Remove { participant_id },
        M::Ban { participant_id },
        M::GrantModerator { participant_id },
        M::RevokeModerator { participant_id },
        M::LowerHandOf { participant_id },
        M::LowerAllHands {},
        M::SetWaitingRoom { enabled: true },
        M::SetLocked { locked: true },
        M::Admit { participant_id },
        M::Deny { participant_id },
        M::End {},
    ]
}
