/**
 * PostgreSQL engine of the journal store (`JournalStore`, `journal-storage.md` §3), for deployments
 * where several `sylk-server` processes share one store (DESIGN.md decision 3). Uses `pg` with a pool;
 * schema in `migrations.ts`, applied at open.
 *
 * Group commit: writes are queued on a `GroupCommitter`; each batch runs on one pooled connection in
 * one transaction (BEGIN … COMMIT), and each write's promise resolves after COMMIT returned (with the
 * server's default `synchronous_commit = on`, i.e. after the WAL flush). Consecutive adds of a batch
 * are inserted with one multi-row statement (`unnest`). Batches that add entries first lock the
 * `counters` row and take their sequence numbers from it, so journal writers of several servers are
 * serialized and `seq` order is commit order (a cursor can never pass an entry that commits later).
 *
 * Idempotency: `INSERT … ON CONFLICT DO NOTHING` on the `message_ids` primary key; an entry row is
 * written only when its id row was. PostgreSQL `text` cannot hold U+0000; contents never contain it
 * (binary payloads are Latin-1 strings of non-NUL code points per the spec), a NUL fails that write.
 */
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import type { AccountStore } from '../../accounts/types.js';
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
import { PostgresAccountStore } from './accounts.js';
import { migrate } from './migrations.js';
import type { BindingStore } from '../../registrar/bindings.js';
import { PostgresBindings } from './registrations.js';

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

type EntryRow = SqlEntryRow<Date, string>;

const toEntry = (r: EntryRow): JournalEntry => entryFromRow(r, (d) => d);

type Op =
  | { kind: 'add'; entries: NewJournalEntry[]; single: boolean }
  | { kind: 'fn'; fn: (c: PoolClient) => Promise<unknown> };

/** Quote an identifier for SQL. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Open (connecting and migrating) a PostgreSQL store. Rejects if the server is unreachable. */
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

export class PostgresStore implements JournalStore {
  readonly engine = 'postgres';
  /** Local accounts (standalone mode), `accounts.ts`. */
  readonly accounts: AccountStore;
  /** The registrar's bindings (standalone mode, `registrations.ts`). */
  readonly registrations: BindingStore;
  private readonly pool: pg.Pool;
  private readonly committer: GroupCommitter<Op, unknown>;
  private stopRetention: () => void = () => undefined;
  private closed = false;

