// End-to-end harness: starts the real `plenum` binary on free loopback ports, drives real
// browsers (Debian Chromium through playwright-core, Firefox ESR through puppeteer-core over
// WebDriver BiDi), and reads media facts from the browsers' own RTCPeerConnection stats.
//
// Nothing here sleeps to synchronise: `waitFor` polls a condition until a deadline. The only
// fixed waits are measurement windows (e.g. "packets received over 2 s"), which are what is
// being measured.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = resolve(here, '../..');
export const REPO_DIR = resolve(WEB_DIR, '..');

export const CHROMIUM = process.env.PLENUM_CHROMIUM ?? '/usr/bin/chromium';
export const FIREFOX = process.env.PLENUM_FIREFOX ?? '/usr/bin/firefox-esr';

/** Flags from docs/media-notes: fake camera/mic/screen, loopback ICE, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
  // Background tabs and occluded windows must keep decoding and sending.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * The address of a veth interface inside the private network namespace that run.mjs
 * creates, if the tests run in one. Firefox ESR gathers no ICE candidates on loopback (its
 * `media.peerconnection.ice.loopback` pref has no effect here) and does not pair its
 * other interfaces with a 127.0.0.1 server, so the Firefox test binds the server's media
 * socket to this address instead. Nothing on it leaves the namespace.
 */
export const NETNS_IP = process.env.PLENUM_E2E_NETNS_IP ?? null;

export function serverBinary() {
  return process.env.PLENUM_BIN ?? join(REPO_DIR, 'target/debug/plenum');
}

