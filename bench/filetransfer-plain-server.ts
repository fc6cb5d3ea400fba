/**
 * Child process of bench/filetransfer.ts: the baseline — a plain `node:http` server that writes each
 * POST body to a file with `stream.pipeline` (no hashing, no checks, no journal) and serves GET of the
 * last file with `fs.createReadStream`. Reports its port over IPC.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = mkdtempSync(join(tmpdir(), 'ft-bench-plain-'));
let seq = 0;
let last = '';
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    const path = join(dir, String(seq++));
    pipeline(req, createWriteStream(path, { highWaterMark: 1024 * 1024 })).then(
      () => {
        last = path;
        res.end('OK');
      },
      () => res.destroy(),
    );
    return;
  }
  res.writeHead(200, { 'Content-Length': statSync(last).size, 'Content-Type': 'application/octet-stream' });
  void pipeline(createReadStream(last), res).catch(() => undefined);
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port, pid: process.pid }));
process.on('message', () => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
