/**
 * SQLite: the journal tables `entries` and `message_ids` (the id map), `journal-storage.md`
 * §3.2–§3.6 — reads on the store's connection, writes as ops (`write-ops.ts`, which owns all write
 * SQL) on the group commit. Adds are submitted by the store (`store.ts`).
 */
import type { Statement } from 'better-sqlite3';
import type { UpdateStateResult } from '../../journal/store.js';
import type { JournalEntry, MessageState, QueryOptions, QueryResult, UnreadCounts } from '../../journal/types.js';
import { ENTRY_COLUMNS, entryFromRow, entryFromValues, unreadFromRows, type SqlEntryRow } from '../sql-entry.js';
import type { EntriesTable } from '../table-store.js';
import type { SqliteDb } from './db.js';

type EntryRow = SqlEntryRow<number, number>;

const toDate = (ms: number): Date => new Date(ms);
const toEntry = (r: EntryRow): JournalEntry => entryFromRow(r, toDate);
const valuesToEntry = (v: unknown[]): JournalEntry => entryFromValues(v, toDate);
const sameNumber = (n: number): number => n;

export class SqliteEntries implements EntriesTable {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: SqliteDb) {
    const p = (sql: string): Statement => db.db.prepare(sql);
    // Query pages read rows as arrays (`raw`): no keyed object per row on a long sync.
    const raw = (sql: string): Statement => db.db.prepare(sql).raw(true);
    this.s = {
      idSeq: p('SELECT seq FROM message_ids WHERE account = ? AND message_id = ?'),
      entryById: p(
        `SELECT ${ENTRY_COLUMNS} FROM entries WHERE seq = (SELECT seq FROM message_ids WHERE account = ? AND message_id = ?) AND account = ?`,
      ),
      unread: p('SELECT contact, count(*) AS n FROM entries WHERE account = ? AND unread = 1 GROUP BY contact'),
      afterSeq: raw(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = ? AND seq > ? ORDER BY seq LIMIT ?`),
      since: raw(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = ? AND created_at > ? ORDER BY created_at, seq LIMIT ?`),
      count: p('SELECT count(*) AS n FROM entries WHERE account = ?'),
    };
  }

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.db.write({ t: 'updateState', account, messageId, state });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.db.write({ t: 'removeMessage', account, messageId });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.db.write({ t: 'removeConversation', account, contact });
  }

  removeJournal(account: string): Promise<number> {
    return this.db.write({ t: 'removeJournal', account });
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.db.write({ t: 'markConversationRead', account, contact });
  }

  async unreadCounts(account: string): Promise<UnreadCounts> {
    this.db.checkOpen();
    return unreadFromRows(this.s.unread!.all(account) as { contact: string; n: number }[], sameNumber);
  }

  async query(account: string, options: QueryOptions): Promise<QueryResult> {
    this.db.checkOpen();
    const limit = Math.max(1, Math.floor(options.limit));
    if (options.afterId) {
      const cur = this.s.idSeq!.get(account, options.afterId) as { seq: number } | undefined;
      if (cur) {
        const rows = this.s.afterSeq!.all(account, cur.seq, limit) as unknown[][];
        return { entries: rows.map(valuesToEntry), basis: 'cursor' };
      }
    }
    if (options.since) {
      const rows = this.s.since!.all(account, options.since.getTime(), limit) as unknown[][];
      return { entries: rows.map(valuesToEntry), basis: 'since' };
    }
    const rows = this.s.afterSeq!.all(account, 0, limit) as unknown[][];
    return { entries: rows.map(valuesToEntry), basis: 'all' };
  }

  async getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    this.db.checkOpen();
    const row = this.s.entryById!.get(account, messageId, account) as EntryRow | undefined;
    return row ? toEntry(row) : null;
  }

  async countEntries(account: string): Promise<number> {
    this.db.checkOpen();
    return (this.s.count!.get(account) as { n: number }).n;
  }
}
