/**
 * Shared by the standalone-mode benchmarks: a sylk-server composed in-process in standalone mode from
 * a temporary configuration directory (SIP on 127.0.0.1, ephemeral UDP/TCP ports, SQLite in the
 * temporary directory unless a PostgreSQL URL is given), with local accounts created in its store.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAccountAor } from '../src/util/aor.js';
import { ha1sFor } from '../src/accounts/credentials.js';
import { startServer, type RunningServer } from '../src/cli/server/compose.js';
import { loadConfig } from '../src/config/index.js';

export interface BenchServer {
  server: RunningServer;
  udpPort: number;
  tcpPort: number;
  addAccount(aor: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startStandaloneServer(opts: { postgresUrl?: string; accounts?: string[] } = {}): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-bench-standalone-'));
  writeFileSync(
    join(dir, 'config.ini'),
    ['[Server]', 'mode = standalone', '[SIP]', 'local_ip = 127.0.0.1', 'local_udp_port = 0', 'local_tcp_port = 0', 'local_tls_port =', '[WebServer]', 'local_ip = 127.0.0.1', 'local_port = 0', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    [
      '[General]',
      'sip_domains = example.com',
      'http_management_interface = 127.0.0.1:0',
      '[Accounts]',
      ...(opts.accounts ?? []),
      '[FileStorage]',
      `storage_dir = ${dir}`,
      '[Storage]',
      ...(opts.postgresUrl ? ['backend = postgres', `postgres_url = ${opts.postgresUrl}`] : ['backend = sqlite', `sqlite_path = ${join(dir, 'sylk.sqlite')}`]),
      '',
    ].join('\n'),
  );
  const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, log: false });
  const server = await startServer(config, { version: 'bench', serverHeader: 'sylk-bench' });
  const ports = server.sip.ports();
  return {
    server,
    udpPort: ports.udp!,
    tcpPort: ports.tcp!,
    async addAccount(aor, password) {
      const a = parseAccountAor(aor)!;
      await server.store.localAccounts.addAccount({ aor: a.aor, ...ha1sFor(a, password) });
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
