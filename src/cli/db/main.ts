/**
 * `sylk-db` driver (`sylk-db.md`): parse the command line, read the configuration (`src/config`,
 * `--config-dir`), print which files were read (§2), pick the store (`--store` URL, else the
 * configured `[Storage]`/`[Cassandra]` engine), run the command, map failures to exit statuses:
 * 0 success (or a declined confirmation), 1 failure (unreachable store, unknown account, bad input,
 * interrupted prompt), 2 bad arguments. Runs in process with an injectable `CliIo` for tests.
 */
import { loadConfig, type Config } from '../../config/index.js';
import type { JournalStore } from '../../journal/store.js';
import { describeStore, openStore, parseStoreUrl, type StoreSpec } from '../../storage/index.js';
import { storeOptionsFromConfig, storeSpecFromConfig } from '../store-config.js';
import { HELP, parseCommandLine, UsageError, type Invocation } from './args.js';
import { runCommand } from './commands.js';
import { dbinit } from './dbinit.js';
import { CliExit, Output, processIo, type CliIo } from './io.js';

export interface SylkDbOptions {
  /** Configuration loader (tests pass one that skips the system/user directories). */
  loadConfig?: (configDir: string | null) => Config;
}

function defaultLoad(configDir: string | null): Config {
  return loadConfig({ ...(configDir !== null ? { configDir } : {}), log: false });
}


export async function runSylkDb(argv: readonly string[], io: CliIo = processIo(), options: SylkDbOptions = {}): Promise<number> {
  const out = new Output(io);
  let inv: Invocation;
  try {
    inv = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`sylk-db: error: ${err.message}`);
    io.err(`Try 'sylk-db --help'.`);
    return 2;
  }
  if (inv.command.name === 'help') {
    io.out(HELP[inv.command.topic ?? 'main'] ?? HELP.main!);
    return 0;
  }
  const command = inv.command;
  let store: JournalStore | null = null;
  try {
    const config = (options.loadConfig ?? defaultLoad)(inv.configDir);
    const files = config.meta.filesRead;
    // Informational lines go to stderr for export, whose stdout is data.
    const dataOnStdout = command.name === 'export' || (command.name === 'account' && command.action === 'list' && command.json);
    const info = dataOnStdout ? (s: string) => io.err(s) : (s: string) => out.info(s);
    if (files.length > 0) info(`Reading configuration from ${files.join(', ')}`);
    else info('Not reading any configuration files (using internal defaults)');
    for (const w of config.meta.warnings) io.err(`WARNING ${w.message}`);
    let spec: StoreSpec;
    try {
      spec = inv.store ? parseStoreUrl(inv.store) : storeSpecFromConfig(config);
    } catch (err) {
      throw new CliExit(2, (err as Error).message);
    }
    const storageFiles = files.filter((f) => f.endsWith('webrtcgateway.ini'));
    if (!inv.store && storageFiles.length > 0) info(`Reading storage configuration from ${storageFiles.join(', ')}`);
    info(`Using ${describeStore(spec)}`);
    if (command.name === 'dbinit') return await dbinit(spec, io, out, inv.yes);
    const storeOptions = { ...storeOptionsFromConfig(config), retentionDays: 0 };
    return await runCommand(command, {
      io,
      out,
      yes: inv.yes,
      spec,
      accounts: {
        domains: config.General.sip_domains.includes('*') ? '*' : config.General.sip_domains.map((d) => d.toLowerCase()),
        fileTransferDir: config.General.file_transfer_dir,
      },
      store: async () => {
        if (!store) {
          try {
            store = await openStore(spec, storeOptions);
          } catch (err) {
            throw new CliExit(1, `cannot open ${describeStore(spec)}: ${(err as Error).message}`);
          }
        }
        return store;
      },
    });
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message) out.error(err.message);
      return err.status;
    }
    out.error((err as Error).message ?? String(err));
    return 1;
  } finally {
    if (store) await (store as JournalStore).close().catch(() => undefined);
  }
}
