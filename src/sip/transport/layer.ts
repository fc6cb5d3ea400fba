/**
 * The transport layer (RFC 3261 §18, RFC 3581, RFC 7118, RFC 5626 §3.5.1): owns the UDP socket, the
 * TCP and TLS listeners, the SIP-over-WebSocket endpoint, and the table of open stream connections.
 * It hands every complete message up as bytes together with its `Flow`, and sends bytes either back
 * on a flow (responses) or to a resolved target (requests), reusing an open connection to the same
 * `proto:ip:port` — accepted or opened by us — before opening a new one.
 *
 * Bounds: datagrams larger than the limit are dropped; stream data goes through a per-connection
 * framer with the parser's limits; a connection with an unfinished message is closed after
 * `incompleteMessageTimeoutMs`, an idle one after `idleTimeoutMs`; at most `maxConnections` are open,
 * and which inbound connections may take them is `admission.ts`'s decision.
 * The UDP socket asks for `udpReceiveBufferBytes`/`udpSendBufferBytes` of kernel buffer (bursts
 * overflow the default one); `udpQueuedBytes()` is how much of it is in use (`udp-backlog.ts`).
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, connect as tcpConnect, isIPv6, type Server as TcpServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { logger } from '../../util/logger.js';
import type { SipLimits } from '../limits.js';
import { parseMessage, type ParseResult } from '../message/parser.js';
import { StreamFramer } from './framer.js';
import { crlfKeepAliveAnswer, udpKeepAliveAnswer } from './keepalive.js';
import { closeServer, createUdpSocket, listen, normalizeAddress, sizeUdpBuffers, socketBufferSizes } from './sockets.js';
import type { TransportAddress, TransportProtocol } from '../message/message.js';
import { ADMIT_ALL, ConnectionAdmission, type AdmissionPolicy, type PeerClass } from './admission.js';
import { StreamConnection } from './stream-connection.js';
import { connectionKey, type Connection, type Flow, type SendTarget } from './types.js';
import { UdpBacklog } from './udp-backlog.js';
import { WsConnection } from './ws-connection.js';

export interface TlsOptions {
  /** PEM certificate (chain) file. */
  certFile: string;
  /** PEM private key file; may be the same file as the certificate (SylkServer's `certificate`). */
  keyFile: string;
  /** CA bundle used to verify peers we connect to. */
  caFile?: string;
  /** Verify the server certificate of outgoing TLS connections (`[TLS] verify_server`). */
  verifyServer?: boolean;
}

export interface WebSocketOptions {
  /** Attach to this HTTP(S) server's `upgrade` event instead of listening on a port of our own. */
  server?: HttpServer | HttpsServer;
  /** Port of a standalone WebSocket listener (0 = ephemeral) when no server is given. */
  port?: number;
  /** Request path of the endpoint, default `/sip`. */
  path?: string;
  /** The server is HTTPS: the transport is `wss`. */
  secure?: boolean;
}

export interface TransportLayerOptions {
  /** Address to bind (IPv4 or IPv6 literal). */
  host: string;
  /** Listening ports; undefined disables the transport, 0 picks an ephemeral port. */
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  /** Certificate and key for TLS (required when `tlsPort` is set). */
  tls?: TlsOptions;
  /** SIP over WebSocket (RFC 7118), standalone or attached to an HTTP(S) server. */
  ws?: WebSocketOptions;
  limits: SipLimits;
  idleTimeoutMs: number;
  incompleteMessageTimeoutMs: number;
  connectTimeoutMs: number;
  maxConnections: number;
  maxWriteBufferBytes: number;
  /** SO_RCVBUF / SO_SNDBUF asked for on the UDP socket(s) (the kernel caps them at net.core.rmem_max / wmem_max). */
  udpReceiveBufferBytes: number;
  udpSendBufferBytes: number;
  /** Which inbound connections to take (`admission.ts`); default: everyone, `maxConnections` only. */
  admission?: AdmissionPolicy;
}

const log = logger.child({ module: 'sip.transport' });

/**
 * Receives every inbound message, parsed (datagrams and WebSocket frames by `parseMessage`, streams by
 * the `StreamFramer`), or the parse error so that the stack can answer a broken request with 400.
 */
export type MessageSink = (result: ParseResult, flow: Flow) => void;

