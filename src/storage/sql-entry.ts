/**
 * What the two SQL engines (SQLite, PostgreSQL) share about their rows: the column list of the
 * `entries` table, the values of a new entry in one flat layout, and the mapping of every row kind
 * (entries, private-key messages, push tokens, unread counts, account pages) to the journal's types
 * (`journal-storage.md` §2, `push.md` §2). The engines differ only in how a driver returns times
 * (`D`: epoch milliseconds from SQLite, `Date` from PostgreSQL), sequence numbers and booleans, so
 * each mapper takes the engine's conversion.
 */
import type { AccountPage } from '../journal/store.js';
import {
  isUnread,
  type Direction,
  type JournalEntry,
  type MessageState,
  type NewJournalEntry,
  type PrivateKeyMessage,
  type PushToken,
  type UnreadCounts,
} from '../journal/types.js';

export interface SqlEntryRow<D, S> {
  seq: S;
  account: string;
  message_id: string;
  created_at: D;
  contact: string;
  direction: string;
  content_type: string;
  content: string;
  /** The disposition list as JSON text, or null. */
  disposition: string | null;
  state: string | null;
  msg_timestamp: D;
}

export const ENTRY_COLUMNS =
  'seq, account, message_id, created_at, contact, direction, content_type, content, disposition, state, msg_timestamp';

export function entryFromRow<D, S>(r: SqlEntryRow<D, S>, toDate: (value: D) => Date): JournalEntry {
  return {
    account: r.account,
    contact: r.contact,
    direction: r.direction as Direction,
    contentType: r.content_type,
    content: r.content,
    createdAt: toDate(r.created_at),
    messageId: r.message_id,
    disposition: r.disposition === null ? null : (JSON.parse(r.disposition) as string[]),
    state: r.state as MessageState | null,
    msgTimestamp: toDate(r.msg_timestamp),
  };
}

/** Position of each `ENTRY_COLUMNS` column in a row read as an array of values. */
const AT = Object.fromEntries(ENTRY_COLUMNS.split(', ').map((c, i) => [c, i])) as Record<keyof SqlEntryRow<unknown, unknown>, number>;

/**
 * `entryFromRow` for a row read as an array of values in `ENTRY_COLUMNS` order (better-sqlite3's
 * `raw()`): long reads (a sync of thousands of entries) skip building one keyed object per row.
 */
export function entryFromValues<D>(v: readonly unknown[], toDate: (value: D) => Date): JournalEntry {
  const disposition = v[AT.disposition] as string | null;
  return {
    account: v[AT.account] as string,
    contact: v[AT.contact] as string,
    direction: v[AT.direction] as Direction,
    contentType: v[AT.content_type] as string,
    content: v[AT.content] as string,
    createdAt: toDate(v[AT.created_at] as D),
    messageId: v[AT.message_id] as string,
    disposition: disposition === null ? null : (JSON.parse(disposition) as string[]),
    state: v[AT.state] as MessageState | null,
    msgTimestamp: toDate(v[AT.msg_timestamp] as D),
  };
}

/** The `disposition` column of a disposition list: JSON text, or null. */
export function dispositionText(disposition: readonly string[] | null): string | null {
  return disposition === null ? null : JSON.stringify(disposition);
}

/**
 * Values of new journal entries, flattened: `ENTRY_FIELDS` values per entry, in this order —
 * account, message id, contact, direction, content type, content, disposition (JSON text or null),
 * state, message timestamp, created at (`T`; `noCreatedAt` when the entry has none: the
 * transaction's `now`), unread (`U`). A flat array of primitives is what `postMessage` clones fastest
 * (SQLite's write thread) and what PostgreSQL's `unnest` insert takes column by column.
 */
export const ENTRY_FIELDS = 11;

/** Append `e` to `out` in the flat entry layout (see {@link ENTRY_FIELDS}). */
export function pushEntryValues<T, U>(
  out: (string | T | U | null)[],
  e: NewJournalEntry,
  time: (d: Date) => T,
  noCreatedAt: T,
  unread: (u: boolean) => U,
): void {
  out.push(
    e.account,
    e.messageId,
    e.contact,
    e.direction,
    e.contentType,
    e.content,
    dispositionText(e.disposition),
    e.state,
    time(e.msgTimestamp),
    e.createdAt ? time(e.createdAt) : noCreatedAt,
    unread(isUnread(e)),
  );
}

export interface SqlPrivateKeyRow<D> {
  account: string;
  message_id: string;
  contact: string;
  direction: string;
  content: string;
  msg_timestamp: D;
  created_at: D;
}

export const PRIVATE_KEY_COLUMNS = 'account, message_id, contact, direction, content, msg_timestamp, created_at';

export function privateKeyFromRow<D>(r: SqlPrivateKeyRow<D>, toDate: (value: D) => Date): PrivateKeyMessage {
  return {
    account: r.account,
    messageId: r.message_id,
    contact: r.contact,
    direction: r.direction as Direction,
    content: r.content,
    msgTimestamp: toDate(r.msg_timestamp),
    createdAt: toDate(r.created_at),
  };
}

export interface SqlPushTokenRow<B> {
  account: string;
  app_id: string;
  device_id: string;
  platform: string;
  token: string;
  background_token: string | null;
  silent: B;
  user_agent: string | null;
}

export const PUSH_TOKEN_COLUMNS = 'account, app_id, device_id, platform, token, background_token, silent, user_agent';

export function pushTokenFromRow<B>(r: SqlPushTokenRow<B>, toBool: (value: B) => boolean): PushToken {
  return {
    account: r.account,
    appId: r.app_id,
    deviceId: r.device_id,
    platform: r.platform,
    token: r.token,
    backgroundToken: r.background_token,
    silent: toBool(r.silent),
    userAgent: r.user_agent,
  };
}

/** Unread counts from `SELECT contact, count(*) AS n … GROUP BY contact` rows. */
export function unreadFromRows<N>(rows: readonly { contact: string; n: N }[], toNumber: (n: N) => number): UnreadCounts {
  const byContact = new Map<string, number>();
  let total = 0;
  for (const r of rows) {
    const n = toNumber(r.n);
    byContact.set(r.contact, n);
    total += n;
  }
  return { total, byContact };
}

/** A page of `listAccounts` from the first `limit + 1` AORs after the cursor. */
export function accountPage(rows: readonly { aor: string }[], limit: number): AccountPage {
  const aors = rows.slice(0, limit).map((r) => r.aor);
  return { aors, next: rows.length > limit ? (aors[aors.length - 1] ?? null) : null };
}

/**
 * Tables whose rows name an account, with that column: `listAccounts` unions them (`sylk-db
 * migrate`). A new table that holds per-account data adds its row here.
 */
export const ACCOUNT_TABLES: readonly (readonly [table: string, column: string])[] = [
  ['accounts', 'aor'],
  ['message_ids', 'account'],
  ['entries', 'account'],
  ['public_keys', 'aor'],
  ['private_keys', 'account'],
  ['push_tokens', 'account'],
];
