/** `account-disposition-notification` (`sylkrtc-websocket.md` §5.2): an IMDN the client sends. */
import { z } from 'zod';
import { credentialsFor } from '../auth.js';
import { aor, authenticated, checkTimestamp } from './fields.js';
import { base, defineRequest } from './types.js';

export const DISPOSITION_REQUEST_STATES = ['delivered', 'failed', 'displayed', 'forbidden', 'error'] as const;

export const accountDispositionNotification = defineRequest({
  name: 'account-disposition-notification',
  className: 'AccountDispositionNotificationRequest',
  schema: z.object({
    ...base('account-disposition-notification'),
    account: aor,
    uri: aor,
    message_id: z.string(),
    state: z.enum(DISPOSITION_REQUEST_STATES),
    timestamp: z.string(),
  }),
  async handle(ctx, conn, req) {
    const b = authenticated(conn, req.account);
    checkTimestamp('timestamp', req.timestamp);
    await ctx.service.sendDispositionNotification({
      account: b.aor,
      origin: conn.id,
      uri: req.uri,
      message_id: req.message_id,
      state: req.state,
      timestamp: req.timestamp,
      displayName: b.displayName,
      credentials: credentialsFor(b.aor, b.password),
    });
  },
});
