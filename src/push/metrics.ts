/**
 * Push counters in the process-wide registry (src/util/metrics.ts), created once per process.
 *
 * - `sylk_push_requests_total{provider,outcome}`: every request attempt to a provider, outcome one of
 *   `sent`, `invalid_token`, `retry` (a 429/5xx/transport error that will or would be retried),
 *   `failed` (permanent error);
 * - `sylk_push_notifications_total{provider,result}`: the final result per device and message:
 *   `sent`, `purged` (token deleted), `failed`, `gave_up` (retries exhausted);
 * - `sylk_push_skipped_total{reason}`: devices not pushed: `online`, `no_provider`;
 * - `sylk_push_errors_total{stage}`: unexpected errors caught so they never reach the caller.
 */
import { Counter } from 'prom-client';
import { registry } from '../util/metrics.js';

function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: [registry] });
}

export const pushRequests = counter('sylk_push_requests_total', 'Push requests sent to a provider, by outcome', ['provider', 'outcome'] as const);
export const pushNotifications = counter('sylk_push_notifications_total', 'Final push result per device and notification', ['provider', 'result'] as const);
export const pushSkipped = counter('sylk_push_skipped_total', 'Devices not pushed, by reason', ['reason'] as const);
export const pushErrors = counter('sylk_push_errors_total', 'Unexpected push errors caught before reaching the caller', ['stage'] as const);

/** Current value of one labelled series (tests and diagnostics). */
export async function counterValue(c: Counter<string>, labels: Record<string, string>): Promise<number> {
  const data = await c.get();
  const hit = data.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}
