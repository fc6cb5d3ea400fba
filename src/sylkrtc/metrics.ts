/**
 * Prometheus metrics of the sylkRTC WebSocket layer (registered on the process registry, served by
 * `GET /metrics`): open connections, authenticated bindings, requests by name and outcome, events sent.
 */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../util/metrics.js';

export const wsConnections = new Gauge({
  name: 'sylk_ws_connections',
  help: 'Open sylkRTC WebSocket connections',
  registers: [registry],
});

export const wsBindings = new Gauge({
  name: 'sylk_ws_authenticated_bindings',
  help: 'Authenticated account bindings on open sylkRTC connections',
  registers: [registry],
});

export const wsRequests = new Counter({
  name: 'sylk_ws_requests_total',
  help: 'sylkRTC requests by name and outcome (ack, error, invalid)',
  labelNames: ['request', 'outcome'] as const,
  registers: [registry],
});

export const wsEvents = new Counter({
  name: 'sylk_ws_events_total',
  help: 'sylkRTC account events fanned out to connections, by event name',
  labelNames: ['event'] as const,
  registers: [registry],
});
