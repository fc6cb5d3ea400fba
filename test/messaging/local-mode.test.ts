/**
 * `[General] local_sip_messages = yes` end to end: a WebSocket account's message goes over TCP to the
 * server's own SIP port with `X-Sylk-App: webrtcgateway`, comes back through the pipeline and lands in
 * the recipient's journal, while the sender copy becomes `accepted` (`sip-messaging.md` §6.2 B).
 * `local_tcp_port = 0`: the messages must go to the port the stack actually bound, not to port 0.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createMessaging, type Messaging } from '../../src/messaging/index.js';
import { messagingOptionsFromConfig } from '../../src/cli/server/messaging.js';
import type { IncomingMessageEvent } from '../../src/messaging/events.js';
import { SipStack } from '../../src/sip/stack.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';

describe('local_sip_messages', () => {
  let dir: string;
  let store: SqliteStore;
  let stack: SipStack;
  let messaging: Messaging;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-local-'));
    writeFileSync(join(dir, 'config.ini'), `[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port =\nlocal_tcp_port = 0\n`);
    writeFileSync(join(dir, 'webrtcgateway.ini'), '[General]\nlocal_sip_messages = yes\n');
    const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false });
    assert.equal(config.General.local_sip_messages, true);
    store = openSqliteStore({ path: join(dir, 'journal.sqlite') });
    stack = new SipStack({ host: '127.0.0.1', tcpPort: 0 });
    messaging = createMessaging({ options: messagingOptionsFromConfig(config, () => stack.ports().tcp), store, client: stack, webBaseUrl: () => 'http://127.0.0.1:10888' });
    stack.setHandler(messaging.handler);
    await stack.start();
    await messaging.service.recordLogin('alice@example.com');
    await messaging.service.recordLogin('bob@example.com');
  });
  after(async () => {
    await messaging.outbound.idle();
    await stack.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a WS message through the own TCP port', async () => {
    const got: IncomingMessageEvent[] = [];
    messaging.events.on('message', (e) => got.push(e));
    const r = await messaging.service.sendMessage({
      account: 'alice@example.com',
      transaction: 't1',
      uri: 'bob@example.com',
      message_id: 'local-1',
      content: 'über lokale Zustellung',
      content_type: 'text/plain',
      timestamp: '2024-05-01T10:00:00.000Z',
      displayName: 'Alice',
    });
    assert.deepEqual(await r.delivery, { state: 'accepted', code: 200, reason: 'OK' });
    assert.equal((await store.getEntry('alice@example.com', 'local-1'))!.state, 'accepted');
    const bob = await store.getEntry('bob@example.com', 'local-1');
    assert.equal(bob!.direction, 'incoming');
    assert.equal(bob!.content, 'über lokale Zustellung');
    assert.deepEqual(bob!.disposition, ['positive-delivery', 'display']);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.sender, { uri: 'alice@example.com', display_name: 'Alice' });
    assert.equal(got[0]!.timestamp, '2024-05-01T10:00:00+00:00');
  });

  it('carries the recipient IMDN back: both copies updated, the sender notified', async () => {
    const states: string[] = [];
    messaging.events.on('disposition-notification', (e) => states.push(`${e.account}:${e.state}`));
    await messaging.service.sendDispositionNotification({ account: 'bob@example.com', uri: 'alice@example.com', message_id: 'local-1', state: 'displayed', timestamp: '2024-05-01T10:00:00.000Z' });
    for (let i = 0; i < 200 && states.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await messaging.outbound.idle();
    assert.deepEqual(states, ['alice@example.com:displayed']);
    assert.equal((await store.getEntry('alice@example.com', 'local-1'))!.state, 'displayed');
    assert.deepEqual((await store.getEntry('bob@example.com', 'local-1'))!.disposition, []);
    const last = (await store.query('alice@example.com', { limit: 10 })).entries.at(-1)!;
    assert.equal(last.contentType, 'message/imdn');
    assert.equal(last.contact, 'bob@example.com');
  });
});
