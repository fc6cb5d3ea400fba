/**
 * `application/sylk-api-pgp-key-lookup` (`sip-messaging.md` §5.2): the key of the SIP To AOR K.
 * Stored: nothing. Sent, if a key is known: MESSAGE to the requester's SIP From URI, From = the
 * request's To URI, `text/pgp-public-key`, body the armored key, `X-Sylk-To-Sip: yes`. No event.
 */
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import { fromUriOf, toUriOf, type InboundMessage } from '../inbound.js';

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const key = await ctx.store.getPublicKey(msg.to);
  if (key) {
    void ctx.outbound.notice({ to: `<${fromUriOf(msg)}>`, from: `<${toUriOf(msg)}>`, contentType: 'text/pgp-public-key', body: key.key });
  }
  return OK;
}

export const apiPgpKeyLookupHandler: ContentHandler = {
  name: 'api-pgp-key-lookup',
  handle,
};
