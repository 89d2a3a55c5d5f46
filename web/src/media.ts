/**
 * The two RTCPeerConnections of docs/signaling.md "Media".
 *
 * - publish: this client offers sendonly transceivers (microphone; camera with simulcast
 *   rids q/h/f; screen share without simulcast) and the server answers. Starting or
 *   stopping a screen share renegotiates with a new offer.
 * - subscribe: the server offers recvonly m-lines for remote tracks and this client
 *   answers; the offer's `tracks` say which participant and source each mid carries.
 *
 * Each direction has exactly one offerer, so no glare handling is needed. The server is
 * ICE-lite and puts its host candidates into its SDP, so offers are sent right after
 * setLocalDescription, without waiting for ICE gathering. Only standard APIs are used (no
 * SDP munging), so Firefox works as well as Chromium.
 */

import type { ParticipantId, PublishedTrack, SubscribedTrack, TrackSource } from './protocol';
import { ICE_DISCONNECTED_GRACE_MS } from './reconnect';

/** Simulcast layers of the camera: the SFU picks one per viewer from the tile size. */
export const CAMERA_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};

/** How the media session talks to the server; provided by the meeting controller. */
export interface MediaSignaling {
  publishOffer(sdp: string, tracks: PublishedTrack[]): Promise<string>;
  subscribeAnswer(sdp: string): void;
}

export interface RemoteTrack {
  mid: string;
  participantId: ParticipantId;
  source: TrackSource;
  track: MediaStreamTrack;
  stream: MediaStream;
}

declare global {
  interface Window {
    /**
     * The live peer connections. The end-to-end tests read `getStats()` from the real
     * connections through this (media is proven by decoded frames, not by UI state), and
     * it helps debugging in the console. `remote()` maps subscribe mids to participants.
     */
    __plenumPeers?: {
      publish: RTCPeerConnection | null;
      subscribe: RTCPeerConnection | null;
      remote: () => Array<{ mid: string; participant_id: ParticipantId; source: TrackSource }>;
    };
  }
}

export class MediaSession {
  private publishPc: RTCPeerConnection | null = null;
  private subscribePc: RTCPeerConnection | null = null;
  private micTransceiver: RTCRtpTransceiver | null = null;
  private cameraTransceiver: RTCRtpTransceiver | null = null;
  private screenTransceiver: RTCRtpTransceiver | null = null;
  private publishChain: Promise<void> = Promise.resolve();
  private subscribeChain: Promise<void> = Promise.resolve();
  private remoteByMid = new Map<string, RemoteTrack>();
  private closed = false;

  localStream: MediaStream | null = null;
  screenStream: MediaStream | null = null;
  /** Called whenever local or remote tracks change. */
  onChange: () => void = () => {};
  /** Called when the user ends a screen share from the browser's own UI. */
  onScreenEnded: () => void = () => {};
  /** Failures that the user should hear about (device or negotiation errors). */
  onError: (error: unknown) => void = () => {};
  /**
   * The media path is gone: ICE failed, or stayed disconnected longer than
   * {@link ICE_DISCONNECTED_GRACE_MS}. Called at most once per session.
   */
  onConnectionLost: () => void = () => {};
  private iceGraceTimer: ReturnType<typeof setTimeout> | null = null;
  private lostReported = false;

  constructor(private readonly signaling: MediaSignaling) {}

