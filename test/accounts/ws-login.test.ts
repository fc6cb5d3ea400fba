/**
 * WebSocket login in both modes through the real composition root (`startServer`: SQLite store, SIP
 * stack, web server, gateway on 127.0.0.1), `standalone.md` §4–§5 and issue 15 item 2:
 *
 * - standalone: `account-register` is checked against `store.localAccounts` — HA1 or plaintext →
 *   `registering`, `registered`; wrong password, unknown and disabled accounts → the same `failed`
 *   `904 No matching challenge`; after 5 failures in 60 s even the right password fails (unchecked)
 *   for that account from that address, while another address still logs in.
 * - proxy: the REGISTER goes to sipp playing the proxy (401 challenge, digest check, password
 *   "secret"); after 5 wrong passwords from one address the right one fails too — no REGISTER is
 *   sent — while another address still registers. Without the limiter both "right password" steps
 *   would answer `registered`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createAccount } from '../../src/accounts/manage.js';
import { startServer, type RunningServer } from '../../src/cli/server/compose.js';
import { loadConfig } from '../../src/config/index.js';
import { computeHa1 } from '../../src/sip/digest.js';
import { startSippProxy, type Sipp } from '../sylkrtc/sipp.js';

const SIPP_PORT = 15611;
const tmp = mkdtempSync(join(tmpdir(), 'sylk-ws-login-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

async function start(mode: 'standalone' | 'proxy', general: string[] = []): Promise<RunningServer> {
  const dir = join(tmp, `c${++n}`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'config.ini'),
    `[Server]\nmode = ${mode}\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port = 0\nlocal_tls_port =\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n`,
  );
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    ['[General]', 'http_management_interface = 127.0.0.1:0', ...general, '[FileStorage]', `storage_dir = ${dir}`, '[Storage]', `sqlite_path = ${join(dir, 'j.sqlite')}`, ''].join('\n'),
  );
  const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, log: false, defaultIp: '127.0.0.1', cwd: dir });
  return startServer(config, { version: 'test', serverHeader: 'test' });
}

type Frame = Record<string, unknown>;

/** One sylkRTC connection (optionally from another loopback address). */
async function connect(server: RunningServer, localAddress?: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.web.port}/webrtcgateway/ws`, 'sylkRTC-2', localAddress ? { localAddress } : {});
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse(String(d)) as Frame);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (pred: (f: Frame) => boolean, from = 0, ms = 10_000): Promise<Frame> => {
    const t0 = Date.now();
    for (;;) {
      const hit = frames.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() - t0 > ms) throw new Error(`timeout; frames: ${JSON.stringify(frames)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await until((f) => f.sylkrtc === 'ready-event');
  let tx = 0;
  /** account-add + account-register; resolves the register states that followed (registering, then the outcome). */
  const login = async (account: string, password: string): Promise<string[]> => {
    const from = frames.length;
    const t = `${++tx}`;
    ws.send(JSON.stringify({ sylkrtc: 'account-add', account, password, transaction: `a${t}` }));
    ws.send(JSON.stringify({ sylkrtc: 'account-register', account, transaction: `r${t}` }));
    await until((f) => f.event === 'registration-state' && (f.state === 'registered' || f.state === 'failed'), from);
    ws.send(JSON.stringify({ sylkrtc: 'account-remove', account, transaction: `x${t}` }));
    await until((f) => f.transaction === `x${t}`, from);
    return frames
      .slice(from)
      .filter((f) => f.event === 'registration-state')
      .map((f) => (f.state === 'failed' ? `failed: ${String(f.reason)}` : String(f.state)));
  };
  return { ws, frames, login, close: () => ws.close() };
}

const FAILED = 'failed: 904 No matching challenge';

