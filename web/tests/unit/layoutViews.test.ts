import { describe, expect, it } from 'vitest';
import {
  arrange,
  buildTiles,
  gridCell,
  MAX_PAGE_SIZE,
  MIN_GRID_TILE_WIDTH,
  pageSizeFor,
  parsePageSizeSetting,
  tileKey,
} from '../../src/layout';
import type { Participant } from '../../src/protocol';

function person(id: string, screen = false): Participant {
  return {
    id,
    display_name: id,
    role: 'guest',
    hand_raised: false,
    media: { mic: true, camera: true, screen },
    muted_by_moderator: false,
  };
}

const keys = (tiles: readonly { key: string }[]) => tiles.map((t) => t.key);

describe('grid orientation', () => {
  it('two tiles sit side by side in a wide area, even where stacking would be larger', () => {
    // 920 × 680 is the stage of a 1280 × 800 window with a side panel open: stacked tiles
    // would be 597 wide, side by side 456.
    expect(gridCell(2, 920, 680).columns).toBe(2);
    expect(gridCell(2, 920, 680).tileWidth).toBe(456);
  });

  it('and stack in a tall one', () => {
    expect(gridCell(2, 390, 700).columns).toBe(1);
  });

  it('a landscape grid never has more rows than columns', () => {
    for (let n = 1; n <= 25; n++) {
      const { columns } = gridCell(n, 1200, 700);
      expect(columns, `${n} tiles`).toBeGreaterThanOrEqual(Math.ceil(n / columns));
    }
  });
});

describe('speaker view', () => {
  const tiles = buildTiles([person('me'), person('a'), person('b'), person('c')], 'me');

  it('the last remote speaker takes the stage, everyone else (self-view included) the strip', () => {
    const { stage, strip } = arrange(tiles, null, { mode: 'speaker', speaker: 'b' });
    expect(keys(stage)).toEqual(['b:camera']);
    expect(keys(strip)).toEqual(['me:camera', 'a:camera', 'c:camera']);
  });

  it('without a remote speaker the first remote camera, alone the self-view', () => {
    expect(keys(arrange(tiles, null, { mode: 'speaker', speaker: 'me' }).stage)).toEqual(['a:camera']);
    expect(keys(arrange(tiles, null, { mode: 'speaker', speaker: 'gone' }).stage)).toEqual(['a:camera']);
    const alone = buildTiles([person('me')], 'me');
    expect(keys(arrange(alone, null, { mode: 'speaker' }).stage)).toEqual(['me:camera']);
  });

  it('a pin and a remote screen share win over the speaker', () => {
    expect(keys(arrange(tiles, tileKey('c', 'camera'), { mode: 'speaker', speaker: 'b' }).stage)).toEqual(['c:camera']);
    const sharing = buildTiles([person('me'), person('a', true), person('b')], 'me');
    const { stage, strip } = arrange(sharing, null, { mode: 'speaker', speaker: 'b' });
    expect(keys(stage)).toEqual(['a:screen']);
    expect(keys(strip)).toEqual(['me:camera', 'a:camera', 'b:camera']);
  });

  it('in the grid a remote screen share is large and the people are in a strip', () => {
    const sharing = buildTiles([person('me'), person('a', true)], 'me');
    const { stage, strip, pageCount } = arrange(sharing, null, { mode: 'grid', pageSize: 1 });
    expect(keys(stage)).toEqual(['a:screen']);
    expect(keys(strip)).toEqual(['me:camera', 'a:camera']);
    expect(pageCount).toBe(1);
  });
});

describe('grid pages', () => {
  const tiles = buildTiles(['me', 'a', 'b', 'c', 'd', 'e'].map((id) => person(id)), 'me');

  it('splits the tiles into pages of the page size, in order', () => {
    const first = arrange(tiles, null, { pageSize: 4, page: 0 });
    expect(keys(first.stage)).toEqual(['me:camera', 'a:camera', 'b:camera', 'c:camera']);
    expect(first).toMatchObject({ page: 0, pageCount: 2, strip: [] });
    const second = arrange(tiles, null, { pageSize: 4, page: 1 });
    expect(keys(second.stage)).toEqual(['d:camera', 'e:camera']);
    expect(second.page).toBe(1);
  });

  it('clamps the page to the pages there are (people leave)', () => {
    expect(arrange(tiles, null, { pageSize: 4, page: 7 }).page).toBe(1);
    expect(arrange(tiles, null, { pageSize: 4, page: -3 }).page).toBe(0);
    expect(arrange(tiles, null, { pageSize: 10, page: 1 })).toMatchObject({ page: 0, pageCount: 1 });
  });

  it('a nonsensical page size counts as one tile per page', () => {
    expect(arrange(tiles, null, { pageSize: 0 }).pageCount).toBe(6);
    expect(arrange(tiles, null, { pageSize: Number.NaN }).pageCount).toBe(6);
  });

  it('without a page size everything is on one page', () => {
    expect(arrange(tiles, null)).toMatchObject({ page: 0, pageCount: 1 });
    expect(arrange(tiles, null).stage).toHaveLength(6);
  });
});

describe('pageSizeFor', () => {
  it('fills the area with tiles no narrower than the minimum', () => {
    const size = pageSizeFor(1280, 700);
    expect(gridCell(size, 1280, 700).tileWidth).toBeGreaterThanOrEqual(MIN_GRID_TILE_WIDTH);
    expect(gridCell(size + 1, 1280, 700).tileWidth).toBeLessThan(MIN_GRID_TILE_WIDTH);
  });

  it('a phone holds few tiles, a big screen many but never more than the maximum', () => {
    expect(pageSizeFor(390, 600)).toBeLessThan(pageSizeFor(1280, 700));
    expect(pageSizeFor(5000, 3000)).toBe(MAX_PAGE_SIZE);
    expect(pageSizeFor(0, 0)).toBe(1);
  });

  it('a user limit lowers it', () => {
    expect(pageSizeFor(5000, 3000, 3)).toBe(3);
    expect(pageSizeFor(390, 600, 20)).toBe(pageSizeFor(390, 600));
  });
});

describe('parsePageSizeSetting', () => {
  it.each([
    ['4', 4],
    [' 25 ', 25],
    ['0', null],
    ['26', null],
    ['-1', null],
    ['2.5', null],
    ['abc', null],
    ['', null],
    [null, null],
  ])('%j → %j', (raw, expected) => {
    expect(parsePageSizeSetting(raw)).toBe(expected);
  });
});
