/**
 * The state of one meeting as this client sees it, and the pure reducer that folds server
 * messages (and the socket's close) into it. Rendering and media code read this state;
 * only {@link reduceRoom} changes it, so every transition is unit-testable.
 */

import {
  CloseCode,
  isReaction,
  type ChatMessage,
  type LeaveReason,
  type Participant,
  type ParticipantId,
  type Poll,
  type Reaction,
  type RoomState,
  type ServerMessage,
} from './protocol';
import { mergePoll } from './polls';
import { reduceVote, type VoteView } from './votes';

export type Phase = 'connecting' | 'waiting' | 'joined' | 'closed';

/** Why the meeting is over for this client. */
export type ClosedReason =
  | 'left'
  | 'removed'
  | 'banned'
  | 'denied'
  | 'refused'
  | 'ended'
  | 'deleted'
  | 'internal_error'
  | 'not_found'
  | 'token'
  | 'connection_lost'
  /** Refused at the door of a locked meeting (`meeting_locked`). */
  | 'locked';

export interface RoomView {
  phase: Phase;
  closedReason: ClosedReason | null;
  selfId: ParticipantId | null;
  /** In join order (the server's order first, later joiners appended). */
  participants: Participant[];
  room: RoomState | null;
  chat: ChatMessage[];
  activeSpeaker: ParticipantId | null;
  /** The latest reactions, oldest first; `seq` only grows, so the UI animates each once. */
  reactions: ShownReaction[];
  /** The meeting's current (open or last) poll. */
  poll: Poll | null;
  /** The meeting's current (open or last) formal vote. */
  vote: VoteView | null;
}

export interface ShownReaction {
  seq: number;
  participantId: ParticipantId;
  emoji: Reaction;
}

/** Events that do not come from the server but change the room state. */
export type LocalEvent =
  | { type: 'local.closed'; code: number }
  | { type: 'local.leaving' }
  | { type: 'local.locked_out' };

export type RoomEvent = ServerMessage | LocalEvent;

/** Keeps memory bounded in long meetings; older messages scroll away. */
export const MAX_CHAT_MESSAGES = 500;
/** Reactions float for a few seconds; more than this many at once is a blur anyway. */
export const MAX_REACTIONS = 30;

export const initialRoom: RoomView = {
  phase: 'connecting',
  closedReason: null,
  selfId: null,
  participants: [],
  room: null,
  chat: [],
  activeSpeaker: null,
  reactions: [],
  poll: null,
  vote: null,
};

function leaveReason(reason: LeaveReason): ClosedReason {
  switch (reason) {
    case 'removed':
      return 'removed';
    case 'banned':
      return 'banned';
    case 'ended_by_moderator':
      return 'ended';
    case 'deleted':
      return 'deleted';
    case 'internal_error':
      return 'internal_error';
  }
}

function closeReason(code: number, everJoined: boolean): ClosedReason {
  switch (code) {
    case CloseCode.Forbidden:
      // Refused at the door (e.g. banned) is not the same as being removed from inside.
      return everJoined ? 'removed' : 'refused';
    case CloseCode.MeetingGone:
      return 'not_found';
    case CloseCode.TokenInvalid:
      return 'token';
    case CloseCode.InternalError:
      return 'internal_error';
    default:
      return 'connection_lost';
  }
}

function upsert(list: Participant[], p: Participant): Participant[] {
  const index = list.findIndex((x) => x.id === p.id);
  if (index < 0) return [...list, p];
  const next = list.slice();
  next[index] = p;
  return next;
}

function addChat(list: ChatMessage[], message: ChatMessage): ChatMessage[] {
  // The sender gets its own message echoed; history and live messages can overlap.
  if (list.some((m) => m.id === message.id)) return list;
  const next = [...list, message];
  return next.length > MAX_CHAT_MESSAGES ? next.slice(next.length - MAX_CHAT_MESSAGES) : next;
}

