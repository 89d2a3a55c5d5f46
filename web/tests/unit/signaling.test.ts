// The signaling client against a real WebSocket server (node `ws`) on loopback: requests
// are matched to answers by txn, in any order, and nothing waits forever.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { SignalingClient, SignalingError, type SocketLike } from '../../src/signaling';
import type { ServerMessage } from '../../src/protocol';

type Handler = (message: { type: string; txn?: string; payload: unknown }, reply: (frame: object) => void) => void;

let server: WebSocketServer;
let url: string;
let handler: Handler;
const factory = (u: string) => new WebSocket(u) as unknown as SocketLike;

beforeEach(async () => {
  handler = () => {};
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  if (typeof address === 'string' || address === null) throw new Error('no port');
  url = `ws://127.0.0.1:${address.port}/api/v1/signaling`;
  server.on('connection', (socket) => {
    socket.on('message', (data: RawData) => {
      const message = JSON.parse(String(data)) as { type: string; txn?: string; payload: unknown };
      handler(message, (frame) => socket.send(JSON.stringify(frame)));
    });
  });
});

afterEach(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function connect(timeoutMs = 2000): Promise<SignalingClient> {
  const client = new SignalingClient(url, factory, { requestTimeoutMs: timeoutMs });
  await client.opened;
  return client;
}

describe('SignalingClient', () => {
  it('resolves each request with the answer carrying its txn, even out of order', async () => {
    const held: Array<() => void> = [];
    handler = (m, reply) => {
      held.push(() => reply({ type: 'chat.sent', txn: m.txn, payload: { id: (m.payload as { text: string }).text.length } }));
      if (held.length === 2) {
        // Answer the second request first.
        held[1]?.();
        held[0]?.();
      }
    };
    const client = await connect();
    const [first, second] = await Promise.all([
      client.request('chat.send', { text: 'a' }),
      client.request('chat.send', { text: 'bbb' }),
    ]);
    expect(first).toMatchObject({ type: 'chat.sent', payload: { id: 1 } });
    expect(second).toMatchObject({ type: 'chat.sent', payload: { id: 3 } });
    client.close();
  });

  it('rejects with the server error code when the answer is an error', async () => {
    handler = (m, reply) => reply({ type: 'error', txn: m.txn, payload: { code: 'forbidden', message: 'not a moderator' } });
    const client = await connect();
    const error = await client.request('moderation.mute_all', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalingError);
    expect((error as SignalingError).code).toBe('forbidden');
    client.close();
  });

  it('passes events and answers that are also state to onMessage, but not error answers', async () => {
    handler = (m, reply) => {
      if (m.type === 'room.join') {
        reply({ type: 'participant.joined', payload: { id: 'x' } });
        reply({ type: 'room.waiting', txn: m.txn, payload: {} });
      } else {
        reply({ type: 'error', txn: m.txn, payload: { code: 'not_joined', message: '' } });
        reply({ type: 'error', payload: { code: 'rate_limited', message: '' } });
      }
    };
    const client = await connect();
    const seen: ServerMessage['type'][] = [];
    client.onMessage = (m) => seen.push(m.type);
    await client.request('room.join', {});
    await client.request('hand.raise', {}).catch(() => {});
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual(['participant.joined', 'room.waiting', 'error']);
    client.close();
  });

  it('ignores frames it does not understand and keeps working', async () => {
    handler = (m, reply) => {
      reply({ type: 'future.feature', payload: {} });
      reply({ nonsense: true });
      reply({ type: 'session.refreshed', txn: m.txn, payload: { expires_at: 'x' } });
    };
    const client = await connect();
    await expect(client.request('session.refresh', { token: 't' })).resolves.toMatchObject({ type: 'session.refreshed' });
    client.close();
  });

  it('rejects pending requests when the socket closes, with onClose getting the code', async () => {
    let closeCode = 0;
    handler = () => {
      for (const c of server.clients) c.close(4403, 'removed');
    };
    const client = await connect();
    client.onClose = (code) => {
      closeCode = code;
    };
    const error = await client.request('room.join', {}).catch((e: unknown) => e);
    expect((error as SignalingError).code).toBe('closed');
    expect(closeCode).toBe(4403);
    expect(client.isOpen).toBe(false);
    await expect(client.request('hand.raise', {})).rejects.toMatchObject({ code: 'closed' });
  });

  it('times out a request without an answer, or resolves null when no answer is expected', async () => {
    const client = await connect(100);
    await expect(client.request('session.refresh', { token: 't' })).rejects.toMatchObject({ code: 'timeout' });
    await expect(client.request('media.state', { mic: true, camera: true, screen: false }, false)).resolves.toBeNull();
    client.close();
  });

  it('refuses to send a frame above the server limit instead of being disconnected', async () => {
    const received: string[] = [];
    handler = (m) => received.push(m.type);
    const client = await connect();
    await expect(client.request('chat.send', { text: 'x'.repeat(70_000) })).rejects.toMatchObject({ code: 'too_large' });
    client.send('hand.raise', {});
    await expect.poll(() => received).toEqual(['hand.raise']);
    client.close();
  });

  it('sends the envelope of the contract', async () => {
    const frames: Array<{ type: string; txn?: string; payload: unknown }> = [];
    handler = (m) => frames.push(m);
    const client = await connect();
    client.send('media.view', { tiles: [{ participant_id: 'p', source: 'camera', width: 320, height: 180 }] });
    void client.request('session.auth', { token: 'tok' }).catch(() => {});
    await expect.poll(() => frames.length).toBe(2);
    expect(frames[0]).toEqual({
      type: 'media.view',
      payload: { tiles: [{ participant_id: 'p', source: 'camera', width: 320, height: 180 }] },
    });
    expect(frames[1]?.type).toBe('session.auth');
    expect(frames[1]?.txn).toMatch(/^c-\d+$/);
    client.close();
  });
});
