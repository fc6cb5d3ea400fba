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
import type { AccountStore } from '../../accounts/types.js';
import { GroupCommitter } from '../../journal/group-commit.js';
import type { AccountPage, ExpireResult, JournalStore, UpdateStateResult } from '../../journal/store.js';
import type {
  Account,
  ApiToken,
  Direction,
  JournalEntry,
  MessageState,
  NewJournalEntry,
  PrivateKeyMessage,
  PublicKey,
  PushToken,
  QueryOptions,
  QueryResult,
  UnreadCounts,
} from '../../journal/types.js';
import { logger } from '../../util/logger.js';
import { startRetention, type RetentionOptions } from '../retention.js';
import { ENTRY_COLUMNS, entryFromRow, type SqlEntryRow } from '../sql-entry.js';
import { SqliteAccountStore } from './accounts.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openConnection, type ConnectionSettings } from './connection.js';
import { migrate } from './migrations.js';
import { pushEntryValues, type EntryValues, type WriteOp, type WriteResults } from './write-ops.js';
import { InlineWriter, ThreadWriter, type Writer } from './writer.js';
import type { BindingStore } from '../../registrar/bindings.js';
import { SqliteBindings } from './registrations.js';

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

type EntryRow = SqlEntryRow<number, number>;

const toEntry = (r: EntryRow): JournalEntry => entryFromRow(r, (ms) => new Date(ms));

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

export class SqliteStore implements JournalStore {
  readonly engine = 'sqlite';
  /** Local accounts (standalone mode), `accounts.ts`. */
  readonly accounts: AccountStore;
  /** The registrar's bindings (standalone mode, `registrations.ts`). */
  readonly registrations: BindingStore;
  private readonly db: DB;
  private readonly writer: Writer;
  private readonly committer: GroupCommitter<WriteOp, unknown>;
  private readonly stopRetention: () => void;
  private readonly checkpointer: Checkpointer | null;
  private closed = false;
  private readonly s: Record<string, Statement>;

