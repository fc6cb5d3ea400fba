/**
 * The path a server transaction's responses take (RFC 3261 §18.2.2), fixed when the request
 * arrives: for TCP/TLS/WS the request's connection (if it has closed, TCP/TLS open a new one to
 * `received`/sent-by; WebSocket cannot) — `ResponseChannel`; for UDP the `received`/`rport` address
 * of the top Via — `DatagramChannel`.
 *
 * Kept small on purpose: a finished UDP transaction holds its channel for timer J (32 s), so the
 * channel stores only the target, not the request, the parsed Via or the flow, and the UDP one only
 * the three fields it needs (hundreds of thousands of them are alive under load).
 */
import type { TransportProtocol } from '../message/message.js';
import type { TransactionChannel } from '../transaction/channel.js';
import type { TransportLayer } from './layer.js';
import { isReliable, type Connection } from './types.js';

export class ResponseChannel implements TransactionChannel {
  readonly reliable: boolean;
  /** Told when a send fails (the transaction is destroyed, §17.2.4). */
  owner: { transportError(): void } | undefined = undefined;

  constructor(
    private readonly layer: TransportLayer,
    readonly protocol: TransportProtocol,
    private readonly connection: Connection | undefined,
    /** `received`/`rport` (or sent-by) target, used for UDP and to reconnect a closed TCP/TLS flow. */
    private readonly address: string,
    private readonly port: number,
  ) {
    this.reliable = isReliable(protocol);
  }

  send(bytes: Buffer): void {
    const c = this.connection;
    if (c && !c.closed) {
      c.send(bytes, (err) => this.failed(err));
      return;
    }
    if (c && this.protocol !== 'tcp' && this.protocol !== 'tls') {
      this.owner?.transportError();
      return;
    }
    // UDP responses are fire-and-forget (a datagram send error is not a transaction failure worth a
    // completion callback per response); a reconnecting TCP/TLS response reports failures.
    if (this.protocol === 'udp') this.layer.send({ protocol: 'udp', address: this.address, port: this.port }, bytes);
    else this.layer.send({ protocol: this.protocol, address: this.address, port: this.port }, bytes, (err) => this.failed(err));
  }

  private failed(err: Error | undefined): void {
    if (err) this.owner?.transportError();
  }
}

/** UDP: responses go to a fixed address, fire-and-forget (a datagram send error is no transaction failure). */
export class DatagramChannel implements TransactionChannel {
  constructor(
    private readonly layer: TransportLayer,
    private readonly address: string,
    private readonly port: number,
  ) {}

  get reliable(): boolean {
    return false;
  }

  send(bytes: Buffer): void {
    this.layer.sendDatagram(bytes, this.port, this.address);
  }
}
