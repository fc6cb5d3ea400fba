/** `account-unregister` (`sylkrtc-websocket.md` §4.4): drops the registration and the push token; the binding stays authenticated (quirk 3). */
import { z } from 'zod';
import { aor, bound } from './fields.js';
import { base, defineRequest } from './types.js';

export const accountUnregister = defineRequest({
  name: 'account-unregister',
  className: 'AccountUnregisterRequest',
  schema: z.object({ ...base('account-unregister'), account: aor }),
  async handle(ctx, conn, req) {
    const b = bound(conn, req.account, 'unregister');
    b.generation++;
    b.lastState = null;
    const s = b.session;
    b.session = null;
    if (s) void s.stop();
    if (b.deviceToken && b.tokenStored) {
      await ctx.store.removePushToken(b.aor, b.deviceToken.appId, b.deviceToken.deviceId);
      b.tokenStored = false;
    }
  },
});
