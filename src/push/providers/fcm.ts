/**
 * Direct delivery to Firebase Cloud Messaging, HTTP v1 API, without firebase-admin: a Google
 * service-account JWT (RS256, `scope` firebase.messaging, `aud` = the account's `token_uri`) is
 * exchanged for an OAuth2 access token (RFC 7523 `jwt-bearer` grant), cached until a minute before it
 * expires (renewed early on a 401), then `POST {endpoint}/v1/projects/{project}/messages:send`.
 *
 * The message is a data message (the Sylk Android app renders its own notifications), with the data
 * keys Sylk Pushserver uses plus the message fields (providers/payload.ts); `android.priority` is
 * `high` except for silent records; messages live a day, conference invitations a minute.
 *
 * Outcomes: `UNREGISTERED` (FCM's 404 for a dead token) → invalid token (purged; a bare 404 could be a
 * wrong project id, which must not wipe every token); 429 and 5xx → retry; anything else →
 * failed (`INVALID_ARGUMENT`, `SENDER_ID_MISMATCH` may be our configuration, so the token is kept).
 */
import { z } from 'zod';
import type { KeyObject } from 'node:crypto';
import { loadPrivateKey, signJwt } from '../jwt.js';
import { parseRetryAfter } from '../retry.js';
import type { Notification, PushProvider, PushToken, SendOutcome } from '../types.js';
import { fitPayload, notificationData } from './payload.js';

export const FCM_ENDPOINT = 'https://fcm.googleapis.com';
export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export const serviceAccountSchema = z.object({
  project_id: z.string().optional(),
  private_key_id: z.string().optional(),
  private_key: z.string().min(1),
  client_email: z.string().min(1),
  token_uri: z.string().url().default('https://oauth2.googleapis.com/token'),
});

export type ServiceAccount = z.infer<typeof serviceAccountSchema>;

export interface FcmProviderOptions {
  serviceAccount: ServiceAccount;
  projectId: string;
  /** FCM origin, default {@link FCM_ENDPOINT}. */
  endpoint: string;
  /** OAuth2 token endpoint; default the service account's `token_uri`. */
  tokenUri: string;
  requestTimeoutMs: number;
  now?: () => number;
}

/** The `messages:send` request body. */
export function buildFcmMessage(record: PushToken, n: Notification): string {
  const conference = n.event === 'incoming_conference_request';
  const token = !conference && record.backgroundToken ? record.backgroundToken : record.token;
  return fitPayload((withContent) => ({
    message: {
      token,
      data: notificationData(n, withContent),
      android: { priority: record.silent && !conference ? 'normal' : 'high', ttl: conference ? '60s' : '86400s' },
    },
  }));
}

class AuthError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null,
  ) {
    super(message);
  }
}

function fcmErrorCode(body: unknown): { code: string | undefined; message: string | undefined } {
  const err = (body as { error?: { status?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (!err) return { code: undefined, message: undefined };
  let code: string | undefined;
  if (Array.isArray(err.details)) {
    for (const d of err.details as Array<{ errorCode?: unknown }>) if (typeof d?.errorCode === 'string') code = d.errorCode;
  }
  if (!code && typeof err.status === 'string') code = err.status;
  return { code, message: typeof err.message === 'string' ? err.message : undefined };
}

export class FcmProvider implements PushProvider {
  readonly name = 'fcm';
  private readonly key: KeyObject;
  private readonly now: () => number;
  private access: { token: string; expiresAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly opts: FcmProviderOptions) {
    this.key = loadPrivateKey(opts.serviceAccount.private_key);
    this.now = opts.now ?? Date.now;
  }

  /** A valid access token, from the cache or a new exchange (concurrent callers share one). */
  accessToken(forceRenew = false): Promise<string> {
    if (!forceRenew && this.access && this.now() < this.access.expiresAt - 60_000) return Promise.resolve(this.access.token);
    if (this.pending) return this.pending;
    this.pending = this.exchange().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async exchange(): Promise<string> {
    const sa = this.opts.serviceAccount;
    const iat = Math.floor(this.now() / 1000);
    const header: Record<string, unknown> = { typ: 'JWT' };
    if (sa.private_key_id) header.kid = sa.private_key_id;
    const assertion = signJwt('RS256', header, { iss: sa.client_email, scope: FCM_SCOPE, aud: this.opts.tokenUri, iat, exp: iat + 3600 }, this.key);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.opts.tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new AuthError(`token exchange: ${err instanceof Error ? err.message : String(err)}`, true, null);
    }
    if (res.status !== 200) throw new AuthError(`token exchange: HTTP ${res.status} ${text.slice(0, 200)}`, res.status === 429 || res.status >= 500, res.status);
    let parsed: { access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new AuthError('token exchange: response is not JSON', false, 200);
    }
    if (typeof parsed.access_token !== 'string') throw new AuthError('token exchange: no access_token', false, 200);
    const expiresIn = typeof parsed.expires_in === 'number' ? parsed.expires_in : 3600;
    this.access = { token: parsed.access_token, expiresAt: this.now() + expiresIn * 1000 };
    return parsed.access_token;
  }

  async send(record: PushToken, n: Notification): Promise<SendOutcome> {
    const body = buildFcmMessage(record, n);
    const url = `${this.opts.endpoint.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(this.opts.projectId)}/messages:send`;
    for (let attempt = 0; ; attempt++) {
      let token: string;
      try {
        token = await this.accessToken(attempt > 0);
      } catch (err) {
        if (err instanceof AuthError) return err.retryable ? { kind: 'retry', status: err.status, reason: err.message } : { kind: 'failed', status: err.status, reason: err.message };
        return { kind: 'failed', status: null, reason: String(err) };
      }
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
        });
        text = await res.text();
      } catch (err) {
        return { kind: 'retry', status: null, reason: err instanceof Error ? err.message : String(err) };
      }
      if (res.status === 200) return { kind: 'sent', status: 200 };
      if (res.status === 401 && attempt === 0) continue; // access token revoked or expired early: renew once
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      const { code, message } = fcmErrorCode(parsed);
      const reason = [code, message].filter(Boolean).join(': ') || `HTTP ${res.status}`;
      if (code === 'UNREGISTERED') return { kind: 'invalid-token', status: res.status, reason };
      if (res.status === 429 || res.status >= 500) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
        return retryAfterMs === undefined ? { kind: 'retry', status: res.status, reason } : { kind: 'retry', status: res.status, reason, retryAfterMs };
      }
      return { kind: 'failed', status: res.status, reason };
    }
  }

  async close(): Promise<void> {}
}
