import { describe, expect, it } from 'vitest';
import { arrange, buildTiles, gridCell, gridColumns, sameView, tileKey, viewTiles, type MeasuredTile } from '../../src/layout';
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
