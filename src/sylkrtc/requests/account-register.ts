/**
 * `account-register` (`sylkrtc-websocket.md` §4.3): starts the account's authentication session
 * after the ack and reports `registration-state` events. The first success records the login and
 * stores the pending push token; a repeated register starts from scratch.
 */
import { z } from 'zod';
import { logger } from '../../util/logger.js';
import type { AuthEvent } from '../auth.js';
import type { Binding } from '../binding.js';
import type { SylkRtcContext } from '../context.js';
import { aor, bound, sendState, storePushToken } from './fields.js';
import { base, defineRequest } from './types.js';

const log = logger.child({ module: 'sylkrtc.handlers' });

/** Result of the authenticator for the session of generation `gen` (older sessions are ignored). */
async function onAuthEvent(ctx: SylkRtcContext, b: Binding, gen: number, ev: AuthEvent): Promise<void> {
  if (gen !== b.generation || b.connection.closed) return;
  if (ev.state === 'failed') {
    sendState(b, 'failed', ev.reason);
    return;
  }
  if (!b.authenticated) {
    // §4.3: the first success creates the account record ...
    try {
      await ctx.service.recordLogin(b.aor);
    } catch (err) {
      log.error({ err, aor: b.aor }, 'recording the login failed');
    }
  }
  // ... and stores the pending push token (again after an `account-unregister` removed it).
  if (b.deviceToken && !b.tokenStored) {
    try {
      await storePushToken(ctx, b);
    } catch (err) {
      log.error({ err, aor: b.aor }, 'storing the push token failed');
    }
  }
  if (gen !== b.generation || b.connection.closed) return;
  if (!b.authenticated) {
    b.authenticated = true;
    ctx.registry.add(b);
  }
  sendState(b, 'registered');
}

export const accountRegister = defineRequest({
  name: 'account-register',
  className: 'AccountRegisterRequest',
  schema: z.object({ ...base('account-register'), account: aor }),
  async handle(ctx, conn, req) {
    const b = bound(conn, req.account, 'register');
    return () => {
      // A repeated register starts from scratch and reports registering/registered again (§4.3).
      b.lastState = null;
      sendState(b, 'registering');
      const gen = ++b.generation;
      const old = b.session;
      b.session = null;
      void (async () => {
        if (old) await old.stop({ keepBinding: true });
        if (gen !== b.generation || conn.closed) return;
        b.session = ctx.authenticator.start(
          { aor: b.aor, password: b.password, displayName: b.displayName, userAgent: b.userAgent, connectionId: conn.id, remoteAddress: conn.remoteAddress },
          (ev) => void onAuthEvent(ctx, b, gen, ev),
        );
      })();
    };
  },
});
