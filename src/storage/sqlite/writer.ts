/**
 * Where the SQLite engine's write batches run (`journal-storage.md` §3, DESIGN.md decision 1):
 *
 * - `InlineWriter`: on the store's own connection, synchronously inside the event-loop turn that
 *   commits the batch (`:memory:` databases, which cannot be shared between threads, and
 *   `writer: 'inline'`).
 * - `ThreadWriter` (the default for a file): on a `worker_threads` thread with a connection of its own
 *   (`write-worker.ts`). Under load the inserts and COMMITs are about a third of the server's CPU per
 *   SIP MESSAGE; on the thread they run on the machine's other core while the event loop parses and
 *   answers the next requests, and a batch costs the event loop only its structured clone. A write
 *   still resolves only after its COMMIT returned, so reads on the store's connection (WAL readers)
 *   see it, and durability is unchanged. If the thread dies, every pending and later write rejects
 *   (the caller answers 503) and `check()` reports it (the health check turns red); nothing is
 *   acknowledged that was not committed.
 *
 * Both run the same executor (`write-ops.ts`): one SQL text, one semantics.
 */
import type { Database as DB } from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { ConnectionSettings } from './connection.js';
import type { WriteWorkerConfig, WriteWorkerReply, WriteWorkerRequest } from './write-worker.js';
import { createWriteExecutor, walCheckpoint, type WriteExecutor, type WriteOp } from './write-ops.js';

export interface Writer {
  /** Run one batch in one transaction; one result per op, or throw/reject (rolled back). */
  run(ops: WriteOp[]): unknown[] | Promise<unknown[]>;
  /**
   * Run a PASSIVE WAL checkpoint on the write connection, after the batches already submitted and
   * before later ones (see `checkpointer.ts`, "Rewinding the WAL"). Fire and forget: a failure is
   * logged, the WAL is then rewound at a later attempt or bounded by the safety net.
   */
  checkpoint(): void;
  /** Throws when the writer can no longer write (its thread died). */
  check(): void;
  /** Stop (after the batches in flight); the store closes its own connection afterwards. */
  close(): Promise<void>;
}

export class InlineWriter implements Writer {
  private readonly exec: WriteExecutor;

  constructor(
    private readonly db: DB,
    private readonly onCheckpointError: (message: string) => void = () => undefined,
  ) {
    this.exec = createWriteExecutor(db);
  }

  run(ops: WriteOp[]): unknown[] {
    return this.exec.runBatch(ops);
  }

  checkpoint(): void {
    const failed = walCheckpoint(this.db);
    if (failed) this.onCheckpointError(failed);
  }

  check(): void {}

  async close(): Promise<void> {}
}

/** Name of the write thread (at most 15 characters: Linux's limit for a thread name). */
export const WRITE_THREAD_NAME = 'sqlite-writer';

/**
 * Start `write-worker`: the compiled `write-worker.js` beside this file (dist/). When this module runs
 * from source under tsx, Node 20 does not apply the parent's `--import tsx` hooks to a worker's entry
 * module, so a two-line bootstrap registers tsx's loader in the thread first, then imports the `.ts`.
 * The thread is named `WRITE_THREAD_NAME` (Node 24 gives the OS thread that name: `top -H`, `/proc`,
 * and bench/ingest.ts' CPU per thread).
 */
function startWriteWorker(workerData: WriteWorkerConfig): Worker {
  const name = WRITE_THREAD_NAME;
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./write-worker.js', import.meta.url), { workerData, name });
  const entry = new URL('./write-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, name });
}

interface InFlight {
  resolve(results: unknown[]): void;
  reject(err: unknown): void;
}

export class ThreadWriter implements Writer {
  private readonly worker: Worker;
  private readonly inflight = new Map<number, InFlight>();
  private nextId = 1;
  private failure: Error | null = null;
  private closing = false;
  private readonly exited: Promise<void>;
  private readyWait!: { resolve(): void; reject(err: unknown): void };
  /** Resolves once the thread has opened its connection; rejects if it could not. */
  readonly ready: Promise<void>;

  constructor(
    path: string,
    settings: ConnectionSettings,
    private readonly onCheckpointError: (message: string) => void = () => undefined,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.readyWait = { resolve, reject };
    });
    this.ready.catch(() => undefined); // surfaced by every write and by check()
    this.worker = startWriteWorker({ path, ...settings });
    this.worker.unref(); // referenced only while batches are in flight
    this.worker.on('message', (msg: WriteWorkerReply) => this.onReply(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', (code) => {
        if (!this.closing) this.fail(new Error(`SQLite write thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  run(ops: WriteOp[]): Promise<unknown[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<unknown[]>((resolve, reject) => {
      const id = this.nextId++;
      // Throws (DataCloneError) for an op that cannot be cloned: the committer retries op by op.
      this.worker.postMessage({ id, ops } satisfies WriteWorkerRequest);
      if (this.inflight.size === 0) this.worker.ref();
      this.inflight.set(id, { resolve, reject });
    });
  }

  checkpoint(): void {
    if (this.failure || this.closing) return;
    this.worker.postMessage({ checkpoint: true } satisfies WriteWorkerRequest);
  }

  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits for the batches in flight, closes the thread's connection and lets the thread exit. */
  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    if (this.failure) {
      await this.worker.terminate();
      return this.exited;
    }
    this.worker.ref();
    this.worker.postMessage({ close: true } satisfies WriteWorkerRequest); // after every batch sent
    await this.exited;
  }

  private onReply(msg: WriteWorkerReply): void {
    if ('ready' in msg) {
      this.readyWait.resolve();
      return;
    }
    if ('checkpointFailed' in msg) {
      this.onCheckpointError(msg.checkpointFailed);
      return;
    }
    const p = this.inflight.get(msg.id);
    if (!p) return;
    this.inflight.delete(msg.id);
    if (this.inflight.size === 0 && !this.closing) this.worker.unref();
    if (msg.ok) p.resolve(msg.results);
    else p.reject(Object.assign(new Error(msg.error.message), msg.error.code ? { code: msg.error.code } : {}));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.readyWait.reject(err);
    for (const p of this.inflight.values()) p.reject(err);
    this.inflight.clear();
  }
}
