/**
 * Child process of bench/filetransfer.ts: the baseline — a plain `node:http` server that writes each
 * POST body to a file with `stream.pipeline` (no hashing, no checks, no journal) and serves GET of the
 * last file with `fs.createReadStream`. Reports its port over IPC.
 *
 * With the argument `sha1` it also computes the body's SHA-1 the plain way (`crypto.createHash` on
 * the event loop, fed from the `data` events): the second baseline, which pays for the same hash as
 * sylk-server.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = mkdtempSync(join(tmpdir(), 'ft-bench-plain-'));
let seq = 0;
let last = '';
const withSha1 = process.argv[2] === 'sha1';
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    const path = join(dir, String(seq++));
    const hash = withSha1 ? createHash('sha1') : null;
    if (hash) req.on('data', (chunk: Buffer) => hash.update(chunk));
    pipeline(req, createWriteStream(path, { highWaterMark: 1024 * 1024 })).then(
      () => {
        last = path;
        res.end(hash ? hash.digest('hex') : 'OK');
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
