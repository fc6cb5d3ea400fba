/**
 * sipp scenarios (test/fixtures/sipp/messaging-*.xml) against the real server: the SIP stack running
 * the messaging pipeline on UDP loopback, real SQLite store. sipp plays the proxy (UAC forwarding each
 * content type with the proxy's headers) and the outbound proxy (UAS checking what the server sends).
 * Fixed ports from this area's range: 15301 (UAC), 15302 (UAS).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createMessaging, type Messaging } from '../../src/messaging/index.js';
import { messagingOptionsFromConfig } from '../../src/cli/server/messaging.js';
import type { IncomingRequest } from '../../src/sip/api.js';
import { SipStack } from '../../src/sip/stack.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';
import { waitForPortBound } from '../helpers/port-bound.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sipp');
const UAC_PORT = 15301;
const UAS_PORT = 15302;

function sipp(args: string[], timeoutMs = 20_000): { done: Promise<{ code: number | null; output: string }>; kill(): void } {
  const child = spawn('sipp', ['-i', '127.0.0.1', '-nostdin', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
  return { done, kill: () => child.kill('SIGKILL') };
}

function makeServer(dir: string, outboundProxy: string): { config: ReturnType<typeof loadConfig> } {
  writeFileSync(join(dir, 'config.ini'), '[SIP]\nlocal_ip = 127.0.0.1\n');
  writeFileSync(join(dir, 'webrtcgateway.ini'), `[General]\noutbound_sip_proxy = ${outboundProxy}\nfile_transfer_dir = ${join(dir, 'ft')}\n`);
  return { config: loadConfig({ configDir: dir, systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false }) };
}

describe('sipp: the proxy sends each content type', () => {
  let dir: string;
  let store: SqliteStore;
  let server: SipStack;
  let sink: SipStack;
  let messaging: Messaging;
  const sent: IncomingRequest[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-sipp-'));
    sink = new SipStack({ host: '127.0.0.1', udpPort: 0 }, async (inc) => {
      sent.push(inc);
      return { status: 200 };
    });
    await sink.start();
    const { config } = makeServer(dir, `127.0.0.1:${sink.ports().udp}`);
    store = openSqliteStore({ path: join(dir, 'journal.sqlite') });
    await store.addAccount('alice@example.com');
    await store.addAccount('bob@example.com');
    server = new SipStack({ host: '127.0.0.1', udpPort: 0, outboundProxy: `127.0.0.1:${sink.ports().udp}` });
    messaging = createMessaging({ options: messagingOptionsFromConfig(config), store, client: server, webBaseUrl: () => 'http://127.0.0.1:10888' });
    server.setHandler(messaging.handler);
    await server.start();
  });
  after(async () => {
    await messaging.outbound.idle();
    await server.stop();
    await sink.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every response code as expected; journal and outgoing notices match', async () => {
    const run = sipp(['-sf', join(FIXTURES, 'messaging-uac-content-types.xml'), '-p', String(UAC_PORT), '-m', '1', `127.0.0.1:${server.ports().udp}`]);
    const { code, output } = await run.done;
    assert.equal(code, 0, output);
    await messaging.outbound.idle();
    const bob = (await store.query('bob@example.com', { limit: 100 })).entries;
    const alice = (await store.query('alice@example.com', { limit: 100 })).entries;
    const types = (es: typeof bob) => es.map((e) => `${e.direction}:${e.contentType}`);
    assert.deepEqual(types(bob), ['incoming:text/plain', 'incoming:text/html', 'incoming:application/sylk-message-remove']);
    assert.deepEqual(types(alice), [
      'outgoing:text/plain',
      'outgoing:text/html',
      'incoming:message/imdn',
      ':application/sylk-conversation-read',
      'outgoing:application/sylk-message-remove',
    ]);
    assert.equal(alice[0]!.state, 'delivered', 'the IMDN updated the sender copy');
    assert.equal(alice[0]!.messageId, 'sipp-1-text');
    // Outgoing notices through the outbound proxy: conversation-read to Alice's devices, message-remove to Alice's devices.
    assert.deepEqual(
      sent.map((s) => [s.request.headers.get('content-type'), s.request.uri, s.request.headers.get('x-sylk-to-sip')]),
      [
        ['application/sylk-conversation-read', 'sip:alice@example.com', 'yes'],
        ['application/sylk-message-remove', 'sip:alice@example.com', 'yes'],
      ],
    );
  });
});

describe('sipp: the outbound proxy checks what the server sends', () => {
  let dir: string;
  let store: SqliteStore;
  let server: SipStack;
  let messaging: Messaging;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-sipp-'));
    const { config } = makeServer(dir, `127.0.0.1:${UAS_PORT}`);
    store = openSqliteStore({ path: join(dir, 'journal.sqlite') });
    server = new SipStack({ host: '127.0.0.1', udpPort: 0, outboundProxy: `127.0.0.1:${UAS_PORT}` });
    messaging = createMessaging({ options: messagingOptionsFromConfig(config), store, client: server, webBaseUrl: () => 'http://127.0.0.1:10888' });
    server.setHandler(messaging.handler);
    await server.start();
  });
  after(async () => {
    await messaging.outbound.idle();
    await server.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('token reply: headers and body as §5.1 says', async () => {
    const uas = sipp(['-sf', join(FIXTURES, 'messaging-uas-token.xml'), '-p', String(UAS_PORT), '-m', '1']);
    await waitForPortBound(UAS_PORT, 'udp');
    const uac = sipp(['-sf', join(FIXTURES, 'messaging-uac-token.xml'), '-p', String(UAC_PORT), '-m', '1', `127.0.0.1:${server.ports().udp}`]);
    const [c, s] = await Promise.all([uac.done, uas.done]);
    assert.equal(c.code, 0, c.output);
    assert.equal(s.code, 0, s.output);
    assert.ok(await store.getApiToken('carol@example.org'));
  });

  it('a WebSocket user message: CPIM as §6.3.1 says; 202 makes it accepted', async () => {
    const uas = sipp(['-sf', join(FIXTURES, 'messaging-uas-message.xml'), '-p', String(UAS_PORT), '-m', '1']);
    await waitForPortBound(UAS_PORT, 'udp');
    await messaging.service.recordLogin('alice@example.com');
    const r = await messaging.service.sendMessage({
      account: 'alice@example.com',
      transaction: 't',
      uri: 'bob@example.com',
      message_id: 'sipp-ws-1',
      content: 'Hello from a browser',
      content_type: 'text/plain',
      timestamp: '2024-05-01T10:00:00Z',
      displayName: 'Alice',
    });
    const outcome = await r.delivery;
    const s = await uas.done;
    assert.equal(s.code, 0, s.output);
    assert.deepEqual(outcome, { state: 'accepted', code: 202, reason: 'Accepted' });
    assert.equal((await store.getEntry('alice@example.com', 'sipp-ws-1'))!.state, 'accepted');
  });
});
