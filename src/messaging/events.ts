/**
 * The messaging layer's in-process event bus: what the pipeline (SIP side) and the messaging service
 * (WebSocket side) announce after a journal write has committed, for the sylkRTC layer to fan out to
 * connections (`sylkrtc-websocket.md` §6 and §8) and for anything else that listens (push, metrics).
 *
 * Owns: the event names, the payload of each event, and a small typed wrapper around Node's
 * `EventEmitter`. Payload members use the wire names of the sylkRTC API (`message_id`,
 * `content_type`, ...) so the WebSocket layer only adds `"sylkrtc": "account-event"`, `"account"` and
 * `"event"` and sends them; journal entries use the serialized shape of `journal-storage.md` §6.
 *
 * Delivery rules (who receives an event) stay with the WebSocket layer (§8.1); each event carries the
 * `account` whose connections are concerned and, for `sync` forks, the `origin` connection that caused
 * it (to be excluded, "never sent back to the connection whose request caused it", §6.5).
 *
 * Contract: events are emitted synchronously after the journal write of the operation committed, in
 * the order the operations happened. A listener that throws is logged and does not disturb the emitter
 * or the other listeners. This file only grows (additive changes); names and members never change.
 */
import { EventEmitter } from 'node:events';
import type { ClientEntry } from '../journal/serialize.js';
import { logger } from '../util/logger.js';

const log = logger.child({ module: 'messaging.events' });

/** `{"uri": AOR, "display_name": string|null}` (`sylkrtc-websocket.md` §2.2). */
export interface Identity {
  uri: string;
  display_name: string | null;
}

/** A journal entry as serialized to clients (`journal-storage.md` §6): the journal layer's `ClientEntry`. */
export type JournalEntryJson = ClientEntry;

/**
 * The `account-message` request object as it appears in `sync`/`message`/`add` (§6.5): the WS request
 * as validated, or for a copy recorded from a SIP device `transaction: "1"`, `server_generated: true`.
 */
export interface AccountMessageContent {
  sylkrtc: 'account-message';
  transaction: string;
  account: string;
  uri: string;
  message_id: string;
  content: string;
  content_type: string;
  timestamp: string;
  server_generated?: boolean;
}

/** Event `message` (§6.2): a message arrived for `account` (the recipient). */
export interface IncomingMessageEvent {
  account: string;
  sender: Identity;
  timestamp: string;
  disposition_notification: string[] | null;
  message_id: string;
  content_type: string;
  content: string;
  /** The journal entry written for it, or null when none was (public/private keys, duplicates). */
  entry: JournalEntryJson | null;
}

/** Event `disposition-notification` (§6.3): progress of a message `account` sent. */
export interface DispositionNotificationEvent {
  account: string;
  message_id: string;
  message_timestamp: string;
  /** `accepted`/`failed` from the SIP outcome, or the IMDN status from the recipient. */
  state: 'accepted' | 'delivered' | 'displayed' | 'failed' | 'processed' | 'stored' | 'forbidden' | 'error';
  code: number;
  reason: string;
}

/** Fields common to the `sync` forks (§6.5). */
interface SyncBase {
  /** Whose connections receive it. */
  account: string;
  /**
   * Opaque id of the WS connection whose request caused it (the service's callers pass it in); that
   * connection is skipped. Absent for changes that came from SIP: every connection gets it.
   */
  origin?: string;
}

/** `sync` / `message` / `add`: another device of `account` sent a message. */
export interface SyncMessageAddEvent extends SyncBase {
  content: AccountMessageContent;
}

/** `sync` / `message` / `remove` (`direction` outgoing: own removal; incoming: remote unsend). */
export interface SyncMessageRemoveEvent extends SyncBase {
  content: { contact: string; message_id: string; direction: 'incoming' | 'outgoing' };
}

/** `sync` / `conversation` / `read`. */
export interface SyncConversationReadEvent extends SyncBase {
  content: { contact: string };
}

/** `sync` / `conversation` / `remove`. */
export interface SyncConversationRemoveEvent extends SyncBase {
  content: { contact: string; timestamp: string };
}

/** A public key was stored for `account` (its owner). Not a sylkRTC event; for caches and logs. */
export interface PublicKeyUpdatedEvent {
  account: string;
  public_key: string;
}

/** Any entry was appended to `account`'s journal (after commit). For metrics, tests and mirrors. */
export interface JournalAppendedEvent {
  account: string;
  entry: JournalEntryJson;
}

/** Event name → payload. */
export interface MessagingEventMap {
  message: IncomingMessageEvent;
  'disposition-notification': DispositionNotificationEvent;
  'sync-message-add': SyncMessageAddEvent;
  'sync-message-remove': SyncMessageRemoveEvent;
  'sync-conversation-read': SyncConversationReadEvent;
  'sync-conversation-remove': SyncConversationRemoveEvent;
  'public-key-updated': PublicKeyUpdatedEvent;
  'journal-appended': JournalAppendedEvent;
}

export type MessagingEventName = keyof MessagingEventMap;

export type MessagingListener<K extends MessagingEventName> = (event: MessagingEventMap[K]) => void;

/** The typed bus. One instance per server process, shared by the pipeline, the service and sylkrtc. */
export class MessagingEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per WS layer, push, metrics, tests...: more than the default 10 is normal.
    this.emitter.setMaxListeners(0);
  }

  on<K extends MessagingEventName>(name: K, listener: MessagingListener<K>): () => void {
    const wrapped = (event: MessagingEventMap[K]): void => {
      try {
        listener(event);
      } catch (err) {
        log.error({ err, event: name }, 'messaging event listener failed');
      }
    };
    this.emitter.on(name, wrapped);
    return () => this.emitter.off(name, wrapped);
  }

  /** Synchronous; listeners run in registration order. */
  emit<K extends MessagingEventName>(name: K, event: MessagingEventMap[K]): void {
    this.emitter.emit(name, event);
  }

  listenerCount(name: MessagingEventName): number {
    return this.emitter.listenerCount(name);
  }
}
