/**
 * The registrar's bindings (`standalone.md` §3, RFC 3261 §10.3, RFC 5626 §6): which contact of which
 * device is registered for an account, until when, and over which flow it can be reached. Bindings
 * live in the shared store (every engine implements `BindingStore` in `src/storage/<engine>/
 * registrations.ts`), so that every instance sharing the store sees every device; the flow itself
 * (the TCP/TLS/WS connection) exists only in the instance that accepted it, named here by
 * `instanceId`, reachable by the other instances through `path` (an RFC 3327 Path-like URI carrying
 * the flow token, RFC 5626 §5.2: the token is unguessable and known only through the store).
 *
 * Owns: the `Binding` record and the `BindingStore` interface. No I/O here.
 */

/** Transports a binding's flow can use (`TransportProtocol` of the SIP stack). */
export type BindingTransport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Binding {
  /** The account (`user@domain`, lower-cased domain) the contact is bound to. */
  aor: string;
  /**
   * Identity of the binding within the account: `<+sip.instance>;reg-id=N` for an RFC 5626 outbound
   * registration, else the Contact URI (RFC 3261 §10.3 step 7 compares URIs).
   */
  key: string;
  /** The Contact URI as registered (the Request-URI of requests to the device). */
  contact: string;
  /** Call-ID and CSeq of the REGISTER that last updated it (§10.3 step 7: out-of-order refreshes). */
  callId: string;
  cseq: number;
  /** When it expires. */
  expiresAt: Date;
  /** The instance holding the flow (random per process run). */
  instanceId: string;
  /** Flow token: names the connection (or UDP source) in that instance's flow table. */
  flow: string;
  /** `sip:<flow>@<instance host:port>;transport=tcp;lr` — how another instance reaches the flow. */
  path: string;
  transport: BindingTransport;
  /** Where the REGISTER came from (after `received`/`rport`): the UDP target, the connection's peer. */
  sourceAddress: string;
  sourcePort: number;
  /** `+sip.instance` and `reg-id` (RFC 5626) when the device asked for outbound. */
  sipInstance: string | null;
  regId: number | null;
  q: number | null;
  userAgent: string | null;
}

/** Bindings in the store. Times are compared by the store with the `now` given (tests pass theirs). */
export interface BindingStore {
  /** The account's bindings not expired at `now`, oldest first. */
  listBindings(aor: string, now: Date): Promise<Binding[]>;
  /** Insert or replace the binding `(aor, key)`. */
  putBinding(binding: Binding): Promise<void>;
  /** Remove one binding; false if there was none. */
  removeBinding(aor: string, key: string): Promise<boolean>;
  /** Remove every binding of the account (`Contact: *`); the count removed. */
  removeBindings(aor: string): Promise<number>;
  /** Remove the bindings of one flow of one instance (its connection closed); the count removed. */
  removeFlow(instanceId: string, flow: string): Promise<number>;
  /**
   * Remove the bindings of earlier runs of the instance at `hop` (`host:port;transport=x`): their
   * path is `sip:<flow>@<hop>;lr` but their instance id is not `instanceId`. That process, and every
   * connection it held, is gone (`standalone.md` §3: a binding whose connection closes is removed).
   * The count removed. A scan: called once, at start.
   */
  removeEarlierRuns(hop: string, instanceId: string): Promise<number>;
  /** Delete bindings expired at `now`; the count removed. */
  purgeExpiredBindings(now: Date): Promise<number>;
}
