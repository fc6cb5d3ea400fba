/**
 * Cassandra: adding journal entries (`journal-storage.md` §3.1, §4). A run of consecutive adds of a
 * group-commit batch is processed together: `created_at` assigned up front in issue order (`clock.ts`),
 * accounts in parallel; per account, conditional batches claim the new ids (`id-map.ts`), unlogged
 * single-partition batches write the rows and their null-disposition markers. If the process died
 * between claim and row write, the next add of that id finds the id but no row and writes the row.
 */
import cassandra from 'cassandra-driver';
import type { NewJournalEntry } from '../../journal/types.js';
import type { CreatedAtClock } from './clock.js';
import { ACCOUNT_PARALLEL, dateOrNull, IN_CHUNK, mapLimit, MAX_PARALLEL, str, WRITE_CHUNK, WRITE_CHUNK_BYTES, type CqlDb, type Params } from './db.js';
import type { IdMap } from './id-map.js';

/** Result of one queued write: never thrown through the committer (Cassandra has no rollback). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Where a new entry goes: its `created_at`, the global map's value, whether it writes the map. */
interface AddPlan {
  createdAt: Date;
  global: Date | null;
  writeGlobal: boolean;
}

export function validEntry(e: NewJournalEntry): boolean {
  const okDate = (d: unknown): boolean => d instanceof Date && !Number.isNaN(d.getTime());
  return !!e.account && !!e.messageId && okDate(e.msgTimestamp) && (e.createdAt === undefined || okDate(e.createdAt));
}

export class EntryAdder {
  constructor(
    private readonly db: CqlDb,
    private readonly clock: CreatedAtClock,
    private readonly ids: IdMap,
  ) {}

  /**
   * Values of a new row. Absent values are *unset* rather than null: the row is new (the id LWT
   * succeeded, or a repair rewrites identical values), and unset writes no tombstone, where null or
   * an empty list would add one per row and slow every later range read of the partition.
   */
  private entryParams(e: NewJournalEntry, createdAt: Date): Params {
    const unset = cassandra.types.unset;
    return [
      e.account,
      createdAt,
      e.messageId,
      e.contact,
      e.direction,
      e.content,
      e.contentType,
      e.disposition && e.disposition.length > 0 ? e.disposition : unset,
      e.state ?? unset,
      e.msgTimestamp,
      this.db.ttl,
    ];
  }

