/**
 * Streaming an upload to disk (`http-api.md` §3.2 step 4, issue 13 "streaming"): the body goes to a
 * temporary file in `<file_transfer_dir>/.incoming` as it arrives, with the SHA-1 (`sip-messaging.md`
 * §9.1 step 2; a worker thread follows the file as it is written: `hasher.ts`) and the byte count
 * computed on the way, never held in memory beyond the stream buffers. The size limit is enforced on the bytes themselves, not only on `Content-Length`. Any
 * failure — the client aborts, the upload is cancelled, the limit is passed, the disk fails — removes
 * the temporary file; only a complete body is moved into place (`commitFile`, a rename on the same
 * filesystem).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sha1Hasher } from './hasher.js';
import { INCOMING_DIR } from './layout.js';

/** The body was larger than allowed (413). */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`upload larger than ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

/** The body ended before `Content-Length` bytes arrived. */
export class IncompleteError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`upload ended after ${received} of ${expected} bytes`);
    this.name = 'IncompleteError';
  }
}

export interface ReceivedFile {
  /** The temporary file holding the complete body. */
  tmpPath: string;
  size: number;
  /** `sha-1:` + upper-case hex byte pairs joined by `:` (§9.1 step 2). */
  hash: string;
}

/** `sha-1:3A:7F:…` */
export function formatSha1(digest: Buffer): string {
  return `sha-1:${[...digest].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':')}`;
}

/** Count what passes; fail when more than `limit` bytes pass. */
class Meter extends Transform {
  bytes = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new TooLargeError(this.limit));
    done(null, chunk);
  }
}

/** How often the hashing thread is told how far the file is written (ms). */
const PROGRESS_MS = 10;

export interface ReceiveOptions {
  /** `<file_transfer_dir>`. */
  root: string;
  /** Largest body accepted (bytes). */
  maxBytes: number;
  /** `Content-Length`: a shorter body is an incomplete upload. */
  expectedBytes: number;
  /** Where the SHA-1 is computed (`hasher.ts`). */
  hasher: Sha1Hasher;
}

/** Write `body` to a temporary file; rejects (and leaves nothing behind) unless it arrived whole. */
export async function receiveFile(body: Readable, o: ReceiveOptions): Promise<ReceivedFile> {
  const dir = join(o.root, INCOMING_DIR);
  await mkdir(dir, { recursive: true });
  const tmpPath = join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  const meter = new Meter(Math.min(o.maxBytes, o.expectedBytes));
  const out = createWriteStream(tmpPath, { flags: 'wx', highWaterMark: 1024 * 1024 });
  const sha1 = o.hasher.job(tmpPath);
  const progress = setInterval(() => sha1.written(out.bytesWritten), PROGRESS_MS);
  try {
    await pipeline(body, meter, out);
    clearInterval(progress);
    if (meter.bytes !== o.expectedBytes) throw new IncompleteError(o.expectedBytes, meter.bytes);
    return { tmpPath, size: meter.bytes, hash: formatSha1(await sha1.digest(meter.bytes)) };
  } catch (err) {
    clearInterval(progress);
    sha1.drop();
    await rm(tmpPath, { force: true });
    throw err;
  }
}

/** Move a received file to its place, then write its metadata file beside it. */
export async function commitFile(received: ReceivedFile, dir: string, file: string, meta: string, metadata: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await rename(received.tmpPath, file);
  await writeFile(meta, metadata);
}
