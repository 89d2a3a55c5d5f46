/**
 * One live meeting for this client: the signaling connection, the room state, the media
 * session and the user's actions, behind a small observable store the UI renders from.
 *
 * Flow (docs/signaling.md "Connection lifecycle"): obtain a meeting token → open the
 * socket → `session.auth` → `room.join` → either `room.join_success` (start media) or
 * `room.waiting` (nothing is captured or sent until `room.admitted` + `join_success`).
 * The meeting token is renewed before it expires and handed over with `session.refresh`.
 */

import { audioConstraints, DEFAULT_CHOICE, saveChoice, videoConstraints, type MediaChoice } from './devices';
import type { MessageKey } from './i18n';
import { sameView, viewTiles, type MeasuredTile } from './layout';
import { MediaSession, type RemoteTrack } from './media';
import { eventNotices } from './notifications';
import type {
  ClientMessages,
  ClientMessageType,
  MeetingTokenResponse,
  ParticipantId,
  Reaction,
  ServerMessage,
  ViewedTile,
} from './protocol';
import { initialRoom, reduceRoom, selfOf, type RoomEvent, type RoomView } from './roomState';
import { SignalingClient, SignalingError, signalingUrl, type SocketFactory } from './signaling';
import { refreshDelayMs } from './tokens';
import {
  backoffDelay,
  RECONNECT_GIVE_UP_MS,
  RECONNECT_OPEN_TIMEOUT_MS,
  shouldReconnect,
} from './reconnect';

export type PollRequestType =
  | 'poll.create'
  | 'poll.answer'
  | 'poll.close'
  | 'poll.share'
  | 'vote.open'
  | 'vote.ballot'
  | 'vote.close'
  | 'vote.cancel';

/** The notice for each poll and vote refusal the user can run into. */
const POLL_ERRORS = {
  poll_unknown: 'poll.error.unknown',
  poll_unknown_option: 'poll.error.unknownOption',
  poll_closed: 'poll.error.closed',
  poll_already_open: 'poll.error.alreadyOpen',
  vote_unknown: 'vote.error.unknown',
  vote_unknown_option: 'vote.error.unknownOption',
  vote_not_eligible: 'vote.error.notEligible',
  vote_already_voted: 'vote.error.alreadyVoted',
  vote_closed: 'vote.error.closed',
  vote_already_open: 'vote.error.alreadyOpen',
  vote_not_recorded: 'vote.error.notRecorded',
} as const satisfies Record<string, MessageKey>;

/** Where meeting tokens come from: `join-token` for users, `guest-token` for guests. */
export interface MeetingTokenSource {
  initial(): Promise<MeetingTokenResponse>;
  /** A fresh token for the same meeting and subject. */
  refresh(current: string): Promise<MeetingTokenResponse>;
}

export interface LocalState {
  mic: boolean;
  camera: boolean;
  screen: boolean;
  hasMic: boolean;
  hasCamera: boolean;
}

/** The devices in use (or to use once turned on); ids as in `MediaDeviceInfo.deviceId`. */
export interface DeviceSelection {
  cameraId: string | null;
  micId: string | null;
  speakerId: string | null;
}

export type DeviceKind = 'camera' | 'mic' | 'speaker';

export interface Notice {
  id: number;
  key: MessageKey;
  params?: Record<string, string | number>;
}

export interface MeetingSnapshot {
  room: RoomView;
  local: LocalState;
  localStream: MediaStream | null;
  screenStream: MediaStream | null;
  /** Remote tracks by `${participantId}:${source}`. */
  remote: Map<string, RemoteTrack>;
  devices: DeviceSelection;
  /** `reconnecting` while the connection is lost and the client tries to get back in. */
  connection: 'connected' | 'reconnecting';
  notices: Notice[];
}

/** The debounce of `media.view`: resizes come in bursts (window drags, layout changes). */
export const VIEW_DEBOUNCE_MS = 200;
const NOTICE_MS = 6_000;

