/**
 * Wire types of the REST API and the WebSocket signaling protocol.
 *
 * This file mirrors `crates/protocol/src/{rest,signaling,bridge}.rs` and docs/signaling.md;
 * change them together. Identifiers are UUID strings on the wire; the branded aliases keep a
 * participant id from being passed where a meeting id is meant.
 */

export type MeetingId = string & { readonly __brand?: 'MeetingId' };
export type ParticipantId = string & { readonly __brand?: 'ParticipantId' };
export type UserId = string & { readonly __brand?: 'UserId' };

// ---------------------------------------------------------------- limits

/** Largest text frame the server accepts. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_TXN_CHARS = 64;
export const MAX_CHAT_CHARS = 4000;
export const MAX_DISPLAY_NAME_CHARS = 64;
export const MAX_TITLE_CHARS = 200;
export const MAX_PASSWORD_CHARS = 128;
export const MAX_DESCRIPTION_CHARS = 2000;

/** WebSocket close codes. */
export const CloseCode = {
  Normal: 1000,
  ProtocolViolation: 4400,
  TokenInvalid: 4401,
  Forbidden: 4403,
  MeetingGone: 4404,
  AuthTimeout: 4408,
  /** This participant came back on a newer connection (`room.join` with `resume`). */
  Replaced: 4409,
  InternalError: 4500,
} as const;

/**
 * Whether the server will accept a display name: 1–64 characters after trimming and no
 * control characters. Checked before asking, for a clear message at the form.
 */
export function validDisplayName(name: string): boolean {
  const trimmed = name.trim();
  return trimmed.length >= 1 && [...trimmed].length <= MAX_DISPLAY_NAME_CHARS && !/[\u0000-\u001f\u007f-\u009f]/.test(trimmed);
}

// ---------------------------------------------------------------- REST (rest.rs)

export interface LoginRequest {
  username: string;
  password: string;
}

export interface User {
  id: UserId;
  username: string;
  display_name: string;
  /** The account's one role (docs/permissions.md). */
  role: AccountRole;
  tenant_id: string;
}

/** Mirrors `AccountRole` in crates/protocol/src/roles.rs. */
export type AccountRole = "instance_admin" | "tenant_admin" | "auditor" | "user" | "none";

// ---------------------------------------------------------------- administration (admin.rs)

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export interface CreateTenant {
  /** `[a-z0-9-]{1,32}`. */
  id: string;
  name: string;
}

export interface UpdateTenant {
  name: string;
}

export interface CreateUser {
  username: string;
  display_name: string;
  password: string;
  role: AccountRole;
}

export interface UpdateUser {
  display_name?: string;
  role?: AccountRole;
}

/** Policy settings of a tenant (docs/permissions.md). */
export interface Policy {
  password_min_length: number;
  reject_breached_passwords: boolean;
  session_idle_timeout_secs: number;
  session_absolute_timeout_secs: number;
  identity_sources: ("password" | "ldap" | "oidc")[];
  meeting_creators: AccountRole[];
  guests_allowed: boolean;
}

export interface ApiClient {
  client_id: string;
  name: string;
  tenant_id: string;
  scopes: string[];
  created_by: UserId;
  created_at: string;
  revoked_at?: string;
}

export interface CreateApiClient {
  name: string;
  scopes: string[];
}

/** The only answer that shows the client secret. */
export interface CreatedApiClient {
  client: ApiClient;
  client_secret: string;
}

export interface OAuthToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

export interface SessionResponse {
  access_token: string;
  expires_at: string;
  user: User;
}

/** `GET /auth/providers` (docs/identity.md). */
export interface AuthProviders {
  oidc: OidcProviderInfo[];
  ldap: boolean;
}

export interface OidcProviderInfo {
  id: string;
  display_name: string;
}

/** `POST /auth/logout` of an OIDC session (others answer 204). */
export interface LogoutResponse {
  end_session_url: string;
}

export interface CreateMeeting {
  title: string;
  description?: string;
  password?: string | null;
  waiting_room?: boolean;
  /** The scheduled start, RFC 3339; absent or null: not scheduled. */
  starts_at?: string | null;
}

