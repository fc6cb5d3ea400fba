/**
 * Which inbound stream connections (TCP, TLS, SIP over WebSocket) the transport layer takes (issue 15
 * item 1). The `[SIP] trusted_peers` check answers each request 403 (RFC 3261 §8.2, sip-messaging.md
 * §3.2); this decides, per connection, so that outsiders cannot take the slots the proxy and the
 * server's own loop-back TCP (`local_sip_messages`) need:
 *
 * - `privileged` peers — listed in `trusted_peers` by address or network (not merely allowed by
 *   `any` or a `/0` network), and our own address (the loop-back TCP of `local_sip_messages`) — may
 *   use every one of `maxConnections`;
 * - everyone else shares `maxConnections - reservedForPrivileged` slots and at most `maxPerAddress`
 *   connections per IP address;
 * - a `refused` peer (outside `trusted_peers`: every request it sends gets 403) is kept only
 *   `refusedIdleTimeoutMs` without traffic, and the stack closes its connection after the first 403.
 *
 * A connection over a limit is closed at once (no request to answer yet); the refusal is logged and
 * counted in `sylk_sip_dropped_total{reason}` with the limit's name.
 */
import { logger } from '../../util/logger.js';
import { sipDropped } from '../stack-metrics.js';

const log = logger.child({ module: 'sip.transport' });

export type PeerClass = 'privileged' | 'allowed' | 'refused';

export interface AdmissionPolicy {
  classify(ip: string): PeerClass;
  /** Slots only privileged peers may take (of `maxConnections`). */
  reservedForPrivileged: number;
  /** Connections one non-privileged IP address may have open. */
  maxPerAddress: number;
  /** Idle timeout of a connection from a refused peer. */
  refusedIdleTimeoutMs: number;
}

/** Everyone allowed, `maxConnections` the only bound (a transport layer without a policy). */
export const ADMIT_ALL: AdmissionPolicy = {
  classify: () => 'allowed',
  reservedForPrivileged: 0,
  maxPerAddress: Number.POSITIVE_INFINITY,
  refusedIdleTimeoutMs: Number.POSITIVE_INFINITY,
};

/** Why a connection was not taken (the `reason` label and the log text). */
export type AdmissionRefusal = 'connection-limit' | 'connection-limit-untrusted-share' | 'connection-limit-per-address';

export class ConnectionAdmission {
  private readonly perAddress = new Map<string, number>();
  private unprivileged = 0;

  constructor(
    private readonly policy: AdmissionPolicy,
    private readonly maxConnections: number,
  ) {}

  classify(ip: string): PeerClass {
    return this.policy.classify(ip);
  }

  get refusedIdleTimeoutMs(): number {
    return this.policy.refusedIdleTimeoutMs;
  }

  /**
   * Take a new inbound connection from `address` while `open` connections exist? Its class, or null
   * after logging and counting the refusal (naming the limit).
   */
  admit(protocol: string, address: string, open: number): PeerClass | null {
    const cls = this.classify(address);
    const refusal = this.check(address, cls, open);
    if (refusal === null) return cls;
    sipDropped.inc({ reason: refusal });
    log.info({ protocol, address, peer: cls, limit: refusal, open }, 'inbound connection refused');
    return null;
  }

  /** May a connection from `ip` of class `cls` be taken while `open` connections exist? */
  check(ip: string, cls: PeerClass, open: number): AdmissionRefusal | null {
    if (open >= this.maxConnections) return 'connection-limit';
    if (cls === 'privileged') return null;
    if (open >= this.maxConnections - this.policy.reservedForPrivileged) return 'connection-limit-untrusted-share';
    if ((this.perAddress.get(ip) ?? 0) >= this.policy.maxPerAddress) return 'connection-limit-per-address';
    return null;
  }

  opened(ip: string, cls: PeerClass): void {
    if (cls === 'privileged') return;
    this.unprivileged++;
    this.perAddress.set(ip, (this.perAddress.get(ip) ?? 0) + 1);
  }

  closed(ip: string, cls: PeerClass): void {
    if (cls === 'privileged') return;
    this.unprivileged--;
    const n = (this.perAddress.get(ip) ?? 0) - 1;
    if (n <= 0) this.perAddress.delete(ip);
    else this.perAddress.set(ip, n);
  }

  /** Open connections from non-privileged peers. */
  get unprivilegedOpen(): number {
    return this.unprivileged;
  }
}
