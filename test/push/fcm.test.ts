/**
 * The FCM HTTP v1 provider against a local OAuth2 token endpoint (verifies the RS256 service-account
 * assertion with the public key) and FCM endpoint (verifies the bearer token): exchange and caching,
 * renewal on expiry and on 401, message shape, response classification, purge through the notifier.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePushConfig } from '../../src/push/config.js';
import { PushNotifier } from '../../src/push/notifier.js';
import { counterValue, pushNotifications } from '../../src/push/metrics.js';
import { createProviders, providerRouter } from '../../src/push/providers/index.js';
import type { FcmProvider } from '../../src/push/providers/fcm.js';
import { pushTokenRecord } from '../../src/push/tokens.js';
import type { MessageNotification, PushToken } from '../../src/push/types.js';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import { fcmUnauthorized, fcmUnregistered, startFakeFcm, tempDir, type FakeFcm, type TempDir } from '../fixtures/push/servers.js';

const dir: TempDir = tempDir();
let fcm: FakeFcm;
let clock = Date.now();
let provider: FcmProvider;

const record: PushToken = pushTokenRecord('bob@example.com', { appId: 'com.agprojects.sylk', deviceId: 'PIXEL', platform: 'android', token: 'fcm-registration-token-1', silent: false }, null);
const msg: MessageNotification = {
  event: 'message',
  account: 'bob@example.com',
  from: 'alice@example.com',
  fromDisplayName: null,
  contentType: 'text/plain',
  content: 'Hello Bob',
  messageId: 'msg-1',
  callId: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b',
  badge: 2,
};

async function newProvider(): Promise<FcmProvider> {
  const config = parsePushConfig({ provider: 'fcm', fcm_service_account_path: fcm.serviceAccountPath, fcm_endpoint: fcm.endpoint, request_timeout: '2' });
  const providers = await createProviders(config, { now: () => clock });
  return providers.fcm as FcmProvider;
}

before(async () => {
  fcm = await startFakeFcm(dir.path);
});
after(async () => {
  await fcm.close();
  dir.remove();
});

describe('FCM provider', () => {
  beforeEach(async () => {
    clock = Date.now();
    provider = await newProvider();
    fcm.assertions.length = 0;
    fcm.issued.length = 0;
    fcm.sends.length = 0;
    fcm.script.length = 0;
    fcm.tokenScript.length = 0;
    fcm.expiresIn = 3600;
  });

  test('service-account JWT exchanged once, access token reused; message shape', async () => {
    const outcomes = await Promise.all([provider.send(record, msg), provider.send(record, msg)]);
    await provider.send({ ...record, silent: true }, msg);
    assert.deepEqual(outcomes, [{ kind: 'sent', status: 200 }, { kind: 'sent', status: 200 }]);
    assert.equal(fcm.assertions.length, 1, 'concurrent sends share one exchange');
    assert.equal(fcm.assertions[0]!.valid, true);
    assert.equal(fcm.sends.length, 3);
    for (const s of fcm.sends) {
      assert.equal(s.path, `/v1/projects/${fcm.projectId}/messages:send`);
      assert.equal(s.authorization, `Bearer ${fcm.issued[0]}`);
    }
    assert.deepEqual(fcm.sends[0]!.body, {
      message: {
        token: 'fcm-registration-token-1',
        data: {
          event: 'message',
          'call-id': msg.callId,
          from_uri: 'alice@example.com',
          from_display_name: 'alice@example.com',
          to_uri: 'bob@example.com',
          'media-type': 'sms',
          'message-id': 'msg-1',
          'content-type': 'text/plain',
          badge: '2',
          content: 'Hello Bob',
        },
        android: { priority: 'high', ttl: '86400s' },
      },
    });
    assert.deepEqual((fcm.sends[2]!.body.message as { android: unknown }).android, { priority: 'normal', ttl: '86400s' });
  });

  test('access token renewed a minute before it expires', async () => {
    fcm.expiresIn = 120;
    await provider.send(record, msg);
    clock += 50_000;
    await provider.send(record, msg);
    assert.equal(fcm.issued.length, 1);
    clock += 15_000;
    await provider.send(record, msg);
    assert.equal(fcm.issued.length, 2);
    assert.equal(fcm.sends[2]!.authorization, `Bearer ${fcm.issued[1]}`);
  });

  test('401 renews the access token once and resends', async () => {
    await provider.send(record, msg);
    fcm.script.push(fcmUnauthorized());
    assert.deepEqual(await provider.send(record, msg), { kind: 'sent', status: 200 });
    assert.equal(fcm.issued.length, 2);
    assert.equal(fcm.sends.length, 3);
    fcm.script.push(fcmUnauthorized(), fcmUnauthorized());
    assert.equal((await provider.send(record, msg)).kind, 'failed', 'a second 401 is not retried in a loop');
  });

  test('responses: UNREGISTERED invalid; 429/503 retry; wrong project (bare 404) and 400 fail', async () => {
    fcm.script.push(
      fcmUnregistered(),
      { status: 429, body: { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ errorCode: 'QUOTA_EXCEEDED' }] } }, headers: { 'retry-after': '7' } },
      { status: 503, body: { error: { code: 503, status: 'UNAVAILABLE', message: 'try later' } } },
      { status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'bad' } } },
    );
    assert.deepEqual(await provider.send(record, msg), { kind: 'invalid-token', status: 404, reason: 'UNREGISTERED: Requested entity was not found.' });
    assert.deepEqual(await provider.send(record, msg), { kind: 'retry', status: 429, reason: 'QUOTA_EXCEEDED', retryAfterMs: 7000 });
    assert.deepEqual(await provider.send(record, msg), { kind: 'retry', status: 503, reason: 'UNAVAILABLE: try later' });
    assert.deepEqual(await provider.send(record, msg), { kind: 'failed', status: 400, reason: 'INVALID_ARGUMENT: bad' });

    const wrong = await createProviders(
      parsePushConfig({ provider: 'fcm', fcm_service_account_path: fcm.serviceAccountPath, fcm_endpoint: fcm.endpoint, fcm_project_id: 'other-project' }),
    );
    assert.equal((await wrong.fcm!.send(record, msg)).kind, 'failed');
  });

  test('token endpoint errors: 5xx retryable, invalid_grant fails; transport error retryable', async () => {
    fcm.tokenScript.push({ status: 500, body: {} });
    assert.equal((await provider.send(record, msg)).kind, 'retry');
    fcm.tokenScript.push({ status: 400, body: { error: 'invalid_grant' } });
    assert.equal((await provider.send(record, msg)).kind, 'failed');
    assert.equal(fcm.sends.length, 0);
    const unreachable = await createProviders(
      parsePushConfig({ provider: 'fcm', fcm_service_account_path: fcm.serviceAccountPath, fcm_endpoint: 'http://127.0.0.1:1', fcm_token_uri: 'http://127.0.0.1:1/token', request_timeout: '1' }),
    );
    assert.equal((await unreachable.fcm!.send(record, msg)).kind, 'retry');
  });

  test('conference invitation: short TTL, high priority', async () => {
    await provider.send(record, { event: 'incoming_conference_request', account: 'bob@example.com', from: 'alice@example.com', fromDisplayName: 'Alice', to: 'room@conf.example.com', mediaType: 'video', callId: '77' });
    const m = fcm.sends[0]!.body.message as { data: Record<string, string>; android: unknown };
    assert.deepEqual(m.android, { priority: 'high', ttl: '60s' });
    assert.equal(m.data.event, 'incoming_conference_request');
    assert.equal(m.data.to_uri, 'room@conf.example.com');
  });
});

describe('FCM through the notifier (SQLite store)', () => {
  test('UNREGISTERED purges that device only', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.addPushToken(record);
    await store.addPushToken({ ...record, deviceId: 'TABLET', token: 'fcm-registration-token-2' });
    const config = parsePushConfig({ provider: 'direct', fcm_service_account_path: fcm.serviceAccountPath, fcm_endpoint: fcm.endpoint });
    const providers = await createProviders(config);
    const n = new PushNotifier({ store, route: providerRouter(config, providers), providers: Object.values(providers) });
    const before = await counterValue(pushNotifications, { provider: 'fcm', result: 'purged' });
    fcm.respond = (send) => ((send.body.message as { token: string }).token === 'fcm-registration-token-2' ? fcmUnregistered() : undefined);
    n.onIncomingMessage({ account: 'bob@example.com', from: 'alice@example.com', contentType: 'text/plain', content: 'hi', messageId: 'm1' });
    await n.idle();
    await n.close();
    fcm.respond = null;
    assert.deepEqual((await store.listPushTokens('bob@example.com')).map((r) => r.deviceId), ['PIXEL']);
    assert.equal(await counterValue(pushNotifications, { provider: 'fcm', result: 'purged' }), before + 1);
    await store.close();
  });
});
