/**
 * MESSAGEs the server sends (`sip-messaging.md` §6): the flavours of §6.3 built from their parts and
 * handed to the SIP stack's `SipClient.send`, which does the transaction, digest retry and next-hop
 * selection (RFC 3263). This module only chooses the next hop the spec prescribes:
 * - `[General] outbound_sip_proxy` when set (lookup A of §6.2, a fixed host/port/transport);
 * - in `[General] local_sip_messages` mode, messages originated by WS clients (user messages, IMDNs and
 *   the simple notifications of §6.3.3) go to `<[SIP] local_ip>:<local_tcp_port>` over TCP; user
 *   messages and IMDNs then carry `X-Sylk-App: webrtcgateway`. Server notices (§6.3.4) always use the
 *   normal lookup, as the original (quirk 11, kept: they are meant for SIP devices via the proxy).
 * - otherwise nothing: the stack resolves the Request-URI per RFC 3263.
 *
 * Every final response ≥ 300 (timeouts are synthesized 408/503 by the stack) is logged with target
 * and status. Background sends are tracked so tests and shutdown can wait for them (`idle()`).
 */
import type { ProxyAddress } from '../config/values.js';
import type { DigestCredentials, OutgoingRequest, OutgoingResult, SipClient } from '../sip/api.js';
import { Headers } from '../sip/message/message.js';
import type { Logger } from '../util/logger.js';

export const APPLICATION_NAME = 'webrtcgateway';

export interface OutboundOptions {
  client: SipClient;
  log: Logger;
  /** `[SIP] local_ip` (server notice From `sip:sylkserver@<local_ip>`, local mode target). */
  localIp: string;
  /** The bound `[SIP] local_tcp_port` (local mode target); null = TCP disabled. */
  localTcpPort: () => number | null;
  /** `[General] local_sip_messages`. */
  localSipMessages: boolean;
  /** `[General] outbound_sip_proxy`. */
  outboundProxy: ProxyAddress | null;
  /** `User-Agent` header value; default `SylkServer-sylk-messaging`. */
  userAgent?: string;
}

/** A notice or replicated message to SIP devices (§6.3.4, §6.3.6): no CPIM, `X-Sylk-To-Sip: yes`. */
export interface NoticeMessage {
  /** Request-URI (defaults to `to`'s URI). */
  uri?: string;
  /** From header value, e.g. `<sip:bob@example.com>`; default `<sip:sylkserver@<local_ip>>`. */
  from?: string;
  /** To header value. */
  to: string;
  contentType: string;
  body: string;
  /** §6.3.6: adds `X-Replicated-Message: yes` (and the caller sets `uri` to the sender). */
  replicated?: boolean;
  /** §6.3.3 simple notifications caused by WS requests honour local mode. */
  wsOriginated?: boolean;
  /** Extra headers. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Call-ID to use (default: a fresh one from the stack); `sync-relay.ts` remembers its notices' ids. */
  callId?: string;
}

/** A CPIM MESSAGE originated by a WS client (§6.3.1/§6.3.2). */
export interface UserMessage {
  uri: string;
  from: string;
  to: string;
  body: string;
  credentials?: DigestCredentials;
}

const uriOf = (nameAddr: string): string => {
  const m = /<([^>]+)>/.exec(nameAddr);
  return (m ? m[1]! : nameAddr).trim();
};

function formatHop(p: ProxyAddress): string {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${host}:${p.port};transport=${p.transport}`;
}

export class Outbound {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly opts: OutboundOptions) {}

  /** `sip:sylkserver@<local_ip>` as a From header value (§6.3.4). */
  get serverFrom(): string {
    const ip = this.opts.localIp.includes(':') ? `[${this.opts.localIp}]` : this.opts.localIp;
    return `<sip:sylkserver@${ip}>`;
  }

  /** The local-mode next hop, or null when local mode is off or TCP disabled. */
  private localHop(): string | null {
    if (!this.opts.localSipMessages) return null;
    const port = this.opts.localTcpPort();
    if (port === null) return null;
    const ip = this.opts.localIp.includes(':') ? `[${this.opts.localIp}]` : this.opts.localIp;
    return `${ip}:${port};transport=tcp`;
  }

  private defaultHop(): string | undefined {
    return this.opts.outboundProxy ? formatHop(this.opts.outboundProxy) : undefined;
  }

  private baseHeaders(): Array<readonly [string, string]> {
    return [['User-Agent', this.opts.userAgent ?? 'SylkServer-sylk-messaging']];
  }

  /** Send and log; never rejects (a transport error becomes a synthesized 503 result). */
  async send(request: OutgoingRequest, what: string): Promise<OutgoingResult> {
    const p = this.opts.client.send(request).then(
      (result) => {
        const status = result.response.status;
        const target = result.target ? `${result.target.protocol}:${result.target.address}:${result.target.port}` : request.nextHop ?? 'rfc3263';
        if (status >= 300) this.opts.log.warn({ what, uri: request.uri, target, status, reason: result.response.reason }, 'outgoing MESSAGE failed');
        else this.opts.log.debug({ what, uri: request.uri, target, status }, 'outgoing MESSAGE sent');
        return result;
      },
      (err: unknown) => {
        this.opts.log.warn({ what, uri: request.uri, target: request.nextHop ?? 'rfc3263', err }, 'outgoing MESSAGE could not be sent');
        const synthesized: OutgoingResult = {
          response: { kind: 'response', version: 'SIP/2.0', status: 503, reason: 'Service Unavailable', headers: new Headers(), body: Buffer.alloc(0) },
          cseq: request.cseq ?? 1,
          callId: request.callId ?? '',
        };
        return synthesized;
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  /** §6.3.4 / §6.3.6 / §6.3.3: fire-and-forget; the returned promise is for tests. */
  notice(n: NoticeMessage): Promise<OutgoingResult> {
    const headers: Array<readonly [string, string]> = [...this.baseHeaders(), ['X-Sylk-To-Sip', 'yes']];
    if (n.replicated) headers.push(['X-Replicated-Message', 'yes']);
    if (n.headers) headers.push(...n.headers);
    const nextHop = (n.wsOriginated ? this.localHop() : null) ?? this.defaultHop();
    return this.send(
      {
        method: 'MESSAGE',
        uri: n.uri ?? uriOf(n.to),
        from: n.from ?? this.serverFrom,
        to: n.to,
        headers,
        contentType: n.contentType,
        body: Buffer.from(n.body, 'utf8'),
        ...(nextHop !== undefined ? { nextHop } : {}),
        ...(n.callId !== undefined ? { callId: n.callId } : {}),
      },
      n.contentType,
    );
  }

  /** §6.3.1 / §6.3.2: CPIM MESSAGE from a WS account, with its credentials; local mode honoured. */
  userMessage(m: UserMessage): Promise<OutgoingResult> {
    const local = this.localHop();
    const headers: Array<readonly [string, string]> = [...this.baseHeaders()];
    if (local) headers.push(['X-Sylk-App', APPLICATION_NAME]);
    const nextHop = local ?? this.defaultHop();
    return this.send(
      {
        method: 'MESSAGE',
        uri: m.uri,
        from: m.from,
        to: m.to,
        headers,
        contentType: 'message/cpim',
        body: Buffer.from(m.body, 'utf8'),
        ...(m.credentials ? { credentials: m.credentials } : {}),
        ...(nextHop !== undefined ? { nextHop } : {}),
      },
      'message/cpim',
    );
  }

  /** Resolves when every MESSAGE sent so far has its final outcome. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
