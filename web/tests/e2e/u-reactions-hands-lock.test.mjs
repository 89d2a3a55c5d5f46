// (u) Meeting features: a reaction floats on the sender's tile at everyone and is announced;
// the reaction limit is explained; raised hands queue in raise order for the moderator, each
// participant sees their place, "lower" and "lower all" work; a locked meeting shows its lock
// to everyone, refuses a newcomer with a clear message, and lets them in once unlocked.
// Also: tiles of remote participants carry a connection-quality indicator with a text
// label, and chat addresses become safe links while markup stays text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatTexts, closedReason, joinAsGuest, joinAsUser, meetingIdOfInvite, scenario, selfId, sendChat, waitFor } from './harness.mjs';

/** The names in the moderator's hand queue, first raised first. */
function handQueue(browser) {
  return browser.evaluate(() => [...document.querySelectorAll('.hand-queue-item')].map((e) => e.dataset.name));
}

function ownPlace(browser) {
  return browser.evaluate(() => document.querySelector('.hand-position')?.dataset.position ?? null);
}

async function raiseHand(browser) {
  await browser.page.getByRole('button', { name: 'Raise hand', exact: true }).click();
}

test('reactions, hand queue and meeting lock', { timeout: 300_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const meetingId = await meetingIdOfInvite(server, server.inviteCode);
    const owner = await chromium('owner');
    const ada = await chromium('Ada');
    const bo = await chromium('Bo');
    await joinAsUser(owner, server, meetingId);
    await joinAsGuest(ada, server.inviteUrl, 'Ada');
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    const adaId = await selfId(ada);

    // ---- reactions
    await ada.page.getByRole('button', { name: 'Send a reaction', exact: true }).click();
    await ada.page.getByRole('button', { name: 'applause', exact: true }).click();
    for (const b of [owner, bo, ada]) {
      await waitFor(
        () => b.evaluate((id) => document.querySelector(`.tile[data-participant-id="${id}"] .tile-reaction[data-emoji="👏"]`) !== null, adaId),
        { message: `${b.label} to see Ada's applause on her tile` },
      );
    }
    await waitFor(
      async () => (await owner.page.getByTestId('reaction-announcer').textContent()) === 'Ada reacted: applause',
      { message: 'the owner to hear who reacted' },
    );
    // The reaction leaves the tile after a few seconds.
    await waitFor(
      () => bo.evaluate((id) => document.querySelector(`.tile[data-participant-id="${id}"] .tile-reaction`) === null, adaId),
      { timeout: 10_000, message: 'the reaction to go away' },
    );
    // Six at once: the sixth within five seconds is over the limit, and Ada is told.
    for (let i = 0; i < 6; i += 1) await ada.page.getByRole('button', { name: 'heart', exact: true }).click();
    await waitFor(() => ada.page.getByText('Too many reactions at once. Please wait a moment.').first().isVisible(), {
      message: 'Ada to be told about the reaction limit',
    });
    await ada.page.keyboard.press('Escape');

    // ---- connection quality on the tiles (loopback: whatever it measures, it is labelled)
    const QUALITY_TEXT = { good: 'Good connection', medium: 'Unstable connection', poor: 'Poor connection' };
    const badge = await waitFor(
      () =>
        owner.evaluate((id) => {
          const el = document.querySelector(`.tile[data-participant-id="${id}"] .tile-quality`);
          return el ? { quality: el.dataset.quality, text: el.textContent } : null;
        }, adaId),
      { timeout: 30_000, message: "a quality indicator on Ada's tile" },
    );
    assert.equal(badge.text, QUALITY_TEXT[badge.quality], `labelled, not colour only: ${JSON.stringify(badge)}`);

    // ---- chat: addresses become links, markup stays text
    await sendChat(owner, 'Agenda: https://example.org/agenda. <img src=x onerror="window.__pwned=1">');
    await waitFor(async () => (await chatTexts(bo)).some((t) => t.startsWith('Agenda:')), { message: 'Bo to get the agenda' });
    const links = await bo.evaluate(() =>
      [...document.querySelectorAll('.chat-text a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent })),
    );
    assert.deepEqual(links, [{ href: 'https://example.org/agenda', rel: 'noopener noreferrer', target: '_blank', text: 'https://example.org/agenda' }]);
    assert.equal(await bo.evaluate(() => document.querySelector('.chat-text img') === null && window.__pwned === undefined), true);

    // ---- hand queue: Bo first, then Ada
    await raiseHand(bo);
    await waitFor(async () => (await handQueue(owner)).join() === 'Bo', { message: 'Bo in the queue' });
    await raiseHand(ada);
    await waitFor(async () => (await handQueue(owner)).join() === 'Bo,Ada', { message: 'the queue in raise order' });
    await waitFor(async () => (await ownPlace(ada)) === '2', { message: 'Ada to see she is second' });
    assert.ok(await ada.page.getByText('You are number 2 in the queue.', { exact: false }).isVisible());
    assert.equal(await ownPlace(bo), '1');
    // Participants have no queue panel.
    assert.equal(await ada.evaluate(() => document.querySelector('.hand-queue') === null), true);

    await owner.page.getByRole('button', { name: 'Lower hand of Bo', exact: true }).first().click();
    await waitFor(async () => (await handQueue(owner)).join() === 'Ada', { message: 'Bo lowered' });
    await waitFor(async () => (await ownPlace(ada)) === '1', { message: 'Ada moves up' });
    await raiseHand(bo);
    await waitFor(async () => (await handQueue(owner)).join() === 'Ada,Bo', { message: 'Bo again, now last' });
    await owner.page.getByRole('button', { name: 'Lower all hands', exact: true }).click();
    await waitFor(async () => (await handQueue(owner)).length === 0, { message: 'all hands lowered' });
    for (const b of [ada, bo]) {
      await waitFor(async () => (await ownPlace(b)) === '', { message: `${b.label}'s hand down` });
      await b.page.getByRole('button', { name: 'Raise hand', exact: true }).waitFor();
    }

    // ---- lock
    await owner.page.getByRole('button', { name: 'Lock meeting', exact: true }).click();
    for (const b of [owner, ada, bo]) {
      await waitFor(
        () => b.evaluate(() => document.querySelector('.lock-indicator')?.dataset.locked === 'true'),
        { message: `${b.label} to see the lock` },
      );
      assert.ok(await b.page.getByText('Locked', { exact: true }).isVisible(), `${b.label} sees the word, not only a colour`);
    }
    const cy = await chromium('Cy');
    await joinAsGuest(cy, server.inviteUrl, 'Cy', { waitJoined: false });
    await waitFor(async () => (await closedReason(cy)) === 'locked', { message: 'Cy to be refused by the lock' });
    assert.ok(await cy.page.getByText('This meeting is locked.', { exact: false }).isVisible());
    // Nobody inside saw Cy.
    assert.equal(await owner.evaluate(() => document.querySelectorAll('.person').length), 3);

    await owner.page.getByRole('button', { name: 'Unlock meeting', exact: true }).click();
    await waitFor(
      () => ada.evaluate(() => document.querySelector('.lock-indicator')?.dataset.locked === 'false'),
      { message: 'Ada to see the meeting unlocked' },
    );
    await cy.page.getByRole('button', { name: 'Rejoin', exact: true }).click();
    await waitFor(() => selfId(cy), { timeout: 30_000, message: 'Cy to get in after the unlock' });
    await waitFor(async () => (await owner.evaluate(() => document.querySelectorAll('.person').length)) === 4, {
      message: 'the owner to see Cy',
    });
  }),
);
