/**
 * The WebSocket transport against a real web server (src/http) and real `ws` clients: handshake
 * rules, ready-event, ping, keepalive, frame limits, malformed input, plain and TLS.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { SylkRtcGateway, type SylkRtcOptions } from '../../src/sylkrtc/server.js';
import { makeContext } from './fakes.js';

async function startServer(extra: Partial<SylkRtcOptions> = {}, certificate?: string) {
  const h = makeContext({ 'alice@example.com': 'pw' });
  const http: HttpServer = createHttpServer({ host: '127.0.0.1', port: 0, serverHeader: 'SylkServer/test', certificate: certificate ?? null });
  const gw = new SylkRtcGateway({ ...h.ctx, pingIntervalSec: 0, ...extra });
  gw.attach(http);
  const { port } = await http.listen();
  return {
    h,
    gw,
    port,
    url: `${certificate ? 'wss' : 'ws'}://127.0.0.1:${port}/webrtcgateway/ws`,
    close: async () => {
      await gw.close();
      await http.close();
    },
  };
}

/** Open a client, resolving once the first frame (ready-event) arrived. */
function open(url: string, opts: WebSocket.ClientOptions = {}, protocol: string | string[] = 'sylkRTC-2') {
  const ws = new WebSocket(url, protocol, opts);
  const frames: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const next = async (n = 1): Promise<Record<string, unknown>[]> => {
    while (frames.length < n) await new Promise<void>((r) => waiters.push(r));
    return frames.splice(0, n);
  };
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve());
  });
  return { ws, frames, next, ready };
}

