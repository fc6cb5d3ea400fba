/**
 * Live events of this process for MESSAGEs that several server instances receive (DESIGN.md decision
 * 3, `sip-messaging.md` §2 proxy contract): the proxy forks one MESSAGE to every registered contact of
 * the recipient — the contacts of WebSocket accounts are on the instance that holds the connection —
 * and adds the storage copy (`X-Sylk-App`) for one instance. All copies carry the same message id, so
 * with a shared store only the first one processed is inserted. The live event must still reach the
 * connections of every instance that holds one of the recipient's contacts, exactly once per process:
 *
 * - a copy addressed to one of our contacts (no `X-Sylk-App`) announces even when another instance
 *   stored the message first;
 * - the storage copy announces only what it inserted (as before);
 * - whichever copy comes first in this process announces; the others do not (a bounded memory of
 *   recently announced `(kind, account, id)` per event bus, i.e. per process and server).
 *
 * With one instance this changes nothing: both copies reach it, the first announces, the second is a
 * duplicate already announced.
 */
import type { MessagingEvents } from './events.js';
import type { ParsedMessage } from './parse.js';

const MAX_REMEMBERED = 20_000;
const announced = new WeakMap<MessagingEvents, Set<string>>();

/** Is this copy addressed to a contact of ours (a registered WS binding), not the storage copy? */
export function isContactCopy(msg: ParsedMessage): boolean {
  const app = msg.request.headers.get('x-sylk-app');
  return app === undefined || app.trim() === '';
}

/**
 * True the first time this process asks for `(kind, account, id)` on this event bus: the caller emits
 * the live event. Later calls (another copy of the same MESSAGE) return false.
 */
export function firstLocally(events: MessagingEvents, kind: string, account: string, id: string): boolean {
  let seen = announced.get(events);
  if (!seen) announced.set(events, (seen = new Set()));
  const key = `${kind}\n${account}\n${id}`;
  if (seen.has(key)) return false;
  if (seen.size >= MAX_REMEMBERED) {
    // Drop the oldest half (Set iterates in insertion order).
    let n = MAX_REMEMBERED / 2;
    for (const k of seen) {
      if (n-- <= 0) break;
      seen.delete(k);
    }
  }
  seen.add(key);
  return true;
}