export class MeetingController {
  private signaling: SignalingClient | null = null;
  private media: MediaSession;
  /** While reconnecting: the participant id to resume, and when the connection was lost. */
  private lost: { resume: ParticipantId | null; at: number; attempt: number } | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** The socket of the lost connection, until the new one has taken its place. */
  private staleSignaling: SignalingClient | null = null;
  /** Camera and microphone kept over a reconnection, for the next media session. */
  private keptStream: MediaStream | null = null;
  private readonly onOffline = () => this.connectionLost();
  private readonly onOnline = () => this.retryNow();
  private snapshot: MeetingSnapshot;
  private readonly listeners = new Set<() => void>();
  private token: MeetingTokenResponse | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private viewTimer: ReturnType<typeof setTimeout> | null = null;
  private pendingView: ViewedTile[] = [];
  private sentView: ViewedTile[] | null = null;
  private mediaStarted = false;
  private nextNoticeId = 1;
  private chatVisible = false;
  private disposed = false;

  constructor(
    private readonly tokens: MeetingTokenSource,
    private readonly displayName: string | undefined,
    /** The lobby's choice: which devices to capture, and whether camera/mic start on. */
    readonly choice: MediaChoice = DEFAULT_CHOICE,
    private readonly socketFactory: SocketFactory = (url) => new WebSocket(url),
  ) {
    this.media = this.createMedia();
    this.snapshot = {
      room: initialRoom,
      local: { mic: false, camera: false, screen: false, hasMic: false, hasCamera: false },
      localStream: null,
      screenStream: null,
      remote: new Map(),
      devices: { cameraId: choice.cameraId, micId: choice.micId, speakerId: choice.speakerId },
      connection: 'connected',
      notices: [],
    };
  }

  private createMedia(): MediaSession {
    const media = new MediaSession({
      publishOffer: async (sdp, tracks) => {
        const answer = await this.requireSignaling().request('media.publish_offer', { sdp, tracks });
        if (answer?.type !== 'media.publish_answer') throw new Error('unexpected answer to publish offer');
        return answer.payload.sdp;
      },
      subscribeAnswer: (sdp) => this.notify('media.subscribe_answer', { sdp }),
    });
    media.onChange = () => this.refreshMedia();
    media.onScreenEnded = () => void this.setScreen(false);
    media.onError = (e) => this.notice('error.generic', { code: describe(e) });
    media.onConnectionLost = () => this.connectionLost();
    return media;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getSnapshot(): MeetingSnapshot {
    return this.snapshot;
  }

  /** Connects, authenticates and asks to join. Failures end in a closed room state. */
  async start(): Promise<void> {
    try {
      this.token = await this.tokens.initial();
      window.addEventListener('offline', this.onOffline);
      window.addEventListener('online', this.onOnline);
      const client = this.connect();
      await client.opened;
      await client.request('session.auth', { token: this.token.access_token });
      this.scheduleRefresh(this.token.expires_at);
      await client.request('room.join', this.displayName ? { display_name: this.displayName } : {});
    } catch (e) {
      if (e instanceof SignalingError && e.code === 'meeting_locked') {
        this.apply({ type: 'local.locked_out' });
      } else if (this.snapshot.room.phase !== 'closed') {
        this.apply({ type: 'local.closed', code: e instanceof SignalingError && e.code === 'forbidden' ? 4403 : 1006 });
      }
      this.teardown();
    }
  }

  // ------------------------------------------------------------------ user actions

  async setMic(on: boolean): Promise<void> {
    if (!this.media.hasMic) {
      if (!on || !(await this.addDevice('audio'))) return;
    }
    this.media.setMicEnabled(on);
    this.setLocal({ mic: on });
    try {
      await this.sendMediaState();
    } catch (e) {
      if (e instanceof SignalingError && e.code === 'muted_by_moderator') {
        this.media.setMicEnabled(false);
        this.setLocal({ mic: false });
        this.notice('meeting.mutedByModerator');
      }
    }
  }

  async setCamera(on: boolean): Promise<void> {
    if (!this.media.hasCamera) {
      if (!on || !(await this.addDevice('video'))) return;
    }
    this.media.setCameraEnabled(on);
    this.setLocal({ camera: on });
    await this.sendMediaState().catch(() => {});
  }

  async setScreen(on: boolean): Promise<void> {
    try {
      if (on) await this.media.startScreenShare();
      else await this.media.stopScreenShare();
      this.setLocal({ screen: this.media.screenStream !== null });
    } catch (e) {
      this.setLocal({ screen: this.media.screenStream !== null });
      // Cancelling the browser's picker is a choice, not an error worth a notice.
      if (!(e instanceof DOMException && e.name === 'NotAllowedError')) {
        this.notice('controls.shareFailed', { detail: describe(e) });
      }
    }
    await this.sendMediaState().catch(() => {});
  }

  /**
   * Switches to another camera, microphone or speaker during the meeting. A published
   * camera or microphone is replaced on its sender (no renegotiation, the others keep
   * receiving); one not captured yet is used once turned on; the speaker applies to every
   * remote audio element. The choice is remembered for the next meeting.
   */
  async switchDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    const field = kind === 'camera' ? 'cameraId' : kind === 'mic' ? 'micId' : 'speakerId';
    if (this.snapshot.devices[field] === deviceId) return;
    try {
      if (kind === 'camera') await this.media.switchLocalTrack('video', videoConstraints(deviceId));
      if (kind === 'mic') await this.media.switchLocalTrack('audio', audioConstraints(deviceId));
    } catch (e) {
      this.notice('devices.switchFailed', { detail: describe(e) });
      return;
    }
    const devices = { ...this.snapshot.devices, [field]: deviceId };
    this.update({ devices });
    saveChoice({ ...this.choice, ...devices });
  }