function rawUpgrade(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/webrtcgateway/ws',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

let s: Awaited<ReturnType<typeof startServer>>;
before(async () => {
  s = await startServer({ webOrigins: ['https://app.example.com', 'https://*.sylk.example'] });
});
after(async () => {
  await s.close();
});

test('subprotocol sylkRTC-2 is echoed; without it the upgrade is refused with 406', async () => {
  const c = open(s.url);
  await c.ready;
  assert.equal(c.ws.protocol, 'sylkRTC-2');
  assert.deepEqual(await c.next(), [{ sylkrtc: 'ready-event' }]);
  c.ws.close();
  assert.deepEqual(await rawUpgrade(s.port, {}), { status: 406, body: 'No compatible protocol specified\n' });
  assert.equal((await rawUpgrade(s.port, { 'Sec-WebSocket-Protocol': 'chat, other' })).status, 406);
  assert.equal((await rawUpgrade(s.port, { 'Sec-WebSocket-Protocol': 'chat, sylkRTC-2' })).status, 101);
});

test('web_origins: listed and wildcard origins and absent Origin pass, others get 403', async () => {
  const p = { 'Sec-WebSocket-Protocol': 'sylkRTC-2' };
  assert.equal((await rawUpgrade(s.port, { ...p, Origin: 'https://app.example.com' })).status, 101);
  assert.equal((await rawUpgrade(s.port, { ...p, Origin: 'https://web.sylk.example' })).status, 101);
  assert.equal((await rawUpgrade(s.port, p)).status, 101);
  assert.equal((await rawUpgrade(s.port, { ...p, Origin: 'https://evil.example.org' })).status, 403);
  assert.equal((await rawUpgrade(s.port, { ...p, Origin: 'null' })).status, 403);
});

test('1,000 malformed inputs: each answered with an error, the connection stays usable', async () => {
  const c = open(s.url);
  await c.ready;
  await c.next();
  const bad: Array<string | Buffer> = [];
  const samples = [
    'not json',
    '[]',
    '"str"',
    'null',
    '{}',
    '{"transaction":"x"}',
    '{"sylkrtc":"ping"}',
    '{"sylkrtc":42,"transaction":"x"}',
    '{"sylkrtc":"account-frobnicate","transaction":"x"}',
    '{"sylkrtc":"account-message","transaction":"x"}',
    '{"sylkrtc":"account-add","account":"no such thing","password":"p","transaction":"x"}',
    '{"sylkrtc":"account-sync-conversations","account":"a@b","limit":"10","transaction":"x"}',
    '{"sylkrtc":"session-create","transaction":"x"}',
    '{"sylkrtc":"videoroom-join","transaction":"x"}',
    '{"sylkrtc":"account-remove","account":"a@b","transaction":"x"}',
    '{"__proto__":{"sylkrtc":"ping"},"transaction":"x"}',
    '{"sylkrtc":"constructor","transaction":"x"}',
    '{"sylkrtc":"toString","transaction":"x"}',
    '\u0000\u0001',
    '{"a":' + '['.repeat(500) + ']'.repeat(500) + '}',
  ];
  for (let i = 0; i < 1000; i++) bad.push(i % 50 === 49 ? Buffer.from([0, 1, 2, i & 255]) : samples[i % samples.length]!);
  for (const b of bad) c.ws.send(b, { binary: Buffer.isBuffer(b) });
  c.ws.send(JSON.stringify({ sylkrtc: 'ping', transaction: 'still-alive' }));
  const frames = await c.next(1001);
  assert.equal(frames.filter((f) => f.sylkrtc === 'error').length, 1000);
  // the ping is answered on receipt, possibly ahead of queued account requests (§1.10)
  assert.deepEqual(frames.filter((f) => f.sylkrtc === 'ack'), [{ sylkrtc: 'ack', transaction: 'still-alive' }]);
  for (const f of frames) if (f.sylkrtc === 'error') assert.equal(typeof f.error, 'string');
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  c.ws.close();
});

test('frames above maxPayload close the socket with 1009; smaller ones are fine', async () => {
  const small = await startServer({ maxPayload: 4096 });
  try {
    const c = open(small.url);
    await c.ready;
    await c.next();
    c.ws.send(JSON.stringify({ sylkrtc: 'ping', transaction: 'x'.repeat(3000) }));
    assert.equal((await c.next())[0]!.sylkrtc, 'ack');
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send('x'.repeat(5000));
    assert.equal(await closed, 1009);
  } finally {
    await small.close();
  }
});

test('keepalive: pings every interval; a peer that never pongs is dropped after half of it', async () => {
  const k = await startServer({ pingIntervalSec: 0.2 });
  try {
    const good = open(k.url);
    const mute = open(k.url, { autoPong: false });
    await Promise.all([good.ready, mute.ready]);
    let pings = 0;
    good.ws.on('ping', () => pings++);
    const closed = new Promise<number>((r) => mute.ws.once('close', (code) => r(code)));
    const t0 = Date.now();
    const code = await closed;
    const elapsed = Date.now() - t0;
    assert.equal(code, 1006, 'terminated');
    // first ping at 200 ms, dropped 100 ms later (timers may run late on a loaded machine)
    assert.ok(elapsed >= 250 && elapsed < 5000, `dropped after ${elapsed} ms`);
    const deadline = Date.now() + 5000;
    while (pings < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pings >= 3, `got ${pings} pings`);
    assert.equal(good.ws.readyState, WebSocket.OPEN);
    assert.equal(k.gw.connections, 1);
    good.ws.close();
  } finally {
    await k.close();
  }
});

test('TLS: the same endpoint over wss', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sylkrtc-tls-'));
  try {
    const pem = join(dir, 'server.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], {
      stdio: 'ignore',
    });
    writeFileSync(pem, execFileSync('cat', [join(dir, 'c.pem'), join(dir, 'k.pem')]));
    const t = await startServer({}, pem);
    try {
      const c = open(t.url, { rejectUnauthorized: false });
      await c.ready;
      assert.equal(c.ws.protocol, 'sylkRTC-2');
      assert.deepEqual(await c.next(), [{ sylkrtc: 'ready-event' }]);
      c.ws.send(JSON.stringify({ sylkrtc: 'ping', transaction: 'tls' }));
      assert.deepEqual(await c.next(), [{ sylkrtc: 'ack', transaction: 'tls' }]);
      c.ws.close();
    } finally {
      await t.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
