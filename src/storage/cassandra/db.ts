/**
 * What the Cassandra table modules share (`journal-storage.md` §4): the connection and table names
 * the store hands them (`CqlDb`), the bounded-parallelism and lightweight-transaction retry helpers,
 * the engine's limits, and the conversions of driver values. No table's CQL lives here.
 */
import cassandra from 'cassandra-driver';
import { DIRECTIONS, isMessageState, type Direction, type MessageState } from '../../journal/types.js';
import { pushTokensTableName, type SchemaOptions } from './schema.js';

export type Client = cassandra.Client;
export type Row = cassandra.types.Row;
export type Params = unknown[];
export type Stmt = { query: string; params: Params };

/** The store's tables, qualified by keyspace. */
export interface Tables {
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
}

/** The qualified names of the store's tables in keyspace `ks` (already checked). */
export function tableNames(ks: string, options: SchemaOptions): Tables {
  const q = (t: string): string => `${ks}.${t}`;
  return {
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
}

/** What the store gives its table modules. */
export interface CqlDb {
  readonly client: Client;
  readonly t: Tables;
  /** TTL of a new row: the retention in seconds, or 0 (no expiry). */
  readonly ttl: number;
  /** The clock (ms since epoch). */
  now(): number;
  /** Run one prepared statement. */
  exec(cql: string, params?: Params, options?: cassandra.QueryOptions): Promise<cassandra.types.ResultSet>;
  /** Throw if the store is closed. */
  checkOpen(): void;
  /** Queue a write on the group commit (in issue order); resolves or rejects with its own outcome. */
  write<T>(fn: () => Promise<T>): Promise<T>;
}

export const MAX_PARALLEL = 64;
/** Ids per `IN (...)` read of the global id map (a few coordinator fan-outs instead of one read per id). */
export const IN_CHUNK = 100;
/** Accounts of one group-commit batch processed at once. */
export const ACCOUNT_PARALLEL = 16;
/** Ids per conditional batch (one Paxos round). */
export const CLAIM_CHUNK = 250;
/** Rows per unlogged batch, and their approximate size cap (well below max_mutation_size). */
export const WRITE_CHUNK = 200;
export const WRITE_CHUNK_BYTES = 1 << 20;
/** Statements per unlogged batch of deletes/updates in one partition. */
export const PARTITION_BATCH = 300;
export const SCAN_PAGE = 1000;
export const LATEST_CACHE_MAX = 100_000;
export const MAX_TTL = 630_720_000; // Cassandra's maximum TTL (20 years)

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
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
export async function withCasRetry<T>(fn: () => Promise<T>): Promise<T> {
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

export function toDirection(v: unknown): Direction {
  return typeof v === 'string' && (DIRECTIONS as readonly string[]).includes(v) ? (v as Direction) : '';
}

/** States outside the serializable list (e.g. `processed` written by an old original) read as null. */
export function toState(v: unknown): MessageState | null {
  return isMessageState(v) ? v : null;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function dateOrNull(v: unknown): Date | null {
  return v instanceof Date ? v : null;
}

export function ttlOf(row: Row): number {
  const t = row.get('ttl') as unknown;
  return typeof t === 'number' && t > 0 ? t : 0;
}
