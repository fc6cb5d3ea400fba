/**
 * The Cassandra engine of the journal store (`journal-storage.md` §3–§4, `push.md` §2.2), on
 * SylkServer's own tables (see `schema.ts`), so that data written by the original is read back and
 * ours is readable by the original's queries.
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
import cassandra from 'cassandra-driver';
import type { AccountStore } from '../../accounts/types.js';
import { GroupCommitter } from '../../journal/group-commit.js';
import { applyDisposition, nextState } from '../../journal/states.js';
import type { AccountPage, ExpireResult, JournalStore, UpdateStateResult } from '../../journal/store.js';
import {
  CONTENT_TYPES,
  DEFAULT_RETENTION_DAYS,
  DIRECTIONS,
  isMessageState,
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
import { CassandraAccountStore } from './accounts.js';
import type { BindingStore } from '../../registrar/bindings.js';
import { CassandraBindings } from './registrations.js';
import { connectCassandra, type CassandraConnectionOptions } from './connect.js';
import { checkIdentifier, ensureSchema, ORIGINAL_API_TOKEN_TTL_SECONDS, pushTokensTableName, schemaTables, type SchemaOptions } from './schema.js';

type Client = cassandra.Client;
type Row = cassandra.types.Row;
type Params = unknown[];
type Stmt = { query: string; params: Params };

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

/** Result of one queued write: never thrown through the committer (Cassandra has no rollback). */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
type Op = { kind: 'add'; entries: NewJournalEntry[] } | { kind: 'run'; fn: () => Promise<unknown> };

/** Where a new entry goes: its `created_at`, the global map's value, whether it writes the map. */
interface AddPlan {
  createdAt: Date;
  global: Date | null;
  writeGlobal: boolean;
}

interface IdInfo {
  createdAt: Date;
  removed: boolean;
}

const MAX_PARALLEL = 64;
/** Ids per `IN (...)` read of the global id map (a few coordinator fan-outs instead of one read per id). */
const IN_CHUNK = 100;
/** Accounts of one group-commit batch processed at once. */
const ACCOUNT_PARALLEL = 16;
/** Ids per conditional batch (one Paxos round). */
const CLAIM_CHUNK = 250;
/** Rows per unlogged batch, and their approximate size cap (well below max_mutation_size). */
const WRITE_CHUNK = 200;
const WRITE_CHUNK_BYTES = 1 << 20;
/** Statements per unlogged batch of deletes/updates in one partition. */
const PARTITION_BATCH = 300;
const SCAN_PAGE = 1000;
const LATEST_CACHE_MAX = 100_000;
const MAX_TTL = 630_720_000; // Cassandra's maximum TTL (20 years)

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Run a lightweight transaction, retrying (up to 3 attempts, short random back-off) when Cassandra
 * reports a CAS write timeout or contention, or the request timed out: the outcome of such a request
 * is unknown, and the conditional statements are safe to repeat (the caller recognises its own claim).
 */
async function withCasRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const e = err as { code?: unknown; writeType?: unknown };
      const retryable =
        err instanceof cassandra.errors.OperationTimedOutError ||
        (err instanceof cassandra.errors.ResponseError &&
          ((e.code === cassandra.types.responseErrorCodes.writeTimeout && e.writeType === 'CAS') ||
            e.code === cassandra.types.responseErrorCodes.readTimeout));
      if (!retryable || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 100 * attempt));
    }
  }
}

function validEntry(e: NewJournalEntry): boolean {
  const okDate = (d: unknown): boolean => d instanceof Date && !Number.isNaN(d.getTime());
  return !!e.account && !!e.messageId && okDate(e.msgTimestamp) && (e.createdAt === undefined || okDate(e.createdAt));
}

function splitAor(aor: string): [string, string] {
  const i = aor.indexOf('@');
  return i < 0 ? [aor, ''] : [aor.slice(0, i), aor.slice(i + 1)];
}

function joinAor(username: string, domain: string): string {
  return domain === '' ? username : `${username}@${domain}`;
}