export interface UpdateMeeting {
  title?: string;
  /** `''` clears the description, absent keeps it. */
  description?: string;
  /** `null` clears the password, absent keeps it. */
  password?: string | null;
  waiting_room?: boolean;
  /** RFC 3339; `null` unschedules, absent keeps it. */
  starts_at?: string | null;
}

export interface Meeting {
  id: MeetingId;
  title: string;
  /** Empty when there is none. */
  description: string;
  has_password: boolean;
  waiting_room: boolean;
  owner_id: UserId;
  created_at: string;
  /** The scheduled start (RFC 3339, UTC), if any. */
  starts_at?: string | null;
  invite_url?: string | null;
}

export interface CreateInvite {
  expires_at?: string | null;
}

export interface Invite {
  code: string;
  meeting_id: MeetingId;
  url: string;
  expires_at?: string | null;
  created_at: string;
}

export interface InviteInfo {
  meeting_id: MeetingId;
  title: string;
  password_required: boolean;
}

export interface GuestTokenRequest {
  display_name: string;
  password?: string | null;
}

export interface JoinTokenRequest {
  invite_code?: string | null;
  password?: string | null;
}

export interface MeetingTokenResponse {
  access_token: string;
  expires_at: string;
  meeting_id: MeetingId;
}

export interface ClientConfig {
  product_name: string;
  version: string;
  /** Where the operator's logo is served (`/branding/logo`); absent without one. */
  logo_url?: string;
  login_text?: LocalizedText;
}

/** A text in both languages of the client. */
export interface LocalizedText {
  de: string;
  en: string;
}

/** RFC 9457 problem details with a stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

// ---------------------------------------------------------------- bridge.rs (shared parts)

export type TrackSource = 'microphone' | 'camera' | 'screen';

export interface PublishedTrack {
  mid: string;
  source: TrackSource;
}

export interface SubscribedTrack {
  mid: string;
  participant_id: ParticipantId;
  source: TrackSource;
}

/** A video tile the client shows, with its size in device pixels. */
export interface ViewedTile {
  participant_id: ParticipantId;
  source: TrackSource;
  width: number;
  height: number;
}

// ---------------------------------------------------------------- signaling.rs

export type Role = 'owner' | 'moderator' | 'participant' | 'guest';

export function isModerator(role: Role): boolean {
  return role === 'owner' || role === 'moderator';
}

export interface MediaState {
  mic: boolean;
  camera: boolean;
  screen: boolean;
}

export interface Participant {
  id: ParticipantId;
  display_name: string;
  role: Role;
  hand_raised: boolean;
  /**
   * While the hand is raised, the room's count of raises when it went up: the hand queue's
   * order. Null while down; absent from older servers.
   */
  hand_raised_seq?: number | null;
  media: MediaState;
  muted_by_moderator: boolean;
}

export interface WaitingParticipant {
  id: ParticipantId;
  display_name: string;
}

export interface RoomState {
  meeting_id: MeetingId;
  title: string;
  waiting_room: boolean;
  /** Locked by a moderator: newcomers wait or are refused (`meeting_locked`). */
  locked: boolean;
  /** Only filled in for moderators. */
  waiting: WaitingParticipant[];
}

export interface ChatSender {
  id: ParticipantId;
  display_name: string;
}

export interface ChatMessage {
  id: number;
  from: ChatSender;
  to?: ParticipantId | null;
  text: string;
  /** RFC 3339 UTC. */
  sent_at: string;
}

/** The reactions the server accepts (`reaction.send`), in the order the client offers them. */
export const REACTIONS = ['👍', '👏', '❤️', '😂', '😮', '🎉', '🤔', '👎'] as const;
export type Reaction = (typeof REACTIONS)[number];

export function isReaction(value: unknown): value is Reaction {
  return typeof value === 'string' && (REACTIONS as readonly string[]).includes(value);
}

/** Poll limits (crates/protocol/src/signaling.rs). */
export const MAX_POLL_QUESTION_CHARS = 300;
export const MAX_POLL_OPTION_CHARS = 100;
export const MIN_POLL_OPTIONS = 2;
export const MAX_POLL_OPTIONS = 10;
export const MIN_POLL_DURATION_SECS = 10;
export const MAX_POLL_DURATION_SECS = 24 * 60 * 60;

