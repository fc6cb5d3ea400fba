/**
 * The options of the SIP stack (`stack.ts`): a plain object; the composition root wires
 * `[SIP]`/`[General]` configuration to it. Read by the stack, its UAS core (`uas-core.ts`) and its UAC
 * core (`uac-core.ts`).
 */
import type { OutgoingRequest } from './api.js';
import type { SipLimits } from './limits.js';
import type { TransportProtocol } from './message/message.js';
import type { TimerHost, TimerValues } from './transaction/timers.js';
import type { TransportLayerOptions } from './transport/layer.js';
import type { SendTarget } from './transport/types.js';

/** Listening ports (`udpPort`, `tcpPort`, `tlsPort`), TLS and WebSocket settings as the transport layer takes them. */
export interface SipStackOptions extends Pick<TransportLayerOptions, 'udpPort' | 'tcpPort' | 'tlsPort' | 'tls' | 'ws'> {
  /** Address to bind and to put in Via/From of our own requests (`[SIP] local_ip`). */
  host: string;
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
  /**
   * Send `100 Trying` on unreliable transports if the handler has not answered after this long
   * (default 200 ms). RFC 4320 §4.1 says SHOULD NOT before the client's timer E reached T2 (3.5 s) for
   * a non-INVITE; tried (issue 17) and reverted: without the early 100, clients retransmit at 0.5,
   * 1.5 and 3.5 s, and at the rate ceiling (sipp, 5,000/s) those retransmissions tipped the server
   * into failures in 2 of 3 paired runs where the 200 ms 100 kept it at none.
   */
  tryingDelayMs?: number;
  /** Longest graceful-stop wait for transactions in flight (default 5 s). */
  stopTimeoutMs?: number;
  /**
   * Inbound connections from peers outside `trustedPeers`' addresses/networks (`transport/admission.ts`):
   * slots of `maxConnections` kept for listed peers and our own address (default 100, at most a tenth
   * of `maxConnections`), connections per other IP address (default 64), idle timeout of a connection
   * from a peer outside `trustedPeers` (default 10 s; it is also closed after its first 403).
   */
  connectionAdmission?: { reservedForTrusted?: number; maxPerAddress?: number; untrustedIdleTimeoutMs?: number };
  /**
   * Load shedding (issue 15 item 9, `overload.ts`): requests handed to the handler and not yet
   * answered, at most (default 2000). Beyond it a new request is answered at once `503` with
   * `Retry-After` (`overloadRetryAfterSec`, default 5) and a reason naming the limit, before it costs
   * a handler call or waits long enough for the client's retransmission timers to add to the load;
   * OPTIONS and everything the core answers itself are unaffected.
   */
  maxPendingRequests?: number;
  /** Shed also while the event loop is this far behind (`overload.ts`); default: no lag limit. */
  maxLoopLagMs?: number;
  /**
   * Shed also while the UDP listener's kernel receive queue holds more than this many bytes
   * (`overload.ts`, `transport/udp-backlog.ts`; ~1.3 kB per typical MESSAGE); default 0: no limit.
   */
  maxUdpQueueBytes?: number;
  overloadRetryAfterSec?: number;
  /**
   * Resolve the next hop of an outgoing request; default: `nextHop`/`outboundProxy` with A/AAAA
   * lookups, else RFC 3263 for the Request-URI restricted to the enabled transports.
   */
  resolveTarget?: (request: OutgoingRequest, protocols: TransportProtocol[]) => Promise<SendTarget[]>;
}
