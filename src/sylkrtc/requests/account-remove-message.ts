/** `account-remove-message` (`sylkrtc-websocket.md` §5.5). */
import { z } from 'zod';
import { aor, authenticated } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountRemoveMessage = defineRequest({
  name: 'account-remove-message',
  className: 'AccountRemoveMessageRequest',
  schema: z.object({ ...base('account-remove-message'), account: aor, message_id: z.string(), contact: aor }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    await ctx.service.removeMessage({ account: b.aor, origin: conn.id, contact: req.contact, message_id: req.message_id });
  },
});
