/**
 * Shared shapes of the transport layer (RFC 3261 §18, RFC 7118): a `Flow` says where a message came
 * from and how to answer on the same path (the connection for TCP/TLS/WS, the socket and source
 * address for UDP); a `Connection` is one stream or WebSocket connection.
 */
import type { TransportAddress, TransportProtocol } from '../message/message.js';

/** One stream (TCP/TLS) or WebSocket connection, in either direction. */
export interface Connection {
  readonly id: number;
  readonly protocol: TransportProtocol;
  readonly remote: TransportAddress;
  /** Local port of the connection (for logs). */
  readonly localPort: number;
  readonly closed: boolean;
  /** Queue bytes for sending; `cb` gets the error if the write fails. */
  send(bytes: Buffer, cb?: (err?: Error) => void): void;
  close(reason?: string): void;
}

/** Where a message came from: enough to send the response back the way §18.2.2 says. */
export interface Flow {
  readonly protocol: TransportProtocol;
  readonly remote: TransportAddress;
  /** The connection of a stream/WebSocket flow; undefined for UDP. */
  readonly connection?: Connection;
}

/** Where to send a request: a resolved transport address, optionally with a TLS server name. */
export interface SendTarget extends TransportAddress {
  /** Host name for TLS SNI and certificate verification, when the target was a name. */
  serverName?: string;
}

export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/** `proto:ip:port`, the key of a connection in the reuse table. */
export function connectionKey(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol}:${address}:${port}`;
}
