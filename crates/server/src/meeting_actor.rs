//! Meeting actors: one tokio task per live meeting, owning its [`Room`].
//!
//! Everything about a live meeting passes through its actor, in order: socket messages,
//! bridge events, REST changes and the room's timeouts (`Room::poll_timeout`). The actor
//! feeds them to the sans-IO room and carries out the room's outputs (frames to sockets,
//! closes, bridge commands, persisted bans).
//!
//! A panic inside the room is caught where the room is called, so it ends only that meeting:
//! its participants get `room.ended {internal_error}` and close code 4500; other meetings and
//! the process go on.

use crate::audit::meeting::{MeetingAudit, Participant, VoteChange};
use crate::audit::{EventActor, now_ms};
use crate::state::{AppState, MeetingEvent};
use plenum_bridge::Bridge;
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent};
use plenum_protocol::signaling::{
    ClientMessage, LeaveReason, ServerEnvelope, ServerMessage, close_code,
};
use plenum_protocol::vote::VoteCheckpoint;
use plenum_protocol::{MeetingId, UserId, VoteId};
use plenum_room::{
    BanKey, ConnectionId, Identity, MeetingSettings, RecordedEntry, Room, RoomOutput, VoteOutput,
    WallClock,
};
use plenum_store::{NewVote, StoreError, VoteState};
use plenum_vote::VoteEvent;
use rand::RngCore as _;
use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

/// How many frames may wait for one slow socket before the actor gives up on it.
pub const OUTBOUND_QUEUE: usize = 512;

/// What the actor sends to one socket task.
#[derive(Debug)]
pub enum Outbound {
    Frame(String),
    Close { code: u16, reason: String },
}

/// What reaches an actor.
#[derive(Debug)]
pub enum ActorInput {
    Connect {
        conn: ConnectionId,
        identity: Identity,
        /// Who it is for the audit trail, and where the socket came from.
        participant: Participant,
        outbound: mpsc::Sender<Outbound>,
    },
    Message {
        conn: ConnectionId,
        txn: Option<String>,
        message: ClientMessage,
    },
    Disconnect {
        conn: ConnectionId,
    },
    /// The meeting's settings changed over REST.
    Settings(MeetingSettings),
    /// The meeting was deleted over REST.
    Deleted,
    /// A vote entry's append is over: stored as `seq`, or not (`None`).
    VoteRecorded {
        vote_id: VoteId,
        entry: RecordedEntry,
        seq: Option<u64>,
    },
    /// A closed vote was sealed (`None`: it could not be).
    VoteSealed {
        vote_id: VoteId,
        checkpoint: Option<VoteCheckpoint>,
    },
}

/// Errors when reaching a meeting.
#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("meeting not found")]
    NotFound,
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// The registry of running meeting actors. Its lock is taken only to find or start an actor,
/// never on the message path.
#[derive(Clone)]
pub struct Meetings {
    actors: Arc<Mutex<HashMap<MeetingId, mpsc::UnboundedSender<ActorInput>>>>,
    next_connection: Arc<AtomicU64>,
    bridge: Bridge,
    /// The actors and the tasks that write or seal for them: shutdown waits for these, so
    /// the last audit entries of every meeting are in the store before it closes.
    tasks: TaskTracker,
}

impl std::fmt::Debug for Meetings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meetings").finish_non_exhaustive()
    }
}

impl Meetings {
    pub fn new(bridge: Bridge) -> Self {
        Self {
            actors: Arc::default(),
            next_connection: Arc::new(AtomicU64::new(1)),
            bridge,
            tasks: TaskTracker::new(),
        }
    }

    /// A fresh id for a socket.
    pub fn next_connection_id(&self) -> ConnectionId {
        ConnectionId(self.next_connection.fetch_add(1, Ordering::Relaxed))
    }

