/**
 * How the SQLite engine opens a connection (`journal-storage.md` §3): WAL journal, the durability
 * level, a busy timeout (so `sylk-db` can write to the file while the server runs), a page cache big
 * enough to keep the id-map and index B-trees of a large store in memory (64 MiB by default), and the
 * WAL size at which a COMMIT checkpoints itself. Shared by the store's own connection and the write
 * thread's (`write-worker.ts`), so both see the same settings.
 */
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';

export interface ConnectionSettings {
  /** `normal` (default: a process crash loses nothing committed) or `full` (also a power loss). */
  synchronous: 'normal' | 'full';
  /** Page cache size in KiB. */
  cacheKiB: number;
  /** WAL pages at which a COMMIT checkpoints itself; 0 = never. */
  walAutocheckpointPages: number;
}

/** Open `path` with the engine's settings. */
export function openConnection(path: string, settings: ConnectionSettings): DB {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${settings.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  db.pragma(`cache_size = -${Math.floor(settings.cacheKiB)}`);
  db.pragma(`wal_autocheckpoint = ${Math.floor(settings.walAutocheckpointPages)}`);
  db.pragma('temp_store = MEMORY');
  return db;
}
