//! The hand queue: raised hands carry the room's raise number, so every client sorts them
//! the same way whatever the network does to message order.

use crate::support::*;
use plenum_protocol::ParticipantId;
use plenum_protocol::signaling::{ClientMessage, ErrorCode, Participant, ServerMessage};
use plenum_room::RoomOutput;

/// Owner (1), Bea (2), Cem (3), Dan (4), all joined.
fn meeting() -> (Meeting, [ParticipantId; 4]) {
    let mut m = Meeting::new(false);
    let a = m.join(1, m.owner());
    let b = m.join(2, user("Bea"));
    let c = m.join(3, user("Cem"));
    let d = m.join(4, user("Dan"));
    (m, [a, b, c, d])
}

/// Every `participant.updated` in `outputs` sent to `conn`.
fn updates_to(outputs: &[RoomOutput], conn: u64) -> Vec<Participant> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Send { to, message } if to.0 == conn => match &message.message {
                ServerMessage::ParticipantUpdated(p) => Some(p.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The queue as a client builds it from what it was told: raised hands by raise number.
#[derive(Default)]
struct Queue(Vec<(ParticipantId, u64)>);

impl Queue {
    fn apply(&mut self, outputs: &[RoomOutput], conn: u64) {
        for p in updates_to(outputs, conn) {
            self.0.retain(|(id, _)| *id != p.id);
            if let Some(seq) = p.hand_raised_seq {
                assert!(p.hand_raised, "a raise number only while raised: {p:?}");
                self.0.push((p.id, seq));
            } else {
                assert!(!p.hand_raised, "a raised hand has a raise number: {p:?}");
            }
        }
        for o in outputs {
            if let RoomOutput::Send { to, message } = o
                && to.0 == conn
                && let ServerMessage::ParticipantLeft { id } = &message.message
            {
                self.0.retain(|(p, _)| p != id);
            }
        }
    }

    /// Sends `message` from `conn` and returns the queue as the owner (1) now sees it.
    fn step(&mut self, m: &mut Meeting, conn: u64, message: ClientMessage) -> Vec<ParticipantId> {
        let outputs = m.msg(conn, None, message);
        self.apply(&outputs, 1);
        self.order()
    }

    fn order(&self) -> Vec<ParticipantId> {
        let mut sorted = self.0.clone();
        sorted.sort_by_key(|(_, seq)| *seq);
        sorted.into_iter().map(|(id, _)| id).collect()
    }
}

#[test]
fn hands_queue_in_raise_order_across_raise_lower_and_leave() {
    let (mut m, [_, b, c, d]) = meeting();
    let mut queue = Queue::default();
    // Dan first, then Bea, then Cem: the queue follows the raises, not the join order.
    assert_eq!(queue.step(&mut m, 4, ClientMessage::RaiseHand {}), vec![d]);
    assert_eq!(
        queue.step(&mut m, 2, ClientMessage::RaiseHand {}),
        vec![d, b]
    );
    assert_eq!(
        queue.step(&mut m, 3, ClientMessage::RaiseHand {}),
        vec![d, b, c]
    );
    // Raising again keeps the place.
    assert_eq!(
        queue.step(&mut m, 2, ClientMessage::RaiseHand {}),
        vec![d, b, c]
    );
    // Bea lowers and raises again: now last.
    assert_eq!(
        queue.step(&mut m, 2, ClientMessage::LowerHand {}),
        vec![d, c]
    );
    assert_eq!(
        queue.step(&mut m, 2, ClientMessage::RaiseHand {}),
        vec![d, c, b]
    );
    // A moderator lowers Cem's hand.
    assert_eq!(
        queue.step(&mut m, 1, ClientMessage::LowerHandOf { participant_id: c }),
        vec![d, b]
    );
    // Dan leaves: Bea is first, and keeps her number.
    let outputs = m.disconnect(4);
    queue.apply(&outputs, 1);
    assert_eq!(queue.order(), vec![b]);
    assert_eq!(queue.0, vec![(b, 4)]);
    // Later raises go to the end, also from someone who joined later.
    let e = m.join(5, user("Eve"));
    assert_eq!(
        queue.step(&mut m, 3, ClientMessage::RaiseHand {}),
        vec![b, c]
    );
    assert_eq!(
        queue.step(&mut m, 5, ClientMessage::RaiseHand {}),
        vec![b, c, e]
    );
}

#[test]
fn late_joiners_get_the_raise_numbers_in_the_participant_list() {
    let (mut m, [_, b, c, _]) = meeting();
    m.msg(3, None, ClientMessage::RaiseHand {});
    m.msg(2, None, ClientMessage::RaiseHand {});
    assert_eq!(m.connect(9, user("Late")), vec![]);
    let outputs = m.msg(9, None, join());
    let Some(RoomOutput::Send { message, .. }) = outputs.first() else {
        panic!("{outputs:?}")
    };
    let ServerMessage::JoinSuccess { participants, .. } = &message.message else {
        panic!("{outputs:?}")
    };
    let seqs: Vec<(ParticipantId, Option<u64>)> = participants
        .iter()
        .filter(|p| p.hand_raised)
        .map(|p| (p.id, p.hand_raised_seq))
        .collect();
    assert_eq!(seqs, vec![(b, Some(2)), (c, Some(1))]);
}

#[test]
fn a_moderator_lowers_all_hands_at_once() {
    let (mut m, [_, b, _, d]) = meeting();
    for conn in [4, 2] {
        m.msg(conn, None, ClientMessage::RaiseHand {});
    }
    // Not for participants.
    assert_eq!(
        m.msg(3, Some("no"), ClientMessage::LowerAllHands {}),
        vec![error(3, Some("no"), ErrorCode::Forbidden)]
    );
    let outputs = m.msg(1, Some("all"), ClientMessage::LowerAllHands {});
    // One update per raised hand to everyone, in join order; the first to the moderator
    // answers.
    let lowered: Vec<ParticipantId> = updates_to(&outputs, 2).iter().map(|p| p.id).collect();
    assert_eq!(lowered, vec![b, d]);
    for conn in 1..=4 {
        assert!(
            updates_to(&outputs, conn)
                .iter()
                .all(|p| !p.hand_raised && p.hand_raised_seq.is_none())
        );
    }
    let txns: Vec<_> = outputs
        .iter()
        .filter_map(|o| match o {
            RoomOutput::Send { to, message } => message.txn.as_ref().map(|t| (to.0, t.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(txns, vec![(1, "all".to_owned())]);
    assert_eq!(outputs.len(), 8);
    // Nothing raised: nothing to do, and no answer.
    assert_eq!(
        m.msg(1, Some("again"), ClientMessage::LowerAllHands {}),
        vec![]
    );
}
