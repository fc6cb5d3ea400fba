/**
 * The Cassandra engine of the journal store (`journal-storage.md` §3–§4, `push.md` §2.2), on
 * SylkServer's own tables (see `schema.ts`), so that data written by the original is read back and
 * ours is readable by the original's queries. This file owns the connection and the group commit;
 * each table's CQL is in its own file (`entries.ts` + `entries-add.ts`, `id-map.ts`, `clock.ts`,
 * `accounts.ts`, `keys.ts`, `push-tokens.ts`), reached through `CqlDb` (`db.ts`).
 *
 * How the contract of `journal/store.ts` is met without transactions:
 * - **Ordering / group commit.** Writes go through {@link GroupCommitter}: batches run one at a time
 *   in issue order. Inside a batch, a run of consecutive adds is processed together (their
 *   `created_at` values are assigned up front, in issue order; accounts in parallel); every other
 *   write runs alone, in order.
 * - **Idempotency.** `INSERT ... IF NOT EXISTS` (lightweight transactions) on `sylk_message_ids`, one
 *   partition per account: the new ids of one account in a batch are claimed by one conditional
 *   batch (all-or-nothing; the ids Cassandra reports as existing are duplicates, the rest is claimed
 *   again). Rows are then written in unlogged single-partition batches. If the process died between
 *   claim and row write, the next add of that id finds the id but no row and writes the row (same
 *   key, so concurrent repairs converge). The original's own entries (no `sylk_message_ids` row) are
 *   recognised through the global id map, as the original does.
 * - **Journal order.** Rows cluster by (`created_at`, `message_id`), so the store allocates
 *   `created_at` strictly increasing per account (≥ 1 ms apart; cached per account, the newest row is
 *   read once on a cache miss). A second copy of a known id (sender's and receiver's journal) reuses
 *   the global map's `created_at` as the original does (§4.4) — but only when that does not place it
 *   before the account's newest entry (the original's "in the past" quirk); then it gets a fresh one.
 *   Explicit `createdAt` (import) is kept, except that ties inside one import stream are spread by
 *   1 ms so that insertion order survives. Several server processes writing one account in the same
 *   millisecond can still interleave (their caches are per process).
 * - **Cursors** use the clustering order: `(created_at, message_id) > (?, ?) LIMIT n`; no partition
 *   loads.
 * - **null vs empty disposition.** Cassandra cannot tell an empty list from null; entries whose
 *   disposition is null get a row in `sylk_null_dispositions` (same partition/clustering as the
 *   journal, read with one parallel range query per page). The original's rows read back as `[]`.
 * - **Retention.** Native TTL: rows are written `USING TTL` retention (default 365 days, like the
 *   original's table default); updates reuse the row's remaining TTL, so an entry has one expiry
 *   (fixing the original's partial-row quirk). {@link CassandraStore.expire} therefore deletes nothing.
 *
 * Costs (documented, correct but not indexed, as in the original): `removeConversation`,
 * `markConversationRead`, `unreadCounts`, `removeJournal` and `countEntries` read the whole account
 * partition (key columns and small columns only); `listAccounts` scans the partition keys of every
 * table on each call (administration only). `updateState` is a read-modify-write serialised within
 * one process; two processes updating the same entry at the same instant can lose one update (the
 * original overwrites blindly too).
 */
import type { BindingStore } from '../../journal/bindings.js';
import { CassandraBindings } from './registrations.js';
import cassandra from 'cassandra-driver';
import type { AccountPage, ExpireResult } from '../../journal/store.js';
import { DEFAULT_RETENTION_DAYS, type NewJournalEntry } from '../../journal/types.js';
import { GroupCommitter } from '../group-commit.js';
import { TableStore } from '../table-store.js';
import { Accounts } from './accounts.js';
import { CassandraAccountStore } from './local-accounts.js';
import type { AccountStore } from '../../journal/local-accounts.js';
import { CreatedAtClock } from './clock.js';
import type { AddressBookTable } from '../../journal/address-book.js';
import { CassandraAddressBookTable } from './address-book.js';
import { connectCassandra, type CassandraConnectionOptions } from './connect.js';
import { MAX_TTL, str, tableNames, type Client, type CqlDb, type Params, type Row, type Tables } from './db.js';
import { EntryAdder, validEntry, type Outcome } from './entries-add.js';
import { Entries } from './entries.js';
import { IdMap } from './id-map.js';
import { Keys } from './keys.js';
import { joinUsernameDomain } from '../../util/aor.js';
import { PushTokens } from './push-tokens.js';
import { checkIdentifier, ensureSchema, schemaTables, type SchemaOptions } from './schema.js';

