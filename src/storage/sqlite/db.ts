/**
 * What the SQLite table modules (`entries.ts`, `accounts.ts`, `keys.ts`, `push-tokens.ts`) get from
 * the store (`store.ts`): its read connection, and writes queued as ops (`write-ops.ts`) on the group
 * commit (`journal-storage.md` §3).
 */
import type { Database as DB } from 'better-sqlite3';
import type { WriteOp, WriteResults } from './write-ops.js';

export interface SqliteDb {
  /** The store's connection, for prepared reads (they see every committed write). */
  readonly db: DB;
  /** Queue a write op; resolves with its result after its transaction committed. */
  write<K extends WriteOp['t']>(op: Extract<WriteOp, { t: K }>): Promise<WriteResults[K]>;
  /** Throw if the store is closed. */
  checkOpen(): void;
}
