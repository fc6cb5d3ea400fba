/**
 * A complete server for the sylkRTC integration tests and benchmarks: the real SQLite store, the
 * real messaging layer (service + SIP pipeline), the real SIP stack, the web server and the gateway.
 * REGISTERs go to sipp (digest check) when `sippPort` is given, MESSAGEs to the forking proxy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { createMessaging, type Messaging } from '../../src/messaging/index.js';
import { messagingOptionsFromConfig } from '../../src/cli/server/messaging.js';
import { computeHa1 } from '../../src/sip/digest.js';
import { SipStack } from '../../src/sip/stack.js';
import { openSqliteStore, type SqliteStore } from '../../src/storage/sqlite/index.js';
import { LocalCredentialAuthenticator, SipRegistrationAuthenticator, type AccountAuthenticator } from '../../src/sylkrtc/auth.js';
import { ConnectionRegistry } from '../../src/sylkrtc/registry.js';
import { SylkRtcGateway } from '../../src/sylkrtc/server.js';
import { ForkingProxy } from './forking-proxy.js';
import { startSippProxy, type Sipp } from './sipp.js';

export const PASSWORD = 'secret';
export const ha1Of = (aor: string, algorithm = 'MD5'): string => {
  const [user, domain] = aor.split('@') as [string, string];
  return computeHa1(user, domain, PASSWORD, algorithm);
};

export interface Harness {
  dir: string;
  store: SqliteStore;
  stack: SipStack;
  messaging: Messaging;
  http: HttpServer;
  gw: SylkRtcGateway;
  proxy: ForkingProxy;
  sipp: Sipp | null;
  url: string;
  sipPort: number;
  close(): Promise<void>;
}

export async function startHarness(opts: { sippPort?: number; proxyPort: number }): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'sylkrtc-e2e-'));
  const cleanup: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const sipp = opts.sippPort ? await startSippProxy(opts.sippPort) : null;
    if (sipp) cleanup.unshift(() => sipp.stop());
    const store = openSqliteStore({ path: join(dir, 'journal.db'), retentionDays: 0 });
    cleanup.unshift(() => store.close());
    const stack = new SipStack({
      host: '127.0.0.1',
      udpPort: 0,
      // REGISTERs and MESSAGEs for the domain remote.example go to sipp, other MESSAGEs to the forking proxy.
      resolveTarget: async (req) => [
        {
          protocol: 'udp',
          address: '127.0.0.1',
          port: opts.sippPort && (req.method === 'REGISTER' || req.uri.endsWith('@remote.example')) ? opts.sippPort : opts.proxyPort,
        },
      ],
    });
    await stack.start();
    cleanup.unshift(() => stack.stop());
    const sipPort = stack.ports().udp!;
    const proxy = new ForkingProxy(opts.proxyPort, () => sipPort);
    await proxy.start();
    cleanup.unshift(() => proxy.stop());
    const empty = join(dir, 'config');
    const config = loadConfig({ configDir: empty, systemDir: null, userDir: null, log: false, defaultIp: '127.0.0.1', cwd: dir });
    const messaging = createMessaging({ options: messagingOptionsFromConfig(config), store, client: stack, webBaseUrl: () => 'http://127.0.0.1' });
    stack.setHandler(messaging.handler);
    const authenticator: AccountAuthenticator = opts.sippPort
      ? new SipRegistrationAuthenticator({ sip: stack, contactHost: `127.0.0.1:${sipPort}` })
      : new LocalCredentialAuthenticator({ lookup: async (aor) => ({ aor, ha1Md5: ha1Of(aor), ha1Sha256: ha1Of(aor, 'SHA-256'), disabled: false }) });
    const http = createHttpServer({ host: '127.0.0.1', port: 0, serverHeader: 'test' });
    const gw = new SylkRtcGateway({
      service: messaging.service,
      events: messaging.events,
      store,
      authenticator,
      registry: new ConnectionRegistry(),
      pingIntervalSec: 0,
    });
    gw.attach(http);
    const { port } = await http.listen();
    cleanup.unshift(async () => {
      await gw.close();
      await http.close();
    });
    return {
      dir,
      store,
      stack,
      messaging,
      http,
      gw,
      proxy,
      sipp,
      url: `ws://127.0.0.1:${port}/webrtcgateway/ws`,
      sipPort,
      close: async () => {
        for (const c of cleanup.splice(0)) await c();
      },
    };
  } catch (err) {
    for (const c of cleanup.splice(0)) await c();
    throw err;
  }
}

export type Frame = Record<string, unknown>;

/** A WebSocket client that records frames and waits for them. */
export class Client {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  private readonly waiters = new Set<() => void>();
  private n = 0;

  constructor(url: string) {
    this.ws = new WebSocket(url, 'sylkRTC-2');
    this.ws.on('message', (d) => {
      this.frames.push(JSON.parse(String(d)) as Frame);
      for (const w of [...this.waiters]) w();
    });
  }

  send(obj: Frame): string {
    const transaction = (obj.transaction as string | undefined) ?? `t${++this.n}`;
    this.ws.send(JSON.stringify({ ...obj, transaction }));
    return transaction;
  }

  /** Wait for a frame matching `pred` (searching all frames received so far). */
  async until(pred: (f: Frame) => boolean, ms = 15_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const w = () => {
          this.waiters.delete(w);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(w, left);
        this.waiters.add(w);
      });
    }
  }

  /** Send a request and wait for its ack (throws on error). */
  async request(obj: Frame): Promise<void> {
    const tx = this.send(obj);
    const r = await this.until((f) => f.transaction === tx && (f.sylkrtc === 'ack' || f.sylkrtc === 'error'));
    if (r.sylkrtc === 'error') throw new Error(`${String(obj.sylkrtc)}: ${String(r.error)}`);
  }

  /** Remove and return the frames received so far. */
  take(): Frame[] {
    return this.frames.splice(0);
  }

  events(name: string): Frame[] {
    return this.frames.filter((f) => f.sylkrtc === 'account-event' && f.event === name);
  }

  /** Connect, add and register `account`; resolves after `registered`. */
  static async login(url: string, account: string, password = ha1Of(account)): Promise<Client> {
    const c = new Client(url);
    await c.until((f) => f.sylkrtc === 'ready-event');
    await c.request({ sylkrtc: 'account-add', account, password, display_name: account.split('@')[0] });
    await c.request({ sylkrtc: 'account-register', account });
    const r = await c.until((f) => f.event === 'registration-state' && (f.state === 'registered' || f.state === 'failed'));
    if (r.state !== 'registered') throw new Error(`registration failed: ${String(r.reason)}`);
    c.take();
    return c;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
