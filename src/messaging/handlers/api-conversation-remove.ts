/**
 * `application/sylk-api-conversation-remove` (`sip-messaging.md` §5.5): requester A = SIP From AOR,
 * content JSON `{"contact": ..., "timestamp"?: ...}` (invalid → 400 with the reason).
 * Only if A is storage-enabled. Stored (one transaction): every entry of A with that contact deleted
 * — what the WS request removes, the spec's recommendation (the original's SIP path only appends the
 * marker, quirk 4) — and an `application/sylk-conversation-remove` marker with the given timestamp or
 * now. Event: `sync-conversation-remove` to all of A's connections. Sent: MESSAGE From = To = A's SIP
 * From URI, `application/sylk-conversation-remove`, `{"contact", "timestamp"}`, `X-Sylk-To-Sip: yes`
 * (also the sync of A's connections on other instances, `sync-relay.ts`).
 */
import { parseTimestamp } from '../../payload/datetime.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { pyJson } from '../json.js';
import { removeConversation } from '../operations.js';
import { fromUriOf, type InboundMessage } from '../inbound.js';
import { sendSyncNotice } from '../cluster/sync-relay.js';
import { contactFromJson } from './api-conversation-read.js';

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const parsed = contactFromJson(msg.content);
  if (typeof parsed === 'string') return { status: 400, reason: parsed };
  let at = ctx.now();
  const ts = parsed.body.timestamp;
  if (ts !== undefined && ts !== null) {
    const p = typeof ts === 'string' ? parseTimestamp(ts) : null;
    if (!p) return { status: 400, reason: 'Invalid timestamp' };
    at = p.date;
  }
  const account = msg.from;
  if (!(await ctx.accounts.check(ctx.store, account))) return OK;
  const { timestamp } = await removeConversation(ctx, account, parsed.contact, at);
  const self = `<${fromUriOf(msg)}>`;
  sendSyncNotice(ctx, account, {
    to: self,
    from: self,
    contentType: 'application/sylk-conversation-remove',
    body: pyJson({ contact: parsed.contact, timestamp }),
  });
  return OK;
}

export const apiConversationRemoveHandler: ContentHandler = {
  name: 'api-conversation-remove',
  handle,
};
