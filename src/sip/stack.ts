/**
 * The SIP stack (RFC 3261 §8 UAC/UAS cores on top of §17 transactions and §18 transports): the one
 * object the application talks to. Incoming requests are parsed by the transport layer, matched to
 * server transactions (so a retransmission never reaches the application twice), screened by the
 * UAS core (`uas-core.ts`) and handed to the `RequestHandler` once; outgoing requests (`SipClient`)
 * get a client transaction, a next hop (outbound proxy or RFC 3263), and at most one digest retry.
 *
 * Owns: `SipStackOptions` (a plain object; the lead wires `[SIP]`/`[General]` configuration to it),
 * the transaction tables, the 100 Trying / 500 / 503 behaviour around the handler, metrics, and the
 * graceful stop (stop listening, let transactions in flight finish within a bound, close sockets).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingRequest, OutgoingRequest, OutgoingResult, RequestHandler, ResponseSpec, SipClient } from './api.js';
import { digestAuthorization, parseDigestChallenge } from './digest.js';
import { parseProxyAddress, pickNextHop, resolveNextHops, resolveProxy, type NextHop } from './dns.js';
import { parseCSeq, tagOf, topVia, type CSeq, type Via } from './grammar.js';
import { resolveLimits, type SipLimits } from './limits.js';
import { logger } from '../util/logger.js';
import { Headers, type SipRequest, type SipResponse, type TransportProtocol } from './message.js';
import type { ParseResult } from './parser.js';
import { serializeMessage } from './serializer.js';
import { countRequest, countResponse, observeHandling, sipDropped, transactionEnded, transactionStarted } from './stack-metrics.js';
import { NonInviteClientTransaction } from './transaction/client-non-invite.js';
import type { TransactionChannel } from './transaction/channel.js';
import { clientKey, isRfc3261Branch, rfc3261ServerKey, serverKey, type RequestKeyParts } from './transaction/keys.js';
import { InviteServerTransaction } from './transaction/server-invite.js';
import { NonInviteServerTransaction } from './transaction/server-non-invite.js';
import { TransactionTable } from './transaction/table.js';
import { CoalescingTimers, DEFAULT_TIMERS, realTimers, type TimerHandle, type TimerHost, type TimerValues } from './transaction/timers.js';
import { TransportLayer, type TlsOptions, type WebSocketOptions } from './transport/layer.js';
import { isReliable, type Flow, type SendTarget } from './transport/types.js';
import { DatagramChannel, ResponseChannel } from './transport/response-channel.js';
import { responseTarget, stampReceived } from './transport/via.js';
import { TrustedPeers } from './trusted-peers.js';
import { allowedMethods, buildResponse, buildResponseBytes, reasonPhrase, screenRequest, type UasPolicy } from './uas-core.js';

const log = logger.child({ module: 'sip.stack' });


export interface SipStackOptions {
  /** Address to bind and to put in Via/From of our own requests (`[SIP] local_ip`). */
  host: string;
  /** Listening ports; undefined disables the transport, 0 picks an ephemeral port. */
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  /** Certificate and key for TLS (required when `tlsPort` is set). */
  tls?: TlsOptions;
  /** SIP over WebSocket (RFC 7118), standalone or attached to an HTTP(S) server. */
  ws?: WebSocketOptions;
  /** `[SIP] trusted_peers`: CIDRs / IPs / hostnames / `any` / `none` (default `any`). */
  trustedPeers?: string | readonly string[];
  /** `[General] outbound_sip_proxy`: `host[:port][;transport=udp|tcp|tls]`, next hop of every request. */
  outboundProxy?: string;
  /** Methods handed to the application handler (default: MESSAGE). */
  applicationMethods?: readonly string[];
  /** Content types listed in OPTIONS' Accept. */
  accept?: readonly string[];
  /** `Server` / `User-Agent` header value. */
  userAgent?: string;
  /** RFC 3261 T1/T2/T4 (ms). */
  timers?: Partial<TimerValues>;
  /** The clock transactions use (tests pass a `FakeClock`). */
  clock?: TimerHost;
  /** Parser/framer limits. */
  limits?: Partial<SipLimits>;
  /** Answer UDP requests at their source port even when the client did not ask with `rport` (NAT). */
  forceRport?: boolean;
  /** Close a connection without traffic after this long (default 5 min). */
  idleTimeoutMs?: number;
  /** Close a connection that holds an unfinished message this long (default 30 s). */
  incompleteMessageTimeoutMs?: number;
  /** Give up connecting (TCP connect + TLS handshake) after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** Most open stream/WebSocket connections (default 10000). */
  maxConnections?: number;
  /** Most bytes queued for writing on one connection before it is dropped (default 1 MiB). */
  maxWriteBufferBytes?: number;
  /**
   * Receive buffer (SO_RCVBUF) asked for on the UDP socket, default 4 MiB: the kernel default
   * (~208 KiB) drops datagrams under a burst. The kernel caps it at net.core.rmem_max; the effective
   * size is logged at debug level, and failing to set it never stops the start-up. 0 keeps the default.
   */
  udpReceiveBufferBytes?: number;
  /** Send buffer (SO_SNDBUF) of the UDP socket, default 4 MiB (capped at net.core.wmem_max); as above. */
  udpSendBufferBytes?: number;
  /** Send `100 Trying` on unreliable transports if the handler has not answered after this long (default 200 ms). */
  tryingDelayMs?: number;
  /** Longest graceful-stop wait for transactions in flight (default 5 s). */
  stopTimeoutMs?: number;
  /**
   * Resolve the next hop of an outgoing request; default: `nextHop`/`outboundProxy` with A/AAAA
   * lookups, else RFC 3263 for the Request-URI restricted to the enabled transports.
   */
  resolveTarget?: (request: OutgoingRequest, protocols: TransportProtocol[]) => Promise<SendTarget[]>;
}

