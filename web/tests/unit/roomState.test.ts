import { describe, expect, it } from 'vitest';
import type { Participant, Reaction, ServerMessage } from '../../src/protocol';
import { handPosition, handQueue, initialRoom, MAX_CHAT_MESSAGES, MAX_REACTIONS, reduceRoom, selfOf, type RoomEvent, type RoomView } from '../../src/roomState';

function person(id: string, patch: Partial<Participant> = {}): Participant {
  return {
    id,
    display_name: id.toUpperCase(),
    role: 'guest',
    hand_raised: false,
    media: { mic: true, camera: true, screen: false },
    muted_by_moderator: false,
    ...patch,
  };
}

const room = { meeting_id: 'm1', title: 'Standup', waiting_room: false, locked: false, waiting: [] };

function joined(): RoomView {
  return reduceRoom(initialRoom, {
    type: 'room.join_success',
    payload: {
      self: person('me', { role: 'owner' }),
      participants: [person('a'), person('me', { role: 'owner' }), person('b')],
      room,
      chat_history: [
        { id: 1, from: { id: 'a', display_name: 'A' }, text: 'hi', sent_at: '2026-01-01T10:00:00Z' },
      ],
      ice_lite: true,
    },
  });
}

function run(events: RoomEvent[], start: RoomView = joined()): RoomView {
  return events.reduce(reduceRoom, start);
}

