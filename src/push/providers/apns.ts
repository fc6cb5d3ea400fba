/**
 * Direct delivery to Apple Push Notification service over HTTP/2 (node:http2) with token-based
 * authentication: an ES256 JWT `{alg, kid}{iss: team id, iat}` signed with the `.p8` key, reused for
 * 50 minutes (Apple rejects tokens older than 60 and throttles renewals more often than every 20),
 * renewed early when APNs answers `403 ExpiredProviderToken`. One long-lived HTTP/2 session per
 * provider instance (= per key), re-opened after GOAWAY, a transport error or a request timeout.
 *
 * Request shape (Apple "Sending notification requests to APNs"):
 * - message, not silent: `apns-push-type: alert`, priority 10, topic = bundle id, visible alert + badge;
 * - message, silent: `background`, priority 5 (Apple requires 5), `content-available: 1`, no alert;
 * - conference invitation: `voip` to the VoIP token, topic `<bundle id>.voip`, priority 10,
 *   expiration 0 (a late ring is worse than none);
 * - messages expire after a day (`apns-expiration`), so a phone that is off gets the last one later.
 * Message pushes go to the background token of a split iOS record (`push.md` §1.1), else the token.
 *
 * Outcomes: 410 (`Unregistered`, `ExpiredToken`) and 400 `BadDeviceToken` → invalid token (purged);
 * 429 and 5xx → retry; everything else → failed (e.g. `DeviceTokenNotForTopic` is a configuration
 * error, so the token is kept).
 */