export async function freeTcpPort() {
  const server = createServer();
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Thrown by a `waitFor` check to give up at once (the awaited thing can no longer happen). */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns a truthy value (returned) or the deadline passes. Errors
 * thrown by `check` count as "not yet", except {@link GiveUp}, which ends the wait.
 * `message` names what was awaited; a function (may be async) is asked only on timeout, so
 * it can describe the state the wait ended in.
 */
export async function waitFor(check, { timeout = 20_000, interval = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      lastError = e;
    }
    if (Date.now() > deadline) {
      const what = typeof message === 'function' ? await message() : message;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await delay(interval);
  }
}

/**
 * Starts `plenum serve` with a fresh data directory on free ports and parses its banner:
 *   Web UI:        http://127.0.0.1:8080
 *   Admin login:   admin / <password>
 *   Guest invite:  http://127.0.0.1:8080/j/<code>
 */
export async function startServer({ env = {}, args = [], mediaIp = '127.0.0.1', httpIp = '127.0.0.1', httpPort = null } = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) throw new Error(`server binary ${bin} not found: run cargo build -p plenum-server`);
  const dataDir = mkdtempSync(join(tmpdir(), 'plenum-e2e-'));
  // A test that must name the server's URL before it starts (say, to an identity provider)
  // picks the port itself.
  httpPort ??= await freeTcpPort();
  // Media port 0: each media thread binds a free port of its own and announces it.
  const child = spawn(
    bin,
    ['serve', '--data-dir', dataDir, '--http-bind', `${httpIp}:${httpPort}`, '--media-bind', `${mediaIp}:0`, ...args],
    {
      cwd: REPO_DIR,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PLENUM_WEB__ASSETS_DIR: join(WEB_DIR, 'dist'), ...env },
    },
  );
  const log = [];
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  const banner = {};
  const onLine = (line) => {
    log.push(line);
    if (log.length > 5000) log.splice(0, 1000);
    let m;
    if ((m = line.match(/^\s*Web UI:\s+(\S+)/))) banner.url = m[1].replace(/\/$/, '');
    if ((m = line.match(/^\s*Admin login:\s+(\S+)\s+\/\s+(\S+)/))) {
      banner.adminUser = m[1];
      banner.adminPassword = m[2];
    }
    if ((m = line.match(/^\s*Guest invite:\s+(\S+)/))) banner.inviteUrl = m[1];
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffer += chunk;
      let index;
      while ((index = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, index));
        buffer = buffer.slice(index + 1);
      }
    });
  }
  const stop = async () => {
    if (exited === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const deadline = Date.now() + 5000;
      while (exited === null && Date.now() < deadline) await delay(50);
      if (exited === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      () => {
        if (exited) throw new GiveUp(`server exited early (${JSON.stringify(exited)}):\n${log.slice(-30).join('\n')}`);
        return banner.url && banner.adminPassword && banner.inviteUrl;
      },
      { timeout: 60_000, interval: 50, message: 'the server banner' },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const inviteCode = banner.inviteUrl.split('/j/')[1];
  return {
    url: banner.url,
    adminUser: banner.adminUser,
    adminPassword: banner.adminPassword,
    inviteUrl: banner.inviteUrl,
    inviteCode,
    pid: child.pid,
    log,
    stop,
  };
}

// ------------------------------------------------------------------ REST helpers

export async function rest(server, method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON.
  }
  return { status: response.status, json, text };
}

export async function adminToken(server) {
  const r = await rest(server, 'POST', '/auth/login', {
    body: { username: server.adminUser, password: server.adminPassword },
  });
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
  return r.json.access_token;
}

/** Creates a meeting and an invite for it; returns `{ meeting, invite }`. */
export async function createMeeting(server, token, body) {
  const m = await rest(server, 'POST', '/meetings', { token, body });
  if (m.status !== 201 && m.status !== 200) throw new Error(`create meeting: ${m.status} ${m.text}`);
  const i = await rest(server, 'POST', `/meetings/${m.json.id}/invites`, { token, body: {} });
  if (i.status !== 201 && i.status !== 200) throw new Error(`create invite: ${i.status} ${i.text}`);
  return { meeting: m.json, invite: i.json };
}

export async function meetingIdOfInvite(server, code) {
  const r = await rest(server, 'GET', `/invites/${encodeURIComponent(code)}`);
  if (r.status !== 200) throw new Error(`invite ${code}: ${r.status} ${r.text}`);
  return r.json.meeting_id;
}

// ------------------------------------------------------------------ browsers

/** A browser process with one page, behind a small driver-neutral interface. */
export class Browser {
  constructor(kind, page, closeFn, label) {
    this.kind = kind;
    this.page = page;
    this.closeFn = closeFn;
    this.label = label;
    this.consoleLog = [];
  }

  static async chromium(
    label,
    { viewport = { width: 1280, height: 800 }, deviceScaleFactor = 1, args = CHROMIUM_ARGS, executablePath = CHROMIUM, isMobile, hasTouch } = {},
  ) {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'plenum-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args,
      viewport,
      deviceScaleFactor,
      ...(isMobile === undefined ? {} : { isMobile }),
      ...(hasTouch === undefined ? {} : { hasTouch }),
      // Playwright's default --mute-audio would not matter for stats, but keep audio real.
      ignoreDefaultArgs: ['--mute-audio'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const browser = new Browser('chromium', page, async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    }, label);
    page.on('console', (m) => browser.consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => browser.consoleLog.push(`[pageerror] ${e.message}`));
    return browser;
  }

  static async firefox(label, { viewport = { width: 1280, height: 800 }, prefs = {} } = {}) {
    const puppeteer = (await import('puppeteer-core')).default;
    const profile = mkdtempSync(join(tmpdir(), 'plenum-firefox-'));
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      defaultViewport: viewport,
      extraPrefsFirefox: {
        'media.navigator.streams.fake': true,
        'media.navigator.permission.disabled': true,
        // The test server listens on loopback only: Firefox gathers loopback candidates only
        // when asked to, and must not pair its other interfaces with 127.0.0.1.
        'media.peerconnection.ice.loopback': true,
        'media.peerconnection.ice.force_interface': 'lo',
        'media.peerconnection.ice.obfuscate_host_addresses': false,
        'media.autoplay.default': 0,
        'media.autoplay.blocking_policy': 0,
        ...prefs,
      },
    });
    const page = (await browser.pages())[0] ?? (await browser.newPage());
    const wrapper = new Browser('firefox', page, async () => {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    }, label);
    page.on('console', (m) => wrapper.consoleLog.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => wrapper.consoleLog.push(`[pageerror] ${e.message}`));
    return wrapper;
  }

  async goto(url) {
    await this.page.goto(url);
  }

  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  /** Clicks a button by its accessible name (exact). */
  async clickButton(name) {
    if (this.kind === 'chromium') {
      await this.page.getByRole('button', { name, exact: true }).click();
    } else {
      await this.page.locator(`::-p-aria([name="${name}"][role="button"])`).click();
    }
  }

  /** Types into a text field found by its label. */
  async fillField(label, value) {
    if (this.kind === 'chromium') {
      await this.page.getByLabel(label, { exact: true }).fill(value);
    } else {
      await this.page.locator(`::-p-aria([name="${label}"][role="textbox"])`).fill(value);
    }
  }

  async close() {
    await this.closeFn();
  }
}

