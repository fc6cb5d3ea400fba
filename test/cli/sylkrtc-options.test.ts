/**
 * The composition root's mapping of `[General]` to the sylkRTC gateway's options
 * (`src/cli/server/sylkrtc.ts`): one meaning of `sip_domains` and `web_origins` on every path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { sipRegistrationSettings, sylkRtcSettingsFromConfig } from '../../src/cli/server/sylkrtc.js';
import { domainAllowed, originAllowed } from '../../src/sylkrtc/index.js';

function withGeneral(lines: string[], fn: (config: ReturnType<typeof loadConfig>) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-sylkrtc-options-'));
  try {
    writeFileSync(join(dir, 'webrtcgateway.ini'), ['[General]', ...lines, ''].join('\n'));
    fn(loadConfig({ configDir: dir, systemDir: null, userDir: null, cwd: dir, defaultIp: '127.0.0.1', log: false }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('sip_domains: default * allows any domain', () => {
  withGeneral([], (config) => {
    const s = sylkRtcSettingsFromConfig(config);
    assert.equal(s.sipDomains, '*');
    assert.equal(domainAllowed(s, 'anything.example'), true);
    assert.equal(s.webOrigins, '*');
    assert.equal(s.pingIntervalSec, 120);
    assert.equal(s.addressBookDir, join(config.FileStorage.storage_dir, 'addressbook'));
  });
});

test('sip_domains: an explicitly empty value means nobody (configuration.md §1: empty = empty list)', () => {
  withGeneral(['sip_domains =', 'web_origins ='], (config) => {
    const s = sylkRtcSettingsFromConfig(config);
    assert.deepEqual(s.sipDomains, []);
    assert.equal(domainAllowed(s, 'example.com'), false);
    // web_origins: an empty list lets only clients without Origin (apps) in.
    assert.deepEqual(s.webOrigins, []);
    assert.equal(originAllowed(s.webOrigins, 'https://webrtc.example.com'), false);
    assert.equal(originAllowed(s.webOrigins, undefined), true);
  });
});

test('sip_domains: listed domains, compared case-insensitively; * anywhere in the list allows any', () => {
  withGeneral(['sip_domains = Example.COM, other.org', 'websocket_ping_interval = 30'], (config) => {
    const s = sylkRtcSettingsFromConfig(config);
    assert.deepEqual(s.sipDomains, ['example.com', 'other.org']);
    assert.equal(domainAllowed(s, 'EXAMPLE.com'), true);
    assert.equal(domainAllowed(s, 'other.org'), true);
    assert.equal(domainAllowed(s, 'evil.org'), false);
    assert.equal(s.pingIntervalSec, 30);
  });
  withGeneral(['sip_domains = example.com, *'], (config) => {
    assert.equal(sylkRtcSettingsFromConfig(config).sipDomains, '*');
  });
});

test('SIP registration settings: contact on the first of udp, tcp, tls; outbound_sip_proxy as next hop', () => {
  withGeneral(['outbound_sip_proxy = proxy.example.com:5070;transport=tcp'], (config) => {
    const s = sipRegistrationSettings(config, { tcp: 5080, tls: 5081 });
    assert.equal(s.contactHost, `${config.SIP.local_ip}:5080`);
    assert.equal(s.contactTransport, 'tcp');
    assert.match(s.nextHop ?? '', /proxy\.example\.com/);
  });
  withGeneral([], (config) => {
    const s = sipRegistrationSettings(config, { udp: 5060, tcp: 5060 });
    assert.equal(s.contactTransport, 'udp');
    assert.equal(s.nextHop, undefined);
  });
});
