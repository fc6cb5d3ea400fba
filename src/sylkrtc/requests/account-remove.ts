/** `account-remove` (`sylkrtc-websocket.md` §4.2): unbinds the account and ends its registration. */
import { z } from 'zod';
import { aor, bound } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountRemove = defineRequest({
  name: 'account-remove',
  className: 'AccountRemoveRequest',
  schema: z.object({ ...base('account-remove'), account: aor }),
  async handle(_ctx, conn, req) {
    const b = bound(conn, req.account, 'remove');
    conn.bindings.delete(req.account);
    void conn.dropBinding(b);
  },
});
