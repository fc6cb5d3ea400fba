/** `account-add` (`sylkrtc-websocket.md` §4.1): binds an account to the connection (`sip_domains` checked). */
import { z } from 'zod';
import { splitAor } from '../../util/aor.js';
import { Binding } from '../binding.js';
import { domainAllowed } from '../context.js';
import { Errors, RequestError } from '../errors.js';
import { MAX_BINDINGS_PER_CONNECTION } from '../protocol.js';
import { aor, optionalString, uniqueStrings } from './fields.js';
import { base, defineRequest } from './types.js';

const lengthText = "the value's length must be between 1 and 9999 inclusive";

export const accountAdd = defineRequest({
  name: 'account-add',
  className: 'AccountAddRequest',
  schema: z.object({
    ...base('account-add'),
    account: aor,
    password: z.string().min(1, lengthText).max(9999, lengthText),
    display_name: optionalString,
    user_agent: optionalString,
    incoming_header_prefixes: uniqueStrings.nullish(),
  }),
  async handle(ctx, conn, req) {
    if (conn.bindings.has(req.account)) throw new RequestError(Errors.alreadyAdded(req.account));
    const { domain } = splitAor(req.account);
    if (!domainAllowed(ctx, domain)) throw new RequestError(Errors.domainNotAllowed(domain));
    if (conn.bindings.size >= MAX_BINDINGS_PER_CONNECTION) throw new RequestError(Errors.tooManyAccounts);
    conn.bindings.set(req.account, new Binding(conn, req.account, req.password, req.display_name ?? null, req.user_agent ?? null));
  },
});
