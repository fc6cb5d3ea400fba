/** `account-remove-conversation` (`sylkrtc-websocket.md` §5.6). */
import { z } from 'zod';
import { aor, authenticated } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountRemoveConversation = defineRequest({
  name: 'account-remove-conversation',
  className: 'AccountRemoveConversationRequest',
  schema: z.object({ ...base('account-remove-conversation'), account: aor, contact: aor }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    await ctx.service.removeConversation({ account: b.aor, origin: conn.id, contact: req.contact });
  },
});
