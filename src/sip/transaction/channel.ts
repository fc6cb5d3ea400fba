/**
 * What a transaction needs from the transport layer (RFC 3261 §17/§18 boundary): a way to (re)send
 * the bytes of one message to the peer of the transaction, and whether that path is reliable — the
 * retransmission timers (E, G) run only on unreliable transports and the wait timers (I, J, K) are
 * zero on reliable ones. Errors of asynchronous sends are reported back by the transport layer by
 * calling the transaction's `transportError()`.
 */
export interface TransactionChannel {
  readonly reliable: boolean;
  send(bytes: Buffer): void;
}
