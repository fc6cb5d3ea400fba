/**
 * Every write of the SQLite engine, as plain data (`WriteOp`), and the executor that applies a batch
 * of them in one `BEGIN IMMEDIATE` transaction (`journal-storage.md` §3: group commit, operations
 * applied in submission order). The store (`store.ts`) only builds ops; where they run is the
 * writer's business (`writer.ts`: on the store's own connection, or on a thread of its own). Plain
 * data because ops cross the thread boundary by `postMessage` (structured clone), which closures
 * cannot; times travel as epoch milliseconds, the cheapest thing to clone.
 *
 * Sequence numbers: the `counters` row is read once per transaction and written back at its end; a
 * duplicate insert gives its number back, so `seq` stays dense.
 */
import type { Database as DB, Statement } from 'better-sqlite3';
import { applyDisposition, nextState } from '../../journal/states.js';
import type { ExpireResult, UpdateStateResult } from '../../journal/store.js';
import {
  CONTENT_TYPES,
  isUnread,
  type Account,
  type Direction,
  type JournalEntry,
  type MessageState,
  type NewJournalEntry,
  type PushToken,
} from '../../journal/types.js';
import { dispositionText, ENTRY_COLUMNS, ENTRY_FIELDS, entryFromRow, pushEntryValues as pushSqlEntryValues, PRIVATE_KEY_COLUMNS, PUSH_TOKEN_COLUMNS, type SqlEntryRow } from '../sql-entry.js';

/**
 * Journal entries to insert, in the flat layout of `sql-entry.ts` (`ENTRY_FIELDS` per entry) with
 * times as epoch ms (created at 0 = the transaction's `now`) and unread as 1/0. A flat array of
 * primitives is what `postMessage` clones fastest (no property names, no nested objects): about half
 * the cost of the same entries as objects.
 */
export type EntryValues = (string | number | null)[];

const epochMs = (d: Date): number => d.getTime();
const bit = (u: boolean): number => (u ? 1 : 0);

/** Append `e` to `out` in the `EntryValues` layout. */
export function pushEntryValues(out: EntryValues, e: NewJournalEntry): void {
  pushSqlEntryValues(out, e, epochMs, 0, bit);
}

export type WriteOp =
  | { t: 'addMany'; entries: EntryValues; now: number }
  | { t: 'updateState'; account: string; messageId: string; state: MessageState }
  | { t: 'removeMessage'; account: string; messageId: string }
  | { t: 'removeConversation'; account: string; contact: string }
  | { t: 'removeJournal'; account: string }
  | { t: 'markConversationRead'; account: string; contact: string }
  | { t: 'addAccount'; aor: string; now: number }
  | { t: 'removeAccount'; aor: string }
  | { t: 'setApiToken'; aor: string; token: string; expires: number }
  | { t: 'removeApiToken'; aor: string; now: number }
  | { t: 'setPublicKey'; aor: string; key: string; createdAt: number }
  | { t: 'removePublicKey'; aor: string }
  | {
      t: 'setPrivateKey';
      account: string;
      messageId: string;
      contact: string;
      direction: Direction;
      content: string;
      msgTimestamp: number;
      createdAt: number;
    }
  | { t: 'removePrivateKey'; account: string }
  | { t: 'addPushToken'; token: PushToken }
  | { t: 'removePushToken'; account: string; appId: string; deviceId: string }
  | { t: 'removePushTokensByToken'; account: string; token: string }
  | { t: 'removePushTokens'; account: string }
  | { t: 'expireBatch'; olderThan: number; batch: number }
  | { t: 'expireTokens'; now: number };

/** What each op resolves to (all structured-clone safe). */
export interface WriteResults {
  addMany: boolean[];
  updateState: UpdateStateResult | null;
  removeMessage: JournalEntry | null;
  removeConversation: number;
  removeJournal: number;
  markConversationRead: number;
  addAccount: Account;
  removeAccount: boolean;
  setApiToken: boolean;
  removeApiToken: boolean;
  setPublicKey: undefined;
  removePublicKey: boolean;
  setPrivateKey: boolean;
  removePrivateKey: boolean;
  addPushToken: undefined;
  removePushToken: boolean;
  removePushTokensByToken: number;
  removePushTokens: number;
  expireBatch: Omit<ExpireResult, 'apiTokens'> & { ids: number };
  expireTokens: number;
}

