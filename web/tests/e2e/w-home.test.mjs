// (w) Home: "start a meeting now" creates a meeting and enters it in one step; editing a
// meeting changes title, description, password and waiting room (checked over REST);
// creation dates are written the German way in German; a meeting scheduled in the future
// is listed under "Upcoming" with its start, in local time in the form and UTC over REST.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminToken, enterFromLobby, rest, scenario, selfId, waitFor } from './harness.mjs';

async function signIn(browser, server, lang) {
  await browser.goto(`${server.url}/?lang=${lang}`);
  const labels = lang === 'de' ? ['Benutzername', 'Passwort', 'Anmelden'] : ['Username', 'Password', 'Sign in'];
  await browser.fillField(labels[0], server.adminUser);
  await browser.fillField(labels[1], server.adminPassword);
  await browser.clickButton(labels[2]);
}

test('start now, edit a meeting, schedule one, localised dates', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const token = await adminToken(server);
    const me = (await rest(server, 'GET', '/me', { token })).json;
    const browser = await chromium('owner');
    await signIn(browser, server, 'en');
    await browser.page.getByRole('button', { name: 'Start a meeting now', exact: true }).click();
    const meetingId = await waitFor(() => browser.evaluate(() => location.pathname.match(/^\/m\/([0-9a-f-]{36})$/)?.[1] ?? null), {
      message: 'to land on the new meeting',
    });
    await enterFromLobby(browser, 'Join');
    await waitFor(() => selfId(browser), { timeout: 30_000, message: 'to be in the meeting' });
    const title = await browser.evaluate(() => document.querySelector('.meeting-title-text')?.textContent);
    assert.equal(title, `Meeting of ${me.display_name}`);
    await browser.page.getByRole('button', { name: 'Leave', exact: true }).click();

    // Home in German: the meeting with its creation date, then edit it.
    const de = await chromium('owner de');
    await signIn(de, server, 'de');
    const created = await waitFor(() => de.evaluate(() => document.querySelector('.meeting-created')?.textContent ?? null), {
      message: 'the meeting list',
    });
    assert.match(created, /^Angelegt am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
    await de.page.getByRole('button', { name: `„Meeting of ${me.display_name}“ bearbeiten`, exact: true }).click();
    const form = de.page.locator('form.meeting-edit');
    await form.getByLabel('Titel', { exact: true }).fill('Umbenannt');
    await form.getByLabel('Beschreibung (optional)', { exact: true }).fill('Tagesordnung:\n1. Haushalt');
    await form.getByLabel('Passwort (optional)', { exact: true }).fill('geheim-123');
    await form.getByLabel('Warteraum', { exact: true }).check();
    await form.getByRole('button', { name: 'Speichern', exact: true }).click();
    await waitFor(async () => (await de.evaluate(() => [...document.querySelectorAll('.meeting-title')].map((e) => e.textContent))).includes('Umbenannt'), {
      message: 'the list to show the new title',
    });
    assert.ok(await de.page.getByText('Passwortgeschützt', { exact: true }).isVisible());
    const saved = (await rest(server, 'GET', `/meetings/${meetingId}`, { token })).json;
    assert.equal(saved.title, 'Umbenannt');
    assert.equal(saved.description, 'Tagesordnung:\n1. Haushalt');
    const shown = await de.evaluate(() => [...document.querySelectorAll('.meeting-description')].map((e) => e.textContent));
    assert.deepEqual(shown, ['Tagesordnung:\n1. Haushalt']);
    assert.equal(saved.has_password, true);
    assert.equal(saved.waiting_room, true);

    // Remove the password again.
    await de.page.getByRole('button', { name: '„Umbenannt“ bearbeiten', exact: true }).click();
    await form.getByLabel('Passwort entfernen', { exact: true }).check();
    await form.getByRole('button', { name: 'Speichern', exact: true }).click();
    await waitFor(async () => (await rest(server, 'GET', `/meetings/${meetingId}`, { token })).json.has_password === false, {
      message: 'the password to be removed',
    });

    // Schedule a meeting two days ahead: the form takes local time, REST answers UTC.
    const [localStart, utcStart] = await de.evaluate(() => {
      const at = new Date(Date.now() + 2 * 86_400_000);
      at.setSeconds(0, 0);
      const pad = (n) => String(n).padStart(2, '0');
      const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
      return [local, at.toISOString().replace('.000Z', 'Z')];
    });
    const create = de.page.locator('form.card');
    await create.getByLabel('Titel', { exact: true }).fill('Planung');
    await create.getByLabel('Geplanter Beginn (optional)', { exact: true }).fill(localStart);
    await create.getByRole('button', { name: 'Besprechung anlegen', exact: true }).click();
    const sections = () =>
      de.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll('.meeting-section')].map((section) => [
            section.querySelector('h2')?.textContent,
            [...section.querySelectorAll('.meeting-title')].map((e) => e.textContent),
          ]),
        ),
      );
    const listed = await waitFor(async () => ((await sections())['Demnächst'] ? sections() : null), {
      message: 'the scheduled meeting under Upcoming',
    });
    // Recent, newest first: the meeting started above, then the server's demo meeting.
    assert.deepEqual(listed, { Demnächst: ['Planung'], Zuletzt: ['Umbenannt', 'Demo meeting'] });
    const starts = await de.evaluate(() => document.querySelector('.meeting-section-upcoming .meeting-starts')?.textContent);
    assert.match(starts, /^Beginnt am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
    const planned = (await rest(server, 'GET', '/meetings', { token })).json.find((m) => m.title === 'Planung');
    assert.equal(planned.starts_at, utcStart);
  }),
);
