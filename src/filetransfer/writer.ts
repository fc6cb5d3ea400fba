/**
 * Writing uploads to disk and computing their SHA-1 (`sip-messaging.md` §9.1 step 2, issue 13
 * "streaming"), both on one worker thread beside the event loop. The event loop only copies the
 * body's chunks into a few 1 MiB slabs per upload (`SLAB_BYTES`, at most `SLABS`) and moves each
 * filled slab to the thread, which writes it, hashes it and moves it back for reuse: no file writes,
 * no hashing and no allocation per chunk on the event loop, and never more than `SLABS` slabs per
 * upload in memory — when they are all with the thread the body is paused (TCP back-pressure), so a
 * slow disk slows the client instead of filling the memory.
 *
 * Why a worker rather than the event loop: SHA-1 costs about as much CPU as receiving the body; on
 * the event loop it would cut the upload speed. Why the worker writes too: the body's chunks then die
 * young on the event loop (copied once; no write-stream queue, no thread-pool round trip per write,
 * which measured as more garbage-collection work on the main heap than the hash itself), and the file
 * is hashed from the bytes in hand, not read back.
 *
 * `UploadFile` is a `Writable`: `pipeline(body, file)`; after it finishes, `size` and `digest`. A
 * failed, aborted or destroyed upload removes its file (the worker closes and unlinks it) before
 * `discard()` resolves.
 */
import { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** A slab goes to the thread when full, or at the end of the event-loop turn that put bytes in it. */
const SLAB_BYTES = 1024 * 1024;
/** Slabs per upload: the most an upload holds in memory; all with the thread → the body waits. */
const SLABS = 4;

/** The worker: per upload, an fd, the hash and the bytes written. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, writeSync, closeSync, unlinkSync } = require('node:fs');
const jobs = new Map();
function writeAll(fd, b) {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}
function end(id, job, unlink) {
  jobs.delete(id);
  if (job.fd !== null) closeSync(job.fd);
  job.fd = null;
  if (unlink) unlinkSync(job.path);
}
parentPort.on('message', (m) => {
  const id = m.id;
  if (m.op === 'open') {
    try {
      jobs.set(id, { path: m.path, fd: openSync(m.path, 'wx'), hash: createHash('sha1'), bytes: 0 });
    } catch (err) {
      parentPort.postMessage({ op: 'error', id, message: String(err.message), code: err.code });
    }
    return;
  }
  const job = jobs.get(id);
  if (!job) {
    if (m.op === 'drop') parentPort.postMessage({ op: 'dropped', id });
    return;
  }
  try {
    if (m.op === 'write') {
      const b = Buffer.from(m.slab, 0, m.length);
      writeAll(job.fd, b);
      job.hash.update(b);
      job.bytes += b.length;
      parentPort.postMessage({ op: 'written', id, bytes: job.bytes, slab: m.slab }, [m.slab]);
    } else if (m.op === 'end') {
      end(id, job, false);
      parentPort.postMessage({ op: 'done', id, bytes: job.bytes, digest: job.hash.digest('hex') });
    } else if (m.op === 'drop') {
      end(id, job, true);
      parentPort.postMessage({ op: 'dropped', id });
    }
  } catch (err) {
    try { end(id, job, true); } catch {}
    parentPort.postMessage({ op: m.op === 'drop' ? 'dropped' : 'error', id, message: String(err.message), code: err.code });
  }
});
`;

type Reply =
  | { op: 'written'; id: number; bytes: number; slab: ArrayBuffer }
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
}

/** One upload being written: a `Writable` of the body. */
export class UploadFile extends Writable {
  /** Bytes accepted from the body. */
  size = 0;
  /** The SHA-1 once the stream has finished. */
  digest: Buffer | null = null;
  /** Slabs back from the thread, ready to fill. */
  private readonly free: ArrayBuffer[] = [];
  private slabs = 0;
  private current: Buffer | null = null;
  private fill = 0;
  private flushTimer: NodeJS.Immediate | null = null;
  /** A chunk waiting for a slab (all are with the thread): its rest and its callback. */
  private waiting: { chunk: Buffer; done: (err?: Error | null) => void } | null = null;
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
    this.copy(chunk, done);
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
    this.current = null;
    this.waiting = null;
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

  /** Copy `chunk` into slabs (sending the full ones); without a slab to fill, wait for one. */
  private copy(chunk: Buffer, done: (err?: Error | null) => void): void {
    let rest = chunk;
    while (rest.length > 0) {
      if (!this.current) {
        const slab = this.free.pop() ?? (this.slabs < SLABS ? (this.slabs++, new ArrayBuffer(SLAB_BYTES)) : null);
        if (!slab) {
          this.waiting = { chunk: rest, done };
          return;
        }
        this.current = Buffer.from(slab);
        this.fill = 0;
      }
      const n = rest.copy(this.current, this.fill);
      this.fill += n;
      rest = rest.subarray(n);
      if (this.fill === SLAB_BYTES) this.flush();
    }
    if (this.fill > 0) this.flushTimer ??= setImmediate(() => this.flush());
    done();
  }

  private flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    if (!this.current || this.fill === 0) return;
    const slab = this.current.buffer as ArrayBuffer;
    this.thread.post({ op: 'write', id: this.id, slab, length: this.fill }, [slab]);
    this.current = null;
    this.fill = 0;
  }

  /** @internal */
  onReply(m: Reply): void {
    if (m.op === 'written') {
      this.free.push(m.slab);
      const w = this.waiting;
      this.waiting = null;
      if (w) this.copy(w.chunk, w.done);
    } else if (m.op === 'done') {
      this.settled = true;
      this.thread.forget(this.id);
      this.digest = Buffer.from(m.digest, 'hex');
      const finished = this.finishing;
      this.finishing = null;
      finished?.();
    } else if (m.op === 'error') {
      this.fail(threadError(m));
    }
  }

  /** @internal The thread failed, or reported a disk error (the file is already removed then). */
  fail(err: Error): void {
    this.failure ??= err;
    const pending = this.waiting?.done ?? this.finishing;
    this.waiting = null;
    this.finishing = null;
    if (pending) pending(err);
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
