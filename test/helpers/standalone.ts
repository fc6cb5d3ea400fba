/**
 * Standalone-mode test fixtures: a `sylk-server` composed in-process from a real configuration
 * directory (`[Server] mode = standalone`, SIP on 127.0.0.1 with ephemeral UDP/TCP/WS ports, the web
 * server on an ephemeral port, SQLite in a temporary directory or a given PostgreSQL URL), local
 * accounts created through the store, and SIP devices played by our own SIP stack (a UAC that
 * answers digest challenges, a UAS that records what it receives). The standalone benchmarks
 * (`bench/standalone-*.ts`) start their server with it too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAccountAor } from '../../src/util/aor.js';
import { ha1sFor } from '../../src/accounts/credentials.js';
import { startServer, type RunningServer } from '../../src/cli/server/compose.js';
import { loadConfig } from '../../src/config/index.js';
import type { IncomingRequest, OutgoingRequest, OutgoingResult, ResponseSpec } from '../../src/sip/api.js';
import { SipStack } from '../../src/sip/stack.js';

export interface StandaloneServer {
  server: RunningServer;
  dir: string;
  udpPort: number;
  tcpPort: number;
  wsPort: number;
  wsUrl: string;
  addAccount(aor: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startStandalone(opts: { postgresUrl?: string; name?: string; extraServer?: string[]; accounts?: string[]; tcpPort?: number } = {}): Promise<StandaloneServer> {
  const dir = mkdtempSync(join(tmpdir(), `sylk-standalone-${opts.name ?? 'x'}-`));
  writeFileSync(
    join(dir, 'config.ini'),
    [
      '[Server]',
      'mode = standalone',
      'default_application = webrtcgateway',
      ...(opts.extraServer ?? []),
      '[SIP]',
      'local_ip = 127.0.0.1',
      'local_udp_port = 0',
      `local_tcp_port = ${opts.tcpPort ?? 0}`,
      'local_tls_port =',
      'local_ws_port = 0',
      '[WebServer]',
      'local_ip = 127.0.0.1',
      'local_port = 0',
      '',
    ].join('\n'),
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
  const server = await startServer(config, { version: 'test', serverHeader: 'sylk-test' });
  const ports = server.sip.ports();
  return {
    server,
    dir,
    udpPort: ports.udp!,
    tcpPort: ports.tcp!,
    wsPort: ports.ws!,
    wsUrl: `ws://127.0.0.1:${server.web.port}/webrtcgateway/ws`,
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

/** A SIP device: its own stack on 127.0.0.1 (ephemeral ports), recording the requests it receives. */
export class Device {
  readonly stack: SipStack;
  readonly received: IncomingRequest[] = [];
  private waiters: Array<() => void> = [];
  /** Status answered to incoming requests. */
  answer: ResponseSpec = { status: 200, reason: 'OK' };

  constructor(
    readonly aor: string,
    readonly password: string,
    readonly transport: 'udp' | 'tcp',
  ) {
    this.stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, userAgent: `device-${aor}` }, async (incoming) => {
      this.received.push(incoming);
      for (const w of this.waiters.splice(0)) w();
      return this.answer;
    });
  }

  async start(): Promise<this> {
    await this.stack.start();
    return this;
  }

  get port(): number {
    return this.stack.ports()[this.transport]!;
  }

  get contact(): string {
    return `<sip:${this.aor.split('@')[0]}@127.0.0.1:${this.port};transport=${this.transport}>`;
  }

  /** Send through the server at `serverPort` with this device's credentials. */
  send(serverPort: number, req: Omit<OutgoingRequest, 'nextHop' | 'credentials'>, password = this.password): Promise<OutgoingResult> {
    return this.stack.send({
      ...req,
      nextHop: `127.0.0.1:${serverPort};transport=${this.transport}`,
      credentials: { username: this.aor.split('@')[0]!, password },
    });
  }

  register(serverPort: number, opts: { expires?: number; contact?: string; password?: string; callId?: string; cseq?: number } = {}): Promise<OutgoingResult> {
    const headers: [string, string][] = [['Contact', opts.contact ?? this.contact]];
    if (opts.expires !== undefined) headers.push(['Expires', String(opts.expires)]);
    return this.send(
      serverPort,
      {
        method: 'REGISTER',
        uri: `sip:${this.aor.split('@')[1]}`,
        from: `<sip:${this.aor}>`,
        to: `<sip:${this.aor}>`,
        headers,
        ...(opts.callId ? { callId: opts.callId } : {}),
        ...(opts.cseq ? { cseq: opts.cseq } : {}),
      },
      opts.password,
    );
  }

  message(serverPort: number, to: string, text: string, opts: { from?: string; password?: string } = {}): Promise<OutgoingResult> {
    return this.send(
      serverPort,
      { method: 'MESSAGE', uri: `sip:${to}`, from: `<sip:${opts.from ?? this.aor}>`, to: `<sip:${to}>`, contentType: 'text/plain', body: text },
      opts.password,
    );
  }

  /** Wait until `n` requests were received (or fail after `ms`). */
  async waitFor(n: number, ms = 5000): Promise<IncomingRequest[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`device ${this.aor} received ${this.received.length} requests, expected ${n}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received;
  }

  stop(): Promise<void> {
    return this.stack.stop();
  }
}
