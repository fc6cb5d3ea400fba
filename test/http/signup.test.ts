/**
 * Sign-up (`standalone.md` §6) through the real composition root (`startServer`, SQLite, 127.0.0.1):
 * off by default (404), and in standalone mode with `[Accounts] allow_signup = yes`: 201 with the
 * SIP address, the account then logs in over the WebSocket; 409 when it exists; 400 for bad names,
 * short passwords, unserved domains and bad bodies; the 11th attempt of an address within an hour → 429.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { passwordMatches } from '../../src/accounts/credentials.js';
import { startServer, type RunningServer } from '../../src/cli/server/compose.js';
import { loadConfig } from '../../src/config/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sylk-signup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

async function start(mode: string, webrtcgateway: string[]): Promise<RunningServer> {
  const dir = join(tmp, `c${++n}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.ini'), `[Server]\nmode = ${mode}\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port = 0\nlocal_tls_port =\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n`);
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    ['[General]', 'http_management_interface = 127.0.0.1:0', ...webrtcgateway, '[FileStorage]', `storage_dir = ${dir}`, '[Storage]', `sqlite_path = ${join(dir, 'j.sqlite')}`, ''].join('\n'),
  );
  const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, log: false, defaultIp: '127.0.0.1', cwd: dir });
  return startServer(config, { version: 'test', serverHeader: 'test' });
}

async function post(server: RunningServer, body: unknown): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${server.web.port}/webrtcgateway/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : { text };
  return { status: res.status, json, headers: res.headers };
}

describe('sign-up', () => {
  test('off by default: 404, nothing created', async () => {
    const server = await start('standalone', []);
    try {
      const r = await post(server, { username: 'eve', password: 'long enough' });
      assert.equal(r.status, 404);
      assert.deepEqual(await server.store.localAccounts.listAccounts(), []);
    } finally {
      await server.stop();
    }
  });

  describe('allowed', () => {
    let server: RunningServer;
    before(async () => {
      server = await start('standalone', ['sip_domains = chat.example, other.example', '[Accounts]', 'allow_signup = yes']);
    });
    after(() => server?.stop());

    test('201 creates username@first domain; 409 when it exists; 400 for bad input; then 429', async () => {
      const ok = await post(server, { username: 'Frank', password: 'long enough', display_name: 'Frank F' });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.json, { success: true, sip_address: 'frank@chat.example' });
      const stored = await server.store.localAccounts.getAccount('frank@chat.example');
      assert.ok(stored);
      assert.equal(stored.displayName, 'Frank F');
      assert.equal(passwordMatches(stored, 'long enough'), true);

      const other = await post(server, { username: 'grace', password: 'long enough', domain: 'other.example' });
      assert.equal(other.status, 201);
      assert.equal(other.json.sip_address, 'grace@other.example');

      const dup = await post(server, { username: 'frank', password: 'another one' });
      assert.equal(dup.status, 409);
      assert.equal(dup.json.success, false);
      assert.equal(passwordMatches((await server.store.localAccounts.getAccount('frank@chat.example'))!, 'long enough'), true, 'not overwritten');

      for (const [body, re] of [
        [{ username: 'hank', password: 'short' }, /at least 8 characters/],
        [{ username: 'h/nk', password: 'long enough' }, /invalid account/],
        [{ username: 'hank', password: 'long enough', domain: 'elsewhere.net' }, /not served here/],
        [{ user: 'hank', password: 'long enough' }, /expected a JSON object/],
      ] as const) {
        const r = await post(server, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(String(r.json.error), re);
      }
      assert.equal(await server.store.localAccounts.getAccount('hank@chat.example'), null);
      // 7 attempts so far from 127.0.0.1: three more are allowed, the 11th is refused.
      for (const username of ['ivan', 'judy', 'leo']) assert.equal((await post(server, { username, password: 'long enough' })).status, 201);
      const limited = await post(server, { username: 'karl', password: 'long enough' });
      assert.equal(limited.status, 429);
      assert.match(String(limited.json.error), /10 per hour/);
      assert.ok(Number(limited.headers.get('retry-after')) > 3000);
      assert.equal(await server.store.localAccounts.getAccount('karl@chat.example'), null);
    });
  });
});
