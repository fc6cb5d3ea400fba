/**
 * The process-wide logger (pino). Every module takes a child logger with its own `module` field:
 * `const log = logger.child({ module: 'sip.transport' })`. The level is set once at start-up from
 * `--log-level`, else the `SYLK_LOG_LEVEL` environment variable, else `[Server] log_level`
 * (SylkServer's names; `warning` and `critical` are mapped to pino's); tests default to `silent`.
 *
 * Format: JSON lines, one per record, unless stdout is a terminal — then readable lines through the
 * pino-pretty transport (a worker thread, so formatting stays off the event loop). `SYLK_LOG_FORMAT`
 * (`json` or `pretty`) overrides the choice.
 *
 * JSON lines are written synchronously to stdout: pino's default asynchronous writer could put the
 * last lines before an exit out of order (seen under CPU load: "stopped" before the store's own
 * "stopped"), and the hot paths log only at debug level, so the cost of a write per line is not on
 * them. The pretty transport is flushed by pino when the process exits.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

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

/** The level names accepted by `--log-level`, `SYLK_LOG_LEVEL` and `[Server] log_level`. */
export const LOG_LEVEL_NAMES: readonly string[] = Object.keys(PINO_LEVELS);

export function isLogLevel(name: string): boolean {
  return PINO_LEVELS[name.toLowerCase()] !== undefined;
}

/** Readable lines on a terminal, JSON otherwise; `SYLK_LOG_FORMAT=json|pretty` decides instead. */
export function prettyLogs(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): boolean {
  const format = env.SYLK_LOG_FORMAT?.toLowerCase();
  if (format === 'json') return false;
  if (format === 'pretty') return true;
  return isTTY && !env.NODE_TEST_CONTEXT;
}

function destination(): DestinationStream {
  if (!prettyLogs()) return pino.destination({ fd: 1, sync: true });
  return pino.transport({ target: 'pino-pretty', options: {
      destination: 1,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,module',
      messageFormat: '{if module}{module}: {end}{msg}',
    }, }) as DestinationStream;
}

export const logger: Logger = pino({ level: initialLevel(), base: { pid: process.pid } }, destination());

/**
 * Apply the configured level (`[Server] log_level`): the environment variable, when set, wins over
 * it; with `explicit` (from `--log-level`) the level wins over both.
 */
export function setLogLevel(level: string, explicit = false): void {
  if (process.env.SYLK_LOG_LEVEL && !explicit) return;
  const mapped = PINO_LEVELS[level.toLowerCase()];
  if (mapped) logger.level = mapped;
}
