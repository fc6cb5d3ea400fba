// What a WebSocket client may hold before it authenticates (issue 15 item 8, `sylkrtc/limits.ts`):
// the whole server from a configuration with small limits (webrtcgateway.ini [General]
// websocket_max_connections_per_address, websocket_max_unauthenticated_accounts,
// websocket_max_password_length), real `ws` clients on 127.0.0.1. Each refusal names its limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startInProcess, type InProcessServer } from '../helpers/in-process-server.js';

let s: InProcessServer;
const open: WebSocket[] = [];
before(async () => {
  s = await startInProcess({
    gateway: {
      General: ['websocket_max_connections_per_address = 5', 'websocket_max_unauthenticated_accounts = 2', 'websocket_max_password_length = 64'],
    },
  });
});
after(async () => {
  for (const ws of open) ws.terminate();
  await s.stop();
});

type Frame = Record<string, unknown>;

/** Connect; resolves with the socket and its frames once ready-event came, or with the HTTP refusal. */
function connect(): Promise<{ ws: WebSocket; frames: Frame[] } | { status: number; body: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(s.wsUrl, 'sylkRTC-2');
    const frames: Frame[] = [];
    ws.on('message', (d) => {
      frames.push(JSON.parse(String(d)) as Frame);
      if (frames.length === 1) {
        open.push(ws);
        resolve({ ws, frames });
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    ws.on('error', (err) => {
      if (!('message' in err) || !/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

async function request(c: { ws: WebSocket; frames: Frame[] }, obj: Frame): Promise<Frame> {
  const transaction = `t${Math.random()}`;
  c.ws.send(JSON.stringify({ ...obj, transaction }));
  for (let i = 0; i < 200; i++) {
    const hit = c.frames.find((f) => f.transaction === transaction);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no answer');
}

test('connections per address: the sixth is refused with 503 naming the limit; a closed one frees a slot', async () => {
  const five = [];
  for (let i = 0; i < 5; i++) {
    const c = await connect();
    assert.ok('ws' in c, `connection ${i + 1} opens`);
    assert.equal(c.frames[0]!.sylkrtc, 'ready-event');
    five.push(c);
  }
  const sixth = await connect();
  assert.ok('status' in sixth);
  assert.equal(sixth.status, 503);
  assert.equal(sixth.body.trim(), 'Too many connections from this address (limit 5)');
  assert.equal(sixth.retryAfter, '30');
  const first = five[0]!;
  await new Promise<void>((r) => {
    first.ws.once('close', () => r());
    first.ws.close();
  });
  let again = await connect();
  for (let i = 0; i < 50 && 'status' in again; i++) {
    await new Promise((r) => setTimeout(r, 20));
    again = await connect();
  }
  assert.ok('ws' in again, 'a slot is free again');
  for (const c of [...five.slice(1), again]) c.ws.close();
});

test('an unauthenticated connection holds at most 2 accounts and passwords of at most 64 characters', async () => {
  let c = await connect();
  for (let i = 0; i < 50 && 'status' in c; i++) {
    await new Promise((r) => setTimeout(r, 20)); // the previous test's connections are closing
    c = await connect();
  }
  assert.ok('ws' in c);
  const add = (account: string, password: string) => request(c, { sylkrtc: 'account-add', account, password });
  const long = await add('a0@example.com', 'p'.repeat(65));
  assert.equal(long.sylkrtc, 'error');
  assert.equal(long.error, 'Password too long (limit 64 characters)');
  assert.equal((await add('a1@example.com', 'p'.repeat(64))).sylkrtc, 'ack');
  assert.equal((await add('a2@example.com', 'secret')).sylkrtc, 'ack');
  const third = await add('a3@example.com', 'secret');
  assert.equal(third.sylkrtc, 'error');
  assert.equal(third.error, 'Too many accounts not yet registered on this connection (limit 2); register or remove one first');
  assert.equal((await request(c, { sylkrtc: 'account-remove', account: 'a2@example.com' })).sylkrtc, 'ack');
  assert.equal((await add('a3@example.com', 'secret')).sylkrtc, 'ack', 'removing one frees its place');
});
