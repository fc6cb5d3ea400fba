/**
 * SQLite engine of the journal store (`JournalStore`, `journal-storage.md` §3), the default engine.
 * One file (the factory puts it under `[FileStorage] storage_dir`), better-sqlite3 (synchronous, in
 * process), prepared statements, schema in `migrations.ts`.
 *
 * Durability: WAL journal with `synchronous = NORMAL`. A write's promise resolves after its
 * transaction committed to the WAL file, which is in the OS page cache; a crash of *this process*
 * (kill -9, exception) loses nothing that was acknowledged. A power loss or kernel crash can lose the
 * last transactions acknowledged before the last WAL checkpoint/fsync (the database stays consistent).
 * `synchronous = FULL` (option `synchronous: 'full'`) closes that window at the cost of one fsync per
 * group commit.
 *
 * Group commit: every write is a closure queued on a `GroupCommitter`; the closures queued in one
 * event-loop turn run in one `BEGIN IMMEDIATE` transaction. Reads run directly (they see all
 * committed writes). `BEGIN IMMEDIATE` and the `counters` row make it safe for `sylk-db` to write
 * to the same file while the server runs (busy timeout 5 s).
 */
import Database from 'better-sqlite3';
import type { Database as DB, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GroupCommitter } from '../../journal/group-commit.js';
import { applyDisposition, nextState } from '../../journal/states.js';
import type { AccountPage, ExpireResult, JournalStore, UpdateStateResult } from '../../journal/store.js';
import {
  CONTENT_TYPES,
  isUnread,
  type Account,
  type ApiToken,
  type Direction,
  type JournalEntry,
  type MessageState,
  type NewJournalEntry,
  type PrivateKeyMessage,
  type PublicKey,
  type PushToken,
  type QueryOptions,
  type QueryResult,
  type UnreadCounts,
} from '../../journal/types.js';
import { startRetention, type RetentionOptions } from '../retention.js';
import { ENTRY_COLUMNS, entryFromRow, type SqlEntryRow } from '../sql-entry.js';
import { migrate } from './migrations.js';

export interface SqliteStoreOptions extends RetentionOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /** `normal` (default, see module comment) or `full`. */
  synchronous?: 'normal' | 'full';
  /** Largest group-commit batch (default 5000). */
  maxBatch?: number;
  /** Page cache size in KiB (default 65 536). */
  cacheKiB?: number;
  /** WAL pages that trigger a checkpoint (default 16 000, about 64 MiB: fewer checkpoint copies and fsyncs). */
  walAutocheckpointPages?: number;
}

type EntryRow = SqlEntryRow<number, number>;

const toEntry = (r: EntryRow): JournalEntry => entryFromRow(r, (ms) => new Date(ms));

type Op = () => unknown;

