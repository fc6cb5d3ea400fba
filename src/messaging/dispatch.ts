/**
 * The one dispatch every inbound message goes through (DESIGN.md decision 4; `sip-messaging.md` §5):
 * classify (its row in `journal/content-types.ts`) → the content-type module (`handlers/`) → journal
 * writes (inside the module, committed before it resolves) → events. The SIP ingress
 * (`sip-ingress/`), the WebSocket service (`service/`) and any new source (a file upload, a server
 * notice, a registered SIP device) build an `InboundMessage` and call the same `Dispatch`.
 *
 * Rules owned here, the same for every source and type:
 * - a message with a receiver side goes to the module's `handle`; one with only a sender side to its
 *   `handleSent` (absent: nothing recorded);
 * - after the module succeeded, the sender's other devices get `sync-message-add` when the type syncs
 *   to the sender and the source asks for it (`always`) or the sender copy was inserted.
 * A store failure rejects; the caller answers it (SIP 503, WS `unavailable`).
 */
import { mediaTypeRow, type ContentHandlerName, type ContentTypeRow } from '../journal/content-types.js';
import type { HandlerResult, MessagingContext } from './context.js';
import { OK } from './context.js';
import { HandlerRegistry } from './handlers/index.js';
import { sentMessageContent, type InboundMessage } from './inbound.js';

export interface DispatchResult extends HandlerResult {
  /** The module that handled it. */
  handler: ContentHandlerName;
  /** Its content type's row. */
  row: ContentTypeRow;
}

export interface Dispatch {
  (msg: InboundMessage): Promise<DispatchResult>;
  /** The module a content type goes to (for logs and metrics when the module failed). */
  handlerOf(contentType: string): ContentHandlerName;
}

export interface DispatchOptions {
  /** Content-type modules to leave out (by name): their types are ordinary messages then. */
  disabledHandlers?: readonly string[];
}

export function createDispatch(ctx: MessagingContext, options: DispatchOptions = {}): Dispatch {
  const handlers = new HandlerRegistry(options.disabledHandlers ?? []);
  const dispatch = async (msg: InboundMessage): Promise<DispatchResult> => {
    const row = mediaTypeRow(msg.contentType);
    const handler = handlers.get(row.handler);
    let result: HandlerResult;
    if (msg.receiverSide) result = await handler.handle(msg, ctx);
    else if (handler.handleSent) result = await handler.handleSent(msg, ctx);
    else result = OK;
    const side = msg.senderSide;
    if (side && row.syncToSender && result.status < 300 && (side.announce === 'always' || result.senderStored === true)) {
      if (ctx.events.listenerCount('sync-message-add') > 0) {
        ctx.events.emit('sync-message-add', {
          account: msg.from,
          content: sentMessageContent(msg, side),
          ...(side.origin !== undefined ? { origin: side.origin } : {}),
        });
      }
    }
    const out: DispatchResult = { status: result.status, handler: handler.name, row };
    if (result.reason !== undefined) out.reason = result.reason;
    if (result.senderStored !== undefined) out.senderStored = result.senderStored;
    return out;
  };
  return Object.assign(dispatch, { handlerOf: (contentType: string) => handlers.get(mediaTypeRow(contentType).handler).name });
}
