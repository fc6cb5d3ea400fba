/**
 * Writing uploads to disk and computing their SHA-1 (`sip-messaging.md` §9.1 step 2, issue 13
 * "streaming"), both on one worker thread beside the event loop. The event loop only hands the
 * body's chunks over in batches — moved, not copied, when they belong to nobody else (an HTTP request
 * body; otherwise copied) — and the thread hashes them as they arrive, has them written (in order,
 * through the thread pool) and frees them once written. At most `MAX_IN_FLIGHT` bytes per upload are
 * not yet written; beyond that the body is paused (TCP back-pressure), so a slow disk slows the client
 * instead of filling the memory.
 *
 * Why a worker rather than the event loop: SHA-1 (about 0.6 s of CPU per GiB here) would add to the
 * event loop's own work for every upload. Why the worker writes too, and why the chunks are moved: a
 * chunk moved out leaves the event loop's heap at once; chunks that stay until a write stream is done
 * with them pile up as external memory, which makes V8 run full collections of the server's large
 * heap (measured: about 1.4 s of CPU per GiB uploaded, more than the hash). And the file is hashed
 * from the bytes in hand, not read back.
 *
 * `UploadFile` is a `Writable`: `pipeline(body, file)`; after it finishes, `size` and `digest`. A
 * failed, aborted or destroyed upload removes its file (the worker closes and unlinks it) before
 * `discard()` resolves.
 */
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** Send a batch to the worker once this many bytes are waiting (or at the end of the event-loop turn). */
const BATCH_BYTES = 1024 * 1024;
/** Bytes handed to the worker and not yet written; above this the body is paused. */
const MAX_IN_FLIGHT = 2 * 1024 * 1024;

