/**
 * Streaming an upload to disk (`http-api.md` §3.2 step 4, issue 13 "streaming"): the body goes to a
 * temporary file in `<file_transfer_dir>/.incoming` as it arrives, with the SHA-1 (`sip-messaging.md`
 * §9.1 step 2) and the byte count computed on the way by the writing thread (`writer.ts`), never
 * held in memory beyond a bounded window. The size limit is enforced on the bytes themselves, not
 * only on `Content-Length`. Any failure — the client aborts, the upload is cancelled, the limit is
 * passed, the disk fails — removes the temporary file; only a complete body is moved into place (`commitFile`, a rename on the same
 * filesystem).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UploadWriter } from './writer.js';
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

export interface ReceiveOptions {
  /** `<file_transfer_dir>`. */
  root: string;
  /** Largest body accepted (bytes). */
  maxBytes: number;
  /** `Content-Length`: a shorter body is an incomplete upload. */
  expectedBytes: number;
  /** The thread writing the file and computing its SHA-1 (`writer.ts`). */
  writer: UploadWriter;
  /** The body's chunks belong to nobody else (an HTTP request body): moved to the thread, not copied. */
  ownsChunks?: boolean;
}

/** Write `body` to a temporary file; rejects (and leaves nothing behind) unless it arrived whole. */
export async function receiveFile(body: Readable, o: ReceiveOptions): Promise<ReceivedFile> {
  const dir = join(o.root, INCOMING_DIR);
  await mkdir(dir, { recursive: true });
  const tmpPath = join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  const file = o.writer.open(tmpPath, {
    limit: Math.min(o.maxBytes, o.expectedBytes),
    tooLarge: (limit) => new TooLargeError(limit),
    ownsChunks: o.ownsChunks ?? false,
  });
  try {
    await pipeline(body, file);
    if (file.size !== o.expectedBytes) throw new IncompleteError(o.expectedBytes, file.size);
    return { tmpPath, size: file.size, hash: formatSha1(file.digest!) };
  } catch (err) {
    await file.discard();
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