  constructor(options: SqliteStoreOptions) {
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
    this.accounts = new SqliteAccountStore(this.db, () => this.checkOpen());
    this.registrations = new SqliteBindings(this.db);
    const p = (sql: string): Statement => this.db.prepare(sql);
    this.s = {
      idSeq: p('SELECT seq FROM message_ids WHERE account = ? AND message_id = ?'),
      entryById: p(
        `SELECT ${ENTRY_COLUMNS} FROM entries WHERE seq = (SELECT seq FROM message_ids WHERE account = ? AND message_id = ?) AND account = ?`,
      ),
      unread: p('SELECT contact, count(*) AS n FROM entries WHERE account = ? AND unread = 1 GROUP BY contact'),
      afterSeq: p(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?`),
      since: p(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = ? AND created_at > ? ORDER BY created_at, seq LIMIT ?`),
      count: p('SELECT count(*) AS n FROM entries WHERE account = ?'),
      getAccount: p('SELECT aor, last_login FROM accounts WHERE aor = ?'),
      getToken: p('SELECT api_token, token_expires FROM accounts WHERE aor = ?'),
      findToken: p("SELECT aor FROM accounts WHERE api_token = ? AND api_token <> '' AND token_expires > ? LIMIT 1"),
      getPublicKey: p('SELECT aor, public_key, created_at FROM public_keys WHERE aor = ?'),
      getPrivateKey: p(
        'SELECT account, message_id, contact, direction, content, msg_timestamp, created_at FROM private_keys WHERE account = ?',
      ),
      listPush: p(
        'SELECT account, app_id, device_id, platform, token, background_token, silent, user_agent FROM push_tokens WHERE account = ? ORDER BY app_id, device_id',
      ),
      listAccounts: p(
        `SELECT aor FROM (
           SELECT aor FROM accounts WHERE aor > @after
           UNION SELECT DISTINCT account FROM message_ids WHERE account > @after
           UNION SELECT DISTINCT account FROM entries WHERE account > @after
           UNION SELECT aor FROM public_keys WHERE aor > @after
           UNION SELECT account FROM private_keys WHERE account > @after
           UNION SELECT DISTINCT account FROM push_tokens WHERE account > @after
         ) ORDER BY aor LIMIT @limit`,
      ),
    };
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

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  add(entry: NewJournalEntry): Promise<boolean> {
    return this.write({ t: 'addMany', entries: entryValues([entry]), now: Date.now() }).then((r) => r[0]!);
  }

  addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]> {
    return this.write({ t: 'addMany', entries: entryValues(entries), now: Date.now() });
  }

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.write({ t: 'updateState', account, messageId, state });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.write({ t: 'removeMessage', account, messageId });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.write({ t: 'removeConversation', account, contact });
  }

  removeJournal(account: string): Promise<number> {
    return this.write({ t: 'removeJournal', account });
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.write({ t: 'markConversationRead', account, contact });
  }

  async unreadCounts(account: string): Promise<UnreadCounts> {
    this.checkOpen();
    const rows = this.s.unread!.all(account) as { contact: string; n: number }[];
    const byContact = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      byContact.set(r.contact, r.n);
      total += r.n;
    }
    return { total, byContact };
  }

  async query(account: string, options: QueryOptions): Promise<QueryResult> {
    this.checkOpen();
    const limit = Math.max(1, Math.floor(options.limit));
    if (options.afterId) {
      const cur = this.s.idSeq!.get(account, options.afterId) as { seq: number } | undefined;
      if (cur) {
        const rows = this.s.afterSeq!.all(account, cur.seq, limit) as EntryRow[];
        return { entries: rows.map(toEntry), basis: 'cursor' };
      }
    }
    if (options.since) {
      const rows = this.s.since!.all(account, options.since.getTime(), limit) as EntryRow[];
      return { entries: rows.map(toEntry), basis: 'since' };
    }
    const rows = this.s.afterSeq!.all(account, 0, limit) as EntryRow[];
    return { entries: rows.map(toEntry), basis: 'all' };
  }

  async getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    this.checkOpen();
    const row = this.s.entryById!.get(account, messageId, account) as EntryRow | undefined;
    return row ? toEntry(row) : null;
  }

  async countEntries(account: string): Promise<number> {
    this.checkOpen();
    return (this.s.count!.get(account) as { n: number }).n;
  }

  async getAccount(aor: string): Promise<Account | null> {
    this.checkOpen();
    const r = this.s.getAccount!.get(aor) as { aor: string; last_login: number | null } | undefined;
    return r ? { aor: r.aor, lastLogin: r.last_login === null ? null : new Date(r.last_login) } : null;
  }

  addAccount(aor: string, now: Date = new Date()): Promise<Account> {
    return this.write({ t: 'addAccount', aor, now: now.getTime() });
  }

  removeAccount(aor: string): Promise<boolean> {
    return this.write({ t: 'removeAccount', aor });
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.write({ t: 'setApiToken', aor, token, expires: expiresAt.getTime() });
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    this.checkOpen();
    const r = this.s.getToken!.get(aor) as { api_token: string | null; token_expires: number | null } | undefined;
    if (!r || !r.api_token || r.token_expires === null || r.token_expires <= Date.now()) return null;
    return { aor, token: r.api_token, expiresAt: new Date(r.token_expires) };
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.write({ t: 'removeApiToken', aor, now: Date.now() });
  }

  async findAccountByToken(token: string): Promise<string | null> {
    this.checkOpen();
    if (!token) return null;
    const r = this.s.findToken!.get(token, Date.now()) as { aor: string } | undefined;
    return r ? r.aor : null;
  }

  async getPublicKey(aor: string): Promise<PublicKey | null> {
    this.checkOpen();
    const r = this.s.getPublicKey!.get(aor) as { aor: string; public_key: string; created_at: number } | undefined;
    return r ? { aor: r.aor, key: r.public_key, createdAt: new Date(r.created_at) } : null;
  }

  setPublicKey(aor: string, key: string, createdAt: Date = new Date()): Promise<void> {
    return this.write({ t: 'setPublicKey', aor, key, createdAt: createdAt.getTime() });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.write({ t: 'removePublicKey', aor });
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.write({
      t: 'setPrivateKey',
      account: msg.account,
      messageId: msg.messageId,
      contact: msg.contact,
      direction: msg.direction,
      content: msg.content,
      msgTimestamp: msg.msgTimestamp.getTime(),
      createdAt: msg.createdAt ? msg.createdAt.getTime() : Date.now(),
    });
  }

  async getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    this.checkOpen();
    const r = this.s.getPrivateKey!.get(account) as
      | {
          account: string;
          message_id: string;
          contact: string;
          direction: string;
          content: string;
          msg_timestamp: number;
          created_at: number;
        }
      | undefined;
    if (!r) return null;
    return {
      account: r.account,
      messageId: r.message_id,
      contact: r.contact,
      direction: r.direction as Direction,
      content: r.content,
      msgTimestamp: new Date(r.msg_timestamp),
      createdAt: new Date(r.created_at),
    };
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.write({ t: 'removePrivateKey', account });
  }

  addPushToken(t: PushToken): Promise<void> {
    const token: PushToken = {
      account: t.account,
      appId: t.appId,
      deviceId: t.deviceId,
      platform: t.platform,
      token: t.token,
      backgroundToken: t.backgroundToken,
      silent: t.silent,
      userAgent: t.userAgent,
    };
    return this.write({ t: 'addPushToken', token });
  }

  async listPushTokens(account: string): Promise<PushToken[]> {
    this.checkOpen();
    const rows = this.s.listPush!.all(account) as {
      account: string;
      app_id: string;
      device_id: string;
      platform: string;
      token: string;
      background_token: string | null;
      silent: number;
      user_agent: string | null;
    }[];
    return rows.map((r) => ({
      account: r.account,
      appId: r.app_id,
      deviceId: r.device_id,
      platform: r.platform,
      token: r.token,
      backgroundToken: r.background_token,
      silent: r.silent === 1,
      userAgent: r.user_agent,
    }));
  }

  removePushToken(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.write({ t: 'removePushToken', account, appId, deviceId });
  }

  removePushTokensByToken(account: string, token: string): Promise<number> {
    return this.write({ t: 'removePushTokensByToken', account, token });
  }

  removePushTokens(account: string): Promise<number> {
    return this.write({ t: 'removePushTokens', account });
  }

  async listAccounts(after: string | null, limit: number): Promise<AccountPage> {
    this.checkOpen();
    const n = Math.max(1, Math.floor(limit));
    const rows = this.s.listAccounts!.all({ after: after ?? '', limit: n + 1 }) as { aor: string }[];
    const aors = rows.slice(0, n).map((r) => r.aor);
    return { aors, next: rows.length > n ? (aors[aors.length - 1] ?? null) : null };
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
