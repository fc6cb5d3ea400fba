import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort, parsePushConfig, PushConfigError } from '../../src/push/config.js';
import { providerRouter } from '../../src/push/providers/index.js';
import type { PushProvider, PushToken } from '../../src/push/types.js';

test('defaults: no push without sylk_push_url; management on 127.0.0.1:20888 without a secret', () => {
  const c = parsePushConfig({}, {});
  assert.equal(c.provider, 'none');
  assert.equal(c.sylkPushUrl, null);
  assert.deepEqual(c.management, { host: '127.0.0.1', port: 20888, secret: null });
  assert.equal(c.skipOnlineDevices, false);
  assert.equal(c.maxRetries, 3);
  assert.equal(c.retryBaseDelayMs, 500);
  assert.equal(c.retryMaxDelayMs, 30000);
});

test('sylk_push_url alone selects sylk-pushserver (existing deployments unchanged)', () => {
  const c = parsePushConfig({}, { sylk_push_url: 'https://push.example.com:8400/push', http_management_interface: '127.0.0.1:9999', http_management_auth_secret: 's3cret' });
  assert.equal(c.provider, 'sylk-pushserver');
  assert.equal(c.sylkPushUrl, 'https://push.example.com:8400/push');
  assert.deepEqual(c.management, { host: '127.0.0.1', port: 9999, secret: 's3cret' });
});

test('direct providers, per-app routing, numbers and booleans', () => {
  const c = parsePushConfig(
    {
      apns_key_path: '/etc/sylk/AuthKey.p8',
      apns_key_id: 'KEY1',
      apns_team_id: 'TEAM1',
      apns_sandbox: 'yes',
      fcm_service_account_path: '/etc/sylk/sa.json',
      fcm_apps: 'com.example.android',
      disabled_apps: 'com.old.app, com.older.app',
      skip_online_devices: 'true',
      max_retries: '5',
      retry_base_delay: '0.25',
      retry_max_delay: '8',
      request_timeout: '3',
    },
    {},
  );
  assert.equal(c.provider, 'direct');
  assert.deepEqual(c.apns, { keyPath: '/etc/sylk/AuthKey.p8', keyId: 'KEY1', teamId: 'TEAM1', topic: null, sandbox: true, endpoint: null });
  assert.deepEqual(c.fcm, { serviceAccountPath: '/etc/sylk/sa.json', projectId: null, endpoint: null, tokenUri: null });
  assert.deepEqual([...c.appProviders], [['com.example.android', 'fcm'], ['com.old.app', 'none'], ['com.older.app', 'none']]);
  assert.equal(c.skipOnlineDevices, true);
  assert.equal(c.maxRetries, 5);
  assert.equal(c.retryBaseDelayMs, 250);
  assert.equal(c.retryMaxDelayMs, 8000);
  assert.equal(c.requestTimeoutMs, 3000);
});

test('invalid configurations are rejected with the key named', () => {
  assert.throws(() => parsePushConfig({ provider: 'carrier-pigeon' }), PushConfigError);
  assert.throws(() => parsePushConfig({ provider: 'apns' }), /apns/);
  assert.throws(() => parsePushConfig({ apns_key_path: '/k.p8' }), /apns_key_id/);
  assert.throws(() => parsePushConfig({ fcm_apps: 'x' }), /fcm/);
  assert.throws(() => parsePushConfig({ provider: 'sylk-pushserver' }), /sylk_push_url/);
  assert.throws(() => parsePushConfig({}, { sylk_push_url: 'not a url' }), /sylk_push_url/);
  assert.throws(() => parsePushConfig({ skip_online_devices: 'maybe' }), /skip_online_devices/);
  assert.throws(() => parsePushConfig({ max_retries: '-1' }), /max_retries/);
  assert.throws(() => parsePushConfig({ retry_base_delay: 'soon' }), /retry_base_delay/);
});

test('parseHostPort', () => {
  assert.deepEqual(parseHostPort('10.0.0.1', 20888), { host: '10.0.0.1', port: 20888 });
  assert.deepEqual(parseHostPort('10.0.0.1:8080', 20888), { host: '10.0.0.1', port: 8080 });
  assert.deepEqual(parseHostPort('[::1]:8080', 20888), { host: '::1', port: 8080 });
  assert.deepEqual(parseHostPort('::1', 20888), { host: '::1', port: 20888 });
  assert.throws(() => parseHostPort('host:99999', 1), PushConfigError);
});

