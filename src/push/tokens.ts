/**
 * Where push tokens come from: the sylkRTC `account-devicetoken` request (`sylkrtc-websocket.md` §4.5)
 * and push parameters on a SIP Contact (`pn-*` as Janus writes them, `push.md` §1, or the RFC 8599
 * `pn-provider`/`pn-prid`/`pn-param` triple). Pure functions only: the WebSocket and SIP layers call
 * them and hand the resulting record to the journal store.
 *
 * iOS split (`push.md` §1.1): for platform exactly `ios`, a token containing `-` is split at the
 * **first** `-` into the VoIP token and the background token. The original unpacks `token.split('-')`
 * into two names, which raises for a token with two or more dashes so the registration is lost; we
 * split once and keep everything after the first dash as the background token.
 */
import { z } from 'zod';
import type { PushToken } from '../journal/types.js';

/** The push parameters of one binding (what the original keeps as `pn_*` contact parameters). */
export interface DeviceTokenParams {
  appId: string;
  deviceId: string;
  platform: string;
  /** The token as the client sent it (before the iOS split). */
  token: string;
  silent: boolean;
}

const deviceTokenSchema = z.object({
  token: z.string(),
  platform: z.string().min(1),
  device: z.string().min(1),
  // Quirk 4 of sylkrtc-websocket.md §15: mandatory in the original; optional, default false here.
  silent: z.boolean().optional().default(false),
  app: z.string().min(1),
});

export type DeviceTokenParseResult =
  | { ok: true; params: DeviceTokenParams }
  /** The request is valid but carries an empty token: acknowledge and ignore it (§4.5). */
  | { ok: true; params: null }
  | { ok: false; error: string };

/**
 * Validate the push fields of an `account-devicetoken` request (the whole request object may be
 * passed; other members are ignored).
 */
export function parseDeviceTokenRequest(payload: unknown): DeviceTokenParseResult {
  const r = deviceTokenSchema.safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, error: issue ? `${issue.path.join('.') || 'request'}: ${issue.message}` : 'invalid request' };
  }
  const { token, platform, device, silent, app } = r.data;
  if (token.trim() === '') return { ok: true, params: null };
  return { ok: true, params: { appId: app, deviceId: device, platform, token, silent } };
}

/** `push.md` §1.1: `[token, backgroundToken]`. */
export function splitIosToken(platform: string, token: string): [string, string | null] {
  if (platform !== 'ios') return [token, null];
  const dash = token.indexOf('-');
  if (dash < 0) return [token, null];
  const voip = token.slice(0, dash);
  const background = token.slice(dash + 1);
  if (voip === '') return [background, null];
  return [voip, background === '' ? null : background];
}

/** The store record for these parameters (`push.md` §2); the store replaces any record with the same key. */
export function pushTokenRecord(account: string, params: DeviceTokenParams, userAgent: string | null): PushToken {
  const [token, backgroundToken] = splitIosToken(params.platform, params.token);
  return {
    account,
    appId: params.appId,
    deviceId: params.deviceId,
    platform: params.platform,
    token,
    backgroundToken,
    silent: params.silent,
    userAgent,
  };
}

/** The Contact URI parameters Janus adds to the REGISTER for this binding (`push.md` §1 step 2). */
export function contactPushParams(params: DeviceTokenParams): Record<string, string> {
  return {
    'pn-app': params.appId,
    'pn-tok': params.token,
    'pn-type': params.platform,
    'pn-device': params.deviceId,
    'pn-silent': params.silent ? '1' : '0',
  };
}

type ParamSource = Record<string, string | null | undefined> | ReadonlyMap<string, string | null | undefined> | Iterable<readonly [string, string | null | undefined]>;

function normalizeParams(source: ParamSource): Map<string, string> {
  const out = new Map<string, string>();
  const entries: Iterable<readonly [string, string | null | undefined]> =
    source instanceof Map || Symbol.iterator in (source as object)
      ? (source as Iterable<readonly [string, string | null | undefined]>)
      : Object.entries(source as Record<string, string | null | undefined>);
  for (const [rawName, rawValue] of entries) {
    const name = rawName.toLowerCase().replace(/_/g, '-');
    if (!name.startsWith('pn-') || rawValue === null || rawValue === undefined) continue;
    let value = rawValue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not valid percent-encoding: keep the raw text.
    }
    out.set(name, value);
  }
  return out;
}

/**
 * Push parameters from a SIP Contact URI's parameters (names case-insensitive, `pn_` or `pn-`,
 * percent-encoding decoded). Understands the Sylk set (`pn-app`, `pn-tok`, `pn-type`, `pn-device`,
 * `pn-silent`) and RFC 8599 (`pn-provider` `apns`/`fcm`, `pn-prid`, `pn-param`). Returns null when the
 * contact carries no usable push parameters.
 */
export function parseContactPushParams(source: ParamSource): DeviceTokenParams | null {
  const p = normalizeParams(source);
  const silent = p.get('pn-silent') === '1' || p.get('pn-silent')?.toLowerCase() === 'true';
  const tok = p.get('pn-tok');
  if (tok) {
    const appId = p.get('pn-app');
    const platform = p.get('pn-type');
    const deviceId = p.get('pn-device');
    if (!appId || !platform || !deviceId) return null;
    return { appId, deviceId, platform, token: tok, silent };
  }
  // RFC 8599 §4: pn-provider, pn-prid, pn-param.
  const provider = p.get('pn-provider')?.toLowerCase();
  const prid = p.get('pn-prid');
  const param = p.get('pn-param');
  if (!provider || !prid || !param) return null;
  if (provider === 'apns') {
    // pn-param = "<Team ID>.<Topic>", the topic being the bundle id, possibly with `.voip`.
    const dot = param.indexOf('.');
    if (dot < 0) return null;
    const appId = param.slice(dot + 1).replace(/\.voip$/, '');
    if (!appId) return null;
    return { appId, deviceId: p.get('pn-device') ?? prid, platform: 'apple', token: prid, silent };
  }
  if (provider === 'fcm') {
    // pn-param = the Firebase project (sender) id; the app id is not part of RFC 8599.
    return { appId: p.get('pn-app') ?? param, deviceId: p.get('pn-device') ?? prid, platform: 'firebase', token: prid, silent };
  }
  return null;
}
