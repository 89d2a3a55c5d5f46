// (z2) A roll-call and then a pseudonymous vote with five participants (three accounts, two guests, media off):
// the three accounts are the eligible voters, the guests get no ballot and a forged
// ballot from a guest connection is refused (`vote_not_eligible`), each voter confirms one
// ballot, a second ballot is refused (`vote_already_voted`), the vote closes by itself once
// all have voted, every client shows the same tally, and the downloaded protocol and each
// voter's receipt verify with `plenum vote verify` and the independent Python verifier; a
// receipt for a ballot not in the log fails with both. In the pseudonymous vote the UI
// explains the mode, the result lists tokens (no names) and each voter finds its own line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { adminToken, download, fiveWithoutMedia, rawSocket, REPO_DIR, rest, scenario, serverBinary, waitFor } from './harness.mjs';

const PASSWORD = 'vote-tester-password-1';

function shownVote(browser) {
  return browser.evaluate(() => {
    const vote = document.querySelector('.vote');
    if (!vote) return null;
    return {
      id: vote.dataset.voteId,
      open: vote.dataset.open === 'true',
      closed: vote.dataset.closed === 'true',
      ballotButtons: vote.querySelectorAll('.vote-ballot button').length,
      tally: Object.fromEntries([...vote.querySelectorAll('.vote-tally')].map((e) => [e.dataset.option, Number(e.dataset.count)])),
      lines: [...vote.querySelectorAll('.vote-line')].map((e) => `${e.dataset.who}:${e.dataset.option}`),
      seq: vote.querySelector('.vote-mine')?.dataset.seq ?? null,
    };
  });
}

function pythonVerifier() {
  const venv = join(REPO_DIR, 'target/vote-verify-venv/bin/python3');
  return existsSync(venv) ? venv : 'python3';
}

