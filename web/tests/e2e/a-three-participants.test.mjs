// (a) Three participants — the owner via /m/{id}, two guests via the invite link — each
// decode video and receive audio from both others.
import { test } from 'node:test';
import {
  expectFullMesh,
  joinAsGuest,
  joinAsUser,
  meetingIdOfInvite,
  scenario,
} from './harness.mjs';

test('three participants decode each other\'s video and receive each other\'s audio', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const meetingId = await meetingIdOfInvite(server, server.inviteCode);
    const owner = await chromium('owner');
    const ada = await chromium('guest Ada');
    const bo = await chromium('guest Bo');
    await joinAsUser(owner, server, meetingId);
    await joinAsGuest(ada, server.inviteUrl, 'Ada');
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    await expectFullMesh([owner, ada, bo]);
  }),
);