// ------------------------------------------------------------------ participant flows

/** Opens an invite link as a guest and joins with a display name. */
const JOIN_LABELS = {
  en: { name: 'Display name', password: 'Meeting password', join: 'Join' },
  de: { name: 'Anzeigename', password: 'Besprechungspasswort', join: 'Beitreten' },
};

export async function joinAsGuest(browser, inviteUrl, name, { password, waitJoined = true, lang = 'en' } = {}) {
  const labels = JOIN_LABELS[lang];
  await browser.goto(`${inviteUrl}?lang=${lang}`);
  await browser.fillField(labels.name, name);
  if (password) await browser.fillField(labels.password, password);
  await browser.clickButton(labels.join);
  if (waitJoined) await waitJoined_(browser);
}

/** Signs in on `/m/{id}` (the login form shows there), passes the lobby and enters the meeting. */
export async function joinAsUser(browser, server, meetingId, { username, password } = {}) {
  await browser.goto(`${server.url}/m/${meetingId}?lang=en`);
  await browser.fillField('Username', username ?? server.adminUser);
  await browser.fillField('Password', password ?? server.adminPassword);
  await browser.clickButton('Sign in');
  await enterFromLobby(browser, 'Join');
  await waitJoined_(browser);
}

/** Clicks the lobby's join button once the lobby shows (after sign-in it renders anew). */
export async function enterFromLobby(browser, label = 'Join') {
  if (browser.kind === 'chromium') {
    await browser.page.locator('form[data-lobby]').getByRole('button', { name: label, exact: true }).click();
  } else {
    await browser.clickButton(label);
  }
}

/** Signs in on the start page, then joins through the server's invite link (an account that does not own the meeting). */
export async function signInAndJoinByInvite(browser, server, username, password) {
  await browser.goto(`${server.url}/?lang=en`);
  await browser.fillField('Username', username);
  await browser.fillField('Password', password);
  await browser.clickButton('Sign in');
  await waitFor(() => browser.evaluate(() => document.querySelector('input[name="password"]') === null), {
    message: `${username} to be signed in`,
  });
  await browser.goto(`${server.inviteUrl}?lang=en`);
  await enterFromLobby(browser, 'Join');
  await waitJoined_(browser);
}

/** Camera and microphone off from the start (the lobby remembers this choice); for `page.addInitScript`. */
export function mediaOff() {
  localStorage.setItem('plenum.devices', JSON.stringify({ camera: false, mic: false, cameraId: null, micId: null, speakerId: null }));
}

/**
 * Five people in the demo meeting with cameras and microphones off (for what is not about
 * media): its owner, the accounts Ute and Vic (created here with `password`) and the guests
 * Gia and Hal, all joined and seen by the owner.
 */
