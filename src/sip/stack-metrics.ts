/**
 * The SIP stack's Prometheus metrics, registered once in the process-wide registry
 * (`src/util/metrics.ts`): requests received by method, responses sent/received by method and status,
 * transactions alive by kind, and the time from a request's arrival to its final response.
 *
 * The hot path counts in plain numbers (`countRequest`, `countResponse`, `observeHandling`,
 * `transactionStarted`/`transactionEnded`): a prom-client call hashes its labels on every update,
 * which cost more than a microsecond per request. The counters are `DeferredCounter`s
 * (src/util/deferred-counter.ts) and the gauge is set by a `collect()` callback, both at scrape
 * time; the histogram keeps its buckets itself and builds its values in `get()`, in prom-client's
 * format (cumulative `le` buckets, `+Inf`, `_sum`, `_count`).
 */
import { Counter, Gauge, Histogram, type MetricObjectWithValues, type MetricType, type MetricValueWithName } from 'prom-client';
import { DeferredCounter } from '../util/deferred-counter.js';
import { registry } from '../util/metrics.js';

const requests = new DeferredCounter({
  name: 'sylk_sip_requests_total',
  help: 'SIP requests, by direction (in/out) and method (retransmissions not counted)',
  labelNames: ['direction', 'method'] as const,
});
export const sipRequests = requests.counter;

const responses = new DeferredCounter({
  name: 'sylk_sip_responses_total',
  help: 'Final SIP responses, by direction (sent for requests we received, received for ours), method and status',
  labelNames: ['direction', 'method', 'status'] as const,
});
export const sipResponses = responses.counter;

/** Transactions alive by kind; `undefined` until the first one of that kind (no series before). */
const alive: { server: number | undefined; client: number | undefined } = { server: undefined, client: undefined };

export const sipTransactions = new Gauge({
  name: 'sylk_sip_transactions',
  help: 'SIP transactions alive, by kind (server/client)',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    if (alive.server !== undefined) sipTransactions.set({ kind: 'server' }, alive.server);
    if (alive.client !== undefined) sipTransactions.set({ kind: 'client' }, alive.client);
  },
});

export function transactionStarted(kind: 'server' | 'client'): void {
  alive[kind] = (alive[kind] ?? 0) + 1;
}

export function transactionEnded(kind: 'server' | 'client'): void {
  alive[kind] = (alive[kind] ?? 0) - 1;
}

const HANDLING_HELP = 'Time from receiving a SIP request to sending its final response, by method';
const HANDLING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

interface HistogramSeries {
  readonly method: string;
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

type HandlingValues = MetricObjectWithValues<MetricValueWithName<'method' | 'le'>>;

/**
 * A prom-client `Histogram` whose observations are kept in plain arrays (`record`) and turned into
 * prom-client's export format when the registry reads it. The registry reads `getForPromString()`
 * (text format) when a metric has one, else `get()` (JSON); both are answered from the local state.
 * The inherited `observe`/`labels` are not used.
 */
class HandlingHistogram extends Histogram<'method'> {
  // Assigned lazily: prom-client's constructor calls `reset()` before subclass fields exist.
  private series: Map<string, HistogramSeries> | undefined;

  record(method: string, seconds: number): void {
    this.series ??= new Map();
    let s = this.series.get(method);
    if (!s) this.series.set(method, (s = { method, counts: new Array<number>(HANDLING_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    let i = 0;
    while (i < HANDLING_BUCKETS.length && seconds > HANDLING_BUCKETS[i]!) i++;
    s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  override async get(): Promise<HandlingValues> {
    const name = 'sylk_sip_request_handling_seconds';
    const values: MetricValueWithName<'method' | 'le'>[] = [];
    for (const s of this.series?.values() ?? []) {
      let acc = 0;
      for (let i = 0; i < HANDLING_BUCKETS.length; i++) {
        acc += s.counts[i]!;
        values.push({ labels: { le: HANDLING_BUCKETS[i]!, method: s.method }, value: acc, metricName: `${name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', method: s.method }, value: s.count, metricName: `${name}_bucket` });
      values.push({ labels: { method: s.method }, value: s.sum, metricName: `${name}_sum` });
      values.push({ labels: { method: s.method }, value: s.count, metricName: `${name}_count` });
    }
    // prom-client's runtime metric type is the string (its typings declare an enum).
    return { name, help: HANDLING_HELP, type: 'histogram' as unknown as MetricType, values, aggregator: 'sum', collect: () => {} };
  }

  /** The registry's text-format entry point (prom-client calls it instead of `get()` when present). */
  getForPromString(): Promise<HandlingValues> {
    return this.get();
  }

  override reset(): void {
    this.series?.clear();
    super.reset();
  }
}

export const sipHandlingSeconds = new HandlingHistogram({
  name: 'sylk_sip_request_handling_seconds',
  help: HANDLING_HELP,
  labelNames: ['method'] as const,
  buckets: [...HANDLING_BUCKETS],
  registers: [registry],
});

export const sipDropped = new Counter({
  name: 'sylk_sip_dropped_total',
  help: 'Inbound SIP messages dropped or connections closed, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Hot-path helpers: plain counting, published at scrape time (see the module comment). */
export function countRequest(direction: 'in' | 'out', method: string): void {
  requests.inc(direction, method);
}

export function countResponse(direction: 'sent' | 'received', method: string, status: number): void {
  responses.inc(direction, method, status);
}

export function observeHandling(method: string, seconds: number): void {
  sipHandlingSeconds.record(method, seconds);
}

const METRIC_METHODS = new Set(['INVITE', 'ACK', 'CANCEL', 'OPTIONS', 'BYE', 'REGISTER', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'PUBLISH']);

/** Method label for metrics: unknown methods are folded into `other` to bound label cardinality. */
export function metricMethod(method: string): string {
  return METRIC_METHODS.has(method) ? method : 'other';
}
