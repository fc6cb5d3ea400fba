/**
 * The operations the sylkRTC WebSocket requests call (`sylkrtc-websocket.md` §3.2, §5, §7, §9;
 * `sip-messaging.md` §6.3.1–6.3.3 and §7). The WebSocket layer validates the request (zod), checks that
 * the account is bound and authenticated, calls one method, and answers `ack` when the promise resolves
 * or `error` with the rejection's message. The implementation (`sylk-service.ts`) writes the
 * journal, raises the events of `events.ts` and sends the SIP MESSAGEs.
 *
 * Contract for every method:
 * - The promise resolves only after the journal writes of the operation have committed (durable before
 *   acknowledged, DESIGN.md decision 1); the events of the operation have been emitted by then.
 * - It rejects with a {@link MessagingError} only for an input the service refuses (`invalid`) or when
 *   the store is unavailable (`unavailable`); nothing is half-written in that case.
 * - SIP delivery never makes it reject: its outcome arrives later as events (and `delivery`).
 * - `account`, `uri` and `contact` are normalised AORs (`user@host`, no scheme) as the WS layer keeps
 *   them; `origin` is the opaque id of the calling connection, excluded from the `sync` forks.
 * This file only grows (additive changes).
 */
import type { DigestCredentials } from '../../sip/api.js';
import type { JournalEntryJson } from '../events.js';

/** Why an operation was refused. `unavailable` maps to a retryable error (WS `error`, SIP 503). */
export type MessagingErrorCode = 'invalid' | 'unavailable' | 'internal';

export class MessagingError extends Error {
  constructor(
    readonly code: MessagingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MessagingError';
  }
}

/** Who is acting, as the WebSocket layer knows it. */
export interface Caller {
  /** The account AOR (bound and authenticated on the calling connection). */
  account: string;
  /** Opaque id of the calling connection; its own `sync` fork is skipped. */
  origin?: string;
}

/** `account-message` (§5.1). */
export interface SendMessageArgs extends Caller {
  /** The WS transaction id, echoed in the `sync`/`message`/`add` fork. */
  transaction: string;
  /** Recipient AOR. */
  uri: string;
  message_id: string;
  content: string;
  content_type: string;
  /** The sender's ISO 8601 timestamp (CPIM DateTime, journal `timestamp`). */
  timestamp: string;
  /** Display name of the account (`account-add`'s `display_name`), for the SIP/CPIM From. */
  displayName?: string | null;
  /** Digest credentials to answer 401/407 from the proxy (username = user part, `ha1` = password). */
  credentials?: DigestCredentials;
}

/** Final outcome of the SIP MESSAGE of a `sendMessage` (also sent as a `disposition-notification`). */
export interface DeliveryOutcome {
  state: 'accepted' | 'failed';
  code: number;
  reason: string;
}

export interface SendMessageResult {
  /** True when a journal entry was written (false for keys, is-composing, or a duplicate id). */
  stored: boolean;
  /**
   * Settles when the SIP transaction ended and the state update committed; never rejects. The service
   * has already emitted the `disposition-notification` (accepted/failed) for it. Null when no SIP
   * MESSAGE is sent (is-composing is dropped, recommended quirk 17).
   */
  delivery: Promise<DeliveryOutcome> | null;
}

/** `account-disposition-notification` (§5.2). `account` is the reporter (the original recipient). */
export interface SendDispositionArgs extends Caller {
  /** The original sender. */
  uri: string;
  message_id: string;
  state: 'delivered' | 'failed' | 'displayed' | 'forbidden' | 'error';
  /** The original message's timestamp (IMDN `datetime`). */
  timestamp: string;
  credentials?: DigestCredentials;
  displayName?: string | null;
}

/** `account-mark-conversation-read` (§5.4). */
export interface MarkConversationReadArgs extends Caller {
  contact: string;
}

/** `account-remove-message` (§5.5). */
export interface RemoveMessageArgs extends Caller {
  contact: string;
  message_id: string;
}