    /// The input channel of the meeting's actor, started if it is not running.
    pub async fn actor(
        &self,
        state: &AppState,
        meeting: MeetingId,
    ) -> Result<mpsc::UnboundedSender<ActorInput>, MeetingError> {
        if let Some(sender) = self.running(meeting) {
            return Ok(sender);
        }
        // Loaded outside the registry lock; if two sockets race here, the first insert wins
        // and the second settings copy is simply dropped.
        let settings = load_settings(state, meeting).await?;
        let banned = state
            .store
            .bans_for_meeting(meeting)
            .await?
            .into_iter()
            .filter_map(|ban| BanKey::parse(&ban.subject))
            .collect();
        let tenant = state.store.user_by_id(settings.owner).await?.tenant_id;
        if self.running(meeting).is_none() {
            // A meeting that starts has no vote running: one left open by a stopped
            // server never gets a result.
            state
                .store
                .interrupt_open_votes(meeting, time::OffsetDateTime::now_utc())
                .await?;
        }
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = actors.get(&meeting).filter(|s| !s.is_closed()) {
            return Ok(sender.clone());
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        actors.insert(meeting, sender.clone());
        drop(actors);
        let events = self.bridge.open_conference(meeting);
        let audit = MeetingAudit::start(state, meeting);
        audit.system("meeting.start", None);
        let mut room = Room::new(
            settings,
            banned,
            WallClock {
                at: Instant::now().into_std(),
                time: SystemTime::now(),
            },
        );
        room.enable_votes(
            tenant.clone(),
            Box::new(|bytes: &mut [u8]| rand::rng().fill_bytes(bytes)),
        );
        let actor = Actor {
            meeting,
            tenant,
            state: state.clone(),
            inputs: sender.downgrade(),
            room,
            slow: Vec::new(),
            connections: BTreeMap::new(),
            bridge: self.bridge.clone(),
            audit,
            people: BTreeMap::new(),
            acting: None,
            refused: false,
        };
        let registry = self.clone();
        // The span is attached to the task, not entered inside it: a span entered across
        // an await stays entered on the worker thread while the task sleeps, and every
        // other meeting polled there would log inside it.
        let span = tracing::info_span!("meeting", meeting = %meeting);
        self.tasks.spawn(
            async move {
                actor.run(receiver, events).await;
                registry.forget(meeting);
            }
            .instrument(span),
        );
        Ok(sender)
    }

    /// Runs a task that belongs to a meeting (its audit writer, a vote's sealing), so that
    /// shutdown waits for it.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(task);
    }

    /// At shutdown, after `AppState::shutdown` was triggered (every actor then closes its
    /// sockets and ends): waits up to `grace` for the actors and their writers, then stops
    /// the media bridge.
    pub async fn shutdown(&self, grace: std::time::Duration) {
        self.tasks.close();
        if tokio::time::timeout(grace, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = self.tasks.len(),
                "meeting tasks still running after the grace period"
            );
        }
        self.bridge.shutdown();
    }

    /// Tells a running actor about a REST change; a meeting nobody is in needs no telling.
    pub fn notify(&self, meeting: MeetingId, input: ActorInput) {
        if let Some(sender) = self.running(meeting) {
            // A closed channel means the actor just ended: nothing left to tell.
            let _ = sender.send(input);
        }
    }

    fn running(&self, meeting: MeetingId) -> Option<mpsc::UnboundedSender<ActorInput>> {
        let actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.get(&meeting).filter(|s| !s.is_closed()).cloned()
    }

    fn forget(&self, meeting: MeetingId) {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if actors.get(&meeting).is_some_and(|s| s.is_closed()) {
            actors.remove(&meeting);
        }
    }
}

