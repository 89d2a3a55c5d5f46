/**
 * Connection quality of remote participants as this client receives them, from the
 * subscriber side's `getStats()`: packet loss, jitter and dropped video frames over the
 * last interval. Pure classification plus a small poller; the tile shows the result with an
 * icon and a text label.
 *
 * Thresholds follow common practice for real-time media: up to 2 % loss and 30 ms jitter
 * are unnoticeable, beyond 8 % loss or 100 ms jitter speech breaks up; a video decoder that
 * drops more than a fifth of its frames stutters visibly.
 */

import type { ParticipantId } from './protocol';

export type Quality = 'good' | 'medium' | 'poor';

/** Counters of one inbound RTP stream (cumulative, as `getStats()` reports them). */
export interface InboundCounters {
  packetsReceived: number;
  packetsLost: number;
  /** Seconds (the current estimate, not cumulative). */
  jitter: number;
  /** Video only. */
  framesDecoded?: number;
  framesDropped?: number;
}

export const LOSS_MEDIUM = 0.02;
export const LOSS_POOR = 0.08;
export const JITTER_MEDIUM_S = 0.03;
export const JITTER_POOR_S = 0.1;
export const DROPPED_MEDIUM = 0.05;
export const DROPPED_POOR = 0.2;

const RANK: Record<Quality, number> = { good: 0, medium: 1, poor: 2 };

export function worse(a: Quality | null, b: Quality | null): Quality | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

function grade(value: number, medium: number, poor: number): Quality {
  if (value >= poor) return 'poor';
  if (value >= medium) return 'medium';
  return 'good';
}

/**
 * The quality of one stream between two readings, or null when nothing arrived in between
 * (a camera turned off is not a bad connection). Counters that went backwards (a new
 * stream under the same id) count from zero.
 */
export function classify(before: InboundCounters | null, now: InboundCounters): Quality | null {
  const delta = (a: number | undefined, b: number | undefined) => {
    const d = (a ?? 0) - (b ?? 0);
    return d >= 0 ? d : (a ?? 0);
  };
  const received = delta(now.packetsReceived, before?.packetsReceived);
  // Loss can go down (late packets, duplicates); negative loss is no loss.
  const lost = Math.max(0, (now.packetsLost ?? 0) - (before?.packetsLost ?? 0));
  if (received === 0 && lost === 0) return null;
  let quality = grade(lost / (received + lost), LOSS_MEDIUM, LOSS_POOR);
  if (Number.isFinite(now.jitter)) quality = worse(quality, grade(now.jitter, JITTER_MEDIUM_S, JITTER_POOR_S)) ?? quality;
  const decoded = delta(now.framesDecoded, before?.framesDecoded);
  const dropped = delta(now.framesDropped, before?.framesDropped);
  if (decoded + dropped > 0) {
    quality = worse(quality, grade(dropped / (decoded + dropped), DROPPED_MEDIUM, DROPPED_POOR)) ?? quality;
  }
  return quality;
}

/** The inbound RTP counters in a stats report (one report per receiver). */
export function inboundCounters(report: RTCStatsReport): InboundCounters | null {
  for (const stat of report.values()) {
    const s = stat as Record<string, unknown>;
    if (s.type !== 'inbound-rtp') continue;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    return {
      packetsReceived: num(s.packetsReceived) ?? 0,
      packetsLost: num(s.packetsLost) ?? 0,
      jitter: num(s.jitter) ?? 0,
      framesDecoded: num(s.framesDecoded),
      framesDropped: num(s.framesDropped),
    };
  }
  return null;
}

export interface WatchedTrack {
  /** Unique per stream, e.g. the transceiver mid. */
  key: string;
  participantId: ParticipantId;
  stats: () => Promise<RTCStatsReport | null>;
}

/**
 * Reads every watched stream's counters and classifies each participant by their worst
 * stream. Keeps the previous reading per stream; streams no longer watched are forgotten.
 */
export class QualityTracker {
  private previous = new Map<string, InboundCounters>();

  async sample(tracks: readonly WatchedTrack[]): Promise<Map<ParticipantId, Quality>> {
    const result = new Map<ParticipantId, Quality>();
    const next = new Map<string, InboundCounters>();
    await Promise.all(
      tracks.map(async (track) => {
        const report = await track.stats().catch(() => null);
        const counters = report ? inboundCounters(report) : null;
        if (!counters) return;
        next.set(track.key, counters);
        const quality = classify(this.previous.get(track.key) ?? null, counters);
        const combined = worse(result.get(track.participantId) ?? null, quality);
        if (combined) result.set(track.participantId, combined);
      }),
    );
    this.previous = next;
    return result;
  }
}
