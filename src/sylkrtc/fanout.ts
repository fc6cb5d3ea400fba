/**
 * Fan-out of messaging events to WebSocket connections (`sylkrtc-websocket.md` §6.2–§6.5, §8.1):
 *
 * | bus event | sylkRTC event | recipients |
 * | --- | --- | --- |
 * | `message` | `message` | every authenticated binding of the recipient |
 * | `disposition-notification` | `disposition-notification` | every authenticated binding of the sender |
 * | `sync-*` | `sync` | the account's authenticated bindings except those on the `origin` connection |
 *
 * Each binding gets the event with its own `account` string (the exact AOR its client added, §1.8).
 * Exactly once: a `message` with an id already fanned out to that account (the proxy forking the
 * same MESSAGE to us twice, a retransmission after our 200 was lost) is not sent again; the window
 * remembers the last {@link DEDUP_WINDOW} ids per process. Serialization happens once per distinct
 * account string, not once per connection.
 */
import type {
  DispositionNotificationEvent,
  IncomingMessageEvent,
  MessagingEvents,
  SyncConversationReadEvent,
  SyncConversationRemoveEvent,
  SyncMessageAddEvent,
  SyncMessageRemoveEvent,
} from '../messaging/index.js';
import { aorKey } from '../util/aor.js';
import { wsEvents } from './metrics.js';
import type { ConnectionRegistry, RoutedBinding } from './registry.js';

const DEDUP_WINDOW = 20_000;

/** Send `members` as an `account-event` named `event` to each binding, skipping `origin`'s. */
function deliver(bindings: Iterable<RoutedBinding>, event: string, members: string, origin?: string): number {
  // Encoded once per distinct account string: ws then frames the same bytes for every connection.
  let cache: Map<string, Buffer> | null = null;
  let first: { aor: string; json: Buffer } | null = null;
  let n = 0;
  for (const b of bindings) {
    if (origin !== undefined && b.connectionId === origin) continue;
    let json: Buffer | undefined;
    if (first === null) {
      json = Buffer.from(`{"sylkrtc":"account-event","account":${JSON.stringify(b.aor)},"event":"${event}",${members}}`);
      first = { aor: b.aor, json };
    } else if (first.aor === b.aor) {
      json = first.json;
    } else {
      cache ??= new Map();
      json = cache.get(b.aor);
      if (json === undefined) {
        json = Buffer.from(`{"sylkrtc":"account-event","account":${JSON.stringify(b.aor)},"event":"${event}",${members}}`);
        cache.set(b.aor, json);
      }
    }
    b.sendRaw(json);
    n++;
  }
  if (n > 0) wsEvents.inc({ event }, n);
  return n;
}

/** `{"a":1,"b":2}` → `"a":1,"b":2` (members to splice into the envelope). */
function inner(obj: object): string {
  return JSON.stringify(obj).slice(1, -1);
}

export class FanOut {
  private readonly seen = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly registry: ConnectionRegistry,
    events: MessagingEvents,
  ) {
    this.unsubscribe.push(
      events.on('message', (e) => this.message(e)),
      events.on('disposition-notification', (e) => this.disposition(e)),
      events.on('sync-message-add', (e) => this.sync(e, 'message', 'add')),
      events.on('sync-message-remove', (e) => this.sync(e, 'message', 'remove')),
      events.on('sync-conversation-read', (e) => this.sync(e, 'conversation', 'read')),
      events.on('sync-conversation-remove', (e) => this.sync(e, 'conversation', 'remove')),
    );
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** True the first time (account, message id) is seen within the window. */
  private firstTime(account: string, messageId: string): boolean {
    const key = `${aorKey(account)}\u0000${messageId}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > DEDUP_WINDOW) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  private message(e: IncomingMessageEvent): void {
    if (!this.firstTime(e.account, e.message_id)) return;
    const bindings = this.registry.bindings(e.account);
    if (bindings.size === 0) return;
    const members = inner({
      sender: e.sender,
      timestamp: e.timestamp,
      disposition_notification: e.disposition_notification,
      message_id: e.message_id,
      content_type: e.content_type,
      content: e.content,
    });
    deliver(bindings, 'message', members);
  }

  private disposition(e: DispositionNotificationEvent): void {
    const bindings = this.registry.bindings(e.account);
    if (bindings.size === 0) return;
    const members = inner({
      message_id: e.message_id,
      message_timestamp: e.message_timestamp,
      state: e.state,
      code: e.code,
      reason: e.reason,
    });
    deliver(bindings, 'disposition-notification', members);
  }

  private sync(
    e: SyncMessageAddEvent | SyncMessageRemoveEvent | SyncConversationReadEvent | SyncConversationRemoveEvent,
    type: 'message' | 'conversation',
    action: 'add' | 'remove' | 'read',
  ): void {
    const bindings = this.registry.bindings(e.account);
    if (bindings.size === 0) return;
    deliver(bindings, 'sync', inner({ type, action, content: e.content }), e.origin);
  }
}
