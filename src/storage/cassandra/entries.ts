/**
 * Cassandra: the journal table `chat_messages_by_timestamp` and its null-disposition markers
 * (`sylk_null_dispositions`) — reads, state updates, removals, mark-read, unread counts and the
 * cursor query (`journal-storage.md` §3.2–§3.6, §4). Adds are in `entries-add.ts`.
 *
 * Cursors use the clustering order: `(created_at, message_id) > (?, ?) LIMIT n`; no partition loads.
 * Cassandra cannot tell an empty list from null, so entries whose disposition is null have a marker
 * row (same partition and clustering), read with one parallel range query per page. Removing an entry
 * marks its id removed: the id stays known (cursor, idempotency) until it expires.
 */
import type { EntriesTable } from '../table-store.js';
import type cassandra from 'cassandra-driver';
import { applyDisposition, nextState } from '../../journal/states.js';
import type { UpdateStateResult } from '../../journal/store.js';
import {
  CONTENT_TYPES,
  isUnread,
  type JournalEntry,
  type MessageState,
  type QueryOptions,
  type QueryResult,
  type UnreadCounts,
} from '../../journal/types.js';
import { dateOrNull, mapLimit, PARTITION_BATCH, SCAN_PAGE, str, toDirection, toState, ttlOf, type CqlDb, type Params, type Row, type Stmt } from './db.js';
import type { IdMap } from './id-map.js';

export class Entries implements EntriesTable {
  constructor(
    private readonly db: CqlDb,
    private readonly ids: IdMap,
  ) {}

  private async readRow(account: string, createdAt: Date, messageId: string): Promise<{ entry: JournalEntry; ttl: number } | null> {
    const rs = await this.db.exec(
      `SELECT account, created_at, message_id, contact, direction, content, content_type, disposition, state, msg_timestamp, ` +
        `TTL(msg_timestamp) AS ttl FROM ${this.db.t.journal} WHERE account = ? AND created_at = ? AND message_id = ?`,
      [account, createdAt, messageId],
    );
    const row = rs.first();
    if (!row) return null;
    const nullDisp = await this.db.exec(`SELECT message_id FROM ${this.db.t.nullDisp} WHERE account = ? AND created_at = ? AND message_id = ?`, [
      account,
      createdAt,
      messageId,
    ]);
    return { entry: this.toEntry(row, nullDisp.rowLength > 0), ttl: ttlOf(row) };
  }

  private toEntry(row: Row, nullDisposition: boolean): JournalEntry {
    const createdAt = dateOrNull(row.get('created_at')) ?? new Date(0);
    const disp = row.get('disposition') as unknown;
    return {
      account: str(row.get('account')),
      contact: str(row.get('contact')),
      direction: toDirection(row.get('direction')),
      contentType: str(row.get('content_type')),
      content: str(row.get('content')),
      createdAt,
      messageId: str(row.get('message_id')),
      disposition: nullDisposition ? null : Array.isArray(disp) ? disp.map(String) : [],
      state: toState(row.get('state')),
      msgTimestamp: dateOrNull(row.get('msg_timestamp')) ?? createdAt,
    };
  }

  /** Iterate over a whole account partition (paged). */
  private async *scan(columns: string, account: string): AsyncGenerator<Row> {
    const rs = await this.db.exec(`SELECT ${columns} FROM ${this.db.t.journal} WHERE account = ?`, [account], { fetchSize: SCAN_PAGE });
    for await (const row of rs) yield row;
  }

  /** Statement marking `(account, id)` removed: the id stays known (cursor, idempotency) until it expires. */
  private markRemovedStmt(account: string, messageId: string, createdAt: Date, ttl: number): Stmt {
    return {
      query: `UPDATE ${this.db.t.ids} USING TTL ? SET created_at = ?, removed = true WHERE account = ? AND message_id = ?`,
      params: [ttl || this.db.ttl, createdAt, account, messageId],
    };
  }

  /** Statements deleting one entry (journal row, null-disposition marker) and marking its id removed. */
  private deleteStmts(account: string, createdAt: Date, messageId: string, ttl: number): Stmt[] {
    return [
      { query: `DELETE FROM ${this.db.t.journal} WHERE account = ? AND created_at = ? AND message_id = ?`, params: [account, createdAt, messageId] },
      { query: `DELETE FROM ${this.db.t.nullDisp} WHERE account = ? AND created_at = ? AND message_id = ?`, params: [account, createdAt, messageId] },
      this.markRemovedStmt(account, messageId, createdAt, ttl),
    ];
  }

