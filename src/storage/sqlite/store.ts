/**
 * SQLite engine of the journal store (`JournalStore`, `journal-storage.md` §3), the default engine.
 * One file (the factory puts it under `[FileStorage] storage_dir`), better-sqlite3, prepared
 * statements, schema in `migrations.ts`, connection settings in `connection.ts`.
 *
 * Durability: WAL journal with `synchronous = NORMAL`. A write's promise resolves after its
 * transaction committed to the WAL file, which is in the OS page cache; a crash of *this process*
 * (kill -9, exception) loses nothing that was acknowledged. A power loss or kernel crash can lose the
 * last transactions acknowledged before the last WAL checkpoint/fsync (the database stays consistent).
 * `synchronous = FULL` (option `synchronous: 'full'`) closes that window at the cost of one fsync per
 * group commit.
 *
 * Writes: every write is a plain-data op (`write-ops.ts`, which owns all write SQL) queued on a
 * `GroupCommitter`; the ops queued in one event-loop turn (and, while a batch commits, those queued
 * meanwhile; under load, those of the next `commitIntervalMs`) run in one `BEGIN IMMEDIATE`
 * transaction, by default on a write thread of their own
 * (`writer.ts`), inline for `:memory:`. WAL checkpoints run on a third connection in another thread
 * (`checkpointer.ts`). Reads run directly on the store's connection (they see every committed write).
 * `BEGIN IMMEDIATE` and the `counters` row make it safe for `sylk-db` to write to the same file while
 * the server runs (busy timeout 5 s).
 */
import type { Database as DB, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GroupCommitter } from '../group-commit.js';
import { TableStore } from '../table-store.js';
import type { AccountPage, ExpireResult } from '../../journal/store.js';
import type { NewJournalEntry } from '../../journal/types.js';
import { logger } from '../../util/logger.js';
import { startRetention, type RetentionOptions } from '../retention.js';
import { accountPage, ACCOUNT_TABLES } from '../sql-entry.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openConnection, type ConnectionSettings } from './connection.js';
import type { AddressBookTable } from '../../journal/address-book.js';
import { ensureAddressBookTable, SqliteAddressBookTable } from './address-book.js';
import { migrate } from './migrations.js';
import { SqliteAccounts } from './accounts.js';
import { SqliteAccountStore } from './local-accounts.js';
import type { AccountStore } from '../../journal/local-accounts.js';
import type { SqliteDb } from './db.js';
import type { BindingStore } from '../../journal/bindings.js';
import { SqliteBindings } from './registrations.js';
import { SqliteEntries } from './entries.js';
import { SqliteKeys } from './keys.js';
import { SqlitePushTokens } from './push-tokens.js';
import { pushEntryValues, type EntryValues, type WriteOp, type WriteResults } from './write-ops.js';
import { InlineWriter, ThreadWriter, type Writer } from './writer.js';

const log = logger.child({ module: 'storage.sqlite' });

/**
 * Default shortest time between two commits, applied only after a batch of 8 or more writes
 * (`GroupCommitter`). A small commit costs about 200 µs here whatever its size (mostly writing its
 * pages to the WAL); at 10 000 MESSAGEs/s, 2 ms turns ~1 000 commits/s into ~550 and cuts the CPU per
 * MESSAGE by a quarter (bench/ingest.ts: 106–111 → 74–87 µs); a lightly loaded store (1 000/s) still
 * commits each write at once (bench/ws-latency.ts p50 0.5 ms).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 2;
/** `walRewindFrames` by default: 4096 pages, 16 MiB. */
export const DEFAULT_WAL_REWIND_FRAMES = 4096;

export interface SqliteStoreOptions extends RetentionOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /** `normal` (default, see module comment) or `full`. */
  synchronous?: 'normal' | 'full';
  /** Largest group-commit batch (default 5000). */
  maxBatch?: number;
  /**
   * Shortest time between two group commits, in ms (`GroupCommitter` `minIntervalMs`; default
   * `DEFAULT_COMMIT_INTERVAL_MS`): under load, fewer and larger transactions; an idle store commits at once.
   */
  commitIntervalMs?: number;
  /** Page cache size in KiB (default 65 536). */
  cacheKiB?: number;
  /**
   * WAL pages at which a COMMIT checkpoints itself. Without the checkpointer thread: 16 000 (about
   * 64 MiB). With it (the default for a file) this is only the safety net that bounds the WAL if the
   * thread dies or the WAL is not rewound (`walRewindFrames`): 64 000 (about 256 MiB). Before the
   * rewind, a steady load reached it every 3 s at 10 000 MESSAGEs/s, and each time the COMMIT that
   * crossed it stalled for 25–40 ms.
   */
  walAutocheckpointPages?: number;
  /**
   * Period of the PASSIVE WAL checkpoints run by a separate thread (`checkpointer.ts`; default 200 ms);
   * 0 = SQLite's own way, inside the COMMIT that crosses `walAutocheckpointPages`. Ignored for `:memory:`.
   */
  checkpointMs?: number;
  /**
   * WAL size (frames, i.e. pages) from which, after a checkpointer run, the writer copies the
   * remaining frames itself so that the WAL is rewound (`checkpointer.ts`, "Rewinding the WAL";
   * default `DEFAULT_WAL_REWIND_FRAMES`). Only with the checkpointer thread.
   */
  walRewindFrames?: number;
  /** Where write batches run (`writer.ts`): `thread` (default for a file) or `inline` (always for `:memory:`). */
  writer?: 'thread' | 'inline';
}

const LIST_ACCOUNTS = `SELECT aor FROM (
  ${ACCOUNT_TABLES.map(([t, c]) => `SELECT DISTINCT ${c} AS aor FROM ${t} WHERE ${c} > @after`).join('\n  UNION ')}
) ORDER BY aor LIMIT @limit`;