export async function fiveWithoutMedia(server, chromium, password) {
  const token = await adminToken(server);
  for (const [username, name] of [
    ['ute', 'Ute'],
    ['vic', 'Vic'],
  ]) {
    const created = await rest(server, 'POST', '/tenants/default/users', { token, body: { username, display_name: name, password, role: 'user' } });
    if (created.status !== 201) throw new Error(`creating ${username}: ${created.status} ${created.text}`);
  }
  const meetingId = await meetingIdOfInvite(server, server.inviteCode);
  const people = {
    meetingId,
    owner: await chromium('owner'),
    ute: await chromium('Ute'),
    vic: await chromium('Vic'),
    gia: await chromium('Gia (guest)'),
    hal: await chromium('Hal (guest)'),
  };
  for (const b of [people.owner, people.ute, people.vic, people.gia, people.hal]) await b.page.addInitScript(mediaOff);
  await joinAsUser(people.owner, server, meetingId);
  await signInAndJoinByInvite(people.ute, server, 'ute', password);
  await signInAndJoinByInvite(people.vic, server, 'vic', password);
  await joinAsGuest(people.gia, server.inviteUrl, 'Gia');
  await joinAsGuest(people.hal, server.inviteUrl, 'Hal');
  await waitFor(async () => (await people.owner.evaluate(() => document.querySelectorAll('.person').length)) === 5, {
    message: 'the owner to see five participants',
  });
  return people;
}

/** Clicks a download button (Chromium); the downloaded file's bytes. */
export async function download(browser, label) {
  const [file] = await Promise.all([browser.page.waitForEvent('download'), browser.page.getByRole('button', { name: label, exact: true }).click()]);
  return readFileSync(await file.path());
}

async function waitJoined_(browser) {
  return waitFor(() => selfId(browser), { timeout: 30_000, message: `${browser.label} to join` });
}
export { waitJoined_ as waitJoined };

export function selfId(browser) {
  return browser.evaluate(() => document.querySelector('.meeting')?.getAttribute('data-self-id') || null);
}

export function closedReason(browser) {
  return browser.evaluate(() => document.querySelector('[data-closed-reason]')?.getAttribute('data-closed-reason') ?? null);
}

/**
 * Inbound RTP stats of the subscribe connection, one entry per mapped remote track:
 * `{ mid, participant_id, source, kind, ssrc, framesDecoded, framesDropped, keyFramesDecoded,
 *    frameWidth, frameHeight, packetsReceived, pliCount, firCount, nackCount,
 *    totalAudioEnergy }`. Read through each receiver's own getStats(), a standard API that
 * Chromium and Firefox both implement. The counters belong to the receiver, not to the
 * participant: an m-line the server reuses for another participant's track keeps its SSRC,
 * and its counters go on from those of the track it carried before.
 */
export function inbound(browser) {
  return browser.evaluate(async () => {
    const peers = window.__plenumPeers;
    const pc = peers?.subscribe;
    if (!pc) return [];
    const mapping = new Map(peers.remote().map((r) => [r.mid, r]));
    const result = [];
    for (const transceiver of pc.getTransceivers()) {
      const info = transceiver.mid ? mapping.get(transceiver.mid) : undefined;
      if (!info) continue;
      const stats = await transceiver.receiver.getStats();
      for (const s of stats.values()) {
        if (s.type !== 'inbound-rtp') continue;
        result.push({
          mid: info.mid,
          participant_id: info.participant_id,
          source: info.source,
          kind: s.kind ?? s.mediaType,
          ssrc: s.ssrc,
          framesDecoded: s.framesDecoded ?? 0,
          framesDropped: s.framesDropped ?? 0,
          keyFramesDecoded: s.keyFramesDecoded ?? 0,
          frameWidth: s.frameWidth ?? 0,
          frameHeight: s.frameHeight ?? 0,
          packetsReceived: s.packetsReceived ?? 0,
          pliCount: s.pliCount ?? 0,
          firCount: s.firCount ?? 0,
          nackCount: s.nackCount ?? 0,
          totalAudioEnergy: s.totalAudioEnergy ?? 0,
        });
      }
    }
    return result;
  });
}

/** All inbound-rtp entries of the subscribe connection, mapped or not. */
export function rawInbound(browser) {
  return browser.evaluate(async () => {
    const pc = window.__plenumPeers?.subscribe;
    if (!pc) return [];
    const out = [];
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') out.push({ kind: s.kind, packetsReceived: s.packetsReceived ?? 0, framesDecoded: s.framesDecoded ?? 0 });
    });
    return out;
  });
}

