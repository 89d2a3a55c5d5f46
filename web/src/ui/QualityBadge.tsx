/**
 * Per-tile connection quality: three bars (one, two or three filled) and a text label, so
 * the state is never told by colour alone. The label is visible when the connection is not
 * good and read by screen readers always.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { t, type MessageKey } from '../i18n';
import type { RemoteTrack } from '../media';
import type { MeetingController } from '../meeting';
import type { ParticipantId } from '../protocol';
import { QualityTracker, type Quality } from '../quality';
import './features.css';

/** How often the receive statistics are read. */
export const QUALITY_INTERVAL_MS = 2_000;

const LABELS: Record<Quality, MessageKey> = {
  good: 'quality.good',
  medium: 'quality.medium',
  poor: 'quality.poor',
};

const BARS: Record<Quality, number> = { good: 3, medium: 2, poor: 1 };

export function QualityBadge({ quality }: { quality: Quality }) {
  const label = t(LABELS[quality]);
  return (
    <span class={`tile-quality tile-quality-${quality}`} data-quality={quality} title={label}>
      <svg class="quality-bars" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" focusable="false">
        {[0, 1, 2].map((i) => (
          <rect
            key={i}
            x={i * 4}
            y={8 - i * 4}
            width="3"
            height={4 + i * 4}
            class={i < BARS[quality] ? 'bar-on' : 'bar-off'}
          />
        ))}
      </svg>
      <span class={quality === 'good' ? 'visually-hidden' : 'tile-quality-text'}>{label}</span>
    </span>
  );
}

/** The connection quality of every remote participant, refreshed every few seconds. */
export function useConnectionQuality(
  controller: MeetingController,
  remote: ReadonlyMap<string, RemoteTrack>,
): ReadonlyMap<ParticipantId, Quality> {
  const [quality, setQuality] = useState<ReadonlyMap<ParticipantId, Quality>>(new Map());
  const remoteRef = useRef(remote);
  remoteRef.current = remote;
  useEffect(() => {
    const tracker = new QualityTracker();
    let stopped = false;
    const tick = async () => {
      const tracks = [...remoteRef.current.values()].map((r) => ({
        key: r.mid,
        participantId: r.participantId,
        stats: () => controller.trackStats(r.track),
      }));
      const next = await tracker.sample(tracks);
      if (!stopped) setQuality((before) => (sameQuality(before, next) ? before : next));
    };
    const timer = setInterval(() => void tick(), QUALITY_INTERVAL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [controller]);
  return quality;
}

function sameQuality(a: ReadonlyMap<ParticipantId, Quality>, b: ReadonlyMap<ParticipantId, Quality>): boolean {
  return a.size === b.size && [...a].every(([id, q]) => b.get(id) === q);
}
