/**
 * `GET /metrics` (our addition): the process-wide Prometheus registry of `src/util/metrics.ts` in the
 * text exposition format, plus the web server's own request counter
 * `sylk_http_requests_total{method,route,status}` (route = the route pattern, not the raw URL, so
 * account names in paths do not become label values).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { registry as defaultRegistry } from '../util/metrics.js';

function requestCounter(registry: Registry): Counter<'method' | 'route' | 'status'> {
  const existing = registry.getSingleMetric('sylk_http_requests_total');
  if (existing) return existing as Counter<'method' | 'route' | 'status'>;
  return new Counter({
    name: 'sylk_http_requests_total',
    help: 'HTTP requests answered by the web server, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
}

export function registerMetricsRoute(app: FastifyInstance, registry: Registry = defaultRegistry): void {
  const requests = requestCounter(registry);
  app.addHook('onResponse', async (request, reply) => {
    requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await registry.metrics();
    return reply.header('Cache-Control', 'no-store').type(registry.contentType).send(text);
  });
}
