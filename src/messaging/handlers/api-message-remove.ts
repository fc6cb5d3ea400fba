/**
 * `application/sylk-api-message-remove` (`sip-messaging.md` §5.3): requester A = SIP From AOR,
 * contact C = SIP To AOR, the whole content (trimmed) is the message id M.
 * Stored: M removed from A's journal (a file transfer's directory too); if nothing was removed, stop
 * (as the original). Otherwise an `outgoing` `application/sylk-message-remove` marker in A; and — only
 * if C's copy of M is `incoming` from A (only the sender of a message may remove the recipient's copy;
 * the original matches id and direction only) — C's copy removed and an `incoming` marker in C.
 * Events: `sync-message-remove` to A (`outgoing`) and to C (`incoming`). Sent: MESSAGE to A's SIP From
 * URI, From = the request's To URI, `application/sylk-message-remove`, the marker JSON,
 * `X-Sylk-To-Sip: yes` (C's devices got the request itself from the proxy; A's connections on other
 * instances get their sync from it, `sync-relay.ts`).
 */
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { pyJson } from '../json.js';
import { removeMessage } from '../operations.js';
import { fromUriOf, toUriOf, type InboundMessage } from '../inbound.js';
import { sendSyncNotice } from '../cluster/sync-relay.js';

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const messageId = msg.content.trim();
  if (messageId === '' || messageId.length > 256 || /[\r\n]/.test(messageId)) return { status: 400, reason: 'Invalid message id' };
  const account = msg.from;
  const contact = msg.to;
  const outcome = await removeMessage(ctx, { account, contact, messageId, requireExisting: true });
  if (outcome.proceeded) {
    sendSyncNotice(ctx, account, {
      to: `<${fromUriOf(msg)}>`,
      from: `<${toUriOf(msg)}>`,
      contentType: 'application/sylk-message-remove',
      body: pyJson({ contact, message_id: messageId, direction: 'outgoing' }),
    });
  }
  return OK;
}

export const apiMessageRemoveHandler: ContentHandler = {
  name: 'api-message-remove',
  handle,
};