export class TransportLayer {
  private udp: UdpSocket | undefined;
  private udpClient: UdpSocket | undefined;
  private udpBacklog: UdpBacklog | undefined;
  private tcpServer: TcpServer | undefined;
  private tlsServer: TlsServer | undefined;
  private wss: WebSocketServer | undefined;
  private wsHttpServer: HttpServer | undefined;
  private wsUpgradeListener: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  private tlsContext: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
  private readonly byKey = new Map<string, Connection>();
  private readonly all = new Set<Connection>();
  private readonly ports: Partial<Record<TransportProtocol, number>> = {};
  private listening = false;
  onMessage: MessageSink = () => {};
  /** Asked before a datagram is parsed: true if it was answered already (load shedding, `../overload-datagram.ts`). */
  shedDatagram: (msg: Buffer, flow: Flow) => boolean = () => false;
  private readonly admission: ConnectionAdmission;
  private readonly closeListeners = new Set<(conn: Connection) => void>();

  constructor(private readonly options: TransportLayerOptions) {
    this.admission = new ConnectionAdmission(options.admission ?? ADMIT_ALL, options.maxConnections);
  }

  /** Call `listener` whenever a stream/WebSocket connection closes (a registrar drops its bindings). */
  onConnectionClosed(listener: (conn: Connection) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** The open connection to `proto:ip:port`, if any. */
  connectionTo(target: TransportAddress): Connection | undefined {
    const c = this.byKey.get(connectionKey(target.protocol, target.address, target.port));
    return c && !c.closed ? c : undefined;
  }

  /** Protocols we listen on, in RFC 3263 preference order. */
  get protocols(): TransportProtocol[] {
    return (['udp', 'tcp', 'tls', 'ws', 'wss'] as const).filter((p) => this.ports[p] !== undefined);
  }

  /** The port we listen on for a protocol (for Via sent-by), undefined if disabled. */
  port(protocol: TransportProtocol): number | undefined {
    return this.ports[protocol];
  }

  /**
   * The port to put in the Via of a request we send over `protocol`: the listening port, or for UDP
   * without a listener the ephemeral client socket's (responses come back to the source port).
   */
  viaPort(protocol: TransportProtocol): number {
    const p = this.ports[protocol];
    if (p !== undefined) return p;
    if (protocol === 'udp') {
      const sock = this.clientUdp();
      try {
        return sock.address().port;
      } catch {
        return 0;
      }
    }
    return this.ports.tcp ?? this.ports.udp ?? 5060;
  }

  get host(): string {
    return this.options.host;
  }

  get connectionCount(): number {
    return this.all.size;
  }

  async start(): Promise<void> {
    const o = this.options;
    if (o.tls) {
      const cert = readFileSync(o.tls.certFile);
      const key = readFileSync(o.tls.keyFile);
      this.tlsContext = { cert, key, ...(o.tls.caFile ? { ca: readFileSync(o.tls.caFile) } : {}) };
    }
    if (o.udpPort !== undefined) await this.startUdp(o.udpPort);
    else {
      // No UDP listener: still be able to send over UDP (e.g. to an outbound proxy whose transport
      // defaults to udp) from a client socket bound now, so its port is known for the Via.
      const sock = this.clientUdp();
      await new Promise<void>((resolve) => sock.once('listening', () => resolve()));
    }
    if (o.tcpPort !== undefined) {
      const server = createTcpServer({ noDelay: true }, (socket) => this.accept('tcp', socket));
      this.tcpServer = server;
      this.ports.tcp = await listen(server, o.tcpPort, o.host);
    }
    if (o.tlsPort !== undefined) {
      if (!this.tlsContext) throw new Error('TLS transport enabled without certificate and key');
      const server = createTlsServer({ cert: this.tlsContext.cert, key: this.tlsContext.key, handshakeTimeout: o.connectTimeoutMs }, (socket) =>
        this.accept('tls', socket),
      );
      server.on('tlsClientError', () => {});
      this.tlsServer = server;
      this.ports.tls = await listen(server, o.tlsPort, o.host);
    }
    if (o.ws) await this.startWs(o.ws);
    this.listening = true;
  }

  private async startUdp(port: number): Promise<void> {
    const family = isIPv6(this.options.host) ? 'udp6' : 'udp4';
    const sock = createUdpSocket(family);
    sock.on('message', (msg, rinfo) => {
      this.datagram(msg, rinfo.address, rinfo.port);
    });
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, this.options.host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sizeUdpBuffers(sock, this.options.udpReceiveBufferBytes, this.options.udpSendBufferBytes);
    this.udp = sock;
    this.ports.udp = sock.address().port;
    this.udpBacklog = new UdpBacklog(family, sock.address().address, this.ports.udp);
  }

  /** Bytes waiting in the kernel's receive queue of the UDP listener (`udp-backlog.ts`), 0 if unknown. */
  udpQueuedBytes = (): number => this.udpBacklog?.queued() ?? 0;

  /** The UDP socket's SO_RCVBUF / SO_SNDBUF as the kernel reports them, once it is bound. */
  udpBufferSizes(): { receive: number; send: number } | undefined {
    const sock = this.udp ?? this.udpClient;
    return sock ? socketBufferSizes(sock) : undefined;
  }

  private async startWs(ws: WebSocketOptions): Promise<void> {
    const path = ws.path ?? '/sip';
    const protocol: TransportProtocol = ws.secure ? 'wss' : 'ws';
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.limits.maxStreamMessageBytes,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    this.wss = wss;
    const server = ws.server ?? createHttpServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('SIP over WebSocket only\n');
    });
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const url = req.url ?? '/';
      const reqPath = url.split('?')[0];
      if (reqPath !== path) {
        // Not ours: another upgrade listener (e.g. the sylkRTC API) may take it.
        if (!ws.server) socket.destroy();
        return;
      }
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim().toLowerCase());
      if (!offered.includes('sip') || !this.listening) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const cls = this.admission.admit(protocol, normalizeAddress(req.socket.remoteAddress ?? ''), this.all.size);
      if (cls === null) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (sock: WebSocket) => this.acceptWs(protocol, sock, req, cls));
    };
    server.on('upgrade', listener);
    this.wsUpgradeListener = listener;
    if (!ws.server) {
      this.wsHttpServer = server as HttpServer;
      this.ports[protocol] = await listen(server as HttpServer, ws.port ?? 0, this.options.host);
    } else {
      const addr = ws.server.address();
      this.ports[protocol] = typeof addr === 'object' && addr ? addr.port : 0;
    }
  }

  private acceptWs(protocol: TransportProtocol, sock: WebSocket, req: IncomingMessage, cls: PeerClass): void {
    const remote: TransportAddress = { protocol, address: normalizeAddress(req.socket.remoteAddress ?? ''), port: req.socket.remotePort ?? 0 };
    const idle = cls === 'refused' ? Math.min(this.options.idleTimeoutMs, this.admission.refusedIdleTimeoutMs) : this.options.idleTimeoutMs;
    const conn = new WsConnection(protocol, sock, remote, req.socket.localPort ?? 0, idle, this.options.maxWriteBufferBytes);
    const flow: Flow = { protocol, remote, connection: conn };
    conn.onFrame = (data) => {
      // A keep-alive frame of bare CRLFs: a ping is answered (keepalive.ts), a pong ignored.
      const keepAlive = crlfKeepAliveAnswer(data);
      if (keepAlive !== undefined) return void (keepAlive && conn.send(keepAlive));
      this.onMessage(parseMessage(data, this.options.limits), flow);
    };
    this.register(conn, cls);
  }

  private accept(protocol: 'tcp' | 'tls', socket: Socket | TLSSocket): void {
    const address = normalizeAddress(socket.remoteAddress ?? '');
    const cls = this.listening ? this.admission.admit(protocol, address, this.all.size) : null;
    if (cls === null) return void socket.destroy();
    const remote: TransportAddress = { protocol, address, port: socket.remotePort ?? 0 };
    this.setupStream(protocol, socket, remote, cls);
  }

  private setupStream(protocol: TransportProtocol, socket: Socket, remote: TransportAddress, cls?: PeerClass): StreamConnection {
    const o = this.options;
    const conn = new StreamConnection(protocol, socket, remote, {
      idleTimeoutMs: cls === 'refused' ? Math.min(o.idleTimeoutMs, this.admission.refusedIdleTimeoutMs) : o.idleTimeoutMs,
      incompleteMessageTimeoutMs: o.incompleteMessageTimeoutMs,
      maxWriteBufferBytes: o.maxWriteBufferBytes,
    });
    const flow: Flow = { protocol, remote, connection: conn };
    const framer = new StreamFramer(o.limits);
    conn.onData = (chunk) => {
      for (const ev of framer.push(chunk)) {
        if (ev.type === 'message') this.onMessage({ ok: true, message: ev.message, length: ev.bytes }, flow);
        else if (ev.type === 'ping') conn.send(CRLF); // RFC 5626 §4.4.1: pong
        else if (ev.type === 'error') {
          this.onMessage(ev.error, flow);
          if (ev.fatal) {
            // Let the error response (if any) go out before closing.
            conn.closeAfterWrite('unframeable input');
            return 0;
          }
        }
      }
      return framer.buffered;
    };
    this.register(conn, cls);
    return conn;
  }

  /** Track an open connection; `cls` for inbound ones (admission counts), undefined for ours. */
  private register(conn: StreamConnection | WsConnection, cls?: PeerClass): void {
    this.all.add(conn);
    const key = connectionKey(conn.protocol, conn.remote.address, conn.remote.port);
    this.byKey.set(key, conn);
    if (cls !== undefined) this.admission.opened(conn.remote.address, cls);
    conn.onClose = () => {
      this.all.delete(conn);
      if (this.byKey.get(key) === conn) this.byKey.delete(key);
      if (cls !== undefined) this.admission.closed(conn.remote.address, cls);
      for (const l of this.closeListeners) {
        try {
          l(conn);
        } catch (err) {
          log.error({ err }, 'connection close listener failed');
        }
      }
    };
  }

  /** Send on the flow a message came in on (responses, §18.2.2): same connection for streams. */
  sendOnFlow(flow: Flow, bytes: Buffer, cb?: (err?: Error) => void): void {
    if (flow.connection) {
      flow.connection.send(bytes, cb);
      return;
    }
    this.send(flow.remote, bytes, cb);
  }

  /** True if an open connection to that target exists (or the target is datagram-based). */
  hasConnection(target: TransportAddress): boolean {
    const c = this.byKey.get(connectionKey(target.protocol, target.address, target.port));
    return c !== undefined && !c.closed;
  }

  /**
   * Send bytes to a resolved target: UDP from our listening socket (so responses come back to it),
   * streams over an open connection to the same `proto:ip:port` or a new one. WebSocket targets are
   * reachable only over a connection the peer opened.
   */
  send(target: SendTarget, bytes: Buffer, cb?: (err?: Error) => void): void {
    try {
      if (target.protocol === 'udp') {
        const sock = this.udp ?? this.clientUdp();
        // Without a callback libuv may send synchronously (uv_udp_try_send) and skips the completion
        // round trip, which costs more than the rest of a response; so only ask for it when wanted.
        if (cb) sock.send(bytes, target.port, target.address, (err) => cb(err ?? undefined));
        else this.queueDatagram(sock, bytes, target.port, target.address);
        return;
      }
      const key = connectionKey(target.protocol, target.address, target.port);
      const existing = this.byKey.get(key);
      if (existing && !existing.closed) {
        existing.send(bytes, cb);
        return;
      }
      if (target.protocol === 'ws' || target.protocol === 'wss') {
        cb?.(new Error('no WebSocket connection to target'));
        return;
      }
      if (this.all.size >= this.options.maxConnections) {
        cb?.(new Error('too many connections'));
        return;
      }
      const conn = this.connect(target);
      conn.send(bytes, cb);
    } catch (err) {
      cb?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Send one datagram without a completion callback (UDP responses; see `queueDatagram`). */
  sendDatagram(bytes: Buffer, port: number, address: string): void {
    try {
      this.queueDatagram(this.udp ?? this.clientUdp(), bytes, port, address);
    } catch {
      // as `send` without a callback: a lost datagram
    }
  }

  /**
   * Fire-and-forget datagrams are sent together once the datagrams read in this event-loop turn
   * have been handled (setImmediate runs right after the poll phase). On loopback and in VMs most
   * of a send's cost is waking the receiving process; sent in a burst, only the first one does,
   * so a server under load spends a fraction of the CPU per response. Order is kept.
   */
  private queueDatagram(sock: UdpSocket, bytes: Buffer, port: number, address: string): void {
    const q = this.udpQueue;
    q.push(sock, bytes, port, address);
    if (q.length === 4) setImmediate(this.flushDatagrams);
  }

  private readonly udpQueue: (UdpSocket | Buffer | number | string)[] = [];

  private readonly flushDatagrams = (): void => {
    const q = this.udpQueue;
    for (let i = 0; i < q.length; i += 4) {
      try {
        (q[i] as UdpSocket).send(q[i + 1] as Buffer, q[i + 2] as number, q[i + 3] as string);
      } catch {
        // socket closed meanwhile: a lost datagram, as on the network
      }
    }
    q.length = 0;
  };

  private datagram(msg: Buffer, address: string, port: number): void {
    // Keep-alives (CRLF, STUN; keepalive.ts) and empty datagrams: answered or ignored, never parsed.
    const keepAlive = udpKeepAliveAnswer(msg, address, port);
    if (keepAlive !== undefined) return void (keepAlive && this.sendDatagram(keepAlive, port, address));
    const flow: Flow = { protocol: 'udp', remote: { protocol: 'udp', address: normalizeAddress(address), port } };
    if (!this.shedDatagram(msg, flow)) this.onMessage(parseMessage(msg, this.options.limits), flow);
  }

  private clientUdp(): UdpSocket {
    if (!this.udpClient) {
      const sock = createUdpSocket(isIPv6(this.options.host) ? 'udp6' : 'udp4');
      sock.on('error', () => {});
      sock.on('message', (msg, rinfo) => {
        this.datagram(msg, rinfo.address, rinfo.port);
      });
      sock.once('listening', () => sizeUdpBuffers(sock, this.options.udpReceiveBufferBytes, this.options.udpSendBufferBytes));
      sock.bind({ port: 0, address: this.options.host, exclusive: true });
      this.udpClient = sock;
    }
    return this.udpClient;
  }

  private connect(target: SendTarget): StreamConnection {
    const o = this.options;
    let socket: Socket;
    if (target.protocol === 'tls') {
      socket = tlsConnect({
        host: target.address,
        port: target.port,
        servername: target.serverName && !/^[\d.]+$|:/.test(target.serverName) ? target.serverName : undefined,
        rejectUnauthorized: o.tls?.verifyServer ?? false,
        ...(this.tlsContext?.ca ? { ca: this.tlsContext.ca } : {}),
        ...(this.tlsContext ? { cert: this.tlsContext.cert, key: this.tlsContext.key } : {}),
      });
    } else {
      socket = tcpConnect({ host: target.address, port: target.port, localAddress: o.host, noDelay: true });
    }
    const conn = this.setupStream(target.protocol, socket, { protocol: target.protocol, address: target.address, port: target.port });
    const connectTimer = setTimeout(() => conn.close('connect timeout'), o.connectTimeoutMs);
    socket.once(target.protocol === 'tls' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    socket.once('close', () => clearTimeout(connectTimer));
    return conn;
  }

  /** Stop accepting new connections (graceful stop, step 1); open ones keep working. */
  async stopListening(): Promise<void> {
    this.listening = false;
    const closes: Promise<void>[] = [];
    if (this.tcpServer) closes.push(closeServer(this.tcpServer));
    if (this.tlsServer) closes.push(closeServer(this.tlsServer));
    if (this.wsHttpServer) closes.push(closeServer(this.wsHttpServer));
    else if (this.options.ws?.server && this.wsUpgradeListener) this.options.ws.server.off('upgrade', this.wsUpgradeListener);
    // server.close() resolves only once all connections are gone; do not wait for it here.
    void Promise.all(closes);
  }

  /** Close every socket and connection (graceful stop, last step). */
  async close(): Promise<void> {
    this.flushDatagrams(); // responses queued in this turn still go out
    await this.stopListening();
    for (const conn of [...this.all]) conn.close('shutting down');
    this.wss?.close();
    this.wsHttpServer?.closeAllConnections();
    const waits: Promise<void>[] = [];
    for (const s of [this.udp, this.udpClient]) {
      if (s) waits.push(new Promise<void>((resolve) => s.close(() => resolve())));
    }
    for (const s of [this.tcpServer, this.tlsServer, this.wsHttpServer]) if (s) waits.push(closeServer(s));
    await Promise.all(waits);
    this.udp = undefined;
    this.udpClient = undefined;
    this.udpBacklog = void this.udpBacklog?.close();
  }
}

const CRLF = Buffer.from('\r\n');
