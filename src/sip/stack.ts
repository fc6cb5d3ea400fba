/**
 * The SIP stack (RFC 3261 §8 UAC/UAS cores on top of §17 transactions and §18 transports): the one
 * object the application talks to. It composes the transport layer (`transport/layer.ts`), the UAS
 * core (`uas-core.ts`: incoming requests, server transactions, the handler) and the UAC core
 * (`uac-core.ts`: outgoing requests for `SipClient`), and routes what the transports parsed: requests
 * and unparseable requests to the UAS core, responses to the UAC core.
 *
 * Owns: the composition from `SipStackOptions` (`stack-options.ts`), start, and the graceful stop
 * (stop listening, let transactions in flight finish within a bound, close sockets).
 */
import type { OutgoingRequest, OutgoingResult, RequestHandler, SipClient } from './api.js';
import { resolveLimits } from './limits.js';
import type { TransportProtocol } from './message/message.js';
import type { ParseResult } from './message/parser.js';
import { sipDropped } from './stack-metrics.js';
import type { SipStackOptions } from './stack-options.js';
import { CoalescingTimers, DEFAULT_TIMERS, realTimers } from './transaction/timers.js';
import { TransportLayer } from './transport/layer.js';
import type { AdmissionPolicy } from './transport/admission.js';
import type { Flow } from './transport/types.js';
import { TrustedPeers } from './trusted-peers.js';
import { UacCore } from './uac-core.js';
import { UasCore } from './uas-core.js';
import { allowedMethods, type UasPolicy } from './uas-rules.js';
import { logger } from '../util/logger.js';

export type { SipStackOptions } from './stack-options.js';
export { randomToken } from './random-token.js';

const log = logger.child({ module: 'sip.stack' });

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
  private readonly trusted: TrustedPeers;
  private readonly uas: UasCore;
  private readonly uac: UacCore;
  private stopping = false;
  private started = false;

  constructor(
    private readonly options: SipStackOptions,
    handler?: RequestHandler,
  ) {
    const timers = { ...DEFAULT_TIMERS, ...options.timers };
    const clock = options.clock ?? new CoalescingTimers(realTimers);
    const limits = resolveLimits(options.limits);
    this.trusted = new TrustedPeers(options.trustedPeers ?? 'any');
    const userAgent = options.userAgent ?? 'sylk-messaging';
    const policy: UasPolicy = {
      trustedPeers: this.trusted,
      applicationMethods: new Set(options.applicationMethods ?? ['MESSAGE']),
      accept: options.accept ?? DEFAULT_ACCEPT,
    };
    policy.allow = allowedMethods(policy);
    this.transport = new TransportLayer({
      host: options.host,
      udpPort: options.udpPort,
      tcpPort: options.tcpPort,
      tlsPort: options.tlsPort,
      tls: options.tls,
      ws: options.ws,
      limits,
      idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
      incompleteMessageTimeoutMs: options.incompleteMessageTimeoutMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxConnections: options.maxConnections ?? 10_000,
      maxWriteBufferBytes: options.maxWriteBufferBytes ?? 1024 * 1024,
      udpReceiveBufferBytes: options.udpReceiveBufferBytes ?? 4 * 1024 * 1024,
      udpSendBufferBytes: options.udpSendBufferBytes ?? 4 * 1024 * 1024,
      admission: this.admissionPolicy(options),
    });
    this.uas = new UasCore(this.transport, clock, timers, policy, userAgent, options, handler);
    this.uac = new UacCore(this.transport, clock, timers, userAgent, options, () => this.started && !this.stopping);
    this.transport.onMessage = (result, flow) => this.onMessage(result, flow);
    this.transport.shedDatagram = (msg, flow) => this.uas.shedDatagram(msg, flow);
  }

  /** Classify peers for the transport's connection admission (`transport/admission.ts`). */
  private admissionPolicy(options: SipStackOptions): AdmissionPolicy {
    const a = options.connectionAdmission ?? {};
    const max = options.maxConnections ?? 10_000;
    const own = options.host;
    return {
      classify: (ip) => {
        if (ip === own || this.trusted.lists(ip)) return 'privileged';
        return this.trusted.allows(ip) ? 'allowed' : 'refused';
      },
      reservedForPrivileged: a.reservedForTrusted ?? Math.min(100, Math.floor(max / 10)),
      maxPerAddress: a.maxPerAddress ?? 64,
      refusedIdleTimeoutMs: a.untrustedIdleTimeoutMs ?? 10_000,
    };
  }

  setHandler(handler: RequestHandler): void {
    this.uas.setHandler(handler);
  }

  async start(): Promise<void> {
    await this.trusted.resolve();
    await this.transport.start();
    this.uas.start();
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
    return { server: this.uas.size, client: this.uac.size };
  }

  /**
   * Graceful stop: no new connections or requests (new requests get 503), wait up to `stopTimeoutMs`
   * for handlers and client transactions in flight, then close every socket. Server transactions
   * still waiting in Completed (timer J) are dropped: their final response has been sent.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.uas.stopAccepting();
    await this.transport.stopListening();
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? 5000);
    while ((this.uas.busy || this.uac.size > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.uas.terminateAll();
    this.uac.terminateAll();
    await this.transport.close();
    this.started = false;
  }

  // ---------------------------------------------------------------- routing

  private onMessage(result: ParseResult, flow: Flow): void {
    try {
      if (!result.ok) {
        this.uas.onParseError(result, flow);
        return;
      }
      const msg = result.message;
      if (msg.kind === 'request') this.uas.onRequest(msg, flow, result.topVia, result.cseq);
      else this.uac.onResponse(msg, result.topVia, result.cseq);
    } catch (err) {
      // Never crash on input: log and drop.
      sipDropped.inc({ reason: 'internal-error' });
      log.error({ err, remote: flow.remote }, 'error handling an inbound SIP message');
    }
  }

  /** Send an out-of-dialog request (`uac-core.ts`). */
  send(out: OutgoingRequest): Promise<OutgoingResult> {
    return this.uac.send(out);
  }
}