  setHand(raised: boolean): void {
    this.notify(raised ? 'hand.raise' : 'hand.lower', {});
  }

  react(emoji: Reaction): void {
    const client = this.signaling;
    if (!client?.isOpen) return;
    client.request('reaction.send', { emoji }, false).catch((e: unknown) => {
      if (e instanceof SignalingError && e.code === 'rate_limited') this.notice('reaction.rateLimited');
      else this.reportError(e);
    });
  }

  async sendChat(text: string, to: ParticipantId | null): Promise<boolean> {
    const trimmed = text.trim();
    if (!trimmed || !this.signaling) return false;
    try {
      await this.signaling.request('chat.send', to ? { text: trimmed, to } : { text: trimmed });
      return true;
    } catch (e) {
      this.reportError(e);
      return false;
    }
  }

  /**
   * A poll or vote request; true once the server accepted it (its answer is the new
   * `poll.state`, `vote.opened`, `vote.ballot_accepted`, …). A refusal becomes a notice.
   */
  async pollRequest<K extends PollRequestType>(type: K, payload: ClientMessages[K]): Promise<boolean> {
    try {
      await this.requireSignaling().request(type, payload);
      return true;
    } catch (e) {
      if (e instanceof SignalingError && e.code === 'rate_limited') this.notice('poll.error.rateLimited');
      else this.reportError(e);
      return false;
    }
  }

  /**
   * A vote document from the REST API (`/votes/{vote}/protocol`, `…/receipt?seq=N`) with this
   * meeting's token, as text; `null` (and a notice) when it cannot be had.
   */
  async voteDocument(path: string): Promise<Blob | null> {
    const token = this.token?.access_token;
    if (!token) return null;
    try {
      const response = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
      if (response.ok) return await response.blob();
      this.notice('vote.error.download', { code: response.status });
    } catch {
      this.notice('error.network');
    }
    return null;
  }

