/** `account-mark-conversation-read` (`sylkrtc-websocket.md` §5.4). */
import { z } from 'zod';
import { aor, authenticated } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountMarkConversationRead = defineRequest({
  name: 'account-mark-conversation-read',
  className: 'AccountMarkConversationReadRequest',
  schema: z.object({ ...base('account-mark-conversation-read'), account: aor, contact: aor }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    await ctx.service.markConversationRead({ account: b.aor, origin: conn.id, contact: req.contact });
  },
});
