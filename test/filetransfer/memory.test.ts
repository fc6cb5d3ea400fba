/**
 * Streaming, measured (issue 13 "better than the original"): a 1 GiB upload raises the server's
 * resident memory by less than 50 MiB. The server is the real `sylk-server` in a child process (its
 * RSS read from /proc/<pid>/status while the body flows), so the measurement is not blurred by the
 * test's own buffers. The uploader authenticates with its API token; the SHA-1 of the descriptor must
 * equal the one computed over the bytes sent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/storage/index.js';
import { startSylk, type SylkInstance } from '../helpers/e2e-server.js';
import { startRecorder, type SipRecorder } from '../helpers/sip-recorder.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const TOKEN = 'memory-test-token-0123456789';
const GIB = 1024 ** 3;
const CHUNK = 1024 * 1024;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** POST `total` bytes (a fresh 1 MiB block repeated, each varied by its index); resolves with status and the SHA-1 sent. */
function streamUpload(port: number, path: string, total: number): Promise<{ status: number; body: string; sha1: string }> {
  const block = randomBytes(CHUNK);
  const sha1 = createHash('sha1');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path, headers: { 'Content-Type': 'video/mp4', 'Content-Length': total, Authorization: `Apikey ${TOKEN}` } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sha1: sha1.digest('hex') }));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        block.writeUInt32BE(sent / CHUNK, 0);
        const n = Math.min(CHUNK, total - sent);
        const piece = n === CHUNK ? block : block.subarray(0, n);
        sha1.update(piece);
        sent += n;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

let dir: string;
let proxy: SipRecorder;
let sylk: SylkInstance;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-ft-mem-'));
  const sqlitePath = join(dir, 'journal.sqlite');
  const store = await openStore({ engine: 'sqlite', path: sqlitePath });
  await store.addAccount(ALICE);
  await store.addAccount(BOB);
  await store.setApiToken(ALICE, TOKEN, new Date(Date.now() + 86_400_000));
  await store.close();
  proxy = await startRecorder(0);
  sylk = await startSylk({
    name: 'ft-memory',
    sipPort: 0,
    proxyPort: proxy.port,
    storage: { sqlitePath },
    general: [`file_transfer_dir = ${join(dir, 'files')}`, 'filetransfer_max_size = 2G', 'filetransfer_quota = 4G'],
  });
});

after(async () => {
  await sylk?.stop();
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a 1 GiB upload raises the server RSS by less than 50 MiB; the SHA-1 is the one of the bytes sent', { timeout: 300_000 }, async () => {
  const port = Number(new URL(sylk.httpUrl).port);
  const path = (id: string, name: string): string => `/webrtcgateway/filetransfer/${ALICE}/${BOB}/${id}/${name}`;
  // Warm up the route (code loaded and compiled), then take the baseline.
  const warm = await streamUpload(port, path(randomUUID(), 'warm.mp4'), 64 * CHUNK);
  assert.equal(warm.status, 200, warm.body);
  const baseline = rssBytes(sylk.pid);
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(sylk.pid));
  }, 25);
  const id = randomUUID();
  let result;
  try {
    result = await streamUpload(port, path(id, 'big.mp4'), GIB);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssBytes(sylk.pid));
  assert.equal(result.status, 200, `${result.body}\n${sylk.log().slice(-3000)}`);
  const growth = peak - baseline;
  console.log(`server RSS baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, peak ${(peak / 2 ** 20).toFixed(1)} MiB, growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(growth < 50 * 2 ** 20, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);

  const store = await openStore({ engine: 'sqlite', path: join(dir, 'journal.sqlite') });
  try {
    const entry = (await store.query(BOB, { limit: 100 })).entries.find((e) => e.messageId === id);
    assert.ok(entry, 'descriptor stored');
    const d = JSON.parse(entry.content) as { filesize: number; hash: string };
    assert.equal(d.filesize, GIB);
    assert.equal(d.hash, `sha-1:${result.sha1.toUpperCase().match(/../g)!.join(':')}`);
  } finally {
    await store.close();
  }
});