/** Folds one event into the room state. Never throws; unknown events change nothing. */
export function reduceRoom(state: RoomView, event: RoomEvent): RoomView {
  // Once closed, only the reason may be refined by the close code, never reopened.
  if (state.phase === 'closed') return state;
  switch (event.type) {
    case 'room.join_success': {
      const { self, participants, room, chat_history } = event.payload;
      const others = participants.filter((p) => p.id !== self.id);
      let chat: ChatMessage[] = [];
      for (const m of chat_history) chat = addChat(chat, m);
      return {
        ...state,
        phase: 'joined',
        selfId: self.id,
        participants: [self, ...others],
        room,
        chat,
      };
    }
    case 'room.waiting':
      return { ...state, phase: 'waiting' };
    case 'room.admitted':
      return { ...state, phase: 'connecting' };
    case 'room.denied':
      return { ...state, phase: 'closed', closedReason: 'denied' };
    case 'room.removed':
      return { ...state, phase: 'closed', closedReason: leaveReason(event.payload.reason) };
    case 'room.ended':
      return { ...state, phase: 'closed', closedReason: leaveReason(event.payload.reason) };
    case 'room.state':
      return { ...state, room: event.payload };
    case 'participant.joined':
    case 'participant.updated':
      // Updates about people we have not seen join are still worth showing.
      return { ...state, participants: upsert(state.participants, event.payload) };
    case 'participant.left': {
      const id = event.payload.id;
      return {
        ...state,
        participants: state.participants.filter((p) => p.id !== id),
        activeSpeaker: state.activeSpeaker === id ? null : state.activeSpeaker,
      };
    }
    case 'chat.message':
      return { ...state, chat: addChat(state.chat, event.payload) };
    case 'reaction': {
      const seq = (state.reactions.at(-1)?.seq ?? 0) + 1;
      const { participant_id: participantId, emoji } = event.payload;
      // A newer server may know more reactions than this client can name.
      if (!isReaction(emoji)) return state;
      return { ...state, reactions: [...state.reactions, { seq, participantId, emoji }].slice(-MAX_REACTIONS) };
    }
    case 'poll.state':
      return { ...state, poll: mergePoll(state.poll, event.payload) };
    case 'vote.opened':
    case 'vote.token':
    case 'vote.ballot_accepted':
    case 'vote.participation':
    case 'vote.closed':
    case 'vote.cancelled':
      return { ...state, vote: reduceVote(state.vote, event) };
    case 'media.active_speaker':
      return { ...state, activeSpeaker: event.payload.participant_id };
    case 'local.locked_out':
      return { ...state, phase: 'closed', closedReason: 'locked' };
    case 'local.leaving':
      return { ...state, phase: 'closed', closedReason: 'left' };
    case 'local.closed':
      return { ...state, phase: 'closed', closedReason: closeReason(event.code, state.selfId !== null) };
    default:
      return state;
  }
}

/** The participant record of this client, once joined. */
export function selfOf(state: RoomView): Participant | null {
  return state.participants.find((p) => p.id === state.selfId) ?? null;
}

export function participantById(state: RoomView, id: ParticipantId): Participant | null {
  return state.participants.find((p) => p.id === id) ?? null;
}

/**
 * Raised hands in the order they were raised (the room's raise number); hands without a
 * number (an older server) come last, in list order.
 */
export function handQueue(state: RoomView): Participant[] {
  const order = (p: Participant) => p.hand_raised_seq ?? Number.MAX_SAFE_INTEGER;
  // Array.prototype.sort is stable, so equal keys keep the participant order.
  return state.participants.filter((p) => p.hand_raised).sort((a, b) => order(a) - order(b));
}

/** 1-based place of a participant in the hand queue, or null if their hand is down. */
export function handPosition(state: RoomView, id: ParticipantId): number | null {
  const index = handQueue(state).findIndex((p) => p.id === id);
  return index < 0 ? null : index + 1;
}
