/**
 * `application/sylk-api-token` — HTTP journal access token (`sip-messaging.md` §5.1).
 *
 * Stored: account record of the SIP From AOR A (created if absent, `last_login` = now), then a new
 * token (32 random bytes, URL-safe base64, 43 chars) replacing the previous one, valid 31 days for
 * every engine (quirk 7 fixed). Both committed before the 200.
 * Sent: MESSAGE to the SIP From URI, From `sip:sylkserver@<local_ip>`, `application/sylk-api-token`,
 * `X-Sylk-To-Sip: yes`, body `{"token": ..., "url": "<web base URL>/webrtcgateway/messages/history/<A>"}`.
 * No event.
 */
import { randomBytes } from 'node:crypto';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { pyJson } from '../json.js';
import { fromUriOf, type InboundMessage } from '../inbound.js';

export const API_TOKEN_CONTENT_TYPE = 'application/sylk-api-token';

export function newApiToken(): string {
  return randomBytes(32).toString('base64url');
}

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const account = msg.from;
  const now = ctx.now();
  await ctx.store.addAccount(account, now);
  const token = newApiToken();
  if (!(await ctx.store.setApiToken(account, token, new Date(now.getTime() + ctx.apiTokenTtlMs)))) {
    throw new Error(`token not stored for ${account}`);
  }
  const url = `${ctx.webBaseUrl()}/webrtcgateway/messages/history/${account}`;
  void ctx.outbound.notice({
    to: `<${fromUriOf(msg)}>`,
    contentType: API_TOKEN_CONTENT_TYPE,
    body: pyJson({ token, url }),
  });
  return OK;
}

export const apiTokenHandler: ContentHandler = { name: 'api-token', handle };