/** The flat values of `entries` that an `addMany` op carries. */
function entryValues(entries: readonly NewJournalEntry[]): EntryValues {
  const out: EntryValues = [];
  for (const e of entries) pushEntryValues(out, e);
  return out;
}

/** Open (creating/migrating) a SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

export class SqliteStore extends TableStore {
  readonly engine = 'sqlite';
  private readonly db: DB;
  private readonly writer: Writer;
  private readonly committer: GroupCommitter<WriteOp, unknown>;
  private readonly stopRetention: () => void;
  private readonly checkpointer: Checkpointer | null;
  private closed = false;
  private readonly listAccountsStmt: Statement;
  protected readonly entries: SqliteEntries;
  protected readonly accounts: SqliteAccounts;
  /** Local accounts (standalone mode), `local-accounts.ts`. */
  readonly localAccounts: AccountStore;
  /** The registrar's bindings (standalone mode), `registrations.ts`. */
  readonly registrations: BindingStore;
  protected readonly keys: SqliteKeys;
  protected readonly pushTokens: SqlitePushTokens;

  constructor(options: SqliteStoreOptions) {
    super();
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const threaded = options.path !== ':memory:' && options.writer !== 'inline';
    const checkpointMs = options.path === ':memory:' ? 0 : (options.checkpointMs ?? 200);
    const rewindFrames = options.walRewindFrames ?? DEFAULT_WAL_REWIND_FRAMES;
    const settings: ConnectionSettings = {
      synchronous: options.synchronous ?? 'normal',
      cacheKiB: options.cacheKiB ?? 65_536,
      walAutocheckpointPages: options.walAutocheckpointPages ?? (checkpointMs > 0 ? 64_000 : 16_000),
    };
    this.db = openConnection(options.path, settings);
    migrate(this.db);
    ensureAddressBookTable(this.db);
    this.listAccountsStmt = this.db.prepare(LIST_ACCOUNTS);
    const tables: SqliteDb = { db: this.db, write: (op) => this.write(op), checkOpen: () => this.checkOpen() };
    this.entries = new SqliteEntries(tables);
    this.accounts = new SqliteAccounts(tables);
    this.localAccounts = new SqliteAccountStore(this.db, () => this.checkOpen());
    this.registrations = new SqliteBindings(this.db);
    this.keys = new SqliteKeys(tables);
    this.pushTokens = new SqlitePushTokens(tables);
    const onCheckpointError = (message: string): void => log.warn({ path: options.path, err: message }, 'WAL checkpoint failed');
    this.writer = threaded ? new ThreadWriter(options.path, settings, onCheckpointError) : new InlineWriter(this.db, onCheckpointError);
    this.committer = new GroupCommitter<WriteOp, unknown>({
      commit: (ops) => this.writer.run(ops),
      maxBatch: options.maxBatch,
      minIntervalMs: options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS,
      // Constraint/size errors (and an op that cannot be cloned) are specific to one op; SQLITE_BUSY,
      // I/O errors and a dead write thread are not.
      retryIndividually: (err) => {
        const e = err as { code?: unknown; name?: unknown };
        if (e.name === 'DataCloneError') return true;
        return typeof e.code === 'string' && /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(e.code);
      },
    });
    this.stopRetention = startRetention((d) => this.expire(d), options);
    this.checkpointer =
      checkpointMs > 0
        ? startCheckpointer({
            path: options.path,
            periodMs: checkpointMs,
            onError: onCheckpointError,
            // The writer copies the rest itself, so its next transaction rewinds the WAL
            // (`checkpointer.ts`, "Rewinding the WAL").
            onCheckpoint: (walFrames) => {
              if (walFrames >= rewindFrames && !this.closed) this.writer.checkpoint();
            },
          })
        : null;
  }

  /** Resolves once the store can write (its write thread, if any, is up); rejects if it cannot. */
  async ready(): Promise<void> {
    if (this.writer instanceof ThreadWriter) await this.writer.ready;
  }

  private write<K extends WriteOp['t']>(op: Extract<WriteOp, { t: K }>): Promise<WriteResults[K]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.committer.submit(op) as Promise<WriteResults[K]>;
  }

  /** The address books, in this store's file (`address-book.ts`). */
  addressBooks(): AddressBookTable {
    return new SqliteAddressBookTable((op) => this.write(op));
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  add(entry: NewJournalEntry): Promise<boolean> {
    return this.write({ t: 'addMany', entries: entryValues([entry]), now: Date.now() }).then((r) => r[0]!);
  }

  addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]> {
    return this.write({ t: 'addMany', entries: entryValues(entries), now: Date.now() });
  }

  async listAccounts(after: string | null, limit: number): Promise<AccountPage> {
    this.checkOpen();
    const n = Math.max(1, Math.floor(limit));
    return accountPage(this.listAccountsStmt.all({ after: after ?? '', limit: n + 1 }) as { aor: string }[], n);
  }

  async expire(olderThan: Date): Promise<ExpireResult> {
    const t = olderThan.getTime();
    const batch = 2000; // rows per transaction: keeps each synchronous delete short
    let entries = 0;
    // Delete in batches (one transaction each) so writers are never blocked for long.
    for (;;) {
      const r = await this.write({ t: 'expireBatch', olderThan: t, batch });
      entries += r.entries;
      if (r.ids < batch) break;
    }
    const apiTokens = await this.write({ t: 'expireTokens', now: Date.now() });
    return { entries, apiTokens };
  }

  async ping(): Promise<void> {
    this.checkOpen();
    this.writer.check();
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopRetention();
    await this.committer.close();
    this.closed = true;
    await this.writer.close();
    await this.checkpointer?.stop();
    this.db.close();
  }
}
