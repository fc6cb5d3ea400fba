/**
 * The process-wide Prometheus registry (prom-client). Modules register their own metrics here and
 * `GET /metrics` (src/http) serves `registry.metrics()`. Metric names are prefixed `sylk_`.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sylk_' });