export interface CassandraStoreOptions extends SchemaOptions {
  /** `[Cassandra] keyspace` (must exist; see `ensureSchema`). */
  keyspace: string;
  /** Journal retention in days (TTL), default 365. */
  retentionDays?: number | undefined;
  /** Clock (ms since epoch), for tests. */
  now?: (() => number) | undefined;
  /** Largest group-commit batch (default: the committer's 5000; 1 = no grouping). */
  maxBatch?: number | undefined;
}

type Op = { kind: 'add'; entries: NewJournalEntry[] } | { kind: 'run'; fn: () => Promise<unknown> };

export class CassandraStore extends TableStore {
  readonly engine = 'cassandra';
  private readonly t: Tables;
  private readonly committer: GroupCommitter<Op, Outcome>;
  private readonly db: CqlDb;
  private readonly adder: EntryAdder;
  protected readonly entries: Entries;
  protected readonly accounts: Accounts;
  protected readonly keys: Keys;
  protected readonly pushTokens: PushTokens;
  /** Local accounts (standalone mode), `local-accounts.ts`. */
  readonly localAccounts: AccountStore;
  /** The registrar's bindings (standalone mode), `registrations.ts`. */
  readonly registrations: BindingStore;
  private closed = false;
  private readonly keyspace: string;

  constructor(
    private readonly client: Client,
    options: CassandraStoreOptions,
    private readonly ownsClient = false,
  ) {
    super();
    this.keyspace = checkIdentifier(options.keyspace, 'keyspace');
    this.t = tableNames(this.keyspace, options);
    this.localAccounts = new CassandraAccountStore(client, this.keyspace, () => this.checkOpen());
    this.registrations = new CassandraBindings(client, this.keyspace, () => this.checkOpen());
    const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    const now = options.now ?? Date.now;
    this.db = {
      client,
      t: this.t,
      ttl: days > 0 ? Math.min(MAX_TTL, Math.round(days * 86_400)) : 0,
      now,
      exec: (cql, params, opts) => this.exec(cql, params, opts),
      checkOpen: () => this.checkOpen(),
      write: (fn) => this.write(fn),
    };
    const clock = new CreatedAtClock(this.db);
    const ids = new IdMap(this.db);
    this.adder = new EntryAdder(this.db, clock, ids);
    this.entries = new Entries(this.db, ids);
    this.accounts = new Accounts(this.db);
    this.keys = new Keys(this.db, clock, ids);
    this.pushTokens = new PushTokens(this.db);
    this.committer = new GroupCommitter<Op, Outcome>({ commit: (ops) => this.commit(ops), maxBatch: options.maxBatch });
  }
  /** The address books, in this keyspace (`address-book.ts`). */
  addressBooks(): AddressBookTable {
    return new CassandraAddressBookTable(this.client, this.keyspace);
  }


  // ------------------------------------------------------------------ plumbing

  private exec(cql: string, params: Params = [], options: cassandra.QueryOptions = {}): Promise<cassandra.types.ResultSet> {
    return this.client.execute(cql, params, { prepare: true, ...options });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    const out = await this.committer.submit({ kind: 'run', fn });
    if (!out.ok) throw out.error;
    return out.value as T;
  }

  private async commit(ops: Op[]): Promise<Outcome[]> {
    const results: Outcome[] = [];
    let i = 0;
    while (i < ops.length) {
      const op = ops[i]!;
      if (op.kind === 'add') {
        // A run of consecutive adds: parallel, created_at assigned in issue order.
        const run: Array<{ kind: 'add'; entries: NewJournalEntry[] }> = [];
        while (i < ops.length && ops[i]!.kind === 'add') run.push(ops[i++] as { kind: 'add'; entries: NewJournalEntry[] });
        // An op with an invalid entry fails as a whole before anything of it is written.
        const valid = run.filter((r) => r.entries.every(validEntry));
        const outcomes = await this.adder.addRun(valid.flatMap((r) => r.entries));
        let k = 0;
        for (const r of run) {
          if (!valid.includes(r)) {
            results.push({ ok: false, error: new Error('invalid journal entry: account, messageId and a valid msgTimestamp are required') });
            continue;
          }
          const mine = outcomes.slice(k, k + r.entries.length);
          k += r.entries.length;
          const failed = mine.find((o) => !o.ok);
          results.push(failed ?? { ok: true, value: mine.map((o) => (o as { value: boolean }).value) });
        }
      } else {
        try {
          results.push({ ok: true, value: await op.fn() });
        } catch (error) {
          results.push({ ok: false, error });
        }
        i++;
      }
    }
    return results;
  }

