/**
 * WAL checkpoints of the SQLite engine off the event loop (DESIGN.md decision 1: the event loop never
 * waits for the disk). SQLite's own automatic checkpoint runs inside the COMMIT that crosses
 * `wal_autocheckpoint` pages: it copies the WAL into the database file and fsyncs both, which took
 * 80–170 ms on this engine's busiest commits — every SIP and WebSocket request waiting behind that
 * COMMIT waited that long. Here a `worker_threads` thread with its own connection runs
 * `PRAGMA wal_checkpoint(PASSIVE)` every `periodMs` (and again soon after when readers kept it from
 * copying everything), concurrently with the writer: WAL mode allows one checkpointer beside one writer and any
 * readers, and PASSIVE never blocks either. Each checkpoint copies only the frames committed since
 * the previous one.
 *
 * Rewinding the WAL: SQLite starts writing the WAL from its beginning again only when a write
 * transaction begins while every frame is already in the database file. Under a steady load commits
 * keep arriving while this thread copies (a checkpoint here takes 15–25 ms, a commit comes every 2 ms),
 * so that moment never came and the WAL grew until the writer's own safety-net checkpoint (below)
 * fired inside a COMMIT: a 25–40 ms stall every 3 s at 10 000 MESSAGEs/s, the whole p99 of
 * bench/ingest.ts. So each run here makes up to 4 passes, each copying what was committed during the
 * previous one, until a pass finds fewer than 256 new frames; then it reports the WAL's size
 * (`onCheckpoint`), and the store asks the writer to copy the few frames committed meanwhile itself,
 * between two batches (`Writer.checkpoint()`); then nothing is left and its next transaction
 * rewinds the WAL. The writer's share is a few hundred frames and two fsyncs: 2–5 ms every period.
 *
 * Safety net: the writer keeps a (higher) `wal_autocheckpoint` of its own (the store sets it), so if
 * this thread falls behind or dies, the WAL is still bounded — the old behaviour, not data loss.
 *
 * The worker is a few lines of plain JavaScript evaluated in the thread (no TypeScript loader needed,
 * the same code under `tsx` and from `dist/`), loading the same better-sqlite3 the store uses.
 * Durability is unchanged: checkpoints only move committed data from the WAL to the database file.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /** The database file (not `:memory:`). */
  path: string;
  /** Pause between checkpoints once caught up (default 200 ms). */
  periodMs?: number;
  /** Called with an error message when a checkpoint fails (the thread goes on). */
  onError?: (message: string) => void;
  /** Called after a checkpoint that found a WAL changed since the last call, with its size in frames. */
  onCheckpoint?: (walFrames: number) => void;
}

export interface Checkpointer {
  /** Stop the thread after its current checkpoint (its connection closes). */
  stop(): Promise<void>;
}

interface WorkerConfig {
  driver: string;
  path: string;
  periodMs: number;
  /** Pause before the next checkpoint when readers kept the last one from copying everything. */
  catchUpMs: number;
  /** Passes per run at most, and the fewest new frames that make another pass worth it. */
  maxPasses: number;
  settleFrames: number;
}

/** The thread's code (CommonJS, evaluated by `new Worker(…, { eval: true })`). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
db.pragma('wal_autocheckpoint = 0');
let timer = null;
let stopping = false;
let lastLog = -1;
function tick() {
  timer = null;
  let behind = false;
  try {
    let r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    // Catch up with the frames committed while that pass ran: each further pass is shorter, until
    // one finds fewer than settleFrames new ones (or the WAL was rewound meanwhile).
    for (let pass = 1; pass < workerData.maxPasses && r.checkpointed === r.log; pass++) {
      const next = db.pragma('wal_checkpoint(PASSIVE)')[0];
      const added = next.log - r.log;
      r = next;
      if (added < workerData.settleFrames) break;
    }
    behind = r.checkpointed >= 0 && r.log > r.checkpointed;
    // Only when the WAL changed since the last report: an idle store's WAL is not reported again.
    if (r.log > 0 && r.log !== lastLog) parentPort.postMessage({ log: r.log });
    lastLog = r.log;
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message ? err.message : err) });
  }
  if (!stopping) timer = setTimeout(tick, behind ? workerData.catchUpMs : workerData.periodMs);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopping = true;
  if (timer) clearTimeout(timer);
  db.close();
  parentPort.close();
});
timer = setTimeout(tick, workerData.periodMs);
`;

/** Start the checkpointer thread for the database at `options.path`. */
export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const require = createRequire(import.meta.url);
  const workerData: WorkerConfig = {
    driver: require.resolve('better-sqlite3'),
    path: options.path,
    periodMs: Math.max(1, options.periodMs ?? 200),
    catchUpMs: Math.max(1, Math.min(20, options.periodMs ?? 200)),
    maxPasses: 4,
    settleFrames: 256,
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
  // Never keeps the process alive: a store that is not closed does not hang the exit.
  worker.unref();
  worker.on('message', (m: unknown) => {
    if (!m || typeof m !== 'object') return;
    if ('error' in m) options.onError?.(String((m as { error: unknown }).error));
    else if ('log' in m) options.onCheckpoint?.(Number((m as { log: unknown }).log));
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (err) => options.onError?.(err.message));
  let stopped: Promise<void> | null = null;
  return {
    stop(): Promise<void> {
      stopped ??= (async () => {
        worker.ref(); // the caller waits for the exit: keep the loop alive until then
        worker.postMessage('stop');
        await exited;
      })();
      return stopped;
    },
  };
}
