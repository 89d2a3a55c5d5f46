// (x) SEC-02 on the media path: when a participant's right to be in the meeting ends — a
// ban, an administrator taking the account's role away, a logout, an access token expiring
// without renewal — the server closes their socket AND stops forwarding their media within
// a second. The socket side alone is proven in crates/server/tests/it/admin.rs; here A
// (owner) watches B's camera and microphone arrive through the real SFU, and the test
// measures, for each cause with a fresh B, how long after the cause
//   - B's page sees its signaling socket close (the close event's own timestamp), and
//   - A's inbound bytesReceived for B's tracks last grew (sampled every 100 ms; "stopped"
//     means no growth across 300 ms).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  adminToken,
  closedReason,
  enterFromLobby,
  expectAudioFrom,
  expectDecodingFrom,
  joinAsUser,
  meetingIdOfInvite,
  rest,
  scenario,
  selfId,
  waitFor,
  waitJoined,
} from './harness.mjs';

const LIMIT_MS = 1000;
const SAMPLE_MS = 100;
const QUIET_MS = 300;
const B_NAME = 'Bea';
const B_PASSWORD = 'cut-media-e2e-password-42';

/**
 * Records, in the page, every signaling socket close `{code, at}`, the `type` and time of
 * every frame sent, and the `expires_at` of the token the socket currently runs on (from
 * `session.authenticated` / `session.refreshed`).
 */
function watchSocket() {
  const Native = window.WebSocket;
  window.__cut = { closes: [], sent: [], expiresAt: null };
  window.WebSocket = class extends Native {
    send(data) {
      try {
        window.__cut.sent.push({ type: JSON.parse(data).type, at: Date.now() });
      } catch {
        // Not JSON: nothing to record.
      }
      return super.send(data);
    }

    constructor(...args) {
      super(...args);
      this.addEventListener('close', (e) => window.__cut.closes.push({ code: e.code, at: Date.now() }));
      this.addEventListener('message', (e) => {
        try {
          const frame = JSON.parse(e.data);
          if (frame.type === 'session.authenticated' || frame.type === 'session.refreshed') {
            window.__cut.expiresAt = frame.payload.expires_at;
          }
        } catch {
          // Not JSON: nothing to record.
        }
      });
    }
  };
}

/** A (the instance admin, owner of the banner's meeting) and B (a fresh `user` account) in one meeting, B's media reaching A. */
async function meetingWithB(server, chromium) {
  const token = await adminToken(server);
  const created = await rest(server, 'POST', '/tenants/default/users', {
    token,
    body: { username: 'bea', display_name: B_NAME, password: B_PASSWORD, role: 'user' },
  });
  assert.equal(created.status, 201, created.text);
  const meetingId = await meetingIdOfInvite(server, server.inviteCode);
  const owner = await chromium('owner');
  const b = await chromium(B_NAME);
  await owner.page.addInitScript(watchSocket);
  await b.page.addInitScript(watchSocket);
  await joinAsUser(owner, server, meetingId);
  // B is no owner: it signs in, then joins by invite like any other account (docs/permissions.md).
  await b.goto(`${server.url}/?lang=en`);
  await b.fillField('Username', 'bea');
  await b.fillField('Password', B_PASSWORD);
  await b.clickButton('Sign in');
  await waitFor(() => b.evaluate(() => document.querySelector('input[name="password"]') === null), { message: 'B to be signed in' });
  await b.goto(`${server.inviteUrl}?lang=en`);
  await enterFromLobby(b, 'Join');
  await waitJoined(b);
  const bId = await selfId(b);
  await expectDecodingFrom(owner, [bId]);
  await expectAudioFrom(owner, [bId]);
  return { token, owner, b, bId, userId: created.json.id };
}

/** The SSRCs of B's tracks as A receives them (camera and microphone). */
function inboundSsrcsFrom(owner, participantId) {
  return owner.evaluate(async (id) => {
    const peers = window.__plenumPeers;
    const mids = new Set(peers.remote().filter((r) => r.participant_id === id).map((r) => r.mid));
    const ssrcs = [];
    for (const t of peers.subscribe.getTransceivers()) {
      if (!t.mid || !mids.has(t.mid)) continue;
      for (const s of (await t.receiver.getStats()).values()) if (s.type === 'inbound-rtp') ssrcs.push(s.ssrc);
    }
    return ssrcs;
  }, participantId);
}

/**
 * Samples A's inbound bytesReceived for `ssrcs` every 100 ms from now on. A stream whose
 * stats vanish (A dropped the track) keeps its last value, i.e. counts as not growing.
 * `stoppedAfter(t)` resolves with the timestamp of the last growth once nothing has grown
 * for 300 ms at or after `t`.
 */
