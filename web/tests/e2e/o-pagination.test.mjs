// (o) Pagination: with more participants than a grid page holds (the page size is capped
// at 2 through the `plenum.pageSize` setting), the viewer decodes exactly the remote
// cameras of the shown page, and paging switches which ones (media.view names only
// visible tiles, so the SFU forwards only those).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodingNow, joinAsGuest, scenario, selfId, tileBoxes, waitFor } from './harness.mjs';

/**
 * Remote camera tiles on the stage, sorted like `decodingNow`. Ids are read afresh: on a
 * very busy machine a participant may reconnect, which gives it a new id.
 */
async function visibleRemote(viewer) {
  const viewerId = await selfId(viewer);
  const { stage } = await tileBoxes(viewer);
  return stage
    .filter((t) => t.participantId !== viewerId && t.key.endsWith(':camera'))
    .map((t) => t.participantId)
    .sort();
}

/** Display names of participant ids, read from the participant list (names survive a reconnect, ids do not). */
async function namesOf(viewer, ids) {
  return viewer.evaluate(
    (ids) =>
      ids
        .map((id) => document.querySelector(`.person[data-participant-id="${id}"]`)?.getAttribute('data-name') ?? `?${id}`)
        .sort(),
    ids,
  );
}

/**
 * Waits until the set of decoding cameras equals the set of visible remote tiles; returns
 * both as display names.
 */
async function expectDecodingExactlyVisible(viewer, expectedCount) {
  let last;
  try {
    await waitFor(
      async () => {
        const visible = await visibleRemote(viewer);
        const decoding = await decodingNow(viewer);
        last = { visible: await namesOf(viewer, visible), decoding: await namesOf(viewer, decoding) };
        return visible.length === expectedCount && JSON.stringify(visible) === JSON.stringify(decoding);
      },
      { timeout: 45_000, interval: 500, message: `decoding exactly the ${expectedCount} visible cameras` },
    );
  } catch (e) {
    e.message += ` (last seen: ${JSON.stringify(last)})`;
    throw e;
  }
  return last;
}

test('only the cameras of the shown grid page are forwarded', { timeout: 420_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const viewer = await chromium('viewer', { viewport: { width: 1280, height: 800 } });
    await viewer.goto(server.url);
    await viewer.evaluate(() => localStorage.setItem('plenum.pageSize', '2'));
    await joinAsGuest(viewer, server.inviteUrl, 'Viewer');
    for (let i = 1; i <= 3; i++) {
      const p = await chromium(`P${i}`, { viewport: { width: 640, height: 480 } });
      await joinAsGuest(p, server.inviteUrl, `P${i}`);
    }
    await waitFor(async () => (await viewer.page.locator('[data-page-count="2"]').count()) === 1, {
      message: 'four participants in pages of two: two pages',
    });

    // Page 1: the self-view and two others.
    const first = await expectDecodingExactlyVisible(viewer, 1);
    assert.equal((await tileBoxes(viewer)).stage.length, 2);

    await viewer.clickButton('Next page');
    await viewer.page.locator('[data-page="2"]').waitFor();
    const second = await expectDecodingExactlyVisible(viewer, 2);
    const others = await viewer.evaluate(() => {
      const self = document.querySelector('.meeting')?.getAttribute('data-self-id');
      return [...document.querySelectorAll('.person')]
        .filter((e) => e.dataset.participantId !== self)
        .map((e) => e.getAttribute('data-name'));
    });
    assert.deepEqual([...others].sort(), ['P1', 'P2', 'P3']);
    assert.deepEqual(
      [...first.decoding, ...second.decoding].sort(),
      [...others].sort(),
      'the two pages together show every other participant once',
    );

    await viewer.clickButton('Previous page');
    await viewer.page.locator('[data-page="1"]').waitFor();
    const again = await expectDecodingExactlyVisible(viewer, 1);
    assert.deepEqual(again.decoding, first.decoding);
  }),
);
