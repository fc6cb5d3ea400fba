/**
 * The SQLite storage engine (`journal-storage.md` §3), the default: the store (`store.ts`), its
 * writes (`write-ops.ts`, run by `writer.ts`), the WAL checkpointer and the schema (`migrations.ts`).
 * Re-exports only.
 */
export { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_WAL_REWIND_FRAMES, openSqliteStore, SqliteStore, type SqliteStoreOptions } from './store.js';
export { MIGRATIONS } from './migrations.js';
