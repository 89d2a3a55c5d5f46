// (q) Automatic reconnection: one participant's browser runs in a network namespace of its
// own, and its link goes down for 5 s (WebSocket and media both cut, as when a laptop loses
// its Wi-Fi). The page shows the reconnecting banner instead of freezing; once the link is
// back the client rejoins by itself: both sides decode each other's video and hear each
// other again, chat works both ways, and the other participant sees exactly one entry for
// the one who came back (the server replaced the old connection).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CHROMIUM_ARGS,
  chatTexts,
  expectAudioFrom,
  expectDecodingFrom,
  isolatedNetwork,
  joinAsGuest,
  scenario,
  selfId,
  sendChat,
  seriousA11yViolations,
  waitFor,
} from './harness.mjs';

const CUT_MS = 5000;

/** The names in the participant list, as `browser` shows them. */
function people(browser) {
  return browser.evaluate(() => [...document.querySelectorAll('.person')].map((e) => e.dataset.name).sort());
}

const net = await isolatedNetwork();

test(
  'after a 5 s network cut the client reconnects: media, chat, one entry',
  { timeout: 240_000, skip: net ? false : 'needs root and the private namespace of run.mjs' },
  async () => {
    try {
      await scenario(
        async ({ server, chromium }) => {
          // The server is on the veth address, not loopback: let the page count as secure
          // (camera and microphone need that), as it would over https.
          const args = [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${server.url}`];
          const stay = await chromium('stay', { args });
          const third = await chromium('third', { args });
          const mover = await chromium('mover', { args, executablePath: net.chromium });
          await joinAsGuest(stay, server.inviteUrl, 'Stay');
          await joinAsGuest(third, server.inviteUrl, 'Third');
          await joinAsGuest(mover, server.inviteUrl, 'Mover');
          const stayId = await selfId(stay);
          const thirdId = await selfId(third);
          const before = await selfId(mover);
          await expectDecodingFrom(stay, [before, thirdId]);
          await expectDecodingFrom(mover, [stayId, thirdId]);

          // The others must never show the returning participant twice, not even briefly
          // (as they would if the new connection joined before the old one left).
          await stay.evaluate(() => {
            window.__mostMovers = 0;
            const count = () => {
              const n = document.querySelectorAll('.person[data-name="Mover"]').length;
              window.__mostMovers = Math.max(window.__mostMovers, n);
            };
            new MutationObserver(count).observe(document.body, { subtree: true, childList: true, attributes: true });
            count();
          });
          net.down();
          const cutAt = Date.now();
          const banner = mover.page.locator('[data-connection="reconnecting"]');
          await banner.waitFor({ timeout: CUT_MS });
          assert.equal((await banner.textContent()).trim(), 'Connection lost — reconnecting…');
          assert.deepEqual(await seriousA11yViolations(mover), [], 'axe while reconnecting');
          const bannerAfter = Date.now() - cutAt;
          await delay(Math.max(0, CUT_MS - (Date.now() - cutAt)));
          net.up();

          await waitFor(async () => (await banner.count()) === 0, { timeout: 30_000, message: 'the banner to go away' });
          const after = await selfId(mover);
          assert.notEqual(after, before, 'a new connection is a new participant id');
          // The others get the returner's tracks on the m-lines its old connection left idle,
          // whose receive counters go on from before the cut: only frames decoded after the
          // new id shows prove its video (expectDecodingFrom counts from there).
          await expectDecodingFrom(stay, [after, thirdId]);
          await expectDecodingFrom(mover, [stayId, thirdId]);
          await expectAudioFrom(stay, [after]);
          await expectAudioFrom(mover, [stayId, thirdId]);

          await sendChat(mover, 'back again');
          await waitFor(async () => (await chatTexts(stay)).includes('back again'), { message: 'chat from the returner' });
          await sendChat(stay, 'welcome back');
          await waitFor(async () => (await chatTexts(mover)).includes('welcome back'), { message: 'chat to the returner' });

          // Exactly one entry each, also a moment later (no stale connection lingers).
          for (const b of [stay, third, mover]) assert.deepEqual(await people(b), ['Mover', 'Stay', 'Third']);
          assert.equal(
            await stay.evaluate((id) => document.querySelectorAll(`[data-participant-id="${id}"]`).length, before),
            0,
            'nothing of the old connection is shown',
          );
          await delay(2000);
          assert.equal(await stay.evaluate(() => window.__mostMovers), 1, 'never two entries for the returning participant');
          for (const b of [stay, third, mover]) assert.deepEqual(await people(b), ['Mover', 'Stay', 'Third']);
          console.log(`banner shown ${bannerAfter} ms after the cut`);
        },
        // Plain http on a non-loopback address: the refresh cookie cannot be Secure there.
        { httpIp: net.hostIp, mediaIp: net.hostIp, env: { PLENUM_HTTP__INSECURE_COOKIES: 'true' } },
      );
    } finally {
      net.stop();
    }
  },
);
