/**
 * The built-in web server (`http-api.md` §1): one Fastify 5 application on the `[WebServer]`
 * listener (`local_ip`, `local_port`), HTTPS when `certificate` is set (a PEM holding the certificate
 * and its unencrypted key, optional `certificate_chain`), plain HTTP otherwise.
 *
 * Owns the listener and what every route shares: the `Server: SylkServer/<version>` header on every
 * response, `GET /` (`Welcome to SylkServer!`), `405` with `Allow` for a known path asked with a
 * method it does not serve (Fastify itself answers 404 there), and the dispatch of HTTP `upgrade`
 * requests by path to the WebSocket layers (`addUpgradeHandler`), which need the raw node server.
 * Routes are added by other modules on `app` (health, metrics, journal history, ...).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server as NodeHttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttps, type Server as NodeHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from '../util/logger.js';
import { logger as rootLogger } from '../util/logger.js';

export type NodeServer = NodeHttpServer | NodeHttpsServer;

/** Takes over an upgraded connection (e.g. a `ws` server's `handleUpgrade`). */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpServerOptions {
  /** `[WebServer] local_ip`. */
  host: string;
  /** `[WebServer] local_port`; 0 = any free port. */
  port: number;
  /** `[WebServer] certificate`: PEM with certificate and unencrypted private key; enables HTTPS. */
  certificate?: string | null;
  /** `[WebServer] certificate_chain`: PEM chain (also containing the certificate). */
  certificateChain?: string | null;
  /** Value of the `Server` header, e.g. `SylkServer/0.1.0`. */
  serverHeader: string;
  logger?: Logger;
  /** How long `close()` waits for open requests before cutting connections (ms, default 5000). */
  closeGraceMs?: number;
}

export interface HttpServer {
  /** The Fastify application: add routes and plugins before `listen()`. */
  readonly app: FastifyInstance;
  /** The node server underneath, for `upgrade` handling and connection accounting. */
  readonly server: NodeServer;
  readonly secure: boolean;
  /** Route HTTP upgrades for `pathname` (exact match) to `handler`; other paths get `404`. */
  addUpgradeHandler(pathname: string, handler: UpgradeHandler): void;
  /** Start listening; resolves to the bound address (the real port when `port` was 0). */
  listen(): Promise<{ host: string; port: number }>;
  /** The bound port (after `listen()`). */
  port(): number;
  /** Stop listening, let requests in flight finish (bounded by `closeGraceMs`), close connections. */
  close(): Promise<void>;
}

/** Extract the private key and the certificates from PEM text (the key and certs may share a file). */
export function readPemCredentials(certificatePath: string, chainPath?: string | null): { key: string; cert: string } {
  const text = readFileSync(certificatePath, 'utf8');
  const key = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(text)?.[0];
  if (!key) throw new Error(`${certificatePath}: no private key found (the certificate file must contain the unencrypted key)`);
  if (key.includes('ENCRYPTED')) throw new Error(`${certificatePath}: the private key must not be encrypted`);
  const certsOf = (t: string): string[] => t.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let certs = certsOf(text);
  if (certs.length === 0) throw new Error(`${certificatePath}: no certificate found`);
  if (chainPath) {
    const chain = certsOf(readFileSync(chainPath, 'utf8'));
    // The chain must contain the certificate too; use it as the full chain, leaf first.
    certs = chain.length > 0 ? [certs[0]!, ...chain.filter((c) => c !== certs[0])] : certs;
  }
  return { key, cert: `${certs.join('\n')}\n` };
}

/** Turn a Fastify route URL (`/a/:b`, `/a/:b?`, `/a/*`) into a matcher of concrete paths. */
function routePattern(url: string): RegExp {
  let re = '';
  for (const part of url.split('/').slice(1)) {
    if (part === '*') re += '(?:/.*)?';
    else if (/^:[^/]*\?$/.test(part)) re += '(?:/[^/]+)?';
    else if (part.startsWith(':')) re += '/[^/]+';
    else re += `/${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
  }
  return new RegExp(`^${re || '/'}/?$`);
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const log = (options.logger ?? rootLogger).child({ module: 'http' });
  const secure = Boolean(options.certificate);
  const tls = options.certificate ? readPemCredentials(options.certificate, options.certificateChain) : undefined;
  let nodeServer: NodeServer | undefined;

  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
      // No limit on a whole request (Fastify's own default; Node's is 5 minutes): a file upload takes
      // as long as its bytes keep coming, the route watches for idleness itself (src/filetransfer).
      // Headers must still arrive within Node's `headersTimeout`.
      nodeServer = tls ? createHttps({ key: tls.key, cert: tls.cert, requestTimeout: 0 }, handler) : createHttp({ requestTimeout: 0 }, handler);
      return nodeServer as NodeHttpServer;
    },
  }) as unknown as FastifyInstance;
  const server = nodeServer as NodeServer | undefined;
  if (!server) throw new Error('fastify did not create the server');

  // Every response names the server (http-api.md §1).
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Server', options.serverHeader);
  });

  // 405 for a known path asked with a method it does not serve.
  const routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
    routes.push({ pattern: routePattern(route.url ?? route.path), methods: new Set(methods) });
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = new Set<string>();
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) allowed.add(m);
    if (allowed.size > 0) return reply.code(405).header('Allow', [...allowed].sort().join(', ')).type('text/plain').send('Method Not Allowed');
    return reply.code(404).type('text/plain').send('Not Found');
  });

  app.get('/', async (_req, reply) => reply.type('text/plain').send('Welcome to SylkServer!'));

  // Upgrade dispatch (the WebSocket API and any other WebSocket endpoint).
  const upgrades = new Map<string, UpgradeHandler>();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    let pathname = '/';
    try {
      pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    } catch {
      /* keep '/' */
    }
    const handler = upgrades.get(pathname);
    if (handler) {
      handler(request, socket, head);
      return;
    }
    socket.end(`HTTP/1.1 404 Not Found\r\nServer: ${options.serverHeader}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  // Track raw sockets so close() can cut the ones that outlive the grace period.
  const sockets = new Set<Socket>();
  // (`connection` also for HTTPS: the raw TCP socket, so a stalled TLS handshake is cut too.)
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  let bound: { host: string; port: number } | undefined;
  return {
    app,
    server,
    secure,
    addUpgradeHandler(pathname, handler) {
      if (upgrades.has(pathname)) throw new Error(`an upgrade handler for ${pathname} exists already`);
      upgrades.set(pathname, handler);
    },
    async listen() {
      await app.listen({ host: options.host, port: options.port });
      const a = server.address() as AddressInfo;
      bound = { host: a.address, port: a.port };
      log.info({ host: a.address, port: a.port, secure }, 'web server listening');
      return bound;
    },
    port() {
      if (!bound) throw new Error('the web server is not listening');
      return bound.port;
    },
    async close() {
      const grace = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, options.closeGraceMs ?? 5000);
      grace.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
    },
  };
}
