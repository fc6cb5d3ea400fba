/**
 * `text/pgp-private-key` — key replication between a user's own devices (`sip-messaging.md` §5.10):
 * a device sends its (password-encrypted) private key to its own AOR.
 *
 * Stored: as the latest private-key message of the To account (no journal entry; the id is recorded,
 * so a second copy is a duplicate and the id works as a sync cursor) — only when the sender is that
 * account (From AOR = To AOR): nobody else may plant a private key in someone's store.
 * Event: `message` to the To account's connections (once per id). No sender copy, no push, nothing sent.
 */
import { isStorageEnabled } from '../accounts.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import type { ParsedMessage } from '../parse.js';
import { deliver } from './message.js';

async function handle(msg: ParsedMessage, ctx: MessagingContext): Promise<HandlerResult> {
  if (msg.fromAor !== msg.toAor) return { status: 403, reason: 'Private keys may only be sent to oneself' };
  if (!(await isStorageEnabled(ctx.store, msg.toAor))) return OK;
  const fresh = await ctx.store.setPrivateKeyMessage({
    account: msg.toAor,
    messageId: msg.messageId,
    contact: msg.fromAor,
    direction: 'incoming',
    content: msg.content,
    msgTimestamp: msg.timestampDate,
  });
  if (fresh) deliver(msg, ctx, null);
  return OK;
}

export const pgpPrivateKeyHandler: ContentHandler = { name: 'pgp-private-key', contentTypes: ['text/pgp-private-key'], handle };
