#!/usr/bin/env node
// Benchmark (not a test): join N Chromium participants (default 3) to the server's demo
// meeting and print
//  - per participant, the time from starting navigation to the first decoded remote video
//    frame (polling getStats framesDecoded > 0), and
//  - the server's CPU time per forwarded packet over a fixed 20 s window: utime+stime from
//    /proc/<pid>/stat before and after, divided by the packets all receivers got in that
//    window (sum of inbound-rtp packetsReceived deltas) — every received packet was
//    forwarded by the SFU once.
// Usage: node tests/bench/join-to-first-frame.mjs [N]   (PLENUM_BIN selects the binary)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Browser, joinAsGuest, startServer, waitFor } from '../e2e/harness.mjs';

const n = Math.max(2, Number.parseInt(process.argv[2] ?? '3', 10) || 3);
const WINDOW_MS = 20_000;

function cpuTicks(pid) {
  // Fields after the command name (which is in parentheses and may contain spaces).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

async function packetsReceived(browser) {
  return browser.evaluate(async () => {
    const pc = window.__plenumPeers?.subscribe;
    if (!pc) return 0;
    let total = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') total += s.packetsReceived ?? 0;
    });
    return total;
  });
}

async function firstFrameMs(browser, started) {
  await waitFor(
    () =>
      browser.evaluate(async () => {
        const pc = window.__plenumPeers?.subscribe;
        if (!pc) return false;
        let decoded = false;
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) > 0) decoded = true;
        });
        return decoded;
      }),
    { timeout: 60_000, interval: 10, message: `${browser.label} first frame` },
  );
  return Date.now() - started;
}

const server = await startServer();
const browsers = [];
let exitCode = 0;
try {
  for (let i = 0; i < n; i++) browsers.push(await Browser.chromium(`participant ${i + 1}`));
  // Everyone navigates at once, as a meeting start would look; each clock starts at its own
  // navigation.
  const results = await Promise.all(
    browsers.map(async (b, i) => {
      const started = Date.now();
      await joinAsGuest(b, server.inviteUrl, `Bench ${i + 1}`, { waitJoined: false });
      return firstFrameMs(b, started);
    }),
  );
  console.log(`join → first decoded remote frame (${n} participants, Chromium, loopback):`);
  results.forEach((ms, i) => console.log(`  participant ${i + 1}: ${ms} ms`));
  const sorted = [...results].sort((a, b) => a - b);
  console.log(`  median: ${sorted[Math.floor(sorted.length / 2)]} ms`);

  const hz = clockTicks();
  const ticksBefore = cpuTicks(server.pid);
  const packetsBefore = (await Promise.all(browsers.map(packetsReceived))).reduce((a, b) => a + b, 0);
  await delay(WINDOW_MS);
  const ticksAfter = cpuTicks(server.pid);
  const packetsAfter = (await Promise.all(browsers.map(packetsReceived))).reduce((a, b) => a + b, 0);
  const cpuMs = ((ticksAfter - ticksBefore) * 1000) / hz;
  const packets = packetsAfter - packetsBefore;
  console.log(`server over ${WINDOW_MS / 1000} s:`);
  console.log(`  CPU time: ${cpuMs.toFixed(0)} ms (${((cpuMs / WINDOW_MS) * 100).toFixed(1)} % of one core)`);
  console.log(`  forwarded packets (received by all participants): ${packets} (${(packets / (WINDOW_MS / 1000)).toFixed(0)}/s)`);
  console.log(`  CPU per forwarded packet: ${packets > 0 ? ((cpuMs * 1000) / packets).toFixed(1) : 'n/a'} µs`);
  console.log(`  (CPU resolution is one clock tick = ${(1000 / hz).toFixed(0)} ms)`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  console.error(server.log.slice(-30).join('\n'));
  exitCode = 1;
} finally {
  await Promise.all(browsers.map((b) => b.close()));
  await server.stop();
}
process.exit(exitCode);
