/**
 * Which video tiles the meeting shows, how they are arranged, and what the client reports
 * to the server in `media.view`. Pure functions, so layout decisions are unit-tested.
 *
 * The SFU forwards only the videos listed in `media.view`, at a simulcast layer chosen from
 * the tile's size in device pixels, so the tile sizes measured on screen drive bandwidth.
 */

import type { Participant, ParticipantId, TrackSource, ViewedTile } from './protocol';

export type VideoSource = Extract<TrackSource, 'camera' | 'screen'>;

export interface TileSpec {
  /** Stable key: `${participantId}:${source}`. */
  key: string;
  participantId: ParticipantId;
  source: VideoSource;
  isSelf: boolean;
}

export function tileKey(participantId: ParticipantId, source: VideoSource): string {
  return `${participantId}:${source}`;
}

/**
 * One camera tile per participant (self included, as the local preview) plus a screen
 * tile for each participant who shares. Screens come first: they are what people look at.
 */
export function buildTiles(participants: readonly Participant[], selfId: ParticipantId | null): TileSpec[] {
  const screens: TileSpec[] = [];
  const cameras: TileSpec[] = [];
  for (const p of participants) {
    const isSelf = p.id === selfId;
    cameras.push({ key: tileKey(p.id, 'camera'), participantId: p.id, source: 'camera', isSelf });
    if (p.media.screen) {
      screens.push({ key: tileKey(p.id, 'screen'), participantId: p.id, source: 'screen', isSelf });
    }
  }
  return [...screens, ...cameras];
}

export interface Arrangement {
  /** Large tiles. */
  stage: TileSpec[];
  /** Small tiles beside the stage (empty in the plain grid). */
  strip: TileSpec[];
}

/**
 * A pinned tile (chosen by the user) takes the stage alone and the rest go to the strip.
 * Without a pin, a remote screen share takes the stage; otherwise all tiles share a grid.
 */
export function arrange(tiles: readonly TileSpec[], pinned: string | null): Arrangement {
  const focus =
    (pinned !== null ? tiles.find((t) => t.key === pinned) : undefined) ??
    tiles.find((t) => t.source === 'screen' && !t.isSelf);
  if (!focus) return { stage: [...tiles], strip: [] };
  return { stage: [focus], strip: tiles.filter((t) => t !== focus) };
}

/**
 * The grid that makes `count` tiles of the given aspect ratio largest inside a `width` ×
 * `height` area: its column count and the resulting tile width (0 when there is no room).
 */
export function gridCell(
  count: number,
  width: number,
  height: number,
  aspect = 16 / 9,
  gap = 8,
): { columns: number; tileWidth: number } {
  if (count <= 0 || width <= 0 || height <= 0) return { columns: 1, tileWidth: 0 };
  let best = { columns: 1, tileWidth: 0 };
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    if (cellWidth <= 0 || cellHeight <= 0) continue;
    const tileWidth = Math.min(cellWidth, cellHeight * aspect);
    if (tileWidth > best.tileWidth) best = { columns, tileWidth };
  }
  return best;
}

/** The column count of {@link gridCell}. */
export function gridColumns(count: number, width: number, height: number, aspect = 16 / 9, gap = 8): number {
  return gridCell(count, width, height, aspect, gap).columns;
}

/** A tile's rendered size on screen, in CSS pixels. */
export interface MeasuredTile {
  participantId: ParticipantId;
  source: VideoSource;
  isSelf: boolean;
  cssWidth: number;
  cssHeight: number;
}

/**
 * The `media.view` payload: remote video tiles with a visible size, in device pixels,
 * sorted so that the same view always gives the same message.
 */
export function viewTiles(measured: readonly MeasuredTile[], devicePixelRatio: number): ViewedTile[] {
  const dpr = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? devicePixelRatio : 1;
  const byKey = new Map<string, ViewedTile>();
  for (const m of measured) {
    if (m.isSelf) continue;
    const width = Math.round(m.cssWidth * dpr);
    const height = Math.round(m.cssHeight * dpr);
    if (width <= 0 || height <= 0) continue;
    const key = tileKey(m.participantId, m.source);
    const previous = byKey.get(key);
    // The same video shown twice is forwarded once, at the larger size.
    if (!previous || width * height > previous.width * previous.height) {
      byKey.set(key, { participant_id: m.participantId, source: m.source, width, height });
    }
  }
  return [...byKey.values()].sort((a, b) =>
    a.participant_id === b.participant_id
      ? a.source.localeCompare(b.source)
      : a.participant_id < b.participant_id
        ? -1
        : 1,
  );
}

/** Whether two views would make the SFU choose the same forwarding. */
export function sameView(a: readonly ViewedTile[], b: readonly ViewedTile[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i];
      return (
        y !== undefined &&
        x.participant_id === y.participant_id &&
        x.source === y.source &&
        x.width === y.width &&
        x.height === y.height
      );
    })
  );
}
