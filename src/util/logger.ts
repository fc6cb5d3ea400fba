/**
 * The process-wide JSON logger (pino). Every module takes a child logger with its own `module` field:
 * `const log = logger.child({ module: 'sip.transport' })`. The level is set once at start-up from
 * `[Server] log_level` (SylkServer's names; `warning` and `critical` are mapped to pino's) and can be
 * overridden with the `SYLK_LOG_LEVEL` environment variable (tests default to `silent`).
 *
 * Lines are written synchronously to stdout: pino's default asynchronous writer could put the last
 * lines before an exit out of order (seen under CPU load: "stopped" before the store's own "stopped"),
 * and the hot paths log only at debug level, so the cost of a write per line is not on them.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const PINO_LEVELS: Record<string, string> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
  trace: 'trace',
};

function initialLevel(): string {
  const env = process.env.SYLK_LOG_LEVEL;
  if (env && PINO_LEVELS[env.toLowerCase()]) return PINO_LEVELS[env.toLowerCase()]!;
  return process.env.NODE_TEST_CONTEXT ? 'silent' : 'info';
}

export const logger: Logger = pino({ level: initialLevel(), base: { pid: process.pid } }, pino.destination({ fd: 1, sync: true }));

/** Apply `[Server] log_level`; the environment variable, when set, still wins. */
export function setLogLevel(level: string): void {
  if (process.env.SYLK_LOG_LEVEL) return;
  const mapped = PINO_LEVELS[level.toLowerCase()];
  if (mapped) logger.level = mapped;
}
