// (h) Case (a) with one participant in Firefox ESR (puppeteer-core over WebDriver BiDi, fake
// media through prefs): everyone decodes everyone's video and receives their audio.
import { test } from 'node:test';
import {
  NETNS_IP,
  expectFullMesh,
  joinAsGuest,
  joinAsUser,
  meetingIdOfInvite,
  scenario,
} from './harness.mjs';

test('Chromium and Firefox participants in one meeting', { timeout: 240_000 }, () => {
  if (!NETNS_IP) {
    throw new Error(
      'Firefox cannot do ICE against a loopback-only server: run this test through `npm run e2e`, ' +
        'which runs the suite in a private network namespace (needs root and `unshare`)',
    );
  }
  return scenario(async ({ server, chromium, firefox }) => {
    const meetingId = await meetingIdOfInvite(server, server.inviteCode);
    const owner = await chromium('owner (Chromium)');
    const guest = await chromium('guest (Chromium)');
    const fox = await firefox('guest (Firefox)');
    await joinAsUser(owner, server, meetingId);
    await joinAsGuest(guest, server.inviteUrl, 'Chromium guest');
    await joinAsGuest(fox, server.inviteUrl, 'Firefox guest');
    await expectFullMesh([owner, guest, fox], { timeout: 45_000 });
  }, { mediaIp: NETNS_IP });
});
