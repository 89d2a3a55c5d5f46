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

export type ViewMode = 'grid' | 'speaker';

export interface ArrangeOptions {
  /** `grid`: everyone equally (paged); `speaker`: one person large, the others in a strip. */
  mode?: ViewMode;
  /** The remote participant who spoke last (speaker view shows them large). */
  speaker?: ParticipantId | null;
  /** The grid page wanted (0-based); clamped to the pages there are. */
  page?: number;
  /** Tiles per grid page (at least 1); unlimited when absent. */
  pageSize?: number;
}

export interface Arrangement {
  /** Large tiles. */
  stage: TileSpec[];
  /** Small tiles beside the stage (empty in the plain grid). */
  strip: TileSpec[];
  /** The grid page shown (0-based; 0 when not paging) and how many there are. */
  page: number;
  pageCount: number;
}

/**
 * What takes the stage alone, in this order: a tile the user pinned; a remote screen
 * share; in speaker view the last remote speaker, else the first remote camera, else the
 * self-view. Without any of these (grid view) all tiles share the grid, a page at a time,
 * so only the tiles of the shown page are in `media.view` and forwarded.
 */
export function arrange(tiles: readonly TileSpec[], pinned: string | null, options: ArrangeOptions = {}): Arrangement {
  const { mode = 'grid', speaker = null, page = 0, pageSize = Number.POSITIVE_INFINITY } = options;
  let focus =
    (pinned !== null ? tiles.find((t) => t.key === pinned) : undefined) ??
    tiles.find((t) => t.source === 'screen' && !t.isSelf);
  if (!focus && mode === 'speaker') {
    const cameras = tiles.filter((t) => t.source === 'camera');
    focus =
      cameras.find((t) => t.participantId === speaker && !t.isSelf) ??
      cameras.find((t) => !t.isSelf) ??
      cameras[0] ??
      tiles[0];
  }
  if (focus) return { stage: [focus], strip: tiles.filter((t) => t !== focus), page: 0, pageCount: 1 };
  const size = Math.max(1, Math.floor(pageSize) || 1);
  const pageCount = Math.max(1, Math.ceil(tiles.length / size));
  const shown = Math.min(Math.max(0, Math.floor(page) || 0), pageCount - 1);
  const stage = pageCount === 1 ? [...tiles] : tiles.slice(shown * size, (shown + 1) * size);
  return { stage, strip: [], page: shown, pageCount };
}

/** The smallest grid tile worth showing, in CSS pixels: smaller tiles become a next page. */
export const MIN_GRID_TILE_WIDTH = 240;
/** At most this many tiles per page, however large the window. */
export const MAX_PAGE_SIZE = 25;

/**
 * How many tiles one grid page holds in a `width` × `height` area: the most that still
 * leaves every tile at least {@link MIN_GRID_TILE_WIDTH} wide (at least one). A positive
 * `limit` (a user setting) lowers it further.
 */
export function pageSizeFor(width: number, height: number, limit: number | null = null): number {
  const cap = limit !== null && limit > 0 ? Math.min(Math.floor(limit), MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
  let size = 1;
  for (let n = 2; n <= cap; n++) {
    if (gridCell(n, width, height).tileWidth >= MIN_GRID_TILE_WIDTH) size = n;
  }
  return size;
}

/** Reads the page-size setting (`plenum.pageSize` in localStorage): a whole number 1–25, or null. */
export function parsePageSizeSetting(raw: string | null): number | null {
  if (raw === null || !/^\d{1,2}$/.test(raw.trim())) return null;
  const n = Number(raw.trim());
  return n >= 1 && n <= MAX_PAGE_SIZE ? n : null;
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
  // The grid follows the area's orientation: on a landscape area tiles sit side by side
  // (never more rows than columns), on a portrait one they stack, even where the other
  // way round would give slightly larger tiles; people expect a wide window to show two
  // people next to each other. Only if no such grid has room does any grid do.
  const fits = (columns: number, rows: number) =>
    width > height ? columns >= rows : height > width ? rows >= columns : true;
  return bestGrid(count, width, height, aspect, gap, fits) ?? bestGrid(count, width, height, aspect, gap, () => true) ?? {
    columns: 1,
    tileWidth: 0,
  };
}

function bestGrid(
  count: number,
  width: number,
  height: number,
  aspect: number,
  gap: number,
  allowed: (columns: number, rows: number) => boolean,
): { columns: number; tileWidth: number } | null {
  let best: { columns: number; tileWidth: number } | null = null;
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    if (!allowed(columns, rows)) continue;
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    if (cellWidth <= 0 || cellHeight <= 0) continue;
    const tileWidth = Math.min(cellWidth, cellHeight * aspect);
    if (!best || tileWidth > best.tileWidth) best = { columns, tileWidth };
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
