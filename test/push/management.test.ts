/**
 * The push-token management API (`http-api.md` §6) over real HTTP on 127.0.0.1:0 with the SQLite
 * store: secret check, GET listing, DELETE by token / background token / key, status codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { secretMatches, startManagementServer, type ManagementServer } from '../../src/push/management.js';
import { pushTokenRecord } from '../../src/push/tokens.js';
import { SqliteStore } from '../../src/storage/sqlite/index.js';

const BOB = 'bob@example.com';
const LONG_FCM_TOKEN = `dGVzdA:APA91b${'x'.repeat(150)}`;

describe('management API with a secret', () => {
  let store: SqliteStore;
  let server: ManagementServer;

  before(async () => {
    store = new SqliteStore({ path: ':memory:' });
    server = await startManagementServer({ store, host: '127.0.0.1', port: 0, secret: 'top-secret' });
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  const auth = { authorization: 'top-secret' };

  async function seed(): Promise<void> {
    await store.removePushTokens(BOB);
    await store.addPushToken(pushTokenRecord(BOB, { appId: 'com.agprojects.sylk-ios', deviceId: '6A1B2C3D', platform: 'ios', token: 'a1b2c3-d4e5f6', silent: true }, 'Sylk/3.5.0 (iPhone)'));
    await store.addPushToken(pushTokenRecord(BOB, { appId: 'com.agprojects.sylk', deviceId: 'PIXEL', platform: 'android', token: LONG_FCM_TOKEN, silent: false }, null));
  }

  test('requests without or with a wrong Authorization get 403 "Authentication error"', async () => {
    await seed();
    const cases: Array<Record<string, string>> = [{}, { authorization: 'wrong' }, { authorization: 'Bearer top-secret' }, { authorization: 'top-secret2' }];
    for (const headers of cases) {
      const r = await fetch(`${server.url}/tokens/${BOB}`, { headers });
      assert.equal(r.status, 403);
      assert.equal(await r.text(), 'Authentication error');
      const d = await fetch(`${server.url}/tokens/${BOB}/d4e5f6`, { method: 'DELETE', headers });
      assert.equal(d.status, 403);
    }
    assert.equal((await store.listPushTokens(BOB)).length, 2, 'nothing deleted without the secret');
  });

  test('GET /tokens/{account} lists records keyed by app-device', async () => {
    await seed();
    const r = await fetch(`${server.url}/tokens/${BOB}`, { headers: auth });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await r.json(), {
      tokens: {
        'com.agprojects.sylk-ios-6A1B2C3D': {
          device_id: '6A1B2C3D',
          token: 'a1b2c3',
          background_token: 'd4e5f6',
          platform: 'ios',
          silent: '1',
          app_id: 'com.agprojects.sylk-ios',
          user_agent: 'Sylk/3.5.0 (iPhone)',
        },
        'com.agprojects.sylk-PIXEL': { device_id: 'PIXEL', token: LONG_FCM_TOKEN, background_token: null, platform: 'android', silent: '0', app_id: 'com.agprojects.sylk' },
      },
    });
    const unknown = await fetch(`${server.url}/tokens/nobody@example.com`, { headers: auth });
    assert.equal(unknown.status, 200);
    assert.deepEqual(await unknown.json(), { tokens: {} });
    const sip = await fetch(`${server.url}/tokens/sip:${BOB}`, { headers: auth });
    assert.equal(Object.keys(((await sip.json()) as { tokens: object }).tokens).length, 2, 'sip: scheme accepted');
  });

  test('DELETE /tokens/{account}/{token} deletes the matching record and answers {"success": true}', async () => {
    await seed();
    const r = await fetch(`${server.url}/tokens/${BOB}/d4e5f6`, { method: 'DELETE', headers: auth });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await r.json(), { success: true });
    assert.deepEqual((await store.listPushTokens(BOB)).map((t) => t.deviceId), ['PIXEL']);

    const long = await fetch(`${server.url}/tokens/${BOB}/${encodeURIComponent(LONG_FCM_TOKEN)}`, { method: 'DELETE', headers: auth });
    assert.equal(long.status, 200, 'tokens longer than the router default of 100 characters');
    assert.deepEqual(await store.listPushTokens(BOB), []);

    const none = await fetch(`${server.url}/tokens/${BOB}/no-such-token`, { method: 'DELETE', headers: auth });
    assert.equal(none.status, 200);
    assert.deepEqual(await none.json(), { success: true });
  });

  test('DELETE also matches the VoIP token, the unsplit string and the app-device key, only for that account', async () => {
    for (const needle of ['a1b2c3', 'a1b2c3-d4e5f6', 'com.agprojects.sylk-ios-6A1B2C3D']) {
      await seed();
      await store.addPushToken(pushTokenRecord('carol@example.com', { appId: 'com.agprojects.sylk-ios', deviceId: '6A1B2C3D', platform: 'ios', token: 'a1b2c3-d4e5f6', silent: false }, null));
      const r = await fetch(`${server.url}/tokens/${BOB}/${encodeURIComponent(needle)}`, { method: 'DELETE', headers: auth });
      assert.equal(r.status, 200);
      assert.deepEqual((await store.listPushTokens(BOB)).map((t) => t.deviceId), ['PIXEL'], needle);
      assert.equal((await store.listPushTokens('carol@example.com')).length, 1, 'other accounts untouched');
    }
  });

  test('unknown paths are 404; a failing store is a 500 without details', async () => {
    assert.equal((await fetch(`${server.url}/tokens`, { headers: auth })).status, 404);
    const broken = await startManagementServer({
      store: { listPushTokens: () => Promise.reject(new Error('db down: secret detail')), removePushToken: () => Promise.reject(new Error('x')) },
      host: '127.0.0.1',
      port: 0,
      secret: null,
    });
    try {
      const r = await fetch(`${broken.url}/tokens/${BOB}`);
      assert.equal(r.status, 500);
      assert.doesNotMatch(await r.text(), /secret detail/);
    } finally {
      await broken.close();
    }
  });
});

describe('management API without a secret', () => {
  test('no authentication is required', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const server = await startManagementServer({ store, host: '127.0.0.1', port: 0, secret: null });
    try {
      await store.addPushToken(pushTokenRecord(BOB, { appId: 'a', deviceId: 'd', platform: 'android', token: 't', silent: false }, null));
      const r = await fetch(`${server.url}/tokens/${BOB}`);
      assert.equal(r.status, 200);
      assert.equal(Object.keys(((await r.json()) as { tokens: object }).tokens).length, 1);
      assert.equal((await fetch(`${server.url}/tokens/${BOB}/t`, { method: 'DELETE' })).status, 200);
      assert.deepEqual(await store.listPushTokens(BOB), []);
    } finally {
      await server.close();
      await store.close();
    }
  });

  test('secretMatches is exact', () => {
    assert.equal(secretMatches('abc', 'abc'), true);
    assert.equal(secretMatches('abcd', 'abc'), false);
    assert.equal(secretMatches('', 'abc'), false);
    assert.equal(secretMatches(undefined, 'abc'), false);
  });
});
