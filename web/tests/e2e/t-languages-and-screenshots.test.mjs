// (t) German and English, screen by screen, and the screenshots of the README.
//
// For each language a full flow walks the main screens — sign-in, home (my meetings and
// the create form), lobby, waiting room (guest and moderator side), meeting grid, chat,
// participants, speaker view, the device and shortcut dialogs — and on each one checks the
// visible texts and accessible names (aria-label, title, placeholder): no dictionary key
// shows untranslated, no text of the other language shows, and <html lang> is right.
// axe-core checks the screens the a11y test (m-) does not: speaker view and both dialogs.
// Each screen is saved in light and dark to web/test-results/screenshots/ (or to
// $PLENUM_SCREENSHOTS_DIR: `npm run screenshots` regenerates docs/screenshots/).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  adminToken,
  createMeeting,
  joinAsGuest,
  scenario,
  selfId,
  seriousA11yViolations,
  waitFor,
  waitJoined,
  WEB_DIR,
} from './harness.mjs';

const SHOTS = process.env.PLENUM_SCREENSHOTS_DIR ? resolve(process.env.PLENUM_SCREENSHOTS_DIR) : join(WEB_DIR, 'test-results/screenshots');

/** The client's own dictionaries, compiled from src/i18n.ts (no copy to drift apart). */
async function loadDictionaries() {
  const source = readFileSync(join(WEB_DIR, 'src/i18n.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const dir = mkdtempSync(join(tmpdir(), 'plenum-i18n-'));
  try {
    writeFileSync(join(dir, 'i18n.mjs'), js);
    const { de, en } = await import(pathToFileURL(join(dir, 'i18n.mjs')).href);
    return { de, en };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DICTS = await loadDictionaries();

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Tests that find the other language's texts on a page, made from its dictionary:
 * - every literal piece (around placeholders) of at least 6 characters, anywhere in a text;
 * - every whole text ("Save", "Mute {name}" with any name) as a complete visible text,
 *   so short words are caught too.
 * Texts that the shown language uses as well (e.g. "Chat", "Moderator") are left out.
 */
function foreignMatchers(lang) {
  const own = Object.values(DICTS[lang]);
  const ownWhole = own.map((o) => new RegExp(`^${o.split(/\{\w+\}/).map(escape).join('.+?')}$`, 's'));
  const other = Object.values(DICTS[lang === 'de' ? 'en' : 'de']);
  const matchers = new Map();
  for (const text of other) {
    for (const piece of text.split(/\{\w+\}/)) {
      const f = piece.trim().replace(/^[\s.,:;!?()–—-]+|[\s.,:;!?()–—-]+$/g, '');
      if (f.length >= 6 && /\p{L}/u.test(f) && !own.some((o) => o.includes(f))) matchers.set(f, (t) => t.includes(f));
    }
    const literal = text.replace(/\{\w+\}/g, '');
    if (!/\p{L}/u.test(literal) || own.includes(text)) continue;
    const whole = new RegExp(`^${text.split(/\{\w+\}/).map(escape).join('.+?')}$`, 's');
    // A pattern that a text of the shown language fits too (e.g. "{name}: {text}") proves nothing.
    if (own.some((o) => whole.test(o)) || ownWhole.some((w) => w.test(text))) continue;
    matchers.set(text, (t) => whole.test(t));
  }
  return [...matchers];
}

/** Every text a user can see or hear on the page: text nodes and accessible-name attributes of rendered elements. */
function visibleTexts(browser) {
  return browser.evaluate(() => {
    const out = [];
    const shown = (el) => el.checkVisibility({ visibilityProperty: false, opacityProperty: false });
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      const text = node.textContent?.trim();
      if (!text || !el || el.closest('script, style') || !shown(el)) continue;
      out.push(text);
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
      if (!shown(el)) continue;
      for (const attr of ['aria-label', 'title', 'placeholder', 'alt']) {
        const value = el.getAttribute(attr)?.trim();
        if (value) out.push(value);
      }
    }
    return { texts: out, lang: document.documentElement.lang };
  });
}

async function checkLanguage(browser, lang, screen) {
  const { texts, lang: htmlLang } = await visibleTexts(browser);
  assert.equal(htmlLang, lang, `${screen}: <html lang>`);
  const all = texts.join('\n');
  const keys = Object.keys(DICTS.en).filter((k) => all.includes(k));
  assert.deepEqual(keys, [], `${screen} (${lang}): untranslated keys`);
  const foreign = foreignMatchers(lang)
    .filter(([, found]) => texts.some(found))
    .map(([text]) => text);
  assert.deepEqual(foreign, [], `${screen} (${lang}): text of the other language`);
  assert.ok(texts.length > 3, `${screen}: texts found (${texts.length})`);
}

async function shoot(browser, name, lang) {
  mkdirSync(SHOTS, { recursive: true });
  // Notices come and go with timing; the screenshots show the screens themselves.
  await browser.evaluate(() => {
    for (const toast of document.querySelectorAll('.toast')) toast.click();
  });
  await waitFor(() => browser.evaluate(() => document.querySelectorAll('.toast').length === 0), { message: 'notices dismissed' });
  const original = await browser.evaluate(() => document.documentElement.dataset.theme);
  for (const theme of ['light', 'dark']) {
    // The same switch the user menu makes: the theme is CSS variables on <html data-theme>.
    await browser.evaluate((t) => {
      document.documentElement.dataset.theme = t;
    }, theme);
    await browser.page.screenshot({ path: join(SHOTS, `${name}-${lang}-${theme}.png`) });
  }
  await browser.evaluate((t) => {
    document.documentElement.dataset.theme = t;
  }, original);
}

async function axe(browser, screen) {
  assert.deepEqual(await seriousA11yViolations(browser), [], `axe on ${screen}`);
}

for (const lang of ['en', 'de']) {
  const d = DICTS[lang];
  test(`${lang}: every main screen in one language, screenshots in light and dark`, { timeout: 300_000 }, () =>
    scenario(async ({ server, chromium }) => {
      const token = await adminToken(server);
      const { meeting, invite } = await createMeeting(server, token, { title: 'Plenum 42', waiting_room: true });
      const owner = await chromium('owner');
      const screen = async (browser, name, { shot = true } = {}) => {
        await checkLanguage(browser, lang, name);
        if (shot) await shoot(browser, name, lang);
      };
      const button = (browser, key, params) =>
        browser.page.getByRole('button', { name: d[key].replace(/\{(\w+)\}/g, (_, p) => params?.[p] ?? ''), exact: true });

      // Sign-in and home (my meetings and the create form).
      await owner.goto(`${server.url}/?lang=${lang}`);
      await owner.page.locator('input[name="username"]').waitFor();
      await screen(owner, 'login');
      await owner.page.locator('input[name="username"]').fill(server.adminUser);
      await owner.page.locator('input[name="password"]').fill(server.adminPassword);
      await owner.page.locator('form button[type="submit"]').click();
      await owner.page.locator('.meeting-item', { hasText: 'Plenum 42' }).waitFor();
      await screen(owner, 'home');

      // Lobby, then in.
      await owner.goto(`${server.url}/m/${meeting.id}?lang=${lang}`);
      await owner.page.locator('form[data-lobby] video').waitFor();
      await waitFor(() => owner.evaluate(() => (document.querySelector('form[data-lobby] video')?.readyState ?? 0) >= 2), {
        message: 'the preview',
      });
      await screen(owner, 'lobby');
      await owner.page.locator('form[data-lobby] button[type="submit"]').click();
      await waitJoined(owner);

      // Two guests wait; the waiting screen and the moderator's list.
      const guests = [];
      for (const name of ['Ada', 'Bo']) {
        const g = await chromium(name);
        await joinAsGuest(g, invite.url, name, { lang, waitJoined: false });
        await g.page.locator('[data-phase="waiting"]').waitFor();
        guests.push(g);
      }
      await screen(guests[0], 'waiting-room');
      await owner.page.locator('.waiting-item').nth(1).waitFor();
      await screen(owner, 'waiting-list');
      for (const name of ['Ada', 'Bo']) await button(owner, 'waiting.admit', { name }).click();
      for (const g of guests) await waitJoined(g);
      const adaId = await selfId(guests[0]);
      await waitFor(
        () => owner.evaluate(() => [...document.querySelectorAll('.stage video')].filter((v) => v.readyState >= 2 && v.videoWidth > 0).length >= 3),
        { message: 'three videos playing' },
      );

      // The grid alone, with the chat, with the participants.
      const panel = async (key, open) => {
        const b = button(owner, key);
        if ((await b.getAttribute('aria-pressed')) !== String(open)) await b.click();
      };
      await panel('controls.chat', false);
      await panel('controls.participants', false);
      await screen(owner, 'meeting-grid');
      await guests[0].page.locator('.chat-input').fill(lang === 'de' ? 'Guten Morgen!' : 'Good morning!');
      await guests[0].page.locator('.chat-input').press('Enter');
      await panel('controls.chat', true);
      await owner.page.locator('.chat-msg').waitFor();
      await screen(owner, 'meeting-chat');
      await panel('controls.chat', false);
      await panel('controls.participants', true);
      await screen(owner, 'meeting-participants');
      await panel('controls.participants', false);

      // Speaker view (Ada speaks: the fake microphones all beep, so pin her for a stable picture).
      await button(owner, 'layout.speakerView').click();
      await owner.page.locator(`[data-tile-key="${adaId}:camera"] .tile-pin`).click();
      await owner.page.locator('.strip [data-tile-key]').nth(1).waitFor();
      await screen(owner, 'speaker-view');
      await axe(owner, `speaker view (${lang})`);
      await button(owner, 'layout.gridView').click();

      // The device and shortcut dialogs.
      await button(owner, 'devices.open').click();
      await owner.page.locator('dialog[open] select').first().waitFor();
      await screen(owner, 'device-settings', { shot: false });
      await axe(owner, `device settings (${lang})`);
      await owner.page.keyboard.press('Escape');
      await owner.page.keyboard.press('Shift+?');
      await owner.page.locator('dialog[open] .shortcut-list').waitFor();
      await screen(owner, 'shortcuts', { shot: false });
      await axe(owner, `shortcuts (${lang})`);
      await owner.page.keyboard.press('Escape');

      // The guest's own meeting view, too.
      await screen(guests[1], 'guest-meeting', { shot: false });
    }),
  );
}
