/**
 * The PostgreSQL storage engine (`journal-storage.md` §3, DESIGN.md decision 3): the store
 * (`store.ts`), its per-table files and the schema (`migrations.ts`). Re-exports only.
 */
export { openPostgresStore, PostgresStore, type PostgresStoreOptions } from './store.js';
export { MIGRATIONS } from './migrations.js';