function find(stats, participantId, source) {
  return stats.find((s) => s.participant_id === participantId && s.source === source);
}

/** A track's receive counters, for failure messages. */
function describeInbound(s) {
  if (!s) return 'no track mapped';
  const counters = s.kind === 'video'
    ? ['framesDecoded', 'framesDropped', 'keyFramesDecoded', 'packetsReceived', 'frameWidth', 'pliCount', 'firCount', 'nackCount']
    : ['packetsReceived', 'nackCount'];
  return `mid ${s.mid} ssrc ${s.ssrc}: ${counters.map((c) => `${c} ${s[c]}`).join(', ')}`;
}

/**
 * Waits until a counter of the `source` track of every participant in `fromIds` grows
 * twice: first within `timeout` from the sample in which the track is first seen mapped (a
 * count above zero alone proves nothing about this participant: counters of a reused
 * m-line go on from the track it carried before), then again within 10 s of that (it goes
 * on). On timeout the message names each participant that did not get there, by display
 * name, with its counters when the wait started and when it ended.
 */
async function expectGrowing(browser, fromIds, { source, count, ready = () => true, timeout, doing, going }) {
  const seen = new Map();
  let latest = [];
  const grownSince = (base) => (id) => {
    const s = find(latest, id, source);
    const b = base.get(id);
    return Boolean(s && b && count(s) > count(b) && ready(s));
  };
  const explain = (what, base) => async () => {
    const late = fromIds.filter((id) => !grownSince(base)(id));
    const names = await browser
      .evaluate((ids) => ids.map((id) => document.querySelector(`.person[data-participant-id="${id}"]`)?.dataset.name ?? '?'), late)
      .catch(() => late.map(() => '?'));
    const lines = late.map(
      (id, i) => `${names[i]} (${id}): at start ${describeInbound(base.get(id))}; at the end ${describeInbound(find(latest, id, source))}`,
    );
    return `${what}; not: ${lines.join(' | ')}`;
  };
  await waitFor(
    async () => {
      latest = await inbound(browser);
      for (const id of fromIds) {
        const s = find(latest, id, source);
        // Anew when the track moved to another m-line (another receiver, other counters).
        if (s && seen.get(id)?.mid !== s.mid) seen.set(id, s);
      }
      return fromIds.every(grownSince(seen));
    },
    { timeout, message: explain(`${browser.label} ${doing} ${source} from ${fromIds.length} participant(s)`, seen) },
  );
  const first = new Map(fromIds.map((id) => [id, find(latest, id, source)]));
  await waitFor(
    async () => {
      latest = await inbound(browser);
      return fromIds.every(grownSince(first));
    },
    { timeout: 10_000, message: explain(`${browser.label} ${going} ${source}`, first) },
  );
}

/**
 * Waits until `browser` decodes camera video from every participant in `fromIds`
 * (framesDecoded grows, frameWidth > 0), then checks that decoding goes on: a later sample
 * has more frames for each of them.
 */
export async function expectDecodingFrom(browser, fromIds, { source = 'camera', timeout = 30_000 } = {}) {
  await expectGrowing(browser, fromIds, {
    source,
    count: (s) => s.framesDecoded,
    ready: (s) => s.frameWidth > 0,
    timeout,
    doing: 'decoding',
    going: 'to keep decoding',
  });
}

/** Waits until audio packets from every participant in `fromIds` keep arriving. */
export async function expectAudioFrom(browser, fromIds, { timeout = 30_000 } = {}) {
  await expectGrowing(browser, fromIds, {
    source: 'microphone',
    count: (s) => s.packetsReceived,
    timeout,
    doing: 'receiving audio',
    going: 'audio packets to keep arriving',
  });
}

/**
 * Every browser decodes camera video from, and receives audio of, every other one
 * (the full mesh of case a), each identified by its own participant id.
 */
