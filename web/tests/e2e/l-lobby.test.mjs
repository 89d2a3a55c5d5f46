// The pre-join lobby: the preview plays and the level meter moves, the chosen devices are
// the ones published (deviceId exact, checked on the live senders), joining with the
// camera off sends audio but no video until the camera is turned on, and refused
// permissions are explained while joining stays possible.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHROMIUM_ARGS,
  enterFromLobby,
  expectAudioFrom,
  expectDecodingFrom,
  inbound,
  meetingIdOfInvite,
  scenario,
  selfId,
  waitFor,
  waitJoined,
} from './harness.mjs';

/** The lobby's preview facts: is a frame shown and is time moving, what the meter says. */
function lobbyState(browser) {
  return browser.evaluate(() => {
    const video = document.querySelector('form[data-lobby] video');
    const meter = document.querySelector('form[data-lobby] meter');
    return {
      playing: !!video && !video.hidden && video.readyState >= 2 && video.videoWidth > 0,
      time: video?.currentTime ?? 0,
      level: meter ? Number(meter.value) : -1,
      cameras: [...document.querySelectorAll('form[data-lobby] select')][0]?.options.length ?? 0,
    };
  });
}

/** The device ids of the tracks the publish connection is sending. */
function publishedDevices(browser) {
  return browser.evaluate(() =>
    (window.__plenumPeers?.publish?.getSenders() ?? [])
      .filter((s) => s.track)
      .map((s) => ({ kind: s.track.kind, deviceId: s.track.getSettings().deviceId })),
  );
}

test('join from the lobby with chosen devices, and with the camera off', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const meetingId = await meetingIdOfInvite(server, server.inviteCode);
    const owner = await chromium('owner');
    await owner.goto(`${server.url}/m/${meetingId}?lang=en`);
    await owner.fillField('Username', server.adminUser);
    await owner.fillField('Password', server.adminPassword);
    await owner.clickButton('Sign in');

    // The preview plays (time advances on a real frame) and the fake microphone's beeps move the meter.
    const first = await waitFor(async () => {
      const s = await lobbyState(owner);
      return s.playing ? s : null;
    }, { message: 'the lobby preview to play' });
    await waitFor(async () => (await lobbyState(owner)).time > first.time, { message: 'the preview to advance' });
    await waitFor(async () => (await lobbyState(owner)).level > 0, { message: 'the level meter to move' });

    // Choose a microphone other than the one the browser picked, and the last camera.
    const page = owner.page;
    const camera = page.getByLabel('Camera', { exact: true });
    const mic = page.getByLabel('Microphone', { exact: true });
    const cameraIds = await camera.locator('option').evaluateAll((os) => os.map((o) => o.value));
    const micIds = await mic.locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(cameraIds.length >= 1 && micIds.length >= 1, `devices listed: ${cameraIds.length} cameras, ${micIds.length} mics`);
    const currentMic = await mic.inputValue();
    const chosenMic = micIds.find((id) => id !== currentMic) ?? currentMic;
    const chosenCamera = cameraIds[cameraIds.length - 1];
    await mic.selectOption(chosenMic);
    await camera.selectOption(chosenCamera);
    await waitFor(
      () => owner.evaluate(() => document.querySelector('form[data-lobby] video')?.srcObject?.getVideoTracks()[0]?.getSettings().deviceId),
      { message: 'the preview to use the chosen camera' },
    ).then((id) => assert.equal(id, chosenCamera));
    await enterFromLobby(owner);
    await waitJoined(owner);
    const ownerId = await selfId(owner);
    const published = await waitFor(async () => {
      const d = await publishedDevices(owner);
      return d.length === 2 ? d : null;
    }, { message: 'the owner to publish camera and microphone' });
    assert.deepEqual(
      published.map((d) => [d.kind, d.deviceId]).sort(),
      [['audio', chosenMic], ['video', chosenCamera]],
      'the chosen devices are published',
    );

    // A guest joins with the camera off: audio flows both ways, no video of the guest exists.
    const guest = await chromium('guest');
    await guest.goto(`${server.inviteUrl}?lang=en`);
    await guest.fillField('Display name', 'Quiet');
    await guest.clickButton('Turn camera off');
    await waitFor(async () => (await lobbyState(guest)).playing === false, { message: 'the guest preview to stop' });
    await enterFromLobby(guest);
    await waitJoined(guest);
    const guestId = await selfId(guest);
    await expectDecodingFrom(guest, [ownerId]);
    await expectAudioFrom(owner, [guestId]);
    const fromGuest = (await inbound(owner)).filter((s) => s.participant_id === guestId);
    assert.deepEqual(fromGuest.map((s) => s.source), ['microphone'], 'only audio arrives from the guest');
    assert.deepEqual((await publishedDevices(guest)).map((d) => d.kind), ['audio']);

    // Turning the camera on in the meeting captures and publishes it then.
    await guest.clickButton('Turn camera on');
    await expectDecodingFrom(owner, [guestId]);
  }),
);

test('refused camera and microphone are explained, and joining still works', { timeout: 90_000 }, () =>
  scenario(async ({ server, chromium }) => {
    // Without the auto-accepting fake prompt, headless Chromium refuses every capture request.
    const args = CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream');
    const guest = await chromium('refusing guest', { args });
    await guest.goto(`${server.inviteUrl}?lang=en`);
    const problems = await waitFor(
      () => guest.evaluate(() => {
        const found = [...document.querySelectorAll('[data-problem]')].map((e) => e.getAttribute('data-problem')).sort();
        return found.length === 2 ? found : null;
      }),
      { message: 'both refusals to be shown' },
    );
    assert.deepEqual(problems, ['camera-denied', 'mic-denied']);
    await guest.page.getByText('Access to the camera was denied.').waitFor();
    await guest.fillField('Display name', 'Nocam');
    await enterFromLobby(guest);
    await waitJoined(guest);
  }),
);