/**
 * The worker: per upload, an fd, the hash, the batches waiting to be written and the bytes written.
 * Each batch is hashed as it arrives, then written through the thread pool (one write at a time per
 * file, in order), so a write held up by the kernel's dirty-page throttling does not hold up the hash.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, writev, closeSync, unlinkSync } = require('node:fs');
const jobs = new Map();
/** Write all of bufs at position pos (a short write continues with the rest). */
function writeAll(fd, bufs, pos, done) {
  writev(fd, bufs, pos, (err, n) => {
    if (err) return done(err);
    let total = 0;
    for (const b of bufs) total += b.length;
    if (n === total) return done(null);
    const rest = [];
    let skip = n;
    for (const b of bufs) {
      if (skip >= b.length) { skip -= b.length; continue; }
      rest.push(b.subarray(skip));
      skip = 0;
    }
    writeAll(fd, rest, pos + n, done);
  });
}
function end(id, job, unlink) {
  jobs.delete(id);
  const fd = job.fd;
  job.fd = null;
  try {
    if (fd !== null) closeSync(fd);
  } finally {
    if (unlink) unlinkSync(job.path);
  }
}
function free(chunks) {
  // Free the bytes now (detach), rather than when this thread's heap is next collected.
  for (const c of chunks) if (!c.buffer.detached) c.buffer.transfer(0);
}
function fail(id, job, err) {
  for (const q of job.queue) free(q);
  job.queue = [];
  try { end(id, job, true); } catch {}
  parentPort.postMessage({ op: job.dropping ? 'dropped' : 'error', id, message: String(err.message), code: err.code });
}
function pump(id, job) {
  if (job.busy) return;
  try {
    if (job.dropping) {
      for (const q of job.queue) free(q);
      job.queue = [];
      end(id, job, true);
      parentPort.postMessage({ op: 'dropped', id });
    } else if (job.queue.length > 0) {
      const chunks = job.queue.length === 1 ? job.queue[0] : job.queue.flat();
      job.queue = [];
      const bufs = chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      let size = 0;
      for (const b of bufs) size += b.length;
      job.busy = true;
      writeAll(job.fd, bufs, job.written, (err) => {
        job.busy = false;
        free(chunks);
        if (err) return fail(id, job, err);
        job.written += size;
        parentPort.postMessage({ op: 'written', id, bytes: job.written });
        pump(id, job);
      });
    } else if (job.ending) {
      end(id, job, false);
      parentPort.postMessage({ op: 'done', id, bytes: job.written, digest: job.hash.digest('hex') });
    }
  } catch (err) {
    fail(id, job, err);
  }
}
parentPort.on('message', (m) => {
  const id = m.id;
  if (m.op === 'open') {
    try {
      const fd = openSync(m.path, 'wx');
      jobs.set(id, { path: m.path, fd, hash: createHash('sha1'), written: 0, queue: [], busy: false, ending: false, dropping: false });
    } catch (err) {
      parentPort.postMessage({ op: 'error', id, message: String(err.message), code: err.code });
    }
    return;
  }
  const job = jobs.get(id);
  if (!job) {
    if (m.op === 'write') free(m.chunks);
    if (m.op === 'drop') parentPort.postMessage({ op: 'dropped', id });
    return;
  }
  if (m.op === 'write') {
    for (const c of m.chunks) job.hash.update(c);
    job.queue.push(m.chunks);
  } else if (m.op === 'end') {
    job.ending = true;
  } else if (m.op === 'drop') {
    job.dropping = true;
  }
  pump(id, job);
});
`;

type Reply =
  | { op: 'written'; id: number; bytes: number }
  | { op: 'done'; id: number; bytes: number; digest: string }
  | { op: 'dropped'; id: number }
  | { op: 'error'; id: number; message: string; code?: string };

/** A disk error reported by the writing thread (`code` as Node's, e.g. `ENOSPC`). */
function threadError(m: { message: string; code?: string }): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`writing the upload failed: ${m.message}`);
  if (m.code) err.code = m.code;
  return err;
}

export interface UploadFileOptions {
  /** More bytes than this fail the stream with `tooLarge(limit)`. */
  limit: number;
  tooLarge: (limit: number) => Error;
  /** The chunks belong to nobody else (an HTTP request body): move them to the thread, no copy. */
  ownsChunks: boolean;
}

/** One upload being written: a `Writable` of the body. */
export class UploadFile extends Writable {
  /** Bytes accepted from the body. */
  size = 0;
  /** The SHA-1 once the stream has finished. */
  digest: Buffer | null = null;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private flushTimer: NodeJS.Immediate | null = null;
  private sent = 0;
  private acked = 0;
  private blocked: ((err?: Error | null) => void) | null = null;
  private finishing: ((err?: Error | null) => void) | null = null;
  private failure: Error | null = null;
  private settled = false;
  private discarded: Promise<void> | null = null;

  constructor(
    private readonly thread: UploadWriter,
    readonly id: number,
    readonly path: string,
    private readonly o: UploadFileOptions,
  ) {
    super({ highWaterMark: 256 * 1024 });
    thread.post({ op: 'open', id, path });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.failure) return done(this.failure);
    this.size += chunk.length;
    if (this.size > this.o.limit) return done(this.o.tooLarge(this.o.limit));
    const whole = this.o.ownsChunks && chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.length && !(chunk.buffer instanceof SharedArrayBuffer);
    this.batch.push(whole ? chunk : new Uint8Array(chunk));
    this.batchBytes += chunk.length;
    if (this.batchBytes >= BATCH_BYTES) this.flush();
    else this.flushTimer ??= setImmediate(() => this.flush());
    if (this.sent + this.batchBytes - this.acked > MAX_IN_FLIGHT) this.blocked = done;
    else done();
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.failure) return done(this.failure);
    this.flush();
    this.finishing = done;
    this.thread.post({ op: 'end', id: this.id });
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    this.batch = [];
    if (!this.settled) void this.discard();
    done(err);
  }

  /** Remove the file (an upload that failed, or whose result is not wanted); resolves once it is gone. */
  discard(): Promise<void> {
    this.discarded ??= new Promise<void>((resolve) => {
      this.settled = true;
      this.thread.drop(this.id, resolve);
    });
    return this.discarded;
  }

  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    if (this.batchBytes === 0) return;
    const chunks = this.batch;
    this.sent += this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    // Each chunk here owns its whole ArrayBuffer (moved or copied above): transfer them all.
    this.thread.post({ op: 'write', id: this.id, chunks }, chunks.map((c) => c.buffer as ArrayBuffer));
  }

  /** @internal */
  onReply(m: Reply): void {
    if (m.op === 'written') {
      this.acked = m.bytes;
      if (this.blocked && this.sent + this.batchBytes - this.acked <= MAX_IN_FLIGHT / 2) {
        const go = this.blocked;
        this.blocked = null;
        go();
      }
    } else if (m.op === 'done') {
      this.settled = true;
      this.thread.forget(this.id);
      this.digest = Buffer.from(m.digest, 'hex');
      this.finishing?.();
    } else if (m.op === 'error') {
      this.fail(threadError(m));
    }
  }

  /** @internal The thread failed, or reported a disk error (the file is already removed then). */
  fail(err: Error): void {
    this.failure ??= err;
    const waiting = this.blocked ?? this.finishing;
    this.blocked = null;
    this.finishing = null;
    if (waiting) waiting(err);
    else this.destroy(err);
  }
}

/** The writing thread and its uploads; it starts with the first upload and does not keep the process alive. */
export class UploadWriter {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly files = new Map<number, UploadFile>();
  private readonly drops = new Map<number, () => void>();

  /** A new file at `path` (created by the thread; it must not exist). */
  open(path: string, o: UploadFileOptions): UploadFile {
    const id = ++this.seq;
    const file = new UploadFile(this, id, path, o);
    this.files.set(id, file);
    return file;
  }

  /** @internal */
  post(message: { op: string; id: number; [k: string]: unknown }, transfer: ArrayBuffer[] = []): void {
    this.thread().postMessage(message, transfer);
  }

  /** @internal */
  forget(id: number): void {
    this.files.delete(id);
  }

  /** @internal Close and remove the file of upload `id`; `gone` runs once it is removed. */
  drop(id: number, gone: () => void): void {
    this.files.delete(id);
    if (!this.worker) return gone(); // the thread is gone, and with it the open file (removed below)
    this.drops.set(id, gone);
    this.worker.postMessage({ op: 'drop', id });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: Reply) => {
      if (m.op === 'dropped') {
        const gone = this.drops.get(m.id);
        this.drops.delete(m.id);
        gone?.();
        return;
      }
      this.files.get(m.id)?.onReply(m);
    });
    // The thread failed or was terminated: the uploads in progress fail (their streams are destroyed
    // and the caller removes the files); the next upload starts a new thread.
    const lost = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = null;
      for (const gone of this.drops.values()) gone();
      this.drops.clear();
      const files = [...this.files.values()];
      this.files.clear();
      for (const f of files) f.fail(err);
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`the writing thread exited (${code})`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const exited = w.terminate();
    await exited;
  }
}