  moderate(
    type:
      | 'moderation.mute'
      | 'moderation.remove'
      | 'moderation.ban'
      | 'moderation.grant_moderator'
      | 'moderation.revoke_moderator'
      | 'moderation.lower_hand'
      | 'moderation.admit'
      | 'moderation.deny',
    participantId: ParticipantId,
  ): void {
    this.notify(type, { participant_id: participantId });
  }

  muteAll(): void {
    this.notify('moderation.mute_all', {});
  }

  lowerAllHands(): void {
    this.notify('moderation.lower_all_hands', {});
  }

  endForAll(): void {
    this.notify('moderation.end', {});
  }

  setLocked(locked: boolean): void {
    this.notify('moderation.set_locked', { locked });
  }

  setWaitingRoom(enabled: boolean): void {
    this.notify('moderation.set_waiting_room', { enabled });
  }

  leave(): void {
    if (this.snapshot.room.phase === 'closed') return;
    try {
      this.signaling?.send('room.leave', {});
    } catch {
      // Already disconnected: leaving locally is all that is left to do.
    }
    this.apply({ type: 'local.leaving' });
    this.teardown();
  }

  /** The UI reports the measured video tiles; `media.view` follows, debounced. */
  updateView(measured: readonly MeasuredTile[]): void {
    const view = viewTiles(measured, window.devicePixelRatio || 1);
    // The UI reports after every render; only a changed view may (re)start the debounce,
    // or frequent unrelated renders would keep postponing it.
    if (this.viewTimer && sameView(view, this.pendingView)) return;
    this.pendingView = view;
    if (this.viewTimer) clearTimeout(this.viewTimer);
    this.viewTimer = null;
    if (this.sentView && sameView(view, this.sentView)) return;
    this.viewTimer = setTimeout(() => this.flushView(), VIEW_DEBOUNCE_MS);
  }

  /** Receive statistics of a remote track, for the connection-quality indicators. */
  trackStats(track: MediaStreamTrack): Promise<RTCStatsReport | null> {
    return this.media.statsOf(track);
  }

  /** The UI says whether the chat is on screen (then chat messages need no notice). */
  setChatVisible(visible: boolean): void {
    this.chatVisible = visible;
  }

  dismissNotice(id: number): void {
    this.update({ notices: this.snapshot.notices.filter((n) => n.id !== id) });
  }

  /** Ends everything without telling the server (the page is going away). */
  dispose(): void {
    if (this.disposed) return;
    if (this.snapshot.room.phase !== 'closed') this.leave();
    this.disposed = true;
    this.teardown();
    this.listeners.clear();
  }

  // ------------------------------------------------------------------ internals

  private handle(message: ServerMessage): void {
    const before = this.snapshot.room;
    this.apply(message);
    for (const n of eventNotices(before, this.snapshot.room, message)) {
      // An open chat shows (and its log announces) new messages itself.
      if (n.key.startsWith('notify.chat') && this.chatVisible) continue;
      this.notice(n.key, n.params);
    }
    switch (message.type) {
      case 'room.join_success':
        void this.startMedia();
        this.flushView();
        break;
      case 'media.subscribe_offer':
        void this.media.handleSubscribeOffer(message.payload.sdp, message.payload.tracks);
        break;
      case 'participant.updated':
        if (message.payload.id === before.selfId && message.payload.muted_by_moderator && this.snapshot.local.mic) {
          // A moderator muted us: stop capturing sound locally too, and say so.
          this.media.setMicEnabled(false);
          this.setLocal({ mic: false });
          this.notice('meeting.mutedByModerator');
        }
        break;
      case 'error':
        this.reportError(new SignalingError(message.payload.code, message.payload.message));
        break;
      default:
        break;
    }
    if (this.snapshot.room.phase === 'closed') this.teardown();
  }

