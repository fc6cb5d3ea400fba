/**
 * The UAC core (RFC 3261 §8.1, §17.1, §22.2; RFC 3263 next hops): an out-of-dialog request gets a
 * client transaction per attempt, a next hop (outbound proxy or RFC 3263), and at most one retry with
 * digest credentials; timeouts and transport errors become synthesized 408/503 final responses.
 */
import { isIP } from 'node:net';
import type { OutgoingRequest, OutgoingResult } from './api.js';
import { digestAuthorization, parseDigestChallenge } from './digest.js';
import { parseProxyAddress, pickNextHop, resolveNextHops, resolveProxy, type NextHop } from './dns.js';
import { parseCSeq, type CSeq } from './message/grammar.js';
import { Headers, type SipRequest, type SipResponse } from './message/message.js';
import { serializeMessage } from './message/serializer.js';
import { topVia, type Via } from './message/via-header.js';
import { randomToken } from './random-token.js';
import { countRequest, countResponse, sipDropped, transactionEnded, transactionStarted } from './stack-metrics.js';
import type { SipStackOptions } from './stack-options.js';
import { NonInviteClientTransaction } from './transaction/client-non-invite.js';
import { clientKey } from './transaction/keys.js';
import type { TimerHost, TimerValues } from './transaction/timers.js';
import type { TransportLayer } from './transport/layer.js';
import { isReliable, type SendTarget } from './transport/types.js';
import { logger } from '../util/logger.js';

const log = logger.child({ module: 'sip.stack' });

interface PendingClient {
  resolve(response: SipResponse): void;
}

export class UacCore {
  private readonly clientTx = new Map<string, NonInviteClientTransaction>();

  constructor(
    private readonly transport: TransportLayer,
    private readonly clock: TimerHost,
    private readonly timers: TimerValues,
    private readonly userAgent: string,
    private readonly options: Pick<SipStackOptions, 'host' | 'outboundProxy' | 'resolveTarget'>,
    /** Whether the stack is started and not stopping (else `send` answers 503 at once). */
    private readonly isRunning: () => boolean,
  ) {}

  /** Client transactions alive. */
  get size(): number {
    return this.clientTx.size;
  }

  /** Drop every client transaction (the end of a graceful stop); their requests resolve 503. */
  terminateAll(): void {
    for (const tx of [...this.clientTx.values()]) tx.terminate();
  }

  /**
   * Send an out-of-dialog request and resolve with its final response: a client transaction per
   * attempt, one retry with digest credentials on 401/407, a synthesized 408 on timeout and 503 on a
   * transport error or when no next hop can be found.
   */
  async send(out: OutgoingRequest): Promise<OutgoingResult> {
    const callId = out.callId ?? `${randomToken(16)}@${this.options.host}`;
    const fromTag = randomToken(8);
    let cseq = out.cseq ?? 1;
    if (!this.isRunning()) return { response: synthesize(503, 'SIP stack not running', callId, cseq, out.method), cseq, callId };
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

  /** A response: to its client transaction (§17.1.3), or dropped as stray. */
  onResponse(res: SipResponse, parsedVia?: Via, parsedCSeq?: CSeq): void {
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
}

/** A locally generated final response (timeout, transport error) for `OutgoingResult`. */
function synthesize(status: number, reason: string, callId: string, cseq: number, method: string): SipResponse {
  const headers = new Headers();
  headers.append('call-id', callId);
  headers.append('cseq', `${cseq} ${method}`);
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers, body: Buffer.alloc(0) };
}
