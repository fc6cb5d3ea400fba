/**
 * The end-to-end suite's sylk-server: the real daemon (`src/cli/sylk-server.ts`) started as a child
 * process with its own `--config-dir` (SylkServer's config.ini / webrtcgateway.ini,
 * `configuration.md`), SIP on 127.0.0.1 UDP+TCP at a fixed port, the web server on an ephemeral port
 * (read back from the "sylk-server started" log line), every MESSAGE it originates sent through the
 * Kamailio under test (`[General] outbound_sip_proxy`). A child process rather than `startServer()`
 * in-process, so two instances really are two processes (module-level registries are not shared,
 * DESIGN.md decision 3). `stop()` sends SIGTERM (SIGKILL after 10 s) and removes the config dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { superviseChild } from './child.js';

const ENTRY = fileURLToPath(new URL('../../src/cli/sylk-server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type E2eStorage = { sqlitePath: string } | { postgresUrl: string };

export interface SylkOptions {
  name: string;
  sipPort: number;
  proxyPort: number;
  storage: E2eStorage;
  /** Extra lines for `[General]` of webrtcgateway.ini. */
  general?: string[];
}

export interface SylkInstance {
  readonly name: string;
  readonly sipPort: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** Process id of the server (its RSS in /proc, for memory tests). */
  readonly pid: number;
  /** Everything the process logged so far (JSON lines), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startSylk(opts: SylkOptions): Promise<SylkInstance> {
  const dir = mkdtempSync(join(tmpdir(), `sylk-e2e-${opts.name}-`));
  writeFileSync(
    join(dir, 'config.ini'),
    [
      '[Server]',
      'default_application = webrtcgateway',
      '[SIP]',
      'local_ip = 127.0.0.1',
      `local_udp_port = ${opts.sipPort}`,
      `local_tcp_port = ${opts.sipPort}`,
      'local_tls_port =',
      'trusted_peers = 127.0.0.1',
      '[WebServer]',
      'local_ip = 127.0.0.1',
      'local_port = 0',
      '',
    ].join('\n'),
  );
  const storage =
    'sqlitePath' in opts.storage
      ? ['backend = sqlite', `sqlite_path = ${opts.storage.sqlitePath}`]
      : ['backend = postgres', `postgres_url = ${opts.storage.postgresUrl}`];
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    [
      '[General]',
      `outbound_sip_proxy = 127.0.0.1:${opts.proxyPort};transport=udp`,
      'http_management_interface = 127.0.0.1:0',
      ...(opts.general ?? []),
      '[FileStorage]',
      `storage_dir = ${dir}`,
      '[Storage]',
      ...storage,
      '',
    ].join('\n'),
  );

  const proc = superviseChild(
    spawn(process.execPath, ['--import', 'tsx', ENTRY, '--config-dir', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_TEST_CONTEXT: '',
        SYLK_LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
        SYLK_SYSTEM_CONFIG_DIR: '',
        SYLK_USER_CONFIG_DIR: '',
      },
    }),
    dir,
    10_000,
    2_000_000,
  );
  const { child, exited, stop } = proc;
  const output = proc.output;

  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sylk-server ${opts.name} did not start in 30 s:\n${output().slice(-4000)}`)), 30_000);
    const check = (): void => {
      const m = /"web":"(https?:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"sylk-server started"/.exec(output());
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`sylk-server ${opts.name} exited at start-up:\n${output().slice(-4000)}`));
    });
  });

  let httpUrl: string;
  try {
    httpUrl = await started;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: opts.name,
    sipPort: opts.sipPort,
    httpUrl,
    wsUrl: `${httpUrl.replace(/^http/, 'ws')}/webrtcgateway/ws`,
    pid: child.pid!,
    log: output,
    stop,
  };
}