  private connect(): SignalingClient {
    const client = new SignalingClient(signalingUrl(location), this.socketFactory);
    this.signaling = client;
    client.onMessage = (m) => this.handle(m);
    client.onClose = (code) => this.handleClose(code);
    return client;
  }

  private handleClose(code: number): void {
    // While reconnecting, a failed attempt is handled where it was made.
    if (this.lost) return;
    const { phase } = this.snapshot.room;
    if ((phase === 'joined' || phase === 'waiting') && shouldReconnect(code)) {
      this.connectionLost();
      return;
    }
    this.apply({ type: 'local.closed', code });
    this.teardown();
  }

  // ------------------------------------------------------------------ reconnection

  /**
   * The network dropped (socket closed abnormally, ICE failed, or the browser went
   * offline): keep the meeting on screen with a banner, drop the dead socket and peer
   * connections (keeping the camera and microphone), and start trying to get back in.
   */
  private connectionLost(): void {
    const { phase, selfId } = this.snapshot.room;
    if (this.lost || this.disposed || (phase !== 'joined' && phase !== 'waiting')) return;
    this.lost = { resume: phase === 'joined' ? selfId : null, at: Date.now(), attempt: 0 };
    this.dropConnection();
    this.update({ connection: 'reconnecting' });
    this.scheduleReconnect();
  }

