import { describe, expect, it } from 'vitest';
import { CHAT_PREVIEW_CHARS, eventNotices, unreadCount } from '../../src/notifications';
import type { ChatMessage, Participant, ServerMessage } from '../../src/protocol';
import { initialRoom, type RoomView } from '../../src/roomState';
import { shortcutFor, takesText, type KeyInput } from '../../src/shortcuts';

function person(id: string, hand = false): Participant {
  return {
    id,
    display_name: id.toUpperCase(),
    role: 'guest',
    hand_raised: hand,
    hand_raised_seq: hand ? 1 : null,
    media: { mic: true, camera: true, screen: false },
    muted_by_moderator: false,
  };
}

function msg(id: number, from: string, text = 'hi', to: string | null = null): ChatMessage {
  return { id, from: { id: from, display_name: from.toUpperCase() }, to, text, sent_at: '2026-11-27T10:00:00Z' };
}

const joined: RoomView = { ...initialRoom, phase: 'joined', selfId: 'me', participants: [person('me'), person('a')] };

describe('eventNotices', () => {
  const notices = (event: ServerMessage, before = joined, after?: RoomView) => eventNotices(before, after ?? before, event);

  it('someone new joins or leaves', () => {
    expect(notices({ type: 'participant.joined', payload: person('b') })).toEqual([{ key: 'notify.joined', params: { name: 'B' } }]);
    expect(notices({ type: 'participant.left', payload: { id: 'a' } })).toEqual([{ key: 'notify.left', params: { name: 'A' } }]);
  });

  it('nothing about oneself, about people already known, or about unknown leavers', () => {
    expect(notices({ type: 'participant.joined', payload: person('me') })).toEqual([]);
    expect(notices({ type: 'participant.joined', payload: person('a') })).toEqual([]);
    expect(notices({ type: 'participant.left', payload: { id: 'ghost' } })).toEqual([]);
  });

  it('nothing before being in the meeting, nor for the join itself', () => {
    const connecting = { ...initialRoom };
    expect(notices({ type: 'participant.joined', payload: person('b') }, connecting, joined)).toEqual([]);
    const waiting: RoomView = { ...joined, phase: 'waiting' };
    expect(notices({ type: 'chat.message', payload: msg(1, 'a') }, waiting)).toEqual([]);
  });

  it('a hand going up, not one staying up or going down, and not ours', () => {
    expect(notices({ type: 'participant.updated', payload: person('a', true) })).toEqual([{ key: 'notify.hand', params: { name: 'A' } }]);
    const raised = { ...joined, participants: [person('me'), person('a', true)] };
    expect(notices({ type: 'participant.updated', payload: person('a', true) }, raised)).toEqual([]);
    expect(notices({ type: 'participant.updated', payload: person('a', false) }, raised)).toEqual([]);
    expect(notices({ type: 'participant.updated', payload: person('me', true) })).toEqual([]);
  });

  it('chat from others, public or private, with a short preview; never our own or a repeat', () => {
    expect(notices({ type: 'chat.message', payload: msg(1, 'a', 'hello\n  there') })).toEqual([
      { key: 'notify.chat', params: { name: 'A', text: 'hello there' } },
    ]);
    expect(notices({ type: 'chat.message', payload: msg(2, 'a', 'psst', 'me') })[0]?.key).toBe('notify.chatPrivate');
    expect(notices({ type: 'chat.message', payload: msg(3, 'me') })).toEqual([]);
    const seen = { ...joined, chat: [msg(4, 'a')] };
    expect(notices({ type: 'chat.message', payload: msg(4, 'a') }, seen)).toEqual([]);
    const long = notices({ type: 'chat.message', payload: msg(5, 'a', '😀'.repeat(200)) })[0]?.params.text as string;
    expect([...long]).toHaveLength(CHAT_PREVIEW_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('unreadCount', () => {
  const chat = [msg(1, 'a'), msg(2, 'me'), msg(3, 'b'), msg(4, 'a')];

  it('counts messages from others after the last one seen', () => {
    expect(unreadCount(chat, 'me', null)).toBe(3);
    expect(unreadCount(chat, 'me', 1)).toBe(2);
    expect(unreadCount(chat, 'me', 3)).toBe(1);
    expect(unreadCount(chat, 'me', 4)).toBe(0);
    expect(unreadCount([], 'me', null)).toBe(0);
  });

  it('a seen message that scrolled out of the history still bounds the count', () => {
    expect(unreadCount(chat.slice(2), 'me', 2)).toBe(2);
    expect(unreadCount(chat, 'me', 99)).toBe(0);
  });
});

describe('shortcuts', () => {
  const key = (k: string, patch: Partial<KeyInput> = {}): KeyInput => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    repeat: false,
    typing: false,
    ...patch,
  });

  it('M, V, H and ? (either case)', () => {
    expect(['m', 'M', 'v', 'V', 'h', 'H', '?'].map((k) => shortcutFor(key(k)))).toEqual([
      'mic',
      'mic',
      'camera',
      'camera',
      'hand',
      'hand',
      'help',
    ]);
    expect(shortcutFor(key('x'))).toBeNull();
    expect(shortcutFor(key('Enter'))).toBeNull();
  });

  it('nothing while typing, with modifiers (browser shortcuts stay theirs) or on key repeat', () => {
    expect(shortcutFor(key('m', { typing: true }))).toBeNull();
    expect(shortcutFor(key('m', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('v', { metaKey: true }))).toBeNull();
    expect(shortcutFor(key('h', { altKey: true }))).toBeNull();
    expect(shortcutFor(key('m', { repeat: true }))).toBeNull();
  });

  it('text fields, selects and editable content take text; buttons and checkboxes do not', () => {
    expect(takesText({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(takesText({ tagName: 'input' })).toBe(true);
    expect(takesText({ tagName: 'TEXTAREA' })).toBe(true);
    expect(takesText({ tagName: 'SELECT' })).toBe(true);
    expect(takesText({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(takesText({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(takesText({ tagName: 'BUTTON' })).toBe(false);
    expect(takesText(null)).toBe(false);
  });
});
