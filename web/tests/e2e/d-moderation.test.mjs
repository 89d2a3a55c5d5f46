// (d) Moderation: muting a participant is visible to everyone and stops their audio at the
// others; removing shows the removed banner; a banned guest cannot rejoin with the invite.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  audioPacketsOver,
  closedReason,
  expectAudioFrom,
  joinAsGuest,
  joinAsUser,
  meetingIdOfInvite,
  moderate,
  personState,
  scenario,
  selfId,
  waitFor,
} from './harness.mjs';

test('moderator mutes, removes and bans', { timeout: 240_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const meetingId = await meetingIdOfInvite(server, server.inviteCode);
    const owner = await chromium('owner');
    const ada = await chromium('Ada');
    const bo = await chromium('Bo');
    const cy = await chromium('Cy');
    await joinAsUser(owner, server, meetingId);
    await joinAsGuest(ada, server.inviteUrl, 'Ada');
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    await joinAsGuest(cy, server.inviteUrl, 'Cy');
    const adaId = await selfId(ada);
    const cyId = await selfId(cy);
    await expectAudioFrom(bo, [adaId, cyId]);

    // Mute Ada.
    await moderate(owner, 'Ada', 'Mute Ada');
    for (const b of [owner, bo, cy, ada]) {
      await waitFor(
        async () => {
          const s = await personState(b, adaId);
          return s && s.mic === 'off' && s.mutedByModerator === 'true';
        },
        { message: `${b.label} to show Ada muted by the moderator` },
      );
    }
    await waitFor(() => ada.page.getByText('A moderator muted your microphone.').first().isVisible(), {
      message: 'Ada to be told she was muted',
    });
    await ada.page.getByRole('button', { name: 'Unmute microphone', exact: true }).waitFor();
    // Her audio stops reaching Bo (allowing a moment for packets in flight), while Cy's
    // keeps arriving over the same kind of window.
    await waitFor(async () => (await audioPacketsOver(bo, adaId, 2000)) === 0, {
      timeout: 15_000,
      interval: 0,
      message: "Ada's audio to stop arriving at Bo",
    });
    assert.ok((await audioPacketsOver(bo, cyId, 2000)) > 0, "Cy's audio still arrives at Bo");

    // Remove Bo.
    await moderate(owner, 'Bo', 'Remove Bo');
    await waitFor(async () => (await closedReason(bo)) === 'removed', { message: 'Bo to see the removed banner' });
    await bo.page.getByText('You were removed from the meeting.').waitFor();
    await waitFor(async () => (await owner.evaluate(() => document.querySelectorAll('.person').length)) === 3, {
      message: 'Bo to leave the owner\'s list',
    });

    // Ban Cy; the same invite then refuses her.
    await moderate(owner, 'Cy', 'Ban Cy');
    await waitFor(async () => (await closedReason(cy)) === 'banned', { message: 'Cy to see the banned banner' });
    await cy.goto(`${server.inviteUrl}?lang=en`);
    await cy.fillField('Display name', 'Cy');
    await cy.clickButton('Join');
    const outcome = await waitFor(
      async () => {
        const reason = await closedReason(cy);
        if (reason) return `closed:${reason}`;
        const alert = await cy.evaluate(() => document.querySelector('form [role="alert"]')?.textContent ?? null);
        if (alert) return `form:${alert}`;
        if (await selfId(cy)) return 'joined';
        return null;
      },
      { message: "Cy's rejoin to be answered" },
    );
    assert.notEqual(outcome, 'joined', 'a banned guest must not get back in');
    assert.ok(
      ['closed:refused', 'closed:banned', 'closed:denied', 'closed:removed', 'form:You cannot join this meeting.'].includes(outcome),
      `refusal is explained (${outcome})`,
    );

    // Ada unmutes herself (allowed after a moderator's mute), then "Mute all" mutes her again.
    await ada.clickButton('Unmute microphone');
    await waitFor(
      async () => {
        const s = await personState(owner, adaId);
        return s && s.mic === 'on' && s.mutedByModerator === 'false';
      },
      { message: 'the owner to see Ada unmuted' },
    );
    await owner.clickButton('Mute all');
    await waitFor(async () => (await personState(owner, adaId))?.mutedByModerator === 'true', {
      message: '"Mute all" to mute Ada',
    });
    await ada.page.getByRole('button', { name: 'Unmute microphone', exact: true }).waitFor();

    // End the meeting for everyone (the button asks for confirmation first).
    await owner.clickButton('End meeting for all');
    await owner.clickButton('End the meeting for everyone?');
    await waitFor(async () => (await closedReason(ada)) === 'ended', { message: 'Ada to see the meeting ended' });
    await ada.page.getByText('The meeting has ended.').waitFor();
    await waitFor(async () => (await closedReason(owner)) === 'ended', { message: 'the owner to see the meeting ended' });
  }),
);