type ServerTx = NonInviteServerTransaction | InviteServerTransaction;

const TRYING: ResponseSpec = { status: 100, reason: 'Trying' };

/** The stack's state of one request handed to the handler (or answered by the core), until its final response. */
class InboundRequest {
  answered = false;
  /** The pending 100 Trying timer (unreliable transports). */
  trying: TimerHandle | undefined = undefined;

  constructor(
    readonly req: SipRequest,
    readonly tx: ServerTx,
    /** Method label for metrics. */
    readonly method: string,
    readonly toTag: string,
    /** performance.now() at arrival. */
    readonly started: number,
  ) {}
}

/** The parts of an RFC 2543 transaction key (and of a CANCEL's lookup). */
function keyParts(req: SipRequest, via: Via, sentBy: string, callId: string, cseq: CSeq): RequestKeyParts {
  return {
    method: req.method,
    branch: via.branch,
    sentBy,
    callId,
    cseqNumber: cseq.seq,
    fromTag: isRfc3261Branch(via.branch) ? undefined : tagOf(req.headers.get('from') ?? ''),
    requestUri: req.uri,
  };
}

interface PendingClient {
  resolve(response: SipResponse): void;
}

/** Methods a CANCEL is looked up against (§9.2). */
const CANCELLABLE = ['INVITE', 'MESSAGE', 'OPTIONS', 'REGISTER', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PUBLISH', 'BYE', 'PRACK'];

const DEFAULT_ACCEPT = [
  'text/plain',
  'text/html',
  'message/cpim',
  'message/imdn+xml',
  'application/im-iscomposing+xml',
  'application/sylk-api-token',
  'application/sylk-file-transfer',
  'application/vnd.gsma.rcs-ft-http+xml',
];

export class SipStack implements SipClient {
  readonly transport: TransportLayer;
  private readonly timers: TimerValues;
  private readonly clock: TimerHost;
  private readonly limits: SipLimits;
  private readonly policy: UasPolicy;
  private readonly trusted: TrustedPeers;
  private readonly serverTx = new TransactionTable<ServerTx>();
  private readonly clientTx = new Map<string, NonInviteClientTransaction>();
  /** Handler calls not yet answered. */
  private inFlight = 0;
  private handler: RequestHandler | undefined;
  private stopping = false;
  private started = false;
  private readonly userAgent: string;

  constructor(
    private readonly options: SipStackOptions,
    handler?: RequestHandler,
  ) {
    this.handler = handler;
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.clock = options.clock ?? new CoalescingTimers(realTimers);
    this.limits = resolveLimits(options.limits);
    this.trusted = new TrustedPeers(options.trustedPeers ?? 'any');
    this.userAgent = options.userAgent ?? 'sylk-messaging';
    this.policy = {
      trustedPeers: this.trusted,
      applicationMethods: new Set(options.applicationMethods ?? ['MESSAGE']),
      accept: options.accept ?? DEFAULT_ACCEPT,
    };
    this.policy.allow = allowedMethods(this.policy);
    this.transport = new TransportLayer({
      host: options.host,
      udpPort: options.udpPort,
      tcpPort: options.tcpPort,
      tlsPort: options.tlsPort,
      tls: options.tls,
      ws: options.ws,
      limits: this.limits,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      incompleteMessageTimeoutMs: options.incompleteMessageTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxConnections: options.maxConnections ?? 10_000,
      maxWriteBufferBytes: options.maxWriteBufferBytes ?? 1024 * 1024,
      udpReceiveBufferBytes: options.udpReceiveBufferBytes ?? 4 * 1024 * 1024,
      udpSendBufferBytes: options.udpSendBufferBytes ?? 4 * 1024 * 1024,
    });
    this.transport.onMessage = (result, flow) => this.onMessage(result, flow);
  }

  setHandler(handler: RequestHandler): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    await this.trusted.resolve();
    await this.transport.start();
    this.started = true;
    log.info({ host: this.options.host, ports: this.ports() }, 'SIP stack listening');
  }

  /** The ports actually bound, by protocol (ephemeral ports resolved). */
  ports(): Partial<Record<TransportProtocol, number>> {
    const out: Partial<Record<TransportProtocol, number>> = {};
    for (const p of this.transport.protocols) out[p] = this.transport.port(p);
    return out;
  }

  /** Transactions alive (server, client): for tests and the memory benchmark. */
  get transactionCounts(): { server: number; client: number } {
    return { server: this.serverTx.size, client: this.clientTx.size };
  }

  /**
   * Graceful stop: no new connections or requests (new requests get 503), wait up to `stopTimeoutMs`
   * for handlers and client transactions in flight, then close every socket. Server transactions
   * still waiting in Completed (timer J) are dropped: their final response has been sent.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.transport.stopListening();
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 5000);
    while ((this.inFlight > 0 || this.clientTx.size > 0 || this.pendingServer() > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const tx of [...this.serverTx.values()]) tx.terminate();
    for (const tx of [...this.clientTx.values()]) tx.terminate();
    await this.transport.close();
    this.started = false;
  }

  /** Server transactions that have not sent their final response yet. */
  private pendingServer(): number {
    let n = 0;
    for (const tx of this.serverTx.values()) if (tx.state === 'trying' || tx.state === 'proceeding') n++;
    return n;
  }

  // ---------------------------------------------------------------- incoming

  private onMessage(result: ParseResult, flow: Flow): void {
    try {
      if (!result.ok) {
        this.onParseError(result, flow);
        return;
      }
      const msg = result.message;
      if (msg.kind === 'request') this.onRequest(msg, flow, result.topVia, result.cseq);
      else this.onResponse(msg, result.topVia, result.cseq);
    } catch (err) {
      // Never crash on input: log and drop.
      sipDropped.inc({ reason: 'internal-error' });
      log.error({ err, remote: flow.remote }, 'error handling an inbound SIP message');
    }
  }

  /** §18 / RFC 4475: a request that parsed far enough to be answered gets the parser's status. */
  private onParseError(err: Extract<ParseResult, { ok: false }>, flow: Flow): void {
    const partial = err.partial;
    const headers = partial?.headers;
    if (err.status === undefined || partial?.kind !== 'request' || !partial.method || !headers || partial.method === 'ACK') {
      sipDropped.inc({ reason: 'unparseable' });
      log.debug({ remote: flow.remote, error: err.error }, 'dropped unparseable SIP message');
      return;
    }
    // Without a usable Via the answer goes back to the packet's source (UDP) or connection.
    const via = topVia(headers.getAll('via'));
    const fake: SipRequest = { kind: 'request', method: partial.method, uri: partial.uri ?? '', version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
    if (via) fake.headers = stampReceived(headers, via, flow.remote, this.options.forceRport ?? false);
    const reason = `${reasonPhrase(err.status)} (${err.error})`.slice(0, 200);
    const res = buildResponse(fake, { status: err.status, reason }, randomToken(8), this.userAgent);
    countResponse('sent', metricMethod(partial.method), err.status);
    this.sendResponseStateless(res, flow, via);
  }

  private sendResponseStateless(res: SipResponse, flow: Flow, via: Via | undefined): void {
    const bytes = serializeMessage(res);
    if (flow.connection && !flow.connection.closed) flow.connection.send(bytes);
    else if (via) this.transport.send(responseTarget(via, flow.protocol), bytes);
    else if (flow.protocol === 'udp') this.transport.send(flow.remote, bytes);
  }

  /** `parsedVia`/`parsedCSeq`: the parser's parse of the top Via and CSeq, when it returned them. */
  private onRequest(req: SipRequest, flow: Flow, parsedVia?: Via, parsedCSeq?: CSeq): void {
    const via = parsedVia ?? topVia(req.headers.getAll('via'));
    const cseq = parsedCSeq ?? parseCSeq(req.headers.get('cseq') ?? '');
    const callId = req.headers.get('call-id');
    if (!via || !cseq || callId === undefined) {
      // The parser checks these; a request without them cannot be matched or answered reliably.
      sipDropped.inc({ reason: 'no-via' });
      return;
    }
    req.headers = stampReceived(req.headers, via, flow.remote, this.options.forceRport ?? false);
    const branch = via.branch;
    const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
    // Only RFC 2543 matching (no magic cookie) needs the From tag and the rest of the parts.
    const key = isRfc3261Branch(branch) ? rfc3261ServerKey(branch, sentBy, req.method) : serverKey(keyParts(req, via, sentBy, callId, cseq));

    if (req.method === 'ACK') {
      const tx = this.serverTx.get(key);
      if (tx instanceof InviteServerTransaction) tx.receiveAck();
      // An ACK for a 2xx would belong to a dialog; we create none, so it is dropped.
      return;
    }

    const existing = this.serverTx.get(key);
    if (existing) {
      existing.receiveRequest();
      return;
    }

    if (this.stopping) {
      // Not even a transaction: answer 503 statelessly so the peer retries elsewhere.
      this.sendResponseStateless(buildResponse(req, { status: 503, reason: 'Service Unavailable', headers: [['Retry-After', '5']] }, randomToken(8), this.userAgent), flow, via);
      return;
    }

    const method = metricMethod(req.method);
    countRequest('in', method);
    const started = performance.now();
    const tx = this.createServerTx(req.method, key, flow, via);
    const r = new InboundRequest(req, tx, method, randomToken(8), started);

    if (req.method === 'CANCEL') {
      // §9.2: the CANCEL matches the request with the same key parts but another method.
      const parts = keyParts(req, via, sentBy, callId, cseq);
      const target = CANCELLABLE.map((m) => this.serverTx.get(serverKey({ ...parts, method: m }))).find((t) => t !== undefined);
      if (!target) {
        this.respond(r, { status: 481, reason: 'Call/Transaction Does Not Exist' });
        return;
      }
      // §9.2: 200 for the CANCEL; an INVITE still proceeding would get 487, but ours are answered
      // at once (488), so there is nothing left to cancel.
      this.respond(r, { status: 200, reason: 'OK' });
      return;
    }

    const screened = screenRequest(req, flow.remote.address, this.policy, true);
    if (screened) {
      this.respond(r, screened);
      return;
    }
    const handler = this.handler;
    if (!handler) {
      this.respond(r, { status: 503, reason: 'Service Unavailable' });
      return;
    }

    if (!isReliable(flow.protocol)) this.deferTrying(r);
    const incoming: IncomingRequest = { request: req, source: flow.remote, flow };
    let p: Promise<ResponseSpec>;
    try {
      p = handler(incoming);
    } catch (err) {
      p = Promise.reject(err);
    }
    this.inFlight++;
    // A native promise (the usual async handler) is chained directly, saving a wrapper per request.
    (p instanceof Promise ? p : Promise.resolve(p)).then(
      (spec) => this.handlerAnswered(r, spec),
      (err: unknown) => this.handlerFailed(r, err),
    );
  }

  /**
   * Send a response for `r` (at most one final response; provisional ones only before it). The
   * stack's per-request state lives in one `InboundRequest` object rather than in closures.
   */
  private respond(r: InboundRequest, spec: ResponseSpec): void {
    if (r.answered) return;
    const bytes = buildResponseBytes(r.req, spec, r.toTag, this.userAgent);
    if (spec.status >= 200) {
      r.answered = true;
      countResponse('sent', r.method, spec.status);
      observeHandling(r.method, (performance.now() - r.started) / 1000);
    }
    r.tx.respond(spec.status, bytes);
  }

  /**
   * Unreliable transports: a 100 Trying goes out `tryingDelayMs` after the request arrived if the
   * handler has not answered by then. The timer is armed only for requests still unanswered once
   * this event-loop turn is over (their handlers' promises have settled by then when they answer
   * from memory or synchronous storage), with the delay that remains: most requests need none.
   */
  private deferTrying(r: InboundRequest): void {
    if (this.tryingCandidates.push(r) === 1) setImmediate(this.armTrying);
  }

  private readonly tryingCandidates: InboundRequest[] = [];

  private readonly armTrying = (): void => {
    const list = this.tryingCandidates;
    const delay = this.options.tryingDelayMs ?? 200;
    const now = performance.now();
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (!r.answered) r.trying = this.clock.setTimeout(this.tryingDue, Math.max(0, delay - (now - r.started)), r);
    }
    list.length = 0;
  };

  /** The 100 Trying timer of an unreliable transport fell due (shared callback, no closure per request). */
  private readonly tryingDue = (r: InboundRequest): void => {
    r.trying = undefined;
    if (!r.answered) this.respond(r, TRYING);
  };

  private handlerAnswered(r: InboundRequest, spec: ResponseSpec): void {
    if (!spec || typeof spec.status !== 'number' || spec.status < 200 || spec.status > 699) {
      log.error({ spec }, 'handler returned an invalid response');
      this.finish(r, { status: 500, reason: 'Server Internal Error' });
    } else this.finish(r, spec);
  }

  private handlerFailed(r: InboundRequest, err: unknown): void {
    log.error({ err, method: r.req.method }, 'SIP request handler failed');
    this.finish(r, { status: 500, reason: 'Server Internal Error' });
  }

  private finish(r: InboundRequest, spec: ResponseSpec): void {
    this.inFlight--;
    if (r.trying) this.clock.clearTimeout(r.trying);
    try {
      this.respond(r, spec);
    } catch (err) {
      // e.g. a header value the serializer cannot write: never let it become an unhandled rejection.
      log.error({ err }, 'could not send the application response');
      try {
        this.respond(r, { status: 500, reason: 'Server Internal Error' });
      } catch {
        // nothing more to do
      }
    }
  }

  private createServerTx(method: string, key: string, flow: Flow, via: Via): ServerTx {
    const target = responseTarget(via, flow.protocol);
    let channel: TransactionChannel;
    let streamChannel: ResponseChannel | undefined;
    if (flow.protocol === 'udp' && !flow.connection) channel = new DatagramChannel(this.transport, target.address, target.port);
    else channel = streamChannel = new ResponseChannel(this.transport, flow.protocol, flow.connection, target.address, target.port);
    const tx: ServerTx =
      method === 'INVITE'
        ? new InviteServerTransaction(key, channel, this.clock, this.timers, this.serverTerminated)
        : new NonInviteServerTransaction(key, channel, this.clock, this.timers, this.serverTerminated);
    if (streamChannel) streamChannel.owner = tx;
    this.serverTx.set(tx);
    transactionStarted('server');
    return tx;
  }

  private readonly serverTerminated = (tx: ServerTx): void => {
    this.serverTx.delete(tx);
    transactionEnded('server');
  };

  private onResponse(res: SipResponse, parsedVia?: Via, parsedCSeq?: CSeq): void {
    const via = parsedVia ?? topVia(res.headers.getAll('via'));
    const cseq = parsedCSeq ?? parseCSeq(res.headers.get('cseq') ?? '');
    if (!via?.branch || !cseq) {
      sipDropped.inc({ reason: 'stray-response' });
      return;
    }
    const tx = this.clientTx.get(clientKey(via.branch, cseq.method));
    if (!tx) {
      sipDropped.inc({ reason: 'stray-response' });
      return;
    }
    tx.receiveResponse(res);
  }

  // ---------------------------------------------------------------- outgoing

  /**
   * Send an out-of-dialog request and resolve with its final response: a client transaction per
   * attempt, one retry with digest credentials on 401/407, a synthesized 408 on timeout and 503 on a
   * transport error or when no next hop can be found.
   */
  async send(out: OutgoingRequest): Promise<OutgoingResult> {
    const callId = out.callId ?? `${randomToken(16)}@${this.options.host}`;
    const fromTag = randomToken(8);
    let cseq = out.cseq ?? 1;
    if (!this.started || this.stopping) return { response: synthesize(503, 'SIP stack not running', callId, cseq, out.method), cseq, callId };
    countRequest('out', out.method);
    let targets: SendTarget[];
    try {
      targets = out.target ? [out.target] : await this.resolve(out);
    } catch (err) {
      log.warn({ err: (err as Error).message, uri: out.uri }, 'no next hop for outgoing SIP request');
      targets = [];
    }
    const target = targets[0];
    if (!target) {
      const response = synthesize(503, 'No route to destination', callId, cseq, out.method);
      countResponse('received', out.method, 503);
      return { response, cseq, callId };
    }
    let authorization: [string, string] | undefined;
    for (let attempt = 0; ; attempt++) {
      const request = this.buildRequest(out, target, callId, fromTag, cseq, authorization);
      const response = await this.runClientTransaction(request, target, out.method, callId, cseq);
      const status = response.status;
      if ((status === 401 || status === 407) && attempt === 0 && out.credentials) {
        const creds = out.credentials;
        const challenge = response.headers
          .getAll(status === 401 ? 'www-authenticate' : 'proxy-authenticate')
          .map((v) => parseDigestChallenge(v))
          .find((c) => c !== undefined && (creds.realm === undefined || c.realm === creds.realm));
        if (challenge) {
          const value = digestAuthorization(
            challenge,
            { username: creds.username, password: creds.password, ha1: creds.ha1 },
            { method: out.method, uri: out.uri, body: typeof out.body === 'string' ? Buffer.from(out.body) : out.body },
          );
          if (value) {
            authorization = [status === 401 ? 'authorization' : 'proxy-authorization', value];
            cseq++;
            continue;
          }
        }
      }
      countResponse('received', out.method, status);
      return { response, target, cseq, callId };
    }
  }

  private async resolve(out: OutgoingRequest): Promise<SendTarget[]> {
    const protocols = this.transport.protocols.filter((p): p is 'udp' | 'tcp' | 'tls' => p === 'udp' || p === 'tcp' || p === 'tls');
    if (this.options.resolveTarget) return this.options.resolveTarget(out, protocols);
    const hop = out.nextHop ?? this.options.outboundProxy;
    let hops: NextHop[];
    if (hop) {
      const proxy = parseProxyAddress(hop);
      if (!proxy) throw new Error(`invalid next hop ${hop}`);
      hops = await resolveProxy(proxy, { families: isIP(this.options.host) === 6 ? [6, 4] : [4] });
    } else {
      hops = await resolveNextHops(out.uri, { transports: protocols });
    }
    // sip-messaging.md §6.2 step 3: the most preferred transport, one of its hops at random.
    const picked = pickNextHop(hops);
    return picked ? [{ protocol: picked.transport, address: picked.address, port: picked.port, serverName: picked.host }] : [];
  }

  private buildRequest(
    out: OutgoingRequest,
    target: SendTarget,
    callId: string,
    fromTag: string,
    cseq: number,
    authorization: [string, string] | undefined,
  ): { message: SipRequest; branch: string } {
    const branch = `z9hG4bK${randomToken(12)}`;
    const proto = target.protocol;
    const port = this.transport.viaPort(proto);
    const host = isIP(this.options.host) === 6 ? `[${this.options.host}]` : this.options.host;
    const headers = new Headers();
    headers.append('via', `SIP/2.0/${proto.toUpperCase()} ${host}:${port};branch=${branch};rport`);
    headers.append('max-forwards', '70');
    headers.append('from', `${out.from};tag=${fromTag}`);
    headers.append('to', out.to);
    headers.append('call-id', callId);
    headers.append('cseq', `${cseq} ${out.method}`);
    headers.append('user-agent', this.userAgent);
    if (authorization) headers.append(authorization[0], authorization[1]);
    for (const [name, value] of out.headers ?? []) headers.append(name, value);
    const body = out.body === undefined ? Buffer.alloc(0) : typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body;
    if (out.contentType && body.length > 0) headers.append('content-type', out.contentType);
    return { message: { kind: 'request', method: out.method, uri: out.uri, version: 'SIP/2.0', headers, body }, branch };
  }

  private runClientTransaction(
    request: { message: SipRequest; branch: string },
    target: SendTarget,
    method: string,
    callId: string,
    cseq: number,
  ): Promise<SipResponse> {
    return new Promise<SipResponse>((resolve) => {
      const key = clientKey(request.branch, method);
      let settled = false;
      const settle = (r: SipResponse): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      const pending: PendingClient = { resolve: settle };
      const bytes = serializeMessage(request.message);
      let tx: NonInviteClientTransaction | undefined = undefined;
      const channel = {
        reliable: isReliable(target.protocol),
        send: (b: Buffer) =>
          this.transport.send(target, b, (err) => {
            if (err) tx?.transportError(err);
          }),
      };
      tx = new NonInviteClientTransaction(key, bytes, channel, this.clock, this.timers, {
        onResponse: (res) => {
          if (res.status >= 200) pending.resolve(res);
        },
        onTimeout: () => pending.resolve(synthesize(408, 'Request Timeout', callId, cseq, method)),
        onTransportError: (err) => {
          log.debug({ err: err.message, target }, 'transport error on outgoing SIP request');
          pending.resolve(synthesize(503, 'Service Unavailable', callId, cseq, method));
        },
        onTerminated: () => {
          if (this.clientTx.get(key) === tx) this.clientTx.delete(key);
          transactionEnded('client');
          // Terminated by stop() before any answer.
          pending.resolve(synthesize(503, 'Service Unavailable', callId, cseq, method));
        },
      });
      this.clientTx.set(key, tx);
      transactionStarted('client');
      tx.start();
    });
  }
}

/** A locally generated final response (timeout, transport error) for `OutgoingResult`. */
function synthesize(status: number, reason: string, callId: string, cseq: number, method: string): SipResponse {
  const headers = new Headers();
  headers.append('call-id', callId);
  headers.append('cseq', `${cseq} ${method}`);
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers, body: Buffer.alloc(0) };
}

const TOKEN_CODES = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 'latin1');
let pool = '';
let poolOffset = 0;

/**
 * A random alphanumeric token (tags, branches, Call-IDs): a slice of a pooled string drawn from the
 * CSPRNG (62 of 256 byte values are dropped, so every character stays uniform).
 */
export function randomToken(length: number): string {
  if (poolOffset + length > pool.length) {
    const bytes = randomBytes(8192);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b < 248) bytes[n++] = TOKEN_CODES[b % 62]!;
    }
    pool = bytes.toString('latin1', 0, n);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

const METRIC_METHODS = new Set(['INVITE', 'ACK', 'CANCEL', 'OPTIONS', 'BYE', 'REGISTER', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'PUBLISH']);

/** Method label for metrics: unknown methods are folded into `other` to bound label cardinality. */
function metricMethod(method: string): string {
  return METRIC_METHODS.has(method) ? method : 'other';
}