  // ------------------------------------------------------------------ adds (entries-add.ts; the other operations: TableStore → entries.ts, accounts.ts, keys.ts, push-tokens.ts)

  async add(entry: NewJournalEntry): Promise<boolean> {
    this.checkOpen();
    const out = await this.committer.submit({ kind: 'add', entries: [entry] });
    if (!out.ok) throw out.error;
    return (out.value as boolean[])[0]!;
  }

  async addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]> {
    this.checkOpen();
    if (entries.length === 0) return [];
    const out = await this.committer.submit({ kind: 'add', entries: [...entries] });
    if (!out.ok) throw out.error;
    return out.value as boolean[];
  }

  // ------------------------------------------------------------------ administration

  /**
   * Full scans of every table's partition keys on each call (administration only: `sylk-db migrate`).
   * Includes accounts known only through message ids (`sylk_message_ids`).
   */
  async listAccounts(after: string | null, limit: number): Promise<AccountPage> {
    this.checkOpen();
    const all = new Set<string>();
    const collect = async (cql: string, pick: (r: Row) => string | null): Promise<void> => {
      const rs = await this.exec(cql, [], { fetchSize: 5000 });
      for await (const row of rs) {
        const a = pick(row);
        if (a) all.add(a);
      }
    };
    await Promise.all([
      collect(`SELECT account FROM ${this.t.accounts}`, (r) => str(r.get('account'))),
      collect(`SELECT DISTINCT account FROM ${this.t.journal}`, (r) => str(r.get('account'))),
      collect(`SELECT account FROM ${this.t.keys}`, (r) => str(r.get('account'))),
      collect(`SELECT DISTINCT username, domain FROM ${this.t.push}`, (r) => joinUsernameDomain(str(r.get('username')), str(r.get('domain')))),
      collect(`SELECT account FROM ${this.t.privateKeys}`, (r) => str(r.get('account'))),
      collect(`SELECT DISTINCT account FROM ${this.t.ids}`, (r) => str(r.get('account'))),
    ]);
    const sorted = [...all].filter((a) => after === null || a > after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const n = Math.max(1, Math.floor(limit));
    const aors = sorted.slice(0, n);
    return { aors, next: sorted.length > n ? aors[aors.length - 1]! : null };
  }

  /** Cassandra expires entries, ids and tokens by TTL; nothing to delete here. */
  async expire(_olderThan: Date): Promise<ExpireResult> {
    this.checkOpen();
    return { entries: 0, apiTokens: 0 };
  }

  async ping(): Promise<void> {
    this.checkOpen();
    await this.exec('SELECT release_version FROM system.local');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.committer.close();
    this.closed = true;
    if (this.ownsClient) await this.client.shutdown();
  }
}

export interface OpenCassandraStoreOptions extends CassandraStoreOptions, CassandraConnectionOptions {
  /**
   * Create missing tables (and the keyspace) from the model at start. Default false: like the
   * original, the server does not create schema; `sylk-db dbinit` does (`sylk-db.md` §3).
   */
  createMissingTables?: boolean | undefined;
}

/** The tables of the model missing from `keyspace` (all of them if the keyspace does not exist). */
export async function missingTables(client: Client, keyspace: string, options: SchemaOptions = {}): Promise<string[]> {
  const rs = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace], { prepare: true });
  const have = new Set(rs.rows.map((r) => String(r.get('table_name'))));
  return schemaTables(options)
    .map((t) => t.name)
    .filter((n) => !have.has(n));
}

/**
 * Connect and open the store. Fails (naming `sylk-db dbinit`) if tables of the model are missing,
 * e.g. a keyspace of the original where our `sylk_*` tables were never created.
 */
export async function openCassandraStore(options: OpenCassandraStoreOptions): Promise<CassandraStore> {
  const client = await connectCassandra(options);
  try {
    const keyspace = checkIdentifier(options.keyspace, 'keyspace');
    const missing = await missingTables(client, keyspace, options);
    if (missing.length > 0) {
      if (!options.createMissingTables) {
        throw new Error(`Cassandra keyspace ${keyspace} lacks tables ${missing.join(', ')}: run \`sylk-db dbinit\``);
      }
      await ensureSchema(client, keyspace, options);
    }
  } catch (err) {
    await client.shutdown();
    throw err;
  }
  return new CassandraStore(client, options, true);
}
