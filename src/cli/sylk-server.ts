#!/usr/bin/env -S node --max-semi-space-size=64
/**
 * `sylk-server`: the messaging server daemon (DESIGN.md "Configuration contract").
 *
 * Loads the configuration (`--config-dir`, `configuration.md` §1), applies `[Server] log_level`,
 * starts the subsystems through `server/compose.ts`, and stops cleanly on SIGTERM/SIGINT: stop
 * listening, let transactions in flight finish, close the store, exit 0. A second signal, or a stop
 * taking longer than `[SIP] stop_timeout` + 15 s, exits at once with status 1. With no configuration at all it
 * runs with SylkServer's defaults (SIP 5060 UDP+TCP, HTTP 10888 on the default-route address, SQLite
 * under ./var). `--print-config` prints the effective configuration with each value's source.
 */
import { statSync } from 'node:fs';
import { configAdvice, loadConfig, formatConfig, type Config, type LoadConfigOptions } from '../config/index.js';
import { logger, setLogLevel } from '../util/logger.js';
import { USAGE, UsageError, parseServerArgs, type ServerArgs } from './server/args.js';
import { startServer, type RunningServer } from './server/compose.js';
import { programVersion, serverHeader } from './server/version.js';

/** Longest clean shutdown beyond `[SIP] stop_timeout` before the process exits anyway (status 1). */
const STOP_DEADLINE_MARGIN_MS = 15_000;
const log = logger.child({ module: 'main' });

function configOptions(args: ServerArgs, printing: boolean): LoadConfigOptions {
  const env = (name: string): string | null | undefined => {
    const v = process.env[name];
    if (v === undefined) return undefined;
    return v === '' ? null : v;
  };
  return { configDir: args.configDir, systemDir: env('SYLK_SYSTEM_CONFIG_DIR'), userDir: env('SYLK_USER_CONFIG_DIR'), log: !printing };
}

function fail(message: string, status = 2): never {
  process.stderr.write(`sylk-server: ${message}\n`);
  process.exit(status);
}

async function main(argv: readonly string[]): Promise<void> {
  let args: ServerArgs;
  try {
    args = parseServerArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}\n\n${USAGE}`);
    throw err;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.version) {
    process.stdout.write(`sylk-server ${programVersion()}\n`);
    return;
  }
  if (args.configDir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(args.configDir).isDirectory();
    } catch {
      /* reported below */
    }
    if (!isDir) fail(`--config-dir ${args.configDir}: not a directory`);
  }

  const config: Config = loadConfig(configOptions(args, args.printConfig));
  if (args.printConfig) {
    for (const w of config.meta.warnings) process.stderr.write(`warning: ${w.message}\n`);
    for (const a of configAdvice(config)) process.stderr.write(`warning: ${a}\n`);
    process.stdout.write(`${formatConfig(config)}\n`);
    return;
  }

  if (args.logLevel !== undefined) setLogLevel(args.logLevel, true);
  else setLogLevel(config.Server.log_level);
  log.info({ version: programVersion(), files: config.meta.filesRead }, 'starting sylk-server');
  const configLog = logger.child({ module: 'config' });
  for (const advice of configAdvice(config)) configLog.warn(advice);

  let server: RunningServer;
  try {
    server = await startServer(config, {
      version: programVersion(),
      serverHeader: serverHeader(),
      // Logged by the composition root already (synchronous log writes); no graceful stop: it would touch the store.
      onFatal: (reason) => {
        process.stderr.write(`sylk-server: ${reason}; exiting\n`);
        process.exit(70);
      },
    });
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    process.stderr.write(`sylk-server: start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const limit = config.SIP.stop_timeout * 1000 + STOP_DEADLINE_MARGIN_MS;
    const deadline = setTimeout(() => {
      log.error({ ms: limit }, 'shutdown took too long; exiting');
      process.exit(1);
    }, limit);
    deadline.unref();
    server.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  log.fatal({ err }, 'sylk-server failed');
  process.stderr.write(`sylk-server: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
