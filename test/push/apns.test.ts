/**
 * The APNs provider against a local HTTP/2 TLS server that checks the ES256 provider token with the
 * key's public half: request headers and payloads per push kind, token caching and renewal, one
 * long-lived session, response classification, and purge through the notifier with SQLite.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApnsProvider, APNS_MESSAGE_EXPIRATION_S } from '../../src/push/providers/apns.js';
import { createProviders, providerRouter } from '../../src/push/providers/index.js';
import { loadPrivateKey } from '../../src/push/jwt.js';
import { parsePushConfig } from '../../src/push/config.js';
import { PushNotifier } from '../../src/push/notifier.js';
import { counterValue, pushRequests } from '../../src/push/metrics.js';
import { pushTokenRecord } from '../../src/push/tokens.js';
import { SqliteStore } from '../../src/storage/sqlite/index.js';
import type { MessageNotification, PushToken } from '../../src/push/types.js';
import { apnsKey, startFakeApns, tempDir, type FakeApns, type TempDir } from '../fixtures/push/servers.js';

const dir: TempDir = tempDir();
const key = apnsKey(dir.path);
let apns: FakeApns;
let clock = Date.parse('2026-01-01T00:00:00Z');
let provider: ApnsProvider;

const record: PushToken = pushTokenRecord('bob@example.com', { appId: 'com.agprojects.sylk-ios', deviceId: 'IPHONE', platform: 'ios', token: 'aaaa1111-bbbb2222', silent: false }, null);

const msg: MessageNotification = {
  event: 'message',
  account: 'bob@example.com',
  from: 'alice@example.com',
  fromDisplayName: 'Alice',
  contentType: 'text/plain',
  content: 'Hello Bob',
  messageId: 'msg-1',
  callId: '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b',
  badge: 4,
};

function newProvider(): ApnsProvider {
  return new ApnsProvider({
    key: loadPrivateKey(readFileSync(key.path)),
    keyId: 'KEYID12345',
    teamId: 'TEAMID6789',
    topic: null,
    origin: apns.origin,
    requestTimeoutMs: 2000,
    tls: { ca: apns.ca },
    now: () => clock,
  });
}

before(async () => {
  apns = await startFakeApns({ publicKey: key.publicKey, dir: dir.path });
});
after(async () => {
  await provider?.close();
  await apns.close();
  dir.remove();
});

describe('APNs provider', () => {
  beforeEach(async () => {
    await provider?.close();
    provider = newProvider();
    apns.requests.length = 0;
    apns.script.length = 0;
  });

  test('alert push: background token, headers, signed provider token, payload', async () => {
    const outcome = await provider.send(record, msg);
    assert.deepEqual(outcome, { kind: 'sent', status: 200 });
    const r = apns.requests[0]!;
    assert.equal(r.path, '/3/device/bbbb2222', 'message pushes go to the background token');
    assert.equal(r.headers[':method'], 'POST');
    assert.equal(r.headers['apns-topic'], 'com.agprojects.sylk-ios');
    assert.equal(r.headers['apns-push-type'], 'alert');
    assert.equal(r.headers['apns-priority'], '10');
    assert.equal(r.headers['apns-expiration'], String(Math.floor(clock / 1000) + APNS_MESSAGE_EXPIRATION_S));
    assert.equal(r.jwt.valid, true, 'ES256 signature verifies with the public key');
    assert.deepEqual(r.jwt.header, { alg: 'ES256', kid: 'KEYID12345' });
    assert.deepEqual(r.jwt.claims, { iss: 'TEAMID6789', iat: Math.floor(clock / 1000) });
    assert.deepEqual(r.body.aps, { alert: { title: 'Alice', body: 'Hello Bob' }, badge: 4, sound: 'default', 'mutable-content': 1, 'thread-id': 'alice@example.com' });
    assert.equal(r.body.event, 'message');
    assert.equal(r.body['call-id'], msg.callId);
    assert.equal(r.body.from_uri, 'alice@example.com');
    assert.equal(r.body.to_uri, 'bob@example.com');
    assert.equal(r.body['message-id'], 'msg-1');
    assert.equal(r.body.content, 'Hello Bob');
  });

  test('encrypted content is not previewed; oversized content is left out of the payload', async () => {
    await provider.send(record, { ...msg, content: '-----BEGIN PGP MESSAGE-----\nhQEMA...' });
    assert.deepEqual((apns.requests[0]!.body.aps as { alert: unknown }).alert, { title: 'Alice', body: 'New message' });
    await provider.send(record, { ...msg, content: 'x'.repeat(5000) });
    const big = apns.requests[1]!;
    assert.equal(big.body.content, undefined);
    assert.equal(((big.body.aps as { alert: { body: string } }).alert.body).length, 160);
  });

  test('silent record: background push, priority 5, content-available', async () => {
    await provider.send({ ...record, silent: true }, msg);
    const r = apns.requests[0]!;
    assert.equal(r.headers['apns-push-type'], 'background');
    assert.equal(r.headers['apns-priority'], '5');
    assert.deepEqual(r.body.aps, { 'content-available': 1 });
  });

  test('conference invitation: VoIP token, .voip topic, priority 10, expiration 0', async () => {
    await provider.send(record, { event: 'incoming_conference_request', account: 'bob@example.com', from: 'alice@example.com', fromDisplayName: null, to: 'room@conf.example.com', mediaType: 'audio', callId: '42' });
    const r = apns.requests[0]!;
    assert.equal(r.path, '/3/device/aaaa1111');
    assert.equal(r.headers['apns-topic'], 'com.agprojects.sylk-ios.voip');
    assert.equal(r.headers['apns-push-type'], 'voip');
    assert.equal(r.headers['apns-priority'], '10');
    assert.equal(r.headers['apns-expiration'], '0');
    assert.equal(r.body.event, 'incoming_conference_request');
    assert.equal(r.body['media-type'], 'audio');
  });

  test('provider token is cached, renewed after 50 minutes; one HTTP/2 session for all requests', async () => {
    const sessionsBefore = apns.sessions();
    await Promise.all([provider.send(record, msg), provider.send(record, msg), provider.send(record, msg)]);
    clock += 49 * 60_000;
    await provider.send(record, msg);
    clock += 2 * 60_000;
    await provider.send(record, msg);
    const auths = apns.requests.map((r) => r.headers.authorization);
    assert.equal(new Set(auths.slice(0, 4)).size, 1, 'same token for 49 minutes');
    assert.notEqual(auths[4], auths[3], 'renewed after 51 minutes');
    assert.equal(apns.requests[4]!.jwt.claims.iat, Math.floor(clock / 1000));
    assert.ok(apns.requests.every((r) => r.jwt.valid));
    assert.equal(apns.sessions() - sessionsBefore, 1);
    assert.equal(new Set(apns.requests.map((r) => r.session)).size, 1);
  });

  test('responses: 410 and BadDeviceToken invalid; 429/500 retry (Retry-After); topic errors fail; ExpiredProviderToken renews once', async () => {
    apns.script.push(
      { status: 410, body: { reason: 'Unregistered', timestamp: 1 } },
      { status: 400, body: { reason: 'BadDeviceToken' } },
      { status: 400, body: { reason: 'DeviceTokenNotForTopic' } },
      { status: 429, body: { reason: 'TooManyRequests' }, headers: { 'retry-after': '3' } },
      { status: 500, body: { reason: 'InternalServerError' } },
      { status: 403, body: { reason: 'ExpiredProviderToken' } },
    );
    assert.deepEqual(await provider.send(record, msg), { kind: 'invalid-token', status: 410, reason: 'Unregistered' });
    assert.deepEqual(await provider.send(record, msg), { kind: 'invalid-token', status: 400, reason: 'BadDeviceToken' });
    assert.deepEqual(await provider.send(record, msg), { kind: 'failed', status: 400, reason: 'DeviceTokenNotForTopic' });
    assert.deepEqual(await provider.send(record, msg), { kind: 'retry', status: 429, reason: 'TooManyRequests', retryAfterMs: 3000 });
    assert.deepEqual(await provider.send(record, msg), { kind: 'retry', status: 500, reason: 'InternalServerError' });
    assert.deepEqual(await provider.send(record, msg), { kind: 'sent', status: 200 });
    const last2 = apns.requests.slice(-2).map((r) => r.headers.authorization);
    assert.notEqual(last2[0], last2[1], 'a new provider token after ExpiredProviderToken');
  });

  test('a dropped connection is a retryable outcome and the next send opens a new session', async () => {
    const sessionsBefore = apns.sessions();
    apns.script.push({ status: 0, drop: true });
    const outcome = await provider.send(record, msg);
    assert.equal(outcome.kind, 'retry');
    assert.deepEqual(await provider.send(record, msg), { kind: 'sent', status: 200 });
    assert.equal(apns.sessions() - sessionsBefore, 2);
  });

  test('a request that times out is retryable and the silent session is replaced', async () => {
    const p = new ApnsProvider({ key: loadPrivateKey(readFileSync(key.path)), keyId: 'K', teamId: 'T', topic: null, origin: apns.origin, requestTimeoutMs: 300, tls: { ca: apns.ca } });
    try {
      assert.deepEqual(await p.send(record, msg), { kind: 'sent', status: 200 });
      const sessionsBefore = apns.sessions();
      apns.script.push({ status: 0, hang: true });
      const outcome = await p.send(record, msg);
      assert.equal(outcome.kind, 'retry');
      assert.match(outcome.kind === 'retry' ? outcome.reason : '', /timed out/);
      assert.deepEqual(await p.send(record, msg), { kind: 'sent', status: 200 });
      assert.equal(apns.sessions() - sessionsBefore, 1, 'a new session after the timeout');
    } finally {
      await p.close();
    }
  });

  test('unreachable endpoint: retry outcome, no throw', async () => {
    const p = new ApnsProvider({ key: loadPrivateKey(readFileSync(key.path)), keyId: 'K', teamId: 'T', topic: 'x', origin: 'https://127.0.0.1:1', requestTimeoutMs: 1000, tls: { ca: apns.ca } });
    const outcome = await p.send(record, msg);
    assert.equal(outcome.kind, 'retry');
    await p.close();
  });
});

describe('APNs through the notifier (config, SQLite store)', () => {
  test('410 purges exactly that device; retries on 500; counted per outcome', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.addPushToken(record);
    await store.addPushToken(pushTokenRecord('bob@example.com', { appId: 'com.agprojects.sylk-ios', deviceId: 'IPAD', platform: 'ios', token: 'cccc-dddd', silent: false }, null));
    await store.addPushToken(pushTokenRecord('bob@example.com', { appId: 'com.other', deviceId: 'PHONE2', platform: 'apple', token: 'eeee', silent: false }, null));
    const config = parsePushConfig({ provider: 'direct', apns_key_path: key.path, apns_key_id: 'KEYID12345', apns_team_id: 'TEAMID6789', apns_endpoint: apns.origin, apns_topic: 'com.agprojects.sylk-ios' });
    const providers = await createProviders(config, { apnsTls: { ca: apns.ca } });
    const sleeps: number[] = [];
    const n = new PushNotifier({
      store,
      route: providerRouter(config, providers),
      providers: Object.values(providers),
      maxRetries: 2,
      backoff: { baseMs: 10, maxMs: 100 },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const before410 = await counterValue(pushRequests, { provider: 'apns', outcome: 'invalid_token' });
    const beforeRetry = await counterValue(pushRequests, { provider: 'apns', outcome: 'retry' });
    const beforeSent = await counterValue(pushRequests, { provider: 'apns', outcome: 'sent' });
    apns.requests.length = 0;
    apns.script.length = 0;
    // Scripted by order of arrival is racy with three devices; answer by device token instead.
    const answers = new Map([
      ['/3/device/dddd', [{ status: 410, body: { reason: 'Unregistered' } }]],
      ['/3/device/eeee', [{ status: 500, body: { reason: 'InternalServerError' } }, { status: 200 }]],
    ]);
    apns.respond = (req) => answers.get(req.path)?.shift();
    n.onIncomingMessage({ account: 'bob@example.com', from: 'alice@example.com', contentType: 'text/plain', content: 'hi', messageId: 'm9' });
    await n.idle();
    await n.close();
    apns.respond = null;
    assert.deepEqual((await store.listPushTokens('bob@example.com')).map((r) => r.deviceId).sort(), ['IPHONE', 'PHONE2']);
    assert.deepEqual(apns.requests.map((r) => r.path).sort(), ['/3/device/bbbb2222', '/3/device/dddd', '/3/device/eeee', '/3/device/eeee']);
    assert.ok(apns.requests.every((r) => r.headers['apns-topic'] === 'com.agprojects.sylk-ios'));
    assert.equal(sleeps.length, 1);
    assert.equal(await counterValue(pushRequests, { provider: 'apns', outcome: 'invalid_token' }), before410 + 1);
    assert.equal(await counterValue(pushRequests, { provider: 'apns', outcome: 'retry' }), beforeRetry + 1);
    assert.equal(await counterValue(pushRequests, { provider: 'apns', outcome: 'sent' }), beforeSent + 2);
    await store.close();
  });
});