/** Open (creating/migrating) a SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

export class SqliteStore implements JournalStore {
  readonly engine = 'sqlite';
  private readonly db: DB;
  private readonly committer: GroupCommitter<Op, unknown>;
  private readonly stopRetention: () => void;
  private closed = false;
  private readonly s: Record<string, Statement>;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = OFF');
    // A bigger page cache keeps the id-map and index B-trees of a large store in memory (64 MiB), and
    // fewer, larger checkpoints keep the WAL → database copies (and their fsyncs) off most commits.
    this.db.pragma(`cache_size = -${options.cacheKiB ?? 65_536}`);
    this.db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? 16_000}`);
    this.db.pragma('temp_store = MEMORY');
    migrate(this.db);
    const p = (sql: string): Statement => this.db.prepare(sql);
    this.s = {
      getSeq: p("SELECT value FROM counters WHERE name = 'seq'"),
      setSeq: p("UPDATE counters SET value = ? WHERE name = 'seq'"),
      insertId: p('INSERT INTO message_ids (account, message_id, seq, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      insertEntry: p(
        `INSERT INTO entries (${ENTRY_COLUMNS}, unread) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      idSeq: p('SELECT seq FROM message_ids WHERE account = ? AND message_id = ?'),
      entryBySeq: p(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE seq = ?`),
      entryById: p(
        `SELECT ${ENTRY_COLUMNS} FROM entries WHERE seq = (SELECT seq FROM message_ids WHERE account = ? AND message_id = ?) AND account = ?`,
      ),
      updateEntry: p('UPDATE entries SET state = ?, disposition = ?, unread = ? WHERE seq = ?'),
      deleteSeq: p('DELETE FROM entries WHERE seq = ?'),
      deleteConversation: p('DELETE FROM entries WHERE account = ? AND contact = ?'),
      deleteJournal: p('DELETE FROM entries WHERE account = ?'),
      clearDisposition: p(
        "UPDATE entries SET disposition = '[]', unread = 0 WHERE account = ? AND contact = ? AND disposition IS NOT NULL AND disposition <> '[]'",
      ),
      deleteReadMarkers: p('DELETE FROM entries WHERE account = ? AND contact = ? AND content_type = ?'),
      unread: p('SELECT contact, count(*) AS n FROM entries WHERE account = ? AND unread = 1 GROUP BY contact'),
      afterSeq: p(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?`),
      since: p(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = ? AND created_at > ? ORDER BY created_at, seq LIMIT ?`),
      count: p('SELECT count(*) AS n FROM entries WHERE account = ?'),
      getAccount: p('SELECT aor, last_login FROM accounts WHERE aor = ?'),
      upsertAccount: p(
        'INSERT INTO accounts (aor, last_login) VALUES (?, ?) ON CONFLICT (aor) DO UPDATE SET last_login = excluded.last_login',
      ),
      deleteAccount: p('DELETE FROM accounts WHERE aor = ?'),
      setToken: p('UPDATE accounts SET api_token = ?, token_expires = ? WHERE aor = ?'),
      getToken: p('SELECT api_token, token_expires FROM accounts WHERE aor = ?'),
      findToken: p("SELECT aor FROM accounts WHERE api_token = ? AND api_token <> '' AND token_expires > ? LIMIT 1"),
      getPublicKey: p('SELECT aor, public_key, created_at FROM public_keys WHERE aor = ?'),
      setPublicKey: p(
        'INSERT INTO public_keys (aor, public_key, created_at) VALUES (?, ?, ?) ON CONFLICT (aor) DO UPDATE SET public_key = excluded.public_key, created_at = excluded.created_at',
      ),
      deletePublicKey: p('DELETE FROM public_keys WHERE aor = ?'),
      setPrivateKey: p(
        `INSERT INTO private_keys (account, message_id, contact, direction, content, msg_timestamp, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account) DO UPDATE SET message_id = excluded.message_id, contact = excluded.contact, direction = excluded.direction,
           content = excluded.content, msg_timestamp = excluded.msg_timestamp, created_at = excluded.created_at`,
      ),
      getPrivateKey: p(
        'SELECT account, message_id, contact, direction, content, msg_timestamp, created_at FROM private_keys WHERE account = ?',
      ),
      deletePrivateKey: p('DELETE FROM private_keys WHERE account = ?'),
      upsertPush: p(
        `INSERT INTO push_tokens (account, app_id, device_id, platform, token, background_token, silent, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, app_id, device_id) DO UPDATE SET platform = excluded.platform, token = excluded.token,
           background_token = excluded.background_token, silent = excluded.silent, user_agent = excluded.user_agent`,
      ),
      listPush: p(
        'SELECT account, app_id, device_id, platform, token, background_token, silent, user_agent FROM push_tokens WHERE account = ? ORDER BY app_id, device_id',
      ),
      deletePush: p('DELETE FROM push_tokens WHERE account = ? AND app_id = ? AND device_id = ?'),
      deletePushByToken: p('DELETE FROM push_tokens WHERE account = ? AND (token = ? OR background_token = ?)'),
      deletePushAll: p('DELETE FROM push_tokens WHERE account = ?'),
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
      expireEntries: p(
        'DELETE FROM entries WHERE seq IN (SELECT seq FROM message_ids WHERE created_at < ? ORDER BY created_at, account, message_id LIMIT ?)',
      ),
      expireIds: p(
        'DELETE FROM message_ids WHERE (account, message_id) IN (SELECT account, message_id FROM message_ids WHERE created_at < ? ORDER BY created_at, account, message_id LIMIT ?)',
      ),
      expireTokens: p(
        "UPDATE accounts SET api_token = NULL, token_expires = NULL WHERE api_token IS NOT NULL AND (token_expires <= ? OR api_token = '')",
      ),
    };
    // Sequence numbers are read from `counters` once per transaction and written back at its end.
    const tx = this.db.transaction((ops: Op[]) => {
      this.nextSeq = (this.s.getSeq!.get() as { value: number }).value + 1;
      try {
        return ops.map((op) => op());
      } finally {
        this.s.setSeq!.run(this.nextSeq - 1);
        this.nextSeq = 0;
      }
    });
    this.committer = new GroupCommitter<Op, unknown>({
      commit: (ops) => tx.immediate(ops),
      maxBatch: options.maxBatch,
      // Constraint/size errors are specific to one op; SQLITE_BUSY, I/O errors and the like are not.
      retryIndividually: (err) => {
        const code = (err as { code?: unknown }).code;
        return typeof code === 'string' && /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code);
      },
    });
    this.stopRetention = startRetention((d) => this.expire(d), options);
  }

  private write<R>(op: () => R): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.committer.submit(op) as Promise<R>;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('store is closed');
  }

  /** Next free journal sequence number while a write transaction runs (0 outside one). */
  private nextSeq = 0;

  /** Allocate one journal sequence number (inside a write transaction). */
  private allocSeq(): number {
    if (this.nextSeq === 0) throw new Error('sequence numbers are only allocated inside a write transaction');
    return this.nextSeq++;
  }

  /** Give back the number just allocated (its insert was a duplicate), keeping `seq` dense. */
  private releaseSeq(seq: number): void {
    if (seq === this.nextSeq - 1) this.nextSeq = seq;
  }

  private insertOne(e: NewJournalEntry, now: number): boolean {
    const createdAt = e.createdAt ? e.createdAt.getTime() : now;
    const seq = this.allocSeq();
    if (this.s.insertId!.run(e.account, e.messageId, seq, createdAt).changes === 0) {
      this.releaseSeq(seq);
      return false;
    }
    this.s.insertEntry!.run(
      seq,
      e.account,
      e.messageId,
      createdAt,
      e.contact,
      e.direction,
      e.contentType,
      e.content,
      e.disposition === null ? null : JSON.stringify(e.disposition),
      e.state,
      e.msgTimestamp.getTime(),
      isUnread(e) ? 1 : 0,
    );
    return true;
  }

  add(entry: NewJournalEntry): Promise<boolean> {
    return this.write(() => this.insertOne(entry, Date.now()));
  }

  addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]> {
    const copy = [...entries];
    return this.write(() => {
      const now = Date.now();
      return copy.map((e) => this.insertOne(e, now));
    });
  }

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.write(() => {
      const row = this.s.entryById!.get(account, messageId, account) as EntryRow | undefined;
      if (!row) return null;
      const entry = toEntry(row);
      const newState = nextState(entry.state, state);
      const newDisp = applyDisposition(entry.disposition, state);
      const stateChanged = newState !== entry.state;
      const dispositionChanged = newDisp !== entry.disposition;
      if (stateChanged || dispositionChanged) {
        entry.state = newState;
        entry.disposition = newDisp;
        this.s.updateEntry!.run(newState, newDisp === null ? null : JSON.stringify(newDisp), isUnread(entry) ? 1 : 0, row.seq);
      }
      return { entry, stateChanged, dispositionChanged };
    });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.write(() => {
      const row = this.s.entryById!.get(account, messageId, account) as EntryRow | undefined;
      if (!row) return null;
      this.s.deleteSeq!.run(row.seq);
      return toEntry(row);
    });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.write(() => this.s.deleteConversation!.run(account, contact).changes);
  }

  removeJournal(account: string): Promise<number> {
    return this.write(() => this.s.deleteJournal!.run(account).changes);
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.write(() => {
      const n = this.s.clearDisposition!.run(account, contact).changes;
      this.s.deleteReadMarkers!.run(account, contact, CONTENT_TYPES.conversationRead);
      return n;
    });
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
    return this.write(() => {
      this.s.upsertAccount!.run(aor, now.getTime());
      return { aor, lastLogin: new Date(now.getTime()) };
    });
  }

  removeAccount(aor: string): Promise<boolean> {
    return this.write(() => this.s.deleteAccount!.run(aor).changes > 0);
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.write(() => this.s.setToken!.run(token, expiresAt.getTime(), aor).changes > 0);
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    this.checkOpen();
    const r = this.s.getToken!.get(aor) as { api_token: string | null; token_expires: number | null } | undefined;
    if (!r || !r.api_token || r.token_expires === null || r.token_expires <= Date.now()) return null;
    return { aor, token: r.api_token, expiresAt: new Date(r.token_expires) };
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.write(() => {
      const r = this.s.getToken!.get(aor) as { api_token: string | null; token_expires: number | null } | undefined;
      const had = !!r && !!r.api_token && r.token_expires !== null && r.token_expires > Date.now();
      this.s.setToken!.run(null, null, aor);
      return had;
    });
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
    return this.write(() => {
      this.s.setPublicKey!.run(aor, key, createdAt.getTime());
    });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.write(() => this.s.deletePublicKey!.run(aor).changes > 0);
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.write(() => {
      const createdAt = msg.createdAt ? msg.createdAt.getTime() : Date.now();
      const seq = this.allocSeq();
      if (this.s.insertId!.run(msg.account, msg.messageId, seq, createdAt).changes === 0) {
        this.releaseSeq(seq);
        return false;
      }
      this.s.setPrivateKey!.run(
        msg.account,
        msg.messageId,
        msg.contact,
        msg.direction,
        msg.content,
        msg.msgTimestamp.getTime(),
        createdAt,
      );
      return true;
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
    return this.write(() => this.s.deletePrivateKey!.run(account).changes > 0);
  }

  addPushToken(t: PushToken): Promise<void> {
    return this.write(() => {
      this.s.upsertPush!.run(t.account, t.appId, t.deviceId, t.platform, t.token, t.backgroundToken, t.silent ? 1 : 0, t.userAgent);
    });
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
    return this.write(() => this.s.deletePush!.run(account, appId, deviceId).changes > 0);
  }

  removePushTokensByToken(account: string, token: string): Promise<number> {
    return this.write(() => this.s.deletePushByToken!.run(account, token, token).changes);
  }

  removePushTokens(account: string): Promise<number> {
    return this.write(() => this.s.deletePushAll!.run(account).changes);
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
      const [e, ids] = await this.write(() => {
        const e = this.s.expireEntries!.run(t, batch).changes;
        const ids = this.s.expireIds!.run(t, batch).changes;
        return [e, ids] as const;
      });
      entries += e;
      if (ids < batch) break;
    }
    const apiTokens = await this.write(() => this.s.expireTokens!.run(Date.now()).changes);
    return { entries, apiTokens };
  }

  async ping(): Promise<void> {
    this.checkOpen();
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopRetention();
    await this.committer.close();
    this.closed = true;
    this.db.close();
  }
}
