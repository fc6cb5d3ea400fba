/**
 * `application/im-iscomposing+xml` (RFC 3994; `sip-messaging.md` §5.8): nothing stored, no event, no
 * push, nothing sent — exact media-type match (the original's substring test is quirk 12). The
 * document is parsed only to log invalid ones; the answer is 200 either way, as the original.
 */
import { parseIsComposing } from '../../payload/iscomposing.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { OK } from '../context.js';
import type { InboundMessage } from '../inbound.js';

function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  try {
    parseIsComposing(msg.content);
  } catch (err) {
    ctx.log.debug({ err, from: msg.from }, 'invalid is-composing document ignored');
  }
  return Promise.resolve(OK);
}

export const isComposingHandler: ContentHandler = { name: 'iscomposing', handle };
