import { describe, expect, it } from 'vitest';
import { classify, inboundCounters, QualityTracker, worse, type InboundCounters } from '../../src/quality';

const at = (packetsReceived: number, packetsLost: number, jitter = 0.005, frames?: [number, number]): InboundCounters => ({
  packetsReceived,
  packetsLost,
  jitter,
  ...(frames ? { framesDecoded: frames[0], framesDropped: frames[1] } : {}),
});

describe('classify', () => {
  it.each([
    // [name, before, now, expected]
    ['clean audio', at(1000, 0), at(1100, 0), 'good'],
    ['1 % loss', at(1000, 0), at(1099, 1), 'good'],
    ['2 % loss is medium', at(1000, 0), at(1098, 2), 'medium'],
    ['7 % loss', at(1000, 0), at(1093, 7), 'medium'],
    ['8 % loss is poor', at(1000, 10), at(1092, 18), 'poor'],
    ['jitter 30 ms is medium', at(1000, 0), at(1100, 0, 0.03), 'medium'],
    ['jitter 100 ms is poor', at(1000, 0), at(1100, 0, 0.1), 'poor'],
    ['5 % dropped frames is medium', at(1000, 0, 0.005, [100, 0]), at(1100, 0, 0.005, [157, 3]), 'medium'],
    ['20 % dropped frames is poor', at(1000, 0, 0.005, [100, 0]), at(1100, 0, 0.005, [140, 10]), 'poor'],
    ['first reading counts from zero', null, at(50, 0), 'good'],
    ['counters reset (new stream) count from zero', at(5000, 40), at(100, 0), 'good'],
    ['loss corrected downwards is no loss', at(1000, 5), at(1100, 3), 'good'],
  ] as const)('%s', (_name, before, now, expected) => {
    expect(classify(before, now)).toBe(expected);
  });

  it('nothing arriving (camera off, muted) is no verdict, not a bad connection', () => {
    expect(classify(at(1000, 3), at(1000, 3))).toBeNull();
  });

  it('only lost packets is poor', () => {
    expect(classify(at(1000, 0), at(1000, 50))).toBe('poor');
  });
});

describe('worse', () => {
  it('orders good < medium < poor and ignores missing verdicts', () => {
    expect(worse('good', 'poor')).toBe('poor');
    expect(worse('medium', 'good')).toBe('medium');
    expect(worse(null, 'good')).toBe('good');
    expect(worse(null, null)).toBeNull();
  });
});

function report(stats: Record<string, unknown>[]): RTCStatsReport {
  return new Map(stats.map((s, i) => [String(i), s])) as unknown as RTCStatsReport;
}

describe('inboundCounters', () => {
  it('reads the inbound-rtp entry and ignores others', () => {
    const r = report([
      { type: 'transport', bytesReceived: 5 },
      { type: 'inbound-rtp', kind: 'video', packetsReceived: 10, packetsLost: 1, jitter: 0.02, framesDecoded: 30, framesDropped: 2 },
    ]);
    expect(inboundCounters(r)).toEqual({ packetsReceived: 10, packetsLost: 1, jitter: 0.02, framesDecoded: 30, framesDropped: 2 });
    expect(inboundCounters(report([{ type: 'codec' }]))).toBeNull();
  });

  it('treats missing or bogus numbers as absent', () => {
    const r = report([{ type: 'inbound-rtp', packetsReceived: 'x', jitter: Number.NaN }]);
    expect(inboundCounters(r)).toEqual({ packetsReceived: 0, packetsLost: 0, jitter: 0, framesDecoded: undefined, framesDropped: undefined });
  });
});

describe('QualityTracker', () => {
  it('rates each participant by their worst stream, between consecutive samples', async () => {
    let audio = at(0, 0);
    let video = at(0, 0, 0.005, [0, 0]);
    const stream = (get: () => InboundCounters) => async () =>
      report([{ type: 'inbound-rtp', ...get() }]);
    const tracks = [
      { key: '1', participantId: 'a', stats: stream(() => audio) },
      { key: '2', participantId: 'a', stats: stream(() => video) },
      { key: '3', participantId: 'b', stats: async () => null },
      { key: '4', participantId: 'c', stats: async () => Promise.reject(new Error('closed')) },
    ];
    const tracker = new QualityTracker();
    expect(await tracker.sample(tracks)).toEqual(new Map());
    audio = at(100, 0);
    video = at(300, 0, 0.005, [60, 0]);
    expect(await tracker.sample(tracks)).toEqual(new Map([['a', 'good']]));
    // Video now drops a quarter of its frames: a is poor although audio is clean.
    audio = at(200, 0);
    video = at(600, 0, 0.005, [105, 15]);
    expect(await tracker.sample(tracks)).toEqual(new Map([['a', 'poor']]));
  });
});
