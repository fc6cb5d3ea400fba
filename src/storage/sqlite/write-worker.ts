/**
 * The write thread of the SQLite engine (`writer.ts`, `ThreadWriter`): a `worker_threads` thread that
 * owns the write connection of the database file, so inserts and COMMITs — most of the engine's CPU
 * under load — run beside the event loop instead of on it. Protocol (structured-clone messages):
 * - thread → main `{ ready: true }` once the connection is open and the statements prepared;
 * - main → thread `{ id, ops }`: one group-commit batch (`write-ops.ts`), run in one transaction;
 *   thread → main `{ id, ok: true, results }` after COMMIT returned, or `{ id, ok: false, error }`
 *   (the transaction rolled back; `code` is SQLite's, e.g. `SQLITE_CONSTRAINT_…`);
 * - main → thread `{ checkpoint: true }`: a PASSIVE WAL checkpoint between two batches
 *   (`writer.ts` `Writer.checkpoint()`); a reply `{ checkpointFailed }` only if it failed;
 * - main → thread `{ close: true }`: close the connection and exit.
 * The migrations ran on the main thread's connection before this thread started.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection, type ConnectionSettings } from './connection.js';
import { createWriteExecutor, walCheckpoint, type WriteOp } from './write-ops.js';

export interface WriteWorkerConfig extends ConnectionSettings {
  path: string;
}

export type WriteWorkerRequest = { id: number; ops: WriteOp[] } | { checkpoint: true } | { close: true };
export type WriteWorkerReply =
  | { id: number; ok: true; results: unknown[] }
  | { id: number; ok: false; error: { message: string; code?: string } }
  | { checkpointFailed: string }
  | { ready: true };

const port = parentPort;
if (port) {
  const cfg = workerData as WriteWorkerConfig;
  const db = openConnection(cfg.path, cfg);
  const exec = createWriteExecutor(db);
  port.on('message', (msg: WriteWorkerRequest) => {
    if ('close' in msg) {
      db.close();
      port.close();
      return;
    }
    if ('checkpoint' in msg) {
      const failed = walCheckpoint(db);
      if (failed) port.postMessage({ checkpointFailed: failed } satisfies WriteWorkerReply);
      return;
    }
    let reply: WriteWorkerReply;
    try {
      reply = { id: msg.id, ok: true, results: exec.runBatch(msg.ops) };
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown };
      reply = {
        id: msg.id,
        ok: false,
        error: { message: String(e.message ?? err), ...(typeof e.code === 'string' ? { code: e.code } : {}) },
      };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies WriteWorkerReply);
}
