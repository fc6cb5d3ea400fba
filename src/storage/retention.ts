/**
 * Periodic retention for the SQL engines (`journal-storage.md` §7: the original keeps entries one
 * year through Cassandra TTLs; SQL has no TTL, so we delete expired rows on a timer).
 */
import { DEFAULT_RETENTION_DAYS } from '../journal/types.js';
import type { ExpireResult } from '../journal/store.js';
import { logger } from '../util/logger.js';

const log = logger.child({ module: 'storage.retention' });

export interface RetentionOptions {
  /** Keep journal entries this many days (default 365). 0 or less disables expiry. */
  retentionDays?: number;
  /** How often to run (default one hour); the first run happens one minute after start. */
  intervalMs?: number;
}

/** Start the timer; returns a function that stops it. The timer never keeps the process alive. */
export function startRetention(
  expire: (olderThan: Date) => Promise<ExpireResult>,
  options: RetentionOptions = {},
): () => void {
  const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (days <= 0) return () => undefined;
  const interval = options.intervalMs ?? 3_600_000;
  let running = false;
  const run = (): void => {
    if (running) return;
    running = true;
    expire(new Date(Date.now() - days * 86_400_000))
      .then((r) => {
        if (r.entries || r.apiTokens) log.info({ ...r }, 'expired old data');
      })
      .catch((err: unknown) => log.error({ err }, 'retention run failed'))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, Math.min(60_000, interval));
  const timer = setInterval(run, interval);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
