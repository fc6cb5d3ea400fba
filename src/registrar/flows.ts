/**
 * The flows of this instance (`standalone.md` §3, RFC 5626 §5.2): the connections (TCP, TLS, SIP over
 * WebSocket) and UDP source addresses that devices registered over, each named by a flow token —
 * 128 random bits, unguessable — that the bindings in the shared store carry. A request for a device
 * goes back over its flow; another instance reaches the flow by sending to this instance with the
 * token (`path` of the binding), which only the store tells it.
 *
 * The instance's WebSocket connections are one more flow, `hubToken`.
 *
 * When a connection closes its token is forgotten and `onFlowClosed` is told (the registrar removes
 * the bindings of that flow from the store). A UDP flow has no end: its bindings expire.
 */
import { randomBytes } from 'node:crypto';
import type { TransportAddress, TransportProtocol } from '../sip/message/message.js';
import type { Connection, Flow } from '../sip/transport/types.js';

export interface LocalFlow {
  token: string;
  protocol: TransportProtocol;
  /** Where the device is (the connection's peer, or the UDP source after rport/received). */
  remote: TransportAddress;
  /** The connection, for connection-oriented flows. */
  connection?: Connection;
  /**
   * Accounts that registered with valid credentials over this connection: a MESSAGE from one of
   * them on the same connection is authenticated by it (never for UDP, whose source can be forged).
   */
  accounts: Set<string>;
}

export class FlowTable {
  private readonly byToken = new Map<string, LocalFlow>();
  private readonly byConnection = new Map<number, LocalFlow>();
  private readonly byUdp = new Map<string, LocalFlow>();
  /**
   * The flow of this instance's WebSocket connections (`messaging/standalone/ws-presence.ts`): a
   * request another instance routes to this token is for the accounts connected here over the
   * sylkRTC WebSocket API, and goes to the messaging pipeline as a contact copy (proxy mode's WebSocket
   * contacts, `cluster/sync-relay.ts`), not to a device.
   */
  readonly hubToken = newToken();
  /** Told when a connection-oriented flow ends (its token). */
  onFlowClosed: (token: string) => void = () => {};

  /** The flow a request arrived on, creating its token the first time. */
  flowOf(flow: Flow | undefined, source: TransportAddress): LocalFlow {
    const conn = flow?.connection;
    if (conn && !conn.closed) {
      let f = this.byConnection.get(conn.id);
      if (!f) {
        f = { token: newToken(), protocol: conn.protocol, remote: conn.remote, connection: conn, accounts: new Set() };
        this.byConnection.set(conn.id, f);
        this.byToken.set(f.token, f);
      }
      return f;
    }
    const key = `${source.address}|${source.port}`;
    let f = this.byUdp.get(key);
    if (!f) {
      f = { token: newToken(), protocol: 'udp', remote: { protocol: 'udp', address: source.address, port: source.port }, accounts: new Set() };
      this.byUdp.set(key, f);
      this.byToken.set(f.token, f);
    }
    return f;
  }

  /** The live flow named by `token`, if this instance holds it. */
  get(token: string): LocalFlow | undefined {
    const f = this.byToken.get(token);
    if (f?.connection?.closed) return undefined;
    return f;
  }

  /** The accounts registered with valid credentials over the (open) connection `conn`, if any. */
  connectionAccounts(conn: Connection | undefined): ReadonlySet<string> | undefined {
    if (!conn || conn.closed) return undefined;
    return this.byConnection.get(conn.id)?.accounts;
  }

  /** Has `aor` registered with valid credentials over the (open) connection `conn`? */
  connectionAuthenticates(conn: Connection | undefined, aor: string): LocalFlow | undefined {
    if (!conn || conn.closed) return undefined;
    const f = this.byConnection.get(conn.id);
    return f && f.accounts.has(aor) ? f : undefined;
  }

  /** The transport layer reports a closed connection. */
  connectionClosed(conn: Connection): void {
    const f = this.byConnection.get(conn.id);
    if (!f) return;
    this.byConnection.delete(conn.id);
    this.byToken.delete(f.token);
    this.onFlowClosed(f.token);
  }

  get size(): number {
    return this.byToken.size;
  }
}

function newToken(): string {
  return randomBytes(16).toString('base64url');
}
