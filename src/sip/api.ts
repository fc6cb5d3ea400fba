/**
 * The SIP stack's public face towards the application (messaging, sylkrtc): what an incoming request
 * looks like once the transport and transaction layers have accepted it, how the application answers
 * it, and how it sends requests out (RFC 3261 §8 UAC/UAS behaviour on top of §17 transactions).
 *
 * Owns only interfaces; the implementation lives in `stack.ts` and the transport/transaction modules.
 * The application never sees retransmissions, ACKs for non-2xx, or transport details beyond `source`.
 */
import type { SipRequest, SipResponse, TransportAddress } from './message/message.js';
import type { Flow, SendTarget } from './transport/types.js';

/** A request delivered to the application exactly once per server transaction. */
export interface IncomingRequest {
  readonly request: SipRequest;
  /** The transport address the request came from (after `received`/`rport` handling). */
  readonly source: TransportAddress;
  /**
   * The flow it arrived on (its connection for TCP/TLS/WS): a registrar records it so that requests
   * to the registered contact go back over the same connection (RFC 5626).
   */
  readonly flow?: Flow;
}

/** The application's answer; the stack fills in Via, From, To (with tag), Call-ID, CSeq. */
export interface ResponseSpec {
  status: number;
  reason?: string;
  /** Extra headers, in order (e.g. `Retry-After`, `Allow`). */
  headers?: ReadonlyArray<readonly [string, string]>;
  contentType?: string;
  body?: Buffer | string;
}

/**
 * Handles one request; the returned promise resolves to the final response. The stack sends a
 * `100 Trying` itself if the handler takes long on an unreliable transport, and a `500` if it throws.
 */
export type RequestHandler = (incoming: IncomingRequest) => Promise<ResponseSpec>;

/** Credentials for answering 401/407 challenges (RFC 2617/7616 digest). */
export interface DigestCredentials {
  username: string;
  realm?: string;
  /** Either the clear-text password ... */
  password?: string;
  /** ... or HA1 = H(username:realm:password) as stored by the registrar (hex). */
  ha1?: string;
}

/** An out-of-dialog request the application wants sent (MESSAGE, REGISTER, OPTIONS). */
export interface OutgoingRequest {
  method: 'MESSAGE' | 'REGISTER' | 'OPTIONS';
  /** Request-URI, e.g. `sip:bob@example.com`. */
  uri: string;
  /** From header value without tag (the stack adds one), e.g. `"Alice" <sip:alice@example.com>`. */
  from: string;
  /** To header value, e.g. `<sip:bob@example.com>`. */
  to: string;
  /** Extra headers in order (e.g. `X-Sylk-To-Sip: yes`, `Contact`, `Expires`). */
  headers?: ReadonlyArray<readonly [string, string]>;
  contentType?: string;
  body?: Buffer | string;
  credentials?: DigestCredentials;
  /** Override the next hop (`host[:port][;transport=x]`); default: outbound proxy, else RFC 3263. */
  nextHop?: string;
  /**
   * Send to exactly this transport address, no resolution (a registered contact's flow: an open
   * TCP/TLS/WS connection to that address is reused). Takes precedence over `nextHop`.
   */
  target?: SendTarget;
  /** Reuse this Call-ID (REGISTER refreshes); default a fresh one. */
  callId?: string;
  /** CSeq number to start from (REGISTER refreshes); default 1. */
  cseq?: number;
}

/** The final outcome of a client transaction (after at most one digest retry). */
export interface OutgoingResult {
  /** The final response; a timeout or transport error is reported as a synthesized 408/503. */
  response: SipResponse;
  /** Where the request was sent (for logs). */
  target?: TransportAddress;
  /** The CSeq number used by the last attempt (for REGISTER refreshes). */
  cseq: number;
  callId: string;
}

export interface SipClient {
  send(request: OutgoingRequest): Promise<OutgoingResult>;
}
