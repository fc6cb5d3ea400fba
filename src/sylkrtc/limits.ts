/**
 * What one client may hold on the sylkRTC WebSocket API before it has proven who it is (issue 15
 * item 8; `sylkrtc-websocket.md` §4.1 leaves these to the server): connections per client address,
 * accounts added but not yet registered on one connection, and the length of an `account-add`
 * password (the password is kept for the digest answers of the binding's lifetime). Each refusal
 * names the limit: the upgrade gets HTTP 503 with `Retry-After`, a request an `error`.
 * The values come from `webrtcgateway.ini [General]` through the composition root.
 */

export interface ConnectionLimits {
  /** Open WebSocket connections one client IP address may have. */
  maxConnectionsPerAddress: number;
  /** Accounts added on one connection that are not (yet) authenticated. */
  maxUnauthenticatedAccounts: number;
  /** Longest `account-add` password, in characters. */
  maxPasswordLength: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnectionsPerAddress: 100,
  maxUnauthenticatedAccounts: 4,
  maxPasswordLength: 1024,
};

/** Counts open connections per client address. */
export class AddressConnections {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Whether another connection from `address` is allowed right now. */
  allows(address: string): boolean {
    return (this.counts.get(address) ?? 0) < this.max;
  }

  opened(address: string): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }

  closed(address: string): void {
    const n = (this.counts.get(address) ?? 0) - 1;
    if (n <= 0) this.counts.delete(address);
    else this.counts.set(address, n);
  }

  /** Addresses with at least one open connection (for tests and metrics). */
  get addresses(): number {
    return this.counts.size;
  }
}
