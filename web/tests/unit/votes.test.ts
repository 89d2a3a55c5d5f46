import { describe, expect, it } from 'vitest';
import type { ServerMessage, VoteClosed, VoteOpened } from '../../src/protocol';
import { initialRoom, reduceRoom } from '../../src/roomState';
import { canCastBallot, optionLabel, reduceVote, voteIsOpen } from '../../src/votes';

const opened = (patch: Partial<VoteOpened> = {}): VoteOpened => ({
  vote_id: 'v1',
  subject: 'Budget 2027',
  options: [
    { id: 'yes', label: 'Yes' },
    { id: 'no', label: 'No' },
  ],
  mode: 'pseudonymous',
  eligible: ['Ada', 'Bo', 'Cy'],
  can_vote: true,
  opened_at: '2027-01-15T08:00:00Z',
  deadline: null,
  ...patch,
});

const closed = (patch: Partial<VoteClosed> = {}): VoteClosed => ({
  vote_id: 'v1',
  subject: 'Budget 2027',
  mode: 'pseudonymous',
  reason: 'all_voted',
  tally: [
    { option: 'yes', count: 2 },
    { option: 'no', count: 1 },
  ],
  ballots: [],
  options: opened().options,
  eligible: 3,
  checkpoint: { size: 12, root: 'ab' },
  closed_at: '2027-01-15T08:05:00Z',
  ...patch,
});

function fold(messages: ServerMessage[]) {
  return messages.reduce(reduceRoom, initialRoom).vote;
}

describe('vote state', () => {
  it('follows a pseudonymous vote from opening to the result, keeping token and seq', () => {
    const vote = fold([
      { type: 'vote.opened', payload: opened() },
      { type: 'vote.token', payload: { vote_id: 'v1', token: 'tok-a' } },
      { type: 'vote.participation', payload: { vote_id: 'v1', cast: 0, eligible: 3 } },
    ]);
    expect(voteIsOpen(vote)).toBe(true);
    expect(canCastBallot(vote)).toBe(true);
    expect(vote?.token).toBe('tok-a');
    const after = [
      { type: 'vote.ballot_accepted', payload: { vote_id: 'v1', option: 'no', seq: 41, token: 'tok-a' } },
      { type: 'vote.closed', payload: closed() },
    ] satisfies ServerMessage[];
    const done = after.reduce((v, m) => reduceVote(v, m), vote);
    expect(done?.ballot?.seq).toBe(41);
    expect(canCastBallot(done)).toBe(false);
    expect(voteIsOpen(done)).toBe(false);
    expect(done && optionLabel(done, 'no')).toBe('No');
  });

  it('offers no ballot to people who may not vote, or after a cancel', () => {
    expect(canCastBallot(fold([{ type: 'vote.opened', payload: opened({ can_vote: false }) }]))).toBe(false);
    const cancelled = fold([
      { type: 'vote.opened', payload: opened() },
      { type: 'vote.cancelled', payload: { vote_id: 'v1', reason: 'wrong subject' } },
    ]);
    expect(cancelled?.cancelled).toBe('wrong subject');
    expect(canCastBallot(cancelled)).toBe(false);
  });

  it('a new vote starts over; details of another vote are ignored', () => {
    const vote = fold([
      { type: 'vote.closed', payload: closed() },
      { type: 'vote.opened', payload: opened({ vote_id: 'v2' }) },
      { type: 'vote.token', payload: { vote_id: 'v1', token: 'old' } },
    ]);
    expect(vote?.voteId).toBe('v2');
    expect(vote?.closed).toBeNull();
    expect(vote?.token).toBeNull();
    expect(fold([{ type: 'vote.participation', payload: { vote_id: 'v9', cast: 1, eligible: 2 } }])).toBeNull();
  });
});
