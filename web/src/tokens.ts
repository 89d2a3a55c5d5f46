/**
 * When to renew a token. Pure, so the schedule is unit-tested without clocks.
 *
 * A token is renewed when 80 % of its remaining lifetime has passed, but no later than 60 s
 * before it expires (the network and the server need time; for tokens shorter-lived than
 * two minutes, halfway instead), and never sooner than 1 s from now, so a token that is
 * already (nearly) expired does not cause a busy loop.
 */

export const REFRESH_MARGIN_MS = 60_000;
export const MIN_DELAY_MS = 1_000;

export function refreshDelayMs(nowMs: number, expiresAtMs: number): number {
  if (!Number.isFinite(expiresAtMs)) return MIN_DELAY_MS;
  const remaining = expiresAtMs - nowMs;
  const byFraction = remaining * 0.8;
  const byMargin = remaining - REFRESH_MARGIN_MS;
  const delay = Math.min(byFraction, Math.max(byMargin, remaining / 2));
  return Math.max(MIN_DELAY_MS, Math.floor(delay));
}