  /**
   * Forgets the socket and the media connections; camera and microphone stay captured. A
   * socket that still looks open is left open until the new connection is in: closing it
   * first would make the server drop this participant before the new connection can take
   * its place (and send it back to the waiting room).
   */
  private dropConnection(): void {
    const old = this.signaling;
    if (old) {
      old.onClose = () => {};
      old.onMessage = () => {};
      this.staleSignaling?.close();
      this.staleSignaling = old;
    }
    this.signaling = null;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.viewTimer) clearTimeout(this.viewTimer);
    this.refreshTimer = null;
    this.viewTimer = null;
    this.keptStream = this.media.localStream ?? this.keptStream;
    this.media.close(true);
    this.media = this.createMedia();
    this.mediaStarted = false;
    this.sentView = null;
    this.setLocal({ screen: false });
    this.refreshMedia();
  }

  private scheduleReconnect(): void {
    const lost = this.lost;
    if (!lost) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.reconnect(), backoffDelay(lost.attempt));
  }

  /** The browser is back online: try at once instead of waiting out the backoff. */
  private retryNow(): void {
    if (!this.lost || this.signaling) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    void this.reconnect();
  }

  /** One attempt: new socket, fresh token, `room.join` resuming the old participant. */
  private async reconnect(): Promise<void> {
    const lost = this.lost;
    if (!lost || this.disposed || this.signaling) return;
    this.reconnectTimer = null;
    const client = this.connect();
    try {
      await withTimeout(client.opened, RECONNECT_OPEN_TIMEOUT_MS);
      this.token = await this.freshToken();
      await client.request('session.auth', { token: this.token.access_token });
      this.scheduleRefresh(this.token.expires_at);
      const join: ClientMessages['room.join'] = this.displayName ? { display_name: this.displayName } : {};
      if (lost.resume) join.resume = lost.resume;
      // The answer (join_success or waiting) went through `handle` already.
      await client.request('room.join', join);
      // The server has replaced the old connection (or dropped it long ago).
      this.staleSignaling?.close();
      this.staleSignaling = null;
      this.lost = null;
      this.update({ connection: 'connected' });
    } catch (e) {
      client.onClose = () => {};
      client.onMessage = () => {};
      client.close();
      if (this.signaling === client) this.signaling = null;
      const refused = e instanceof SignalingError && !['closed', 'timeout'].includes(e.code);
      if (refused || Date.now() - lost.at > RECONNECT_GIVE_UP_MS) {
        this.lost = null;
        this.update({ connection: 'connected' });
        this.apply({ type: 'local.closed', code: refused && e.code === 'forbidden' ? 4403 : 1006 });
        this.teardown();
        return;
      }
      lost.attempt += 1;
      this.scheduleReconnect();
    }
  }

  /** A token for the new connection: renewed if possible, else the current one while valid. */
  private async freshToken(): Promise<MeetingTokenResponse> {
    const current = this.token;
    if (!current) return this.tokens.initial();
    try {
      return await this.tokens.refresh(current.access_token);
    } catch (e) {
      if (Date.parse(current.expires_at) - Date.now() > 5_000) return current;
      throw e;
    }
  }

  private async startMedia(): Promise<void> {
    if (this.mediaStarted) return;
    this.mediaStarted = true;
    this.media.open();
    const kept = this.keptStream;
    this.keptStream = null;
    if (kept) {
      // Back after a reconnection: publish the same camera and microphone, as they were.
      this.media.useLocalStream(kept);
      const muted = selfOf(this.snapshot.room)?.muted_by_moderator ?? false;
      const mic = this.snapshot.local.mic && !muted;
      this.media.setMicEnabled(mic);
      this.media.setCameraEnabled(this.snapshot.local.camera);
      this.setLocal({ mic });
      await this.sendMediaState().catch(() => {});
      await this.media.publish().catch((e: unknown) => this.notice('error.generic', { code: describe(e) }));
      return;
    }
    const { choice } = this;
    let result = await this.media.acquire(
      choice.mic && audioConstraints(choice.micId),
      choice.camera && videoConstraints(choice.cameraId),
    );
    if (!result.mic && !result.camera && (choice.micId || choice.cameraId)) {
      // The chosen device went away between lobby and admission: any device beats none.
      result = await this.media.acquire(choice.mic && audioConstraints(null), choice.camera && videoConstraints(null));
    }
    if (this.snapshot.room.phase === 'closed') return;
    if (result.error && !result.mic && !result.camera) {
      this.notice('meeting.mediaError', { detail: describe(result.error) });
    }
    const self = selfOf(this.snapshot.room);
    const mic = result.mic && !(self?.muted_by_moderator ?? false);
    this.media.setMicEnabled(mic);
    this.noteDevicesInUse();
    // A device the user chose to start with off can still be turned on later.
    this.setLocal({
      mic,
      camera: result.camera,
      hasMic: result.mic || !choice.mic,
      hasCamera: result.camera || !choice.camera,
    });
    await this.sendMediaState().catch(() => {});
    try {
      await this.media.publish();
    } catch (e) {
      this.notice('error.generic', { code: describe(e) });
    }
  }

  /** Captures and publishes a device that started off; false (with a notice) if that fails. */
  private async addDevice(kind: 'audio' | 'video'): Promise<boolean> {
    try {
      const { micId, cameraId } = this.snapshot.devices;
      await this.media.addLocalTrack(kind, kind === 'audio' ? audioConstraints(micId) : videoConstraints(cameraId));
      this.noteDevicesInUse();
      return kind === 'audio' ? this.media.hasMic : this.media.hasCamera;
    } catch (e) {
      this.notice('meeting.mediaError', { detail: describe(e) });
      return false;
    }
  }

  /** Records which devices the browser actually opened (the default, or a fallback). */
  private noteDevicesInUse(): void {
    const { devices } = this.snapshot;
    this.update({
      devices: {
        ...devices,
        cameraId: this.media.deviceInUse('video') ?? devices.cameraId,
        micId: this.media.deviceInUse('audio') ?? devices.micId,
      },
    });
  }

  private sendMediaState(): Promise<unknown> {
    const { mic, camera, screen } = this.snapshot.local;
    if (!this.signaling?.isOpen || this.snapshot.room.phase !== 'joined') return Promise.resolve();
    return this.signaling.request('media.state', { mic, camera, screen }, false);
  }

  private flushView(): void {
    if (this.viewTimer) clearTimeout(this.viewTimer);
    this.viewTimer = null;
    if (this.snapshot.room.phase !== 'joined' || !this.signaling?.isOpen) return;
    if (this.sentView && sameView(this.sentView, this.pendingView)) return;
    this.sentView = this.pendingView;
    this.notify('media.view', { tiles: this.pendingView });
  }

  private scheduleRefresh(expiresAt: string): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const delay = refreshDelayMs(Date.now(), Date.parse(expiresAt));
    this.refreshTimer = setTimeout(() => void this.refreshToken(), delay);
  }

  private async refreshToken(): Promise<void> {
    const client = this.signaling;
    const current = this.token;
    if (!client?.isOpen || !current || this.snapshot.room.phase === 'closed') return;
    try {
      const next = await this.tokens.refresh(current.access_token);
      const answer = await client.request('session.refresh', { token: next.access_token });
      this.token = next;
      const expires = answer?.type === 'session.refreshed' ? answer.payload.expires_at : next.expires_at;
      this.scheduleRefresh(expires);
    } catch {
      // Try again soon; the server closes with 4401 if the token really runs out.
      if (Date.parse(current.expires_at) > Date.now()) {
        this.refreshTimer = setTimeout(() => void this.refreshToken(), 5_000);
      }
    }
  }

  /** Sends a message whose effect arrives as events; only errors are reported. */
  private notify<K extends ClientMessageType>(type: K, payload: ClientMessages[K]): void {
    const client = this.signaling;
    if (!client?.isOpen) return;
    client.request(type, payload, false).catch((e: unknown) => this.reportError(e));
  }

  private requireSignaling(): SignalingClient {
    if (!this.signaling) throw new SignalingError('closed', 'not connected');
    return this.signaling;
  }

  private reportError(e: unknown): void {
    if (!(e instanceof SignalingError) || e.code === 'closed' || e.code === 'timeout') return;
    if (e.code === 'forbidden') this.notice('error.forbidden');
    else if (e.code === 'rate_limited') this.notice('chat.rateLimited');
    else if (e.code === 'muted_by_moderator') this.notice('meeting.mutedByModerator');
    else if (e.code in POLL_ERRORS) this.notice(POLL_ERRORS[e.code as keyof typeof POLL_ERRORS]);
    else this.notice('error.generic', { code: e.code });
  }

  private notice(key: MessageKey, params?: Record<string, string | number>): void {
    const id = this.nextNoticeId++;
    this.update({ notices: [...this.snapshot.notices, params ? { id, key, params } : { id, key }].slice(-4) });
    setTimeout(() => this.dismissNotice(id), NOTICE_MS);
  }

  private apply(event: RoomEvent): void {
    const room = reduceRoom(this.snapshot.room, event);
    if (room !== this.snapshot.room) this.update({ room });
  }

  private setLocal(patch: Partial<LocalState>): void {
    this.update({ local: { ...this.snapshot.local, ...patch } });
  }

  private refreshMedia(): void {
    this.update({
      localStream: this.media.localStream,
      screenStream: this.media.screenStream,
      remote: this.media.remoteTracks(),
    });
  }

  private update(patch: Partial<MeetingSnapshot>): void {
    if (this.disposed) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }

  private teardown(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.viewTimer) clearTimeout(this.viewTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.refreshTimer = null;
    this.viewTimer = null;
    this.reconnectTimer = null;
    this.lost = null;
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    for (const t of this.keptStream?.getTracks() ?? []) t.stop();
    this.keptStream = null;
    this.media.close();
    this.signaling?.close();
    this.staleSignaling?.close();
    this.staleSignaling = null;
  }
}

/** Rejects with a `timeout` SignalingError when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new SignalingError('timeout', 'no connection')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function describe(e: unknown): string {
  if (e instanceof SignalingError) return e.code;
  if (e instanceof DOMException) return e.name;
  if (e instanceof Error) return e.message;
  return String(e);
}