test('router: per-app entry wins; direct picks by platform; none and unknown give no provider', () => {
  const fake = (name: string): PushProvider => ({ name, send: async () => ({ kind: 'sent', status: 200 }), close: async () => {} });
  const providers = { 'sylk-pushserver': fake('sylk-pushserver'), apns: fake('apns'), fcm: fake('fcm') };
  const rec = (appId: string, platform: string): PushToken => ({ account: 'a@x', appId, deviceId: 'd', platform, token: 't', backgroundToken: null, silent: false, userAgent: null });
  const route = providerRouter({ provider: 'direct', appProviders: new Map([['legacy.app', 'sylk-pushserver'], ['off.app', 'none']]) }, providers);
  assert.equal(route(rec('x', 'ios'))?.name, 'apns');
  assert.equal(route(rec('x', 'apple'))?.name, 'apns');
  assert.equal(route(rec('x', 'android'))?.name, 'fcm');
  assert.equal(route(rec('x', 'firebase'))?.name, 'fcm');
  assert.equal(route(rec('x', 'windows')), null);
  assert.equal(route(rec('legacy.app', 'ios'))?.name, 'sylk-pushserver');
  assert.equal(route(rec('off.app', 'ios')), null);
});

test('one-line wiring from the configuration loader: pushOptionsFromConfig(config) in the composition root', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadConfig } = await import('../../src/config/index.js');
  const { pushOptionsFromConfig } = await import('../../src/cli/server/push.js');
  const dir = mkdtempSync(join(tmpdir(), 'sylk-push-config-'));
  try {
    writeFileSync(
      join(dir, 'webrtcgateway.ini'),
      [
        '[General]',
        'sylk_push_url = https://push.example.com:8400/push',
        'http_management_interface = 127.0.0.1:20999',
        'http_management_auth_secret = s3cret',
        '[Push]',
        'apns_key_path = /etc/sylkserver/AuthKey.p8',
        'apns_key_id = KEY1',
        'apns_team_id = TEAM1',
        'apns_apps = com.example.ios',
        'skip_online_devices = yes',
        '',
      ].join('\n'),
    );
    const cfg = loadConfig({ configDir: dir, systemDir: null, userDir: null, cwd: dir, defaultIp: '127.0.0.1', log: false });
    const push = pushOptionsFromConfig(cfg);
    assert.equal(push.provider, 'sylk-pushserver');
    assert.equal(push.sylkPushUrl, 'https://push.example.com:8400/push');
    assert.equal(push.appProviders.get('com.example.ios'), 'apns');
    assert.equal(push.apns?.keyId, 'KEY1');
    assert.equal(push.skipOnlineDevices, true);
    assert.deepEqual(push.management, { host: '127.0.0.1', port: 20999, secret: 's3cret' });
    const defaultConfig = loadConfig({ configDir: join(dir, 'none'), systemDir: null, userDir: null, cwd: dir, defaultIp: '127.0.0.1', log: false });
    const defaults = pushOptionsFromConfig(defaultConfig);
    assert.equal(defaults.provider, 'none');
    // The loader's defaults and the raw-string parser's are the same ones.
    assert.deepEqual(defaults, parsePushConfig({}, {}));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('[Push] is typed in the configuration schema with its real defaults (shown by --print-config)', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadConfig } = await import('../../src/config/index.js');
  const { formatConfig } = await import('../../src/config/print.js');
  const { pushOptionsFromConfig } = await import('../../src/cli/server/push.js');
  const dir = mkdtempSync(join(tmpdir(), 'sylk-push-config-'));
  try {
    const load = () => loadConfig({ configDir: dir, systemDir: null, userDir: null, cwd: dir, defaultIp: '127.0.0.1', log: false });
    const defaults = load();
    assert.equal(defaults.Push.provider, 'none');
    assert.equal(defaults.Push.max_retries, 3);
    assert.equal(defaults.Push.retry_base_delay, 0.5);
    assert.equal(defaults.Push.retry_max_delay, 30);
    assert.equal(defaults.Push.request_timeout, 10);
    assert.equal(defaults.Push.skip_online_devices, false);
    const printed = formatConfig(defaults);
    assert.match(printed, /^provider = none\b/m);
    assert.match(printed, /^max_retries = 3\b/m);
    assert.match(printed, /^retry_base_delay = 0\.5\b/m);
    assert.match(printed, /^request_timeout = 10\b/m);
    assert.match(printed, /^skip_online_devices = no\b/m);

    // The provider default follows the credentials; values are typed by the loader.
    writeFileSync(
      join(dir, 'webrtcgateway.ini'),
      ['[Push]', 'fcm_service_account_path = /etc/sylk/sa.json', 'retry_base_delay = 0.25', 'max_retries = 5', 'fcm_apps = a, b', ''].join('\n'),
    );
    const cfg = load();
    assert.equal(cfg.Push.provider, 'direct');
    assert.equal(cfg.Push.retry_base_delay, 0.25);
    assert.deepEqual(cfg.Push.fcm_apps, ['a', 'b']);
    const options = pushOptionsFromConfig(cfg);
    assert.equal(options.retryBaseDelayMs, 250);
    assert.equal(options.maxRetries, 5);
    assert.equal(options.appProviders.get('b'), 'fcm');

    // A contradiction between keys still stops start-up with a message naming the key.
    writeFileSync(join(dir, 'webrtcgateway.ini'), ['[Push]', 'provider = apns', ''].join('\n'));
    assert.throws(() => pushOptionsFromConfig(load()), PushConfigError);
    assert.throws(() => pushOptionsFromConfig(load()), /apns_key_path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
