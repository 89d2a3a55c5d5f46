// (i) Bad input on the signaling socket of a running meeting — malformed JSON, an unknown
// type, an invalid SDP offer, an unknown participant id, an oversized frame, and a first
// message that is not session.auth — gets the contract's errors and close codes, while
// media between two browsers in the same meeting keeps flowing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectDecodingFrom, joinAsGuest, rawSocket, rest, scenario, selfId, waitFor } from './harness.mjs';

test('bad signaling input is answered per contract and media keeps flowing', { timeout: 180_000 }, () =>
  scenario(async ({ server, chromium }) => {
    const ada = await chromium('Ada');
    const bo = await chromium('Bo');
    await joinAsGuest(ada, server.inviteUrl, 'Ada');
    await joinAsGuest(bo, server.inviteUrl, 'Bo');
    const adaId = await selfId(ada);
    const boId = await selfId(bo);
    await expectDecodingFrom(ada, [boId]);
    await expectDecodingFrom(bo, [adaId]);

    const guest = await rest(server, 'POST', `/invites/${server.inviteCode}/guest-token`, {
      body: { display_name: 'Mallory' },
    });
    assert.equal(guest.status, 200, guest.text);
    const token = guest.json.access_token;

    // Not authenticating first is a protocol violation: close 4400.
    const early = await rawSocket(server);
    early.ws.send(JSON.stringify({ type: 'room.join', payload: {} }));
    await waitFor(() => early.state.closed, { timeout: 10_000, message: 'close for a missing auth' });
    assert.equal(early.state.closed, 4400);

    const s = await rawSocket(server);
    s.ws.send(JSON.stringify({ type: 'session.auth', txn: 'auth', payload: { token } }));
    await s.next((f) => f.txn === 'auth', 'the auth answer');
    assert.equal(s.frames.find((f) => f.txn === 'auth').type, 'session.authenticated');
    s.ws.send(JSON.stringify({ type: 'room.join', txn: 'join', payload: { display_name: 'Mallory' } }));
    const joined = await s.next((f) => f.txn === 'join', 'the join answer');
    assert.equal(joined.type, 'room.join_success');

    // Malformed JSON: an error, connection stays open.
    s.ws.send('{"type": "chat.send", "payload": {');
    const malformed = await s.next((f) => f.type === 'error' && f.payload?.code === 'bad_message', 'bad_message');
    assert.ok(malformed.payload.message);

    s.ws.send(JSON.stringify({ type: 'chat.shout', txn: 'u1', payload: {} }));
    const unknown = await s.next((f) => f.txn === 'u1', 'answer to an unknown type');
    assert.equal(unknown.type, 'error');
    assert.equal(unknown.payload.code, 'unknown_type');

    s.ws.send(JSON.stringify({ type: 'chat.send', txn: 'p1', payload: { text: 42 } }));
    const badPayload = await s.next((f) => f.txn === 'p1', 'answer to a malformed payload');
    assert.equal(badPayload.payload.code, 'bad_message');

    s.ws.send(
      JSON.stringify({
        type: 'media.publish_offer',
        txn: 'sdp1',
        payload: { sdp: 'v=0\r\nthis is not SDP\r\n', tracks: [{ mid: '0', source: 'camera' }] },
      }),
    );
    const badSdp = await s.next(
      (f) => (f.txn === 'sdp1' || f.txn === undefined) && f.type === 'error' && f.payload?.code === 'invalid_sdp',
      'invalid_sdp',
    );
    assert.equal(badSdp.type, 'error');

    const nobody = '00000000-0000-4000-8000-000000000000';
    s.ws.send(JSON.stringify({ type: 'chat.send', txn: 'nobody', payload: { text: 'hello?', to: nobody } }));
    const notFound = await s.next((f) => f.txn === 'nobody', 'answer to an unknown recipient');
    assert.equal(notFound.type, 'error');
    assert.equal(notFound.payload.code, 'not_found');

    // A guest trying to moderate: forbidden, still connected.
    s.ws.send(JSON.stringify({ type: 'moderation.remove', txn: 'mod', payload: { participant_id: adaId } }));
    const forbidden = await s.next((f) => f.txn === 'mod', 'answer to a forbidden moderation');
    assert.equal(forbidden.payload.code, 'forbidden');

    s.ws.send(JSON.stringify({ type: 'hand.raise', txn: 'alive', payload: {} }));
    await waitFor(
      () => s.frames.find((f) => f.type === 'participant.updated' && f.payload?.hand_raised === true) ?? (s.state.closed !== null ? Promise.reject(new Error('closed')) : null),
      { timeout: 10_000, message: 'the socket to still work after bad input' },
    );

    // Oversized frame: refused with too_large, or the connection is closed (1009 / 4400).
    s.ws.send(JSON.stringify({ type: 'chat.send', txn: 'big', payload: { text: 'x'.repeat(70 * 1024) } }));
    const tooLarge = await waitFor(
      () =>
        s.frames.find((f) => f.type === 'error' && f.payload?.code === 'too_large') ??
        (s.state.closed !== null ? { closed: s.state.closed } : null),
      { timeout: 10_000, message: 'a reaction to the oversized frame' },
    );
    if ('closed' in tooLarge) assert.ok([1009, 4400].includes(tooLarge.closed), `close code ${tooLarge.closed}`);

    // The Ada–Bo media went on throughout, and the server still serves them.
    await expectDecodingFrom(ada, [boId]);
    await expectDecodingFrom(bo, [adaId]);
    assert.equal(await ada.evaluate(() => document.querySelector('[data-closed-reason]')), null);
    s.ws.terminate();
  }),
);