  /** Add the entries of a run of add ops, in issue order; one outcome per entry. */
  async addRun(entries: NewJournalEntry[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array<Outcome>(entries.length);
    const firstOf = new Map<string, number>();
    const primaries: number[] = [];
    entries.forEach((e, i) => {
      const key = `${e.account}\u0000${e.messageId}`;
      if (firstOf.has(key)) outcomes[i] = { ok: true, value: false };
      else {
        firstOf.set(key, i);
        primaries.push(i);
      }
    });
    // Prefetch the global id map and the accounts' newest rows.
    const global = new Map<string, Date | null>();
    const accounts = new Set<string>();
    for (const i of primaries) {
      global.set(entries[i]!.messageId, null);
      accounts.add(entries[i]!.account);
    }
    const latest = new Map<string, number>();
    try {
      const idChunks: string[][] = [];
      const allIds = [...global.keys()];
      for (let k = 0; k < allIds.length; k += IN_CHUNK) idChunks.push(allIds.slice(k, k + IN_CHUNK));
      await mapLimit(idChunks, 8, async (chunk) => {
        const rs = await this.db.exec(`SELECT message_id, created_at FROM ${this.db.t.idMap} WHERE message_id IN ?`, [chunk], { fetchSize: IN_CHUNK * 2 });
        for (const row of rs.rows) global.set(str(row.get('message_id')), dateOrNull(row.get('created_at')));
      });
      await mapLimit([...accounts], MAX_PARALLEL, async (a) => latest.set(a, await this.clock.newestCreatedAt(a)));
    } catch (error) {
      for (const i of primaries) outcomes[i] = { ok: false, error };
      return outcomes;
    }
    // Assign created_at in issue order.
    const plan = new Map<number, AddPlan>();
    const sharedInRun = new Map<string, number>();
    for (const i of primaries) {
      const e = entries[i]!;
      const g = global.get(e.messageId) ?? null;
      const shared = g ? g.getTime() : (sharedInRun.get(e.messageId) ?? null);
      const c = this.clock.allocate(e.account, latest.get(e.account) ?? 0, e.createdAt, shared);
      latest.set(e.account, Math.max(latest.get(e.account) ?? 0, c));
      const writeGlobal = g === null && !sharedInRun.has(e.messageId);
      if (writeGlobal) sharedInRun.set(e.messageId, c);
      plan.set(i, { createdAt: new Date(c), global: g, writeGlobal });
    }
    // Per account: conditional batches claim its new ids, unlogged batches write its rows.
    const byAccount = new Map<string, number[]>();
    for (const i of primaries) {
      const a = entries[i]!.account;
      let list = byAccount.get(a);
      if (!list) byAccount.set(a, (list = []));
      list.push(i);
    }
    await mapLimit([...byAccount.values()], ACCOUNT_PARALLEL, async (idx) => {
      try {
        const res = await this.addAccountGroup(entries, idx, plan);
        idx.forEach((i, k) => (outcomes[i] = { ok: true, value: res[k]! }));
      } catch (error) {
        for (const i of idx) outcomes[i] = { ok: false, error };
      }
    });
    return outcomes;
  }

  /** Add the (deduplicated, planned) entries `idx` of one account; per-entry inserted flags. */
  private async addAccountGroup(entries: NewJournalEntry[], idx: number[], plan: Map<number, AddPlan>): Promise<boolean[]> {
    const account = entries[idx[0]!]!.account;
    const result = new Array<boolean>(idx.length).fill(false);
    // Entries the original wrote (no id row of ours) are found by its duplicate check (§3.1 step
    // 3): global id map → exact row. Their id is recorded for this account, the add is refused.
    const original = await mapLimit(idx, MAX_PARALLEL, async (i) => {
      const g = plan.get(i)!.global;
      return g !== null && (await this.ids.rowExists(account, g, entries[i]!.messageId));
    });
    const existing = await this.ids.claimIds(
      account,
      idx.map((i, k) => ({ messageId: entries[i]!.messageId, createdAt: original[k] ? plan.get(i)!.global! : plan.get(i)!.createdAt })),
    );
    const rows: Array<{ e: NewJournalEntry; createdAt: Date }> = [];
    const globals: Array<[string, Date]> = [];
    const repairs: Array<{ e: NewJournalEntry; createdAt: Date }> = [];
    idx.forEach((i, k) => {
      const e = entries[i]!;
      const p = plan.get(i)!;
      if (original[k]) return;
      const ex = existing.get(e.messageId);
      // Our own claim, reported as existing when a timed-out conditional batch had in fact applied
      // and was retried: allocated `created_at` values are unique per account, so it is ours. (Not
      // for explicit `createdAt`: a repeated import must report its entries as duplicates.)
      const ours = e.createdAt === undefined && ex && !ex.removed && ex.createdAt.getTime() === p.createdAt.getTime();
      if (existing.has(e.messageId) && !ours) {
        // Known id. If its row is missing without having been removed, a previous add died between
        // the claim and the row write: complete it (same key, so concurrent repairs converge).
        if (ex && !ex.removed) repairs.push({ e, createdAt: ex.createdAt });
        return;
      }
      result[k] = true;
      rows.push({ e, createdAt: p.createdAt });
      if (p.writeGlobal) globals.push([e.messageId, p.createdAt]);
    });
    const missing = await mapLimit(repairs, MAX_PARALLEL, async (r) => !(await this.ids.rowExists(account, r.createdAt, r.e.messageId)));
    repairs.forEach((r, j) => {
      if (missing[j]) rows.push(r);
    });
    await Promise.all([
      this.writeRows(rows),
      mapLimit(globals, MAX_PARALLEL, ([id, c]) =>
        this.db.exec(`INSERT INTO ${this.db.t.idMap} (message_id, created_at) VALUES (?, ?) USING TTL ?`, [id, c, this.db.ttl]),
      ),
    ]);
    return result;
  }

  /**
   * Write journal rows (and their null-disposition markers) in unlogged single-partition batches:
   * rows are grouped by account (one partition of both tables), chunked by count and size.
   */
  private async writeRows(rows: Array<{ e: NewJournalEntry; createdAt: Date }>): Promise<void> {
    if (rows.length === 0) return;
    const insert =
      `INSERT INTO ${this.db.t.journal} (account, created_at, message_id, contact, direction, content, content_type, disposition, state, msg_timestamp) ` +
      `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?`;
    const insertNull = `INSERT INTO ${this.db.t.nullDisp} (account, created_at, message_id) VALUES (?, ?, ?) USING TTL ?`;
    const chunks: Array<Array<{ query: string; params: Params }>> = [];
    const byAccount = new Map<string, typeof rows>();
    for (const r of rows) {
      let list = byAccount.get(r.e.account);
      if (!list) byAccount.set(r.e.account, (list = []));
      list.push(r);
    }
    for (const list of byAccount.values()) {
      let chunk: Array<{ query: string; params: Params }> = [];
      let bytes = 0;
      for (const { e, createdAt } of list) {
        const size = 2 * (e.content.length + e.contact.length + e.messageId.length) + 200;
        if (chunk.length > 0 && (chunk.length >= WRITE_CHUNK || bytes + size > WRITE_CHUNK_BYTES)) {
          chunks.push(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push({ query: insert, params: this.entryParams(e, createdAt) });
        if (e.disposition === null) chunk.push({ query: insertNull, params: [e.account, createdAt, e.messageId, this.db.ttl] });
        bytes += size;
      }
      if (chunk.length > 0) chunks.push(chunk);
    }
    await mapLimit(chunks, 8, (c) =>
      c.length === 1 ? this.db.exec(c[0]!.query, c[0]!.params) : this.db.client.batch(c, { prepare: true, logged: false }),
    );
  }
}
