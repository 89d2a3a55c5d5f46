// (g) Screen share: one participant shares (Chromium's fake screen capture) and both others
// decode it as a separate video next to the camera.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectDecodingFrom, inbound, joinAsGuest, scenario, selfId, statFor, waitFor } from './harness.mjs';

test('a screen share is decoded by the others', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const sharer = await chromium('sharer');
    const x = await chromium('viewer X');
    const y = await chromium('viewer Y');
    await joinAsGuest(sharer, server.inviteUrl, 'Sharer');
    await joinAsGuest(x, server.inviteUrl, 'X');
    await joinAsGuest(y, server.inviteUrl, 'Y');
    const sharerId = await selfId(sharer);
    await expectDecodingFrom(x, [sharerId]);

    await sharer.clickButton('Share screen');
    await sharer.page.getByRole('button', { name: 'Stop sharing screen', exact: true }).waitFor();
    for (const viewer of [x, y]) {
      await expectDecodingFrom(viewer, [sharerId], { source: 'screen' });
      // The camera goes on too: the share is a separate track.
      await expectDecodingFrom(viewer, [sharerId], { source: 'camera' });
      await viewer.page.locator(`[data-tile-key="${sharerId}:screen"]`).waitFor();
    }

    await sharer.clickButton('Stop sharing screen');
    await waitFor(
      async () => (await x.evaluate((pid) => document.querySelector(`[data-tile-key="${pid}:screen"]`) === null, sharerId)),
      { message: 'the screen tile to go away' },
    );
    const stats = await inbound(x);
    assert.ok(statFor(stats, sharerId, 'camera'), 'camera still mapped after the share ends');
  }),
);
