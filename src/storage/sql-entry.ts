/**
 * What the two SQL engines (SQLite, PostgreSQL) share about journal entry rows: the column list of the
 * `entries` table and the mapping of a row to the journal's `JournalEntry` (`journal-storage.md` §2).
 * The engines differ only in how a driver returns times (`D`: epoch milliseconds from SQLite, `Date`
 * from PostgreSQL) and sequence numbers.
 */
import type { Direction, JournalEntry, MessageState } from '../journal/types.js';

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
