import { describe, expect, it } from 'vitest';
import { isReaction, parseServerMessage, REACTIONS, validDisplayName } from '../../src/protocol';

describe('parseServerMessage', () => {
  it.each([
    ['chat.sent with txn', '{"type":"chat.sent","payload":{"id":3},"txn":"a"}', { type: 'chat.sent', payload: { id: 3 }, txn: 'a' }],
    ['event without txn', '{"type":"room.waiting","payload":{}}', { type: 'room.waiting', payload: {}, txn: undefined }],
    ['missing payload becomes {}', '{"type":"room.admitted"}', { type: 'room.admitted', payload: {}, txn: undefined }],
    ['non-string txn is dropped', '{"type":"room.denied","payload":{},"txn":5}', { type: 'room.denied', payload: {}, txn: undefined }],
  ])('%s', (_name, text, expected) => {
    expect(parseServerMessage(text)).toEqual(expected);
  });

  it.each([
    ['not JSON', '{'],
    ['array', '[]'],
    ['null', 'null'],
    ['unknown type', '{"type":"x.y","payload":{}}'],
    ['type not a string', '{"type":1}'],
    ['payload not an object', '{"type":"chat.sent","payload":3}'],
  ])('ignores %s', (_name, text) => {
    expect(parseServerMessage(text)).toBeNull();
  });
});

describe('validDisplayName', () => {
  it.each([
    ['Ada', true],
    ['  Ada  ', true],
    ['Zoë Müller', true],
    ['', false],
    ['   ', false],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['😀'.repeat(64), true],
    ['bad\nname', false],
    ['tab\tname', false],
  ])('%j → %s', (name, ok) => {
    expect(validDisplayName(name)).toBe(ok);
  });
});

describe('reactions', () => {
  it('the allow-list is the server’s (crates/protocol Reaction) and isReaction checks it exactly', () => {
    expect(REACTIONS).toEqual(['👍', '👏', '❤️', '😂', '😮', '🎉', '🤔', '👎']);
    for (const r of REACTIONS) expect(isReaction(r)).toBe(true);
    for (const other of ['❤', '👍👍', '', 'ok', 1, null, undefined]) expect(isReaction(other)).toBe(false);
  });
});
