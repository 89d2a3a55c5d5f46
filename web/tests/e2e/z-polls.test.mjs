// (z) Polls with five participants (three accounts, two guests), cameras and microphones
// off (media is not what this is about): a named poll with live results — everyone sees the
// same counts as they come in, a guest answers and changes the answer, only the moderator
// sees who chose what until shared, the CSV and JSON downloads hold the result; a late
// joiner (a raw socket) gets the poll on joining, and its answer for an unknown option is
// refused with `poll_unknown_option` while the poll goes on; an anonymous multiple-choice
// poll with results at close — participants see only how many answered until the moderator
// closes and shares, nobody ever receives names; a poll with a time limit closes by itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { download, fiveWithoutMedia, rawSocket, rest, scenario, waitFor } from './harness.mjs';

const PASSWORD = 'poll-tester-password-1';

/** What a browser shows of the current poll. */
function shownPoll(browser) {
  return browser.evaluate(() => {
    const poll = document.querySelector('.poll');
    if (!poll) return null;
    return {
      id: Number(poll.dataset.pollId),
      open: poll.dataset.open === 'true',
      shared: poll.dataset.shared === 'true',
      answerCount: Number(poll.dataset.answerCount),
      mine: poll.dataset.myChoices,
      counts: [...poll.querySelectorAll('.poll-result')].map((e) => Number(e.dataset.count)),
      hidden: poll.querySelector('.poll-hidden') !== null,
      answers: [...poll.querySelectorAll('.poll-answer-row')].map((e) => `${e.dataset.name}:${e.dataset.choices}`),
    };
  });
}

/** Waits until every browser shows a poll for which `check` holds; returns the last views. */
async function expectEverywhere(browsers, check, message) {
  const views = [];
  for (const b of browsers) {
    views.push(
      await waitFor(
        async () => {
          const poll = await shownPoll(b);
          return poll && check(poll, b) ? poll : null;
        },
        { message: `${b.label}: ${message}` },
      ),
    );
  }
  return views;
}

async function createPoll(browser, { question, options, multiple = false, anonymous = false, atClose = false, minutes = '' }) {
  const page = browser.page;
  await page.getByLabel('Question', { exact: true }).fill(question);
  for (let i = 2; i < options.length; i += 1) await page.getByRole('button', { name: 'Add option', exact: true }).click();
  for (const [i, option] of options.entries()) await page.getByLabel(`Option ${i + 1}`, { exact: true }).fill(option);
  if (multiple) await page.getByLabel('Allow several answers', { exact: true }).check();
  if (anonymous) await page.getByLabel('Anonymous (nobody sees who chose what)', { exact: true }).check();
  if (atClose) await page.getByLabel('Show results', { exact: true }).selectOption('at_close');
  if (minutes) await page.getByLabel('Time limit in minutes (optional)', { exact: true }).fill(minutes);
  await page.getByRole('button', { name: 'Start poll', exact: true }).click();
}

/**
 * Ticks `choices` (option texts), sends the answer with the button named `submit` and waits
 * until the server's view shows it, so answers reach the server in the order given.
 */
async function answer(browser, choices, { multiple = false, submit = 'Answer' } = {}) {
  const before = (await shownPoll(browser))?.mine;
  const role = multiple ? 'checkbox' : 'radio';
  const form = browser.page.locator('form.poll-answer');
  for (const choice of choices) await form.getByRole(role, { name: choice, exact: true }).check();
  await form.getByRole('button', { name: submit, exact: true }).click();
  await waitFor(async () => (await shownPoll(browser))?.mine !== before, { message: `${browser.label}'s answer to be recorded` });
}

