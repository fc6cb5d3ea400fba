// The SQLite shared-memory file (`journal.sqlite-shm`) becoming unwritable (issue 15 item 5): the
// daemon used to die of SIGBUS (status 135) without a word. Now it notices (storage/sqlite/shm-watch.ts)
// and exits with status 70 and a fatal log line naming the file, before SQLite touches the mapping.
// The real daemon in a child process, real SQLite; the file is made immutable (`chattr +i`, root) or
// read-only (`chmod 0444`, other users), while MESSAGEs keep arriving.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = process.getuid?.() === 0;

function message(port: number, i: number): Buffer {
  const body = `From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: shm-${i}\r\n\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(2000)}`;
  return Buffer.from(
    `MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKshm${i};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:alice@example.com>;tag=s${i}\r\nTo: <sip:bob@example.com>\r\nCall-ID: shm-${i}\r\nCSeq: 1 MESSAGE\r\nX-Sylk-From-Sip: yes\r\n` +
      `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

test('an unwritable -shm file: a clear fatal line and status 70, not a silent SIGBUS', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-shm-'));
  const db = join(dir, 'journal.sqlite');
  const shm = `${db}-shm`;
  writeFileSync(join(dir, 'config.ini'), '[Server]\ndefault_application = webrtcgateway\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port =\nlocal_tls_port =\ntrusted_peers = 127.0.0.1\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n');
  writeFileSync(join(dir, 'webrtcgateway.ini'), `[General]\nhttp_management_interface = 127.0.0.1:0\n[FileStorage]\nstorage_dir = ${dir}\n[Storage]\nbackend = sqlite\nsqlite_path = ${db}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, SYLK_LOG_LEVEL: 'info', SYLK_SYSTEM_CONFIG_DIR: '', SYLK_USER_CONFIG_DIR: '' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/sylk-server.ts'), '--config-dir', dir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const sock = createSocket('udp4');
  let locked = false;
  try {
    let port = 0;
    for (let i = 0; i < 600 && port === 0; i++) {
      port = Number(/"sip":\{"udp":(\d+)/.exec(out)?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(port > 0, `daemon started:\n${out.slice(-3000)}`);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const answered: number[] = [];
    sock.on('message', (m) => {
      const s = /^SIP\/2\.0 (\d{3})/.exec(m.toString('latin1'));
      if (s && Number(s[1]) >= 200) answered.push(Number(s[1]));
    });
    let i = 0;
    const send = (n: number) => {
      for (let k = 0; k < n; k++, i++) sock.send(message(sock.address().port, i), port, '127.0.0.1');
    };
    send(20);
    for (let t = 0; t < 100 && !answered.includes(200); t++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(answered.includes(200), 'stored before');
    assert.ok(existsSync(shm));

    if (isRoot) execFileSync('chattr', ['+i', shm]);
    else chmodSync(shm, 0o444);
    locked = true;
    // Keep writing (every MESSAGE grows the WAL and touches the index) until the daemon is gone.
    const pump = setInterval(() => send(20), 20);
    const result = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 60_000))]);
    clearInterval(pump);
    assert.notEqual(result, null, 'the daemon stops');
    assert.deepEqual(result, { code: 70, signal: null }, `not killed by a signal:\n${out.slice(-3000)}`);
    assert.match(out, /"level":60[^\n]*SQLite shared-memory file [^\n]*journal\.sqlite-shm is no longer writable/);
  } finally {
    if (locked && isRoot) execFileSync('chattr', ['-i', shm]);
    sock.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