import { connect, constants, type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';
import type { KeyObject } from 'node:crypto';
import { signJwt } from '../jwt.js';
import { parseRetryAfter } from '../retry.js';
import type { Notification, PushProvider, PushToken, SendOutcome } from '../types.js';
import { alertText, fitPayload, notificationData } from './payload.js';

export const APNS_PRODUCTION = 'https://api.push.apple.com';
export const APNS_SANDBOX = 'https://api.sandbox.push.apple.com';

/** Renew the provider token after this long (Apple: valid ≤ 60 min, renew ≥ 20 min apart). */
export const APNS_TOKEN_LIFETIME_MS = 50 * 60 * 1000;

/** How long APNs keeps trying to deliver a message push. */
export const APNS_MESSAGE_EXPIRATION_S = 24 * 60 * 60;

export interface ApnsProviderOptions {
  key: KeyObject;
  keyId: string;
  teamId: string;
  /** Alert topic; null = the record's app id. */
  topic: string | null;
  /** `https://host[:port]`. */
  origin: string;
  requestTimeoutMs: number;
  /** Extra TLS options (tests: `ca`). */
  tls?: SecureClientSessionOptions;
  /** Clock in ms (tests). */
  now?: () => number;
}

export interface ApnsRequest {
  deviceToken: string;
  headers: Record<string, string>;
  body: string;
}

/** The HTTP/2 request for one record and notification (without `authorization`). */
export function buildApnsRequest(record: PushToken, n: Notification, topic: string, nowMs: number): ApnsRequest {
  if (n.event === 'incoming_conference_request') {
    return {
      deviceToken: record.token,
      headers: { 'apns-topic': `${topic}.voip`, 'apns-push-type': 'voip', 'apns-priority': '10', 'apns-expiration': '0' },
      body: fitPayload((withContent) => ({ aps: {}, ...notificationData(n, withContent) })),
    };
  }
  const deviceToken = record.backgroundToken ? record.backgroundToken : record.token;
  const expiration = String(Math.floor(nowMs / 1000) + APNS_MESSAGE_EXPIRATION_S);
  if (record.silent) {
    return {
      deviceToken,
      headers: { 'apns-topic': topic, 'apns-push-type': 'background', 'apns-priority': '5', 'apns-expiration': expiration },
      body: fitPayload((withContent) => ({ aps: { 'content-available': 1 }, ...notificationData(n, withContent) })),
    };
  }
  return {
    deviceToken,
    headers: { 'apns-topic': topic, 'apns-push-type': 'alert', 'apns-priority': '10', 'apns-expiration': expiration },
    body: fitPayload((withContent) => ({
      aps: { alert: alertText(n), badge: n.badge, sound: 'default', 'mutable-content': 1, 'thread-id': n.from },
      ...notificationData(n, withContent),
    })),
  };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class ApnsProvider implements PushProvider {
  readonly name = 'apns';
  private session: ClientHttp2Session | null = null;
  private inFlight = 0;
  private jwt: { value: string; issuedAt: number } | null = null;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: ApnsProviderOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The current provider token, renewed when older than {@link APNS_TOKEN_LIFETIME_MS}. */
  providerToken(forceRenew = false): string {
    const now = this.now();
    if (!forceRenew && this.jwt && now - this.jwt.issuedAt < APNS_TOKEN_LIFETIME_MS) return this.jwt.value;
    const value = signJwt('ES256', { kid: this.opts.keyId }, { iss: this.opts.teamId, iat: Math.floor(now / 1000) }, this.opts.key);
    this.jwt = { value, issuedAt: now };
    return value;
  }

  async send(record: PushToken, n: Notification): Promise<SendOutcome> {
    if (this.closed) return { kind: 'failed', status: null, reason: 'provider closed' };
    let req: ApnsRequest;
    try {
      req = buildApnsRequest(record, n, this.opts.topic ?? record.appId, this.now());
    } catch (err) {
      return { kind: 'failed', status: null, reason: err instanceof Error ? err.message : String(err) };
    }
    let res: RawResponse;
    try {
      res = await this.request(req, false);
      if (res.status === 403 && apnsReason(res.body) === 'ExpiredProviderToken') res = await this.request(req, true);
    } catch (err) {
      return { kind: 'retry', status: null, reason: err instanceof Error ? err.message : String(err) };
    }
    return classify(res);
  }

  private getSession(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const s = connect(this.opts.origin, this.opts.tls ?? {});
    const forget = (): void => {
      if (this.session === s) this.session = null;
    };
    s.on('error', forget);
    s.on('goaway', forget);
    s.on('close', forget);
    this.session = s;
    return s;
  }

  private request(req: ApnsRequest, renewToken: boolean): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let session: ClientHttp2Session;
      try {
        session = this.getSession();
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.inFlight++;
      session.ref();
      const done = (): void => {
        this.inFlight--;
        if (this.inFlight === 0 && !session.destroyed) session.unref();
      };
      const stream = session.request({
        ':method': 'POST',
        ':path': `/3/device/${encodeURIComponent(req.deviceToken)}`,
        authorization: `bearer ${this.providerToken(renewToken)}`,
        'content-type': 'application/json',
        ...req.headers,
      });
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        done();
        if (err) reject(err);
        else resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
      };
      stream.setTimeout(this.opts.requestTimeoutMs, () => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(new Error(`APNs request timed out after ${this.opts.requestTimeoutMs} ms`));
        // A silent connection (e.g. dropped by a NAT) would swallow every later request too.
        if (this.session === session) this.session = null;
        session.destroy();
      });
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = h as Record<string, string | string[] | undefined>;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => finish(status ? null : new Error('APNs stream ended without a response')));
      stream.on('error', (err) => finish(err));
      stream.on('close', () => finish(status ? null : new Error(`APNs stream closed (code ${stream.rstCode ?? '?'})`)));
      stream.end(req.body);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = null;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000);
      timer.unref();
      s.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function apnsReason(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason : undefined;
  } catch {
    return undefined;
  }
}

function classify(res: RawResponse): SendOutcome {
  if (res.status === 200) return { kind: 'sent', status: 200 };
  const reason = apnsReason(res.body) ?? `HTTP ${res.status}`;
  if (res.status === 410 || (res.status === 400 && reason === 'BadDeviceToken')) return { kind: 'invalid-token', status: res.status, reason };
  if (res.status === 429 || res.status >= 500) {
    const ra = res.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra);
    return retryAfterMs === undefined ? { kind: 'retry', status: res.status, reason } : { kind: 'retry', status: res.status, reason, retryAfterMs };
  }
  return { kind: 'failed', status: res.status, reason };
}
