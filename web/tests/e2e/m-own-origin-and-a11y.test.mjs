// One full flow through the real UI — sign in, create a meeting with a waiting room, the
// lobby, the waiting room, a meeting of two, chat — that proves two things at once, to
// keep the suite short:
// - SEC-13: every request either browser makes (HTTP and WebSocket) goes to the server's
//   own origin, and the peer connections use no ICE servers (no external STUN/TURN).
// - Accessibility: axe-core finds no serious or critical violation on the login page,
//   home (light and dark), lobby, waiting room, meeting grid, with chat, with participants.
// - The user menu's theme choice applies at once and is remembered.
// axe is evaluated through the DevTools protocol, which the page's CSP does not govern and
// which makes no request, so the recorded requests stay the client's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatTexts, enterFromLobby, scenario, selfId, sendChat, seriousA11yViolations, waitFor, waitJoined } from './harness.mjs';

/** Records every request and WebSocket URL of a page. */
function recordRequests(browser) {
  const urls = [];
  browser.page.on('request', (r) => urls.push(r.url()));
  browser.page.on('websocket', (ws) => urls.push(ws.url()));
  return urls;
}

/** URLs that leave the server's origin (ws: to the same host and port counts as own). */
export function foreignUrls(urls, serverUrl) {
  const own = new URL(serverUrl);
  return urls.filter((u) => {
    const url = new URL(u);
    // data: and blob: are generated inside the page; they are not network requests.
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    const sameScheme = url.protocol === own.protocol || url.protocol === own.protocol.replace('http', 'ws');
    return !(sameScheme && url.host === own.host);
  });
}

/** The serious and critical axe violations of the current page, keyed by screen. */
async function axe(browser, screen) {
  const violations = await seriousA11yViolations(browser);
  return violations.length ? { [screen]: violations } : {};
}

test('a full flow stays on the own origin, has no serious accessibility violations, and switches theme', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const owner = await chromium('owner');
    const guest = await chromium('guest');
    const ownerUrls = recordRequests(owner);
    const guestUrls = recordRequests(guest);
    let found = {};

    // Login page and home.
    await owner.goto(`${server.url}/?lang=en`);
    await owner.page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    found = { ...found, ...(await axe(owner, 'login')) };
    await owner.fillField('Username', server.adminUser);
    await owner.fillField('Password', server.adminPassword);
    await owner.clickButton('Sign in');
    await owner.page.getByRole('heading', { name: 'My meetings' }).waitFor();

    // Create a meeting with a waiting room through the form, and get its invite link.
    await owner.fillField('Title', 'Origin check');
    await owner.page.getByLabel('Waiting room', { exact: true }).check();
    await owner.page.locator('form').getByRole('button', { name: 'Create meeting', exact: true }).click();
    const item = owner.page.locator('.meeting-item', { hasText: 'Origin check' });
    await item.waitFor();
    found = { ...found, ...(await axe(owner, 'home')) };

    // The user menu switches to the dark theme, which is remembered across a reload; the
    // owner's remaining screens are checked in dark, the guest's in light.
    await owner.page.getByRole('button', { name: 'User menu: Administrator', exact: true }).click();
    await owner.page.getByRole('radio', { name: 'Dark', exact: true }).check();
    const theme = () => owner.evaluate(() => document.documentElement.dataset.theme);
    assert.equal(await theme(), 'dark');
    found = { ...found, ...(await axe(owner, 'home, dark, menu open')) };
    await owner.page.reload();
    await item.waitFor();
    assert.equal(await theme(), 'dark', 'the theme is remembered');
    await item.getByRole('button', { name: 'Copy invite link', exact: true }).click();
    const inviteUrl = await item.getByLabel('Invite link', { exact: true }).inputValue();

    // Lobby, then the meeting.
    await item.getByRole('link', { name: 'Open', exact: true }).click();
    await owner.page.locator('form[data-lobby] video').waitFor();
    found = { ...found, ...(await axe(owner, 'lobby')) };
    await enterFromLobby(owner);
    await waitJoined(owner);

    // The guest waits, is admitted, and chats.
    await guest.goto(`${inviteUrl}?lang=en`);
    await guest.fillField('Display name', 'Visitor');
    await enterFromLobby(guest);
    await guest.page.getByText('Waiting for the moderator to admit you.').waitFor();
    found = { ...found, ...(await axe(guest, 'waiting room')) };
    await owner.page.getByRole('button', { name: 'Admit Visitor', exact: true }).click();
    await waitJoined(guest);
    await sendChat(guest, 'hello from the guest');
    await waitFor(async () => (await chatTexts(owner)).includes('hello from the guest'), { message: 'the owner to get the chat' });

    // The meeting screens: grid alone, with chat, with participants (side panels start open on wide screens).
    const toggle = async (name, pressed) => {
      const button = owner.page.getByRole('button', { name, exact: true });
      if ((await button.getAttribute('aria-pressed')) !== String(pressed)) await button.click();
    };
    await toggle('Chat', false);
    await toggle('Participants', false);
    await owner.page.locator('.tile video').first().waitFor();
    found = { ...found, ...(await axe(owner, 'meeting grid')) };
    await toggle('Chat', true);
    found = { ...found, ...(await axe(owner, 'meeting with chat')) };
    await toggle('Chat', false);
    await toggle('Participants', true);
    await owner.page.locator('.person').nth(1).waitFor();
    found = { ...found, ...(await axe(owner, 'meeting with participants')) };

    // No ICE servers are configured: candidates are only the server's own.
    for (const b of [owner, guest]) {
      const ice = await b.evaluate(() =>
        [window.__plenumPeers?.publish, window.__plenumPeers?.subscribe].map((pc) => pc?.getConfiguration().iceServers?.length ?? -1),
      );
      assert.deepEqual(ice, [0, 0], `${b.label}: peer connections without ICE servers`);
    }
    assert.ok(await selfId(guest));
    assert.ok(ownerUrls.some((u) => u.startsWith('ws')) && guestUrls.some((u) => u.startsWith('ws')), 'WebSockets were recorded');
    // The filter itself must catch what it is for: another host, another port, plain ws elsewhere.
    const port = new URL(server.url).port;
    const probes = ['https://fonts.example.org/a.woff2', `http://127.0.0.2:${port}/x`, `ws://127.0.0.1:${Number(port) + 1}/ws`];
    assert.deepEqual(foreignUrls([`${server.url}/api/v1/me`, ...probes], server.url), probes);
    assert.deepEqual(foreignUrls([...ownerUrls, ...guestUrls], server.url), [], 'requests to foreign origins (SEC-13)');
    assert.deepEqual(found, {}, 'serious or critical axe violations');
  }),
);
