import { describe, expect, it } from 'vitest';
import { backoffDelay, RECONNECT_BACKOFF, shouldReconnect } from '../../src/reconnect';
import { CloseCode } from '../../src/protocol';

describe('backoffDelay', () => {
  const low = () => 0;
  const high = () => 0.999999;

  it('doubles from the base up to the cap', () => {
    const steps = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, high));
    expect(steps).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('keeps at least half of each step, whatever the jitter', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, low))).toEqual([250, 500, 1000, 2000, 4000, 5000]);
  });

  it('spreads the delays between half the step and the step', () => {
    const seen = new Set<number>();
    let seed = 1;
    // A small deterministic generator, so the test cannot flake.
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, random);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(50);
  });

  it('survives nonsense input: negative, fractional, huge or NaN attempts and a bad random source', () => {
    expect(backoffDelay(-3, high)).toBe(500);
    expect(backoffDelay(Number.NaN, high)).toBe(500);
    expect(backoffDelay(1.7, high)).toBe(1000);
    expect(backoffDelay(1e9, high)).toBe(RECONNECT_BACKOFF.maxMs);
    expect(backoffDelay(2, () => 7)).toBe(2000);
    expect(backoffDelay(2, () => -1)).toBe(1000);
  });

  it('honours other settings', () => {
    expect(backoffDelay(3, high, { baseMs: 100, maxMs: 600 })).toBe(600);
  });
});

describe('shouldReconnect', () => {
  it.each([
    [1006, true], // abnormal: the network went away
    [1001, true], // server restart / going away
    [1011, true],
    [1013, true], // too slow: dropped, reconnect
    [CloseCode.Normal, false],
    [CloseCode.Forbidden, false],
    [CloseCode.MeetingGone, false],
    [CloseCode.TokenInvalid, false],
    [CloseCode.ProtocolViolation, false],
    [CloseCode.Replaced, false],
    [CloseCode.InternalError, false],
  ])('close %i → %s', (code, expected) => {
    expect(shouldReconnect(code)).toBe(expected);
  });
});
