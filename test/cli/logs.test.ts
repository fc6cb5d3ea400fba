/**
 * `sylk-server` logging: readable lines on a terminal (pino-pretty transport), JSON lines otherwise,
 * `--log-level` overriding the environment and the configuration, and `--help` documenting every
 * option the parser accepts. The terminal is a real pseudo-terminal (util-linux `script`).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_OPTIONS, USAGE } from '../../src/cli/server/args.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'src/cli/sylk-server.ts');
const TSX = fileURLToPath(import.meta.resolve('tsx'));

const tmp = mkdtempSync(join(tmpdir(), 'sylk-logs-'));
writeFileSync(
  join(tmp, 'config.ini'),
  '[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port = 0\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n',
);
writeFileSync(join(tmp, 'webrtcgateway.ini'), '[General]\nhttp_management_interface = 127.0.0.1:0\n');

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SYLK_SYSTEM_CONFIG_DIR: '', SYLK_USER_CONFIG_DIR: '', SYLK_LOG_LEVEL: 'info' };
  delete env.NODE_TEST_CONTEXT;
  delete env.SYLK_LOG_FORMAT;
  return env;
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Start the server (in its own process group); `tty` runs it on a pseudo-terminal. */
function start(args: string[], tty: boolean): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const argv = [process.execPath, '--import', TSX, SCRIPT, '--config-dir', tmp, ...args];
  const child = tty
    ? spawn('script', ['-qec', argv.map(quote).join(' '), '/dev/null'], { cwd: tmp, env: childEnv(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { cwd: tmp, env: childEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

async function waitFor(out: () => string, re: RegExp, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!re.test(out())) {
    if (Date.now() - t0 > ms) throw new Error(`no ${re} within ${ms} ms in:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(r: { child: ChildProcess; exit: Promise<number | null> }): Promise<void> {
  process.kill(-r.child.pid!, 'SIGTERM');
  await r.exit;
}

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

test('on a terminal the log is readable lines, one per record, not JSON', async () => {
  const r = start([], true);
  await waitFor(r.out, /sylk-server started/);
  const lines = stripAnsi(r.out()).split(/\r?\n/).filter((l) => l.trim() !== '');
  await stop(r);
  const startedLine = lines.find((l) => l.includes('sylk-server started'));
  assert.match(startedLine ?? '', /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: server: sylk-server started \{"mode":"proxy","web":"http:\/\/127\.0\.0\.1:\d+"/);
  assert.ok(lines.some((l) => /INFO: main: starting sylk-server/.test(l)), lines.join('\n'));
  assert.deepEqual(lines.filter((l) => l.startsWith('{')), [], 'no JSON lines on a terminal');
});

test('without a terminal the log is JSON lines, and --log-level overrides SYLK_LOG_LEVEL', async () => {
  const r = start(['--log-level', 'warning'], false);
  // The push warning comes after "starting sylk-server" and "opening journal store" (both info).
  await waitFor(r.out, /push notifications disabled/);
  await new Promise((res) => setTimeout(res, 300));
  await stop(r);
  const lines = r.out().split('\n').filter((l) => l !== '');
  const records = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
  assert.ok(records.some((x) => x.level === 40 && /push notifications disabled/.test(x.msg)));
  assert.deepEqual(records.filter((x) => x.level < 40).map((x) => x.msg), [], 'nothing below warning was logged');
});

test('--log-level with an unknown level is a usage error', async () => {
  const r = start(['--log-level', 'loud'], false);
  assert.equal(await r.exit, 2);
  assert.match(r.out(), /--log-level loud: not one of debug, info, warning/);
});

test('--help documents every option the parser accepts', () => {
  for (const [name, spec] of Object.entries(SERVER_OPTIONS)) {
    assert.match(USAGE, new RegExp(`^ {2}(-${'short' in spec ? spec.short : 'none'}, )?--${name}\\b`, 'm'), `--${name} in --help`);
  }
});
