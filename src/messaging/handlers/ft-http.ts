/**
 * RCS FT-HTTP documents (`application/vnd.gsma.rcs-ft-http+xml`; `sip-messaging.md` §4.4): converted
 * into an `application/sylk-file-transfer` message whose content is the JSON descriptor (filename,
 * filesize, sender, receiver, transfer_id = message id, timestamp = now, until = now +
 * `filetransfer_expire_days`, url = the document's download URL, filetype), then handled exactly as
 * an ordinary message (`message.ts`: stored in both journals, events, push). An invalid document is
 * answered 400 with the reason (the original drops it).
 */
import { CONTENT_TYPES } from '../../journal/types.js';
import { nowTimestamp } from '../../payload/datetime.js';
import { FtHttpError, parseFtHttp } from '../../payload/ft-http.js';
import type { ContentHandler, HandlerResult, MessagingContext } from '../context.js';
import { descriptorJson } from '../file-transfer.js';
import type { InboundMessage } from '../inbound.js';
import { storeOrdinaryMessage } from './message.js';

async function handle(msg: InboundMessage, ctx: MessagingContext): Promise<HandlerResult> {
  let file;
  try {
    file = parseFtHttp(msg.content);
  } catch (err) {
    return { status: 400, reason: `Invalid FT-HTTP document: ${(err as FtHttpError).message}` };
  }
  const now = ctx.now();
  const until = new Date(now.getTime() + ctx.fileTransferExpireDays * 86_400_000);
  const descriptor = {
    filename: file.name,
    filesize: file.size,
    sender: { uri: msg.sender.uri, display_name: '' },
    receiver: { uri: msg.to, display_name: '' },
    transfer_id: msg.messageId,
    timestamp: nowTimestamp(now),
    until: nowTimestamp(until),
    url: file.url,
    filetype: file.contentType,
  };
  return storeOrdinaryMessage({ ...msg, contentType: CONTENT_TYPES.fileTransfer, content: descriptorJson(descriptor) }, ctx);
}

export const ftHttpHandler: ContentHandler = { name: 'ft-http', handle };
