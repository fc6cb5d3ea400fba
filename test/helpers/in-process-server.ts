/**
 * The whole server (`cli/server/compose.ts`) started in this process from a real configuration
 * directory: SIP on 127.0.0.1 UDP+TCP (ephemeral ports), the web server on an ephemeral port, a real
 * SQLite journal in a temp directory. `extra` adds lines per section of webrtcgateway.ini / config.ini.
 * For the abuse and overload tests, which need the composition root's options from config keys.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/cli/server/compose.js';

export interface InProcessServer {
  readonly server: RunningServer;
  readonly dir: string;
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  stop(): Promise<void>;
}

export interface InProcessOptions {
  /** Extra `key = value` lines for config.ini's sections, e.g. `{ SIP: ['max_connections = 10'] }`. */
  config?: Record<string, string[]>;
  /** Extra lines for webrtcgateway.ini's sections. */
  gateway?: Record<string, string[]>;
  /** `[SIP] trusted_peers` (default 127.0.0.1). */
  trustedPeers?: string;
  /** `[SIP] local_tcp_port` (default 0: ephemeral). */
  tcpPort?: number;
}

function ini(sections: Record<string, string[]>): string {
  return Object.entries(sections)
    .map(([name, lines]) => [`[${name}]`, ...lines].join('\n'))
    .join('\n') + '\n';
}

function merge(base: Record<string, string[]>, extra: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = { ...base };
  for (const [k, v] of Object.entries(extra ?? {})) out[k] = [...(out[k] ?? []), ...v];
  return out;
}

export async function startInProcess(opts: InProcessOptions = {}): Promise<InProcessServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-inproc-'));
  writeFileSync(
    join(dir, 'config.ini'),
    ini(
      merge(
        {
          Server: ['default_application = webrtcgateway'],
          SIP: ['local_ip = 127.0.0.1', 'local_udp_port = 0', `local_tcp_port = ${opts.tcpPort ?? 0}`, 'local_tls_port =', `trusted_peers = ${opts.trustedPeers ?? '127.0.0.1'}`],
          WebServer: ['local_ip = 127.0.0.1', 'local_port = 0'],
        },
        opts.config,
      ),
    ),
  );
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    ini(
      merge(
        {
          General: ['http_management_interface = 127.0.0.1:0'],
          FileStorage: [`storage_dir = ${dir}`],
          Storage: ['backend = sqlite', `sqlite_path = ${join(dir, 'journal.sqlite')}`],
        },
        opts.gateway,
      ),
    ),
  );
  const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false });
  const server = await startServer(config, { version: 'test', serverHeader: 'SylkServer/test' });
  const ports = server.sip.ports();
  const httpUrl = `http://127.0.0.1:${server.web.port}`;
  return {
    server,
    dir,
    udpPort: ports.udp!,
    tcpPort: ports.tcp!,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${server.web.port}/webrtcgateway/ws`,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of one Prometheus sample from `/metrics` (0 when the series does not exist yet). */
export async function metricValue(httpUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
