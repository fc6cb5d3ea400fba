/**
 * PushNotifier end to end against the real SQLite store and a fake Sylk Pushserver: triggers, the
 * exact payload, badge from unread counts, purge on 410, retries with backoff, skip-online, metrics,
 * and that nothing a provider or store does reaches the caller.
 */
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { PushNotifier, type PushNotifierOptions } from '../../src/push/notifier.js';
import { counterValue, pushErrors, pushNotifications, pushRequests, pushSkipped } from '../../src/push/metrics.js';
import { providerRouter } from '../../src/push/providers/index.js';
import { parsePushConfig } from '../../src/push/config.js';
import { registry } from '../../src/util/metrics.js';
import type { OnIncomingMessage } from '../../src/messaging/index.js';
import { SylkPushserverProvider } from '../../src/push/providers/sylk-pushserver.js';
import { pushTokenRecord } from '../../src/push/tokens.js';
import type { PushProvider, PushTokenStore } from '../../src/push/types.js';
import { pushserverGone, startFakePushserver, type FakePushserver } from '../fixtures/push/servers.js';

const BOB = 'bob@example.com';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: FakePushserver;
let store: SqliteStore;
let sleeps: number[];

async function registerBobsDevices(): Promise<void> {
  await store.addPushToken(pushTokenRecord(BOB, { appId: 'com.agprojects.sylk-ios', deviceId: 'IPHONE', platform: 'ios', token: 'voip111-bg222', silent: false }, 'Sylk 3.6.2 (iOS 17.4)'));
  await store.addPushToken(pushTokenRecord(BOB, { appId: 'com.agprojects.sylk', deviceId: 'PIXEL', platform: 'android', token: 'fcm-tok-333', silent: true }, 'Sylk 3.6.2 (Android 14)'));
}

async function addUnread(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.add({ account: BOB, contact: 'alice@example.com', direction: 'incoming', contentType: 'text/plain', content: `m${i}`, messageId: `old-${i}`, disposition: ['positive-delivery', 'display'], state: 'received', msgTimestamp: new Date() });
  }
}

