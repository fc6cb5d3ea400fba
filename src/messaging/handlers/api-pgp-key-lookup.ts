/**
 * `application/sylk-api-pgp-key-lookup` (`sip-messaging.md` §5.2): the key of the SIP To AOR K.
 * Stored: nothing. Sent, if a key is known: MESSAGE to the requester's SIP From URI, From = the
 * request's To URI, `text/pgp-public-key`, body the armored key, `X-Sylk-To-Sip: yes`. No event.
 */
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import type { ParsedMessage } from '../parse.js';

async function handle(msg: ParsedMessage, ctx: MessagingContext): Promise<HandlerResult> {
  const key = await ctx.store.getPublicKey(msg.toAor);
  if (key) {
    void ctx.outbound.notice({ to: `<${msg.fromUri}>`, from: `<${msg.toUri}>`, contentType: 'text/pgp-public-key', body: key.key });
  }
  return OK;
}

export const apiPgpKeyLookupHandler: ContentHandler = {
  name: 'api-pgp-key-lookup',
  contentTypes: ['application/sylk-api-pgp-key-lookup'],
  handle,
};
