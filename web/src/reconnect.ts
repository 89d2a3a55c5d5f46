/**
 * When and how often the client tries to get back into the meeting after its connection
 * dropped. Pure functions (randomness and time are inputs), so the policy is unit-tested.
 */

import { CloseCode } from './protocol';

export interface Backoff {
  /** The delay before the first retry. */
  baseMs: number;
  /** No delay grows beyond this. */
  maxMs: number;
}

export const RECONNECT_BACKOFF: Backoff = { baseMs: 500, maxMs: 10_000 };

/** After this long without getting back in, the client gives up and offers a manual rejoin. */
export const RECONNECT_GIVE_UP_MS = 120_000;

/** How long a new socket may take to open before the attempt counts as failed. */
export const RECONNECT_OPEN_TIMEOUT_MS = 8_000;

/**
 * How long ICE may stay `disconnected` before the media counts as lost. Short blips (and
 * consent checks delayed on a busy machine) recover by themselves; a dead network does
 * not. A network that really went away usually shows first as the browser going offline
 * or the socket closing.
 */
export const ICE_DISCONNECTED_GRACE_MS = 10_000;

/**
 * The delay before retry number `attempt` (0-based): exponential growth from `baseMs`,
 * capped at `maxMs`, with "equal jitter" — half of the step is fixed, the other half
 * random — so that everyone who lost the same network does not come back at the same
 * instant, yet nobody retries in a tight loop. `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, backoff: Backoff = RECONNECT_BACKOFF): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^n overflows nothing before the cap applies: the exponent is bounded first.
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(n, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(step / 2 + (step / 2) * r);
}

/**
 * Whether a socket closed with `code` is worth reconnecting: the network or the server
 * going away, yes; a decision of the server (removed, banned, ended, replaced by a newer
 * connection, token refused, protocol violation) or a normal close, no.
 */
export function shouldReconnect(code: number): boolean {
  if (code === CloseCode.Normal) return false;
  // 4000–4999 are Plenum's own decisions (docs/signaling.md "Close codes").
  if (code >= 4000 && code <= 4999) return false;
  return true;
}
