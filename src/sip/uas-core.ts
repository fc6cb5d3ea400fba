/**
 * The UAS core (RFC 3261 §8.2, §9.2, §17.2): incoming requests are matched to server transactions (so
 * a retransmission never reaches the application twice), screened (`uas-rules.ts`) and handed to the
 * `RequestHandler` once; around the handler it owns the 100 Trying on unreliable transports, the
 * 500 for a failed handler, CANCEL, and the stateless answers to unparseable requests (RFC 4475) and
 * to requests arriving while the stack stops (503).
 */
import type { IncomingRequest, RequestHandler, ResponseSpec } from './api.js';
import { parseCSeq, tagOf, type CSeq } from './message/grammar.js';
import type { SipRequest, SipResponse } from './message/message.js';
import type { ParseResult } from './message/parser.js';
import { serializeMessage } from './message/serializer.js';
import { topVia, type Via } from './message/via-header.js';
import { OverloadGuard } from './overload.js';
import { scanForShedding } from './overload-datagram.js';
import { randomToken } from './random-token.js';
import { countRequest, countResponse, metricMethod, observeHandling, sipDropped, transactionEnded, transactionStarted } from './stack-metrics.js';
import type { SipStackOptions } from './stack-options.js';
import type { TransactionChannel } from './transaction/channel.js';
import { isRfc3261Branch, rfc3261ServerKey, serverKey, viaSentBy, type RequestKeyParts } from './transaction/keys.js';
import { InviteServerTransaction } from './transaction/server-invite.js';
import { NonInviteServerTransaction } from './transaction/server-non-invite.js';
import { TransactionTable } from './transaction/table.js';
import type { TimerHandle, TimerHost, TimerValues } from './transaction/timers.js';
import type { TransportLayer } from './transport/layer.js';
import { DatagramChannel, ResponseChannel } from './transport/response-channel.js';
import { isReliable, type Flow } from './transport/types.js';
import { responseTarget, stampReceived } from './transport/via.js';
import { buildResponse, buildResponseBytes, reasonPhrase, screenRequest, type UasPolicy } from './uas-rules.js';
import { logger } from '../util/logger.js';

const log = logger.child({ module: 'sip.stack' });

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

/** Methods a CANCEL is looked up against (§9.2). */
const CANCELLABLE = ['INVITE', 'MESSAGE', 'OPTIONS', 'REGISTER', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PUBLISH', 'BYE', 'PRACK'];

export class UasCore {
  private readonly serverTx = new TransactionTable<ServerTx>();
  /** Handler calls not yet answered. */
  private inFlight = 0;
  private stopping = false;

  constructor(
    private readonly transport: TransportLayer,
    private readonly clock: TimerHost,
    private readonly timers: TimerValues,
    private readonly policy: UasPolicy,
    private readonly userAgent: string,
    private readonly options: Pick<SipStackOptions, 'forceRport' | 'tryingDelayMs' | 'maxPendingRequests' | 'maxLoopLagMs' | 'maxUdpQueueBytes' | 'overloadRetryAfterSec'>,
    private handler: RequestHandler | undefined,
  ) {
    this.overload = new OverloadGuard({
      maxPending: options.maxPendingRequests ?? 2000,
      maxLagMs: options.maxLoopLagMs ?? Number.POSITIVE_INFINITY,
      maxQueueBytes: options.maxUdpQueueBytes ?? 0,
      queuedBytes: () => transport.udpQueuedBytes(),
      retryAfterSec: options.overloadRetryAfterSec ?? 5,
    });
  }

  /** Load shedding (`overload.ts`). */
  private readonly overload: OverloadGuard;

  /** Start the load-shedding clock (with the stack). */
  start(): void {
    this.overload.start();
  }

  setHandler(handler: RequestHandler): void {
    this.handler = handler;
  }

  /** Server transactions alive. */
  get size(): number {
    return this.serverTx.size;
  }

  /** Whether handlers or server transactions without a final response are in flight. */
  get busy(): boolean {
    return this.inFlight > 0 || this.pendingServer() > 0;
  }

  /** From now on new requests get 503 (graceful stop). */
  stopAccepting(): void {
    this.overload.stop();
    this.stopping = true;
  }

  /** Drop every server transaction (the end of a graceful stop). */
  terminateAll(): void {
    for (const tx of [...this.serverTx.values()]) tx.terminate();
  }

  /**
   * Before a datagram is parsed (the transport's `shedDatagram`): while the UDP receive queue is over
   * its bound, answer a plain request for the application 503 from a minimal scan
   * (`overload-datagram.ts`); false to parse and handle it the normal way.
   */
  shedDatagram(msg: Buffer, flow: Flow): boolean {
    if (this.stopping || !this.handler) return false;
    const shed = this.overload.checkQueue();
    if (!shed) return false;
    const scanned = scanForShedding(msg, this.policy.applicationMethods);
    if (!scanned) return false;
    const { req, via } = scanned;
    // A retransmission of a request in a transaction is that transaction's to answer.
    if (this.serverTx.get(rfc3261ServerKey(via.branch, viaSentBy(via), req.method))) return false;
    req.headers = stampReceived(req.headers, via, flow.remote, this.options.forceRport ?? false);
    const method = metricMethod(req.method);
    countRequest('in', method);
    countResponse('sent', method, shed.status);
    this.sendBytesStateless(buildResponseBytes(req, shed, randomToken(8), this.userAgent), flow, via);
    return true;
  }

  /** §18 / RFC 4475: a request that parsed far enough to be answered gets the parser's status. */
  onParseError(err: Extract<ParseResult, { ok: false }>, flow: Flow): void {
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
    this.sendBytesStateless(serializeMessage(res), flow, via);
  }

  private sendBytesStateless(bytes: Buffer, flow: Flow, via: Via | undefined): void {
    if (flow.connection && !flow.connection.closed) flow.connection.send(bytes);
    else if (via) this.transport.send(responseTarget(via, flow.protocol), bytes);
    else if (flow.protocol === 'udp') this.transport.send(flow.remote, bytes);
  }

  /** `parsedVia`/`parsedCSeq`: the parser's parse of the top Via and CSeq, when it returned them. */
  onRequest(req: SipRequest, flow: Flow, parsedVia?: Via, parsedCSeq?: CSeq): void {
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
    const sentBy = viaSentBy(via);
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
    if (this.policy.applicationMethods.has(req.method)) {
      // Load shedding (`overload.ts`) before any per-request state: a stateless 503 (§8.2.7) costs a
      // fraction of a transaction; a retransmission of the request is simply judged again.
      const shed = this.overload.check(this.inFlight);
      if (shed) {
        countResponse('sent', method, shed.status);
        this.sendBytesStateless(buildResponseBytes(req, shed, randomToken(8), this.userAgent), flow, via);
        return;
      }
    }
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
      // A peer outside trusted_peers gets nothing but 403s: its connection is not kept (admission.ts).
      const conn = flow.connection;
      if (conn && screened.status === 403 && !this.policy.trustedPeers.allows(flow.remote.address)) {
        if (conn.closeAfterWrite) conn.closeAfterWrite('untrusted peer refused');
        else conn.close('untrusted peer refused');
      }
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

  /** Server transactions that have not sent their final response yet. */
  private pendingServer(): number {
    let n = 0;
    for (const tx of this.serverTx.values()) if (tx.state === 'trying' || tx.state === 'proceeding') n++;
    return n;
  }
}