/** When participants who are not moderators see a poll's counts. */
export type PollResults = 'live' | 'at_close';

/** `poll.create`. */
export interface NewPoll {
  question: string;
  options: string[];
  multiple?: boolean;
  anonymous?: boolean;
  results?: PollResults;
  duration_secs?: number;
}

export interface PollAnswer {
  display_name: string;
  choices: number[];
}

/** `poll.state`: the current poll as this participant may see it. */
export interface Poll {
  id: number;
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  results: PollResults;
  open: boolean;
  shared: boolean;
  /** RFC 3339 UTC, when it closes by itself. */
  closes_at: string | null;
  answer_count: number;
  /** `null` while hidden from this participant. */
  counts: number[] | null;
  /** Who chose what (named polls, moderators or once shared); else `null`. */
  answers: PollAnswer[] | null;
  /** Own choices; `null` once an anonymous poll is closed (the server forgot them). */
  my_choices: number[] | null;
}

/** Formal votes (crates/protocol/src/vote.rs, docs/signaling.md "Votes"). */
export type VoteId = string & { readonly __brand?: 'VoteId' };
export type VoteMode = 'roll_call' | 'pseudonymous';

/** `vote.open`. Without `options` the vote is yes / no (and abstain unless disabled). */
export interface VoteOpen {
  subject: string;
  options?: string[];
  allow_abstain?: boolean;
  mode: VoteMode;
  duration_s?: number;
  include_guests?: boolean;
}

/** One option of a vote: `id` is what a ballot names, `label` what people read. */
export interface VoteChoice {
  id: string;
  label: string;
}

export interface VoteOpened {
  vote_id: VoteId;
  subject: string;
  options: VoteChoice[];
  mode: VoteMode;
  /** Display names of the eligible voters. */
  eligible: string[];
  /** The receiver is an eligible voter. */
  can_vote: boolean;
  opened_at: string;
  deadline: string | null;
}

export interface VoteBallotAccepted {
  vote_id: VoteId;
  option: string;
  /** The ballot's audit entry, for the receipt. */
  seq: number;
  token?: string;
}

export interface VoteParticipation {
  vote_id: VoteId;
  cast: number;
  eligible: number;
  /** Roll-call votes only: who has voted (never what). */
  voted?: string[];
}

export interface VoteClosed {
  vote_id: VoteId;
  subject: string;
  mode: VoteMode;
  reason: 'all_voted' | 'deadline' | 'moderator';
  tally: { option: string; count: number }[];
  ballots: { name?: string; token?: string; option: string }[];
  options: VoteChoice[];
  eligible: number;
  checkpoint: { size: number; root: string };
  closed_at: string;
}

export type LeaveReason = 'removed' | 'banned' | 'ended_by_moderator' | 'deleted' | 'internal_error';

export type ErrorCode =
  | 'bad_message'
  | 'unknown_type'
  | 'too_large'
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'invalid_sdp'
  | 'muted_by_moderator'
  | 'not_joined'
  | 'invalid_state'
  | 'invalid_token'
  | 'meeting_locked'
  | 'poll_unknown'
  | 'poll_unknown_option'
  | 'poll_closed'
  | 'poll_already_open'
  | 'vote_unknown'
  | 'vote_unknown_option'
  | 'vote_not_eligible'
  | 'vote_already_voted'
  | 'vote_closed'
  | 'vote_already_open'
  | 'vote_not_recorded';

