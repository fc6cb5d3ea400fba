import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contactPushParams, parseContactPushParams, parseDeviceTokenRequest, pushTokenRecord, splitIosToken } from '../../src/push/tokens.js';

test('account-devicetoken: valid request, silent optional (default false)', () => {
  const r = parseDeviceTokenRequest({
    sylkrtc: 'account-devicetoken',
    account: 'alice@example.com',
    token: '4f1c0a9e-7b22d51f',
    platform: 'ios',
    device: 'D3A9-41F0',
    app: 'com.agprojects.sylk-ios',
    transaction: 'a2-02',
  });
  assert.deepEqual(r, { ok: true, params: { appId: 'com.agprojects.sylk-ios', deviceId: 'D3A9-41F0', platform: 'ios', token: '4f1c0a9e-7b22d51f', silent: false } });
  const s = parseDeviceTokenRequest({ token: 't', platform: 'android', device: 'd', app: 'a', silent: true });
  assert.equal(s.ok && s.params?.silent, true);
});

test('account-devicetoken: empty token is accepted and ignored; missing or mistyped fields are errors', () => {
  assert.deepEqual(parseDeviceTokenRequest({ token: '', platform: 'ios', device: 'd', app: 'a' }), { ok: true, params: null });
  const noApp = parseDeviceTokenRequest({ token: 't', platform: 'ios', device: 'd' });
  assert.equal(noApp.ok, false);
  assert.match(!noApp.ok ? noApp.error : '', /app/);
  assert.equal(parseDeviceTokenRequest({ token: 't', platform: 'ios', device: 'd', app: 'a', silent: 'yes' }).ok, false);
  assert.equal(parseDeviceTokenRequest({ token: 5, platform: 'ios', device: 'd', app: 'a' }).ok, false);
  assert.equal(parseDeviceTokenRequest(null).ok, false);
});

test('iOS split at the first dash only, and only for platform exactly "ios"', () => {
  assert.deepEqual(splitIosToken('ios', 'voip123-bg456'), ['voip123', 'bg456']);
  // The original unpacks split('-') into two names and fails on a second dash; we keep the rest.
  assert.deepEqual(splitIosToken('ios', 'voip-bg-extra'), ['voip', 'bg-extra']);
  assert.deepEqual(splitIosToken('ios', 'single'), ['single', null]);
  assert.deepEqual(splitIosToken('ios', 'voip-'), ['voip', null]);
  assert.deepEqual(splitIosToken('ios', '-bg'), ['bg', null]);
  assert.deepEqual(splitIosToken('android', 'a-b'), ['a-b', null]);
  assert.deepEqual(splitIosToken('iOS', 'a-b'), ['a-b', null]);
  assert.deepEqual(splitIosToken('apple', 'a-b'), ['a-b', null]);
});

test('pushTokenRecord builds the store record with the split applied', () => {
  const rec = pushTokenRecord('alice@example.com', { appId: 'com.x', deviceId: 'D1', platform: 'ios', token: 'v-b', silent: true }, 'Sylk 3.6.2 (iOS 17.4)');
  assert.deepEqual(rec, {
    account: 'alice@example.com',
    appId: 'com.x',
    deviceId: 'D1',
    platform: 'ios',
    token: 'v',
    backgroundToken: 'b',
    silent: true,
    userAgent: 'Sylk 3.6.2 (iOS 17.4)',
  });
});

test('contact parameters: Sylk pn-* and pn_* forms, case-insensitive, decoded; round trip', () => {
  const params = { appId: 'com.agprojects.sylk-ios', deviceId: 'D3A9-41F0', platform: 'ios', token: 'v-b', silent: true };
  const contact = contactPushParams(params);
  assert.deepEqual(contact, { 'pn-app': 'com.agprojects.sylk-ios', 'pn-tok': 'v-b', 'pn-type': 'ios', 'pn-device': 'D3A9-41F0', 'pn-silent': '1' });
  assert.deepEqual(parseContactPushParams(contact), params);
  assert.deepEqual(
    parseContactPushParams(new Map([['PN_APP', 'a'], ['pn_tok', 'tok%3Aen'], ['pn_type', 'android'], ['pn_device', 'dev'], ['transport', 'ws']])),
    { appId: 'a', deviceId: 'dev', platform: 'android', token: 'tok:en', silent: false },
  );
  assert.deepEqual(
    parseContactPushParams([['pn-app', 'a'], ['pn-tok', 't'], ['pn-type', 'ios'], ['pn-device', 'd'], ['pn-silent', '0']]),
    { appId: 'a', deviceId: 'd', platform: 'ios', token: 't', silent: false },
  );
  assert.equal(parseContactPushParams({ transport: 'ws', ob: null }), null);
  assert.equal(parseContactPushParams({ 'pn-tok': 't', 'pn-type': 'ios' }), null, 'no app/device: unusable');
});

test('contact parameters: RFC 8599 pn-provider / pn-prid / pn-param', () => {
  assert.deepEqual(parseContactPushParams({ 'pn-provider': 'apns', 'pn-prid': 'abc123', 'pn-param': 'TEAM1.com.example.app.voip' }), {
    appId: 'com.example.app',
    deviceId: 'abc123',
    platform: 'apple',
    token: 'abc123',
    silent: false,
  });
  assert.deepEqual(parseContactPushParams({ 'pn-provider': 'fcm', 'pn-prid': 'regtok', 'pn-param': 'my-project' }), {
    appId: 'my-project',
    deviceId: 'regtok',
    platform: 'firebase',
    token: 'regtok',
    silent: false,
  });
  assert.equal(parseContactPushParams({ 'pn-provider': 'webpush', 'pn-prid': 'x', 'pn-param': 'y' }), null);
  assert.equal(parseContactPushParams({ 'pn-provider': 'apns', 'pn-prid': 'x', 'pn-param': 'nodot' }), null);
});