export interface WriteExecutor {
  /** Apply `ops` in order in one transaction (all or nothing); one result per op. */
  runBatch(ops: readonly WriteOp[]): unknown[];
}

/**
 * A PASSIVE WAL checkpoint on the write connection `db`, between two transactions (`writer.ts`
 * `Writer.checkpoint()`): copies what the checkpointer thread has not copied yet. Returns the error
 * message if it failed (SQLite then left the WAL as it was), else null.
 */
export function walCheckpoint(db: DB): string | null {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    return null;
  } catch (err) {
    return String((err as { message?: unknown }).message ?? err);
  }
}

type EntryRow = SqlEntryRow<number, number>;
const toEntry = (r: EntryRow): JournalEntry => entryFromRow(r, (ms) => new Date(ms));

/** Prepare the write statements on `db` (a migrated database) and return the executor. */
export function createWriteExecutor(db: DB): WriteExecutor {
  const p = (sql: string): Statement => db.prepare(sql);
  const s = {
    getSeq: p("SELECT value FROM counters WHERE name = 'seq'"),
    setSeq: p("UPDATE counters SET value = ? WHERE name = 'seq'"),
    insertId: p('INSERT INTO message_ids (account, message_id, seq, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    insertEntry: p(`INSERT INTO entries (${ENTRY_COLUMNS}, unread) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
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
    upsertAccount: p(
      'INSERT INTO accounts (aor, last_login) VALUES (?, ?) ON CONFLICT (aor) DO UPDATE SET last_login = excluded.last_login',
    ),
    deleteAccount: p('DELETE FROM accounts WHERE aor = ?'),
    setToken: p('UPDATE accounts SET api_token = ?, token_expires = ? WHERE aor = ?'),
    getToken: p('SELECT api_token, token_expires FROM accounts WHERE aor = ?'),
    setPublicKey: p(
      'INSERT INTO public_keys (aor, public_key, created_at) VALUES (?, ?, ?) ON CONFLICT (aor) DO UPDATE SET public_key = excluded.public_key, created_at = excluded.created_at',
    ),
    deletePublicKey: p('DELETE FROM public_keys WHERE aor = ?'),
    setPrivateKey: p(
      `INSERT INTO private_keys (${PRIVATE_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account) DO UPDATE SET message_id = excluded.message_id, contact = excluded.contact, direction = excluded.direction,
         content = excluded.content, msg_timestamp = excluded.msg_timestamp, created_at = excluded.created_at`,
    ),
    deletePrivateKey: p('DELETE FROM private_keys WHERE account = ?'),
    upsertPush: p(
      `INSERT INTO push_tokens (${PUSH_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, app_id, device_id) DO UPDATE SET platform = excluded.platform, token = excluded.token,
         background_token = excluded.background_token, silent = excluded.silent, user_agent = excluded.user_agent`,
    ),
    deletePush: p('DELETE FROM push_tokens WHERE account = ? AND app_id = ? AND device_id = ?'),
    deletePushByToken: p('DELETE FROM push_tokens WHERE account = ? AND (token = ? OR background_token = ?)'),
    deletePushAll: p('DELETE FROM push_tokens WHERE account = ?'),
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

  /** Next free sequence number while a transaction runs. */
  let nextSeq = 0;

  /** Claim a message id for `account` with a fresh sequence number; null when the id is known. */
  const claimId = (account: string, messageId: string, createdAt: number): number | null => {
    const seq = nextSeq;
    if (s.insertId.run(account, messageId, seq, createdAt).changes === 0) return null;
    nextSeq++;
    return seq;
  };

  /** Insert the entry at `v[i…i + ENTRY_FIELDS)`; false when its id is known in its account. */
  const insertEntry = (v: EntryValues, i: number, now: number): boolean => {
    const account = v[i] as string;
    const messageId = v[i + 1] as string;
    const createdAt = (v[i + 9] as number) || now;
    const seq = claimId(account, messageId, createdAt);
    if (seq === null) return false;
    // entries columns: seq, account, message_id, created_at, contact, direction, content_type,
    // content, disposition, state, msg_timestamp, unread
    s.insertEntry.run(seq, account, messageId, createdAt, v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6], v[i + 7], v[i + 8], v[i + 10]);
    return true;
  };

  const entryById = (account: string, messageId: string): EntryRow | undefined =>
    s.entryById.get(account, messageId, account) as EntryRow | undefined;

  const apply = (op: WriteOp): unknown => {
    switch (op.t) {
      case 'addMany': {
        const inserted: boolean[] = [];
        for (let i = 0; i < op.entries.length; i += ENTRY_FIELDS) inserted.push(insertEntry(op.entries, i, op.now));
        return inserted;
      }
      case 'updateState': {
        const row = entryById(op.account, op.messageId);
        if (!row) return null;
        const entry = toEntry(row);
        const newState = nextState(entry.state, op.state);
        const newDisp = applyDisposition(entry.disposition, op.state);
        const stateChanged = newState !== entry.state;
        const dispositionChanged = newDisp !== entry.disposition;
        if (stateChanged || dispositionChanged) {
          entry.state = newState;
          entry.disposition = newDisp;
          s.updateEntry.run(newState, dispositionText(newDisp), isUnread(entry) ? 1 : 0, row.seq);
        }
        return { entry, stateChanged, dispositionChanged } satisfies UpdateStateResult;
      }
      case 'removeMessage': {
        const row = entryById(op.account, op.messageId);
        if (!row) return null;
        s.deleteSeq.run(row.seq);
        return toEntry(row);
      }
      case 'removeConversation':
        return s.deleteConversation.run(op.account, op.contact).changes;
      case 'removeJournal':
        return s.deleteJournal.run(op.account).changes;
      case 'markConversationRead': {
        const n = s.clearDisposition.run(op.account, op.contact).changes;
        s.deleteReadMarkers.run(op.account, op.contact, CONTENT_TYPES.conversationRead);
        return n;
      }
      case 'addAccount':
        s.upsertAccount.run(op.aor, op.now);
        return { aor: op.aor, lastLogin: new Date(op.now) } satisfies Account;
      case 'removeAccount':
        return s.deleteAccount.run(op.aor).changes > 0;
      case 'setApiToken':
        return s.setToken.run(op.token, op.expires, op.aor).changes > 0;
      case 'removeApiToken': {
        const r = s.getToken.get(op.aor) as { api_token: string | null; token_expires: number | null } | undefined;
        const had = !!r && !!r.api_token && r.token_expires !== null && r.token_expires > op.now;
        s.setToken.run(null, null, op.aor);
        return had;
      }
      case 'setPublicKey':
        s.setPublicKey.run(op.aor, op.key, op.createdAt);
        return undefined;
      case 'removePublicKey':
        return s.deletePublicKey.run(op.aor).changes > 0;
      case 'setPrivateKey': {
        if (claimId(op.account, op.messageId, op.createdAt) === null) return false;
        s.setPrivateKey.run(op.account, op.messageId, op.contact, op.direction, op.content, op.msgTimestamp, op.createdAt);
        return true;
      }
      case 'removePrivateKey':
        return s.deletePrivateKey.run(op.account).changes > 0;
      case 'addPushToken': {
        const t = op.token;
        s.upsertPush.run(t.account, t.appId, t.deviceId, t.platform, t.token, t.backgroundToken, t.silent ? 1 : 0, t.userAgent);
        return undefined;
      }
      case 'removePushToken':
        return s.deletePush.run(op.account, op.appId, op.deviceId).changes > 0;
      case 'removePushTokensByToken':
        return s.deletePushByToken.run(op.account, op.token, op.token).changes;
      case 'removePushTokens':
        return s.deletePushAll.run(op.account).changes;
      case 'expireBatch': {
        const entries = s.expireEntries.run(op.olderThan, op.batch).changes;
        const ids = s.expireIds.run(op.olderThan, op.batch).changes;
        return { entries, ids };
      }
      case 'expireTokens':
        return s.expireTokens.run(op.now).changes;
    }
  };

  const tx = db.transaction((ops: readonly WriteOp[]) => {
    nextSeq = (s.getSeq.get() as { value: number }).value + 1;
    const results = ops.map(apply);
    s.setSeq.run(nextSeq - 1);
    return results;
  });
  return { runBatch: (ops) => tx.immediate(ops) };
}
