//! The audit trail of a live meeting: the meeting actor hands its events to one writer
//! task per meeting, which appends them in the order they happened (the actor itself
//! never waits for the database).
//!
//! A ban is a change the store keeps, so the writer persists it and its
//! `moderation.ban` entry in one transaction.

use super::{AuditEvent, EventActor, Outcome, RequestMeta};
use crate::state::AppState;
use crate::tokens::Claims;
use plenum_protocol::signaling::ClientMessage;
use plenum_protocol::{MeetingId, VoteId};
use plenum_store::{NewVote, VoteState};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Who a connection in a meeting is, for its audit entries.
#[derive(Clone, Debug)]
pub struct Participant {
    pub actor: EventActor,
    pub meta: RequestMeta,
}

impl Participant {
    pub fn new(claims: &Claims, meta: RequestMeta) -> Self {
        Self {
            actor: EventActor::from_claims(claims),
            meta,
        }
    }
}

/// One job for the writer.
#[derive(Debug)]
enum Job {
    Event(Box<RequestMeta>, AuditEvent),
    /// Persist the ban `subject` and record `event`, in one transaction.
    Ban {
        meeting: MeetingId,
        meta: Box<RequestMeta>,
        subject: String,
        event: AuditEvent,
    },
    /// Append a vote's entry (and its change to the `votes` row, in one transaction) and
    /// answer with its seq.
    Vote {
        vote_id: VoteId,
        entry: Box<plenum_audit::Entry>,
        change: VoteChange,
        seq: oneshot::Sender<Option<u64>>,
    },
}

/// What a vote entry changes in the `votes` table besides the trail.
#[derive(Debug)]
pub enum VoteChange {
    /// `vote.open`: the row is created.
    Open(NewVote),
    /// `vote.ballot`: nothing.
    None,
    /// `vote.close` or `vote.cancel`: the row ends with the vote's seqs.
    Finish(VoteState),
}

/// The sending half the meeting actor holds.
#[derive(Clone, Debug)]
pub struct MeetingAudit {
    meeting: MeetingId,
    jobs: mpsc::UnboundedSender<Job>,
}

impl MeetingAudit {
    /// Starts the writer task of `meeting`; it ends when every sender is dropped, after
    /// writing what was queued.
    pub fn start(state: &AppState, meeting: MeetingId) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        state.meetings.spawn(write(state.clone(), queue));
        Self { meeting, jobs }
    }

    fn resource(&self) -> String {
        format!("meeting:{}", self.meeting)
    }

    /// Records `action` by the system (meeting start and end).
    pub fn system(&self, action: &'static str, detail: Option<(&'static str, String)>) {
        let mut event = AuditEvent::new(
            action,
            Outcome::Success,
            EventActor::system(),
            self.resource(),
        );
        if let Some((key, value)) = detail {
            event = event.detail(key, value);
        }
        self.send(Job::Event(Box::new(RequestMeta::internal()), event));
    }

    /// Records a participant entering (`participant.join`) or leaving the meeting.
    pub fn presence(&self, action: &'static str, who: &Participant, display_name: &str) {
        let event = AuditEvent::new(action, Outcome::Success, who.actor.clone(), self.resource())
            .personal("display_name", display_name);
        self.send(Job::Event(Box::new(who.meta.clone()), event));
    }

    /// Records a moderation request the room has just handled: `refused` when the room
    /// answered it with an error (no right, unknown participant).
    pub fn moderation(&self, who: &Participant, message: &ClientMessage, refused: bool) {
        let Some((action, details)) = moderation_action(message) else {
            return;
        };
        // A ban that took effect is recorded with its persistence (see `ban`).
        if matches!(message, ClientMessage::Ban { .. }) && !refused {
            return;
        }
        let outcome = if refused {
            Outcome::Denied
        } else {
            Outcome::Success
        };
        let mut event = AuditEvent::new(action, outcome, who.actor.clone(), self.resource());
        for (key, value) in details {
            event = event.detail(key, value);
        }
        self.send(Job::Event(Box::new(who.meta.clone()), event));
    }

    /// Persists a ban and records it. `subject` is the stored ban key; only its kind
    /// (`participant` or `invite`) enters the trail, since an invite ban names the code.
    pub fn ban(&self, who: Option<&Participant>, subject: String) {
        // Ban keys are `subject:<id>` (an account or a guest) or `invite:<code>`.
        let kind = match subject.split_once(':') {
            Some(("invite", _)) => "invite",
            _ => "participant",
        };
        let (actor, meta) = match who {
            Some(who) => (who.actor.clone(), who.meta.clone()),
            None => (EventActor::system(), RequestMeta::internal()),
        };
        let event = AuditEvent::new("moderation.ban", Outcome::Success, actor, self.resource())
            .detail("banned", kind.to_owned());
        self.send(Job::Ban {
            meeting: self.meeting,
            meta: Box::new(meta),
            subject,
            event,
        });
    }

    /// Appends a vote entry (built by `plenum_vote`, without source or request id) with
    /// its change to the `votes` row; the receiver gets its seq (`None` if it could not be
    /// stored, which is logged).
    pub fn vote(
        &self,
        vote_id: VoteId,
        entry: plenum_audit::Entry,
        change: VoteChange,
    ) -> oneshot::Receiver<Option<u64>> {
        let (seq, receiver) = oneshot::channel();
        self.send(Job::Vote {
            vote_id,
            entry: Box::new(entry),
            change,
            seq,
        });
        receiver
    }

    fn send(&self, job: Job) {
        // The writer lives as long as any sender; a send fails only during shutdown.
        if self.jobs.send(job).is_err() {
            tracing::error!(meeting = %self.meeting, "audit writer gone; event lost");
        }
    }
}

