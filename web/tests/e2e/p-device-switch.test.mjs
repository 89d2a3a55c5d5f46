// (p) Device switching during the meeting: with three fake cameras, microphones and
// speakers, the participant switches camera, microphone and speaker from the settings
// dialog. The camera and microphone are replaced on their senders (the publish SDP stays
// the same: no renegotiation), the other side keeps decoding, now at the new camera's
// frame shape, and remote audio plays on the chosen speaker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHROMIUM_ARGS,
  expectAudioFrom,
  expectDecodingFrom,
  inbound,
  joinAsGuest,
  scenario,
  selfId,
  statFor,
  waitFor,
} from './harness.mjs';

// Chromium's second fake camera (fake_device_1) delivers Y16 depth frames, which no video
// encoder takes (a replaced track of it sends nothing); the third (MJPEG) is a normal camera.
const THREE_CAMERAS = CHROMIUM_ARGS.map((a) =>
  a === '--use-fake-device-for-media-stream' ? '--use-fake-device-for-media-stream=device-count=3' : a,
);
const SWITCH_TO = 'fake_device_2';

/** What the publish connection sends: per kind the track's device and frame size, and the SDP. */
function publishing(browser) {
  return browser.evaluate(() => {
    const pc = window.__plenumPeers?.publish;
    const senders = (pc?.getSenders() ?? []).filter((s) => s.track);
    const of = (kind) => senders.find((s) => s.track.kind === kind)?.track.getSettings() ?? null;
    return {
      video: of('video'),
      audio: of('audio'),
      transceivers: pc?.getTransceivers().length ?? 0,
      encodings: senders.find((s) => s.track.kind === 'video')?.getParameters().encodings.length ?? 0,
      sdp: pc?.localDescription?.sdp ?? '',
    };
  });
}

async function optionsOf(page, label) {
  return page.getByLabel(label, { exact: true }).locator('option').evaluateAll((os) => os.map((o) => o.value));
}

test('camera, microphone and speaker switch mid-meeting without interrupting media', { timeout: 240_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const publisher = await chromium('publisher', { args: THREE_CAMERAS });
    const viewer = await chromium('viewer', { args: THREE_CAMERAS });
    await joinAsGuest(publisher, server.inviteUrl, 'Publisher');
    await joinAsGuest(viewer, server.inviteUrl, 'Viewer');
    const publisherId = await selfId(publisher);
    const viewerId = await selfId(viewer);
    await expectDecodingFrom(viewer, [publisherId]);
    await expectAudioFrom(publisher, [viewerId]);
    const before = await publishing(publisher);
    assert.equal(before.encodings, 3, 'the camera is sent as three simulcast layers');

    const page = publisher.page;
    await publisher.clickButton('Device settings');
    const dialog = page.getByRole('dialog', { name: 'Camera, microphone and speaker' });
    await dialog.waitFor();
    const cameraSelect = page.getByLabel('Camera', { exact: true });
    const cameras = await optionsOf(page, 'Camera');
    const mics = await optionsOf(page, 'Microphone');
    const speakers = await optionsOf(page, 'Speaker');
    assert.equal(cameras.length, 3, `three fake cameras listed: ${cameras}`);
    assert.ok(mics.length >= 2 && speakers.length >= 2, `mics ${mics.length}, speakers ${speakers.length}`);
    assert.equal(await page.getByLabel('Camera', { exact: true }).inputValue(), before.video.deviceId, 'the camera in use is selected');

    // Camera.
    const nextCamera = await cameraSelect.locator('option', { hasText: SWITCH_TO }).getAttribute('value');
    assert.notEqual(nextCamera, before.video.deviceId, 'the default camera is another one');
    const framesBefore = statFor(await inbound(viewer), publisherId, 'camera').framesDecoded;
    await cameraSelect.selectOption(nextCamera);
    const afterCamera = await waitFor(async () => {
      const p = await publishing(publisher);
      return p.video?.deviceId === nextCamera ? p : null;
    }, { message: 'the camera sender to carry the new camera' });
    assert.equal(afterCamera.sdp, before.sdp, 'no renegotiation: the publish SDP is unchanged');
    assert.equal(afterCamera.transceivers, before.transceivers);
    assert.equal(afterCamera.encodings, 3, 'still three simulcast layers');
    // The self-view shows the new camera too.
    assert.equal(
      await publisher.evaluate(() => document.querySelector('.tile-self video')?.srcObject?.getVideoTracks()[0]?.getSettings().deviceId),
      nextCamera,
    );
    // The old track is stopped, so every frame the viewer decodes from now on is the new
    // camera's: decoding goes on, at a simulcast layer of the new camera's frame size.
    const layers = [1, 2, 4].map((f) => `${afterCamera.video.width / f}x${afterCamera.video.height / f}`);
    await waitFor(
      async () => {
        const s = statFor(await inbound(viewer), publisherId, 'camera');
        return s.framesDecoded > framesBefore + 30 && layers.includes(`${s.frameWidth}x${s.frameHeight}`);
      },
      { timeout: 30_000, message: `frames of the new camera (${afterCamera.video.width}x${afterCamera.video.height})` },
    );
    await expectDecodingFrom(viewer, [publisherId]);

    // Microphone.
    const nextMic = mics.find((id) => id !== before.audio.deviceId);
    await page.getByLabel('Microphone', { exact: true }).selectOption(nextMic);
    const afterMic = await waitFor(async () => {
      const p = await publishing(publisher);
      return p.audio?.deviceId === nextMic ? p : null;
    }, { message: 'the microphone sender to carry the new microphone' });
    assert.equal(afterMic.sdp, before.sdp, 'no renegotiation for the microphone either');
    await expectAudioFrom(viewer, [publisherId]);

    // Speaker: remote audio elements play on the chosen output.
    const nextSpeaker = speakers[speakers.length - 1];
    await page.getByLabel('Speaker', { exact: true }).selectOption(nextSpeaker);
    await waitFor(
      () => publisher.evaluate((id) => {
        const audios = [...document.querySelectorAll('audio')];
        return audios.length > 0 && audios.every((a) => a.sinkId === id);
      }, nextSpeaker),
      { message: 'remote audio on the chosen speaker' },
    );

    // The dialog closes and the choice is remembered for the next meeting.
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await waitFor(async () => !(await dialog.isVisible()), { message: 'the dialog to close' });
    const remembered = JSON.parse(await publisher.evaluate(() => localStorage.getItem('plenum.devices')));
    assert.deepEqual([remembered.cameraId, remembered.micId, remembered.speakerId], [nextCamera, nextMic, nextSpeaker]);
  }),
);