function sampleBytes(owner, ssrcs) {
  const last = new Map();
  let lastGrowth = null;
  let present = ssrcs.length;
  let running = true;
  const read = () =>
    owner.evaluate(async (wanted) => {
      const out = {};
      (await window.__plenumPeers.subscribe.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && wanted.includes(s.ssrc)) out[s.ssrc] = s.bytesReceived ?? 0;
      });
      return out;
    }, ssrcs);
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const bytes = await read();
      const at = Date.now();
      present = Object.keys(bytes).length;
      for (const [ssrc, value] of Object.entries(bytes)) {
        if (value > (last.get(ssrc) ?? Infinity)) lastGrowth = at;
        if (!last.has(ssrc) || value > last.get(ssrc)) last.set(ssrc, value);
      }
      await delay(Math.max(0, SAMPLE_MS - (Date.now() - started)));
    }
  })();
  return {
    lastGrowth: () => lastGrowth,
    /** How many of the streams A still reports (0 once A has dropped B's tracks). */
    present: () => present,
    async stoppedAfter(t, { timeout = 10_000 } = {}) {
      await waitFor(() => lastGrowth !== null && Date.now() - Math.max(lastGrowth, t) >= QUIET_MS, {
        timeout,
        interval: 20,
        message: "B's media to stop growing at A",
      });
      return lastGrowth;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Starts sampling, makes sure B's bytes grow at A before the cut, runs `cut()` (which
 * returns the instant the cut is measured from) and returns the socket and media delays.
 */
async function measureCut(label, { owner, b, bId }, cut) {
  const ssrcs = await inboundSsrcsFrom(owner, bId);
  assert.ok(ssrcs.length >= 2, `A receives B's camera and microphone (${ssrcs.length} streams)`);
  const sampler = sampleBytes(owner, ssrcs);
  try {
    const before = Date.now();
    await waitFor(() => (sampler.lastGrowth() ?? 0) > before, { interval: 20, message: "B's bytes to grow at A before the cut" });
    const from = await cut();
    const close = await waitFor(() => b.evaluate(() => window.__cut.closes[0] ?? null), {
      timeout: 15_000,
      interval: 20,
      message: "B's socket to close",
    });
    const mediaStopped = await sampler.stoppedAfter(from);
    const socketMs = close.at - from;
    const mediaMs = mediaStopped - from;
    const streams = `${sampler.present()} of ${ssrcs.length} of B's streams still in A's stats`;
    const reason = await waitFor(() => closedReason(b), { timeout: 3000, message: "B's banner" }).catch(() => null);
    console.log(`${label}: B's socket closed (${close.code}, banner ${reason}) after ${socketMs} ms; B's media last grew at A ${mediaMs} ms after (${streams})`);
    return { socketMs, mediaMs, code: close.code };
  } finally {
    await sampler.stop();
  }
}

function assertWithinLimit(label, { socketMs, mediaMs }) {
  assert.ok(socketMs < LIMIT_MS, `${label}: socket closed after ${socketMs} ms`);
  assert.ok(mediaMs < LIMIT_MS, `${label}: media stopped after ${mediaMs} ms`);
}

test('ban: the banned participant loses socket and media within a second', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const ctx = await meetingWithB(server, chromium);
    const page = ctx.owner.page;
    await page.getByRole('button', { name: `Actions for ${B_NAME}`, exact: true }).click();
    const ban = page.getByRole('button', { name: `Ban ${B_NAME}`, exact: true });
    await ban.waitFor();
    // Measured from the moment A's page sends `moderation.ban`: the click's own latency in a
    // loaded headless browser is not the server's.
    const result = await measureCut('ban', ctx, async () => {
      const clicked = Date.now();
      await ban.click();
      const sent = await waitFor(() => ctx.owner.evaluate(() => window.__cut.sent.find((f) => f.type === 'moderation.ban')), {
        interval: 20,
        message: 'A to send moderation.ban',
      });
      console.log(`ban: A's page sent moderation.ban ${sent.at - clicked} ms after the click began`);
      return sent.at;
    });
    assert.equal(result.code, 4403);
    assertWithinLimit('ban', result);
  }),
);

test('role removal: an administrator setting the role to none cuts socket and media within a second', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const ctx = await meetingWithB(server, chromium);
    const result = await measureCut('role removal', ctx, async () => {
      const at = Date.now();
      const r = await rest(server, 'PATCH', `/tenants/default/users/${ctx.userId}`, { token: ctx.token, body: { role: 'none' } });
      assert.equal(r.status, 200, r.text);
      return at;
    });
    assert.equal(result.code, 4401);
    assertWithinLimit('role removal', result);
  }),
);

test('logout: B logging out from its page cuts socket and media within a second', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const ctx = await meetingWithB(server, chromium);
    const result = await measureCut('logout', ctx, async () => {
      const at = Date.now();
      const status = await ctx.b.evaluate(async () => (await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' })).status);
      assert.equal(status, 204);
      return at;
    });
    assert.equal(result.code, 4401);
    assertWithinLimit('logout', result);
  }),
);

// The shortest access lifetime the configuration allows (docs/configuration.md).
const SHORTEST_LIFETIME_S = 30;

test('token expiry without renewal cuts socket and media within a second of exp', { timeout: 240_000 }, () =>
  scenario(
    async ({ server, chromium }) => {
      const ctx = await meetingWithB(server, chromium);
      // From now on B cannot renew: neither its account token nor its meeting token.
      let blocked = 0;
      const refuse = (route) => {
        blocked++;
        return route.abort();
      };
      await ctx.b.page.route('**/api/v1/auth/refresh', refuse);
      await ctx.b.page.route('**/api/v1/meetings/*/join-token', refuse);
      const result = await measureCut('token expiry', ctx, async () => {
        // Measured from the expiry of the token the socket last ran on: a renewal obtained
        // before the block may still have been handed over, so read `expires_at` only once
        // the socket has closed.
        await waitFor(() => ctx.b.evaluate(() => window.__cut.closes.length > 0), {
          timeout: (SHORTEST_LIFETIME_S + 15) * 1000,
          interval: 20,
          message: 'the expiry close',
        });
        return Date.parse(await ctx.b.evaluate(() => window.__cut.expiresAt));
      });
      console.log(`token expiry: ${blocked} renewal request(s) refused`);
      assert.equal(result.code, 4401);
      assert.ok(result.socketMs > -LIMIT_MS, `the socket was not closed long before exp (${result.socketMs} ms)`);
      assertWithinLimit('token expiry', result);
    },
    { env: { PLENUM_TOKENS__ACCESS_LIFETIME: String(SHORTEST_LIFETIME_S) } },
  ),
);
