/**
 * `text/pgp-private-key` — key replication between a user's own devices (`sip-messaging.md` §5.10):
 * a device sends its (password-encrypted) private key to its own AOR.
 *
 * Stored: as the latest private-key message of the To account (no journal entry; the id is recorded,
 * so a second copy is a duplicate and the id works as a sync cursor) — only when the sender is that
 * account (From AOR = To AOR): nobody else may plant a private key in someone's store.
 * Event: `message` to the To account's connections (once per id). No sender copy, no push, nothing sent.
 */
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import type { InboundMessage } from '../inbound.js';
import { deliver } from './message.js';

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  if (msg.from !== msg.to) return { status: 403, reason: 'Private keys may only be sent to oneself' };
  if (!(await ctx.accounts.check(ctx.store, msg.to))) return OK;
  const fresh = await ctx.store.setPrivateKeyMessage({
    account: msg.to,
    messageId: msg.messageId,
    contact: msg.from,
    direction: 'incoming',
    content: msg.content,
    msgTimestamp: msg.timestampDate,
  });
  if (fresh) deliver(msg, ctx, null);
  return OK;
}

/**
 * Sent by a WebSocket client (sender side only): recorded as its latest private-key message
 * (`outgoing`, contact = the To AOR); the MESSAGE to its own AOR then reaches the receiver side above,
 * where the known id makes it a duplicate.
 */
async function handleSent(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  await ctx.store.setPrivateKeyMessage({
    account: msg.from,
    messageId: msg.messageId,
    contact: msg.to,
    direction: 'outgoing',
    content: msg.content,
    msgTimestamp: msg.timestampDate,
  });
  return OK;
}

export const pgpPrivateKeyHandler: ContentHandler = { name: 'pgp-private-key', handle, handleSent };
