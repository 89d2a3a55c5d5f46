import { describe, expect, it } from 'vitest';
import { FLOOR_DB, levelPercent, rms, smoothLevel } from '../../src/levelMeter';

describe('rms', () => {
  it('is 0 for silence and for no samples', () => {
    expect(rms(new Float32Array(128))).toBe(0);
    expect(rms([])).toBe(0);
  });
  it('is the amplitude / √2 for a full sine period', () => {
    const n = 1000;
    const sine = Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * i) / n));
    expect(rms(sine)).toBeCloseTo(0.5 / Math.SQRT2, 5);
  });
  it('is the amplitude for a square wave', () => {
    expect(rms([0.25, -0.25, 0.25, -0.25])).toBeCloseTo(0.25, 10);
  });
});

describe('levelPercent', () => {
  it('maps the floor and below to 0 and full scale to 100', () => {
    expect(levelPercent(0)).toBe(0);
    expect(levelPercent(10 ** (FLOOR_DB / 20))).toBe(0);
    expect(levelPercent(1)).toBe(100);
    expect(levelPercent(3)).toBe(100);
    expect(levelPercent(Number.NaN)).toBe(0);
  });
  it('is logarithmic: -30 dBFS is half way', () => {
    expect(levelPercent(10 ** (-30 / 20))).toBe(50);
    expect(levelPercent(10 ** (-6 / 20))).toBe(90);
  });
});

describe('smoothLevel', () => {
  it('rises at once and falls slowly', () => {
    expect(smoothLevel(10, 80)).toBe(80);
    expect(smoothLevel(80, 0)).toBe(76);
    expect(smoothLevel(80, 0, 100)).toBe(0);
    expect(smoothLevel(5, 3)).toBe(3);
  });
});
