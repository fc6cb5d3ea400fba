/**
 * Journal entries → the JSON objects clients receive in the WS `sync-conversations` event and the
 * HTTP history response (`journal-storage.md` §6).
 *
 * Keys and key order are exactly the original's: contact, timestamp, disposition, message_id,
 * content_type, content, direction, state. Choices where the original varies by back end or fails:
 * - `timestamp` is normalised to UTC like the Cassandra back end: `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`
 *   (Python `isoformat()`: the 6-digit fraction only when non-zero).
 * - `disposition` is always an array (Cassandra behaviour), duplicates removed, order kept.
 * - An entry that cannot be serialized (invalid contact, state outside the allowed list) is skipped
 *   and reported to the caller instead of failing the whole batch (the original's quirk, §6).
 */
import { stripScheme } from '../util/aor.js';
import { isMessageState, type Direction, type JournalEntry, type MessageState, type NewJournalEntry } from './types.js';

/** One entry as clients see it. */
export interface ClientEntry {
  contact: string;
  timestamp: string;
  disposition: string[];
  message_id: string;
  content_type: string;
  content: string;
  direction: Direction;
  state: MessageState | null;
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : '' + n);

/**
 * Python `datetime.isoformat()` of a UTC time: fraction (microseconds) only when non-zero. Built from
 * the UTC fields (about three times cheaper than slicing `toISOString()`, which stays the fallback for
 * years outside 1000–9999, where it writes a sign or more digits).
 */
export function isoTimestamp(d: Date): string {
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) {
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (throws for an invalid date, as before)
    const base = iso.slice(0, 19);
    const ms = d.getUTCMilliseconds();
    return ms === 0 ? `${base}+00:00` : `${base}.${String(ms).padStart(3, '0')}000+00:00`;
  }
  const base =
    y + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) +
    'T' + pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds());
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base + '+00:00' : base + (ms < 10 ? '.00' : ms < 100 ? '.0' : '.') + ms + '000+00:00';
}

// Characters that cannot appear in a `sip:` URI even escaped by a sloppy client: controls, space,
// and the delimiters that would break a header (`<`, `>`, `"`).
const BAD_CONTACT = /[\u0000-\u0020\u007f<>"]/;

/** Does `sip:` + contact form a plausible SIP URI (§6)? */
export function isValidContact(contact: string): boolean {
  return contact.length > 0 && !BAD_CONTACT.test(contact);
}

/** A fresh copy of `list` without repeated values, first occurrence kept. */
function unique(list: readonly string[]): string[] {
  // Dispositions are a handful of values: a quadratic scan beats building a Set.
  if (list.length > 8) return [...new Set(list)];
  for (let i = 1; i < list.length; i++) {
    for (let j = 0; j < i; j++) if (list[i] === list[j]) return [...new Set(list)];
  }
  return list.slice();
}

/**
 * Serialize one entry, or null if it cannot be (see module comment). `createdAt` is not part of the
 * client form, so an entry not yet stored (`NewJournalEntry`) serializes the same as once stored.
 */
export function serializeEntry(e: NewJournalEntry): ClientEntry | null {
  const contact = stripScheme(e.contact);
  if (!isValidContact(contact)) return null;
  if (e.state !== null && !isMessageState(e.state)) return null;
  if (typeof e.content !== 'string' || Number.isNaN(e.msgTimestamp.getTime())) return null;
  return {
    contact,
    timestamp: isoTimestamp(e.msgTimestamp),
    disposition: e.disposition === null ? [] : unique(e.disposition),
    message_id: e.messageId,
    content_type: e.contentType,
    content: e.content,
    direction: e.direction,
    state: e.state,
  };
}

/** Serialize entries in order, skipping (and returning the ids of) entries that cannot be. */
export function serializeEntries(entries: readonly JournalEntry[]): { messages: ClientEntry[]; skipped: string[] } {
  const messages: ClientEntry[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    const s = serializeEntry(e);
    if (s) messages.push(s);
    else skipped.push(e.messageId);
  }
  return { messages, skipped };
}
