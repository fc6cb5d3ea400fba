/**
 * Prometheus metrics of the credential checks (`standalone.md` §5), on the process registry served by
 * `GET /metrics`: failed checks, and attempts refused unchecked by the guessing limits. The limits
 * answer like a wrong password (the contract), so these and the log line of `guess-limiter.ts` are
 * how an operator sees them.
 */
import { Counter } from 'prom-client';
import { registry } from '../util/metrics.js';

export const authFailures = new Counter({
  name: 'sylk_auth_failures_total',
  help: 'Failed credential checks (wrong password, unknown or disabled account)',
  registers: [registry],
});

export const authRefused = new Counter({
  name: 'sylk_auth_guess_refused_total',
  help: 'Credential checks refused unchecked: 5 failures of that account from that address within 60 s',
  registers: [registry],
});
