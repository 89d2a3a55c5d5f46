import { describe, expect, it } from 'vitest';
import { MIN_DELAY_MS, refreshDelayMs } from '../../src/tokens';

const S = 1000;
const MIN = 60 * S;

describe('refreshDelayMs', () => {
  it.each([
    ['15 min token: at 80 %', 15 * MIN, 12 * MIN],
    ['1 h token: at 80 %', 60 * MIN, 48 * MIN],
    ['4 min token: 60 s before expiry beats 80 %', 4 * MIN, 3 * MIN],
    ['100 s token: halfway', 100 * S, 50 * S],
    ['nearly expired: minimum delay', 500, MIN_DELAY_MS],
    ['already expired: minimum delay', -5 * S, MIN_DELAY_MS],
  ])('%s', (_name, remaining, expected) => {
    const now = 1_700_000_000_000;
    expect(refreshDelayMs(now, now + remaining)).toBe(expected);
  });

  it('always refreshes before expiry for any lifetime above the minimum', () => {
    const now = 0;
    for (let remaining = 2 * S; remaining <= 60 * MIN; remaining += 7 * S) {
      const delay = refreshDelayMs(now, remaining);
      expect(delay).toBeGreaterThanOrEqual(MIN_DELAY_MS);
      expect(delay).toBeLessThan(remaining);
    }
  });

  it('an unparseable expiry does not stall refreshing', () => {
    expect(refreshDelayMs(0, Number.NaN)).toBe(MIN_DELAY_MS);
  });
});