function notifier(extra: Partial<PushNotifierOptions> = {}, s: PushTokenStore = store): PushNotifier {
  const provider = new SylkPushserverProvider({ url: server.url, requestTimeoutMs: 2000 });
  return new PushNotifier({
    store: s,
    route: providerRouter({ provider: 'sylk-pushserver', appProviders: new Map() }, { 'sylk-pushserver': provider }),
    providers: [provider],
    maxRetries: 3,
    backoff: { baseMs: 100, maxMs: 1000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  });
}

const message = { account: BOB, from: 'sip:alice@example.com', fromDisplayName: 'Alice', contentType: 'text/plain', content: 'Hello Bob', messageId: 'msg-1' };

describe('PushNotifier with the sylk-pushserver provider', () => {
  beforeEach(async () => {
    server = await startFakePushserver();
    store = new SqliteStore({ path: ':memory:' });
    sleeps = [];
    await registerBobsDevices();
  });
  afterEach(async () => {
    await server.close();
    await store.close();
  });
  after(() => undefined);

  test('one request per device with exactly the original payload; badge = unread count; silent honoured', async () => {
    await addUnread(2);
    // The message that triggers the push is stored first (the caller pushes after the journal commit).
    await store.add({ account: BOB, contact: 'alice@example.com', direction: 'incoming', contentType: 'text/plain', content: 'Hello Bob', messageId: 'msg-1', disposition: ['positive-delivery', 'display'], state: 'received', msgTimestamp: new Date() });
    const n = notifier();
    assert.equal(n.onIncomingMessage(message), undefined);
    await n.idle();
    assert.equal(server.bodies.length, 2);
    const byDevice = new Map(server.bodies.map((b) => [b['device-id'], b]));
    const ios = byDevice.get('IPHONE')!;
    const callId = ios['call-id'];
    assert.match(String(callId), UUID_V4);
    assert.deepEqual(ios, {
      event: 'message',
      token: 'bg222',
      'app-id': 'com.agprojects.sylk-ios',
      platform: 'ios',
      'device-id': 'IPHONE',
      silent: 0,
      'call-id': callId,
      from: 'alice@example.com',
      'from-display-name': 'Alice',
      to: BOB,
      'media-type': 'sms',
      badge: 3,
      'content-type': 'text/plain',
      content: 'Hello Bob',
    });
    const android = byDevice.get('PIXEL')!;
    assert.equal(android.token, 'fcm-tok-333');
    assert.equal(android.silent, 1, 'stored silent flag is sent (the original always sends 0)');
    assert.equal(android['call-id'], callId, 'one call-id per message for all devices');
    assert.equal(android.badge, 3);
    for (const h of server.headers) {
      assert.equal(h['user-agent'], 'SylkServer');
      assert.equal(h['content-type'], 'application/json');
    }
    await n.close();
  });

  test('triggers: text/html and file transfers push; IMDN, is-composing, keys and others do not', async () => {
    const n = notifier();
    for (const contentType of ['message/imdn+xml', 'application/im-iscomposing+xml', 'text/pgp-public-key', 'application/sylk-api-token', 'application/sylk-conversation-read', 'image/png']) {
      n.onIncomingMessage({ ...message, contentType, messageId: contentType });
    }
    await n.idle();
    assert.equal(server.bodies.length, 0);
    n.onIncomingMessage({ ...message, contentType: 'text/html', content: '<b>hi</b>', messageId: 'h1' });
    n.onIncomingMessage({ ...message, contentType: 'application/sylk-file-transfer', content: '{"filename":"a.png"}', messageId: 'f1' });
    await n.idle();
    assert.deepEqual(server.bodies.map((b) => b['content-type']).sort(), ['application/sylk-file-transfer', 'application/sylk-file-transfer', 'text/html', 'text/html']);
    await n.close();
  });

  test('410 with a JSON token purges exactly the record the request was built from', async () => {
    const n = notifier();
    const purgedBefore = await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'purged' });
    server.respond = (body) => (body['device-id'] === 'IPHONE' ? pushserverGone('bg222') : undefined);
    n.onIncomingMessage(message);
    await n.idle();
    const left = await store.listPushTokens(BOB);
    assert.deepEqual(left.map((r) => r.deviceId), ['PIXEL']);
    assert.equal(await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'purged' }), purgedBefore + 1);
    await n.close();
  });

  test('a 410 without a JSON body naming the token does not purge (as the original)', async () => {
    const n = notifier();
    server.script.push({ status: 410, body: 'gone', headers: { 'content-type': 'text/plain' } }, { status: 410, body: 'gone', headers: { 'content-type': 'text/plain' } });
    n.onIncomingMessage(message);
    await n.idle();
    assert.equal((await store.listPushTokens(BOB)).length, 2);
    await n.close();
  });

  test('a token re-registered while the push was in flight is not purged', async () => {
    const racing: PushProvider = {
      name: 'racing',
      send: async (record) => {
        await store.addPushToken({ ...record, token: 'fresh-token', backgroundToken: null });
        return { kind: 'invalid-token', status: 410, reason: 'Unregistered' };
      },
      close: async () => {},
    };
    const n = new PushNotifier({ store, route: () => racing, sleep: async () => {} });
    n.onIncomingMessage(message);
    await n.idle();
    assert.deepEqual((await store.listPushTokens(BOB)).map((r) => r.token).sort(), ['fresh-token', 'fresh-token']);
  });

  test('429 and 5xx are retried with bounded exponential backoff and jitter, then succeed', async () => {
    await store.removePushToken(BOB, 'com.agprojects.sylk', 'PIXEL');
    const retriesBefore = await counterValue(pushRequests, { provider: 'sylk-pushserver', outcome: 'retry' });
    const sentBefore = await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'sent' });
    server.script.push({ status: 500 }, { status: 503 }, { status: 429 });
    const n = notifier({ random: () => 0.5 });
    n.onIncomingMessage(message);
    await n.idle();
    assert.equal(server.bodies.length, 4);
    // base 100 ms: d = 100, 200, 400; delay = d/2 + 0.5·d/2.
    assert.deepEqual(sleeps, [75, 150, 300]);
    assert.equal(await counterValue(pushRequests, { provider: 'sylk-pushserver', outcome: 'retry' }), retriesBefore + 3);
    assert.equal(await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'sent' }), sentBefore + 1);
    assert.equal(new Set(server.bodies.map((b) => b['call-id'])).size, 1, 'retries resend the same request');
    await n.close();
  });

  test('retries are bounded: gives up after max_retries; delays never exceed the cap; Retry-After raises the delay', async () => {
    await store.removePushToken(BOB, 'com.agprojects.sylk', 'PIXEL');
    const gaveUpBefore = await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'gave_up' });
    for (let i = 0; i < 10; i++) server.script.push({ status: 500 });
    const n = notifier({ maxRetries: 5, backoff: { baseMs: 100, maxMs: 250 }, random: () => 1 });
    n.onIncomingMessage(message);
    await n.idle();
    assert.equal(server.bodies.length, 6);
    assert.deepEqual(sleeps, [100, 200, 250, 250, 250]);
    assert.equal(await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'gave_up' }), gaveUpBefore + 1);
    assert.equal((await store.listPushTokens(BOB)).length, 1, 'a 5xx never purges');

    server.script.length = 0;
    sleeps = [];
    server.script.push({ status: 429, headers: { 'retry-after': '0.2' } }, { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '1' } });
    const m = notifier({ backoff: { baseMs: 10, maxMs: 5000 }, random: () => 0 });
    m.onIncomingMessage(message);
    await m.idle();
    assert.deepEqual(sleeps, [5, 1000], 'unparsable Retry-After ignored, 1 s honoured');
    await n.close();
    await m.close();
  });

  test('skip_online_devices: devices with an authenticated WebSocket are not pushed', async () => {
    const skippedBefore = await counterValue(pushSkipped, { reason: 'online' });
    const asked: Array<[string, string]> = [];
    const n = notifier({
      skipOnlineDevices: true,
      isDeviceOnline: (account, deviceId) => {
        asked.push([account, deviceId]);
        return deviceId === 'PIXEL';
      },
    });
    n.onIncomingMessage(message);
    await n.idle();
    assert.deepEqual(server.bodies.map((b) => b['device-id']), ['IPHONE']);
    assert.deepEqual(asked.sort(), [[BOB, 'IPHONE'], [BOB, 'PIXEL']]);
    assert.equal(await counterValue(pushSkipped, { reason: 'online' }), skippedBefore + 1);
    // Without the setting the predicate is not consulted and both are pushed (the original's behaviour).
    const m = notifier({ isDeviceOnline: () => true });
    m.onIncomingMessage(message);
    await m.idle();
    assert.equal(server.bodies.length, 3);
    await n.close();
    await m.close();
  });

  test('failures never reach the caller: dead push server, throwing provider, failing store', async () => {
    await server.close();
    const errorsBefore = await counterValue(pushErrors, { stage: 'tokens' });
    const gaveUpBefore = await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'gave_up' });
    const dead = notifier({ maxRetries: 1 });
    assert.doesNotThrow(() => dead.onIncomingMessage(message));
    await dead.idle();
    assert.equal(await counterValue(pushNotifications, { provider: 'sylk-pushserver', result: 'gave_up' }), gaveUpBefore + 2);

    const throwing: PushProvider = {
      name: 'throwing',
      send: () => {
        throw new Error('boom');
      },
      close: async () => {},
    };
    const failedBefore = await counterValue(pushNotifications, { provider: 'throwing', result: 'failed' });
    const t = new PushNotifier({ store, route: () => throwing });
    assert.doesNotThrow(() => t.onIncomingMessage(message));
    await t.idle();
    assert.equal(await counterValue(pushNotifications, { provider: 'throwing', result: 'failed' }), failedBefore + 2);

    const brokenStore: PushTokenStore = {
      listPushTokens: () => Promise.reject(new Error('db down')),
      removePushToken: () => Promise.reject(new Error('db down')),
      unreadCounts: () => {
        throw new Error('sync throw');
      },
    };
    const b = new PushNotifier({ store: brokenStore, route: () => throwing, isDeviceOnline: () => { throw new Error('x'); }, skipOnlineDevices: true });
    assert.doesNotThrow(() => b.onIncomingMessage(message));
    await b.idle();
    assert.equal(await counterValue(pushErrors, { stage: 'tokens' }), errorsBefore + 1);
    await dead.close();
    await t.close();
    await b.close();
    server = await startFakePushserver(); // afterEach closes it
  });

  test('fromConfig: [General] sylk_push_url alone is enough; outcomes appear in /metrics', async () => {
    const config = parsePushConfig({ skip_online_devices: 'yes' }, { sylk_push_url: server.url });
    const n = await PushNotifier.fromConfig(config, store, { isDeviceOnline: (_a, d) => d === 'PIXEL' });
    n.onIncomingMessage(message);
    await n.idle();
    await n.close();
    assert.deepEqual(server.bodies.map((b) => b['device-id']), ['IPHONE']);
    const text = await registry.metrics();
    assert.match(text, /sylk_push_requests_total\{provider="sylk-pushserver",outcome="sent"\} [1-9]/);
    assert.match(text, /sylk_push_notifications_total\{provider="sylk-pushserver",result="sent"\} [1-9]/);
    assert.match(text, /sylk_push_skipped_total\{reason="online"\} [1-9]/);
  });

  test('messagingHook plugs into the messaging pipeline hook type', async () => {
    const n = notifier();
    const hook: OnIncomingMessage = n.messagingHook;
    assert.equal(
      hook({ account: BOB, sender: { uri: 'sip:alice@example.com', display_name: null }, message_id: 'x1', content_type: 'text/plain', content: 'hey', timestamp: new Date().toISOString(), disposition_notification: null }),
      undefined,
    );
    await n.idle();
    assert.equal(server.bodies.length, 2);
    assert.equal(server.bodies[0]!.from, 'alice@example.com');
    assert.equal(server.bodies[0]!['from-display-name'], null);
    assert.equal(server.bodies[0]!.content, 'hey');
    await n.close();
  });

  test('after close() no new pushes start', async () => {
    const n = notifier();
    await n.close();
    n.onIncomingMessage(message);
    await n.idle();
    assert.equal(server.bodies.length, 0);
  });

  test('conference invitation: the original payload to the VoIP token', async () => {
    const n = notifier();
    n.onConferenceInvite({ account: BOB, from: 'alice@example.com', fromDisplayName: 'Alice', room: 'sip:room1@conference.example.com', mediaType: 'video', callId: '12345' });
    await n.idle();
    const ios = server.bodies.find((b) => b['device-id'] === 'IPHONE');
    assert.deepEqual(ios, {
      event: 'incoming_conference_request',
      token: 'voip111',
      'app-id': 'com.agprojects.sylk-ios',
      platform: 'ios',
      'device-id': 'IPHONE',
      silent: 0,
      'call-id': '12345',
      from: 'alice@example.com',
      'from-display-name': 'Alice',
      to: 'room1@conference.example.com',
      account: BOB,
      'media-type': 'video',
    });
    await n.close();
  });
});

