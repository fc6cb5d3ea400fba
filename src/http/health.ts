/**
 * `GET /health` (our addition, for load balancers and orchestrators): `200` with a JSON status when
 * every registered check passes, `503` when one fails or does not answer within the timeout.
 * Checks are injected (e.g. `store` → a trivial query on the journal store), so this module knows
 * nothing of storage engines; they may be added after the route is registered.
 *
 * Body: `{"status":"ok"|"error","version":"0.1.0","uptime_seconds":12,
 *         "checks":{"store":{"status":"ok","latency_ms":1}}}` (a failed check has `error` instead).
 */
import type { FastifyInstance } from 'fastify';

/** Resolves when healthy; rejects (or resolves `false`) when not. */
export type HealthCheck = () => Promise<unknown>;

export interface HealthCheckResult {
  status: 'ok' | 'error';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'error';
  version: string;
  uptime_seconds: number;
  checks: Record<string, HealthCheckResult>;
}

export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly started = Date.now();

  constructor(
    readonly version: string,
    private readonly timeoutMs = 2000,
  ) {}

  add(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  remove(name: string): void {
    this.checks.delete(name);
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, HealthCheckResult]> => {
        const t0 = performance.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
          });
          const ok = await Promise.race([check(), timeout]);
          const latency_ms = Math.round(performance.now() - t0);
          if (ok === false) return [name, { status: 'error', latency_ms, error: 'check failed' }];
          return [name, { status: 'ok', latency_ms }];
        } catch (err) {
          return [name, { status: 'error', latency_ms: Math.round(performance.now() - t0), error: err instanceof Error ? err.message : String(err) }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return {
      status: entries.every(([, r]) => r.status === 'ok') ? 'ok' : 'error',
      version: this.version,
      uptime_seconds: Math.floor((Date.now() - this.started) / 1000),
      checks,
    };
  }
}

export function registerHealthRoute(app: FastifyInstance, health: HealthChecks): void {
  app.get('/health', async (_req, reply) => {
    const report = await health.run();
    return reply
      .code(report.status === 'ok' ? 200 : 503)
      .header('Cache-Control', 'no-store')
      .send(report);
  });
}