  /**
   * Run statements that all target one account's partition (of several tables: one mutation) as
   * unlogged batches, which Cassandra applies atomically per batch.
   */
  private async runPartitionStmts(stmts: Stmt[]): Promise<void> {
    const chunks: Stmt[][] = [];
    for (let k = 0; k < stmts.length; k += PARTITION_BATCH) chunks.push(stmts.slice(k, k + PARTITION_BATCH));
    await mapLimit(chunks, 4, (c) => (c.length === 1 ? this.db.exec(c[0]!.query, c[0]!.params) : this.db.client.batch(c, { prepare: true, logged: false })));
  }

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.db.write(async () => {
      const id = await this.ids.lookupId(account, messageId);
      if (!id || id.removed) return null;
      const found = await this.readRow(account, id.createdAt, messageId);
      if (!found) return null;
      const { entry, ttl } = found;
      const newState = nextState(entry.state, state);
      const newDisp = applyDisposition(entry.disposition, state);
      const stateChanged = newState !== entry.state;
      const dispositionChanged = newDisp !== entry.disposition;
      const sets: string[] = [];
      const params: Params = [ttl];
      if (stateChanged) {
        sets.push('state = ?');
        params.push(newState);
      }
      if (dispositionChanged) {
        sets.push('disposition = ?');
        params.push(newDisp ?? []);
      }
      if (sets.length > 0) {
        params.push(account, id.createdAt, messageId);
        await this.db.exec(`UPDATE ${this.db.t.journal} USING TTL ? SET ${sets.join(', ')} WHERE account = ? AND created_at = ? AND message_id = ?`, params);
      }
      return { entry: { ...entry, state: newState, disposition: newDisp }, stateChanged, dispositionChanged };
    });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.db.write(async () => {
      const id = await this.ids.lookupId(account, messageId);
      if (!id || id.removed) return null;
      const found = await this.readRow(account, id.createdAt, messageId);
      if (!found) return null;
      await this.runPartitionStmts(this.deleteStmts(account, id.createdAt, messageId, found.ttl));
      return found.entry;
    });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.db.write(async () => {
      const victims: Array<{ createdAt: Date; messageId: string; ttl: number }> = [];
      for await (const row of this.scan('created_at, message_id, contact, TTL(msg_timestamp) AS ttl', account)) {
        if (row.get('contact') === contact) {
          victims.push({ createdAt: row.get('created_at') as Date, messageId: str(row.get('message_id')), ttl: ttlOf(row) });
        }
      }
      await this.runPartitionStmts(victims.flatMap((v) => this.deleteStmts(account, v.createdAt, v.messageId, v.ttl)));
      return victims.length;
    });
  }

  removeJournal(account: string): Promise<number> {
    return this.db.write(async () => {
      const rows: Array<{ createdAt: Date; messageId: string; ttl: number }> = [];
      for await (const row of this.scan('created_at, message_id, TTL(msg_timestamp) AS ttl', account)) {
        rows.push({ createdAt: row.get('created_at') as Date, messageId: str(row.get('message_id')), ttl: ttlOf(row) });
      }
      await this.runPartitionStmts(rows.map((r) => this.markRemovedStmt(account, r.messageId, r.createdAt, r.ttl)));
      await Promise.all([
        this.db.exec(`DELETE FROM ${this.db.t.journal} WHERE account = ?`, [account]),
        this.db.exec(`DELETE FROM ${this.db.t.nullDisp} WHERE account = ?`, [account]),
      ]);
      return rows.length;
    });
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.db.write(async () => {
      let changed = 0;
      const stmts: Stmt[] = [];
      for await (const row of this.scan('created_at, message_id, contact, content_type, disposition, TTL(msg_timestamp) AS ttl', account)) {
        if (row.get('contact') !== contact) continue;
        const createdAt = row.get('created_at') as Date;
        const messageId = str(row.get('message_id'));
        const disp = row.get('disposition') as unknown;
        if (Array.isArray(disp) && disp.length > 0) {
          changed++;
          stmts.push({
            query: `UPDATE ${this.db.t.journal} SET disposition = [] WHERE account = ? AND created_at = ? AND message_id = ?`,
            params: [account, createdAt, messageId],
          });
        }
        if (row.get('content_type') === CONTENT_TYPES.conversationRead) stmts.push(...this.deleteStmts(account, createdAt, messageId, ttlOf(row)));
      }
      await this.runPartitionStmts(stmts);
      return changed;
    });
  }

  async unreadCounts(account: string): Promise<UnreadCounts> {
    this.db.checkOpen();
    const byContact = new Map<string, number>();
    let total = 0;
    for await (const row of this.scan('contact, direction, content_type, disposition', account)) {
      const disp = row.get('disposition') as unknown;
      const e = {
        account,
        contact: str(row.get('contact')),
        direction: toDirection(row.get('direction')),
        contentType: str(row.get('content_type')),
        disposition: Array.isArray(disp) ? disp.map(String) : [],
      };
      if (isUnread(e)) {
        total++;
        byContact.set(e.contact, (byContact.get(e.contact) ?? 0) + 1);
      }
    }
    return { total, byContact };
  }

  async query(account: string, options: QueryOptions): Promise<QueryResult> {
    this.db.checkOpen();
    const limit = Math.max(1, Math.floor(options.limit));
    let basis: QueryResult['basis'] = 'all';
    let from: { createdAt: Date; messageId: string | null } | null = null;
    if (options.afterId) {
      const id = await this.ids.lookupId(account, options.afterId);
      if (id) {
        basis = 'cursor';
        from = { createdAt: id.createdAt, messageId: options.afterId };
      }
    }
    if (!from && options.since) {
      basis = 'since';
      from = { createdAt: options.since, messageId: null };
    }
    const cols = 'account, created_at, message_id, contact, direction, content, content_type, disposition, state, msg_timestamp';
    const entries: JournalEntry[] = [];
    while (entries.length < limit) {
      const need = limit - entries.length;
      let where = 'account = ?';
      const params: Params = [account];
      if (from?.messageId != null) {
        where += ' AND (created_at, message_id) > (?, ?)';
        params.push(from.createdAt, from.messageId);
      } else if (from) {
        where += ' AND (created_at) > (?)';
        params.push(from.createdAt);
      }
      // Both range reads in parallel: the journal page and the null-disposition keys from the same
      // lower bound. Null-disposition rows are a subset of journal rows, so the first `need` of them
      // include every one inside the page.
      const [rs, nulls] = await Promise.all([
        this.db.exec(`SELECT ${cols} FROM ${this.db.t.journal} WHERE ${where} LIMIT ?`, [...params, need], { fetchSize: need }),
        this.nullDispositions(where, params, need),
      ]);
      const rows = rs.rows;
      if (rows.length === 0) break;
      for (const row of rows) {
        // Rows without msg_timestamp (partial rows left by the original's per-column TTLs) are skipped (§3.6).
        if (row.get('msg_timestamp') == null) continue;
        const key = `${(row.get('created_at') as Date).getTime()}\u0000${str(row.get('message_id'))}`;
        entries.push(this.toEntry(row, nulls.has(key)));
      }
      if (rows.length < need) break;
      const last = rows[rows.length - 1]!;
      from = { createdAt: last.get('created_at') as Date, messageId: str(last.get('message_id')) };
    }
    return { entries, basis };
  }

  /** Keys (`ms\0id`) of the first `need` null-disposition entries in the range: one range query. */
  private async nullDispositions(where: string, params: Params, need: number): Promise<Set<string>> {
    const rs = await this.db.exec(`SELECT created_at, message_id FROM ${this.db.t.nullDisp} WHERE ${where} LIMIT ?`, [...params, need], {
      fetchSize: need,
    });
    const out = new Set<string>();
    for (const r of rs.rows) out.add(`${(r.get('created_at') as Date).getTime()}\u0000${str(r.get('message_id'))}`);
    return out;
  }

  async getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    this.db.checkOpen();
    const id = await this.ids.lookupId(account, messageId);
    if (!id || id.removed) return null;
    return (await this.readRow(account, id.createdAt, messageId))?.entry ?? null;
  }

  async countEntries(account: string): Promise<number> {
    this.db.checkOpen();
    const rs = await this.db.exec(`SELECT COUNT(*) AS n FROM ${this.db.t.journal} WHERE account = ?`, [account]);
    const n = rs.first()?.get('n') as cassandra.types.Long | number | undefined;
    return typeof n === 'number' ? n : n ? n.toNumber() : 0;
  }
}
