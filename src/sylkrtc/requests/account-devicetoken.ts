/** `account-devicetoken` (`sylkrtc-websocket.md` §4.5): push parameters; `silent` optional (quirk 4), an empty token accepted and ignored. */
import { z } from 'zod';
import { parseDeviceTokenRequest } from '../../push/tokens.js';
import { RequestError } from '../errors.js';
import { aor, bound, storePushToken } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountDeviceToken = defineRequest({
  name: 'account-devicetoken',
  className: 'AccountDeviceTokenRequest',
  schema: z.object({
    ...base('account-devicetoken'),
    account: aor,
    token: z.string(),
    platform: z.string(),
    device: z.string(),
    silent: z.boolean().nullish(),
    app: z.string(),
  }),
  async handle(ctx, conn, req) {
    const b = bound(conn, req.account, 'token');
    const parsed = parseDeviceTokenRequest({ ...req, silent: req.silent ?? undefined });
    if (!parsed.ok) throw new RequestError(parsed.error);
    if (parsed.params === null) return; // empty token: accepted and ignored (§4.5)
    b.deviceToken = parsed.params;
    b.tokenStored = false;
    if (b.authenticated) await storePushToken(ctx, b);
  },
});
