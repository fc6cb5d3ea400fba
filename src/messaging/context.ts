/**
 * What a content-type handler gets to work with (Prosody-style module API): the journal store, the
 * event bus, the outbound MESSAGE sender, the push hook and a few configuration values; and the shape
 * of a handler. Handlers live one per file in `handlers/`, are named in the content-type table
 * (`journal/content-types.ts`) and wired by name in `handlers/index.ts`; `dispatch.ts` calls them.
 *
 * Handler contract: `handle` resolves only after every journal write of the message committed, then
 * emits events and starts outgoing MESSAGEs / pushes in the background. It resolves the SIP answer
 * (normally 200; 400/403 with a reason when the payload is refused). A store failure rejects and the
 * pipeline answers 503 with Retry-After; handlers' writes are idempotent (message ids, state updates
 * that only move forward), so the sender's retry converges and nothing is stored twice.
 */
import type { ContentHandlerName } from '../journal/content-types.js';
import type { JournalStore } from '../journal/store.js';
import type { Logger } from '../util/logger.js';
import type { StorageEnabledAccounts } from './accounts.js';
import type { LocalAnnouncements } from './cluster/local-delivery.js';
import type { MessagingEvents } from './events.js';
import type { Outbound } from './outbound.js';
import type { InboundMessage } from './inbound.js';
import type { OnIncomingMessage } from './push-hook.js';

export interface MessagingContext {
  store: JournalStore;
  events: MessagingEvents;
  /** Which AORs are storage-enabled (cached positive answers over `store`). */
  accounts: StorageEnabledAccounts;
  /** What this process announced already (live events once per process, `cluster/local-delivery.ts`). */
  announced: LocalAnnouncements;
  outbound: Outbound;
  log: Logger;
  /** Push hook (fire-and-forget); absent = no push. */
  onIncomingMessage?: OnIncomingMessage;
  /** `scheme://host:port` of the web server (token reply URL, `http-api.md` §1). */
  webBaseUrl: () => string;
  /** `[General] file_transfer_dir`: removing a file-transfer entry deletes its directory. */
  fileTransferDir: string | null;
  /** `[General] filetransfer_expire_days` (FT-HTTP descriptors' `until`). */
  fileTransferExpireDays: number;
  /** API token lifetime (default 31 days, `journal-storage.md` §3.7). */
  apiTokenTtlMs: number;
  now: () => Date;
}

export interface HandlerResult {
  status: number;
  reason?: string;
  /** The sender's `outgoing` copy was inserted (the dispatch then tells the sender's devices). */
  senderStored?: boolean;
}

export const OK: HandlerResult = { status: 200, reason: 'OK' };

export interface ContentHandler {
  /** Module name, as in the content-type table; for logs and metrics. */
  readonly name: ContentHandlerName;
  /** A message with its receiver side ours to record (and the sender side too when it has one). */
  handle(message: InboundMessage, ctx: MessagingContext): Promise<HandlerResult>;
  /**
   * A message whose sender side only is ours (a WebSocket client's, delivered over SIP afterwards):
   * what the module records for the sender. Absent: nothing is recorded for this type.
   */
  handleSent?(message: InboundMessage, ctx: MessagingContext): Promise<HandlerResult>;
}
