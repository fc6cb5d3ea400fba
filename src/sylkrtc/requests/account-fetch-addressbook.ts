/** `account-fetch-addressbook` (`sylkrtc-websocket.md` §11.1): answered by `addressbook-fetched` after the ack. */
import { z } from 'zod';
import { aor, authenticated } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountFetchAddressbook = defineRequest({
  name: 'account-fetch-addressbook',
  className: 'AccountFetchAddressbookRequest',
  schema: z.object({ ...base('account-fetch-addressbook'), account: aor }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    const addressbook = await ctx.addressBook.fetch(b.aor);
    return () => b.event('addressbook-fetched', { addressbook });
  },
});
