/**
 * Command-line arguments of `sylk-server` (SylkServer's options that matter here, plus
 * `--print-config`). Parsing only; `sylk-server.ts` acts on the result.
 */
import { parseArgs } from 'node:util';
import { LOG_LEVEL_NAMES, isLogLevel } from '../../util/logger.js';

export interface ServerArgs {
  configDir?: string;
  printConfig: boolean;
  debug: boolean;
  /** `--log-level`: overrides `SYLK_LOG_LEVEL` and `[Server] log_level`. */
  logLevel?: string;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: sylk-server [options]

SIP/WebRTC messaging server compatible with SylkServer.

Options:
  --config-dir DIR   read config.ini, webrtcgateway.ini and auth.ini from DIR (after
                     /etc/sylkserver and ~/.config/sylkserver; later files override earlier ones)
  --print-config     print the effective configuration, with the source of every value, and exit
  --log-level LEVEL  log at LEVEL: debug, info, warning, error, critical or silent (overrides
                     SYLK_LOG_LEVEL and [Server] log_level)
  --debug            same as --log-level debug
  --no-fork          accepted for compatibility; the server always runs in the foreground
  -h, --help         show this help and exit
  -v, --version      show the version and exit

Environment:
  SYLK_LOG_LEVEL           log level overriding the configuration (debug, info, warning, error, silent)
  SYLK_LOG_FORMAT          json or pretty (default: readable lines on a terminal, JSON lines otherwise)
  SYLK_SYSTEM_CONFIG_DIR   replaces /etc/sylkserver (empty: do not read a system directory)
  SYLK_USER_CONFIG_DIR     replaces ~/.config/sylkserver (empty: do not read a user directory)

Signals: SIGTERM or SIGINT stop the server cleanly (exit status 0).
`;

/** Every option `sylk-server` accepts (USAGE documents each; a test checks that). */
export const SERVER_OPTIONS = {
  'config-dir': { type: 'string' },
  'print-config': { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  'log-level': { type: 'string' },
  'no-fork': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
} as const;

export class UsageError extends Error {}

export function parseServerArgs(argv: readonly string[]): ServerArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: SERVER_OPTIONS,
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const configDir = values['config-dir'];
  if (configDir !== undefined && configDir.trim() === '') throw new UsageError('--config-dir needs a directory');
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !isLogLevel(logLevel)) throw new UsageError(`--log-level ${logLevel}: not one of ${LOG_LEVEL_NAMES.join(', ')}`);
  if (logLevel !== undefined && values.debug === true) throw new UsageError('--debug and --log-level: give one of them');
  return {
    configDir,
    logLevel: logLevel ?? (values.debug === true ? 'debug' : undefined),
    printConfig: values['print-config'] === true,
    debug: values.debug === true,
    help: values.help === true,
    version: values.version === true,
  };
}
