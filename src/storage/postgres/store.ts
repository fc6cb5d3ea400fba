/**
 * PostgreSQL engine of the journal store (`JournalStore`, `journal-storage.md` §3), for deployments
 * where several `sylk-server` processes share one store (DESIGN.md decision 3). Uses `pg` with a pool;
 * schema in `migrations.ts`, applied at open. This file owns the pool and the group commit; each
 * table's SQL is in its own file (`entries.ts`, `accounts.ts`, `keys.ts`, `push-tokens.ts`), reached
 * through `PgDb` (`db.ts`).
 *
 * Group commit: writes are queued on a `GroupCommitter`; each batch runs on one pooled connection in
 * one transaction, and each write's promise resolves after it committed (with the server's default
 * `synchronous_commit = on`, i.e. after the WAL flush). A batch of adds only (the ingest path) is one
 * statement in its own transaction (`entries.ts`' `INSERT_ENTRIES`, a named prepared statement): one
 * round trip per batch. Any other batch is BEGIN, the counter row locked, its operations (consecutive
 * adds again one statement), COMMIT. Adds take their sequence numbers from the locked `counters` row,
 * so journal writers of several servers are serialized and `seq` order is commit order (a cursor can
 * never pass an entry that commits later).
 *
 * Idempotency: `INSERT … ON CONFLICT DO NOTHING` on the `message_ids` primary key; an entry row is
 * written only when its id row was. PostgreSQL `text` cannot hold U+0000; contents never contain it
 * (binary payloads are Latin-1 strings of non-NUL code points per the spec), a NUL fails that write.
 */
import type { BindingStore } from '../../journal/bindings.js';
import { PostgresBindings } from './registrations.js';
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import type { AccountPage, ExpireResult } from '../../journal/store.js';
import type { NewJournalEntry } from '../../journal/types.js';
import { GroupCommitter } from '../group-commit.js';
import { TableStore } from '../table-store.js';
import { startRetention, type RetentionOptions } from '../retention.js';
import { accountPage, ACCOUNT_TABLES } from '../sql-entry.js';
import { PgAccounts } from './accounts.js';
import { PostgresAccountStore } from './local-accounts.js';
import type { AccountStore } from '../../journal/local-accounts.js';
import { ident, type PgDb } from './db.js';
import { PgEntries } from './entries.js';
import { PgKeys } from './keys.js';
import type { AddressBookTable } from '../../journal/address-book.js';
import { ensureAddressBookTable, PostgresAddressBookTable } from './address-book.js';
import { migrate } from './migrations.js';
import { PgPushTokens } from './push-tokens.js';

export interface PostgresStoreOptions extends RetentionOptions {
  /** `postgres://user:pass@host:port/db`; when absent, libpq environment variables (PGHOST, ...). */
  url?: string | null;
  /** Schema to use (created if missing); default the server's search_path (normally `public`). */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Largest group-commit batch (default 5000). */
  maxBatch?: number;
  /** Connection timeout in ms (default 10 000). */
  connectTimeoutMs?: number;
}

type Op =
  | { kind: 'add'; entries: NewJournalEntry[]; single: boolean }
  | { kind: 'fn'; fn: (c: PoolClient) => Promise<unknown> };

const LIST_ACCOUNTS = `SELECT aor FROM (
  ${ACCOUNT_TABLES.map(([t, c]) => `SELECT ${c} AS aor FROM ${t} WHERE ${c} COLLATE "C" > $1`).join('\n  UNION ')}
) u ORDER BY aor COLLATE "C" LIMIT $2`;

/** Open (connecting and migrating) a PostgreSQL store. Rejects if the server is unreachable. */
/** Arbitrary constant key of the advisory lock taken while creating the schema. */
const SCHEMA_LOCK = 0x53796c6c; // "Syll"

/**
 * `CREATE SCHEMA IF NOT EXISTS` is not safe when servers start at the same instant (both see no
 * schema, one fails on pg_namespace's unique index): serialise it under an advisory lock.
 */
