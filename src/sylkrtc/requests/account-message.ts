/** `account-message` (`sylkrtc-websocket.md` §5.1): a message sent by the client, handed to the messaging service. */
import { z } from 'zod';
import { credentialsFor } from '../auth.js';
import { Errors, RequestError } from '../errors.js';
import { MAX_CONTENT_BYTES } from '../protocol.js';
import { aor, authenticated, checkTimestamp } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountMessage = defineRequest({
  name: 'account-message',
  className: 'AccountMessageRequest',
  schema: z.object({
    ...base('account-message'),
    account: aor,
    uri: aor,
    message_id: z.string().min(1),
    content: z.string(),
    content_type: z.string().min(1),
    timestamp: z.string(),
    server_generated: z.boolean().nullish(),
  }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    checkTimestamp('timestamp', req.timestamp);
    if (Buffer.byteLength(req.content, 'utf8') > MAX_CONTENT_BYTES) throw new RequestError(Errors.contentTooLarge);
    await ctx.service.sendMessage({
      account: b.aor,
      origin: conn.id,
      transaction: req.transaction,
      uri: req.uri,
      message_id: req.message_id,
      content: req.content,
      content_type: req.content_type,
      timestamp: req.timestamp,
      displayName: b.displayName,
      credentials: credentialsFor(b.aor, b.password),
    });
  },
});
