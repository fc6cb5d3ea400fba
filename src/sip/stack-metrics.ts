/**
 * The SIP stack's Prometheus metrics, registered once in the process-wide registry
 * (`src/util/metrics.ts`): requests received by method, responses sent/received by method and status,
 * transactions alive by kind, and the time from a request's arrival to its final response.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../util/metrics.js';

export const sipRequests = new Counter({
  name: 'sylk_sip_requests_total',
  help: 'SIP requests, by direction (in/out) and method (retransmissions not counted)',
  labelNames: ['direction', 'method'] as const,
  registers: [registry],
});

export const sipResponses = new Counter({
  name: 'sylk_sip_responses_total',
  help: 'Final SIP responses, by direction (sent for requests we received, received for ours), method and status',
  labelNames: ['direction', 'method', 'status'] as const,
  registers: [registry],
});

export const sipTransactions = new Gauge({
  name: 'sylk_sip_transactions',
  help: 'SIP transactions alive, by kind (server/client)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const sipHandlingSeconds = new Histogram({
  name: 'sylk_sip_request_handling_seconds',
  help: 'Time from receiving a SIP request to sending its final response, by method',
  labelNames: ['method'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const sipDropped = new Counter({
  name: 'sylk_sip_dropped_total',
  help: 'Inbound SIP messages dropped or connections closed, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

type CounterChild = ReturnType<Counter<'direction' | 'method' | 'status'>['labels']>;
type HistogramChild = ReturnType<Histogram<'method'>['labels']>;
const responseChildren = new Map<string, Map<number, CounterChild>>();
const requestChildren = new Map<string, ReturnType<Counter<'direction' | 'method'>['labels']>>();
const requestChildrenOut = new Map<string, ReturnType<Counter<'direction' | 'method'>['labels']>>();
const handlingChildren = new Map<string, HistogramChild>();

/**
 * Hot-path helpers: label children cached by label values (prom-client hashes label objects per
 * call), in maps keyed without building a string per call.
 */
export function countRequest(direction: 'in' | 'out', method: string): void {
  const m = direction === 'in' ? requestChildren : requestChildrenOut;
  let c = m.get(method);
  if (!c) m.set(method, (c = sipRequests.labels(direction, method)));
  c.inc();
}

export function countResponse(direction: 'sent' | 'received', method: string, status: number): void {
  const k = direction === 'sent' ? method : '\0' + method;
  let byStatus = responseChildren.get(k);
  if (!byStatus) responseChildren.set(k, (byStatus = new Map()));
  let c = byStatus.get(status);
  if (!c) byStatus.set(status, (c = sipResponses.labels(direction, method, String(status))));
  c.inc();
}

export function observeHandling(method: string, seconds: number): void {
  let c = handlingChildren.get(method);
  if (!c) handlingChildren.set(method, (c = sipHandlingSeconds.labels(method)));
  c.observe(seconds);
}