function toDirection(v: unknown): Direction {
  return typeof v === 'string' && (DIRECTIONS as readonly string[]).includes(v) ? (v as Direction) : '';
}

/** States outside the serializable list (e.g. `processed` written by an old original) read as null. */
function toState(v: unknown): MessageState | null {
  return isMessageState(v) ? v : null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function dateOrNull(v: unknown): Date | null {
  return v instanceof Date ? v : null;
}

function ttlOf(row: Row): number {
  const t = row.get('ttl') as unknown;
  return typeof t === 'number' && t > 0 ? t : 0;
}

export class CassandraStore implements JournalStore {
  readonly engine = 'cassandra';
  /** Local accounts (standalone mode), `accounts.ts`. */
  readonly accounts: AccountStore;
  /** The registrar's bindings (standalone mode), `registrations.ts`. */
  readonly registrations: BindingStore;
  private readonly ks: string;
  private readonly t: {
    journal: string;
    idMap: string;
    accounts: string;
    keys: string;
    push: string;
    ids: string;
    nullDisp: string;
    tokens: string;
    tokenIndex: string;
    privateKeys: string;
  };
  private readonly retentionSeconds: number;
  private readonly now: () => number;
  private readonly committer: GroupCommitter<Op, Outcome>;
  /** account → newest `created_at` (ms) allocated or seen, for per-account monotonic allocation. */
  private readonly latest = new Map<string, number>();
  /** account → last explicit createdAt (original ms, assigned ms), to spread ties of an import. */
  private readonly lastExplicit = new Map<string, { orig: number; assigned: number }>();
  private closed = false;

  constructor(
    private readonly client: Client,
    options: CassandraStoreOptions,
    private readonly ownsClient = false,
  ) {
    this.ks = checkIdentifier(options.keyspace, 'keyspace');
    this.accounts = new CassandraAccountStore(client, this.ks, () => this.checkOpen());
    this.registrations = new CassandraBindings(client, this.ks, () => this.checkOpen());
    const q = (t: string): string => `${this.ks}.${t}`;
    this.t = {
      journal: q('chat_messages_by_timestamp'),
      idMap: q('chat_message_created_at_by_id'),
      accounts: q('chat_accounts'),
      keys: q('public_key_by_account'),
      push: q(pushTokensTableName(options)),
      ids: q('sylk_message_ids'),
      nullDisp: q('sylk_null_dispositions'),
      tokens: q('sylk_api_tokens'),
      tokenIndex: q('sylk_accounts_by_api_token'),
      privateKeys: q('sylk_private_key_messages'),
    };
    const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    this.retentionSeconds = days > 0 ? Math.min(MAX_TTL, Math.round(days * 86_400)) : 0;
    this.now = options.now ?? Date.now;
    this.committer = new GroupCommitter<Op, Outcome>({ commit: (ops) => this.commit(ops), maxBatch: options.maxBatch });
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
        const outcomes = await this.addRun(valid.flatMap((r) => r.entries));
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

  /** TTL for a new row: the retention, or 0 (no expiry) when retention is disabled. */
  private get ttl(): number {
    return this.retentionSeconds;
  }

  private async newestCreatedAt(account: string): Promise<number> {
    const cached = this.latest.get(account);
    if (cached !== undefined) return cached;
    const rs = await this.exec(
      `SELECT created_at FROM ${this.t.journal} WHERE account = ? ORDER BY created_at DESC, message_id DESC LIMIT 1`,
      [account],
    );
    const d = dateOrNull(rs.first()?.get('created_at'));
    const v = d ? d.getTime() : 0;
    if (!this.latest.has(account)) this.rememberLatest(account, v);
    return this.latest.get(account)!;
  }

  private rememberLatest(account: string, ms: number): void {
    if (this.latest.size >= LATEST_CACHE_MAX && !this.latest.has(account)) this.latest.clear();
    const cur = this.latest.get(account);
    if (cur === undefined || ms > cur) this.latest.set(account, ms);
  }

  /** Allocate `created_at` for a new entry of `account` (see the module comment). */
  private allocate(account: string, latest: number, explicit: Date | undefined, shared: number | null): number {
    let c: number;
    if (explicit) {
      const orig = explicit.getTime();
      const prev = this.lastExplicit.get(account);
      c = prev && orig >= prev.orig && orig <= prev.assigned ? prev.assigned + 1 : orig;
      this.lastExplicit.set(account, { orig, assigned: c });
    } else if (shared !== null && shared > latest) {
      c = shared;
    } else {
      c = Math.max(this.now(), latest + 1);
    }
    this.rememberLatest(account, c);
    return c;
  }

  private async globalCreatedAt(messageId: string): Promise<Date | null> {
    const rs = await this.exec(`SELECT created_at FROM ${this.t.idMap} WHERE message_id = ?`, [messageId]);
    return dateOrNull(rs.first()?.get('created_at'));
  }

  private async rowExists(account: string, createdAt: Date, messageId: string): Promise<boolean> {
    const rs = await this.exec(`SELECT message_id FROM ${this.t.journal} WHERE account = ? AND created_at = ? AND message_id = ?`, [
      account,
      createdAt,
      messageId,
    ]);
    return rs.rowLength > 0;
  }

  /**
   * Where `account`'s entry `messageId` lives: our per-account id row, else (entries written by the
   * original) the global id map, if that account's journal has the row.
   */
  private async lookupId(account: string, messageId: string): Promise<IdInfo | null> {
    const rs = await this.exec(`SELECT created_at, removed FROM ${this.t.ids} WHERE account = ? AND message_id = ?`, [account, messageId]);
    const row = rs.first();
    const created = row ? dateOrNull(row.get('created_at')) : null;
    if (row && created) return { createdAt: created, removed: row.get('removed') === true };
    const g = await this.globalCreatedAt(messageId);
    if (g && (await this.rowExists(account, g, messageId))) return { createdAt: g, removed: false };
    return null;
  }

  private async readRow(account: string, createdAt: Date, messageId: string): Promise<{ entry: JournalEntry; ttl: number } | null> {
    const rs = await this.exec(
      `SELECT account, created_at, message_id, contact, direction, content, content_type, disposition, state, msg_timestamp, ` +
        `TTL(msg_timestamp) AS ttl FROM ${this.t.journal} WHERE account = ? AND created_at = ? AND message_id = ?`,
      [account, createdAt, messageId],
    );
    const row = rs.first();
    if (!row) return null;
    const nullDisp = await this.exec(`SELECT message_id FROM ${this.t.nullDisp} WHERE account = ? AND created_at = ? AND message_id = ?`, [
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
      this.ttl,
    ];
  }

  /** Record `(account, id)` with an LWT. Resolves the existing row when the id was already known. */
  private async claimId(account: string, messageId: string, createdAt: Date, ttl = this.ttl): Promise<{ applied: boolean; existing: IdInfo | null }> {
    const rs = await withCasRetry(() =>
      this.exec(`INSERT INTO ${this.t.ids} (account, message_id, created_at, removed) VALUES (?, ?, ?, false) IF NOT EXISTS USING TTL ?`, [
        account,
        messageId,
        createdAt,
        ttl,
      ]),
    );
    if (rs.wasApplied()) return { applied: true, existing: null };
    const row = rs.first();
    const c = row ? dateOrNull(row.get('created_at')) : null;
    return { applied: false, existing: c ? { createdAt: c, removed: row!.get('removed') === true } : null };
  }

  private async addRun(entries: NewJournalEntry[]): Promise<Outcome[]> {
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
        const rs = await this.exec(`SELECT message_id, created_at FROM ${this.t.idMap} WHERE message_id IN ?`, [chunk], { fetchSize: IN_CHUNK * 2 });
        for (const row of rs.rows) global.set(str(row.get('message_id')), dateOrNull(row.get('created_at')));
      });
      await mapLimit([...accounts], MAX_PARALLEL, async (a) => latest.set(a, await this.newestCreatedAt(a)));
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
      const c = this.allocate(e.account, latest.get(e.account) ?? 0, e.createdAt, shared);
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
      return g !== null && (await this.rowExists(account, g, entries[i]!.messageId));
    });
    const existing = await this.claimIds(
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
    const missing = await mapLimit(repairs, MAX_PARALLEL, async (r) => !(await this.rowExists(account, r.createdAt, r.e.messageId)));
    repairs.forEach((r, j) => {
      if (missing[j]) rows.push(r);
    });
    await Promise.all([
      this.writeRows(rows),
      mapLimit(globals, MAX_PARALLEL, ([id, c]) =>
        this.exec(`INSERT INTO ${this.t.idMap} (message_id, created_at) VALUES (?, ?) USING TTL ?`, [id, c, this.ttl]),
      ),
    ]);
    return result;
  }

  /**
   * Claim ids for one account with conditional batches (`INSERT ... IF NOT EXISTS`, one partition, so
   * one Paxos round per chunk). A batch applies all-or-nothing; when it does not, Cassandra returns the
   * rows that already exist: those ids are known, the rest is claimed again. Resolves the known ids
   * (with their id row, or null if it has no `created_at`); every other id was claimed.
   */
  private async claimIds(account: string, claims: Array<{ messageId: string; createdAt: Date }>): Promise<Map<string, IdInfo | null>> {
    const known = new Map<string, IdInfo | null>();
    const cql = `INSERT INTO ${this.t.ids} (account, message_id, created_at, removed) VALUES (?, ?, ?, false) IF NOT EXISTS USING TTL ?`;
    for (let off = 0; off < claims.length; off += CLAIM_CHUNK) {
      let rest = claims.slice(off, off + CLAIM_CHUNK);
      while (rest.length > 0) {
        const batch = rest.map((c) => ({ query: cql, params: [account, c.messageId, c.createdAt, this.ttl] }));
        const rs = await withCasRetry(() => this.client.batch(batch, { prepare: true }));
        if (rs.wasApplied()) break;
        const found = new Set<string>();
        for (const row of rs.rows) {
          const id = row.get('message_id') as unknown;
          if (typeof id !== 'string') continue;
          found.add(id);
          const c = dateOrNull(row.get('created_at'));
          known.set(id, c ? { createdAt: c, removed: row.get('removed') === true } : null);
        }
        if (found.size === 0) throw new Error('Cassandra: conditional batch not applied but no existing row reported');
        rest = rest.filter((c) => !found.has(c.messageId));
      }
    }
    return known;
  }

  /**
   * Write journal rows (and their null-disposition markers) in unlogged single-partition batches:
   * rows are grouped by account (one partition of both tables), chunked by count and size.
   */
  private async writeRows(rows: Array<{ e: NewJournalEntry; createdAt: Date }>): Promise<void> {
    if (rows.length === 0) return;
    const insert =
      `INSERT INTO ${this.t.journal} (account, created_at, message_id, contact, direction, content, content_type, disposition, state, msg_timestamp) ` +
      `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?`;
    const insertNull = `INSERT INTO ${this.t.nullDisp} (account, created_at, message_id) VALUES (?, ?, ?) USING TTL ?`;
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
        if (e.disposition === null) chunk.push({ query: insertNull, params: [e.account, createdAt, e.messageId, this.ttl] });
        bytes += size;
      }
      if (chunk.length > 0) chunks.push(chunk);
    }
    await mapLimit(chunks, 8, (c) =>
      c.length === 1 ? this.exec(c[0]!.query, c[0]!.params) : this.client.batch(c, { prepare: true, logged: false }),
    );
  }

  /** Iterate over a whole account partition (paged). */
  private async *scan(columns: string, account: string): AsyncGenerator<Row> {
    const rs = await this.exec(`SELECT ${columns} FROM ${this.t.journal} WHERE account = ?`, [account], { fetchSize: SCAN_PAGE });
    for await (const row of rs) yield row;
  }

  /** Statement marking `(account, id)` removed: the id stays known (cursor, idempotency) until it expires. */
  private markRemovedStmt(account: string, messageId: string, createdAt: Date, ttl: number): Stmt {
    return {
      query: `UPDATE ${this.t.ids} USING TTL ? SET created_at = ?, removed = true WHERE account = ? AND message_id = ?`,
      params: [ttl || this.ttl, createdAt, account, messageId],
    };
  }

  /** Statements deleting one entry (journal row, null-disposition marker) and marking its id removed. */
  private deleteStmts(account: string, createdAt: Date, messageId: string, ttl: number): Stmt[] {
    return [
      { query: `DELETE FROM ${this.t.journal} WHERE account = ? AND created_at = ? AND message_id = ?`, params: [account, createdAt, messageId] },
      { query: `DELETE FROM ${this.t.nullDisp} WHERE account = ? AND created_at = ? AND message_id = ?`, params: [account, createdAt, messageId] },
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
    await mapLimit(chunks, 4, (c) => (c.length === 1 ? this.exec(c[0]!.query, c[0]!.params) : this.client.batch(c, { prepare: true, logged: false })));
  }

  // ------------------------------------------------------------------ journal entries

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

  updateState(account: string, messageId: string, state: MessageState): Promise<UpdateStateResult | null> {
    return this.write(async () => {
      const id = await this.lookupId(account, messageId);
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
        await this.exec(`UPDATE ${this.t.journal} USING TTL ? SET ${sets.join(', ')} WHERE account = ? AND created_at = ? AND message_id = ?`, params);
      }
      return { entry: { ...entry, state: newState, disposition: newDisp }, stateChanged, dispositionChanged };
    });
  }

  removeMessage(account: string, messageId: string): Promise<JournalEntry | null> {
    return this.write(async () => {
      const id = await this.lookupId(account, messageId);
      if (!id || id.removed) return null;
      const found = await this.readRow(account, id.createdAt, messageId);
      if (!found) return null;
      await this.runPartitionStmts(this.deleteStmts(account, id.createdAt, messageId, found.ttl));
      return found.entry;
    });
  }

  removeConversation(account: string, contact: string): Promise<number> {
    return this.write(async () => {
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
    return this.write(async () => {
      const rows: Array<{ createdAt: Date; messageId: string; ttl: number }> = [];
      for await (const row of this.scan('created_at, message_id, TTL(msg_timestamp) AS ttl', account)) {
        rows.push({ createdAt: row.get('created_at') as Date, messageId: str(row.get('message_id')), ttl: ttlOf(row) });
      }
      await this.runPartitionStmts(rows.map((r) => this.markRemovedStmt(account, r.messageId, r.createdAt, r.ttl)));
      await Promise.all([
        this.exec(`DELETE FROM ${this.t.journal} WHERE account = ?`, [account]),
        this.exec(`DELETE FROM ${this.t.nullDisp} WHERE account = ?`, [account]),
      ]);
      return rows.length;
    });
  }

  markConversationRead(account: string, contact: string): Promise<number> {
    return this.write(async () => {
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
            query: `UPDATE ${this.t.journal} SET disposition = [] WHERE account = ? AND created_at = ? AND message_id = ?`,
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
    this.checkOpen();
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
    this.checkOpen();
    const limit = Math.max(1, Math.floor(options.limit));
    let basis: QueryResult['basis'] = 'all';
    let from: { createdAt: Date; messageId: string | null } | null = null;
    if (options.afterId) {
      const id = await this.lookupId(account, options.afterId);
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
        this.exec(`SELECT ${cols} FROM ${this.t.journal} WHERE ${where} LIMIT ?`, [...params, need], { fetchSize: need }),
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
    const rs = await this.exec(`SELECT created_at, message_id FROM ${this.t.nullDisp} WHERE ${where} LIMIT ?`, [...params, need], {
      fetchSize: need,
    });
    const out = new Set<string>();
    for (const r of rs.rows) out.add(`${(r.get('created_at') as Date).getTime()}\u0000${str(r.get('message_id'))}`);
    return out;
  }

  async getEntry(account: string, messageId: string): Promise<JournalEntry | null> {
    this.checkOpen();
    const id = await this.lookupId(account, messageId);
    if (!id || id.removed) return null;
    return (await this.readRow(account, id.createdAt, messageId))?.entry ?? null;
  }

  async countEntries(account: string): Promise<number> {
    this.checkOpen();
    const rs = await this.exec(`SELECT COUNT(*) AS n FROM ${this.t.journal} WHERE account = ?`, [account]);
    const n = rs.first()?.get('n') as cassandra.types.Long | number | undefined;
    return typeof n === 'number' ? n : n ? n.toNumber() : 0;
  }

  // ------------------------------------------------------------------ accounts and API tokens

  async getAccount(aor: string): Promise<Account | null> {
    this.checkOpen();
    const rs = await this.exec(`SELECT account, last_login FROM ${this.t.accounts} WHERE account = ?`, [aor]);
    const row = rs.first();
    return row ? { aor, lastLogin: dateOrNull(row.get('last_login')) } : null;
  }

  addAccount(aor: string, now?: Date): Promise<Account> {
    return this.write(async () => {
      const lastLogin = now ?? new Date(this.now());
      // INSERT (not UPDATE) so the row exists on its own; api_token is not touched.
      await this.exec(`INSERT INTO ${this.t.accounts} (account, last_login) VALUES (?, ?)`, [aor, lastLogin]);
      return { aor, lastLogin };
    });
  }

  removeAccount(aor: string): Promise<boolean> {
    return this.write(async () => {
      const existed = (await this.getAccount(aor)) !== null;
      await this.dropToken(aor);
      await this.exec(`DELETE FROM ${this.t.accounts} WHERE account = ?`, [aor]);
      return existed;
    });
  }

  private async ourToken(aor: string): Promise<{ token: string; expiresAt: Date } | null> {
    const rs = await this.exec(`SELECT api_token, expires_at FROM ${this.t.tokens} WHERE account = ?`, [aor]);
    const row = rs.first();
    const exp = row ? dateOrNull(row.get('expires_at')) : null;
    return row && exp ? { token: str(row.get('api_token')), expiresAt: exp } : null;
  }

  private async dropToken(aor: string): Promise<void> {
    const ours = await this.ourToken(aor);
    const jobs: Promise<unknown>[] = [
      this.exec(`DELETE api_token FROM ${this.t.accounts} WHERE account = ?`, [aor]),
      this.exec(`DELETE FROM ${this.t.tokens} WHERE account = ?`, [aor]),
    ];
    if (ours && ours.token) jobs.push(this.exec(`DELETE FROM ${this.t.tokenIndex} WHERE api_token = ?`, [ours.token]));
    await Promise.all(jobs);
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.write(async () => {
      if (!(await this.getAccount(aor))) return false;
      await this.dropToken(aor);
      const ttl = Math.min(MAX_TTL, Math.ceil((expiresAt.getTime() - this.now()) / 1000));
      if (ttl <= 0 || token === '') return true; // already expired: stored as absent
      await Promise.all([
        // The original's column (its readers see the token, expiring by TTL).
        this.exec(`UPDATE ${this.t.accounts} USING TTL ? SET api_token = ? WHERE account = ?`, [ttl, token, aor]),
        this.exec(`INSERT INTO ${this.t.tokens} (account, api_token, expires_at) VALUES (?, ?, ?) USING TTL ?`, [aor, token, expiresAt, ttl]),
        this.exec(`INSERT INTO ${this.t.tokenIndex} (api_token, account, expires_at) VALUES (?, ?, ?) USING TTL ?`, [token, aor, expiresAt, ttl]),
      ]);
      return true;
    });
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    this.checkOpen();
    const rs = await this.exec(`SELECT api_token, TTL(api_token) AS ttl FROM ${this.t.accounts} WHERE account = ?`, [aor]);
    const row = rs.first();
    const token = row ? str(row.get('api_token')) : '';
    if (!row || token === '') return null;
    const ours = await this.ourToken(aor);
    const now = this.now();
    // Exact expiry from our table; tokens written by the original only have the column TTL.
    const ttl = ttlOf(row);
    const expiresAt =
      ours && ours.token === token ? ours.expiresAt : new Date(now + (ttl > 0 ? ttl : ORIGINAL_API_TOKEN_TTL_SECONDS) * 1000);
    if (expiresAt.getTime() <= now) return null;
    return { aor, token, expiresAt };
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.write(async () => {
      const existed = (await this.getApiToken(aor)) !== null;
      await this.dropToken(aor);
      return existed;
    });
  }

  /**
   * Tokens issued by the original (before a migration) have no `sylk_accounts_by_api_token` row and
   * are not found here; they expire within 31 days and clients request a new one.
   */
  async findAccountByToken(token: string): Promise<string | null> {
    this.checkOpen();
    if (!token) return null;
    const rs = await this.exec(`SELECT account FROM ${this.t.tokenIndex} WHERE api_token = ?`, [token]);
    const account = rs.first()?.get('account') as unknown;
    if (typeof account !== 'string') return null;
    const current = await this.getApiToken(account);
    return current && current.token === token ? account : null;
  }

  // ------------------------------------------------------------------ keys

  async getPublicKey(aor: string): Promise<PublicKey | null> {
    this.checkOpen();
    const rs = await this.exec(`SELECT public_key, created_at FROM ${this.t.keys} WHERE account = ?`, [aor]);
    const row = rs.first();
    if (!row || typeof row.get('public_key') !== 'string') return null;
    return { aor, key: str(row.get('public_key')), createdAt: dateOrNull(row.get('created_at')) ?? new Date(0) };
  }

  setPublicKey(aor: string, key: string, createdAt?: Date): Promise<void> {
    return this.write(async () => {
      await this.exec(`INSERT INTO ${this.t.keys} (account, public_key, created_at) VALUES (?, ?, ?)`, [aor, key, createdAt ?? new Date(this.now())]);
    });
  }

  removePublicKey(aor: string): Promise<boolean> {
    return this.write(async () => {
      const existed = (await this.getPublicKey(aor)) !== null;
      await this.exec(`DELETE FROM ${this.t.keys} WHERE account = ?`, [aor]);
      return existed;
    });
  }

  setPrivateKeyMessage(msg: Omit<PrivateKeyMessage, 'createdAt'> & { createdAt?: Date }): Promise<boolean> {
    return this.write(async () => {
      const latest = await this.newestCreatedAt(msg.account);
      const createdAt = new Date(this.allocate(msg.account, latest, msg.createdAt, null));
      const claim = await this.claimId(msg.account, msg.messageId, createdAt);
      const ours = msg.createdAt === undefined && claim.existing && !claim.existing.removed && claim.existing.createdAt.getTime() === createdAt.getTime();
      if (!claim.applied && !ours) return false;
      await Promise.all([
        this.exec(
          `INSERT INTO ${this.t.privateKeys} (account, message_id, contact, direction, content, msg_timestamp, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [msg.account, msg.messageId, msg.contact, msg.direction, msg.content, msg.msgTimestamp, createdAt],
        ),
        // The original records private-key ids in its (global) id map too (§3.1 step 5).
        this.exec(`INSERT INTO ${this.t.idMap} (message_id, created_at) VALUES (?, ?) USING TTL ?`, [msg.messageId, createdAt, this.ttl]),
      ]);
      return true;
    });
  }

  async getPrivateKeyMessage(account: string): Promise<PrivateKeyMessage | null> {
    this.checkOpen();
    const rs = await this.exec(
      `SELECT message_id, contact, direction, content, msg_timestamp, created_at FROM ${this.t.privateKeys} WHERE account = ?`,
      [account],
    );
    const row = rs.first();
    if (!row) return null;
    const createdAt = dateOrNull(row.get('created_at')) ?? new Date(0);
    return {
      account,
      messageId: str(row.get('message_id')),
      contact: str(row.get('contact')),
      direction: toDirection(row.get('direction')),
      content: str(row.get('content')),
      msgTimestamp: dateOrNull(row.get('msg_timestamp')) ?? createdAt,
      createdAt,
    };
  }

  removePrivateKeyMessage(account: string): Promise<boolean> {
    return this.write(async () => {
      const existed = (await this.getPrivateKeyMessage(account)) !== null;
      await this.exec(`DELETE FROM ${this.t.privateKeys} WHERE account = ?`, [account]);
      return existed;
    });
  }

  // ------------------------------------------------------------------ push tokens (push.md §2.2)

  addPushToken(record: PushToken): Promise<void> {
    return this.write(async () => {
      const [username, domain] = splitAor(record.account);
      await this.exec(
        `INSERT INTO ${this.t.push} (username, domain, device_id, app_id, background_token, device_token, platform, silent, user_agent) ` +
          `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [username, domain, record.deviceId, record.appId, record.backgroundToken, record.token, record.platform, record.silent ? '1' : '0', record.userAgent],
      );
    });
  }

  async listPushTokens(account: string): Promise<PushToken[]> {
    this.checkOpen();
    const [username, domain] = splitAor(account);
    const rs = await this.exec(
      `SELECT device_id, app_id, background_token, device_token, platform, silent, user_agent FROM ${this.t.push} WHERE username = ? AND domain = ?`,
      [username, domain],
      { fetchSize: 5000 },
    );
    const out: PushToken[] = [];
    for await (const row of rs) {
      const bg = row.get('background_token') as unknown;
      const ua = row.get('user_agent') as unknown;
      out.push({
        account,
        appId: str(row.get('app_id')),
        deviceId: str(row.get('device_id')),
        platform: str(row.get('platform')),
        token: str(row.get('device_token')),
        backgroundToken: typeof bg === 'string' ? bg : null,
        silent: row.get('silent') === '1' || row.get('silent') === 'true',
        userAgent: typeof ua === 'string' ? ua : null,
      });
    }
    const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return out.sort((a, b) => cmp(a.appId, b.appId) || cmp(a.deviceId, b.deviceId));
  }

  private async deletePush(account: string, deviceId: string, appId: string): Promise<void> {
    const [username, domain] = splitAor(account);
    await this.exec(`DELETE FROM ${this.t.push} WHERE username = ? AND domain = ? AND device_id = ? AND app_id = ?`, [username, domain, deviceId, appId]);
  }

  removePushToken(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.write(async () => {
      const [username, domain] = splitAor(account);
      const rs = await this.exec(`SELECT device_id FROM ${this.t.push} WHERE username = ? AND domain = ? AND device_id = ? AND app_id = ?`, [
        username,
        domain,
        deviceId,
        appId,
      ]);
      if (rs.rowLength === 0) return false;
      await this.deletePush(account, deviceId, appId);
      return true;
    });
  }

  removePushTokensByToken(account: string, token: string): Promise<number> {
    return this.write(async () => {
      const victims = (await this.listPushTokens(account)).filter((t) => t.token === token || t.backgroundToken === token);
      await Promise.all(victims.map((t) => this.deletePush(account, t.deviceId, t.appId)));
      return victims.length;
    });
  }

  removePushTokens(account: string): Promise<number> {
    return this.write(async () => {
      const n = (await this.listPushTokens(account)).length;
      const [username, domain] = splitAor(account);
      await this.exec(`DELETE FROM ${this.t.push} WHERE username = ? AND domain = ?`, [username, domain]);
      return n;
    });
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
      collect(`SELECT DISTINCT username, domain FROM ${this.t.push}`, (r) => joinAor(str(r.get('username')), str(r.get('domain')))),
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
