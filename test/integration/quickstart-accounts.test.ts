/**
 * The README quick start, account part (`standalone.md`, issue 14 "Done when"): the daemon started
 * with the shipped sample configuration (`config/`, standalone mode; only the ports are overridden to
 * ephemeral ones, as tests must), two accounts created with `sylk-db account add --password-stdin`
 * as the README says, both log in over the WebSocket API with their passwords (a wrong one is
 * refused), and a message from one reaches the other. Real processes, real SQLite, 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { superviseChild, type ServiceProcess } from '../helpers/child.js';
import { WsClient } from '../helpers/e2e-ws.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'config');
const SERVER = join(ROOT, 'src/cli/sylk-server.ts');
const SYLK_DB = join(ROOT, 'src/cli/sylk-db.ts');
/** tsx by URL: the processes run in a temporary directory, where a bare `tsx` does not resolve. */
const TSX = import.meta.resolve('tsx');

describe('README quick start: sample configuration, sylk-db accounts, chat', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'sylk-quickstart-'));
  let server: ServiceProcess;
  let wsUrl: string;

  /** `sylk-db --config-dir config account add <aor> --password-stdin`, run where the daemon runs. */
  const addAccount = (aor: string, password: string) =>
    spawnSync(process.execPath, ['--import', TSX, SYLK_DB, '--config-dir', SAMPLE, 'account', 'add', aor, '--password-stdin'], {
      cwd,
      input: `${password}\n`,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_TEST_CONTEXT: '' },
    });

  before(async () => {
    // The sample is read as the system directory, the port overrides as the local one (read last).
    const override = join(cwd, 'ports');
    mkdirSync(override);
    writeFileSync(join(override, 'config.ini'), `[SIP]\nlocal_udp_port = 0\nlocal_tcp_port = 0\n[WebServer]\nlocal_port = 0\n`);
    writeFileSync(join(override, 'webrtcgateway.ini'), '[General]\nhttp_management_interface = 127.0.0.1:0\n');
    server = superviseChild(
      spawn(process.execPath, ['--import', TSX, SERVER, '--config-dir', override], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_TEST_CONTEXT: '', SYLK_LOG_LEVEL: 'info', SYLK_SYSTEM_CONFIG_DIR: SAMPLE, SYLK_USER_CONFIG_DIR: '' },
      }),
      cwd,
      10_000,
    );
    const t0 = Date.now();
    for (;;) {
      const m = /"mode":"(\w+)","web":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"sylk-server started"/.exec(server.output());
      if (m) {
        assert.equal(m[1], 'standalone');
        wsUrl = `${m[2]!.replace(/^http/, 'ws')}/webrtcgateway/ws`;
        break;
      }
      if (server.child.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`sylk-server did not start:\n${server.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(() => server?.stop());

  test('create alice and bob with sylk-db, log in, chat', async () => {
    for (const [aor, pw] of [
      ['alice@example.com', 'alice-password'],
      ['bob@example.com', 'bob-password'],
    ] as const) {
      const r = addAccount(aor, pw);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`Account ${aor} added`));
      assert.match(r.stdout, new RegExp(`Using sqlite:${cwd}/var/`), 'the same store as the daemon');
    }
    const login = async (aor: string, password: string): Promise<WsClient> => {
      const c = await WsClient.connect(wsUrl, aor);
      await c.request({ sylkrtc: 'account-add', account: aor, password });
      await c.request({ sylkrtc: 'account-register', account: aor });
      await c.waitFor((f) => f.event === 'registration-state' && (f.state === 'registered' || f.state === 'failed'));
      return c;
    };
    const wrong = await login('bob@example.com', 'not-bobs-password');
    assert.equal(wrong.events('registration-state').at(-1)?.state, 'failed');
    assert.equal(wrong.events('registration-state').at(-1)?.reason, '904 No matching challenge');
    wrong.close();

    const alice = await login('alice@example.com', 'alice-password');
    const bob = await login('bob@example.com', 'bob-password');
    try {
      assert.equal(alice.events('registration-state').at(-1)?.state, 'registered');
      assert.equal(bob.events('registration-state').at(-1)?.state, 'registered');
      const id = randomUUID();
      await alice.request({ sylkrtc: 'account-message', account: 'alice@example.com', uri: 'bob@example.com', message_id: id, content: 'hello bob', content_type: 'text/plain', timestamp: new Date().toISOString() });
      const [m] = await bob.waitFor((f) => f.event === 'message' && f.message_id === id);
      assert.equal(m!.content, 'hello bob');
    } finally {
      alice.close();
      bob.close();
    }
  });
});
