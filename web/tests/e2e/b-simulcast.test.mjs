// (b) Simulcast: the viewer's tile size decides the layer it receives. Pinning the
// publisher makes its tile large (top layer, 1280 wide for the 1280x720 fake camera); pinning
// the viewer's own tile moves the publisher into the small strip (lowest layer, 320 wide).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inbound, joinAsGuest, scenario, selfId, statFor, waitFor } from './harness.mjs';

async function decodedWidth(viewer, publisherId) {
  const s = statFor(await inbound(viewer), publisherId, 'camera');
  return s?.frameWidth ?? 0;
}

test('the simulcast layer follows the tile size', { timeout: 240_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const publisher = await chromium('publisher');
    const viewer = await chromium('viewer', { viewport: { width: 1600, height: 1000 } });
    await joinAsGuest(publisher, server.inviteUrl, 'Publisher');
    await joinAsGuest(viewer, server.inviteUrl, 'Viewer');
    const publisherId = await selfId(publisher);
    const viewerId = await selfId(viewer);
    await waitFor(async () => (await decodedWidth(viewer, publisherId)) > 0, { timeout: 30_000, message: 'first frames' });

    // Large: pin the publisher.
    await viewer.page.locator(`[data-tile-key="${publisherId}:camera"] .tile-pin`).click();
    await waitFor(async () => (await decodedWidth(viewer, publisherId)) === 1280, {
      timeout: 45_000,
      message: 'the top layer (1280 wide) while the publisher is pinned',
    });
    const box = await viewer.page.locator(`[data-tile-key="${publisherId}:camera"]`).boundingBox();
    assert.ok(box && box.height > 480, `pinned tile is large (${JSON.stringify(box)})`);

    // Small: pin our own tile; the publisher goes to the strip.
    await viewer.page.locator(`[data-tile-key="${viewerId}:camera"] .tile-pin`).click();
    await waitFor(async () => (await decodedWidth(viewer, publisherId)) === 320, {
      timeout: 45_000,
      message: 'the lowest layer (320 wide) while the publisher is small',
    });
    const small = await viewer.page.locator(`[data-tile-key="${publisherId}:camera"]`).boundingBox();
    assert.ok(small && small.height <= 240, `strip tile is small (${JSON.stringify(small)})`);

    // And back up.
    await viewer.page.locator(`[data-tile-key="${publisherId}:camera"] .tile-pin`).click();
    await waitFor(async () => (await decodedWidth(viewer, publisherId)) === 1280, {
      timeout: 45_000,
      message: 'the top layer again',
    });
  }),
);
