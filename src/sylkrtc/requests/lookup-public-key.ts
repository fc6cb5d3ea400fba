/** `lookup-public-key` (`sylkrtc-websocket.md` §3.2): answered by a `lookup-public-key-event` after the ack. */
import { z } from 'zod';
import { aor } from './fields.js';
import { base, defineRequest } from './types.js';

export const lookupPublicKey = defineRequest({
  name: 'lookup-public-key',
  className: 'LookupPublicKeyRequest',
  schema: z.object({ ...base('lookup-public-key'), uri: aor }),
  async handle(ctx, conn, req) {
    const key = await ctx.service.lookupPublicKey(req.uri);
    return () => conn.send({ sylkrtc: 'lookup-public-key-event', uri: req.uri, public_key: key });
  },
});
