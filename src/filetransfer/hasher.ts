/**
 * SHA-1 of uploads, computed while they stream and beside the event loop (`sip-messaging.md` §9.1
 * step 2, issue 13): a worker thread follows each upload's temporary file, reading every range as soon
 * as the main thread reports it written (so from the page cache, moments after it arrived) and hashing
 * it; when the body is complete the digest is ready as soon as the worker has caught up.
 *
 * Why not hash the chunks on the main thread: Node's hash objects are synchronous and SHA-1 runs at
 * about 0.5 GB/s per core — as much time as receiving and writing the body, which would halve the
 * upload speed; and handing the chunks to a worker means copying every byte on the event loop (they
 * are still being written). Following the file costs the event loop one message per progress step.
 * The worker holds one 1 MiB read buffer; the file's bytes are in the kernel's page cache, not in the
 * process.
 */
import { Worker } from 'node:worker_threads';

/** The worker: per upload, an fd on the file, the hash, how far it has read and how far it may read. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const buf = Buffer.allocUnsafe(1024 * 1024);
const jobs = new Map();
function close(job) {
  if (job.fd !== null) closeSync(job.fd);
  job.fd = null;
}
function pump(id, job) {
  try {
    while (job.pos < job.target) {
      if (job.fd === null) job.fd = openSync(job.path, 'r');
      const n = readSync(job.fd, buf, 0, Math.min(buf.length, job.target - job.pos), job.pos);
      if (n === 0) throw new Error('file shorter than reported: ' + job.pos + ' of ' + job.target);
      job.hash.update(buf.subarray(0, n));
      job.pos += n;
    }
    if (job.final) {
      close(job);
      jobs.delete(id);
      parentPort.postMessage({ op: 'digest', id, hex: job.hash.digest('hex') });
    }
  } catch (err) {
    try { close(job); } catch {}
    jobs.delete(id);
    parentPort.postMessage({ op: 'error', id, message: String(err && err.message || err) });
  }
}
parentPort.on('message', (m) => {
  let job = jobs.get(m.id);
  if (m.op === 'start') {
    jobs.set(m.id, { path: m.path, fd: null, hash: createHash('sha1'), pos: 0, target: 0, final: false });
    return;
  }
  if (!job) return;
  if (m.op === 'written' || m.op === 'digest') {
    job.target = Math.max(job.target, m.upto);
    if (m.op === 'digest') job.final = true;
    pump(m.id, job);
  } else if (m.op === 'drop') {
    try { close(job); } catch {}
    jobs.delete(m.id);
  }
});
`;

type Reply = { op: 'digest'; id: number; hex: string } | { op: 'error'; id: number; message: string };

/** The hash of one file being written. */
export class Sha1Job {
  private reported = 0;
  private result: { resolve: (digest: Buffer) => void; reject: (err: Error) => void } | null = null;
  private failed: Error | null = null;

  constructor(
    private readonly hasher: Sha1Hasher,
    readonly id: number,
    path: string,
  ) {
    hasher.post({ op: 'start', id, path });
  }

  /** The first `bytes` bytes of the file are written: the worker may hash up to there. */
  written(bytes: number): void {
    if (bytes <= this.reported) return;
    this.reported = bytes;
    this.hasher.post({ op: 'written', id: this.id, upto: bytes });
  }

  /** The file is complete with `size` bytes: its digest. */
  digest(size: number): Promise<Buffer> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.result = { resolve, reject };
      this.hasher.post({ op: 'digest', id: this.id, upto: size });
    });
  }

  /** Forget this upload (aborted). */
  drop(): void {
    this.hasher.forget(this.id);
    this.hasher.post({ op: 'drop', id: this.id });
  }

  /** @internal */
  onReply(m: Reply): void {
    this.hasher.forget(this.id);
    if (m.op === 'digest') this.result?.resolve(Buffer.from(m.hex, 'hex'));
    else this.fail(new Error(`SHA-1 of the upload failed: ${m.message}`));
  }

  /** @internal */
  fail(err: Error): void {
    this.failed = err;
    this.result?.reject(err);
  }
}

/** The worker and its jobs; the thread starts with the first job and does not keep the process alive. */
export class Sha1Hasher {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly jobs = new Map<number, Sha1Job>();

  /** Start hashing the file at `path` (created by the caller, written progressively). */
  job(path: string): Sha1Job {
    const id = ++this.seq;
    const job = new Sha1Job(this, id, path);
    this.jobs.set(id, job);
    return job;
  }

  /** @internal */
  post(message: Record<string, unknown>): void {
    this.thread().postMessage(message);
  }

  /** @internal */
  forget(id: number): void {
    this.jobs.delete(id);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: Reply) => this.jobs.get(m.id)?.onReply(m));
    // The thread failed or was terminated: the uploads in progress fail (no digest); the next upload
    // starts a new thread.
    const lost = (err: Error): void => {
      if (this.worker === w) this.worker = null;
      for (const job of this.jobs.values()) job.fail(err);
      this.jobs.clear();
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`the hashing thread exited (${code})`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
