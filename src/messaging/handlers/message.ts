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
import { cachedStorageEnabled, isStorageEnabled } from '../accounts.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { firstLocally, isContactCopy } from '../local-delivery.js';
import { announceEntry } from '../operations.js';
import type { ParsedMessage } from '../parse.js';
import { PUSHED_CONTENT_TYPES } from '../push-hook.js';

/** Content types that never get a sender copy (§5.6.1). */
const NO_SENDER_COPY = new Set(['application/im-iscomposing+xml', 'text/pgp-public-key', 'message/imdn+xml']);

export async function storeOrdinaryMessage(msg: ParsedMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const { store, events } = ctx;
  const { fromAor, toAor } = msg;
  const wantSender = msg.fromSip && !NO_SENDER_COPY.has(msg.contentType);
  // Both accounts cached (the usual case): answered synchronously, no promise.
  const now = Date.now();
  let senderAccount: boolean = wantSender ? cachedStorageEnabled(store, fromAor, now) ?? false : false;
  let receiverAccount: boolean = cachedStorageEnabled(store, toAor, now) ?? false;
  if ((wantSender && !senderAccount) || !receiverAccount) {
    [senderAccount, receiverAccount] = await Promise.all([
      wantSender && !senderAccount ? isStorageEnabled(store, fromAor) : senderAccount,
      receiverAccount || isStorageEnabled(store, toAor),
    ]);
  }
  // Literals of one shape (no spreads): cheaper to build and to hand to the store.
  const senderEntry: NewJournalEntry | null = senderAccount
    ? {
        account: fromAor,
        contact: toAor,
        direction: 'outgoing',
        contentType: msg.contentType,
        content: msg.content,
        messageId: msg.messageId,
        disposition: msg.disposition,
        state: 'accepted',
        msgTimestamp: msg.timestampDate,
      }
    : null;
  const receiverEntry: NewJournalEntry | null = receiverAccount
    ? {
        account: toAor,
        contact: msg.sender.uri,
        direction: 'incoming',
        contentType: msg.contentType,
        content: msg.content,
        messageId: msg.messageId,
        disposition: msg.disposition,
        state: 'received',
        msgTimestamp: msg.timestampDate,
      }
    : null;
  let entries: NewJournalEntry[];
  if (senderEntry && receiverEntry) entries = [senderEntry, receiverEntry];
  else if (senderEntry) entries = [senderEntry];
  else if (receiverEntry) entries = [receiverEntry];
  else {
    ctx.log.debug({ from: fromAor, to: toAor, id: msg.messageId }, 'no storage-enabled account: message not stored');
    return OK;
  }
  const inserted = await store.addMany(entries);
  const senderInserted = senderEntry !== null && !!inserted[0];
  const receiverInserted = receiverEntry !== null && !!inserted[entries.length - 1];
  if (senderInserted) announceEntry(ctx, senderEntry);
  if (receiverInserted) announceEntry(ctx, receiverEntry);
  if (senderInserted && events.listenerCount('sync-message-add') > 0) {
    events.emit('sync-message-add', {
      account: fromAor,
      content: {
        sylkrtc: 'account-message',
        transaction: '1',
        account: fromAor,
        uri: toAor,
        message_id: msg.messageId,
        content: msg.content,
        content_type: msg.contentType,
        timestamp: msg.timestamp,
        server_generated: true,
      },
    });
  }
  const noteToSelf = senderInserted && toAor === fromAor;
  // The live event once per process, also for a copy to one of our contacts that another instance
  // stored first (local-delivery.ts); the push only by whoever inserted it.
  if (receiverAccount && (receiverInserted || noteToSelf || isContactCopy(msg))) {
    const event = firstLocally(events, 'message', toAor, msg.messageId);
    const push = receiverInserted || noteToSelf;
    if (event || push) deliver(msg, ctx, receiverInserted ? receiverEntry : null, { event, push });
    else ctx.log.debug({ to: toAor, id: msg.messageId }, 'duplicate message id: not delivered again');
  } else if (receiverAccount) {
    ctx.log.debug({ to: toAor, id: msg.messageId }, 'duplicate message id: not delivered again');
  }
  return OK;
}

/**
 * The `message` event and the push of the receiver copy (each unless turned off in `what`). The event
 * is built only when someone listens (emitting to nobody is a no-op).
 */
export function deliver(
  msg: ParsedMessage,
  ctx: MessagingContext,
  entry: NewJournalEntry | null,
  what: { event?: boolean; push?: boolean } = {},
): void {
  if (what.event !== false && ctx.events.listenerCount('message') > 0) {
    ctx.events.emit('message', {
      account: msg.toAor,
      sender: msg.sender,
      timestamp: msg.timestamp,
      disposition_notification: msg.disposition,
      message_id: msg.messageId,
      content_type: msg.contentType,
      content: msg.content,
      entry: entry ? serializeEntry(entry) : null,
    });
  }
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
