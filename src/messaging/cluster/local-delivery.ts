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
import type { InboundMessage } from '../inbound.js';

const MAX_REMEMBERED = 20_000;

/**
 * One generation of announced `(kind, account, id)`: nested maps, so a lookup hashes the id (the kind
 * and the account are strings seen again and again, whose hashes V8 keeps) instead of building and
 * hashing a joined key.
 */
class Generation {
  size = 0;
  private readonly kinds = new Map<string, Map<string, Set<string>>>();

  has(kind: string, account: string, id: string): boolean {
    return this.kinds.get(kind)?.get(account)?.has(id) ?? false;
  }

  add(kind: string, account: string, id: string): void {
    let accounts = this.kinds.get(kind);
    if (!accounts) this.kinds.set(kind, (accounts = new Map()));
    let ids = accounts.get(account);
    if (!ids) accounts.set(account, (ids = new Set()));
    ids.add(id);
    this.size++;
  }
}

/**
 * What this process announced recently (one instance per messaging context, i.e. per event bus and
 * server; `create.ts` makes it): the newest `MAX_REMEMBERED / 2` to `MAX_REMEMBERED` keys. Two
 * generations of half the size each; when the current one is full it becomes the old one and the old
 * one is forgotten — the same keys as dropping the oldest half of one set when it is full, without
 * deleting ten thousand entries one by one.
 */
export class LocalAnnouncements {
  private current = new Generation();
  private old = new Generation();

  /**
   * True the first time `(kind, account, id)` is asked: the caller emits the live event. Later calls
   * (another copy of the same MESSAGE) return false.
   */
  first(kind: string, account: string, id: string): boolean {
    if (this.current.has(kind, account, id) || this.old.has(kind, account, id)) return false;
    if (this.current.size >= MAX_REMEMBERED / 2) {
      this.old = this.current;
      this.current = new Generation();
    }
    this.current.add(kind, account, id);
    return true;
  }
}

/**
 * Is this copy addressed to a contact of ours (a registered WS binding), not the storage copy? Only a
 * SIP request (its side-car) can be one.
 */
export function isContactCopy(msg: InboundMessage): boolean {
  if (!msg.sip) return false;
  const app = msg.sip.request.headers.get('x-sylk-app');
  return app === undefined || app.trim() === '';
}