test('polls: named and anonymous, live and at close, five participants', { timeout: 420_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const { owner, ute, vic, gia, hal } = await fiveWithoutMedia(server, chromium, PASSWORD);
    const everyone = [owner, ute, vic, gia, hal];
    const participants = [ute, vic, gia, hal];

    // ---- named, single choice, live results
    assert.equal(await ute.page.getByRole('button', { name: 'Start poll', exact: true }).count(), 0, 'only moderators create polls');
    await owner.page.getByRole('button', { name: 'Polls', exact: true }).click();
    await createPoll(owner, { question: 'Where do we meet?', options: ['Berlin', 'Hamburg', 'Online'] });
    // The panel opens by itself for everyone when a poll starts.
    await expectEverywhere(everyone, (p) => p.id === 1 && p.open && p.counts.join() === '0,0,0', 'the new poll with zero counts');

    await answer(owner, ['Berlin']);
    await answer(ute, ['Berlin']);
    await answer(vic, ['Hamburg']);
    await answer(gia, ['Online']);
    await answer(hal, ['Berlin']);
    await expectEverywhere(everyone, (p) => p.answerCount === 5 && p.counts.join() === '3,1,1', 'live counts 3/1/1');
    assert.equal((await shownPoll(gia)).mine, '2', 'the guest sees its own answer');

    // A late joiner gets the poll with its join; its answer for an unknown option is refused.
    const guestToken = await rest(server, 'POST', `/invites/${server.inviteCode}/guest-token`, { body: { display_name: 'Raw' } });
    assert.equal(guestToken.status, 200, guestToken.text);
    const raw = await rawSocket(server);
    raw.ws.send(JSON.stringify({ type: 'session.auth', txn: 'auth', payload: { token: guestToken.json.access_token } }));
    await raw.next((f) => f.txn === 'auth', 'the auth answer');
    raw.ws.send(JSON.stringify({ type: 'room.join', txn: 'join', payload: {} }));
    await raw.next((f) => f.txn === 'join', 'the join answer');
    const snapshot = await raw.next((f) => f.type === 'poll.state', 'the poll in the join snapshot');
    assert.deepEqual(
      { id: snapshot.payload.id, open: snapshot.payload.open, counts: snapshot.payload.counts, answers: snapshot.payload.answers },
      { id: 1, open: true, counts: [3, 1, 1], answers: null },
      'a guest sees live counts but not who chose what',
    );
    raw.ws.send(JSON.stringify({ type: 'poll.answer', txn: 'bad', payload: { poll_id: 1, choices: [7] } }));
    const refused = await raw.next((f) => f.txn === 'bad', 'the answer to a bad choice');
    assert.equal(refused.type, 'error');
    assert.equal(refused.payload.code, 'poll_unknown_option');
    assert.match(refused.payload.message, /no option 7/);

    // The poll goes on: Hal changes his answer.
    await answer(hal, ['Hamburg'], { submit: 'Change answer' });
    const afterChange = await expectEverywhere(everyone, (p) => p.answerCount === 5 && p.counts.join() === '2,2,1', 'counts 2/2/1 after a change');
    // The moderator sees who chose what, in the order people first answered.
    const ownerName = afterChange[0].answers[0]?.split(':')[0];
    assert.deepEqual(afterChange[0].answers, [`${ownerName}:0`, 'Ute:0', 'Vic:1', 'Gia:2', 'Hal:1']);
    for (const [i, view] of afterChange.entries()) {
      if (i > 0) assert.deepEqual(view.answers, [], `${everyone[i].label} sees no names before sharing`);
    }

    await owner.page.getByRole('button', { name: 'Close poll', exact: true }).click();
    await expectEverywhere(everyone, (p) => !p.open && p.counts.join() === '2,2,1', 'the closed poll keeps its counts');
    assert.equal(await gia.page.locator('form.poll-answer').count(), 0, 'no answer form once closed');
    await owner.page.getByRole('button', { name: 'Share results', exact: true }).click();
    const shared = await expectEverywhere(everyone, (p) => p.shared && p.answers.length === 5, 'names after sharing');
    for (const view of shared) assert.deepEqual(view.answers, afterChange[0].answers);

    const csv = (await download(owner, 'Download CSV')).toString('utf8');
    assert.equal(
      csv,
      [
        '"Option","Count"',
        '"Berlin","2"',
        '"Hamburg","2"',
        '"Online","1"',
        '',
        '"Name","Choices"',
        `"${ownerName}","Berlin"`,
        '"Ute","Berlin"',
        '"Vic","Hamburg"',
        '"Gia","Online"',
        '"Hal","Hamburg"',
        '',
      ].join('\r\n'),
    );
    const json = JSON.parse((await download(gia, 'Download JSON')).toString('utf8'));
    assert.deepEqual(json.results, [
      { option: 'Berlin', count: 2 },
      { option: 'Hamburg', count: 2 },
      { option: 'Online', count: 1 },
    ]);
    assert.equal(json.answers.length, 5, 'the guest exports the shared names too');

    // ---- anonymous, multiple choice, results at close
    await createPoll(owner, { question: 'Which topics?', options: ['Budget', 'Hiring'], multiple: true, anonymous: true, atClose: true });
    await expectEverywhere(everyone, (p) => p.id === 2 && p.open && p.answerCount === 0, 'the second poll');
    await answer(ute, ['Budget', 'Hiring'], { multiple: true });
    await answer(gia, ['Hiring'], { multiple: true });
    await answer(vic, ['Budget'], { multiple: true });
    await expectEverywhere(participants, (p) => p.answerCount === 3 && p.hidden && p.counts.length === 0, 'only the number of answers');
    await expectEverywhere([owner], (p) => p.answerCount === 3 && p.counts.join() === '2,2' && p.answers.length === 0, 'moderator counts, no names');
    await owner.page.getByRole('button', { name: 'Close poll', exact: true }).click();
    await expectEverywhere(participants, (p) => !p.open && p.hidden, 'still hidden after close');
    await owner.page.getByRole('button', { name: 'Share results', exact: true }).click();
    await expectEverywhere(everyone, (p) => p.shared && p.counts.join() === '2,2' && p.answers.length === 0, 'shared counts, never names');
    assert.equal((await shownPoll(ute)).mine, '0,1', 'Ute still sees her own answer after the server forgot it');
    const anonymousFrames = raw.frames.filter((f) => f.type === 'poll.state' && f.payload.id === 2);
    assert.ok(anonymousFrames.length >= 5, 'the raw socket followed the anonymous poll');
    assert.ok(anonymousFrames.every((f) => f.payload.answers === null), 'no names ever reach anyone in an anonymous poll');

    // ---- a time limit closes the poll by itself (0.2 minutes = 12 s)
    await createPoll(owner, { question: 'Coffee?', options: ['Yes', 'No'], minutes: '0.2' });
    await expectEverywhere(everyone, (p) => p.id === 3 && p.open, 'the timed poll');
    await answer(hal, ['Yes']);
    await waitFor(async () => (await shownPoll(gia))?.open === false, { timeout: 30_000, message: 'the timed poll to close by itself' });
    await expectEverywhere(everyone, (p) => p.id === 3 && !p.open && p.counts.join() === '1,0', 'the timed poll closed with its count');
    raw.ws.close();
  }),
);
