/**
 * The engine factory: which `JournalStore` to open, from a `StoreSpec` (made from the configuration
 * by `cli/store-config.ts`) or from a store URL (`sylk-db migrate --to`, benchmarks). Engines are imported lazily, so a SQLite deployment
 * never loads the PostgreSQL or Cassandra drivers.
 *
 * Store URLs: `sqlite:<path>` (or a path ending in `.sqlite`/`.db`, or `:memory:`),
 * `postgres://…` / `postgresql://…` (optional `?schema=<name>`), `cassandra://host[:port][,host…]/<keyspace>`.
 *
 * Layout (the same in `sqlite/`, `postgres/`, `cassandra/`): `<engine>/store.ts` is the store (the
 * connection, the group commit of `group-commit.ts`, adds, administration, lifecycle) and extends
 * `TableStore` (`table-store.ts`), which implements `JournalStore` by delegating to one object per
 * table: `<engine>/entries.ts`, `accounts.ts`, `keys.ts`, `push-tokens.ts` (Cassandra adds
 * `entries-add.ts`, `id-map.ts`, `clock.ts`). `<engine>/db.ts` says what a table gets from its store.
 * What the SQL engines share about rows is in `sql-entry.ts`.
 *
 * Adding a table (e.g. registrations):
 * 1. its interface in `table-store.ts` (`RegistrationsTable`), an abstract field for it in `TableStore`
 *    and the delegating methods, if the operations belong to `JournalStore`; or its own interface
 *    beside the store's, reached through a getter of the store;
 * 2. per engine one file `<engine>/registrations.ts` with a class implementing it on `<engine>/db.ts`
 *    (SQLite: reads with prepared statements, writes as new ops in `sqlite/write-ops.ts`; PostgreSQL:
 *    `db.read`/`db.write`; Cassandra: `db.exec`/`db.write`), constructed in `<engine>/store.ts`;
 * 3. the schema: a new numbered migration in `sqlite/migrations.ts` and `postgres/migrations.ts`, a
 *    table definition in `cassandra/schema.ts`; a table with per-account rows also goes into
 *    `ACCOUNT_TABLES` (`sql-entry.ts`) and Cassandra's `listAccounts`;
 * 4. the conformance suite (`test/storage/conformance.ts`) runs it on all three engines.
 */
import type { JournalStore } from '../journal/store.js';
import { DEFAULT_RETENTION_DAYS } from '../journal/types.js';

export type StoreSpec =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; url: string | null; schema?: string }
  | { engine: 'cassandra'; contactPoints: string[]; keyspace: string; pushTokensTable?: string };

export interface OpenStoreOptions {
  /** Journal retention in days; 0 keeps forever. Default 365. */
  retentionDays?: number;
  /** Group commit (default true); false commits every write on its own. */
  groupCommit?: boolean;
}

/** Parse a store URL (see module comment); throws a readable error for anything else. */
export function parseStoreUrl(text: string): StoreSpec {
  if (/^postgres(ql)?:\/\//i.test(text)) {
    const u = new URL(text);
    const schema = u.searchParams.get('schema');
    if (schema !== null) u.searchParams.delete('schema');
    return schema ? { engine: 'postgres', url: u.toString(), schema } : { engine: 'postgres', url: text };
  }
  if (/^cassandra:\/\//i.test(text)) {
    const m = /^cassandra:\/\/([^/]+)\/([A-Za-z0-9_]+)\/?$/i.exec(text);
    if (!m) throw new Error(`invalid Cassandra store URL ${text} (expected cassandra://host[:port][,host...]/keyspace)`);
    return { engine: 'cassandra', contactPoints: m[1]!.split(',').filter(Boolean), keyspace: m[2]! };
  }
  if (text.startsWith('sqlite:')) return { engine: 'sqlite', path: text.slice('sqlite:'.length) };
  if (text === ':memory:' || /\.(sqlite3?|db)$/i.test(text)) return { engine: 'sqlite', path: text };
  throw new Error(`unknown store ${JSON.stringify(text)} (expected sqlite:<path>, postgres://..., or cassandra://hosts/keyspace)`);
}

/** A human-readable name of the store, without credentials. */
export function describeStore(spec: StoreSpec): string {
  switch (spec.engine) {
    case 'sqlite':
      return `sqlite:${spec.path}`;
    case 'postgres': {
      if (!spec.url) return 'postgres (libpq environment)';
      try {
        const u = new URL(spec.url);
        u.password = '';
        return `postgres://${u.username ? `${u.username}@` : ''}${u.host}${u.pathname}${spec.schema ? ` schema ${spec.schema}` : ''}`;
      } catch {
        return 'postgres';
      }
    }
    case 'cassandra':
      return `cassandra://${spec.contactPoints.join(',')}/${spec.keyspace}`;
  }
}

/** Open (and migrate) the store. Rejects with a readable error when it is unreachable. */
export async function openStore(spec: StoreSpec, options: OpenStoreOptions = {}): Promise<JournalStore> {
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const maxBatch = options.groupCommit === false ? 1 : undefined;
  switch (spec.engine) {
    case 'sqlite': {
      const { SqliteStore } = await import('./sqlite/index.js');
      const store = new SqliteStore({ path: spec.path, retentionDays, maxBatch });
      try {
        await store.ready(); // its write thread is up
      } catch (err) {
        await store.close().catch(() => undefined);
        throw err;
      }
      return store;
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres/index.js');
      return openPostgresStore({ url: spec.url, schema: spec.schema, retentionDays, maxBatch });
    }
    case 'cassandra': {
      if (spec.contactPoints.length === 0) throw new Error('Cassandra: [Cassandra] cluster_contact_points is not set');
      if (!spec.keyspace) throw new Error('Cassandra: [Cassandra] keyspace is not set');
      const { openCassandraStore } = await import('./cassandra/index.js');
      return openCassandraStore({
        contactPoints: spec.contactPoints,
        keyspace: spec.keyspace,
        pushTokensTable: spec.pushTokensTable,
        retentionDays,
        maxBatch,
      });
    }
  }
}
