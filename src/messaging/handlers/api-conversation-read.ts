/**
 * `application/sylk-api-conversation-read` (`sip-messaging.md` §5.4): requester A = SIP From AOR,
 * content JSON `{"contact": ...}` (invalid JSON, missing or invalid contact → 400 with the reason; the
 * original drops it silently; the contact is normalised to `user@host`, quirk 10 fixed).
 * Only if A is storage-enabled. Stored (one transaction): dispositions of every entry with the contact
 * cleared, earlier read markers dropped, a new `application/sylk-conversation-read` marker (the same
 * operation as the WS request). Event: `sync-conversation-read` to all of A's connections. Sent:
 * MESSAGE From = To = A's SIP From URI, `application/sylk-conversation-read`, `{"contact": C}`,
 * `X-Sylk-To-Sip: yes` (also the sync of A's connections on other instances, `sync-relay.ts`).
 */
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { normalizeAor } from '../identity.js';
import { pyJson } from '../json.js';
import { readConversation } from '../operations.js';
import { fromUriOf, type InboundMessage } from '../inbound.js';
import { sendSyncNotice } from '../cluster/sync-relay.js';

/** Parse `{"contact": "..."[, ...]}` and normalise the contact; a string reason when refused. */
export function contactFromJson(content: string): { contact: string; body: Record<string, unknown> } | string {
  let body: unknown;
  try {
    body = JSON.parse(content);
  } catch {
    return 'Content is not JSON';
  }
  if (typeof body !== 'object' || body === null || typeof (body as { contact?: unknown }).contact !== 'string') return 'Missing contact';
  const contact = normalizeAor((body as { contact: string }).contact);
  if (!contact || !contact.includes('@')) return 'Invalid contact';
  return { contact, body: body as Record<string, unknown> };
}

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const parsed = contactFromJson(msg.content);
  if (typeof parsed === 'string') return { status: 400, reason: parsed };
  const account = msg.from;
  if (!(await ctx.accounts.check(ctx.store, account))) return OK;
  await readConversation(ctx, account, parsed.contact);
  const self = `<${fromUriOf(msg)}>`;
  sendSyncNotice(ctx, account, { to: self, from: self, contentType: 'application/sylk-conversation-read', body: pyJson({ contact: parsed.contact }) });
  return OK;
}

export const apiConversationReadHandler: ContentHandler = {
  name: 'api-conversation-read',
  handle,
};