/// The catalogue action and details of a moderation message; `None` for messages that
/// are not moderation (chat, media, one's own hand).
fn moderation_action(
    message: &ClientMessage,
) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    use ClientMessage as M;
    let target = |id: &plenum_protocol::ParticipantId| vec![("participant", id.to_string())];
    Some(match message {
        M::Mute { participant_id } => ("moderation.mute", target(participant_id)),
        M::MuteAll {} => ("moderation.mute_all", Vec::new()),
        M::Remove { participant_id } => ("moderation.remove", target(participant_id)),
        M::Ban { participant_id } => ("moderation.ban", target(participant_id)),
        M::GrantModerator { participant_id } => {
            ("moderation.grant_moderator", target(participant_id))
        }
        M::RevokeModerator { participant_id } => {
            ("moderation.revoke_moderator", target(participant_id))
        }
        M::LowerHandOf { participant_id } => ("moderation.lower_hand", target(participant_id)),
        M::LowerAllHands {} => ("moderation.lower_hand", vec![("all", "true".to_owned())]),
        M::SetLocked { locked } => ("moderation.lock", vec![("locked", locked.to_string())]),
        M::SetWaitingRoom { enabled } => (
            "moderation.waiting_room",
            vec![("enabled", enabled.to_string())],
        ),
        M::Admit { participant_id } => ("participant.admit", target(participant_id)),
        M::Deny { participant_id } => ("participant.deny", target(participant_id)),
        M::End {} => ("moderation.end_for_all", Vec::new()),
        _ => return None,
    })
}

/// The writer: appends jobs one after another, so their seqs follow the meeting's order.
/// It also collects each running vote's seqs, which its close or cancel stores.
async fn write(state: AppState, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut vote_seqs: HashMap<VoteId, Vec<u64>> = HashMap::new();
    while let Some(job) = queue.recv().await {
        match job {
            // audit() logs a failure with the request id; nothing else to undo.
            Job::Event(meta, event) => {
                let _ = state.audit(&meta, event).await;
            }
            Job::Ban {
                meeting,
                meta,
                subject,
                event,
            } => {
                if let Err(error) = persist_ban(&state, meeting, &meta, &subject, event).await {
                    tracing::error!(%error, request_id = %meta.request_id, "could not persist a ban");
                }
            }
            Job::Vote {
                vote_id,
                entry,
                change,
                seq,
            } => {
                let seqs = vote_seqs.entry(vote_id).or_default();
                let finished = matches!(change, VoteChange::Finish(_));
                let appended = persist_vote(&state, vote_id, *entry, change, seqs).await;
                match appended {
                    Ok(appended) => seqs.push(appended),
                    // Names the vote only: an entry may be a pseudonymous ballot.
                    Err(ref error) => {
                        tracing::error!(%error, %vote_id, "could not record a vote event")
                    }
                }
                // A close that could not be stored is followed by a cancel, which needs
                // the vote's seqs still.
                if finished && appended.is_ok() {
                    vote_seqs.remove(&vote_id);
                }
                // The actor may have ended meanwhile; nobody is left to tell then.
                let _ = seq.send(appended.ok());
            }
        }
    }
}

/// Appends a vote entry and applies its change in one transaction; `earlier` are the seqs
/// of the vote's entries before this one.
async fn persist_vote(
    state: &AppState,
    vote_id: VoteId,
    entry: plenum_audit::Entry,
    change: VoteChange,
    earlier: &[u64],
) -> anyhow::Result<u64> {
    let mut tx = state.store.begin().await?;
    let appended = tx.append_audit(entry).await?;
    match change {
        VoteChange::Open(vote) => tx.insert_vote(&vote).await?,
        VoteChange::None => {}
        VoteChange::Finish(end) => {
            let mut seqs = earlier.to_vec();
            seqs.push(appended.seq);
            let now = time::OffsetDateTime::now_utc();
            tx.finish_vote(vote_id, end, now, &seqs).await?;
        }
    }
    tx.commit().await?;
    Ok(appended.seq)
}

async fn persist_ban(
    state: &AppState,
    meeting: MeetingId,
    meta: &RequestMeta,
    subject: &str,
    event: AuditEvent,
) -> anyhow::Result<()> {
    let mut tx = state.store.begin().await?;
    tx.add_ban(meeting, subject, time::OffsetDateTime::now_utc())
        .await?;
    state.audit_in(&mut tx, meta, event).await?;
    tx.commit().await?;
    Ok(())
}
