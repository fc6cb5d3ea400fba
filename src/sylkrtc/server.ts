/**
 * The sylkRTC WebSocket endpoint (`sylkrtc-websocket.md` §1): upgrades on `/webrtcgateway/ws` of the
 * web listener (plain or TLS, whatever node server Fastify runs on), subprotocol `sylkRTC-2` selected
 * and echoed (HTTP 406 "No compatible protocol specified" without it, as the original), `Origin`
 * checked against `[General] web_origins`, `ready-event` right after the upgrade (§1.5), WebSocket
 * pings every `websocket_ping_interval` seconds with a pong timeout of half of it (§1.6), inbound
 * frames bounded by ws `maxPayload` (§1.7). It also wires the fan-out of messaging events.
 *
 * Never refuses for a media server (quirk 2): messaging does not depend on one. Uses `ws` in
 * `noServer` mode behind the web server's per-path upgrade dispatch.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HttpServer } from '../http/server.js';
import { logger } from '../util/logger.js';
import { MemoryAddressBookStore, type AddressBookStore } from './addressbook.js';
import type { AccountAuthenticator } from './auth.js';
import { Connection } from './connection.js';
import type { SylkRtcContext } from './context.js';
import { FanOut } from './fanout.js';
import { wsConnections } from './metrics.js';
import { MAX_INBOUND_FRAME, SUBPROTOCOL, WS_PATH } from './protocol.js';
import type { ConnectionRegistry } from './registry.js';

const log = logger.child({ module: 'sylkrtc.server' });

export interface SylkRtcOptions extends Omit<SylkRtcContext, 'registry' | 'addressBook' | 'sipDomains' | 'authenticator'> {
  authenticator: AccountAuthenticator;
  /** The routing table (the composition root shares it with push's `isDeviceOnline`). */
  registry: ConnectionRegistry;
  addressBook?: AddressBookStore;
  /** `[General] sip_domains` (lower case; `[]` = nobody, `'*'` = any); default `'*'`. */
  sipDomains?: readonly string[] | '*';
  /** `[General] web_origins`; default `'*'`. */
  webOrigins?: readonly string[] | '*';
  /** `[General] websocket_ping_interval` in seconds; default 120; 0 disables. */
  pingIntervalSec?: number;
  /** Largest inbound frame in bytes (default 2 MiB). */
  maxPayload?: number;
}

/** `web_origins` check (§1.3): `*` allows anything; a request without `Origin` (apps) is allowed. */
export function originAllowed(allowed: readonly string[] | '*', origin: string | undefined): boolean {
  if (allowed === '*' || allowed.includes('*')) return true;
  if (origin === undefined) return true;
  const o = origin.toLowerCase();
  return allowed.some((a) => {
    const p = a.toLowerCase();
    if (p === o) return true;
    if (!p.includes('*')) return false;
    const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(o);
  });
}

function offersSubprotocol(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((p) => p.trim() === SUBPROTOCOL);
}

function refuse(socket: Duplex, status: number, reason: string, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

interface Live {
  conn: Connection;
  ws: WebSocket;
  alive: boolean;
}

export class SylkRtcGateway {
  readonly ctx: SylkRtcContext;
  private readonly wss: WebSocketServer;
  private readonly fanout: FanOut;
  private readonly live = new Set<Live>();
  /** Registrations being removed for closed connections (awaited by close(), bounded). */
  private readonly closing = new Set<Promise<void>>();
  private readonly webOrigins: readonly string[] | '*';
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SylkRtcOptions) {
    this.ctx = {
      service: opts.service,
      events: opts.events,
      store: opts.store,
      authenticator: opts.authenticator,
      registry: opts.registry,
      addressBook: opts.addressBook ?? new MemoryAddressBookStore(),
      sipDomains: opts.sipDomains ?? '*',
    };
    this.webOrigins = opts.webOrigins ?? '*';
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: opts.maxPayload ?? MAX_INBOUND_FRAME,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    this.fanout = new FanOut(this.ctx.registry, opts.events);
    const interval = (opts.pingIntervalSec ?? 120) * 1000;
    if (interval > 0) {
      this.pingTimer = setInterval(() => this.pingRound(interval / 2), interval);
      this.pingTimer.unref();
    }
  }

  /** Number of open connections. */
  get connections(): number {
    return this.live.size;
  }

  /** Take the upgrades of `/webrtcgateway/ws` on the web listener (`src/http/server.ts`). */
  attach(http: Pick<HttpServer, 'addUpgradeHandler'>): void {
    http.addUpgradeHandler(WS_PATH, (req, socket, head) => this.handleUpgrade(req, socket, head));
  }

  /** Handle one upgrade request for {@link WS_PATH}: checks, then the WebSocket handshake. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!offersSubprotocol(req.headers['sec-websocket-protocol'])) {
      refuse(socket, 406, 'Not Acceptable', 'No compatible protocol specified');
      return;
    }
    if (!originAllowed(this.webOrigins, req.headers.origin)) {
      refuse(socket, 403, 'Forbidden', 'Origin not allowed');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, req));
  }

  private onOpen(ws: WebSocket, req: IncomingMessage): void {
    const conn = new Connection(this.ctx, ws, req.socket.remoteAddress ?? '');
    const entry: Live = { conn, ws, alive: true };
    this.live.add(entry);
    wsConnections.inc();
    ws.on('message', (data, isBinary) => {
      if (isBinary) conn.onBinary();
      else conn.onText(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8'));
    });
    ws.on('pong', () => {
      entry.alive = true;
    });
    ws.on('error', (err) => log.debug({ err, conn: conn.id }, 'websocket error'));
    ws.on('close', () => {
      this.live.delete(entry);
      wsConnections.dec();
      const done = conn.onClose();
      this.closing.add(done);
      void done.then(() => this.closing.delete(done));
    });
    conn.send({ sylkrtc: 'ready-event' });
  }

  /** Ping everyone; whoever has not answered `timeoutMs` later is dropped (§1.6). */
  private pingRound(timeoutMs: number): void {
    for (const e of this.live) {
      e.alive = false;
      try {
        e.ws.ping();
      } catch {
        e.ws.terminate();
      }
    }
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      for (const e of this.live) {
        if (!e.alive) {
          log.info({ conn: e.conn.id }, 'no pong; closing');
          e.ws.terminate();
        }
      }
    }, timeoutMs);
    this.pongTimer.unref();
  }

  /** Close every connection (1001 going away), wait for their un-REGISTERs (≤ 3 s); call before stopping SIP. */
  async close(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.fanout.close();
    const closing = [...this.live].map(
      (e) =>
        new Promise<void>((resolve) => {
          if (e.ws.readyState === 3) return resolve();
          e.ws.once('close', () => resolve());
          e.ws.close(1001, 'Server shutting down');
          setTimeout(() => {
            e.ws.terminate();
            resolve();
          }, 1000).unref();
        }),
    );
    await Promise.all(closing);
    // let the un-REGISTERs of the dropped bindings go out before the SIP stack stops (at most 3 s)
    await Promise.race([Promise.all(this.closing), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.wss.close();
  }
}
