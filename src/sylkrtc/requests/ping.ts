/** `ping` (`sylkrtc-websocket.md` §3.1): the client's watchdog; the connection answers it on receipt. */
import { z } from 'zod';
import { base, defineRequest } from './types.js';

export const ping = defineRequest({
  name: 'ping',
  className: 'PingRequest',
  schema: z.object(base('ping')),
  handle: async () => undefined,
});