  constructor(private readonly options: PostgresStoreOptions) {
    const config: PoolConfig = {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    };
    if (options.url) config.connectionString = options.url;
    if (options.schema) config.options = `-c search_path=${ident(options.schema)}`;
    this.pool = new pg.Pool(config);
    this.pool.on('error', () => undefined); // idle client errors: the next query reports them
    this.accounts = new PostgresAccountStore((sql, params) => {
      this.checkOpen();
      return this.pool.query(sql, params);
    });
    this.registrations = new PostgresBindings(this.pool);
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
      if (this.options.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(this.options.schema)}`);
      await migrate(client);
    } finally {
      client.release();
    }
    this.stopRetention = startRetention((d) => this.expire(d), this.options);
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
    try {
      await client.query('BEGIN');
      // Every write transaction takes the counter row lock first, so writers of several servers always
      // lock in the same order (counter, then entries) and cannot deadlock: without it, one server's
      // mark-read (entry rows, then the counter for its marker) and another's insert + state update
      // (counter, then an entry row) deadlocked under load.
      await client.query("SELECT value FROM counters WHERE name = 'seq' FOR UPDATE");
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
        const flat = run.flatMap((r) => r.entries);
        const inserted = await this.insertEntries(client, flat);
        let k = 0;
        for (const r of run) {
          const res = inserted.slice(k, k + r.entries.length);
          k += r.entries.length;
          results.push(r.single ? res[0] : res);
        }
        i = j;
      }
      await client.query('COMMIT');
      client.release();
      return results;
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack); // destroy a connection that cannot even roll back
      throw err;
    }
  }

  /** Lock the counter row and take `n` sequence numbers; returns the first. */
  private async allocSeq(client: PoolClient, n: number): Promise<number> {
    const { rows } = await client.query<{ value: string }>(
      "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
      [n],
    );
    return Number(rows[0]!.value) - n + 1;
  }

  /** Insert entries (in order) inside the current transaction; per-entry "inserted?". */
  private async insertEntries(client: PoolClient, entries: NewJournalEntry[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const now = new Date();
    const seen = new Set<string>();
    const firstIdx: number[] = [];
    entries.forEach((e, idx) => {
      const key = `${e.account}\u0000${e.messageId}`;
      if (!seen.has(key)) {
        seen.add(key);
        firstIdx.push(idx);
      }
    });
    const base = await this.allocSeq(client, firstIdx.length);
    const cols: unknown[][] = Array.from({ length: 12 }, () => []);
    firstIdx.forEach((idx, n) => {
      const e = entries[idx]!;
      const values = [
        base + n,
        e.account,
        e.messageId,
        e.createdAt ?? now,
        e.contact,
        e.direction,
        e.contentType,
        e.content,
        e.disposition === null ? null : JSON.stringify(e.disposition),
        e.state,
        e.msgTimestamp,
        isUnread(e),
      ];
      values.forEach((v, c) => cols[c]!.push(v));
    });
    const { rows } = await client.query<{ seq: string }>(
      `WITH input AS (
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::boolean[])
           AS t(seq, account, message_id, created_at, contact, direction, content_type, content, disposition, state, msg_timestamp, unread)
       ), ids AS (
         INSERT INTO message_ids (account, message_id, seq, created_at)
         SELECT account, message_id, seq, created_at FROM input
         ON CONFLICT DO NOTHING RETURNING seq
       )
       INSERT INTO entries (${ENTRY_COLUMNS}, unread)
       SELECT i.seq, i.account, i.message_id, i.created_at, i.contact, i.direction, i.content_type, i.content,
              i.disposition, i.state, i.msg_timestamp, i.unread
       FROM input i JOIN ids USING (seq)
       RETURNING seq`,
      cols,
    );
    const insertedSeqs = new Set(rows.map((r) => Number(r.seq)));
    const result = entries.map(() => false);
    firstIdx.forEach((idx, n) => {
      result[idx] = insertedSeqs.has(base + n);
    });
    return result;
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

  // ------------------------------------------------------------------ entries

  add(entry: NewJournalEntry): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.committer.submit({ kind: 'add', entries: [entry], single: true }) as Promise<boolean>;
  }

  addMany(entries: readonly NewJournalEntry[]): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (entries.length === 0) return Promise.resolve([]);
    return this.committer.submit({ kind: 'add', entries: [...entries], single: false }) as Promise<boolean[]>;
  }

  private static readonly ENTRY_BY_ID = `SELECT ${ENTRY_COLUMNS} FROM entries
    WHERE seq = (SELECT seq FROM message_ids WHERE account = $1 AND message_id = $2) AND account = $1`;

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.write(async (c) => {
      const { rows } = await c.query<EntryRow>(`${PostgresStore.ENTRY_BY_ID} FOR UPDATE`, [account, messageId]);
      const row = rows[0];
      if (!row) return null;
      const entry = toEntry(row);
      const newState = nextState(entry.state, state);
      const newDisp = applyDisposition(entry.disposition, state);
      const stateChanged = newState !== entry.state;
      const dispositionChanged = newDisp !== entry.disposition;
      if (stateChanged || dispositionChanged) {
        entry.state = newState;
        entry.disposition = newDisp;
        await c.query('UPDATE entries SET state = $1, disposition = $2, unread = $3 WHERE seq = $4', [
          newState,
          newDisp === null ? null : JSON.stringify(newDisp),
          isUnread(entry),
          row.seq,
        ]);
      }
      return { entry, stateChanged, dispositionChanged };
    });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.write(async (c) => {
      const { rows } = await c.query<EntryRow>(
        `DELETE FROM entries WHERE seq = (SELECT seq FROM message_ids WHERE account = $1 AND message_id = $2) AND account = $1
         RETURNING ${ENTRY_COLUMNS}`,
        [account, messageId],
      );
      return rows[0] ? toEntry(rows[0]) : null;
    });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.write(async (c) => (await c.query('DELETE FROM entries WHERE account = $1 AND contact = $2', [account, contact])).rowCount ?? 0);
  }

  removeJournal(account: string): Promise<number> {
    return this.write(async (c) => (await c.query('DELETE FROM entries WHERE account = $1', [account])).rowCount ?? 0);
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.write(async (c) => {
      const r = await c.query(
        "UPDATE entries SET disposition = '[]', unread = false WHERE account = $1 AND contact = $2 AND disposition IS NOT NULL AND disposition <> '[]'",
        [account, contact],
      );
      await c.query('DELETE FROM entries WHERE account = $1 AND contact = $2 AND content_type = $3', [
        account,
        contact,
        CONTENT_TYPES.conversationRead,
      ]);
      return r.rowCount ?? 0;
    });
  }

  async unreadCounts(account: string): Promise<UnreadCounts> {
    const rows = await this.read<{ contact: string; n: string }>(
      'SELECT contact, count(*) AS n FROM entries WHERE account = $1 AND unread GROUP BY contact',
      [account],
    );
    const byContact = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      const n = Number(r.n);
      byContact.set(r.contact, n);
      total += n;
    }
    return { total, byContact };
  }

  async query(account: string, options: QueryOptions): Promise<QueryResult> {
    const limit = Math.max(1, Math.floor(options.limit));
    if (options.afterId) {
      const cur = await this.read<{ seq: string }>('SELECT seq FROM message_ids WHERE account = $1 AND message_id = $2', [
        account,
        options.afterId,
      ]);
      if (cur[0]) {
        const rows = await this.read<EntryRow>(
          `SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
          [account, cur[0].seq, limit],
        );
        return { entries: rows.map(toEntry), basis: 'cursor' };
      }
    }
    if (options.since) {
      const rows = await this.read<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = $1 AND created_at > $2 ORDER BY created_at, seq LIMIT $3`,
        [account, options.since, limit],
      );
      return { entries: rows.map(toEntry), basis: 'since' };
    }
    const rows = await this.read<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = $1 ORDER BY seq LIMIT $2`, [
      account,
      limit,
    ]);
    return { entries: rows.map(toEntry), basis: 'all' };
  }

  async getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    const rows = await this.read<EntryRow>(PostgresStore.ENTRY_BY_ID, [account, messageId]);
    return rows[0] ? toEntry(rows[0]) : null;
  }

  async countEntries(account: string): Promise<number> {
    const rows = await this.read<{ n: string }>('SELECT count(*) AS n FROM entries WHERE account = $1', [account]);
    return Number(rows[0]!.n);
  }

  // ------------------------------------------------------------------ accounts and tokens

  async getAccount(aor: string): Promise<Account | null> {
    const rows = await this.read<{ aor: string; last_login: Date | null }>('SELECT aor, last_login FROM accounts WHERE aor = $1', [aor]);
    return rows[0] ? { aor: rows[0].aor, lastLogin: rows[0].last_login } : null;
  }

  addAccount(aor: string, now: Date = new Date()): Promise<Account> {
    return this.write(async (c) => {
      await c.query(
        'INSERT INTO accounts (aor, last_login) VALUES ($1, $2) ON CONFLICT (aor) DO UPDATE SET last_login = excluded.last_login',
        [aor, now],
      );
      return { aor, lastLogin: new Date(now.getTime()) };
    });
  }

  removeAccount(aor: string): Promise<boolean> {
    return this.write(async (c) => ((await c.query('DELETE FROM accounts WHERE aor = $1', [aor])).rowCount ?? 0) > 0);
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.write(
      async (c) =>
        ((await c.query('UPDATE accounts SET api_token = $1, token_expires = $2 WHERE aor = $3', [token, expiresAt, aor])).rowCount ?? 0) > 0,
    );
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    const rows = await this.read<{ api_token: string; token_expires: Date }>(
      "SELECT api_token, token_expires FROM accounts WHERE aor = $1 AND api_token IS NOT NULL AND api_token <> '' AND token_expires > $2",
      [aor, new Date()],
    );
    return rows[0] ? { aor, token: rows[0].api_token, expiresAt: rows[0].token_expires } : null;
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.write(async (c) => {
      const { rows } = await c.query<{ had: boolean }>(
        `UPDATE accounts a SET api_token = NULL, token_expires = NULL
         FROM (SELECT aor, (api_token IS NOT NULL AND api_token <> '' AND token_expires > $2) AS had FROM accounts WHERE aor = $1 FOR UPDATE) o
         WHERE a.aor = o.aor RETURNING o.had`,
        [aor, new Date()],
      );
      return rows[0]?.had === true;
    });
  }

  async findAccountByToken(token: string): Promise<string | null> {
    if (!token) return null;
    const rows = await this.read<{ aor: string }>(
      'SELECT aor FROM accounts WHERE api_token = $1 AND token_expires > $2 LIMIT 1',
      [token, new Date()],
    );
    return rows[0]?.aor ?? null;
  }

  // ------------------------------------------------------------------ keys

  async getPublicKey(aor: string): Promise<PublicKey | null> {
    const rows = await this.read<{ aor: string; public_key: string; created_at: Date }>(
      'SELECT aor, public_key, created_at FROM public_keys WHERE aor = $1',
      [aor],
    );
    return rows[0] ? { aor: rows[0].aor, key: rows[0].public_key, createdAt: rows[0].created_at } : null;
  }

  setPublicKey(aor: string, key: string, createdAt: Date = new Date()): Promise<void> {
    return this.write(async (c) => {
      await c.query(
        `INSERT INTO public_keys (aor, public_key, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (aor) DO UPDATE SET public_key = excluded.public_key, created_at = excluded.created_at`,
        [aor, key, createdAt],
      );
    });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.write(async (c) => ((await c.query('DELETE FROM public_keys WHERE aor = $1', [aor])).rowCount ?? 0) > 0);
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.write(async (c) => {
      const createdAt = msg.createdAt ?? new Date();
      const seq = await this.allocSeq(c, 1);
      const ins = await c.query('INSERT INTO message_ids (account, message_id, seq, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
        msg.account,
        msg.messageId,
        seq,
        createdAt,
      ]);
      if ((ins.rowCount ?? 0) === 0) return false;
      await c.query(
        `INSERT INTO private_keys (account, message_id, contact, direction, content, msg_timestamp, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account) DO UPDATE SET message_id = excluded.message_id, contact = excluded.contact, direction = excluded.direction,
           content = excluded.content, msg_timestamp = excluded.msg_timestamp, created_at = excluded.created_at`,
        [msg.account, msg.messageId, msg.contact, msg.direction, msg.content, msg.msgTimestamp, createdAt],
      );
      return true;
    });
  }

  async getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    const rows = await this.read<{
      account: string;
      message_id: string;
      contact: string;
      direction: string;
      content: string;
      msg_timestamp: Date;
      created_at: Date;
    }>('SELECT account, message_id, contact, direction, content, msg_timestamp, created_at FROM private_keys WHERE account = $1', [account]);
    const r = rows[0];
    if (!r) return null;
    return {
      account: r.account,
      messageId: r.message_id,
      contact: r.contact,
      direction: r.direction as Direction,
      content: r.content,
      msgTimestamp: r.msg_timestamp,
      createdAt: r.created_at,
    };
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.write(async (c) => ((await c.query('DELETE FROM private_keys WHERE account = $1', [account])).rowCount ?? 0) > 0);
  }

  // ------------------------------------------------------------------ push tokens

  addPushToken(t: PushToken): Promise<void> {
    return this.write(async (c) => {
      await c.query(
        `INSERT INTO push_tokens (account, app_id, device_id, platform, token, background_token, silent, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (account, app_id, device_id) DO UPDATE SET platform = excluded.platform, token = excluded.token,
           background_token = excluded.background_token, silent = excluded.silent, user_agent = excluded.user_agent`,
        [t.account, t.appId, t.deviceId, t.platform, t.token, t.backgroundToken, t.silent, t.userAgent],
      );
    });
  }

  async listPushTokens(account: string): Promise<PushToken[]> {
    const rows = await this.read<{
      account: string;
      app_id: string;
      device_id: string;
      platform: string;
      token: string;
      background_token: string | null;
      silent: boolean;
      user_agent: string | null;
    }>(
      `SELECT account, app_id, device_id, platform, token, background_token, silent, user_agent FROM push_tokens
       WHERE account = $1 ORDER BY app_id COLLATE "C", device_id COLLATE "C"`,
      [account],
    );
    return rows.map((r) => ({
      account: r.account,
      appId: r.app_id,
      deviceId: r.device_id,
      platform: r.platform,
      token: r.token,
      backgroundToken: r.background_token,
      silent: r.silent,
      userAgent: r.user_agent,
    }));
  }

  removePushToken(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.write(
      async (c) =>
        ((await c.query('DELETE FROM push_tokens WHERE account = $1 AND app_id = $2 AND device_id = $3', [account, appId, deviceId])).rowCount ?? 0) > 0,
    );
  }

  removePushTokensByToken(account: string, token: string): Promise<number> {
    return this.write(
      async (c) =>
        (await c.query('DELETE FROM push_tokens WHERE account = $1 AND (token = $2 OR background_token = $2)', [account, token])).rowCount ?? 0,
    );
  }

  removePushTokens(account: string): Promise<number> {
    return this.write(async (c) => (await c.query('DELETE FROM push_tokens WHERE account = $1', [account])).rowCount ?? 0);
  }

  // ------------------------------------------------------------------ administration

  async listAccounts(after: string | null, limit: number): Promise<AccountPage> {
    const n = Math.max(1, Math.floor(limit));
    const rows = await this.read<{ aor: string }>(
      `SELECT aor FROM (
         SELECT aor FROM accounts WHERE aor COLLATE "C" > $1
         UNION SELECT account FROM message_ids WHERE account COLLATE "C" > $1
         UNION SELECT account FROM entries WHERE account COLLATE "C" > $1
         UNION SELECT aor FROM public_keys WHERE aor COLLATE "C" > $1
         UNION SELECT account FROM private_keys WHERE account COLLATE "C" > $1
         UNION SELECT account FROM push_tokens WHERE account COLLATE "C" > $1
       ) u ORDER BY aor COLLATE "C" LIMIT $2`,
      [after ?? '', n + 1],
    );
    const aors = rows.slice(0, n).map((r) => r.aor);
    return { aors, next: rows.length > n ? (aors[aors.length - 1] ?? null) : null };
  }

  async expire(olderThan: Date): Promise<ExpireResult> {
    const batch = 10_000;
    let entries = 0;
    for (;;) {
      const [e, ids] = await this.write(async (c) => {
        const e = await c.query(
          'DELETE FROM entries WHERE seq IN (SELECT seq FROM message_ids WHERE created_at < $1 ORDER BY created_at, account, message_id LIMIT $2)',
          [olderThan, batch],
        );
        const ids = await c.query(
          `DELETE FROM message_ids WHERE (account, message_id) IN
             (SELECT account, message_id FROM message_ids WHERE created_at < $1 ORDER BY created_at, account, message_id LIMIT $2)`,
          [olderThan, batch],
        );
        return [e.rowCount ?? 0, ids.rowCount ?? 0] as const;
      });
      entries += e;
      if (ids < batch) break;
    }
    const apiTokens = await this.write(
      async (c) =>
        (
          await c.query(
            "UPDATE accounts SET api_token = NULL, token_expires = NULL WHERE api_token IS NOT NULL AND (token_expires <= $1 OR api_token = '')",
            [new Date()],
          )
        ).rowCount ?? 0,
    );
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