test('roll-call and pseudonymous votes: guests cannot vote, one ballot each, auto-close, verified protocols and receipts', { timeout: 420_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const { meetingId, owner, ute, vic, gia, hal } = await fiveWithoutMedia(server, chromium, PASSWORD);
    const token = await adminToken(server);
    const everyone = [owner, ute, vic, gia, hal];
    const voters = [owner, ute, vic];

    await owner.page.getByRole('button', { name: 'Votes', exact: true }).click();
    await owner.page.getByLabel('Subject', { exact: true }).fill('Adopt the budget');
    await owner.page.getByRole('button', { name: 'Open vote', exact: true }).click();
    for (const b of everyone) {
      await waitFor(async () => (await shownVote(b))?.open === true, { message: `${b.label} to see the open vote` });
    }
    for (const b of voters) assert.ok((await shownVote(b)).ballotButtons >= 2, `${b.label} gets a ballot`);
    for (const b of [gia, hal]) assert.equal((await shownVote(b)).ballotButtons, 0, `${b.label} (guest) gets no ballot`);

    // A forged ballot from a guest connection is refused.
    const guestToken = await rest(server, 'POST', `/invites/${server.inviteCode}/guest-token`, { body: { display_name: 'Forger' } });
    const raw = await rawSocket(server);
    raw.ws.send(JSON.stringify({ type: 'session.auth', txn: 'auth', payload: { token: guestToken.json.access_token } }));
    await raw.next((f) => f.txn === 'auth', 'auth');
    raw.ws.send(JSON.stringify({ type: 'room.join', txn: 'join', payload: {} }));
    await raw.next((f) => f.txn === 'join', 'join');
    const opened = await raw.next((f) => f.type === 'vote.opened', 'the open vote in the join snapshot');
    raw.ws.send(JSON.stringify({ type: 'vote.ballot', txn: 'forged', payload: { vote_id: opened.payload.vote_id, option: 'yes' } }));
    const forged = await raw.next((f) => f.txn === 'forged', 'the forged ballot answer');
    assert.equal(forged.payload.code, 'vote_not_eligible');

    const choices = { owner: 'Yes', Ute: 'Yes', Vic: 'No' };
    for (const b of voters) {
      await b.page.locator('.vote-ballot').getByRole('button', { name: choices[b.label], exact: true }).click();
      await b.page.getByRole('button', { name: 'Cast ballot', exact: true }).click();
      await waitFor(async () => (await shownVote(b))?.seq !== null, { message: `${b.label}'s ballot to be recorded` });
      assert.equal((await shownVote(b)).ballotButtons, 0, 'no second ballot in the UI');
      if (b === owner) {
        // A second ballot of the owner, from another connection of the same account, is refused.
        const joinToken = await rest(server, 'POST', `/meetings/${meetingId}/join-token`, { token, body: {} });
        assert.equal(joinToken.status, 200, joinToken.text);
        const again = await rawSocket(server);
        again.ws.send(JSON.stringify({ type: 'session.auth', txn: 'auth', payload: { token: joinToken.json.access_token } }));
        await again.next((f) => f.txn === 'auth', 'auth');
        again.ws.send(JSON.stringify({ type: 'room.join', txn: 'join', payload: {} }));
        await again.next((f) => f.txn === 'join', 'join');
        again.ws.send(JSON.stringify({ type: 'vote.ballot', txn: 'twice', payload: { vote_id: opened.payload.vote_id, option: 'no' } }));
        const twice = await again.next((f) => f.txn === 'twice', 'the second ballot answer');
        assert.equal(twice.payload.code, 'vote_already_voted');
        again.ws.close();
      }
    }
    const results = [];
    for (const b of everyone) {
      results.push(await waitFor(async () => ((await shownVote(b))?.closed ? shownVote(b) : null), { timeout: 30_000, message: `${b.label} to see the result (auto-close)` }));
    }
    for (const r of results) assert.deepEqual({ yes: r.tally.yes, no: r.tally.no }, { yes: 2, no: 1 });
    for (const r of results) assert.deepEqual(r.lines, results[0].lines, 'the same ballot lines everywhere');

    const dir = mkdtempSync(join(tmpdir(), 'plenum-vote-'));
    const protocolPath = join(dir, 'protocol.json');
    writeFileSync(protocolPath, await download(owner, 'Download protocol (JSON)'));
    const receipts = [];
    for (const b of voters) {
      const path = join(dir, `receipt-${b.label}.json`);
      writeFileSync(path, await download(b, 'Download my receipt'));
      receipts.push(path);
    }
    const cli = spawnSync(serverBinary(), ['vote', 'verify', protocolPath, ...receipts.flatMap((r) => ['--receipt', r])], { encoding: 'utf8' });
    assert.equal(cli.status, 0, `plenum vote verify: ${cli.stdout}${cli.stderr}`);
    const py = spawnSync(pythonVerifier(), [join(REPO_DIR, 'tools/vote-verify/plenum_vote_verify.py'), protocolPath, ...receipts.flatMap((r) => ['--receipt', r])], { encoding: 'utf8' });
    assert.equal(py.status, 0, `python verifier: ${py.stdout}${py.stderr}`);

    // The PDF (in the page's language, English here) prints the subject, the tally and
    // the checkpoint root of the JSON it belongs to.
    const pdfPath = join(dir, 'protocol.pdf');
    writeFileSync(pdfPath, await download(owner, 'Download protocol (PDF)'));
    const pdfText = spawnSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
    assert.equal(pdfText.status, 0, `pdftotext (poppler-utils): ${pdfText.stderr}`);
    const protocol = JSON.parse(readFileSync(protocolPath, 'utf8'));
    const rootHex = Buffer.from(protocol.checkpoint.split('\n')[2], 'base64').toString('hex');
    for (const expected of ['Voting protocol', 'Adopt the budget', rootHex]) {
      assert.ok(pdfText.stdout.replace(/\s+/g, '').includes(expected.replace(/\s+/g, '')), `the PDF shows ${expected}`);
    }

    // A receipt for a ballot that is not in the log fails with both verifiers.
    const forgedReceipt = JSON.parse(readFileSync(receipts[0], 'utf8'));
    forgedReceipt.ballot.entry.entry.seq += 1000;
    const forgedPath = join(dir, 'receipt-forged.json');
    writeFileSync(forgedPath, JSON.stringify(forgedReceipt));
    const cliForged = spawnSync(serverBinary(), ['vote', 'verify', protocolPath, '--receipt', forgedPath], { encoding: 'utf8' });
    assert.equal(cliForged.status, 1, `plenum vote verify must fail: ${cliForged.stdout}${cliForged.stderr}`);
    const pyForged = spawnSync(pythonVerifier(), [join(REPO_DIR, 'tools/vote-verify/plenum_vote_verify.py'), protocolPath, '--receipt', forgedPath], { encoding: 'utf8' });
    assert.notEqual(pyForged.status, 0, `python verifier must fail: ${pyForged.stdout}${pyForged.stderr}`);
    console.log(`forged receipt: plenum says ${cliForged.stdout.trim() || cliForged.stderr.trim()}`);

    // ---- pseudonymous: token lines, each voter finds its own, verified the same way
    await owner.page.getByLabel('Subject', { exact: true }).fill('Elect the chair');
    await owner.page.getByLabel('Mode', { exact: true }).selectOption('pseudonymous');
    assert.match(await owner.page.locator('.poll-create .vote-mode-explained').textContent(), /^Pseudonymous, not anonymous: the server knows during the vote/);
    await owner.page.getByRole('button', { name: 'Open vote', exact: true }).click();
    for (const b of everyone) {
      await waitFor(async () => {
        const v = await shownVote(b);
        return v && v.open && v.id !== results[0].id;
      }, { message: `${b.label} to see the pseudonymous vote` });
    }
    for (const b of voters) {
      await b.page.locator('.vote-ballot').getByRole('button', { name: choices[b.label], exact: true }).click();
      await b.page.getByRole('button', { name: 'Cast ballot', exact: true }).click();
      await waitFor(async () => (await shownVote(b))?.seq !== null, { message: `${b.label}'s pseudonymous ballot` });
    }
    const names = ['Ute', 'Vic'];
    for (const b of everyone) {
      const r = await waitFor(async () => ((await shownVote(b))?.closed ? shownVote(b) : null), { timeout: 30_000, message: `${b.label}: pseudonymous result` });
      assert.deepEqual({ yes: r.tally.yes, no: r.tally.no }, { yes: 2, no: 1 });
      assert.ok(r.lines.every((line) => !names.some((n) => line.startsWith(`${n}:`))), 'token lines, no names');
      const mine = await b.evaluate(() => document.querySelectorAll('.vote-line-mine').length);
      assert.equal(mine, voters.includes(b) ? 1 : 0, `${b.label} finds exactly its own token line`);
    }
    const pseudoProtocol = join(dir, 'protocol-2.json');
    writeFileSync(pseudoProtocol, await download(owner, 'Download protocol (JSON)'));
    const pseudoReceipts = [];
    for (const b of voters) {
      const path = join(dir, `receipt-2-${b.label}.json`);
      writeFileSync(path, await download(b, 'Download my receipt'));
      pseudoReceipts.push(path);
    }
    const args = [pseudoProtocol, ...pseudoReceipts.flatMap((r) => ['--receipt', r])];
    const cli2 = spawnSync(serverBinary(), ['vote', 'verify', ...args], { encoding: 'utf8' });
    assert.equal(cli2.status, 0, `plenum vote verify (pseudonymous): ${cli2.stdout}${cli2.stderr}`);
    const py2 = spawnSync(pythonVerifier(), [join(REPO_DIR, 'tools/vote-verify/plenum_vote_verify.py'), ...args], { encoding: 'utf8' });
    assert.equal(py2.status, 0, `python verifier (pseudonymous): ${py2.stdout}${py2.stderr}`);
    console.log(`pseudonymous vote verified: ${cli2.stdout.trim()}`);
    raw.ws.close();
  }),
);
