/**
 * Ordinary messages (`sip-messaging.md` §5.6, §5.11–§5.13): every content type no other module
 * claims — text/plain, text/html, application/sylk-file-transfer and the opaque application types.
 *
 * Stored: with `X-Sylk-From-Sip`, the sender copy in the SIP From account (contact = To AOR,
 * `outgoing`, `accepted`); the receiver copy in the To account (contact = sender AOR, `incoming`,
 * `received`); each only if that account is storage-enabled, both in one transaction (`addMany`), a
 * known id is skipped by the store (re-forks, retransmissions).
 * Events (after commit): `sync-message-add` (server_generated, transaction "1") to the sender;
 * `message` to the receiver; push hook for text/plain, text/html, application/sylk-file-transfer.
 * Nothing is sent over SIP.
 * Unlike the original, the receiver's event is not emitted when the store refuses the write (it is
 * emitted only after commit), and a duplicate produces no second event — except a note to self,
 * whose only entry is the sender copy (`sylkrtc-websocket.md` §5.1 step 7), and a copy the proxy
 * forked to one of our WebSocket contacts that another instance sharing the store inserted first
 * (`local-delivery.ts`: the event once per process, the push only by the inserting instance).
 */
import { serializeEntry } from '../../journal/serialize.js';
import type { NewJournalEntry } from '../../journal/types.js';
import { isStorageEnabled } from '../accounts.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { firstLocally, isContactCopy } from '../local-delivery.js';
import { announceEntry } from '../operations.js';
import type { ParsedMessage } from '../parse.js';
import { PUSHED_CONTENT_TYPES } from '../push-hook.js';

/** Content types that never get a sender copy (§5.6.1). */
const NO_SENDER_COPY = new Set(['application/im-iscomposing+xml', 'text/pgp-public-key', 'message/imdn+xml']);

export async function storeOrdinaryMessage(msg: ParsedMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const { store } = ctx;
  const wantSender = msg.fromSip && !NO_SENDER_COPY.has(msg.contentType);
  const [senderAccount, receiverAccount] = await Promise.all([
    wantSender ? isStorageEnabled(store, msg.fromAor) : Promise.resolve(false),
    isStorageEnabled(store, msg.toAor),
  ]);
  const entries: NewJournalEntry[] = [];
  const common = {
    contentType: msg.contentType,
    content: msg.content,
    messageId: msg.messageId,
    disposition: msg.disposition,
    msgTimestamp: msg.timestampDate,
  };
  if (senderAccount) entries.push({ ...common, account: msg.fromAor, contact: msg.toAor, direction: 'outgoing', state: 'accepted' });
  if (receiverAccount) entries.push({ ...common, account: msg.toAor, contact: msg.sender.uri, direction: 'incoming', state: 'received' });
  if (entries.length === 0) {
    ctx.log.debug({ from: msg.fromAor, to: msg.toAor, id: msg.messageId }, 'no storage-enabled account: message not stored');
    return OK;
  }
  const inserted = await store.addMany(entries);
  let senderInserted = false;
  let receiverInserted = false;
  entries.forEach((e, i) => {
    if (!inserted[i]) return;
    announceEntry(ctx, e);
    if (e.direction === 'outgoing') senderInserted = true;
    else receiverInserted = true;
  });
  if (senderInserted) {
    ctx.events.emit('sync-message-add', {
      account: msg.fromAor,
      content: {
        sylkrtc: 'account-message',
        transaction: '1',
        account: msg.fromAor,
        uri: msg.toAor,
        message_id: msg.messageId,
        content: msg.content,
        content_type: msg.contentType,
        timestamp: msg.timestamp,
        server_generated: true,
      },
    });
  }
  const noteToSelf = senderInserted && msg.toAor === msg.fromAor;
  // The live event once per process, also for a copy to one of our contacts that another instance
  // stored first (local-delivery.ts); the push only by whoever inserted it.
  if (receiverAccount && (receiverInserted || noteToSelf || isContactCopy(msg))) {
    const event = firstLocally(ctx.events, 'message', msg.toAor, msg.messageId);
    const push = receiverInserted || noteToSelf;
    if (event || push) deliver(msg, ctx, receiverInserted ? entries[entries.length - 1]! : null, { event, push });
    else ctx.log.debug({ to: msg.toAor, id: msg.messageId }, 'duplicate message id: not delivered again');
  } else if (receiverAccount) {
    ctx.log.debug({ to: msg.toAor, id: msg.messageId }, 'duplicate message id: not delivered again');
  }
  return OK;
}

/** The `message` event and the push of the receiver copy (each unless turned off in `what`). */
export function deliver(
  msg: ParsedMessage,
  ctx: MessagingContext,
  entry: NewJournalEntry | null,
  what: { event?: boolean; push?: boolean } = {},
): void {
  const event = {
    account: msg.toAor,
    sender: msg.sender,
    timestamp: msg.timestamp,
    disposition_notification: msg.disposition,
    message_id: msg.messageId,
    content_type: msg.contentType,
    content: msg.content,
    entry: entry ? serializeEntry({ ...entry, createdAt: entry.createdAt ?? ctx.now() }) : null,
  };
  if (what.event !== false) ctx.events.emit('message', event);
  if (what.push !== false && ctx.onIncomingMessage && PUSHED_CONTENT_TYPES.has(msg.contentType)) {
    const push = {
      account: msg.toAor,
      sender: msg.sender,
      message_id: msg.messageId,
      content_type: msg.contentType,
      content: msg.content,
      timestamp: msg.timestamp,
      disposition_notification: msg.disposition,
    };
    try {
      Promise.resolve(ctx.onIncomingMessage(push)).catch((err: unknown) => ctx.log.warn({ err, account: msg.toAor }, 'push failed'));
    } catch (err) {
      ctx.log.warn({ err, account: msg.toAor }, 'push failed');
    }
  }
}

export const messageHandler: ContentHandler = {
  name: 'message',
  contentTypes: [],
  handle: storeOrdinaryMessage,
};