async function createSchema(client: PoolClient, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  try {
    await store.init();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

export class PostgresStore extends TableStore {
  readonly engine = 'postgres';
  private readonly pool: pg.Pool;
  private readonly committer: GroupCommitter<Op, unknown>;
  private stopRetention: () => void = () => undefined;
  private closed = false;
  private readonly db: PgDb = {
    read: (sql, params) => this.read(sql, params),
    readValues: async (sql, params) => {
      this.checkOpen();
      return (await this.pool.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows;
    },
    write: (fn) => this.write(fn),
  };
  protected readonly entries = new PgEntries(this.db);
  protected readonly accounts = new PgAccounts(this.db);
  protected readonly keys = new PgKeys(this.db);
  protected readonly pushTokens = new PgPushTokens(this.db);
  /** Local accounts (standalone mode), `local-accounts.ts`: one autocommitted statement per write. */
  /** The registrar's bindings (standalone mode), `registrations.ts`. */
  readonly registrations: BindingStore;
  readonly localAccounts: AccountStore = new PostgresAccountStore((sql, params) => {
    this.checkOpen();
    return this.pool.query(sql, params);
  });

  constructor(private readonly options: PostgresStoreOptions) {
    super();
    const config: PoolConfig = {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    };
    if (options.url) config.connectionString = options.url;
    if (options.schema) config.options = `-c search_path=${ident(options.schema)}`;
    this.pool = new pg.Pool(config);
    this.registrations = new PostgresBindings(this.pool);
    this.pool.on('error', () => undefined); // idle client errors: the next query reports them
    this.committer = new GroupCommitter<Op, unknown>({
      commit: (ops) => this.commit(ops),
      maxBatch: options.maxBatch,
      // Only data errors (SQLSTATE class 22, 23, 54) can be specific to one op; a lost connection is not.
      retryIndividually: (err) => {
        const code = (err as { code?: unknown }).code;
        return typeof code === 'string' && /^(22|23|54)/.test(code);
      },
    });
  }

  /** Create the schema if asked, apply migrations, start retention. */
  async init(): Promise<void> {
    const client = await this.pool.connect();
    try {
      if (this.options.schema) await createSchema(client, this.options.schema);
      await migrate(client);
      await ensureAddressBookTable(client);
    } finally {
      client.release();
    }
    this.stopRetention = startRetention((d) => this.expire(d), this.options);
  }

  /** The address books, in this database (`address-book.ts`). */
  addressBooks(): AddressBookTable {
    return new PostgresAddressBookTable(this.pool);
  }

  // ------------------------------------------------------------------ group commit

  private async commit(ops: Op[]): Promise<unknown[]> {
    // A deadlock or serialization failure aborts the whole transaction and nothing of it is applied:
    // run it again (bounded). With the counter locked first (below) deadlocks between our own writers
    // cannot happen; this covers anything else that shares the database.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(ops);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw err;
      }
    }
  }

  private async commitOnce(ops: Op[]): Promise<unknown[]> {
    const client = await this.pool.connect();
    // A batch of adds only is one statement (it locks the counter row itself), run on its own: one
    // round trip, its own transaction, committed (WAL flushed) before the answer comes back.
    const addsOnly = ops.every((op) => op.kind === 'add');
    try {
      if (!addsOnly) {
        await client.query('BEGIN');
        // Every write transaction takes the counter row lock first, so writers of several servers always
        // lock in the same order (counter, then entries) and cannot deadlock: without it, one server's
        // mark-read (entry rows, then the counter for its marker) and another's insert + state update
        // (counter, then an entry row) deadlocked under load.
        await client.query("SELECT value FROM counters WHERE name = 'seq' FOR UPDATE");
      }
      const results: unknown[] = [];
      let i = 0;
      while (i < ops.length) {
        const op = ops[i]!;
        if (op.kind === 'fn') {
          results.push(await op.fn(client));
          i++;
          continue;
        }
        // A run of consecutive adds → one statement.
        let j = i;
        const run: { entries: NewJournalEntry[]; single: boolean }[] = [];
        while (j < ops.length && ops[j]!.kind === 'add') {
          run.push(ops[j] as { kind: 'add'; entries: NewJournalEntry[]; single: boolean });
          j++;
        }
        const flat = run.length === 1 ? run[0]!.entries : run.flatMap((r) => r.entries);
        const inserted = await this.entries.insert(client, flat);
        let k = 0;
        for (const r of run) {
          results.push(r.single ? inserted[k] : inserted.slice(k, k + r.entries.length));
          k += r.entries.length;
        }
        i = j;
      }
      if (!addsOnly) await client.query('COMMIT');
      client.release();
      return results;
    } catch (err) {
      if (addsOnly) {
        // A statement the server refused (SQLSTATE) left the connection idle; anything else may not have.
        client.release(typeof (err as { code?: unknown }).code !== 'string');
        throw err;
      }
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack); // destroy a connection that cannot even roll back
      throw err;
    }
  }

  private write<R>(fn: (c: PoolClient) => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.committer.submit({ kind: 'fn', fn }) as Promise<R>;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  private async read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    this.checkOpen();
    return (await this.pool.query<R>(sql, params)).rows;
  }

  // ------------------------------------------------------------------ adds (the other operations: TableStore → entries.ts, accounts.ts, keys.ts, push-tokens.ts)

  add(entry: NewJournalEntry): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.committer.submit({ kind: 'add', entries: [entry], single: true }) as Promise<boolean>;
  }

  addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (entries.length === 0) return Promise.resolve([]);
    return this.committer.submit({ kind: 'add', entries: [...entries], single: false }) as Promise<boolean[]>;
  }

  // ------------------------------------------------------------------ administration

  async listAccounts(after: string | null, limit: number): Promise<AccountPage> {
    const n = Math.max(1, Math.floor(limit));
    return accountPage(await this.read<{ aor: string }>(LIST_ACCOUNTS, [after ?? '', n + 1]), n);
  }

  async expire(olderThan: Date): Promise<ExpireResult> {
    const entries = await this.entries.expire(olderThan);
    const apiTokens = await this.accounts.expireTokens();
    return { entries, apiTokens };
  }

  async ping(): Promise<void> {
    await this.read('SELECT 1', []);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopRetention();
    await this.committer.close();
    this.closed = true;
    await this.pool.end();
  }
}
