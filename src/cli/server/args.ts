/**
 * Command-line arguments of `sylk-server` (SylkServer's options that matter here, plus
 * `--print-config`). Parsing only; `sylk-server.ts` acts on the result.
 */
import { parseArgs } from 'node:util';

export interface ServerArgs {
  configDir?: string;
  printConfig: boolean;
  debug: boolean;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: sylk-server [options]

SIP/WebRTC messaging server compatible with SylkServer.

Options:
  --config-dir DIR   read config.ini, webrtcgateway.ini and auth.ini from DIR (after
                     /etc/sylkserver and ~/.config/sylkserver; later files override earlier ones)
  --print-config     print the effective configuration, with the source of every value, and exit
  --debug            log at debug level (overrides [Server] log_level)
  --no-fork          accepted for compatibility; the server always runs in the foreground
  -h, --help         show this help and exit
  -v, --version      show the version and exit

Environment:
  SYLK_LOG_LEVEL           log level overriding the configuration (debug, info, warning, error, silent)
  SYLK_SYSTEM_CONFIG_DIR   replaces /etc/sylkserver (empty: do not read a system directory)
  SYLK_USER_CONFIG_DIR     replaces ~/.config/sylkserver (empty: do not read a user directory)

Signals: SIGTERM or SIGINT stop the server cleanly (exit status 0).
`;

export class UsageError extends Error {}

export function parseServerArgs(argv: readonly string[]): ServerArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'config-dir': { type: 'string' },
        'print-config': { type: 'boolean', default: false },
        debug: { type: 'boolean', default: false },
        'no-fork': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const configDir = values['config-dir'];
  if (configDir !== undefined && configDir.trim() === '') throw new UsageError('--config-dir needs a directory');
  return {
    configDir,
    printConfig: values['print-config'] === true,
    debug: values.debug === true,
    help: values.help === true,
    version: values.version === true,
  };
}