describe('WebSocket login, standalone mode', () => {
  let server: RunningServer;
  before(async () => {
    server = await start('standalone');
    for (const aor of ['alice@example.com', 'bob@example.com', 'dora@example.com']) {
      assert.equal((await createAccount(server.store.localAccounts, { aor, password: 'wonderland' }, '*')).ok, true);
    }
    assert.equal(await server.store.localAccounts.setDisabled('dora@example.com', true), true);
  });
  after(() => server?.stop());

  test('HA1 or plaintext → registering, registered; wrong, unknown and disabled all → the same 904', async () => {
    assert.equal(server.mode, 'standalone');
    const c = await connect(server);
    try {
      assert.deepEqual(await c.login('alice@example.com', computeHa1('alice', 'example.com', 'wonderland')), ['registering', 'registered']);
      assert.deepEqual(await c.login('alice@example.com', 'wonderland'), ['registering', 'registered']);
      assert.deepEqual(await c.login('sip:Alice@Example.com', 'wonderland'), ['registering', 'registered'], 'accounts are lower-cased');
      assert.deepEqual(await c.login('alice@example.com', computeHa1('alice', 'example.com', 'wrong')), ['registering', FAILED]);
      assert.deepEqual(await c.login('bob@example.com', 'not his'), ['registering', FAILED]);
      assert.deepEqual(await c.login('nobody@example.com', 'wonderland'), ['registering', FAILED]);
      assert.deepEqual(await c.login('dora@example.com', 'wonderland'), ['registering', FAILED]);
    } finally {
      c.close();
    }
  });

  test('after 5 failures in 60 s the right password fails too, for that address only; success is not delayed', async () => {
    const c = await connect(server);
    const other = await connect(server, '127.0.0.2');
    try {
      for (let i = 0; i < 5; i++) assert.deepEqual(await c.login('bob@example.com', `guess ${i}`), ['registering', FAILED]);
      assert.deepEqual(await c.login('bob@example.com', 'wonderland'), ['registering', FAILED], 'blocked: not even checked');
      assert.ok(server.guessLimiter.refused >= 1);
      const metrics = await (await fetch(`http://127.0.0.1:${server.web.port}/metrics`)).text();
      assert.match(metrics, /^sylk_auth_guess_refused_total [1-9]/m, 'the refusals are visible to the operator');
      assert.match(metrics, /^sylk_auth_failures_total ([5-9]|\d\d)/m);
      assert.deepEqual(await other.login('bob@example.com', 'wonderland'), ['registering', 'registered'], 'another address is not blocked');
      assert.deepEqual(await c.login('alice@example.com', 'wonderland'), ['registering', 'registered'], 'another account is not blocked');
    } finally {
      c.close();
      other.close();
    }
  });
});

describe('WebSocket login, proxy mode (REGISTER relayed to the proxy)', () => {
  let server: RunningServer;
  let sipp: Sipp;
  before(async () => {
    sipp = await startSippProxy(SIPP_PORT);
    server = await start('proxy', [`outbound_sip_proxy = 127.0.0.1:${SIPP_PORT};transport=udp`]);
  });
  after(async () => {
    await server?.stop();
    await sipp?.stop();
  });

  test('after 5 wrong passwords the right one fails without a REGISTER; another address still registers', async () => {
    assert.equal(server.mode, 'proxy');
    const right = computeHa1('carol', 'example.com', 'secret');
    const c = await connect(server);
    const other = await connect(server, '127.0.0.2');
    try {
      assert.deepEqual(await c.login('carol@example.com', right), ['registering', 'registered'], 'the proxy accepts the right password');
      for (let i = 0; i < 5; i++) assert.deepEqual(await c.login('carol@example.com', computeHa1('carol', 'example.com', `guess ${i}`)), ['registering', FAILED]);
      const refused = server.guessLimiter.refused;
      assert.deepEqual(await c.login('carol@example.com', right), ['registering', FAILED], 'blocked: no REGISTER sent');
      assert.equal(server.guessLimiter.refused, refused + 1);
      assert.deepEqual(await other.login('carol@example.com', right), ['registering', 'registered']);
    } finally {
      c.close();
      other.close();
    }
  });
});

describe('WebSocket login, proxy mode, proxy unreachable', () => {
  let server: RunningServer;
  before(async () => {
    // A TCP port nobody listens on: every REGISTER fails at once with a 503 from our stack.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    server = await start('proxy', [`outbound_sip_proxy = 127.0.0.1:${port};transport=tcp`]);
  });
  after(() => server?.stop());

  test('failures that say nothing about the password are not counted as guesses', async () => {
    const c = await connect(server);
    try {
      for (let i = 0; i < 7; i++) {
        const states = await c.login('dave@example.com', computeHa1('dave', 'example.com', 'secret'));
        assert.equal(states[0], 'registering');
        assert.match(states[1]!, /^failed: 5\d\d /, 'the proxy error, not 904');
      }
      assert.equal(server.guessLimiter.refused, 0);
      assert.equal(server.guessLimiter.size, 0);
    } finally {
      c.close();
    }
  });
});