export interface RemoveMessageResult {
  /** Whether the entry existed in the caller's journal (the marker is written anyway). */
  removed: boolean;
  /** Whether the recipient's incoming copy was removed too (remote unsend). */
  remoteRemoved: boolean;
}

/** `account-remove-conversation` (§5.6). */
export interface RemoveConversationArgs extends Caller {
  contact: string;
}

export interface RemoveConversationResult {
  /** The marker's timestamp (T), also in the `sync` fork. */
  timestamp: string;
  /** How many entries were deleted. */
  removed: number;
}

/** `account-sync-conversations` (§5.3, §7.3). */
export interface SyncConversationsArgs {
  account: string;
  /** Cursor: the id of the last entry the client has. */
  message_id?: string | null;
  /** ISO 8601 instant; used when the cursor is absent or unknown. Invalid → `invalid` error. */
  since?: string | null;
  /** ≥ 1 (else `invalid`); default 5000; clamped to 5000. */
  limit?: number;
}

export interface SyncConversationsResult {
  /** Oldest first, serialized as `journal-storage.md` §6. */
  messages: JournalEntryJson[];
  /** True when more entries follow the last one returned (page again with its id). */
  more: boolean;
}

/** The operations behind the sylkRTC messaging requests. */
export interface MessagingService {
  /**
   * `account-message`: journal the sender copy (`outgoing`, `pending`, disposition
   * `["positive-delivery","display"]`; `text/pgp-public-key` → sender's public key instead,
   * `text/pgp-private-key` → not journaled), emit `sync-message-add` (origin excluded), then send the
   * CPIM MESSAGE (§6.3.1) in the background. On the SIP final response the state becomes
   * `accepted`/`failed` and a `disposition-notification` is emitted to all the sender's connections.
   * Resolves after the journal write (before the SIP outcome).
   */
  sendMessage(args: SendMessageArgs): Promise<SendMessageResult>;

  /**
   * `account-disposition-notification`: update the reporter's own copy (disposition reduced, state
   * stays `received`), then send the IMDN CPIM MESSAGE (§6.3.2) in the background; its SIP result is
   * ignored. `failed`/`forbidden` are forwarded as delivery notifications (quirk 7 fixed).
   */
  sendDispositionNotification(args: SendDispositionArgs): Promise<void>;

  /**
   * `account-mark-conversation-read`: clear dispositions of every entry with `contact`, drop older read
   * markers, append a `application/sylk-conversation-read` marker, emit `sync-conversation-read`
   * (origin excluded), notify own SIP devices (§6.3.3).
   */
  markConversationRead(args: MarkConversationReadArgs): Promise<void>;

  /**
   * `account-remove-message`: remove the entry (and a file-transfer's directory), append the
   * `outgoing` marker (even if nothing was removed), emit `sync-message-remove`, notify own SIP
   * devices; then remove the contact's `incoming` copy with that id only if its contact is the caller
   * (quirk 9 fixed), append the `incoming` marker there and emit `sync-message-remove` to the contact.
   */
  removeMessage(args: RemoveMessageArgs): Promise<RemoveMessageResult>;

  /**
   * `account-remove-conversation`: delete every entry with `contact`, append the
   * `application/sylk-conversation-remove` marker, emit `sync-conversation-remove`, notify own SIP
   * devices.
   */
  removeConversation(args: RemoveConversationArgs): Promise<RemoveConversationResult>;

  /** `lookup-public-key`: the stored armored key of `uri`, or null. No account needed. */
  lookupPublicKey(uri: string): Promise<string | null>;

  /** `account-sync-conversations`: the page of journal entries after the cursor (§7.3). */
  syncConversations(args: SyncConversationsArgs): Promise<SyncConversationsResult>;

  /**
   * A WS account registered successfully: create the account record if absent and set `last_login`
   * (`journal-storage.md` §3.7). Storage-enabled from then on.
   */
  recordLogin(account: string): Promise<void>;
}
