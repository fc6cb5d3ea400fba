/**
 * End to end over real sockets: a SIP stack playing the proxy (UDP, loopback) forwards MESSAGEs to the
 * server's SIP stack running the messaging pipeline (real SQLite store) and receives what the server
 * sends through `[General] outbound_sip_proxy`; the journal is read back over HTTP with the token.
 * token request → token MESSAGE out → history with that token → entries match; a re-fork gives no
 * duplicate; a store failure gives no 200 and loses nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { registerHistoryRoutes } from '../../src/http/history.js';
import { createMessaging, type Messaging } from '../../src/messaging/index.js';
import { messagingOptionsFromConfig } from '../../src/cli/server/messaging.js';
import type { IncomingRequest, OutgoingRequest, ResponseSpec } from '../../src/sip/api.js';
import { SipStack } from '../../src/sip/stack.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';
import { cpimBody } from './helpers.js';

describe('end to end: SIP in, SIP out, HTTP history', () => {
  let dir: string;
  let store: SqliteStore;
  let proxy: SipStack;
  let server: SipStack;
  let http: HttpServer;
  let messaging: Messaging;
  let base: string;
  const received: IncomingRequest[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-e2e-'));
    proxy = new SipStack({ host: '127.0.0.1', udpPort: 0 }, async (inc): Promise<ResponseSpec> => {
      received.push(inc);
      return { status: 200 };
    });
    await proxy.start();
    writeFileSync(join(dir, 'config.ini'), '[SIP]\nlocal_ip = 127.0.0.1\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n');
    writeFileSync(join(dir, 'webrtcgateway.ini'), `[General]\noutbound_sip_proxy = 127.0.0.1:${proxy.ports().udp}\nfile_transfer_dir = ${join(dir, 'ft')}\n`);
    const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false });
    store = openSqliteStore({ path: join(dir, 'journal.sqlite') });
    server = new SipStack({ host: '127.0.0.1', udpPort: 0, outboundProxy: `127.0.0.1:${proxy.ports().udp}` });
    http = createHttpServer({ host: '127.0.0.1', port: 0, serverHeader: 'SylkServer/test' });
    messaging = createMessaging({ options: messagingOptionsFromConfig(config), store, client: server, webBaseUrl: () => base });
    server.setHandler(messaging.handler);
    await server.start();
    await registerHistoryRoutes(http.app, { store });
    const addr = await http.listen();
    base = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => {
    await messaging.outbound.idle();
    await http.close();
    await server.stop();
    await proxy.stop();
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const toServer = (o: Omit<OutgoingRequest, 'method' | 'uri' | 'nextHop'> & { uri?: string }) =>
    proxy.send({
      method: 'MESSAGE',
      uri: o.uri ?? (/<([^>]+)>/.exec(o.to)?.[1] ?? ''),
      nextHop: `127.0.0.1:${server.ports().udp};transport=udp`,
      ...o,
      headers: [['X-Sylk-App', 'webrtcgateway'], ...(o.headers ?? [])],
    });

  async function requestToken(aor: string): Promise<{ token: string; url: string }> {
    const before = received.length;
    const r = await toServer({ from: `<sip:${aor}>`, to: `<sip:${aor}>`, contentType: 'application/sylk-api-token', body: 'I need a token' });
    assert.equal(r.response.status, 200);
    for (let i = 0; i < 200 && received.length === before; i++) await new Promise((res) => setTimeout(res, 10));
    const reply = received[received.length - 1]!.request;
    assert.equal(reply.method, 'MESSAGE');
    assert.equal(reply.uri, `sip:${aor}`);
    assert.equal(reply.headers.get('x-sylk-to-sip'), 'yes');
    assert.equal(reply.headers.get('content-type'), 'application/sylk-api-token');
    assert.match(reply.headers.get('from')!, /<sip:sylkserver@127\.0\.0\.1>/);
    return JSON.parse(reply.body.toString('utf8')) as { token: string; url: string };
  }

  const history = async (url: string, token: string) => {
    const res = await fetch(url, { headers: { Authorization: `Apikey ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as { account: string; messages: Array<{ message_id: string; direction: string; state: string; content: string; contact: string }>; more: boolean };
  };

  it('token request → token MESSAGE through the outbound proxy → history with that token', async () => {
    const alice = await requestToken('alice@example.com');
    assert.equal(alice.url, `${base}/webrtcgateway/messages/history/alice@example.com`);
    const bob = await requestToken('bob@example.com');
    assert.deepEqual(await history(alice.url, alice.token), { account: 'alice@example.com', messages: [], more: false });

    const body = cpimBody({ id: 'e2e-1', disposition: 'positive-delivery, display', content: 'Hello over UDP' });
    const sent = await toServer({ from: '"Alice" <sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'message/cpim', body, headers: [['X-Sylk-From-Sip', 'yes']] });
    assert.equal(sent.response.status, 200);
    // The proxy re-forks the same message in a new transaction: no duplicate.
    const again = await toServer({ from: '"Alice" <sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'message/cpim', body, headers: [['X-Sylk-From-Sip', 'yes']] });
    assert.equal(again.response.status, 200);

    const a = await history(alice.url, alice.token);
    assert.deepEqual(a.messages.map((m) => [m.message_id, m.direction, m.state, m.contact, m.content]), [['e2e-1', 'outgoing', 'accepted', 'bob@example.com', 'Hello over UDP']]);
    const b = await history(bob.url, bob.token);
    assert.deepEqual(b.messages.map((m) => [m.message_id, m.direction, m.state, m.contact]), [['e2e-1', 'incoming', 'received', 'alice@example.com']]);
    // Alice's token does not open Bob's journal.
    assert.equal((await fetch(bob.url, { headers: { Authorization: `Apikey ${alice.token}` } })).status, 401);
  });

  it('store failure: no 200 (503 + Retry-After), nothing lost once the store is back', async () => {
    const path = join(dir, 'journal.sqlite');
    await store.close();
    const body = cpimBody({ id: 'e2e-fail', content: 'must not be lost' });
    const r = await toServer({ from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'message/cpim', body });
    assert.equal(r.response.status, 503);
    assert.equal(r.response.headers.get('retry-after'), '5');
    const reopened = openSqliteStore({ path });
    try {
      assert.equal(await reopened.getEntry('bob@example.com', 'e2e-fail'), null, 'nothing half-written');
      messaging.context.store = reopened;
      const retry = await toServer({ from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'message/cpim', body });
      assert.equal(retry.response.status, 200);
      assert.equal((await reopened.getEntry('bob@example.com', 'e2e-fail'))!.content, 'must not be lost');
    } finally {
      await reopened.close();
    }
  });
});