test('at most maxConcurrent provider requests are in flight', async () => {
  const s = new SqliteStore({ path: ':memory:' });
  for (let i = 0; i < 20; i++) await s.addPushToken(pushTokenRecord(BOB, { appId: 'a', deviceId: `d${i}`, platform: 'android', token: `t${i}`, silent: false }, null));
  let inFlight = 0;
  let peak = 0;
  const slow: PushProvider = {
    name: 'slow',
    send: async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { kind: 'sent', status: 200 };
    },
    close: async () => {},
  };
  const n = new PushNotifier({ store: s, route: () => slow, maxConcurrent: 3 });
  n.onIncomingMessage(message);
  n.onIncomingMessage({ ...message, messageId: 'msg-2' });
  await n.idle();
  assert.equal(peak, 3);
  assert.equal(await counterValue(pushNotifications, { provider: 'slow', result: 'sent' }), 40);
  await s.close();
});

test('close() cuts a retry wait short and gives up', async () => {
  const s = new SqliteStore({ path: ':memory:' });
  await s.addPushToken(pushTokenRecord(BOB, { appId: 'a', deviceId: 'd', platform: 'android', token: 't', silent: false }, null));
  let calls = 0;
  const busy: PushProvider = {
    name: 'busy',
    send: async () => {
      calls++;
      return { kind: 'retry', status: 503, reason: 'later', retryAfterMs: 60_000 };
    },
    close: async () => {},
  };
  const n = new PushNotifier({ store: s, route: () => busy, backoff: { baseMs: 60_000, maxMs: 60_000 } });
  n.onIncomingMessage(message);
  while (calls === 0) await new Promise((r) => setTimeout(r, 5));
  const t0 = Date.now();
  await n.close();
  assert.ok(Date.now() - t0 < 2000, 'close does not wait for the 60 s backoff');
  assert.equal(calls, 1);
  assert.equal(await counterValue(pushNotifications, { provider: 'busy', result: 'gave_up' }), 1);
  await s.close();
});
