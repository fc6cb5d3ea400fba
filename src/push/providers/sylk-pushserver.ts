/**
 * The original's route: one JSON POST per token record to Sylk Pushserver at `[General] sylk_push_url`
 * (`push.md` §4–§5), with exactly the original's keys (hyphenated) and headers.
 *
 * Differences from the original, all on the sensible side of a labelled quirk:
 * - `silent` carries the record's stored flag instead of always `0` (`push.md` §6 quirk 1);
 * - a 410 purges the record this request was built from (quirk 3), and is recognised, like the
 *   original, only with an `application/json` body naming `data.token`;
 * - 429/5xx and transport errors are reported as retryable (the notifier retries with backoff;
 *   the original never retries).
 */
import { parseRetryAfter } from '../retry.js';
import type { Notification, PushProvider, PushToken, SendOutcome } from '../types.js';

export interface SylkPushserverOptions {
  url: string;
  requestTimeoutMs: number;
}

/** The request body the original sends (`push.md` §4.1, §4.2). */
export function sylkPushPayload(record: PushToken, n: Notification): Record<string, string | number | null> {
  const common = {
    'app-id': record.appId,
    platform: record.platform,
    'device-id': record.deviceId,
    silent: record.silent ? 1 : 0,
    'call-id': n.callId,
    from: n.from,
    'from-display-name': n.fromDisplayName,
  };
  if (n.event === 'message') {
    return {
      event: 'message',
      token: record.backgroundToken ? record.backgroundToken : record.token,
      ...common,
      to: n.account,
      'media-type': 'sms',
      badge: n.badge,
      'content-type': n.contentType,
      content: n.content,
    };
  }
  return {
    event: 'incoming_conference_request',
    token: record.token,
    ...common,
    silent: 0,
    to: n.to,
    account: n.account,
    'media-type': n.mediaType,
  };
}

function envelopeReason(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const data = (body as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { reason?: unknown; body?: { _content?: { error?: { message?: unknown } } } };
  const msg = d.body?._content?.error?.message;
  return [typeof d.reason === 'string' ? d.reason : undefined, typeof msg === 'string' ? msg : undefined].filter(Boolean).join(': ') || undefined;
}

export class SylkPushserverProvider implements PushProvider {
  readonly name = 'sylk-pushserver';

  constructor(private readonly opts: SylkPushserverOptions) {}

  async send(record: PushToken, n: Notification): Promise<SendOutcome> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'User-Agent': 'SylkServer', 'Content-Type': 'application/json' },
        body: JSON.stringify(sylkPushPayload(record, n)),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
      text = await res.text();
    } catch (err) {
      return { kind: 'retry', status: null, reason: err instanceof Error ? err.message : String(err) };
    }
    if (res.status === 200) return { kind: 'sent', status: 200 };
    let body: unknown = undefined;
    const isJson = (res.headers.get('content-type') ?? '').split(';')[0]!.trim() === 'application/json';
    if (isJson) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    const reason = envelopeReason(body) ?? (res.statusText || `HTTP ${res.status}`);
    if (res.status === 410) {
      const token = (body as { data?: { token?: unknown } } | undefined)?.data?.token;
      if (isJson && typeof token === 'string' && token !== '') return { kind: 'invalid-token', status: 410, reason };
      return { kind: 'failed', status: 410, reason: `${reason} (410 without a JSON token: not purged)` };
    }
    if (res.status === 429 || res.status >= 500) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      return retryAfterMs === undefined ? { kind: 'retry', status: res.status, reason } : { kind: 'retry', status: res.status, reason, retryAfterMs };
    }
    return { kind: 'failed', status: res.status, reason };
  }

  async close(): Promise<void> {}
}
