/**
 * PostgreSQL: the journal tables `entries` and `message_ids` (the id map), `journal-storage.md`
 * §3.1–§3.6. Consecutive adds of a group-commit batch are inserted with one multi-row statement
 * (`unnest`) that also takes their sequence numbers from the counter row (locking it); an entry row is
 * written only when its id row was (`INSERT … ON CONFLICT DO NOTHING` on the id map's primary key).
 */
import type { PoolClient } from 'pg';
import { applyDisposition, nextState } from '../../journal/states.js';
import type { UpdateStateResult } from '../../journal/store.js';
import { CONTENT_TYPES, isUnread, type JournalEntry, type MessageState, type NewJournalEntry, type QueryOptions, type QueryResult, type UnreadCounts } from '../../journal/types.js';
import { dispositionText, ENTRY_COLUMNS, ENTRY_FIELDS, entryFromRow, entryFromValues, pushEntryValues, unreadFromRows, type SqlEntryRow } from '../sql-entry.js';
import type { EntriesTable } from '../table-store.js';
import { changed, type PgDb } from './db.js';

/** Rows of `SELECT ${ENTRY_SELECT}`: times as epoch milliseconds. */
type EntryRow = SqlEntryRow<number, string>;

const toEntry = (r: EntryRow): JournalEntry => entryFromRow(r, (ms) => new Date(ms));
const valuesToEntry = (v: unknown[]): JournalEntry => entryFromValues(v, (ms: number) => new Date(ms));
const asMs = (d: Date): number => d.getTime();

/** A `timestamptz` column as epoch milliseconds (`float8`, exact below 2^53), floored as `pg` floors to a `Date`. */
const epochMs = (col: string, prefix = ''): string => `floor(extract(epoch FROM ${prefix}${col}) * 1000)::float8 AS ${col}`;

/**
 * The entry columns (`ENTRY_COLUMNS`) to read, the two times as epoch milliseconds: the driver's
 * `timestamptz` → `Date` parsing (a regular expression per value) was the largest cost of a long sync.
 */
const entrySelect = (prefix = ''): string =>
  ENTRY_COLUMNS.split(', ')
    .map((c) => (c === 'created_at' || c === 'msg_timestamp' ? epochMs(c, prefix) : `${prefix}${c}`))
    .join(', ');
const ENTRY_SELECT = entrySelect();
const asBool = (u: boolean): boolean => u;

/**
 * Insert `$12` new entries given column by column (`unnest` of the flat layout's arrays, times as epoch
 * milliseconds: cheaper to send than the driver's text form of a `Date`): take `$12`
 * sequence numbers from the counter row (its row lock serializes journal writers: `seq` order is commit
 * order), write the id rows (`ON CONFLICT DO NOTHING`: an id seen before is skipped), then the entry
 * rows whose id row was written. Returns the (1-based) position of each inserted entry.
 */
const INSERT_ENTRIES = `WITH c AS (
    UPDATE counters SET value = value + $12 WHERE name = 'seq' RETURNING value - $12 AS base
  ), input AS (
    SELECT t.account, t.message_id, t.contact, t.direction, t.content_type, t.content, t.disposition, t.state,
           to_timestamp(t.msg_ms / 1000) AS msg_timestamp, to_timestamp(t.created_ms / 1000) AS created_at, t.unread,
           t.ord, c.base + t.ord AS seq
    FROM c, unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                   $8::text[], $9::float8[], $10::float8[], $11::boolean[]) WITH ORDINALITY
      AS t(account, message_id, contact, direction, content_type, content, disposition, state, msg_ms, created_ms, unread, ord)
  ), ids AS (
    INSERT INTO message_ids (account, message_id, seq, created_at)
    SELECT account, message_id, seq, created_at FROM input
    ON CONFLICT DO NOTHING RETURNING seq
  ), ins AS (
    INSERT INTO entries (${ENTRY_COLUMNS}, unread)
    SELECT i.seq, i.account, i.message_id, i.created_at, i.contact, i.direction, i.content_type, i.content,
           i.disposition, i.state, i.msg_timestamp, i.unread
    FROM input i JOIN ids USING (seq)
  )
  SELECT i.ord FROM input i JOIN ids USING (seq)`;

/** The entries after a cursor id (`$2`) of account `$1`, at most `$3`: see `query`. */
const AFTER_CURSOR = `SELECT ${entrySelect('e.')}
  FROM message_ids c LEFT JOIN LATERAL (
    SELECT ${ENTRY_COLUMNS} FROM entries WHERE account = c.account AND seq > c.seq ORDER BY seq LIMIT $3
  ) e ON true
  WHERE c.account = $1 AND c.message_id = $2`;

const ENTRY_BY_ID = `SELECT ${ENTRY_SELECT} FROM entries
    WHERE seq = (SELECT seq FROM message_ids WHERE account = $1 AND message_id = $2) AND account = $1`;

export class PgEntries implements EntriesTable {
  constructor(private readonly db: PgDb) {}