  /**
   * Captures what the user chose in the lobby (`false` = start with that device off),
   * falling back to whichever one is available, so a participant without a camera (or who
   * refuses it) can still join and listen.
   */
  async acquire(
    audio: MediaTrackConstraints | boolean,
    video: MediaTrackConstraints | boolean,
  ): Promise<{ mic: boolean; camera: boolean; error: unknown }> {
    const attempts: MediaStreamConstraints[] =
      audio && video ? [{ audio, video }, { audio }, { video }] : audio ? [{ audio }] : video ? [{ video }] : [];
    let firstError: unknown = null;
    for (const constraints of attempts) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        if (this.closed) {
          for (const track of stream.getTracks()) track.stop();
          break;
        }
        this.localStream = stream;
        this.onChange();
        return {
          mic: stream.getAudioTracks().length > 0,
          camera: stream.getVideoTracks().length > 0,
          error: firstError,
        };
      } catch (e) {
        firstError ??= e;
      }
    }
    return { mic: false, camera: false, error: firstError };
  }

  /**
   * Captures and publishes a device that was off when joining (turning it on later). Until
   * then nothing was captured and no m-line existed, so the others received nothing and
   * the device's indicator light stayed off.
   */
  async addLocalTrack(kind: 'audio' | 'video', constraints: MediaTrackConstraints | true): Promise<void> {
    const pc = this.publishPc;
    if (!pc || this.closed) return;
    const captured = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: constraints } : { video: constraints });
    const track = captured.getTracks()[0];
    if (!track) throw new Error(`no ${kind} track captured`);
    if (this.closed) {
      track.stop();
      return;
    }
    // A new stream object, so that the self-view re-binds and shows the added track.
    this.localStream = new MediaStream([...(this.localStream?.getTracks() ?? []), track]);
    if (kind === 'audio') {
      this.micTransceiver = pc.addTransceiver(track, { direction: 'sendonly' });
    } else {
      this.cameraTransceiver = pc.addTransceiver(track, {
        direction: 'sendonly',
        sendEncodings: CAMERA_ENCODINGS.map((e) => ({ ...e })),
      });
    }
    this.onChange();
    await this.renegotiate();
  }

  /**
   * Switches a published camera or microphone to another device without renegotiating:
   * the new capture replaces the track on the existing sender (`replaceTrack`), which keeps
   * the m-line, the mid and, for the camera, all three simulcast encodings of that one
   * sender. The new track inherits the old one's enabled state (a muted microphone stays
   * muted). Returns false when that kind is not published (nothing to switch yet).
   */
  async switchLocalTrack(kind: 'audio' | 'video', constraints: MediaTrackConstraints | true): Promise<boolean> {
    const transceiver = kind === 'audio' ? this.micTransceiver : this.cameraTransceiver;
    const current = this.localStream?.getTracks().find((t) => t.kind === kind);
    if (!transceiver || !current || this.closed) return false;
    const captured = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: constraints } : { video: constraints });
    const track = captured.getTracks()[0];
    if (!track) throw new Error(`no ${kind} track captured`);
    if (this.closed) {
      track.stop();
      return false;
    }
    track.enabled = current.enabled;
    try {
      await transceiver.sender.replaceTrack(track);
    } catch (e) {
      track.stop();
      throw e;
    }
    current.stop();
    // A new stream object, so that the self-view re-binds and shows the new camera.
    this.localStream = new MediaStream([...(this.localStream?.getTracks() ?? []).filter((t) => t !== current), track]);
    this.onChange();
    return true;
  }

  /** The device id of the published camera or microphone, if any. */
  deviceInUse(kind: 'audio' | 'video'): string | null {
    return this.localStream?.getTracks().find((t) => t.kind === kind)?.getSettings().deviceId ?? null;
  }

  /**
   * Creates both connections. Synchronous, so that a subscribe offer arriving right after
   * `room.join_success` already finds its connection.
   */
  open(): void {
    if (this.publishPc || this.closed) return;
    this.subscribePc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.publishPc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    for (const pc of [this.subscribePc, this.publishPc]) {
      pc.addEventListener('iceconnectionstatechange', () => this.watchIce());
    }
    this.exposeForTests();
  }

  /** Uses tracks captured earlier (kept over a reconnection) instead of capturing anew. */
  useLocalStream(stream: MediaStream): void {
    this.localStream = stream;
    this.onChange();
  }

  private watchIce(): void {
    if (this.closed || this.lostReported) return;
    const states = [this.publishPc, this.subscribePc].map((pc) => pc?.iceConnectionState);
    if (states.includes('failed')) {
      this.reportLost();
    } else if (states.includes('disconnected')) {
      this.iceGraceTimer ??= setTimeout(() => this.reportLost(), ICE_DISCONNECTED_GRACE_MS);
    } else if (this.iceGraceTimer) {
      clearTimeout(this.iceGraceTimer);
      this.iceGraceTimer = null;
    }
  }

  private reportLost(): void {
    if (this.closed || this.lostReported) return;
    this.lostReported = true;
    this.onConnectionLost();
  }

  /** Adds the local tracks to the publish connection and sends the first publish offer. */
  async publish(): Promise<void> {
    const pc = this.publishPc;
    if (!pc || this.closed) return;
    const audio = this.localStream?.getAudioTracks()[0];
    const video = this.localStream?.getVideoTracks()[0];
    if (audio) this.micTransceiver = pc.addTransceiver(audio, { direction: 'sendonly' });
    if (video) {
      this.cameraTransceiver = pc.addTransceiver(video, {
        direction: 'sendonly',
        sendEncodings: CAMERA_ENCODINGS.map((e) => ({ ...e })),
      });
    }
    if (audio || video) await this.renegotiate();
  }

  /** Applies a server subscribe offer and answers it; offers are handled one at a time. */
  handleSubscribeOffer(sdp: string, tracks: readonly SubscribedTrack[]): Promise<void> {
    const run = async (): Promise<void> => {
      const pc = this.subscribePc;
      if (!pc || this.closed) return;
      await pc.setRemoteDescription({ type: 'offer', sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      const local = pc.localDescription;
      if (local) this.signaling.subscribeAnswer(local.sdp);
      this.mapRemoteTracks(pc, tracks);
    };
    this.subscribeChain = this.subscribeChain.then(run, run).catch((e: unknown) => this.onError(e));
    return this.subscribeChain;
  }

  /** Receive statistics of one remote track (for the connection-quality indicator). */
  statsOf(track: MediaStreamTrack): Promise<RTCStatsReport | null> {
    return this.subscribePc ? this.subscribePc.getStats(track) : Promise.resolve(null);
  }

  /** Remote tracks currently mapped, by `${participantId}:${source}`. */
  remoteTracks(): Map<string, RemoteTrack> {
    const result = new Map<string, RemoteTrack>();
    for (const remote of this.remoteByMid.values()) {
      result.set(`${remote.participantId}:${remote.source}`, remote);
    }
    return result;
  }

  setMicEnabled(enabled: boolean): void {
    for (const track of this.localStream?.getAudioTracks() ?? []) track.enabled = enabled;
  }

  setCameraEnabled(enabled: boolean): void {
    for (const track of this.localStream?.getVideoTracks() ?? []) track.enabled = enabled;
  }

  get hasMic(): boolean {
    return (this.localStream?.getAudioTracks().length ?? 0) > 0;
  }

  get hasCamera(): boolean {
    return (this.localStream?.getVideoTracks().length ?? 0) > 0;
  }

  /** Starts a screen share (a separate, non-simulcast video transceiver). */
  async startScreenShare(): Promise<void> {
    const pc = this.publishPc;
    if (!pc || this.screenStream) return;
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0];
    if (!track) {
      for (const t of stream.getTracks()) t.stop();
      throw new Error('no video track in the screen capture');
    }
    this.screenStream = stream;
    track.addEventListener('ended', () => this.onScreenEnded());
    // A stopped transceiver would leave a dead m-line behind; reusing the one from an earlier
    // share keeps the publish SDP small and its mids stable.
    if (this.screenTransceiver) {
      await this.screenTransceiver.sender.replaceTrack(track);
      this.screenTransceiver.direction = 'sendonly';
    } else {
      this.screenTransceiver = pc.addTransceiver(track, { direction: 'sendonly' });
    }
    this.onChange();
    await this.renegotiate();
  }

  async stopScreenShare(): Promise<void> {
    if (!this.screenStream) return;
    for (const t of this.screenStream.getTracks()) t.stop();
    this.screenStream = null;
    if (this.screenTransceiver) {
      await this.screenTransceiver.sender.replaceTrack(null);
      this.screenTransceiver.direction = 'inactive';
    }
    this.onChange();
    await this.renegotiate();
  }

  /**
   * Closes both connections and stops the screen share; the camera and microphone too,
   * unless `keepLocalTracks` (a reconnection hands them to the next session).
   */
  close(keepLocalTracks = false): void {
    this.closed = true;
    if (this.iceGraceTimer) clearTimeout(this.iceGraceTimer);
    this.iceGraceTimer = null;
    if (!keepLocalTracks) for (const t of this.localStream?.getTracks() ?? []) t.stop();
    for (const t of this.screenStream?.getTracks() ?? []) t.stop();
    this.publishPc?.close();
    this.subscribePc?.close();
    this.remoteByMid.clear();
    this.onChange();
  }

  /** Sends a new publish offer; calls made while one is in flight run after it. */
  renegotiate(): Promise<void> {
    const run = async (): Promise<void> => {
      const pc = this.publishPc;
      if (!pc || this.closed) return;
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      const sdp = pc.localDescription?.sdp ?? offer.sdp ?? '';
      const answer = await this.signaling.publishOffer(sdp, this.publishedTracks());
      if (this.closed) return;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    };
    const next = this.publishChain.then(run, run);
    this.publishChain = next.catch(() => {});
    return next;
  }

  private publishedTracks(): PublishedTrack[] {
    const tracks: PublishedTrack[] = [];
    const add = (transceiver: RTCRtpTransceiver | null, source: TrackSource): void => {
      if (transceiver?.mid && transceiver.sender.track && transceiver.direction === 'sendonly') {
        tracks.push({ mid: transceiver.mid, source });
      }
    };
    add(this.micTransceiver, 'microphone');
    add(this.cameraTransceiver, 'camera');
    add(this.screenTransceiver, 'screen');
    return tracks;
  }

  private mapRemoteTracks(pc: RTCPeerConnection, tracks: readonly SubscribedTrack[]): void {
    const byMid = new Map(tracks.map((t) => [t.mid, t]));
    const next = new Map<string, RemoteTrack>();
    for (const transceiver of pc.getTransceivers()) {
      const mid = transceiver.mid;
      if (!mid || transceiver.currentDirection === 'inactive' || transceiver.currentDirection === 'stopped') continue;
      const info = byMid.get(mid);
      if (!info) continue;
      const track = transceiver.receiver.track;
      const previous = this.remoteByMid.get(mid);
      const stream =
        previous && previous.track === track && previous.participantId === info.participant_id
          ? previous.stream
          : new MediaStream([track]);
      next.set(mid, { mid, participantId: info.participant_id, source: info.source, track, stream });
    }
    this.remoteByMid = next;
    this.onChange();
  }

  private exposeForTests(): void {
    window.__plenumPeers = {
      publish: this.publishPc,
      subscribe: this.subscribePc,
      remote: () =>
        [...this.remoteByMid.values()].map((r) => ({ mid: r.mid, participant_id: r.participantId, source: r.source })),
    };
  }
}
