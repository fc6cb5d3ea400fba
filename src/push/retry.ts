/**
 * Bounded exponential backoff with jitter for push retries (429, 5xx, transport errors).
 * Delay before retry n (0-based) = d/2 + random·d/2 with d = min(max, base·2ⁿ) ("equal jitter": never
 * zero, never above the cap), raised to a provider's `Retry-After` when that is longer, still capped.
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random, retryAfterMs?: number): number {
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  let delay = d / 2 + random() * (d / 2);
  if (retryAfterMs !== undefined && retryAfterMs > delay) delay = retryAfterMs;
  return Math.round(Math.min(delay, policy.maxMs));
}

/** `Retry-After` as delta-seconds or HTTP date, in ms; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