/// Forwards changes made over REST to the running meetings they concern, until shutdown.
pub async fn follow_rest_changes(state: AppState) {
    let mut changes = state.meeting_events.subscribe();
    loop {
        let change = tokio::select! {
            change = changes.recv() => change,
            () = state.shutdown.wait() => return,
        };
        match change {
            Ok(MeetingEvent::Updated(meeting)) => match load_settings(&state, meeting).await {
                Ok(settings) => state
                    .meetings
                    .notify(meeting, ActorInput::Settings(settings)),
                Err(error) => tracing::warn!(%meeting, %error, "cannot reload meeting settings"),
            },
            Ok(MeetingEvent::Deleted(meeting)) => {
                state.meetings.notify(meeting, ActorInput::Deleted)
            }
            // A revoked invite stops new joins; people already inside stay, as in Teams
            // and Jitsi when a link is reset.
            Ok(MeetingEvent::InviteRevoked { .. }) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "missed meeting changes");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Sleeps until the room's next timeout; forever when it has none.
async fn sleep_until(timeout: Option<std::time::Instant>) {
    match timeout {
        Some(at) => tokio::time::sleep_until(Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// The room settings of a stored meeting.
pub async fn load_settings(
    state: &AppState,
    meeting: MeetingId,
) -> Result<MeetingSettings, MeetingError> {
    let stored = match state.store.meeting_by_id(meeting).await {
        Ok(stored) => stored,
        Err(StoreError::NotFound) => return Err(MeetingError::NotFound),
        Err(error) => return Err(error.into()),
    };
    Ok(MeetingSettings {
        id: meeting,
        title: stored.title,
        waiting_room: stored.waiting_room,
        owner: stored.owner_id,
    })
}

struct Actor {
    meeting: MeetingId,
    /// The meeting owner's tenant: every vote entry carries it.
    tenant: String,
    state: AppState,
    /// The actor's own input, for the results of work it hands off (ballot seqs, seals).
    inputs: mpsc::WeakUnboundedSender<ActorInput>,
    room: Room,
    connections: BTreeMap<ConnectionId, mpsc::Sender<Outbound>>,
    /// Sockets that could not keep up, to be disconnected once the current outputs are done.
    slow: Vec<ConnectionId>,
    bridge: Bridge,
    audit: MeetingAudit,
    /// Each connection's audit identity and display name.
    people: BTreeMap<ConnectionId, (Participant, String)>,
    /// The connection whose message the room is handling, and whether the room answered
    /// it with an error: how a moderation request is known to be refused.
    acting: Option<ConnectionId>,
    refused: bool,
}

impl Actor {
    async fn run(
        mut self,
        mut inputs: mpsc::UnboundedReceiver<ActorInput>,
        mut events: mpsc::UnboundedReceiver<BridgeEvent>,
    ) {
        tracing::debug!("meeting actor started");
        let shutdown = self.state.shutdown.clone();
        let stopping = shutdown.wait();
        tokio::pin!(stopping);
        loop {
            let timeout = self.room.poll_timeout();
            let ended = tokio::select! {
                () = &mut stopping => {
                    self.close_for_shutdown();
                    true
                }
                input = inputs.recv() => match input {
                    Some(input) => self.handle_input(input),
                    None => true,
                },
                Some(event) = events.recv() => {
                    let now = Instant::now().into_std();
                    self.guarded(|room| room.handle_bridge_event(event, now))
                }
                () = sleep_until(timeout) => {
                    let now = Instant::now().into_std();
                    self.guarded(|room| room.handle_timeout(now))
                }
            };
            if ended {
                break;
            }
            if self.room.is_empty() && self.connections.is_empty() {
                self.bridge.send(BridgeCommand::CloseConference {
                    conference: self.meeting,
                });
                break;
            }
        }
        // Closing the receiver before returning makes `Meetings::forget` see a closed channel.
        inputs.close();
        self.audit.system("meeting.end", None);
        tracing::debug!("meeting actor stopped");
    }

    /// Handles one input; true when the meeting is over.
    fn handle_input(&mut self, input: ActorInput) -> bool {
        let now = Instant::now().into_std();
        match input {
            ActorInput::Connect {
                conn,
                identity,
                participant,
                outbound,
            } => {
                self.connections.insert(conn, outbound);
                self.audit
                    .presence("participant.join", &participant, &identity.display_name);
                self.people
                    .insert(conn, (participant, identity.display_name.clone()));
                self.guarded(|room| room.handle_connect(conn, identity, now))
            }
            ActorInput::Message { conn, txn, message } => {
                self.acting = Some(conn);
                self.refused = false;
                let recorded = message.clone();
                let ended = self.guarded(|room| room.handle_message(conn, txn, message, now));
                if let Some((who, _)) = self.people.get(&conn) {
                    self.audit.moderation(who, &recorded, self.refused);
                }
                self.acting = None;
                ended
            }
            ActorInput::Disconnect { conn } => {
                self.connections.remove(&conn);
                if let Some((who, name)) = self.people.remove(&conn) {
                    self.audit.presence("participant.leave", &who, &name);
                }
                self.guarded(|room| room.handle_disconnect(conn, now))
            }
            ActorInput::Settings(settings) => self.guarded(|room| room.handle_settings(settings)),
            ActorInput::Deleted => self.guarded(|room| room.end(LeaveReason::Deleted)),
            ActorInput::VoteRecorded {
                vote_id,
                entry,
                seq,
            } => self.guarded(|room| room.handle_vote_recorded(vote_id, entry, seq, now)),
            ActorInput::VoteSealed {
                vote_id,
                checkpoint,
            } => self.guarded(|room| room.handle_vote_sealed(vote_id, checkpoint)),
        }
    }

    /// Runs one room call and carries out its outputs, then disconnects the sockets that
    /// could not keep up; true when the meeting is over.
    fn guarded(&mut self, call: impl FnOnce(&mut Room)) -> bool {
        let mut ended = self.run_room(call);
        // Dropping a slow socket makes the room tell the others, which may find more slow
        // sockets; each round removes a connection for good, so this ends.
        while !ended && let Some(conn) = self.slow.pop() {
            let now = Instant::now().into_std();
            ended = self.run_room(|room| room.handle_disconnect(conn, now));
        }
        ended
    }

    /// Runs one room call, then carries out its outputs; true when the meeting is over.
    /// A panic in the room ends this meeting only.
    fn run_room(&mut self, call: impl FnOnce(&mut Room)) -> bool {
        let room = &mut self.room;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            call(room);
            let mut outputs = Vec::new();
            while let Some(output) = room.poll_output() {
                outputs.push(output);
            }
            outputs
        }));
        match outcome {
            Ok(outputs) => {
                let mut ended = false;
                for output in outputs {
                    ended |= self.carry_out(output);
                }
                ended
            }
            Err(_) => {
                tracing::error!("meeting state machine panicked; ending this meeting");
                self.fail();
                true
            }
        }
    }

    /// Carries out one room output; true when the meeting is over.
    fn carry_out(&mut self, output: RoomOutput) -> bool {
        match output {
            RoomOutput::Send { to, message } => {
                if Some(to) == self.acting && matches!(message.message, ServerMessage::Error { .. })
                {
                    self.refused = true;
                }
                self.deliver(to, Outbound::Frame(message.to_json()));
            }
            RoomOutput::Close { conn, code, reason } => {
                self.deliver(conn, Outbound::Close { code, reason });
                self.connections.remove(&conn);
            }
            RoomOutput::Bridge(command) => self.bridge.send(command),
            RoomOutput::BanAdded(key) => {
                // Persisted with its audit entry, in order with the meeting's other events.
                let who = self.acting.and_then(|conn| self.people.get(&conn));
                self.audit.ban(who.map(|(p, _)| p), key.to_string());
            }
            RoomOutput::Vote(output) => self.record_vote(output),
            RoomOutput::Ended => return true,
        }
        false
    }

    /// Appends a vote event through the meeting's audit writer (in order with everything
    /// else of the meeting). How the append went comes back to the room as it asks; a
    /// stored close is sealed off the actor first and its result comes back when ready.
    fn record_vote(&mut self, output: VoteOutput) {
        let VoteOutput {
            vote_id,
            event,
            by,
            report,
        } = output;
        let actor = match by {
            Some(subject) => self.event_actor(subject),
            None => EventActor::system(),
        };
        let entry = event.entry(
            0,
            now_ms(),
            &self.tenant,
            &self.meeting.to_string(),
            actor.entry_actor(),
        );
        let change = match &event {
            VoteEvent::Open(open) => VoteChange::Open(NewVote {
                id: vote_id,
                tenant_id: self.tenant.clone(),
                meeting_id: self.meeting,
                subject: open.subject.clone(),
                mode: match open.mode {
                    plenum_vote::Mode::RollCall => plenum_protocol::vote::VoteMode::RollCall,
                    plenum_vote::Mode::Pseudonymous => {
                        plenum_protocol::vote::VoteMode::Pseudonymous
                    }
                },
                opened_at: time::OffsetDateTime::now_utc(),
            }),
            VoteEvent::Ballot(_) => VoteChange::None,
            VoteEvent::Close(_) => VoteChange::Finish(VoteState::Closed),
            VoteEvent::Cancel(_) => VoteChange::Finish(VoteState::Cancelled),
        };
        let seq = self.audit.vote(vote_id, entry, change);
        let Some(entry) = report else {
            return;
        };
        let inputs = self.inputs.clone();
        let state = self.state.clone();
        self.state.meetings.spawn(async move {
            // The writer has logged why an entry could not be stored.
            let seq = seq.await.ok().flatten();
            let answer = match (entry, seq) {
                (RecordedEntry::Close, Some(close_seq)) => {
                    let checkpoint = match crate::vote::seal(&state, vote_id, close_seq).await {
                        Ok(checkpoint) => Some(checkpoint),
                        Err(error) => {
                            tracing::error!(%error, %vote_id, "could not seal a vote");
                            None
                        }
                    };
                    ActorInput::VoteSealed {
                        vote_id,
                        checkpoint,
                    }
                }
                (entry, seq) => ActorInput::VoteRecorded {
                    vote_id,
                    entry,
                    seq,
                },
            };
            if let Some(inputs) = inputs.upgrade() {
                let _ = inputs.send(answer);
            }
        });
    }

    /// The audit actor of a subject in this meeting (a moderator or a roll-call voter),
    /// even if it has left meanwhile.
    fn event_actor(&self, subject: UserId) -> EventActor {
        let id = subject.to_string();
        self.people
            .values()
            .map(|(p, _)| &p.actor)
            .find(|actor| actor.id == id)
            .cloned()
            .unwrap_or_else(|| EventActor {
                kind: plenum_audit::ActorKind::User,
                id,
                tenant: self.tenant.clone(),
            })
    }

    /// Queues a frame for one socket; a socket that cannot keep up is closed.
    fn deliver(&mut self, conn: ConnectionId, outbound: Outbound) {
        let Some(sender) = self.connections.get(&conn) else {
            return;
        };
        if sender.try_send(outbound).is_err() {
            tracing::warn!(conn = conn.0, "socket too slow or gone; dropping it");
            self.connections.remove(&conn);
            self.slow.push(conn);
        }
    }

    /// The server is stopping: every socket closes with 1012 (clients reconnect when it is
    /// back) and everyone's leave is recorded; the meeting ends with the actor.
    fn close_for_shutdown(&mut self) {
        for (who, name) in std::mem::take(&mut self.people).into_values() {
            self.audit.presence("participant.leave", &who, &name);
        }
        for sender in std::mem::take(&mut self.connections).into_values() {
            let _ = sender.try_send(Outbound::Close {
                code: close_code::SERVER_RESTART,
                reason: "server restarting".into(),
            });
        }
        self.bridge.send(BridgeCommand::CloseConference {
            conference: self.meeting,
        });
    }

    /// Ends the meeting after a bug: tells everyone and frees the media.
    fn fail(&mut self) {
        let ended = ServerEnvelope {
            message: ServerMessage::Ended {
                reason: LeaveReason::InternalError,
            },
            txn: None,
        }
        .to_json();
        for sender in self.connections.values() {
            let _ = sender.try_send(Outbound::Frame(ended.clone()));
            let _ = sender.try_send(Outbound::Close {
                code: close_code::INTERNAL_ERROR,
                reason: "internal error".into(),
            });
        }
        self.connections.clear();
        self.bridge.send(BridgeCommand::CloseConference {
            conference: self.meeting,
        });
    }
}
