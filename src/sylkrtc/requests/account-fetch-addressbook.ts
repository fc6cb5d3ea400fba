/** `account-fetch-addressbook` (`sylkrtc-websocket.md` §11.1): answered by `addressbook-fetched` after the ack. */
import { z } from 'zod';
import { AddressBookError } from '../addressbook.js';
import { RequestError } from '../errors.js';
import type { AddressBook } from '../protocol.js';
import { aor, authenticated } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountFetchAddressbook = defineRequest({
  name: 'account-fetch-addressbook',
  className: 'AccountFetchAddressbookRequest',
  schema: z.object({ ...base('account-fetch-addressbook'), account: aor }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    let addressbook: AddressBook;
    try {
      addressbook = await ctx.addressBook.fetch(b.aor);
    } catch (err) {
      // A book over the size limit (one 1 MiB frame, §1.7) is refused rather than sent.
      if (err instanceof AddressBookError) throw new RequestError(err.message);
      throw err;
    }
    return () => b.event('addressbook-fetched', { addressbook });
  },
});
