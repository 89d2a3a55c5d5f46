import { describe, expect, it } from 'vitest';
import {
  arrange,
  buildTiles,
  gridCell,
  gridColumns,
  MAX_PAGE_SIZE,
  MIN_GRID_TILE_WIDTH,
  pageSizeFor,
  parsePageSizeSetting,
  sameView,
  tileKey,
  viewTiles,
  type MeasuredTile,
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

describe('buildTiles', () => {
  it('one camera tile per participant, screens first', () => {
    const tiles = buildTiles([person('me'), person('a', true), person('b')], 'me');
    expect(tiles.map((t) => t.key)).toEqual(['a:screen', 'me:camera', 'a:camera', 'b:camera']);
    expect(tiles.filter((t) => t.isSelf).map((t) => t.key)).toEqual(['me:camera']);
  });
});

describe('arrange', () => {
  const tiles = buildTiles([person('me'), person('a'), person('b')], 'me');

  it('no pin: everything on the stage', () => {
    const { stage, strip } = arrange(tiles, null);
    expect(stage).toHaveLength(3);
    expect(strip).toHaveLength(0);
  });

  it('a pinned tile takes the stage, the rest go to the strip', () => {
    const { stage, strip } = arrange(tiles, tileKey('b', 'camera'));
    expect(stage.map((t) => t.key)).toEqual(['b:camera']);
    expect(strip.map((t) => t.key)).toEqual(['me:camera', 'a:camera']);
  });

  it('a stale pin is ignored', () => {
    expect(arrange(tiles, 'gone:camera').strip).toHaveLength(0);
  });

  it('a remote screen share takes the stage unless something else is pinned', () => {
    const withScreen = buildTiles([person('me'), person('a', true)], 'me');
    expect(arrange(withScreen, null).stage.map((t) => t.key)).toEqual(['a:screen']);
    expect(arrange(withScreen, 'me:camera').stage.map((t) => t.key)).toEqual(['me:camera']);
    const ownScreen = buildTiles([person('me', true), person('a')], 'me');
    expect(arrange(ownScreen, null).strip).toHaveLength(0);
  });
});

describe('gridColumns', () => {
  it.each([
    [1, 1600, 900, 1],
    [2, 1600, 900, 2],
    [2, 600, 1000, 1],
    [3, 1600, 900, 2],
    [4, 1600, 900, 2],
    [9, 1600, 900, 3],
    [5, 0, 0, 1],
  ])('%i tiles in %ix%i → %i columns', (count, width, height, columns) => {
    expect(gridColumns(count, width, height)).toBe(columns);
  });
});

describe('gridCell', () => {
  it('tile width fits both the column width and the row height', () => {
    // One tile in a wide, low area: height-bound (16:9 of 450 = 800).
    expect(gridCell(1, 1600, 450)).toEqual({ columns: 1, tileWidth: 800 });
    // Two tiles in a square: stacked, each row (1000 - 8) / 2 = 496 high → 881.8 wide, which
    // beats side by side (496 wide).
    expect(gridCell(2, 1000, 1000).columns).toBe(1);
    expect(gridCell(2, 1000, 1000).tileWidth).toBeCloseTo((496 * 16) / 9, 5);
    expect(gridCell(0, 100, 100).tileWidth).toBe(0);
  });
});

describe('viewTiles', () => {
  const tile = (participantId: string, source: 'camera' | 'screen', w: number, h: number, isSelf = false): MeasuredTile => ({
    participantId,
    source,
    isSelf,
    cssWidth: w,
    cssHeight: h,
  });

  it('reports remote tiles in device pixels, sorted, without self and hidden tiles', () => {
    const view = viewTiles(
      [
        tile('b', 'camera', 200, 112.5),
        tile('me', 'camera', 640, 360, true),
        tile('a', 'screen', 960, 540),
        tile('a', 'camera', 200, 112.5),
        tile('c', 'camera', 0, 0),
      ],
      2,
    );
    expect(view).toEqual([
      { participant_id: 'a', source: 'camera', width: 400, height: 225 },
      { participant_id: 'a', source: 'screen', width: 1920, height: 1080 },
      { participant_id: 'b', source: 'camera', width: 400, height: 225 },
    ]);
  });

  it('the same video twice is reported once at its larger size', () => {
    expect(viewTiles([tile('a', 'camera', 100, 50), tile('a', 'camera', 300, 150)], 1)).toEqual([
      { participant_id: 'a', source: 'camera', width: 300, height: 150 },
    ]);
  });

  it('a nonsensical devicePixelRatio counts as 1', () => {
    expect(viewTiles([tile('a', 'camera', 100, 50)], Number.NaN)[0]?.width).toBe(100);
    expect(viewTiles([tile('a', 'camera', 100, 50)], 0)[0]?.width).toBe(100);
  });

  it('sameView compares element-wise', () => {
    const a = viewTiles([tile('a', 'camera', 100, 50)], 1);
    expect(sameView(a, viewTiles([tile('a', 'camera', 100, 50)], 1))).toBe(true);
    expect(sameView(a, viewTiles([tile('a', 'camera', 101, 50)], 1))).toBe(false);
    expect(sameView(a, [])).toBe(false);
  });
});

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