describe('reduceRoom', () => {
  it('join_success puts self first, keeps the others in order and loads chat history', () => {
    const state = joined();
    expect(state.phase).toBe('joined');
    expect(state.participants.map((p) => p.id)).toEqual(['me', 'a', 'b']);
    expect(selfOf(state)?.role).toBe('owner');
    expect(state.chat.map((m) => m.text)).toEqual(['hi']);
    expect(state.room?.title).toBe('Standup');
  });

  it('joined, updated and left participants', () => {
    const state = run([
      { type: 'participant.joined', payload: person('c') },
      { type: 'participant.updated', payload: person('a', { hand_raised: true }) },
      { type: 'participant.left', payload: { id: 'b' } },
    ]);
    expect(state.participants.map((p) => [p.id, p.hand_raised])).toEqual([
      ['me', false],
      ['a', true],
      ['c', false],
    ]);
  });

  it('a repeated joined event does not duplicate a participant', () => {
    const state = run([
      { type: 'participant.joined', payload: person('c') },
      { type: 'participant.joined', payload: person('c', { display_name: 'Renamed' }) },
    ]);
    expect(state.participants.filter((p) => p.id === 'c').map((p) => p.display_name)).toEqual(['Renamed']);
  });

  it('chat messages are deduplicated by id (own echo, history overlap)', () => {
    const message = { id: 2, from: { id: 'me', display_name: 'ME' }, text: 'yo', sent_at: '2026-01-01T10:01:00Z' };
    const state = run([
      { type: 'chat.message', payload: message },
      { type: 'chat.message', payload: message },
      { type: 'chat.message', payload: { ...message, id: 1 } },
    ]);
    expect(state.chat.map((m) => m.id)).toEqual([1, 2]);
  });

  it('chat keeps only the newest messages', () => {
    const events: RoomEvent[] = [];
    for (let id = 10; id < 10 + MAX_CHAT_MESSAGES + 5; id++) {
      events.push({ type: 'chat.message', payload: { id, from: { id: 'a', display_name: 'A' }, text: `${id}`, sent_at: '' } });
    }
    const state = run(events);
    expect(state.chat).toHaveLength(MAX_CHAT_MESSAGES);
    expect(state.chat.at(-1)?.id).toBe(10 + MAX_CHAT_MESSAGES + 4);
  });

  it('active speaker is set and cleared when that participant leaves', () => {
    const speaking = run([{ type: 'media.active_speaker', payload: { participant_id: 'a' } }]);
    expect(speaking.activeSpeaker).toBe('a');
    expect(reduceRoom(speaking, { type: 'participant.left', payload: { id: 'a' } }).activeSpeaker).toBeNull();
  });

  it('room.state replaces the room (waiting list for moderators)', () => {
    const state = run([
      { type: 'room.state', payload: { ...room, waiting_room: true, waiting: [{ id: 'w', display_name: 'W' }] } },
    ]);
    expect(state.room?.waiting.map((w) => w.id)).toEqual(['w']);
  });

  it('waiting room: waiting → admitted → joined', () => {
    const waiting = reduceRoom(initialRoom, { type: 'room.waiting', payload: {} });
    expect(waiting.phase).toBe('waiting');
    const admitted = reduceRoom(waiting, { type: 'room.admitted', payload: {} });
    expect(admitted.phase).toBe('connecting');
  });

  const endings: Array<[string, RoomEvent[], RoomView, string]> = [
    ['denied', [{ type: 'room.denied', payload: {} }, { type: 'local.closed', code: 4403 }], initialRoom, 'denied'],
    ['removed', [{ type: 'room.removed', payload: { reason: 'removed' } }, { type: 'local.closed', code: 4403 }], joined(), 'removed'],
    ['banned', [{ type: 'room.removed', payload: { reason: 'banned' } }, { type: 'local.closed', code: 4403 }], joined(), 'banned'],
    ['ended', [{ type: 'room.ended', payload: { reason: 'ended_by_moderator' } }, { type: 'local.closed', code: 4404 }], joined(), 'ended'],
    ['deleted', [{ type: 'room.ended', payload: { reason: 'deleted' } }], joined(), 'deleted'],
    ['internal error', [{ type: 'room.ended', payload: { reason: 'internal_error' } }], joined(), 'internal_error'],
    ['4403 before joining is a refusal', [{ type: 'local.closed', code: 4403 }], initialRoom, 'refused'],
    ['4403 while joined without a reason', [{ type: 'local.closed', code: 4403 }], joined(), 'removed'],
    ['4404 meeting gone', [{ type: 'local.closed', code: 4404 }], initialRoom, 'not_found'],
    ['4401 token', [{ type: 'local.closed', code: 4401 }], joined(), 'token'],
    ['4500', [{ type: 'local.closed', code: 4500 }], joined(), 'internal_error'],
    ['abnormal close', [{ type: 'local.closed', code: 1006 }], joined(), 'connection_lost'],
    ['leaving', [{ type: 'local.leaving' }, { type: 'local.closed', code: 1000 }], joined(), 'left'],
  ];
  for (const [name, events, start, reason] of endings) {
    it(`closes with reason: ${name}`, () => {
      const state = run(events, start);
      expect(state.phase).toBe('closed');
      expect(state.closedReason).toBe(reason);
    });
  }

  it('nothing reopens a closed room', () => {
    const closed = run([{ type: 'room.ended', payload: { reason: 'ended_by_moderator' } }]);
    const after = run(
      [
        { type: 'participant.joined', payload: person('z') },
        { type: 'room.waiting', payload: {} },
      ],
      closed,
    );
    expect(after).toBe(closed);
  });

  it('server messages without room effect leave the state untouched', () => {
    const state = joined();
    const unrelated: ServerMessage[] = [
      { type: 'chat.sent', payload: { id: 9 } },
      { type: 'session.refreshed', payload: { expires_at: '2026-01-01T00:00:00Z' } },
      { type: 'error', payload: { code: 'forbidden', message: 'no' } },
      { type: 'media.publish_answer', payload: { sdp: 'v=0' } },
    ];
    for (const m of unrelated) expect(reduceRoom(state, m)).toBe(state);
  });

  it('reactions are numbered in arrival order and bounded', () => {
    const react = (id: string, emoji: Reaction): RoomEvent => ({ type: 'reaction', payload: { participant_id: id, emoji } });
    const state = run([react('a', '👍'), react('b', '❤️'), react('a', '🎉')]);
    expect(state.reactions).toEqual([
      { seq: 1, participantId: 'a', emoji: '👍' },
      { seq: 2, participantId: 'b', emoji: '❤️' },
      { seq: 3, participantId: 'a', emoji: '🎉' },
    ]);
    const many = run(Array.from({ length: MAX_REACTIONS + 5 }, () => react('b', '👏')));
    expect(many.reactions).toHaveLength(MAX_REACTIONS);
    // Numbers keep growing past the bound, so the UI never mistakes a new one for an old one.
    expect(many.reactions.at(-1)?.seq).toBe(MAX_REACTIONS + 5);
    expect(many.reactions[0]?.seq).toBe(6);
  });

  it('a reaction this client cannot name is ignored', () => {
    const state = joined();
    const unknown = { type: 'reaction', payload: { participant_id: 'a', emoji: '<img src=x>' } } as unknown as RoomEvent;
    expect(reduceRoom(state, unknown)).toBe(state);
  });

  it('the hand queue follows the room’s raise numbers, not the order updates arrive in', () => {
    const raised = (id: string, seq: number) => person(id, { hand_raised: true, hand_raised_seq: seq });
    const update = (p: Participant): RoomEvent => ({ type: 'participant.updated', payload: p });
    // b raised first (1), me second (2), a third (3); the updates arrive out of order.
    let state = run([update(raised('a', 3)), update(raised('me', 2)), update(raised('b', 1))]);
    expect(handQueue(state).map((p) => p.id)).toEqual(['b', 'me', 'a']);
    expect(handPosition(state, 'me')).toBe(2);
    // b lowers: everyone moves up.
    state = run([update(person('b'))], state);
    expect(handQueue(state).map((p) => p.id)).toEqual(['me', 'a']);
    expect(handPosition(state, 'me')).toBe(1);
    expect(handPosition(state, 'b')).toBeNull();
    // a leaves; b raises again and is last.
    state = run([{ type: 'participant.left', payload: { id: 'a' } }, update(raised('b', 4))], state);
    expect(handQueue(state).map((p) => p.id)).toEqual(['me', 'b']);
  });

  it('hands without a raise number (older server) queue last, in list order', () => {
    const state = run([
      { type: 'participant.updated', payload: person('b', { hand_raised: true }) },
      { type: 'participant.updated', payload: person('a', { hand_raised: true }) },
      { type: 'participant.updated', payload: person('me', { hand_raised: true, hand_raised_seq: 7 }) },
    ]);
    expect(handQueue(state).map((p) => p.id)).toEqual(['me', 'a', 'b']);
  });

  it('refused at the door of a locked meeting closes with its own reason, which may be retried', () => {
    const state = reduceRoom(initialRoom, { type: 'local.locked_out' });
    expect(state.phase).toBe('closed');
    expect(state.closedReason).toBe('locked');
    // The 4403 close that follows does not turn it into another reason.
    expect(reduceRoom(state, { type: 'local.closed', code: 4403 })).toBe(state);
  });

  it('room.state carries the lock', () => {
    const state = run([{ type: 'room.state', payload: { ...room, locked: true } }]);
    expect(state.room?.locked).toBe(true);
  });
});
