//! The [`Room`] state machine: connections, waiting room, roster, chat, moderation, bans.

use crate::chat::{self, CHAT_RATE_LIMIT, CHAT_RATE_WINDOW, ChatLog};
use crate::polls::{self, Asker, PollError, Polls};
use crate::rate::RateLimit;
use crate::votes::{Effect, Person, RecordedEntry, Refusal, Votes};
use crate::{BanKey, ConnectionId, Identity, MeetingSettings, RoomOutput, SubjectKind, WallClock};
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent, PublishedTrack};
use plenum_protocol::signaling::{
    ChatMessage, ChatSender, ClientMessage, ErrorCode, LeaveReason, MAX_CHAT_CHARS,
    MAX_DISPLAY_NAME_CHARS, MediaState, Participant, Reaction, Role, RoomState, ServerEnvelope,
    ServerMessage, WaitingParticipant, close_code,
};
use plenum_protocol::vote::{VoteCheckpoint, VoteOpen};
use plenum_protocol::{ParticipantId, UserId, VoteId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::mem;
use std::time::{Duration, Instant};

/// How many reactions one participant may send within [`REACTION_RATE_WINDOW`]: enough for
/// a burst of applause, too few to flood everyone's screen.
pub const REACTION_RATE_LIMIT: usize = 5;
/// The sliding window of the reaction rate limit.
pub const REACTION_RATE_WINDOW: Duration = Duration::from_secs(5);

/// WebSocket close code of a normal close (RFC 6455), used when a participant leaves.
const NORMAL_CLOSURE: u16 = 1000;

/// The live state of one meeting. See the crate documentation for the input/output contract.
#[derive(Debug)]
pub struct Room {
    settings: MeetingSettings,
    banned: BTreeSet<BanKey>,
    clock: WallClock,
    /// Every connection the room has not closed or seen disconnect.
    conns: BTreeMap<ConnectionId, Conn>,
    /// Participant id → connection, for connections in every phase.
    by_id: BTreeMap<ParticipantId, ConnectionId>,
    /// Joined participants in join order: the order of every list and broadcast.
    roster: BTreeMap<u64, ConnectionId>,
    /// The waiting room in arrival order.
    queue: BTreeMap<u64, ConnectionId>,
    /// Source of the `roster` and `queue` keys; only grows.
    last_seq: u64,
    /// How many hands have been raised so far: the `hand_raised_seq` of the latest raise.
    hands_raised: u64,
    /// Locked by a moderator: see [`Room::join`].
    locked: bool,
    /// Subjects who have been in the meeting (and were not removed): they may come back into
    /// a locked meeting, so a dropped connection can rejoin. At most one entry per identity
    /// that ever joined.
    been_in: BTreeSet<UserId>,
    chat: ChatLog,
    polls: Polls,
    votes: Votes,
    /// Set by [`Room::enable_votes`]; without it `vote.open` is refused.
    vote_context: Option<VoteContext>,
    out: Outbox,
    /// Set once the meeting is over; later connections are told so and closed.
    ended: Option<LeaveReason>,
}

impl Room {
    /// A meeting with nobody in it yet. `banned` are the meeting's persisted bans; `clock`
    /// ties the `now` of later inputs to wall-clock time (for chat timestamps).
    pub fn new(settings: MeetingSettings, banned: BTreeSet<BanKey>, clock: WallClock) -> Self {
        Self {
            settings,
            banned,
            clock,
            conns: BTreeMap::new(),
            by_id: BTreeMap::new(),
            roster: BTreeMap::new(),
            queue: BTreeMap::new(),
            last_seq: 0,
            hands_raised: 0,
            locked: false,
            been_in: BTreeSet::new(),
            chat: ChatLog::default(),
            polls: Polls::default(),
            votes: Votes::default(),
            vote_context: None,
            out: Outbox::default(),
            ended: None,
        }
    }

    /// An authenticated socket: it gets a fresh participant id and may now send `room.join`.
    /// After the meeting ended, the socket is told so and closed. A connection id that is
    /// already known is a caller bug; the first registration stands.
    pub fn handle_connect(&mut self, conn: ConnectionId, identity: Identity, _now: Instant) {
        if let Some(reason) = self.ended {
            self.out.send(conn, ServerMessage::Ended { reason });
            self.out
                .close(conn, end_close_code(reason), end_close_reason(reason));
            return;
        }
        if self.conns.contains_key(&conn) {
            return;
        }
        let id = self.fresh_participant_id();
        self.by_id.insert(id, conn);
        self.conns.insert(
            conn,
            Conn {
                identity,
                id,
                phase: Phase::Connected,
            },
        );
    }

    /// One parsed client message. Messages on unknown (closed) connections are ignored: they
    /// were in flight when the room closed the socket.
    pub fn handle_message(
        &mut self,
        conn: ConnectionId,
        txn: Option<String>,
        message: ClientMessage,
        now: Instant,
    ) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        self.out.answer = txn.map(|txn| (conn, txn));
        self.dispatch(conn, message, now);
        // A request without a defined answer (media.view, …) leaves its txn unused.
        self.out.answer = None;
    }

    /// The socket is gone (closed by the client, the network or the server).
    pub fn handle_disconnect(&mut self, conn: ConnectionId, _now: Instant) {
        self.drop_conn(conn, None);
    }

    /// An event from the media bridge about this meeting's conference. Events about
    /// participants who are no longer in the meeting are ignored.
    pub fn handle_bridge_event(&mut self, event: BridgeEvent, _now: Instant) {
        match event {
            BridgeEvent::PublishAnswer { participant, sdp } => {
                let Some(conn) = self.joined_conn(participant) else {
                    return;
                };
                let txn = self.member_mut(conn).and_then(|m| m.publish_txn.take());
                self.out
                    .send_with_txn(conn, ServerMessage::PublishAnswer { sdp }, txn);
            }
            BridgeEvent::SubscribeOffer {
                participant,
                sdp,
                tracks,
            } => {
                if let Some(conn) = self.joined_conn(participant) {
                    self.out
                        .send(conn, ServerMessage::SubscribeOffer { sdp, tracks });
                }
            }
            BridgeEvent::ActiveSpeaker { participant } => {
                if self.joined_conn(participant).is_some() {
                    self.broadcast(
                        &ServerMessage::ActiveSpeaker {
                            participant_id: participant,
                        },
                        None,
                    );
                }
            }
            BridgeEvent::Error {
                participant,
                code,
                message,
            } => {
                if let Some(conn) = self.joined_conn(participant) {
                    let code = bridge_error_code(&code);
                    self.out.send(conn, ServerMessage::Error { code, message });
                }
            }
            BridgeEvent::MediaDisconnected { participant } => {
                // Nothing of theirs is forwarded any more, so others should not keep showing
                // their media as on; the client publishes again and reports its state.
                if let Some(conn) = self.joined_conn(participant) {
                    self.update(None, conn, |p| {
                        mem::take(&mut p.media) != MediaState::default()
                    });
                }
            }
            BridgeEvent::ConferenceFailed { .. } => {
                // The bridge dropped the conference after a bug of its own: without media the
                // meeting cannot go on, so it ends as an internal error.
                self.finish(LeaveReason::InternalError);
            }
        }
    }

    /// The meeting's settings changed (REST). Title and waiting room changes reach everyone
    /// as `room.state`; turning the waiting room off admits everyone waiting. The owner
    /// change applies to later joins. Settings of another meeting are ignored.
    pub fn handle_settings(&mut self, settings: MeetingSettings) {
        if settings.id != self.settings.id || self.ended.is_some() {
            return;
        }
        self.settings.owner = settings.owner;
        let title_changed = settings.title != self.settings.title;
        self.settings.title = settings.title;
        if settings.waiting_room != self.settings.waiting_room {
            self.set_waiting_room(settings.waiting_room);
        } else if title_changed {
            self.broadcast_room_state();
        }
    }

    /// Ends the meeting from outside (deleted, or an internal error): everyone gets
    /// `room.ended {reason}` and close 4404 (4500 for an internal error), the bridge drops
    /// the conference, then [`RoomOutput::Ended`]. Ending twice does nothing.
    pub fn end(&mut self, reason: LeaveReason) {
        self.finish(reason);
    }

    /// The next output, in order; `None` when everything has been taken.
    pub fn poll_output(&mut self) -> Option<RoomOutput> {
        self.out.queue.pop_front()
    }

    /// No connection is left: the server may stop the room once outputs are drained.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// When [`Room::handle_timeout`] is due next (a poll closing by itself), if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let deadlines = [self.polls.deadline(), self.votes.deadline()];
        deadlines
            .into_iter()
            .flatten()
            .min()
            .filter(|_| self.ended.is_none())
    }

    /// Time has passed: closes what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ended.is_none() && self.polls.expire(now) {
            self.broadcast_poll();
        }
        if self.ended.is_none() {
            let effects = self.votes.expire(&self.clock, now);
            self.apply_vote_effects(effects);
        }
    }

    /// Lets this room run votes: `tenant` is the meeting's tenant (every vote entry carries
    /// it) and `draw` fills buffers with cryptographically random bytes (voting tokens).
    pub fn enable_votes(&mut self, tenant: String, draw: RandomSource) {
        self.vote_context = Some(VoteContext { tenant, draw });
    }

    /// The server's append of a vote entry (a [`RoomOutput::Vote`] with a
    /// [`VoteOutput::report`]) is over at `now`: stored as audit entry `seq`, or not stored
    /// (`None`). The opening is announced, the ballot counts and its voter gets
    /// `vote.ballot_accepted` — or the requester gets `vote_not_recorded`.
    pub fn handle_vote_recorded(
        &mut self,
        vote_id: VoteId,
        entry: RecordedEntry,
        seq: Option<u64>,
        now: Instant,
    ) {
        let effects = self.votes.recorded(vote_id, entry, seq, &self.clock, now);
        self.apply_vote_effects(effects);
    }

    /// The server sealed the closed vote with `checkpoint` (`None`: it could not): the
    /// result (or the failure) goes to everyone.
    pub fn handle_vote_sealed(&mut self, vote_id: VoteId, checkpoint: Option<VoteCheckpoint>) {
        let effects = self.votes.sealed(vote_id, checkpoint);
        self.apply_vote_effects(effects);
    }

    /// The participant id of a live connection (waiting or joined or not yet joined).
    pub fn participant_id(&self, conn: ConnectionId) -> Option<ParticipantId> {
        self.conns.get(&conn).map(|c| c.id)
    }

    fn dispatch(&mut self, conn: ConnectionId, message: ClientMessage, now: Instant) {
        use ClientMessage as M;
        let role = self.conns.get(&conn).and_then(Conn::role);
        match message {
            M::Auth { .. } | M::Refresh { .. } => self.out.error(
                conn,
                ErrorCode::InvalidState,
                "session messages are handled before the meeting",
            ),
            M::Join {
                display_name,
                resume,
            } => self.join(conn, display_name.as_deref(), resume),
            M::Leave {} => self.drop_conn(conn, Some((NORMAL_CLOSURE, "left"))),
            _ if role.is_none() => {
                self.out
                    .error(conn, ErrorCode::NotJoined, "join the meeting first");
            }
            M::ChatSend { text, to } => self.chat(conn, &text, to, now),
            M::SendReaction { emoji } => self.react(conn, emoji, now),
            M::CreatePoll(request) => {
                let clock = self.clock;
                self.poll_request(conn, |polls, by| polls.create(by, request, now, &clock));
            }
            M::AnswerPoll { poll_id, choices } => {
                self.poll_request(conn, |polls, by| polls.answer(by, poll_id, &choices, now));
            }
            M::ClosePoll { poll_id } => {
                self.poll_request(conn, |polls, by| polls.close(by, poll_id))
            }
            M::SharePoll { poll_id } => {
                self.poll_request(conn, |polls, by| polls.share(by, poll_id))
            }
            M::RaiseHand {} => self.raise_hand(conn),
            M::LowerHand {} => self.lower_hand(conn, conn),
            M::MediaState(state) => self.media_state(conn, state),
            M::PublishOffer { sdp, tracks } => self.publish(conn, sdp, tracks),
            M::SubscribeAnswer { sdp } => {
                if let Some(participant) = self.participant_id(conn) {
                    self.out.bridge(BridgeCommand::SubscribeAnswer {
                        conference: self.settings.id,
                        participant,
                        sdp,
                    });
                }
            }
            M::View { tiles } => {
                if let Some(participant) = self.participant_id(conn) {
                    self.out.bridge(BridgeCommand::View {
                        conference: self.settings.id,
                        participant,
                        tiles,
                    });
                }
            }
            M::VoteBallot { vote_id, option } => {
                let Some(voter) = self.conns.get(&conn).map(|c| c.identity.subject) else {
                    return;
                };
                let txn = self.out.answer.as_ref().map(|(_, txn)| txn.clone());
                let result = self
                    .votes
                    .ballot(voter, vote_id, &option, txn, &self.clock, now);
                if result.is_ok() {
                    // The answer (`vote.ballot_accepted`) comes once the ballot is recorded.
                    self.out.answer = None;
                }
                self.vote_result(conn, result);
            }
            M::VoteOpen(_) | M::VoteClose { .. } | M::VoteCancel { .. }
                if !role.is_some_and(Role::is_moderator) =>
            {
                self.out.error(
                    conn,
                    ErrorCode::Forbidden,
                    "only the owner and moderators may open, close or cancel votes",
                );
            }
            M::VoteOpen(request) => self.open_vote(conn, request, now),
            M::VoteClose { vote_id } => {
                if let Some(by) = self.conns.get(&conn).map(|c| c.identity.subject) {
                    let result = self.votes.close(by, vote_id, &self.clock, now);
                    self.vote_result(conn, result);
                }
            }
            M::VoteCancel { vote_id, reason } => {
                if let Some(by) = self.conns.get(&conn).map(|c| c.identity.subject) {
                    let result = self.votes.cancel(by, vote_id, &reason, &self.clock, now);
                    self.vote_result(conn, result);
                }
            }
            // Everything below is moderation.
            _ if !role.is_some_and(Role::is_moderator) => self.out.error(
                conn,
                ErrorCode::Forbidden,
                "only the owner and moderators may do this",
            ),
            M::Mute { participant_id } => {
                if let Some(target) = self.joined_target(conn, participant_id) {
                    self.mute(conn, target);
                }
            }
            M::MuteAll {} => {
                let targets: Vec<ConnectionId> = self
                    .roster
                    .values()
                    .copied()
                    .filter(|&c| c != conn && self.member(c).is_some_and(|m| !m.muted()))
                    .collect();
                for target in targets {
                    self.mute(conn, target);
                }
            }
            M::Remove { participant_id } => {
                self.remove(conn, participant_id, LeaveReason::Removed);
            }
            M::Ban { participant_id } => self.remove(conn, participant_id, LeaveReason::Banned),
            M::GrantModerator { participant_id } => {
                self.grant_moderator(conn, participant_id);
            }
            M::RevokeModerator { participant_id } => {
                self.revoke_moderator(conn, participant_id);
            }
            M::LowerHandOf { participant_id } => {
                if let Some(target) = self.joined_target(conn, participant_id) {
                    self.lower_hand(conn, target);
                }
            }
            M::LowerAllHands {} => {
                let raised: Vec<ConnectionId> = self
                    .roster
                    .values()
                    .copied()
                    .filter(|&c| self.member(c).is_some_and(|m| m.participant.hand_raised))
                    .collect();
                for target in raised {
                    self.lower_hand(conn, target);
                }
            }
            M::SetLocked { locked } => {
                if locked == self.locked {
                    let state = self.room_state(true);
                    self.out.send(conn, ServerMessage::RoomState(state));
                } else {
                    self.locked = locked;
                    self.broadcast_room_state();
                }
            }
            M::SetWaitingRoom { enabled } => {
                if enabled == self.settings.waiting_room {
                    let state = self.room_state(true);
                    self.out.send(conn, ServerMessage::RoomState(state));
                } else {
                    self.set_waiting_room(enabled);
                }
            }
            M::Admit { participant_id } => {
                if let Some(target) = self.waiting_target(conn, participant_id) {
                    self.admit(target);
                    self.moderators_room_state();
                }
            }
            M::Deny { participant_id } => {
                if let Some(target) = self.waiting_target(conn, participant_id) {
                    self.out.send(target, ServerMessage::Denied {});
                    self.drop_conn(target, Some((close_code::FORBIDDEN, "denied")));
                }
            }
            M::End {} => self.finish(LeaveReason::EndedByModerator),
        }
    }

    /// `room.join`: banned subjects are refused; owners and moderators by account come in;
    /// others wait when the waiting room is on. A locked meeting lets in only moderators
    /// by account and subjects who have been in it (a dropped connection coming back); for
    /// everyone else the waiting room is the only way in, and without one they are refused
    /// with `meeting_locked` and close 4403.
    ///
    /// `resume` names the participant a client was before its network dropped. While that
    /// participant's connection is still in the meeting (the server has not noticed the
    /// drop) and belongs to the same subject, the new connection replaces it: the old one
    /// leaves (close 4409), the new one enters with the old role and without a second pass
    /// through the waiting room, so the others see one entry for the person, not two.
    fn join(&mut self, conn: ConnectionId, requested: Option<&str>, resume: Option<ParticipantId>) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let already = match c.phase {
            Phase::Connected => None,
            Phase::Waiting { .. } => Some("already waiting to be admitted"),
            Phase::Joined(_) => Some("already joined"),
        };
        if let Some(message) = already {
            self.out.error(conn, ErrorCode::InvalidState, message);
            return;
        }
        let Some(name) = display_name(requested.unwrap_or(&c.identity.display_name)) else {
            self.out.error(
                conn,
                ErrorCode::BadMessage,
                "a display name has 1 to 64 characters and no control characters",
            );
            return;
        };
        if self.is_banned(&c.identity) {
            self.out.send(
                conn,
                ServerMessage::Removed {
                    reason: LeaveReason::Banned,
                },
            );
            self.drop_conn(conn, Some((close_code::FORBIDDEN, "banned")));
            return;
        }
        let replaced = resume
            .and_then(|id| self.joined_conn(id))
            .filter(|&old| old != conn)
            .and_then(|old| self.conns.get(&old).map(|o| (old, o)))
            .filter(|(_, o)| o.identity.subject == c.identity.subject)
            .and_then(|(old, o)| o.role().map(|role| (old, role)));
        if let Some((old, role)) = replaced {
            self.drop_conn(
                old,
                Some((close_code::REPLACED, "replaced by a new connection")),
            );
            self.enter(conn, name, role);
            return;
        }
        let role = self.role_of(&c.identity);
        let returning = self.been_in.contains(&c.identity.subject);
        if self.locked && !role.is_moderator() && !returning && !self.settings.waiting_room {
            self.out.error(
                conn,
                ErrorCode::MeetingLocked,
                "the meeting is locked; a moderator has to unlock it",
            );
            self.drop_conn(conn, Some((close_code::FORBIDDEN, "locked")));
            return;
        }
        if self.settings.waiting_room && !role.is_moderator() {
            let seq = self.next_seq();
            if let Some(c) = self.conns.get_mut(&conn) {
                c.phase = Phase::Waiting {
                    seq,
                    display_name: name,
                };
            }
            self.queue.insert(seq, conn);
            self.out.send(conn, ServerMessage::Waiting {});
            self.moderators_room_state();
        } else {
            self.enter(conn, name, role);
        }
    }

    /// Puts a connection into the meeting: `room.join_success` to it, `participant.joined`
    /// to the others, and the bridge learns about it.
    fn enter(&mut self, conn: ConnectionId, display_name: String, role: Role) {
        let seq = self.next_seq();
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        self.been_in.insert(c.identity.subject);
        let me = Participant {
            id: c.id,
            display_name,
            role,
            hand_raised: false,
            hand_raised_seq: None,
            media: MediaState::default(),
            muted_by_moderator: false,
        };
        c.phase = Phase::Joined(Box::new(Member {
            seq,
            participant: me.clone(),
            chat_limit: RateLimit::new(CHAT_RATE_WINDOW),
            reaction_limit: RateLimit::new(REACTION_RATE_WINDOW),
            publish_txn: None,
        }));
        self.roster.insert(seq, conn);
        let participants = self
            .roster
            .values()
            .filter_map(|c| self.member(*c))
            .map(|m| m.participant.clone())
            .collect();
        let joined = ServerMessage::JoinSuccess {
            me: me.clone(),
            participants,
            room: self.room_state(role.is_moderator()),
            chat_history: self.chat.history(),
            ice_lite: true,
        };
        self.out.send(conn, joined);
        self.send_poll(conn);
        if let Some(subject) = self.conns.get(&conn).map(|c| c.identity.subject) {
            for message in self.votes.snapshot(subject) {
                self.out.send(conn, message);
            }
        }
        let id = me.id;
        self.broadcast(&ServerMessage::ParticipantJoined(me), Some(conn));
        self.out.bridge(BridgeCommand::AddParticipant {
            conference: self.settings.id,
            participant: id,
        });
    }

    /// Admits someone waiting (already taken out of the queue): `room.admitted`, then the
    /// join flow.
    fn admit(&mut self, conn: ConnectionId) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let Phase::Waiting { display_name, .. } = &c.phase else {
            return;
        };
        let name = display_name.clone();
        let role = self.role_of(&c.identity);
        self.out.send(conn, ServerMessage::Admitted {});
        self.enter(conn, name, role);
    }

    /// Forgets a connection, optionally closing it, and tells whoever needs to know: the
    /// others (`participant.left`) and the bridge for a joined participant, the moderators
    /// (`room.state`) for someone who was waiting.
    fn drop_conn(&mut self, conn: ConnectionId, close: Option<(u16, &str)>) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        self.by_id.remove(&c.id);
        if let Some((code, reason)) = close {
            self.out.close(conn, code, reason);
        }
        match c.phase {
            Phase::Connected => {}
            Phase::Waiting { seq, .. } => {
                self.queue.remove(&seq);
                self.moderators_room_state();
            }
            Phase::Joined(member) => {
                self.roster.remove(&member.seq);
                self.broadcast(&ServerMessage::ParticipantLeft { id: c.id }, None);
                self.out.bridge(BridgeCommand::RemoveParticipant {
                    conference: self.settings.id,
                    participant: c.id,
                });
            }
        }
    }

    fn chat(&mut self, conn: ConnectionId, text: &str, to: Option<ParticipantId>, now: Instant) {
        let text = text.trim();
        let chars = text.chars().count();
        if chars == 0 || chars > MAX_CHAT_CHARS {
            self.out.error(
                conn,
                ErrorCode::BadMessage,
                "a chat message has 1 to 4000 characters",
            );
            return;
        }
        let recipient = match to {
            None => None,
            Some(id) => match self.joined_conn(id) {
                Some(recipient) => Some(recipient),
                None => {
                    self.out.error(
                        conn,
                        ErrorCode::NotFound,
                        "no such participant in the meeting",
                    );
                    return;
                }
            },
        };
        let sent_at = chat::timestamp(&self.clock, now);
        let Some(member) = self.member_mut(conn) else {
            return;
        };
        if !member.chat_limit.allow(now) {
            self.refuse_over_limit(conn, "chat messages", CHAT_RATE_LIMIT, CHAT_RATE_WINDOW);
            return;
        }
        let from = ChatSender {
            id: member.participant.id,
            display_name: member.participant.display_name.clone(),
        };
        let id = self.chat.next_id();
        let message = ChatMessage {
            id,
            from,
            to,
            text: text.to_owned(),
            sent_at,
        };
        self.out.send(conn, ServerMessage::ChatSent { id });
        match recipient {
            None => {
                self.broadcast(&ServerMessage::Chat(message.clone()), None);
                self.chat.remember(message);
            }
            Some(recipient) => {
                self.out
                    .send(recipient, ServerMessage::Chat(message.clone()));
                if recipient != conn {
                    self.out.send(conn, ServerMessage::Chat(message));
                }
            }
        }
    }

    /// Raises the hand of `conn` with the next raise number; raising a raised hand keeps
    /// its place in the queue.
    fn raise_hand(&mut self, conn: ConnectionId) {
        let seq = self.hands_raised + 1;
        let mut raised = false;
        self.update(Some(conn), conn, |p| {
            raised = !mem::replace(&mut p.hand_raised, true);
            if raised {
                p.hand_raised_seq = Some(seq);
            }
            raised
        });
        if raised {
            self.hands_raised = seq;
        }
    }

    /// Lowers the hand of `target` (its own request or a moderator's); a later raise goes
    /// to the end of the queue.
    fn lower_hand(&mut self, from: ConnectionId, target: ConnectionId) {
        self.update(Some(from), target, |p| {
            p.hand_raised_seq = None;
            mem::replace(&mut p.hand_raised, false)
        });
    }

    /// `rate_limited` to `conn`, naming the limit it went over.
    fn refuse_over_limit(
        &mut self,
        conn: ConnectionId,
        what: &str,
        limit: usize,
        window: Duration,
    ) {
        let message = format!("at most {limit} {what} per {} seconds", window.as_secs());
        self.out.error(conn, ErrorCode::RateLimited, &message);
    }

    /// A reaction goes to everyone joined, the sender included (its copy is the answer), and
    /// is not remembered: late joiners do not see old reactions.
    fn react(&mut self, conn: ConnectionId, emoji: Reaction, now: Instant) {
        let Some(member) = self.member_mut(conn) else {
            return;
        };
        if !member.reaction_limit.allow(now) {
            self.refuse_over_limit(conn, "reactions", REACTION_RATE_LIMIT, REACTION_RATE_WINDOW);
            return;
        }
        let participant_id = member.participant.id;
        self.broadcast(
            &ServerMessage::Reaction {
                participant_id,
                emoji,
            },
            None,
        );
    }

    /// A poll request of `conn`: a change reaches everyone joined as `poll.state` (each
    /// their own view, the sender's copy is the answer); a refusal is an `error` to `conn`.
    fn poll_request(
        &mut self,
        conn: ConnectionId,
        request: impl FnOnce(&mut Polls, &Asker) -> Result<(), PollError>,
    ) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let Phase::Joined(member) = &c.phase else {
            return;
        };
        let by = Asker {
            subject: c.identity.subject,
            display_name: &member.participant.display_name,
            moderator: member.participant.role.is_moderator(),
        };
        match request(&mut self.polls, &by) {
            Ok(()) => self.broadcast_poll(),
            Err(error) => self.out.error(conn, error.code, &error.message),
        }
    }

    /// The current poll as `conn` may see it, if there is one.
    fn send_poll(&mut self, conn: ConnectionId) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let moderator = c.role().is_some_and(Role::is_moderator);
        if let Some(poll) = self.polls.view(c.identity.subject, moderator) {
            self.out.send(conn, ServerMessage::PollState(poll));
        }
    }

    /// `poll.state` to everyone joined, in join order.
    fn broadcast_poll(&mut self) {
        let roster: Vec<ConnectionId> = self.roster.values().copied().collect();
        for conn in roster {
            self.send_poll(conn);
        }
    }

    /// `vote.open`: the eligible voters are the people joined now.
    fn open_vote(&mut self, conn: ConnectionId, request: VoteOpen, now: Instant) {
        let Some(by) = self.conns.get(&conn).map(|c| c.identity.subject) else {
            return;
        };
        let people: Vec<Person> = self
            .roster
            .values()
            .filter_map(|c| Some((self.conns.get(c)?, self.member(*c)?)))
            .map(|(c, m)| Person {
                subject: c.identity.subject,
                guest: c.identity.kind == SubjectKind::Guest,
                name: m.participant.display_name.clone(),
            })
            .collect();
        let Some(context) = self.vote_context.as_mut() else {
            self.out.error(
                conn,
                ErrorCode::InvalidState,
                "votes are not available in this meeting",
            );
            return;
        };
        let result = self.votes.open(
            self.settings.id,
            &context.tenant,
            by,
            self.out.answer.clone(),
            request,
            &people,
            &mut context.draw,
            &self.clock,
            now,
        );
        if result.is_ok() {
            // The answer (`vote.opened`) comes once the opening is recorded.
            self.out.answer = None;
        }
        self.vote_result(conn, result);
    }

    fn vote_result(&mut self, conn: ConnectionId, result: Result<Vec<Effect>, Refusal>) {
        match result {
            Ok(effects) => self.apply_vote_effects(effects),
            Err((code, message)) => self.out.error(conn, code, &message),
        }
    }

    /// Sends and records what the votes asked for, in order.
    fn apply_vote_effects(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Record(output) => self.out.queue.push_back(RoomOutput::Vote(output)),
                Effect::Broadcast(message) => self.broadcast(&message, None),
                Effect::AnnounceOpened(answer) => {
                    let previous = mem::replace(&mut self.out.answer, answer);
                    let roster: Vec<ConnectionId> = self.roster.values().copied().collect();
                    for to in roster {
                        let subject = self.conns.get(&to).map(|c| c.identity.subject);
                        if let Some(message) = subject.and_then(|s| self.votes.opened(s)) {
                            self.out.send(to, message);
                        }
                    }
                    // Unused if the requester has gone meanwhile.
                    self.out.answer = previous;
                }
                Effect::ToSubject(subject, message, txn) => {
                    let targets: Vec<ConnectionId> = self
                        .roster
                        .values()
                        .copied()
                        .filter(|c| {
                            self.conns
                                .get(c)
                                .is_some_and(|c| c.identity.subject == subject)
                        })
                        .collect();
                    for to in targets {
                        self.out.send_with_txn(to, message.clone(), txn.clone());
                    }
                }
            }
        }
    }

    /// `mic: true` while muted by a moderator is the participant unmuting itself: moderators
    /// may mute anyone, not keep them muted, so the flag clears and audio flows again.
    fn media_state(&mut self, conn: ConnectionId, state: MediaState) {
        let mut unmuted = false;
        self.update(Some(conn), conn, |p| {
            unmuted = state.mic && p.muted_by_moderator;
            p.muted_by_moderator &= !unmuted;
            mem::replace(&mut p.media, state) != state || unmuted
        });
        if unmuted {
            self.set_audio_allowed(conn, true);
        }
    }

    fn publish(&mut self, conn: ConnectionId, sdp: String, tracks: Vec<PublishedTrack>) {
        // The answer comes later from the bridge; it carries this txn. A newer offer
        // supersedes an unanswered one, as it does in the browser.
        let txn = self.out.answer.take().map(|(_, txn)| txn);
        let Some(member) = self.member_mut(conn) else {
            return;
        };
        member.publish_txn = txn;
        let participant = member.participant.id;
        self.out.bridge(BridgeCommand::PublishOffer {
            conference: self.settings.id,
            participant,
            sdp,
            tracks,
        });
    }

    fn mute(&mut self, from: ConnectionId, target: ConnectionId) {
        let mut newly = false;
        self.update(Some(from), target, |p| {
            newly = !p.muted_by_moderator;
            p.muted_by_moderator = true;
            newly | mem::replace(&mut p.media.mic, false)
        });
        if newly {
            self.set_audio_allowed(target, false);
        }
    }

    /// Removes (or bans) a joined or waiting participant. The owner cannot be removed. A ban
    /// also closes every other connection of the same subject.
    fn remove(&mut self, from: ConnectionId, id: ParticipantId, reason: LeaveReason) {
        let target = self
            .by_id
            .get(&id)
            .copied()
            .filter(|c| self.conns.get(c).is_some_and(Conn::is_present));
        let Some(target) = target else {
            self.out.error(
                from,
                ErrorCode::NotFound,
                "no such participant in the meeting",
            );
            return;
        };
        let Some(c) = self.conns.get(&target) else {
            return;
        };
        if c.role() == Some(Role::Owner) {
            self.out.error(
                from,
                ErrorCode::Forbidden,
                "the owner cannot be removed from their meeting",
            );
            return;
        }
        let subject = c.identity.subject;
        // Removed people do not count as returning to a locked meeting.
        self.been_in.remove(&subject);
        if reason == LeaveReason::Banned {
            for key in ban_keys(&c.identity) {
                if self.banned.insert(key.clone()) {
                    self.out.queue.push_back(RoomOutput::BanAdded(key));
                }
            }
        }
        self.expel(target, reason);
        if reason == LeaveReason::Banned {
            let others: Vec<ConnectionId> = self
                .conns
                .iter()
                .filter(|(_, c)| c.identity.subject == subject)
                .map(|(&conn, _)| conn)
                .collect();
            for other in others {
                self.expel(other, reason);
            }
        }
    }

    fn expel(&mut self, conn: ConnectionId, reason: LeaveReason) {
        self.out.send(conn, ServerMessage::Removed { reason });
        let text = if reason == LeaveReason::Banned {
            "banned"
        } else {
            "removed"
        };
        self.drop_conn(conn, Some((close_code::FORBIDDEN, text)));
    }

    fn grant_moderator(&mut self, from: ConnectionId, id: ParticipantId) {
        let Some(target) = self.joined_target(from, id) else {
            return;
        };
        let mut promoted = false;
        self.update(Some(from), target, |p| {
            promoted = !p.role.is_moderator();
            if promoted {
                p.role = Role::Moderator;
            }
            promoted
        });
        if promoted {
            // Their view of the room now includes the waiting list.
            let state = self.room_state(true);
            self.out.send(target, ServerMessage::RoomState(state));
            // Moderators see hidden poll results.
            self.send_poll(target);
        }
    }

    fn revoke_moderator(&mut self, from: ConnectionId, id: ParticipantId) {
        let Some(target) = self.joined_target(from, id) else {
            return;
        };
        let Some(c) = self.conns.get(&target) else {
            return;
        };
        if c.role() == Some(Role::Owner) {
            self.out
                .error(from, ErrorCode::Forbidden, "the owner cannot be demoted");
            return;
        }
        let base = base_role(&c.identity);
        let mut demoted = false;
        self.update(Some(from), target, |p| {
            demoted = p.role == Role::Moderator;
            if demoted {
                p.role = base;
            }
            demoted
        });
        if demoted {
            let state = self.room_state(false);
            self.out.send(target, ServerMessage::RoomState(state));
            self.send_poll(target);
        }
    }

    /// Changes the waiting-room flag: `room.state` to everyone joined; turning it off admits
    /// everyone waiting, in arrival order.
    fn set_waiting_room(&mut self, enabled: bool) {
        self.settings.waiting_room = enabled;
        let admitted = if enabled {
            BTreeMap::new()
        } else {
            mem::take(&mut self.queue)
        };
        self.broadcast_room_state();
        for conn in admitted.into_values() {
            self.admit(conn);
        }
    }

    /// Ends the meeting for everyone, once.
    fn finish(&mut self, reason: LeaveReason) {
        if self.ended.is_some() {
            return;
        }
        self.ended = Some(reason);
        let conns = mem::take(&mut self.conns);
        self.by_id.clear();
        self.roster.clear();
        self.queue.clear();
        for conn in conns.into_keys() {
            self.out.send(conn, ServerMessage::Ended { reason });
            self.out
                .close(conn, end_close_code(reason), end_close_reason(reason));
        }
        self.out.bridge(BridgeCommand::CloseConference {
            conference: self.settings.id,
        });
        self.out.queue.push_back(RoomOutput::Ended);
    }

    /// Applies `change` to a joined participant (it says whether anything changed). A change
    /// reaches everyone as `participant.updated`; no change is answered to `from` alone,
    /// with the current state.
    fn update(
        &mut self,
        from: Option<ConnectionId>,
        target: ConnectionId,
        change: impl FnOnce(&mut Participant) -> bool,
    ) {
        let Some(member) = self.member_mut(target) else {
            return;
        };
        let changed = change(&mut member.participant);
        let updated = ServerMessage::ParticipantUpdated(member.participant.clone());
        if changed {
            self.broadcast(&updated, None);
        } else if let Some(from) = from {
            self.out.send(from, updated);
        }
    }

    fn set_audio_allowed(&mut self, conn: ConnectionId, allowed: bool) {
        if let Some(participant) = self.participant_id(conn) {
            self.out.bridge(BridgeCommand::SetAudioAllowed {
                conference: self.settings.id,
                participant,
                allowed,
            });
        }
    }

    /// Sends `message` to every joined participant but `except`, in join order.
    fn broadcast(&mut self, message: &ServerMessage, except: Option<ConnectionId>) {
        for &to in self.roster.values() {
            if Some(to) != except {
                self.out.send(to, message.clone());
            }
        }
    }

    /// `room.state` to everyone joined: with the waiting list for moderators, without it for
    /// the others.
    fn broadcast_room_state(&mut self) {
        self.send_room_state(false);
    }

    /// `room.state` with the waiting list to the moderators (the list changed).
    fn moderators_room_state(&mut self) {
        self.send_room_state(true);
    }

    fn send_room_state(&mut self, moderators_only: bool) {
        let full = self.room_state(true);
        let public = self.room_state(false);
        for &to in self.roster.values() {
            let moderator = self
                .conns
                .get(&to)
                .and_then(Conn::role)
                .is_some_and(Role::is_moderator);
            if moderator {
                self.out.send(to, ServerMessage::RoomState(full.clone()));
            } else if !moderators_only {
                self.out.send(to, ServerMessage::RoomState(public.clone()));
            }
        }
    }

    fn room_state(&self, with_waiting: bool) -> RoomState {
        let waiting = if with_waiting {
            self.queue
                .values()
                .filter_map(|conn| self.conns.get(conn))
                .filter_map(|c| match &c.phase {
                    Phase::Waiting { display_name, .. } => Some(WaitingParticipant {
                        id: c.id,
                        display_name: display_name.clone(),
                    }),
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        RoomState {
            meeting_id: self.settings.id,
            title: self.settings.title.clone(),
            waiting_room: self.settings.waiting_room,
            locked: self.locked,
            waiting,
        }
    }

    /// The connection of a joined participant.
    fn joined_conn(&self, id: ParticipantId) -> Option<ConnectionId> {
        self.by_id
            .get(&id)
            .copied()
            .filter(|&conn| self.member(conn).is_some())
    }

    /// The connection of a joined participant named by `from`, or `not_found` to `from`.
    fn joined_target(&mut self, from: ConnectionId, id: ParticipantId) -> Option<ConnectionId> {
        let target = self.joined_conn(id);
        if target.is_none() {
            self.out.error(
                from,
                ErrorCode::NotFound,
                "no such participant in the meeting",
            );
        }
        target
    }

    /// The connection of someone waiting, named by `from`; they are taken out of the queue.
    /// Otherwise `not_found` to `from`.
    fn waiting_target(&mut self, from: ConnectionId, id: ParticipantId) -> Option<ConnectionId> {
        let seq = self
            .by_id
            .get(&id)
            .and_then(|conn| self.conns.get(conn))
            .and_then(|c| match c.phase {
                Phase::Waiting { seq, .. } => Some(seq),
                _ => None,
            });
        match seq.and_then(|seq| self.queue.remove(&seq)) {
            Some(conn) => Some(conn),
            None => {
                self.out
                    .error(from, ErrorCode::NotFound, "nobody with this id is waiting");
                None
            }
        }
    }

    fn member(&self, conn: ConnectionId) -> Option<&Member> {
        match &self.conns.get(&conn)?.phase {
            Phase::Joined(member) => Some(member),
            _ => None,
        }
    }

    fn member_mut(&mut self, conn: ConnectionId) -> Option<&mut Member> {
        match &mut self.conns.get_mut(&conn)?.phase {
            Phase::Joined(member) => Some(member),
            _ => None,
        }
    }

    fn is_banned(&self, identity: &Identity) -> bool {
        ban_keys(identity)
            .iter()
            .any(|key| self.banned.contains(key))
    }

    /// A guest is always a guest; a user is the owner when the meeting says so or the token
    /// does (both come from the server's own records).
    fn role_of(&self, identity: &Identity) -> Role {
        match identity.kind {
            SubjectKind::Guest => Role::Guest,
            SubjectKind::User
                if identity.subject == self.settings.owner || identity.role == Role::Owner =>
            {
                Role::Owner
            }
            SubjectKind::User if identity.role == Role::Moderator => Role::Moderator,
            SubjectKind::User => Role::Participant,
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    fn fresh_participant_id(&self) -> ParticipantId {
        // Random v4 ids collide with negligible probability; the loop makes a collision with
        // a live participant impossible rather than merely unlikely.
        loop {
            let id = ParticipantId::random();
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }
}

/// What the server gives a room so it can run votes.
struct VoteContext {
    tenant: String,
    draw: RandomSource,
}

/// Fills a buffer with cryptographically random bytes (the room draws no randomness of its
/// own: it is an input, like time).
pub type RandomSource = Box<dyn FnMut(&mut [u8]) + Send>;

impl std::fmt::Debug for VoteContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoteContext")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// One connection the room knows.
#[derive(Debug)]
struct Conn {
    identity: Identity,
    /// Fresh per connection; also names it while it waits.
    id: ParticipantId,
    phase: Phase,
}

impl Conn {
    /// The role of a joined participant; `None` before joining.
    fn role(&self) -> Option<Role> {
        match &self.phase {
            Phase::Joined(member) => Some(member.participant.role),
            _ => None,
        }
    }

    /// Waiting or joined, as opposed to merely connected.
    fn is_present(&self) -> bool {
        !matches!(self.phase, Phase::Connected)
    }
}

#[derive(Debug)]
enum Phase {
    /// Authenticated; `room.join` not yet accepted.
    Connected,
    /// In the waiting room; `seq` is its key in the queue.
    Waiting { seq: u64, display_name: String },
    /// In the meeting.
    Joined(Box<Member>),
}

#[derive(Debug)]
struct Member {
    /// Its key in the roster.
    seq: u64,
    participant: Participant,
    chat_limit: RateLimit<CHAT_RATE_LIMIT>,
    reaction_limit: RateLimit<REACTION_RATE_LIMIT>,
    /// The txn of the publish offer the bridge has not answered yet.
    publish_txn: Option<String>,
}

impl Member {
    fn muted(&self) -> bool {
        self.participant.muted_by_moderator
    }
}

/// The output queue, and the txn of the message being handled until its answer goes out.
#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<RoomOutput>,
    answer: Option<(ConnectionId, String)>,
}

impl Outbox {
    /// Queues a frame; the first one to the sender of the current request carries its txn.
    fn send(&mut self, to: ConnectionId, message: ServerMessage) {
        let txn = match &self.answer {
            Some((sender, _)) if *sender == to => self.answer.take().map(|(_, txn)| txn),
            _ => None,
        };
        self.send_with_txn(to, message, txn);
    }

    fn send_with_txn(&mut self, to: ConnectionId, message: ServerMessage, txn: Option<String>) {
        self.queue.push_back(RoomOutput::Send {
            to,
            message: ServerEnvelope { message, txn },
        });
    }

    fn error(&mut self, to: ConnectionId, code: ErrorCode, message: &str) {
        self.send(
            to,
            ServerMessage::Error {
                code,
                message: message.to_owned(),
            },
        );
    }

    fn close(&mut self, conn: ConnectionId, code: u16, reason: &str) {
        self.queue.push_back(RoomOutput::Close {
            conn,
            code,
            reason: reason.to_owned(),
        });
    }

    fn bridge(&mut self, command: BridgeCommand) {
        self.queue.push_back(RoomOutput::Bridge(command));
    }
}

/// A display name as shown: trimmed, 1 to 64 characters, no control characters.
fn display_name(raw: &str) -> Option<String> {
    polls::clean_text(raw, MAX_DISPLAY_NAME_CHARS)
}

/// What a ban of this identity covers: the subject, and for a guest the invite code it came
/// through, so the same link cannot be used to come back under a fresh guest id.
fn ban_keys(identity: &Identity) -> Vec<BanKey> {
    let mut keys = vec![BanKey::Subject(identity.subject)];
    if identity.kind == SubjectKind::Guest
        && let Some(code) = &identity.invite_code
    {
        keys.push(BanKey::InviteCode(code.clone()));
    }
    keys
}

/// The role a moderator returns to when demoted.
fn base_role(identity: &Identity) -> Role {
    match identity.kind {
        SubjectKind::User => Role::Participant,
        SubjectKind::Guest => Role::Guest,
    }
}

fn end_close_code(reason: LeaveReason) -> u16 {
    match reason {
        LeaveReason::InternalError => close_code::INTERNAL_ERROR,
        _ => close_code::MEETING_GONE,
    }
}

fn end_close_reason(reason: LeaveReason) -> &'static str {
    match reason {
        LeaveReason::EndedByModerator => "meeting ended",
        LeaveReason::Deleted => "meeting deleted",
        LeaveReason::InternalError => "internal error",
        LeaveReason::Removed | LeaveReason::Banned => "meeting closed",
    }
}

/// Maps the bridge's error code string onto the signaling error codes; an unknown code is
/// reported as `invalid_state`, keeping the bridge's message.
fn bridge_error_code(code: &str) -> ErrorCode {
    match code {
        "bad_message" => ErrorCode::BadMessage,
        "unknown_type" => ErrorCode::UnknownType,
        "too_large" => ErrorCode::TooLarge,
        "rate_limited" => ErrorCode::RateLimited,
        "forbidden" => ErrorCode::Forbidden,
        "not_found" => ErrorCode::NotFound,
        "invalid_sdp" => ErrorCode::InvalidSdp,
        "muted_by_moderator" => ErrorCode::MutedByModerator,
        "not_joined" => ErrorCode::NotJoined,
        "invalid_token" => ErrorCode::InvalidToken,
        _ => ErrorCode::InvalidState,
    }
}
