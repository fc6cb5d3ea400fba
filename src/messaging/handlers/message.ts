/**
 * Ordinary messages (`sip-messaging.md` §5.6, §5.11–§5.13): every content type no other module
 * claims — text/plain, text/html, application/sylk-file-transfer and the opaque application types.
 *
 * Stored: with a sender side (SIP `X-Sylk-From-Sip`: `accepted`; a WebSocket client's: `pending`) and
 * a type that gets a sender copy (content-type table), the sender copy in the From account (contact =
 * To AOR, `outgoing`); with a receiver side, the receiver copy in the To account (contact = sender AOR,
 * `incoming`, `received`); each only if that account is storage-enabled (an authenticated WS account
 * is), both in one transaction (`addMany`), a known id is skipped by the store (re-forks,
 * retransmissions). Journal entries are serialized once (`journal-appended` and `message` share it).
 * Events (after commit): `sync-message-add` to the sender (by `dispatch.ts`, from `senderStored`);
 * `message` to the receiver; push hook for the `pushed` rows of the table. Nothing is sent over SIP.
 * Unlike the original, the receiver's event is not emitted when the store refuses the write (it is
 * emitted only after commit), and a duplicate produces no second event — except a note to self,
 * whose only entry is the sender copy (`sylkrtc-websocket.md` §5.1 step 7), and a copy the proxy
 * forked to one of our WebSocket contacts that another instance sharing the store inserted first
 * (`local-delivery.ts`: the event once per process, the push only by the inserting instance).
 */
import { contentTypeRow } from '../../journal/content-types.js';
import { serializeEntry } from '../../journal/serialize.js';
import type { ClientEntry } from '../../journal/serialize.js';
import type { NewJournalEntry } from '../../journal/types.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { isContactCopy } from '../cluster/local-delivery.js';
import { announceEntry } from '../operations.js';
import type { InboundMessage } from '../inbound.js';

const STORED: HandlerResult = { status: 200, reason: 'OK', senderStored: true };
const NOT_STORED: HandlerResult = { status: 200, reason: 'OK', senderStored: false };

export async function storeOrdinaryMessage(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const { store } = ctx;
  const { from, to } = msg;
  const side = msg.senderSide;
  const wantSender = side !== null && contentTypeRow(msg.contentType).senderCopy;
  const wantReceiver = msg.receiverSide;
  // Both accounts cached (the usual case): answered synchronously, no promise.
  const now = Date.now();
  let senderAccount: boolean = wantSender ? side.accountKnown || (ctx.accounts.cached(store, from, now) ?? false) : false;
  let receiverAccount: boolean = wantReceiver ? ctx.accounts.cached(store, to, now) ?? false : false;
  if ((wantSender && !senderAccount) || (wantReceiver && !receiverAccount)) {
    [senderAccount, receiverAccount] = await Promise.all([
      wantSender && !senderAccount ? ctx.accounts.check(ctx.store, from) : senderAccount,
      receiverAccount || (wantReceiver && ctx.accounts.check(ctx.store, to)),
    ]);
  }
  // Literals of one shape (no spreads): cheaper to build and to hand to the store.
  const senderEntry: NewJournalEntry | null = senderAccount
    ? {
        account: from,
        contact: to,
        direction: 'outgoing',
        contentType: msg.contentType,
        content: msg.content,
        messageId: msg.messageId,
        disposition: msg.disposition,
        state: side!.state,
        msgTimestamp: msg.timestampDate,
      }
    : null;
  const receiverEntry: NewJournalEntry | null = receiverAccount
    ? {
        account: to,
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
    ctx.log.debug({ from, to, id: msg.messageId }, 'no storage-enabled account: message not stored');
    return NOT_STORED;
  }
  const inserted = await store.addMany(entries);
  const senderInserted = senderEntry !== null && !!inserted[0];
  const receiverInserted = receiverEntry !== null && !!inserted[entries.length - 1];
  if (senderInserted) announceEntry(ctx, senderEntry);
  const receiverJson = receiverInserted ? announceEntry(ctx, receiverEntry) : undefined;
  if (!wantReceiver) return senderInserted ? STORED : NOT_STORED;
  const noteToSelf = senderInserted && to === from;
  // The live event once per process, also for a copy to one of our contacts that another instance
  // stored first (local-delivery.ts); the push only by whoever inserted it.
  if (receiverAccount && (receiverInserted || noteToSelf || isContactCopy(msg))) {
    const event = ctx.announced.first('message', to, msg.messageId);
    const push = receiverInserted || noteToSelf;
    if (event || push) deliver(msg, ctx, receiverInserted ? receiverEntry : null, { event, push }, receiverJson);
    else ctx.log.debug({ to, id: msg.messageId }, 'duplicate message id: not delivered again');
  } else if (receiverAccount) {
    ctx.log.debug({ to, id: msg.messageId }, 'duplicate message id: not delivered again');
  }
  return senderInserted ? STORED : NOT_STORED;
}

/**
 * The `message` event and the push of the receiver copy (each unless turned off in `what`). The event
 * is built only when someone listens (emitting to nobody is a no-op); `json` is the entry's client
 * form when the caller has it already (serialized once per message).
 */
export function deliver(
  msg: InboundMessage,
  ctx: MessagingContext,
  entry: NewJournalEntry | null,
  what: { event?: boolean; push?: boolean } = {},
  json?: ClientEntry | null,
): void {
  if (what.event !== false && ctx.events.listenerCount('message') > 0) {
    ctx.events.emit('message', {
      account: msg.to,
      sender: msg.sender,
      timestamp: msg.timestamp,
      disposition_notification: msg.disposition,
      message_id: msg.messageId,
      content_type: msg.contentType,
      content: msg.content,
      entry: entry ? (json !== undefined ? json : serializeEntry(entry)) : null,
    });
  }
  if (what.push !== false && ctx.onIncomingMessage && contentTypeRow(msg.contentType).pushed) {
    const push = {
      account: msg.to,
      sender: msg.sender,
      message_id: msg.messageId,
      content_type: msg.contentType,
      content: msg.content,
      timestamp: msg.timestamp,
      disposition_notification: msg.disposition,
    };
    try {
      Promise.resolve(ctx.onIncomingMessage(push)).catch((err: unknown) => ctx.log.warn({ err, account: msg.to }, 'push failed'));
    } catch (err) {
      ctx.log.warn({ err, account: msg.to }, 'push failed');
    }
  }
}

export const messageHandler: ContentHandler = {
  name: 'message',
  handle: storeOrdinaryMessage,
  handleSent: storeOrdinaryMessage,
};