  /**
   * Insert entries (in order); per-entry "inserted?". One statement (`INSERT_ENTRIES`) that also takes
   * the sequence numbers from the counter row, so on its own (autocommit) it is one round trip and one
   * transaction; inside a batch's transaction it runs after the counter was locked.
   */
  async insert(client: PoolClient, entries: NewJournalEntry[]): Promise<boolean[]> {
    if (entries.length === 0) return [];
    const now = Date.now();
    const seen = new Set<string>();
    const firstIdx: number[] = [];
    entries.forEach((e, idx) => {
      const key = `${e.account}\u0000${e.messageId}`;
      if (!seen.has(key)) {
        seen.add(key);
        firstIdx.push(idx);
      }
    });
    // Columns of the flat layout (sql-entry.ts), then the number of rows.
    const values: (string | number | boolean | null)[] = [];
    for (const idx of firstIdx) pushEntryValues(values, entries[idx]!, asMs, now, asBool);
    const cols: unknown[] = Array.from({ length: ENTRY_FIELDS }, () => []);
    for (let i = 0; i < values.length; i++) (cols[i % ENTRY_FIELDS] as unknown[]).push(values[i]);
    cols.push(firstIdx.length);
    const { rows } = await client.query<{ ord: string }>({ name: 'sylk_insert_entries', text: INSERT_ENTRIES, values: cols });
    const result = entries.map(() => false);
    for (const r of rows) result[firstIdx[Number(r.ord) - 1]!] = true;
    return result;
  }

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.db.write(async (c) => {
      const { rows } = await c.query<EntryRow>(`${ENTRY_BY_ID} FOR UPDATE`, [account, messageId]);
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
          dispositionText(newDisp),
          isUnread(entry),
          row.seq,
        ]);
      }
      return { entry, stateChanged, dispositionChanged };
    });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.db.write(async (c) => {
      const { rows } = await c.query<EntryRow>(
        `DELETE FROM entries WHERE seq = (SELECT seq FROM message_ids WHERE account = $1 AND message_id = $2) AND account = $1
         RETURNING ${ENTRY_SELECT}`,
        [account, messageId],
      );
      return rows[0] ? toEntry(rows[0]) : null;
    });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.db.write(async (c) => changed(await c.query('DELETE FROM entries WHERE account = $1 AND contact = $2', [account, contact])));
  }

  removeJournal(account: string): Promise<number> {
    return this.db.write(async (c) => changed(await c.query('DELETE FROM entries WHERE account = $1', [account])));
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.db.write(async (c) => {
      const r = await c.query(
        "UPDATE entries SET disposition = '[]', unread = false WHERE account = $1 AND contact = $2 AND disposition IS NOT NULL AND disposition <> '[]'",
        [account, contact],
      );
      await c.query('DELETE FROM entries WHERE account = $1 AND contact = $2 AND content_type = $3', [
        account,
        contact,
        CONTENT_TYPES.conversationRead,
      ]);
      return changed(r);
    });
  }

  async unreadCounts(account: string): Promise<UnreadCounts> {
    const rows = await this.db.read<{ contact: string; n: string }>(
      'SELECT contact, count(*) AS n FROM entries WHERE account = $1 AND unread GROUP BY contact',
      [account],
    );
    return unreadFromRows(rows, Number);
  }

  async query(account: string, options: QueryOptions): Promise<QueryResult> {
    const limit = Math.max(1, Math.floor(options.limit));
    if (options.afterId) {
      // One round trip: no row = the cursor is unknown; one row of nulls = nothing after it.
      const rows = await this.db.readValues(AFTER_CURSOR, [account, options.afterId, limit]);
      if (rows.length > 0) return { entries: rows[0]![0] === null ? [] : rows.map(valuesToEntry), basis: 'cursor' };
    }
    if (options.since) {
      const rows = await this.db.readValues(
        `SELECT ${ENTRY_SELECT} FROM entries WHERE account = $1 AND created_at > $2 ORDER BY created_at, seq LIMIT $3`,
        [account, options.since, limit],
      );
      return { entries: rows.map(valuesToEntry), basis: 'since' };
    }
    const rows = await this.db.readValues(`SELECT ${ENTRY_SELECT} FROM entries WHERE account = $1 ORDER BY seq LIMIT $2`, [account, limit]);
    return { entries: rows.map(valuesToEntry), basis: 'all' };
  }

  async getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    const rows = await this.db.read<EntryRow>(ENTRY_BY_ID, [account, messageId]);
    return rows[0] ? toEntry(rows[0]) : null;
  }

  async countEntries(account: string): Promise<number> {
    const rows = await this.db.read<{ n: string }>('SELECT count(*) AS n FROM entries WHERE account = $1', [account]);
    return Number(rows[0]!.n);
  }

  /** Retention: delete entries and id rows created before `olderThan`, in batches; resolves the entries deleted. */
  async expire(olderThan: Date): Promise<number> {
    const batch = 10_000;
    let entries = 0;
    for (;;) {
      const [e, ids] = await this.db.write(async (c) => {
        const e = await c.query(
          'DELETE FROM entries WHERE seq IN (SELECT seq FROM message_ids WHERE created_at < $1 ORDER BY created_at, account, message_id LIMIT $2)',
          [olderThan, batch],
        );
        const ids = await c.query(
          `DELETE FROM message_ids WHERE (account, message_id) IN
             (SELECT account, message_id FROM message_ids WHERE created_at < $1 ORDER BY created_at, account, message_id LIMIT $2)`,
          [olderThan, batch],
        );
        return [changed(e), changed(ids)] as const;
      });
      entries += e;
      if (ids < batch) break;
    }
    return entries;
  }
}