/** Client → server messages: `type` → payload. */
export interface ClientMessages {
  'session.auth': { token: string };
  'session.refresh': { token: string };
  'room.join': { display_name?: string; resume?: ParticipantId };
  'room.leave': Record<string, never>;
  'chat.send': { text: string; to?: ParticipantId };
  'reaction.send': { emoji: Reaction };
  'poll.create': NewPoll;
  'poll.answer': { poll_id: number; choices: number[] };
  'poll.close': { poll_id: number };
  'poll.share': { poll_id: number };
  'vote.open': VoteOpen;
  'vote.ballot': { vote_id: VoteId; option: string };
  'vote.close': { vote_id: VoteId };
  'vote.cancel': { vote_id: VoteId; reason: string };
  'hand.raise': Record<string, never>;
  'hand.lower': Record<string, never>;
  'media.state': MediaState;
  'media.publish_offer': { sdp: string; tracks: PublishedTrack[] };
  'media.subscribe_answer': { sdp: string };
  'media.view': { tiles: ViewedTile[] };
  'moderation.mute': { participant_id: ParticipantId };
  'moderation.mute_all': Record<string, never>;
  'moderation.remove': { participant_id: ParticipantId };
  'moderation.ban': { participant_id: ParticipantId };
  'moderation.grant_moderator': { participant_id: ParticipantId };
  'moderation.revoke_moderator': { participant_id: ParticipantId };
  'moderation.lower_hand': { participant_id: ParticipantId };
  'moderation.lower_all_hands': Record<string, never>;
  'moderation.set_waiting_room': { enabled: boolean };
  'moderation.set_locked': { locked: boolean };
  'moderation.admit': { participant_id: ParticipantId };
  'moderation.deny': { participant_id: ParticipantId };
  'moderation.end': Record<string, never>;
}

export type ClientMessageType = keyof ClientMessages;

/** Server → client messages: `type` → payload. */
export interface ServerMessages {
  'session.authenticated': { expires_at: string; meeting_id: MeetingId };
  'session.refreshed': { expires_at: string };
  'room.join_success': {
    self: Participant;
    participants: Participant[];
    room: RoomState;
    chat_history: ChatMessage[];
    ice_lite: boolean;
  };
  'room.waiting': Record<string, never>;
  'room.admitted': Record<string, never>;
  'room.denied': Record<string, never>;
  'room.state': RoomState;
  'room.removed': { reason: LeaveReason };
  'room.ended': { reason: LeaveReason };
  'participant.joined': Participant;
  'participant.updated': Participant;
  'participant.left': { id: ParticipantId };
  'chat.message': ChatMessage;
  'chat.sent': { id: number };
  reaction: { participant_id: ParticipantId; emoji: Reaction };
  'poll.state': Poll;
  'vote.opened': VoteOpened;
  'vote.token': { vote_id: VoteId; token: string };
  'vote.ballot_accepted': VoteBallotAccepted;
  'vote.participation': VoteParticipation;
  'vote.closed': VoteClosed;
  'vote.cancelled': { vote_id: VoteId; reason: string };
  'media.publish_answer': { sdp: string };
  'media.subscribe_offer': { sdp: string; tracks: SubscribedTrack[] };
  'media.active_speaker': { participant_id: ParticipantId };
  error: { code: ErrorCode; message: string };
}

export type ServerMessageType = keyof ServerMessages;

/** A server frame, discriminated by `type`. */
export type ServerMessage = {
  [K in ServerMessageType]: { type: K; payload: ServerMessages[K]; txn?: string };
}[ServerMessageType];

const SERVER_TYPES: ReadonlySet<string> = new Set<ServerMessageType>([
  'session.authenticated',
  'session.refreshed',
  'room.join_success',
  'room.waiting',
  'room.admitted',
  'room.denied',
  'room.state',
  'room.removed',
  'room.ended',
  'participant.joined',
  'participant.updated',
  'participant.left',
  'chat.message',
  'chat.sent',
  'reaction',
  'poll.state',
  'vote.opened',
  'vote.token',
  'vote.ballot_accepted',
  'vote.participation',
  'vote.closed',
  'vote.cancelled',
  'media.publish_answer',
  'media.subscribe_offer',
  'media.active_speaker',
  'error',
]);

/**
 * Parses a server text frame. Returns `null` for anything that is not an envelope of a
 * known type: the client ignores what it does not understand rather than failing, so a
 * newer server stays compatible.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !SERVER_TYPES.has(type)) return null;
  const payload = record.payload ?? {};
  if (typeof payload !== 'object' || payload === null) return null;
  const txn = typeof record.txn === 'string' ? record.txn : undefined;
  return { type, payload, txn } as ServerMessage;
}
