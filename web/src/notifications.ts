/**
 * What the user is told about other people's activity: joins, leaves, raised hands and
 * chat messages become short notices (toasts, announced by the live region), and chat
 * messages that arrive while the chat is closed are counted as unread. Pure functions of
 * the room state before and after a server event, so they are unit-tested.
 */

import type { MessageKey } from './i18n';
import type { ChatMessage, ParticipantId, ServerMessage } from './protocol';
import type { RoomView } from './roomState';

export interface NoticeSpec {
  key: MessageKey;
  params: Record<string, string | number>;
}

/** Chat previews in notices stay short; the full text is in the chat. */
export const CHAT_PREVIEW_CHARS = 80;

function preview(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length > CHAT_PREVIEW_CHARS ? `${chars.slice(0, CHAT_PREVIEW_CHARS - 1).join('')}…` : chars.join('');
}

/**
 * The notices one server event gives, seen from `before` (the state it arrived in) and
 * `after`. Nothing about oneself, nothing while not (yet) in the meeting, and nothing for
 * the people and messages that come with the join itself.
 */
export function eventNotices(before: RoomView, after: RoomView, event: ServerMessage): NoticeSpec[] {
  if (before.phase !== 'joined' || after.phase !== 'joined') return [];
  const self = after.selfId;
  switch (event.type) {
    case 'participant.joined': {
      const known = before.participants.some((p) => p.id === event.payload.id);
      return event.payload.id === self || known ? [] : [{ key: 'notify.joined', params: { name: event.payload.display_name } }];
    }
    case 'participant.left': {
      const gone = before.participants.find((p) => p.id === event.payload.id);
      return gone && gone.id !== self ? [{ key: 'notify.left', params: { name: gone.display_name } }] : [];
    }
    case 'participant.updated': {
      const was = before.participants.find((p) => p.id === event.payload.id);
      const raised = event.payload.hand_raised && !(was?.hand_raised ?? false);
      return raised && event.payload.id !== self ? [{ key: 'notify.hand', params: { name: event.payload.display_name } }] : [];
    }
    case 'chat.message': {
      const m = event.payload;
      const isNew = !before.chat.some((x) => x.id === m.id);
      if (!isNew || m.from.id === self) return [];
      const key: MessageKey = m.to ? 'notify.chatPrivate' : 'notify.chat';
      return [{ key, params: { name: m.from.display_name, text: preview(m.text) } }];
    }
    default:
      return [];
  }
}

/**
 * How many chat messages from others came after `seenId` (the last message the user had
 * in view). With nothing seen yet, every message from others counts.
 */
export function unreadCount(chat: readonly ChatMessage[], selfId: ParticipantId | null, seenId: number | null): number {
  let start = 0;
  if (seenId !== null) {
    const index = chat.findIndex((m) => m.id === seenId);
    // The seen message scrolled out of the bounded history: only newer ids count.
    start = index >= 0 ? index + 1 : chat.findIndex((m) => m.id > seenId);
    if (start < 0) return 0;
  }
  let count = 0;
  for (let i = start; i < chat.length; i++) if (chat[i]?.from.id !== selfId) count++;
  return count;
}