export async function expectFullMesh(browsers, { timeout = 30_000 } = {}) {
  const ids = new Map();
  for (const b of browsers) ids.set(b, await selfId(b));
  for (const b of browsers) {
    const others = [...ids].filter(([x]) => x !== b).map(([, id]) => id);
    await expectDecodingFrom(b, others, { timeout });
    await expectAudioFrom(b, others, { timeout });
  }
}

/** Packets received from one participant's microphone over a window. */
export async function audioPacketsOver(browser, participantId, ms) {
  const before = find(await inbound(browser), participantId, 'microphone')?.packetsReceived ?? 0;
  await delay(ms);
  const after = find(await inbound(browser), participantId, 'microphone')?.packetsReceived ?? 0;
  return after - before;
}

export function statFor(stats, participantId, source) {
  return find(stats, participantId, source);
}

/** Closes browsers and the server, whatever state they are in. */
export async function cleanup(browsers, server) {
  await Promise.all(browsers.filter(Boolean).map((b) => b.close().catch(() => {})));
  if (server) await server.stop();
}

/** On failure, the last lines of the server log and browser consoles explain more than a timeout. */
export function diagnostics(server, browsers) {
  const parts = [];
  if (server) parts.push(`--- server log (last 40 lines)\n${server.log.slice(-40).join('\n')}`);
  for (const b of browsers.filter(Boolean)) {
    parts.push(`--- ${b.label} console (last 15)\n${b.consoleLog.slice(-15).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * Runs one end-to-end scenario: `body(ctx)` gets `ctx.server` (started with `serverOptions`)
 * and `ctx.chromium(label, opts)` / `ctx.firefox(label)` to open browsers. Everything is
 * closed afterwards; on failure the error carries the server log and browser consoles.
 */
export async function scenario(body, serverOptions = {}) {
  const browsers = [];
  let server = null;
  try {
    server = await startServer(serverOptions);
    const ctx = {
      server,
      chromium: async (label, opts) => {
        const b = await Browser.chromium(label, opts);
        browsers.push(b);
        return b;
      },
      firefox: async (label, opts) => {
        const b = await Browser.firefox(label, opts);
        browsers.push(b);
        return b;
      },
    };
    await body(ctx);
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    error.message = `${error.message}\n${diagnostics(server, browsers)}`;
    throw error;
  } finally {
    await cleanup(browsers, server);
  }
}

// ------------------------------------------------------------------ raw signaling

/** A raw signaling socket that records every frame and its close. */
export async function rawSocket(server) {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/signaling`, { origin: server.url });
  const frames = [];
  const state = { closed: null };
  ws.on('message', (data) => {
    try {
      frames.push(JSON.parse(String(data)));
    } catch {
      frames.push({ unparseable: String(data) });
    }
  });
  ws.on('close', (code) => {
    state.closed = code;
  });
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  const next = (predicate, message) =>
    waitFor(() => frames.find(predicate) ?? (state.closed !== null ? Promise.reject(new Error(`closed ${state.closed}`)) : null), {
      timeout: 10_000,
      interval: 20,
      message,
    });
  return { ws, frames, state, next };
}

// ------------------------------------------------------------------ chat helpers (Chromium)

/** Sends a chat message, to everyone or privately to the participant named `to`. */
export async function sendChat(browser, text, to = null) {
  const page = browser.page;
  const select = page.getByLabel('Send to', { exact: true });
  if (to) {
    await select.selectOption({ label: to });
  } else {
    await select.selectOption({ value: '' });
  }
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/** The chat texts this browser shows, in order. */
export function chatTexts(browser) {
  return browser.evaluate(() => [...document.querySelectorAll('.chat-msg .chat-text')].map((e) => e.textContent));
}

/** A moderator action from the participant list: opens "Actions for {name}", clicks the item. */
export async function moderate(browser, targetName, actionLabel) {
  const page = browser.page;
  const toggle = page.getByRole('button', { name: `Actions for ${targetName}`, exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.getByRole('button', { name: actionLabel, exact: true }).click();
}

/** The participant row attributes (`data-mic`, `data-hand`, …) as this browser shows them. */
export function personState(browser, participantId) {
  return browser.evaluate((id) => {
    const row = document.querySelector(`.person[data-participant-id="${id}"]`);
    return row ? { ...row.dataset } : null;
  }, participantId);
}

// ------------------------------------------------------------------ layout helpers (Chromium)

/**
 * Where the tiles are: `{ stage: [{ key, participantId, x, y, width, height }], strip: [...] }`
 * in CSS pixels, in DOM order.
 */
export function tileBoxes(browser) {
  return browser.evaluate(() => {
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { key: el.dataset.tileKey, participantId: el.dataset.participantId, x: r.x, y: r.y, width: r.width, height: r.height };
    };
    return {
      stage: [...document.querySelectorAll('.stage [data-tile-key]')].map(box),
      strip: [...document.querySelectorAll('.strip [data-tile-key]')].map(box),
    };
  });
}

/**
 * The remote camera videos this browser is decoding right now: participant ids whose
 * `framesDecoded` grows over `ms` (a measurement window, not a synchronisation sleep).
 */
export async function decodingNow(browser, { source = 'camera', ms = 1500 } = {}) {
  const before = await inbound(browser);
  await delay(ms);
  const after = await inbound(browser);
  return after
    .filter((s) => s.source === source && s.kind === 'video')
    .filter((s) => s.framesDecoded > (find(before, s.participant_id, source)?.framesDecoded ?? 0))
    .map((s) => s.participant_id)
    .sort();
}

// ------------------------------------------------------------------ network cuts

/**
 * A network namespace of its own for one browser, joined to the test's namespace by a veth
 * pair, so that the test can really cut that browser's network (WebSocket and media alike)
 * and restore it. Start the server on `hostIp` (and its media there) so both sides reach
 * it; launch the browser with `executablePath: net.chromium` (a wrapper that enters the
 * namespace). Needs root inside run.mjs's private namespace; returns null elsewhere.
 */
export async function isolatedNetwork() {
  if (process.getuid?.() !== 0 || !NETNS_IP) return null;
  const sh = (cmd) => {
    const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  // The holder process owns the new namespace; it lives until stop().
  const holder = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore', detached: true });
  const ownNs = readlinkSync('/proc/self/ns/net');
  await waitFor(() => readlinkSync(`/proc/${holder.pid}/ns/net`) !== ownNs, { timeout: 5000, interval: 20, message: 'the browser namespace' });
  const pid = holder.pid;
  const inside = (cmd) => sh(`nsenter -t ${pid} -n sh -c '${cmd}'`);
  const dir = mkdtempSync(join(tmpdir(), 'plenum-netns-'));
  const wrapper = join(dir, 'chromium');
  try {
    sh(`ip link add plh0 type veth peer name plc0 netns ${pid}`);
    sh('ip addr add 10.215.0.1/24 dev plh0 && ip link set plh0 up');
    inside('ip link set lo up && ip addr add 10.215.0.2/24 dev plc0 && ip link set plc0 up && ip route add default via 10.215.0.1');
    writeFileSync(wrapper, `#!/bin/sh\nexec nsenter -t ${pid} -n ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
  } catch (e) {
    process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    hostIp: '10.215.0.1',
    chromium: wrapper,
    /** The browser's link goes down: nothing in or out, as when a laptop loses its Wi-Fi. */
    down: () => inside('ip link set plc0 down'),
    /** And up again (the default route went with the link). */
    up: () => inside('ip link set plc0 up && ip route replace default via 10.215.0.1'),
    stop() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      spawnSync('ip', ['link', 'del', 'plh0']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ accessibility

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is and returns its serious and critical violations,
 * summarised (rule id, impact, the first few nodes with why they fail). axe is evaluated
 * through the DevTools protocol, which the page's CSP does not govern and which makes no
 * request.
 */
export async function seriousA11yViolations(browser) {
  await browser.evaluate(AXE_SOURCE);
  return browser.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
}
