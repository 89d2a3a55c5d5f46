/**
 * Formal votes on the client: what this participant knows about the meeting's current vote,
 * folded from the `vote.*` messages (docs/signaling.md "Votes"). The voter's own token and
 * ballot seq stay in memory only: they are what the receipt endpoint needs.
 */

import type { ServerMessage, VoteBallotAccepted, VoteClosed, VoteId, VoteOpened, VoteParticipation } from './protocol';

export interface VoteView {
  voteId: VoteId;
  /** `null` when only the result of an earlier vote is known (a late joiner's snapshot). */
  opened: VoteOpened | null;
  /** Pseudonymous votes: this voter's token. */
  token: string | null;
  ballot: VoteBallotAccepted | null;
  participation: VoteParticipation | null;
  closed: VoteClosed | null;
  /** The moderator's reason, once cancelled. */
  cancelled: string | null;
}

function fresh(voteId: VoteId): VoteView {
  return { voteId, opened: null, token: null, ballot: null, participation: null, closed: null, cancelled: null };
}

/** The vote state after `message`; messages of other types leave it as it is. */
export function reduceVote(state: VoteView | null, message: ServerMessage): VoteView | null {
  // Messages about another vote than the one shown start over for that vote (a new vote
  // opened) or, for the late details of an older vote, are ignored.
  const forVote = (voteId: VoteId): VoteView | null => (state?.voteId === voteId ? state : null);
  switch (message.type) {
    case 'vote.opened': {
      const current = forVote(message.payload.vote_id) ?? fresh(message.payload.vote_id);
      return { ...current, opened: message.payload };
    }
    case 'vote.closed': {
      const current = forVote(message.payload.vote_id) ?? fresh(message.payload.vote_id);
      return { ...current, closed: message.payload };
    }
    case 'vote.token': {
      const current = forVote(message.payload.vote_id);
      return current ? { ...current, token: message.payload.token } : state;
    }
    case 'vote.ballot_accepted': {
      const current = forVote(message.payload.vote_id);
      return current ? { ...current, ballot: message.payload, token: message.payload.token ?? current.token } : state;
    }
    case 'vote.participation': {
      const current = forVote(message.payload.vote_id);
      return current ? { ...current, participation: message.payload } : state;
    }
    case 'vote.cancelled': {
      const current = forVote(message.payload.vote_id);
      return current ? { ...current, cancelled: message.payload.reason } : state;
    }
    default:
      return state;
  }
}

/** Whether this participant may still cast a ballot in the shown vote. */
export function canCastBallot(vote: VoteView | null): boolean {
  return !!vote?.opened?.can_vote && vote.ballot === null && vote.closed === null && vote.cancelled === null;
}

/** The vote is running: opened, not closed, not cancelled. */
export function voteIsOpen(vote: VoteView | null): boolean {
  return vote?.opened !== null && vote?.opened !== undefined && vote.closed === null && vote.cancelled === null;
}

/** The label of an option id, as the vote names it. */
export function optionLabel(vote: VoteView, id: string): string {
  const options = vote.closed?.options ?? vote.opened?.options ?? [];
  return options.find((o) => o.id === id)?.label ?? id;
}
