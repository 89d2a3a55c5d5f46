/**
 * The signaling connection: one WebSocket carrying JSON envelopes (docs/signaling.md).
 *
 * `request()` sends a message with a fresh `txn` and resolves with the server's direct
 * answer to it (or rejects with a {@link SignalingError} for an `error` answer); every
 * other frame is an event for `onMessage`. Requests still open when the socket closes are
 * rejected, so no caller waits forever.
 */

import {
  MAX_FRAME_BYTES,
  parseServerMessage,
  type ClientMessages,
  type ClientMessageType,
  type ErrorCode,
  type ServerMessage,
} from './protocol';

/**
 * The subset of the browser `WebSocket` the client uses (node's `ws` has it too). Handler
 * parameters are `never` so that both implementations' event types fit; the handlers
 * below state the fields they read.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export class SignalingError extends Error {
  constructor(
    /** A server error code, or `closed` / `timeout` / `too_large` for local failures. */
    readonly code: ErrorCode | 'closed' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}

interface Pending {
  resolve: (message: ServerMessage | null) => void;
  reject: (error: SignalingError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

export interface SignalingOptions {
  /** How long a request waits for its answer. */
  requestTimeoutMs?: number;
}

export class SignalingClient {
  private readonly socket: SocketLike;
  private readonly pending = new Map<string, Pending>();
  private nextTxn = 1;
  private readonly requestTimeoutMs: number;
  private closed = false;
  readonly opened: Promise<void>;

  /** Every server frame that does not answer a pending request. */
  onMessage: (message: ServerMessage) => void = () => {};
  /** Called once when the socket closes, with its close code. */
  onClose: (code: number, reason: string) => void = () => {};

  constructor(url: string, factory: SocketFactory, options: SignalingOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.socket = factory(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = () => reject(new SignalingError('closed', 'connection failed'));
    });
    // A rejected `opened` that nobody awaits must not surface as an unhandled rejection.
    this.opened.catch(() => {});
    this.socket.onmessage = (event: { data: unknown }) => {
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (message) this.dispatch(message);
    };
    this.socket.onclose = (event: { code: number; reason: string }) => {
      this.closed = true;
      for (const [, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.reject(new SignalingError('closed', `connection closed (${event.code})`));
      }
      this.pending.clear();
      this.onClose(event.code, event.reason);
    };
  }

  get isOpen(): boolean {
    return !this.closed && this.socket.readyState === OPEN;
  }

  /** Sends without waiting for an answer. */
  send<K extends ClientMessageType>(type: K, payload: ClientMessages[K]): void {
    this.write(JSON.stringify({ type, payload }));
  }

  /**
   * Sends and resolves with the answer that echoes this message's `txn`.
   *
   * Some messages have no success answer of their own (their effect is an event to all,
   * e.g. `media.state`); for those pass `answerExpected: false`: the promise then rejects on
   * an `error` answer and otherwise resolves with `null` after the timeout.
   */
  request<K extends ClientMessageType>(
    type: K,
    payload: ClientMessages[K],
    answerExpected = true,
  ): Promise<ServerMessage | null> {
    const txn = `c-${this.nextTxn++}`;
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject(new SignalingError('closed', 'not connected'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(txn);
        if (answerExpected) reject(new SignalingError('timeout', `no answer to ${type}`));
        else resolve(null);
      }, this.requestTimeoutMs);
      this.pending.set(txn, { resolve, reject, timer });
      try {
        this.write(JSON.stringify({ type, txn, payload }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(txn);
        reject(e instanceof SignalingError ? e : new SignalingError('closed', String(e)));
      }
    });
  }

  close(code = 1000, reason = ''): void {
    if (!this.closed) this.socket.close(code, reason);
  }

  private write(text: string): void {
    if (!this.isOpen) throw new SignalingError('closed', 'not connected');
    // The server refuses larger frames; failing here keeps the connection usable.
    if (new TextEncoder().encode(text).length > MAX_FRAME_BYTES) {
      throw new SignalingError('too_large', 'message too large');
    }
    this.socket.send(text);
  }

  private dispatch(message: ServerMessage): void {
    const pending = message.txn !== undefined ? this.pending.get(message.txn) : undefined;
    if (message.txn !== undefined && pending) {
      this.pending.delete(message.txn);
      clearTimeout(pending.timer);
      if (message.type === 'error') {
        pending.reject(new SignalingError(message.payload.code, message.payload.message));
      } else {
        pending.resolve(message);
      }
      // Answers that are also state (e.g. join_success) are still events for the room.
      if (message.type !== 'error') this.onMessage(message);
      return;
    }
    this.onMessage(message);
  }
}

/** The signaling URL for the page's origin. */
export function signalingUrl(loc: { protocol: string; host: string }): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/v1/signaling`;
}
