/**
 * Field types and checks shared by the request modules (`sylkrtc-websocket.md` §1.12, §2): AOR
 * fields normalised (§2.1) and rejected with "invalid SIP URI: VALUE"; optional means absent or
 * null; unique string arrays de-duplicated; ISO 8601 instants (§2.3); and the binding guards of
 * Appendix A ("Unknown account specified ...", "Account not authenticated").
 */
import { z } from 'zod';
import { parseTimestamp } from '../../payload/datetime.js';
import { pushTokenRecord } from '../../push/tokens.js';
import { normalizeWireAor } from '../../util/aor.js';
import type { Binding } from '../binding.js';
import type { SylkRtcContext } from '../context.js';
import { Errors, RequestError } from '../errors.js';
import type { RegistrationState } from '../protocol.js';
import type { RequestConnection } from './types.js';

export const aor = z.string().transform((value, ctx) => {
  const n = normalizeWireAor(value);
  if (n === null) {
    ctx.addIssue({ code: 'custom', message: `invalid SIP URI: ${value}` });
    return z.NEVER;
  }
  return n;
});

export const optionalString = z.string().nullish();

export const uniqueStrings = z.array(z.string()).transform((list) => [...new Set(list)]);

/** Parse an ISO 8601 instant as clients and the original emit it (§2.3); null when it is not one. */
export function parseIsoInstant(value: string): Date | null {
  return parseTimestamp(value)?.date ?? null;
}

export function checkTimestamp(field: string, value: string): void {
  if (parseIsoInstant(value) === null) throw new RequestError(Errors.invalidValue(field, value));
}

/** The binding of `aor` on this connection, or "Unknown account specified ...". */
export function bound(conn: RequestConnection, aor: string, what?: 'remove' | 'register' | 'unregister' | 'token'): Binding {
  const b = conn.bindings.get(aor);
  if (!b) throw new RequestError(Errors.unknownAccount(aor, what));
  return b;
}

/** The authenticated binding of `aor`, or the Appendix A refusal. */
export function authenticated(conn: RequestConnection, aor: string): Binding {
  const b = bound(conn, aor);
  if (!b.authenticated) throw new RequestError(Errors.notAuthenticated);
  return b;
}

/** Send `registration-state` unless it repeats the last one (§6.1; `failed` always goes out). */
export function sendState(b: Binding, state: RegistrationState, reason?: string): void {
  if (b.lastState === state && state !== 'failed') return;
  b.lastState = state;
  b.event('registration-state', reason === undefined ? { state } : { state, reason });
}

/** Store the binding's pending push token (§4.5). */
export async function storePushToken(ctx: SylkRtcContext, b: Binding): Promise<void> {
  if (!b.deviceToken) return;
  await ctx.store.addPushToken(pushTokenRecord(b.aor, b.deviceToken, b.userAgent));
  b.tokenStored = true;
}
